"""Early warning on hand-made data: threshold lines, and anomalies against a series' history.

The synthetic series are weekly counts over several years with a yearly season, a slow trend,
Poisson noise and a Spring-Festival dip that moves with the lunar calendar, as 12345 counts do.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from cockpit.domains.risk.config import (
    SPRING_FESTIVAL_EVES,
    AnomalySeries,
    RiskConfig,
    ThresholdRule,
)
from cockpit.domains.risk.early_warning import (
    anomaly_level,
    anomaly_reason,
    beyond,
    holiday_exposure,
    judge_latest,
    threshold_level,
    threshold_reason,
    week_label,
    weekly_matrix,
)

BELOW = {3: 90.0, 2: 85.0, 1: 80.0}  # 黄 below 90, 橙 below 85, 红 below 80
ABOVE = {3: 3.0, 2: 4.0, 1: 5.0}
HOLIDAYS = [(dt.date.fromisoformat(d), 7) for d in SPRING_FESTIVAL_EVES]
DIP = 0.45  # a festival week loses this share of its calls per holiday day share


# -- threshold lines -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "level"),
    [(90.0, None), (89.99, 3), (85.0, 3), (84.99, 2), (80.0, 2), (79.99, 1), (120.0, None)],
)
def test_below_lines_exactly_on_a_line_is_the_milder_level(value: float, level: int | None) -> None:
    """A value exactly on a line does not cross it; a hair beyond does."""
    assert threshold_level(value, "below", BELOW) == level


@pytest.mark.parametrize(
    ("value", "level"), [(3.0, None), (3.01, 3), (4.0, 3), (4.5, 2), (5.0, 2), (5.1, 1)]
)
def test_above_lines(value: float, level: int | None) -> None:
    """The same for lines that are bad above (CPI)."""
    assert threshold_level(value, "above", ABOVE) == level


def test_a_missing_value_raises_no_warning() -> None:
    """Missing is not zero: no figure, no warning (a zero would cross every 'below' line)."""
    assert threshold_level(None, "below", BELOW) is None
    assert threshold_level(float("nan"), "below", BELOW) is None
    assert threshold_level(0.0, "below", BELOW) == 1


def test_threshold_sentence() -> None:
    """The reason names the place, the figure, the side and the line crossed."""
    text = threshold_reason("12345满意率", "84.2%", "below", 2, "85%", "全市（2026年10月）")
    assert text == "全市（2026年10月）12345满意率 84.2%，低于橙色预警线 85%"


def test_rule_lines_must_get_worse_in_the_bad_direction() -> None:
    """Lines in the wrong order, or an unknown metric, are refused with a readable message."""
    with pytest.raises(ValidationError, match="red line must lie strictly below the orange"):
        ThresholdRule(
            id="x",
            metric="hotline.on_time",
            direction="below",
            lines={"red": 90, "orange": 85},
            domain="社会稳定",
        )
    with pytest.raises(ValidationError, match="unknown metric"):
        ThresholdRule(
            id="x", metric="hotline.bogus", direction="below", lines={"red": 1}, domain="金融"
        )
    rule = ThresholdRule(
        id="x",
        metric="economy.cpi.growth",
        direction="above",
        lines={"yellow": 3, "red": 5},
        domain="金融",
    )
    assert rule.levels == {3: 3, 1: 5} and rule.economy_indicator == ("cpi", "growth")


def test_rule_ids_are_unique() -> None:
    """Two rules with one id would share acknowledgements: refused."""
    rule = {
        "id": "a",
        "metric": "key_work.red",
        "direction": "above",
        "lines": {"red": 5},
        "domain": "金融",
    }
    with pytest.raises(ValidationError, match="rule ids repeated: a"):
        RiskConfig(thresholds=[rule], anomalies=[{"id": "a", "by": "category_l2"}])


def test_config_file_is_valid_and_carries_the_spring_festival_calendar() -> None:
    """config/risk.yaml validates; the default holidays are the festival weeks 2016-2035."""
    from cockpit.settings import load_settings

    cfg = RiskConfig.model_validate(load_settings(environ={}).risk)
    assert cfg.thresholds and cfg.anomalies
    assert len(cfg.holidays) == 20 and cfg.holidays[10].first_day == dt.date(2026, 2, 16)


# -- the series ----------------------------------------------------------------------------------
def _weekly(
    start: str = "2019-01-07",
    end: str = "2026-11-09",
    seed: int = 7,
    level: float = 200.0,
    holiday_dip: bool = True,
) -> pd.Series:
    """Weekly counts: trend, a yearly season, the festival dip, Poisson noise."""
    weeks = pd.date_range(start, end, freq="W-MON")
    t = np.arange(len(weeks))
    mean = level * (1 + 0.0005 * t) + 0.15 * level * np.sin(
        2 * np.pi * weeks.day_of_year.to_numpy() / 365.25
    )
    if holiday_dip:
        mean = mean * (1 - DIP * holiday_exposure(weeks, HOLIDAYS))
    counts = np.random.default_rng(seed).poisson(mean).astype(float)
    return pd.Series(counts, index=weeks)


def _until(series: pd.Series, day: str) -> pd.Series:
    return series[series.index <= pd.Timestamp(day)]


def test_holiday_exposure_counts_the_days_of_the_week_in_the_festival() -> None:
    """2026: 除夕 is Monday 16 February, so that week is all festival, the next none."""
    weeks = pd.DatetimeIndex(["2026-02-09", "2026-02-16", "2026-02-23", "2025-01-27"])
    exposure = holiday_exposure(weeks, HOLIDAYS)
    assert exposure.tolist() == [0.0, 1.0, 0.0, 6 / 7]


def test_a_series_too_short_to_judge_says_so() -> None:
    """Two full years plus the week judged are needed; one week less is 'too_short'."""
    series = _weekly(holiday_dip=False)
    enough = series.iloc[-105:]
    assert judge_latest(enough).status in ("normal", "anomaly")
    short = judge_latest(series.iloc[-104:])
    assert short.status == "too_short" and not short.is_anomaly and short.z is None
    assert judge_latest(series.iloc[:0]).status == "too_short"


def test_an_ordinary_week_is_not_flagged() -> None:
    """The latest of a plain seasonal series is normal, with an expectation close to it."""
    j = judge_latest(_weekly(), holidays=HOLIDAYS, direction="both")
    assert j.status == "normal"
    assert abs(j.value - j.expected) < 3.5 * j.sigma


@pytest.mark.parametrize("festival", ["2022-01-31", "2023-01-23", "2025-01-27", "2026-02-16"])
def test_the_spring_festival_dip_is_seasonal_not_anomalous(festival: str) -> None:
    """The festival week's dip (it moves from year to year) is expected from the calendar."""
    series = _until(_weekly(), festival)
    assert series.iloc[-1] < 0.85 * series.iloc[-9:-1].mean()  # a real dip, by the naive view
    j = judge_latest(series, holidays=HOLIDAYS, direction="both")
    assert j.status == "normal", j
    assert j.holiday > 0.5


