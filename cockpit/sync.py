"""Sync (抽取) mode: copy a dataset into the cockpit's local analytic store, incrementally.

A slow front-end database (前置库) must not be hit by every wall screen. A dataset with
`mode: sync` is read by the panels from a local DuckDB file; `python -m cockpit sync` (or its
schedule) pulls the rows changed since the last watermark (the contract's freshness column),
checks them (cockpit.validation), and applies them in one transaction: rows with the same key
are replaced, so a rerun adds nothing twice, and a crash leaves the last good state whole.
A bad batch is quarantined with a report; the watermark stays, the screen keeps the last good data.
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
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import ClassVar

import duckdb
import pandas as pd
import sqlalchemy as sa

from cockpit import rollups
from cockpit.contracts import CONTRACTS
from cockpit.validation import Report, check_batch
from data_sources.base import (
    BoundDataset,
    DatasetQuery,
    DataSource,
    DataSourceError,
    Filter,
    Health,
    Measure,
    TimeBucket,
)
from data_sources.local_engine import typed_rows
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


class LocalStore:
    """The local analytic store: one DuckDB file, a table per synced dataset, and their watermarks."""

    kind: ClassVar[str] = "local"
    is_demo: ClassVar[bool] = False

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
        self._retired: dict[int, object] = {}  # let go of while in use: closed when done
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

    def _engine(self, pooled: bool):  # noqa: ANN202 - a SQLAlchemy engine
        from sqlalchemy.pool import NullPool

        options = {} if pooled else {"poolclass": NullPool}
        return sa.create_engine(
            f"duckdb:///{self.path}",
            connect_args={"read_only": True, "config": dict(self._duckdb_config)},
            **options,
        )

    def reader(self):  # noqa: ANN201 - a SQLAlchemy engine
        """The read-only engine kept open between queries (opened now if it was not)."""
        with self._lock:
            return self._kept()

    def _kept(self):  # noqa: ANN202 - under self._lock
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
    def _reading(self) -> Iterator[object]:
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

    def _run(self, stmt: object, dataset: str) -> pd.DataFrame:
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
    def state(self, dataset: str) -> dict[str, object]:
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
        batch: pd.DataFrame | Path | Iterable[pd.DataFrame | Path],
        *,
        full: bool,
        fail_after_delete: bool = False,
        county_map: dict[str, str] | None = None,
    ) -> int:
        """Replace rows by key (or everything, for a full refresh) and move the watermark, atomically.

        `batch` may be several pages (frames, or Parquet files staged by sync_dataset): they
        are written in one transaction with the rollups rebuilt once at the end."""
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
        batch: pd.DataFrame | Path | Iterable[pd.DataFrame | Path],
        full: bool,
        fail_after_delete: bool,
        county_map: dict[str, str] | None,
    ) -> int:
        contract = CONTRACTS[dataset]
        table = local_table(dataset)
        pages = [batch] if isinstance(batch, (pd.DataFrame, Path)) else batch
        columns = ", ".join(f'"{c.name}"' for c in contract.columns)
        with self._lock:
            con = _connect(self.path, read_only=False)
            try:
                con.execute("BEGIN TRANSACTION")
                con.execute(
                    f"CREATE TABLE IF NOT EXISTS {STATE_TABLE} (dataset VARCHAR PRIMARY KEY, "
                    "watermark TIMESTAMP, rows BIGINT, synced_at TIMESTAMP)"
                )
                mark = None
                for number, page in enumerate(pages):
                    if isinstance(page, Path):  # a page staged by sync_dataset
                        con.execute(
                            "CREATE OR REPLACE TEMP VIEW batch AS SELECT * FROM "
                            f"read_parquet('{_sql_text(str(page))}')"
                        )
                    else:
                        con.register("batch", page)
                    con.execute(
                        f'CREATE TABLE IF NOT EXISTS "{table}" AS SELECT * FROM batch LIMIT 0'
                    )
                    if full and number == 0:
                        con.execute(f'DELETE FROM "{table}"')
                    elif contract.key and (isinstance(page, Path) or len(page)):
                        on = " AND ".join(
                            f't."{k}" IS NOT DISTINCT FROM b."{k}"' for k in contract.key
                        )
                        con.execute(
                            f'DELETE FROM "{table}" t WHERE EXISTS (SELECT 1 FROM batch b WHERE {on})'
                        )
                    if fail_after_delete:  # for tests: a crash in the middle of the write
                        raise RuntimeError("simulated crash during sync")
                    con.execute(f'INSERT INTO "{table}" ({columns}) SELECT {columns} FROM batch')
                    if contract.freshness_column:
                        latest = con.execute(
                            f'SELECT max("{contract.freshness_column}") FROM batch'
                        ).fetchall()[0][0]
                        if latest is not None and (mark is None or latest > mark):
                            mark = pd.Timestamp(latest)
                    if isinstance(page, Path):
                        con.execute("DROP VIEW batch")
                    else:
                        con.unregister("batch")
                rows = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
                # The dataset's rollups follow its rows in the same transaction: a reader
                # never sees a batch in one and not in the other.
                rollups.build(con, dataset, table, county_map)
                con.execute(
                    f"INSERT OR REPLACE INTO {STATE_TABLE} VALUES (?, "
                    f"COALESCE(?, (SELECT watermark FROM {STATE_TABLE} WHERE dataset = ?)), ?, now())",
                    [dataset, None if mark is None else mark.to_pydatetime(), dataset, rows],
                )
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
            finally:
                con.close()
        return int(rows)


# -- the job ----------------------------------------------------------------------------------
def quarantine(folder: Path, dataset: str, batch: pd.DataFrame, report: Report) -> Path:
    """Keep a refused batch and its report for a person to read; nothing is lost."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    base = folder / f"{local_table(dataset)}-{stamp}"
    batch.to_csv(base.with_suffix(".csv"), index=False, encoding="utf-8-sig")
    base.with_suffix(".txt").write_text(report.text() + "\n", encoding="utf-8")
    return base.with_suffix(".txt")


