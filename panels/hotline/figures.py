"""Pure renderers of the 12345 page: frames in, Plotly figures and Dash components out.

Every clickable number is a button whose id carries a drill key (drill.py); the browser
never receives a filter. Missing figures are written '—', never 0.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from dash import html
from dash.development.base_component import Component

from cockpit import ids, theme
from cockpit.components import FIT_GRAPH, attrs, source_state_text
from cockpit.domains.hotline.kpis import Kpi
from cockpit.domains.hotline.transform import clock_text
from cockpit.formatting import as_of as as_of_text
from cockpit.formatting import change_text, number, percent
from cockpit.maps import RAMP
from cockpit.plot_text import plain_all
from cockpit.scope import DENIED_TEXT

DRILL_TYPE = "hotline-drill"
GRAPH_CONFIG = FIT_GRAPH


def drill_button(
    key: str, children: Any, class_name: str = "", title: str | None = None
) -> html.Button:
    """A clickable element that opens the tickets behind it (its id carries the drill key)."""
    props: dict[str, Any] = {"title": title} if title else {}
    return html.Button(
        children,
        id=ids.pattern_id(DRILL_TYPE, key=key),
        className=f"hotline-drill {class_name}".strip(),
        n_clicks=0,
        **props,
    )


# -- panels --------------------------------------------------------------------------------------
def foot(as_of: dt.datetime | None, error: str | None = None, stale: bool = False) -> list:
    """A panel's foot: its error (and whether the figures shown are the last good ones) and 数据截至."""
    out: list = []
    if error:
        kind = "is-stale" if stale else "is-down"
        text = source_state_text(error, stale, as_of)
        out.append(html.P(text, className=f"panel-error source-state {kind}", role="alert"))
    out.append(html.Div(f"数据截至 {as_of_text(as_of)}", className="panel-as-of"))
    return out


def blank(text: str = "本期没有数据") -> dict:
    """An empty figure that says so, on the dark template."""
    return {
        "data": [],
        "layout": {
            "template": theme.TEMPLATE_NAME,
            "xaxis": {"visible": False},
            "yaxis": {"visible": False},
            "annotations": [
                {"text": text, "showarrow": False, "font": {"color": theme.MUTED, "size": 16}}
            ],
        },
    }


def empty(text: str = "本期没有数据") -> html.P:
    """A plain sentence where a figure has nothing to show."""
    return html.P(text, className="hotline-empty")


# -- KPI cards -----------------------------------------------------------------------------------
def value_text(kpi: Kpi, value: float | None) -> str:
    """A KPI's value as written on its card ('—' when missing)."""
    if value is None or pd.isna(value):
        return "—"
    if kpi.kind == "rate":
        return percent(value)
    if kpi.kind == "days":
        return f"{value:.1f}" if value % 1 else f"{int(value)}"
    return number(value)


def delta_text(kpi: Kpi, delta: float | None) -> str:
    """A change as written: ↑3.2% for counts, ↑0.5个百分点 for rates, ↓0.4天 for times, 持平."""
    if delta is None or pd.isna(delta):
        return "—"
    if kpi.kind == "count":
        return change_text(delta, "percent")
    return change_text(
        delta, "rate" if kpi.kind == "rate" else "level", unit="" if kpi.kind == "rate" else "天"
    )


def delta_class(kpi: Kpi, delta: float | None) -> str:
    """better / worse / same, given which direction is good for the KPI."""
    if delta is None or pd.isna(delta) or kpi.good == "none" or round(delta, 1) == 0:
        return "delta-same"
    better = delta > 0 if kpi.good == "up" else delta < 0
    return "delta-better" if better else "delta-worse"


def kpi_card(
    kpi: Kpi,
    value: float | None,
    previous: float | None,
    last_year: float | None,
    definition: str,
    status: str,
    note: str = "",
) -> html.Button:
    """One KPI: value and unit, 环比 and 同比, definition on hover; a click lists its tickets."""
    unit = "" if kpi.unit == "%" else kpi.unit
    rows = [
        html.Div(kpi.label, className="kpi-label"),
        html.Div(
            [
                html.Span(value_text(kpi, value), className="kpi-value"),
                html.Span(unit, className="kpi-unit") if unit else None,
            ],
            className="kpi-figure",
        ),
        html.Div(
            [
                html.Span("环比 ", className="kpi-cmp"),
                html.Span(delta_text(kpi, previous), className=delta_class(kpi, previous)),
            ],
            className="kpi-delta",
        ),
        html.Div(
            [
                html.Span("同比 ", className="kpi-cmp"),
                html.Span(delta_text(kpi, last_year), className=delta_class(kpi, last_year)),
            ],
            className="kpi-delta",
        ),
    ]
    if note:
        rows.append(html.Div(note, className="kpi-note"))
    return drill_button(
        f"kpi|{kpi.key}",
        rows,
        class_name=f"hotline-kpi status-{status}",
        title=f"{kpi.label}：{definition}\n点击查看工单明细",
    )


