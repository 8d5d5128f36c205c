"""Messages, their fan-out to inboxes and the outbox, and delivery that never sends a row twice.

Fan-out (`publish`) writes, in one transaction: the message (once per key: a warning still in
force at the next tick is not told again), an inbox row per subscriber whose scope and filters
match, an outbox row per (message, channel, recipient), and an audit record.

Delivery (`deliver`) of one outbox row:
1. claim it: one UPDATE … WHERE state is queued and due, or claimed by someone whose lease ran
   out. Only the worker whose UPDATE changed the row goes on; it commits the claim (attempt
   counted) before sending anything.
2. send it through the channel, with the row's idempotency key;
3. mark it sent (only if still this worker's claim) with its audit record in one transaction;
   on failure, queue it again after a backoff, or after the last attempt move it to dead.

Why exactly once: two live workers never hold one row (the claim is one atomic UPDATE, and the
lease, lease_seconds, is longer than a send may take, send_timeout). A worker killed after its
claim leaves the row claimed; once the lease has run out, the sweep of the next tick claims and
sends it again with the same idempotency key. The limit: if the worker died after the receiver
accepted the request but before our commit, the receiver gets the row twice with one key; a
receiver that keeps the key (our signed webhook's X-Idempotency-Key, an SMS gateway that
de-duplicates, a mail system keeping Message-IDs) shows it once; group robots have no such key,
so that narrow window can post twice there.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from cockpit import audit
from cockpit.notify import channels as ch
from cockpit.notify.config import NotifyConfig
from cockpit.notify.subscriptions import may_be_told, subscriptions
from cockpit.notify.tables import (
    CLAIMED,
    DEAD,
    QUEUED,
    SENT,
    notify_inbox,
    notify_messages,
    notify_outbox,
)
from cockpit.store.schema import users
from cockpit.store.store import Conflict, Store, inserted_id

log = logging.getLogger(__name__)

NOTIFY = "notify"  # audit action of a message made and fanned out
NOTIFY_SEND = "notify_send"  # audit action of one delivery (ok, failed, dead)
SYSTEM_USER = "system"


@dataclass(frozen=True)
class Draft:
    """A thing to tell, before fan-out. Title and body must already be masked."""

    key: str
    level: int | None
    domain: str
    county_code: str
    title: str
    body: str
    link: str = ""
    topic: str = "warning"  # cockpit.notify.subscriptions.TOPICS


def idem_key(message_id: int, channel: str, recipient: str) -> str:
    """The idempotency key of one delivery: the same for every attempt at it."""
    text = f"{message_id}|{channel}|{recipient}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def worker_id() -> str:
    """Who is claiming: host and process."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _masked_recipient(recipient: str) -> str:
    """A recipient as the audit log keeps it: 138****5678, w***@example.cn."""
    from cockpit.domains.hotline.masking import mask_address

    return mask_address(recipient)


def publish(
    store: Store,
    seal: audit.Seal,
    cfg: NotifyConfig,
    draft: Draft,
    principals: dict[str, Any],
    city_code: str,
    recipients: tuple[str, ...] = (),
) -> int | None:
    """Make the message and fan it out; None if a message with this key exists already.

    `principals` maps username -> the user's Principal (None: unknown or disabled);
    `recipients` are told in their inbox whatever they subscribed to (a 督办 item's unit and
    the leader who opened it: the server chose them)."""
    now = _now()
    try:
        return _publish(store, seal, cfg, draft, principals, city_code, now, recipients)
    except Conflict:  # another tick published the same key at the same moment: told once
        return None


