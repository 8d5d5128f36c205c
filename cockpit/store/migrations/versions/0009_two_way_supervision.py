"""Two-way 督办: the 承办单位 of a case and of a unit account, the deadline of the action the
unit must answer, the linked 12345 ticket, the 效果评估, an optimistic version on every case,
and the unit's and leader's new actions allowed in supervision_actions.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cockpit.store.schema import UtcDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_OLD = ("立项督办", "催办", "约谈", "提级督办", "办结确认")
_NEW = (*_OLD, "退回", "效果评估", "进展反馈", "办结申请", "申请延期")


def _in(actions: tuple[str, ...]) -> str:
    return "action IN (" + ", ".join(f"'{a}'" for a in actions) + ")"


def upgrade() -> None:
    """Add the columns (all nullable or defaulted, so existing rows stay valid); widen the check."""
    with op.batch_alter_table("supervision_cases") as batch:
        batch.add_column(sa.Column("unit", sa.String(64)))
        batch.add_column(sa.Column("due_at", UtcDateTime))
        batch.add_column(sa.Column("ticket_id", sa.String(64)))
        batch.add_column(sa.Column("rating", sa.Integer))
        batch.add_column(sa.Column("rating_remark", sa.Text))
        batch.add_column(sa.Column("version", sa.Integer, nullable=False, server_default="1"))
        batch.create_unique_constraint("uq_supervision_cases_ticket_id", ["ticket_id"])
    op.create_index("ix_supervision_cases_unit", "supervision_cases", ["unit"])
    with op.batch_alter_table("supervision_actions") as batch:
        batch.add_column(sa.Column("on_time", sa.Boolean))
        batch.drop_constraint("ck_supervision_actions_action", type_="check")
        batch.create_check_constraint("ck_supervision_actions_action", _in(_NEW))
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("unit", sa.String(64)))


def downgrade() -> None:
    """Drop what upgrade added (the new actions' rows must be gone first)."""
    with op.batch_alter_table("users") as batch:
        batch.drop_column("unit")
    with op.batch_alter_table("supervision_actions") as batch:
        batch.drop_constraint("ck_supervision_actions_action", type_="check")
        batch.create_check_constraint("ck_supervision_actions_action", _in(_OLD))
        batch.drop_column("on_time")
    op.drop_index("ix_supervision_cases_unit", table_name="supervision_cases")
    with op.batch_alter_table("supervision_cases") as batch:
        batch.drop_constraint("uq_supervision_cases_ticket_id", type_="unique")
        for name in ("version", "rating_remark", "rating", "ticket_id", "due_at", "unit"):
            batch.drop_column(name)
