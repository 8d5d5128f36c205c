"""Tests for data_sources.sql: one hand-made dataset loaded into SQLite (a file), DuckDB (a file),
PostgreSQL and MariaDB, and one set of queries run through SqlSource on every engine (the Metabase
pattern). Each answer must equal the others and an independent pandas computation over the
same rows.

The dataset carries rows under former county codes (counted under the current code) and open
tickets (NULL closed_at), so the mapping and NULL handling are exercised on every engine.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from data_sources.base import DataSourceError
from data_sources.query import (
    BoundDataset,
    Col,
    ColumnSpec,
    DatasetQuery,
    Filter,
    Measure,
    TimeBucket,
)
from data_sources.sql import SqlConfig, SqlSource, build_select
from tests.mariadb_support import mariadb_url_or_skip, unique_name

# -- the shared test dataset ---------------------------------------------------------------------
CURRENT = ("140403", "140404", "140405")
FORMER = {"140402": "140403", "140411": "140403", "140421": "140404"}  # as in config/city.yaml
ROWS = 200
TABLE = "tickets"

COLUMNS = (
    ColumnSpec("id", "string", "ticket id", False),
    ColumnSpec("county_code", "string", "county", False),
    ColumnSpec("received_at", "datetime", "received", False),
    ColumnSpec("closed_at", "datetime", "closed; NULL while open"),
    ColumnSpec("deadline", "datetime", "deadline", False),
    ColumnSpec("amount", "float", "an amount", False),
    ColumnSpec("category", "string", "category", False),
)
DATASET = BoundDataset(
    name="test.tickets",
    table=TABLE,
    columns=COLUMNS,
    county_column="county_code",
    county_code_map=dict(FORMER),
)
ENGINES = ("sqlite", "duckdb", "postgresql", "mariadb")


def make_frame() -> pd.DataFrame:
    """~200 ticket-like rows from a seeded RNG: whole seconds, some former codes, some open."""
    rng = np.random.default_rng(20261121)
    start = pd.Timestamp("2025-11-03 00:00:00")
    received = start + pd.to_timedelta(rng.integers(0, 200 * 86_400, ROWS), unit="s")
    deadline = received + pd.Timedelta(days=7)
    closed = received + pd.to_timedelta(rng.integers(3_600, 12 * 86_400, ROWS), unit="s")
    closed = pd.Series(closed)
    closed[:6] = deadline[:6]  # closed exactly at the deadline: on time for `le`
    closed = closed.where(rng.random(ROWS) > 0.2)  # ~20% still open
    codes = rng.choice(list(CURRENT) + list(FORMER), ROWS, p=[0.25, 0.25, 0.2, 0.1, 0.1, 0.1])
    frame = pd.DataFrame(
        {
            "id": [f"T{i:04d}" for i in range(ROWS)],
            "county_code": codes,
            "received_at": received,
            "closed_at": closed,
            "deadline": deadline,
            "amount": rng.normal(100, 30, ROWS).round() + np.arange(ROWS) / 1000,  # all distinct
            "category": rng.choice(["咨询", "投诉", "求助"], ROWS),
        }
    )
    # The frame is a test fixture: make sure it exercises what the tests claim it does.
    assert frame["closed_at"].isna().sum() > 10
    assert frame["county_code"].isin(list(FORMER)).sum() > 20
    assert (frame["closed_at"] == frame["deadline"]).sum() >= 3
    assert frame["amount"].is_unique  # so ordering by amount has one right answer
    return frame


FRAME = make_frame()


def mapped(frame: pd.DataFrame = FRAME) -> pd.DataFrame:
    """The frame as the adapter should see it: former county codes replaced by current ones."""
    out = frame.copy()
    out["county_code"] = out["county_code"].replace(FORMER)
    return out


# -- engines -------------------------------------------------------------------------------------
@dataclass
class Engine:
    """A loaded database: the adapter over it and the dataset bound to its table."""

    name: str
    source: SqlSource
    dataset: BoundDataset


@pytest.fixture(scope="module")
def sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """The dataset in a SQLite file, loaded with pandas.to_sql."""
    path = tmp_path_factory.mktemp("sqlite") / "tickets.sqlite"
    loader = sa.create_engine(f"sqlite:///{path}")
    FRAME.to_sql(TABLE, loader, index=False)
    loader.dispose()
    source = SqlSource("sqlite-test", SqlConfig(kind="sql", url=f"sqlite:///{path}"))
    yield Engine("sqlite", source, DATASET)
    source.close()


@pytest.fixture(scope="module")
def duckdb_engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """The dataset in a DuckDB file, loaded with duckdb itself (duckdb-engine cannot reflect)."""
    import duckdb

    path = tmp_path_factory.mktemp("duckdb") / "tickets.duckdb"
    con = duckdb.connect(str(path))
    try:
        con.register("frame_view", FRAME)
        con.execute(f"CREATE TABLE {TABLE} AS SELECT * FROM frame_view")
    finally:
        con.close()
    source = SqlSource("duckdb-test", SqlConfig(kind="sql", url=f"duckdb:///{path}"))
    yield Engine("duckdb", source, DATASET)
    source.close()


@pytest.fixture(scope="module")
def postgresql_engine(pg_url: str) -> Engine:
    """The dataset in a uniquely named PostgreSQL table, dropped afterwards."""
    table = f"cockpit_test_tickets_{uuid.uuid4().hex[:10]}"
    loader = sa.create_engine(pg_url)
    FRAME.to_sql(table, loader, index=False)
    source = SqlSource("postgresql-test", SqlConfig(kind="sql", url=pg_url, connect_timeout=3))
    try:
        yield Engine("postgresql", source, dataclasses.replace(DATASET, table=table))
    finally:
        source.close()
        with loader.begin() as conn:
            conn.execute(sa.text(f'DROP TABLE IF EXISTS "{table}"'))
        loader.dispose()


@pytest.fixture(scope="module")
def mariadb_engine() -> Engine:
    """The dataset in a uniquely named MariaDB table (through pymysql), dropped afterwards."""
    url = mariadb_url_or_skip()
    table = unique_name("cockpit_test_tickets")
    loader = sa.create_engine(url)
    FRAME.to_sql(table, loader, index=False)
    source = SqlSource("mariadb-test", SqlConfig(kind="sql", url=url, connect_timeout=3))
    try:
        yield Engine("mariadb", source, dataclasses.replace(DATASET, table=table))
    finally:
        source.close()
        with loader.begin() as conn:
            conn.execute(sa.text(f"DROP TABLE IF EXISTS `{table}`"))
        loader.dispose()


@pytest.fixture(
    scope="module",
    params=["sqlite", "duckdb", pytest.param("postgresql", marks=pytest.mark.postgres), "mariadb"],
)
def engine(request: pytest.FixtureRequest) -> Engine:
    """Each engine in turn."""
    return request.getfixturevalue(f"{request.param}_engine")


# -- comparing frames ----------------------------------------------------------------------------
def canon(frame: pd.DataFrame, ordered: bool) -> pd.DataFrame:
    """One representation for every engine and for pandas: floats, naive datetimes, text or None."""
    out = pd.DataFrame(index=range(len(frame)))
    for name in frame.columns:
        column = frame[name].reset_index(drop=True)
        if pd.api.types.is_datetime64_any_dtype(column):
            out[name] = column.astype("datetime64[us]")
        elif pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            out[name] = column.astype("float64")
        else:
            out[name] = column.astype(object).where(column.notna(), None)
    if not ordered and len(out.columns):
        out = out.sort_values(list(out.columns), na_position="first", kind="stable")
    return out.reset_index(drop=True)


def assert_same(actual: pd.DataFrame, expected: pd.DataFrame, ordered: bool) -> None:
    """Same columns (in order) and the same rows (in order when the query orders them)."""
    assert list(actual.columns) == list(expected.columns)
    pd.testing.assert_frame_equal(
        canon(actual, ordered), canon(expected, ordered), check_dtype=False, rtol=1e-9, atol=1e-9
    )


# -- the queries and their pandas answers --------------------------------------------------------
@dataclass(frozen=True)
class Case:
    """A query and the same question answered with pandas over the original rows."""

    id: str
    query: DatasetQuery
    expected: Callable[[pd.DataFrame], pd.DataFrame]
    ordered: bool = False


ALL = tuple(c.name for c in COLUMNS)


def rows(mask: Callable[[pd.DataFrame], pd.Series], columns: tuple[str, ...] = ALL) -> Callable:
    """Expected raw rows: the mapped frame filtered by `mask`."""

    def expected(frame: pd.DataFrame) -> pd.DataFrame:
        m = mapped(frame)
        return m.loc[mask(m), list(columns)]

    return expected


def filter_case(case_id: str, flt: Filter, mask: Callable[[pd.DataFrame], pd.Series]) -> Case:
    """Raw rows under one filter."""
    return Case(case_id, DatasetQuery(filters=(flt,)), rows(mask))


def iso_week_start(ts: pd.Series) -> pd.Series:
    """The Monday starting each timestamp's week, as YYYY-MM-DD."""
    return (ts.dt.normalize() - pd.to_timedelta(ts.dt.weekday, unit="D")).dt.strftime("%Y-%m-%d")


