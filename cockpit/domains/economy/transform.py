"""Pure functions over economy.indicator_values: latest releases, growth, status against target.

They follow how the statistics bureau publishes: cumulative figures, published growth shown as
published, computed growth only where the catalog allows it, and a missing month left missing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd

from cockpit import formatting as fmt
from cockpit.formatting import carried_decimals, period_label
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
    note: str = ""  # why there is no figure (absent_note), when there is none


def growth_status(
    growth: float | None, indicator: Indicator, year: int | None = None, county: str | None = None
) -> str:
    """Traffic light of cumulative growth against the growth target of its year (and county);
    without a year, against the target that holds for every year."""
    target = indicator.growth_target(year, county)
    if growth is None or pd.isna(growth) or target is None:
        return "none"
    # The gap at the precision it is shown with: 5.6 against 7 is 1.4 points, red beyond 1.0.
    gap = round(growth - target if indicator.good == "up" else target - growth, 4)
    if gap >= 0:
        return "green"
    return "yellow" if gap >= -indicator.warn_margin else "red"


def indicator_figure(
    frame: pd.DataFrame,
    indicator: Indicator,
    period: str,
    county_code: str,
    *,
    counties: list[str] | None = None,
    today: dt.date | None = None,
) -> IndicatorFigure:
    """The latest cumulative figure at or before `period` in the same year, for one place;
    without one, why (absent_note: `counties` tells a county from the city)."""
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
            indicator.growth_target(int(year), county_code),
            absent_note(
                indicator,
                period,
                county_code in (counties or ()),
                today,
                jan_released(frame, indicator.id),
            ),
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
        growth_status(growth, indicator, int(year), county_code),
        indicator.growth_target(int(year), county_code),
    )


# -- the economy module's semantics ------------------------------------------------------------
# Everything below works on frames of economy.indicator_values (the hub's rows) and the catalog;
# no I/O. The functions above are the overview's and keep their signatures.

QUARTER_MONTHS = (3, 6, 9, 12)
FLOW_FORMS = ("cumulative", "both")


def time_progress(period: str) -> float:
    """序时进度: the share of the year elapsed at the end of the period's month, in % (10 -> 83.3)."""
    return int(period[5:7]) / 12 * 100


def row_kind(indicator: Indicator) -> str:
    """The period_type the indicator's headline figure is published as."""
    return "month" if indicator.form == "monthly" else "cumulative"


def calendar_months(frequency: str, jan_released: bool = False) -> tuple[int, ...]:
    """The months a figure is released for: quarters, or Feb-Dec when 1-2月 come out together."""
    if frequency == "quarterly":
        return QUARTER_MONTHS
    if frequency == "annual":
        return (12,)
    return tuple(range(1 if jan_released else 2, 13))


def jan_released(frame: pd.DataFrame, indicator_id: str) -> bool:
    """Does the data release January on its own? (Usually 1-2月 come out together.)"""
    if frame.empty:
        return False
    rows = frame[frame.indicator_id == indicator_id]
    return bool(rows.period.str.endswith("-01").any())


def previous_period(period: str, frequency: str, jan: bool = False) -> str:
    """The release before `period`: 1-9月 before 1-10月, 上半年 before 前三季度, last December before
    the year's first release."""
    months = calendar_months(frequency, jan)
    year, month = int(period[:4]), int(period[5:7])
    earlier = [m for m in months if m < month]
    return f"{year}-{earlier[-1]:02d}" if earlier else f"{year - 1}-12"


def figure_label(period: str, indicator: Indicator) -> str:
    """How a period is written for this indicator: 1-10月, 前三季度, or 10月 for a monthly form."""
    if indicator.form == "monthly":
        return f"{int(period[5:7])}月"
    return period_label(period, indicator.frequency)


def previous_label(previous: str, current: str, indicator: Indicator) -> str:
    """The previous period as a sentence names it: 1-9月, 上半年, or 上年全年."""
    if previous[:4] != current[:4]:
        return "上年全年" if indicator.form != "monthly" else "上年12月"
    return figure_label(previous, indicator)


