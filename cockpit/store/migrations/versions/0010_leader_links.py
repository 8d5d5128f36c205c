"""我的驾驶舱: the modules, tasks, bureaus and counties a leader account 分管, in its own order.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """One table; no existing row changes (an account without links sees the overview)."""
    op.create_table(
        "leader_links",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "user_id",
            sa.Integer,
            sa.ForeignKey("users.id", ondelete="CASCADE", name="fk_leader_links_user_id_users"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("ref", sa.String(64), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.CheckConstraint(
            "kind IN ('module', 'task', 'bureau', 'county')", name="ck_leader_links_kind"
        ),
        sa.UniqueConstraint("user_id", "kind", "ref", name="uq_leader_links_user_kind_ref"),
        sa.PrimaryKeyConstraint("id", name="pk_leader_links"),
    )
    op.create_index("ix_leader_links_user_id", "leader_links", ["user_id"])


def downgrade() -> None:
    """Drop the table (the links go with it)."""
    op.drop_index("ix_leader_links_user_id", table_name="leader_links")
    op.drop_table("leader_links")