BUCKET_LABELS: dict[str, Callable[[pd.Series], pd.Series]] = {
    "hour": lambda s: s.dt.strftime("%Y-%m-%d %H"),
    "day": lambda s: s.dt.strftime("%Y-%m-%d"),
    "week": iso_week_start,
    "month": lambda s: s.dt.strftime("%Y-%m"),
    "quarter": lambda s: s.dt.year.astype(str) + "-Q" + s.dt.quarter.astype(str),
    "year": lambda s: s.dt.strftime("%Y"),
    "weekday": lambda s: s.dt.weekday + 1,  # 1 = Monday ... 7 = Sunday
    "hour_of_day": lambda s: s.dt.hour,
}


def bucket_case(unit: str) -> Case:
    """Count and sum of amount per calendar bucket of received_at."""

    def expected(frame: pd.DataFrame) -> pd.DataFrame:
        key = BUCKET_LABELS[unit](frame["received_at"]).rename("bucket")
        grouped = frame.groupby(key)["amount"]
        return pd.DataFrame({"n": grouped.size(), "total": grouped.sum()}).reset_index()

    query = DatasetQuery(
        buckets=(TimeBucket("received_at", unit, "bucket"),),
        measures=(Measure("n", "count"), Measure("total", "sum", "amount")),
    )
    return Case(f"bucket-{unit}", query, expected)


