"""Early warning made by the cockpit: threshold rules, and anomalies against a series' history.

Pure functions on numbers and pandas series; cockpit/domains/risk/data.py feeds them from the hub.

Threshold rules (config/risk.yaml) put a four-colour line under or over any indicator or KPI.
A value strictly beyond a line raises a warning of that line's level; a value exactly on the
line does not. The most severe line crossed decides the level.

Anomaly detection judges the latest point of a regular series (weekly 12345 counts) against
its own history:
  1. the history is decomposed by STL (statsmodels, robust=True: outliers get low weights,
     so one bad week does not bend the seasonal pattern);
  2. the expected value of the latest point is the trend's last level plus the seasonal
     component of the same phase one cycle earlier;
  3. moving holidays (春节 shifts by up to four weeks from year to year, so a 52-week season
     cannot hold it) are taken from a calendar: their effect per holiday day is the median of
     what past holiday weeks showed, and the expectation of a holiday week includes it;
  4. the spread is a robust sigma (1.4826 x the median absolute deviation of past residuals;
     for counts at least the Poisson spread sqrt(expected));
  5. the point is an anomaly when it lies more than k sigmas away (strictly), in the
     direction watched, and is not too small to matter.
A series shorter than two full cycles plus the point is not judged ("too_short").
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from cockpit.cache_codec import cacheable

LEVEL_NAMES = {1: "红色", 2: "橙色", 3: "黄色", 4: "蓝色"}
COLOUR_LEVELS = {"red": 1, "orange": 2, "yellow": 3, "blue": 4}
MAD_TO_SIGMA = 1.4826  # the MAD of a normal distribution times this is its sigma
STL_OUTER_ITERATIONS = 5  # robustness passes; 15 (the default) costs 3x for no visible gain
Direction = Literal["above", "below"]


# -- threshold rules -----------------------------------------------------------------------------
def threshold_level(
    value: float | None, direction: Direction, lines: dict[int, float]
) -> int | None:
    """The most severe level (1 red ... 4 blue) whose line `value` is strictly beyond.

    `lines` maps a level to its line. None when the value is missing or within every line.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    for level in sorted(lines):  # 1 (red) is the most severe: look at it first
        line = lines[level]
        if (direction == "below" and value < line) or (direction == "above" and value > line):
            return level
    return None


def threshold_reason(
    name: str, value_text: str, direction: Direction, level: int, line_text: str, where: str
) -> str:
    """The warning's sentence: 全市12345满意率（2026年10月）84.2%，低于橙色预警线85%."""
    word = "低于" if direction == "below" else "高于"
    return f"{where}{name} {value_text}，{word}{LEVEL_NAMES[level]}预警线 {line_text}"


# -- holidays ------------------------------------------------------------------------------------
def holiday_exposure(
    weeks: pd.DatetimeIndex, holidays: Iterable[tuple[dt.date, int]]
) -> np.ndarray:
    """For each week (its Monday), the share of its 7 days that fall in a holiday (0 to 1)."""
    days: set[dt.date] = set()
    for first, length in holidays:
        days.update(first + dt.timedelta(days=i) for i in range(length))
    out = np.zeros(len(weeks))
    for i, monday in enumerate(weeks):
        start = pd.Timestamp(monday).date()
        out[i] = sum((start + dt.timedelta(days=d)) in days for d in range(7)) / 7
    return out


# -- anomaly detection ---------------------------------------------------------------------------
@cacheable  # cached across workers as signed JSON (cockpit.cache_codec), never pickled
@dataclass(frozen=True)
class Judgement:
    """What anomaly detection says of a series' latest point."""

    status: Literal["anomaly", "normal", "too_short"]
    value: float
    expected: float | None = None
    sigma: float | None = None
    z: float | None = None  # (value - expected) / sigma
    recent_mean: float | None = None  # mean of the `recent` points before the latest
    ratio: float | None = None  # value / recent_mean
    holiday: float = 0.0  # share of the latest period that was a holiday

    @property
    def is_anomaly(self) -> bool:
        """Flagged."""
        return self.status == "anomaly"


