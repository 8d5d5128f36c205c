"""The audit log: who did what, when, from where, to what, and with which result.

等保 2.0 asks that security events be recorded, protected from change and kept at least six
months. Each record is appended to the store's audit_log table in one transaction with the
chain head (audit_head), and carries an HMAC over its own fields and the previous record's
hash. Editing or removing any record, or the newest ones, breaks the chain, and `verify`
(also `python -m cockpit audit verify`) says where. The database refuses UPDATE and DELETE on
the table as well (a trigger made by migration 0002).

The HMAC key is the audit key (COCKPIT_AUDIT_KEY, else derived from the secret key): someone
who can write to the database but does not hold the key cannot forge a consistent chain. The
HMAC is SHA-256, or SM3 (GB/T 32905, 商用密码) by configuration; each record says which.

Someone with the database can still cut the chain's end off (or empty it) and set the head
back to match. So the head is also written outside the database after each record: a line
in an append-only anchor file (and, optionally, to syslog), sealed with the same key.
`verify` checks every anchored head against the database: a record the anchor saw that is
gone or different means the log was truncated, wiped or rewritten.

Panels call `record(action, obj, result, detail)` inside a request; who and from where come
from the server-side principal and the request, never from the browser.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import os
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
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
    # False when no anchor is configured: then a cut-off end cannot be told from a short log.
    anchored: bool = True


@dataclass(frozen=True)
class Seal:
    """How the chain is sealed: the key, the HMAC for new records, and where the head is also
    written (an anchor file, syslog); verify reads each record's own algorithm."""

    key: bytes
    algorithm: str = "sha256"
    anchor: Path | None = None
    syslog: str = ""


def audit_key(secret_key: str, explicit: str | None = None) -> bytes:
    """The HMAC key: the configured audit key, else one derived from the app's secret key."""
    if explicit:
        return explicit.encode()
    return hmac.new(secret_key.encode(), b"cockpit-audit-chain", hashlib.sha256).digest()


def anchor_path(settings: Any, store: Store) -> Path | None:
    """Where the chain's head is written outside the database (None: nowhere, "off")."""
    configured = settings.security.audit_anchor
    if configured == "off":
        return None
    if configured != "auto":
        return settings.path(configured)
    database = store.url.database if store.url.get_backend_name() == "sqlite" else None
    if database and database != ":memory:":
        # Beside the database file, so each database keeps its own anchor (tests, copies).
        return Path(database).with_name(Path(database).name + ".audit-anchor")
    if store.url.get_backend_name() == "sqlite":
        return None  # an in-memory database has nothing to anchor across processes
    return settings.path("instance/audit-anchor.log")


def seal_for(settings: Any, store: Store, key: bytes | None = None) -> Seal:
    """The configured seal of this store's chain (the key from the settings unless given)."""
    if key is None:
        from cockpit.factory import secret_key

        key = audit_key(secret_key(settings), settings.audit_key)
    security = settings.security
    return Seal(key, security.audit_hmac, anchor_path(settings, store), security.audit_syslog)


def _as_seal(seal: Seal | bytes) -> Seal:
    """A bare key (tests, older callers): SHA-256, no anchor."""
    return seal if isinstance(seal, Seal) else Seal(seal)


def hmac_available(algorithm: str) -> bool:
    """Can this process compute the HMAC (SM3 needs an OpenSSL that has it)?"""
    try:
        _mac(algorithm, b"k", b"x")
    except (ValueError, ImportError) as exc:
        log.warning("HMAC %s not available: %s", algorithm, exc)
        return False
    return True


def _mac(algorithm: str, key: bytes, data: bytes) -> str:
    """HMAC-SHA256 (hashlib), or HMAC-SM3 (cryptography's OpenSSL), as hex."""
    if algorithm == "sha256":
        return hmac.new(key, data, hashlib.sha256).hexdigest()
    if algorithm == "sm3":
        from cryptography.exceptions import UnsupportedAlgorithm
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives import hmac as crypto_hmac

        try:
            mac = crypto_hmac.HMAC(key, hashes.SM3())
        except UnsupportedAlgorithm as exc:
            raise ValueError(str(exc)) from None
        mac.update(data)
        return mac.finalize().hex()
    raise ValueError(f"unknown HMAC {algorithm!r} (sha256 or sm3)")


