"""The audit log: who did what, when, from where, to what, and with which result.

等保 2.0 asks that security events be recorded, protected from change and kept at least six
months. Each record is appended to the store's audit_log table in one transaction with the
chain head (audit_head), and carries an HMAC over its own fields and the previous record's
hash. Editing or removing any record, or the newest ones, breaks the chain, and `verify`
(also `python -m cockpit audit verify`) says where. The database refuses UPDATE and DELETE on
the table as well (a trigger made by migration 0002).

The HMAC key is the audit key (COCKPIT_AUDIT_KEY, else derived from the secret key): someone
who can write to the database but does not hold the key cannot forge a consistent chain.

Panels call `record(action, obj, result, detail)` inside a request; who and from where come
from the server-side principal and the request, never from the browser.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_request_context, request

from cockpit.store.schema import audit_head, audit_log
from cockpit.store.store import Store, StoreError

log = logging.getLogger(__name__)

GENESIS = "0" * 64  # the prev_hash of the first record
RETENTION_DAYS = 180  # 等保: at least six months; nothing in the cockpit deletes records

# Actions, as written in the log. Panels may record others (e.g. a module's own "ack").
LOGIN = "login"
LOGIN_FAILED = "login_failed"
LOGOUT = "logout"
LOCKOUT = "lockout"
DENIED = "denied"
UNMASK = "unmask"
EXPORT = "export"
SUPERVISION = "supervision"
ACKNOWLEDGE = "acknowledge"
USER_CHANGE = "user_change"
PASSWORD_CHANGE = "password_change"
SESSION_REVOKED = "session_revoked"
CALL = "call"  # a one-tap call started from the cockpit (cockpit/calls.py)
CONTACT_CHANGE = "contact_change"  # the 一键直联 directory edited or imported

_HUB_KEY = "cockpit_hub"
_FIELDS = ("seq", "at", "user_id", "role", "address", "action", "object", "result", "detail")


@dataclass(frozen=True)
class Entry:
    """One audit record as read back."""

    seq: int
    at: dt.datetime
    user_id: str
    role: str
    address: str
    action: str
    object: str
    result: str
    detail: dict[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class Verdict:
    """The result of verifying the chain: ok, how many records, and the first problem."""

    ok: bool
    records: int
    problem: str = ""
    seq: int | None = None


def audit_key(secret_key: str, explicit: str | None = None) -> bytes:
    """The HMAC key: the configured audit key, else one derived from the app's secret key."""
    if explicit:
        return explicit.encode()
    return hmac.new(secret_key.encode(), b"cockpit-audit-chain", hashlib.sha256).digest()


