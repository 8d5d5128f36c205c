"""Sync (抽取) mode: copy a dataset into the cockpit's local analytic store, without missing rows.

A slow front-end database (前置库) must not be hit by every wall screen. A dataset with
`mode: sync` is read by the panels from a local DuckDB file; `python -m cockpit sync` (or its
schedule) keeps it equal to the source:
- each run re-reads the rows stamped (the contract's freshness column) within a look-back
  window before the newest stamp seen, so rows delivered late, stamped in the same second or
  committed by a long transaction are still copied; rows are upserted by key, and a run that
  changed nothing writes nothing;
- a reconciliation (daily by default) compares row counts and checksums per month page with
  the source and re-reads the pages that differ: rows beyond the look-back arrive, rows
  deleted at the source go;
- `--full` re-reads a dataset whole.
Rows are checked row by row (cockpit.validation): bad rows are quarantined with their reasons,
good rows are written, all in one transaction per step; the run's status (kept beside the
store) tells `cockpit check` and /healthz what was held back. A crash leaves the last good state.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence, Set
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypedDict

import duckdb
import pandas as pd
import sqlalchemy as sa

from cockpit import rollups
from cockpit.contracts import CONTRACTS
from cockpit.validation import Catalog, Report, check_batch, city_now, economy_catalog, quarantine
from data_sources.base import DataSource, DataSourceError, Health, ReportsDataChecks
from data_sources.local_engine import typed_rows
from data_sources.query import BoundDataset, DatasetQuery, Filter, Measure, TimeBucket
from data_sources.sql import (
    build_joined,
    build_select,
    coerce_joined,
    coerce_types,
    rows_frame,
)

log = logging.getLogger(__name__)
STATE_TABLE = "_sync_state"
LOCK_RETRIES = 20  # DuckDB lets one process write at a time: readers and writers wait their turn


def local_table(dataset: str) -> str:
    """The table a dataset is stored in locally: economy.indicator_values -> economy__indicator_values."""
    return dataset.replace(".", "__")


def _connect(path: Path, read_only: bool, config: dict | None = None) -> duckdb.DuckDBPyConnection:
    """Open the store, waiting briefly while another process holds the write lock (or, in
    this process, while a reader still has it open with other settings)."""
    delay = 0.05
    for attempt in range(LOCK_RETRIES):
        try:
            return duckdb.connect(str(path), read_only=read_only, config=dict(config or {}))
        except (duckdb.IOException, duckdb.ConnectionException):
            if attempt == LOCK_RETRIES - 1:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.5)
    raise AssertionError("unreachable")


def open_local_store(settings: Any) -> LocalStore | None:
    """The local store sync-mode datasets are read from (settings.sync), or None when no
    dataset is in sync mode. Made by the frame and handed to the hub (DataHub(local_store=))."""
    if not any(b.mode == "sync" for b in settings.datasets.values()):
        return None
    return LocalStore(
        settings.path(settings.sync.path),
        settings.sync.duckdb_memory_limit,
        settings.sync.duckdb_threads,
    )


class SyncState(TypedDict):
    """A dataset's row in STATE_TABLE: where the last applied batch left it."""

    watermark: dt.datetime | None  # the newest freshness time written; None before any
    rows: int


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    """The value of a SELECT count(*) (which always returns one row)."""
    row = con.execute(sql).fetchone()
    assert row is not None  # count(*) answers one row, even on an empty table
    return row[0]


