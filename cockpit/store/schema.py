"""The tables of the cockpit's own database, in SQLAlchemy Core.

The data sources are read-only to the cockpit; what leaders *do* is written here: supervision
cases (督办事项) and their actions (催办, 约谈, 提级督办, 办结确认), and acknowledgements of
risk warnings (签收). Migrations in cockpit/store/migrations/ create these tables; this
module is what the code queries, and a test checks the two agree.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

# The supervision actions, in the order a case usually goes through them. 立项督办 opens a
# case (from a signal, or the first action on a task); the other four are what leaders record.
OPEN = "立项督办"
REMIND = "催办"
INTERVIEW = "约谈"
ESCALATE = "提级督办"
CONFIRM_DONE = "办结确认"
ACTIONS: tuple[str, ...] = (REMIND, INTERVIEW, ESCALATE, CONFIRM_DONE)
# Two-way 督办 (migration 0009): the leader sends an 办结申请 back (退回) or, once confirmed,
# rates the result (效果评估); the 承办单位 replies with progress, asks to close with evidence,
# or asks for more time.
RETURN = "退回"
EVALUATE = "效果评估"
# The leader's answer to a unit's 申请延期 (migration 0011): the deadline moves only when
# approved; a refusal states its reason.
APPROVE_EXTENSION = "同意延期"
REFUSE_EXTENSION = "不同意延期"
EXTENSION_ANSWERS: tuple[str, ...] = (APPROVE_EXTENSION, REFUSE_EXTENSION)
LEADER_ACTIONS: tuple[str, ...] = (*ACTIONS, RETURN, EVALUATE, *EXTENSION_ANSWERS)
PROGRESS = "进展反馈"
APPLY_DONE = "办结申请"
EXTEND = "申请延期"
UNIT_ACTIONS: tuple[str, ...] = (PROGRESS, APPLY_DONE, EXTEND)
# The rungs an overdue action climbs (the escalation job records them as the system).
LADDER: tuple[str, ...] = (REMIND, INTERVIEW, ESCALATE)
ALL_ACTIONS: tuple[str, ...] = (OPEN, *LEADER_ACTIONS, *UNIT_ACTIONS)

CASE_OPEN = "open"
CASE_CLOSED = "closed"


class UtcDateTime(TypeDecorator):
    """A timestamp stored in UTC and read back timezone-aware, on every engine.

    PostgreSQL keeps the zone (timestamptz); SQLite keeps none, so naive values read back are
    taken as the UTC they were written in.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: sa.Dialect) -> object:
        """Aware values go in as UTC; naive values are refused (their zone is unknown)."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; pass an aware one")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: sa.Dialect) -> object:
        """Read back aware, in UTC."""
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# A supervised matter: either a task of the key_work.tasks dataset (task_id), or an item opened
# from a signal (signal_key: a red indicator, a 12345 spike, a risk warning) with a link back.
supervision_cases = sa.Table(
    "supervision_cases",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("task_id", sa.String(64), unique=True),
    sa.Column("signal_key", sa.String(255), unique=True),
    sa.Column("signal_kind", sa.String(16)),
    sa.Column("title", sa.String(300), nullable=False),
    sa.Column("reason", sa.Text),
    sa.Column("link", sa.String(500)),
    sa.Column("county_code", sa.String(12), nullable=False),
    sa.Column("level", sa.Integer, nullable=False, server_default="1"),
    sa.Column("status", sa.String(8), nullable=False, server_default=CASE_OPEN),
    sa.Column("opened_at", UtcDateTime, nullable=False),
    sa.Column("opened_by", sa.String(64), nullable=False),
    sa.Column("closed_at", UtcDateTime),
    sa.Column("closed_by", sa.String(64)),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    # Two-way 督办 (migration 0009): the 承办单位 that answers (a task's lead_unit), the
    # deadline of the action it must answer (NULL: nothing awaited), the 12345 ticket the item
    # was opened from, the 效果评估, and the optimistic version every update bumps.
    sa.Column("unit", sa.String(64), index=True),
    sa.Column("due_at", UtcDateTime),
    sa.Column("ticket_id", sa.String(64), unique=True),
    sa.Column("rating", sa.Integer),
    sa.Column("rating_remark", sa.Text),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    # The task's 牵头领导 (its lead_leader's name, migration 0011): told of the item's events.
    sa.Column("lead_leader", sa.String(64)),
    sa.CheckConstraint("(task_id IS NULL) <> (signal_key IS NULL)", name="task_or_signal"),
    sa.CheckConstraint("status IN ('open', 'closed')", name="status"),
    sa.CheckConstraint("level >= 1", name="level"),
)

# Every action on a case: who, in which role, when, what, and their comment. Never updated.
supervision_actions = sa.Table(
    "supervision_actions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "case_id",
        sa.Integer,
        sa.ForeignKey("supervision_cases.id", ondelete="RESTRICT"),
        nullable=False,
        index=True,
    ),
    sa.Column("action", sa.String(16), nullable=False),
    sa.Column("comment", sa.Text, nullable=False, server_default=""),
    sa.Column("actor_id", sa.String(64), nullable=False),
    sa.Column("actor_role", sa.String(32), nullable=False),
    sa.Column("acted_at", UtcDateTime, nullable=False),
    sa.Column("level_after", sa.Integer, nullable=False),
    # The key the browser gave this submission (migration 0007): a retry of the same
    # submission is recognised and recorded once.
    sa.Column("request_key", sa.String(64), nullable=True),
    # A unit's reply: made before the deadline of the action it answered (migration 0009)?
    sa.Column("on_time", sa.Boolean),
    sa.CheckConstraint(
        "action IN (" + ", ".join(f"'{a}'" for a in ALL_ACTIONS) + ")", name="action"
    ),
    sa.Index("ix_supervision_actions_request_key", "request_key", unique=True),
)

# A warning acknowledged (签收) by a user: once per user and warning.
warning_acks = sa.Table(
    "warning_acks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("warning_id", sa.String(128), nullable=False, index=True),
    sa.Column("warning_title", sa.String(300), nullable=False),
    sa.Column("warning_level", sa.Integer, nullable=False),
    sa.Column("county_code", sa.String(12), nullable=False),
    sa.Column("actor_id", sa.String(64), nullable=False),
    sa.Column("actor_role", sa.String(32), nullable=False),
    sa.Column("acked_at", UtcDateTime, nullable=False),
    sa.Column("comment", sa.Text, nullable=False, server_default=""),
    sa.UniqueConstraint("warning_id", "actor_id", name="uq_warning_acks_warning_actor"),
)

# -- security: users, their sessions, and the audit log -------------------------------------------

# A user of the cockpit. counties: NULL = whole city, "" = none, else comma-separated codes.
# Passwords are kept only as Argon2id hashes (cockpit/security/passwords.py).
users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    sa.Column("display_name", sa.String(64), nullable=False, server_default=""),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("counties", sa.Text),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("password_changed_at", UtcDateTime, nullable=False),
    sa.Column("must_change", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("failed_logins", sa.Integer, nullable=False, server_default="0"),
    sa.Column("locked_until", UtcDateTime),
    sa.Column("totp_secret", sa.String(64)),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("demo", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("last_login_at", UtcDateTime),
    # The second-factor secret, sealed (cockpit/security/crypto.py: enc1:<algorithm>:...).
    # totp_secret above holds only a plain secret left by a version before that (migration
    # 0004), read as it is and moved here, sealed, at the user's next sign-in.
    sa.Column("totp_sealed", sa.Text),
    # The 承办单位 a unit_staff account answers for (migration 0009); NULL for other roles.
    sa.Column("unit", sa.String(64)),
    # The account's own phone and e-mail (migration 0011), where the SMS and e-mail channels
    # reach them; personal data, masked on every screen but the account's own form.
    sa.Column("phone", sa.String(32)),
    sa.Column("email", sa.String(128)),
)

# Earlier password hashes of a user, so a new password cannot repeat a recent one.
password_history = sa.Table(
    "password_history",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("set_at", UtcDateTime, nullable=False),
)

# A login session. The browser holds a random token; only its SHA-256 is stored here, so a
# copy of the database does not hand out sessions. Revoked sessions stay for the record.
sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column(
        "user_id",
        sa.Integer,
        sa.ForeignKey("users.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("last_seen", UtcDateTime, nullable=False),
    sa.Column("address", sa.String(64), nullable=False, server_default=""),
    sa.Column("user_agent", sa.String(200), nullable=False, server_default=""),
    sa.Column("revoked_at", UtcDateTime),
    sa.Column("revoked_reason", sa.String(32)),
)

# The audit log: append-only, each record chained to the one before by an HMAC, so that a
# removed or edited record breaks the chain (cockpit/audit.py verifies it).
audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("at", UtcDateTime, nullable=False, index=True),
    sa.Column("user_id", sa.String(64), nullable=False),
    sa.Column("role", sa.String(32), nullable=False, server_default=""),
    sa.Column("address", sa.String(64), nullable=False, server_default=""),
    sa.Column("action", sa.String(32), nullable=False, index=True),
    sa.Column("object", sa.String(300), nullable=False, server_default=""),
    sa.Column("result", sa.String(16), nullable=False),
    sa.Column("detail", sa.Text, nullable=False, server_default="{}"),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    # The HMAC this record was sealed with: sha256, or sm3 (商用密码); migration 0006.
    sa.Column("alg", sa.String(8), nullable=False, server_default="sha256"),
)

# The chain's head in one row: writers lock it, so records are appended one at a time and a
# removed last record is still detected (the head remembers how far the chain went).
audit_head = sa.Table(
    "audit_head",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)

# 一键直联: the directory of leaders, departments and county contacts, kept by administrators.
# Rows imported from the platform's contacts.directory dataset keep its contact_id as source_id;
# an administrator's edit sets edited_locally, so a later import never overwrites it.
DUTY_STATUSES: tuple[str, ...] = ("在岗", "值班", "会议", "外出", "出差", "休假")
contacts = sa.Table(
    "contacts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("source_id", sa.String(64), unique=True),
    sa.Column("name", sa.String(32), nullable=False),
    sa.Column("post", sa.String(64), nullable=False),
    sa.Column("org", sa.String(64), nullable=False, index=True),
    sa.Column("county_code", sa.String(12), nullable=False, index=True),
    sa.Column("office_phone", sa.String(32), nullable=False, server_default=""),
    sa.Column("mobile", sa.String(32), nullable=False, server_default=""),
    sa.Column("duty_status", sa.String(8), nullable=False, server_default="在岗"),
    sa.Column("duty_note", sa.String(100), nullable=False, server_default=""),
    sa.Column("sort_order", sa.Integer, nullable=False, server_default="100"),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("edited_locally", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("updated_by", sa.String(64), nullable=False),
)

# 我的驾驶舱 (migration 0010): what a leader account 分管, linked by administrators: module keys
# of the registry (cockpit/modules.py), 重点工作 task ids, bureau (市局) names and county codes,
# each kind in the leader's own order (position). What the landing page shows first; never a
# right: the account's scope still decides what it may see (cockpit/leaders.py).
LINK_KINDS: tuple[str, ...] = ("module", "task", "bureau", "county")
leader_links = sa.Table(
    "leader_links",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "user_id",
        sa.Integer,
        sa.ForeignKey("users.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("kind", sa.String(8), nullable=False),
    sa.Column("ref", sa.String(64), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.CheckConstraint("kind IN (" + ", ".join(f"'{k}'" for k in LINK_KINDS) + ")", name="kind"),
    sa.UniqueConstraint("user_id", "kind", "ref", name="uq_leader_links_user_kind_ref"),
)

# -- sign-in: failures, the pending second factor, used one-time codes (migration 0005) --

# Every failed sign-in (a wrong password or one-time code, an unknown name): lockout and
# throttling count these rows (cockpit/security/throttle.py), so every worker sees the same
# counts. Rows older than the longest window are deleted as new ones come in.
signin_failures = sa.Table(
    "signin_failures",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", UtcDateTime, nullable=False, index=True),
    sa.Column("address", sa.String(64), nullable=False, index=True),
    sa.Column("username", sa.String(64), nullable=False, index=True),
    sa.Column("kind", sa.String(8), nullable=False),
)

# A password accepted, a one-time code still to come: the browser holds a random token (its
# SHA-256 is kept here), good for one code and a few minutes, from the same address only.
signin_pending = sa.Table(
    "signin_pending",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("address", sa.String(64), nullable=False, server_default=""),
    sa.Column("next", sa.String(500), nullable=False, server_default="/"),
)

# The last TOTP time step that signed each user in: a code is good once (RFC 6238 §5.2).
totp_steps = sa.Table(
    "totp_steps",
    metadata,
    sa.Column(
        "user_id",
        sa.Integer,
        sa.ForeignKey("users.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    ),
    sa.Column("last_step", sa.BigInteger, nullable=False),
)

# The notification and job tables are defined with the code that uses them; imported here so
# this metadata holds every table the migrations make (tests/contract/test_store.py compares them).
from cockpit.notify import tables as _notify_tables  # noqa: E402, F401
