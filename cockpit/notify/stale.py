"""数据过期: a dataset later than its max age, or with data held back (cockpit/health.py),
becomes a message for the subscribers whose role opens 数据质量 (data staff, administrators).

One message per dataset and data time: told when it goes stale, not again at every tick while
it stays so; told again if it goes stale again after fresh data came in.
"""

from __future__ import annotations

from typing import Any

from cockpit import audit
from cockpit.notify.config import NotifyConfig
from cockpit.notify.outbox import Draft, publish
from cockpit.notify.subscriptions import subscriptions
from cockpit.store import get_store


def stale_drafts(report: dict[str, Any], city_code: str) -> list[Draft]:
    """A draft per dataset that is late or held back in a health report."""
    out = []
    for name, d in sorted(report["datasets"].items()):
        late = d.get("late_by_hours")
        held = d.get("held_back")
        if d.get("ok") or (late is None and not held and d.get("as_of")):
            continue  # fine, or failing for a reason the source's own health says
        if late is not None:
            body = f"数据截至 {d['as_of']}，已超过时限 {late} 小时"
        elif held:
            body = f"数据被暂扣：{held}"
        else:
            body = "没有可用数据"
        out.append(
            Draft(
                key=f"stale:{name}:{d.get('as_of') or 'none'}:{'held' if held else 'late'}",
                level=None,
                domain="数据质量",
                county_code=city_code,
                title=f"数据集 {name} 数据过期" if late is not None else f"数据集 {name} 数据异常",
                body=body[:500],
                link="/data-quality",
                topic="stale",
            )
        )
    return out


def check_stale(hub: Any, cfg: NotifyConfig, seal: audit.Seal) -> list[int]:
    """Publish a message for each dataset newly stale; returns the new ids (none without
    subscribers to the topic: the health report is not worth reading for no one)."""
    from cockpit.health import report
    from cockpit.notify.warnings import principals_of

    store = get_store(hub)
    with store.reading() as conn:
        names = {s.username for s in subscriptions(conn, topic="stale")}
    if not names:
        return []
    principals = principals_of(store, names)
    city = hub.settings.city.code
    made = []
    for draft in stale_drafts(report(hub), city):
        message_id = publish(store, seal, cfg, draft, principals, city)
        if message_id is not None:
            made.append(message_id)
    return made