def per_county_measures(frame: pd.DataFrame) -> pd.DataFrame:
    """count, sum, avg, min, max, count of a nullable column and distinct categories per county."""
    g = mapped(frame).groupby("county_code")
    return pd.DataFrame(
        {
            "n": g.size(),
            "total": g["amount"].sum(),
            "mean": g["amount"].mean(),
            "low": g["amount"].min(),
            "high": g["amount"].max(),
            "first_received": g["received_at"].min(),
            "last_closed": g["closed_at"].max(),
            "closed": g["closed_at"].count(),
            "categories": g["category"].nunique(),
        }
    ).reset_index()


def conditional_measures(frame: pd.DataFrame) -> pd.DataFrame:
    """Measures with a where: on time (closed_at <= deadline), open, and amount sums of one category."""
    m = mapped(frame)
    m["on_time"] = m["closed_at"] <= m["deadline"]  # NaT compares False, as NULL does in SQL
    m["open"] = m["closed_at"].isna()
    m["complaint_amount"] = m["amount"].where(m["category"] == "投诉")
    m["big_amount"] = m["amount"].where(m["amount"] > 130)
    g = m.groupby("category")
    return pd.DataFrame(
        {
            "on_time": g["on_time"].sum(),
            "open": g["open"].sum(),
            "complaint_total": g["complaint_amount"].sum(min_count=1),  # SUM of only NULLs is NULL
            "big_mean": g["big_amount"].mean(),
            "big_count": g["big_amount"].count(),
        }
    ).reset_index()


def county_by_month(frame: pd.DataFrame) -> pd.DataFrame:
    """Open tickets by county and month received."""
    m = mapped(frame)
    m = m[m["closed_at"].isna()]
    m["month"] = m["received_at"].dt.strftime("%Y-%m")
    return m.groupby(["county_code", "month"]).size().rename("n").reset_index()