def sync_dataset(
    dataset: str,
    bound: BoundDataset,
    origin: DataSource,
    store: LocalStore,
    *,
    county_codes: set[str],
    units: dict[str, str] | None,
    quarantine_dir: Path,
    now: dt.datetime | None = None,
    progress: Callable[[str], None] | None = None,
    county_map: dict[str, str] | None = None,
) -> dict[str, object]:
    """Pull what changed since the watermark, check it, apply it or quarantine it."""
    say = progress or (lambda text: None)
    contract = CONTRACTS[dataset]
    state = store.state(dataset)
    full = contract.freshness_column is None
    now = now or dt.datetime.now()
    queries = [DatasetQuery(columns=tuple(c.name for c in contract.columns))]
    if not full:
        queries = page_queries(origin, bound, contract, state["watermark"], PAGE_ROWS, say)
        if not queries:
            say(f"{dataset}: 没有新数据")
            return {"dataset": dataset, "ok": True, "rows": 0, "total": state["rows"]}
    say(f"{dataset}: 读取{'全部' if full else '增量'}数据，共 {len(queries)} 批 …")
    source_name = origin.name if hasattr(origin, "name") else "源"
    # Pages are read and checked one at a time (bounded memory) and staged as Parquet beside
    # the store; the store is written only once all of them passed, in one short transaction
    # (a reader waits for the write, not for the source).
    with tempfile.TemporaryDirectory(prefix="sync-", dir=_staging_parent(store)) as staging:
        pages: list[pd.DataFrame | Path] = []
        read = 0
        for number, query in enumerate(queries, start=1):
            batch = typed_rows(
                origin.fetch(bound, query), BoundDataset(dataset, "", contract.columns), source_name
            )
            report = check_batch(
                batch,
                contract,
                county_codes=county_codes,
                now=now,
                units=units,
                previous_rows=int(state["rows"]) if full else None,
            )
            for warning in report.warnings:
                log.info("%s: %s", dataset, warning)
            if not report.ok:
                where = quarantine(quarantine_dir, dataset, batch, report)
                part = f"第 {number}/{len(queries)} 批" if len(queries) > 1 else ""
                say(f"{dataset}: {part}校验未通过，{len(batch)} 行已隔离，本次未写入 → {where}")
                return {
                    "dataset": dataset,
                    "ok": False,
                    "rows": len(batch),
                    "report": report.text(),
                    "quarantine": str(where),
                }
            read += len(batch)
            if len(queries) == 1:
                pages.append(batch)
            else:
                pages.append(_stage(batch, Path(staging) / f"page-{number:05d}.parquet"))
                say(f"{dataset}: 第 {number}/{len(queries)} 批 {len(batch)} 行已读取并校验")
        if read == 0 and not full:
            say(f"{dataset}: 没有新数据")
            return {"dataset": dataset, "ok": True, "rows": 0, "total": state["rows"]}
        staged = [p for p in pages if isinstance(p, Path)]
        repeated = _repeated_keys(staged, contract.key) if staged else None
        if repeated is not None:  # one key in two pages: refused as within one page
            report = Report(contract.name, read)
            report.errors.append(
                f"主键（{'、'.join(contract.key)}）重复 {len(repeated)} 行（分布在不同批次）"
            )
            where = quarantine(quarantine_dir, dataset, repeated, report)
            say(f"{dataset}: 校验未通过，{len(repeated)} 行已隔离，本次未写入 → {where}")
            return {
                "dataset": dataset,
                "ok": False,
                "rows": len(repeated),
                "report": report.text(),
                "quarantine": str(where),
            }
        total = store.apply(dataset, pages, full=full, county_map=county_map)
    say(f"{dataset}: 写入 {read} 行，本地共 {total} 行")
    return {"dataset": dataset, "ok": True, "rows": read, "total": total}