class LocalStore:
    """The local analytic store: one DuckDB file, a table per synced dataset, and their watermarks.

    An adapter like the others (DataSource, with rollups and joined fetches) that also keeps
    copies of other sources' datasets (KeepsCopies): the hub reads sync-mode datasets here.
    """

    kind: ClassVar[str] = "local"
    is_demo: ClassVar[bool] = False
    name: ClassVar[str] = "本地数据仓"  # in its messages, as a source's name is in theirs

    # Seconds a reader keeps the file open after its last query. Open, a worker answers from
    # DuckDB's warm buffers (opening the file costs 20 ms and a cold read per query); closed,
    # the sync can take the write lock, which DuckDB gives only when no process has the
    # file open. A sync also asks readers to let go at once (sync_wanted()).
    LINGER_SECONDS = 5.0
    # A marker this old was left by a sync that died before removing it (a write of 10M
    # rows takes a minute or two): readers then keep the file open again.
    MARKER_STALE_SECONDS = 30 * 60

    def __init__(self, path: Path, memory_limit: str = "64MB", threads: int = 2) -> None:
        self.path = path
        # Each query is one worker's: DuckDB's own defaults (80% of RAM, a thread per core) are
        # for one analyst on a whole machine (see SqlConfig.duckdb_memory_limit).
        self._duckdb_config = {"memory_limit": memory_limit, "threads": threads}
        self._lock = threading.Lock()
        self._built: dict[
            str, tuple[str, list[rollups.Built]]
        ] = {}  # dataset -> (version, rollups)
        self._held = None  # the kept reader: (engine, pid), see reader()
        self._users: dict[int, int] = {}  # id(engine) -> queries running on it
        self._retired: dict[int, sa.engine.Engine] = {}  # let go of while in use: closed when done
        self._last_used = 0.0
        self._watcher: threading.Thread | None = None

    # -- reading (as a data source) -------------------------------------------------------
    @property
    def _marker(self) -> Path:
        """Present while a sync wants the file: readers then let go of it."""
        return self.path.with_name(self.path.name + ".sync-wanted")

    def sync_wanted(self) -> bool:
        """Is a sync waiting to write the file (or writing it)? A marker older than
        MARKER_STALE_SECONDS was left by a sync that died: it no longer counts."""
        try:
            age = time.time() - self._marker.stat().st_mtime
        except FileNotFoundError:
            return False
        return age < self.MARKER_STALE_SECONDS

    def _engine(self, pooled: bool):
        from sqlalchemy.pool import NullPool

        options = {} if pooled else {"poolclass": NullPool}
        return sa.create_engine(
            f"duckdb:///{self.path}",
            connect_args={"read_only": True, "config": dict(self._duckdb_config)},
            **options,
        )

    def reader(self):
        """The read-only engine kept open between queries (opened now if it was not)."""
        with self._lock:
            return self._kept()

    def _kept(self):
        self._last_used = time.monotonic()
        if self._held is None or self._held[1] != os.getpid():  # never across fork()
            self._held = (self._engine(pooled=True), os.getpid())
            if self._watcher is None or not self._watcher.is_alive():
                self._watcher = threading.Thread(
                    target=self._watch, name="local-store-reader", daemon=True
                )
                self._watcher.start()
        return self._held[0]

    @contextlib.contextmanager
    def _reading(self) -> Iterator[sa.engine.Engine]:
        """An engine for one query: the kept one, counted while in use (so that letting go
        of it waits for the query and really closes the file), or, while a sync wants the
        file, one of its own, closed after the query."""
        if self.sync_wanted():
            self.release_reader()
            engine = self._engine(pooled=False)
            try:
                yield engine
            finally:
                engine.dispose()
            return
        with self._lock:
            engine = self._kept()
            self._users[id(engine)] = self._users.get(id(engine), 0) + 1
        try:
            yield engine
        finally:
            with self._lock:
                self._last_used = time.monotonic()
                left = self._users.pop(id(engine)) - 1
                if left:
                    self._users[id(engine)] = left
                doomed = None if left else self._retired.pop(id(engine), None)
            if doomed is not None:
                doomed.dispose()  # let go while this query ran: closed now it is done

    def release_reader(self) -> None:
        """Let go of the kept reader: closed now, or when the queries using it are done (a
        connection still in use when its engine is disposed would keep the file open)."""
        with self._lock:
            held, self._held = self._held, None
            if held is None or held[1] != os.getpid():
                return
            if self._users.get(id(held[0])):
                self._retired[id(held[0])] = held[0]
                return
        held[0].dispose()

    def _watch(self) -> None:
        """Let the file go when a sync wants it, or when no query came for a while."""
        while True:
            time.sleep(0.1)
            with self._lock:
                if self._held is None:
                    self._watcher = None
                    return
                idle = time.monotonic() - self._last_used
            if self.sync_wanted() or idle > self.LINGER_SECONDS:
                self.release_reader()

    def copy_of(self, origin: BoundDataset) -> BoundDataset:
        """Where a dataset's copy is kept: its own table, in contract names."""
        return BoundDataset(
            origin.name,
            local_table(origin.name),
            origin.columns,
            {},
            origin.county_column,
            origin.county_code_map,
        )

    def fetch(self, dataset: BoundDataset, query: DatasetQuery) -> pd.DataFrame:
        """Answer from the local copy (opened per query, so a sync can take the write lock)."""
        frame = self._run(build_select(dataset, query, "duckdb"), dataset.name)
        return coerce_types(frame, dataset, query)

    def fetch_joined(
        self, parts: list[tuple[BoundDataset, DatasetQuery]], keys: list[str]
    ) -> pd.DataFrame:
        """Several aggregate queries (a rollup plan's parts) in one statement."""
        frame = self._run(build_joined(parts, keys, "duckdb"), parts[0][0].name)
        return coerce_joined(frame, parts, keys)

    def _run(self, stmt: sa.Executable, dataset: str) -> pd.DataFrame:
        """Run a statement on the file, waiting while a sync writes."""
        if not self.path.exists():
            raise DataSourceError(f"本地数据仓尚未同步 {dataset}（运行 python -m cockpit sync）")
        delay = 0.05
        with self._reading() as engine:
            for attempt in range(LOCK_RETRIES):
                try:
                    with engine.connect() as conn:
                        return rows_frame(conn.execute(stmt))
                except sa.exc.DBAPIError as exc:
                    text = str(exc.orig)
                    if "lock" in text.lower() and attempt < LOCK_RETRIES - 1:
                        time.sleep(delay)  # a sync is writing: wait for it
                        delay = min(delay * 2, 0.5)
                        continue
                    if "does not exist" in text:
                        raise DataSourceError(f"本地数据仓尚未同步 {dataset}") from exc
                    raise DataSourceError(
                        f"本地数据仓查询失败（{type(exc.orig).__name__}）"
                    ) from exc
        raise AssertionError("unreachable")

    def rollups(self, dataset: BoundDataset) -> list[rollups.Built]:
        """The dataset's rollup tables in the store (read again after each sync)."""
        version = self.version()
        cached = self._built.get(dataset.name)
        if cached is not None and cached[0] == version:
            return cached[1]
        if not self.path.exists():
            return []
        try:
            rows = self._run(sa.text(rollups.READ_META_SQL), dataset.name).itertuples(index=False)
        except DataSourceError as exc:
            if "尚未同步" not in str(exc):
                return []  # a sync holds the file: the raw rows answer this time
            rows = iter(())  # no rollups in the store yet: none, until the next sync
        built = rollups.read_built(list(rows), dataset.name)
        self._built[dataset.name] = (version, built)
        return built

    def health(self) -> Health:
        """Healthy once the file exists."""
        ok = self.path.exists()
        return Health(ok, "ok" if ok else "尚未同步", dt.datetime.now())

    def version(self) -> str:
        """Changes after every sync that applied rows."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return "local:missing"
        return f"local:{stat.st_mtime_ns}:{stat.st_size}"

    def close(self) -> None:
        """Let go of the file."""
        self.release_reader()

    # -- writing (by the sync job) --------------------------------------------------------
    def state(self, dataset: str) -> SyncState:
        """The dataset's watermark and row count after the last applied batch."""
        if not self.path.exists():
            return {"watermark": None, "rows": 0}
        self.release_reader()  # the sync's own read, before it writes: no reader kept here
        con = _connect(self.path, read_only=True)
        try:
            row = con.execute(
                f"SELECT watermark, rows FROM {STATE_TABLE} WHERE dataset = ?", [dataset]
            ).fetchone()
        except duckdb.CatalogException:
            row = None
        finally:
            con.close()
        return {"watermark": row[0] if row else None, "rows": row[1] if row else 0}

    def apply(
        self,
        dataset: str,
        batch: pd.DataFrame | Path | Page | Iterable[pd.DataFrame | Path | Page],
        *,
        full: bool,
        fail_after_delete: bool = False,
        county_map: dict[str, str] | None = None,
    ) -> int:
        """Replace rows by key (or everything, for a full refresh) and move the watermark, atomically.

        `batch` may be several pages (frames, or Parquet files staged by sync_dataset): they
        are written in one transaction with the rollups rebuilt once at the end. A Page with
        `replaces` first removes the local rows of its span (reconciliation: rows deleted at
        the source go). The watermark never moves back (a look-back re-reads older rows)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Ask every reader (in this process and the others) to let go of the file, then
        # wait for the write lock; the marker goes when the write is done, whatever happens.
        self._marker.touch()
        try:
            self.release_reader()
            return self._apply(dataset, batch, full, fail_after_delete, county_map)
        finally:
            self._marker.unlink(missing_ok=True)

    def _apply(
        self,
        dataset: str,
        batch: pd.DataFrame | Path | Page | Iterable[pd.DataFrame | Path | Page],
        full: bool,
        fail_after_delete: bool,
        county_map: dict[str, str] | None,
    ) -> int:
        contract = CONTRACTS[dataset]
        table = local_table(dataset)
        given = [batch] if isinstance(batch, (pd.DataFrame, Path, Page)) else list(batch)
        pages = [p if isinstance(p, Page) else Page(p) for p in given]
        columns = ", ".join(f'"{c.name}"' for c in contract.columns)
        fresh = contract.freshness_column
        with self._lock:
            con = _connect(self.path, read_only=False)
            try:
                con.execute("BEGIN TRANSACTION")
                con.execute(
                    f"CREATE TABLE IF NOT EXISTS {STATE_TABLE} (dataset VARCHAR PRIMARY KEY, "
                    "watermark TIMESTAMP, rows BIGINT, synced_at TIMESTAMP)"
                )
                old = con.execute(
                    f"SELECT watermark FROM {STATE_TABLE} WHERE dataset = ?", [dataset]
                ).fetchall()
                mark = pd.Timestamp(old[0][0]) if old and old[0][0] is not None else None
                for number, page in enumerate(pages):
                    rows = page.rows
                    if isinstance(rows, Path):  # a page staged by sync_dataset
                        con.execute(
                            "CREATE OR REPLACE TEMP VIEW batch AS SELECT * FROM "
                            f"read_parquet('{_sql_text(str(rows))}')"
                        )
                    else:
                        con.register("batch", rows)
                    con.execute(
                        f'CREATE TABLE IF NOT EXISTS "{table}" AS SELECT * FROM batch LIMIT 0'
                    )
                    if full and number == 0:
                        con.execute(f'DELETE FROM "{table}"')
                    if page.replaces is not None and fresh:
                        where, params = page.replaces.sql(fresh)
                        con.execute(f'DELETE FROM "{table}" WHERE {where}', params)
                    if contract.key and (isinstance(rows, Path) or len(rows)):
                        on = " AND ".join(
                            f't."{k}" IS NOT DISTINCT FROM b."{k}"' for k in contract.key
                        )
                        con.execute(
                            f'DELETE FROM "{table}" t WHERE EXISTS (SELECT 1 FROM batch b WHERE {on})'
                        )
                    if fail_after_delete:  # for tests: a crash in the middle of the write
                        raise RuntimeError("simulated crash during sync")
                    con.execute(f'INSERT INTO "{table}" ({columns}) SELECT {columns} FROM batch')
                    if fresh:
                        latest = con.execute(f'SELECT max("{fresh}") FROM batch').fetchall()[0][0]
                        if latest is not None and (mark is None or latest > mark):
                            mark = pd.Timestamp(latest)
                    if isinstance(rows, Path):
                        con.execute("DROP VIEW batch")
                    else:
                        con.unregister("batch")
                total = _count(con, f'SELECT count(*) FROM "{table}"')
                # The dataset's rollups follow its rows in the same transaction: a reader
                # never sees a batch in one and not in the other.
                rollups.build(con, dataset, table, county_map)
                con.execute(
                    f"INSERT OR REPLACE INTO {STATE_TABLE} VALUES (?, ?, ?, now())",
                    [dataset, None if mark is None else mark.to_pydatetime(), total],
                )
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
            finally:
                con.close()
        return int(total)

    def changed_rows(self, dataset: str, pages: list[Page]) -> int:
        """How many rows of the pages are not already in the store exactly as they are (a
        look-back re-reads rows the store has: those alone are no reason to write)."""
        if not self.path.exists():
            return sum(_page_rows(p.rows) for p in pages)
        table = local_table(dataset)
        columns = ", ".join(f'"{c.name}"' for c in CONTRACTS[dataset].columns)
        self.release_reader()
        con = _connect(self.path, read_only=True)
        try:
            try:
                con.execute(f'SELECT 1 FROM "{table}" LIMIT 0')
            except duckdb.CatalogException:
                return sum(_page_rows(p.rows) for p in pages)
            changed = 0
            for page in pages:
                if isinstance(page.rows, Path):
                    source = f"read_parquet('{_sql_text(str(page.rows))}')"
                else:
                    con.register("page_rows", page.rows)
                    source = "page_rows"
                # Only the store's rows as fresh as the page's can equal one of its rows: the
                # rest of the table (millions of rows) is skipped by DuckDB's zone maps.
                fresh = CONTRACTS[dataset].freshness_column
                recent = (
                    f'WHERE "{fresh}" >= (SELECT min("{fresh}") FROM {source})' if fresh else ""
                )
                changed += con.execute(
                    f"SELECT count(*) FROM (SELECT {columns} FROM {source} "
                    f'EXCEPT SELECT {columns} FROM "{table}" {recent})'
                ).fetchall()[0][0]
                if not isinstance(page.rows, Path):
                    con.unregister("page_rows")
            return int(changed)
        finally:
            con.close()

    def present_keys(self, dataset: str, keys: set[str]) -> set[str]:
        """Which of these keys (as sync._keys_of writes them) the store holds."""
        key = CONTRACTS[dataset].key
        if not key or not keys or not self.path.exists():
            return set()
        joined = " || '|' || ".join(f"coalesce(CAST(\"{k}\" AS VARCHAR), '(空)')" for k in key)
        self.release_reader()
        try:
            con = _connect(self.path, read_only=True)
        except (duckdb.IOException, duckdb.ConnectionException):
            return set()  # held by another process: known again at the next run
        try:
            con.register("wanted", pd.DataFrame({"k": sorted(keys)}))
            rows = con.execute(
                f'SELECT k FROM wanted WHERE k IN (SELECT {joined} FROM "{local_table(dataset)}")'
            ).fetchall()
        except duckdb.CatalogException:
            return set()
        finally:
            con.close()
        return {r[0] for r in rows}


@dataclass(frozen=True)
class Span:
    """A range of a dataset's freshness column: [start, after), either end open (None), or
    the rows where it is empty. Reconciliation compares and replaces spans."""

    start: dt.datetime | None = None
    after: dt.datetime | None = None
    nulls: bool = False

    def filters(self, fresh: str) -> tuple[Filter, ...]:
        """The span as query filters."""
        if self.nulls:
            return (Filter(fresh, "is_null"),)
        bounds = []
        if self.start is not None:
            bounds.append(Filter(fresh, "ge", self.start))
        if self.after is not None:
            bounds.append(Filter(fresh, "lt", self.after))
        if not bounds:
            bounds.append(Filter(fresh, "not_null"))
        return tuple(bounds)

    def sql(self, fresh: str) -> tuple[str, list[object]]:
        """The span as a DuckDB condition and its parameters."""
        if self.nulls:
            return f'"{fresh}" IS NULL', []
        parts, params = [f'"{fresh}" IS NOT NULL'], list[object]()
        if self.start is not None:
            parts.append(f'"{fresh}" >= ?')
            params.append(self.start)
        if self.after is not None:
            parts.append(f'"{fresh}" < ?')
            params.append(self.after)
        return " AND ".join(parts), params

    def label(self) -> str:
        """How the span is named to an operator."""
        if self.nulls:
            return "（时间为空的行）"
        start = "最早" if self.start is None else f"{self.start:%Y-%m}"
        end = "至今" if self.after is None else f"{self.after - dt.timedelta(days=1):%Y-%m}"
        return start if start == end else f"{start}~{end}"


@dataclass(frozen=True)
class Page:
    """Checked rows to write (a frame, or a Parquet file staged beside the store); with
    `replaces`, the store's rows in that span are removed first."""

    rows: pd.DataFrame | Path
    replaces: Span | None = None


