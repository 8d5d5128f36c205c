"""ClickHouse as a source, across shards: the contract suite and every panel's bucketed
queries on a Distributed table over two servers, in direct mode and in sync mode.

Two `clickhouse-server` processes of this run (tests/clickhouse_support.py) hold one shard
each; the Distributed tables on the first server read both. The same rows are loaded as
the other engines get: the adapter contract suite's reference tickets
(tests/contract/test_adapter_contract.py) and the recent slice of the demo data the MariaDB test
uses (tests/contract/test_panels_on_mariadb.py). Every answer must equal SQLite's or DuckDB's over
the same rows; the engine is reached through the cockpit's `clickhouse+native://` dialect
(data_sources/clickhouse.py), with the ClickHouse row of data_sources/dialects.py writing
the time buckets.

One cluster for the whole module (both servers answer in about half a second; data: 240
reference tickets and the demo's 13,708 tickets since 2025-09 and 700 warnings, loaded in
about 3 s).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from cockpit.contracts import CONTRACTS
from cockpit.domains.hotline import data as hotline
from cockpit.hub import DataHub
from cockpit.scope import Principal
from data_sources.base import DataSourceError
from data_sources.query import BoundDataset, DatasetQuery, Filter, Measure, TimeBucket
from data_sources.sql import SqlConfig, SqlSource
from tests import clickhouse_support as ch
from tests.conftest import demo_environ
from tests.contract import test_panels_on_mariadb as on_mariadb
from tests.contract.test_adapter_contract import QUERIES as CONTRACT_QUERIES
from tests.contract.test_adapter_contract import TABLE, bound, canonical, reference_tickets

# The panels' bucketed queries of the MariaDB test, and the 12345 page's KPI counts (every
# condition of config/hotline.yaml's working definitions in one statement).
PANEL_QUERIES = {
    **on_mariadb.QUERIES,
    "hotline-kpi-counts": lambda h: hotline.kpi_counts(
        h, on_mariadb.HOTLINE, on_mariadb.WINDOW, on_mariadb.END, None
    ),
    "hotline-kpi-counts-county": lambda h: hotline.kpi_counts(
        h, on_mariadb.HOTLINE, on_mariadb.WINDOW, on_mariadb.END, on_mariadb.COUNTY
    ),
    "hotline-categories": lambda h: hotline.categories(h, on_mariadb.WINDOW, None),
}


def _types(dataset: str) -> dict[str, str]:
    return {c.name: c.type for c in CONTRACTS[dataset].columns}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory):
    """Two ClickHouse servers, one shard each (stopped at the end of the module)."""
    command = ch.clickhouse_or_skip()
    started = ch.start_cluster(command, tmp_path_factory.mktemp("clickhouse"))
    print(f"\ntwo ClickHouse servers answered in {started.started_in:.2f} s")
    try:
        yield started
    finally:
        ch.stop_cluster(started)


@pytest.fixture(scope="module")
def reference(cluster: ch.Cluster) -> pd.DataFrame:
    """The contract suite's reference tickets, loaded over both shards."""
    frame = reference_tickets()
    ch.load(cluster, TABLE, frame, _types("hotline.tickets"))
    return frame


@pytest.fixture(scope="module")
def source(cluster: ch.Cluster) -> SqlSource:
    """The SQL adapter on the first server (its Distributed tables read both shards)."""
    src = SqlSource("clickhouse", SqlConfig(kind="sql", url=cluster.url))
    yield src
    src.close()


@pytest.fixture(scope="module")
def hubs(cluster: ch.Cluster, source: SqlSource, demo_db: Path, tmp_path_factory):
    """(ClickHouse hub, DuckDB hub) over the same slice of the demo data."""
    tmp = tmp_path_factory.mktemp("panels-clickhouse")
    frames = on_mariadb.demo_frames(demo_db, tmp)
    duck_path = tmp / "same-rows.duckdb"
    duck = duckdb.connect(str(duck_path))
    for dataset, table in on_mariadb.TABLES.items():
        frame = frames[table]
        ch.load(cluster, table, frame, _types(dataset))
        duck.register("v", frame)
        duck.execute(f"CREATE TABLE {table} AS SELECT * FROM v")
        duck.unregister("v")
    duck.close()
    environ = demo_environ(demo_db, tmp / "cache")
    local = SqlSource("duck", SqlConfig(kind="sql", url=f"duckdb:///{duck_path}"))
    yield on_mariadb.hub_on(source, environ), on_mariadb.hub_on(local, environ), environ
    local.close()


