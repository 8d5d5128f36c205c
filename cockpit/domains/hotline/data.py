"""The 12345 module's questions to the data hub: one function per query, each returning a Result.

Every figure is an aggregate the engine computes (conditional counts, groups, time buckets);
rows leave the database only for one page of the ticket list, the few most urgent tickets and
the bounded keyword sample. Queries that return citizens' names, phone numbers or free text
(the list page, the repeat-caller groups, the text sample) go through an uncached hub, so
those values are never written to the shared cache; they are masked before they leave the
server (masking.py). Where the source keeps the personal rollups (demo file, sync mode), the
keywords and the repeat callers are aggregates too (word_counts, repeat_callers_rollup: no
text, no number, no name; cockpit/rollups.py) and the rows are read only for the list.
"""

from __future__ import annotations

import datetime as dt

from cockpit import clock, rollups
from cockpit.domains.hotline import kpis
from cockpit.domains.hotline.config import HotlineConfig
from cockpit.domains.hotline.drill import Context, sla_filters
from cockpit.domains.hotline.kpis import Window
from cockpit.hub import DataHub, Result
from data_sources.query import BucketUnit, DatasetQuery, Filter, Measure, TimeBucket

TICKETS = "hotline.tickets"
LIST_COLUMNS = (
    "ticket_id",
    "received_at",
    "channel",
    "appeal_type",
    "category_l1",
    "category_l2",
    "county_code",
    "address",
    "content",
    "responsible_unit",
    "deadline",
    "closed_at",
    "status",
    "evaluation",
    "extended",
    "reopened",
    "returned_count",
    "citizen_name",
    "citizen_phone",
)
SLA_COLUMNS = (
    "ticket_id",
    "category_l2",
    "county_code",
    "responsible_unit",
    "deadline",
    "status",
)


def now_of(hub: DataHub) -> dt.datetime:
    """The data's "now": its 数据截至 (a nightly feed is as of midnight), else the clock."""
    stamp = hub.as_of(TICKETS)
    return stamp if stamp is not None else clock.now()


def county_filter(county: str | None) -> tuple[Filter, ...]:
    """The screen's county as a filter (the user's scope is added by the hub, not here)."""
    return (Filter("county_code", "eq", county),) if county else ()


# -- KPIs ----------------------------------------------------------------------------------------
def kpi_counts(
    hub: DataHub, config: HotlineConfig, w: Window, now: dt.datetime, county: str | None
) -> Result:
    """Every KPI count of a window, by second-level category (for the repeat share)."""
    query = kpis.counts_query(config.definitions, w, now, extra=county_filter(county))
    return hub.query(TICKETS, query)


def handling(hub: DataHub, config: HotlineConfig, w: Window, county: str | None) -> Result:
    """Tickets closed in the window by (start day, closing day)."""
    return hub.query(TICKETS, kpis.handling_query(config.definitions, w, county_filter(county)))


def by_group(
    hub: DataHub,
    config: HotlineConfig,
    w: Window,
    now: dt.datetime,
    column: str,
    county: str | None = None,
    peers: bool = False,
) -> Result:
    """The KPI counts of a window per county or per responsible unit.

    `peers=True` counts every county whoever asks, to rank them on the server; the caller
    redacts what a county user may not see (cockpit.scope.redact_peers).
    """
    extra = (*county_filter(county), Filter(column, "not_null"))
    query = kpis.counts_query(config.definitions, w, now, group_by=(column,), extra=extra)
    return hub.query(TICKETS, query, peers=peers)


# -- breakdowns and series -----------------------------------------------------------------------
def categories(hub: DataHub, w: Window, county: str | None) -> Result:
    """Tickets received in the window by 诉求类型 and category (a few hundred groups at most)."""
    query = DatasetQuery(
        filters=(*kpis.received_filters(w), *county_filter(county)),
        group_by=("appeal_type", "category_l1", "category_l2"),
        measures=(Measure("tickets", "count"),),
    )
    return hub.query(TICKETS, query)


def volume(
    hub: DataHub, granularity: BucketUnit, start: dt.datetime, end: dt.datetime, county: str | None
) -> Result:
    """Tickets received per day, week or month in [start, end)."""
    query = DatasetQuery(
        filters=(
            Filter("received_at", "ge", start),
            Filter("received_at", "lt", end),
            *county_filter(county),
        ),
        buckets=(TimeBucket("received_at", granularity, "bucket"),),
        measures=(Measure("tickets", "count"),),
    )
    return hub.query(TICKETS, query)


