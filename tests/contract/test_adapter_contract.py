"""One contract suite over every adapter: the same reference data, the same queries, the same answers.

The reference tickets are loaded into SQLite, DuckDB, PostgreSQL, MariaDB (the MySQL protocol
of Doris, StarRocks, TiDB and OceanBase), sync mode's local store, the demo adapter's file, the
fake sharing platform (REST) and drop-folder files in each encoding; every query must give the same result everywhere
(the Metabase-drivers idea: one dataset, one suite, every driver). The engines no test machine
runs (Oracle, SQL Server, ClickHouse, 达梦, Kingbase) are compiled against the SQL they must
get (data_sources/dialects.py). Errors, health(), close() and the optional capabilities each
adapter declares are part of the contract too. close() releases connections and files and the
source stays usable: the next query opens them again (data_sources.base.DataSource.close).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import get_args

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from cockpit.contracts import CONTRACTS
from cockpit.drop_checks import ContractChecks
from cockpit.sync import LocalStore
from data_sources.base import DataSourceError
from data_sources.demo import DemoConfig, DemoSource
from data_sources.dialects import compile_dialect, dialect_for
from data_sources.files import FileConfig, FileSource
from data_sources.query import (
    BoundDataset,
    BucketUnit,
    Col,
    DatasetQuery,
    Filter,
    Measure,
    TimeBucket,
)
from data_sources.rest import RestConfig, RestSource
from data_sources.sql import SqlConfig, SqlSource, build_select
from tests.fake_platform import FakePlatform
from tests.mariadb_support import mariadb_url_or_skip, unique_name

CONTRACT = CONTRACTS["hotline.tickets"]
TABLE = "ref_tickets"
FORMER = {"140402": "140403", "140411": "140403"}


def reference_tickets(n: int = 240) -> pd.DataFrame:
    """Hand-made tickets covering every column type, NULLs, old division codes and ties."""
    rng = np.random.default_rng(7)
    received = pd.Timestamp("2026-09-01") + pd.to_timedelta(
        rng.integers(0, 60 * 24 * 60, n), unit="min"
    )
    deadline = received + pd.to_timedelta(rng.integers(1, 10, n), unit="D")
    closed = received + pd.to_timedelta(rng.integers(60, 14 * 24 * 60, n), unit="min")
    open_ = rng.random(n) < 0.15
    counties = rng.choice(["140403", "140404", "140423", "140402", "140411"], n)
    evaluation = rng.choice(["满意", "基本满意", "不满意", None], n)
    frame = pd.DataFrame(
        {
            "ticket_id": [f"R{i:05d}" for i in range(n)],
            "received_at": received.floor("s"),
            "channel": rng.choice(["电话", "微信", "网站"], n),
            "appeal_type": rng.choice(["咨询", "投诉", "求助"], n),
            "category_l1": rng.choice(["城乡建设", "公共服务"], n),
            "category_l2": rng.choice(["供热", "燃气", "供水"], n),
            "county_code": counties,
            "township": "城关街道",
            "address": [f"某小区{i % 30}号楼" for i in range(n)],
            "content": "反映暖气不热，要求处理。",
            "direct_answer": rng.random(n) < 0.2,
            "responsible_unit": rng.choice(["市住建局", "市燃气公司", None], n),
            "dispatched_at": received.floor("s") + pd.Timedelta(minutes=30),
            "sign_deadline": received.floor("s") + pd.Timedelta(hours=4),
            "signed_at": received.floor("s") + pd.Timedelta(hours=1),
            "deadline": deadline.floor("s"),
            "extended": rng.random(n) < 0.05,
            "returned_count": rng.integers(0, 3, n),
            "reopened": rng.random(n) < 0.03,
            "closed_at": pd.Series(closed.floor("s")).where(~open_),
            "status": np.where(open_, "办理中", "已办结"),
            "followed_up": rng.random(n) < 0.8,
            "evaluation": evaluation,
            "citizen_name": "张三",
            "citizen_phone": "13800000000",
            "updated_at": received.floor("s") + pd.Timedelta(days=1),
        }
    )
    return frame


def bound(table: str = TABLE) -> BoundDataset:
    """The ticket contract bound to the reference table."""
    return BoundDataset("hotline.tickets", table, CONTRACT.columns, {}, "county_code", FORMER)


QUERIES: dict[str, DatasetQuery] = {
    "count-by-county": DatasetQuery(group_by=("county_code",), measures=(Measure("n", "count"),)),
    "rates-by-month": DatasetQuery(
        buckets=(TimeBucket("received_at", "month", "month"),),
        measures=(
            Measure("received", "count"),
            Measure("on_time", "count", where=(Filter("closed_at", "le", Col("deadline")),)),
            Measure(
                "satisfied", "count", where=(Filter("evaluation", "in", ("满意", "基本满意")),)
            ),
            Measure("open", "count", where=(Filter("closed_at", "is_null"),)),
        ),
    ),
    "weekly-by-category": DatasetQuery(
        group_by=("category_l2",),
        buckets=(TimeBucket("received_at", "week", "week"),),
        measures=(Measure("n", "count"), Measure("returns", "sum", "returned_count")),
    ),
    "filtered-county-former-codes": DatasetQuery(
        filters=(Filter("county_code", "eq", "140403"), Filter("direct_answer", "eq", False)),
        group_by=("channel",),
        measures=(Measure("n", "count"), Measure("last", "max", "received_at")),
    ),
    "between-and-weekday": DatasetQuery(
        filters=(
            Filter("received_at", "between", (dt.datetime(2026, 9, 15), dt.datetime(2026, 10, 15))),
        ),
        buckets=(TimeBucket("received_at", "weekday", "weekday"),),
        measures=(Measure("n", "count"), Measure("units", "count_distinct", "responsible_unit")),
    ),
    "page-of-rows": DatasetQuery(
        filters=(Filter("status", "eq", "办理中"),),
        columns=("ticket_id", "received_at", "county_code", "closed_at", "direct_answer"),
        order_by=(("received_at", True), ("ticket_id", False)),
        limit=10,
        offset=5,
    ),
}


def canonical(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame in a form where equal answers compare equal (sorted, rounded, plain types)."""
    out = frame.copy()
    for name in out.columns:
        col = out[name]
        if pd.api.types.is_datetime64_any_dtype(col):
            out[name] = col.dt.strftime("%Y-%m-%d %H:%M:%S").astype(object).where(col.notna(), None)
        elif pd.api.types.is_bool_dtype(col) or str(col.dtype) == "boolean":
            out[name] = col.astype(object).where(col.notna(), None)
        elif pd.api.types.is_numeric_dtype(col):
            out[name] = col.astype(float).round(6)
        else:
            out[name] = (
                col.astype(object)
                .where(col.notna(), None)
                .map(lambda v: None if v is None else str(v))
            )
    return out.sort_values(list(out.columns), na_position="first").reset_index(drop=True)