# -- the data really is spread over both shards ------------------------------------------------
def test_rows_are_on_both_shards_and_the_distributed_table_reads_them_all(
    cluster: ch.Cluster, reference: pd.DataFrame, hubs
) -> None:
    """Each shard holds some of every table's rows; the Distributed table counts their sum,
    from either server."""
    for table in cluster.tables:
        per_shard = [ch.count(s, f"{table}_local") for s in cluster.shards]
        assert all(n > 0 for n in per_shard), (table, per_shard)
        for server in cluster.shards:
            assert ch.count(server, table) == sum(per_shard)
    assert sum(ch.count(s, f"{TABLE}_local") for s in cluster.shards) == len(reference)


# -- the adapter contract suite ---------------------------------------------------------------
@pytest.mark.parametrize("name", list(CONTRACT_QUERIES))
def test_the_contract_queries_give_sqlites_answers(source, reference, name: str) -> None:
    """Each query of the adapter contract suite (month buckets, KPI conditions, former county
    codes, filters, a page of rows) answers on the Distributed table exactly as SQLite."""
    baseline = SqlSource("base", SqlConfig(kind="sql", url="sqlite://"))
    reference.to_sql(TABLE, baseline.engine(), index=False)
    expected = baseline.fetch(bound(), CONTRACT_QUERIES[name])
    got = source.fetch(bound(), CONTRACT_QUERIES[name])
    assert list(got.columns) == list(expected.columns)
    pd.testing.assert_frame_equal(canonical(got), canonical(expected), check_dtype=False)
    assert len(expected) > 0


@pytest.mark.parametrize(
    "unit", ["hour", "day", "week", "month", "quarter", "year", "weekday", "hour_of_day"]
)
def test_every_time_bucket_gives_duckdbs_labels(source, reference, tmp_path, unit: str) -> None:
    """The ClickHouse row's bucket for each unit names the buckets as DuckDB's does."""
    path = tmp_path / "ref.duckdb"
    con = duckdb.connect(str(path))
    con.register("v", reference)
    con.execute(f"CREATE TABLE {TABLE} AS SELECT * FROM v")
    con.close()
    duck = SqlSource("duck", SqlConfig(kind="sql", url=f"duckdb:///{path}"))
    query = DatasetQuery(
        buckets=(TimeBucket("received_at", unit, "at"),), measures=(Measure("n", "count"),)
    )
    try:
        expected = duck.fetch(bound(), query)
    finally:
        duck.close()
    got = source.fetch(bound(), query)
    pd.testing.assert_frame_equal(canonical(got), canonical(expected), check_dtype=False)


def test_a_missing_table_is_a_plain_error_and_health_is_ok(source, reference) -> None:
    """The error contract: no SQL, no traceback, the source named; the adapter answers after."""
    with pytest.raises(DataSourceError) as info:
        source.fetch(bound("no_such_table_here"), CONTRACT_QUERIES["count-by-county"])
    message = str(info.value)
    assert "clickhouse" in message and "SELECT" not in message.upper() and "\n" not in message
    assert "没有表 no_such_table_here" in (info.value.detail or "")
    assert source.health().ok
    assert len(source.fetch(bound(), CONTRACT_QUERIES["count-by-county"])) > 0


# -- every panel's bucketed queries, through a data hub --------------------------------------
@pytest.mark.parametrize("name", list(PANEL_QUERIES))
def test_each_panel_query_gives_duckdbs_answer_on_the_shards(hubs, name: str) -> None:
    """The panel's own query answers on the Distributed table as on DuckDB."""
    on_clickhouse, on_duck = (PANEL_QUERIES[name](hub) for hub in hubs[:2])
    assert on_clickhouse.ok, on_clickhouse.error
    assert on_duck.ok, on_duck.error
    assert len(on_duck.frame) > 0
    assert list(on_clickhouse.frame.columns) == list(on_duck.frame.columns)
    pd.testing.assert_frame_equal(
        canonical(on_clickhouse.frame), canonical(on_duck.frame), check_dtype=False
    )


def test_a_county_users_scope_is_pushed_down_to_the_shards(hubs, source) -> None:
    """A county user's hub (scope from the server session) counts only that county's tickets,
    former division codes included, as DuckDB does."""
    from cockpit.settings import load_settings

    _, on_duck, environ = hubs
    settings = load_settings(environ=environ)
    county = Principal("county-user", "county_leader", frozenset({on_mariadb.COUNTY}))
    scoped = DataHub(settings, {"demo": source}, cache=None, principal=lambda: county)
    scoped_duck = DataHub(
        settings, {"demo": on_duck.sources["demo"]}, cache=None, principal=lambda: county
    )
    query = DatasetQuery(
        group_by=("county_code",),
        buckets=(TimeBucket("received_at", "month", "month"),),
        measures=(Measure("n", "count"),),
    )
    got = scoped.query("hotline.tickets", query)
    expected = scoped_duck.query("hotline.tickets", query)
    assert got.ok, got.error
    assert set(got.frame["county_code"]) == {on_mariadb.COUNTY}
    pd.testing.assert_frame_equal(
        canonical(got.frame), canonical(expected.frame), check_dtype=False
    )