def channel_note(channels: dict[str, float]) -> str:
    """The two largest channels' shares: 电话62% · 微信16%."""
    total = sum(channels.values())
    if not total:
        return ""
    top = sorted(channels.items(), key=lambda kv: kv[1], reverse=True)[:2]
    return " · ".join(f"{name}{value / total * 100:.0f}%" for name, value in top)


# -- charts --------------------------------------------------------------------------------------
def _layout(fig: go.Figure, **extra: Any) -> go.Figure:
    settings: dict[str, Any] = {
        "template": theme.TEMPLATE_NAME,
        "margin": dict(l=8, r=8, t=8, b=8),
        "hoverlabel": dict(namelength=-1),
    }
    # Given whole to a figure that has no layout yet: the same figure as update_layout()
    # gives, at a third of its cost (update_layout merges property by property).
    fig.layout = {**settings, **extra}
    return fig


def _tick(label: str, granularity: str) -> str:
    if granularity == "day":
        return label[5:]
    if granularity == "week":
        return label[5:]
    return label


def volume_figure(series: pd.DataFrame, granularity: str) -> go.Figure:
    """Tickets received per bucket; a bar's customdata is its bucket label (for the drill)."""
    unit = {"day": "", "week": " 当周", "month": ""}[granularity]
    ticks = [_tick(b, granularity) for b in series["bucket"]]
    step = max(1, -(-len(ticks) // 7))  # about seven labels, whatever the number of bars
    fig = go.Figure(
        go.Bar(
            x=ticks,
            y=series["tickets"],
            customdata=series["bucket"],
            marker_color=theme.ACCENT,
            hovertemplate=f"%{{customdata}}{unit}：%{{y:,}}件<extra>点击查看工单</extra>",
        )
    )
    return _layout(
        fig,
        xaxis=dict(
            type="category",
            tickangle=0,
            tickvals=ticks[::step],
            fixedrange=True,
            automargin=True,
        ),
        yaxis=dict(fixedrange=True, rangemode="tozero", automargin=True, tickformat=","),
        bargap=0.15,
    )


def pattern_figure(matrix: pd.DataFrame) -> go.Figure:
    """Tickets by weekday and hour of day, as a heatmap (hours 0-23 along the bottom)."""
    fig = go.Figure(
        go.Heatmap(
            z=matrix.values,
            x=list(matrix.columns),
            y=plain_all(matrix.index),
            # The maps' ramp: darker means more, on the white page as on the wall.
            colorscale=[[i / (len(RAMP) - 1), c] for i, c in enumerate(RAMP)],
            hovertemplate="%{y} %{x}时：%{z:,}件<extra></extra>",
            colorbar=dict(title=dict(text="件"), thickness=10),
        )
    )
    return _layout(
        fig,
        xaxis=dict(
            fixedrange=True,
            tickangle=0,
            tickvals=list(range(0, 24, 3)),
            title=dict(text="时", standoff=2),
            automargin=True,
        ),
        yaxis=dict(fixedrange=True, autorange="reversed", automargin=True),
    )


def category_figure(tree: pd.DataFrame) -> go.Figure:
    """The category tree (一级 -> 二级) as a treemap; customdata is the node id for the drill."""
    fig = go.Figure(
        go.Treemap(
            ids=tree["id"],
            labels=plain_all(tree["label"]),  # categories from the platform: text, not markup
            parents=tree["parent"],
            values=tree["tickets"],
            customdata=tree["id"],
            branchvalues="total",
            textinfo="label+value",
            hovertemplate="%{label}：%{value:,}件（占上级%{percentParent:.1%}）<extra>点击查看工单</extra>",
            marker=dict(colors=None, line=dict(color=theme.BACKGROUND, width=1)),
            pathbar=dict(visible=False),
            maxdepth=2,
        )
    )
    return _layout(fig, margin=dict(l=0, r=0, t=0, b=0))


def share_bars(frame: pd.DataFrame, colour: str) -> go.Figure:
    """A breakdown (诉求类型, 渠道) as horizontal bars with counts and shares."""
    frame = frame.sort_values("tickets")
    fig = go.Figure(
        go.Bar(
            x=frame["tickets"],
            y=plain_all(frame["label"]),
            orientation="h",
            customdata=frame["label"],  # raw: read back by the drill, never drawn
            marker_color=colour,
            text=[
                f"{number(t)}件 {s:.0f}%"
                for t, s in zip(frame["tickets"], frame["share"], strict=True)
            ],
            textposition="auto",
            hovertemplate="%{y}：%{x:,}件<extra>点击查看工单</extra>",
        )
    )
    return _layout(
        fig,
        xaxis=dict(visible=False, fixedrange=True),
        yaxis=dict(fixedrange=True, automargin=True),
        bargap=0.25,
    )


# -- tables --------------------------------------------------------------------------------------
RANK_METRICS = {
    "received": ("受理量", "件"),
    "on_time": ("按时办结率", "%"),
    "closure": ("综合办结率", "%"),
    "satisfaction": ("满意率", "%"),
}


def metric_text(metric: str, value: float | None) -> str:
    """A ranking metric's value: a count or a percentage ('—' when missing)."""
    if value is None or pd.isna(value):
        return "—"
    return number(value) if metric == "received" else percent(value)


def county_table(
    ranking: pd.DataFrame, metric: str, selected: str | None, level: str = "县区"
) -> html.Table:
    """The county ranking: rank, county, the metric, 受理量; a row opens that county's tickets.
    The same table ranks a county's townships (`level` 乡镇（街道）), whose names are text."""
    label, _ = RANK_METRICS[metric]
    extra = metric != "received"  # 受理量 beside another metric, never twice
    head = html.Tr(
        [html.Th("名次"), html.Th(level), html.Th(label), html.Th("受理量") if extra else None]
    )
    rows = []
    for r in ranking.itertuples():
        if getattr(r, "denied", False):  # outside the user's scope: no rank, no figure, no drill
            denied = [html.Td("—"), html.Td(r.name), html.Td(DENIED_TEXT)]
            rows.append(html.Tr([*denied, html.Td("") if extra else None], className="row-denied"))
            continue
        cells: list[html.Td | None] = [
            html.Td("—" if r.rank is None or pd.isna(r.rank) else str(int(r.rank))),
            html.Td(
                drill_button(f"county|{r.county_code}", r.name, "link-like", "查看本县区工单")
                if level == "县区"
                else r.name
            ),
            html.Td(metric_text(metric, getattr(r, metric))),
            html.Td(number(r.received)) if extra else None,
        ]
        rows.append(html.Tr(cells, className="row-selected" if r.county_code == selected else None))
    return html.Table([html.Thead(head), html.Tbody(rows)], className="hotline-table compact")


def unit_board(red: pd.DataFrame, black: pd.DataFrame) -> html.Div:
    """红榜 and 黑榜 side by side: unit, 按时办结率, 满意率, tickets due."""

    def table(frame: pd.DataFrame, title: str, cls: str) -> html.Div:
        if frame.empty:
            return html.Div([html.H3(title, className=cls), empty("工单量不足，暂不排名")])
        rows = [
            html.Tr(
                [
                    html.Td(str(i + 1)),
                    html.Td(
                        drill_button(f"unit|{r.responsible_unit}", r.responsible_unit, "link-like")
                    ),
                    html.Td(percent(r.on_time)),
                    html.Td(percent(r.satisfaction)),
                    html.Td(number(r.due)),
                ]
            )
            for i, r in enumerate(frame.itertuples())
        ]
        head = html.Tr(
            [
                html.Th("#"),
                html.Th("承办单位"),
                html.Th("按时办结率"),
                html.Th("满意率"),
                html.Th("应办结"),
            ]
        )
        return html.Div(
            [
                html.H3(title, className=cls),
                html.Table([html.Thead(head), html.Tbody(rows)], className="hotline-table compact"),
            ]
        )

    return html.Div(
        [table(red, "红榜", "board-red"), table(black, "黑榜", "board-black")],
        className="hotline-board",
    )


def sla_view(
    counts: dict[str, float | None],
    labels: dict[str, str],
    urgent: pd.DataFrame,
    names: dict[str, str],
    now: dt.datetime,
) -> html.Div:
    """The deadline clocks: counts per bucket (each opens its tickets) and the most urgent list."""
    tiles = [
        drill_button(
            f"sla|{bucket}",
            [
                html.Div(labels[bucket], className="kpi-label"),
                html.Div(
                    [
                        html.Span(
                            "—" if counts.get(bucket) is None else number(counts[bucket]),
                            className="kpi-value",
                        ),
                        html.Span("件", className="kpi-unit"),
                    ],
                    className="kpi-figure",
                ),
            ],
            class_name=f"sla-tile sla-{bucket}",
        )
        for bucket in labels
    ]
    rows = [
        html.Tr(
            [
                html.Td(
                    [
                        html.Div(f"{r.category_l2} · {names.get(r.county_code, r.county_code)}"),
                        html.Div(r.ticket_id, className="mono muted"),
                    ]
                ),
                html.Td(r.responsible_unit if isinstance(r.responsible_unit, str) else "—"),
                html.Td(
                    clock_text(r.deadline, now),
                    className="clock-late" if r.deadline < now else "clock-soon",
                ),
            ]
        )
        for r in urgent.itertuples()
    ]
    table = (
        html.Table(
            [
                html.Thead(html.Tr([html.Th("工单"), html.Th("承办单位"), html.Th("时限")])),
                html.Tbody(rows),
            ],
            className="hotline-table compact",
        )
        if rows
        else empty("没有临近或超过时限的在办工单")
    )
    return html.Div([html.Div(tiles, className="sla-tiles"), table])


def hot_view(
    ratios: pd.DataFrame,
    spikes: set[str],
    keywords: pd.DataFrame,
    sample_note: str,
    baseline_weeks: int = 8,
) -> Component:
    """This week's categories against their baseline (spikes first) and the week's keywords."""
    usual = (
        f"前{baseline_weeks}周周均"  # as the 要情专报 says it ("baseline" is the analyst's word)
    )
    if ratios.empty:
        return empty("往周数据不足，暂不判断热点")
    rows = []
    for r in ratios.head(6).itertuples():
        hot = r.category in spikes
        rows.append(
            html.Tr(
                [
                    html.Td(
                        drill_button(f"hot|{r.category}", r.category, "link-like"),
                    ),
                    html.Td(number(r.tickets)),
                    html.Td("—" if pd.isna(r.baseline) else f"{r.baseline:g}"),
                    html.Td(
                        "—" if pd.isna(r.ratio) else f"{r.ratio:g}倍",
                        className="ratio-hot" if hot else None,
                    ),
                ],
                className="row-hot" if hot else None,
            )
        )
    table = html.Table(
        [
            html.Thead(
                html.Tr([html.Th("分类"), html.Th("本周"), html.Th(usual), html.Th("倍数")])
            ),
            html.Tbody(rows),
        ],
        className="hotline-table compact",
    )
    chips = [
        html.Span(
            f"{k.word} {number(k.tickets)}件" + (f" ×{k.ratio:g}" if k.hot else ""),
            className="keyword hot" if k.hot else "keyword",
            title=f"估算本周{number(k.tickets)}件，{usual}{k.baseline:g}件",
        )
        for k in keywords.itertuples()
    ]
    return html.Div(
        [
            table,
            html.Div(
                [html.Span("关键词", className="keyword-title"), *chips]
                if chips
                else [html.Span("关键词：本周没有可提取的文本", className="keyword-title")],
                className="keywords",
            ),
            html.P(sample_note, className="panel-note"),
        ]
    )


def repeat_view(groups: pd.DataFrame, key: str) -> Component:
    """Callers (masked) or addresses with repeated tickets of one category."""
    if groups.empty:
        return empty("本期没有重复诉求")
    if key == "citizen_phone":
        return repeat_callers_view(groups)
    rows = []
    for r in groups.itertuples():
        if key == "citizen_phone":
            who = f"{r.citizen_name or ''} {r.citizen_phone}".strip()
            drill = f"caller|{r.last_ticket}"
        else:
            who = r.address
            drill = f"address|{r.address}|{r.category_l2}"
        rows.append(
            html.Tr(
                [
                    html.Td(drill_button(drill, who, "link-like")),
                    html.Td(r.category_l2),
                    html.Td(f"{int(r.tickets)}次"),
                ]
            )
        )
    head = html.Tr(
        [html.Th("来电人" if key == "citizen_phone" else "地址"), html.Th("分类"), html.Th("诉求")]
    )
    return html.Table([html.Thead(head), html.Tbody(rows)], className="hotline-table compact")


def repeat_callers_view(callers: pd.DataFrame) -> html.Table:
    """One row per caller (a distinct masked label), their categories each a drill to the
    caller's tickets of that category, and their repeated tickets in all."""
    rows = []
    for r in callers.itertuples():
        kinds = [
            drill_button(f"caller|{last}", f"{category} {tickets}次", "link-like")
            for category, tickets, last in r.groups
        ]
        rows.append(
            html.Tr(
                [
                    html.Td(html.Span(r.caller, className="repeat-caller")),
                    html.Td(kinds, className="repeat-kinds"),
                    html.Td(f"{int(r.tickets)}次"),
                ],
                className="repeat-row",
            )
        )
    head = html.Tr([html.Th("来电人"), html.Th("重复诉求分类"), html.Th("合计")])
    return html.Table([html.Thead(head), html.Tbody(rows)], className="hotline-table compact")


# -- the ticket list -----------------------------------------------------------------------------
LIST_HEADERS = (
    ("ticket_id", "工单编号"),
    ("received_at", "受理时间"),
    ("county", "县区"),
    ("category", "分类"),
    ("appeal_type", "类型"),
    ("status", "状态"),
    ("responsible_unit", "承办单位"),
    ("deadline", "办结时限"),
    ("closed_at", "办结时间"),
    ("evaluation", "评价"),
    ("citizen", "诉求人"),
    ("content", "诉求内容"),
)


def _stamp(value: Any) -> str:
    if value is None or pd.isna(value):
        return "—"
    return pd.Timestamp(value).strftime("%Y-%m-%d %H:%M")


def _true(value: Any) -> bool:
    return value is not None and not pd.isna(value) and bool(value)


def _flags(r: Any) -> str:
    flags = []
    if _true(r.extended):
        flags.append("延期")
    if _true(r.reopened):
        flags.append("重办")
    if _true(r.returned_count) and int(r.returned_count) > 0:
        flags.append(f"退单{int(r.returned_count)}次")
    return " · ".join(flags)


def ticket_table(
    rows: pd.DataFrame, names: dict[str, str], supervisable: frozenset[str] = frozenset()
) -> html.Table:
    """One page of (already masked) tickets; on a phone each row reads as a card.

    Tickets in `supervisable` (past their deadline or 重办, for a user who may 督办) carry a
    转督办 button in their status cell."""
    body = []
    for r in rows.itertuples():
        flags = _flags(r)
        cells = {
            "ticket_id": r.ticket_id,
            "received_at": _stamp(r.received_at),
            "county": names.get(r.county_code, r.county_code),
            "category": f"{r.category_l1}·{r.category_l2}",
            "appeal_type": r.appeal_type,
            "status": f"{r.status}" + (f"（{flags}）" if flags else ""),
            "responsible_unit": r.responsible_unit
            if isinstance(r.responsible_unit, str)
            else "即办",
            "deadline": _stamp(r.deadline),
            "closed_at": _stamp(r.closed_at),
            "evaluation": r.evaluation if isinstance(r.evaluation, str) else "未评价",
            "citizen": f"{r.citizen_name or '—'} {r.citizen_phone or ''}".strip(),
            "content": r.content if isinstance(r.content, str) else "—",
        }
        if r.ticket_id in supervisable:
            cells["status"] = [
                cells["status"],
                html.Button(
                    "转督办",
                    id=ids.pattern_id("hotline-duban", ticket=str(r.ticket_id)),
                    className="pager-button hotline-duban-row",
                    n_clicks=0,
                ),
            ]
        body.append(
            html.Tr(
                [
                    html.Td(cells[key], className=f"col-{key}", **attrs({"data-label": label}))
                    for key, label in LIST_HEADERS
                ]
            )
        )
    head = html.Tr([html.Th(label, className=f"col-{key}") for key, label in LIST_HEADERS])
    return html.Table(
        [html.Thead(head), html.Tbody(body)], className="hotline-table hotline-tickets"
    )
