"""一键直联: the contacts directory kept in the cockpit's own database.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cockpit.store.schema import UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the contacts table."""
    op.create_table(
        "contacts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source_id", sa.String(64)),
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("post", sa.String(64), nullable=False),
        sa.Column("org", sa.String(64), nullable=False),
        sa.Column("county_code", sa.String(12), nullable=False),
        sa.Column("office_phone", sa.String(32), nullable=False, server_default=""),
        sa.Column("mobile", sa.String(32), nullable=False, server_default=""),
        sa.Column("duty_status", sa.String(8), nullable=False, server_default="在岗"),
        sa.Column("duty_note", sa.String(100), nullable=False, server_default=""),
        sa.Column("sort_order", sa.Integer, nullable=False, server_default="100"),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("edited_locally", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.UniqueConstraint("source_id", name="uq_contacts_source_id"),
    )
    op.create_index("ix_contacts_org", "contacts", ["org"])
    op.create_index("ix_contacts_county_code", "contacts", ["county_code"])


def downgrade() -> None:
    """Drop the contacts table."""
    op.drop_index("ix_contacts_county_code", table_name="contacts")
    op.drop_index("ix_contacts_org", table_name="contacts")
    op.drop_table("contacts")
