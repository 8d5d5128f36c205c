"""一键直联's demo-data slice: the duty roster and a directory of the people the other modules'
demo data name (task leaders, lead units, the units responsible for warnings)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from cockpit.demo_kit import DemoContext, Table, mobile, person
from cockpit.domains.key_work.demo import CO_UNITS, LEADERS, TASK_TEMPLATES
from cockpit.domains.risk.demo import RISK_UNITS


def duty_roster(
    rng: np.random.Generator, end: dt.date, ahead: np.random.Generator, until: dt.date
) -> pd.DataFrame:
    """Who is on duty each day: a month back and a week ahead of the data's end, and on to
    `until`, as a roster is planned ahead.

    The days after the first week ahead draw from `ahead`, a generator of their own, so the
    rest of the demo data is the same whatever day it is generated on."""
    days = [end + dt.timedelta(days=offset) for offset in range(-30, 8)]
    later = [end + dt.timedelta(days=n) for n in range(8, (until - end).days + 1)]
    return pd.DataFrame(
        [*_duty_rows(rng, days), *_duty_rows(ahead, later)],
        columns=["duty_date", "role", "name", "post", "phone"],
    )


def _duty_rows(rng: np.random.Generator, days: list[dt.date]) -> list[dict]:
    rows = []
    for day in days:
        for role, post in (
            ("值班领导", "副市长"),
            ("带班领导", "市政府副秘书长"),
            ("值班员", "市应急管理局干部"),
        ):
            rows.append(
                {
                    "duty_date": pd.Timestamp(day),
                    "role": role,
                    "name": person(rng),
                    "post": post,
                    "phone": mobile(rng),
                }
            )
    return rows


def contacts(
    rng: np.random.Generator, city_code: str, counties: list[str], names: dict[str, str]
) -> pd.DataFrame:
    """A directory of city leaders, department heads and county leaders (synthetic people).

    It holds the people and units the other demo tables name (the leaders and lead units of key
    tasks, the units responsible for warnings), so 一键直联 finds a responsible person for each."""
    rows = [(name, post, "市人民政府", city_code) for name, post in (_split(x) for x in LEADERS)]
    rows += [(person(rng), post, "市人民政府", city_code) for post in ("市长", "秘书长")]
    units = sorted(
        {u for _s, _t, u in TASK_TEMPLATES}
        | set(RISK_UNITS.values())
        | set(CO_UNITS)
        | {"市统计局", "市12345热线中心", "市预警信息发布中心"}
    )
    rows += [(person(rng), "局长（主任）", org, city_code) for org in units]
    for code in counties:
        for org, post in (("人民政府", "县（区）长"), ("应急管理局", "局长"), ("住建局", "局长")):
            rows.append((person(rng), post, f"{names[code]}{org}", code))
    return pd.DataFrame(
        [
            {
                "contact_id": f"TX{i:04d}",
                "name": name,
                "post": post,
                "org": org,
                "county_code": code,
                "office_phone": f"0355-{rng.integers(2000000, 8999999)}",
                "mobile": mobile(rng),
            }
            for i, (name, post, org, code) in enumerate(rows)
        ]
    )


def _split(leader: str) -> tuple[str, str]:
    """'王建国 副市长' -> ('王建国', '副市长')."""
    name, _, post = leader.partition(" ")
    return name, post


def tables(ctx: DemoContext) -> dict[str, Table]:
    """contacts.duty_roster and contacts.directory, drawn from the shared stream.

    The roster reaches a week past the later of the data's end and today: a demo on data that
    ends in the past (tests, benchmarks) still has today's duty to show and call. Its days
    after the data's first week ahead come from a stream of their own."""
    until = max(ctx.end_date, ctx.today) + dt.timedelta(days=7)
    return {
        "duty_roster": duty_roster(ctx.rng, ctx.end_date, ctx.stream(7), until),
        "contacts": contacts(ctx.rng, ctx.city_code, ctx.counties, ctx.names),
    }