# -- why a place has no figure: one rule for every screen (#18) --------------------------------
CITY_ONLY = "不分县区发布"  # a county, for an indicator published for the city only
NOT_YET = "尚未发布"  # the release calendar says the figure is not due yet
NO_DATA = "暂无数据"  # due (published), but not delivered to the cockpit


def due_period(indicator: Indicator, period: str, jan: bool = False) -> str | None:
    """The release a screen asked for `period` should show: the latest calendar period at or
    before it in its year (前三季度 in October); None before the year's first release."""
    months = [m for m in calendar_months(indicator.frequency, jan) if m <= int(period[5:7])]
    return f"{period[:4]}-{months[-1]:02d}" if months else None


def absent_note(
    indicator: Indicator,
    period: str,
    is_county: bool,
    today: dt.date | None,
    jan: bool = False,
) -> str:
    """Why a place has no figure for `period`, from the catalog and the release calendar:
    不分县区发布 (a county, where the catalog publishes the indicator for the city only),
    尚未发布 (the release is not due by `today`; None: every release counts as due), else
    暂无数据 (published, but not in the data the cockpit was given)."""
    if is_county and not indicator.by_county:
        return CITY_ONLY
    year = period[:4]
    due = due_period(indicator, period, jan)
    if due is None:
        merged = indicator.frequency == "monthly" and not jan
        first = "1-2月数据合并发布，" if merged else ""
        return f"{first}{year}年首期数据{NOT_YET}"
    label = period_label(due, indicator.frequency)
    when = indicator.release_date(due)
    if today is not None and when > today:
        return f"{year}年{label}数据{NOT_YET}（按发布日程{when.month}月{when.day}日发布）"
    return f"{year}年{label}{NO_DATA}（应已发布，未收到）"


def with_growth(rows: pd.DataFrame, indicator: Indicator) -> pd.DataFrame:
    """Latest releases of one indicator, with growth as published, or computed where allowed.

    Adds `growth_computed` (True where the cockpit computed the rate from last year's level of
    the same place and period), `revised` (the period was released more than once), and
    `value_decimals` / `growth_decimals`: the decimals the source wrote each figure with, read
    before the figures become floats (text and Decimal keep '2806.20'), None where unknown.
    """
    mine = rows[rows.indicator_id == indicator.id]
    if {"growth_computed", "revised"} <= set(rows.columns):
        return mine  # already prepared: revisions resolved, growth filled
    if mine.empty:
        out = mine.copy()
        out["growth_computed"] = pd.Series(dtype=bool)
        out["revised"] = pd.Series(dtype=bool)
        out["value_decimals"] = pd.Series(dtype=object)
        out["growth_decimals"] = pd.Series(dtype=object)
        return out
    keys = ["county_code", "period", "period_type"]
    releases = mine.groupby(keys).release_date.nunique().rename("releases").reset_index()
    out = latest_releases(mine).merge(releases, on=keys, how="left")
    out["revised"] = out.pop("releases") > 1
    out["value_decimals"] = [carried_decimals(v) for v in out["value"]]
    out["growth_decimals"] = [carried_decimals(g) for g in out["growth"]]
    out["value"] = pd.to_numeric(out["value"]).astype("float64")
    out["growth"] = pd.to_numeric(out["growth"]).astype("float64")
    out["growth_computed"] = False
    if indicator.growth == "computed":
        last_year = (out.period.str[:4].astype(int) - 1).astype(str) + out.period.str[4:]
        base = out.set_index(["county_code", "period_type", "period"])["value"]
        index = pd.MultiIndex.from_arrays([out.county_code, out.period_type, last_year])
        before = base.reindex(index).to_numpy()
        usable = out.growth.isna() & out.value.notna() & pd.notna(before) & (before != 0)
        rate = ((out.value.to_numpy() / before - 1) * 100).round(1)
        out.loc[usable, "growth"] = rate[usable.to_numpy()]
        out.loc[usable, "growth_computed"] = True
        out.loc[usable, "growth_decimals"] = None  # computed to one decimal: today's default
    return out.sort_values(["county_code", "period"]).reset_index(drop=True)


