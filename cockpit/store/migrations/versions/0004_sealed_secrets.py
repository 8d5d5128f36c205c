"""Second-factor secrets sealed at rest: users.totp_sealed (#21).

A sealed secret (enc1:<algorithm>:<base64>, about 100 characters) does not fit totp_secret's
VARCHAR(64), and widening that column would make SQLite copy the users table, whose deletion
cascades to password history and sessions. A new column is added instead; plain secrets in
totp_secret are sealed into it by the application (it has the key, a migration does not) at
each user's next sign-in or by `python -m cockpit users reseal`.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add users.totp_sealed."""
    op.add_column("users", sa.Column("totp_sealed", sa.Text))


def downgrade() -> None:
    """Drop users.totp_sealed (sealed secrets are lost: users enrol their second factor again)."""
    with op.batch_alter_table("users") as batch:
        batch.drop_column("totp_sealed")
