"""Emergency's demo-data slice: events with their timelines, and rescue resources by county."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cockpit.demo_kit import SUBDISTRICTS, DemoContext, Table, mobile, person, point_in

_EVENT_TYPES = {
    "自然灾害": ["暴雨洪涝", "地质灾害", "森林火灾", "冰雹"],
    "事故灾难": ["道路交通事故", "火灾", "煤矿事故", "危化品泄漏", "燃气爆炸"],
    "公共卫生事件": ["食物中毒", "传染病疫情"],
    "社会安全事件": ["群体性事件", "重大刑事案件"],
}


def emergency_events(
    rng: np.random.Generator,
    counties: list[str],
    names: dict[str, str],
    shapes: dict[str, Any],
    start_year: int,
    end: pd.Timestamp,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Events since start_year (three still active) and the timeline of each."""
    start = pd.Timestamp(start_year, 1, 1)
    n = 320
    span = (end - start).total_seconds()
    occurred = sorted(start + pd.to_timedelta(rng.uniform(0, span - 3 * 86400, n - 3), unit="s"))
    occurred += [end - pd.Timedelta(hours=h) for h in (30, 7, 1.5)]  # the active ones
    categories = list(_EVENT_TYPES)
    rows, lines = [], []
    for i, at in enumerate(occurred):
        at = at.floor("min")
        category = categories[int(rng.choice(4, p=[0.3, 0.5, 0.1, 0.1]))]
        etype = _EVENT_TYPES[category][rng.integers(len(_EVENT_TYPES[category]))]
        level = int(rng.choice([1, 2, 3, 4], p=[0.01, 0.04, 0.2, 0.75]))
        code = counties[rng.integers(len(counties))]
        lon, lat = point_in(shapes[code], rng)
        active = i >= n - 3
        reported = at + pd.Timedelta(minutes=int(rng.integers(3, 40)))
        closed = None if active else reported + pd.Timedelta(hours=float(rng.uniform(3, 96)))
        status = ("接报" if i == n - 1 else "处置中") if active else "已结束"
        deaths = int(rng.poisson({1: 12, 2: 4, 3: 1.2, 4: 0.1}[level]))
        injuries = int(rng.poisson({1: 40, 2: 15, 3: 5, 4: 1}[level]))
        place = f"{names[code]}{SUBDISTRICTS[i % 9]}{'街道' if i % 2 else '镇'}"
        event_id = f"SJ{at:%Y%m%d}{i:04d}"
        steps = [
            (
                "接报",
                reported,
                f"{place}发生{etype}，{names[code]}应急管理局报告。",
                f"{names[code]}应急管理局",
            ),
            (
                "指令",
                reported + pd.Timedelta(minutes=20),
                "市领导指示：全力救治伤员，防止次生灾害。",
                "市应急指挥中心",
            ),
            (
                "处置",
                reported + pd.Timedelta(minutes=70),
                "救援队伍到达现场，开展处置。",
                f"{names[code]}消防救援大队",
            ),
            (
                "续报",
                reported + pd.Timedelta(hours=3),
                f"已造成{deaths}人死亡、{injuries}人受伤。",
                f"{names[code]}人民政府",
            ),
        ]
        for kind, when, text, by in steps:
            if when <= (closed or end):
                lines.append(
                    {
                        "event_id": event_id,
                        "at": when.floor("min"),
                        "entry_kind": kind,
                        "text": text,
                        "by": by,
                        "county_code": code,
                    }
                )
        rows.append(
            {
                "event_id": event_id,
                "title": f"{names[code]}{etype}",
                "category": category,
                "event_type": etype,
                "level": level,
                "occurred_at": at,
                "reported_at": reported,
                "county_code": code,
                "place": place,
                "lon": lon,
                "lat": lat,
                "deaths": deaths,
                "injuries": injuries,
                "status": status,
                "closed_at": closed,
                "response_level": level if level <= 3 else None,
                "updated_at": max(x[1] for x in steps if x[1] <= (closed or end)).floor("min"),
            }
        )
    events = pd.DataFrame(rows)
    events["closed_at"] = pd.to_datetime(events["closed_at"])
    events["response_level"] = events["response_level"].astype("Int64")
    return events, pd.DataFrame(lines)


def emergency_resources(
    rng: np.random.Generator,
    counties: list[str],
    names: dict[str, str],
    shapes: dict[str, Any],
    end: pd.Timestamp,
) -> pd.DataFrame:
    """Rescue teams, warehouses, shelters and hospital beds in every county."""
    kinds = [
        ("救援队伍", "应急救援队", (40, 120), "人"),
        ("物资仓库", "应急物资储备库", (2000, 20000), "件"),
        ("避难场所", "应急避难场所", (500, 8000), "人"),
        ("医疗床位", "人民医院", (200, 1500), "张"),
    ]
    rows: list[dict[str, Any]] = []
    for code in counties:
        for kind, suffix, (low, high), unit in kinds:
            for k in range(int(rng.integers(1, 4))):
                lon, lat = point_in(shapes[code], rng)
                capacity = float(rng.integers(low, high))
                rows.append(
                    {
                        "resource_id": f"ZY{code}{len(rows):04d}",
                        "kind": kind,
                        "name": f"{names[code]}{'第' + str(k + 1) if k else ''}{suffix}",
                        "county_code": code,
                        "lon": lon,
                        "lat": lat,
                        "capacity": capacity,
                        "available": float(round(capacity * rng.uniform(0.55, 1.0))),
                        "unit": unit,
                        "contact": person(rng),
                        "phone": mobile(rng),
                        "updated_at": end.floor("h"),
                    }
                )
    return pd.DataFrame(rows)


def tables(ctx: DemoContext) -> dict[str, Table]:
    """emergency.events, .timeline and .resources, drawn from the shared stream in that order."""
    events, timeline = emergency_events(
        ctx.rng, ctx.counties, ctx.names, ctx.shapes, ctx.start_year, ctx.end
    )
    return {
        "emergency_events": events,
        "emergency_timeline": timeline,
        "emergency_resources": emergency_resources(
            ctx.rng, ctx.counties, ctx.names, ctx.shapes, ctx.end
        ),
    }