def _digest(key: bytes, prev_hash: str, fields: dict[str, Any], algorithm: str = "sha256") -> str:
    """The HMAC over the previous hash and the record's fields in a canonical form."""
    payload = json.dumps(
        [prev_hash, *(fields[name] for name in _FIELDS)],
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return _mac(algorithm, key, payload.encode())


def _canonical_time(at: dt.datetime) -> str:
    """Microsecond UTC text: the same on SQLite and PostgreSQL when read back."""
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def append(
    store: Store,
    seal: Seal | bytes,
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
    """Append one record to the chain in its own transaction; return its sequence number.

    `seal` is a Seal (or a bare key: SHA-256, no anchor). After the commit the new head is
    written to the anchor file (and syslog); a failed anchor write raises StoreError."""
    seal = _as_seal(seal)
    with store.writing("审计记录") as conn:
        seq, digest = append_in(
            conn,
            seal,
            user_id=user_id,
            role=role,
            address=address,
            action=action,
            obj=obj,
            result=result,
            detail=detail,
            at=at,
        )
    # After the commit: an anchor must never name a record that was rolled back. Writers on
    # other workers may land their lines in another order; verify does not mind.
    _anchor(seal, seq, digest)
    return seq


def append_in(
    conn: sa.Connection,
    seal: Seal | bytes,
    *,
    user_id: str,
    role: str,
    address: str,
    action: str,
    obj: str = "",
    result: str = "ok",
    detail: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> tuple[int, str]:
    """Append one record inside the caller's transaction, so that it commits or rolls back
    with what it records (an action is never saved unaudited, nor audited unsaved). Returns
    (sequence number, hash); the caller anchors them after its commit (`anchor`)."""
    seal = _as_seal(seal)
    at = (at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    detail_text = json.dumps(detail or {}, ensure_ascii=False, sort_keys=True, default=str)
    # Locking the head row queues concurrent writers (other threads, workers, hosts), so each
    # record links to the one actually before it.
    head = conn.execute(
        sa.select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1).with_for_update()
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
    digest = _digest(seal.key, head.hash, fields, seal.algorithm)
    conn.execute(
        audit_log.insert().values(
            **{**fields, "at": at}, prev_hash=head.hash, hash=digest, alg=seal.algorithm
        )
    )
    conn.execute(
        audit_head.update().where(audit_head.c.id == 1).values(seq=fields["seq"], hash=digest)
    )
    return fields["seq"], digest


def anchor(seal: Seal | bytes, seq: int, digest: str) -> None:
    """Write a committed head (from append_in) to the anchor file and syslog."""
    _anchor(_as_seal(seal), seq, digest)


def _anchor_line(seal: Seal, seq: int, digest: str) -> str:
    """One sealed line naming the head: a line without the key cannot be forged."""
    at = _canonical_time(dt.datetime.now(dt.UTC))
    mac = _mac(seal.algorithm, seal.key, f"anchor|{seq}|{digest}|{seal.algorithm}|{at}".encode())
    body = {"seq": seq, "hash": digest, "alg": seal.algorithm, "at": at, "mac": mac}
    return json.dumps(body, separators=(",", ":")) + "\n"


def _anchor(seal: Seal, seq: int, digest: str) -> None:
    """Write the new head to the anchor file (O_APPEND: one write, one line) and syslog."""
    if seal.anchor is None and not seal.syslog:
        return
    line = _anchor_line(seal, seq, digest)
    try:
        if seal.anchor is not None:
            seal.anchor.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(seal.anchor, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line.encode())
            finally:
                os.close(fd)
        if seal.syslog:
            _to_syslog(seal.syslog, line.strip())
    except OSError as exc:
        log.critical("audit anchor not written (record #%s): %s", seq, exc)
        raise StoreError("审计日志外部锚点写入失败，请联系系统管理员") from exc


def _to_syslog(address: str, line: str) -> None:
    """Send one anchor line to syslog: a socket path ("/dev/log") or "host:port" over UDP."""
    import logging.handlers

    if address.startswith("/"):
        target: str | tuple[str, int] = address
    else:
        host, _, port = address.rpartition(":")
        target = (host.strip("[]") or "127.0.0.1", int(port or 514))
    handler = logging.handlers.SysLogHandler(
        address=target, facility=logging.handlers.SysLogHandler.LOG_AUTHPRIV
    )
    try:
        message = f"cockpit-audit: {line}"
        handler.emit(logging.LogRecord("cockpit.audit", logging.INFO, "", 0, message, None, None))
    finally:
        handler.close()


def verify(store: Store, seal: Seal | bytes, batch: int = 5000) -> Verdict:
    """Walk the whole chain (every record's HMAC, links, sequence, the head), then compare it
    with every head the anchor file saw, so a truncated or wiped log fails too."""
    seal = _as_seal(seal)
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
                try:
                    expected = _digest(seal.key, prev_hash, fields, row.alg)
                except ValueError:
                    return Verdict(
                        False, count, f"记录 #{row.seq} 的算法 {row.alg} 不可用", row.seq
                    )
                if not hmac.compare_digest(expected, row.hash):
                    return Verdict(False, count, f"记录 #{row.seq} 内容被改动", row.seq)
                prev_hash, expected_seq, count = row.hash, expected_seq + 1, count + 1
                last_seq = row.seq
    if head.seq != count or head.hash != prev_hash:
        return Verdict(False, count, f"链尾不符：应有 {head.seq} 条，现有 {count} 条", count + 1)
    if seal.anchor is None:
        return Verdict(True, count, anchored=False)
    problem, seq = _check_anchors(store, seal, count, batch)
    return Verdict(not problem, count, problem, seq)


def _check_anchors(store: Store, seal: Seal, records: int, batch: int) -> tuple[str, int | None]:
    """Every head in the anchor file must be in the database with the same hash."""
    path = seal.anchor
    if path is None or not path.exists():
        if records == 0:
            return "", None
        return f"外部锚点文件 {path} 不存在，无法确认日志未被截断", None
    anchored = 0
    with path.open("r", encoding="utf-8") as handle:
        for chunk in _anchor_chunks(handle, batch):
            heads: dict[int, str] = {}
            for number, line in chunk:
                seq, digest = _read_anchor(seal, line)
                if seq is None:
                    return f"外部锚点文件第 {number} 行无效（被改动或伪造）", None
                if heads.get(seq, digest) != digest:
                    return f"外部锚点对记录 #{seq} 有两个不同的哈希：日志曾被重写", seq
                heads[seq] = digest
            anchored += len(heads)
            # Looked up now, not taken from the walk: a record appended (and anchored) while
            # verify ran is in the database, and must not read as a truncation.
            with store.reading() as conn:
                stored = dict(
                    conn.execute(
                        sa.select(audit_log.c.seq, audit_log.c.hash).where(
                            audit_log.c.seq.in_(list(heads))
                        )
                    ).all()
                )
            for seq in sorted(heads):
                if seq not in stored:
                    return (
                        f"日志被截断：外部锚点记有第 {seq} 条，数据库中已没有（现有 {records} 条）",
                        seq,
                    )
                if stored[seq] != heads[seq]:
                    return f"记录 #{seq} 与外部锚点不符：日志被截断后重写", seq
    if records and not anchored:
        return f"外部锚点文件 {path} 为空，无法确认日志未被截断", None
    return "", None


def _anchor_chunks(handle: Any, batch: int) -> Iterator[list[tuple[int, str]]]:
    """The file's complete lines (numbered from 1) in lists of `batch`; a last line still
    being written by another worker has no newline yet and is left for next time."""
    chunk: list[tuple[int, str]] = []
    for number, line in enumerate(handle, start=1):
        if not line.endswith("\n"):
            break
        chunk.append((number, line))
        if len(chunk) == batch:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _read_anchor(seal: Seal, line: str) -> tuple[int | None, str]:
    """(seq, hash) of a sealed anchor line; (None, "") when it is not one of ours."""
    try:
        body = json.loads(line)
        seq, digest, algorithm, at = body["seq"], body["hash"], body["alg"], body["at"]
        expected = _mac(algorithm, seal.key, f"anchor|{seq}|{digest}|{algorithm}|{at}".encode())
    except (ValueError, KeyError, TypeError):
        return None, ""
    if not isinstance(seq, int) or not hmac.compare_digest(expected, str(body.get("mac"))):
        return None, ""
    return seq, digest


def printable(text: object) -> str:
    """Text safe to print one record per line: control characters (newline, tab, escape,
    bidi overrides...) shown as \\x.. / \\u.... so a value cannot fake another line."""
    out = []
    for char in str(text):
        if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") or char == "\\":
            out.append(char.encode("unicode_escape").decode("ascii"))
        else:
            out.append(char)
    return "".join(out)


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
        store = get_store(hub)
        append(
            store,
            seal_for(hub.settings, store, current_app.config["COCKPIT_AUDIT_KEY"]),
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


@dataclass
class InTransaction:
    """An audit record of the current request written in the transaction of what it records:
    `write(conn, **more_detail)` inside it, `anchor()` after the commit."""

    action: str
    obj: str
    detail: dict[str, Any]
    written: tuple[int, str] | None = None

    def write(self, conn: sa.Connection, **more: Any) -> None:
        """Append the record (with `more` detail) in `conn`'s transaction."""
        from cockpit.scope import current_principal

        principal = current_principal()
        hub = current_app.extensions[_HUB_KEY]
        self.written = append_in(
            conn,
            _request_seal(hub),
            user_id=principal.user_id,
            role=principal.role,
            address=(request.remote_addr or "") if has_request_context() else "local",
            action=self.action,
            obj=self.obj,
            detail={**self.detail, **more},
        )

    def anchor(self) -> None:
        """After the commit: the record's head to the anchor file (nothing if none written)."""
        if self.written is not None:
            anchor(_request_seal(current_app.extensions[_HUB_KEY]), *self.written)


def _request_seal(hub: Any) -> Seal:
    from cockpit.store import get_store

    return seal_for(hub.settings, get_store(hub), current_app.config["COCKPIT_AUDIT_KEY"])


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
