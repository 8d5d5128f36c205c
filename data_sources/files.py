"""The file adapter: a drop folder of CSV (UTF-8, UTF-8 with BOM, GBK/GB18030), Excel and Parquet.

Sharing platforms often deliver by file: a folder receives `<dataset>_<date>.csv` every night.
A dataset's `table` is the file-name prefix; the newest file (by the date in its name, else
its modification time) is read, or every file when `mode: all` (daily increments). UTF-8 CSV
and Parquet are queried by DuckDB straight from disk, not loaded whole; GBK text and Excel
go through pandas first. Malformed lines are refused with their line numbers, never skipped.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from pathlib import Path
from typing import ClassVar, Literal

import pandas as pd
from pydantic import Field

from data_sources.base import BoundDataset, DatasetQuery, DataSourceError, Health, SourceConfig
from data_sources.local_engine import query_rows, require_columns

SUFFIXES = (".csv", ".txt", ".xlsx", ".parquet")
_DATE_IN_NAME = re.compile(r"(20\d{2})-?(\d{2})-?(\d{2})")
_DUCK_TYPES = {
    "string": "VARCHAR",
    "int": "BIGINT",
    "float": "DOUBLE",
    "bool": "BOOLEAN",
    "date": "DATE",
    "datetime": "TIMESTAMP",
}


class FileConfig(SourceConfig):
    """A folder of data files."""

    kind: Literal["file"]
    folder: str
    encoding: Literal["auto", "utf-8", "utf-8-sig", "gbk", "gb18030"] = "auto"
    delimiter: str = Field(",", min_length=1, max_length=1)
    mode: Literal["latest", "all"] = "latest"


class FileSource:
    """Reads datasets from files in a folder."""

    kind: ClassVar[str] = "file"
    is_demo: ClassVar[bool] = False

    def __init__(self, name: str, config: FileConfig, *, base_dir: Path | None = None) -> None:
        self.name = name
        self.config = config
        folder = Path(config.folder)
        self.folder = folder if folder.is_absolute() or base_dir is None else base_dir / folder

    def files(self, prefix: str) -> list[Path]:
        """The files of a dataset, oldest first (by the date in the name, then mtime)."""
        if not self.folder.is_dir():
            raise DataSourceError(f"数据源 {self.name} 的目录不存在：{self.folder}")
        found = [
            p
            for p in self.folder.iterdir()
            if p.is_file() and p.name.startswith(prefix) and p.suffix.lower() in SUFFIXES
        ]
        return sorted(found, key=_file_date)

    def fetch(self, dataset: BoundDataset, query: DatasetQuery) -> pd.DataFrame:
        """Answer the query over the dataset's newest file (or all of them)."""
        files = self.files(dataset.table)
        if not files:
            raise DataSourceError(f"数据源 {self.name} 没有 {dataset.table} 的文件")
        chosen = files if self.config.mode == "all" else files[-1:]
        if all(p.suffix.lower() == ".parquet" for p in chosen) or all(
            p.suffix.lower() in (".csv", ".txt") and self.encoding_of(p) in ("utf-8", "utf-8-sig")
            for p in chosen
        ):
            return query_rows(self._relation(chosen, dataset), dataset, query, self.name)
        frame = pd.concat([self.read_frame(p) for p in chosen], ignore_index=True)
        return query_rows(frame, dataset, query, self.name)

    # -- reading --------------------------------------------------------------------------
    def encoding_of(self, path: Path) -> str:
        """The configured encoding, or the detected one: BOM, valid UTF-8, else GB18030."""
        if self.config.encoding != "auto":
            return self.config.encoding
        head = path.read_bytes()[: 1 << 20]
        if head.startswith(b"\xef\xbb\xbf"):
            return "utf-8-sig"
        cut = head.rfind(b"\n") if len(head) == 1 << 20 else len(head)
        try:
            head[: cut if cut > 0 else len(head)].decode("utf-8")
        except UnicodeDecodeError:
            return "gb18030"  # a superset of GBK: reads every GBK file
        return "utf-8"

    def read_frame(self, path: Path) -> pd.DataFrame:
        """A whole file as text columns (types are applied against the contract later)."""
        suffix = path.suffix.lower()
        if suffix == ".xlsx":
            return pd.read_excel(path, dtype=str)
        if suffix == ".parquet":  # read through DuckDB (pandas would need pyarrow)
            import duckdb

            return duckdb.connect().execute("SELECT * FROM read_parquet(?)", [str(path)]).df()
        encoding = self.encoding_of(path)
        bad: list[str] = []
        try:
            frame = pd.read_csv(
                path,
                dtype=str,
                keep_default_na=False,
                na_values=[""],
                encoding=encoding,
                sep=self.config.delimiter,
                engine="python",
                on_bad_lines=lambda line: bad.append(self.config.delimiter.join(line)) or None,
            )
        except UnicodeDecodeError as exc:
            raise DataSourceError(
                f"数据源 {self.name} 的文件 {path.name} 不是 {encoding} 编码（第 {exc.start} 字节）"
            ) from exc
        if bad:
            shown = "；".join(b[:40] for b in bad[:3])
            raise DataSourceError(
                f"数据源 {self.name} 的文件 {path.name} 有 {len(bad)} 行格式错误：{shown}"
            )
        return frame

    def _relation(self, files: list[Path], dataset: BoundDataset) -> str:
        """A DuckDB SELECT over the files with every contract column cast to its type."""
        paths = "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in files) + "]"
        if files[0].suffix.lower() == ".parquet":
            reader = f"read_parquet({paths}, union_by_name=true)"
        else:
            delim = self.config.delimiter.replace("'", "''")
            reader = f"read_csv({paths}, all_varchar=true, header=true, delim='{delim}', union_by_name=true)"
        # Missing columns named as a frame's are (DuckDB's error quotes its SELECT clause);
        # a file DuckDB cannot read at all is reported by query_rows.
        import duckdb

        with duckdb.connect() as con, contextlib.suppress(duckdb.Error):
            header = con.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()
            require_columns({row[0] for row in header}, dataset, self.name)
        casts = ", ".join(
            f'CAST("{dataset.source_column(c.name)}" AS {_DUCK_TYPES[c.type]}) AS "{dataset.source_column(c.name)}"'
            for c in dataset.columns
        )
        return f"(SELECT {casts} FROM {reader})"

    def health(self) -> Health:
        """The folder exists and can be listed."""
        now = dt.datetime.now()
        if not self.folder.is_dir():
            return Health(False, f"目录不存在：{self.folder}", now)
        return Health(True, f"{sum(1 for _ in self.folder.iterdir())} 个文件", now)

    def version(self) -> str:
        """Changes whenever a file is added, replaced or touched."""
        try:
            stamp = max((p.stat().st_mtime_ns for p in self.folder.iterdir()), default=0)
        except OSError:
            stamp = 0
        return f"file:{self.name}:{self.folder}:{stamp}"

    def close(self) -> None:
        """Nothing held open."""


def _file_date(path: Path) -> tuple[str, float]:
    match = _DATE_IN_NAME.search(path.stem)
    return ("".join(match.groups()) if match else "", path.stat().st_mtime)