def test_the_calendar_is_what_explains_the_dip() -> None:
    """Without the holiday calendar the festival week sits far below expectation; with it,
    near it (the 52-week season alone cannot hold a festival that moves by weeks)."""
    series = _until(_weekly(), "2025-01-27")
    without = judge_latest(series, direction="both")
    with_calendar = judge_latest(series, holidays=HOLIDAYS, direction="both")
    assert without.z < -2.5
    assert abs(with_calendar.z) < 1.5
    assert (
        abs(with_calendar.expected - series.iloc[-1]) < abs(without.expected - series.iloc[-1]) / 2
    )


def test_the_same_dip_on_an_ordinary_week_is_flagged() -> None:
    """A festival-sized drop in September is not seasonal: flagged (when drops are watched)."""
    series = _until(_weekly(), "2025-09-15").copy()
    series.iloc[-1] *= 1 - DIP
    j = judge_latest(series, holidays=HOLIDAYS, direction="both")
    assert j.is_anomaly and j.z < -3.5
    assert not judge_latest(series, holidays=HOLIDAYS, direction="up").is_anomaly


def test_a_planted_spike_is_flagged_with_its_reason() -> None:
    """Tripled calls in the last week: flagged, and the sentence says how much."""
    series = _weekly().copy()
    series.iloc[-1] = round(series.iloc[-9:-1].mean() * 2.8)
    j = judge_latest(series, holidays=HOLIDAYS)
    assert j.is_anomaly and j.z > 10
    assert j.ratio == pytest.approx(series.iloc[-1] / series.iloc[-9:-1].mean())
    text = anomaly_reason("燃气类诉求", "本周", j)
    assert text.startswith(f"本周燃气类诉求 {series.iloc[-1]:.0f} 件，为近8周周均")
    assert f"的 {j.ratio:.1f} 倍" in text and "超出正常波动范围" in text  # plain words (#20)