# -- the adapters, each loaded with the same reference rows ---------------------------------
def sqlite_source(tmp: Path, frame: pd.DataFrame) -> SqlSource:
    url = f"sqlite:///{tmp / 'ref.sqlite'}"
    frame.to_sql(TABLE, sa.create_engine(url), index=False)
    return SqlSource("sqlite", SqlConfig(kind="sql", url=url))


def duckdb_file(path: Path, frame: pd.DataFrame) -> None:
    import duckdb

    con = duckdb.connect(str(path))
    con.register("v", frame)
    con.execute(f"CREATE TABLE {TABLE} AS SELECT * FROM v")
    con.close()


def duckdb_source(tmp: Path, frame: pd.DataFrame) -> SqlSource:
    duckdb_file(tmp / "ref.duckdb", frame)
    return SqlSource("duckdb", SqlConfig(kind="sql", url=f"duckdb:///{tmp / 'ref.duckdb'}"))


def demo_source(tmp: Path, frame: pd.DataFrame) -> DemoSource:
    """The demo adapter serving a file that holds the reference rows (its meta says 'already made')."""
    from cockpit.demo_data import demo_source as lent_demo_source
    from data_sources.demo import write_meta

    class City:
        code = "140400"

    config = DemoConfig(
        kind="demo", path=str(tmp / "demo-ref.duckdb"), end_date=dt.date(2026, 11, 20)
    )
    source = lent_demo_source("demo", config, city=City(), base_dir=tmp)
    duckdb_file(source.path, frame)
    write_meta(source.path, source._params())
    return source


