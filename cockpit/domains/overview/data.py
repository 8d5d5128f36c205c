"""The overview's questions to the data hub: one function per dataset, each returning Results.

Every aggregate is pushed down to the engine; only small lists (tasks, active events) are rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pandas as pd

from cockpit.hub import DataHub, Result
from data_sources.query import DatasetQuery, Filter, Measure, TimeBucket


def month_bounds(period: str) -> tuple[dt.datetime, dt.datetime]:
    """[first moment of the month, first moment of the next month)."""
    start = dt.datetime(int(period[:4]), int(period[5:7]), 1)
    end = (pd.Timestamp(start) + pd.offsets.MonthBegin(1)).to_pydatetime()
    return start, end


def county_filter(county: str | None, column: str = "county_code") -> tuple[Filter, ...]:
    """The screen's county selection as a filter (scope is added by the hub, not here)."""
    return (Filter(column, "eq", county),) if county else ()


def economy_rows(hub: DataHub, period: str, place_code: str) -> Result:
    """Indicator rows of one place for this year and last (for computed growth)."""
    first = f"{int(period[:4]) - 1}-01"
    query = DatasetQuery(
        filters=(
            Filter("period", "between", (first, period)),
            Filter("county_code", "eq", place_code),
        )
    )
    return hub.query("economy.indicator_values", query)


def economy_by_county(hub: DataHub, period: str, indicator_id: str) -> Result:
    """One indicator's cumulative rows for every county, this year up to the period."""
    query = DatasetQuery(
        filters=(
            Filter("indicator_id", "eq", indicator_id),
            Filter("period", "between", (f"{period[:4]}-01", period)),
        )
    )
    return hub.query("economy.indicator_values", query)


def hotline_kpis(hub: DataHub, period: str, county: str | None) -> tuple[Result, Result]:
    """The 12345 counts of the month and of the month before, by the 12345 module's own
    definitions (config/hotline.yaml), so the overview and the module always agree."""
    from cockpit.domains.hotline import data as hotline
    from cockpit.domains.hotline.config import HotlineConfig
    from cockpit.domains.hotline.transform import period_windows

    config = hub.module_config.get("hotline") or HotlineConfig()
    now = hotline.now_of(hub)
    windows = period_windows(period, now)
    return (
        hotline.kpi_counts(hub, config, windows["current"], now, county),
        hotline.kpi_counts(hub, config, windows["previous"], now, county),
    )


def hotline_by_county(hub: DataHub, period: str) -> Result:
    """Tickets received in the month, per county (for the map)."""
    start, end = month_bounds(period)
    query = DatasetQuery(
        filters=(Filter("received_at", "ge", start), Filter("received_at", "lt", end)),
        group_by=("county_code",),
        measures=(Measure("tickets", "count"),),
    )
    return hub.query("hotline.tickets", query)


def hotline_weekly(hub: DataHub, until: dt.datetime, county: str | None) -> Result:
    """Tickets per category per week for the ten weeks before `until` (for spikes)."""
    monday = pd.Timestamp(until).normalize() - pd.Timedelta(days=pd.Timestamp(until).weekday())
    start = (monday - pd.Timedelta(weeks=10)).to_pydatetime()
    query = DatasetQuery(
        filters=(
            Filter("received_at", "ge", start),
            Filter("received_at", "lt", monday.to_pydatetime()),
            *county_filter(county),
        ),
        group_by=("category_l2",),
        buckets=(TimeBucket("received_at", "week", "week"),),
        measures=(Measure("tickets", "count"),),
    )
    return hub.query("hotline.tickets", query)


def tasks(hub: DataHub, county: str | None) -> Result:
    """Key tasks of the county (or all), as rows: lights are computed from them."""
    columns = (
        "task_id",
        "title",
        "lead_unit",
        "county_code",
        "start_date",
        "deadline",
        "progress",
        "last_feedback_date",
        "completed_at",
    )
    return hub.query("key_work.tasks", DatasetQuery(filters=county_filter(county), columns=columns))


def warnings_in_force(hub: DataHub, county: str | None, today: dt.date) -> Result:
    """Warnings in force as the 风险管控 page counts them: the sources' and the cockpit's own
    (threshold rules, anomaly detection), with the source's 数据截至 and error. One definition,
    so the overview, the risk page and 要情专报 never show two different numbers."""
    from cockpit.domains.key_work.config import KeyWorkConfig
    from cockpit.domains.risk import acks
    from cockpit.domains.risk.warnings import in_force

    lights = (hub.module_config.get("key_work") or KeyWorkConfig()).lights.rules()
    view = in_force(hub, acks.config(hub), county, today, lights)
    return replace(view.source, frame=view.frame)


def active_events(hub: DataHub, county: str | None) -> Result:
    """Emergency events not yet ended."""
    columns = (
        "event_id",
        "title",
        "level",
        "occurred_at",
        "county_code",
        "status",
        "deaths",
        "injuries",
    )
    query = DatasetQuery(
        filters=(Filter("status", "ne", "已结束"), *county_filter(county)),
        columns=columns,
        order_by=(("level", False), ("occurred_at", True)),
    )
    return hub.query("emergency.events", query)


def events_this_year(hub: DataHub, year: int, county: str | None) -> Result:
    """Events this year by level."""
    query = DatasetQuery(
        filters=(Filter("occurred_at", "ge", dt.datetime(year, 1, 1)), *county_filter(county)),
        group_by=("level",),
        measures=(Measure("events", "count"),),
    )
    return hub.query("emergency.events", query)
