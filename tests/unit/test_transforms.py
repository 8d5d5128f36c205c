"""Unit tests of the pure transforms on hand-made frames: economy, key work, 12345, formatting."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from cockpit.domains.economy.transform import growth_status, indicator_figure, latest_releases
from cockpit.domains.hotline.transform import (
    BASELINE_WEEKS,
    SPIKE_MIN_COUNT,
    SPIKE_RATIO,
    rate,
    weekday_hour_matrix,
    weekly_spikes,
)
from cockpit.domains.key_work.transform import BEHIND_MARGIN, STALE_DAYS, STALLED_DAYS, task_light
from cockpit.formatting import number, percent, period_label, points
from cockpit.settings import Indicator, Target

CITY = "140400"
COUNTY = "140403"


# -- economy -----------------------------------------------------------------------------------
def _indicator(**overrides: object) -> Indicator:
    """A catalog entry; monthly, published growth, target +6% with a 1-point margin by default."""
    fields: dict[str, object] = {
        "id": "retail",
        "name": "社会消费品零售总额",
        "unit": "亿元",
        "definition": "测试口径",
        "department": "市统计局",
        "frequency": "monthly",
        "form": "cumulative",
        "growth": "published",
        "good": "up",
        "additive": True,
        "target": Target(kind="growth", value=6.0),
        "warn_margin": 1.0,
    }
    fields.update(overrides)
    return Indicator(**fields)


def _row(
    indicator_id: str,
    period: str,
    value: float | None,
    growth: float | None,
    release: str | None = None,
    county: str = CITY,
) -> dict[str, object]:
    """One indicator_values row, released on the 18th of the next month unless given."""
    if release is None:
        release = (pd.Timestamp(f"{period}-01") + pd.DateOffset(months=1, days=17)).strftime(
            "%Y-%m-%d"
        )
    return {
        "indicator_id": indicator_id,
        "county_code": county,
        "period": period,
        "period_type": "cumulative",
        "value": value,
        "growth": growth,
        "unit": "亿元",
        "release_date": pd.Timestamp(release),
    }


def _frame(*rows: dict[str, object]) -> pd.DataFrame:
    """A frame of indicator rows with the contract's dtypes."""
    frame = pd.DataFrame(list(rows))
    frame["value"] = frame["value"].astype("float64")
    frame["growth"] = frame["growth"].astype("float64")
    return frame


def test_latest_releases_keeps_the_latest_revision():
    """Of two releases of one period the later wins, whatever the row order."""
    frame = _frame(
        _row("gdp", "2026-06", 1200.0, 5.4, release="2026-08-19", county=COUNTY),
        _row("gdp", "2026-06", 1190.0, 5.3, release="2026-07-20", county=COUNTY),
        _row("gdp", "2026-03", 560.0, 5.1, release="2026-04-20", county=COUNTY),
    )
    latest = latest_releases(frame)
    assert len(latest) == 2
    june = latest[latest.period == "2026-06"].iloc[0]
    assert june["value"] == 1200.0
    assert june["growth"] == 5.4
    assert june["release_date"] == pd.Timestamp("2026-08-19")


def test_latest_releases_keeps_different_places_apart():
    """Rows of different counties are never merged as revisions of each other."""
    frame = _frame(
        _row("gdp", "2026-06", 1.0, 5.0, county=COUNTY),
        _row("gdp", "2026-06", 2.0, 5.0, county=CITY),
    )
    assert len(latest_releases(frame)) == 2


def test_published_growth_is_shown_as_published():
    """A published growth rate is shown unchanged, even where the levels suggest another."""
    frame = _frame(_row("retail", "2025-10", 100.0, 3.0), _row("retail", "2026-10", 150.0, 4.2))
    fig = indicator_figure(frame, _indicator(), "2026-10", CITY)
    assert fig.growth == 4.2
    assert fig.growth_computed is False
    assert fig.value == 150.0
    assert fig.label == "1-10月"


def test_growth_is_computed_only_when_the_catalog_says_computed():
    """With no published rate, a 'computed' indicator gets a marked rate from levels."""
    frame = _frame(
        _row("budget_revenue", "2025-10", 200.0, None),
        _row("budget_revenue", "2026-10", 210.0, None),
    )
    computed = indicator_figure(
        frame, _indicator(id="budget_revenue", growth="computed"), "2026-10", CITY
    )
    assert computed.growth == pytest.approx(5.0)
    assert computed.growth_computed is True
    assert computed.status == "yellow"  # 5.0 against a target of 6.0 with a 1-point margin