def file_source(tmp: Path, frame: pd.DataFrame, encoding: str, suffix: str = ".csv") -> FileSource:
    folder = tmp / f"drop-{encoding}-{suffix.strip('.')}"
    folder.mkdir()
    path = folder / f"{TABLE}_20261120{suffix}"
    if suffix == ".parquet":  # written by DuckDB: pandas would need pyarrow
        import duckdb

        con = duckdb.connect()
        con.register("v", frame)
        con.execute(f"COPY v TO '{path}' (FORMAT parquet)")
        con.close()
    elif suffix == ".xlsx":
        frame.to_excel(path, index=False)
    else:
        frame.to_csv(path, index=False, encoding=encoding, date_format="%Y-%m-%d %H:%M:%S")
    # The row checks the factory lends every file drop (the contracts, without a city here).
    return FileSource("file", FileConfig(kind="file", folder=str(folder)), checks=ContractChecks())


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    """The reference rows."""
    return reference_tickets()


@pytest.fixture(scope="module")
def platform(reference: pd.DataFrame):
    """The fake sharing platform serving the reference rows (JSON: times as text)."""
    rows = reference.copy()
    for name in rows.columns:
        if pd.api.types.is_datetime64_any_dtype(rows[name]):
            rows[name] = rows[name].dt.strftime("%Y-%m-%d %H:%M:%S").where(rows[name].notna(), None)
    rows = rows.astype(object).where(rows.notna(), None)
    with FakePlatform({TABLE: rows}) as fake:
        yield fake


def rest_source(
    platform: FakePlatform, monkeypatch: pytest.MonkeyPatch, size: int = 50
) -> RestSource:
    monkeypatch.setenv("T_APP_KEY", platform.behaviour.key)
    monkeypatch.setenv("T_APP_SECRET", platform.behaviour.secret)
    config = RestConfig.model_validate(
        {
            "kind": "rest",
            "base_url": platform.url,
            "app_key_env": "T_APP_KEY",
            "app_secret_env": "T_APP_SECRET",
            "pagination": {"size": size},
            "backoff": 0.01,
        }
    )
    return RestSource("rest", config)


ADAPTERS = [
    "sqlite",
    "duckdb",
    "local",
    "postgres",
    "mariadb",
    "demo",
    "rest",
    "csv-utf8",
    "csv-utf8-bom",
    "csv-gbk",
    "parquet",
    "xlsx",
]


@pytest.fixture(params=ADAPTERS)
def source(request, reference, tmp_path, platform, monkeypatch):
    """Each adapter in turn, loaded with the reference rows."""
    kind = request.param
    if kind == "sqlite":
        src = sqlite_source(tmp_path, reference)
    elif kind == "duckdb":
        src = duckdb_source(tmp_path, reference)
    elif kind == "local":  # sync mode's local store, over a copy of the rows
        duckdb_file(tmp_path / "local.duckdb", reference)
        src = LocalStore(tmp_path / "local.duckdb")
    elif kind == "demo":
        src = demo_source(tmp_path, reference)
    elif kind == "rest":
        src = rest_source(platform, monkeypatch)
    elif kind in ("postgres", "mariadb"):
        url = request.getfixturevalue("pg_url") if kind == "postgres" else mariadb_url_or_skip()
        table = unique_name("ref")
        engine = sa.create_engine(url)
        reference.to_sql(table, engine, index=False)
        src = SqlSource(kind, SqlConfig(kind="sql", url=url))
        src.table = table
        yield src
        src.close()
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP TABLE {engine.dialect.identifier_preparer.quote(table)}"))
        engine.dispose()
        return
    elif kind == "parquet":
        src = file_source(tmp_path, reference, "utf-8", ".parquet")
    elif kind == "xlsx":
        src = file_source(tmp_path, reference, "utf-8", ".xlsx")
    else:
        encoding = {"csv-utf8": "utf-8", "csv-utf8-bom": "utf-8-sig", "csv-gbk": "gbk"}[kind]
        src = file_source(tmp_path, reference, encoding)
    src.table = TABLE
    yield src
    src.close()