# -- sync mode: the local store pulled from the shards ----------------------------------------
def test_sync_mode_copies_the_distributed_table_into_the_local_store(
    cluster: ch.Cluster, reference: pd.DataFrame, settings, tmp_path
) -> None:
    """`cockpit sync` reads the Distributed table (month pages counted on ClickHouse) into
    the local store; the panels' answer from the store equals the shards'; a second run
    copies nothing."""
    from cockpit.settings import DatasetBinding, SyncSettings
    from cockpit.sync import LocalStore, run_sync
    from tests.apps import app_as, close_app

    changed = settings.model_copy(
        update={
            "sources": {**settings.sources, "platform": SqlConfig(kind="sql", url=cluster.url)},
            "datasets": {
                **settings.datasets,
                "hotline.tickets": DatasetBinding(source="platform", table=TABLE, mode="sync"),
            },
            "sync": SyncSettings(
                path=str(tmp_path / "sync" / "store.duckdb"),
                quarantine_dir=str(tmp_path / "quarantine"),
            ),
        }
    )
    app = app_as(changed)
    try:
        with app.server.test_request_context("/"):
            hub = app.server.extensions["cockpit_hub"]
            assert isinstance(hub.source_of("hotline.tickets"), LocalStore)
            first = run_sync(hub)
            assert first[0]["ok"], first
            assert first[0]["rows"] == len(reference)
            assert run_sync(hub)[0]["rows"] == 0
            query = CONTRACT_QUERIES["rates-by-month"]
            local = hub.query("hotline.tickets", query)
            assert local.ok, local.error
            direct = SqlSource("direct", SqlConfig(kind="sql", url=cluster.url))
            try:
                on_shards = direct.fetch(bound(), query)
            finally:
                direct.close()
            pd.testing.assert_frame_equal(
                canonical(local.frame), canonical(on_shards), check_dtype=False
            )
    finally:
        close_app(app)


# -- the dialect's one rewrite ------------------------------------------------------------------
def test_a_label_named_like_its_column_is_written_under_a_private_alias() -> None:
    """`CASE county_code ... END AS county_code` refers to itself in ClickHouse: the compiler
    writes it AS county_code__out (the frame still says county_code; see the dialect)."""
    from data_sources.clickhouse import ClickHouseDialect
    from data_sources.sql import build_select

    stmt = build_select(bound(), CONTRACT_QUERIES["count-by-county"], "clickhouse")
    sql = " ".join(str(stmt.compile(dialect=ClickHouseDialect())).split())
    assert "END AS county_code__out," in sql
    assert "count(*) AS n " in sql
    plain = build_select(
        BoundDataset("hotline.tickets", TABLE, CONTRACTS["hotline.tickets"].columns),
        DatasetQuery(columns=("ticket_id",)),
        "clickhouse",
    )
    assert "ref_tickets.ticket_id AS ticket_id" in str(plain.compile(dialect=ClickHouseDialect()))


def test_the_urls_query_string_reaches_the_driver_and_query_timeout_the_server(
    cluster: ch.Cluster,
) -> None:
    """`?sync_request_timeout=3&max_threads=2` reach clickhouse-driver as a connection argument
    and a server setting; the source's connect_timeout is the driver's, its query_timeout the
    server's max_execution_time."""
    src = SqlSource(
        "ch",
        SqlConfig(
            kind="sql",
            url=cluster.url + "?sync_request_timeout=3&max_threads=2",
            connect_timeout=4,
            query_timeout=7,
        ),
    )
    try:
        with src.engine().connect() as conn:
            settings = dict(
                conn.exec_driver_sql(
                    "SELECT name, value FROM system.settings "
                    "WHERE name IN ('max_threads', 'max_execution_time')"
                ).fetchall()
            )
            cursor = conn.connection.driver_connection.cursor()
            assert cursor._client.connection.sync_request_timeout == 3.0
            assert cursor._client.connection.connect_timeout == 4
            cursor.close()
    finally:
        src.close()
    assert settings == {"max_threads": "2", "max_execution_time": "7"}