def beyond(z: float, k: float, direction: Literal["up", "down", "both"]) -> bool:
    """Is z more than k sigmas out, in the direction watched? Exactly k is not."""
    if direction == "up":
        return z > k
    if direction == "down":
        return z < -k
    return abs(z) > k


def judge_latest(
    series: pd.Series,
    *,
    period: int = 52,
    k: float = 3.5,
    direction: Literal["up", "down", "both"] = "up",
    holidays: Iterable[tuple[dt.date, int]] = (),
    counts: bool = True,
    min_value: float = 0.0,
    recent: int = 8,
    min_cycles: int = 2,
) -> Judgement:
    """Judge the last point of a regular series (index: period starts) against its history."""
    from statsmodels.tsa.seasonal import STL

    values = series.astype(float).to_numpy()
    latest = float(values[-1]) if len(values) else float("nan")
    if len(values) < min_cycles * period + 1 or np.isnan(values).any():
        return Judgement("too_short", latest)
    if direction == "up" and latest < min_value:
        return Judgement("normal", latest)  # too small to matter, whatever its history
    history = values[:-1]
    n = len(history)
    exposure = np.zeros(len(values))
    holiday_list = list(holidays)
    if holiday_list and isinstance(series.index, pd.DatetimeIndex):
        exposure = holiday_exposure(series.index, holiday_list)
    past_exposure = exposure[:-1]
    in_holiday = past_exposure > 0
    # A moving holiday would pollute the seasonal pattern (it sits in a different week each
    # year), so the seasonal fit sees holiday weeks as their neighbours would have them.
    clean = pd.Series(np.where(in_holiday, np.nan, history)).interpolate(limit_direction="both")
    # Loess of the trend and low-pass evaluated every ~10% of their windows and interpolated
    # in between (Cleveland et al.'s "jump"): five times faster, the same fit to the eye.
    trend_window = _odd(1.5 * period / (1 - 1.5 / 7))
    fit = STL(
        clean.to_numpy(),
        period=period,
        robust=True,
        trend=trend_window,
        trend_jump=max(1, trend_window // 10),
        low_pass_jump=max(1, _odd(period) // 10),
    ).fit(outer_iter=STL_OUTER_ITERATIONS)
    trend, seasonal = fit.trend, fit.seasonal
    fitted = trend + seasonal
    # The holiday effect per unit of exposure, from past holiday weeks against what their
    # neighbours say they would have been (median: one odd year does not decide), and how
    # much it varies from year to year (a new year's holiday may differ as much).
    marked = (past_exposure >= 2 / 7) & (np.abs(fitted) > 1e-9)
    beta, beta_spread = 0.0, 0.0
    if marked.any():
        effects = (history[marked] - fitted[marked]) / (fitted[marked] * past_exposure[marked])
        beta = min(max(float(np.median(effects)), -1.0), 3.0)  # empty a week, or triple it
        beta_spread = (
            MAD_TO_SIGMA * float(np.median(np.abs(effects - np.median(effects))))
            if len(effects) >= 3
            else abs(beta) / 2  # two holidays tell little: allow for a lot
        )
    # The seasonal level one cycle back, averaged over that week and its two neighbours: a
    # single week of a seasonal fit made from few cycles is noisy.
    smooth = np.convolve(seasonal, np.ones(3) / 3, mode="same")
    smooth[0], smooth[-1] = seasonal[0], seasonal[-1]
    base = float(trend[-1] + smooth[n - period])
    expected = base * (1 + beta * exposure[-1])
    if counts:
        expected = max(expected, 0.0)
    # The spread, measured the way the latest point is judged: each past point against the
    # trend at its time plus the seasonal component one cycle earlier. (In-sample STL
    # residuals are too small where few cycles exist: the cycle-subseries fit their ends.)
    lagged = trend[period:] + smooth[:-period]
    keep = ~in_holiday[period:]
    residuals = (history[period:] - lagged)[keep]
    mad = float(np.median(np.abs(residuals - np.median(residuals)))) if len(residuals) else 0.0
    sigma = MAD_TO_SIGMA * mad
    if counts:
        sigma = max(sigma, math.sqrt(max(expected, 1.0)))
    # A holiday week's expectation is only as sure as the holiday effect is from year to year.
    sigma = math.hypot(sigma, base * exposure[-1] * beta_spread)
    sigma = max(sigma, 1e-9)
    z = (latest - expected) / sigma
    recent_values = history[-recent:]
    recent_mean = float(recent_values.mean()) if len(recent_values) else None
    ratio = latest / recent_mean if recent_mean else None
    big_enough = latest >= min_value if direction != "down" else True
    anomaly = beyond(z, k, direction) and big_enough
    status: Literal["anomaly", "normal"] = "anomaly" if anomaly else "normal"
    return Judgement(status, latest, expected, sigma, z, recent_mean, ratio, float(exposure[-1]))


def _odd(x: float) -> int:
    """The smallest odd integer not below x (STL's windows are odd)."""
    n = math.ceil(x)
    return n if n % 2 else n + 1


def anomaly_reason(
    subject: str, when: str, judgement: Judgement, unit: str = "件", recent: int = 8
) -> str:
    """The warning's sentence, in words a leader reads at a glance: 上周燃气类诉求 312 件，为近8周
    平均（89 件）的 3.5 倍；按往年同期规律预计约 90 件，实际多 222 件，超出正常波动范围.

    The statistics behind it (robust sigmas, z) stay in the code: "超出正常波动范围" is what
    "more than k robust sigmas from the seasonal expectation" means to the reader."""
    j = judgement
    text = f"{when}{subject} {j.value:.0f} {unit}"
    if j.recent_mean:
        text += f"，为近{recent}周周均（{j.recent_mean:.0f} {unit}）的 {j.ratio:.1f} 倍"
    if j.expected is not None and j.z is not None:
        word = "多" if j.value >= j.expected else "少"
        text += (
            f"；按往年同期规律预计约 {j.expected:.0f} {unit}，"
            f"实际{word} {abs(j.value - j.expected):.0f} {unit}"
        )
        if j.is_anomaly:
            text += "，超出正常波动范围"
    if j.holiday > 0:
        text += "（该周含春节假期，已计入节日影响）"
    return text


# -- warnings made from them ---------------------------------------------------------------------
@dataclass(frozen=True)
class EarlyWarning:
    """A warning the cockpit raised itself (a threshold crossed, or an anomaly)."""

    warning_id: str
    origin: Literal["threshold", "anomaly"]
    domain: str
    level: int
    title: str
    reason: str
    county_code: str
    responsible_unit: str
    source: str
    issued_at: dt.datetime | None
    link: str
    topic: str = (
        ""  # what it is about, to match other signals of the same thing (hotline:燃气:week)
    )


def weekly_matrix(frame: pd.DataFrame, key: str, first: str, last: str) -> pd.DataFrame:
    """Weekly counts as a table: one row per week (Mondays first..last), one column per key.

    `frame` has columns key, week (Monday, YYYY-MM-DD) and tickets; a week without tickets
    of a key is a real zero (counts, not missing figures).
    """
    weeks = pd.date_range(first, last, freq="W-MON")
    if frame.empty:
        return pd.DataFrame(index=weeks)
    table = frame.pivot_table(index="week", columns=key, values="tickets", aggfunc="sum")
    table.index = pd.to_datetime(table.index)
    return table.reindex(weeks).fillna(0.0)


def anomaly_level(judgement: Judgement, direction: str, levels: dict[int, float]) -> int | None:
    """The level of a flagged judgement: the most severe z line it lies beyond."""
    if not judgement.is_anomaly or judgement.z is None:
        return None
    z = {"up": judgement.z, "down": -judgement.z}.get(direction, abs(judgement.z))
    return threshold_level(z, "above", levels)


def week_label(monday: pd.Timestamp) -> str:
    """上周（11月9日-15日） for the week starting on a Monday."""
    sunday = monday + pd.Timedelta(days=6)
    end = f"{sunday.day}日" if sunday.month == monday.month else f"{sunday.month}月{sunday.day}日"
    return f"{monday.month}月{monday.day}日-{end}"
