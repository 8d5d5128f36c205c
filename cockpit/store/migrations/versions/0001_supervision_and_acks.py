"""Supervision cases and actions, warning acknowledgements.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cockpit.store.schema import UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Frozen here on purpose: a migration describes the schema as it was at this revision.
_ACTIONS = ("立项督办", "催办", "约谈", "提级督办", "办结确认")


def upgrade() -> None:
    """Create the three tables."""
    op.create_table(
        "supervision_cases",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("task_id", sa.String(64)),
        sa.Column("signal_key", sa.String(255)),
        sa.Column("signal_kind", sa.String(16)),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("link", sa.String(500)),
        sa.Column("county_code", sa.String(12), nullable=False),
        sa.Column("level", sa.Integer, nullable=False, server_default="1"),
        sa.Column("status", sa.String(8), nullable=False, server_default="open"),
        sa.Column("opened_at", UtcDateTime, nullable=False),
        sa.Column("opened_by", sa.String(64), nullable=False),
        sa.Column("closed_at", UtcDateTime),
        sa.Column("closed_by", sa.String(64)),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_supervision_cases"),
        sa.UniqueConstraint("task_id", name="uq_supervision_cases_task_id"),
        sa.UniqueConstraint("signal_key", name="uq_supervision_cases_signal_key"),
        sa.CheckConstraint(
            "(task_id IS NULL) <> (signal_key IS NULL)",
            name="ck_supervision_cases_task_or_signal",
        ),
        sa.CheckConstraint("status IN ('open', 'closed')", name="ck_supervision_cases_status"),
        sa.CheckConstraint("level >= 1", name="ck_supervision_cases_level"),
    )
    op.create_table(
        "supervision_actions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.Integer, nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("comment", sa.Text, nullable=False, server_default=""),
        sa.Column("actor_id", sa.String(64), nullable=False),
        sa.Column("actor_role", sa.String(32), nullable=False),
        sa.Column("acted_at", UtcDateTime, nullable=False),
        sa.Column("level_after", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_supervision_actions"),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["supervision_cases.id"],
            name="fk_supervision_actions_case_id_supervision_cases",
            ondelete="RESTRICT",
        ),
        sa.CheckConstraint(
            "action IN (" + ", ".join(f"'{a}'" for a in _ACTIONS) + ")",
            name="ck_supervision_actions_action",
        ),
    )
    op.create_index(
        "ix_supervision_actions_case_id", "supervision_actions", ["case_id"], unique=False
    )
    op.create_table(
        "warning_acks",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("warning_id", sa.String(128), nullable=False),
        sa.Column("warning_title", sa.String(300), nullable=False),
        sa.Column("warning_level", sa.Integer, nullable=False),
        sa.Column("county_code", sa.String(12), nullable=False),
        sa.Column("actor_id", sa.String(64), nullable=False),
        sa.Column("actor_role", sa.String(32), nullable=False),
        sa.Column("acked_at", UtcDateTime, nullable=False),
        sa.Column("comment", sa.Text, nullable=False, server_default=""),
        sa.PrimaryKeyConstraint("id", name="pk_warning_acks"),
        sa.UniqueConstraint("warning_id", "actor_id", name="uq_warning_acks_warning_actor"),
    )
    op.create_index("ix_warning_acks_warning_id", "warning_acks", ["warning_id"], unique=False)


def downgrade() -> None:
    """Drop the three tables."""
    op.drop_index("ix_warning_acks_warning_id", table_name="warning_acks")
    op.drop_table("warning_acks")
    op.drop_index("ix_supervision_actions_case_id", table_name="supervision_actions")
    op.drop_table("supervision_actions")
    op.drop_table("supervision_cases")