# -- the platform's own aggregates (materialized views) ------------------------------------------
# Tickets per hour and county, as the platform keeps them: a materialized view on each shard
# (one row per ticket, summed as the SummingMergeTree merges) and a Distributed table over them.
# Its columns are those of the cockpit's own rollup `hotline_hourly` (cockpit.contracts.ROLLUPS).
HOURLY_VIEW = (
    "ENGINE = SummingMergeTree() ORDER BY (received_at, county_code) AS SELECT "
    "toStartOfHour(assumeNotNull(received_at)) AS received_at, "
    "assumeNotNull(county_code) AS county_code, toUInt64(1) AS n FROM {local}"
)
BY_MONTH_SINCE_OCTOBER = DatasetQuery(
    filters=(Filter("received_at", "ge", dt.datetime(2026, 10, 1)),),
    group_by=("county_code",),
    buckets=(TimeBucket("received_at", "month", "month"),),
    measures=(Measure("n", "count"),),
)


def test_a_dataset_is_answered_from_the_platforms_aggregate_table(
    cluster: ch.Cluster, settings
) -> None:
    """`aggregate_tables: {hotline_hourly: tickets_hourly}` in the source's config: a query the
    rollup answers exactly is read from the platform's aggregate (and equals the raw answer);
    one it cannot answer (by channel) reads the raw rows."""
    from cockpit.settings import DatasetBinding
    from tests.apps import app_as, close_app

    frame = reference_tickets()
    ch.load(
        cluster, "agg_tickets", frame, _types("hotline.tickets"), {"tickets_hourly": HOURLY_VIEW}
    )
    config = SqlConfig.model_validate(
        {
            "kind": "sql",
            "url": cluster.url,
            "aggregate_tables": {"hotline_hourly": "tickets_hourly"},
        }
    )
    changed = settings.model_copy(
        update={
            "sources": {**settings.sources, "platform": config},
            "datasets": {
                **settings.datasets,
                "hotline.tickets": DatasetBinding(source="platform", table="agg_tickets"),
            },
        }
    )
    app = app_as(changed)
    try:
        with app.server.test_request_context("/"):
            hub = app.server.extensions["cockpit_hub"]
            source = hub.sources["platform"]
            asked: list[tuple[str, tuple[str, ...]]] = []  # (table, measures)
            fetch = source.fetch

            def recording(dataset, query):
                asked.append((dataset.table, tuple(m.name for m in query.measures)))
                return fetch(dataset, query)

            source.fetch = recording  # records which table answered, then asks it
            from_aggregate = hub.query("hotline.tickets", BY_MONTH_SINCE_OCTOBER)
            assert from_aggregate.ok, from_aggregate.error
            # the counts from the aggregate; the raw rows only for 数据截至 (the freshness)
            assert [t for t, measures in asked if "n" in measures] == ["tickets_hourly"], asked
            assert [m for t, m in asked if t == "agg_tickets"] == [("as_of",)], asked
            raw = fetch(bound("agg_tickets"), BY_MONTH_SINCE_OCTOBER)
            pd.testing.assert_frame_equal(
                canonical(from_aggregate.frame), canonical(raw), check_dtype=False
            )
            asked.clear()
            by_channel = hub.query(
                "hotline.tickets",
                DatasetQuery(group_by=("channel",), measures=(Measure("n", "count"),)),
            )
            assert by_channel.ok, by_channel.error
            assert ("agg_tickets", ("n",)) in asked and "tickets_hourly" not in str(asked)
    finally:
        close_app(app)


def test_an_aggregate_table_must_name_a_rollup_of_the_cockpit(tmp_path) -> None:
    """A name that is no rollup of cockpit.contracts.ROLLUPS is refused by check-config, in
    one line naming the source and which names there are (the adapter knows nothing of the
    cockpit's rollups, so the frame's settings check it)."""
    import shutil
    import subprocess
    import sys

    from cockpit.settings import DEFAULT_CONFIG_DIR, PROJECT_ROOT

    folder = tmp_path / "config"
    shutil.copytree(DEFAULT_CONFIG_DIR, folder)
    sources = folder / "sources.yaml"
    sources.write_text(
        sources.read_text(encoding="utf-8")
        + "  platform:\n    kind: sql\n    url: sqlite://\n"
        + "    aggregate_tables: {tickets_by_hour: x}\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("COCKPIT_")}
    env["COCKPIT_CONFIG_DIR"] = str(folder)
    result = subprocess.run(
        [sys.executable, "-m", "cockpit", "check-config"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stdout
    line = next(x for x in result.stderr.splitlines() if "tickets_by_hour" in x)
    assert "sources.platform" in line and "hotline_hourly" in line
