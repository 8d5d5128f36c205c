"""The township (乡镇/街道) level below the counties, where a city supplies it.

A city that has a township boundary file (`city.township_file`, GeoJSON, feature id = the
9-digit 统计用区划代码 of the township) and data that carry township codes (the tickets'
optional `township_code`) lets a chosen county drill down to its townships on the map and in
the ranking. Without the file, or without codes for a county, the county stays the lowest
level and nothing on screen speaks of townships: every function here answers "none" then.

No Dash here: the check-config lines and the aggregation are pure and tested alone.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from cockpit.geo import load_boundaries

# Where a township's data code sits in a dataset (the tickets' contract names it alike).
TOWNSHIP_COLUMN = "township_code"


@dataclass(frozen=True)
class Township:
    """One township of the boundary file: its code, name and county."""

    code: str
    name: str
    county: str


@lru_cache(maxsize=4)
def read_townships(path: str) -> tuple[Township, ...]:
    """Every township of a boundary file, in the file's order (read once per path).

    A feature's county is its `properties.county` where given, else the first six digits of
    its code (the 统计用区划代码 of a township begins with its county's)."""
    out = []
    for feature in load_boundaries(Path(path))["features"]:
        code = str(feature["id"])
        props = feature["properties"]
        out.append(Township(code, str(props["name"]), str(props.get("county") or code[:6])))
    return tuple(out)


def townships_of(settings: Any, county: str | None) -> dict[str, str]:
    """Code -> name of a county's townships; empty without a township file or a county."""
    path = township_path(settings)
    if path is None or not county:
        return {}
    former = dict(settings.city.former_codes)
    return {
        t.code: t.name
        for t in read_townships(str(path))
        if former.get(t.county, t.county) == county
    }


def township_path(settings: Any) -> Path | None:
    """The configured township boundary file, or None where the city has none."""
    return settings.city.township_path()


def township_counts(
    frame: pd.DataFrame, names: Mapping[str, str], column: str = TOWNSHIP_COLUMN
) -> pd.DataFrame:
    """A per-code counts frame (as the hub's group-by answers) renamed to the rankings'
    `county_code` column, keeping only the county's own townships: the county ranking's rules
    (every place listed, none missing as 0) then hold for townships unchanged."""
    if frame.empty or column not in frame.columns:
        return frame.iloc[0:0].rename(columns={column: "county_code"})
    kept = frame[frame[column].astype(str).isin(set(names))]
    return kept.rename(columns={column: "county_code"})


# -- check-config --------------------------------------------------------------------------------
def file_problems(path: Path, counties: Iterable[str], former: Mapping[str, str]) -> list[str]:
    """One line per township of the file whose county is not one of the city's."""
    known = set(counties)
    try:
        found = read_townships(str(path))
    except (OSError, ValueError) as exc:
        return [f"city.township_file: {' '.join(str(exc).split())}"]
    return [
        f"city.township_file: {path.name} 中的乡镇 {t.code} {t.name} 不属于本市任何县区"
        f"（县区代码 {t.county}）"
        for t in found
        if former.get(t.county, t.county) not in known
    ]


def data_problems(path: Path, dataset: str, codes: Iterable[object]) -> list[str]:
    """One line per township code found in the data but not in the boundary file."""
    try:
        known = {t.code for t in read_townships(str(path))}
    except (OSError, ValueError):
        return []  # the file's own problem is reported by file_problems
    seen = sorted({str(c) for c in codes if _present(c)} - known)
    return [f"{dataset}: 数据中的乡镇代码 {code} 不在乡镇边界文件 {path.name} 中" for code in seen]


def _present(value: object) -> bool:
    if value is None:
        return False
    return not (isinstance(value, float) and math.isnan(value)) and str(value) != ""


def codes_in_data(hub: Any) -> dict[str, list[object]] | str:
    """The township codes each dataset with a township column holds (whole city: run outside a
    request, as the system principal), or the first source's error as one line."""
    from cockpit.contracts import CONTRACTS
    from data_sources.query import DatasetQuery, Filter, Measure

    found: dict[str, list[object]] = {}
    for name, contract in CONTRACTS.items():
        column = contract.township_column
        if column is None or name not in hub.settings.datasets:
            continue
        query = DatasetQuery(
            filters=(Filter(column.name, "not_null"),),
            group_by=(column.name,),
            measures=(Measure("rows", "count"),),
        )
        result = hub.query(name, query)
        if result.error:
            return f"{name}: 无法读取乡镇代码（{result.error}）"
        found[name] = list(result.frame[column.name])
    return found