def _digest(key: bytes, prev_hash: str, fields: dict[str, Any]) -> str:
    """HMAC-SHA256 over the previous hash and the record's fields in a canonical form."""
    payload = json.dumps(
        [prev_hash, *(fields[name] for name in _FIELDS)],
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()


def _canonical_time(at: dt.datetime) -> str:
    """Microsecond UTC text: the same on SQLite and PostgreSQL when read back."""
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def append(
    store: Store,
    key: bytes,
    *,
    user_id: str,
    role: str,
    address: str,
    action: str,
    obj: str = "",
    result: str = "ok",
    detail: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> int:
    """Append one record to the chain in its own transaction; return its sequence number."""
    at = (at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    detail_text = json.dumps(detail or {}, ensure_ascii=False, sort_keys=True, default=str)
    with store.writing("审计记录") as conn:
        # Locking the head row queues concurrent writers (other threads, workers, hosts), so
        # each record links to the one actually before it.
        head = conn.execute(
            sa.select(audit_head.c.seq, audit_head.c.hash)
            .where(audit_head.c.id == 1)
            .with_for_update()
        ).one()
        fields = {
            "seq": head.seq + 1,
            "at": _canonical_time(at),
            "user_id": user_id[:64],
            "role": role[:32],
            "address": address[:64],
            "action": action[:32],
            "object": obj[:300],
            "result": result[:16],
            "detail": detail_text,
        }
        digest = _digest(key, head.hash, fields)
        conn.execute(
            audit_log.insert().values(**{**fields, "at": at}, prev_hash=head.hash, hash=digest)
        )
        conn.execute(
            audit_head.update().where(audit_head.c.id == 1).values(seq=fields["seq"], hash=digest)
        )
    return fields["seq"]


def verify(store: Store, key: bytes, batch: int = 5000) -> Verdict:
    """Walk the whole chain: every record's HMAC, links, sequence, and the head."""
    prev_hash, expected_seq, count = GENESIS, 1, 0
    with store.reading() as conn:
        head = conn.execute(sa.select(audit_head.c.seq, audit_head.c.hash)).one()
        last_seq = 0
        while True:
            rows = conn.execute(
                sa.select(audit_log)
                .where(audit_log.c.seq >= last_seq + 1)
                .order_by(audit_log.c.seq)
                .limit(batch)
            ).all()
            if not rows:
                break
            for row in rows:
                if row.seq != expected_seq:
                    return Verdict(False, count, f"记录 #{expected_seq} 缺失", expected_seq)
                if row.prev_hash != prev_hash:
                    return Verdict(False, count, f"记录 #{row.seq} 与前一条不衔接", row.seq)
                fields = {name: getattr(row, name) for name in _FIELDS}
                fields["at"] = _canonical_time(row.at)
                if not hmac.compare_digest(_digest(key, prev_hash, fields), row.hash):
                    return Verdict(False, count, f"记录 #{row.seq} 内容被改动", row.seq)
                prev_hash, expected_seq, count = row.hash, expected_seq + 1, count + 1
                last_seq = row.seq
    if head.seq != count or head.hash != prev_hash:
        return Verdict(False, count, f"链尾不符：应有 {head.seq} 条，现有 {count} 条", count + 1)
    return Verdict(True, count)


def entries(
    store: Store,
    *,
    action: str | None = None,
    user_id: str | None = None,
    since: dt.datetime | None = None,
    limit: int = 200,
) -> list[Entry]:
    """The newest records first, optionally of one action or user, or since a time."""
    query = sa.select(audit_log).order_by(audit_log.c.seq.desc()).limit(limit)
    if action:
        query = query.where(audit_log.c.action == action)
    if user_id:
        query = query.where(audit_log.c.user_id == user_id)
    if since is not None:
        query = query.where(audit_log.c.at >= since)
    with store.reading() as conn:
        rows = conn.execute(query).all()
    return [_entry(row) for row in rows]


def iter_all(store: Store, batch: int = 5000) -> Iterator[Entry]:
    """Every record, oldest first (for export to the city's log system)."""
    last = 0
    while True:
        with store.reading() as conn:
            rows = conn.execute(
                sa.select(audit_log)
                .where(audit_log.c.seq > last)
                .order_by(audit_log.c.seq)
                .limit(batch)
            ).all()
        if not rows:
            return
        for row in rows:
            yield _entry(row)
        last = rows[-1].seq


def _entry(row: Any) -> Entry:
    return Entry(
        seq=row.seq,
        at=row.at,
        user_id=row.user_id,
        role=row.role,
        address=row.address,
        action=row.action,
        object=row.object,
        result=row.result,
        detail=json.loads(row.detail or "{}"),
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


# -- inside a request: who and where from the server ----------------------------------------------
def record(
    action: str,
    obj: str = "",
    result: str = "ok",
    detail: dict[str, Any] | None = None,
    *,
    user_id: str | None = None,
    role: str | None = None,
) -> None:
    """Record an event of the current request: the principal and address come from the server.

    A failed write is logged loudly and re-raised: an action that must be audited must not
    go ahead silently unaudited (callers show the StoreError message).
    """
    from cockpit.scope import current_principal
    from cockpit.store import get_store

    principal = current_principal()
    hub = current_app.extensions[_HUB_KEY]
    address = (request.remote_addr or "") if has_request_context() else "local"
    try:
        append(
            get_store(hub),
            current_app.config["COCKPIT_AUDIT_KEY"],
            user_id=user_id or principal.user_id,
            role=role if role is not None else principal.role,
            address=address,
            action=action,
            obj=obj,
            result=result,
            detail=detail,
        )
    except StoreError:
        log.critical("audit record not written: %s %s %s", action, obj, result)
        raise


def try_record(
    action: str, obj: str = "", result: str = "ok", detail: dict[str, Any] | None = None
) -> bool:
    """record(), for an action already done or refused: a failed audit write must not hide the
    action's own outcome from the user. Returns False (and logs CRITICAL) when not written."""
    try:
        record(action, obj, result, detail)
    except StoreError:
        return False
    return True