@pytest.mark.parametrize("kind", ["published", "none"])
def test_growth_is_not_computed_for_other_catalog_kinds(kind):
    """A 'published' or 'none' indicator without a rate shows no rate, never a computed one."""
    frame = _frame(
        _row("budget_revenue", "2025-10", 200.0, None),
        _row("budget_revenue", "2026-10", 210.0, None),
    )
    fig = indicator_figure(frame, _indicator(id="budget_revenue", growth=kind), "2026-10", CITY)
    assert fig.growth is None
    assert fig.growth_computed is False
    assert fig.status == "none"


def test_computed_indicator_keeps_a_rate_the_source_gives():
    """A 'computed' indicator with a rate in the data shows that rate, unmarked."""
    frame = _frame(
        _row("budget_revenue", "2025-10", 200.0, None),
        _row("budget_revenue", "2026-10", 210.0, 7.7),
    )
    fig = indicator_figure(
        frame, _indicator(id="budget_revenue", growth="computed"), "2026-10", CITY
    )
    assert fig.growth == 7.7
    assert fig.growth_computed is False


def test_quarterly_indicator_shows_the_last_quarter_as_前三季度():
    """Asked for October, a quarterly indicator shows its September figure, labelled 前三季度."""
    gdp = _indicator(id="gdp", name="地区生产总值", frequency="quarterly")
    frame = _frame(
        _row("gdp", "2026-06", 1100.0, 5.2),
        _row("gdp", "2026-09", 1700.0, 5.3),
        _row("gdp", "2025-12", 2400.0, 5.0),
    )
    fig = indicator_figure(frame, gdp, "2026-10", CITY)
    assert fig.period == "2026-09"
    assert fig.label == "前三季度"
    assert fig.value == 1700.0
    assert fig.growth == 5.3


def test_missing_year_gives_none_not_zero():
    """With no figure in the year up to the period, value and growth are None, never 0."""
    frame = _frame(_row("retail", "2025-12", 900.0, 5.0), _row("retail", "2026-03", 200.0, 4.0))
    fig = indicator_figure(frame, _indicator(), "2026-02", CITY)
    assert fig.value is None
    assert fig.growth is None
    assert fig.period is None
    assert fig.status == "none"


def test_missing_month_falls_back_to_the_previous_month_with_its_label():
    """A missing October shows September, labelled 1-9月, not a zero for October."""
    frame = _frame(
        _row("retail", "2026-08", 600.0, 4.0),
        _row("retail", "2026-09", 700.0, 4.5),
        _row("retail", "2026-10", 790.0, 4.8, county=COUNTY),
    )
    fig = indicator_figure(frame, _indicator(), "2026-10", CITY)
    assert fig.period == "2026-09"
    assert fig.label == "1-9月"
    assert fig.value == 700.0


def test_missing_value_of_a_growth_only_indicator_is_none():
    """An indicator that publishes only growth has value None (not 0) and its growth."""
    frame = _frame(_row("industry_va", "2026-10", None, 6.1))
    fig = indicator_figure(
        frame, _indicator(id="industry_va", unit="%", additive=False), "2026-10", CITY
    )
    assert fig.value is None
    assert fig.growth == 6.1


def test_computed_growth_without_last_year_is_none():
    """A computed rate needs last year's same period; without it there is no rate."""
    frame = _frame(
        _row("budget_revenue", "2025-09", 180.0, None),
        _row("budget_revenue", "2026-10", 210.0, None),
    )
    fig = indicator_figure(
        frame, _indicator(id="budget_revenue", growth="computed"), "2026-10", CITY
    )
    assert fig.growth is None
    assert fig.growth_computed is False


@pytest.mark.parametrize(
    ("growth", "expected"),
    [
        (7.0, "green"),
        (6.0, "green"),
        (5.5, "yellow"),
        (5.0, "yellow"),
        (4.9, "red"),
        (None, "none"),
    ],
)
def test_growth_status_boundaries_when_up_is_good(growth, expected):
    """At target is green, exactly target - margin is yellow, below that red."""
    assert (
        growth_status(growth, _indicator(target=Target(kind="growth", value=6.0), warn_margin=1.0))
        == expected
    )


@pytest.mark.parametrize(
    ("growth", "expected"),
    [
        (2.0, "green"),
        (3.0, "green"),
        (3.25, "yellow"),
        (3.5, "yellow"),
        (3.6, "red"),
    ],
)
def test_growth_status_boundaries_when_down_is_good(growth, expected):
    """For CPI-like indicators: at or under target green, up to target + margin yellow, then red."""
    cpi = _indicator(
        id="cpi", good="down", target=Target(kind="growth", value=3.0), warn_margin=0.5
    )
    assert growth_status(growth, cpi) == expected


