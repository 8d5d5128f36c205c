"""Every panel's time-bucketed questions, asked of a MySQL-protocol database (MariaDB).

docs/data-sources.md promises the MySQL family (MySQL, MariaDB, Doris, StarRocks, TiDB,
OceanBase); before data_sources/dialects.py had a MySQL row, each query below failed there
with "暂不支持按 month 分组" (or week, day, weekday...). The test demo data (a recent slice of the
tickets, and every warning) is loaded into a MariaDB database of its own and into a DuckDB
file; the panels' own query functions run through a data hub on each, and the answers must
be the same.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import sqlalchemy as sa

from cockpit.domains.hotline import data as hotline
from cockpit.domains.hotline.config import HotlineConfig
from cockpit.domains.hotline.kpis import Window
from cockpit.domains.key_work import data as key_work
from cockpit.domains.overview import data as overview
from cockpit.domains.risk import data as risk
from cockpit.hub import DataHub, Result
from cockpit.scope import Principal
from data_sources.sql import SqlConfig, SqlSource
from tests.conftest import DEMO_END, demo_environ
from tests.contract.test_adapter_contract import canonical
from tests.mariadb_support import mariadb_url_or_skip, unique_name

# The tables the default config/datasets.yaml binds the two datasets to, and the slice loaded.
TABLES = {"hotline.tickets": "hotline_tickets", "risk.warnings": "risk_warnings"}
SINCE = dt.datetime(2025, 9, 1)  # 15 months of tickets before the demo's end
END = dt.datetime.combine(DEMO_END, dt.time())
COUNTY = "140403"  # one county, so the former-code CASE runs in WHERE and GROUP BY too

MONDAY = END - dt.timedelta(days=END.weekday())
WINDOW = Window(dt.datetime(2026, 10, 1), dt.datetime(2026, 11, 1), "2026年10月")
HOTLINE = HotlineConfig()

# Each panel's bucketed hub queries (grep panels/*/data.py for TimeBucket), by panel and name.
QUERIES: dict[str, Callable[[DataHub], Result]] = {
    "hotline-volume-day": lambda h: hotline.volume(h, "day", SINCE, END, None),
    "hotline-volume-week": lambda h: hotline.volume(h, "week", SINCE, END, None),
    "hotline-volume-month": lambda h: hotline.volume(h, "month", SINCE, END, COUNTY),
    "hotline-weekday-hours": lambda h: hotline.weekday_hours(h, WINDOW, None),
    "hotline-handling-days": lambda h: hotline.handling(h, HOTLINE, WINDOW, None),
    "hotline-hot-topic-weeks": lambda h: hotline.weekly(h, HOTLINE, MONDAY, COUNTY),
    "risk-issued-by-month": lambda h: risk.issued_by_month(h, dt.datetime(2024, 1, 1), END, None),
    "risk-lifted-by-month": lambda h: risk.lifted_by_month(h, dt.datetime(2024, 1, 1), END, None),
    "risk-hotline-weeks-by-county": lambda h: risk.hotline_weekly(
        h, "county_code", SINCE, END, None
    ),
    "key-work-hotline-weeks": lambda h: key_work.hotline_weekly(h, pd.Timestamp(MONDAY), None),
    # the briefing's hot topics ask hotline.weekly (above); the overview its own weeks
    "overview-hotline-weeks": lambda h: overview.hotline_weekly(h, END, COUNTY),
}


def demo_frames(demo_db: Path, tmp: Path) -> dict[str, pd.DataFrame]:
    """The slice of the demo data both databases get (read from a copy: see conftest.demo_sql)."""
    copy = tmp / "demo-copy.duckdb"
    shutil.copyfile(demo_db, copy)
    con = duckdb.connect(str(copy), read_only=True)
    try:
        tickets = con.execute("SELECT * FROM hotline_tickets WHERE received_at >= ?", [SINCE]).df()
        warnings = con.execute("SELECT * FROM risk_warnings").df()
    finally:
        con.close()
    frames = {"hotline_tickets": tickets, "risk_warnings": warnings}
    for frame in frames.values():  # MariaDB's DATETIME keeps whole seconds
        for name in frame.columns:
            if pd.api.types.is_datetime64_any_dtype(frame[name]):
                frame[name] = frame[name].dt.floor("s")
    return frames


def hub_on(source: SqlSource, environ: dict[str, str]) -> DataHub:
    """A data hub whose datasets are read from `source` (it stands in for the demo source)."""
    from cockpit.settings import load_settings

    settings = load_settings(environ=environ)
    leader = Principal("leader", "leader")  # the whole city
    return DataHub(settings, {"demo": source}, cache=None, principal=lambda: leader)


@pytest.fixture(scope="module")
def maria_url() -> str:
    """The server, or a skip before the demo data is generated for nothing."""
    return mariadb_url_or_skip()


@pytest.fixture(scope="module")
def hubs(maria_url: str, demo_db: Path, tmp_path_factory: pytest.TempPathFactory):
    """(MariaDB hub, DuckDB hub) over the same rows; the MariaDB database is dropped after."""
    url = maria_url
    tmp = tmp_path_factory.mktemp("panels-mariadb")
    frames = demo_frames(demo_db, tmp)

    database = unique_name("cockpit_panels")
    admin = sa.create_engine(url)
    with admin.begin() as conn:
        conn.execute(sa.text(f"CREATE DATABASE `{database}` CHARACTER SET utf8mb4"))
    duck_path = tmp / "same-rows.duckdb"
    duck = duckdb.connect(str(duck_path))
    for table, frame in frames.items():
        # executemany: PyMySQL sends it as multi-row INSERTs (6x faster than method="multi")
        frame.to_sql(table, admin, schema=database, index=False, chunksize=5000)
        duck.register("v", frame)
        duck.execute(f"CREATE TABLE {table} AS SELECT * FROM v")
        duck.unregister("v")
    duck.close()

    environ = demo_environ(demo_db, tmp / "cache")
    maria = SqlSource(
        "maria", SqlConfig.model_validate({"kind": "sql", "url": url, "schema": database})
    )
    local = SqlSource("duck", SqlConfig(kind="sql", url=f"duckdb:///{duck_path}"))
    try:
        yield hub_on(maria, environ), hub_on(local, environ)
    finally:
        maria.close()
        local.close()
        with admin.begin() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{database}`"))
        admin.dispose()


@pytest.mark.parametrize("name", list(QUERIES))
def test_each_bucketed_panel_query_gives_the_same_answer_on_mariadb(hubs, name: str) -> None:
    """The panel's query answers on MariaDB (no "暂不支持") exactly as on DuckDB."""
    on_maria, on_duck = (QUERIES[name](hub) for hub in hubs)
    assert on_maria.ok, on_maria.error
    assert on_duck.ok, on_duck.error
    assert len(on_duck.frame) > 0  # an empty answer would prove little
    assert list(on_maria.frame.columns) == list(on_duck.frame.columns)
    pd.testing.assert_frame_equal(
        canonical(on_maria.frame), canonical(on_duck.frame), check_dtype=False
    )
