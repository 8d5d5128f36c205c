"""The economy's demo-data slice: monthly and quarterly indicator values for the city and each
county, reproducing the city's published annual figures exactly at December.

Everything is synthetic except PUBLISHED (from the government work reports cited in
shared/domain/city.md): levels, and published growth rates as published (a rate that the
rounded levels cannot give, such as budget revenue's, is carried in the December row).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from cockpit.demo_kit import COUNTY_ECONOMY, DemoContext, Table

# Published annual figures (亿元 unless noted; growth in %, comparable prices where the bureau
# says so). None where the reports give no figure: the generator fills those synthetically.
PUBLISHED: dict[str, dict[int, dict[str, float]]] = {
    "gdp": {
        2020: {"value": 1711.6},
        2021: {"value": 2311.0, "growth": 11.0},
        2022: {"value": 2804.8, "growth": 7.2},
        2023: {"value": 2806.2, "growth": 5.6},
    },
    # The finance bureau's growth is on a comparable basis (可比口径) and cannot be recomputed
    # from the rounded levels (224 / 166.4 is +34.6%, the report says +34.7%): the demo
    # publishes it in the December row, as the bureau does, and the cockpit shows it as published.
    "budget_revenue": {
        2020: {"value": 166.4},
        2021: {"value": 224.0, "growth": 34.7},
        2022: {"value": 310.5, "growth": 38.6},
        2023: {"value": 315.08, "growth": 1.48},
    },
    "fai": {2021: {"value": 892.0, "growth": 10.3}, 2023: {"value": 963.5}},
    "industry_va": {2022: {"growth": 12.4}, 2023: {"growth": 6.1}},
}

# Synthetic annual paths where nothing is published (growth %, and a starting level).
_SYNTHETIC_GROWTH: dict[str, dict[int, float]] = {
    "gdp": {2024: 5.0, 2025: 5.2, 2026: 5.3},  # real growth
    "gdp_nominal": {2024: 4.6, 2025: 4.9, 2026: 5.1},
    "budget_revenue": {2024: 2.1, 2025: 3.5, 2026: 4.8},
    "fai": {2020: 6.0, 2022: 4.2, 2024: 6.8, 2025: 5.1, 2026: 4.5},
    "retail": {2021: 12.1, 2022: 1.6, 2023: 7.2, 2024: 5.6, 2025: 5.1, 2026: 4.7},
    "electricity": {2021: 9.5, 2022: 5.1, 2023: 6.4, 2024: 7.0, 2025: 5.8, 2026: 6.2},
    "urban_income": {2021: 7.6, 2022: 5.9, 2023: 5.3, 2024: 5.0, 2025: 4.9, 2026: 4.8},
    "industry_va": {2021: 10.8, 2024: 5.6, 2025: 6.0, 2026: 5.8},
    "cpi": {2021: 0.9, 2022: 2.0, 2023: 0.3, 2024: 0.2, 2025: 0.1, 2026: 0.6},
}
_START_LEVEL = {"retail": 720.0, "electricity": 221.0, "urban_income": 36_120.0}

# Monthly weight of each month's flow in the year's total (cumulative shares follow).
_FLOW_PROFILE = {
    "retail": [1.10, 0.92, 0.95, 0.93, 1.00, 1.02, 0.95, 0.97, 1.02, 1.08, 1.01, 1.15],
    "budget_revenue": [1.35, 0.75, 1.05, 1.20, 1.00, 0.95, 1.05, 0.80, 0.85, 1.05, 0.80, 1.15],
    "fai": [0.30, 0.35, 0.85, 0.95, 1.05, 1.25, 1.05, 1.05, 1.15, 1.10, 1.20, 1.50],
    "electricity": [1.12, 0.88, 0.98, 0.92, 0.95, 1.02, 1.12, 1.10, 0.95, 0.96, 0.98, 1.10],
}
_QUARTER_SHARES = [0.225, 0.47, 0.72, 1.0]


def release_date(year: int, month: int, quarterly: bool) -> dt.date:
    """When the bureau publishes the period ending in `month` (the 18th or 20th after)."""
    nxt = dt.date(year + (month == 12), month % 12 + 1, 20 if quarterly else 18)
    return nxt


def _annual_levels(ind: str, years: range, rng: np.random.Generator) -> dict[int, float]:
    """City annual levels: published where known, synthetic growth elsewhere."""
    published = PUBLISHED.get(ind, {})
    growth = _SYNTHETIC_GROWTH.get("gdp_nominal" if ind == "gdp" else ind, {})
    levels: dict[int, float] = {}
    first = years.start - 1
    if first in published and "value" in published[first]:
        levels[first] = published[first]["value"]
    else:
        # Walk back from the first published level, or start from a synthetic one.
        known = sorted(y for y, v in published.items() if "value" in v)
        if known:
            level = published[known[0]]["value"]
            for y in range(known[0], first, -1):
                g = published.get(y, {}).get("growth") or growth.get(y, 5.0)
                if ind == "gdp":
                    g = growth.get(y, 6.0)
                level = level / (1 + g / 100)
            levels[first] = level
        else:
            levels[first] = _START_LEVEL[ind]
    for y in years:
        pub = published.get(y, {})
        if "value" in pub:
            levels[y] = pub["value"]
        elif (
            y + 1 in published and "value" in published[y + 1] and "growth" not in published[y + 1]
        ):
            # A gap year before a published level: split the way evenly.
            nxt = published[y + 1]["value"]
            levels[y] = (levels[y - 1] * nxt) ** 0.5
        else:
            given = pub.get("growth") if ind != "gdp" else None
            g = given if given is not None else growth.get(y, 5.0 + rng.normal(0, 0.5))
            levels[y] = levels[y - 1] * (1 + g / 100)
    return levels


def _growth_path(annual: float, months: list[int], rng: np.random.Generator) -> list[float]:
    """Cumulative growth by month that wanders early in the year and lands on `annual`."""
    out = []
    for m in months:
        spread = 1.8 * (12 - m) / 12
        out.append(round(annual + rng.normal(0, spread) if m < 12 else annual, 1))
    return out


def economy_values(
    rng: np.random.Generator, city_code: str, counties: list[str], start_year: int, end: dt.date
) -> pd.DataFrame:
    """Monthly and quarterly cumulative indicator values for the city and each county."""
    years = range(start_year, end.year + 1)
    rows: list[dict[str, Any]] = []
    econ = np.array([COUNTY_ECONOMY.get(c, 0.0) for c in counties])
    if econ.sum() == 0:
        econ = rng.dirichlet(np.ones(len(counties)) * 5)
    econ = econ / econ.sum()
    county_offset = {c: rng.normal(0, 1.6) for c in counties}  # counties run ahead or behind

    def add(
        ind: str,
        code: str,
        y: int,
        m: int,
        value: float | None,
        growth: float | None,
        unit: str,
        quarterly: bool,
    ) -> None:
        rows.append(
            {
                "indicator_id": ind,
                "county_code": code,
                "period": f"{y}-{m:02d}",
                "period_type": "cumulative",
                "value": value,
                "growth": growth,
                "unit": unit,
                "release_date": release_date(y, m, quarterly),
            }
        )

    def released(y: int, m: int, quarterly: bool) -> bool:
        return release_date(y, m, quarterly) <= end

    level_inds = {
        "gdp": ("亿元", True),
        "fai": ("亿元", False),
        "retail": ("亿元", False),
        "budget_revenue": ("亿元", False),
        "electricity": ("亿千瓦时", False),
    }
    for ind, (unit, quarterly) in level_inds.items():
        levels = _annual_levels(ind, years, rng)
        months = [3, 6, 9, 12] if quarterly else list(range(2, 13))  # Jan-Feb released together
        # Each county's share of the city drifts from year to year: that drift is what makes
        # county growth rates differ from the city's (and from each other).
        share_of = {years.start - 1: econ}
        for y in years:
            drifted = np.clip(
                share_of[y - 1] * (1 + rng.normal(0, 0.03, len(counties))), 0.001, None
            )
            share_of[y] = drifted / drifted.sum()
        for y in years:
            shares = _cum_shares(ind, y, rng)
            prev_shares = _cum_shares(ind, y - 1, rng)
            weights = share_of[y]
            real = None
            if ind == "gdp":
                real_annual = PUBLISHED["gdp"].get(y, {}).get("growth")
                real_annual = (
                    real_annual if real_annual is not None else _SYNTHETIC_GROWTH["gdp"].get(y, 5.0)
                )
                real = dict(zip(months, _growth_path(real_annual, months, rng), strict=True))
            for m in months:
                if not released(y, m, quarterly):
                    continue
                city_cum = round(levels[y] * shares[m], 2)
                prev_cum = levels[y - 1] * prev_shares[m]
                county_cums = _split_exact(city_cum, weights)
                prev_county = prev_cum * share_of[y - 1]
                if ind == "gdp":
                    city_growth = real[m] if real else None
                elif ind in (
                    "fai",
                    "retail",
                ):  # published at current prices: consistent with levels
                    city_growth = round((city_cum / prev_cum - 1) * 100, 1)
                else:
                    city_growth = None  # growth: computed (the cockpit computes it)
                counties_have_growth = city_growth is not None
                # A published annual rate stands in the city's December row, whatever the
                # rounded levels give (the published figures are reproduced exactly).
                annual_pub = PUBLISHED.get(ind, {}).get(y, {}).get("growth")
                if ind != "gdp" and m == 12 and annual_pub is not None:
                    city_growth = annual_pub
                add(ind, city_code, y, m, city_cum, city_growth, unit, quarterly)
                for code, value, prev in zip(counties, county_cums, prev_county, strict=True):
                    if ind == "gdp":
                        assert city_growth is not None  # gdp's comes from `real`, set every year
                        growth = round(
                            city_growth + county_offset[code] * 0.6 + rng.normal(0, 0.4), 1
                        )
                    elif counties_have_growth:
                        growth = round((value / prev - 1) * 100, 1)
                    else:
                        growth = None
                    add(ind, code, y, m, value, growth, unit, quarterly)

    # Growth-only and index indicators: industrial value added, CPI.
    for y in years:
        for ind in ("industry_va", "cpi"):
            pub = PUBLISHED.get(ind, {}).get(y, {}).get("growth")
            annual = pub if pub is not None else _SYNTHETIC_GROWTH[ind].get(y, 5.0)
            months = list(range(2, 13))
            path = (
                _growth_path(annual, months, rng)
                if ind == "industry_va"
                else [
                    round(annual + rng.normal(0, 0.3) * (12 - m) / 12, 1) if m < 12 else annual
                    for m in months
                ]
            )
            for m, g in zip(months, path, strict=True):
                if not released(y, m, False):
                    continue
                if ind == "industry_va":
                    add(ind, city_code, y, m, None, g, "%", False)
                    for code in counties:
                        add(
                            ind,
                            code,
                            y,
                            m,
                            None,
                            round(g + county_offset[code] + rng.normal(0, 0.8), 1),
                            "%",
                            False,
                        )
                else:
                    add(ind, city_code, y, m, round(100 + g, 1), g, "上年同期=100", False)

    # Urban disposable income: quarterly, per capita (not additive), published growth.
    levels = _annual_levels("urban_income", years, rng)
    for y in years:
        for q, m in enumerate([3, 6, 9, 12]):
            if not released(y, m, True):
                continue
            share = [0.27, 0.51, 0.76, 1.0][q]
            cum, prev = levels[y] * share, levels[y - 1] * share
            add(
                "urban_income",
                city_code,
                y,
                m,
                round(cum),
                round((cum / prev - 1) * 100, 1),
                "元",
                True,
            )
            for code in counties:
                factor = 1 + 0.08 * np.tanh(county_offset[code])
                add(
                    "urban_income",
                    code,
                    y,
                    m,
                    round(cum * factor),
                    round((cum / prev - 1) * 100 + rng.normal(0, 0.5), 1),
                    "元",
                    True,
                )

    frame = pd.DataFrame(rows)
    frame = _revise_and_drop(frame, counties, end)
    frame["release_date"] = pd.to_datetime(frame["release_date"])
    return frame.sort_values(["indicator_id", "period", "county_code", "release_date"]).reset_index(
        drop=True
    )


def _cum_shares(ind: str, year: int, rng: np.random.Generator) -> dict[int, float]:
    """Share of the year's total reached by the end of each month (1.0 in December)."""
    if ind == "gdp":
        return dict(zip([3, 6, 9, 12], _QUARTER_SHARES, strict=True))
    # Deterministic per (indicator, year), so that the previous year's shares agree.
    local = np.random.default_rng([year, sum(map(ord, ind))])
    weights = np.array(_FLOW_PROFILE[ind]) * (1 + local.normal(0, 0.03, 12))
    cum = np.cumsum(weights) / weights.sum()
    return {m + 1: float(cum[m]) for m in range(12)}


