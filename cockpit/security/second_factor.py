"""The second sign-in step: a one-time code (TOTP, RFC 6238) after the password.

Between the password and the code the state is the server's (`signin_pending`): the browser
holds a random token, the database its SHA-256, the user, the address and when it began. A
token is good for one code only, from the same address, for `totp_pending_minutes`: a copied
cookie cannot be replayed to try code after code. A code is good once: the last time step that
signed each user in is kept (`totp_steps`), so the same code cannot sign in a second time,
on any worker.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
import time
from dataclasses import dataclass

import pyotp
import sqlalchemy as sa

from cockpit.security.sessions import token_hash
from cockpit.store.schema import signin_pending, totp_steps
from cockpit.store.store import Store, StoreError

COOKIE = "cockpit_pending"
# Codes of the step before and after the current one are accepted (clock drift, typing time).
DRIFT_STEPS = 1


@dataclass(frozen=True)
class Pending:
    """A password accepted for this user; the code still to come."""

    user_id: int
    next: str


def begin(store: Store, user_id: int, address: str, target: str) -> str:
    """Record the pending step; the token for the browser's cookie (never stored)."""
    token = secrets.token_urlsafe(32)
    with store.writing("登录") as conn:
        conn.execute(
            signin_pending.insert().values(
                token_hash=token_hash(token),
                user_id=user_id,
                created_at=dt.datetime.now(dt.UTC),
                address=address[:64],
                next=target[:500],
            )
        )
    return token


def peek(store: Store, token: str, address: str, minutes: int) -> Pending | None:
    """The pending step of this token while it is fresh and from its own address."""
    with store.reading() as conn:
        row = conn.execute(
            sa.select(signin_pending).where(signin_pending.c.token_hash == token_hash(token))
        ).first()
    return _valid(row, address, minutes)


def take(store: Store, token: str, address: str, minutes: int) -> Pending | None:
    """Use up the pending step (one code per password), and stale ones with it."""
    now = dt.datetime.now(dt.UTC)
    digest = token_hash(token)
    with store.writing("登录") as conn:
        row = conn.execute(
            sa.select(signin_pending).where(signin_pending.c.token_hash == digest)
        ).first()
        conn.execute(
            signin_pending.delete().where(
                (signin_pending.c.token_hash == digest)
                | (signin_pending.c.created_at < now - dt.timedelta(minutes=minutes))
            )
        )
    return _valid(row, address, minutes)


def _valid(row: sa.Row | None, address: str, minutes: int) -> Pending | None:
    if row is None or row.address != address[:64]:
        return None
    if dt.datetime.now(dt.UTC) - row.created_at > dt.timedelta(minutes=minutes):
        return None
    return Pending(row.user_id, row.next)


def matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step whose code this is (within the allowed drift), or None."""
    if not (len(code) == 6 and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    now = time.time() if now is None else now
    for offset in range(-DRIFT_STEPS, DRIFT_STEPS + 1):
        moment = now + offset * totp.interval
        if hmac.compare_digest(totp.at(moment), code):
            return int(moment) // totp.interval
    return None


def accept(store: Store, user_id: int, secret: str, code: str) -> bool:
    """Is this the user's code, of a step later than the last one used? Then it is used up."""
    step = matching_step(secret, code)
    if step is None:
        return False
    try:
        with store.writing("动态口令") as conn:
            last = conn.execute(
                sa.select(totp_steps.c.last_step)
                .where(totp_steps.c.user_id == user_id)
                .with_for_update()
            ).scalar_one_or_none()
            if last is None:
                conn.execute(totp_steps.insert().values(user_id=user_id, last_step=step))
                return True
            if last >= step:
                return False
            conn.execute(
                totp_steps.update().where(totp_steps.c.user_id == user_id).values(last_step=step)
            )
            return True
    except StoreError:  # another worker recorded this user's first code at the same moment
        return False
