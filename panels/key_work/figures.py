"""Pure renderers of the 重点工作 page: charts of lights, the task list, signals, the timeline."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from dash import dcc, html
from dash.development.base_component import Component

from cockpit import ids, theme
from cockpit.domains.key_work.signals import KIND_NAMES
from cockpit.domains.key_work.transform import (
    LIGHT_NAMES,
    LIGHTS,
    MILESTONE_RED_DAYS,
    TimelineEntry,
    elapsed_share,
)
from cockpit.formatting import as_of
from cockpit.plot_text import plain_all
from cockpit.store import Case, Signal

LIGHT_COLOURS = {
    "red": theme.STATUS_COLOURS["red"],
    "yellow": theme.STATUS_COLOURS["yellow"],
    "green": theme.STATUS_COLOURS["green"],
    "done": "#4fb0f0",
}
BAR_HEIGHT = 30  # pixels per bar, so long lists stay readable


def lights_bar(table: pd.DataFrame, column: str, labels: dict[str, str] | None = None) -> go.Figure:
    """Horizontal stacked bars: tasks per `column` value and light (most red on top)."""
    fig = go.Figure()
    if table.empty:
        fig.update_layout(template=theme.TEMPLATE_NAME, height=120)
        fig.add_annotation(text="暂无任务", showarrow=False, font=dict(color=theme.MUTED))
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False)
        return fig
    names = plain_all(labels.get(v, v) if labels else v for v in table[column])
    for light in LIGHTS:
        fig.add_trace(
            go.Bar(
                y=names,
                x=table[light],
                name=LIGHT_NAMES[light],
                orientation="h",
                marker_color=LIGHT_COLOURS[light],
                hovertemplate=f"%{{y}}：{LIGHT_NAMES[light]} %{{x}} 项<extra></extra>",
            )
        )
    fig.update_layout(
        template=theme.TEMPLATE_NAME,
        barmode="stack",
        height=60 + BAR_HEIGHT * len(table),
        margin=dict(l=8, r=8, t=30, b=24),
        legend=dict(orientation="h", y=1.02, x=0, yanchor="bottom", traceorder="normal"),
        yaxis=dict(autorange="reversed", automargin=True, fixedrange=True),
        xaxis=dict(fixedrange=True, rangemode="tozero"),
        bargap=0.25,
    )
    return fig


def stat(label: str, value: str, unit: str, note: str = "", status: str = "none") -> html.Div:
    """One headline figure (the overview's stat style)."""
    return html.Div(
        className=f"stat status-{status}",
        children=[
            html.Div(label, className="stat-label"),
            html.Div(
                [html.Span(value, className="stat-value"), html.Span(unit, className="stat-unit")]
            ),
            html.Div(note, className="stat-note") if note else None,
        ],
    )


def summary(
    counts: dict[str, int],
    open_cases: int | None,
    today: dt.date,
    stamp: dt.datetime | None,
    milestone_red_days: int = MILESTONE_RED_DAYS,
) -> list:
    """The headline counts by light, and the cases under supervision."""
    total = sum(counts.values())
    cases = "—" if open_cases is None else str(open_cases)
    return [
        html.Div(
            className="panel-head",
            children=[
                html.H2("重点工作任务", className="panel-title"),
                html.Span(
                    f"截至{today.year}年{today.month}月{today.day}日", className="panel-period"
                ),
            ],
        ),
        html.Div(
            className="stat-grid kw-stats",
            children=[
                stat("任务总数", str(total), "项"),
                stat(
                    "红灯",
                    str(counts["red"]),
                    "项",
                    f"逾期、停滞、里程碑逾期超{milestone_red_days}天",
                    "red",
                ),
                stat(
                    "黄灯",
                    str(counts["yellow"]),
                    "项",
                    "滞后序时、里程碑逾期、反馈不及时",
                    "yellow",
                ),
                stat("绿灯", str(counts["green"]), "项", "按序时推进", "green"),
                stat("已完成", str(counts["done"]), "项"),
                stat("督办中", cases, "件", "含线索转入的督办事项"),
            ],
        ),
        html.P(f"数据截至 {as_of(stamp)}", className="panel-as-of"),
    ]


def progress_bar(progress: float, elapsed: float) -> html.Div:
    """Progress with a tick at 序时进度 (the share of time elapsed)."""
    return html.Div(
        className="kw-progress",
        title=f"进度 {progress:.0f}%，序时进度 {elapsed:.0f}%",
        children=[
            html.Div(className="kw-progress-fill", style={"width": f"{min(progress, 100):.0f}%"}),
            html.Div(className="kw-progress-tick", style={"left": f"{min(elapsed, 100):.0f}%"}),
        ],
    )


def deadline_text(days_left: int, light: str, deadline: dt.date) -> str:
    """时限 2026-10-08 (overdue: the reason says by how much) / 剩余 30 天（时限 12-20）."""
    if light == "done":
        return f"时限 {deadline:%Y-%m-%d}，已完成"
    if days_left < 0:
        return f"时限 {deadline:%Y-%m-%d}"
    left = "今日到期" if days_left == 0 else f"剩余 {days_left} 天"
    return f"{left}（时限 {deadline:%m-%d}）"


def milestone_count(task: dict | pd.Series, label: str = "里程碑 ") -> html.Span | None:
    """里程碑 done/total, and how many are overdue (in red); None when the task has none."""
    total = int(task.get("ms_total", 0) or 0)
    if total == 0:
        return None
    overdue = int(task.get("ms_overdue", 0) or 0)
    return html.Span(
        [
            f"{label}{int(task.get('ms_done', 0) or 0)}/{total}",
            html.Span(f" · {overdue}个逾期", className="kw-ms-overdue") if overdue else None,
        ],
        className="kw-task-milestones",
        title="已完成/全部里程碑" + (f"，{overdue}个已过计划日期未完成" if overdue else ""),
    )


def task_rows(
    lit: pd.DataFrame,
    reasons: dict[str, str],
    cases: dict[str, Case],
    county_names: dict[str, str],
    level_names: list[str],
    today: dt.date,
    selected: str | None,
) -> list[Component]:
    """The task list, one row per task, each with its 督办 button."""
    if lit.empty:
        return [html.P("没有符合条件的任务", className="kw-empty")]
    rows: list[Component] = []
    for t in lit.itertuples():
        start, deadline = pd.Timestamp(t.start_date).date(), pd.Timestamp(t.deadline).date()
        elapsed = elapsed_share(start, deadline, today)
        case = cases.get(t.task_id)
        badge = None
        if case is not None:
            text = (
                "已办结确认"
                if not case.is_open
                else level_names[min(case.level, len(level_names)) - 1]
            )
            badge = html.Span(
                text, className=f"kw-badge {'kw-badge-closed' if not case.is_open else ''}"
            )
        subject = f"task:{t.task_id}"
        rows.append(
            html.Div(
                className=f"kw-task light-{t.light}"
                + (" kw-selected" if subject == selected else ""),
                children=[
                    html.Span(LIGHT_NAMES[t.light], className=f"kw-light kw-light-{t.light}"),
                    html.Div(
                        className="kw-task-main",
                        children=[
                            html.Div([html.Span(t.title, className="kw-task-title"), badge]),
                            html.Div(
                                f"{t.lead_unit} · {county_names.get(t.county_code, '全市')} · "
                                f"{t.lead_leader}",
                                className="kw-task-meta",
                            ),
                            html.Div(reasons.get(t.task_id, ""), className="kw-task-reason"),
                        ],
                    ),
                    html.Div(
                        className="kw-task-figures",
                        children=[
                            progress_bar(float(t.progress), elapsed),
                            html.Div(
                                f"进度 {t.progress:.0f}% · 序时 {elapsed:.0f}%",
                                className="kw-task-progress-text",
                            ),
                            html.Div(
                                deadline_text(int(t.days_left), t.light, deadline),
                                className="kw-task-deadline",
                            ),
                            milestone_count(t._asdict()),
                        ],
                    ),
                    html.Button(
                        "督办",
                        id=ids.pattern_id("key_work-open", subject=subject),
                        className="kw-button",
                        n_clicks=0,
                    ),
                ],
            )
        )
    return rows


def signal_items(signals: list[Signal], opened: dict[str, Case], may_act: bool) -> list[html.Li]:
    """The 督办线索 list: each signal with its link back and its 转督办 button."""
    if not signals:
        return [html.Li("当前没有需要转督办的线索", className="kw-empty")]
    items = []
    for s in signals:
        case = opened.get(s.key)
        if case is not None:
            action = html.Button(
                f"已转督办 #{case.id}",
                id=ids.pattern_id("key_work-open", subject=f"case:{case.id}"),
                className="kw-button kw-button-quiet",
                n_clicks=0,
            )
        else:
            action = html.Button(
                "转督办",
                id=ids.pattern_id("key_work-promote", key=s.key),
                className="kw-button kw-button-primary",
                n_clicks=0,
                disabled=not may_act,
                title="" if may_act else "当前账号没有督办权限",
            )
        items.append(
            html.Li(
                className=f"kw-signal kind-{s.kind}",
                children=[
                    html.Span(KIND_NAMES[s.kind], className="kw-signal-kind"),
                    html.Div(
                        className="kw-signal-body",
                        children=[
                            html.Div(s.title, className="kw-signal-title"),
                            html.Div(s.reason, className="kw-signal-reason"),
                            dcc.Link("查看数据 ›", href=s.link, className="kw-signal-link"),
                        ],
                    ),
                    action,
                ],
            )
        )
    return items


def case_items(cases: list[Case], county_names: dict[str, str], level_names: list[str]) -> list:
    """Items opened from signals, newest first, each with its link back."""
    if not cases:
        return [html.Li("暂无由线索转入的督办事项", className="kw-empty")]
    out = []
    for c in cases:
        state = "已办结确认" if not c.is_open else level_names[min(c.level, len(level_names)) - 1]
        out.append(
            html.Li(
                className="kw-case" + ("" if c.is_open else " kw-case-closed"),
                children=[
                    html.Div(
                        className="kw-case-body",
                        children=[
                            html.Div(
                                [html.Span(f"#{c.id} ", className="kw-case-id"), c.title],
                                className="kw-signal-title",
                            ),
                            html.Div(
                                f"{KIND_NAMES.get(c.signal_kind or '', '')} · "
                                f"{county_names.get(c.county_code, '全市')} · {state}",
                                className="kw-task-meta",
                            ),
                            dcc.Link("查看数据 ›", href=c.link or "/", className="kw-signal-link"),
                        ],
                    ),
                    html.Button(
                        "督办",
                        id=ids.pattern_id("key_work-open", subject=f"case:{c.id}"),
                        className="kw-button",
                        n_clicks=0,
                    ),
                ],
            )
        )
    return out


def timeline_items(entries: list[TimelineEntry]) -> html.Ol:
    """A task's history, newest first."""
    if not entries:
        return html.Ol([html.Li("暂无记录", className="kw-empty")], className="kw-timeline")
    return html.Ol(
        className="kw-timeline",
        children=[
            html.Li(
                className=f"kw-tl kw-tl-{_tl_class(e)}",
                children=[
                    html.Div(
                        [
                            html.Span(_when(e.at), className="kw-tl-at"),
                            html.Span(e.kind, className="kw-tl-kind"),
                            html.Span(e.note, className=f"kw-tl-note kw-ms-{e.state}")
                            if e.note
                            else None,
                            html.Span(e.who, className="kw-tl-who") if e.who else None,
                        ],
                        className="kw-tl-head",
                    ),
                    html.Div(e.text, className="kw-tl-text") if e.text else None,
                ],
            )
            for e in entries
        ],
    )


def _tl_class(entry: TimelineEntry) -> str:
    if entry.state:  # a milestone: its state decides the marker's colour
        return f"ms kw-tl-ms-{entry.state}"
    return {"进展反馈": "feedback", "任务下达": "start", "办结": "done"}.get(entry.kind, "action")


def _when(at: dt.datetime) -> str:
    return at.strftime("%Y-%m-%d") if at.time() == dt.time() else at.strftime("%Y-%m-%d %H:%M")


def fields(pairs: list[tuple[str, Any]]) -> html.Dl:
    """Label/value pairs of a task or case; missing values shown as —."""
    children = []
    for label, value in pairs:
        children += [html.Dt(label), html.Dd(value if value not in (None, "") else "—")]
    return html.Dl(children, className="kw-fields")
