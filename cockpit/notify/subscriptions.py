"""Subscriptions: what each user asked to be told, and whether a warning matches, within scope.

The scope is the user's own, read from the accounts table when a message is fanned out (never
from what the subscription says): a county user who subscribed to another county's warnings,
or to the city's own, is told nothing of them. A subscription can only narrow.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from cockpit.notify.tables import notify_subscriptions
from cockpit.scope import Principal
from cockpit.store.store import Store, inserted_id

# What one can subscribe to: warnings (by level, domain, county) and the daily 要情专报 of the
# city (whole-city users: it is the city's briefing).
# 数据过期: a dataset late or held back (cockpit/health.py), for those who may open 数据质量.
# 督办事项: the events of 督办 items (new, replies, escalations, 退回, 办结确认) for those they
# concern: a unit account its unit's items, a leader those they opened or lead (牵头领导), a
# county account its county's (cockpit/domains/key_work/duban.py names the first two; see may_be_told).
TOPICS = {"warning": "预警", "briefing": "每日要情专报", "stale": "数据过期", "duban": "督办事项"}


def _csv(values: Iterable[object] | None) -> str:
    return ",".join(str(v).strip() for v in (values or ()) if str(v).strip())


def _split(text: str) -> tuple[str, ...]:
    return tuple(v for v in (text or "").split(",") if v)


@dataclass(frozen=True)
class Subscription:
    """One user's wish: warning levels, domains and counties (empty = any), and channels."""

    id: int
    username: str
    topic: str  # a key of TOPICS
    levels: tuple[int, ...]
    domains: tuple[str, ...]
    counties: tuple[str, ...]
    channels: tuple[str, ...]  # besides the inbox, which every subscription has
    address: str  # phone or e-mail for sms / email channels

    def wants(self, level: int, domain: str, county_code: str) -> bool:
        """Does the warning pass this subscription's own filters (scope is checked apart)?"""
        return (
            (not self.levels or level in self.levels)
            and (not self.domains or domain in self.domains)
            and (not self.counties or county_code in self.counties)
        )


def in_scope(principal: Principal | None, county_code: str, city_code: str) -> bool:
    """May this user be told of something in `county_code` (the city's own: whole-city users)?"""
    if principal is None:
        return False
    if county_code == city_code:
        return principal.whole_city
    return principal.allows(county_code)


def may_be_told(
    topic: str,
    principal: Principal | None,
    county_code: str,
    city_code: str,
    named: bool = False,
) -> bool:
    """Is this user in the audience of a message: within their scope for warnings and the
    briefing; for a dataset going stale, those whose role opens 数据质量; for a 督办 item,
    those the server named (`named`: the item's unit accounts, the leader who opened it, its
    牵头领导) and
    the county accounts of its county (no unit account of another unit, no other leader)."""
    if principal is None:
        return False
    if topic == "duban":
        if named:
            return True
        return principal.unit is None and not principal.whole_city and principal.allows(county_code)
    if topic == "stale":
        from cockpit.security.roles import may_open

        return may_open(principal.role, "data_quality")
    return in_scope(principal, county_code, city_code)


def topics_for(principal: Principal) -> dict[str, str]:
    """The topics this user may subscribe to."""
    from cockpit.security.roles import may_open

    return {
        key: name
        for key, name in TOPICS.items()
        if key in ("warning", "duban")
        or (key == "briefing" and principal.whole_city)
        or (key == "stale" and may_open(principal.role, "data_quality"))
    }


def subscribe(
    store: Store,
    username: str,
    *,
    levels: Iterable[int] = (),
    domains: Iterable[str] = (),
    counties: Iterable[str] = (),
    channels: Iterable[str] = (),
    address: str = "",
    topic: str = "warning",
) -> int:
    """Add a subscription (warnings, or the daily briefing); returns its id."""
    if topic not in TOPICS:
        raise ValueError(f"unknown topic {topic!r}")
    with store.writing("订阅") as conn:
        return inserted_id(
            conn.execute(
                notify_subscriptions.insert().values(
                    username=username,
                    topic=topic,
                    levels=_csv(levels),
                    domains=_csv(domains),
                    counties=_csv(counties),
                    channels=_csv(channels),
                    address=address.strip(),
                    created_at=dt.datetime.now(dt.UTC),
                )
            )
        )


def unsubscribe(store: Store, username: str, subscription_id: int) -> bool:
    """Remove one of the user's own subscriptions."""
    with store.writing("退订") as conn:
        result = conn.execute(
            notify_subscriptions.delete().where(
                notify_subscriptions.c.id == subscription_id,
                notify_subscriptions.c.username == username,
            )
        )
    return result.rowcount == 1


def subscriptions(
    conn: sa.Connection, username: str | None = None, topic: str | None = "warning"
) -> list[Subscription]:
    """Every subscription of a topic (None: all topics), or one user's, oldest first."""
    query = sa.select(notify_subscriptions)
    if topic is not None:
        query = query.where(notify_subscriptions.c.topic == topic)
    if username is not None:
        query = query.where(notify_subscriptions.c.username == username)
    return [
        Subscription(
            id=r.id,
            username=r.username,
            topic=r.topic,
            levels=tuple(int(v) for v in _split(r.levels)),
            domains=_split(r.domains),
            counties=_split(r.counties),
            channels=_split(r.channels),
            address=r.address,
        )
        for r in conn.execute(query.order_by(notify_subscriptions.c.id))
    ]