def _page_rows(rows: pd.DataFrame | Path) -> int:
    if isinstance(rows, pd.DataFrame):
        return len(rows)
    con = duckdb.connect()
    try:
        return int(_count(con, f"SELECT count(*) FROM read_parquet('{_sql_text(str(rows))}')"))
    finally:
        con.close()


# -- the job ----------------------------------------------------------------------------------
DEFAULT_LOOKBACK = dt.timedelta(hours=48)  # settings.sync.lookback_hours
DEFAULT_TIMEZONE = "Asia/Shanghai"  # settings.city.timezone
PAGE_ROWS = 200_000  # rows read into memory at once by a sync (a month of a big city's 12345)


@dataclass
class _Read:
    """What reading and checking some pages gave: the good rows staged, the bad ones apart."""

    pages: list[Page]
    good: int = 0
    bad: list[pd.DataFrame] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    refused: str | None = None  # the report of a batch refused whole


def _read_checked(
    dataset: str,
    bound: BoundDataset,
    origin: DataSource,
    reads: Sequence[tuple[DatasetQuery, Span | None]],
    staging: Path,
    check: Callable[[pd.DataFrame], Report],
    say: Callable[[str], None],
) -> _Read:
    """Read each page, check it row by row, keep the good rows (staged as Parquet when there
    are several pages) and the bad ones with their reasons."""
    contract = CONTRACTS[dataset]
    source_name = origin.name if hasattr(origin, "name") else "源"
    typed_as = BoundDataset(dataset, "", contract.columns)
    out = _Read(pages=[], bad=[], errors=[])
    for number, (query, span) in enumerate(reads, start=1):
        raw = origin.fetch(bound, query).reset_index(drop=True)
        report = check(raw)
        for warning in report.warnings:
            log.info("%s: %s", dataset, warning)
        if report.refused:
            out.bad.append(report.bad(raw))
            out.refused = report.text()
            return out
        if report.rejected:
            out.bad.append(report.bad(raw))
            out.errors += [e for e in report.errors if e not in out.errors]
        batch = typed_rows(report.good(raw), typed_as, source_name)
        out.good += len(batch)
        if len(reads) == 1:
            out.pages.append(Page(batch, span))
        else:
            out.pages.append(Page(_stage(batch, staging / f"page-{number:05d}.parquet"), span))
            say(f"{dataset}: 第 {number}/{len(reads)} 批 {len(batch)} 行已读取并校验")
    return out


