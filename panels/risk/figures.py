"""Pure renderers of the risk screen: charts, the map with warning points, the warning list."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from dash import dcc, html

from cockpit import ids, theme
from cockpit.calls import contact_link
from cockpit.domains.risk.early_warning import LEVEL_NAMES
from cockpit.domains.risk.transform import LEVELS, STAGES, stage_index
from cockpit.domains.risk.warnings import ORIGIN_NAMES
from cockpit.formatting import as_of
from cockpit.links import bureau_link
from cockpit.maps import Population, county_map
from cockpit.plot_text import plain, plain_all
from cockpit.store import Ack


def domain_bar(table: pd.DataFrame) -> go.Figure:
    """Warnings in force per domain, stacked by level (红 at the bottom)."""
    fig = go.Figure()
    for level in LEVELS:
        fig.add_trace(
            go.Bar(
                x=plain_all(table.index),  # domains from the platform: text, not markup
                y=table[level],
                name=LEVEL_NAMES[level],
                marker_color=theme.LEVEL_COLOURS[level],
                hovertemplate=f"%{{x}}：{LEVEL_NAMES[level]}预警 %{{y}} 条<extra></extra>",
            )
        )
    fig.update_layout(
        template=theme.TEMPLATE_NAME,
        barmode="stack",
        height=300,
        margin=dict(l=8, r=8, t=30, b=8),
        legend=dict(orientation="h", y=1.02, x=0, yanchor="bottom"),
        yaxis=dict(fixedrange=True, rangemode="tozero", automargin=True),
        xaxis=dict(fixedrange=True, automargin=True),
        bargap=0.3,
    )
    if table.to_numpy().sum() == 0:
        fig.update_yaxes(range=[0, 1], dtick=1)
    return fig


def trend_chart(frame: pd.DataFrame) -> go.Figure:
    """New and lifted warnings per month."""
    # 11月, 12月, 1月<br>2026年 ...: the year only where it starts (and on the first bar).
    labels = [
        f"{int(m[5:])}月" + (f"<br>{m[:4]}年" if i == 0 or m.endswith("-01") else "")
        for i, m in enumerate(frame["month"])
    ]
    fig = go.Figure(
        [
            go.Bar(
                x=labels,
                y=frame["issued"],
                name="新发布",
                marker_color=theme.LEVEL_COLOURS[2],
                hovertemplate="%{x}：新发布 %{y} 条<extra></extra>",
            ),
            go.Bar(
                x=labels,
                y=frame["lifted"],
                name="已解除",
                marker_color=theme.STATUS_COLOURS["green"],
                hovertemplate="%{x}：解除 %{y} 条<extra></extra>",
            ),
        ]
    )
    fig.update_layout(
        template=theme.TEMPLATE_NAME,
        barmode="group",
        height=300,
        margin=dict(l=8, r=8, t=30, b=8),
        legend=dict(orientation="h", y=1.02, x=0, yanchor="bottom"),
        yaxis=dict(fixedrange=True, rangemode="tozero", automargin=True),
        xaxis=dict(fixedrange=True, tickangle=0, automargin=True),
        bargap=0.25,
    )
    return fig


def risk_map(
    outlines: dict[str, dict[str, Any]],
    counts: dict[str, float],
    points: pd.DataFrame,
    selected: str | None,
    people: Population | None = None,
) -> go.Figure:
    """The county map coloured by warnings in force (or per 10,000 residents, with `people`),
    with a point per warning (by level, in a legend of their own)."""
    texts = {c: f"{int(v)}条" for c, v in counts.items()}
    fig = county_map(
        outlines, counts, texts, selected, unit="条", title="在发布预警", people=people
    )
    shown = points.dropna(subset=["x", "y"]) if not points.empty else points
    for level in LEVELS:
        rows = shown[shown["level"] == level] if not shown.empty else shown
        if rows.empty:
            continue
        fig.add_trace(
            go.Scatter(
                x=rows["x"],
                y=rows["y"],
                mode="markers",
                name=f"{LEVEL_NAMES[level]}预警",
                marker=dict(
                    size=[14 if located else 18 for located in rows["located"]],
                    color=theme.LEVEL_COLOURS[level],
                    symbol=["circle" if located else "diamond" for located in rows["located"]],
                    line=dict(color="#06162e", width=1.5),
                ),
                customdata=rows["county_code"],
                hovertext=[
                    f"{LEVEL_NAMES[level]}预警：{plain(t)}<br>{plain(p or '')}"
                    for t, p in zip(rows["title"], rows["place"], strict=True)
                ],
                hoverinfo="text",
                showlegend=True,
                legend="legend2",  # the first legend is the counties' classes
            )
        )
    fig.update_layout(
        showlegend=True,
        legend2=dict(orientation="h", y=0, x=1, xanchor="right", yanchor="top", font=dict(size=12)),
    )
    return fig


def stat(label: str, value: str, unit: str, note: str = "", colour: str | None = None) -> html.Div:
    """One headline figure; the left edge takes the level's colour."""
    return html.Div(
        className="stat",
        style={"borderLeftColor": colour} if colour else None,
        children=[
            html.Div(label, className="stat-label"),
            html.Div(
                [html.Span(value, className="stat-value"), html.Span(unit, className="stat-unit")]
            ),
            html.Div(note, className="stat-note") if note else None,
        ],
    )


