"""Sync (抽取) mode and batch validation: incremental, idempotent, resumable, and never trusting a bad batch."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import sqlalchemy as sa

from cockpit.contracts import CONTRACTS
from cockpit.settings import DatasetBinding, SyncSettings
from cockpit.sync import LocalStore, run_sync
from cockpit.validation import check_batch
from data_sources.query import BoundDataset, DatasetQuery, Filter, Measure
from data_sources.sql import SqlConfig
from tests.contract.test_adapter_contract import reference_tickets

TICKETS = CONTRACTS["hotline.tickets"]
NOW = dt.datetime(2026, 11, 21, 12, 0)
CODES = {"140403", "140404", "140423", "140402", "140411", "140400"}
COUNT = DatasetQuery(measures=(Measure("n", "count"),))


# -- validation ---------------------------------------------------------------------------
def test_a_clean_batch_passes_and_an_extra_column_is_only_a_warning() -> None:
    """The reference tickets pass; an unknown extra column is reported as 提示, not an error."""
    batch = reference_tickets(50).assign(source_system="x")
    report = check_batch(batch, TICKETS, county_codes=CODES, now=NOW)
    assert report.ok, report.text()
    assert report.warnings == ["多出字段 source_system（已忽略）"]


@pytest.mark.parametrize(
    "breakage, expected",
    [
        (lambda f: f.drop(columns=["deadline"]), "缺少字段 deadline"),
        (lambda f: f.assign(ticket_id=[None] + list(f.ticket_id[1:])), "ticket_id 有 1 行为空"),
        (lambda f: f.assign(ticket_id=["same"] * len(f)), "主键（ticket_id）重复"),
        (
            lambda f: f.assign(county_code=["999999"] + list(f.county_code[1:])),
            "未知的县区代码 999999",
        ),
        (
            lambda f: f.assign(returned_count=[-1] + list(f.returned_count[1:])),
            "returned_count 有 1 行为负数",
        ),
        (
            lambda f: f.assign(updated_at=[pd.Timestamp("2027-01-01")] + list(f.updated_at[1:])),
            "updated_at 有 1 行是未来时间",
        ),
        (
            lambda f: f.assign(returned_count=["三"] + list(f.returned_count[1:])),
            "returned_count 有 1 行不是 int",
        ),
    ],
)
def test_each_kind_of_bad_batch_is_named(breakage, expected) -> None:
    """Every check names what it found, in a line a person can act on."""
    report = check_batch(breakage(reference_tickets(50)), TICKETS, county_codes=CODES, now=NOW)
    assert not report.ok
    assert any(expected in e for e in report.errors), report.errors


def test_deadlines_may_lie_in_the_future_but_events_may_not() -> None:
    """An open ticket due next week is normal (a live 12345 feed always has some); a ticket
    received or closed next week is a clock error at the source."""
    week = pd.Timestamp(NOW) + pd.Timedelta(days=7)
    open_tickets = reference_tickets(50).assign(deadline=week, sign_deadline=week, closed_at=pd.NaT)
    assert check_batch(open_tickets, TICKETS, county_codes=CODES, now=NOW).ok
    for column in ("received_at", "closed_at", "signed_at"):
        report = check_batch(
            open_tickets.assign(**{column: week}), TICKETS, county_codes=CODES, now=NOW
        )
        assert f"{column} 有 50 行是未来时间" in report.errors
    roster = CONTRACTS["contacts.duty_roster"]
    next_week = pd.DataFrame(
        {c.name: ["x"] for c in roster.columns} | {"duty_date": [week.normalize()]}
    )
    assert not any(
        "未来时间" in e for e in check_batch(next_week, roster, county_codes=CODES, now=NOW).errors
    )


def test_a_unit_change_and_a_collapse_in_rows_are_caught() -> None:
    """万元 arriving for an indicator catalogued in 亿元 is converted (#18 item 5), a unit with
    no conversion (美元) is refused, and a full refresh with a fraction of the rows is caught."""
    contract = CONTRACTS["economy.indicator_values"]
    rows = pd.DataFrame(
        {
            "indicator_id": ["gdp", "gdp"],
            "county_code": ["140400", "140403"],
            "period": ["2026-09", "2026-09"],
            "period_type": "cumulative",
            "value": [23300000.0, 5000000.0],
            "growth": [5.4, 5.0],
            "unit": ["万元", "美元"],
            "release_date": pd.Timestamp("2026-10-20"),
        }
    )
    report = check_batch(
        rows, contract, county_codes=CODES, now=NOW, units={"gdp": "亿元"}, previous_rows=100
    )
    assert any("单位是 万元，已换算为 亿元" in w for w in report.warnings)
    assert report.good(rows)["value"].tolist() == []  # refused whole: the collapse
    assert any("单位是 美元，目录中为 亿元" in e for e in report.errors)
    assert list(report.rejected) == [1]
    assert any("行数从 100 骤降到 2" in e for e in report.errors)
    converted = check_batch(rows[:1], contract, county_codes=CODES, now=NOW, units={"gdp": "亿元"})
    assert converted.good(rows[:1])["value"].tolist() == [2330.0]


# -- sync -----------------------------------------------------------------------------------
@pytest.fixture
def origin(tmp_path: Path) -> tuple[str, pd.DataFrame]:
    """A SQLite front-end database holding the reference tickets."""
    url = f"sqlite:///{tmp_path / 'frontdb.sqlite'}"
    frame = reference_tickets(240)
    frame.to_sql("t_tickets", sa.create_engine(url), index=False)
    return url, frame


@pytest.fixture
def synced_app(settings, origin, tmp_path):
    """An app whose hotline.tickets come from the front-end database in sync mode."""
    from tests.apps import app_as

    url, _ = origin
    changed = settings.model_copy(
        update={
            "sources": {**settings.sources, "frontdb": SqlConfig(kind="sql", url=url)},
            "datasets": {
                **settings.datasets,
                "hotline.tickets": DatasetBinding(source="frontdb", table="t_tickets", mode="sync"),
            },
            "sync": SyncSettings(
                path=str(tmp_path / "sync" / "store.duckdb"),
                quarantine_dir=str(tmp_path / "quarantine"),
            ),
        }
    )
    app = app_as(changed)
    with app.server.test_request_context("/"):
        yield app


def hub_of(app):
    return app.server.extensions["cockpit_hub"]


def local_count(hub, **filters) -> int:
    """Tickets the panels see (read from the local store), optionally filtered by status."""
    query = (
        COUNT
        if not filters
        else COUNT.with_filters(*(Filter(k, "eq", v) for k, v in filters.items()))
    )
    result = hub.query("hotline.tickets", query)
    assert result.ok, result.error
    return int(result.frame["n"].iloc[0])


def test_panels_read_the_local_copy_after_the_first_sync(synced_app, origin) -> None:
    """Before a sync the panel says so; after it, the count is the source's; the source is not queried."""
    hub = hub_of(synced_app)
    assert isinstance(hub.source_of("hotline.tickets"), LocalStore)
    before = hub.query("hotline.tickets", COUNT)
    assert not before.ok and "尚未同步" in before.error
    results = run_sync(hub)
    assert results == [
        {"dataset": "hotline.tickets", "ok": True, "rows": 240, "total": 240, "reconciled": True}
    ]  # a first sync reads everything: it counts as a reconciliation
    assert local_count(hub) == len(origin[1])


def test_a_rerun_adds_nothing_and_changes_arrive_incrementally(synced_app, origin) -> None:
    """Sync twice: nothing doubles. Then 5 rows change and 10 are new: only those 15 are pulled."""
    hub = hub_of(synced_app)
    run_sync(hub)
    assert run_sync(hub)[0]["rows"] == 0
    assert local_count(hub) == 240
    url, frame = origin
    engine = sa.create_engine(url)
    later = pd.Timestamp("2026-11-20 09:00")
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE t_tickets SET status = '已退回', updated_at = :t "
                "WHERE ticket_id IN ('R00001','R00002','R00003','R00004','R00005')"
            ),
            {"t": later.to_pydatetime()},
        )
    extra = reference_tickets(250).iloc[240:].assign(updated_at=later)
    extra.to_sql("t_tickets", engine, index=False, if_exists="append")
    result = run_sync(hub)[0]
    assert (result["rows"], result["total"]) == (15, 250)
    assert local_count(hub) == 250
    assert local_count(hub, status="已退回") == 5