def sync_dataset(
    dataset: str,
    bound: BoundDataset,
    origin: DataSource,
    store: LocalStore,
    *,
    county_codes: set[str],
    units: dict[str, str] | Catalog | None,
    quarantine_dir: Path,
    now: dt.datetime | None = None,
    progress: Callable[[str], None] | None = None,
    county_map: dict[str, str] | None = None,
    lookback: dt.timedelta = DEFAULT_LOOKBACK,
    reconcile: bool = False,
    full: bool = False,
) -> dict[str, Any]:
    """Pull what changed (with the look-back), check it row by row, write the good rows and
    quarantine the bad ones; reconcile with the source when asked; everything when `full`.

    `now` is the city's wall-clock time (validation.city_now), for the future-time check.
    `units`: the indicator catalog (economy_catalog: units and signs), or its units alone."""
    say = progress or (lambda text: None)
    contract = CONTRACTS[dataset]
    fresh = contract.freshness_column
    state = store.state(dataset)
    watermark = state["watermark"]
    now = now or city_now(DEFAULT_TIMEZONE)
    everything = full or fresh is None or watermark is None
    columns = tuple(c.name for c in contract.columns)

    def check(raw: pd.DataFrame) -> Report:
        previous = int(state["rows"]) if fresh is None else None  # a full refresh's collapse
        catalog = units if isinstance(units, Catalog) else None
        plain = None if isinstance(units, Catalog) else units
        return check_batch(
            raw,
            contract,
            county_codes=county_codes,
            now=now,
            units=plain,
            catalog=catalog,
            previous_rows=previous,
        )

    if fresh is None:
        queries = [DatasetQuery(columns=columns)]
    else:
        since = None if everything or watermark is None else watermark - lookback
        queries = page_queries(origin, bound, contract, since, PAGE_ROWS, say)
        if not queries and everything:
            queries = [DatasetQuery(columns=columns)]  # an empty source: read it as it is
    result: dict[str, Any] = {"dataset": dataset, "ok": True, "rows": 0, "total": state["rows"]}
    bad: list[pd.DataFrame] = []
    errors: list[str] = []
    with _staging(store) as staging:
        if queries:
            kind = "全部" if everything else "增量"
            say(f"{dataset}: 读取{kind}数据，共 {len(queries)} 批 …")
            read = _read_checked(
                dataset, bound, origin, [(q, None) for q in queries], staging / "read", check, say
            )
            bad += read.bad
            errors += read.errors
            if read.refused is not None:
                where = quarantine(quarantine_dir, dataset, pd.concat(read.bad), read.refused)
                say(
                    f"{dataset}: 整批校验未通过，{read.refused.splitlines()[-1].strip()}，本次未写入 → {where}"
                )
                return {
                    **result,
                    "ok": False,
                    "rows": 0,
                    "report": read.refused,
                    "quarantine": str(where),
                    "refused": True,
                }
            changed = store.changed_rows(dataset, read.pages) if not full and fresh else read.good
            if changed or everything:
                result["total"] = store.apply(
                    dataset, read.pages, full=full or fresh is None, county_map=county_map
                )
            result["rows"] = changed
        if reconcile and fresh and not everything:
            spans = differing_spans(origin, bound, store, dataset, PAGE_ROWS)
            if spans:
                say(
                    f"{dataset}: 对账发现 {len(spans)} 段与源不一致（{'、'.join(s.label() for s in spans)}），重新读取"
                )
                reads = [
                    (DatasetQuery(columns=columns, filters=s.filters(fresh)), s) for s in spans
                ]
                read = _read_checked(
                    dataset, bound, origin, reads, staging / "reconcile", check, say
                )
                bad += read.bad
                errors += [e for e in read.errors if e not in errors]
                if read.refused is None:
                    result["total"] = store.apply(
                        dataset, read.pages, full=False, county_map=county_map
                    )
                    result["repulled"] = [s.label() for s in spans]
                else:  # nothing of the reconciliation written; said like any refusal
                    where = quarantine(quarantine_dir, dataset, pd.concat(read.bad), read.refused)
                    say(f"{dataset}: 对账读取的数据整批校验未通过，未写入 → {where}")
                    return {
                        **result,
                        "ok": False,
                        "report": read.refused,
                        "refused": True,
                        "quarantine": str(where),
                    }
            else:
                say(f"{dataset}: 对账一致")
        if reconcile or everything:
            result["reconciled"] = True
    if result["rows"] or result.get("repulled") or everything:
        say(f"{dataset}: 写入 {result['rows']} 行，本地共 {result['total']} 行")
    else:
        say(f"{dataset}: 没有新数据")
    # A file drop refused a file or set rows aside.
    noted = origin.problems(bound.name) if isinstance(origin, ReportsDataChecks) else None
    if noted:
        result.update(ok=False, source_problem=noted)
        say(f"{dataset}: {noted}")
    if bad:
        rows = pd.concat(bad, ignore_index=True)
        # A row read twice (by the look-back and by the reconciliation) is kept once.
        rows = rows[~rows.astype(str).duplicated()]
        head = f"数据集 {dataset}：{len(rows)} 行校验未通过已隔离，其余行已写入"
        text = "\n".join([head, *(f"  错误：{e}" for e in errors)])
        where = quarantine(quarantine_dir, dataset, rows, text)
        say(f"{dataset}: {len(rows)} 行校验未通过已隔离（{'；'.join(errors)[:200]}）→ {where}")
        result.update(
            ok=False,
            quarantined=len(rows),
            quarantined_keys=_keys_of(rows, contract.key),
            report=text,
            quarantine=str(where),
        )
    return result


