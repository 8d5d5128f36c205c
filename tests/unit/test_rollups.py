"""Rollup tables: an answer from a rollup is the raw answer, or the raw rows answer.

Every comparison runs the same query twice on the same data: once through cockpit.rollups
(rollups, and raw rows for what they cannot say) and once on the raw rows alone.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import sqlalchemy as sa

from cockpit import rollups
from cockpit.demo_data import ensure_rollups
from cockpit.domains.hotline import kpis
from cockpit.domains.hotline.config import Definitions
from cockpit.domains.hotline.kpis import Window
from data_sources.query import DatasetQuery, Filter, Measure, TimeBucket
from data_sources.sql import SqlConfig, SqlSource
from tests.contract.test_adapter_contract import FORMER, bound, reference_tickets

TICKETS = "hotline.tickets"
TABLE = "hotline_tickets"
# The data's "now": its latest updated_at (as the 12345 page takes it), mid-afternoon.
NOW = dt.datetime(2026, 11, 21, 15, 37, 12)
OCT = Window(dt.datetime(2026, 10, 1), dt.datetime(2026, 11, 1), "2026年10月")
SEP = Window(dt.datetime(2026, 9, 1), dt.datetime(2026, 10, 1), "2026年9月")
NOV_SO_FAR = Window(dt.datetime(2026, 11, 1), NOW, "2026年11月1日—21日")


def edge_tickets() -> pd.DataFrame:
    """The reference tickets plus the edge cases a rollup could get wrong."""
    frame = reference_tickets(400)
    base = frame.iloc[0].to_dict()

    def ticket(i: int, **values: object) -> dict:
        return {**base, "ticket_id": f"E{i:03d}", **values}

    ts = pd.Timestamp
    rows = [
        # Received just outside, at and just inside the 120-day lookback of October, closed,
        # due and dispatched in October: only the later two count in October's KPIs.
        ticket(
            1,
            received_at=ts("2026-06-02 23:59:59"),
            closed_at=ts("2026-10-05 10:00"),
            deadline=ts("2026-10-03 09:00"),
            dispatched_at=ts("2026-10-01 08:00"),
        ),
        ticket(
            2,
            received_at=ts("2026-06-03 00:00:00"),
            closed_at=ts("2026-10-05 10:00"),
            deadline=ts("2026-10-03 09:00"),
            dispatched_at=ts("2026-10-01 00:00"),
        ),
        ticket(
            3,
            received_at=ts("2026-06-04 12:00"),
            closed_at=ts("2026-10-31 23:59:59"),
            deadline=ts("2026-10-31 23:59:59"),
        ),
        # Closed at the very start of November (Beijing time): November's, not October's.
        ticket(
            4,
            received_at=ts("2026-10-20 10:00"),
            closed_at=ts("2026-11-01 00:00:00"),
            deadline=ts("2026-11-01 00:00:00"),
        ),
        # Still open: one past its deadline, one due later today, one due next week.
        ticket(
            5,
            closed_at=pd.NaT,
            deadline=ts("2026-11-21 09:00"),
            status="办理中",
            direct_answer=False,
            evaluation=None,
        ),
        ticket(
            6,
            closed_at=pd.NaT,
            deadline=ts("2026-11-21 18:00"),
            status="办理中",
            direct_answer=False,
            evaluation=None,
        ),
        ticket(
            7,
            closed_at=pd.NaT,
            deadline=ts("2026-11-28 18:00"),
            status="办理中",
            direct_answer=False,
            evaluation=None,
            signed_at=pd.NaT,
            sign_deadline=ts("2026-11-21 12:00"),
        ),
        # Bad data: closed before it was received (a negative handling time).
        ticket(8, received_at=ts("2026-10-10 10:00"), closed_at=ts("2026-10-09 10:00")),
        # A former division code: counted under the division that absorbed it.
        ticket(9, county_code="140411", received_at=ts("2026-10-15 10:00")),
        ticket(10, updated_at=ts(NOW)),
    ]
    return pd.concat([frame, pd.DataFrame(rows)], ignore_index=True)


@pytest.fixture
def edge(tmp_path: Path):
    """A DuckDB file of the edge tickets with their rollups, and a source reading it."""
    path = tmp_path / "edge.duckdb"
    frame = edge_tickets()
    con = duckdb.connect(str(path))
    con.register("frame", frame)
    con.execute(f"CREATE TABLE {TABLE} AS SELECT * FROM frame ORDER BY received_at")
    rollups.build(con, TICKETS, TABLE, FORMER)
    con.close()
    source = SqlSource("edge", SqlConfig(kind="sql", url=f"duckdb:///{path}"), read_only_file=True)
    yield source, path
    source.close()


def built_of(source: SqlSource) -> list[rollups.Built]:
    with source.engine().connect() as conn:
        return rollups.read_built(conn.execute(sa.text(rollups.READ_META_SQL)).fetchall(), TICKETS)


def same_answer(source: SqlSource, query: DatasetQuery) -> rollups.Plan | None:
    """Assert that the rollup answer (if any) is the raw answer; return the plan."""
    raw_bound = bound(TABLE)
    built = built_of(source)
    plan = rollups.rewrite(query, raw_bound, built)
    raw = source.fetch(raw_bound, query)
    # Part by part (merged in pandas) and in one joined statement: both are the raw answer.
    for answer in (
        rollups.answer(query, raw_bound, built, source.fetch),
        rollups.answer(query, raw_bound, built, source.fetch, source.fetch_joined),
    ):
        if answer is None:
            assert plan is None
            return None
        keys = [*query.group_by, *(b.name for b in query.buckets)]
        if keys:
            raw = raw.sort_values(keys).reset_index(drop=True)
            answer = answer.sort_values(keys).reset_index(drop=True)
        assert list(answer.columns) == list(raw.columns)
        pd.testing.assert_frame_equal(answer, raw, check_dtype=False)
    assert not raw.empty
    return plan


def kpi_queries(defs: Definitions, now: dt.datetime = NOW) -> dict[str, DatasetQuery]:
    """The 12345 page's KPI queries, for several windows, groups and county scopes."""
    out = {}
    for label, w in (("oct", OCT), ("sep", SEP), ("nov", NOV_SO_FAR)):
        for scope, extra in (
            ("city", ()),
            ("county", (Filter("county_code", "eq", "140403"),)),
            ("scope", (Filter("county_code", "in", ("140403", "140404")),)),
        ):
            out[f"{label}-{scope}-category"] = kpis.counts_query(defs, w, now, extra=extra)
            out[f"{label}-{scope}-handling"] = kpis.handling_query(defs, w, extra)
            for column in ("county_code", "responsible_unit"):
                out[f"{label}-{scope}-{column}"] = kpis.counts_query(
                    defs, w, now, (column,), (*extra, Filter(column, "not_null"))
                )
    return out


