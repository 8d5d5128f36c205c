"""Risk's demo-data slice: warnings since the start year at four levels, the recent ones in force."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cockpit.demo_kit import SUBDISTRICTS, DemoContext, Table, point_in

_RISK_TYPES = {
    "安全生产": ["煤矿瓦斯浓度超限", "危化品储罐压力异常", "重大危险源监测报警"],
    "自然灾害": ["暴雨蓝色预警", "地质灾害隐患点位移", "森林火险等级升高", "大风降温"],
    "生态环境": ["PM2.5 浓度超标", "河流断面水质超标", "重点污染源在线监测超标"],
    "公共卫生": ["流感样病例聚集", "食源性疾病聚集"],
    "金融": ["疑似非法集资线索", "地方债务偿付压力"],
    "社会稳定": ["群体性上访苗头", "网络舆情热度上升"],
    "城市运行": ["燃气管网压力异常", "供水管网爆管风险", "道路塌陷隐患"],
}
RISK_UNITS = {
    "安全生产": "市应急管理局",
    "自然灾害": "市应急管理局",
    "生态环境": "市生态环境局",
    "公共卫生": "市卫健委",
    "金融": "市金融办",
    "社会稳定": "市信访局",
    "城市运行": "市城市管理局",
}


def risk_warnings(
    rng: np.random.Generator,
    counties: list[str],
    names: dict[str, str],
    shapes: dict[str, Any],
    start_year: int,
    end: pd.Timestamp,
) -> pd.DataFrame:
    """Warnings since start_year at the four levels; the recent ones still in force."""
    start = pd.Timestamp(start_year, 1, 1)
    n = 700
    span = (end - start).total_seconds()
    issued = sorted(start + pd.to_timedelta(rng.uniform(0, span, n), unit="s"))
    domains = list(_RISK_TYPES)
    rows = []
    for i, at in enumerate(issued):
        domain = domains[rng.integers(len(domains))]
        code = counties[rng.integers(len(counties))]
        level = int(rng.choice([1, 2, 3, 4], p=[0.03, 0.12, 0.35, 0.5]))
        age_days = (end - at).total_seconds() / 86400
        in_force = age_days < rng.exponential(6)
        stage = rng.choice(["发布", "响应", "处置"]) if in_force else "解除"
        lifted = None if in_force else min(at + pd.Timedelta(hours=float(rng.uniform(4, 240))), end)
        lon, lat = point_in(shapes[code], rng)
        title = domains and _RISK_TYPES[domain][rng.integers(len(_RISK_TYPES[domain]))]
        rows.append(
            {
                "warning_id": f"FX{at:%Y%m%d}{i:04d}",
                "domain": domain,
                "level": level,
                "title": f"{names[code]}{title}",
                "county_code": code,
                "place": f"{names[code]}{SUBDISTRICTS[i % 9]}",
                "lon": lon,
                "lat": lat,
                "responsible_unit": RISK_UNITS[domain],
                "source": "市预警信息发布中心" if domain == "自然灾害" else RISK_UNITS[domain],
                "issued_at": at.floor("min"),
                "stage": stage,
                "lifted_at": lifted.floor("min") if lifted else pd.NaT,
                "updated_at": (lifted or at).floor("min"),
            }
        )
    frame = pd.DataFrame(rows)
    # Make sure the screen has something in force at every level of severity but the rarest.
    recent = frame.index[-4:]
    frame.loc[recent, "stage"] = ["发布", "响应", "处置", "响应"]
    frame.loc[recent, "lifted_at"] = pd.NaT
    frame.loc[recent, "level"] = [2, 3, 3, 4]
    frame.loc[recent, "updated_at"] = frame.loc[recent, "issued_at"]
    return frame


def tables(ctx: DemoContext) -> dict[str, Table]:
    """risk.warnings, drawn from the shared stream."""
    return {
        "risk_warnings": risk_warnings(
            ctx.rng, ctx.counties, ctx.names, ctx.shapes, ctx.start_year, ctx.end
        )
    }
