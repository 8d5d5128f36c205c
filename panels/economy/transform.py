"""Pure functions over economy.indicator_values: latest releases, growth, status against target.

They follow how the statistics bureau publishes: cumulative figures, published growth shown as
published, computed growth only where the catalog allows it, and a missing month left missing.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from cockpit.formatting import period_label
from cockpit.settings import Indicator


def latest_releases(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per indicator, county, period and form: the latest release (revisions replace)."""
    if frame.empty:
        return frame
    keys = ["indicator_id", "county_code", "period", "period_type"]
    ordered = frame.sort_values("release_date")
    return ordered.drop_duplicates(keys, keep="last").reset_index(drop=True)


@dataclass(frozen=True)
class IndicatorFigure:
    """An indicator's cumulative figure for one place and period, ready to show."""

    indicator_id: str
    name: str
    unit: str
    period: str | None  # the period shown (may be earlier than asked, e.g. the last quarter)
    label: str  # 1-10月, 前三季度, ...
    value: float | None
    growth: float | None
    growth_computed: bool
    status: str  # green | yellow | red | none
    target_growth: float | None


def growth_status(growth: float | None, indicator: Indicator) -> str:
    """Traffic light of cumulative growth against the annual growth target."""
    target = indicator.target
    if growth is None or pd.isna(growth) or target is None or target.kind != "growth":
        return "none"
    gap = growth - target.value if indicator.good == "up" else target.value - growth
    if gap >= 0:
        return "green"
    return "yellow" if gap >= -indicator.warn_margin else "red"


def indicator_figure(
    frame: pd.DataFrame, indicator: Indicator, period: str, county_code: str
) -> IndicatorFigure:
    """The latest cumulative figure at or before `period` in the same year, for one place."""
    rows = latest_releases(frame)
    year = period[:4]
    mine = rows[
        (rows.indicator_id == indicator.id)
        & (rows.county_code == county_code)
        & (rows.period_type == "cumulative")
    ]
    current = mine[(mine.period <= period) & (mine.period.str[:4] == year)]
    if current.empty:
        return IndicatorFigure(
            indicator.id,
            indicator.name,
            indicator.unit,
            None,
            "—",
            None,
            None,
            False,
            "none",
            _target_growth(indicator),
        )
    row = current.sort_values("period").iloc[-1]
    value = None if pd.isna(row["value"]) else float(row["value"])
    growth = None if pd.isna(row["growth"]) else float(row["growth"])
    computed = False
    if growth is None and indicator.growth == "computed" and value is not None:
        last_year = f"{int(year) - 1}{row['period'][4:]}"
        prev = mine[mine.period == last_year]
        if not prev.empty and not pd.isna(prev.iloc[0]["value"]) and prev.iloc[0]["value"]:
            growth = round((value / float(prev.iloc[0]["value"]) - 1) * 100, 1)
            computed = True
    return IndicatorFigure(
        indicator.id,
        indicator.name,
        indicator.unit,
        row["period"],
        period_label(row["period"], indicator.frequency),
        value,
        growth,
        computed,
        growth_status(growth, indicator),
        _target_growth(indicator),
    )


def _target_growth(indicator: Indicator) -> float | None:
    target = indicator.target
    return target.value if target is not None and target.kind == "growth" else None
