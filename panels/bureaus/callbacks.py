"""市局直通's callback: the bureau named in the address, for the period and county on screen.

The name in ?name= is only a name, and the county a selector's value: both are request input
anyone can forge. Every figure is read through the hub (the user's scope ANDed into each query)
and every person through the directory's visibility rule, so a forged county or bureau shows
nothing the user may not see (tests/app/test_leader_view.py)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

import pandas as pd
from dash import Dash, Input, Output, dcc, html, no_update

from cockpit import clock
from cockpit.calls import call_link
from cockpit.components import panel, result_state_text, source_state
from cockpit.domains.bureaus.data import BureauView, all_bureaus, bureau_view
from cockpit.domains.overview.transform import LEVEL_NAMES
from cockpit.formatting import month_label, number, percent
from cockpit.hub import DataHub
from cockpit.links import bureau_href, item_link
from cockpit.shell import screen_county

LIGHT_TEXT = {"red": "红灯", "yellow": "黄灯", "green": "绿灯", "done": "已完成"}
MAX_NAME = 40


def chosen(search: str | None) -> str | None:
    """The bureau named in the address (?name=...), if it looks like one."""
    values = parse_qs((search or "").lstrip("?")).get("name") or []
    name = values[0].strip() if values else ""
    return name[:MAX_NAME] or None


def index(names: list[str], current: str | None, period: str | None, county: str | None) -> list:
    """Every bureau as a link; the current one marked."""
    if not names:
        return [html.P("数据中暂无市直部门", className="panel-note")]
    return [
        dcc.Link(
            n,
            href=bureau_href(n, period, county),
            className="bureau-chip" + (" is-current" if n == current else ""),
        )
        for n in names
    ]


def _task_key(task_id: object) -> dict[str, Any]:
    """The row's task id as a data attribute (tests and the browser find rows by it)."""
    return {"data-task": str(task_id)}


def _tasks_table(
    frame: pd.DataFrame, period: str | None, county: str | None, today
) -> html.Div | html.P:
    if frame.empty:
        return html.P("暂无任务", className="panel-note")
    rows = []
    for t in frame.itertuples():
        light = getattr(t, "light", "")
        deadline = pd.Timestamp(t.deadline).strftime("%Y-%m-%d")
        rows.append(
            html.Tr(
                [
                    html.Td(
                        dcc.Link(
                            t.title, href=item_link("/key-work", "task", t.task_id, period, county)
                        )
                    ),
                    html.Td(
                        html.Span(LIGHT_TEXT.get(light, "—"), className=f"light light-{light}")
                    ),
                    html.Td(f"{int(t.progress)}%"),
                    html.Td(deadline),
                    html.Td(str(t.lead_leader)),
                ],
                className="bureau-task",
                **_task_key(t.task_id),
            )
        )
    head = html.Tr([html.Th(h) for h in ("任务", "状态", "进度", "完成时限", "分管领导")])
    return html.Div(
        html.Table([html.Thead(head), html.Tbody(rows)], className="data-table"),
        className="table-scroll",
    )


def _warnings_list(view: BureauView, period: str | None, county: str | None) -> list:
    if view.warnings.empty:
        return [html.P("当前没有由本部门负责的在发布预警", className="panel-note")]
    items = []
    for w in view.warnings.itertuples():
        items.append(
            html.Li(
                dcc.Link(
                    f"{LEVEL_NAMES.get(w.level, '')}预警：{w.title}（{w.stage}）",
                    href=item_link("/risk", "warning", w.warning_id, period, county),
                    className=f"attention-item sev-{min(int(w.level), 3)}",
                )
            )
        )
    return [html.Ul(items, className="attention-list")]


def _figures(view: BureauView) -> list:
    cards = []
    for indicator, fig in view.figures:
        value = "—" if fig.value is None else number(fig.value, 2)
        growth = "—" if fig.growth is None else percent(fig.growth, signed=True)
        cards.append(
            html.Div(
                [
                    html.Div(indicator.name, className="kpi-label"),
                    html.Div(
                        [
                            html.Span(value, className="kpi-value"),
                            html.Span(indicator.unit, className="kpi-unit"),
                        ]
                    ),
                    html.Div(
                        f"{fig.label} 同比 {growth}"
                        if fig.value is not None or fig.growth is not None
                        else (fig.note or "暂无数据"),
                        className="kpi-note",
                    ),
                ],
                className=f"kpi-card status-{fig.status}",
            )
        )
    return cards