def shown_period(rows: pd.DataFrame, indicator: Indicator, period: str) -> str | None:
    """The period a screen shows for `period`: the latest release at or before it in the same
    year, among every place (a quarterly indicator in October shows 前三季度)."""
    kind = row_kind(indicator)
    mine = rows[(rows.indicator_id == indicator.id) & (rows.period_type == kind)]
    mine = mine[(mine.period <= period) & (mine.period.str[:4] == period[:4])]
    return None if mine.empty else str(mine.period.max())


def rank_places(metric: pd.Series, good: str, digits: int = 1) -> pd.Series:
    """Competition ranking of places (1, 2, 2, 4): ties, at the published precision, share the
    better rank; a place without a figure gets no rank (it is missing, not last)."""
    rounded = metric.astype("float64").round(digits)
    return rounded.rank(method="min", ascending=(good == "down")).astype("Int64")


def rank_metric(indicator: Indicator, rank_by: str | None) -> str:
    """What counties are ranked by: growth where the indicator has a rate, else the level."""
    if rank_by:
        return rank_by
    return "value" if indicator.growth == "none" else "growth"


def county_ranking(
    rows: pd.DataFrame,
    indicator: Indicator,
    period: str,
    counties: list[str],
    rank_by: str | None = None,
) -> pd.DataFrame:
    """Every county's figure at `period`, its rank, and its rank at the previous release.

    `rows` are the indicator's rows with growth (see with_growth). Columns: county_code, value,
    growth, growth_computed, metric, rank, previous_rank, rank_change (positive: moved up).
    Counties with no figure stay in the table, unranked, after the ranked ones. `decimals` is
    the precision the metric is published with (ranked and shown at it: 1.48 ahead of 1.46).
    """
    by = rank_metric(indicator, rank_by)
    kind = row_kind(indicator)
    mine = rows[(rows.indicator_id == indicator.id) & (rows.period_type == kind)]
    jan = jan_released(rows, indicator.id)

    def at(p: str) -> pd.DataFrame:
        now = mine[mine.period == p].set_index("county_code")
        return now.reindex(counties)

    now = at(period)
    digits = ranking_decimals(indicator, now, by)
    before = at(previous_period(period, indicator.frequency, jan))
    table = pd.DataFrame(
        {
            "county_code": counties,
            "value": now["value"].to_numpy(dtype="float64"),
            "growth": now["growth"].to_numpy(dtype="float64"),
            "growth_computed": now["growth_computed"].fillna(False).to_numpy(dtype=bool),
            "metric": now[by].to_numpy(dtype="float64"),
        }
    )
    table["decimals"] = digits
    table["rank"] = rank_places(table["metric"], indicator.good, digits).array
    table["previous_rank"] = rank_places(
        pd.Series(before[by].to_numpy(dtype="float64")), indicator.good, digits
    ).array
    table["rank_change"] = (table["previous_rank"] - table["rank"]).astype("Int64")
    order = table["rank"].astype("float64").fillna(len(counties) + 1)
    return (
        table.assign(_order=order)
        .sort_values(["_order", "county_code"])
        .drop(columns="_order")
        .reset_index(drop=True)
    )


def ranking_decimals(indicator: Indicator, rows: pd.DataFrame, by: str) -> int:
    """The precision counties are ranked and shown at: the catalog's `decimals`, else the most
    decimals their published figures carry, else one for growth and two for levels."""
    configured = indicator.decimals.growth if by == "growth" else indicator.decimals.value
    if configured is not None:
        return configured
    column = "growth_decimals" if by == "growth" else "value_decimals"
    carried = [int(d) for d in rows.get(column, pd.Series(dtype=object)) if _digits(d) is not None]
    return max(carried) if carried else (1 if by == "growth" else 2)


def level_target(indicator: Indicator, extras_targets: dict[int, float], year: int) -> float | None:
    """The year's level target: from the module's yearly targets, else a level target in the catalog."""
    if year in extras_targets:
        return float(extras_targets[year])
    target = indicator.target
    return target.for_year(year) if target is not None and target.kind == "level" else None