JAN_START, JAN_END = pd.Timestamp("2026-01-01"), pd.Timestamp("2026-01-31 23:59:59")

CASES: list[Case] = [
    # raw rows and column selection
    Case("all-rows-all-columns", DatasetQuery(), rows(lambda m: m["id"].notna())),
    Case(
        "selected-columns-in-order",
        DatasetQuery(columns=("closed_at", "id", "county_code")),
        rows(lambda m: m["id"].notna(), ("closed_at", "id", "county_code")),
    ),
    # one filter of each kind
    filter_case("eq", Filter("category", "eq", "投诉"), lambda m: m["category"] == "投诉"),
    filter_case("ne", Filter("category", "ne", "投诉"), lambda m: m["category"] != "投诉"),
    filter_case(
        "in",
        Filter("category", "in", ("咨询", "求助")),
        lambda m: m["category"].isin(["咨询", "求助"]),
    ),
    filter_case(
        "not-in", Filter("category", "not_in", ("咨询",)), lambda m: ~m["category"].isin(["咨询"])
    ),
    filter_case(
        "between-float",
        Filter("amount", "between", (80.0, 120.0)),
        lambda m: m["amount"].between(80, 120),
    ),
    filter_case(
        "between-datetime",
        Filter("received_at", "between", (JAN_START, JAN_END)),
        lambda m: m["received_at"].between(JAN_START, JAN_END),
    ),
    filter_case("is-null", Filter("closed_at", "is_null"), lambda m: m["closed_at"].isna()),
    filter_case("not-null", Filter("closed_at", "not_null"), lambda m: m["closed_at"].notna()),
    filter_case("gt", Filter("amount", "gt", 100.0), lambda m: m["amount"] > 100),
    filter_case("ge", Filter("amount", "ge", 100.0), lambda m: m["amount"] >= 100),
    filter_case(
        "lt-datetime",
        Filter("received_at", "lt", JAN_START),
        lambda m: m["received_at"] < JAN_START,
    ),
    filter_case(
        "le-datetime", Filter("received_at", "le", JAN_END), lambda m: m["received_at"] <= JAN_END
    ),
    filter_case(
        "column-vs-column",
        Filter("closed_at", "le", Col("deadline")),
        lambda m: m["closed_at"] <= m["deadline"],
    ),
    filter_case(
        "county-eq-current",
        Filter("county_code", "eq", "140403"),
        lambda m: m["county_code"] == "140403",
    ),
    filter_case(
        "county-not-in-current",
        Filter("county_code", "not_in", ("140404",)),
        lambda m: m["county_code"] != "140404",
    ),
    Case(
        "filters-are-anded",
        DatasetQuery(
            filters=(
                Filter("county_code", "in", ("140403", "140405")),
                Filter("closed_at", "not_null"),
                Filter("amount", "lt", 110.0),
            )
        ),
        rows(
            lambda m: (
                m["county_code"].isin(["140403", "140405"])
                & m["closed_at"].notna()
                & (m["amount"] < 110)
            )
        ),
    ),
    # aggregates
    Case(
        "count-all",
        DatasetQuery(measures=(Measure("n", "count"),)),
        lambda f: pd.DataFrame({"n": [len(f)]}),
    ),
    Case(
        "count-filtered-to-nothing",
        DatasetQuery(
            filters=(Filter("category", "eq", "no such"),), measures=(Measure("n", "count"),)
        ),
        lambda f: pd.DataFrame({"n": [0]}),
    ),
    Case(
        "group-by-county-all-aggregates",
        DatasetQuery(
            group_by=("county_code",),
            measures=(
                Measure("n", "count"),
                Measure("total", "sum", "amount"),
                Measure("mean", "avg", "amount"),
                Measure("low", "min", "amount"),
                Measure("high", "max", "amount"),
                Measure("first_received", "min", "received_at"),
                Measure("last_closed", "max", "closed_at"),
                Measure("closed", "count", "closed_at"),
                Measure("categories", "count_distinct", "category"),
            ),
        ),
        per_county_measures,
    ),
    Case(
        "group-by-two-columns",
        DatasetQuery(group_by=("county_code", "category"), measures=(Measure("n", "count"),)),
        lambda f: mapped(f).groupby(["county_code", "category"]).size().rename("n").reset_index(),
    ),
    Case(
        "conditional-measures",
        DatasetQuery(
            group_by=("category",),
            measures=(
                Measure("on_time", "count", where=(Filter("closed_at", "le", Col("deadline")),)),
                Measure("open", "count", where=(Filter("closed_at", "is_null"),)),
                Measure(
                    "complaint_total", "sum", "amount", where=(Filter("category", "eq", "投诉"),)
                ),
                Measure("big_mean", "avg", "amount", where=(Filter("amount", "gt", 130.0),)),
                Measure("big_count", "count", "amount", where=(Filter("amount", "gt", 130.0),)),
            ),
        ),
        conditional_measures,
    ),
    Case(
        "count-distinct-county-uses-current-codes",
        DatasetQuery(measures=(Measure("counties", "count_distinct", "county_code"),)),
        lambda f: pd.DataFrame({"counties": [mapped(f)["county_code"].nunique()]}),
    ),
    Case(
        "group-and-bucket-with-filter",
        DatasetQuery(
            filters=(Filter("closed_at", "is_null"),),
            group_by=("county_code",),
            buckets=(TimeBucket("received_at", "month", "month"),),
            measures=(Measure("n", "count"),),
        ),
        county_by_month,
    ),
    *(bucket_case(unit) for unit in BUCKET_LABELS),
    # ordering and pages
    Case(
        "order-limit-offset",
        DatasetQuery(columns=("id", "amount"), order_by=(("id", False),), limit=15, offset=30),
        lambda f: f.sort_values("id")[["id", "amount"]].iloc[30:45],
        ordered=True,
    ),
    Case(
        "order-by-two-keys-descending",
        # Sort keys are digits and numbers: text order then does not depend on the collation.
        DatasetQuery(
            columns=("id", "county_code", "amount"),
            order_by=(("county_code", True), ("amount", True)),
            limit=20,
        ),
        lambda f: (
            mapped(f)
            .sort_values(["county_code", "amount"], ascending=False)[
                ["id", "county_code", "amount"]
            ]
            .head(20)
        ),
        ordered=True,
    ),
    Case(
        "order-aggregate-by-measure",
        DatasetQuery(
            group_by=("county_code",),
            measures=(Measure("n", "count"),),
            order_by=(("n", True), ("county_code", False)),
            limit=2,
        ),
        lambda f: (
            mapped(f)
            .groupby("county_code")
            .size()
            .rename("n")
            .reset_index()
            .sort_values(["n", "county_code"], ascending=[False, True])
            .head(2)
        ),
        ordered=True,
    ),
    Case(
        "offset-without-limit",
        DatasetQuery(columns=("id",), order_by=(("id", False),), offset=190),
        lambda f: f.sort_values("id")[["id"]].iloc[190:],
        ordered=True,
    ),
]


