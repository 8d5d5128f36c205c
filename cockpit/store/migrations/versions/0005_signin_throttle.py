"""Sign-in: failed attempts (lockout, throttling), the pending second factor, used codes.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cockpit.store.schema import UtcDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create signin_failures, signin_pending and totp_steps."""
    op.create_table(
        "signin_failures",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
    )
    for column in ("at", "address", "username"):
        op.create_index(f"ix_signin_failures_{column}", "signin_failures", [column])
    op.create_table(
        "signin_pending",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column(
            "user_id",
            sa.Integer,
            sa.ForeignKey("users.id", ondelete="CASCADE", name="fk_signin_pending_user_id_users"),
            nullable=False,
        ),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("address", sa.String(64), nullable=False, server_default=""),
        sa.Column("next", sa.String(500), nullable=False, server_default="/"),
    )
    op.create_table(
        "totp_steps",
        sa.Column(
            "user_id",
            sa.Integer,
            sa.ForeignKey("users.id", ondelete="CASCADE", name="fk_totp_steps_user_id_users"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("last_step", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    """Drop the sign-in tables."""
    op.drop_table("totp_steps")
    op.drop_table("signin_pending")
    for column in ("at", "address", "username"):
        op.drop_index(f"ix_signin_failures_{column}", table_name="signin_failures")
    op.drop_table("signin_failures")