def completion(value: float | None, target: float | None) -> float | None:
    """Target completion in % of a level target; None without a value or a target."""
    if value is None or target is None or pd.isna(value) or target == 0:
        return None
    return value / target * 100


def progress_status(done: float | None, elapsed: float, margin: float, good: str = "up") -> str:
    """Light of a level target's completion against 序时进度: green when reached, yellow when
    behind by at most `margin` points, red beyond (mirrored where less is good)."""
    if done is None or pd.isna(done):
        return "none"
    gap = done - elapsed if good == "up" else elapsed - done
    if gap >= 0:
        return "green"
    return "yellow" if gap >= -margin else "red"


@dataclass(frozen=True)
class Reading:
    """One indicator for one place at one period, with everything a bulletin says about it."""

    indicator_id: str
    name: str
    short_name: str
    unit: str
    frequency: str
    place: str
    period: str | None  # the period shown (the last quarter for quarterly indicators)
    label: str  # 1-10月, 前三季度, —
    value: float | None
    growth: float | None
    growth_computed: bool
    revised: bool
    missing: bool  # others have a figure for the period, this place has none
    note: str  # why there is no figure, when there is none
    previous_label: str | None
    growth_change: float | None  # points against the previous release
    target_growth: float | None
    target_gap: float | None  # growth minus target growth, in points
    level_target: float | None
    completion: float | None  # % of the level target
    elapsed: float | None  # 序时进度 %
    progress_status: str  # the light of completion against 序时进度
    status: str  # green | yellow | red | none
    rank: int | None = None
    rank_of: int = 0
    rank_change: int | None = None
    rank_by: str = "growth"
    # Decimals as published: the indicator's setting, else what the source row carries; the
    # value's None keeps the screen's default, growth (and its gap and change) default to one.
    value_decimals: int | None = None
    growth_decimals: int = 1


def reading(
    rows: pd.DataFrame,
    indicator: Indicator,
    period: str,
    place: str,
    counties: list[str],
    *,
    short_name: str | None = None,
    level_targets: dict[int, float] | None = None,
    progress_margin: float = 5.0,
    rank_by: str | None = None,
    today: dt.date | None = None,
) -> Reading:
    """The reading of one indicator for a place (the city code or a county) at `period`.

    `rows` are economy.indicator_values rows (all releases; revisions are resolved here) that
    reach back to the previous year, for computed growth and the comparison with 上年全年.
    `today` is the date the release calendar is read at (absent_note).
    """
    data = with_growth(rows, indicator)
    kind = row_kind(indicator)
    shown = shown_period(data, indicator, period)
    year = int(period[:4])
    is_county = place in counties
    # A county's growth is held against its own target where config gives one for the year,
    # else against the city's; level targets (a budget, a planned total) are the city's.
    growth_target = indicator.growth_target(year, place if is_county else None)
    level = None if is_county else level_target(indicator, level_targets or {}, year)
    by = rank_metric(indicator, rank_by)
    # Reading's fields shared by every outcome, and those of a reading with no figure.
    base: dict[str, Any] = dict(
        indicator_id=indicator.id,
        name=indicator.name,
        short_name=short_name or indicator.name,
        unit=indicator.unit,
        frequency=indicator.frequency,
        place=place,
        target_growth=growth_target,
        level_target=level,
        rank_by=by,
    )
    empty: dict[str, Any] = dict(
        value=None,
        growth=None,
        growth_computed=False,
        revised=False,
        previous_label=None,
        growth_change=None,
        target_gap=None,
        completion=None,
        elapsed=None,
        progress_status="none",
        status="none",
    )
    jan = jan_released(data, indicator.id)
    if shown is None:
        note = absent_note(indicator, period, is_county, today, jan)
        return Reading(**base, **empty, period=None, label="—", missing=False, note=note)
    label = figure_label(shown, indicator)
    mine = data[(data.county_code == place) & (data.period_type == kind)].set_index("period")
    if shown not in mine.index:
        if is_county and not indicator.by_county:
            # Published for the city only (CPI): nothing is missing.
            return Reading(
                **base, **empty, period=shown, label=label, missing=False, note=CITY_ONLY
            )
        others = data[(data.period == shown) & (data.period_type == kind)]
        peers = others.county_code.isin(counties) if is_county else others.county_code.notna()
        if peers.any():  # others reported this period, this place did not: missing, never 0
            return Reading(
                **base, **empty, period=shown, label=label, missing=True, note="数据未报送"
            )
        note = absent_note(indicator, shown, is_county, today, jan)
        return Reading(**base, **empty, period=shown, label=label, missing=False, note=note)
    row = mine.loc[shown]
    value = _num(row["value"])
    growth = _num(row["growth"])
    value_digits, growth_digits = shown_decimals(indicator, row)
    previous = previous_period(shown, indicator.frequency, jan_released(data, indicator.id))
    before = _num(mine.loc[previous, "growth"]) if previous in mine.index else None
    change = None if growth is None or before is None else round(growth - before, growth_digits)
    gap = (
        None
        if growth is None or growth_target is None
        else round(growth - growth_target, growth_digits)
    )
    elapsed = time_progress(shown)
    done = completion(value, level)
    progress = progress_status(done, elapsed, progress_margin, indicator.good)
    status = (
        growth_status(growth, indicator, year, place if is_county else None)
        if growth_target is not None
        else progress
    )
    rank = rank_change = None
    rank_of = 0
    if is_county:
        table = county_ranking(data, indicator, shown, counties, by)
        rank_of = int(table["rank"].notna().sum())
        mine_rank = table[table.county_code == place].iloc[0]
        rank = None if pd.isna(mine_rank["rank"]) else int(mine_rank["rank"])
        rank_change = None if pd.isna(mine_rank["rank_change"]) else int(mine_rank["rank_change"])
    return Reading(
        **base,
        period=shown,
        label=label,
        value=value,
        growth=growth,
        growth_computed=bool(row["growth_computed"]) and growth is not None,
        revised=bool(row["revised"]),
        missing=False,
        note="",
        previous_label=previous_label(previous, shown, indicator),
        growth_change=change,
        target_gap=gap,
        completion=done,
        elapsed=elapsed,
        progress_status=progress,
        status=status,
        rank=rank,
        rank_of=rank_of,
        rank_change=rank_change,
        value_decimals=value_digits,
        growth_decimals=growth_digits,
    )


