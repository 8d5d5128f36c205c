"""Timeouts nest (#19 item 8): one deadline per request that every source query respects.

On today's main each query of a callback had its own query_timeout, so a page asking a locked
PostgreSQL table three times waited three timeouts (51-61 s, past nginx's 60 s). Now a request
has one budget, server.callback_timeout: a query gets what is left of it, and once it is spent
the hub asks no source at all.
"""

from __future__ import annotations

import threading
import time
import uuid

import pytest
import sqlalchemy as sa

from cockpit.settings import DatasetBinding, ServerSettings
from data_sources.base import remaining_budget, time_budget
from data_sources.query import DatasetQuery, Filter, Measure
from data_sources.sql import SqlConfig
from tests.apps import close_app, running_app


def test_budget_is_a_context() -> None:
    assert remaining_budget() is None
    with time_budget(2.0):
        left = remaining_budget()
        assert left is not None and 1.5 < left <= 2.0
        with time_budget(None):
            assert remaining_budget() is None
    assert remaining_budget() is None


@pytest.fixture
def locked_table(pg_url):
    """A risk.warnings table on PostgreSQL that another session holds locked."""
    table = f"t_lock_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                f"CREATE TABLE {table} (warning_id TEXT, domain TEXT, level INT, title TEXT,"
                " county_code TEXT, place TEXT, lon FLOAT, lat FLOAT, responsible_unit TEXT,"
                " source TEXT, issued_at TIMESTAMP, stage TEXT, lifted_at TIMESTAMP,"
                " updated_at TIMESTAMP)"
            )
        )
    holder = engine.connect()
    transaction = holder.begin()
    holder.execute(sa.text(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"))
    yield table
    transaction.rollback()
    holder.close()
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP TABLE {table}"))
    engine.dispose()


def test_three_queries_on_a_locked_table_end_within_one_request_budget(
    settings, pg_url, locked_table
) -> None:
    """callback_timeout 3 s, query_timeout 2 s: three queries end by ~3 s, not 6 s."""
    sources = {**settings.sources, "frontdb": SqlConfig(kind="sql", url=pg_url, query_timeout=2)}
    datasets = {
        **settings.datasets,
        "risk.warnings": DatasetBinding(source="frontdb", table=locked_table),
    }
    server = ServerSettings(callback_timeout=3, worker_timeout=5, proxy_timeout=6)
    changed = settings.model_copy(
        update={"sources": sources, "datasets": datasets, "server": server}
    )
    for app in running_app(changed):
        hub = app.server.extensions["cockpit_hub"]
        queries = [
            DatasetQuery(measures=(Measure("n", "count"),), filters=(Filter("level", "eq", lv),))
            for lv in (1, 2, 3)
        ]
        with app.server.test_request_context("/"):
            started = time.monotonic()
            results = [hub.query("risk.warnings", q, with_as_of=False) for q in queries]
            elapsed = time.monotonic() - started
        close_app(app)
    assert all(r.error for r in results)
    assert elapsed < 3.8, f"{elapsed:.1f}s: the queries did not share one deadline"
    assert any("时限" in r.error or "超时" in r.error for r in results), [r.error for r in results]


def test_a_budget_stops_a_slow_duckdb_query(tmp_path) -> None:
    """An engine without a server (DuckDB) is interrupted when the budget runs out."""
    from cockpit.contracts import CONTRACTS
    from data_sources.base import DataSourceError
    from data_sources.query import BoundDataset
    from data_sources.sql import SqlSource

    db = tmp_path / "slow.duckdb"
    source = SqlSource("files", SqlConfig(kind="sql", url=f"duckdb:///{db}", query_timeout=30))
    with source.engine().begin() as conn:
        # Ten billion rows counted lazily: minutes of work in no memory, unless interrupted.
        conn.execute(
            sa.text(
                "CREATE VIEW big AS SELECT CAST(a.range AS VARCHAR) AS warning_id"
                " FROM range(100000) a, range(100000) b"
            )
        )
    contract = CONTRACTS["risk.warnings"]
    bound = BoundDataset("risk.warnings", "big", contract.columns[:1], {}, None, {})
    query = DatasetQuery(measures=(Measure("n", "count", "warning_id"),))
    started = time.monotonic()
    with time_budget(0.5), pytest.raises(DataSourceError) as info:
        source.fetch(bound, query)
    elapsed = time.monotonic() - started
    source.close()
    assert elapsed < 3, elapsed
    assert "超时" in str(info.value)
    assert threading.active_count() < 50


def test_a_budget_stops_a_file_drops_query() -> None:
    """File drops and REST rows are queried by an in-memory DuckDB (local_engine): the same
    deadline interrupts it."""
    from cockpit.contracts import CONTRACTS
    from data_sources.base import DataSourceError
    from data_sources.local_engine import query_rows
    from data_sources.query import BoundDataset

    contract = CONTRACTS["risk.warnings"]
    bound = BoundDataset("risk.warnings", "warnings", contract.columns[:1], {}, None, {})
    # What read_csv/read_parquet would be for a file drop: here ten billion generated rows.
    relation = (
        "(SELECT CAST(a.range AS VARCHAR) AS warning_id FROM range(100000) a, range(100000) b)"
    )
    query = DatasetQuery(measures=(Measure("n", "count", "warning_id"),))
    started = time.monotonic()
    with time_budget(0.5), pytest.raises(DataSourceError) as info:
        query_rows(relation, bound, query, "drop")
    assert time.monotonic() - started < 3
    assert "超时" in str(info.value)
