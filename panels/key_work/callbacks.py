"""The 重点工作 page's callbacks: thin; they call the build functions below, which tests call too."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import pandas as pd
from dash import Dash, Input, Output, State, html, no_update

from cockpit import clicks, clock, links
from cockpit.calls import contact_link
from cockpit.components import result_state_text
from cockpit.domains.key_work import data, supervision
from cockpit.domains.key_work.signals import collect
from cockpit.domains.key_work.transform import (
    counts_by,
    elapsed_share,
    light_counts,
    light_reason,
    milestone_states,
    timeline,
    with_lights,
)
from cockpit.formatting import as_of
from cockpit.hub import DataHub
from cockpit.scope import current_principal
from cockpit.shell import screen_county
from cockpit.store import StoreError, get_store, local_time
from cockpit.store.schema import CASE_OPEN, EXTEND
from panels.key_work import figures
from panels.key_work.layout import PAGE

FILTERS = {
    "attention": ("red", "yellow"),
    "red": ("red",),
    "yellow": ("yellow",),
    "green": ("green",),
    "done": ("done",),
}


def message(outcome: supervision.Outcome | None) -> html.Div | None:
    """A write's outcome as an alert the user cannot miss (errors in red)."""
    if outcome is None:
        return None
    return html.Div(
        outcome.message,
        role="alert",
        className="kw-alert " + ("kw-alert-ok" if outcome.ok else "kw-alert-error"),
    )


def build_tasks(
    hub: DataHub,
    county: str | None,
    light_filter: str,
    today: dt.date,
    selected: str | None = None,
    limit: int | None = None,
) -> dict:
    """Headline counts, the two charts and the task list for a county (None = whole city)."""
    cfg = supervision.config(hub)
    rules = cfg.lights.rules()
    names = hub.settings.city.county_names
    result = data.tasks(hub, county)
    milestones, milestone_note = data.usable_milestones(data.milestones(hub, county))
    lit = with_lights(result.frame, today, rules, milestones)
    notes = []
    if result.error:
        notes.append(result_state_text(result))
    if milestone_note and not result.frame.empty:
        notes.append(milestone_note)
    cases: dict = {}
    open_cases: int | None = None
    try:
        store = get_store(hub)
        cases = store.cases_for_tasks(list(lit["task_id"])) if not lit.empty else {}
        counties = frozenset([county]) if county else current_principal().counties
        open_cases = store.count_cases(status=CASE_OPEN, counties=counties)
    except StoreError as exc:
        notes.append(f"督办记录暂不可用：{exc}")
    matching = (
        lit if light_filter == "all" else lit[lit["light"].isin(FILTERS.get(light_filter, ()))]
    )
    shown = matching if limit is None else matching.head(limit)
    reasons = {r["task_id"]: light_reason(r, today, rules) for r in shown.to_dict("records")}
    by_county = counts_by(lit, "county_code")
    labels = {**names, hub.settings.city.code: "全市性任务"}
    return {
        "summary": figures.summary(
            light_counts(lit), open_cases, today, result.as_of, rules.milestone_red_days
        ),
        "by_unit": figures.lights_bar(counts_by(lit, "lead_unit"), "lead_unit"),
        "by_county": figures.lights_bar(by_county, "county_code", labels),
        "rows": figures.task_rows(
            shown, reasons, cases, names, list(cfg.supervision.levels), today, selected
        ),
        "charts_note": f"截至{today:%m月%d日}状态 · 数据截至 {as_of(result.as_of)}",
        "task_note": f"共 {len(matching)} 项，按紧急程度排序"
        + (f"，显示前 {len(shown)} 项" if len(shown) < len(matching) else "")
        + ("；" + "；".join(notes) if notes else ""),
        "more": len(shown) < len(matching),
        "lit": lit,
    }


