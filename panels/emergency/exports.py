"""The events being handled as CSV and Excel, as the emergency screen lists them."""

from __future__ import annotations

import pandas as pd

from cockpit import clock
from cockpit.exports import ExportTable, Header, Table
from cockpit.formatting import as_of as as_of_text
from cockpit.hub import DataHub
from panels.emergency import data
from panels.emergency.transform import LEVEL_NAMES, LEVEL_WORDS

COLUMNS = {
    "event_id": "事件编号",
    "title": "事件",
    "category": "类别",
    "event_type": "类型",
    "level": "级别",
    "county": "县区",
    "place": "地点",
    "occurred_at": "发生时间",
    "reported_at": "接报时间",
    "status": "状态",
    "response_level": "应急响应",
    "deaths": "死亡（人）",
    "injuries": "受伤（人）",
    "updated_at": "最后更新",
}


def events(hub: DataHub, params: dict[str, str]) -> Table:
    """Events not yet ended for the screen's county (or all in scope)."""
    county = params.get("county")
    county = None if county in (None, "", "city") else county
    bound = data.window_bound(clock.now(), 60)
    seen = data.events_probe(hub, county, bound)
    result = data.active_events(hub, county, seen, bound)
    frame = result.frame.copy()
    names = hub.settings.city.county_names
    if not frame.empty:
        frame["county"] = [names.get(c, c) for c in frame["county_code"]]
        frame["level"] = [
            f"{LEVEL_WORDS.get(int(v), '')}（{LEVEL_NAMES.get(int(v), '')}）"
            for v in frame["level"]
        ]
        frame["response_level"] = [
            "—" if pd.isna(v) else f"{LEVEL_NAMES.get(int(v), '')}响应"
            for v in frame["response_level"]
        ]
        frame = frame[list(COLUMNS)].rename(columns=COLUMNS)
    else:
        frame = pd.DataFrame(columns=list(COLUMNS.values()))
    place = names.get(county, "全市") if county else "全市"
    header = Header(
        title=f"{hub.settings.city.name}正在处置的突发事件",
        place=place,
        period=f"截至{as_of_text(result.as_of)}",
        as_of=as_of_text(result.as_of),
        units="起；伤亡为人，“—”为待核实",
        is_demo=result.is_demo,
    )
    return Table(frame, header, f"{hub.settings.city.name}突发事件_{place}_{clock.today()}")


TABLES = (ExportTable("emergency.events", "正在处置的突发事件", events),)