def shown_decimals(indicator: Indicator, row: pd.Series) -> tuple[int | None, int]:
    """(value, growth) decimals of a figure: the catalog's `decimals` where set, else those the
    source row carries (with_growth), else the default (None for the value: the screen's own;
    one for growth)."""
    value = indicator.decimals.value
    if value is None:
        value = _digits(row.get("value_decimals"))
    growth = indicator.decimals.growth
    if growth is None:
        growth = _digits(row.get("growth_decimals"))
    return value, 1 if growth is None else growth


def _digits(value: Any) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def _num(value: Any) -> float | None:
    """A float, or None for a missing value (NaN, None, pd.NA)."""
    return None if value is None or pd.isna(value) else float(value)


def calendar(first: str, last: str, frequency: str, jan: bool = False) -> list[str]:
    """Every release period from `first` to `last` (inclusive) in the release calendar."""
    months = calendar_months(frequency, jan)
    out = []
    for year in range(int(first[:4]), int(last[:4]) + 1):
        out += [f"{year}-{m:02d}" for m in months]
    return [p for p in out if first <= p <= last]


def place_series(
    rows: pd.DataFrame, indicator: Indicator, place: str, until: str | None = None
) -> pd.DataFrame:
    """One place's headline series on the full release calendar, gaps kept as NaN rows.

    Columns: period, value, growth, growth_computed, revised, missing. A month the place did not
    report is a row with missing=True and NaN figures, never a zero; quarterly indicators have
    rows at their quarters only.
    """
    data = with_growth(rows, indicator)
    kind = row_kind(indicator)
    mine = data[(data.county_code == place) & (data.period_type == kind)]
    if until is not None:
        mine = mine[mine.period <= until]
    columns = ["period", "value", "growth", "growth_computed", "revised", "missing"]
    if mine.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    jan = jan_released(data, indicator.id)
    last = until or str(mine.period.max())
    periods = calendar(str(mine.period.min()), last, indicator.frequency, jan)
    # A period past the place's own last figure is missing only if someone else has it.
    published = set(data[data.period_type == kind].period)
    periods = [p for p in periods if p <= str(mine.period.max()) or p in published]
    out = mine.set_index("period").reindex(periods)
    return pd.DataFrame(
        {
            "period": periods,
            "value": out["value"].to_numpy(dtype="float64"),
            "growth": out["growth"].to_numpy(dtype="float64"),
            "growth_computed": out["growth_computed"].fillna(False).to_numpy(dtype=bool),
            "revised": out["revised"].fillna(False).to_numpy(dtype=bool),
            "missing": out["value"].isna().to_numpy() & out["growth"].isna().to_numpy(),
        }
    )


