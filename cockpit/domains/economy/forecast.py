"""趋势研判: a short-term projection of a monthly indicator, with an uncertainty band.

A projection is a model's reading of the recent path, never a statistic: the screen draws it
dashed with its band and says so. Two routes, both exponential smoothing (statsmodels ETS):

- where 当月 values can be derived (monthly flows that add up), the 当月 series is modelled with
  a local level and a seasonal pattern of one year (11 releases when 1-2月 come out together);
  simulated future months are added to this year's cumulative value and set against last
  year's, which gives the cumulative growth to come. Where growth is published, the path is
  anchored on the published rate (levels at current prices need not give the published rate).
- where only a rate is published (规上工业增加值, CPI), the month-to-month changes of the
  cumulative rate within each year are modelled (see _from_growth) and added to the rate now.

A projection needs `min_years` of unbroken monthly history ending at the period shown; a gap
(an unreported month) or a short history switches it off, with a note that says why. It never
runs past December: cumulative figures start again in January.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cockpit.cache_codec import cacheable
from cockpit.domains.economy.config import ForecastSettings
from cockpit.domains.economy.transform import (
    calendar_months,
    jan_released,
    monthly_derivable,
    monthly_values,
    place_series,
    shown_period,
    with_growth,
)
from cockpit.formatting import chinese_numeral
from cockpit.settings import Indicator


@cacheable  # cached as signed JSON (cockpit.cache_codec), never pickled
@dataclass(frozen=True)
class Projection:
    """A projection of the months after the period shown, or why there is none."""

    available: bool
    note: str  # what the projection is, or why it is off
    periods: tuple[str, ...] = ()
    growth: tuple[float, ...] = ()  # projected cumulative growth, %
    growth_low: tuple[float, ...] = ()
    growth_high: tuple[float, ...] = ()
    monthly: tuple[float, ...] = ()  # projected 当月 values (level route only)
    monthly_low: tuple[float, ...] = ()
    monthly_high: tuple[float, ...] = ()
    interval: float = 0.8


def off(note: str) -> Projection:
    """No projection, and the reason shown in its place."""
    return Projection(False, note)


def project(
    rows: pd.DataFrame,
    indicator: Indicator,
    place: str,
    period: str,
    settings: ForecastSettings,
) -> Projection:
    """The projection of an indicator for a place after the period shown for `period`."""
    if not settings.enabled:
        return off("趋势研判未启用")
    if indicator.frequency != "monthly":
        return off("季度、年度指标不作月度趋势研判")
    data = with_growth(rows, indicator)
    shown = shown_period(data, indicator, period)
    if shown is None:
        return off("本年尚无数据，不作趋势研判")
    jan = jan_released(data, indicator.id)
    year, month = int(shown[:4]), int(shown[5:7])
    ahead = [m for m in calendar_months("monthly", jan) if m > month][: settings.horizon]
    if not ahead:
        return off("已到年末，累计数据次年重新起算，不作研判")
    periods = tuple(f"{year}-{m:02d}" for m in ahead)
    if not (data.county_code == place).any():
        return off("本指标无该地区数据")
    series = place_series(data, indicator, place).set_index("period")
    if shown not in series.index or bool(series.loc[shown, "missing"]):
        return off("本期数据缺失，不作趋势研判")
    slots = len(calendar_months("monthly", jan))
    need = math.ceil(settings.min_years * slots)
    if monthly_derivable(indicator) and not pd.isna(series.loc[shown, "value"]):
        return _from_levels(data, indicator, place, shown, periods, series, need, settings, slots)
    if not pd.isna(series.loc[shown, "growth"]):
        return _from_growth(series, shown, periods, settings.min_years, slots, settings)
    return off("本指标无可研判的序列")


def _from_levels(
    data: pd.DataFrame,
    indicator: Indicator,
    place: str,
    shown: str,
    periods: tuple[str, ...],
    series: pd.DataFrame,
    need: int,
    settings: ForecastSettings,
    slots: int,
) -> Projection:
    """当月 values by seasonal ETS, turned into the cumulative growth to come."""
    months = monthly_values(data, indicator, place, until=shown)
    tail = _unbroken_tail(months["value"])
    if len(tail) < need:
        return off(_too_short(len(tail), len(tail) < len(months), settings))
    last_year = [f"{int(p[:4]) - 1}{p[4:]}" for p in (shown, *periods)]
    base = series["value"].reindex(last_year).to_numpy(dtype="float64")
    if np.isnan(base).any() or (base == 0).any():
        return off("缺少上年同期累计值，不作趋势研判")
    # A local level with a yearly seasonal pattern (ETS A,N,A): on the demo series it fits as
    # well as a damped trend (lower AIC) at a third of the cost.
    fit = _fit(tail, dict(error="add", trend=None, seasonal="add", seasonal_periods=slots))
    if fit is None:
        return off("历史数据规律不明显，不作趋势研判")
    h = len(periods)
    sims = np.asarray(
        fit.simulate(
            h,
            repetitions=settings.simulations,
            anchor="end",
            rng=np.random.default_rng(settings.seed),
        )
    ).reshape(h, -1)
    point = np.asarray(fit.forecast(h), dtype="float64")
    now = float(series.loc[shown, "value"])
    # Anchor on the published rate: levels at current prices need not reproduce it.
    level_rate = (now / base[0] - 1) * 100
    published = series.loc[shown, "growth"]
    offset = 0.0
    if not pd.isna(published) and not bool(series.loc[shown, "growth_computed"]):
        offset = float(published) - level_rate
    future = base[1:, None]
    paths = (now + np.cumsum(sims, axis=0)) / future * 100 - 100 + offset
    centre = (now + np.cumsum(point)) / base[1:] * 100 - 100 + offset
    low_q, high_q = (1 - settings.interval) / 2, 1 - (1 - settings.interval) / 2
    return Projection(
        True,
        f"{_basis(settings)}走势和季节规律推算，{settings.interval:.0%}可能范围",
        periods,
        _round(centre),
        _round(np.quantile(paths, low_q, axis=1)),
        _round(np.quantile(paths, high_q, axis=1)),
        _round(point, 2),
        _round(np.quantile(sims, low_q, axis=1), 2),
        _round(np.quantile(sims, high_q, axis=1), 2),
        settings.interval,
    )


def _from_growth(
    series: pd.DataFrame,
    shown: str,
    periods: tuple[str, ...],
    years: float,
    slots: int,
    settings: ForecastSettings,
) -> Projection:
    """A published cumulative rate, through its month-to-month changes within each year.

    The change of a cumulative rate at month m is about (this month's rate - the cumulative
    rate before) / m, so changes shrink through the year. The model (ETS A,N,N) is fitted to
    the changes times m, which have a steady scale; simulated values are divided by the
    months to come and added to the rate now. The year's first release is no change.
    """
    growth = series.loc[:shown, "growth"]
    scaled = []
    previous: tuple[str, float] | None = None
    for p, g in growth.items():
        if previous is not None and previous[0][:4] == p[:4]:
            scaled.append(int(p[5:7]) * (g - previous[1]))  # NaN where either is missing
        previous = (p, g)
    tail = _unbroken_tail(pd.Series(scaled, dtype="float64"))
    need = math.ceil(years * (slots - 1))
    if len(tail) < need:
        return off(_too_short(len(tail), len(tail) < len(scaled), settings))
    fit = _fit(tail, dict(error="add", trend=None, seasonal=None))
    if fit is None:
        return off("历史数据规律不明显，不作趋势研判")
    h = len(periods)
    months = np.array([int(p[5:7]) for p in periods], dtype="float64")
    sims = np.asarray(
        fit.simulate(
            h,
            repetitions=settings.simulations,
            anchor="end",
            rng=np.random.default_rng(settings.seed),
        )
    ).reshape(h, -1)
    now = float(growth.loc[shown])
    paths = now + np.cumsum(sims / months[:, None], axis=0)
    centre = now + np.cumsum(np.asarray(fit.forecast(h), dtype="float64") / months)
    low_q, high_q = (1 - settings.interval) / 2, 1 - (1 - settings.interval) / 2
    return Projection(
        True,
        f"{_basis(settings)}累计增速的逐月变化推算，{settings.interval:.0%}可能范围",
        periods,
        _round(centre),
        _round(np.quantile(paths, low_q, axis=1)),
        _round(np.quantile(paths, high_q, axis=1)),
        interval=settings.interval,
    )


def _unbroken_tail(values: pd.Series) -> pd.Series:
    """The values after the last gap, as a series with a plain 0..n-1 index."""
    array = values.to_numpy(dtype="float64")
    gaps = np.flatnonzero(np.isnan(array))
    start = gaps[-1] + 1 if len(gaps) else 0
    return pd.Series(array[start:])


def _fit(values: pd.Series, spec: dict):
    """Fit an ETS model quietly; None when it does not converge to anything usable."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel  # heavy: import on use

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter is not the user's business
        try:
            fit = ETSModel(values, **spec).fit(disp=False)
        except (ValueError, np.linalg.LinAlgError):
            return None
    if not np.isfinite(np.asarray(fit.forecast(1), dtype="float64")).all():
        return None
    return fit


def _basis(settings: ForecastSettings) -> str:
    """What a projection rests on, as a reader says it: 按近三年 (not the model's name)."""
    years = settings.min_years
    span = chinese_numeral(int(years)) if float(years).is_integer() else f"{years:g}"
    return f"按近{span}年"


def _too_short(months: int, gap: bool, settings: ForecastSettings) -> str:
    """Why a series is too short: its length, and whether a missing month cut it."""
    where = f"缺失月份之后连续数据仅{months}期" if gap else f"月度数据仅{months}期"
    return f"{where}，不足{settings.min_years:g}年，不作趋势研判"


def _round(values: np.ndarray, digits: int = 1) -> tuple[float, ...]:
    return tuple(round(float(v), digits) + 0.0 for v in values)  # + 0.0: no "-0.0"