def weekday_hours(hub: DataHub, w: Window, county: str | None) -> Result:
    """Tickets received in the window by weekday (1 = Monday) and hour of day."""
    query = DatasetQuery(
        filters=(*kpis.received_filters(w), *county_filter(county)),
        buckets=(
            TimeBucket("received_at", "weekday", "weekday"),
            TimeBucket("received_at", "hour_of_day", "hour"),
        ),
        measures=(Measure("tickets", "count"),),
    )
    return hub.query(TICKETS, query)


# -- deadline clocks -----------------------------------------------------------------------------
def sla_counts(hub: DataHub, ctx: Context, county: str | None) -> Result:
    """Open tickets in each deadline-clock bucket, now."""
    measures = [Measure("open", "count", where=(Filter("direct_answer", "eq", False),))]
    for bucket in ("overdue", "soon", "warn", "sign"):
        where = sla_filters(bucket, ctx)
        assert where is not None  # each of these buckets has its filters
        measures.append(Measure(bucket, "count", where=where))
    query = DatasetQuery(
        filters=(Filter("closed_at", "is_null"), *county_filter(county)),
        measures=tuple(measures),
    )
    return hub.query(TICKETS, query)


def sla_urgent(hub: DataHub, ctx: Context, county: str | None, rows: int | None = None) -> Result:
    """The open tickets whose deadline is nearest (or most passed): the page's short list, or
    up to `rows` of them for an export."""
    limit = ctx.now + dt.timedelta(hours=ctx.config.sla.warn_hours)
    query = DatasetQuery(
        filters=(
            Filter("closed_at", "is_null"),
            Filter("direct_answer", "eq", False),
            Filter("deadline", "lt", limit),
            *county_filter(county),
        ),
        columns=SLA_COLUMNS,
        order_by=(("deadline", False), ("ticket_id", False)),
        limit=rows or ctx.config.sla.list_rows,
    )
    return hub.query(TICKETS, query)


# -- hot topics ----------------------------------------------------------------------------------
def weekly(hub: DataHub, config: HotlineConfig, week: dt.datetime, county: str | None) -> Result:
    """Tickets per category per week: the hot week and its baseline weeks."""
    start = week - dt.timedelta(weeks=config.hot_topics.baseline_weeks)
    query = DatasetQuery(
        filters=(
            Filter("received_at", "ge", start),
            Filter("received_at", "lt", week + dt.timedelta(weeks=1)),
            *county_filter(county),
        ),
        group_by=("category_l2",),
        buckets=(TimeBucket("received_at", "week", "week"),),
        measures=(Measure("tickets", "count"),),
    )
    return hub.query(TICKETS, query)


def texts(
    hub: DataHub,
    categories_l2: tuple[str, ...],
    start: dt.datetime,
    end: dt.datetime,
    county: str | None,
    limit: int,
) -> Result:
    """A bounded sample (newest first, at most `limit`) of ticket texts of some categories.

    Free text may hold numbers or names a caller typed in, so it bypasses the shared cache."""
    filters = [Filter("received_at", "ge", start), Filter("received_at", "lt", end)]
    if categories_l2:
        filters.append(Filter("category_l2", "in", categories_l2))
    query = DatasetQuery(
        filters=(*filters, *county_filter(county)),
        columns=("content", "received_at"),
        order_by=(("received_at", True),),
        limit=limit,
    )
    return hub.query(TICKETS, query, with_as_of=False)


def word_counts(
    hub: DataHub,
    categories_l2: tuple[str, ...],
    start: dt.datetime,
    end: dt.datetime,
    county: str | None,
) -> Result | None:
    """Tickets using each word of their text in [start, end), from the word-count rollup built
    at sync/build time (no text read). None when the source keeps no such rollup: then sample
    the texts (`texts`)."""
    filters = [Filter("received_at", "ge", start), Filter("received_at", "lt", end)]
    if categories_l2:
        filters.append(Filter("category_l2", "in", categories_l2))
    query = DatasetQuery(
        filters=(*filters, *county_filter(county)),
        group_by=("word",),
        measures=(Measure("tickets", "sum", "tickets"),),
    )
    ask = getattr(hub, "query_rollup", None)
    return ask(TICKETS, rollups.WORDS.name, query) if ask is not None else None