def build_signals(hub: DataHub, period: str, county: str | None, today: dt.date) -> dict:
    """The 督办线索 list for the period and county."""
    collected = collect(hub, period, county, today)
    opened: dict = {}
    notes = list(collected.errors)
    try:
        opened = get_store(hub).cases_for_signals([s.key for s in collected.signals])
    except StoreError as exc:
        notes.append(f"督办记录暂不可用：{exc}")
    allowed = supervision.may_act(current_principal(), supervision.config(hub))
    stamps = "，".join(
        f"{name} {as_of(collected.as_of.get(key))}"
        for key, name in (("economy", "经济"), ("hotline", "12345"), ("risk", "预警"))
    )
    note = f"数据截至：{stamps}" + ("；" + "；".join(notes) if notes else "")
    if not allowed:
        note += "；当前账号没有督办权限"
    return {
        "items": figures.signal_items(collected.signals, opened, allowed),
        "note": note,
        "signals": collected.signals,
    }


def build_cases(hub: DataHub, county: str | None) -> list:
    """Items opened from signals, in the user's scope."""
    cfg = supervision.config(hub)
    principal = current_principal()
    try:
        cases = get_store(hub).cases(signals_only=True, counties=principal.counties, limit=50)
    except StoreError as exc:
        return [html.Li(f"督办记录暂不可用：{exc}", className="panel-error")]
    if county:
        cases = [c for c in cases if c.county_code == county]
    names = hub.settings.city.county_names
    return figures.case_items(cases, names, list(cfg.supervision.levels))


def build_detail(hub: DataHub, subject: str | None, today: dt.date) -> tuple[list, bool]:
    """The selected task or case, its timeline, and whether the form may be used."""
    if not subject:
        return [
            html.P("在任务清单或督办事项中点“督办”，查看详情并记录督办动作", className="kw-empty")
        ], True
    cfg = supervision.config(hub)
    principal = current_principal()
    allowed = supervision.may_act(principal, cfg)
    names = {hub.settings.city.code: "全市", **hub.settings.city.county_names}
    kind, _, ident = subject.partition(":")
    children: list = []
    case = None
    milestones = None  # the task's milestones with their states, when they could be read
    milestone_notes: list = []
    try:
        store = get_store(hub)
        if kind == "task":
            answer = data.task(hub, ident)
            if answer.error or answer.frame.empty:
                return [
                    html.P(
                        answer.error or "任务不存在或不在您的查看范围内", className="panel-error"
                    )
                ], True
            ms_result = data.task_milestones(hub, ident)
            ms_rows, ms_note = data.usable_milestones(ms_result)
            lit = with_lights(answer.frame, today, cfg.lights.rules(), ms_rows)
            task = lit.iloc[0].to_dict()
            if ms_rows is not None:
                milestones = milestone_states(ms_rows, today)
                stamp = ms_result.as_of if ms_result is not None else None
                milestone_notes.append(
                    html.P(f"里程碑数据截至 {as_of(stamp)}", className="panel-note")
                )
            if ms_note:
                milestone_notes.insert(0, html.P(ms_note, className="panel-error kw-ms-error"))
            case = store.case_for_task(ident)
            children += _task_header(task, today, cfg, names)
            if case is not None:  # under 督办: its unit, the deadline awaited, the rating
                children.append(figures.fields(_duban_fields(case)))
        elif kind == "case" and ident.isdigit():
            case = store.case(int(ident))
            if case is None or not supervision.may_see(principal, case.county_code):
                return [html.P("督办事项不存在或不在您的查看范围内", className="panel-error")], True
            task = None
            children += _case_header(case, cfg, names)
        else:
            return [html.P("未选择", className="kw-empty")], True
        actions = store.actions(case.id) if case is not None else []
    except StoreError as exc:
        return [html.P(f"督办记录暂不可用：{exc}", className="panel-error")], True
    actions = [replace(a, acted_at=local_time(a.acted_at)) for a in actions]
    children += [
        html.H3(
            "里程碑、督办与反馈记录" if kind == "task" else "督办与反馈记录",
            className="kw-subtitle",
        ),
        *milestone_notes,
        figures.timeline_items(timeline(task, actions, milestones)),
    ]
    closed = case is not None and not case.is_open
    # A confirmed item still awaits its 效果评估; once rated, it is finished.
    finished = case is not None and closed and case.rating is not None
    if finished:
        children.append(html.P("该事项已办结确认并完成效果评估", className="panel-note"))
    elif closed:
        children.append(html.P("该事项已办结确认，请进行效果评估", className="panel-note"))
    elif not allowed:
        children.append(html.P(f"当前账号（{principal.role}）没有督办权限", className="panel-note"))
    return children, finished or not allowed


