"""How figures are written for Chinese readers: periods, 万 and 亿, percentages, as-of times."""

from __future__ import annotations

import datetime as dt
import math


def period_label(period: str, frequency: str = "monthly") -> str:
    """The cumulative period the way bulletins write it: 1-10月, 1-2月, 一季度, 上半年, 前三季度, 全年."""
    month = int(period[5:7])
    if frequency == "quarterly":
        return {3: "一季度", 6: "上半年", 9: "前三季度", 12: "全年"}.get(month, f"1-{month}月")
    if month == 12:
        return "全年"
    return f"1-{month}月"


def month_label(period: str) -> str:
    """2026-10 -> 2026年10月."""
    return f"{period[:4]}年{int(period[5:7])}月"


def number(value: float | None, digits: int = 1) -> str:
    """A figure with 万/亿 for large counts; '—' when missing (missing is never zero)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if abs(value) >= 1e8:
        return f"{value / 1e8:.{digits}f}亿"
    if abs(value) >= 1e5:
        return f"{value / 1e4:.{digits}f}万"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.{digits}f}"


def percent(value: float | None, digits: int = 1, signed: bool = False) -> str:
    """12.3 -> '12.3%' (or '+12.3%'); '—' when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:+.{digits}f}%" if signed else f"{value:.{digits}f}%"


def points(value: float | None, digits: int = 1) -> str:
    """A change in percentage points: '提高0.5个百分点' / '回落0.3个百分点' / '持平'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if round(value, digits) == 0:
        return "持平"
    word = "提高" if value > 0 else "回落"
    return f"{word}{abs(value):.{digits}f}个百分点"


def as_of(value: dt.datetime | None) -> str:
    """数据截至 text: '2026-11-21 17:30'; '未知' when the source gave no time."""
    if value is None:
        return "未知"
    if value.hour == 0 and value.minute == 0:
        return value.strftime("%Y-%m-%d")
    return value.strftime("%Y-%m-%d %H:%M")


def freshness(as_of_time: dt.datetime | None, late_by: dt.timedelta | None = None) -> str:
    """数据截至 with lateness: '数据截至 2026-10-20 · 已超期2天' when past the allowed age."""
    text = f"数据截至 {as_of(as_of_time)}"
    if late_by is None:
        return text
    days = late_by.days
    hours = int(late_by.total_seconds() // 3600)
    return text + (f" · 已超期{days}天" if days >= 1 else f" · 已超期{max(hours, 1)}小时")