def test_a_crash_in_the_middle_leaves_the_last_good_state_and_resumes(
    synced_app, origin, monkeypatch
) -> None:
    """A failure after the old rows were deleted rolls back: same rows, same watermark; the rerun applies."""
    hub = hub_of(synced_app)
    run_sync(hub)
    store = hub.local_store
    mark = store.state("hotline.tickets")
    url, _ = origin
    with sa.create_engine(url).begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE t_tickets SET status = '已退回', updated_at = '2026-11-20 10:00:00.000000'"
            )
        )
    original = LocalStore.apply
    monkeypatch.setattr(
        LocalStore, "apply", lambda self, *a, **k: original(self, *a, **k, fail_after_delete=True)
    )
    with pytest.raises(RuntimeError, match="simulated crash"):
        run_sync(hub)
    assert store.state("hotline.tickets") == mark
    assert local_count(hub) == 240 and local_count(hub, status="已退回") == 0
    monkeypatch.setattr(LocalStore, "apply", original)
    assert run_sync(hub)[0]["rows"] == 240
    assert local_count(hub, status="已退回") == 240


def test_bad_rows_are_quarantined_with_their_reasons_and_the_screen_keeps_the_last_good_data(
    synced_app, origin, tmp_path
) -> None:
    """Rows with an unknown county: none of them applied, the rows and a report (each row with
    its reason) are kept, the watermark unmoved, the run reported as not ok."""
    hub = hub_of(synced_app)
    run_sync(hub)
    mark = hub.local_store.state("hotline.tickets")
    url, _ = origin
    bad = (
        reference_tickets(245)
        .iloc[240:]
        .assign(county_code="999999", updated_at=pd.Timestamp("2026-11-20"))
    )
    bad.to_sql("t_tickets", sa.create_engine(url), index=False, if_exists="append")
    result = run_sync(hub)[0]
    assert result["ok"] is False and "未知的县区代码 999999" in result["report"]
    assert result["quarantined"] == 5
    report = Path(result["quarantine"])
    assert "5 行校验未通过已隔离" in report.read_text(encoding="utf-8")
    kept = pd.read_csv(report.with_suffix(".csv"), dtype=str)
    assert sorted(kept["ticket_id"]) == sorted(bad["ticket_id"])
    assert set(kept["_quarantine_reason"]) == {"未知的县区代码 999999"}
    assert hub.local_store.state("hotline.tickets") == mark
    assert local_count(hub) == 240


