"""Pure functions of the risk screen: counts by level and domain, the trend, map positions."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from cockpit.domains.risk.config import DOMAINS

LEVELS = (1, 2, 3, 4)
STAGES = ("发布", "响应", "处置", "解除")
LABEL_STEP = 0.045  # degrees between markers placed at a county label


def level_counts(frame: pd.DataFrame) -> dict[int, int]:
    """Warnings per level (every level present, zero where none)."""
    counts = frame["level"].value_counts() if not frame.empty else pd.Series(dtype=int)
    return {lv: int(counts.get(lv, 0)) for lv in LEVELS}


def domain_level_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Warnings per domain (rows, in the standard order) and level (columns 1-4)."""
    domains = list(DOMAINS) + sorted(set(frame.get("domain", [])) - set(DOMAINS))
    if frame.empty:
        return pd.DataFrame(0, index=pd.Index(domains, name="domain"), columns=list(LEVELS))
    table = pd.crosstab(frame["domain"], frame["level"])
    return table.reindex(index=domains, columns=list(LEVELS), fill_value=0).rename_axis("domain")


def month_range(period: str, months: int) -> list[str]:
    """The `months` months ending with `period`, oldest first (YYYY-MM)."""
    end = pd.Period(period, freq="M")
    return [str(end - i) for i in range(months - 1, -1, -1)]


def trend(issued: pd.DataFrame, lifted: pd.DataFrame, months: list[str]) -> pd.DataFrame:
    """New and lifted warnings per month; a month without any is a real zero (a count)."""
    out = pd.DataFrame({"month": months})
    for frame, name in ((issued, "issued"), (lifted, "lifted")):
        values = dict(zip(frame.get("month", []), frame.get(name, []), strict=True))
        out[name] = [int(values.get(m, 0)) for m in months]
    return out


def lon_scale(outlines: dict[str, dict[str, Any]]) -> float:
    """cos(mid-latitude) of the map, as cockpit.maps.county_outlines scales longitudes."""
    ys = [y for county in outlines.values() for ring in county["rings"] for _x, y in ring]
    return math.cos(math.radians((min(ys) + max(ys)) / 2))


def map_points(frame: pd.DataFrame, outlines: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """Where to draw each warning: its own lon/lat, or its county's label when it has none.

    Adds x, y (screen coordinates of the county map) and `located` (True: own position).
    """
    if frame.empty:
        return frame.assign(x=pd.Series(dtype=float), y=pd.Series(dtype=float), located=False)
    scale = lon_scale(outlines)
    xs: list[float | None] = []
    ys: list[float | None] = []
    located: list[bool] = []
    # Warnings without a position sit in a row just below their county's label, side by side.
    unplaced = frame[frame["lon"].isna() | frame["lat"].isna()].groupby("county_code").cumcount()
    per_county = frame[frame["lon"].isna() | frame["lat"].isna()]["county_code"].value_counts()
    for index, row in zip(frame.index, frame.itertuples(), strict=True):
        lon, lat = row.lon, row.lat
        if lon is not None and lat is not None and not pd.isna(lon) and not pd.isna(lat):
            xs.append(float(lon) * scale)
            ys.append(float(lat))
            located.append(True)
        elif row.county_code in outlines:
            x, y = outlines[row.county_code]["label"]
            slot = int(unplaced.get(index, 0)) - (int(per_county.get(row.county_code, 1)) - 1) / 2
            xs.append(x + slot * LABEL_STEP)
            ys.append(y - 1.6 * LABEL_STEP)
            located.append(False)
        else:  # a city-wide warning: no point on the map
            xs.append(None)
            ys.append(None)
            located.append(False)
    return frame.assign(x=xs, y=ys, located=located)


def county_counts(frame: pd.DataFrame, counties: list[str]) -> dict[str, float]:
    """Warnings in force per county; a county without any has 0 (a count, not a gap)."""
    counts = frame["county_code"].value_counts() if not frame.empty else pd.Series(dtype=int)
    return {c: float(counts.get(c, 0)) for c in counties}


def stage_index(stage: str) -> int:
    """Where a warning is in its lifecycle 发布 → 响应 → 处置 → 解除 (0-3)."""
    return STAGES.index(stage) if stage in STAGES else 0