def _keys_of(rows: pd.DataFrame, key: tuple[str, ...]) -> list[str]:
    """The keys of some rows as text ("(空)" for a missing part), to follow them across runs."""
    if not key:
        return [f"第 {i + 1} 行" for i in range(len(rows))]
    parts = rows[list(key)].astype("string").fillna("(空)")
    return sorted(set(parts.agg("|".join, axis=1)))


@contextlib.contextmanager
def _staging(store: LocalStore) -> Iterator[Path]:
    """A folder beside the store (same disk) where pages wait to be written, named for this
    process: the folders of syncs that were killed are removed now (their process is gone)."""
    parent = store.path.parent
    parent.mkdir(parents=True, exist_ok=True)
    for old in parent.glob("sync-*"):
        with contextlib.suppress(OSError):
            if old.is_dir() and not _owner_alive(old):
                shutil.rmtree(old)
    with tempfile.TemporaryDirectory(prefix=f"sync-{os.getpid()}-", dir=parent) as folder:
        (Path(folder) / "read").mkdir()
        (Path(folder) / "reconcile").mkdir()
        yield Path(folder)


def _owner_alive(folder: Path) -> bool:
    """Is the process that made a staging folder (sync-<pid>-...) still running? A folder
    without a pid in its name (an older version's) counts as alive for a day."""
    parts = folder.name.split("-")
    if len(parts) < 3 or not parts[1].isdigit():
        return time.time() - folder.stat().st_mtime < 24 * 3600
    pid = int(parts[1])
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True