def _version_of(hub: DataHub, subject: str | None) -> tuple[int | None, bool, bool]:
    """The version of the selected item as shown (None: no item yet, or unreadable), whether
    it is confirmed done, and whether a 申请延期 awaits the leader's answer."""
    kind, _, ident = (subject or "").partition(":")
    try:
        store = get_store(hub)
        case = (
            store.case_for_task(ident)
            if kind == "task"
            else store.case(int(ident))
            if kind == "case" and ident.isdigit()
            else None
        )
        if case is None:
            return None, False, False
        asked = store.pending(case.id) == EXTEND
    except StoreError:
        return None, False, False
    return case.version, not case.is_open, asked


def _task_header(task: dict, today: dt.date, cfg, names: dict) -> list:
    start, deadline = pd.Timestamp(task["start_date"]).date(), pd.Timestamp(task["deadline"]).date()
    elapsed = elapsed_share(start, deadline, today)
    feedback = task.get("last_feedback_date")
    feedback_day = None if feedback is None or pd.isna(feedback) else pd.Timestamp(feedback).date()
    light = task["light"]
    return [
        html.Div(
            [
                html.Span(figures.LIGHT_NAMES[light], className=f"kw-light kw-light-{light}"),
                html.H3(task["title"], className="kw-detail-title"),
            ],
            className="kw-detail-head",
        ),
        html.P(light_reason(task, today, cfg.lights.rules()), className="kw-task-reason"),
        contact_link(f"task:{task['task_id']}"),
        figures.fields(
            [
                ("任务编号", task["task_id"]),
                ("来源", task["source"]),
                ("分管领导", task["lead_leader"]),
                ("牵头单位", links.bureau_link(task["lead_unit"], "unit-link kw-unit-link")),
                ("配合单位", links.bureau_links(task.get("co_units")) or None),
                ("所在县区", names.get(task["county_code"], task["county_code"])),
                ("时间节点", f"{start:%Y-%m-%d} 开始 → {deadline:%Y-%m-%d} 完成时限"),
                ("进度", f"{task['progress']:.0f}%（序时进度 {elapsed:.0f}%）"),
                ("里程碑", figures.milestone_count(task, "已完成 ")),
                ("最新反馈", f"{feedback_day:%Y-%m-%d}" if feedback_day else None),
            ]
        ),
        figures.progress_bar(float(task["progress"]), elapsed),
    ]


def _case_header(case, cfg, names: dict) -> list:
    state = "已办结确认" if not case.is_open else supervision.level_name(cfg, case.level)
    return [
        html.Div(
            [
                html.Span(f"#{case.id}", className="kw-case-id"),
                html.H3(case.title, className="kw-detail-title"),
            ],
            className="kw-detail-head",
        ),
        html.P(case.reason or "", className="kw-task-reason"),
        figures.fields(
            [
                ("来源", figures.KIND_NAMES.get(case.signal_kind or "", "督办事项")),
                ("所在县区", names.get(case.county_code, case.county_code)),
                ("督办级别", state),
                *_duban_fields(case),
                ("立项", f"{local_time(case.opened_at):%Y-%m-%d %H:%M}（{case.opened_by}）"),
                (
                    "原始数据",
                    html.A(case.link, href=case.link, className="kw-signal-link")
                    if case.link
                    else None,
                ),
            ]
        ),
    ]


