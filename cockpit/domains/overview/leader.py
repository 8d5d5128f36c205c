"""我的驾驶舱: what a leader's landing page shows first, from what the account 分管 (pure rules).

The data is what the overview already reads (its attention items per county, the key tasks
with their lights, the warnings in force, the open 督办 cases), read by the caller through the
hub within the user's scope. Here it is cut down to the leader's links (cockpit/leaders.py)
and put in the leader's own order: modules, tasks, bureaus and counties in the order the
administrator linked them. Linked counties narrow every group but the explicitly linked tasks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pandas as pd

from cockpit.domains.overview.transform import LEVEL_NAMES, Attention
from cockpit.leaders import Links
from cockpit.links import bureau_href, item_link

RISK_PATH = "/risk"
TASK_PATH = "/key-work"
LIGHT_SEVERITY = {"red": 1, "yellow": 2}


@dataclass(frozen=True)
class BureauLine:
    """A linked bureau: how many tasks it leads, how many are red or yellow, its warnings."""

    name: str
    tasks: int
    red: int
    yellow: int
    warnings: int
    href: str


@dataclass
class LeaderView:
    """The leader's own part of the landing page."""

    links: Links
    counties: tuple[str, ...]  # the linked counties this session may see, in the leader's order
    modules: list[tuple[str, str, str | None]] = field(default_factory=list)  # key, title, href
    red: list[Attention] = field(default_factory=list)  # red lights of its modules and tasks
    warnings: list[Attention] = field(default_factory=list)  # warnings in force that are its
    overdue: list[Attention] = field(default_factory=list)  # overdue tasks and 督办 items
    tasks: list[Attention] = field(default_factory=list)  # each linked task, with its light
    bureaus: list[BureauLine] = field(default_factory=list)
    missing_tasks: tuple[str, ...] = ()  # linked tasks not found within the user's scope
    counties_outside: bool = False  # every linked county lies outside the account's scope


def _path(href: str | None) -> str | None:
    return urlsplit(href).path if href else None


def _in_counties(frame: pd.DataFrame, counties: Sequence[str]) -> pd.Series:
    """Rows of the linked counties (every row when none is linked)."""
    if not counties or frame.empty:
        return pd.Series(True, index=frame.index)
    return frame["county_code"].astype(str).isin(set(counties))


def _order(values: Sequence[str], value: object) -> int:
    """The position of a value in the leader's order (unlinked values last)."""
    try:
        return list(values).index(str(value))
    except ValueError:
        return len(values)


def task_item(task: object, period: str | None, county: str | None, place: str = "") -> Attention:
    """A key task as a line of the leader's list, linked to it on 重点工作."""
    light = str(getattr(task, "light", ""))
    days_left = getattr(task, "days_left", None)
    late = (
        f"逾期{-int(days_left)}天"
        if days_left is not None and not pd.isna(days_left) and days_left < 0 and light != "done"
        else {"red": "红灯", "yellow": "黄灯", "green": "正常推进", "done": "已完成"}.get(light, "")
    )
    text = f"{place}{getattr(task, 'title', '')}（{getattr(task, 'lead_unit', '')}，{late}，进度{int(getattr(task, 'progress', 0))}%）"
    return Attention(
        LIGHT_SEVERITY.get(light, 3),
        "重点工作",
        text,
        item_link(TASK_PATH, "task", str(getattr(task, "task_id", "")), period, county),
    )


def _case_href(case: object, period: str | None) -> str:
    """Where a 督办 item is seen: its own link (a signal's screen), else its task."""
    link = getattr(case, "link", None)
    if link:
        return str(link)
    task_id = getattr(case, "task_id", None)
    return item_link(TASK_PATH, "task", str(task_id), period) if task_id else TASK_PATH


