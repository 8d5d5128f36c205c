"""Checks a batch of rows against its dataset contract before the cockpit trusts it.

Used by sync (抽取) before a batch replaces anything: a bad batch is quarantined with a
readable report, and the last good data stays on screen. Problems are fatal ("错误") or
warnings ("提示", e.g. an extra column the contract does not know, which is only logged).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from cockpit.contracts import Contract

# Columns that count things: a negative value is an error.
NON_NEGATIVE = {"deaths", "injuries", "returned_count", "capacity", "available", "progress"}
# Times that are plans, not events: an open ticket's deadline, a task's due date, next week's
# duty roster lie in the future by nature. Every other time in the future is a clock or a
# time-zone error at the source.
PLANNED = {"sign_deadline", "deadline", "start_date", "due_date", "duty_date"}
# Most rows arrive with a unit; a unit other than the catalog's is a silent ×10000 waiting to happen.
FUTURE_SLACK = dt.timedelta(hours=1)
COLLAPSE_RATIO = 0.5  # a full refresh with fewer than half the previous rows is suspect


@dataclass
class Report:
    """What a check found: errors stop the batch, warnings are logged."""

    dataset: str
    rows: int
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No errors."""
        return not self.errors

    def text(self) -> str:
        """A readable report (Chinese for operators)."""
        head = f"数据集 {self.dataset}：{self.rows} 行，" + (
            "校验通过" if self.ok else "校验未通过，已隔离"
        )
        body = [f"  错误：{e}" for e in self.errors] + [f"  提示：{w}" for w in self.warnings]
        return "\n".join([head, *body])


def check_batch(
    frame: pd.DataFrame,
    contract: Contract,
    *,
    county_codes: set[str],
    now: dt.datetime,
    units: dict[str, str] | None = None,
    previous_rows: int | None = None,
) -> Report:
    """Check rows (contract column names) for everything that would make a screen wrong."""
    report = Report(contract.name, len(frame))
    names = [c.name for c in contract.columns]
    missing = [n for n in names if n not in frame.columns]
    if missing:
        report.errors.append(f"缺少字段 {'、'.join(missing)}")
        return report
    extra = [c for c in frame.columns if c not in names]
    if extra:
        report.warnings.append(f"多出字段 {'、'.join(map(str, extra))}（已忽略）")
    for col in contract.columns:
        values = frame[col.name]
        if not col.nullable and values.isna().any():
            report.errors.append(f"{col.name} 有 {int(values.isna().sum())} 行为空（必填）")
        bad = _not_of_type(values, col.type)
        if bad:
            report.errors.append(f"{col.name} 有 {bad} 行不是 {col.type}")
        elif col.type in ("int", "float") and col.name in NON_NEGATIVE:
            negative = int((pd.to_numeric(values, errors="coerce") < 0).sum())
            if negative:
                report.errors.append(f"{col.name} 有 {negative} 行为负数")
        elif col.type in ("datetime", "date") and col.name not in PLANNED:
            stamps = pd.to_datetime(values, errors="coerce", format="mixed")
            future = int((stamps > pd.Timestamp(now + FUTURE_SLACK)).sum())
            if future:
                report.errors.append(f"{col.name} 有 {future} 行是未来时间")
    if contract.key:
        dupes = int(frame.duplicated(list(contract.key)).sum())
        if dupes:
            report.errors.append(f"主键（{'、'.join(contract.key)}）重复 {dupes} 行")
    if contract.county_column:
        codes = frame[contract.county_column].dropna().astype(str)
        unknown = sorted(set(codes) - county_codes)
        if unknown:
            report.errors.append(
                f"未知的县区代码 {'、'.join(unknown[:5])}" + ("等" if len(unknown) > 5 else "")
            )
    if units and "unit" in frame.columns and "indicator_id" in frame.columns:
        for indicator, unit in (
            frame[["indicator_id", "unit"]].drop_duplicates().itertuples(index=False)
        ):
            expected = units.get(indicator)
            if expected is not None and unit != expected:
                report.errors.append(
                    f"指标 {indicator} 的单位是 {unit}，目录中为 {expected}（单位变化）"
                )
    if previous_rows and len(frame) < previous_rows * COLLAPSE_RATIO:
        report.errors.append(f"行数从 {previous_rows} 骤降到 {len(frame)}")
    return report


def _not_of_type(values: pd.Series, kind: str) -> int:
    """How many non-empty values cannot be read as the contract type."""
    present = values.dropna()
    if present.empty:
        return 0
    if kind in ("int", "float"):
        parsed = pd.to_numeric(present, errors="coerce")
        bad = parsed.isna()
        if kind == "int":
            bad |= parsed.notna() & (parsed % 1 != 0)
        return int(bad.sum())
    if kind in ("datetime", "date"):
        return int(pd.to_datetime(present, errors="coerce", format="mixed").isna().sum())
    if kind == "bool":
        return int(
            (
                ~present.astype(str)
                .str.lower()
                .isin(["true", "false", "1", "0", "t", "f", "是", "否", "yes", "no"])
            ).sum()
        )
    return 0
