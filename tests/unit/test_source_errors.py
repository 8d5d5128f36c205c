"""Errors users see (#19 item 9): never an engine's own words, always the dataset and column.

On today's main a renamed column reached the screen as "查询失败（ProgrammingError）" (naming
nothing) or DuckDB's "Binder Error: …"; a PostgreSQL column typed as text where a number is
summed failed the same way. Data staff are told the dataset, the table and the column; leaders
a plain sentence naming what cannot be shown.
"""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest
import sqlalchemy as sa

from cockpit.contracts import CONTRACTS
from cockpit.hub import DataHub
from cockpit.scope import CITY_LEADER, SEE_PERSONAL, SEE_SOURCE_DETAIL, Principal
from data_sources.base import DataSourceError
from data_sources.query import BoundDataset, DatasetQuery, Measure
from data_sources.sql import SqlConfig, SqlSource

RISK = CONTRACTS["risk.warnings"]
STAFF = Principal("s1", "city_staff", None, frozenset({SEE_PERSONAL, SEE_SOURCE_DETAIL}))
COUNT = DatasetQuery(group_by=("county_code",), measures=(Measure("n", "count"),))


def _bound(table: str, **column_map: str) -> BoundDataset:
    return BoundDataset("risk.warnings", table, RISK.columns, column_map, "county_code", {})


def _plain(message: str) -> None:
    assert "\n" not in message and "SELECT" not in message.upper()
    for engine_words in (
        "Binder Error",
        "Catalog Error",
        "ProgrammingError",
        "InvalidRequest",
        "UndefinedColumn",
        "UndefinedFunction",
        "psycopg",
        "duckdb",
    ):
        assert engine_words not in message, message


@pytest.fixture
def duck(tmp_path):
    source = SqlSource("platform", SqlConfig(kind="sql", url=f"duckdb:///{tmp_path / 'p.duckdb'}"))
    with source.engine().begin() as conn:
        conn.execute(sa.text("CREATE TABLE warnings (warning_id TEXT, xzqh TEXT, level INTEGER)"))
    yield source
    source.close()


def test_a_renamed_column_names_dataset_table_and_column(duck) -> None:
    """The platform renamed the county column: the message says which, in plain words."""
    with pytest.raises(DataSourceError) as info:
        duck.fetch(_bound("warnings", county_code="county"), COUNT)
    _plain(str(info.value))
    message = info.value.detail
    _plain(message)
    assert "risk.warnings" in message and "warnings" in message
    assert "county" in message and "county_code" in message


def test_a_missing_table_is_named(duck) -> None:
    with pytest.raises(DataSourceError) as info:
        duck.fetch(_bound("warnings_2026"), COUNT)
    _plain(str(info.value))
    _plain(info.value.detail)
    assert "warnings_2026" in info.value.detail and "risk.warnings" in info.value.detail


def test_a_text_column_summed_on_postgresql_is_named(pg_url) -> None:
    """PostgreSQL cannot sum text: the column and its type are named, not the engine's words."""
    table = f"t_err_{uuid.uuid4().hex[:8]}"
    source = SqlSource("frontdb", SqlConfig(kind="sql", url=pg_url))
    with source.engine().begin() as conn:
        conn.execute(
            sa.text(f"CREATE TABLE {table} (warning_id TEXT, county_code TEXT, level TEXT)")
        )
        conn.execute(sa.text(f"INSERT INTO {table} VALUES ('w1', '140403', '2')"))
    try:
        query = DatasetQuery(measures=(Measure("levels", "sum", "level"),))
        with pytest.raises(DataSourceError) as info:
            source.fetch(_bound(table), query)
        _plain(str(info.value))
        message = info.value.detail
        _plain(message)
        assert "level" in message and "文本" in message and "risk.warnings" in message
    finally:
        with source.engine().begin() as conn:
            conn.execute(sa.text(f"DROP TABLE {table}"))
        source.close()


def test_leaders_read_a_plain_sentence_staff_the_column(settings, tmp_path) -> None:
    """Through the hub: the leader's screen names what cannot be shown; the staff's names the
    column to fix."""
    from cockpit.settings import DatasetBinding

    db = tmp_path / "platform.duckdb"
    engine = sa.create_engine(f"duckdb:///{db}")
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE warnings (warning_id TEXT, xzqh TEXT)"))
    engine.dispose()
    sources = {**settings.sources, "platform": SqlConfig(kind="sql", url=f"duckdb:///{db}")}
    datasets = {
        **settings.datasets,
        "risk.warnings": DatasetBinding(source="platform", table="warnings"),
    }
    changed = settings.model_copy(update={"sources": sources, "datasets": datasets})
    from cockpit.demo_data import services as demo_services
    from data_sources.registry import build_source

    built = {
        n: build_source(n, c, city=changed.city, base_dir=changed.base_dir, demo=demo_services())
        for n, c in sources.items()
    }
    try:
        for principal, expect in ((CITY_LEADER, "风险预警"), (STAFF, "county_code")):
            hub = DataHub(changed, built, cache=None, principal=lambda p=principal: p)
            result = hub.query("risk.warnings", replace(COUNT))
            assert result.error, principal
            _plain(result.error)
            assert expect in result.error, (principal.role, result.error)
        leader = DataHub(changed, built, cache=None, principal=lambda: CITY_LEADER)
        assert "county_code" not in leader.query("risk.warnings", COUNT).error
    finally:
        for source in built.values():
            source.close()
