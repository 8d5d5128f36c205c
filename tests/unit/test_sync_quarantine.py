"""Sync faults that must not stop a dataset or hide it (issue #19): a UTC server clock, one
bad row, a killed run's staging folder, a store held open by another process, a title of two
million characters, a warning level of 9."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
import sqlalchemy as sa

from cockpit.contracts import CONTRACTS
from cockpit.health import lines, report
from cockpit.settings import DatasetBinding, SyncSettings
from cockpit.sync import run_sync
from cockpit.validation import TRUNCATED_MARK, check_batch
from data_sources.query import BoundDataset, DatasetQuery
from data_sources.sql import SqlConfig
from tests.contract.test_adapter_contract import reference_tickets

ROOT = Path(__file__).resolve().parents[2]
CODES = {"140403", "140404", "140423", "140402", "140411", "140400"}


def beijing_now() -> dt.datetime:
    """The wall clock of the city's data."""
    return dt.datetime.now(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None, microsecond=0)


def synced_app(
    settings, rows: pd.DataFrame, tmp_path: Path, dataset: str = "hotline.tickets", **sync
):
    """An app whose `dataset` is synced from a SQLite front-end database holding `rows`."""
    from tests.apps import app_as

    url = f"sqlite:///{tmp_path / 'frontdb.sqlite'}"
    rows.to_sql("t_rows", sa.create_engine(url), index=False)
    changed = settings.model_copy(
        update={
            "sources": {**settings.sources, "frontdb": SqlConfig(kind="sql", url=url)},
            "datasets": {
                **settings.datasets,
                dataset: DatasetBinding(source="frontdb", table="t_rows", mode="sync"),
            },
            "sync": SyncSettings(
                path=str(tmp_path / "sync" / "store.duckdb"),
                quarantine_dir=str(tmp_path / "quarantine"),
                **sync,
            ),
        }
    )
    return app_as(changed)


def stored(app, dataset: str = "hotline.tickets") -> pd.DataFrame:
    """Every row of the dataset in the local store."""
    hub = app.server.extensions["cockpit_hub"]
    contract = CONTRACTS[dataset]
    local = BoundDataset(dataset, dataset.replace(".", "__"), contract.columns)
    return hub.local_store.fetch(
        local, DatasetQuery(columns=tuple(c.name for c in contract.columns))
    )


# -- the city's clock, not the server's -------------------------------------------------------
@pytest.fixture
def utc_server():
    """The process runs with TZ=UTC (as many servers do), restored afterwards."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if before is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = before
    time.tzset()


def test_on_a_utc_server_tickets_stamped_minutes_ago_are_not_future(
    settings, tmp_path, utc_server
) -> None:
    """50 tickets stamped ten minutes ago in Beijing time pass on a server whose clock is UTC
    (eight hours behind the data): the check compares with the city's clock."""
    assert time.strftime("%Z") == "UTC"
    rows = reference_tickets(50).assign(updated_at=beijing_now() - dt.timedelta(minutes=10))
    app = synced_app(settings, rows, tmp_path)
    with app.server.app_context():
        result = run_sync(app.server.extensions["cockpit_hub"])[0]
    assert result["ok"], result.get("report")
    assert len(stored(app)) == 50


def test_the_city_time_zone_comes_from_config(settings, tmp_path) -> None:
    """A city configured in Urumqi time (UTC+6) sees Beijing stamps of ten minutes ago as two
    hours ahead: they are quarantined as 未来时间. The zone is the config's, not a constant."""
    city = settings.city.model_copy(update={"timezone": "Asia/Urumqi"})
    rows = reference_tickets(5).assign(updated_at=beijing_now() - dt.timedelta(minutes=10))
    app = synced_app(settings.model_copy(update={"city": city}), rows, tmp_path)
    with app.server.app_context():
        result = run_sync(app.server.extensions["cockpit_hub"])[0]
    assert not result["ok"] and "updated_at 有 5 行是未来时间" in result["report"]


def test_an_unknown_time_zone_is_refused_at_start_up() -> None:
    """A misspelt zone is a configuration error naming the field, not a crash later."""
    from pydantic import ValidationError

    from cockpit.settings import City

    with pytest.raises(ValidationError, match="unknown time zone"):
        City(
            name="x",
            code="140400",
            counties=[{"code": "140403", "name": "y"}],
            map_file="m",
            timezone="Asia/Beijing",
        )