def monthly_derivable(indicator: Indicator) -> bool:
    """Can 当月 values be derived from consecutive cumulative ones? Only for monthly flows that
    add up (a per-capita figure or a price index is not a sum of its months)."""
    return indicator.frequency == "monthly" and indicator.form in FLOW_FORMS and indicator.additive


def monthly_values(
    rows: pd.DataFrame, indicator: Indicator, place: str, until: str | None = None
) -> pd.DataFrame:
    """当月 values of one place: published month rows where the source has them, else derived
    as the difference of consecutive cumulative values (marked derived=True).

    The first release of a year is its own month (1-2月 for a merged January-February, spanning
    two months). A month next to a missing cumulative value is missing too: it is never derived
    across a gap, and never zero. Columns: period, label, value, span, derived.
    """
    columns = ["period", "label", "value", "span", "derived"]
    mine = rows[(rows.indicator_id == indicator.id) & (rows.county_code == place)]
    if until is not None:
        mine = mine[mine.period <= until]
    months = latest_releases(mine[mine.period_type == "month"])
    jan = jan_released(rows, indicator.id)
    if not months.empty:
        periods = calendar(str(months.period.min()), str(months.period.max()), "monthly", jan)
        values = months.set_index("period")["value"].astype("float64").reindex(periods)
        return pd.DataFrame(
            {
                "period": periods,
                "label": [_month_label(p, jan) for p in periods],
                "value": values.to_numpy(),
                "span": [2 if p.endswith("-02") and not jan else 1 for p in periods],
                "derived": False,
            }
        )
    if not monthly_derivable(indicator):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    series = place_series(rows, indicator, place, until)
    if series.empty or series["value"].isna().all():
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    cumulative = dict(zip(series.period, series.value, strict=True))
    out = []
    for p in series.period:
        year_months = calendar_months("monthly", jan)
        month = int(p[5:7])
        if month == year_months[0]:
            value = cumulative[p]  # the year's first release is its own (merged) month
        else:
            before = cumulative.get(f"{p[:4]}-{month - 1:02d}")
            value = cumulative[p] - before if before is not None else float("nan")
        out.append(
            {
                "period": p,
                "label": _month_label(p, jan),
                "value": round(value, 4) if pd.notna(value) else float("nan"),
                "span": 2 if month == 2 and not jan else 1,
                "derived": True,
            }
        )
    return pd.DataFrame(out, columns=columns)


def _month_label(period: str, jan: bool) -> str:
    """当月 label: 10月; 1-2月 where January and February are released together."""
    month = int(period[5:7])
    return "1-2月" if month == 2 and not jan else f"{month}月"


# -- how a bulletin writes it ------------------------------------------------------------------
def value_text(value: float | None, unit: str, decimals: int | None = None) -> str:
    """A level with its unit as bulletins write it: 872.10亿元, 38021元, 100.6（上年同期=100）;
    with `decimals` (as published), exactly that many: 2806.2亿元."""
    if value is None or pd.isna(value) or unit == "%":
        return "—"
    if "=" in unit:  # an index: the base goes in brackets
        return f"{value:.{1 if decimals is None else decimals}f}（{unit}）"
    if decimals is not None:
        return f"{value:.{decimals}f}{unit}"
    if unit == "元" or float(value).is_integer():
        return f"{value:.0f}{unit}"
    return f"{value:.2f}{unit}"