def _duban_fields(case) -> list:
    """承办单位, the deadline of the answer awaited, and the 效果评估, as detail fields."""
    due = f"{local_time(case.due_at):%Y-%m-%d %H:%M}" if case.due_at else None
    rated = f"{case.rating}分 {case.rating_remark or ''}".strip() if case.rating else None
    return [("承办单位", case.unit), ("反馈期限", due), ("效果评估", rated)]


def build_unit(hub: DataHub, selected: int | None) -> dict:
    """The signed-in unit's items (their choice list, versions, the chosen one's timeline);
    hidden for everyone who is not a unit account."""
    from cockpit.domains.key_work import duban

    principal = current_principal()
    if not duban.is_unit(principal, hub):
        return {"style": {"display": "none"}, "options": [], "versions": {}, "detail": None}
    try:
        cases = duban.unit_cases(hub)
        chosen = next((c for c in cases if c.id == selected), None)
        actions = get_store(hub).actions(chosen.id) if chosen else []
    except StoreError as exc:
        return {
            "style": {},
            "options": [],
            "versions": {},
            "detail": html.P(f"督办记录暂不可用：{exc}", className="panel-error"),
        }
    options = [
        {"label": f"#{c.id} {c.title}（{'已办结' if not c.is_open else '办理中'}）", "value": c.id}
        for c in cases
    ]
    detail: Any = None
    if chosen is not None:
        actions = [replace(a, acted_at=local_time(a.acted_at)) for a in actions]
        detail = html.Div(
            [
                figures.fields(_duban_fields(chosen)),
                figures.timeline_items(timeline(None, actions)),
            ],
            className="kw-unit-detail",
        )
    elif not cases:
        detail = html.P(f"{principal.unit}暂无督办事项", className="kw-empty")
    return {
        "style": {},
        "options": options,
        "versions": {str(c.id): c.version for c in cases},
        "detail": detail,
    }


def build_scorecard(hub: DataHub) -> html.Table | html.P:
    """The units' scorecard as a small table (the export has the same rows)."""
    from cockpit.domains.key_work import duban

    try:
        frame = duban.scorecard_for(hub)
    except StoreError as exc:
        return html.P(f"考核数据暂不可用：{exc}", className="panel-error")
    if frame.empty:
        return html.P("暂无承办单位督办记录", className="kw-empty")
    return html.Table(
        [
            html.Thead(html.Tr([html.Th(c) for c in frame.columns])),
            html.Tbody(
                [
                    html.Tr([html.Td("—" if pd.isna(v) else v) for v in row])
                    for row in frame.itertuples(index=False)
                ]
            ),
        ],
        className="kw-scorecard data-table",
    )


