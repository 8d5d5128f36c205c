"""The indicator table, and its export as CSV (UTF-8 with BOM, for Excel) and as Excel.

The header of both files carries what a figure needs to be read: place, period, units and
数据截至 (and that the data are demo data, where they are). A missing figure is written '—',
never 0; projections are not exported (they are not statistics).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from cockpit import exports
from cockpit.domains.economy.transform import Reading
from cockpit.exports import Header

STATUS_WORDS = {"green": "达标", "yellow": "预警", "red": "落后", "none": "—"}
MISSING = exports.MISSING


@dataclass(frozen=True)
class TableMeta:
    """What the header of an exported table says."""

    city: str
    place: str  # 全市 or the county's name
    period_text: str  # 2026年1-10月
    as_of: str  # 数据截至 text
    is_demo: bool = False


# Column headers; units sit in the header where a column has one, else in the 单位 column.
COLUMNS = (
    "指标",
    "统计期",
    "数值",
    "单位",
    "同比增速（%）",
    "增速来源",
    "比上期（百分点）",
    "增速目标（%）",
    "与目标差（百分点）",
    "年度目标完成（%）",
    "序时进度（%）",
    "状态",
    "县区排名",
    "排名变化（位，正为上升）",
    "来源部门",
)
EXPORT_COLUMNS = (*COLUMNS, "备注")


def indicator_table(readings: list[Reading], departments: dict[str, str]) -> pd.DataFrame:
    """One row per indicator with the figures of its reading (numbers stay numbers; NaN when
    missing)."""
    rows = []
    for r in readings:
        growth_source = "测算" if r.growth_computed else ("发布" if r.growth is not None else "")
        rows.append(
            {
                "指标": r.name,
                "统计期": r.label if r.period else MISSING,
                "数值": _n(r.value) if r.unit != "%" else math.nan,
                "单位": r.unit,
                "同比增速（%）": _n(r.growth),
                "增速来源": growth_source,
                "比上期（百分点）": _n(r.growth_change),
                "增速目标（%）": _n(r.target_growth),
                "与目标差（百分点）": _n(r.target_gap),
                "年度目标完成（%）": _round(r.completion),
                "序时进度（%）": _round(r.elapsed) if r.completion is not None else math.nan,
                "状态": STATUS_WORDS.get(r.status, MISSING),
                "县区排名": f"{r.rank}/{r.rank_of}" if r.rank is not None else "",
                "排名变化（位，正为上升）": _n(r.rank_change),
                "来源部门": departments.get(r.indicator_id, ""),
                "_note": r.note if r.value is None and r.growth is None else "",
                # Decimals as published, for the screen (not exported: numbers stay numbers).
                "_value_decimals": r.value_decimals,
                "_growth_decimals": r.growth_decimals,
            }
        )
    return pd.DataFrame(rows, columns=[*COLUMNS, "_note", "_value_decimals", "_growth_decimals"])


def header(meta: TableMeta) -> Header:
    """What the shared export header says for the indicator table."""
    return Header(
        title=f"{meta.city}经济运行主要指标",
        place=meta.place,
        period=f"{meta.period_text}（季度指标为最近一季；各行“统计期”为该指标的期别）",
        as_of=meta.as_of,
        units="数值见各行“单位”列；增速为%，变化为百分点；“—”表示数据缺失，不按零计",
        is_demo=meta.is_demo,
    )


def header_lines(meta: TableMeta) -> list[list[str]]:
    """The lines above the table: title, place, period, as-of, units, and the demo label."""
    return header(meta).lines()


def export_frame(table: pd.DataFrame) -> pd.DataFrame:
    """The table as exported: the note of a row without a figure (数据未报送) in 备注."""
    out = table[[*COLUMNS, "_note"]].rename(columns={"_note": "备注"})
    out["备注"] = out["备注"].fillna("")
    return out


def to_csv(table: pd.DataFrame, meta: TableMeta) -> bytes:
    """The table as CSV in UTF-8 with a byte-order mark (Excel then reads the Chinese right)."""
    return exports.to_csv(export_frame(table), header(meta))


def to_xlsx(table: pd.DataFrame, meta: TableMeta) -> bytes:
    """The table as an Excel workbook: the header lines, then the table with bold column names."""
    return exports.to_xlsx(export_frame(table), header(meta), "主要指标", first_width=26)


def _n(value: float | int | None) -> float:
    return math.nan if value is None or pd.isna(value) else value


def _round(value: float | None) -> float:
    return math.nan if value is None or pd.isna(value) else round(value, 1)
