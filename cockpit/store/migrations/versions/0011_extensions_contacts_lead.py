"""A leader's answer to 申请延期 (同意延期, 不同意延期), each account's own phone and e-mail for
the SMS and e-mail channels, and the 牵头领导 of a 督办 item (told of its events).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_OLD = (
    "立项督办",
    "催办",
    "约谈",
    "提级督办",
    "办结确认",
    "退回",
    "效果评估",
    "进展反馈",
    "办结申请",
    "申请延期",
)
_NEW = (*_OLD, "同意延期", "不同意延期")


def _in(actions: tuple[str, ...]) -> str:
    return "action IN (" + ", ".join(f"'{a}'" for a in actions) + ")"


def upgrade() -> None:
    """Add the columns (nullable, so existing rows stay valid); widen the actions' check."""
    with op.batch_alter_table("supervision_actions") as batch:
        batch.drop_constraint("ck_supervision_actions_action", type_="check")
        batch.create_check_constraint("ck_supervision_actions_action", _in(_NEW))
    with op.batch_alter_table("supervision_cases") as batch:
        batch.add_column(sa.Column("lead_leader", sa.String(64)))
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("phone", sa.String(32)))
        batch.add_column(sa.Column("email", sa.String(128)))


def downgrade() -> None:
    """Drop what upgrade added (the new actions' rows must be gone first)."""
    with op.batch_alter_table("users") as batch:
        batch.drop_column("email")
        batch.drop_column("phone")
    with op.batch_alter_table("supervision_cases") as batch:
        batch.drop_column("lead_leader")
    with op.batch_alter_table("supervision_actions") as batch:
        batch.drop_constraint("ck_supervision_actions_action", type_="check")
        batch.create_check_constraint("ck_supervision_actions_action", _in(_OLD))
