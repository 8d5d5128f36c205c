"""Checks rows against their dataset contract before the cockpit trusts them, row by row.

One function (check_batch) for every mode: sync (抽取) before a batch is written, the file
adapter before a dropped file is shown, and the data hub on a small published dataset read
live (direct mode: economy.indicator_values from the city's own database). A bad row is set aside with its reasons (quarantined) and the good rows go through:
one null key must not hold back a day of tickets. Only what makes the whole batch
untrustworthy refuses it (columns missing, a full refresh collapsing to a fraction of its
rows). Text longer than its contract limit is cut with a mark (a warning), never shown whole.

What can be read the way statistics offices write it is normalised, not refused: a period
written 2023年1-12月, 2023 or as an Excel date is the month 2023-12; a value in 万元 where the
catalog says 亿元 is converted. What cannot be (a unit with no known conversion, a period
that is no period, a negative amount, one key with two values) is set aside with its reason.

`now` is always the city's wall-clock time (config/city.yaml `timezone`), never the server's:
on a UTC server a ticket stamped ten minutes ago in Beijing time is not in the future.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from cockpit.contracts import Contract
from cockpit.modules import dataset_checks

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
    fixed: dict[str, pd.Series] = field(default_factory=dict)  # column -> normalised values

    @property
    def changes(self) -> bool:
        """Do the good rows differ from the rows read (normalised or cut), not only in number?"""
        return bool(self.truncate or self.fixed)

    def apply(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Every row with its normalised values (periods, converted units); none dropped."""
        out = frame.reset_index(drop=True).copy()
        for column, values in self.fixed.items():
            out[column] = values.to_numpy()
        return out

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
        out = self.apply(frame)
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
    catalog: Catalog | None = None,
    previous_rows: int | None = None,
) -> Report:
    """Check rows (contract column names) for everything that would make a screen wrong.

    `now` is the city's wall-clock time (city_now); each problem names its column and count.
    `county_codes` None: the city is not known here, county codes are not checked.
    `catalog` (economy_catalog; `units` alone is its unit part): each indicator's unit and
    sign. The good rows (Report.good) carry the normalised values."""
    report = Report(contract.name, len(frame))
    frame = frame.reset_index(drop=True)
    if catalog is None and units:
        catalog = Catalog(units=dict(units))
    names = [c.name for c in contract.columns]
    missing = [n for n in names if n not in frame.columns]
    if missing:
        report.errors.append(f"缺少字段 {'、'.join(missing)}")
        report.refused = True
        return report
    extra = [c for c in frame.columns if c not in names]
    if extra:
        report.warnings.append(f"多出字段 {'、'.join(map(str, extra))}（已忽略）")
    if contract.period_column:
        _normalise_periods(report, frame, contract.period_column)
    # The module's own rules for its dataset (the registry: ModuleSpec.checks), given the
    # indicator catalog: economy's units are read into the catalog's before any other check.
    own = dataset_checks().get(contract.name) if catalog is not None else None
    if own is not None and own.normalise is not None and catalog is not None:
        own.normalise(report, frame, catalog)
    frame = report.apply(frame)  # every later check sees 2023-12 and 亿元, as screens will

    for col in contract.columns:
        values = frame[col.name]
        name = col.name
        if not col.nullable:
            flag(report, values.isna(), f"{name} 为空（必填）", f"{name} 有 {{n}} 行为空（必填）")
        typed = _typed(values, col.type)
        wrong = values.notna() & typed.isna()
        if flag(report, wrong, f"{name} 不是 {col.type}", f"{name} 有 {{n}} 行不是 {col.type}"):
            continue
        limit = contract.limit(name)
        if col.type in ("int", "float"):
            numbers = pd.to_numeric(typed, errors="coerce")
            if limit.minimum == 0 and limit.maximum is None:
                flag(report, numbers < 0, f"{name} 为负数", f"{name} 有 {{n}} 行为负数")
            elif limit.minimum is not None or limit.maximum is not None:
                low = -float("inf") if limit.minimum is None else limit.minimum
                high = float("inf") if limit.maximum is None else limit.maximum
                span = f"{_num(limit.minimum)}~{_num(limit.maximum)}"
                flag(
                    report,
                    numbers.notna() & ((numbers < low) | (numbers > high)),
                    f"{name} 超出范围 {span}",
                    f"{name} 有 {{n}} 行超出范围 {span}",
                )
        elif col.type in ("datetime", "date") and name not in PLANNED:
            future = typed > pd.Timestamp(now + FUTURE_SLACK)
            flag(report, future, f"{name} 是未来时间", f"{name} 有 {{n}} 行是未来时间")
        elif col.type == "string":
            text = values.astype("string")
            if limit.values:
                flag(
                    report,
                    text.notna() & ~text.isin(limit.values),
                    f"{name} 不在 {'、'.join(limit.values)} 之中",
                    f"{name} 有 {{n}} 行不在 {'、'.join(limit.values)} 之中",
                )
            if limit.max_length:
                long = (text.str.len() > limit.max_length).fillna(False).astype(bool)
                if name in contract.key:  # a cut key would merge two rows: refuse instead
                    flag(
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
    if own is not None and own.check is not None and catalog is not None:
        own.check(report, frame, catalog)
    if previous_rows and len(frame) < previous_rows * COLLAPSE_RATIO:
        report.errors.append(f"行数从 {previous_rows} 骤降到 {len(frame)}")
        report.refused = True
    return report


def flag(report: Report, mask: pd.Series, reason: str, summary: str) -> int:
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


# -- the indicator catalog's rules (economy.indicator_values) -----------------------------------
@dataclass(frozen=True)
class Catalog:
    """What the indicator catalog (config/indicators.yaml) says each row must be."""

    units: dict[str, str]  # indicator id -> its unit
    # Amounts that add up from the counties to the city (additive: true) are never negative;
    # a growth rate, an index or a balance may be.
    non_negative: frozenset[str] = frozenset()
    additive: frozenset[str] = frozenset()  # counties add up to the city (county_sum_flags)
    names: dict[str, str] = field(default_factory=dict)  # indicator id -> its name


def economy_catalog(indicators) -> Catalog:
    """The catalog's rules for the checks, from the settings' indicators."""
    additive = frozenset(i.id for i in indicators if i.additive)
    summed = frozenset(
        i.id for i in indicators if (i.additive if i.county_sum is None else i.county_sum)
    )
    return Catalog(
        units={i.id: i.unit for i in indicators},
        non_negative=additive,
        additive=summed,
        names={i.id: i.name for i in indicators},
    )


# Scales statistics offices put before a unit: 万元 and 亿元 are 元, 万人 is 人, 亿千瓦时 is 千瓦时.
_SCALES = {"万": 1e4, "亿": 1e8}


def unit_factor(unit: str, expected: str) -> float | None:
    """What a value in `unit` is multiplied by to be in `expected` (万元 -> 亿元: 0.0001);
    None when the two are not the same quantity at another scale."""
    unit, expected = unit.strip(), expected.strip()
    if unit == expected:
        return 1.0

    def split(u: str) -> tuple[str, float]:
        if len(u) > 1 and u[0] in _SCALES:
            return u[1:], _SCALES[u[0]]
        return u, 1.0

    (base, scale), (want, want_scale) = split(unit), split(expected)
    return scale / want_scale if base == want and base not in ("", "%") else None


# -- statistics periods -------------------------------------------------------------------------
_CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4}
_PERIOD_FORMS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], tuple[str, int]]], ...] = (
    # 2023-12, 2023/12, 2023.12, 2023年12月, 2023-12-31, 2023-12-01 00:00:00, 2023年12月31日
    (
        re.compile(
            r"(\d{4})\s*[-/.年]\s*(\d{1,2})(?:\s*月)?(?:\s*[-/.]\s*\d{1,2}\s*日?(?:[ T].*)?)?"
        ),
        lambda m: (m[1], int(m[2])),
    ),
    (re.compile(r"(\d{4})(\d{2})"), lambda m: (m[1], int(m[2]))),  # 202312
    # 2023年1-12月, 2023年1—9月 (cumulative to the last month)
    (
        re.compile(r"(\d{4})\s*年?\s*(?:1|一)\s*[-—–~至]\s*(\d{1,2})\s*月"),
        lambda m: (m[1], int(m[2])),
    ),
    (re.compile(r"(\d{4})\s*年?(?:全年|年度)?"), lambda m: (m[1], 12)),  # 2023, 2023年 (the year)
    (re.compile(r"(\d{4})\s*[-年]?\s*[Qq]([1-4])"), lambda m: (m[1], int(m[2]) * 3)),  # 2023Q3
    (
        re.compile(r"(\d{4})\s*年?\s*第?([一二三四1-4])季度"),
        lambda m: (m[1], _CN_DIGITS.get(m[2], 0) * 3 or int(m[2]) * 3),
    ),
    (
        re.compile(r"(\d{4})\s*年?\s*前([二两三23])季度"),
        lambda m: (m[1], _CN_DIGITS.get(m[2], 0) * 3 or int(m[2]) * 3),
    ),
    (re.compile(r"(\d{4})\s*年?\s*上半年"), lambda m: (m[1], 6)),
)
_EXCEL_EPOCH = dt.date(1899, 12, 30)  # Excel's day 0 (its 1900 leap-year bug included)


