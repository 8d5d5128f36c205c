"""Emergency tables as CSV and Excel: events being handled, resources, the duty roster."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from cockpit import clock
from cockpit.domains.emergency import data
from cockpit.domains.emergency.transform import LEVEL_NAMES, LEVEL_WORDS
from cockpit.exports import ExportError, ExportTable, Header, Table, place_label
from cockpit.formatting import as_of as as_of_text
from cockpit.hub import DataHub
from cockpit.shell import screen_county

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
    county = screen_county(params.get("county"))
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
    place = place_label(hub, county)
    header = Header(
        title=f"{hub.settings.city.name}正在处置的突发事件",
        place=place,
        period=f"截至{as_of_text(result.as_of)}",
        as_of=as_of_text(result.as_of),
        units="起；伤亡为人，“—”为待核实",
        is_demo=result.is_demo,
    )
    return Table(frame, header, f"{hub.settings.city.name}突发事件_{place}_{clock.today()}")


RESOURCE_COLUMNS = {
    "resource_id": "资源编号",
    "kind": "种类",
    "name": "名称",
    "county": "县区",
    "capacity": "容量",
    "available": "当前可用",
    "unit": "计量单位",
    "contact": "联系人",
    "phone": "联系电话",
}
ROSTER_DAYS = 7  # today and the week ahead, as a duty office circulates it
ROSTER_COLUMNS = {
    "duty_date": "值班日期",
    "role": "岗位",
    "name": "姓名",
    "post": "职务",
    "phone": "电话",
}


def resources(hub: DataHub, params: dict[str, str]) -> Table:
    """Every emergency resource in scope (of the screen's county, if one is chosen)."""
    county = screen_county(params.get("county"))
    bound = data.window_bound(clock.now(), 60)
    result = data.resources(hub, data.resources_probe(hub, bound), bound)
    frame = result.frame.copy()
    if county is not None and not frame.empty:
        frame = frame[frame["county_code"] == county]
    names = hub.settings.city.county_names
    if not frame.empty:
        frame["county"] = [names.get(c, c) for c in frame["county_code"]]
        frame = frame[list(RESOURCE_COLUMNS)].rename(columns=RESOURCE_COLUMNS)
    else:
        frame = pd.DataFrame(columns=list(RESOURCE_COLUMNS.values()))
    place = place_label(hub, county)
    header = Header(
        title=f"{hub.settings.city.name}应急资源",
        place=place,
        period=f"截至{as_of_text(result.as_of)}",
        as_of=as_of_text(result.as_of),
        units="容量与可用按各资源计量单位（人、床位、件）",
        is_demo=result.is_demo,
    )
    return Table(frame, header, f"{hub.settings.city.name}应急资源_{place}_{clock.today()}")


def roster(hub: DataHub, params: dict[str, str]) -> Table:
    """The duty roster from today for ROSTER_DAYS days."""
    today = clock.today()
    days = [today + dt.timedelta(days=i) for i in range(ROSTER_DAYS)]
    frames = [data.duty_roster(hub, day) for day in days]
    failed = next((r for r in frames if r.error), None)
    if failed is not None:
        raise ExportError(f"值班表读取失败：{failed.error}")
    frame = pd.concat([r.frame for r in frames if not r.frame.empty] or [pd.DataFrame()])
    if not frame.empty:
        frame["duty_date"] = [f"{pd.Timestamp(d):%Y-%m-%d}" for d in frame["duty_date"]]
        frame = frame[list(ROSTER_COLUMNS)].rename(columns=ROSTER_COLUMNS)
    else:
        frame = pd.DataFrame(columns=list(ROSTER_COLUMNS.values()))
    # The roster's contract has no update-time column: say when it was read instead.
    stamp = (
        as_of_text(hub.as_of("contacts.duty_roster")) if hub.as_of("contacts.duty_roster") else None
    )
    stamp = stamp or f"{clock.now():%Y-%m-%d %H:%M}（读取时间；值班表未提供更新时间）"
    header = Header(
        title=f"{hub.settings.city.name}值班表",
        place="全市",
        period=f"{days[0]:%Y年%m月%d日}至{days[-1]:%Y年%m月%d日}",
        as_of=stamp,
        units="人",
        is_demo=any(r.is_demo for r in frames),
        notes=("未报送的日期不列出",),
    )
    return Table(frame, header, f"{hub.settings.city.name}值班表_{days[0]}")


TABLES = (
    ExportTable("emergency.events", "正在处置的突发事件", events),
    ExportTable("emergency.resources", "应急资源", resources),
    ExportTable("emergency.roster", "值班表", roster),
)
