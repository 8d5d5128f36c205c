"""The demo adapter: the cockpit's embedded default, so a new user sees a working city at once.

On first use it generates a DuckDB file (no server to start) from a seed, then answers every
query through the SQL adapter over that file. Everything it serves is demo data, and says so.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar, Literal

import pandas as pd
import sqlalchemy as sa
from pydantic import Field

from cockpit import clock, rollups  # clock: the demo's "today" is the city's (Beijing) today
from cockpit.rollups import Built
from data_sources.base import DataSourceError, Health, SourceConfig
from data_sources.query import BoundDataset, DatasetQuery
from data_sources.sql import SqlConfig, SqlSource

log = logging.getLogger(__name__)


class DemoConfig(SourceConfig):
    """Demo data generated into an embedded DuckDB file."""

    kind: Literal["demo"]
    path: str = Field("instance/demo/cockpit-demo.duckdb", description="the generated file")
    seed: int = 20261121
    tickets: int = Field(300_000, ge=1_000, le=50_000_000, description="12345 tickets to generate")
    start_year: int = Field(2021, ge=2015, le=2100)
    end_date: dt.date | None = Field(None, description="last day of data; default: generation day")
    # Passed to the SQL adapter over the file (data_sources.sql.SqlConfig says why).
    duckdb_memory_limit: str = SqlConfig.model_fields["duckdb_memory_limit"]
    duckdb_threads: int = SqlConfig.model_fields["duckdb_threads"]


def ensure_rollups(path: Path, county_map: dict[str, str] | None = None) -> bool:
    """Build the demo tables' rollups into the file unless they match its rows; True if built.

    A file beside it records the file's size and time once they match, so a worker starting on
    an unchanged file does not read the rows again to know it. The caller holds the file lock.
    """
    import json

    import duckdb

    marker = path.with_suffix(".rollups.json")
    every = (*rollups.ROLLUPS.values(), *rollups.PERSONAL.values())
    definitions = sorted(rollups.definition_hash(r) for r in every)
    county_map = dict(sorted((county_map or {}).items()))

    def stamp() -> dict[str, object]:
        stat = path.stat()
        return {
            "mtime_ns": stat.st_mtime_ns,
            "size": stat.st_size,
            "definitions": definitions,
            "county_map": county_map,
        }

    try:
        if json.loads(marker.read_text(encoding="utf-8")) == stamp():
            return False
    except (OSError, ValueError):
        pass
    built = False
    con = duckdb.connect(str(path))
    try:
        con.execute("SET enable_progress_bar = false")
        # Aggregates spill to disk beyond this: 10M tickets' rollups stay within about 1 GB.
        con.execute("SET memory_limit = '512MB'")
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        for dataset in sorted({r.dataset for r in rollups.ROLLUPS.values()}):
            table = dataset.replace(".", "_")  # the generator's table of the dataset
            if table in tables:
                log.info("building rollups of %s in %s", dataset, path)
                built |= rollups.ensure(con, dataset, table, county_map)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    marker.write_text(json.dumps(stamp()), encoding="utf-8")
    return built


class DemoSource:
    """Serves the generated demo database; generates it on first use."""

    kind: ClassVar[str] = "demo"
    is_demo: ClassVar[bool] = True

    def __init__(self, name: str, config: DemoConfig, *, city: object, base_dir: Path) -> None:
        self.name = name
        self.config = config
        self.city = city  # cockpit.settings.City: counties and their map, for realistic data
        self.path = (base_dir / config.path).resolve()
        self._sql: SqlSource | None = None
        self._lock = threading.Lock()
        self._built: dict[str, tuple[str, list[Built]]] = {}  # dataset -> (file version, rollups)
        self._rollups_version: str | None = None  # the file version its rollups were checked at

    def ensure_generated(
        self,
        progress: Callable[[str, float], None] | None = None,
        block_size: int | None = None,
    ) -> Path:
        """Generate the demo database unless a file for the same parameters exists.

        `block_size`: tickets held in memory at once (the generator's default when None)."""
        from data_sources.demo_data import GENERATOR_VERSION, generate, read_meta, write_meta

        wanted = self._params(GENERATOR_VERSION)
        if self.path.exists() and read_meta(self.path) == wanted:
            return self.path
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # A lock file, so that several gunicorn workers starting together generate once.
        with open(self.path.with_suffix(".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if self.path.exists() and read_meta(self.path) == wanted:
                return self.path
            log.info("generating demo data into %s", self.path)
            tmp = self.path.with_suffix(f".tmp{os.getpid()}")
            tmp.unlink(missing_ok=True)
            generate(
                tmp,
                city=self.city,
                seed=self.config.seed,
                tickets=self.config.tickets,
                start_year=self.config.start_year,
                end_date=self.config.end_date or clock.today(),
                params=wanted,
                progress=progress,
                **({"block_size": block_size} if block_size else {}),
            )
            if progress:
                progress("汇总表", 0.99)
            ensure_rollups(tmp, self._former_codes())
            os.replace(tmp, self.path)  # atomic: readers see the old file or the new, whole
            write_meta(self.path, wanted)  # last: a crash before this means "regenerate"
            if progress:
                progress("完成", 1.0)
        return self.path

    def _former_codes(self) -> dict[str, str]:
        """The city's former division codes (distinct counts per county follow them)."""
        return dict(getattr(self.city, "former_codes", None) or {})

    def _params(self, generator_version: str) -> dict[str, str]:
        return {
            "generator_version": generator_version,
            "seed": str(self.config.seed),
            "tickets": str(self.config.tickets),
            "start_year": str(self.config.start_year),
            "end_date": (self.config.end_date or clock.today()).isoformat(),
            "city": str(getattr(self.city, "code", "")),
        }

    def _source(self) -> SqlSource:
        with self._lock:
            if self._sql is None:
                try:
                    self.ensure_generated()
                    self._check_rollups()
                except OSError as exc:
                    raise DataSourceError(f"演示数据无法生成：{exc}") from exc
                config = SqlConfig(
                    kind="sql",
                    url=f"duckdb:///{self.path}",
                    duckdb_memory_limit=self.config.duckdb_memory_limit,
                    duckdb_threads=self.config.duckdb_threads,
                )
                self._sql = SqlSource(self.name, config, read_only_file=True)
            return self._sql

    def _check_rollups(self) -> None:
        """Make the file's rollups match its rows, or remember not to use them."""
        import duckdb

        self._rollups_version = None
        try:
            with open(self.path.with_suffix(".lock"), "w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)  # one worker builds, the others wait
                ensure_rollups(self.path, self._former_codes())
        except duckdb.Error as exc:  # e.g. another process holds the file: raw rows answer
            log.warning("rollups of %s not checked (%s): answering from the rows", self.path, exc)
            return
        self._rollups_version = self.version()

    def fetch(self, dataset: BoundDataset, query: DatasetQuery) -> pd.DataFrame:
        """Answer through the SQL adapter over the generated file."""
        return self._source().fetch(dataset, query)

    def fetch_joined(
        self, parts: list[tuple[BoundDataset, DatasetQuery]], keys: list[str]
    ) -> pd.DataFrame:
        """Several aggregate queries in one statement (a rollup plan's parts)."""
        return self._source().fetch_joined(parts, keys)

    def rollups(self, dataset: BoundDataset) -> list[Built]:
        """The dataset's rollup tables in the file (read once per version of the file)."""
        source = self._source()
        version = self.version()
        if version != self._rollups_version:
            return []  # not checked against these rows (unbuildable, or the file changed since)
        with self._lock:
            cached = self._built.get(dataset.name)
            if cached is not None and cached[0] == version:
                return cached[1]
        try:
            with source.engine().connect() as conn:
                rows = conn.execute(sa.text(rollups.READ_META_SQL)).fetchall()
        except sa.exc.SQLAlchemyError:
            rows = []  # no rollups in this file: the raw rows answer
        built = rollups.read_built(rows, dataset.name)
        with self._lock:
            self._built[dataset.name] = (version, built)
        return built

    def health(self) -> Health:
        """Healthy once the file exists and answers."""
        try:
            return self._source().health()
        except DataSourceError as exc:
            return Health(False, str(exc), dt.datetime.now())

    def version(self) -> str:
        """Changes whenever the file is regenerated, so cached results of old data are not served."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return f"demo:{self.name}:missing"
        return f"demo:{self.name}:{stat.st_mtime_ns}:{stat.st_size}"

    def close(self) -> None:
        """Release the file."""
        with self._lock:
            if self._sql is not None:
                self._sql.close()
            self._sql = None
