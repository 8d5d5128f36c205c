"""The risk module's questions to the data hub; every aggregate is pushed down to the engine.

Rows are fetched only where they are few: the warnings in force, one warning, the key tasks.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from cockpit.hub import DataHub, Result
from data_sources.query import DatasetQuery, Filter, Measure, TimeBucket

WARNING_COLUMNS = (
    "warning_id",
    "domain",
    "level",
    "title",
    "county_code",
    "place",
    "lon",
    "lat",
    "responsible_unit",
    "source",
    "issued_at",
    "stage",
    "lifted_at",
)


def county_filter(county: str | None, column: str = "county_code") -> tuple[Filter, ...]:
    """The screen's county selection as a filter (scope is added by the hub, not here)."""
    return (Filter(column, "eq", county),) if county else ()


def month_bounds(period: str) -> tuple[dt.datetime, dt.datetime]:
    """[first moment of the month, first moment of the next month)."""
    start = dt.datetime(int(period[:4]), int(period[5:7]), 1)
    return start, (pd.Timestamp(start) + pd.offsets.MonthBegin(1)).to_pydatetime()


# The one definition of a source warning in force: not at the 解除 stage and with no lifting
# time. Every screen that reads risk.warnings in force filters with this (/emergency too).
IN_FORCE_FILTERS = (Filter("stage", "ne", "解除"), Filter("lifted_at", "is_null"))
# What a screen that shows only these (not the cockpit's threshold and anomaly warnings, see
# cockpit.domains.risk.warnings.in_force) must call them, so its count is never read as all in force.
SOURCE_ONLY_LABEL = "发布系统预警"
SOURCE_ONLY_NOTE = "仅含预警发布系统发布的预警，不含驾驶舱阈值预警和异常检测预警"


def warnings_in_force(hub: DataHub, county: str | None) -> Result:
    """Warnings not yet lifted (发布, 响应, 处置), most severe and newest first."""
    query = DatasetQuery(
        filters=(*IN_FORCE_FILTERS, *county_filter(county)),
        columns=WARNING_COLUMNS,
        order_by=(("level", False), ("issued_at", True)),
    )
    return hub.query("risk.warnings", query)


def warning(hub: DataHub, warning_id: str) -> Result:
    """One warning by id, within the user's scope (empty when out of scope or unknown)."""
    query = DatasetQuery(filters=(Filter("warning_id", "eq", warning_id),), columns=WARNING_COLUMNS)
    return hub.query("risk.warnings", query)


def issued_by_month(
    hub: DataHub, start: dt.datetime, end: dt.datetime, county: str | None
) -> Result:
    """Warnings issued per month in [start, end)."""
    query = DatasetQuery(
        filters=(
            Filter("issued_at", "ge", start),
            Filter("issued_at", "lt", end),
            *county_filter(county),
        ),
        buckets=(TimeBucket("issued_at", "month", "month"),),
        measures=(Measure("issued", "count"),),
    )
    return hub.query("risk.warnings", query)


def lifted_by_month(
    hub: DataHub, start: dt.datetime, end: dt.datetime, county: str | None
) -> Result:
    """Warnings lifted (解除) per month in [start, end)."""
    query = DatasetQuery(
        filters=(
            Filter("lifted_at", "ge", start),
            Filter("lifted_at", "lt", end),
            *county_filter(county),
        ),
        buckets=(TimeBucket("lifted_at", "month", "month"),),
        measures=(Measure("lifted", "count"),),
    )
    return hub.query("risk.warnings", query)


def hotline_weekly(
    hub: DataHub, by: str, start: dt.datetime, end: dt.datetime, county: str | None
) -> Result:
    """Tickets per week and `by` (category_l2 or county_code) in [start, end)."""
    query = DatasetQuery(
        filters=(
            Filter("received_at", "ge", start),
            Filter("received_at", "lt", end),
            *county_filter(county),
        ),
        group_by=(by,),
        buckets=(TimeBucket("received_at", "week", "week"),),
        measures=(Measure("tickets", "count"),),
    )
    return hub.query("hotline.tickets", query)


def economy_rows(hub: DataHub, period: str, indicator_ids: tuple[str, ...]) -> Result:
    """Indicator rows of every place, this year and last, for the indicators named."""
    query = DatasetQuery(
        filters=(
            Filter("period", "between", (f"{int(period[:4]) - 1}-01", period)),
            Filter("indicator_id", "in", indicator_ids),
        )
    )
    return hub.query("economy.indicator_values", query)


def tasks(hub: DataHub) -> Result:
    """Key tasks as rows (their lights are computed from them)."""
    columns = (
        "task_id",
        "county_code",
        "start_date",
        "deadline",
        "progress",
        "last_feedback_date",
        "completed_at",
    )
    return hub.query("key_work.tasks", DatasetQuery(columns=columns))
