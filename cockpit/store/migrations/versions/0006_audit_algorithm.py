"""The audit chain records which HMAC sealed each record (sha256, or sm3 for 商用密码).

Existing records were sealed with HMAC-SHA256, the column's default. Adding a column with a
constant default rewrites no row, so the append-only triggers of 0002 stay in place.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add audit_log.alg."""
    op.add_column(
        "audit_log",
        sa.Column("alg", sa.String(8), nullable=False, server_default="sha256"),
    )


def downgrade() -> None:
    """Drop audit_log.alg (SQLite rebuilds the table: drop the triggers around it)."""
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("alg")
