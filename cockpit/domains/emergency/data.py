"""The emergency screen's questions to the data hub.

A live screen and a query cache pull in opposite directions: the hub keeps an answer for
`cache.timeout` seconds (300 by default), which would hide a new event for minutes. So each
refresh first asks a tiny *probe* per dataset: max(freshness column) and a row count, limited
to rows stamped before the end of the current refresh window. That bound moves once per
window, so the probe is answered afresh once per window (and shared by every browser and
worker in it). The row queries are then limited to rows stamped up to the probe's max: the
same data gives the same query (a cache hit), and new or changed rows give a new query (a
fresh answer). The probe's max is also the screen's 数据截至, current to the window.
Sources must stamp every change (updated_at is 最后更新时间); see docs/emergency.md.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd

from cockpit.domains.emergency.transform import ENDED
from cockpit.hub import DataHub, Result
from data_sources.query import DatasetQuery, Filter, Measure

# Rows stamped a little in the future (a source clock ahead of ours) must still count.
CLOCK_ALLOWANCE = dt.timedelta(days=1)

EVENT_COLUMNS = (
    "event_id",
    "title",
    "category",
    "event_type",
    "level",
    "occurred_at",
    "reported_at",
    "county_code",
    "place",
    "lon",
    "lat",
    "deaths",
    "injuries",
    "status",
    "response_level",
    "updated_at",
)


def window_bound(now: dt.datetime, seconds: int) -> dt.datetime:
    """The end of the refresh window `now` falls in, plus the clock allowance."""
    end = pd.Timestamp(now).ceil(f"{max(int(seconds), 1)}s").to_pydatetime()
    return end + CLOCK_ALLOWANCE


def county_filter(county: str | None) -> tuple[Filter, ...]:
    """The screen's county selection (the user's scope is added by the hub, not here)."""
    return (Filter("county_code", "eq", county),) if county else ()


def probe(
    hub: DataHub,
    dataset: str,
    column: str,
    bound: dt.datetime,
    filters: tuple[Filter, ...] = (),
    extra: tuple[Measure, ...] = (),
) -> Result:
    """max(column) as `as_of` and the row count as `rows`, for rows stamped up to `bound`."""
    query = DatasetQuery(
        filters=(Filter(column, "le", bound), *filters),
        measures=(Measure("as_of", "max", column), Measure("rows", "count"), *extra),
    )
    # The bound moves every window: the last good probe stands for any bound (source down).
    return hub.query(dataset, query, with_as_of=False, live_column=column)


def probe_as_of(result: Result) -> dt.datetime | None:
    """The probe's max stamp (None when it failed or the dataset is empty)."""
    if result.frame.empty or "as_of" not in result.frame:
        return None
    value = result.frame["as_of"].iloc[0]
    return None if value is None or pd.isna(value) else pd.Timestamp(value).to_pydatetime()


def probe_count(result: Result, name: str) -> int | None:
    """A count measured by the probe (None when it failed)."""
    if result.frame.empty or name not in result.frame:
        return None
    value = result.frame[name].iloc[0]
    return None if pd.isna(value) else int(value)


def _rows(
    hub: DataHub, dataset: str, column: str, query: DatasetQuery, seen: Result, bound: dt.datetime
) -> Result:
    """Rows up to the probe's stamp; the answer carries the probe's 数据截至 and error.

    The limit is the dataset's row count from the probe: it never cuts anything off (no
    answer has more rows than the dataset), but it changes the query, and so the cache key,
    when rows are deleted or arrive back-dated without moving max(stamp).
    """
    stamp = probe_as_of(seen) or bound
    count = probe_count(seen, "rows")
    query = dataclasses.replace(
        query.with_filters(Filter(column, "le", stamp)),
        limit=max(count, 1) if count is not None else None,
    )
    result = hub.query(dataset, query, with_as_of=False, live_column=column)
    error = result.error or seen.error
    return dataclasses.replace(
        result, as_of=probe_as_of(seen), error=error, stale=result.stale or seen.stale
    )


def events_probe(hub: DataHub, county: str | None, bound: dt.datetime) -> Result:
    """The events' freshness, with how many are active (the idle check asks only this)."""
    active = Measure("active", "count", where=(Filter("status", "ne", ENDED),))
    return probe(hub, "emergency.events", "updated_at", bound, county_filter(county), (active,))


