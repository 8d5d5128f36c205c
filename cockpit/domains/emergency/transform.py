"""Pure functions of the emergency screen: distances, nearest resources, counts, the timeline.

Nothing here talks to the hub or to Dash: frames and values in, frames and values out, so
every rule of the screen is tested on hand-made data.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

EARTH_RADIUS_KM = 6371.0088  # the IUGG mean Earth radius
ENDED = "已结束"
STATUSES = ("接报", "处置中", ENDED)
LEVELS = (1, 2, 3, 4)
LEVEL_NAMES = {1: "Ⅰ级", 2: "Ⅱ级", 3: "Ⅲ级", 4: "Ⅳ级"}
LEVEL_WORDS = {1: "特别重大", 2: "重大", 3: "较大", 4: "一般"}
WARNING_NAMES = {1: "红色", 2: "橙色", 3: "黄色", 4: "蓝色"}
CATEGORIES = ("自然灾害", "事故灾难", "公共卫生事件", "社会安全事件")
ENTRY_KINDS = ("接报", "指令", "处置", "续报")
RESOURCE_KINDS = ("救援队伍", "物资仓库", "避难场所", "医疗床位")
DUTY_ROLES = ("值班领导", "带班领导", "值班员")


# -- distances ------------------------------------------------------------------------------
def haversine_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in km between two points given in degrees."""
    return float(distances_km(lon1, lat1, np.array([lon2]), np.array([lat2]))[0])


def distances_km(lon: float, lat: float, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
    """Great-circle distances in km from one point to many (NaN where a point has no position)."""
    lon1, lat1 = math.radians(lon), math.radians(lat)
    lon2 = np.radians(np.asarray(lons, dtype=float))
    lat2 = np.radians(np.asarray(lats, dtype=float))
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    # min() guards against a rounding error pushing a just above 1 for antipodal points.
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(a, 1.0)))


def nearest_resources(
    resources: pd.DataFrame, lon: float, lat: float, per_kind: int = 3
) -> pd.DataFrame:
    """The `per_kind` nearest resources of each kind, with distance_km; kinds in screen order."""
    columns = [*resources.columns, "distance_km"]
    if resources.empty or lon is None or lat is None or pd.isna(lon) or pd.isna(lat):
        return pd.DataFrame(columns=columns)
    frame = resources.assign(
        distance_km=distances_km(
            float(lon),
            float(lat),
            resources["lon"].to_numpy(float),
            resources["lat"].to_numpy(float),
        )
    )
    frame = frame[frame["distance_km"].notna()]
    order = {kind: i for i, kind in enumerate(RESOURCE_KINDS)}
    frame = frame.assign(_kind=frame["kind"].map(order).fillna(len(order)))
    frame = frame.sort_values(["_kind", "kind", "distance_km"], kind="stable")
    return frame.groupby("kind", sort=False).head(per_kind).drop(columns="_kind")


# -- events ---------------------------------------------------------------------------------
def active_only(events: pd.DataFrame) -> pd.DataFrame:
    """Events not yet ended, most severe first, then the most recently reported."""
    if events.empty:
        return events
    active = events[events["status"].fillna("") != ENDED]
    return active.sort_values(["level", "reported_at"], ascending=[True, False], kind="stable")


def pick_event(active: pd.DataFrame, selected: str | None) -> str | None:
    """The event to show: the one selected if it is still active, else the first (most severe)."""
    if active.empty:
        return None
    ids = [str(i) for i in active["event_id"]]
    return selected if selected in ids else ids[0]


def response_in_force(active: pd.DataFrame) -> tuple[int | None, str | None]:
    """The highest emergency response started among active events (1 is highest), and by which."""
    if active.empty or "response_level" not in active:
        return None, None
    started = active[active["response_level"].notna()]
    if started.empty:
        return None, None
    top = started.sort_values(["response_level", "reported_at"], ascending=[True, False]).iloc[0]
    return int(top["response_level"]), str(top["title"])


