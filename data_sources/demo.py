"""The demo adapter: the embedded default source, so a new user sees a working city at once.

On first use it generates a DuckDB file (no server to start) from a seed, then answers every
query through the SQL adapter over that file. Everything it serves is demo data, and says so.

It imports nothing of the app around it: what the data is, which day it is and the rollup
tables come from the frame, which lends them at construction (DemoServices).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

import pandas as pd
import sqlalchemy as sa
from pydantic import Field

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
    # Passed to the SQL adapter over the file (data_sources.sql.SqlConfig says why). The ignores:
    # pydantic takes a FieldInfo as the default (so the two share bounds and defaults), which
    # mypy reads as assigning a FieldInfo to a str or int.
    duckdb_memory_limit: str = SqlConfig.model_fields["duckdb_memory_limit"]  # type: ignore[assignment]
    duckdb_threads: int = SqlConfig.model_fields["duckdb_threads"]  # type: ignore[assignment]


Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class DemoServices:
    """What the frame lends the demo adapter: the adapter makes, keeps and serves the file;
    what goes into it, and which day it is, are the frame's."""

    today: Callable[[], dt.date]  # the city's today: the data's last day unless configured
    generator_version: str  # recorded beside the file: another version regenerates it
    # generate(path, *, city, seed, tickets, start_year, end_date, today, params, progress,
    # [block_size]) writes every demo table into a new file at `path`.
    generate: Callable[..., Any]
    # ensure_rollups(path, county_map) builds the file's rollup tables unless current (True
    # if built); the caller holds the file lock.
    ensure_rollups: Callable[[Path, dict[str, str]], bool]
    # read_rollups(connection, dataset) -> the dataset's rollup tables recorded in the file.
    read_rollups: Callable[[Any, str], list[Any]]


def meta_path(path: Path) -> Path:
    """The JSON file beside a demo database that records what it was generated with."""
    return Path(path).with_name(Path(path).name + ".meta.json")


def write_meta(path: Path, params: dict[str, str]) -> None:
    """Record the generation parameters beside the database."""
    meta_path(path).write_text(
        json.dumps(params, ensure_ascii=False, sort_keys=True), encoding="utf-8"
    )


def read_meta(path: Path) -> dict[str, str] | None:
    """The parameters a demo file was generated with, or None when unknown.

    Read from the JSON file beside the database, not from the database itself: DuckDB refuses
    a second connection with other settings in the same process, and "cannot open" must
    never be mistaken for "made with other parameters" (that would regenerate a file in use).
    """
    try:
        return json.loads(meta_path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


class DemoSource:
    """Serves the generated demo database; generates it on first use."""

    kind: ClassVar[str] = "demo"
    is_demo: ClassVar[bool] = True

    def __init__(
        self,
        name: str,
        config: DemoConfig,
        *,
        city: object,
        base_dir: Path,
        services: DemoServices,
    ) -> None:
        self.name = name
        self.config = config
        self.city = city  # the configured city: counties and their map, for realistic data
        self.services = services
        self.path = (base_dir / config.path).resolve()
        self._sql: SqlSource | None = None
        self._lock = threading.Lock()
        self._built: dict[str, tuple[str, list[Any]]] = {}  # dataset -> (file version, rollups)
        self._rollups_version: str | None = None  # the file version its rollups were checked at

    def ensure_generated(
        self,
        progress: Progress | None = None,
        block_size: int | None = None,
    ) -> Path:
        """Generate the demo database unless a file for the same parameters exists.

        `block_size`: tickets held in memory at once (the generator's default when None)."""
        today = self.services.today()
        wanted = self._params(today=today)
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
            self.services.generate(
                tmp,
                city=self.city,
                seed=self.config.seed,
                tickets=self.config.tickets,
                start_year=self.config.start_year,
                end_date=self.config.end_date or today,
                today=today,
                params=wanted,
                progress=progress,
                **({"block_size": block_size} if block_size else {}),
            )
            if progress:
                progress("汇总表", 0.99)
            self.services.ensure_rollups(tmp, self._former_codes())
            os.replace(tmp, self.path)  # atomic: readers see the old file or the new, whole
            write_meta(self.path, wanted)  # last: a crash before this means "regenerate"
            if progress:
                progress("完成", 1.0)
        return self.path

    def _former_codes(self) -> dict[str, str]:
        """The city's former division codes (distinct counts per county follow them)."""
        return dict(getattr(self.city, "former_codes", None) or {})

    def _params(self, *, today: dt.date | None = None) -> dict[str, str]:
        """What the file is generated with, as recorded beside it (meta_path)."""
        end_date = self.config.end_date or today or self.services.today()
        params = {
            "generator_version": self.services.generator_version,
            "seed": str(self.config.seed),
            "tickets": str(self.config.tickets),
            "start_year": str(self.config.start_year),
            "end_date": end_date.isoformat(),
            "city": str(getattr(self.city, "code", "")),
        }
        # A township file (opt-in) adds the tickets' township codes: a file made without it,
        # or with another, is made again. Without one the parameters are as they always were.
        townships = getattr(self.city, "township_path", lambda: None)()
        if townships is not None:
            digest = hashlib.sha256(Path(townships).read_bytes()).hexdigest()[:16]
            params["townships"] = digest
        return params

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
                self.services.ensure_rollups(self.path, self._former_codes())
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

    def rollups(self, dataset: BoundDataset) -> list[Any]:
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
                built = self.services.read_rollups(conn, dataset.name)
        except sa.exc.SQLAlchemyError:
            built = []  # no rollups in this file: the raw rows answer
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