# -- (a) every engine gives the pandas answer, and they agree --------------------------------------
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_query_matches_pandas(engine: Engine, case: Case) -> None:
    """SqlSource's answer on this engine equals the same question answered with pandas."""
    actual = engine.source.fetch(engine.dataset, case.query)
    expected = case.expected(FRAME.copy())
    assert len(expected) > 0  # a case whose answer is empty would prove little
    assert_same(actual, expected, case.ordered)


@pytest.mark.postgres
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_engines_agree(
    sqlite_engine: Engine, duckdb_engine: Engine, postgresql_engine: Engine, case: Case
) -> None:
    """SQLite, DuckDB and PostgreSQL give the same frame for the same query."""
    answers = [
        e.source.fetch(e.dataset, case.query)
        for e in (sqlite_engine, duckdb_engine, postgresql_engine)
    ]
    for other in answers[1:]:
        assert_same(other, answers[0], case.ordered)


def test_results_carry_contract_types(engine: Engine) -> None:
    """Raw rows come back as text, datetime64 and float, with NULL closed_at as NaT."""
    frame = engine.source.fetch(engine.dataset, DatasetQuery())
    assert list(frame.columns) == list(ALL)
    assert pd.api.types.is_string_dtype(frame["id"])
    assert pd.api.types.is_string_dtype(frame["county_code"])
    for name in ("received_at", "closed_at", "deadline"):
        assert pd.api.types.is_datetime64_any_dtype(frame[name]), name
        assert getattr(frame[name].dt, "tz", None) is None
    assert pd.api.types.is_float_dtype(frame["amount"])
    assert frame["closed_at"].isna().sum() == FRAME["closed_at"].isna().sum()