# -- repeat complaints ---------------------------------------------------------------------------
def repeat_groups(
    hub: DataHub, config: HotlineConfig, w: Window, county: str | None, limit: int | None = None
) -> Result:
    """The callers (or addresses) with most tickets of one category in the window.

    Grouped by phone, the answer holds phone numbers: it is asked through the uncached hub and
    must be masked before it is shown. `limit` groups (default: the list's rows)."""
    key = config.definitions.repeat_key
    measures = [Measure("tickets", "count"), Measure("last_ticket", "max", "ticket_id")]
    if key == "citizen_phone":
        measures.append(Measure("citizen_name", "max", "citizen_name"))
    query = DatasetQuery(
        filters=(*kpis.received_filters(w), Filter(key, "not_null"), *county_filter(county)),
        group_by=(key, "category_l2"),
        measures=tuple(measures),
        order_by=(("tickets", True), ("last_ticket", True)),
        limit=limit or config.lists.repeat_rows,
    )
    target = hub
    return target.query(TICKETS, query, with_as_of=False)


def repeat_callers_rollup(hub: DataHub, w: Window, county: str | None, limit: int) -> Result | None:
    """The same groups as repeat_groups by phone, from the repeat-callers rollup built at
    sync/build time: caller as a keyed hash, number and name as masked, so no citizen's row is
    read. None when the source keeps no such rollup (or the window is not whole days): then
    ask repeat_groups."""
    query = DatasetQuery(
        filters=(*kpis.received_filters(w), *county_filter(county)),
        group_by=("caller_key", "phone_masked", "category_l2"),
        measures=(
            Measure("tickets", "sum", "tickets"),
            Measure("last_ticket", "max", "last_ticket"),
            Measure("name_masked", "max", "name_masked"),
        ),
        order_by=(("tickets", True), ("last_ticket", True)),
        limit=limit,
    )
    ask = getattr(hub, "query_rollup", None)
    return ask(TICKETS, rollups.CALLERS.name, query) if ask is not None else None


def caller_of(hub: DataHub, ticket_id: str) -> tuple[str, str] | None:
    """(phone, category) of one ticket, read on the server (uncached) for a caller drill."""
    query = DatasetQuery(
        filters=(Filter("ticket_id", "eq", ticket_id),),
        columns=("citizen_phone", "category_l2"),
        limit=1,
    )
    result = hub.query(TICKETS, query, with_as_of=False)
    if not result.ok or result.frame.empty:
        return None
    phone, category = result.frame.iloc[0]["citizen_phone"], result.frame.iloc[0]["category_l2"]
    if phone is None or category is None or str(phone) in ("", "<NA>"):
        return None
    return str(phone), str(category)


# -- the ticket list -----------------------------------------------------------------------------
def list_count(hub: DataHub, filters: tuple[Filter, ...], personal: bool) -> Result:
    """How many tickets a list holds (uncached when its filters hold personal values)."""
    query = DatasetQuery(filters=filters, measures=(Measure("tickets", "count"),))
    target = hub
    return target.query(TICKETS, query, with_as_of=False)


def list_page(
    hub: DataHub,
    filters: tuple[Filter, ...],
    order_by: tuple[tuple[str, bool], ...],
    page: int,
    size: int,
) -> Result:
    """One page of ticket rows, never more; through the uncached hub (names and phones)."""
    query = DatasetQuery(
        filters=filters,
        columns=LIST_COLUMNS,
        order_by=order_by,
        limit=size,
        offset=page * size,
    )
    return hub.query(TICKETS, query, with_as_of=False)


UNMASK_COLUMNS = (
    "ticket_id",
    "received_at",
    "county_code",
    "citizen_name",
    "citizen_phone",
    "address",
    "content",
)


def ticket_unmasked(hub: DataHub, ticket_id: str) -> Result:
    """One ticket with its personal information, within the user's scope (never cached)."""
    query = DatasetQuery(
        filters=(Filter("ticket_id", "eq", ticket_id),), columns=UNMASK_COLUMNS, limit=1
    )
    return hub.query(TICKETS, query, with_as_of=False)