def _stage(batch: pd.DataFrame, path: Path) -> Path:
    """A checked page written to Parquet (by DuckDB: pandas would need pyarrow)."""
    con = duckdb.connect()
    try:
        con.register("page", batch)
        con.execute(f"COPY page TO '{_sql_text(str(path))}' (FORMAT parquet)")
    finally:
        con.close()
    return path


def _sql_text(text: str) -> str:
    return text.replace("'", "''")


def page_queries(
    origin: DataSource,
    bound: BoundDataset,
    contract: object,
    since: dt.datetime | None,
    page_rows: int,
    say: Callable[[str], None] = lambda text: None,
) -> list[DatasetQuery]:
    """The queries that read the rows stamped at or after `since` (all rows when None), in
    pages of about `page_rows`.

    Pages are ranges of the freshness column, whole months (merged while they stay under
    `page_rows`; a month larger than that is one page). A row changed during the sync moves
    forward and is read in a later page (the open last one) or by the next run; paging by
    offset would skip the row that slides back into a moved row's place. No row: no query.

    One page (everything since `since`, as one query) for sources that cannot count by
    month in the engine: SQL engines without month buckets here (MySQL family), and REST and
    file sources, which download the whole resource for every query anyway."""
    fresh = contract.freshness_column  # type: ignore[attr-defined]
    columns = tuple(c.name for c in contract.columns)  # type: ignore[attr-defined]
    after = () if since is None else (Filter(fresh, "ge", since),)
    everything = [DatasetQuery(columns=columns, filters=after)]
    months = _month_counts(origin, bound, fresh, after, say)
    if months is None:
        return everything
    if not months:
        return []
    queries: list[DatasetQuery] = []
    if None in months:  # rows without a freshness time: a page of their own
        queries.append(DatasetQuery(columns=columns, filters=(*after, Filter(fresh, "is_null"))))
    spans = _month_spans({m: n for m, n in months.items() if m is not None}, page_rows)
    for span in spans:
        start = () if span.start is None else (Filter(fresh, "ge", span.start),)
        end = () if span.after is None else (Filter(fresh, "lt", span.after),)
        queries.append(DatasetQuery(columns=columns, filters=(*after, *start, *end)))
    return queries


def _month_counts(
    source: DataSource,
    bound: BoundDataset,
    fresh: str,
    filters: tuple[Filter, ...] = (),
    say: Callable[[str], None] = lambda text: None,
) -> dict[str | None, int] | None:
    """Rows per month of the freshness column ('YYYY-MM', None for rows without one), or None
    for a source that cannot count by month in its engine."""
    if source.kind not in ("sql", "local"):
        return None
    try:
        months = source.fetch(
            bound,
            DatasetQuery(
                filters=filters,
                buckets=(TimeBucket(fresh, "month", "month"),),
                measures=(Measure("rows", "count"),),
            ),
        )
    except DataSourceError as exc:
        say(f"{bound.name}: 源不能按月计数（{exc}），一次读取")
        return None
    counts = pd.to_numeric(months["rows"], errors="coerce").fillna(0)
    return {
        (None if pd.isna(label) else str(label)): int(n)
        for label, n in zip(months["month"], counts, strict=True)
        if n > 0
    }