def _split_exact(total: float, weights: np.ndarray) -> list[float]:
    """Split a total (2 decimals) by weights so that the rounded parts add up exactly."""
    cents = int(round(total * 100))
    raw = weights * cents
    parts = np.floor(raw).astype(int)
    short = cents - parts.sum()
    for i in np.argsort(-(raw - parts))[:short]:
        parts[i] += 1
    return [p / 100 for p in parts]


def _revise_and_drop(frame: pd.DataFrame, counties: list[str], end: dt.date) -> pd.DataFrame:
    """Make the data real-world untidy: one revised quarter, one county's missing month."""
    frame = frame.copy()
    # The GDP of the last published mid-year quarter is revised a month later (city and counties
    # alike, so county values still add up to the city's in the latest release).
    gdp = frame[
        (frame.indicator_id == "gdp")
        & frame.period.str.endswith("-06")
        & (frame.release_date + dt.timedelta(days=30) <= end)
    ]
    if not gdp.empty:
        period = gdp.period.max()
        mask = (frame.indicator_id == "gdp") & (frame.period == period)
        revised = frame[mask].copy()
        revised["release_date"] = revised["release_date"] + dt.timedelta(days=30)
        revised["growth"] = revised["growth"] + 0.1
        frame = pd.concat([frame, revised], ignore_index=True)
    # The smallest county misses one month of electricity (reported late): missing, not zero.
    elec = frame[(frame.indicator_id == "electricity") & (frame.county_code == counties[-1])]
    if len(elec) > 6:
        drop_period = sorted(elec.period)[-4]
        frame = frame[
            ~(
                (frame.indicator_id == "electricity")
                & (frame.county_code == counties[-1])
                & (frame.period == drop_period)
            )
        ]
    return frame


def tables(ctx: DemoContext) -> dict[str, Table]:
    """economy.indicator_values, drawn from the shared stream."""
    return {
        "economy_indicator_values": economy_values(
            ctx.rng, ctx.city_code, ctx.counties, ctx.start_year, ctx.end_date
        )
    }