def parse_period(value: object) -> str | None:
    """A statistics period as the month it ends, YYYY-MM; None when it cannot be read.

    Read as statistics offices and spreadsheets write them: 2023-12, 2023年12月, 2023年1-12月,
    2023 (the year: its December), 2023Q3, 2023年前三季度, a date or an Excel serial date.
    A month without its year (1-12月) is not read: the year is not ours to guess."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (dt.date, pd.Timestamp)):
        return None if pd.isna(value) else f"{value.year:04d}-{value.month:02d}"
    if isinstance(value, (int, float)):
        if isinstance(value, float) and (math.isnan(value) or not value.is_integer()):
            return None
        value = str(int(value))
    text = unicodedata.normalize("NFKC", str(value)).strip()  # full-width digits, ～
    if re.fullmatch(r"\d{5}(?:\.0+)?", text):  # an Excel date cell read as its serial number
        day = _EXCEL_EPOCH + dt.timedelta(days=int(float(text)))
        return f"{day.year:04d}-{day.month:02d}"
    for pattern, read in _PERIOD_FORMS:
        match = pattern.fullmatch(text)
        if match:
            year, month = read(match)
            if 1900 <= int(year) <= 2200 and 1 <= month <= 12:
                return f"{int(year):04d}-{month:02d}"
            return None
    return None


def _normalise_periods(report: Report, frame: pd.DataFrame, column: str) -> None:
    """Periods in YYYY-MM; a value that is no period is rejected (its row would vanish)."""
    values = frame[column]
    parsed = values.map(parse_period)
    unreadable = values.notna() & parsed.isna()
    if unreadable.any():
        shown = "、".join(sorted({str(v) for v in values[unreadable]})[:3])
        flag(
            report,
            unreadable,
            f"{column} 无法识别为统计期（应如 2023-12、2023年1-12月）：{shown}",
            f"{column} 有 {{n}} 行无法识别为统计期（应如 2023-12、2023年1-12月）：{shown}",
        )
    rewritten = values.notna() & parsed.notna() & (values.astype(str) != parsed)
    if rewritten.any():
        report.fixed[column] = parsed.where(parsed.notna(), values).reset_index(drop=True)
        shown = "、".join(sorted({str(v) for v in values[rewritten]})[:3])
        report.warnings.append(
            f"{column} 有 {int(rewritten.sum())} 行写作 {shown} 等，已按月份读取"
        )


# -- county figures against the city's ----------------------------------------------------------
def county_sum_flags(
    frame: pd.DataFrame, catalog: Catalog, city_code: str, county_codes: list[str]
) -> list[str]:
    """Where the counties' figures of an additive indicator do not add up to the city's one,
    beyond the rounding of the figures as written: one line each (latest releases only).

    Compared only when every county has its figure: a county not yet reported is missing,
    not a difference. Rates, indices and averages (additive: false) are never summed."""
    if frame.empty or not catalog.additive:
        return []
    keys = ["indicator_id", "county_code", "period", "period_type"]
    latest = frame.sort_values("release_date").drop_duplicates(keys, keep="last")
    latest = latest[latest["indicator_id"].isin(catalog.additive) & latest["value"].notna()]
    flags = []
    for (indicator, period, kind), rows in latest.groupby(
        ["indicator_id", "period", "period_type"], sort=True
    ):
        city = rows.loc[rows["county_code"] == city_code, "value"]
        parts = rows[rows["county_code"].isin(county_codes)]
        if city.empty or set(parts["county_code"]) != set(county_codes):
            continue
        values = [float(v) for v in [*parts["value"], city.iloc[0]]]
        decimals = max(_decimals(v) for v in values)
        # Each figure is rounded to its last decimal: the sum may be off by half a unit of it
        # per figure (13 figures at 0.1: 0.65).
        slack = len(values) * 0.5 * 10**-decimals + 1e-9
        total, whole = sum(values[:-1]), values[-1]
        if abs(total - whole) > slack:
            name = catalog.names.get(indicator, indicator)
            unit = catalog.units.get(indicator, "")
            form = "当月" if kind == "month" else "累计"
            flags.append(
                f"{name} {period}（{form}）县区合计 {total:.{decimals}f}{unit}，"
                f"全市 {whole:.{decimals}f}{unit}，相差 {total - whole:+.{decimals}f}"
            )
    return flags


def _decimals(value: float) -> int:
    """Decimals of a figure as written (its shortest form), at most 4."""
    text = f"{round(value, 4):.4f}".rstrip("0")
    return min(len(text.split(".")[1]), 4) if "." in text else 0


# -- what may be shown to a browser -------------------------------------------------------------
# An absolute POSIX path (a quarantine report, a drop folder) inside a message.
_PATH = re.compile(r"/(?:[^\s/（）()，,；;]+/)+([^\s/（）()，,；;]+)")


def without_paths(text: str) -> str:
    """A message with every absolute path cut to its file name (no server layout shown)."""
    return _PATH.sub(lambda m: m.group(1), text or "")