def casualties(active: pd.DataFrame) -> tuple[int | None, int | None]:
    """Deaths and injuries summed over events; None when a figure is missing (never 0 for it)."""
    if active.empty:
        return 0, 0
    out = []
    for column in ("deaths", "injuries"):
        values = active[column]
        out.append(None if values.isna().any() else int(values.sum()))
    return out[0], out[1]


def new_events(active_ids: list[str], seen: list[str] | None) -> list[str]:
    """Active events this browser has not seen yet; none on its very first visit."""
    if seen is None:
        return []
    known = set(seen)
    return [i for i in active_ids if i not in known]


@dataclass(frozen=True)
class CountRow:
    """One line of a count table: a label, today's count and this year's."""

    label: str
    today: int | None
    year: int | None
    detail: str = ""


def count_rows(frame: pd.DataFrame, key: str, labels: dict) -> list[CountRow]:
    """Sum today/year counts by `key` (level or category); every label gets a row, 0 if none.

    `frame` holds counts the engine computed per (level, category, event_type): columns
    today and year. Types are listed in `detail`, largest first, for the category rows.
    """
    rows = []
    for value, label in labels.items():
        part = frame[frame[key] == value] if not frame.empty else frame
        detail = ""
        if key == "category" and not part.empty:
            by_type = part.groupby("event_type")["year"].sum().sort_values(ascending=False)
            detail = " · ".join(f"{t}{int(n)}" for t, n in by_type.items() if n > 0)
        rows.append(
            CountRow(
                label,
                int(part["today"].sum()) if not part.empty else 0,
                int(part["year"].sum()) if not part.empty else 0,
                detail,
            )
        )
    # A category the city uses that the screen does not know still counts, under its own name.
    if key == "category" and not frame.empty:
        for other in sorted(set(frame[key].dropna()) - set(labels)):
            part = frame[frame[key] == other]
            rows.append(CountRow(str(other), int(part["today"].sum()), int(part["year"].sum())))
    return rows


# -- the timeline ---------------------------------------------------------------------------
@dataclass(frozen=True)
class TimelineEntry:
    """One line of an event's timeline."""

    at: dt.datetime
    kind: str
    text: str
    by: str
    offset: str  # time since the event was reported, e.g. "+1小时10分"


def build_timeline(entries: pd.DataFrame, reported_at: dt.datetime | None) -> list[TimelineEntry]:
    """The event's reports and instructions in time order (接报 before 指令 at the same minute)."""
    if entries.empty:
        return []
    rank = {kind: i for i, kind in enumerate(ENTRY_KINDS)}
    frame = entries.assign(_rank=entries["entry_kind"].map(rank).fillna(len(rank)))
    frame = frame.sort_values(["at", "_rank"], kind="stable")
    start = pd.Timestamp(reported_at) if reported_at is not None else None
    out = []
    for row in frame.itertuples():
        at = pd.Timestamp(row.at)
        offset = elapsed_text((at - start).total_seconds() / 60) if start is not None else ""
        by = "" if row.by is None or pd.isna(row.by) else str(row.by)
        out.append(
            TimelineEntry(at.to_pydatetime(), str(row.entry_kind), str(row.text), by, offset)
        )
    return out


def elapsed_text(minutes: float) -> str:
    """Minutes after the report as a short label: +0分, +20分, +3小时05分, +2天3小时."""
    if minutes is None or math.isnan(minutes):
        return ""
    sign = "-" if minutes < 0 else "+"
    total = int(round(abs(minutes)))
    days, rest = divmod(total, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{sign}{days}天{hours}小时"
    if hours:
        return f"{sign}{hours}小时{mins:02d}分"
    return f"{sign}{mins}分"


# -- people and phones ----------------------------------------------------------------------
def roster_rows(frame: pd.DataFrame) -> list[dict]:
    """Today's duty roster in the order 值班领导, 带班领导, 值班员 (other roles after)."""
    if frame.empty:
        return []
    rank = {role: i for i, role in enumerate(DUTY_ROLES)}
    ordered = frame.assign(_rank=frame["role"].map(rank).fillna(len(rank)))
    ordered = ordered.sort_values(["_rank", "role"], kind="stable")
    return ordered.drop(columns="_rank").to_dict("records")