def test_each_batch_rebuilds_the_rollups_so_they_stay_in_step(synced_app, origin) -> None:
    """After every sync the rollups hold the new rows: the 12345 counts answered from them
    equal the counts of the local rows, before and after a batch of changes."""
    from cockpit import rollups
    from cockpit.domains.hotline import kpis
    from cockpit.domains.hotline.config import Definitions
    from cockpit.domains.hotline.kpis import Window

    hub = hub_of(synced_app)
    store, bound = hub.source_of("hotline.tickets"), hub._bound["hotline.tickets"]
    window = Window(dt.datetime(2026, 9, 1), dt.datetime(2026, 10, 1), "2026年9月")
    query = kpis.counts_query(Definitions(), window, NOW, group_by=("county_code",))

    def both() -> tuple[pd.DataFrame, pd.DataFrame]:
        built = store.rollups(bound)
        assert rollups.rewrite(query, bound, built) is not None  # answered from rollups
        answer = rollups.answer(query, bound, built, store.fetch, store.fetch_joined)
        answer = answer.sort_values("county_code")
        raw = store.fetch(bound, query).sort_values("county_code")
        return answer.reset_index(drop=True), raw.reset_index(drop=True)

    run_sync(hub)
    pd.testing.assert_frame_equal(*both(), check_dtype=False)
    before = both()[0]["closed"].sum()
    url, _ = origin
    with sa.create_engine(url).begin() as conn:  # ten September tickets reopen
        conn.execute(
            sa.text(
                "UPDATE t_tickets SET closed_at = NULL, updated_at = :t WHERE ticket_id IN "
                "(SELECT ticket_id FROM t_tickets WHERE closed_at >= '2026-09-01' "
                "AND closed_at < '2026-10-01' ORDER BY ticket_id LIMIT 10)"
            ),
            {"t": dt.datetime(2026, 11, 20, 9, 0)},
        )
    assert run_sync(hub)[0]["rows"] == 10
    answer, raw = both()
    pd.testing.assert_frame_equal(answer, raw, check_dtype=False)
    assert answer["closed"].sum() == before - 10