def _month_spans(months: dict[str, int], page_rows: int) -> list[Span]:
    """Whole months merged into spans of about `page_rows` rows; the first span is open
    at its start and the last at its end (rows stamped after the count are read too)."""
    ranges: list[list[dt.datetime]] = []  # [first month, month after the last]
    filled = 0
    for label in sorted(months):
        rows = months[label]
        start = dt.datetime.strptime(label, "%Y-%m")
        after = (start + dt.timedelta(days=32)).replace(day=1)
        if ranges and filled + rows <= page_rows:
            ranges[-1][1] = after
            filled += rows
        else:
            ranges.append([start, after])
            filled = rows
    last = len(ranges) - 1
    return [
        Span(start, None if number == last else after)
        for number, (start, after) in enumerate(ranges)
    ]


# -- reconciliation ---------------------------------------------------------------------------
def differing_spans(
    origin: DataSource, bound: BoundDataset, store: LocalStore, dataset: str, page_rows: int
) -> list[Span]:
    """The spans (month pages) whose rows differ between the source and the store: compared
    by row count and a checksum of every row's key and freshness, both computed here from
    the same query on each side, so the engines need no common hash function."""
    contract = CONTRACTS[dataset]
    fresh = contract.freshness_column
    if fresh is None:  # sync_dataset reconciles only datasets with one
        raise ValueError(f"{dataset} has no freshness column to compare months by")
    local = BoundDataset(dataset, local_table(dataset), contract.columns)
    there = _month_counts(origin, bound, fresh)
    here = _month_counts(store, local, fresh) or {}
    if there is None:  # a source that cannot count by month: one span for all
        spans = [Span(), Span(nulls=True)]
    else:
        union = {m: max(there.get(m, 0), here.get(m, 0)) for m in set(there) | set(here)}
        spans = _month_spans({m: n for m, n in union.items() if m is not None}, page_rows)
        if spans:  # the first span is open at its start too: nothing older hides
            spans[0] = Span(None, spans[0].after)
        if None in union:
            spans.append(Span(nulls=True))
    columns = (*contract.key, fresh) if fresh not in contract.key else contract.key
    differ = []
    for span in spans:
        query = DatasetQuery(columns=tuple(dict.fromkeys(columns)), filters=span.filters(fresh))
        if fingerprint(origin.fetch(bound, query)) != fingerprint(store.fetch(local, query)):
            differ.append(span)
    return differ


def fingerprint(rows: pd.DataFrame) -> tuple[int, int]:
    """Row count and an order-free checksum of the rows' values (as text, times to the
    microsecond), equal for equal rows whichever engine returned them."""
    if rows.empty:
        return (0, 0)
    text = pd.DataFrame(
        {
            name: (
                pd.to_datetime(values, errors="coerce").dt.strftime("%Y-%m-%d %H:%M:%S.%f")
                if pd.api.types.is_datetime64_any_dtype(values)
                else values.astype("string")
            ).fillna("\x00")
            for name, values in rows.items()
        }
    )
    hashes = pd.util.hash_pandas_object(text, index=False).to_numpy(dtype="uint64")
    return (len(rows), int(hashes.sum(dtype="uint64")))


# -- the command's run ------------------------------------------------------------------------
def status_path(settings) -> Path:
    """Where the sync keeps each dataset's last result and reconciliation schedule."""
    return settings.path(settings.sync.path).with_suffix(".status.json")


def read_status(path: Path) -> dict[str, dict[str, Any]]:
    """Each dataset's sync status ({} before the first run, or if the file is unreadable)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    datasets = data.get("datasets") if isinstance(data, dict) else None
    return datasets if isinstance(datasets, dict) else {}


def write_status(path: Path, datasets: dict[str, dict[str, Any]]) -> None:
    """Each dataset's status, for `python -m cockpit check`, /healthz and monitoring."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(
        json.dumps(
            {"finished_at": dt.datetime.now().isoformat(timespec="seconds"), "datasets": datasets},
            ensure_ascii=False,
            indent=2,
            default=str,
        ),
        encoding="utf-8",
    )
    tmp.replace(path)


def _next_status(
    before: dict[str, Any],
    result: dict[str, Any],
    now: dt.datetime,
    arrived: Set[str] = frozenset(),
) -> dict[str, Any]:
    """A dataset's status after a run: rows quarantined earlier (by key) stay listed until
    they are in the store (`arrived`), or a reconciliation no longer finds them bad."""
    reconciled = bool(result.get("reconciled"))
    held = {} if reconciled else dict(before.get("quarantined_keys") or {})
    held = {k: v for k, v in held.items() if k not in arrived}
    for key in result.get("quarantined_keys") or ():
        held[key] = str(result.get("quarantine", ""))
    runs = int(before.get("syncs_since_reconcile") or 0) + 1
    return {
        "synced_at": now.isoformat(timespec="seconds"),
        "ok": bool(result.get("ok")) and not held,
        "rows": result.get("rows", 0),
        "total": result.get("total"),
        "problem": None
        if result.get("ok")
        else str(result.get("report") or result.get("source_problem") or "同步失败")[:500],
        "refused": bool(result.get("refused")),
        "source_problem": result.get("source_problem"),
        "quarantine": result.get("quarantine") or before.get("quarantine"),
        "quarantined_keys": held,
        "reconciled_at": now.isoformat(timespec="seconds")
        if reconciled
        else before.get("reconciled_at"),
        "syncs_since_reconcile": 0 if reconciled else runs,
    }