def _contacts(view: BureauView) -> list:
    if not view.contacts:
        return [html.P("通讯录中暂无本部门人员", className="panel-note")]
    rows = []
    for c in view.contacts:
        calls = [
            call_link(
                f"contact:{c.id}",
                via,
                number_,
                f"{'手机' if via == 'mobile' else '办公'} {number_}",
                f"bureau:{view.name}",
                className=f"call-link call-{via}",
            )
            for via, number_ in c.phones()
        ]
        rows.append(
            html.Li(
                [
                    html.Strong(c.name, className="ct-name"),
                    html.Span(f"{c.org} {c.post}", className="ct-post"),
                    html.Span(c.duty_status, className="ct-status"),
                    html.Span(calls, className="ct-calls"),
                ],
                className="bureau-contact",
            )
        )
    return [html.Ul(rows, className="bureau-contacts")]


def page(hub: DataHub, name: str | None, period: str | None, county: str | None) -> list:
    """The bureau's page, or a prompt to choose one."""
    if not name:
        return [
            panel(
                "市局直通",
                html.P(
                    "请在下方选择一个市直部门，查看其牵头任务、负责的预警、指标和联系人。",
                    className="panel-note",
                ),
            )
        ]
    today = clock.today()
    place = screen_county(county)
    view = bureau_view(hub, name, place, period or today.strftime("%Y-%m"), today)
    tasks_note = f"牵头 {len(view.tasks)} 项 · 配合 {len(view.co_tasks)} 项"
    lights = (
        view.tasks["light"].value_counts()
        if "light" in view.tasks.columns
        else pd.Series(dtype=int)
    )
    head = html.Div(
        [
            html.H1(name, className="bureau-name"),
            html.Span(
                f"牵头任务 {len(view.tasks)} 项（红灯 {int(lights.get('red', 0))} · 黄灯 {int(lights.get('yellow', 0))}） · 负责在发布预警 {len(view.warnings)} 条"
                + (
                    f" · {month_label(period)}12345工单 {view.tickets} 件"
                    if view.tickets is not None and period
                    else ""
                ),
                className="bureau-summary",
            ),
        ],
        className="bureau-head",
    )
    parts: list[Any] = [head]
    if view.figures:
        parts.append(
            panel(
                "本部门指标",
                html.Div(_figures(view), className="kpi-row"),
                source_state(view.figures_result) if view.figures_result is not None else None,
                className="span-all",
            )
        )
    tasks_state = source_state(view.tasks_result) if view.tasks_result is not None else None
    parts.append(
        panel(
            "牵头的重点工作",
            html.P(tasks_note, className="panel-note"),
            _tasks_table(view.tasks, period, county, today),
            tasks_state,
            className="bureau-tasks",
            id="bureaus-tasks",
        )
    )
    if not view.co_tasks.empty:
        parts.append(panel("配合的重点工作", _tasks_table(view.co_tasks, period, county, today)))
    parts.append(
        panel(
            "负责的在发布预警",
            *_warnings_list(view, period, county),
            html.P(result_state_text(view.warnings_result), className="panel-note")
            if view.warnings_result is not None
            else None,
        )
    )
    parts.append(panel("联系人（一键直联）", *_contacts(view), className="bureau-people"))
    return parts


def register_callbacks(app: Dash, hub: DataHub) -> None:
    """The bureau named in the address, for the period and county on screen."""

    @app.callback(
        Output("bureaus-body", "children"),
        Output("bureaus-index", "children"),
        Input("url", "search"),
        Input("filter-period", "value"),
        Input("filter-county", "value"),
    )
    def show(search, period, county):
        """The chosen bureau's page and the list of bureaus."""
        if not isinstance(search, (str, type(None))):
            return no_update, no_update
        name = chosen(search)
        period = period if isinstance(period, str) else None
        county = county if isinstance(county, str) else None
        return page(hub, name, period, county), index(all_bureaus(hub), name, period, county)
