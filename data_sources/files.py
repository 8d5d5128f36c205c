"""The file adapter: a drop folder of CSV (UTF-8, UTF-8 with BOM, GBK/GB18030), Excel and Parquet.

Sharing platforms often deliver by file: a folder receives `<dataset>_<date>.csv` every night.
A dataset's `table` is the file-name prefix; the newest file (by the date in its name, else
its modification time) is read, or every file when `mode: all` (daily increments). UTF-8 CSV
and Parquet are queried by DuckDB straight from disk, not loaded whole; GBK text and Excel
go through pandas first.

Every file is checked before it is shown, once per version of it (the same checks as sync,
which the frame lends the adapter as `checks`, a `RowChecks` holding the dataset contracts;
an adapter made alone, without one, checks whole files only): a row that fails is set aside
with the file, its line and the reason (kept in `quarantine_dir`), the other rows are shown. A file that is not whole is refused
and the newest good file before it stays on screen:
- with a manifest `<file>.ok` beside it (`rows: N` and/or `sha256: HEX`, the platform's
  convention, written after the file), the file must match it;
- without one, a CSV must parse completely: it ends with a line break (a half line at the
  end is a file cut short) and every line has the header's number of fields.
`problems(dataset)` says what was refused or set aside, for the check command and /healthz.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import io
import logging
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal, Protocol

import pandas as pd
from pydantic import Field

from data_sources.base import DataSourceError, Health, SourceConfig, remaining_budget
from data_sources.local_engine import query_rows, require_columns
from data_sources.query import BoundDataset, DatasetQuery

log = logging.getLogger(__name__)
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
    # Rows set aside by the checks, with their file, line and reason (relative: to the project).
    quarantine_dir: str = "instance/quarantine/files"


MANIFEST_SUFFIX = ".ok"  # <file>.ok: "rows: N" and/or "sha256: HEX", written after the file
CHUNK_ROWS = 200_000  # rows checked at once (a large file is never held whole to be checked)


@dataclass
class Verdict:
    """What checking one version of a file found."""

    refused: str | None = None  # why the whole file was refused
    bad: int = 0  # rows set aside
    reasons: list[str] = field(default_factory=list)  # a few of them, for the operator
    quarantine: Path | None = None
    clean: pd.DataFrame | None = None  # the good rows (source names), when some were set aside
    bad_rows: list[int] = field(default_factory=list)  # their positions (0 = first data row)
    rows: int = 0  # data rows in the file

    @property
    def whole(self) -> bool:
        """Can the file be read as it is (nothing set aside, nothing cut)?"""
        return self.refused is None and self.clean is None


class RowChecks(Protocol):
    """The row checks the frame lends a file drop when it builds it: the dataset contracts
    and the checks sync makes, so this adapter imports nothing of the frame."""

    # The column of a set-aside row that says why (as the quarantine files have it).
    reason_column: str

    def key(self, dataset: str) -> tuple[str, ...] | None:
        """The dataset's key columns; None: no contract, its rows are not checked."""

    def check(self, rows: pd.DataFrame, dataset: str) -> Any:
        """Check rows in contract names, keys apart (compared here, across chunks): a report
        with refused, errors, rejected, changes, good(rows), bad(rows, where), apply(rows)."""

    def quarantine(self, folder: Path, dataset: str, rows: pd.DataFrame, text: str) -> Path:
        """Keep set-aside rows and the report in `folder`; the report file's path."""