def test_the_local_store_is_read_within_the_worker_limits(synced_app) -> None:
    """Panels' queries on the local copy run with the configured DuckDB memory and threads, not
    DuckDB's own defaults (80% of the machine's memory, a thread per core)."""
    from cockpit.sync import run_sync

    hub = hub_of(synced_app)
    run_sync(hub)
    engine = hub.local_store.reader()
    with engine.connect() as conn:
        limit = conn.exec_driver_sql("SELECT current_setting('memory_limit')").scalar()
        threads = conn.exec_driver_sql("SELECT current_setting('threads')").scalar()
    engine.dispose()
    assert (limit, int(threads)) == ("61.0 MiB", hub.settings.sync.duckdb_threads)
    assert hub.settings.sync.duckdb_memory_limit == "64MB"  # 64 MB = 61.0 MiB as DuckDB shows it


def _apply_in_another_process(path: Path, rows: int) -> subprocess.CompletedProcess:
    """A sync job's write, from a process of its own (as `python -m cockpit sync` runs)."""
    script = (
        "import sys; from pathlib import Path; from cockpit.sync import LocalStore; "
        "from tests.contract.test_adapter_contract import reference_tickets; "
        f"rows = reference_tickets({rows}); import time; started = time.monotonic(); "
        f"LocalStore(Path({str(path)!r})).apply('hotline.tickets', rows, full=True); "
        "print(time.monotonic() - started)"
    )
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_reader_keeps_the_store_open_and_a_sync_from_another_process_still_writes(
    tmp_path, monkeypatch
) -> None:
    """Between queries a worker keeps the store open (warm, no 20 ms open per query); a sync
    in another process asks it to let go, writes, and the next query sees the new rows.

    The reader would linger for a minute here (so it is still open when the other process
    has started, however long its imports take on a busy machine): the write's own time shows
    that it let go when asked."""
    monkeypatch.setattr(LocalStore, "LINGER_SECONDS", 60.0)
    path = tmp_path / "analytic.duckdb"
    store = LocalStore(path)
    store.apply("hotline.tickets", reference_tickets(100), full=True)
    local = BoundDataset("hotline.tickets", "hotline__tickets", TICKETS.columns)
    assert int(store.fetch(local, COUNT)["n"].iloc[0]) == 100
    kept = store._held[0]  # the query left its engine open ...
    store.fetch(local, COUNT)
    assert store._held[0] is kept  # ... and the next query used it again
    done = _apply_in_another_process(path, 150)
    assert done.returncode == 0, done.stderr[-2000:]
    assert store._held is None  # let go when asked (the linger was a minute) ...
    assert float(done.stdout.strip().splitlines()[-1]) < 5  # ... within the write's own time
    assert not store.sync_wanted()
    assert int(store.fetch(local, COUNT)["n"].iloc[0]) == 150
    store.close()


def test_an_idle_reader_lets_go_of_the_store(tmp_path, monkeypatch) -> None:
    """No query for a while: the file is closed, so a sync never waits on an idle worker."""
    monkeypatch.setattr(LocalStore, "LINGER_SECONDS", 0.3)
    path = tmp_path / "analytic.duckdb"
    store = LocalStore(path)
    store.apply("hotline.tickets", reference_tickets(20), full=True)
    local = BoundDataset("hotline.tickets", "hotline__tickets", TICKETS.columns)
    store.fetch(local, COUNT)
    assert store._held is not None  # kept after the query
    deadline = time.monotonic() + 5
    while store._held is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert store._held is None
    con = duckdb.connect(str(path))  # a writer gets in: nobody has the file open
    con.close()