def test_a_spike_during_the_festival_is_still_flagged() -> None:
    """The holiday lowers the expectation; calls tripling in that week still stand out."""
    series = _until(_weekly(), "2026-02-16").copy()
    series.iloc[-1] = series.iloc[-9:-1].mean() * 2.5
    assert judge_latest(series, holidays=HOLIDAYS).is_anomaly


def test_an_old_outlier_neither_flags_a_normal_week_nor_hides_a_new_spike() -> None:
    """Robust: a one-off 10x week a few months back does not move the judgement of today."""
    series = _weekly(holiday_dip=False).copy()
    series.iloc[-20] *= 10
    assert not judge_latest(series).is_anomaly
    series.iloc[-1] *= 2.5
    assert judge_latest(series).is_anomaly


def test_small_counts_are_not_flagged_up() -> None:
    """A week below min_value is never an upward anomaly, however unusual."""
    series = _weekly(level=4, holiday_dip=False).copy()
    series.iloc[-1] = 15
    assert judge_latest(series).is_anomaly
    assert not judge_latest(series, min_value=20).is_anomaly


@pytest.mark.parametrize(
    ("z", "direction", "flagged"),
    [
        (3.5, "up", False),
        (3.5001, "up", True),
        (-3.5001, "up", False),
        (-3.5, "down", False),
        (-3.5001, "down", True),
        (-3.5001, "both", True),
        (3.5, "both", False),
    ],
)
def test_exactly_k_sigmas_is_not_beyond(z: float, direction: str, flagged: bool) -> None:
    """The boundary of the anomaly rule: more than k sigmas, strictly."""
    assert beyond(z, 3.5, direction) is flagged


def test_anomaly_level_takes_the_most_severe_z_line() -> None:
    """z lines map a flagged judgement to a colour; a normal one has none."""
    from cockpit.domains.risk.early_warning import Judgement

    levels = AnomalySeries(
        id="s", by="category_l2", lines={"yellow": 3.5, "orange": 6, "red": 10}
    ).levels
    assert anomaly_level(Judgement("anomaly", 1, 0, 1, 6.0), "up", levels) == 3
    assert anomaly_level(Judgement("anomaly", 1, 0, 1, 6.01), "up", levels) == 2
    assert anomaly_level(Judgement("anomaly", 1, 0, 1, 12.0), "up", levels) == 1
    assert anomaly_level(Judgement("anomaly", 1, 0, 1, -12.0), "both", levels) == 1
    assert anomaly_level(Judgement("normal", 1, 0, 1, 12.0), "up", levels) is None


def test_weekly_matrix_fills_weeks_without_tickets_with_zero() -> None:
    """A week with no tickets of a category is a count of zero, on a regular weekly index."""
    frame = pd.DataFrame(
        {
            "key": ["燃气", "供水", "燃气"],
            "week": ["2026-11-02", "2026-11-02", "2026-11-16"],
            "tickets": [5, 2, 7],
        }
    )
    matrix = weekly_matrix(frame, "key", "2026-10-26", "2026-11-16")
    assert list(matrix.index.strftime("%Y-%m-%d")) == [
        "2026-10-26",
        "2026-11-02",
        "2026-11-09",
        "2026-11-16",
    ]
    assert matrix["燃气"].tolist() == [0, 5, 0, 7]
    assert matrix["供水"].tolist() == [0, 2, 0, 0]


def test_week_label() -> None:
    """Weeks are named by their days; a week across months names both."""
    assert week_label(pd.Timestamp("2026-11-09")) == "11月9日-15日"
    assert week_label(pd.Timestamp("2026-11-30")) == "11月30日-12月6日"
