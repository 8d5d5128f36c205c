"""Notifications and jobs: subscriptions, messages, the inbox (站内消息), the outbox of
deliveries claimed before sending, and the runs of scheduled jobs.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cockpit.store.schema import UtcDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the five tables."""
    op.create_table(
        "notify_subscriptions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("topic", sa.String(16), nullable=False, server_default="warning"),
        sa.Column("levels", sa.String(32), nullable=False, server_default=""),
        sa.Column("domains", sa.Text, nullable=False, server_default=""),
        sa.Column("counties", sa.Text, nullable=False, server_default=""),
        sa.Column("channels", sa.Text, nullable=False, server_default=""),
        sa.Column("address", sa.String(128), nullable=False, server_default=""),
        sa.Column("created_at", UtcDateTime, nullable=False),
    )
    op.create_index("ix_notify_subscriptions_username", "notify_subscriptions", ["username"])
    op.create_table(
        "notify_messages",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("topic", sa.String(16), nullable=False),
        sa.Column("level", sa.Integer),
        sa.Column("domain", sa.String(32), nullable=False, server_default=""),
        sa.Column("county_code", sa.String(12), nullable=False, server_default=""),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("body", sa.Text, nullable=False, server_default=""),
        sa.Column("link", sa.String(500), nullable=False, server_default=""),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.UniqueConstraint("key", name="uq_notify_messages_key"),
    )
    op.create_table(
        "notify_inbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "message_id",
            sa.Integer,
            sa.ForeignKey("notify_messages.id", name="fk_notify_inbox_message_id_notify_messages"),
            nullable=False,
        ),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("read_at", UtcDateTime),
        sa.UniqueConstraint("message_id", "username", name="uq_notify_inbox_message_user"),
    )
    op.create_index("ix_notify_inbox_username", "notify_inbox", ["username"])
    op.create_table(
        "notify_outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "message_id",
            sa.Integer,
            sa.ForeignKey("notify_messages.id", name="fk_notify_outbox_message_id_notify_messages"),
            nullable=False,
        ),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("recipient", sa.String(128), nullable=False, server_default=""),
        sa.Column("idem_key", sa.String(64), nullable=False),
        sa.Column("state", sa.String(8), nullable=False, server_default="queued"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_at", UtcDateTime, nullable=False),
        sa.Column("claimed_until", UtcDateTime),
        sa.Column("claimed_by", sa.String(64)),
        sa.Column("last_error", sa.String(300), nullable=False, server_default=""),
        sa.Column("sent_at", UtcDateTime),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.UniqueConstraint("idem_key", name="uq_notify_outbox_idem_key"),
    )
    op.create_index("ix_notify_outbox_state", "notify_outbox", ["state"])
    op.create_table(
        "job_runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("job", sa.String(32), nullable=False),
        sa.Column("started_at", UtcDateTime, nullable=False),
        sa.Column("finished_at", UtcDateTime),
        sa.Column("state", sa.String(8), nullable=False, server_default="running"),
        sa.Column("detail", sa.Text, nullable=False, server_default=""),
    )
    op.create_index("ix_job_runs_job", "job_runs", ["job"])


def downgrade() -> None:
    """Drop the five tables."""
    op.drop_index("ix_job_runs_job", table_name="job_runs")
    op.drop_table("job_runs")
    op.drop_index("ix_notify_outbox_state", table_name="notify_outbox")
    op.drop_table("notify_outbox")
    op.drop_index("ix_notify_inbox_username", table_name="notify_inbox")
    op.drop_table("notify_inbox")
    op.drop_table("notify_messages")
    op.drop_index("ix_notify_subscriptions_username", table_name="notify_subscriptions")
    op.drop_table("notify_subscriptions")
