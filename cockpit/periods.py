"""Which months each module offers in the 统计期 selector, which it opens on, and how whole
each month's data are.

A module's periods come from its own data's range (issue #18): the economy's figures of
2021-2023 give 2021-01..2023-12 whatever the 12345 tickets hold, and 12345 offers the months
its tickets cover. Config adds months on either side (`periods:` in config/cockpit.yaml).

- A module's datasets are those its PanelSpec names in `periods_from`; a module naming none
  (the overview, the briefing, the others) takes every dataset below that is configured.
- The default is the module's latest complete period: the economy's newest released period;
  for tickets, the newest month its data run past the end of (the rule of 12345's own
  windows, cockpit.domains.hotline.transform.period_windows: a month is whole once the data's now has
  reached the next month). With several datasets, the newest of their defaults.
- A month whose data stop before its end is partial, and the selector's note says how far
  they go (12月 with five days of tickets: 数据截至12月5日，不是整月).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from cockpit.formatting import month_label
from data_sources.query import DatasetQuery, Measure

if TYPE_CHECKING:
    from cockpit.hub import DataHub
    from cockpit.settings import PeriodBounds

# How a dataset's rows fall into months: a 'YYYY-MM' text column, or a time column.
PERIOD_COLUMNS: dict[str, tuple[str, str]] = {
    "economy.indicator_values": ("period", "month"),
    "hotline.tickets": ("received_at", "time"),
}


@dataclass(frozen=True)
class DataRange:
    """The months one dataset covers, its latest complete one, and how far its data go."""

    first: str
    last: str
    default: str
    until: dt.datetime | None = None  # the data's now, for a time column (None for periods)


@dataclass
class ModulePeriods:
    """What the selector offers on a module's page (newest first) and where it opens."""

    options: list[str]
    default: str
    until: dict[str, dt.datetime] = field(default_factory=dict)  # dataset -> data's now

    def partial_note(self, period: str) -> str:
        """'12月数据截至12月5日，不是整月' where a dataset's data stop inside the month."""
        for until in self.until.values():
            stamp = pd.Timestamp(until)
            if stamp.to_period("M") == pd.Period(period, "M") and not _whole(period, until):
                return (
                    f"{month_label(period)}数据截至{stamp.month}月{stamp.day}日，不是整月，"
                    "与其他月份比较时请注意"
                )
        return ""

    def range_text(self) -> str:
        """'2021年1月—2023年12月'."""
        return f"{month_label(self.options[-1])}—{month_label(self.options[0])}"


def month(value: object) -> str:
    """A timestamp or 'YYYY-MM…' text as 'YYYY-MM'."""
    if isinstance(value, str) and len(value) >= 7 and value[4] == "-":
        return value[:7]
    return str(pd.Timestamp(value).to_period("M"))


def period_column(dataset: str) -> tuple[str, str] | None:
    """How a dataset's rows fall into months: PERIOD_COLUMNS, or the time column of a domain
    defined in config/domains/ (its contract's freshness column)."""
    if dataset in PERIOD_COLUMNS:
        return PERIOD_COLUMNS[dataset]
    from cockpit import modules
    from cockpit.contracts import CONTRACTS

    contract = CONTRACTS.get(dataset)
    if contract is None or not modules.configured(dataset.split(".", 1)[0]):
        return None
    return (contract.freshness_column, "time") if contract.freshness_column else None


def _whole(period: str, until: dt.datetime) -> bool:
    """Is the month complete: has the data's now reached the next month's first moment?"""
    end = pd.Period(period, "M").end_time.normalize() + pd.Timedelta(days=1)
    return pd.Timestamp(until) >= end


def data_range(hub: DataHub, dataset: str) -> DataRange | None:
    """The months a configured dataset covers (None when it is not configured, fails or is
    empty: it then adds nothing to a module's periods)."""
    found = period_column(dataset)
    if not hub.has(dataset) or found is None:
        return None
    column, kind = found
    answer = hub.query(
        dataset,
        DatasetQuery(measures=(Measure("first", "min", column), Measure("last", "max", column))),
        with_as_of=False,
    )
    if not answer.ok or answer.frame.empty:
        return None
    first, last = answer.frame["first"].iloc[0], answer.frame["last"].iloc[0]
    if first is None or last is None or pd.isna(first) or pd.isna(last):
        return None
    try:
        first, last = month(first), month(last)
    except (TypeError, ValueError):  # a period the data check let through: no range from it
        return None
    if kind == "month":
        return DataRange(first, last, last)
    # Tickets: the data's now is their 数据截至 (a nightly feed is as of midnight), as 12345's
    # own screen counts it; the newest ticket where no freshness is known.
    newest_row = answer.frame["last"].iloc[0]
    until = hub.as_of(dataset) or pd.Timestamp(newest_row).to_pydatetime()
    newest = max(last, month(until))
    latest_whole = newest if _whole(newest, until) else str(pd.Period(newest, "M") - 1)
    return DataRange(first, newest, max(latest_whole, first), until)


def module_periods(
    hub: DataHub,
    datasets: tuple[str, ...],
    extra: PeriodBounds | None = None,
    today: dt.date | None = None,
) -> ModulePeriods:
    """The selector of a module reading `datasets` (every period dataset when empty); `extra`
    (config's PeriodBounds) widens the range. Without any data: the last 24 months to today."""
    names = datasets or tuple(PERIOD_COLUMNS)
    ranges = {name: r for name in names if (r := data_range(hub, name)) is not None}
    first = min((r.first for r in ranges.values()), default=None)
    last = max((r.last for r in ranges.values()), default=None)
    default = max((r.default for r in ranges.values()), default=None)
    if extra is not None:
        first = min(filter(None, (first, extra.first)), default=None)
        last = max(filter(None, (last, extra.last)), default=None)
    if last is None:  # no data at all: something to pick, and a page that says 暂无数据
        last = month(today or dt.date.today())
    if first is None:
        first = str(pd.Period(last, "M") - 23)
    span = pd.period_range(first, last, freq="M")
    options = [str(p) for p in reversed(span)]
    if default is None or default not in options:
        default = options[0]
    until = {name: r.until for name, r in ranges.items() if r.until is not None}
    return ModulePeriods(options, default, until)