def active_events(hub: DataHub, county: str | None, seen: Result, bound: dt.datetime) -> Result:
    """Events not yet ended (接报, 处置中), as rows: a handful at any time."""
    query = DatasetQuery(
        filters=(Filter("status", "ne", ENDED), *county_filter(county)),
        columns=EVENT_COLUMNS,
        order_by=(("level", False), ("reported_at", True)),
    )
    return _rows(hub, "emergency.events", "updated_at", query, seen, bound)


def event_counts(
    hub: DataHub, county: str | None, now: dt.datetime, seen: Result, bound: dt.datetime
) -> Result:
    """Events this year and today per level, category and type, counted by the engine."""
    year_start = dt.datetime(now.year, 1, 1)
    day_start = dt.datetime.combine(now.date(), dt.time())
    day_end = day_start + dt.timedelta(days=1)
    query = DatasetQuery(
        filters=(
            Filter("occurred_at", "ge", year_start),
            Filter("occurred_at", "lt", dt.datetime(now.year + 1, 1, 1)),
            *county_filter(county),
        ),
        group_by=("level", "category", "event_type"),
        measures=(
            Measure("year", "count"),
            Measure(
                "today",
                "count",
                where=(
                    Filter("occurred_at", "ge", day_start),
                    Filter("occurred_at", "lt", day_end),
                ),
            ),
        ),
    )
    return _rows(hub, "emergency.events", "updated_at", query, seen, bound)


def timeline_probe(hub: DataHub, event_id: str, bound: dt.datetime) -> Result:
    """The selected event's timeline freshness."""
    return probe(hub, "emergency.timeline", "at", bound, (Filter("event_id", "eq", event_id),))


def timeline(hub: DataHub, event_id: str, seen: Result, bound: dt.datetime) -> Result:
    """The selected event's reports and instructions."""
    query = DatasetQuery(
        filters=(Filter("event_id", "eq", event_id),),
        columns=("event_id", "at", "entry_kind", "text", "by"),
        # No order_by: the SQL adapter leaves the label `at` unquoted in ORDER BY, which
        # DuckDB reads as a keyword; build_timeline sorts the few rows instead.
    )
    return _rows(hub, "emergency.timeline", "at", query, seen, bound)


def warnings_probe(hub: DataHub, county: str | None, bound: dt.datetime) -> Result:
    """The warnings' freshness."""
    return probe(hub, "risk.warnings", "updated_at", bound, county_filter(county))


def warnings_in_force(hub: DataHub, county: str | None, seen: Result, bound: dt.datetime) -> Result:
    """The warnings system's warnings in force (the risk module's one definition), most
    severe first. The cockpit's own threshold and anomaly warnings are not among them: the
    screen labels this set as such (cockpit.domains.risk.data.SOURCE_ONLY_LABEL)."""
    from cockpit.domains.risk.data import IN_FORCE_FILTERS

    query = DatasetQuery(
        filters=(*IN_FORCE_FILTERS, *county_filter(county)),
        columns=(
            "warning_id",
            "domain",
            "level",
            "title",
            "county_code",
            "place",
            "lon",
            "lat",
            "responsible_unit",
            "issued_at",
            "stage",
        ),
        order_by=(("level", False), ("issued_at", True)),
    )
    return _rows(hub, "risk.warnings", "updated_at", query, seen, bound)


def resources_probe(hub: DataHub, bound: dt.datetime) -> Result:
    """The resources' freshness (their available figures change during an event)."""
    return probe(hub, "emergency.resources", "updated_at", bound)


def resources(hub: DataHub, seen: Result, bound: dt.datetime) -> Result:
    """Every resource in the user's scope: the nearest to an event may lie across a county line."""
    query = DatasetQuery(
        columns=(
            "resource_id",
            "kind",
            "name",
            "county_code",
            "lon",
            "lat",
            "capacity",
            "available",
            "unit",
            "contact",
            "phone",
        ),
        order_by=(("kind", False), ("name", False)),
    )
    return _numbers_for_viewer(_rows(hub, "emergency.resources", "updated_at", query, seen, bound))


def duty_roster(hub: DataHub, day: dt.date) -> Result:
    """Who is on duty on `day`."""
    query = DatasetQuery(
        filters=(Filter("duty_date", "eq", day),),
        columns=("duty_date", "role", "name", "post", "phone"),
    )
    return _numbers_for_viewer(hub.query("contacts.duty_roster", query, with_as_of=False))


def _numbers_for_viewer(result: Result) -> Result:
    """Personal mobiles only for roles that may see them (cockpit/directory.py): the screen,
    its map, its exports and the wall all read people's numbers through here."""
    from cockpit.directory import numbers_for_viewer

    return dataclasses.replace(result, frame=numbers_for_viewer(result.frame))
