"""我的驾驶舱 on the landing page: a leader account's own modules, tasks, bureaus and counties
first (cockpit/domains/overview/leader.py decides what; this reads the data and draws it).

Per user, never cached with the overview's cards: two leaders of the same scope share the
cards' cache entry but not their links.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from dash import dcc, html

from cockpit import clock, leaders
from cockpit.domains.key_work import data as key_work_data
from cockpit.domains.key_work.supervision import may_see, now_utc
from cockpit.domains.key_work.transform import with_lights
from cockpit.domains.overview.leader import LeaderView, leader_view
from cockpit.domains.overview.transform import Attention
from cockpit.hub import DataHub
from cockpit.modules import all_modules
from cockpit.store import StoreError, get_store
from panels.overview.figures import attention_items

SHOWN = 8  # per group: the landing page, not the module's own list


def links_of(hub: DataHub) -> leaders.Links:
    """The signed-in account's links (store first, then config/leaders.yaml)."""
    try:
        store = get_store(hub)
    except StoreError:
        store = None
    return leaders.links_for(store, hub.settings, hub.principal().user_id)


def build(hub: DataHub, period: str, links: leaders.Links, today: dt.date) -> LeaderView:
    """The leader's view for a period, read within the session's scope."""
    from cockpit.panels import all_panels
    from panels.overview.callbacks import build_overview

    principal = hub.principal()
    counties = leaders.shown_counties(links, principal)
    places: tuple[str | None, ...] = counties or (None,)
    place_items: list[tuple[str | None, Attention]] = []
    if links.modules and not (links.counties and not counties):
        for place in places:
            built = build_overview(hub, period, place, today)
            # The five modules' items and the configured domains' (config/domains/).
            everything = built["everything"] + built["domain_attention"]
            place_items += [(place, item) for item in everything]
    tasks = key_work_data.tasks(hub, None).frame
    if not tasks.empty:
        config = hub.module_config.get("key_work")
        rules = config.lights.rules() if config is not None else None
        milestones, _ = key_work_data.usable_milestones(key_work_data.milestones(hub, None))
        tasks = with_lights(tasks, today, rules, milestones)
    from cockpit.domains.overview import data

    warnings = data.warnings_in_force(hub, None, today).frame if hub.has("risk.warnings") else None
    try:
        cases = [
            c for c in get_store(hub).overdue_cases(now_utc()) if may_see(principal, c.county_code)
        ]
    except StoreError:
        cases = []
    import pandas as pd

    return leader_view(
        links,
        counties,
        module_titles={m.key: m.title for m in all_modules()},
        module_paths={p.key: p.path for p in all_panels()},
        county_names=hub.settings.city.county_names,
        place_items=place_items,
        tasks=tasks,
        warnings=warnings if warnings is not None else pd.DataFrame(),
        cases=cases,
        period=period,
        today=today,
    )


def _group(title: str, items: list[Attention], key: str, empty: str) -> html.Div:
    """One group of the leader's items: the first SHOWN, and how many in all."""
    count = html.Span(f"{len(items)}项", className="leader-count")
    body = (
        attention_items(items[:SHOWN]) if items else [html.Li(empty, className="attention-empty")]
    )
    more = (
        html.P(f"另有 {len(items) - SHOWN} 项，请在对应模块查看", className="panel-note")
        if len(items) > SHOWN
        else None
    )
    return html.Div(
        [
            html.H3([title, count], className="leader-group-title"),
            html.Ul(body, className="attention-list"),
            more,
        ],
        className=f"leader-group leader-{key}",
        id=f"overview-mine-{key}",
    )


def _chips(view: LeaderView, period: str, county_names: dict[str, str]) -> list:
    chips: list = []
    for _key, title, href in view.modules:
        chips.append(
            dcc.Link(title, href=f"{href}?{urlencode({'period': period})}", className="leader-chip")
            if href
            else html.Span(f"{title}（建设中）", className="leader-chip")
        )
    for code in view.counties:
        chips.append(
            dcc.Link(
                county_names.get(code, code),
                href=f"/?{urlencode({'period': period, 'county': code})}",
                className="leader-chip leader-chip-county",
            )
        )
    for line in view.bureaus:
        chips.append(
            dcc.Link(line.name, href=line.href, className="leader-chip leader-chip-bureau")
        )
    return chips


def section(hub: DataHub, period: str | None) -> list | None:
    """The leader's part of the landing page; None for an account without links (it sees
    the usual overview)."""
    links = links_of(hub)
    if links.empty or not period:
        return None
    view = build(hub, period, links, clock.today())
    names = hub.settings.city.county_names
    who = hub.principal().display_name
    head = html.Div(
        [
            html.H2(f"我的驾驶舱 · {who}", className="panel-title"),
            html.Div(_chips(view, period, names), className="leader-chips"),
        ],
        className="panel-head leader-head",
    )
    if view.counties_outside:
        return [
            head,
            html.P(
                "所分管县区不在本账号的查看范围内，请联系系统管理员核对分管设置",
                className="panel-note",
            ),
        ]
    groups = [
        _group("红灯与异常", view.red, "red", "分管领域暂无红灯"),
        _group("在发布预警", view.warnings, "warnings", "暂无分管范围内的在发布预警"),
        _group("逾期督办", view.overdue, "overdue", "暂无逾期事项"),
    ]
    if view.links.tasks:
        missing = (
            html.P(
                f"未找到（或无权查看）的任务：{'、'.join(view.missing_tasks)}",
                className="panel-note",
            )
            if view.missing_tasks
            else None
        )
        groups.append(
            html.Div(
                [_group("分管任务", view.tasks, "tasks", "暂无分管任务"), missing],
                className="leader-group-wrap",
            )
        )
    if view.bureaus:
        rows = [
            html.Li(
                dcc.Link(
                    [
                        html.Strong(b.name),
                        html.Span(
                            f"牵头任务{b.tasks}项 · 红灯{b.red} · 黄灯{b.yellow} · 负责预警{b.warnings}条",
                            className="attention-text",
                        ),
                    ],
                    href=b.href,
                    className="attention-item sev-" + ("1" if b.red else "3"),
                )
            )
            for b in view.bureaus
        ]
        groups.append(
            html.Div(
                [
                    html.H3(
                        ["分管市局", html.Span(f"{len(rows)}个", className="leader-count")],
                        className="leader-group-title",
                    ),
                    html.Ul(rows, className="attention-list"),
                ],
                className="leader-group leader-bureaus",
                id="overview-mine-bureaus",
            )
        )
    return [head, html.Div(groups, className="leader-groups")]