def test_kpi_counts_of_closed_periods_come_from_rollups_and_equal_the_raw_counts(edge) -> None:
    """Every KPI count of a closed month (any county scope, any grouping) is the raw count,
    and comes from rollups; only distinct callers across several counties (a scope of two)
    are still counted on raw rows."""
    source, _ = edge
    for name, query in kpi_queries(Definitions()).items():
        plan = same_answer(source, query)
        if name.startswith(("oct", "sep")):
            assert plan is not None, name
            left = [m.name for m in plan.raw.measures] if plan.raw else []
            expected = ["repeat_distinct"] if name.endswith("scope-category") else []
            assert left == expected, name


def test_the_lookback_and_boundary_tickets_change_the_counts_they_should(edge) -> None:
    """The edge tickets matter: the one received 121 days before October is outside October's
    counts, the one closed at 00:00 on 1 November is November's, and the answers still agree."""
    source, _ = edge
    query = kpis.counts_query(Definitions(), OCT, NOW, group_by=("county_code",))
    raw_bound = bound(TABLE)
    closed_in_oct = kpis.within("closed_at", OCT.start, OCT.end)
    unbounded = DatasetQuery(
        filters=closed_in_oct,
        group_by=("county_code",),
        measures=(Measure("closed", "count"),),
    )
    with_lookback = source.fetch(raw_bound, query)["closed"].sum()
    without = source.fetch(raw_bound, unbounded)["closed"].sum()
    assert without - with_lookback == 1  # E001, received 2026-06-02 23:59:59
    same_answer(source, query)