def reconcile_due(before: dict[str, Any], hours: float, every: int, now: dt.datetime) -> bool:
    """Is a reconciliation due: never done, older than `hours`, or `every` runs since?"""
    last = before.get("reconciled_at")
    if not last:
        return True
    if every and int(before.get("syncs_since_reconcile") or 0) + 1 >= every:
        return True
    return now - dt.datetime.fromisoformat(str(last)) >= dt.timedelta(hours=hours)


def problems(settings) -> dict[str, str]:
    """Sync-mode datasets whose last run refused a batch, failed, or left rows quarantined:
    dataset -> one line for `cockpit check` and /healthz."""
    found = {}
    for name, status in read_status(status_path(settings)).items():
        if name not in settings.datasets or settings.datasets[name].mode != "sync":
            continue
        held = status.get("quarantined_keys") or {}
        if status.get("refused"):
            found[name] = f"整批被拒收：{_last_line(status.get('problem'))}"
        elif held:
            # Why, and which rows (their keys): what 数据质量 and `cockpit check` must say.
            why = [
                line.strip().removeprefix("错误：")
                for line in str(status.get("problem") or "").splitlines()
                if line.strip().startswith("错误：")
            ]
            keys = sorted(held)[:3]
            found[name] = (
                f"{len(held)} 行被隔离"
                + (f"：{'；'.join(why)}" if why else "")
                + f"（键 {'；'.join(keys)}{'等' if len(held) > 3 else ''}；见 {status.get('quarantine')}）"
            )
        elif status.get("source_problem"):
            found[name] = str(status["source_problem"])
        elif not status.get("ok", True):
            found[name] = f"上次同步失败：{_last_line(status.get('problem'))[:200]}"
    return found


def _last_line(text: object) -> str:
    """The last non-empty line of a report (its most specific), or a placeholder."""
    lines = [line.strip() for line in str(text or "").splitlines() if line.strip()]
    return lines[-1] if lines else "（无详情）"


def _is_busy(exc: BaseException) -> bool:
    """Is this the store being held open by another process (DuckDB's file lock)?"""
    return isinstance(exc, (duckdb.IOException, duckdb.ConnectionException)) and (
        "lock" in str(exc).lower()
    )


def run_sync(
    hub,
    datasets: list[str] | None = None,
    progress: Callable[[str], None] | None = None,
    *,
    full: bool = False,
    step: Callable[[int, int], None] | None = None,
) -> list[dict[str, Any]]:
    """Sync every dataset in sync mode (or the named ones); one failure does not stop the others.

    `full` re-reads the named datasets whole (python -m cockpit sync --full DATASET). While
    another process holds the store open, each dataset waits and retries with backoff up to
    sync.busy_retry_seconds, saying so once. `step(done, total)` hears of each dataset begun
    and of the end (the recorded job's progress, cockpit/jobs/runner.py)."""
    say = progress or (lambda t: None)
    settings = hub.settings
    names = datasets or [n for n, b in settings.datasets.items() if b.mode == "sync"]
    unknown = [
        n for n in names if n not in settings.datasets or settings.datasets[n].mode != "sync"
    ]
    if unknown:
        raise ValueError(f"not datasets in sync mode: {', '.join(unknown)}")
    codes = (
        {c.code for c in settings.city.counties}
        | set(settings.city.former_codes)
        | {settings.city.code}
    )
    catalog = economy_catalog(settings.indicators)  # the checks every mode makes (validation)
    path = status_path(settings)
    status = read_status(path)
    results = []
    for done, name in enumerate(names):
        if step is not None:
            step(done, len(names))
        now = city_now(settings.city.timezone)
        schedule = settings.sync.for_dataset(name)
        before = status.get(name, {})
        due = reconcile_due(before, schedule.reconcile_hours, schedule.reconcile_every_syncs, now)
        delay, waited = 1.0, 0.0
        while True:
            try:
                result = sync_dataset(
                    name,
                    hub.origin_binding(name),
                    hub.origin_source(name),
                    hub.local_store,
                    county_codes=codes,
                    units=catalog if name == "economy.indicator_values" else None,
                    quarantine_dir=settings.path(settings.sync.quarantine_dir),
                    now=now,
                    progress=progress,
                    county_map=dict(settings.city.former_codes),
                    lookback=dt.timedelta(hours=schedule.lookback_hours),
                    reconcile=due,
                    full=full,
                )
            except DataSourceError as exc:
                say(f"{name}: 源数据读取失败：{exc}")
                result = {"dataset": name, "ok": False, "rows": 0, "report": str(exc)}
            except (duckdb.IOException, duckdb.ConnectionException) as exc:
                if not _is_busy(exc):
                    raise
                if waited >= settings.sync.busy_retry_seconds:
                    say(f"{name}: 本地数据仓被其他进程占用，已等待 {waited:.0f} 秒，本次跳过")
                    result = {
                        "dataset": name,
                        "ok": False,
                        "rows": 0,
                        "report": "本地数据仓被其他进程占用",
                    }
                else:
                    if not waited:
                        say(
                            f"{name}: 本地数据仓被其他进程占用，稍后重试（最多 {settings.sync.busy_retry_seconds:g} 秒）"
                        )
                    time.sleep(delay)
                    waited += delay
                    delay = min(delay * 2, 30.0)
                    continue
            break
        results.append(result)
        earlier = set(before.get("quarantined_keys") or {}) - set(
            result.get("quarantined_keys") or ()
        )
        arrived = hub.local_store.present_keys(name, earlier) if earlier else set()
        status[name] = _next_status(before, result, now, arrived)
        write_status(path, status)
    if step is not None:
        step(len(names), len(names))
    return results
