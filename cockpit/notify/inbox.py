"""站内消息: a user's inbox, its unread count (shown in the header) and marking read."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from cockpit.notify.tables import notify_inbox, notify_messages
from cockpit.store.store import Store


@dataclass(frozen=True)
class InboxItem:
    """One message as a user sees it."""

    id: int
    title: str
    body: str
    level: int | None
    domain: str
    county_code: str
    link: str
    created_at: dt.datetime
    read: bool


def unread_count(store: Store, username: str) -> int:
    """How many of the user's messages are unread."""
    with store.reading() as conn:
        return conn.execute(
            sa.select(sa.func.count())
            .select_from(notify_inbox)
            .where(notify_inbox.c.username == username, notify_inbox.c.read_at.is_(None))
        ).scalar_one()


def items(store: Store, username: str, limit: int = 100) -> list[InboxItem]:
    """The user's newest messages first."""
    query = (
        sa.select(notify_inbox.c.id, notify_inbox.c.read_at, notify_messages)
        .join(notify_messages, notify_messages.c.id == notify_inbox.c.message_id)
        .where(notify_inbox.c.username == username)
        .order_by(notify_inbox.c.id.desc())
        .limit(limit)
    )
    with store.reading() as conn:
        rows = conn.execute(query).all()
    return [
        InboxItem(
            id=r[0],
            title=r.title,
            body=r.body,
            level=r.level,
            domain=r.domain,
            county_code=r.county_code,
            link=r.link,
            created_at=r.created_at,
            read=r.read_at is not None,
        )
        for r in rows
    ]


def mark_all_read(store: Store, username: str) -> int:
    """Mark every unread message of the user read; returns how many."""
    with store.writing("标为已读") as conn:
        return conn.execute(
            notify_inbox.update()
            .where(notify_inbox.c.username == username, notify_inbox.c.read_at.is_(None))
            .values(read_at=dt.datetime.now(dt.UTC))
        ).rowcount