def register_callbacks(app: Dash, hub: DataHub) -> None:
    """Wire the page: filters -> tasks, signals, cases; buttons -> store writes -> refresh."""
    # A link to one task (/key-work?task=<id>, from 一屏知全市) opens it as 督办 on its row does.
    links.select_from_link(app, "task", "key_work-selected", prefix="task:")

    @app.callback(
        Output("key_work-summary", "children"),
        Output("key_work-by-unit", "figure"),
        Output("key_work-by-county", "figure"),
        Output("key_work-charts-note", "children"),
        Output("key_work-task-list", "children"),
        Output("key_work-task-note", "children"),
        Output("key_work-more", "style"),
        Input("filter-county", "value"),
        Input("key_work-light-filter", "value"),
        Input("key_work-refresh", "data"),
        Input("key_work-limit", "data"),
        State("key_work-selected", "data"),
    )
    def update_tasks(county, light_filter, _refresh, limit, selected):
        """Counts, charts and the task list for the selected county."""
        built = build_tasks(
            hub,
            screen_county(county),
            light_filter or "attention",
            clock.today(),
            selected,
            limit or PAGE,
        )
        return (
            built["summary"],
            built["by_unit"],
            built["by_county"],
            built["charts_note"],
            built["rows"],
            built["task_note"],
            {} if built["more"] else {"display": "none"},
        )

    @app.callback(
        Output("key_work-limit", "data"),
        Input("key_work-more", "n_clicks"),
        State("key_work-limit", "data"),
        prevent_initial_call=True,
    )
    def show_more(clicks, limit):
        """显示更多: another page of tasks."""
        return (limit or PAGE) + PAGE if clicks else no_update

    @app.callback(
        Output("key_work-signals", "children"),
        Output("key_work-signals-note", "children"),
        Input("filter-period", "value"),
        Input("filter-county", "value"),
        Input("key_work-refresh", "data"),
    )
    def update_signals(period, county, _refresh):
        """The current signals, each with its 转督办 button."""
        if not period:
            return no_update, no_update
        built = build_signals(hub, period, screen_county(county), clock.today())
        return built["items"], built["note"]

    @app.callback(
        Output("key_work-cases", "children"),
        Input("filter-county", "value"),
        Input("key_work-refresh", "data"),
    )
    def update_cases(county, _refresh):
        """Items opened from signals."""
        return build_cases(hub, screen_county(county))

    # 督办 on a row selects that task or case, in the browser (cockpit.clicks): redrawn rows,
    # with no click, ask the server nothing.
    clicks.key_on_click(app, "key_work-open", "subject", "key_work-selected")

    @app.callback(
        Output("key_work-detail", "children"),
        Output("key_work-submit", "disabled"),
        Output("key_work-action", "options"),
        Output("key_work-version", "data"),
        Input("key_work-selected", "data"),
        Input("key_work-refresh", "data"),
    )
    def show_detail(subject, _refresh):
        """The selected task or case with its timeline; the form is off where acting is not allowed."""
        children, disabled = build_detail(hub, subject, clock.today())
        from cockpit.store.schema import EVALUATE, EXTENSION_ANSWERS, LEADER_ACTIONS

        version, closed, asked = _version_of(hub, subject)
        # A confirmed item takes 效果评估 only; an open one everything but it; 同意延期 and
        # 不同意延期 only while a 申请延期 awaits them.
        options = [
            {
                "label": a,
                "value": a,
                "disabled": disabled
                or (a == EVALUATE) != closed
                or (a in EXTENSION_ANSWERS and not asked),
            }
            for a in LEADER_ACTIONS
        ]
        return children, disabled, options, version

    app.clientside_callback(
        """
        function(subject, action, comment, refresh) {
            // A new submission: a new key. Unchanged inputs keep it, so a resent request
            // (a dropped answer, a double tap) carries the same key and is recorded once.
            return (window.crypto && crypto.randomUUID) ? crypto.randomUUID()
                : String(Date.now()) + "-" + Math.random().toString(16).slice(2);
        }
        """,
        Output("key_work-request-key", "data"),
        Input("key_work-selected", "data"),
        Input("key_work-action", "value"),
        Input("key_work-comment", "value"),
        Input("key_work-refresh", "data"),
    )

    @app.callback(
        Output("key_work-message", "children"),
        Output("key_work-refresh", "data", allow_duplicate=True),
        Output("key_work-comment", "value"),
        Input("key_work-submit", "n_clicks"),
        State("key_work-selected", "data"),
        State("key_work-action", "value"),
        State("key_work-comment", "value"),
        State("key_work-refresh", "data"),
        State("key_work-request-key", "data"),
        State("key_work-version", "data"),
        State("key_work-rating", "value"),
        prevent_initial_call=True,
    )
    def submit(clicks, subject, action, comment, refresh, request_key, version, rating):
        """Record the action; the user is told whether it was saved."""
        if not clicks:
            return no_update, no_update, no_update
        outcome = supervision.act(
            hub,
            subject or "",
            action or "",
            comment or "",
            request_key,
            version=version if isinstance(version, int) else None,
            rating=rating if isinstance(rating, int) else None,
        )
        if not outcome.ok:
            return message(outcome), no_update, no_update
        return message(outcome), (refresh or 0) + 1, ""

    @app.callback(
        Output("key_work-unit-panel", "style"),
        Output("key_work-unit-case", "options"),
        Output("key_work-unit-versions", "data"),
        Output("key_work-unit-detail", "children"),
        Input("key_work-unit-case", "value"),
        Input("key_work-refresh", "data"),
    )
    def update_unit(selected, _refresh):
        """The unit's own items (only for a unit account: the server knows its unit)."""
        built = build_unit(hub, selected if isinstance(selected, int) else None)
        return built["style"], built["options"], built["versions"], built["detail"]

    @app.callback(
        Output("key_work-unit-message", "children"),
        Output("key_work-refresh", "data", allow_duplicate=True),
        Output("key_work-unit-comment", "value"),
        Input("key_work-unit-submit", "n_clicks"),
        State("key_work-unit-case", "value"),
        State("key_work-unit-action", "value"),
        State("key_work-unit-comment", "value"),
        State("key_work-unit-versions", "data"),
        State("key_work-refresh", "data"),
        prevent_initial_call=True,
    )
    def submit_unit(clicks, case_id, action, comment, versions, refresh):
        """The unit's reply; the server checks the item is the unit's own."""
        from cockpit.domains.key_work import duban

        if not clicks:
            return no_update, no_update, no_update
        if not isinstance(case_id, int):
            return message(supervision.Outcome(False, "请先选择督办事项")), no_update, no_update
        version = (versions or {}).get(str(case_id))
        outcome = duban.reply(
            hub, case_id, action or "", comment or "", version if isinstance(version, int) else None
        )
        if not outcome.ok:
            return message(outcome), no_update, no_update
        return message(outcome), (refresh or 0) + 1, ""

    @app.callback(
        Output("key_work-scorecard", "children"),
        Input("key_work-refresh", "data"),
    )
    def update_scorecard(_refresh):
        """The units' scorecard."""
        return build_scorecard(hub)

    # 转督办's click names its signal in a store (cockpit.clicks, stamped so a second click is
    # a click too); only that store's change reaches the server, not the buttons being drawn.
    clicks.key_on_click(app, "key_work-promote", "key", "key_work-promote-key", stamped=True)

    @app.callback(
        Output("key_work-signal-message", "children"),
        Output("key_work-refresh", "data", allow_duplicate=True),
        Output("key_work-selected", "data", allow_duplicate=True),
        Input("key_work-promote-key", "data"),
        State("filter-period", "value"),
        State("filter-county", "value"),
        State("key_work-refresh", "data"),
        prevent_initial_call=True,
    )
    def promote(clicked, period, county, refresh):
        """转督办: open a supervision item from the clicked signal."""
        key = clicked.get("key") if isinstance(clicked, dict) else None
        if not isinstance(key, str) or not key or not period:
            return no_update, no_update, no_update
        # Only a name: promote looks the signal up again among the user's current signals.
        outcome = supervision.promote(hub, key, period, screen_county(county), clock.today())
        selected = f"case:{outcome.case_id}" if outcome.case_id else no_update
        return message(outcome), (refresh or 0) + 1 if outcome.ok else no_update, selected

    # On a phone the 督办 panel sits below the lists: bring it into view when a row is chosen.
    app.clientside_callback(
        """
        function(subject) {
            const panel = document.getElementById('key_work-detail-panel');
            if (subject && panel && window.innerWidth < 1280) {
                panel.scrollIntoView({behavior: 'smooth', block: 'start'});
            }
            return subject || null;
        }
        """,
        Output("key_work-scroll", "data"),
        Input("key_work-selected", "data"),
        prevent_initial_call=True,
    )