def growth_text(
    growth: float | None, rise: str = "增长", fall: str = "下降", digits: int = 1
) -> str:
    """同比增长6.1% / 同比下降1.2% / 同比持平 (同比增长1.48% where published so); '—' when missing."""
    if growth is None or pd.isna(growth):
        return "—"
    if round(growth, digits) == 0:
        return "同比持平"
    return f"同比{rise if growth > 0 else fall}{abs(growth):.{digits}f}%"


def gap_text(gap: float | None, digits: int = 1) -> str:
    """高于目标0.4个百分点 / 低于目标1.1个百分点 / 与目标持平."""
    if gap is None or pd.isna(gap):
        return ""
    return fmt.change_text(
        gap, "rate", digits=digits, words=("高于目标", "低于目标"), same="与目标持平"
    )


def change_text(change: float | None, previous: str | None, digits: int = 1) -> str:
    """比1-9月提高0.5个百分点 / 与1-9月持平; '' without a previous figure."""
    if change is None or previous is None or pd.isna(change):
        return ""
    moved = fmt.change_text(change, "rate", digits=digits, words=("提高", "回落"))
    return f"与{previous}持平" if moved == fmt.SAME else f"比{previous}{moved}"


def progress_text(done: float | None, elapsed: float | None) -> str:
    """完成年度目标的86.2%，超序时进度2.9个百分点 / 达到序时进度 / 未达序时进度."""
    if done is None or elapsed is None:
        return ""
    gap = round(done - elapsed, 1)
    head = f"完成年度目标的{done:.1f}%"
    if gap > 0:
        return f"{head}，超序时进度{gap:.1f}个百分点"
    if gap == 0:
        return f"{head}，达到序时进度"
    return f"{head}，未达序时进度（差{-gap:.1f}个百分点）"


def rank_text(r: Reading, city: str = "全市") -> str:
    """增速居全市第2位，比1-9月上升1位; '' for the city or an unranked county."""
    if r.rank is None:
        return ""
    what = "增速" if r.rank_by == "growth" else "总量"
    text = f"{what}居{city}第{r.rank}位"
    if r.rank_change is not None and r.previous_label:
        if r.rank_change > 0:
            text += f"，比{r.previous_label}上升{r.rank_change}位"
        elif r.rank_change < 0:
            text += f"，比{r.previous_label}下降{-r.rank_change}位"
        else:
            text += "，位次不变"
    return text


def sentence(r: Reading, place_name: str, rise: str = "增长", fall: str = "下降") -> str:
    """The plain-language line of a reading in the official style:
    "1-10月，全市规上工业增加值同比增长6.1%，高于目标0.4个百分点，比1-9月提高0.2个百分点。"."""
    if r.period is None or (not r.missing and r.value is None and r.growth is None and r.note):
        return f"{r.name}：{r.note}。"
    head = f"{r.label}，{place_name}{r.name}"
    if r.missing:
        return f"{head}数据未报送（缺失，不按零计）。"
    parts = []
    level = value_text(r.value, r.unit, r.value_decimals)
    growth = growth_text(r.growth, rise, fall, r.growth_decimals)
    if r.growth_computed and r.growth is not None:
        growth += "（测算）"
    if level != "—":
        parts.append(f"{head}{level}")
        if growth != "—":
            parts.append(growth)
    else:
        parts.append(f"{head}{growth}" if growth != "—" else f"{head}暂无增速")
    parts += [
        gap_text(r.target_gap, r.growth_decimals),
        change_text(r.growth_change, r.previous_label, r.growth_decimals),
        progress_text(r.completion, r.elapsed),
        rank_text(r),
    ]
    text = "，".join(p for p in parts if p) + "。"
    return text + ("（已修订）" if r.revised else "")


def year_path(series: pd.DataFrame, year: int) -> pd.DataFrame:
    """One year of a place_series (or monthly_values) frame, with the month as a number."""
    if series.empty:
        return series.assign(month=pd.Series(dtype=int))
    mine = series[series.period.str[:4] == str(year)]
    return mine.assign(month=mine.period.str[5:7].astype(int)).reset_index(drop=True)
