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
from pydantic import Field

from cockpit import clock  # Beijing time: "today" of the demo is the city's today
from data_sources.base import BoundDataset, DatasetQuery, DataSourceError, Health, SourceConfig
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

    def ensure_generated(self, progress: Callable[[str, float], None] | None = None) -> Path:
        """Generate the demo database unless a file for the same parameters exists."""
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
            )
            os.replace(tmp, self.path)  # atomic: readers see the old file or the new, whole
            write_meta(self.path, wanted)  # last: a crash before this means "regenerate"
        return self.path

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
                except OSError as exc:
                    raise DataSourceError(f"演示数据无法生成：{exc}") from exc
                config = SqlConfig(kind="sql", url=f"duckdb:///{self.path}")
                self._sql = SqlSource(self.name, config, read_only_file=True)
            return self._sql

    def fetch(self, dataset: BoundDataset, query: DatasetQuery) -> pd.DataFrame:
        """Answer through the SQL adapter over the generated file."""
        return self._source().fetch(dataset, query)

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
