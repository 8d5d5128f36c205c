"""Server-side sessions: the browser holds a random token, the database holds the session.

Kept on the server so that logout, an administrator's revocation and the idle timeout take
effect at once on every worker and host (a signed cookie alone cannot be taken back). Only the
token's SHA-256 is stored. Sign-in always makes a new token (no session fixation).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from cockpit.store.schema import sessions, users
from cockpit.store.store import Store, writes_so_far

# last_seen is written at most this often: a page makes many requests a second.
TOUCH_EVERY = dt.timedelta(seconds=15)
# A worker recalls a live session this long instead of looking it up on every request (#22:
# the lookup was half of what a cached callback costs over a prebuilt answer). A revocation,
# logout or idle end on another worker or host takes effect within this time; in this
# process any write to the store forgets at once.
RECALL_SECONDS = 1.0


class Recall:
    """What this worker found for each live session (by token hash), for RECALL_SECONDS."""

    def __init__(self, seconds: float = RECALL_SECONDS) -> None:
        self.seconds = seconds
        self._lock = threading.Lock()
        self._items: dict[str, tuple[object, int, float]] = {}

    def get(self, token: str) -> object | None:
        """The value kept for this token, if kept less than `seconds` ago and no write since."""
        item = self._items.get(token_hash(token))
        if item is None:
            return None
        value, writes, at = item
        if writes != writes_so_far() or time.monotonic() - at >= self.seconds:
            return None
        return value

    def put(self, token: str, value: object, writes: int) -> None:
        """Keep a value read when the store's write count was `writes` (taken before reading)."""
        now = time.monotonic()
        with self._lock:
            if len(self._items) > 10_000:  # old ones out; the rest expire by themselves
                self._items = {k: v for k, v in self._items.items() if now - v[2] < self.seconds}
            self._items[token_hash(token)] = (value, writes, now)


@dataclass(frozen=True)
class Session:
    """A live session and its user's id."""

    token_hash: str
    user_id: int
    created_at: dt.datetime
    last_seen: dt.datetime
    address: str


def token_hash(token: str) -> str:
    """What the database keeps of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def start(store: Store, user_id: int, address: str, user_agent: str) -> str:
    """A new session for the user; returns the token for the cookie (never stored)."""
    token = secrets.token_urlsafe(32)
    now = dt.datetime.now(dt.UTC)
    with store.writing("登录会话") as conn:
        conn.execute(
            sessions.insert().values(
                token_hash=token_hash(token),
                user_id=user_id,
                created_at=now,
                last_seen=now,
                address=address[:64],
                user_agent=user_agent[:200],
            )
        )
    return token


Limits = Callable[[str], tuple[dt.timedelta | None, dt.timedelta]]


def resume(
    store: Store,
    token: str,
    *,
    limits: Limits,
    activity: bool,
    now: dt.datetime | None = None,
) -> tuple[Session | None, str]:
    """The session of this token and "" when it is live; else why not.

    Why: unknown or revoked (no session returned), idle or expired (the session returned, so
    its end can be recorded against its user).

    limits(role) gives the role's idle timeout (None: none) and the session's lifetime.
    An idle or expired session is revoked on the spot, so it cannot come back. `activity`
    says the request was the user's doing (not a timer): only then does it reset idleness.
    """
    now = now or dt.datetime.now(dt.UTC)
    digest = token_hash(token)
    with store.reading() as conn:
        row = conn.execute(
            sa.select(sessions, users.c.role)
            .join(users, users.c.id == sessions.c.user_id)
            .where(sessions.c.token_hash == digest)
        ).first()
    if row is None:
        return None, "unknown"
    if row.revoked_at is not None:
        return None, "revoked"
    idle, lifetime = limits(row.role)
    reason = ""
    if now - row.created_at > lifetime:
        reason = "expired"
    elif idle is not None and now - row.last_seen > idle:
        reason = "idle"
    session = Session(digest, row.user_id, row.created_at, row.last_seen, row.address)
    if reason:
        revoke(store, digest, reason, now=now)
        return session, reason
    if activity and now - row.last_seen > TOUCH_EVERY:
        with store.writing("会话") as conn:
            conn.execute(
                sessions.update().where(sessions.c.token_hash == digest).values(last_seen=now)
            )
    return session, ""


def revoke(store: Store, digest: str, reason: str, *, now: dt.datetime | None = None) -> None:
    """End one session (by its stored hash)."""
    with store.writing("结束会话") as conn:
        conn.execute(
            sessions.update()
            .where(sessions.c.token_hash == digest, sessions.c.revoked_at.is_(None))
            .values(revoked_at=now or dt.datetime.now(dt.UTC), revoked_reason=reason[:32])
        )


def revoke_user(store: Store, username: str, reason: str) -> int:
    """End every live session of a user (administrator, disabled account, reset); how many."""
    with store.writing("结束会话") as conn:
        user_id = conn.execute(
            sa.select(users.c.id).where(users.c.username == username)
        ).scalar_one_or_none()
        if user_id is None:
            return 0
        done = conn.execute(
            sessions.update()
            .where(sessions.c.user_id == user_id, sessions.c.revoked_at.is_(None))
            .values(revoked_at=dt.datetime.now(dt.UTC), revoked_reason=reason[:32])
        )
        return done.rowcount


def live_sessions(store: Store) -> list[dict]:
    """Sessions not ended, newest first, with their user (for the admin screen)."""
    with store.reading() as conn:
        rows = conn.execute(
            sa.select(
                users.c.username,
                sessions.c.created_at,
                sessions.c.last_seen,
                sessions.c.address,
            )
            .join(users, users.c.id == sessions.c.user_id)
            .where(sessions.c.revoked_at.is_(None))
            .order_by(sessions.c.last_seen.desc())
        ).all()
    return [dict(r._mapping) for r in rows]


def revoke_others(store: Store, user_id: int, keep_digest: str, reason: str) -> int:
    """End every live session of a user but one (their own, after a password change); how many."""
    with store.writing("结束会话") as conn:
        done = conn.execute(
            sessions.update()
            .where(
                sessions.c.user_id == user_id,
                sessions.c.token_hash != keep_digest,
                sessions.c.revoked_at.is_(None),
            )
            .values(revoked_at=dt.datetime.now(dt.UTC), revoked_reason=reason[:32])
        )
        return done.rowcount
