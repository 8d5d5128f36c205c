"""The notification tables of the cockpit's own database (migration 0008).

They live in cockpit.store.schema's metadata (schema.py imports this module) so the test that
compares the migrations with the models sees them.
"""

from __future__ import annotations

import sqlalchemy as sa

from cockpit.store.schema import UtcDateTime, metadata

# Outbox states. queued -> claimed -> sent; a failed send goes back to queued with a later
# next_at, and after the last attempt to dead (the dead-letter list administrators see).
QUEUED = "queued"
CLAIMED = "claimed"
SENT = "sent"
DEAD = "dead"

# What a user asked to be told: warnings at or above some levels, of some domains, in some
# counties (empty = any, always within the user's own scope), and by which channels besides
# the inbox (names of config/notify.yaml channels; sms and e-mail carry an address).
notify_subscriptions = sa.Table(
    "notify_subscriptions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("username", sa.String(64), nullable=False, index=True),
    sa.Column("topic", sa.String(16), nullable=False, server_default="warning"),
    sa.Column("levels", sa.String(32), nullable=False, server_default=""),
    sa.Column("domains", sa.Text, nullable=False, server_default=""),
    sa.Column("counties", sa.Text, nullable=False, server_default=""),
    sa.Column("channels", sa.Text, nullable=False, server_default=""),
    sa.Column("address", sa.String(128), nullable=False, server_default=""),
    sa.Column("created_at", UtcDateTime, nullable=False),
)

# One row per thing told, once: `key` (warning:<id>) stops a warning still in force from being
# told again at every tick. Title and body are stored already masked.
notify_messages = sa.Table(
    "notify_messages",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("key", sa.String(255), nullable=False, unique=True),
    sa.Column("topic", sa.String(16), nullable=False),
    sa.Column("level", sa.Integer),
    sa.Column("domain", sa.String(32), nullable=False, server_default=""),
    sa.Column("county_code", sa.String(12), nullable=False, server_default=""),
    sa.Column("title", sa.String(300), nullable=False),
    sa.Column("body", sa.Text, nullable=False, server_default=""),
    sa.Column("link", sa.String(500), nullable=False, server_default=""),
    sa.Column("created_at", UtcDateTime, nullable=False),
)

notify_inbox = sa.Table(
    "notify_inbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("message_id", sa.Integer, sa.ForeignKey("notify_messages.id"), nullable=False),
    sa.Column("username", sa.String(64), nullable=False, index=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("read_at", UtcDateTime),
    sa.UniqueConstraint("message_id", "username", name="uq_notify_inbox_message_user"),
)

# One row per (message, channel, recipient): the unit of delivery, claimed before sending.
# idem_key is sent to the receiver (X-Idempotency-Key / msg id) so a receiver that keeps it
# can drop the one resend a crash between its accept and our commit can cause.
notify_outbox = sa.Table(
    "notify_outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("message_id", sa.Integer, sa.ForeignKey("notify_messages.id"), nullable=False),
    sa.Column("channel", sa.String(64), nullable=False),
    sa.Column("recipient", sa.String(128), nullable=False, server_default=""),
    sa.Column("idem_key", sa.String(64), nullable=False, unique=True),
    sa.Column("state", sa.String(8), nullable=False, server_default=QUEUED, index=True),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_at", UtcDateTime, nullable=False),
    sa.Column("claimed_until", UtcDateTime),
    sa.Column("claimed_by", sa.String(64)),
    sa.Column("last_error", sa.String(300), nullable=False, server_default=""),
    sa.Column("sent_at", UtcDateTime),
    sa.Column("created_at", UtcDateTime, nullable=False),
)

# Every run of a job (warning check, delivery sweep, morning briefing): for the admin list.
job_runs = sa.Table(
    "job_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("job", sa.String(32), nullable=False, index=True),
    sa.Column("started_at", UtcDateTime, nullable=False),
    sa.Column("finished_at", UtcDateTime),
    sa.Column("state", sa.String(8), nullable=False, server_default="running"),
    sa.Column("detail", sa.Text, nullable=False, server_default=""),
)