@pytest.mark.parametrize(
    "defs",
    [
        Definitions(satisfaction_cohort="received"),
        Definitions(on_time_cohort="received", on_time_includes_direct=True),
        Definitions(reopened_counts_on_time=True, extended_counts_on_time=False),
        Definitions(lookback_days=30, satisfied_values=("满意",)),
        Definitions(handling_from="dispatched_at", repeat_key="address"),
    ],
)
def test_other_definitions_are_answered_exactly_too(edge, defs) -> None:
    """Definitions the rollups were not built for fall back, measure by measure, to raw rows."""
    source, _ = edge
    for query in kpi_queries(defs).values():
        same_answer(source, query)


def test_breakdowns_series_and_clocks_equal_the_raw_answers(edge) -> None:
    """Categories, volume by day/week/month, weekday x hour, as-of and the deadline clocks."""
    source, _ = edge
    oct_ = kpis.received_filters(OCT)
    county = (Filter("county_code", "eq", "140403"),)
    queries = {
        "categories": DatasetQuery(
            filters=(*oct_, *county),
            group_by=("appeal_type", "category_l1", "category_l2"),
            measures=(Measure("tickets", "count"),),
        ),
        "category filter": DatasetQuery(
            filters=(
                *oct_,
                Filter("category_l1", "eq", "城乡建设"),
                Filter("channel", "eq", "电话"),
            ),
            group_by=("category_l2",),
            measures=(Measure("tickets", "count"),),
        ),
        "weekday-hour": DatasetQuery(
            filters=(*oct_, *county),
            buckets=(
                TimeBucket("received_at", "weekday", "weekday"),
                TimeBucket("received_at", "hour_of_day", "hour"),
            ),
            measures=(Measure("tickets", "count"),),
        ),
        "as of": DatasetQuery(measures=(Measure("as_of", "max", "updated_at"),)),
        "as of, county": DatasetQuery(
            filters=county, measures=(Measure("as_of", "max", "updated_at"),)
        ),
        "open": DatasetQuery(
            filters=(Filter("closed_at", "is_null"),),
            measures=(
                Measure("open", "count", where=(Filter("direct_answer", "eq", False),)),
                Measure("overdue", "count", where=(Filter("deadline", "lt", NOW),)),
            ),
        ),
    }
    for unit in ("day", "week", "month"):
        queries[unit] = DatasetQuery(
            filters=(*kpis.within("received_at", dt.datetime(2026, 9, 7), NOW), *county),
            buckets=(TimeBucket("received_at", unit, "bucket"),),
            measures=(Measure("tickets", "count"),),
        )
    for name, query in queries.items():
        assert same_answer(source, query) is not None, name


@pytest.mark.parametrize(
    "query",
    [
        # A window that does not start on an hour (the finest grain).
        DatasetQuery(
            filters=kpis.within("received_at", dt.datetime(2026, 10, 1, 8, 30), OCT.end),
            group_by=("county_code",),
            measures=(Measure("n", "count"),),
        ),
        # A condition on a column no rollup keeps.
        DatasetQuery(
            filters=(Filter("township", "eq", "城关街道"),), measures=(Measure("n", "count"),)
        ),
        # Rows, and ordered or limited answers.
        DatasetQuery(columns=("ticket_id",), limit=5),
        DatasetQuery(
            group_by=("county_code",),
            measures=(Measure("n", "count"),),
            order_by=(("n", True),),
            limit=2,
        ),
        # Not additive over days.
        DatasetQuery(
            filters=kpis.received_filters(OCT),
            measures=(Measure("callers", "count_distinct", "citizen_phone"),),
        ),
        # "now" other than the instant the rollups were built at.
        DatasetQuery(
            measures=(
                Measure("overdue", "count", where=(Filter("deadline", "lt", NOW.replace(hour=9)),)),
            ),
        ),
    ],
)
def test_queries_without_an_exact_rollup_go_to_the_raw_rows(edge, query) -> None:
    """No plan at all: the hub asks the raw rows (and gets what it always got)."""
    source, _ = edge
    assert rollups.rewrite(query, bound(TABLE), built_of(source)) is None


