"""How figures are written for Chinese readers: periods, 万 and 亿, percentages, as-of times."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal, InvalidOperation


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


def number(value: float | None, digits: int = 1, exact: bool = False) -> str:
    """A figure with 万/亿 for large counts; '—' when missing (missing is never zero).

    With exact=True the figure is written with exactly `digits` decimals, as its source
    published it (2,806.2; 2,806.20 where the source wrote 2806.20), whole numbers too."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if abs(value) >= 1e8:
        return f"{value / 1e8:.{digits}f}亿"
    if abs(value) >= 1e5 and not exact:
        return f"{value / 1e4:.{digits}f}万"
    if float(value).is_integer() and not exact:
        return f"{int(value):,}"
    return f"{value:,.{digits}f}"


# More decimals than this in a float's shortest text mean a computed or binary-rounded number
# (1.4800000190734863), not a published one: its precision is not known.
MAX_PUBLISHED_DECIMALS = 6


def carried_decimals(value: object) -> int | None:
    """The number of decimals a source wrote a figure with, where it can be known.

    Text ('2806.20' -> 2) and Decimal keep trailing zeros; a float keeps only its shortest
    form (2806.2 -> 1, 1.48 -> 2), so a whole float (6.0: was it '6' or '6.0'?) is unknown
    (None), as is anything missing or not a number."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        if not value.is_finite():
            return None
        exponent = value.as_tuple().exponent
        return max(-exponent, 0) if isinstance(exponent, int) else None
    if isinstance(value, int):
        return 0
    if isinstance(value, str):
        text = value.strip().replace(",", "")
        try:
            Decimal(text)
        except InvalidOperation:
            return None
        return carried_decimals(Decimal(text))
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value) or value.is_integer():
            return None
        text = repr(value)
        if "e" in text or "E" in text:
            return None
        places = len(text.split(".")[1])
        return places if places <= MAX_PUBLISHED_DECIMALS else None
    return None


def percent(value: float | None, digits: int = 1, signed: bool = False) -> str:
    """12.3 -> '12.3%' (or '+12.3%'); '—' when missing. A signed figure that rounds to zero
    is written '0.0%', never '+0.0%' or '-0.0%' (a sign there claims a direction it has not)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if signed and round(value, digits) == 0:
        return f"{0:.{digits}f}%"
    return f"{value:+.{digits}f}%" if signed else f"{value:.{digits}f}%"


# -- changes: the one way the cockpit writes how much something moved ---------------------------
# Screens (cards, tiles, tables) write a change with an arrow: ↑0.2个百分点, ↓3.2%, ↑1位;
# sentences (the 要情专报, the plain-language lines) with words: 提高0.2个百分点, 下降3.2%.
# Both say 持平 when the change rounds to zero at the precision shown, and a change of a rate
# is always in 个百分点 (a rate of 90% going to 92% rose 2个百分点, not 2%).
ARROWS = ("↑", "↓")
CHANGE_UNITS = {"rate": "个百分点", "percent": "%", "level": ""}
SAME = "持平"


