"""Each supervision action keeps the key its submission carried, unique: a retry of the same
submission (the browser resending it, a double tap) is recognised and recorded once.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the nullable key and its unique index (NULLs, from before, do not collide)."""
    with op.batch_alter_table("supervision_actions") as batch:
        batch.add_column(sa.Column("request_key", sa.String(64), nullable=True))
    op.create_index(
        "ix_supervision_actions_request_key",
        "supervision_actions",
        ["request_key"],
        unique=True,
    )


def downgrade() -> None:
    """Drop the key."""
    op.drop_index("ix_supervision_actions_request_key", table_name="supervision_actions")
    with op.batch_alter_table("supervision_actions") as batch:
        batch.drop_column("request_key")