@pytest.mark.parametrize("name", list(QUERIES))
def test_every_adapter_gives_the_same_answer(source, reference, name, tmp_path) -> None:
    """Each adapter answers each query exactly as SQLite does over the same rows."""
    baseline = SqlSource("base", SqlConfig(kind="sql", url="sqlite://"))
    engine = baseline.engine()
    reference.to_sql(TABLE, engine, index=False)
    expected = baseline.fetch(bound(), QUERIES[name])
    got = source.fetch(bound(source.table), QUERIES[name])
    assert list(got.columns) == list(expected.columns)
    pd.testing.assert_frame_equal(canonical(got), canonical(expected), check_dtype=False)
    assert len(expected) > 0


def test_former_codes_are_counted_under_the_current_division(reference) -> None:
    """The suite's reference rows do exercise the 2018 re-division (else the suite proves less)."""
    assert reference["county_code"].isin(list(FORMER)).sum() > 0
    source = SqlSource("s", SqlConfig(kind="sql", url="sqlite://"))
    reference.to_sql(TABLE, source.engine(), index=False)
    got = source.fetch(bound(), QUERIES["count-by-county"])
    counts = dict(zip(got.county_code, got.n, strict=True))
    merged = reference["county_code"].map(lambda c: FORMER.get(c, c)).value_counts()
    assert counts == merged.to_dict()
    assert not set(FORMER) & set(counts)


def test_environment_is_not_leaking_secrets_into_config(monkeypatch) -> None:
    """REST secrets are read from the environment at request time, never kept in the config."""
    monkeypatch.setenv("X_SECRET", "s3cret")
    config = RestConfig.model_validate(
        {
            "kind": "rest",
            "base_url": "http://127.0.0.1:9/api",
            "app_key_env": "X_KEY",
            "app_secret_env": "X_SECRET",
        }
    )
    assert "s3cret" not in json.dumps(config.model_dump())
    assert os.environ["X_SECRET"] == "s3cret"


# -- errors, health() and close(): the same contract everywhere -------------------------------
def _assert_plain(message: str, source_name: str) -> None:
    """A message a user may read: one line, naming the source, no SQL, no traceback."""
    assert source_name in message
    assert "\n" not in message
    assert "SELECT" not in message.upper()
    assert "Traceback" not in message


def test_a_missing_table_raises_a_plain_data_source_error(source) -> None:
    """A table (resource, file prefix) that is not there: DataSourceError in plain words, and
    the adapter still answers afterwards."""
    with pytest.raises(DataSourceError) as info:
        source.fetch(bound("no_such_table_here"), QUERIES["count-by-county"])
    assert not isinstance(info.value, sa.exc.SQLAlchemyError)
    _assert_plain(str(info.value), source.name)
    assert len(source.fetch(bound(source.table), QUERIES["count-by-county"])) > 0


def test_a_missing_column_raises_a_plain_data_source_error(source) -> None:
    """A contract column mapped to a source column that is not there: DataSourceError."""
    missing = replace(bound(source.table), column_map={"channel": "no_such_column"})
    query = DatasetQuery(group_by=("channel",), measures=(Measure("n", "count"),))
    with pytest.raises(DataSourceError) as info:
        source.fetch(missing, query)
    _assert_plain(str(info.value), source.name)


def test_health_is_ok_and_close_releases_without_breaking_the_next_query(source) -> None:
    """health() says ok; close() may be called twice; a query after close() opens anew."""
    health = source.health()
    assert health.ok, health.message
    before = source.fetch(bound(source.table), QUERIES["count-by-county"])
    source.close()
    source.close()
    after = source.fetch(bound(source.table), QUERIES["count-by-county"])
    pd.testing.assert_frame_equal(canonical(after), canonical(before))
    assert source.health().ok


# Which optional capabilities (data_sources.base) each adapter declares; the hub asks for
# them with isinstance, so an adapter that loses one (or a wrapper that hides it) shows here.
CAPABILITIES = {
    "sql": {"joined"},
    "local": {"joined", "rollups", "copies"},
    "demo": {"joined", "rollups"},
    "rest": set(),
    "file": {"checks"},
}