def _publish(
    store: Store,
    seal: audit.Seal,
    cfg: NotifyConfig,
    draft: Draft,
    principals: dict[str, Any],
    city_code: str,
    now: dt.datetime,
    recipients: tuple[str, ...] = (),
) -> int | None:
    with store.writing("消息") as conn:
        if conn.execute(
            sa.select(notify_messages.c.id).where(notify_messages.c.key == draft.key)
        ).first():
            return None
        message_id = inserted_id(
            conn.execute(
                notify_messages.insert().values(
                    key=draft.key,
                    topic=draft.topic,
                    level=draft.level,
                    domain=draft.domain,
                    county_code=draft.county_code,
                    title=draft.title[:300],
                    body=draft.body,
                    link=draft.link[:500],
                    created_at=now,
                )
            )
        )
        users: set[str] = set(recipients)
        deliveries: set[tuple[str, str]] = set()
        contacts = _contacts(conn)
        for sub in subscriptions(conn, topic=draft.topic):
            named = sub.username in recipients
            principal = principals.get(sub.username)
            if not may_be_told(draft.topic, principal, draft.county_code, city_code, named):
                continue
            if not sub.wants(draft.level or 0, draft.domain, draft.county_code):
                continue
            users.add(sub.username)
            for name in sub.channels:
                channel = cfg.channels.get(name)
                if channel is None:
                    log.warning("subscription %s names unknown channel %s", sub.id, name)
                    continue
                if not ch.ADAPTERS[channel.kind].needs_address:
                    deliveries.add((name, ""))
                    continue
                address = _address(channel.kind, sub.address, contacts.get(sub.username))
                if not address:
                    log.warning("subscription %s: no address for channel %s", sub.id, name)
                    continue
                deliveries.add((name, address))
        for username in sorted(users):
            conn.execute(
                notify_inbox.insert().values(
                    message_id=message_id, username=username, created_at=now
                )
            )
        for name, recipient in sorted(deliveries):
            conn.execute(
                notify_outbox.insert().values(
                    message_id=message_id,
                    channel=name,
                    recipient=recipient,
                    idem_key=idem_key(message_id, name, recipient),
                    state=QUEUED,
                    next_at=now,
                    created_at=now,
                )
            )
        written = audit.append_in(
            conn,
            seal,
            user_id=SYSTEM_USER,
            role="system",
            address="local",
            action=NOTIFY,
            obj=draft.key,
            detail={
                "message": message_id,
                "inbox": sorted(users),
                "outbox": [f"{n}:{_masked_recipient(r)}" for n, r in sorted(deliveries)],
            },
        )
    audit.anchor(seal, *written)
    return message_id


def _contacts(conn: sa.Connection) -> dict[str, sa.Row]:
    """Username -> the account's own phone and e-mail (accounts with either)."""
    rows = conn.execute(
        sa.select(users.c.username, users.c.phone, users.c.email).where(
            sa.or_(users.c.phone.is_not(None), users.c.email.is_not(None))
        )
    )
    return {r.username: r for r in rows}


def _address(kind: str, given: str, contact: sa.Row | None) -> str:
    """Where an SMS or e-mail of a subscription goes: the address the subscription gave when
    it fits the channel (a phone for SMS, an e-mail for e-mail), else the account's own."""
    given = (given or "").strip()
    if kind == "email":
        return given if "@" in given else (contact.email if contact is not None else "") or ""
    if given and "@" not in given:
        return given
    return (contact.phone if contact is not None else "") or ""


def due(store: Store, now: dt.datetime | None = None) -> list[int]:
    """Outbox rows a sweep should (re)deliver: queued and due, or claimed with a lapsed lease."""
    now = now or _now()
    with store.reading() as conn:
        return list(
            conn.execute(
                sa.select(notify_outbox.c.id)
                .where(
                    sa.or_(
                        sa.and_(notify_outbox.c.state == QUEUED, notify_outbox.c.next_at <= now),
                        sa.and_(
                            notify_outbox.c.state == CLAIMED, notify_outbox.c.claimed_until < now
                        ),
                    )
                )
                .order_by(notify_outbox.c.id)
            ).scalars()
        )


def claim(store: Store, cfg: NotifyConfig, outbox_id: int, worker: str) -> bool:
    """Take the row for this worker (committed before any send); False if not ours to send."""
    now = _now()
    with store.writing("推送认领") as conn:
        result = conn.execute(
            notify_outbox.update()
            .where(
                notify_outbox.c.id == outbox_id,
                sa.or_(
                    sa.and_(notify_outbox.c.state == QUEUED, notify_outbox.c.next_at <= now),
                    sa.and_(notify_outbox.c.state == CLAIMED, notify_outbox.c.claimed_until < now),
                ),
            )
            .values(
                state=CLAIMED,
                claimed_by=worker,
                claimed_until=now + dt.timedelta(seconds=cfg.lease_seconds),
                attempts=notify_outbox.c.attempts + 1,
            )
        )
    return result.rowcount == 1