def test_growth_status_none_without_a_growth_target():
    """No target, or a level target, gives no light."""
    assert growth_status(5.0, _indicator(target=None)) == "none"
    assert growth_status(5.0, _indicator(target=Target(kind="level", value=100.0))) == "none"


# -- key work ----------------------------------------------------------------------------------
START = dt.date(2026, 1, 1)
DEADLINE = START + dt.timedelta(days=100)
TODAY = START + dt.timedelta(days=50)  # half the time has elapsed: 50%


def _light(
    progress: float,
    *,
    feedback_age: int | None = 2,
    completed: bool = False,
    today: dt.date = TODAY,
) -> str:
    """The light of a task from START to DEADLINE."""
    feedback = None if feedback_age is None else today - dt.timedelta(days=feedback_age)
    return task_light(progress, START, DEADLINE, feedback, completed, today)


def test_task_done_when_completed_or_at_100():
    """A completed task, or one at 100%, is done even past its deadline."""
    assert _light(60, completed=True) == "done"
    assert _light(100) == "done"
    assert _light(100, today=DEADLINE + dt.timedelta(days=5)) == "done"


def test_task_overdue_is_red():
    """Past the deadline and not done is red; on the deadline day it is not yet overdue."""
    assert _light(99, today=DEADLINE + dt.timedelta(days=1)) == "red"
    assert _light(99, today=DEADLINE) == "green"


def test_task_stalled_is_red():
    """Feedback older than the stall limit, or none at all, is red."""
    assert _light(60, feedback_age=STALLED_DAYS + 1) == "red"
    assert _light(60, feedback_age=None) == "red"


def test_task_behind_exactly_at_margin_is_green_and_just_over_is_yellow():
    """Behind time elapsed by exactly the margin stays green; a tenth more turns yellow."""
    assert _light(50 - BEHIND_MARGIN) == "green"
    assert _light(50 - BEHIND_MARGIN - 0.1) == "yellow"


def test_task_stale_feedback_is_yellow():
    """Feedback older than the stale limit (but not stalled) turns an on-track task yellow."""
    assert _light(60, feedback_age=STALE_DAYS) == "green"
    assert _light(60, feedback_age=STALE_DAYS + 1) == "yellow"
    assert _light(60, feedback_age=STALLED_DAYS) == "yellow"


def test_task_on_track_is_green():
    """Progress ahead of time elapsed with fresh feedback is green."""
    assert _light(55) == "green"


# -- 12345 -------------------------------------------------------------------------------------
def test_rate_with_zero_or_missing_denominator_is_none():
    """Nothing to divide by gives None, not 0 or an error."""
    assert rate(5, 0) is None
    assert rate(5, None) is None
    assert rate(None, 10) is None
    assert rate(1, 3) == 33.3
    assert rate(0, 4) == 0.0


def _weeks(last: str, n: int) -> list[str]:
    """n Mondays ending with `last`, as YYYY-MM-DD."""
    end = pd.Timestamp(last)
    return [(end - pd.Timedelta(weeks=k)).strftime("%Y-%m-%d") for k in range(n - 1, -1, -1)]


def _weekly(series: dict[str, list[int]], this_week: str) -> pd.DataFrame:
    """Category -> counts over consecutive weeks ending with this_week."""
    rows = []
    for category, counts in series.items():
        for week, tickets in zip(_weeks(this_week, len(counts)), counts, strict=True):
            rows.append({"category": category, "week": week, "tickets": tickets})
    return pd.DataFrame(rows)


THIS_WEEK = "2026-11-09"


def test_weekly_spikes_finds_a_planted_spike():
    """A category at three times its 8-week mean is flagged with its ratio."""
    baseline = [20] * BASELINE_WEEKS
    weekly = _weekly({"燃气": [*baseline, 60], "供水": [*baseline, 21]}, THIS_WEEK)
    spikes = weekly_spikes(weekly, THIS_WEEK)
    assert list(spikes.category) == ["燃气"]
    assert spikes.iloc[0]["tickets"] == 60
    assert spikes.iloc[0]["baseline"] == 20.0
    assert spikes.iloc[0]["ratio"] == 3.0


def test_weekly_spikes_uses_only_the_eight_weeks_before():
    """Older weeks and later weeks do not enter the baseline."""
    weekly = _weekly({"燃气": [500, 500, *[10] * BASELINE_WEEKS, 40]}, THIS_WEEK)
    later = pd.DataFrame([{"category": "燃气", "week": "2026-11-16", "tickets": 900}])
    spikes = weekly_spikes(pd.concat([weekly, later], ignore_index=True), THIS_WEEK)
    assert spikes.iloc[0]["baseline"] == 10.0
    assert spikes.iloc[0]["ratio"] == 4.0