def summary(
    counts: dict[int, int], made: int, unacked: int | None, stamp: dt.datetime | None
) -> list:
    """Warnings in force by level, how many the cockpit raised, how many await 签收."""
    return [
        html.Div(
            className="panel-head",
            children=[
                html.H2("在发布预警", className="panel-title"),
                html.Span("当前", className="panel-period"),
            ],
        ),
        html.Div(
            className="stat-grid rk-stats",
            children=[
                *(
                    stat(
                        f"{LEVEL_NAMES[lv]}预警", str(counts[lv]), "条", "", theme.LEVEL_COLOURS[lv]
                    )
                    for lv in LEVELS
                ),
                stat("驾驶舱预警", str(made), "条", "阈值与异常检测"),
                stat("待签收", "—" if unacked is None else str(unacked), "条", "尚无人签收"),
            ],
        ),
        html.P(f"数据截至 {as_of(stamp)}", className="panel-as-of"),
    ]


def lifecycle(stage: str) -> html.Ol:
    """发布 → 响应 → 处置 → 解除, the current step marked."""
    now = stage_index(stage)
    return html.Ol(
        className="rk-stages",
        children=[
            html.Li(
                s,
                className="rk-stage"
                + (" rk-stage-done" if i < now else "")
                + (" rk-stage-now" if i == now else ""),
            )
            for i, s in enumerate(STAGES)
        ],
    )


def warning_rows(
    frame: pd.DataFrame,
    acks: dict[str, list[Ack]],
    names: dict[str, str],
    may_ack: bool,
    user_id: str,
    highlight: str | None,
    local: Any,
) -> list:
    """The list of warnings in force, each with its lifecycle and 签收."""
    if frame.empty:
        return [html.P("当前没有在发布的预警", className="kw-empty")]
    rows = []
    for w in frame.itertuples():
        level = int(w.level)
        mine = [a for a in acks.get(w.warning_id, []) if a.actor_id == user_id]
        others = acks.get(w.warning_id, [])
        if mine:
            ack: html.Span | html.Button = html.Span(
                f"已签收 {local(mine[0].acked_at):%m-%d %H:%M}", className="rk-acked"
            )
        else:
            ack = html.Button(
                "签收",
                id=ids.pattern_id("risk-ack", warning=w.warning_id),
                className="kw-button kw-button-primary",
                n_clicks=0,
                disabled=not may_ack,
                title="" if may_ack else "当前账号没有签收权限",
            )
        ack_note = (
            "签收：" + "、".join(f"{a.actor_id}（{local(a.acked_at):%m-%d %H:%M}）" for a in others)
            if others
            else "尚无人签收"
        )
        issued = "—" if pd.isna(w.issued_at) else as_of(pd.Timestamp(w.issued_at).to_pydatetime())
        place = w.place if isinstance(w.place, str) and w.place else names.get(w.county_code, "")
        meta = [
            f"{w.domain} · {place} · 责任单位 ",
            bureau_link(w.responsible_unit),  # its 市局直通 page
            f" · {ORIGIN_NAMES.get(w.origin, w.source)}",
        ]
        rows.append(
            html.Div(
                id=f"risk-row-{w.warning_id}",
                className=f"rk-row rk-level-{level}"
                + (" rk-highlight" if w.warning_id == highlight else ""),
                children=[
                    html.Span(LEVEL_NAMES[level], className=f"rk-level rk-level-badge-{level}"),
                    html.Div(
                        className="rk-body",
                        children=[
                            html.Div(w.title, className="rk-title"),
                            html.Div(w.reason, className="rk-reason") if w.reason else None,
                            html.Div(meta, className="rk-meta"),
                            html.Div(
                                [
                                    lifecycle(w.stage),
                                    html.Span(f"发布 {issued}", className="rk-issued"),
                                ],
                                className="rk-life",
                            ),
                            html.Div(
                                [
                                    html.Span(ack_note, className="rk-ack-note"),
                                    *_follow_up(w, names),
                                ],
                                className="rk-meta",
                            ),
                        ],
                    ),
                    ack,
                ],
            )
        )
    return rows


def _follow_up(w: Any, names: dict[str, str]) -> list:
    """Where a warning leads: a source's warning to the people responsible for it; the
    cockpit's own (a threshold or an anomaly) to the data behind it and to the county's
    government, since no source names a responsible person for it."""
    if w.origin == "source":
        return [contact_link(f"warning:{w.warning_id}")]
    links = [dcc.Link("查看数据 ›", href=w.link, className="kw-signal-link")]
    city_code = next(iter(names))  # place_names() puts the city first
    if w.county_code in names and w.county_code != city_code:
        links.append(contact_link(f"county:{w.county_code}", "联系属地"))
    return links