def test_a_changed_file_gets_its_rollups_rebuilt(edge, tmp_path) -> None:
    """The demo file's rollups carry a signature of its rows: a changed row rebuilds them."""
    source, path = edge
    source.close()
    copy = tmp_path / "changed.duckdb"
    shutil.copyfile(path, copy)
    assert ensure_rollups(copy, FORMER) is False  # built from these rows already (now recorded)
    assert ensure_rollups(copy, FORMER) is False
    con = duckdb.connect(str(copy))
    con.execute(
        f"UPDATE {TABLE} SET closed_at = NULL, updated_at = updated_at + INTERVAL 1 SECOND "
        "WHERE ticket_id = 'E003'"
    )
    assert rollups.is_current(con, TICKETS, TABLE) is False
    con.close()
    assert ensure_rollups(copy, FORMER) is True
    changed = SqlSource("c", SqlConfig(kind="sql", url=f"duckdb:///{copy}"), read_only_file=True)
    try:
        plan = same_answer(changed, kpis.counts_query(Definitions(), OCT, NOW))
        assert plan is not None
    finally:
        changed.close()


def test_the_hub_answers_from_rollups_the_same_as_from_raw_rows(hub) -> None:
    """On the demo data, every aggregate the 12345 page asks for is the raw answer, and the
    KPI counts, handling times, categories and series of a closed month come from rollups."""
    from panels.hotline import callbacks as h

    source = hub.source_of(TICKETS)
    raw_bound = hub.origin_binding(TICKETS)
    built = source.rollups(raw_bound)
    assert {b.rollup.name for b in built} == set(rollups.ROLLUPS) | set(rollups.PERSONAL)
    asked: list[DatasetQuery] = []
    fetch = hub._fetch
    hub._fetch = lambda s, b, q: (asked.append(q), fetch(s, b, q))[1]
    for period, county in (("2026-10", "140403"), ("2026-11", None), ("2025-02", None)):
        h.kpi_section(hub, period, county)
        h.volume_section(hub, period, county, "week")
        h.pattern_section(hub, period, county)
        h.category_section(hub, period, county)
        h.map_section(hub, period, county, "received")
        h.unit_section(hub, period, county)
    answered = 0
    for query in asked:
        if not query.measures:
            continue
        answer = rollups.answer(query, raw_bound, built, source.fetch)
        if answer is None:
            continue
        answered += 1
        joined = rollups.answer(query, raw_bound, built, source.fetch, source.fetch_joined)
        raw = source.fetch(raw_bound, query)
        keys = [*query.group_by, *(b.name for b in query.buckets)]
        for found in (answer, joined):
            if keys:
                raw, found = (f.sort_values(keys).reset_index(drop=True) for f in (raw, found))
            pd.testing.assert_frame_equal(found, raw, check_dtype=False)
    assert answered >= len([q for q in asked if q.measures]) * 0.8


def test_a_demo_file_replaced_while_served_is_answered_from_its_rows(demo_db, tmp_path) -> None:
    """Rollups are used only for the file version they were checked against: a file replaced
    under a running source (regenerated by another worker) gets none until checked again."""
    import os

    from cockpit.demo_data import demo_source
    from cockpit.settings import load_settings
    from data_sources.demo import meta_path
    from tests.conftest import demo_environ

    path = tmp_path / "served.duckdb"
    shutil.copyfile(demo_db, path)
    shutil.copyfile(meta_path(demo_db), meta_path(path))
    settings = load_settings(environ=demo_environ(path, tmp_path / "cache"))
    source = demo_source(
        "demo", settings.sources["demo"], city=settings.city, base_dir=settings.base_dir
    )
    raw_bound = bound(TABLE)
    try:
        names = {b.rollup.name for b in source.rollups(raw_bound)}
        assert names == set(rollups.ROLLUPS) | set(rollups.PERSONAL)
        other = tmp_path / "other.duckdb"
        shutil.copyfile(path, other)
        con = duckdb.connect(str(other))
        con.execute(f"DELETE FROM {TABLE} WHERE county_code = '140403'")
        con.close()
        os.replace(other, path)
        assert source.rollups(raw_bound) == []
    finally:
        source.close()