def _staging_parent(store: LocalStore) -> Path:
    """Where pages wait to be written: beside the store (same disk, cleaned up after; the
    folders of a sync that was killed are removed by the next one, a day later)."""
    parent = store.path.parent
    parent.mkdir(parents=True, exist_ok=True)
    for old in parent.glob("sync-*"):
        with contextlib.suppress(OSError):
            if old.is_dir() and time.time() - old.stat().st_mtime > 24 * 3600:
                shutil.rmtree(old)
    return parent


def _repeated_keys(staged: list[Path], key: tuple[str, ...]) -> pd.DataFrame | None:
    """The rows whose key is in more than one of the staged pages (each page was checked
    alone), or None when every key is once."""
    if not key:
        return None
    files = "[" + ", ".join(f"'{_sql_text(str(p))}'" for p in staged) + "]"
    keys = ", ".join(f'"{k}"' for k in key)
    con = duckdb.connect()
    try:
        rows = con.execute(
            f"WITH pages AS (SELECT * FROM read_parquet({files})) "
            f"SELECT * FROM pages WHERE ({keys}) IN "
            f"(SELECT {keys} FROM pages GROUP BY ALL HAVING count(*) > 1)"
        ).df()
    finally:
        con.close()
    return None if rows.empty else rows


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


PAGE_ROWS = 200_000  # rows read into memory at once by a sync (a month of a big city's 12345)