def deliver(
    store: Store,
    seal: audit.Seal,
    cfg: NotifyConfig,
    outbox_id: int,
    places: dict[str, str],
    worker: str | None = None,
) -> str:
    """Deliver one outbox row once: 'sent', 'retry', 'dead', or 'skipped' (not ours / done)."""
    worker = worker or worker_id()
    if not claim(store, cfg, outbox_id, worker):
        return "skipped"
    with store.reading() as conn:
        row = conn.execute(
            sa.select(notify_outbox, notify_messages.c.key.label("message_key"))
            .join(notify_messages, notify_messages.c.id == notify_outbox.c.message_id)
            .where(notify_outbox.c.id == outbox_id)
        ).one()
        message = conn.execute(
            sa.select(notify_messages).where(notify_messages.c.id == row.message_id)
        ).one()
    link = f"{cfg.public_url.rstrip('/')}{message.link}" if cfg.public_url and message.link else ""
    out = ch.Outgoing(
        message_id=message.id,
        title=message.title,
        body=message.body,
        level=message.level,
        domain=message.domain,
        county_code=message.county_code,
        place=places.get(message.county_code, ""),
        link=link,
    )
    error = ""
    try:
        ch.adapter(row.channel, cfg).send(out, row.recipient, row.idem_key)
    except ch.ChannelError as exc:
        error = str(exc)[:300]
    except Exception as exc:  # a bug in an adapter must not leave the row claimed for good
        log.exception("channel %s failed", row.channel)
        error = f"{row.channel}: {type(exc).__name__}"[:300]
    now = _now()
    if not error:
        values: dict[str, Any] = {"state": SENT, "sent_at": now, "last_error": ""}
        outcome = "sent"
    elif row.attempts >= cfg.max_attempts:
        values = {"state": DEAD, "last_error": error}
        outcome = "dead"
    else:
        values = {
            "state": QUEUED,
            "last_error": error,
            "next_at": now + dt.timedelta(seconds=cfg.backoff(row.attempts)),
        }
        outcome = "retry"
    with store.writing("推送结果") as conn:
        changed = conn.execute(
            notify_outbox.update()
            .where(
                notify_outbox.c.id == outbox_id,
                notify_outbox.c.state == CLAIMED,
                notify_outbox.c.claimed_by == worker,
            )
            .values(claimed_until=None, **values)
        ).rowcount
        written = audit.append_in(
            conn,
            seal,
            user_id=SYSTEM_USER,
            role="system",
            address=worker[:64],
            action=NOTIFY_SEND,
            obj=row.message_key,
            result={"sent": "ok", "retry": "failed", "dead": "dead"}[outcome],
            detail={
                "outbox": outbox_id,
                "channel": row.channel,
                "recipient": _masked_recipient(row.recipient),
                "idem_key": row.idem_key,
                "attempt": row.attempts,
                "error": error,
                "lease_lost": changed == 0,
            },
        )
    audit.anchor(seal, *written)
    return outcome


def counts(store: Store) -> dict[str, int]:
    """Outbox rows per state (queued, claimed, sent, dead)."""
    with store.reading() as conn:
        rows = conn.execute(
            sa.select(notify_outbox.c.state, sa.func.count()).group_by(notify_outbox.c.state)
        ).all()
    return {state: 0 for state in (QUEUED, CLAIMED, SENT, DEAD)} | {s: n for s, n in rows}


def states_of(store: Store, outbox_ids: list[int]) -> dict[str, int]:
    """How many of these outbox rows are in each state (a batch's progress)."""
    counted: dict[str, int] = {}
    with store.reading() as conn:
        for start in range(0, len(outbox_ids), 500):  # bound the IN list
            part = outbox_ids[start : start + 500]
            for state, n in conn.execute(
                sa.select(notify_outbox.c.state, sa.func.count())
                .where(notify_outbox.c.id.in_(part))
                .group_by(notify_outbox.c.state)
            ).all():
                counted[state] = counted.get(state, 0) + n
    return counted


def rows(store: Store, states: tuple[str, ...], limit: int = 50) -> Sequence[sa.Row]:
    """Outbox rows in some states with their message titles, newest first (the admin list)."""
    with store.reading() as conn:
        return conn.execute(
            sa.select(notify_outbox, notify_messages.c.title)
            .join(notify_messages, notify_messages.c.id == notify_outbox.c.message_id)
            .where(notify_outbox.c.state.in_(states))
            .order_by(notify_outbox.c.id.desc())
            .limit(limit)
        ).all()