def test_weekly_spikes_ignores_a_flat_series():
    """A category at its usual level is not flagged."""
    weekly = _weekly({"物业管理": [40] * (BASELINE_WEEKS + 1)}, THIS_WEEK)
    assert weekly_spikes(weekly, THIS_WEEK).empty


def test_weekly_spikes_ignores_counts_below_the_minimum():
    """A large ratio on a handful of tickets is noise, not a spike."""
    small = SPIKE_MIN_COUNT - 1
    weekly = _weekly({"出租车": [2] * BASELINE_WEEKS + [small]}, THIS_WEEK)
    assert small / 2 >= SPIKE_RATIO
    assert weekly_spikes(weekly, THIS_WEEK).empty


def test_weekly_spikes_needs_enough_baseline_weeks():
    """With fewer than half the baseline weeks there is nothing to compare against."""
    few = BASELINE_WEEKS // 2 - 1
    weekly = _weekly({"燃气": [20] * few + [200]}, THIS_WEEK)
    assert weekly_spikes(weekly, THIS_WEEK).empty
    enough = _weekly({"燃气": [20] * (BASELINE_WEEKS // 2) + [200]}, THIS_WEEK)
    assert list(weekly_spikes(enough, THIS_WEEK).category) == ["燃气"]


def test_weekly_spikes_without_this_week_or_data_is_empty():
    """No row for this week, or no rows at all, gives no spikes."""
    weekly = _weekly({"燃气": [20] * BASELINE_WEEKS}, "2026-11-02")
    assert weekly_spikes(weekly, THIS_WEEK).empty
    assert weekly_spikes(pd.DataFrame(columns=["category", "week", "tickets"]), THIS_WEEK).empty


# -- formatting --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("period", "frequency", "expected"),
    [
        ("2026-02", "monthly", "1-2月"),
        ("2026-10", "monthly", "1-10月"),
        ("2026-12", "monthly", "全年"),
        ("2026-03", "quarterly", "一季度"),
        ("2026-06", "quarterly", "上半年"),
        ("2026-09", "quarterly", "前三季度"),
        ("2026-12", "quarterly", "全年"),
    ],
)
def test_period_label_writes_periods_as_bulletins_do(period, frequency, expected):
    """Cumulative periods read 1-2月, 前三季度, 全年 and so on."""
    assert period_label(period, frequency) == expected


@pytest.mark.parametrize(
    ("value", "digits", "expected"),
    [
        (1234, 1, "1,234"),
        (850.26, 1, "850.3"),
        (123_456, 1, "12.3万"),
        (100_000, 1, "10.0万"),
        (2.5e8, 1, "2.5亿"),
        (-3.2e8, 2, "-3.20亿"),
        (2806.2, 2, "2,806.20"),
        (None, 1, "—"),
        (float("nan"), 1, "—"),
    ],
)
def test_number_uses_wan_and_yi(value, digits, expected):
    """Large figures are written with 万 or 亿; a missing figure is a dash, never 0."""
    assert number(value, digits) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.5, "提高0.5个百分点"),
        (-0.3, "回落0.3个百分点"),
        (0.0, "持平"),
        (0.04, "持平"),
        (None, "—"),
        (float("nan"), "—"),
    ],
)
def test_points_says_up_down_or_level(value, expected):
    """A change in points reads 提高, 回落 or 持平; missing is a dash."""
    assert points(value) == expected


def test_percent_signed_and_missing():
    """Percentages carry a sign when asked; missing is a dash."""
    assert percent(5.34, signed=True) == "+5.3%"
    assert percent(-1.0, signed=True) == "-1.0%"
    assert percent(92.0) == "92.0%"
    assert percent(None) == "—"


def test_the_weekday_hour_matrix_sums_each_cell_and_leaves_the_rest_zero() -> None:
    """Rows of one cell add up; cells with no row are 0; a weekday or hour out of range
    (bad data) is left out rather than put in a wrong cell."""
    frame = pd.DataFrame(
        {
            "weekday": [1, 1, 7, 3, 8, 0, 2],
            "hour": [0, 0, 23, 12, 5, 5, 24],
            "tickets": [4, 6, 2, 9, 100, 100, 100],
        }
    )
    matrix = weekday_hour_matrix(frame)
    assert list(matrix.index) == ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]
    assert list(matrix.columns) == list(range(24))
    assert matrix.loc["周一", 0] == 10
    assert matrix.loc["周日", 23] == 2
    assert matrix.loc["周三", 12] == 9
    assert int(matrix.to_numpy().sum()) == 21
    assert str(matrix.dtypes.unique()[0]) == "int64"
    assert int(weekday_hour_matrix(frame.iloc[0:0]).to_numpy().sum()) == 0