def test_pages_cover_every_row_once(engine: Engine) -> None:
    """Pages of 40 rows by limit/offset, ordered by id, add up to every row exactly once."""
    pages = []
    for offset in range(0, ROWS + 40, 40):  # bounded: an ignored offset must not loop forever
        page = engine.source.fetch(
            engine.dataset,
            DatasetQuery(columns=("id",), order_by=(("id", False),), limit=40, offset=offset),
        )
        assert len(page) <= 40
        pages.append(page)
    assert pages[-1].empty
    ids = pd.concat(pages)["id"].tolist()
    assert ids == sorted(FRAME["id"])


# -- (b) former county codes count under the current one -----------------------------------------
def test_former_codes_are_grouped_under_the_current_code(engine: Engine) -> None:
    """group_by county_code shows only current codes, with former-code rows added in."""
    frame = engine.source.fetch(
        engine.dataset, DatasetQuery(group_by=("county_code",), measures=(Measure("n", "count"),))
    )
    counts = dict(zip(frame["county_code"], frame["n"], strict=True))
    assert set(counts) == set(CURRENT)
    for code in CURRENT:
        absorbed = [code] + [old for old, new in FORMER.items() if new == code]
        assert counts[code] == FRAME["county_code"].isin(absorbed).sum()
    assert counts["140403"] > (FRAME["county_code"] == "140403").sum()  # the former rows count


@pytest.mark.parametrize("op", ["eq", "in"])
def test_filter_on_current_code_includes_former_code_rows(engine: Engine, op: str) -> None:
    """A filter on a current code also returns the rows still carrying its former codes."""
    value = "140403" if op == "eq" else ("140403",)
    frame = engine.source.fetch(
        engine.dataset,
        DatasetQuery(columns=("id", "county_code"), filters=(Filter("county_code", op, value),)),
    )
    absorbed = ["140403"] + [old for old, new in FORMER.items() if new == "140403"]
    assert sorted(frame["id"]) == sorted(FRAME.loc[FRAME["county_code"].isin(absorbed), "id"])
    assert set(frame["county_code"]) == {"140403"}


# -- (c) errors are DataSourceError with a readable message --------------------------------------
def test_missing_table_raises_a_readable_data_source_error(engine: Engine) -> None:
    """A table that does not exist gives DataSourceError naming the source, without SQL text."""
    missing = dataclasses.replace(engine.dataset, table="no_such_table_here")
    with pytest.raises(DataSourceError) as info:
        engine.source.fetch(missing, DatasetQuery(measures=(Measure("n", "count"),)))
    message = str(info.value)
    assert not isinstance(info.value, sa.exc.SQLAlchemyError)
    assert engine.source.name in message
    assert "SELECT" not in message.upper()
    assert "\n" not in message
    # The source still answers afterwards (a failed statement does not poison the pool).
    ok = engine.source.fetch(engine.dataset, DatasetQuery(measures=(Measure("n", "count"),)))
    assert ok["n"].iloc[0] == ROWS


@pytest.mark.parametrize(
    "query",
    [
        DatasetQuery(columns=("no_such_column",)),
        DatasetQuery(filters=(Filter("no_such_column", "eq", 1),)),
        DatasetQuery(columns=("id",), order_by=(("amount", False),)),
    ],
    ids=["unknown-column", "unknown-filter-column", "order-by-unselected"],
)
def test_bad_query_raises_data_source_error(engine: Engine, query: DatasetQuery) -> None:
    """A query naming a column outside the contract or the result is refused with DataSourceError."""
    with pytest.raises(DataSourceError):
        engine.source.fetch(engine.dataset, query)