def test_every_adapter_declares_is_demo_and_its_capabilities(source) -> None:
    """is_demo is a declared bool (True for the demo adapter only), and the capabilities the
    hub uses are the ones each adapter declares."""
    from data_sources.base import (
        KeepsCopies,
        ReportsDataChecks,
        SupportsJoinedFetch,
        SupportsRollups,
    )

    assert type(source).is_demo is (source.kind == "demo")
    found = {
        name
        for name, protocol in (
            ("joined", SupportsJoinedFetch),
            ("rollups", SupportsRollups),
            ("copies", KeepsCopies),
            ("checks", ReportsDataChecks),
        )
        if isinstance(source, protocol)
    }
    assert found == CAPABILITIES[source.kind]


# -- the engines no test machine runs: compiled against the SQL they must get --------------------
# (data_sources/dialects.py; each row names the built-in SQLAlchemy dialect whose SQL the engine
# reads: 达梦 Oracle's, Kingbase PostgreSQL's, ClickHouse SQLAlchemy's generic compiler, which
# both ClickHouse dialects extend.)
COMPILED_ONLY = ("oracle", "mssql", "clickhouse", "dm", "kingbase")
_ORACLE_BUCKETS = {
    "hour": "to_char(t.at, 'YYYY-MM-DD HH24')",
    "day": "to_char(t.at, 'YYYY-MM-DD')",
    "week": "to_char(trunc(t.at, 'IW'), 'YYYY-MM-DD')",
    "month": "to_char(t.at, 'YYYY-MM')",
    "quarter": "to_char(t.at, 'YYYY-\"Q\"Q')",
    "year": "to_char(t.at, 'YYYY')",
    "weekday": "(trunc(t.at) - trunc(t.at, 'IW')) + 1",
    "hour_of_day": "to_number(to_char(t.at, 'HH24'))",
}
_POSTGRES_BUCKETS = {
    "hour": "to_char(t.at, 'YYYY-MM-DD HH24')",
    "day": "to_char(t.at, 'YYYY-MM-DD')",
    "week": "to_char(date_trunc('week', t.at), 'YYYY-MM-DD')",
    "month": "to_char(t.at, 'YYYY-MM')",
    "quarter": "to_char(t.at, 'YYYY-\"Q\"Q')",
    "year": "to_char(t.at, 'YYYY')",
    "weekday": "CAST(EXTRACT(isodow FROM t.at) AS INTEGER)",
    "hour_of_day": "CAST(EXTRACT(hour FROM t.at) AS INTEGER)",
}
BUCKET_SQL: dict[str, dict[str, str]] = {
    "oracle": _ORACLE_BUCKETS,
    "dm": _ORACLE_BUCKETS,
    "kingbase": _POSTGRES_BUCKETS,
    "mssql": {
        "hour": "convert(VARCHAR(13), t.at, 120)",
        "day": "convert(VARCHAR(10), t.at, 120)",
        # 1900-01-01 (day 0) was a Monday: weeks and weekdays do not depend on DATEFIRST
        "week": "convert(VARCHAR(10), dateadd(day, (FLOOR(datediff(day, 0, t.at) / 7)) * 7, 0), 120)",
        "month": "convert(VARCHAR(7), t.at, 120)",
        "quarter": "concat(convert(VARCHAR(4), t.at, 120), '-Q', datepart(quarter, t.at))",
        "year": "convert(VARCHAR(4), t.at, 120)",
        "weekday": "datediff(day, 0, t.at) % 7 + 1",
        "hour_of_day": "datepart(hour, t.at)",
    },
    "clickhouse": {
        "hour": "formatDateTime(t.at, '%Y-%m-%d %H')",
        "day": "formatDateTime(t.at, '%Y-%m-%d')",
        "week": "formatDateTime(toMonday(t.at), '%Y-%m-%d')",
        "month": "formatDateTime(t.at, '%Y-%m')",
        "quarter": "concat(formatDateTime(t.at, '%Y'), '-Q', toString(toQuarter(t.at)))",
        "year": "formatDateTime(t.at, '%Y')",
        "weekday": "toDayOfWeek(t.at)",
        "hour_of_day": "toHour(t.at)",
    },
}