# -- one bad row ---------------------------------------------------------------------------------
def test_a_null_key_row_is_quarantined_alone_and_check_reports_it(settings, tmp_path) -> None:
    """A ticket without its id: the other 240 are written, the bad row is kept with its reason
    and key, `cockpit check` and /healthz say the dataset is not ok until it is fixed (a
    row without a key can be followed only by the reconciliation: here every run)."""
    rows = reference_tickets(241)
    rows.loc[240, "ticket_id"] = None
    app = synced_app(settings, rows, tmp_path, reconcile_every_syncs=1)
    hub = app.server.extensions["cockpit_hub"]
    with app.server.test_request_context("/"):
        result = run_sync(hub)[0]
        assert result["quarantined"] == 1 and not result["ok"]
        assert len(stored(app)) == 240
        kept = pd.read_csv(Path(result["quarantine"]).with_suffix(".csv"), dtype=str)
        assert kept["_quarantine_reason"].tolist() == ["ticket_id 为空（必填）"]
        health = report(hub)
        assert not health["ok"]
        assert "1 行被隔离" in health["datasets"]["hotline.tickets"]["held_back"]
        assert lines(health)[-1] == "存在异常"
        assert app.server.test_client().get("/healthz").status_code == 503
        # Fixed at the source (the row gets its id): the next sync takes it, check is clean.
        with sa.create_engine(f"sqlite:///{tmp_path / 'frontdb.sqlite'}").begin() as conn:
            conn.execute(sa.text("UPDATE t_rows SET ticket_id = 'R99999' WHERE ticket_id IS NULL"))
        assert run_sync(hub)[0]["ok"]
        assert len(stored(app)) == 241
        assert report(hub)["datasets"]["hotline.tickets"]["held_back"] is None


def test_check_exits_non_zero_while_rows_are_quarantined(settings, tmp_path, monkeypatch) -> None:
    """`python -m cockpit check` prints the dataset and exits 1, not 全部正常 with 0."""
    import cockpit.__main__ as cli

    rows = reference_tickets(20)
    rows.loc[3, "ticket_id"] = None
    app = synced_app(settings, rows, tmp_path)
    with app.server.app_context():
        run_sync(app.server.extensions["cockpit_hub"])
    monkeypatch.setattr(
        cli, "_tool_settings", lambda: app.server.extensions["cockpit_hub"].settings
    )
    outputs: list[str] = []
    monkeypatch.setattr("builtins.print", lambda *a, **k: outputs.append(" ".join(map(str, a))))
    assert cli.main(["check"]) == 1
    text = "\n".join(outputs)
    assert "hotline.tickets" in text and "1 行被隔离" in text and "存在异常" in text


# -- a killed run, a busy store --------------------------------------------------------------------
def test_the_staging_folder_of_a_killed_sync_is_removed_at_the_next_start(
    settings, tmp_path
) -> None:
    """A folder left by a sync whose process is gone goes at once (not a day later); one of
    a sync still running stays."""
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        app = synced_app(settings, reference_tickets(10), tmp_path)
        folder = tmp_path / "sync"
        folder.mkdir(parents=True, exist_ok=True)
        left = folder / f"sync-{dead.pid}-abc"
        running = folder / f"sync-{alive.pid}-def"
        for place in (left, running):
            (place / "read").mkdir(parents=True)
            (place / "read" / "page-00001.parquet").write_bytes(b"x" * 1000)
        with app.server.app_context():
            assert run_sync(app.server.extensions["cockpit_hub"])[0]["ok"]
        assert not left.exists()
        assert running.exists()
    finally:
        alive.kill()
        alive.wait()