@pytest.mark.parametrize("prefix", ["schema-option", "dotted-table"])
def test_schema_qualified_table_is_read(engine: Engine, prefix: str) -> None:
    """A table in a named schema is read, via the `schema` option or a dotted table name."""
    # MySQL's schemas are its databases: the one in the URL
    schema = {"postgresql": "public", "mariadb": "test"}.get(engine.name, "main")
    url = engine.source.config.url
    if prefix == "schema-option":
        config = SqlConfig.model_validate({"kind": "sql", "url": url, "schema": schema})
        source, dataset = SqlSource("schema-test", config), engine.dataset
    else:  # config/datasets.yaml accepts table names with dots (^[A-Za-z_][A-Za-z0-9_.]*$)
        source = SqlSource("schema-test", SqlConfig(kind="sql", url=url))
        dataset = dataclasses.replace(engine.dataset, table=f"{schema}.{engine.dataset.table}")
    try:
        frame = source.fetch(dataset, DatasetQuery(measures=(Measure("n", "count"),)))
    finally:
        source.close()
    assert frame["n"].iloc[0] == ROWS


# -- (d) health ----------------------------------------------------------------------------------
def test_health_ok_for_a_working_engine(engine: Engine) -> None:
    """health() is ok where SELECT 1 answers."""
    health = engine.source.health()
    assert health.ok, health.message


def test_health_not_ok_for_an_unreachable_server() -> None:
    """health() is not ok (and does not raise) for a PostgreSQL server that is not there."""
    config = SqlConfig(
        kind="sql", url="postgresql+psycopg://postgres@127.0.0.1:1/test", connect_timeout=1
    )
    source = SqlSource("nowhere", config)
    try:
        health = source.health()
    finally:
        source.close()
    assert not health.ok
    assert health.message


def test_health_not_ok_when_url_env_is_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    """health() is not ok when the url_env variable holding the URL is empty."""
    monkeypatch.delenv("COCKPIT_TEST_UNSET_URL", raising=False)
    source = SqlSource("unset", SqlConfig(kind="sql", url_env="COCKPIT_TEST_UNSET_URL"))
    assert not source.health().ok
    with pytest.raises(DataSourceError, match="COCKPIT_TEST_UNSET_URL"):
        source.fetch(DATASET, DatasetQuery())


# -- (e) values are bound parameters -------------------------------------------------------------
MALICIOUS = "x' OR '1'='1"


def _flat(params: dict) -> list:
    values = []
    for value in params.values():
        values.extend(value if isinstance(value, (list, tuple)) else [value])
    return values


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (DatasetQuery(filters=(Filter("category", "eq", MALICIOUS),)), lambda f: f.iloc[0:0]),
        (
            DatasetQuery(filters=(Filter("category", "in", (MALICIOUS, "投诉")),)),
            lambda f: f[f["category"] == "投诉"],
        ),
        (
            DatasetQuery(measures=(Measure("n", "count", where=(Filter("id", "eq", MALICIOUS),)),)),
            lambda f: pd.DataFrame({"n": [0]}),
        ),
    ],
    ids=["eq", "in", "measure-where"],
)
def test_filter_values_are_bound_not_inlined(
    engine: Engine, query: DatasetQuery, expected: Callable[[pd.DataFrame], pd.DataFrame]
) -> None:
    """A quote-injection string travels as a parameter, never in the SQL text, and matches nothing."""
    dialect = engine.source.engine().dialect
    compiled = build_select(engine.dataset, query, dialect.name).compile(dialect=dialect)
    assert MALICIOUS in _flat(compiled.params)
    assert MALICIOUS not in str(compiled)
    assert "OR '1'='1" not in str(compiled)
    actual = engine.source.fetch(engine.dataset, query)
    want = expected(mapped())
    if query.measures:
        assert_same(actual, want, ordered=False)
    else:
        assert sorted(actual["id"]) == sorted(want["id"])


def test_duckdb_connections_are_bounded_in_memory_and_threads(tmp_path) -> None:
    """A DuckDB source's connections use the configured memory limit and threads, not DuckDB's
    whole-machine defaults (80% of RAM, a thread per core), in every connection of the pool."""
    import duckdb

    path = tmp_path / "small.duckdb"
    duckdb.connect(str(path)).close()
    config = SqlConfig(
        kind="sql", url=f"duckdb:///{path}", duckdb_memory_limit="96MB", duckdb_threads=1
    )
    source = SqlSource("bounded", config, read_only_file=True)
    try:
        engine = source.engine()
        with engine.connect() as a, engine.connect() as b:
            for conn in (a, b):
                limit, threads = conn.execute(
                    sa.text("SELECT current_setting('memory_limit'), current_setting('threads')")
                ).one()
                assert threads == 1
                # DuckDB reports in MiB: 96 MB = 91.5 MiB
                assert limit == "91.5 MiB"
    finally:
        source.close()


