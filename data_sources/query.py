"""The query vocabulary: what a panel asks of a dataset, and where the dataset lives.

A panel never talks to a source. It asks the data hub for a dataset with a `DatasetQuery`
(filters, groups, time buckets, measures, or plain columns); the hub adds the user's scope
and hands the query, together with the dataset's binding (`BoundDataset`: which table, which
columns), to the adapter named in config. Adapters push filters, grouping and aggregation down
to their engine wherever they can. The adapter interface itself is in data_sources/base.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from data_sources.base import DataSourceError

FilterOp = Literal[
    "eq", "ne", "in", "not_in", "gt", "ge", "lt", "le", "between", "is_null", "not_null"
]
AggFunc = Literal["count", "sum", "avg", "min", "max", "count_distinct"]
BucketUnit = Literal["hour", "day", "week", "month", "quarter", "year", "weekday", "hour_of_day"]
ColumnType = Literal["string", "int", "float", "bool", "date", "datetime"]


@dataclass(frozen=True)
class Col:
    """Another column as a filter's value: Filter("closed_at", "le", Col("deadline"))."""

    name: str


@dataclass(frozen=True)
class Filter:
    """One condition on a contract column, e.g. Filter("county_code", "in", ("140403",))."""

    column: str
    op: FilterOp
    value: Any = None

    def normalized(self) -> list[Any]:
        """A JSON-able form that is equal for equal filters (used in cache keys)."""
        value = self.value
        if isinstance(value, (list, tuple, set, frozenset)):
            value = sorted((_jsonable(v) for v in value), key=str)
            if self.op == "between":  # order matters for between: (low, high)
                value = [_jsonable(v) for v in self.value]
        else:
            value = _jsonable(value)
        return [self.column, self.op, value]


@dataclass(frozen=True)
class Measure:
    """An aggregate; `where` makes it conditional (e.g. count of tickets closed on time)."""

    name: str
    agg: AggFunc
    column: str | None = None
    where: tuple[Filter, ...] = ()

    def normalized(self) -> list[Any]:
        """A JSON-able form that is equal for equal measures."""
        return [self.name, self.agg, self.column, sorted(f.normalized() for f in self.where)]


@dataclass(frozen=True)
class TimeBucket:
    """Group a timestamp column into calendar buckets, returned as text ('2026-10', '2026-W43')."""

    column: str
    unit: BucketUnit
    name: str


@dataclass(frozen=True)
class DatasetQuery:
    """What a panel wants from a dataset: rows (columns) or aggregates (measures by groups)."""

    filters: tuple[Filter, ...] = ()
    group_by: tuple[str, ...] = ()
    buckets: tuple[TimeBucket, ...] = ()
    measures: tuple[Measure, ...] = ()
    columns: tuple[str, ...] = ()
    order_by: tuple[tuple[str, bool], ...] = ()  # (column or measure name, descending)
    limit: int | None = None
    offset: int = 0

    def with_filters(self, *extra: Filter) -> DatasetQuery:
        """A copy with more filters (ANDed)."""
        return DatasetQuery(
            filters=self.filters + tuple(extra),
            group_by=self.group_by,
            buckets=self.buckets,
            measures=self.measures,
            columns=self.columns,
            order_by=self.order_by,
            limit=self.limit,
            offset=self.offset,
        )

    def normalized(self) -> dict[str, Any]:
        """A canonical JSON-able form: two queries that mean the same give the same dict."""
        return {
            "filters": sorted((f.normalized() for f in self.filters), key=str),
            "group_by": list(self.group_by),
            "buckets": [[b.column, b.unit, b.name] for b in self.buckets],
            "measures": [m.normalized() for m in self.measures],
            "columns": list(self.columns),
            "order_by": [list(o) for o in self.order_by],
            "limit": self.limit,
            "offset": self.offset,
        }


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a dataset contract."""

    name: str
    type: ColumnType
    description: str
    nullable: bool = True
    # Personal information or free text a citizen wrote: answers holding it are never cached.
    private: bool = False


@dataclass(frozen=True)
class BoundDataset:
    """A dataset contract bound to a place in a source (table and column names)."""

    name: str
    table: str
    columns: tuple[ColumnSpec, ...]
    column_map: dict[str, str] = field(default_factory=dict)  # contract name -> source name
    county_column: str | None = None
    # Former division codes (abolished in a reform) -> current code; applied to county_column
    # in filters and groups, so old rows count under the division that absorbed them.
    county_code_map: dict[str, str] = field(default_factory=dict)

    def source_column(self, name: str) -> str:
        """The column's name in the source."""
        return self.column_map.get(name, name)

    def spec(self, name: str) -> ColumnSpec:
        """The contract's spec of a column; DataSourceError for a name not in the contract."""
        for col in self.columns:
            if col.name == name:
                return col
        raise DataSourceError(f"数据集 {self.name} 没有字段 {name}")


def _jsonable(value: Any) -> Any:
    """Dates and times as ISO text, column references tagged, everything else as is."""
    if isinstance(value, Col):
        return {"column": value.name}
    if isinstance(value, (dt.date, dt.datetime, pd.Timestamp)):
        return value.isoformat()
    return value
