"""Failed sign-ins, counted in the cockpit's own database: lockout and per-address throttling.

Every wrong password, wrong one-time code and unknown name is a row of `signin_failures`
(time, address, username). Three limits are read from those rows (config/security.yaml):

- one account from one address: `lockout_attempts` within `lockout_minutes` lock the account
  *at that address*. Anyone can type `admin` and a wrong password, so a lock that held
  everywhere would let anyone shut the administrator out; this one shuts out only the guesser.
- one account from all addresses: `lockout_total` within `lockout_minutes` lock it everywhere
  (a guess spread over many machines).
- one address, any usernames: `address_attempts` within `address_minutes` and that address
  may not try at all until the window passes (password spraying, guessing names).

The rows live in the database, not in a worker's memory, so every gunicorn worker and host
counts the same attempts. A full sign-in clears that account's rows from that address.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import sqlalchemy as sa

from cockpit.settings import SecuritySettings
from cockpit.store.schema import signin_failures
from cockpit.store.store import Store

Refusal = Literal["", "throttled", "locked"]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _count(conn: sa.Connection, since: dt.datetime, *conditions: sa.ColumnElement) -> int:
    return conn.execute(
        sa.select(sa.func.count())
        .select_from(signin_failures)
        .where(signin_failures.c.at > since, *conditions)
    ).scalar_one()


def _counts(
    conn: sa.Connection, security: SecuritySettings, username: str, address: str, now: dt.datetime
) -> tuple[int, int, int]:
    """Failures of (this account at this address, this account anywhere, this address)."""
    account_since = now - dt.timedelta(minutes=security.lockout_minutes)
    address_since = now - dt.timedelta(minutes=security.address_minutes)
    here = _count(
        conn,
        account_since,
        signin_failures.c.username == username,
        signin_failures.c.address == address,
    )
    everywhere = _count(conn, account_since, signin_failures.c.username == username)
    from_address = _count(conn, address_since, signin_failures.c.address == address)
    return here, everywhere, from_address


def refusal(store: Store, security: SecuritySettings, username: str, address: str) -> Refusal:
    """Why this attempt may not even be checked: "throttled", "locked", or "" (go ahead)."""
    with store.reading() as conn:
        here, everywhere, from_address = _counts(conn, security, username, address, _now())
    if from_address >= security.address_attempts:
        return "throttled"
    if here >= security.lockout_attempts or everywhere >= security.lockout_total:
        return "locked"
    return ""


def fail(store: Store, security: SecuritySettings, username: str, address: str, kind: str) -> bool:
    """Count one failure (kind: password | code | unknown); True when it locked the account."""
    now = _now()
    oldest = now - dt.timedelta(minutes=max(security.lockout_minutes, security.address_minutes))
    with store.writing("登录失败记录") as conn:
        conn.execute(signin_failures.delete().where(signin_failures.c.at < oldest))
        conn.execute(
            signin_failures.insert().values(
                at=now, address=address[:64], username=username[:64], kind=kind[:8]
            )
        )
        here, everywhere, _ = _counts(conn, security, username[:64], address[:64], now)
    # Exactly at a limit: this failure is the one that locked it (recorded once, as a lockout).
    return here == security.lockout_attempts or everywhere == security.lockout_total


def clear(store: Store, username: str, address: str) -> None:
    """A full sign-in: this account's failures from this address are forgotten."""
    with store.writing("登录成功") as conn:
        conn.execute(
            signin_failures.delete().where(
                signin_failures.c.username == username, signin_failures.c.address == address
            )
        )