def change_text(
    value: float | None,
    kind: str = "level",
    unit: str = "",
    digits: int = 1,
    words: tuple[str, str] | None = None,
    same: str = SAME,
) -> str:
    """How much a figure moved, written one way everywhere; '—' when unknown.

    kind: "rate" for a change of a rate (in 个百分点), "percent" for a relative change (%),
    "level" for a change of a count or amount in `unit` (件, 天, 位). With `words` (up, down),
    e.g. ("提高", "回落"), the direction is a word instead of an arrow. Zero after rounding
    to `digits` decimals is `same` (持平)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if round(value, digits) == 0:
        return same
    up, down = words or ARROWS
    size = f"{abs(value):.{digits}f}"
    return f"{up if value > 0 else down}{size}{unit or CHANGE_UNITS[kind]}"


def points(value: float | None, digits: int = 1) -> str:
    """A change in percentage points in words: '提高0.5个百分点' / '回落0.3个百分点' / '持平'."""
    return change_text(value, "rate", digits=digits, words=("提高", "回落"))


def as_of(value: dt.datetime | None) -> str:
    """数据截至 text: '2026-11-21 17:30'; '未知' when the source gave no time."""
    if value is None:
        return "未知"
    if value.hour == 0 and value.minute == 0:
        return value.strftime("%Y-%m-%d")
    return value.strftime("%Y-%m-%d %H:%M")


def overdue(late_by: dt.timedelta | None) -> str:
    """How far past its allowed age data are: '已超期2天', '已超期5小时'; '' when on time.

    The one wording of lateness (the overview, the economy page and the 要情专报 use it); the
    one rule deciding it is cockpit.hub.Result.late_by (the dataset's max_age_hours)."""
    if late_by is None:
        return ""
    days = late_by.days
    hours = int(late_by.total_seconds() // 3600)
    return f"已超期{days}天" if days >= 1 else f"已超期{max(hours, 1)}小时"


def freshness(as_of_time: dt.datetime | None, late_by: dt.timedelta | None = None) -> str:
    """数据截至 with lateness: '数据截至 2026-10-20 · 已超期2天' when past the allowed age."""
    text = f"数据截至 {as_of(as_of_time)}"
    late = overdue(late_by)
    return f"{text} · {late}" if late else text


# -- the official register (要情专报): counts, changes and dates as bulletins write them ----------
_CN_DIGITS = "零一二三四五六七八九"


def _trim(text: str) -> str:
    """'3.20' -> '3.2', '3.00' -> '3': bulletins write no trailing zeros."""
    return text.rstrip("0").rstrip(".") if "." in text else text


def count(value: float | None, unit: str = "", digits: int = 2) -> str:
    """A count in the official register: 856件, 1.23万件, 4.5亿元; '—' when missing.

    No thousands separators (bulletins write 8560件, not 8,560件); 万 from ten thousand up,
    亿 from a hundred million up, trailing zeros dropped.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    size = abs(value)
    if size >= 1e8:
        return f"{_trim(f'{value / 1e8:.{digits}f}')}亿{unit}"
    if size >= 1e4:
        return f"{_trim(f'{value / 1e4:.{digits}f}')}万{unit}"
    if float(value).is_integer():
        return f"{int(value)}{unit}"
    return f"{_trim(f'{value:.1f}')}{unit}"


def change(now: float | None, before: float | None, unit: str = "件") -> str:
    """How a count moved: '增加56件（增长4.8%）' / '减少3件（下降1.2%）' / '持平'; '' without a base."""
    if (
        now is None
        or before is None
        or any(isinstance(v, float) and math.isnan(v) for v in (now, before))
    ):
        return ""
    diff = now - before
    if diff == 0:
        return SAME
    text = f"{'增加' if diff > 0 else '减少'}{count(abs(diff), unit)}"
    share = change_text(diff / before * 100, "percent", words=("增长", "下降")) if before else SAME
    # A share that rounds to zero (1 more out of 5000) says nothing: no 增长0.0%.
    return text if share == SAME else f"{text}（{share}）"


def rate_change(now: float | None, before: float | None, digits: int = 1) -> str:
    """A rate against an earlier one, in points: '提高0.5个百分点' / '回落0.3个百分点' / '持平'."""
    if now is None or before is None:
        return ""
    return points(now - before, digits)


def chinese_numeral(n: int) -> str:
    """1-99 in Chinese numerals (排名第二, 第十二); larger numbers stay in digits."""
    if not 0 < n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    if tens == 0:
        return _CN_DIGITS[ones]
    return ("" if tens == 1 else _CN_DIGITS[tens]) + "十" + (_CN_DIGITS[ones] if ones else "")


def day_label(day: dt.date) -> str:
    """2026-11-19 -> 11月19日."""
    return f"{day.month}月{day.day}日"


def date_label(day: dt.date) -> str:
    """2026-11-19 -> 2026年11月19日."""
    return f"{day.year}年{day.month}月{day.day}日"


def span_label(first: dt.date, last: dt.date) -> str:
    """Two days as a span: 11月13日—19日, 11月28日—12月4日 (last day inclusive)."""
    if first == last:
        return day_label(first)
    if (first.year, first.month) == (last.year, last.month):
        return f"{day_label(first)}—{last.day}日"
    return f"{day_label(first)}—{day_label(last)}"