# -- a first sync in pages ------------------------------------------------------------------
def test_a_large_first_sync_reads_month_pages_and_writes_them_at_once(
    synced_app, origin, monkeypatch
) -> None:
    """With pages smaller than the data, every row arrives once, the watermark is the latest
    update, the rollups follow, and the progress names each page."""
    import cockpit.sync as sync

    monkeypatch.setattr(sync, "PAGE_ROWS", 100)  # September and October apart
    hub = hub_of(synced_app)
    said: list[str] = []
    result = run_sync(hub, progress=said.append)[0]
    _, frame = origin
    september, october = frame["updated_at"].dt.strftime("%Y-%m").value_counts().sort_index()
    assert september > 100 and october > 100  # so each month is a page of its own
    assert (result["ok"], result["rows"], result["total"]) == (True, 240, 240)
    assert any(f"第 1/2 批 {september} 行" in line for line in said)
    assert any(f"第 2/2 批 {october} 行" in line for line in said)
    assert local_count(hub) == 240
    assert local_count(hub, status=frame["status"].iloc[0]) == int(
        (frame["status"] == frame["status"].iloc[0]).sum()
    )
    assert hub.local_store.state("hotline.tickets")["watermark"] == frame["updated_at"].max()
    assert list((hub.local_store.path.parent).glob("sync-*")) == []  # staging cleaned up
    assert run_sync(hub)[0]["rows"] == 0


def test_a_bad_row_in_a_later_page_is_quarantined_alone(
    synced_app, origin, tmp_path, monkeypatch
) -> None:
    """A row of a later page fails its checks: it alone is quarantined, every other row of
    every page is written, and the run says so (not ok, one row quarantined)."""
    import cockpit.sync as sync

    monkeypatch.setattr(sync, "PAGE_ROWS", 100)
    url, frame = origin
    with sa.create_engine(url).begin() as conn:  # one October ticket with an unknown county
        conn.execute(
            sa.text(
                "UPDATE t_tickets SET county_code = '999999' WHERE ticket_id = "
                "(SELECT ticket_id FROM t_tickets WHERE updated_at >= '2026-10-01' LIMIT 1)"
            )
        )
    hub = hub_of(synced_app)
    result = run_sync(hub)[0]
    assert result["ok"] is False and result["quarantined"] == 1
    assert "999999" in result["report"]
    assert Path(result["quarantine"]).exists()
    assert local_count(hub) == 239


def test_pages_cover_every_row_once_even_when_rows_change_during_the_run(origin) -> None:
    """The page queries split by month and merge small months; a row updated after they
    were planned is read once (in the open last page), never lost and never twice."""
    from cockpit.sync import page_queries
    from data_sources.sql import SqlSource

    url, frame = origin
    source = SqlSource("frontdb", SqlConfig(kind="sql", url=url))
    bound = BoundDataset("hotline.tickets", "t_tickets", TICKETS.columns)
    apart = page_queries(source, bound, TICKETS, None, 100)
    together = page_queries(source, bound, TICKETS, None, 1000)
    assert len(apart) == 2 and len(together) == 1
    with sa.create_engine(url).begin() as conn:  # R00007 (September) changes meanwhile
        conn.execute(
            sa.text(
                "UPDATE t_tickets SET updated_at = '2026-11-21 08:00:00.000000' "
                "WHERE ticket_id = 'R00007'"
            )
        )
    read = pd.concat([source.fetch(bound, q) for q in apart], ignore_index=True)
    assert len(read) == 240 and read["ticket_id"].is_unique
    assert read.loc[read["ticket_id"] == "R00007", "updated_at"].iloc[0] == pd.Timestamp(
        "2026-11-21 08:00"
    )
    newest = read["updated_at"].max()
    assert len(source.fetch(bound, page_queries(source, bound, TICKETS, newest, 100)[0])) == 1
    assert page_queries(source, bound, TICKETS, newest + pd.Timedelta("1us"), 100) == []