# A dataset as a city's front database names it: a schema, an upper-case column (as Oracle
# and 达梦 store unquoted names) and a reserved word, which each engine quotes its own way.
FRONT = BoundDataset(
    "hotline.tickets",
    "exchange.t_12345_gd",
    CONTRACT.columns,
    {"received_at": "SLSJ", "channel": "order"},
)
FRONT_QUERY = DatasetQuery(
    filters=(Filter("channel", "eq", "电话"),),
    group_by=("channel",),
    buckets=(TimeBucket("received_at", "week", "week"),),
    measures=(Measure("n", "count"),),
    order_by=(("week", False),),
    limit=12,
    offset=24,
)
_ORACLE_FRONT = (
    'SELECT exchange.t_12345_gd."order" AS channel, to_char(trunc(exchange.t_12345_gd."SLSJ", \'IW\'), '
    "'YYYY-MM-DD') AS week, count(*) AS n FROM exchange.t_12345_gd "
    "WHERE exchange.t_12345_gd.\"order\" = '电话' "
    "GROUP BY exchange.t_12345_gd.\"order\", to_char(trunc(exchange.t_12345_gd.\"SLSJ\", 'IW'), 'YYYY-MM-DD') "
    "ORDER BY to_char(trunc(exchange.t_12345_gd.\"SLSJ\", 'IW'), 'YYYY-MM-DD') ASC "
    "OFFSET 24 ROWS FETCH FIRST 12 ROWS ONLY"
)
_MSSQL_WEEK = "convert(VARCHAR(10), dateadd(day, (FLOOR(datediff(day, 0, exchange.t_12345_gd.[SLSJ]) / 7)) * 7, 0), 120)"
FRONT_SQL: dict[str, str] = {
    "oracle": _ORACLE_FRONT,
    "dm": _ORACLE_FRONT,
    "kingbase": (
        "SELECT exchange.t_12345_gd.\"order\" AS channel, to_char(date_trunc('week', "
        "exchange.t_12345_gd.\"SLSJ\"), 'YYYY-MM-DD') AS week, count(*) AS n FROM exchange.t_12345_gd "
        "WHERE exchange.t_12345_gd.\"order\" = '电话' "
        "GROUP BY exchange.t_12345_gd.\"order\", to_char(date_trunc('week', exchange.t_12345_gd.\"SLSJ\"), 'YYYY-MM-DD') "
        "ORDER BY to_char(date_trunc('week', exchange.t_12345_gd.\"SLSJ\"), 'YYYY-MM-DD') ASC "
        "LIMIT 12 OFFSET 24"
    ),
    # Compiled without a server, SQLAlchemy pages with ROW_NUMBER(); connected to SQL Server
    # 2012 or later it writes OFFSET ... FETCH instead.
    "mssql": (
        "SELECT anon_1.channel, anon_1.week, anon_1.n FROM (SELECT exchange.t_12345_gd.[order] AS channel, "
        f"{_MSSQL_WEEK} AS week, count(*) AS n, ROW_NUMBER() OVER (ORDER BY {_MSSQL_WEEK} ASC) AS mssql_rn "
        "FROM exchange.t_12345_gd WHERE exchange.t_12345_gd.[order] = '电话' "
        f"GROUP BY exchange.t_12345_gd.[order], {_MSSQL_WEEK}) AS anon_1 "
        "WHERE mssql_rn > 24 AND mssql_rn <= 12 + 24"
    ),
    "clickhouse": (
        'SELECT exchange.t_12345_gd."order" AS channel, formatDateTime(toMonday(exchange.t_12345_gd."SLSJ"), '
        "'%Y-%m-%d') AS week, count(*) AS n FROM exchange.t_12345_gd "
        "WHERE exchange.t_12345_gd.\"order\" = '电话' "
        'GROUP BY exchange.t_12345_gd."order", formatDateTime(toMonday(exchange.t_12345_gd."SLSJ"), \'%Y-%m-%d\') '
        "ORDER BY formatDateTime(toMonday(exchange.t_12345_gd.\"SLSJ\"), '%Y-%m-%d') ASC "
        "LIMIT 12 OFFSET 24"
    ),
}


def _sql(element: sa.ClauseElement, engine: str, literal: bool = True) -> str:
    """The element as the engine's row compiles it, on one line."""
    compiled = element.compile(
        dialect=compile_dialect(dialect_for(engine)),
        compile_kwargs={"literal_binds": literal},
    )
    return " ".join(str(compiled).split())