def test_duckdb_memory_limit_is_checked_at_start_up() -> None:
    """A memory limit DuckDB would not understand is refused with the configuration."""
    with pytest.raises(ValueError, match="duckdb_memory_limit"):
        SqlConfig(kind="sql", url="duckdb:///x.duckdb", duckdb_memory_limit="lots")


def test_version_names_the_database_reached_not_just_the_variable(monkeypatch, tmp_path) -> None:
    """Cache keys hold a source's version: the same url_env pointing at another database after
    a restart, or a replaced database file, gives another version; the same setup the same
    version in every worker; the password is not part of it."""
    config = SqlConfig(kind="sql", url_env="COCKPIT_TEST_VERSION_URL")
    monkeypatch.setenv("COCKPIT_TEST_VERSION_URL", "postgresql+psycopg://u:secret@db-a:5432/x")
    first = SqlSource("platform", config).version()
    assert SqlSource("platform", config).version() == first  # another worker, same key
    assert "secret" not in first and "db-a" not in first
    monkeypatch.setenv("COCKPIT_TEST_VERSION_URL", "postgresql+psycopg://u:other@db-a:5432/x")
    assert SqlSource("platform", config).version() == first  # a new password: same data
    monkeypatch.setenv("COCKPIT_TEST_VERSION_URL", "postgresql+psycopg://u:secret@db-b:5432/x")
    assert SqlSource("platform", config).version() != first  # restarted against other data
    assert SqlSource("other", config).version() != SqlSource("platform", config).version()

    path = tmp_path / "data.db"
    path.write_bytes(b"")
    file_source = SqlSource("files", SqlConfig(kind="sql", url=f"sqlite:///{path}"))
    before = file_source.version()
    path.write_bytes(b"replaced by a new export")
    assert file_source.version() != before


def test_an_empty_answer_keeps_numeric_measures(engine: Engine) -> None:
    """No row matches: the groups are empty and the measures are still numbers (a panel
    sums them; text columns would break it)."""
    query = DatasetQuery(
        filters=(Filter("county_code", "eq", "no-such-county"),),
        group_by=("county_code",),
        measures=(Measure("n", "count"), Measure("total", "sum", "amount")),
    )
    answer = engine.source.fetch(engine.dataset, query)
    assert answer.empty
    assert all(pd.api.types.is_numeric_dtype(answer[c]) for c in ("n", "total"))


# -- (f) each engine's connect settings (data_sources/dialects.py) -----------------------------
@pytest.mark.parametrize("name", ["postgresql", "mariadb"])
def test_a_server_session_stops_a_query_at_the_query_timeout(
    request: pytest.FixtureRequest, name: str
) -> None:
    """The query timeout is a server-side statement limit of every pooled session (PostgreSQL's
    statement_timeout, MariaDB's max_statement_time), not only the driver giving up: the
    server stops the query too."""
    engine: Engine = request.getfixturevalue(f"{name}_engine")
    config = engine.source.config.model_copy(update={"query_timeout": 1})
    source = SqlSource(f"{name}-timeout", config)
    setting, expected, sleep = {
        "postgresql": ("SHOW statement_timeout", "1s", "SELECT pg_sleep(3)"),
        "mariadb": ("SELECT @@SESSION.max_statement_time", 1.0, "SELECT SLEEP(3) FROM DUAL"),
    }[name]
    try:
        with source.engine().connect() as conn:
            assert conn.execute(sa.text(setting)).scalar() == expected
            started = time.monotonic()
            # MariaDB ends an interrupted SLEEP with 1 instead of an error; PostgreSQL raises
            try:
                slept = conn.execute(sa.text(sleep)).scalar()
            except sa.exc.OperationalError:
                slept = "cancelled"
            assert slept in (1, "cancelled")
            assert time.monotonic() - started < 2.5
    finally:
        source.close()