def test_a_source_that_cannot_count_by_month_is_read_in_one_page(origin) -> None:
    """MySQL-family engines (no month buckets here), REST and file sources: one query for
    everything since the watermark, as before paging, and the sync still works."""
    from cockpit.sync import page_queries
    from data_sources.base import DataSourceError
    from data_sources.sql import SqlSource

    url, _ = origin
    real = SqlSource("frontdb", SqlConfig(kind="sql", url=url))

    class NoMonths:
        kind = "sql"
        name = "frontdb"

        def fetch(self, bound, query):
            if query.buckets:
                raise DataSourceError("数据库 mysql 暂不支持按 month 分组")
            return real.fetch(bound, query)

    bound = BoundDataset("hotline.tickets", "t_tickets", TICKETS.columns)
    said: list[str] = []
    pages = page_queries(NoMonths(), bound, TICKETS, None, 100, said.append)
    assert len(pages) == 1 and not pages[0].filters
    assert "不能按月计数" in said[0]
    assert len(real.fetch(bound, pages[0])) == 240
    rest = type("Rest", (), {"kind": "rest", "fetch": NoMonths.fetch})()
    assert len(page_queries(rest, bound, TICKETS, None, 100)) == 1


def test_a_query_under_way_when_a_sync_asks_delays_the_write_but_never_blocks_it(tmp_path) -> None:
    """The reader is let go while a query still runs on it: the file is closed when that
    query ends (not left open by its connection), and the sync's write gets in."""
    import threading

    path = tmp_path / "analytic.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE t AS SELECT range AS a FROM range(3000000)")
    con.close()
    store = LocalStore(path)
    store._run(sa.text("SELECT 1"), "t")  # the kept reader, open
    running, finished = threading.Event(), threading.Event()

    def slow() -> None:
        running.set()
        store._run(
            sa.text(
                "SELECT count(*) FROM t x, (SELECT * FROM t LIMIT 1500) y WHERE x.a % 7 = y.a % 5"
            ),
            "t",
        )
        finished.set()

    thread = threading.Thread(target=slow)
    thread.start()
    running.wait()
    time.sleep(0.1)
    assert not finished.is_set()  # the sync below asks while the query runs
    script = (
        "from pathlib import Path; from cockpit.sync import LocalStore, _connect; "
        f"s = LocalStore(Path({str(path)!r})); s._marker.touch(); "
        "c = _connect(s.path, read_only=False); c.execute('INSERT INTO t VALUES (-1)'); "
        "c.close(); s._marker.unlink()"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=60,
    )
    thread.join()
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(store._run(sa.text("SELECT count(*) AS n FROM t"), "t")["n"].iloc[0]) == 3000001
    store.close()


def test_a_marker_left_by_a_dead_sync_is_ignored_after_a_while(tmp_path) -> None:
    """A sync killed before removing its marker must not keep every worker on the slow path."""
    import os

    store = LocalStore(tmp_path / "analytic.duckdb")
    store._marker.touch()
    assert store.sync_wanted()
    old = time.time() - LocalStore.MARKER_STALE_SECONDS - 60
    os.utime(store._marker, (old, old))
    assert not store.sync_wanted()


def test_one_key_in_two_pages_keeps_the_later_row(synced_app, origin, monkeypatch) -> None:
    """The same ticket in September and in October is what a row updated while the sync
    reads looks like: the later page's row (the newer) is kept, once."""
    import cockpit.sync as sync

    monkeypatch.setattr(sync, "PAGE_ROWS", 100)
    url, frame = origin
    twin = (
        frame[frame["updated_at"] < "2026-10-01"]
        .head(1)
        .assign(updated_at=pd.Timestamp("2026-10-15 10:00"), status="已办结")
    )
    twin.to_sql("t_tickets", sa.create_engine(url), index=False, if_exists="append")
    hub = hub_of(synced_app)
    result = run_sync(hub)[0]
    assert result["ok"] is True and result["total"] == 240
    rows = hub.local_store.fetch(
        hub._bound["hotline.tickets"],
        DatasetQuery(
            columns=("ticket_id", "updated_at"),
            filters=(Filter("ticket_id", "eq", twin["ticket_id"].iloc[0]),),
        ),
    )
    assert list(rows["updated_at"]) == [pd.Timestamp("2026-10-15 10:00")]
