"""A configured domain's questions to the data hub: one aggregate query per dataset (its
indicators' measures by county and month, pushed down to the engine), and its table rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from cockpit.domains.configured import dataset_name
from cockpit.domains.configured.readings import indicator_rows, measure_names, prepared
from cockpit.domains.configured.schema import Dataset, Domain, Section
from cockpit.hub import DataHub, Result
from data_sources.query import AggFunc, DatasetQuery, Filter, TimeBucket
from data_sources.query import Measure as Agg

BUCKET = "bucket_month"  # the month of each aggregate row ('2026-10'), named apart from columns
AGG: dict[str, AggFunc] = {
    "sum": "sum",
    "mean": "sum",
    "count": "count",
    "max": "max",
    "min": "min",
}


def _filters(where: dict) -> tuple[Filter, ...]:
    out = []
    for column, value in where.items():
        if isinstance(value, dict):
            out += [Filter(column, op, v) for op, v in value.items()]
        elif isinstance(value, list | tuple):
            out.append(Filter(column, "in", tuple(value)))
        else:
            out.append(Filter(column, "eq", value))
    return tuple(out)


def _measures(domain: Domain, d: Dataset) -> tuple[Agg, ...]:
    """Each indicator's numerator (and denominator: a mean's row count, a ratio's `per`)."""
    out = []
    for ind in (i for i in domain.indicators if i.dataset == d.key):
        num, den = measure_names(ind)
        m = ind.measure
        column = m.column if m.agg != "count" else None
        out.append(Agg(num, AGG[m.agg], column, _filters(m.where)))
        if den and ind.per is not None:
            per = ind.per
            column = per.column if per.agg != "count" else None
            out.append(Agg(den, AGG[per.agg], column, _filters(per.where)))
        elif den:  # a mean: the rows whose values were summed
            out.append(Agg(den, "count", None, _filters(m.where)))
    return tuple(out)


def _bound(d: Dataset, day: dt.date) -> dt.date | dt.datetime:
    column = next(c for c in d.columns if c.name == d.time)
    return day if column.type == "date" else dt.datetime.combine(day, dt.time())


def monthly(hub: DataHub, domain: Domain, d: Dataset, year: int) -> Result:
    """The dataset's indicator measures by county and month, last year and this year."""
    query = DatasetQuery(
        filters=(
            Filter(d.time, "ge", _bound(d, dt.date(year - 1, 1, 1))),
            Filter(d.time, "lt", _bound(d, dt.date(year + 1, 1, 1))),
        ),
        group_by=(d.county,),
        buckets=(TimeBucket(d.time, "month", BUCKET),),
        measures=_measures(domain, d),
    )
    return hub.query(dataset_name(domain, d.key), query)


@dataclass
class Loaded:
    """A domain's indicator rows (economy shape, growth computed) and its sources' states."""

    rows: dict[str, pd.DataFrame]  # indicator id -> its rows
    results: dict[str, Result] = field(default_factory=dict)  # dataset key -> its answer

    @property
    def as_of(self) -> dt.datetime | None:
        """The earliest 数据截至 of its datasets (the figures are as fresh as the oldest)."""
        times = [r.as_of for r in self.results.values() if r.as_of is not None]
        return min(times) if times else None

    @property
    def error(self) -> str | None:
        """The first source error, if any."""
        return next((r.error for r in self.results.values() if r.error), None)

    @property
    def main(self) -> Result:
        """The first dataset's answer (its state stands for the domain's on a card)."""
        return next(iter(self.results.values()))


def load(hub: DataHub, domain: Domain, period: str) -> Loaded:
    """Every indicator's rows for the period's year and the year before."""
    year = int(period[:4])
    results = {}
    frames = []
    city = hub.settings.city.code
    for d in domain.datasets:
        if not any(i.dataset == d.key for i in domain.indicators):
            continue
        result = monthly(hub, domain, d, year)
        results[d.key] = result
        frames.append(indicator_rows(result.frame, domain, d.key, d.county, city))
    rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return Loaded(prepared(rows, domain), results)


def table(hub: DataHub, domain: Domain, section: Section, period: str) -> Result:
    """A table section's rows of the period's month (summed by its group_by, if any)."""
    d = next(x for x in domain.datasets if x.key == section.dataset)
    start = dt.date(int(period[:4]), int(period[5:7]), 1)
    end = (pd.Timestamp(start) + pd.offsets.MonthBegin(1)).date()
    filters = (Filter(d.time, "ge", _bound(d, start)), Filter(d.time, "lt", _bound(d, end)))
    types = {c.name: c.type for c in d.columns}
    if section.group_by:
        sums = [c for c in section.columns if c not in section.group_by]
        measures = tuple(
            Agg(c, "sum", c) if types.get(c) in ("int", "float", "bool") else Agg(c, "max", c)
            for c in sums
        ) + ((Agg("count", "count"),) if section.count else ())
        order = ((section.sort, True),) if section.sort else ()
        query = DatasetQuery(
            filters=filters,
            group_by=section.group_by,
            measures=measures,
            order_by=order,
            limit=section.limit,
        )
    else:
        query = DatasetQuery(
            filters=filters,
            columns=section.columns or tuple(c.name for c in d.columns),
            order_by=((section.sort, True),) if section.sort else ((d.time, True),),
            limit=section.limit,
        )
    return hub.query(dataset_name(domain, d.key), query)
