"""Checks rows against their dataset contract before the cockpit trusts them, row by row.

Used by sync (抽取) before a batch is written and by the file adapter before a dropped file
is shown. A bad row is set aside with its reasons (quarantined) and the good rows go through:
one null key must not hold back a day of tickets. Only what makes the whole batch
untrustworthy refuses it (columns missing, a full refresh collapsing to a fraction of its
rows). Text longer than its contract limit is cut with a mark (a warning), never shown whole.

`now` is always the city's wall-clock time (config/city.yaml `timezone`), never the server's:
on a UTC server a ticket stamped ten minutes ago in Beijing time is not in the future.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from cockpit.contracts import Contract

# Times that are plans, not events: an open ticket's deadline, a task's due date, next week's
# duty roster lie in the future by nature. Every other time in the future is a clock or a
# time-zone error at the source.
PLANNED = {"sign_deadline", "deadline", "start_date", "due_date", "duty_date"}
FUTURE_SLACK = dt.timedelta(hours=1)
COLLAPSE_RATIO = 0.5  # a full refresh with fewer than half the previous rows is suspect
TRUNCATED_MARK = "…[已截断]"
REASON_COLUMN = "_quarantine_reason"


def city_now(timezone: str) -> dt.datetime:
    """The city's wall-clock time, naive (as the data's timestamps are), whatever TZ the server has."""
    return dt.datetime.now(ZoneInfo(timezone)).replace(tzinfo=None)


@dataclass
class Report:
    """What a check found: refused batches, rejected rows (with reasons), warnings."""

    dataset: str
    rows: int
    errors: list[str] = field(default_factory=list)  # one line per kind of problem, with counts
    warnings: list[str] = field(default_factory=list)
    refused: bool = False  # nothing of the batch can be trusted
    rejected: dict[int, list[str]] = field(default_factory=dict)  # row position -> reasons
    truncate: dict[str, pd.Series] = field(default_factory=dict)  # column -> mask of long text

    @property
    def ok(self) -> bool:
        """No errors at all."""
        return not self.errors

    def text(self) -> str:
        """A readable report (Chinese for operators)."""
        if self.ok:
            verdict = "校验通过"
        elif self.refused:
            verdict = "校验未通过，整批拒收"
        else:
            verdict = f"{len(self.rejected)} 行校验未通过已隔离，其余 {self.rows - len(self.rejected)} 行已接收"
        head = f"数据集 {self.dataset}：{self.rows} 行，{verdict}"
        body = [f"  错误：{e}" for e in self.errors] + [f"  提示：{w}" for w in self.warnings]
        return "\n".join([head, *body])

    def reject(self, mask: pd.Series, reason: str) -> int:
        """Set aside the rows of a boolean mask (aligned by position) for `reason`."""
        positions = [i for i, bad in enumerate(mask.to_numpy()) if bool(bad)]
        for i in positions:
            self.rejected.setdefault(i, []).append(reason)
        return len(positions)

    def good(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The rows that passed, long text cut with a mark; none if the batch was refused."""
        if self.refused:
            return frame.iloc[0:0]
        keep = [i not in self.rejected for i in range(len(frame))]
        out = frame.copy()
        for column, mask in self.truncate.items():
            limit = int(mask.attrs["max_length"])
            cut = out[column].astype("string").str.slice(0, limit - len(TRUNCATED_MARK))
            out[column] = out[column].where(~mask.to_numpy(), cut + TRUNCATED_MARK)
        return out[keep]

    def bad(self, frame: pd.DataFrame, where: Callable[[int], str] | None = None) -> pd.DataFrame:
        """The rejected rows (every row, if refused), each with its reasons (and `where`: line)."""
        positions = range(len(frame)) if self.refused else sorted(self.rejected)
        out = frame.iloc[list(positions)].copy()
        reasons = [
            ("；".join(self.rejected.get(i, [])) or "；".join(self.errors))
            + (f"（{where(i)}）" if where else "")
            for i in positions
        ]
        out[REASON_COLUMN] = reasons
        return out