class FileSource:
    """Reads datasets from files in a folder."""

    kind: ClassVar[str] = "file"
    is_demo: ClassVar[bool] = False

    def __init__(
        self,
        name: str,
        config: FileConfig,
        *,
        base_dir: Path | None = None,
        checks: RowChecks | None = None,
    ) -> None:
        self.name = name
        self.config = config
        folder = Path(config.folder)
        self.folder = folder if folder.is_absolute() or base_dir is None else base_dir / folder
        kept = Path(config.quarantine_dir)
        self.quarantine_dir = kept if kept.is_absolute() or base_dir is None else base_dir / kept
        # The row checks the frame lends (contracts, the city's codes and clock, the indicator
        # catalog); None (an adapter made alone, as in tests): whole files only.
        self.checks = checks
        self._verdicts: dict[tuple[str, int, int], Verdict] = {}
        self._problems: dict[str, str] = {}  # dataset -> what was refused or set aside
        self._counts: dict[str, tuple[int, int]] = {}  # dataset -> rows read, rows set aside
        self._lock = threading.Lock()

    def files(self, prefix: str) -> list[Path]:
        """The files of a dataset, oldest first (by the date in the name, then mtime)."""
        if not self.folder.is_dir():
            # The folder's name only: a message may reach a browser, a server path never does.
            raise DataSourceError(f"数据源 {self.name} 的目录不存在：{self.folder.name}")
        found = [
            p
            for p in self.folder.iterdir()
            if p.is_file() and p.name.startswith(prefix) and p.suffix.lower() in SUFFIXES
        ]
        return sorted(found, key=_file_date)

    def fetch(self, dataset: BoundDataset, query: DatasetQuery) -> pd.DataFrame:
        """Answer the query over the dataset's newest good file (or all the good ones)."""
        files = self.files(dataset.table)
        if not files:
            raise DataSourceError(f"数据源 {self.name} 没有 {dataset.table} 的文件")
        chosen, verdicts = self._accepted(files, dataset)
        if all(v.whole for v in verdicts) and (
            all(p.suffix.lower() == ".parquet" for p in chosen)
            or all(
                p.suffix.lower() in (".csv", ".txt")
                and self.encoding_of(p) in ("utf-8", "utf-8-sig")
                for p in chosen
            )
        ):
            try:
                return query_rows(self._relation(chosen, dataset), dataset, query, self.name)
            except DataSourceError:
                budget = remaining_budget()
                if budget is not None and budget <= 0:
                    # Out of time (DuckDB stopped at the request's deadline): reading the
                    # whole file again through pandas would only outlive the request more.
                    raise
                # DuckDB's own CSV reader (its sniffer) refused a file the check parsed whole:
                # read it as the check did, not a blank page with DuckDB's words and paths.
                log.warning(
                    "source %s: %s read through pandas after DuckDB failed", self.name, dataset.name
                )
        frame = pd.concat(
            [self._good_rows(p, v) for p, v in zip(chosen, verdicts, strict=True)],
            ignore_index=True,
        )
        return query_rows(frame, dataset, query, self.name)

    def counts(self, dataset: str) -> tuple[int, int] | None:
        """Rows read and rows set aside in the files shown, at the last read (or None)."""
        return self._counts.get(dataset)

    def problems(self, dataset: str) -> str | None:
        """What was refused or set aside in the dataset's files at the last read (or None)."""
        return self._problems.get(dataset)

    # -- checking -------------------------------------------------------------------------
    def _accepted(
        self, files: list[Path], dataset: BoundDataset
    ) -> tuple[list[Path], list[Verdict]]:
        """The files to read and their verdicts: the newest good one (`latest`), or every
        good one (`all`). A refused newest file leaves the one before it on screen."""
        notes: list[str] = []
        chosen: list[tuple[Path, Verdict]] = []
        for path in reversed(files):
            verdict = self.verdict(path, dataset)
            if verdict.refused is not None:
                notes.append(f"文件 {path.name} 被拒收：{verdict.refused}")
                continue
            if verdict.bad:
                notes.append(
                    f"文件 {path.name} 有 {verdict.bad} 行校验未通过已隔离"
                    f"（{'；'.join(verdict.reasons[:3])}；见 {verdict.quarantine}）"
                )
            chosen.append((path, verdict))
            if self.config.mode == "latest":
                break
        if notes and chosen and self.config.mode == "latest" and chosen[0][0] != files[-1]:
            notes.append(f"仍显示 {chosen[0][0].name} 的数据")
        with self._lock:
            self._counts[dataset.name] = (
                sum(v.rows for _, v in chosen),
                sum(v.bad for _, v in chosen),
            )
            if notes:
                self._problems[dataset.name] = "；".join(notes)
            else:
                self._problems.pop(dataset.name, None)
        if not chosen:
            raise DataSourceError(f"数据源 {self.name} 没有可用的 {dataset.table} 文件：{notes[0]}")
        chosen.reverse()
        return [p for p, _ in chosen], [v for _, v in chosen]

    def verdict(self, path: Path, dataset: BoundDataset) -> Verdict:
        """The check of one version of a file (made once, then remembered)."""
        stat = path.stat()
        manifest = path.with_name(path.name + MANIFEST_SUFFIX)
        try:
            manifest_stamp = manifest.stat().st_mtime_ns
        except FileNotFoundError:
            manifest_stamp = 0
        key = (f"{dataset.name}:{path}", stat.st_size, stat.st_mtime_ns + manifest_stamp)
        with self._lock:
            known = self._verdicts.get(key)
        if known is None:
            known = self._check(path, dataset)
            with self._lock:  # an older version's verdict (and its rows) is of no more use
                for stale in [k for k in self._verdicts if k[0] == key[0]]:
                    del self._verdicts[stale]
                self._verdicts[key] = known
        return known

    def _check(self, path: Path, dataset: BoundDataset) -> Verdict:
        """Check a file: whole (manifest, or a complete parse), then row by row, in chunks."""
        expected = _manifest(path.with_name(path.name + MANIFEST_SUFFIX))
        if isinstance(expected, str):
            return Verdict(refused=expected)
        if expected.get("sha256") and _sha256(path) != expected["sha256"].lower():
            return Verdict(refused="与清单（.ok）中的 sha256 不符，文件不完整或已损坏")
        checks = self.checks
        key_columns = checks.key(dataset.name) if checks is not None else None
        verdict = Verdict()
        bad: list[pd.DataFrame] = []
        keys: list[pd.DataFrame] = []
        rows, cut = 0, False
        try:
            for chunk, lines in self._chunks(path):
                if key_columns is not None:
                    named, report = self._checked(chunk, dataset)
                    if report.refused:
                        return Verdict(refused="；".join(report.errors))
                    if report.rejected:
                        where = lambda i, lines=lines: f"{path.name} 第 {lines[i]} 行"  # noqa: E731
                        bad.append(report.bad(named, where))
                        verdict.bad_rows += [rows + i for i in report.rejected]
                        verdict.reasons += [e for e in report.errors if e not in verdict.reasons]
                    cut = cut or report.changes  # long text cut, or a period or unit normalised
                    if key_columns:  # compared as normalised (2023年12月 is 2023-12)
                        key = report.apply(named)[list(key_columns)]
                        keys.append(key.assign(_pos=range(rows, rows + len(chunk))))
                rows += len(chunk)
        except _Refused as exc:
            return Verdict(refused=str(exc))
        if expected.get("rows") is not None and int(expected["rows"]) != rows:
            return Verdict(
                refused=f"清单（.ok）写 {expected['rows']} 行，文件有 {rows} 行：文件不完整"
            )
        repeated: set[int] = set()
        if keys:  # one key twice, in one chunk or two: both rows set aside
            every = pd.concat(keys, ignore_index=True)
            assert key_columns  # keys are only collected when the dataset has a key
            names = list(key_columns)
            twice = every[every.duplicated(names, keep=False) & every[names].notna().all(axis=1)]
            repeated = set(twice["_pos"]) - set(verdict.bad_rows)
            if repeated:
                extra = len(twice) - len(twice.drop_duplicates(names))
                verdict.reasons.append(f"主键（{'、'.join(names)}）重复 {extra} 行")
        if verdict.bad_rows or repeated or cut:
            clean, twins = self._clean(path, dataset, set(verdict.bad_rows), repeated)
            verdict.clean = clean
            if not twins.empty:
                bad.append(twins)
            verdict.bad_rows = sorted(set(verdict.bad_rows) | repeated)
        verdict.bad = len(verdict.bad_rows)
        verdict.rows = rows
        if rows and verdict.bad >= rows:
            # Nothing of the file can be shown: refused whole, so the file before it stays on
            # screen (not a blank page, and not a period that jumps back).
            verdict.refused = f"全部 {rows} 行校验未通过（{'；'.join(verdict.reasons[:3])}）"
        if bad:
            assert checks is not None  # rows are only set aside by the row checks
            text = (
                f"数据源 {self.name} 的文件 {path.name}：{verdict.bad} 行校验未通过已隔离\n"
                + "\n".join(f"  错误：{r}" for r in verdict.reasons)
            )
            verdict.quarantine = checks.quarantine(
                self.quarantine_dir, dataset.name, pd.concat(bad, ignore_index=True), text
            )
        return verdict

    def _checked(self, chunk: pd.DataFrame, dataset: BoundDataset):
        """A chunk in contract names and its check (keys are compared across chunks apart)."""
        to_contract = {dataset.source_column(c.name): c.name for c in dataset.columns}
        named = chunk.rename(columns=to_contract).reset_index(drop=True)
        assert self.checks is not None  # called by _check only when the frame lent its checks
        return named, self.checks.check(named, dataset.name)

    def _clean(
        self, path: Path, dataset: BoundDataset, rejected: set[int], repeated: set[int]
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The good rows of a file (long text cut with a mark), in source names, and the rows
        set aside for a repeated key (with their reason and line)."""
        assert self.checks is not None  # rows are only rejected or cut by the row checks
        reason_column = self.checks.reason_column
        back = {c.name: dataset.source_column(c.name) for c in dataset.columns}
        key = "、".join(self.checks.key(dataset.name) or ())
        good, twins, rows = [], [], 0
        for chunk, lines in self._chunks(path):
            named, report = self._checked(chunk, dataset)
            positions = range(rows, rows + len(chunk))
            twin = [i for i, p in enumerate(positions) if p in repeated]
            if twin:
                twins.append(
                    named.iloc[twin].assign(
                        **{
                            reason_column: [
                                f"主键（{key}）重复（{path.name} 第 {lines[i]} 行）" for i in twin
                            ]
                        }
                    )
                )
            kept = report.good(named)  # drops this chunk's rejected rows, cuts long text
            left = [p for i, p in enumerate(positions) if i not in report.rejected]
            assert len(left) == len(kept) and not (set(left) & rejected)
            good.append(kept[[p not in repeated for p in left]].rename(columns=back))
            rows += len(chunk)
        clean = pd.concat(good, ignore_index=True) if good else pd.DataFrame()
        return clean, pd.concat(twins, ignore_index=True) if twins else pd.DataFrame()

    def _chunks(self, path: Path):
        """The file's rows in chunks, with each row's line in the file (Excel: its sheet row).

        CSV is parsed here (not by pandas) to know every record's line and field count: a
        line with another number of fields than the header, or a last line without its line
        break, refuses the file (it was cut, or its columns cannot be trusted)."""
        suffix = path.suffix.lower()
        if suffix == ".parquet":
            yield from _parquet_chunks(path)
            return
        if suffix == ".xlsx":
            frame = pd.read_excel(path, dtype=str)
            yield frame, [i + 2 for i in range(len(frame))]
            return
        encoding = self.encoding_of(path)
        with path.open("rb") as raw:
            raw.seek(0, 2)
            if raw.tell() == 0:
                raise _Refused("文件为空")
            raw.seek(-1, 2)
            ends_whole = raw.read(1) in (b"\n", b"\r")
        text = io.TextIOWrapper(path.open("rb"), encoding=encoding, newline="")
        try:
            reader = csv.reader(text, delimiter=self.config.delimiter)
            header = next(reader, None)
            if not header:
                raise _Refused("没有表头")
            records: list[list[str]] = []
            lines: list[int] = []
            wrong: list[str] = []
            last_wrong = False  # was the last record read one of the wrong ones?
            for record in reader:
                if not record:
                    continue  # a blank line
                last_wrong = len(record) != len(header)
                if last_wrong:
                    wrong.append(
                        f"第 {reader.line_num} 行有 {len(record)} 个字段（表头 {len(header)} 个）"
                    )
                    continue
                records.append(record)
                lines.append(reader.line_num)
                if len(records) >= CHUNK_ROWS:
                    yield _text_frame(records, header), lines
                    records, lines = [], []
            if not ends_whole and (not wrong or (len(wrong) == 1 and last_wrong)):
                raise _Refused("末行不完整（没有换行符）：文件被截断，传输未完成")
            if wrong:
                raise _Refused(f"有 {len(wrong)} 行格式错误：{'；'.join(wrong[:3])}")
            yield _text_frame(records, header), lines
        except UnicodeDecodeError as exc:
            line = _undecodable_line(path, encoding)
            raise _Refused(
                f"第 {line} 行不是有效的 {_ENCODING_NAMES.get(encoding, encoding)} 编码（文件损坏或被截断）"
                if line
                else f"不是 {encoding} 编码，或被截断（{exc.reason}）"
            ) from exc
        except csv.Error as exc:
            raise _Refused(f"第 {reader.line_num} 行无法解析：{exc}") from exc
        finally:
            text.close()

    def _good_rows(self, path: Path, verdict: Verdict) -> pd.DataFrame:
        """The rows of a file that passed (all of them, when nothing was set aside)."""
        if verdict.clean is not None:
            return verdict.clean
        return self.read_frame(path)

    # -- reading --------------------------------------------------------------------------
    def encoding_of(self, path: Path) -> str:
        """The configured encoding, or the detected one: BOM, valid UTF-8, else GB18030."""
        if self.config.encoding != "auto":
            return self.config.encoding
        head = path.read_bytes()[: 1 << 20]
        if head.startswith(b"\xef\xbb\xbf"):
            return "utf-8-sig"
        cut = head.rfind(b"\n") if len(head) == 1 << 20 else len(head)
        head = head[: cut if cut > 0 else len(head)]
        try:
            head.decode("utf-8")
        except UnicodeDecodeError:
            # UTF-8 with a few broken characters (a bad export, a cut multi-byte character) is
            # still UTF-8: read as GBK it would show garbled text, read as UTF-8 it is refused
            # at its broken line. GBK text read as UTF-8 is almost all broken characters.
            text = head.decode("utf-8", errors="replace")
            broken = text.count("\ufffd")
            whole = sum(1 for ch in text if ord(ch) > 127) - broken
            return "utf-8" if whole >= 4 * broken else "gb18030"  # GB18030 reads every GBK file
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

        def skip(line: list[str]) -> None:
            """Keep a malformed line for the refusal; returning None tells pandas to skip it."""
            bad.append(self.config.delimiter.join(line))

        try:
            frame = pd.read_csv(
                path,
                dtype=str,
                keep_default_na=False,
                na_values=[""],
                encoding=encoding,
                sep=self.config.delimiter,
                engine="python",
                on_bad_lines=skip,
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
            return Health(False, f"目录不存在：{self.folder.name}", now)  # no server path
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


class _Refused(Exception):
    """A file that cannot be read whole: refused, the one before it stays on screen."""


_ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "gbk": "GBK", "gb18030": "GBK/GB18030"}


def _undecodable_line(path: Path, encoding: str) -> int | None:
    """The first line of a file (from 1) that is not valid text in `encoding`."""
    with path.open("rb") as raw:
        for number, line in enumerate(raw, start=1):
            try:
                line.decode("utf-8" if encoding == "utf-8-sig" else encoding)
            except UnicodeDecodeError:
                return number
    return None


def _text_frame(records: list[list[str]], header: list[str]) -> pd.DataFrame:
    """Parsed CSV records as text columns, an empty field as missing (as pandas reads it)."""
    frame = pd.DataFrame(records, columns=header, dtype=object)
    return frame.replace("", None)


def _parquet_chunks(path: Path):
    """A Parquet file in chunks (row numbers from 1); a damaged file is refused."""
    import duckdb

    con = duckdb.connect()
    try:
        try:
            rows = con.execute("SELECT count(*) FROM read_parquet(?)", [str(path)]).fetchall()
        except duckdb.Error as exc:
            raise _Refused(f"Parquet 文件无法读取（{type(exc).__name__}），可能不完整") from exc
        total = int(rows[0][0])
        for start in range(0, max(total, 1), CHUNK_ROWS):
            frame = con.execute(
                "SELECT * EXCLUDE (file_row_number) FROM read_parquet(?, file_row_number=true) "
                "WHERE file_row_number >= ? AND file_row_number < ? ORDER BY file_row_number",
                [str(path), start, start + CHUNK_ROWS],
            ).df()
            yield frame, [start + i + 1 for i in range(len(frame))]
    finally:
        con.close()


def _manifest(path: Path) -> dict[str, str] | str:
    """A file's manifest (`rows: N`, `sha256: HEX`), {} when there is none, or why it is unreadable."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        return f"清单 {path.name} 无法读取（{type(exc).__name__}）"
    found: dict[str, str] = {}
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name.strip().lower() in ("rows", "sha256") and value.strip():
            found[name.strip().lower()] = value.strip()
    if not found:
        return f"清单 {path.name} 中没有 rows 或 sha256"
    if "rows" in found and not found["rows"].isdigit():
        return f"清单 {path.name} 的 rows 不是整数：{found['rows']}"
    return found


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _file_date(path: Path) -> tuple[str, float]:
    match = _DATE_IN_NAME.search(path.stem)
    return ("".join(match.groups()) if match else "", path.stat().st_mtime)
