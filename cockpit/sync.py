"""Sync (抽取) mode: copy a dataset into the cockpit's local analytic store, incrementally.

A slow front-end database (前置库) must not be hit by every wall screen. A dataset with
`mode: sync` is read by the panels from a local DuckDB file; `python -m cockpit sync` (or its
schedule) pulls the rows changed since the last watermark (the contract's freshness column),
checks them (cockpit.validation), and applies them in one transaction: rows with the same key
are replaced, so a rerun adds nothing twice, and a crash leaves the last good state whole.
A bad batch is quarantined with a report; the watermark stays, the screen keeps the last good data.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import duckdb
import pandas as pd

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


def _connect(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    """Open the store, waiting briefly while another process holds the write lock."""
    delay = 0.05
    for attempt in range(LOCK_RETRIES):
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException:
            if attempt == LOCK_RETRIES - 1:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.5)
    raise AssertionError("unreachable")


class LocalStore:
    """The local analytic store: one DuckDB file, a table per synced dataset, and their watermarks."""

    kind: ClassVar[str] = "local"
    is_demo: ClassVar[bool] = False

    def __init__(self, path: Path, memory_limit: str = "64MB", threads: int = 2) -> None:
        self.path = path
        # Each query is one worker's: DuckDB's own defaults (80% of RAM, a thread per core) are
        # for one analyst on a whole machine (see SqlConfig.duckdb_memory_limit).
        self._duckdb_config = {"memory_limit": memory_limit, "threads": threads}
        self._lock = threading.Lock()
        self._built: dict[
            str, tuple[str, list[rollups.Built]]
        ] = {}  # dataset -> (version, rollups)

    # -- reading (as a data source) -------------------------------------------------------
    def reader(self):  # noqa: ANN201 - a SQLAlchemy engine
        """A read-only engine on the file, with the per-worker DuckDB limits, no pool."""
        import sqlalchemy as sa
        from sqlalchemy.pool import NullPool

        return sa.create_engine(
            f"duckdb:///{self.path}",
            poolclass=NullPool,
            connect_args={"read_only": True, "config": dict(self._duckdb_config)},
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

    def _run(self, stmt: object, dataset: str) -> pd.DataFrame:
        """Run a statement on the file, waiting while a sync writes."""
        if not self.path.exists():
            raise DataSourceError(f"本地数据仓尚未同步 {dataset}（运行 python -m cockpit sync）")
        import sqlalchemy as sa

        engine = self.reader()
        delay = 0.05
        try:
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
        finally:
            engine.dispose()
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
            con = _connect(self.path, read_only=True)
        except duckdb.Error:
            return []  # a sync holds the file: the raw rows answer this time
        try:
            rows = con.execute(rollups.READ_META_SQL).fetchall()
        except duckdb.Error:
            rows = []
        finally:
            con.close()
        built = rollups.read_built(rows, dataset.name)
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
        """Nothing held open between queries."""

    # -- writing (by the sync job) --------------------------------------------------------
    def state(self, dataset: str) -> dict[str, object]:
        """The dataset's watermark and row count after the last applied batch."""
        if not self.path.exists():
            return {"watermark": None, "rows": 0}
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
        batch: pd.DataFrame,
        *,
        full: bool,
        fail_after_delete: bool = False,
        county_map: dict[str, str] | None = None,
    ) -> int:
        """Replace rows by key (or everything, for a full refresh) and move the watermark, atomically."""
        contract = CONTRACTS[dataset]
        table = local_table(dataset)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            con = _connect(self.path, read_only=False)
            try:
                con.execute("BEGIN TRANSACTION")
                con.execute(
                    f"CREATE TABLE IF NOT EXISTS {STATE_TABLE} (dataset VARCHAR PRIMARY KEY, "
                    "watermark TIMESTAMP, rows BIGINT, synced_at TIMESTAMP)"
                )
                con.register("batch", batch)
                con.execute(f'CREATE TABLE IF NOT EXISTS "{table}" AS SELECT * FROM batch LIMIT 0')
                if full:
                    con.execute(f'DELETE FROM "{table}"')
                elif contract.key and len(batch):
                    on = " AND ".join(f't."{k}" IS NOT DISTINCT FROM b."{k}"' for k in contract.key)
                    con.execute(
                        f'DELETE FROM "{table}" t WHERE EXISTS (SELECT 1 FROM batch b WHERE {on})'
                    )
                if fail_after_delete:  # for tests: a crash in the middle of the write
                    raise RuntimeError("simulated crash during sync")
                columns = ", ".join(f'"{c.name}"' for c in contract.columns)
                con.execute(f'INSERT INTO "{table}" ({columns}) SELECT {columns} FROM batch')
                rows = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
                # The dataset's rollups follow its rows in the same transaction: a reader
                # never sees a batch in one and not in the other.
                rollups.build(con, dataset, table, county_map)
                mark = None
                if contract.freshness_column and len(batch):
                    mark = pd.to_datetime(batch[contract.freshness_column]).max()
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
    query = DatasetQuery(columns=tuple(c.name for c in contract.columns))
    if not full and state["watermark"] is not None:
        query = query.with_filters(Filter(contract.freshness_column, "gt", state["watermark"]))
    say(f"{dataset}: 读取{'全部' if full else '增量'}数据 …")
    raw = origin.fetch(bound, query)
    batch = typed_rows(
        raw,
        BoundDataset(dataset, "", contract.columns),
        origin.name if hasattr(origin, "name") else "源",
    )
    report = check_batch(
        batch,
        contract,
        county_codes=county_codes,
        now=now or dt.datetime.now(),
        units=units,
        previous_rows=int(state["rows"]) if full else None,
    )
    for warning in report.warnings:
        log.info("%s: %s", dataset, warning)
    if not report.ok:
        where = quarantine(quarantine_dir, dataset, batch, report)
        say(f"{dataset}: 校验未通过，{len(batch)} 行已隔离 → {where}")
        return {
            "dataset": dataset,
            "ok": False,
            "rows": len(batch),
            "report": report.text(),
            "quarantine": str(where),
        }
    if len(batch) == 0 and not full:
        say(f"{dataset}: 没有新数据")
        return {"dataset": dataset, "ok": True, "rows": 0, "total": state["rows"]}
    total = store.apply(dataset, batch, full=full, county_map=county_map)
    say(f"{dataset}: 写入 {len(batch)} 行，本地共 {total} 行")
    return {"dataset": dataset, "ok": True, "rows": len(batch), "total": total}


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
