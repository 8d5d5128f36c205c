"""Health and freshness: is each source answering, and is each dataset as fresh as it must be?
And is the shared cache answering?

Also: has a dataset's data been held back, or flagged by the data check? A sync-mode dataset whose last run refused a
batch, failed or left rows quarantined, and a file drop refused (truncated, manifest
mismatch) or with rows quarantined, is not ok: nothing set aside goes unreported.

Served as JSON at /healthz for monitoring, and printed by `python -m cockpit check`.
`ok` (200 or 503) is about the sources and datasets: a cache outage only makes answers slower
(they are computed), so it makes the report "degraded" and names the cache, but does not take
the host out of a load balancer, which would turn a slow Redis into an outage of every host.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from cockpit.formatting import as_of as as_of_text
from cockpit.hub import DataHub
from cockpit.scope import HEALTH_CHECK, acting_as
from cockpit.validation import city_now


def report(hub: DataHub, now: dt.datetime | None = None) -> dict[str, Any]:
    """Each source's health and each dataset's freshness; `ok` is false if anything is wrong."""
    now = now or city_now(hub.settings.city.timezone)  # data is stamped in the city's zone
    sources = {}
    for name, source in hub.sources.items():
        health = source.health()
        sources[name] = {
            "kind": source.kind,
            "ok": health.ok,
            "message": health.message,
            "demo": source.is_demo,
        }
    datasets = {}
    with acting_as(HEALTH_CHECK):
        stamps = {
            name: hub.as_of(name) if sources[hub.settings.datasets[name].source]["ok"] else None
            for name in hub.settings.datasets
        }
    held = held_back(hub)
    for name in hub.settings.datasets:
        source_name = hub.settings.datasets[name].source
        stamp = stamps[name]
        max_age = hub.max_age(name)
        late = None
        if stamp is not None and max_age is not None and now - stamp > max_age:
            late = now - stamp - max_age
        fresh_known = hub.contract(name).freshness_column is not None
        datasets[name] = {
            "source": source_name,
            "as_of": stamp.isoformat(timespec="minutes") if stamp else None,
            "max_age_hours": None if max_age is None else max_age.total_seconds() / 3600,
            "late_by_hours": None if late is None else round(late.total_seconds() / 3600, 1),
            "ok": sources[source_name]["ok"]
            and late is None
            and (stamp is not None or not fresh_known)
            and name not in held,
            "held_back": held.get(name),
            **hub.row_counts(name),
        }
    ok = all(s["ok"] for s in sources.values()) and all(d["ok"] for d in datasets.values())
    cache = cache_report(hub)
    return {
        "ok": ok,
        "status": "ok" if ok and cache["ok"] else "degraded",
        "checked_at": now.isoformat(timespec="seconds"),
        "cache": cache,
        "sources": sources,
        "datasets": datasets,
    }


def held_back(hub: DataHub) -> dict[str, str]:
    """Datasets with rows quarantined or a batch refused, or figures flagged by the data check
    (counties that do not add up): dataset -> one line saying what."""
    from cockpit.sync import problems

    found = problems(hub.settings)
    for name in hub.settings.datasets:
        # A sync-mode dataset's source is read by the sync, whose status says it; the hub
        # still checks what it shows (read_whole datasets: county sums).
        noted = hub.data_notice(name, detail=True)
        if noted:
            found[name] = "；".join(x for x in (found.get(name), noted) if x)
    return found


def cache_report(hub: DataHub) -> dict[str, Any]:
    """The shared cache: its kind, where it is (no password), and whether it answers."""
    if hub.cache is None:
        return {"type": "none", "name": "", "ok": True, "message": "未启用缓存"}
    health = hub.cache.health()
    return {"type": health.type, "name": health.name, "ok": health.ok, "message": health.message}


def lines(data: dict[str, Any]) -> list[str]:
    """The report as lines for a terminal."""
    out = ["数据源 sources:"]
    for name, s in data["sources"].items():
        flag = "正常" if s["ok"] else "异常"
        out.append(
            f"  {'✓' if s['ok'] else '✗'} {name:<12} {s['kind']:<6} {flag} {s['message']}"
            + ("（演示数据）" if s["demo"] else "")
        )
    out.append("数据集 datasets:")
    for name, d in data["datasets"].items():
        stamp = as_of_text(dt.datetime.fromisoformat(d["as_of"])) if d["as_of"] else "未知"
        late = f" 已超期{d['late_by_hours']:g}小时" if d["late_by_hours"] else ""
        held = f" {d['held_back']}" if d.get("held_back") else ""
        out.append(f"  {'✓' if d['ok'] else '✗'} {name:<26} 数据截至 {stamp}{late}{held}")
    cache = data["cache"]
    out.append(
        f"缓存 cache:\n  {'✓' if cache['ok'] else '✗'} {cache['type']:<10} {cache['name']} "
        + ("正常" if cache["ok"] else cache["message"])
    )
    out.append("全部正常" if data["ok"] and cache["ok"] else "存在异常")
    return out