def _hold_store(path: Path, seconds: float) -> subprocess.Popen:
    """Another process holding the store open for writing (DuckDB locks the whole file)."""
    script = (
        "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
        "print('held', flush=True); time.sleep(float(sys.argv[2])); c.close()"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", script, str(path), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline().strip() == "held"
    return holder


def test_a_sync_waits_while_another_process_holds_the_store(settings, tmp_path) -> None:
    """The store held open for longer than one connect's own retries: the sync says so in
    one line, waits with backoff and then writes (instead of dying)."""
    app = synced_app(settings, reference_tickets(30), tmp_path, busy_retry_seconds=60)
    hub = app.server.extensions["cockpit_hub"]
    with app.server.app_context():
        run_sync(hub)
    holder = _hold_store(hub.local_store.path, 12)
    said: list[str] = []
    try:
        with app.server.app_context():
            result = run_sync(hub, progress=said.append)[0]
    finally:
        holder.wait()
    assert result["ok"], result
    assert sum("被其他进程占用" in line for line in said) == 1


def test_a_store_held_too_long_is_reported_not_raised(settings, tmp_path) -> None:
    """Past sync.busy_retry_seconds the dataset's run fails with a clear line and the job
    goes on (sync --every keeps its schedule)."""
    app = synced_app(settings, reference_tickets(30), tmp_path, busy_retry_seconds=0)
    hub = app.server.extensions["cockpit_hub"]
    with app.server.app_context():
        run_sync(hub)
    holder = _hold_store(hub.local_store.path, 20)
    try:
        with app.server.app_context():
            result = run_sync(hub)[0]
    finally:
        holder.kill()
        holder.wait()
    assert result == {
        "dataset": "hotline.tickets",
        "ok": False,
        "rows": 0,
        "report": "本地数据仓被其他进程占用",
    }


# -- lengths and ranges ------------------------------------------------------------------------------
def warnings_rows(n: int) -> pd.DataFrame:
    """Risk warnings that pass every check."""
    stamp = pd.Timestamp("2026-11-01 08:00")
    return pd.DataFrame(
        {
            "warning_id": [f"W{i:03d}" for i in range(n)],
            "domain": "安全生产",
            "level": [1 + i % 4 for i in range(n)],
            "title": [f"预警{i}" for i in range(n)],
            "county_code": "140403",
            "place": "某地",
            "lon": 113.1,
            "lat": 36.2,
            "responsible_unit": "市应急局",
            "source": "市应急局",
            "issued_at": stamp,
            "stage": "发布",
            "lifted_at": pd.NaT,
            "updated_at": stamp,
        }
    )


def test_a_two_million_character_title_is_cut_and_level_nine_is_refused(settings, tmp_path) -> None:
    """Through a sync: the long title arrives cut to the contract's length with a mark (the
    row is kept), the row with level 9 (levels are 1-4) is quarantined with its reason."""
    rows = warnings_rows(8)
    rows.loc[2, "title"] = "长" * 2_000_000
    rows.loc[5, "level"] = 9
    app = synced_app(settings, rows, tmp_path, dataset="risk.warnings")
    with app.server.app_context():
        result = run_sync(app.server.extensions["cockpit_hub"], ["risk.warnings"])[0]
    assert result["quarantined"] == 1 and "level 有 1 行超出范围 1~4" in result["report"]
    kept = pd.read_csv(Path(result["quarantine"]).with_suffix(".csv"), dtype=str)
    assert kept["warning_id"].tolist() == ["W005"]
    local = stored(app, "risk.warnings").set_index("warning_id")
    assert len(local) == 7
    title = local.loc["W002", "title"]
    limit = CONTRACTS["risk.warnings"].limit("title").max_length
    assert len(title) == limit and title.endswith(TRUNCATED_MARK)


def test_limits_are_checked_row_by_row() -> None:
    """Ranges (progress 0-100), enums (period_type) and over-long keys: each row named."""
    tasks = CONTRACTS["key_work.tasks"]
    rows = pd.DataFrame(
        {
            "task_id": ["T1", "T2", "T" * 600],
            "title": "任务",
            "source": "政府工作报告",
            "lead_leader": "张",
            "lead_unit": "局",
            "co_units": None,
            "county_code": "140403",
            "start_date": pd.Timestamp("2026-01-01"),
            "deadline": pd.Timestamp("2026-12-31"),
            "progress": [50.0, -250.0, 10.0],
            "last_feedback": None,
            "last_feedback_date": pd.Timestamp("2026-11-01"),
            "completed_at": pd.NaT,
        }
    )
    found = check_batch(rows, tasks, county_codes=CODES, now=dt.datetime(2026, 11, 21))
    assert found.rejected == {1: ["progress 超出范围 0~100"], 2: ["task_id 超过 500 字"]}
    assert len(found.good(rows)) == 1


def test_sync_every_keeps_its_schedule_while_the_store_is_held(
    settings, tmp_path, monkeypatch
) -> None:
    """`python -m cockpit sync --every 10` with the store held by another process: the run is
    reported and the loop goes on to its next turn instead of dying with a traceback."""
    import cockpit.__main__ as cli

    class NextTurn(Exception):
        pass

    app = synced_app(settings, reference_tickets(30), tmp_path, busy_retry_seconds=0)
    hub = app.server.extensions["cockpit_hub"]
    with app.server.app_context():
        run_sync(hub)
    real_sleep = time.sleep

    def sleep(seconds: float) -> None:
        if seconds >= 60:  # the schedule's wait: the loop survived the busy store
            raise NextTurn
        real_sleep(seconds)

    monkeypatch.setattr(cli, "_tool_settings", lambda: hub.settings)
    monkeypatch.setattr(time, "sleep", sleep)
    holder = _hold_store(hub.local_store.path, 30)
    try:
        with pytest.raises(NextTurn):
            cli.main(["sync", "--every", "10"])
    finally:
        holder.kill()
        holder.wait()