def check_batch(
    frame: pd.DataFrame,
    contract: Contract,
    *,
    county_codes: set[str] | None,
    now: dt.datetime,
    units: dict[str, str] | None = None,
    previous_rows: int | None = None,
) -> Report:
    """Check rows (contract column names) for everything that would make a screen wrong.

    `now` is the city's wall-clock time (city_now); each problem names its column and count.
    `county_codes` None: the city is not known here, county codes are not checked."""
    report = Report(contract.name, len(frame))
    frame = frame.reset_index(drop=True)
    names = [c.name for c in contract.columns]
    missing = [n for n in names if n not in frame.columns]
    if missing:
        report.errors.append(f"缺少字段 {'、'.join(missing)}")
        report.refused = True
        return report
    extra = [c for c in frame.columns if c not in names]
    if extra:
        report.warnings.append(f"多出字段 {'、'.join(map(str, extra))}（已忽略）")

    for col in contract.columns:
        values = frame[col.name]
        name = col.name
        if not col.nullable:
            _flag(report, values.isna(), f"{name} 为空（必填）", f"{name} 有 {{n}} 行为空（必填）")
        typed = _typed(values, col.type)
        wrong = values.notna() & typed.isna()
        if _flag(report, wrong, f"{name} 不是 {col.type}", f"{name} 有 {{n}} 行不是 {col.type}"):
            continue
        limit = contract.limit(name)
        if col.type in ("int", "float"):
            numbers = pd.to_numeric(typed, errors="coerce")
            if limit.minimum == 0 and limit.maximum is None:
                _flag(report, numbers < 0, f"{name} 为负数", f"{name} 有 {{n}} 行为负数")
            elif limit.minimum is not None or limit.maximum is not None:
                low = -float("inf") if limit.minimum is None else limit.minimum
                high = float("inf") if limit.maximum is None else limit.maximum
                span = f"{_num(limit.minimum)}~{_num(limit.maximum)}"
                _flag(
                    report,
                    numbers.notna() & ((numbers < low) | (numbers > high)),
                    f"{name} 超出范围 {span}",
                    f"{name} 有 {{n}} 行超出范围 {span}",
                )
        elif col.type in ("datetime", "date") and name not in PLANNED:
            future = typed > pd.Timestamp(now + FUTURE_SLACK)
            _flag(report, future, f"{name} 是未来时间", f"{name} 有 {{n}} 行是未来时间")
        elif col.type == "string":
            text = values.astype("string")
            if limit.values:
                _flag(
                    report,
                    text.notna() & ~text.isin(limit.values),
                    f"{name} 不在 {'、'.join(limit.values)} 之中",
                    f"{name} 有 {{n}} 行不在 {'、'.join(limit.values)} 之中",
                )
            if limit.max_length:
                long = (text.str.len() > limit.max_length).fillna(False).astype(bool)
                if name in contract.key:  # a cut key would merge two rows: refuse instead
                    _flag(
                        report,
                        long,
                        f"{name} 超过 {limit.max_length} 字",
                        f"{name} 有 {{n}} 行超过 {limit.max_length} 字",
                    )
                elif long.any():
                    long.attrs["max_length"] = limit.max_length
                    report.truncate[name] = long
                    report.warnings.append(
                        f"{name} 有 {int(long.sum())} 行超过 {limit.max_length} 字，已截断"
                    )
    if contract.key:
        keyed = frame[list(contract.key)]
        twice = keyed.duplicated(keep=False) & keyed.notna().all(axis=1)
        extra_rows = int(keyed[twice].duplicated().sum())
        if twice.any():
            report.reject(twice, f"主键（{'、'.join(contract.key)}）重复")
            report.errors.append(f"主键（{'、'.join(contract.key)}）重复 {extra_rows} 行")
    if contract.county_column and county_codes is not None:
        codes = frame[contract.county_column].astype("string")
        unknown_mask = codes.notna() & ~codes.isin(county_codes)
        unknown = sorted(set(codes[unknown_mask]))
        if unknown:
            report.reject(unknown_mask, f"未知的县区代码 {'、'.join(unknown[:5])}")
            report.errors.append(
                f"未知的县区代码 {'、'.join(unknown[:5])}" + ("等" if len(unknown) > 5 else "")
            )
    if units and "unit" in frame.columns and "indicator_id" in frame.columns:
        for indicator, unit in (
            frame[["indicator_id", "unit"]].drop_duplicates().itertuples(index=False)
        ):
            expected = units.get(indicator)
            if expected is not None and unit != expected:
                message = f"指标 {indicator} 的单位是 {unit}，目录中为 {expected}（单位变化）"
                report.reject(
                    (frame["indicator_id"] == indicator) & (frame["unit"] == unit), message
                )
                report.errors.append(message)
    if previous_rows and len(frame) < previous_rows * COLLAPSE_RATIO:
        report.errors.append(f"行数从 {previous_rows} 骤降到 {len(frame)}")
        report.refused = True
    return report


def _flag(report: Report, mask: pd.Series, reason: str, summary: str) -> int:
    """Reject the rows of `mask` for `reason`; add the summary line (with {n}) if any."""
    mask = mask.fillna(False).astype(bool)
    found = report.reject(mask, reason)
    if found:
        report.errors.append(summary.format(n=found))
    return found


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _typed(values: pd.Series, kind: str) -> pd.Series:
    """The values read as the contract type; a value that cannot be read becomes missing."""
    if kind in ("int", "float"):
        parsed = pd.to_numeric(values, errors="coerce")
        if kind == "int":
            parsed = parsed.where(parsed.isna() | (parsed % 1 == 0))
        return parsed
    if kind in ("datetime", "date"):
        return pd.to_datetime(values, errors="coerce", format="mixed")
    if kind == "bool":
        text = values.astype("string").str.lower()
        known = text.isin(["true", "false", "1", "0", "t", "f", "是", "否", "yes", "no"])
        return values.where(known.fillna(False).astype(bool))
    return values


def quarantine(folder: Path, dataset: str, rows: pd.DataFrame, text: str) -> Path:
    """Keep refused rows (each with its reason) and the report for a person to read; nothing
    is lost. The same rows refused again (a look-back re-reads them every run) reuse one file."""
    folder.mkdir(parents=True, exist_ok=True)
    body = rows.to_csv(index=False)
    digest = hashlib.sha256(body.encode("utf-8")).hexdigest()[:12]
    base = folder / f"{dataset.replace('.', '__')}-{digest}"
    report = base.with_suffix(".txt")
    if report.exists():
        report.touch()  # seen again: its time says when
        return report
    base.with_suffix(".csv").write_text(body, encoding="utf-8-sig")
    report.write_text(text + "\n", encoding="utf-8")
    return report