def leader_view(
    links: Links,
    counties: tuple[str, ...],
    *,
    module_titles: Mapping[str, str],
    module_paths: Mapping[str, str],
    county_names: Mapping[str, str],
    place_items: Sequence[tuple[str | None, Attention]],
    tasks: pd.DataFrame,
    warnings: pd.DataFrame,
    cases: Sequence[object] = (),
    period: str | None = None,
    today: dt.date | None = None,
) -> LeaderView:
    """The leader's groups, each in the leader's own order.

    place_items: the overview's attention items computed for each linked county (None: the
    whole scope); tasks: every key task in scope with its light; warnings: the warnings in
    force in scope; cases: the open 督办 cases past their deadline."""
    view = LeaderView(links, counties)
    view.counties_outside = bool(links.counties) and not counties
    if view.counties_outside:
        return view  # a link never widens: nothing of another county is shown first
    paths = {key: module_paths.get(key) for key in links.modules}
    view.modules = [(k, module_titles.get(k, k), paths[k]) for k in links.modules]
    county = counties[0] if len(counties) == 1 else None

    # Red lights of its modules: the overview's own items, per linked county, module by module.
    for key in links.modules:
        path = paths[key]
        if path is None or path == RISK_PATH:  # warnings have a group of their own
            continue
        for place, item in place_items:
            if _path(item.href) == path:
                prefix = f"【{county_names[place]}】" if place and place in county_names else ""
                view.red.append(
                    Attention(item.severity, item.module, prefix + item.text, item.href)
                )

    in_place = _in_counties(tasks, counties) if not tasks.empty else pd.Series(dtype=bool)
    # Its linked tasks, in its order, whatever their county (a task is linked by name).
    if not tasks.empty:
        by_id = {str(t.task_id): t for t in tasks.itertuples()}
        view.tasks = [task_item(by_id[t], period, county) for t in links.tasks if t in by_id]
        view.missing_tasks = tuple(t for t in links.tasks if t not in by_id)
    else:
        view.missing_tasks = links.tasks

    # Its bureaus: their tasks (in the linked counties) and the warnings they answer for.
    mine_warnings = pd.Series(False, index=warnings.index)
    if not warnings.empty:
        in_county = _in_counties(warnings, counties)
        bureau_rows = warnings["responsible_unit"].astype(str).isin(set(links.bureaus))
        if "risk" in links.modules or links.counties:
            mine_warnings |= in_county & (warnings["level"] <= 3)
        mine_warnings |= in_county & bureau_rows
    for name in links.bureaus:
        led = (
            tasks[(tasks["lead_unit"].astype(str) == name) & in_place] if not tasks.empty else tasks
        )
        lights = led["light"].value_counts() if "light" in led.columns else pd.Series(dtype=int)
        answered = (
            int((mine_warnings & (warnings["responsible_unit"].astype(str) == name)).sum())
            if not warnings.empty
            else 0
        )
        view.bureaus.append(
            BureauLine(
                name,
                len(led),
                int(lights.get("red", 0)),
                int(lights.get("yellow", 0)),
                answered,
                bureau_href(name, period, county),
            )
        )
        for t in led[led["light"] == "red"].itertuples() if "light" in led.columns else ():
            place = f"【{county_names[t.county_code]}】" if t.county_code in county_names else ""
            view.red.append(task_item(t, period, county, place))

    # Warnings in force that are its: by the county order, then level.
    if mine_warnings.any():
        shown = warnings[mine_warnings].assign(
            _place=[_order(counties, c) for c in warnings[mine_warnings]["county_code"]],
            _unit=[_order(links.bureaus, u) for u in warnings[mine_warnings]["responsible_unit"]],
        )
        for w in shown.sort_values(["_place", "_unit", "level"]).itertuples():
            place = f"【{county_names[w.county_code]}】" if w.county_code in county_names else ""
            view.warnings.append(
                Attention(
                    min(int(w.level), 3),
                    "风险管控",
                    f"{place}{LEVEL_NAMES.get(int(w.level), '')}预警：{w.title}（{w.stage}，{w.responsible_unit}）",
                    item_link(RISK_PATH, "warning", str(w.warning_id), period, county),
                )
            )

    # Overdue: its tasks past their deadline (linked, of its bureaus, or of its counties when it
    # 分管 重点工作), then open 督办 items past the deadline of the action they await.
    if not tasks.empty and "days_left" in tasks.columns:
        relevant = tasks["task_id"].astype(str).isin(set(links.tasks))
        relevant |= tasks["lead_unit"].astype(str).isin(set(links.bureaus)) & in_place
        if "key_work" in links.modules:
            relevant |= in_place
        late = tasks[relevant & (tasks["days_left"] < 0) & (tasks["light"] != "done")]
        late = late.assign(
            _task=[_order(links.tasks, t) for t in late["task_id"]],
            _unit=[_order(links.bureaus, u) for u in late["lead_unit"]],
            _place=[_order(counties, c) for c in late["county_code"]],
        ).sort_values(["_task", "_unit", "_place", "days_left"])
        for t in late.itertuples():
            place = f"【{county_names[t.county_code]}】" if t.county_code in county_names else ""
            view.overdue.append(task_item(t, period, county, place))
    for case in cases:
        case_county = str(getattr(case, "county_code", ""))
        if counties and case_county not in counties:
            continue
        ours = (
            getattr(case, "task_id", None) in links.tasks
            or getattr(case, "unit", None) in links.bureaus
            or bool(counties)
            or "key_work" in links.modules
        )
        if not ours:
            continue
        due = getattr(case, "due_at", None)
        when = f"，应于{due:%m月%d日}前答复" if due is not None else ""
        view.overdue.append(
            Attention(
                1,
                "督办",
                f"{getattr(case, 'title', '')}（{getattr(case, 'unit', '') or ''}逾期未答复{when}）",
                _case_href(case, period),
            )
        )
    return view