@pytest.mark.parametrize("engine", COMPILED_ONLY)
@pytest.mark.parametrize("unit", list(get_args(BucketUnit)))
def test_each_bucket_compiles_to_the_engines_own_sql(engine: str, unit: str) -> None:
    """Every time bucket the panels use is written in the engine's own functions."""
    at = sa.table("t", sa.column("at", sa.DateTime())).c.at
    assert _sql(dialect_for(engine).bucket(at, unit), engine) == BUCKET_SQL[engine][unit]


@pytest.mark.parametrize("engine", COMPILED_ONLY)
def test_a_whole_statement_compiles_with_the_engines_quoting_and_paging(engine: str) -> None:
    """Schema, quoting, the bucket in SELECT, GROUP BY and ORDER BY alike, and the page."""
    assert _sql(build_select(FRONT, FRONT_QUERY, engine), engine) == FRONT_SQL[engine]


@pytest.mark.parametrize("engine", ["oracle", "mssql", "dm"])
def test_former_codes_in_group_by_are_not_bind_placeholders(engine: str) -> None:
    """Grouped by county, the former-code CASE is written with the codes in it (rendered at
    execution), not bound: Oracle and SQL Server refuse a GROUP BY whose expression differs
    from the SELECT's by its placeholders."""
    sql = _sql(build_select(bound(), QUERIES["count-by-county"], engine), engine, literal=False)
    group_by = sql.split("GROUP BY", 1)[1]
    assert "CASE ref_tickets.county_code WHEN" in group_by
    assert ":" not in group_by and "?" not in group_by  # no named or positional bind


DOCUMENTED_DIALECTS = (
    "sqlite",
    "duckdb",
    "postgresql",
    "kingbase",
    "mysql",
    "mariadb",
    "doris",
    "starrocks",
    "tidb",
    "oceanbase",
    "oracle",
    "dm",
    "mssql",
    "clickhouse",
    "clickhousedb",
)


def test_every_documented_engine_has_a_row_in_the_dialect_table() -> None:
    """Each engine docs/data-sources.md promises (its table of engines) has a row that writes
    every time bucket; the docs name no engine the code lacks, and the other way round."""
    doc = (Path(__file__).parents[2] / "docs" / "data-sources.md").read_text(encoding="utf-8")
    table = doc.split("<!-- engines -->", 1)[1].split("<!-- /engines -->", 1)[0]
    named = set()
    rows = [line for line in table.splitlines() if line.startswith("|")][2:]  # past the header
    for line in rows:
        named |= {n.strip(" `") for n in line.split("|")[2].split(",")}
    assert named == set(DOCUMENTED_DIALECTS)
    at = sa.table("t", sa.column("at", sa.DateTime())).c.at
    for name in DOCUMENTED_DIALECTS:
        row = dialect_for(name)
        assert name in row.names
        for unit in get_args(BucketUnit):
            assert _sql(row.bucket(at, unit), name)


def test_an_engine_without_a_row_says_plainly_it_cannot_bucket() -> None:
    """An engine the table does not know answers other queries; a bucket is refused in words."""
    at = sa.table("t", sa.column("at", sa.DateTime())).c.at
    with pytest.raises(DataSourceError, match="暂不支持按 month 分组"):
        dialect_for("firebird").bucket(at, "month")


def test_compile_only_engines_get_the_timeouts_their_drivers_take() -> None:
    """The connect and statement timeouts docs/data-sources.md lists for engines no test
    machine runs reach each driver under the name it takes."""
    config = SqlConfig(kind="sql", url="sqlite://", connect_timeout=7, query_timeout=9)
    pg_like = {"connect_timeout": 7, "options": "-c statement_timeout=9000"}
    assert dialect_for("kingbase").connect_args(config, "ksycopg2", False) == pg_like
    assert dialect_for("oracle").connect_args(config, "oracledb", False) == {
        "tcp_connect_timeout": 7
    }
    session = SimpleNamespace()
    dialect_for("oracle").on_connect(session, config)
    assert session.call_timeout == 9000  # ms, per round trip
    assert dialect_for("dm").connect_args(config, "dmPython", False) == {}
    assert dialect_for("mssql").connect_args(config, "pymssql", False) == {
        "login_timeout": 7,
        "timeout": 9,
    }
    assert dialect_for("mssql").connect_args(config, "pyodbc", False) == {"timeout": 7}
