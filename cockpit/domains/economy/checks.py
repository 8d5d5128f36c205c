"""The indicator catalog's rules for economy.indicator_values, beyond its contract.

cockpit.validation.check_batch runs them through the registry (MODULE.checks), in every mode
(sync, file drops, the hub's check of the live table), given the catalog built from
config/indicators.yaml (cockpit.validation.economy_catalog).
"""

from __future__ import annotations

import pandas as pd

from cockpit.modules import DatasetCheck
from cockpit.validation import Catalog, Report, flag, unit_factor


def normalise_units(report: Report, frame: pd.DataFrame, catalog: Catalog) -> None:
    """Convert values written at another scale of the catalog's unit; reject other units."""
    if not {"indicator_id", "unit", "value"} <= set(frame.columns):
        return
    values = pd.to_numeric(frame["value"], errors="coerce")
    new_values = frame["value"].copy()
    new_units = frame["unit"].copy()
    changed = False
    pairs = frame[["indicator_id", "unit"]].dropna().drop_duplicates()
    for indicator, unit in pairs.itertuples(index=False):
        expected = catalog.units.get(indicator)
        if expected is None or str(unit).strip() == expected:
            continue
        rows = (frame["indicator_id"] == indicator) & (frame["unit"] == unit)
        factor = unit_factor(str(unit), expected)
        if factor is None:
            flag(
                report,
                rows,
                f"指标 {indicator} 的单位是 {unit}，目录中为 {expected}（无法换算）",
                f"指标 {indicator} 有 {{n}} 行单位是 {unit}，目录中为 {expected}（无法换算）",
            )
            continue
        numeric = rows & values.notna()
        # round: 3532000 万元 x 0.0001 is 353.20000000000005 亿元 in binary, 353.2 as written
        new_values = new_values.where(~numeric, (values * factor).round(10))
        new_units = new_units.where(~rows, expected)
        changed = True
        report.warnings.append(
            f"指标 {indicator} 有 {int(rows.sum())} 行单位是 {unit}，已换算为 {expected}"
        )
    if changed:
        report.fixed["value"] = new_values.astype(object).reset_index(drop=True)
        report.fixed["unit"] = new_units.reset_index(drop=True)


def non_negative(report: Report, frame: pd.DataFrame, catalog: Catalog) -> None:
    """Amounts that add up (additive: true) are never negative."""
    if not catalog.non_negative or "value" not in frame.columns:
        return
    numbers = pd.to_numeric(frame["value"], errors="coerce")
    for indicator in sorted(set(frame["indicator_id"].dropna()) & catalog.non_negative):
        negative = (frame["indicator_id"] == indicator) & (numbers < 0)
        flag(
            report,
            negative,
            f"指标 {indicator} 的数值为负数",
            f"指标 {indicator} 有 {{n}} 行数值为负数（总量指标不能为负）",
        )


CHECKS = (DatasetCheck("economy.indicator_values", normalise=normalise_units, check=non_negative),)