def page_queries(
    origin: DataSource,
    bound: BoundDataset,
    contract: object,
    watermark: dt.datetime | None,
    page_rows: int,
    say: Callable[[str], None] = lambda text: None,
) -> list[DatasetQuery]:
    """The queries that read what changed since the watermark, in pages of about `page_rows`.

    Pages are ranges of the freshness column, whole months (merged while they stay under
    `page_rows`; a month larger than that is one page). A row's freshness only moves forward,
    so a row changed during the sync either is read in a later page or, beyond the ranges
    read, by the next run (the watermark is the latest freshness read); paging by offset
    would skip the row that slides back into a moved row's place. No row: no query.

    One page (everything since the watermark, as one query) for sources that cannot count by
    month in the engine: SQL engines without month buckets here (MySQL family), and REST and
    file sources, which download the whole resource for every query anyway."""
    fresh = contract.freshness_column  # type: ignore[attr-defined]
    columns = tuple(c.name for c in contract.columns)  # type: ignore[attr-defined]
    since = () if watermark is None else (Filter(fresh, "gt", watermark),)
    everything = [DatasetQuery(columns=columns, filters=since)]
    if getattr(origin, "kind", None) != "sql":
        return everything
    try:
        months = origin.fetch(
            bound,
            DatasetQuery(
                filters=since,
                buckets=(TimeBucket(fresh, "month", "month"),),
                measures=(Measure("rows", "count"),),
            ),
        )
    except DataSourceError as exc:
        say(f"{bound.name}: 源不能按月计数（{exc}），一次读取")
        return everything
    months = months[pd.to_numeric(months["rows"], errors="coerce").fillna(0) > 0]
    if months.empty:
        return []
    dated = months[months["month"].notna()].sort_values("month")
    queries: list[DatasetQuery] = []
    if len(dated) < len(months):  # rows without a freshness time: a page of their own
        queries.append(DatasetQuery(columns=columns, filters=(*since, Filter(fresh, "is_null"))))
    ranges: list[list[dt.datetime]] = []  # [first month, month after the last]
    filled = 0
    for label, rows in zip(dated["month"], pd.to_numeric(dated["rows"]), strict=True):
        start = dt.datetime.strptime(str(label), "%Y-%m")
        after = (start + dt.timedelta(days=32)).replace(day=1)
        if ranges and filled + rows <= page_rows:
            ranges[-1][1] = after
            filled += rows
        else:
            ranges.append([start, after])
            filled = rows
    for number, (start, after) in enumerate(ranges):
        # The last range is open: rows stamped after the count (or in a later month) are
        # read now rather than left for the next run.
        bounds = [Filter(fresh, "ge", start)]
        if number < len(ranges) - 1:
            bounds.append(Filter(fresh, "lt", after))
        queries.append(DatasetQuery(columns=columns, filters=(*since, *bounds)))
    return queries


def write_status(path: Path, results: list[dict[str, object]]) -> None:
    """The last run's results, for `python -m cockpit check` and monitoring."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(
            {"finished_at": dt.datetime.now().isoformat(timespec="seconds"), "results": results},
            ensure_ascii=False,
            indent=2,
        ),
        encoding="utf-8",
    )


def run_sync(
    hub, datasets: list[str] | None = None, progress: Callable[[str], None] | None = None
) -> list[dict[str, object]]:  # noqa: ANN001
    """Sync every dataset in sync mode (or the named ones); one failure does not stop the others."""
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
    units = {i.id: i.unit for i in settings.indicators}
    results = []
    for name in names:
        try:
            results.append(
                sync_dataset(
                    name,
                    hub.origin_binding(name),
                    hub.origin_source(name),
                    hub.local_store,
                    county_codes=codes,
                    units=units if name == "economy.indicator_values" else None,
                    quarantine_dir=settings.path(settings.sync.quarantine_dir),
                    progress=progress,
                    county_map=dict(settings.city.former_codes),
                )
            )
        except DataSourceError as exc:
            (progress or (lambda t: None))(f"{name}: 源数据读取失败：{exc}")
            results.append({"dataset": name, "ok": False, "rows": 0, "report": str(exc)})
    write_status(settings.path(settings.sync.path).with_suffix(".status.json"), results)
    return results
