"""Pure renderers of the economy module: Plotly figures and Dash components from plain data.

Projections are drawn dashed with a translucent band and named 趋势研判 in the legend, so that
no one takes them for statistics; a missing figure is a gap in a line, a county with no bar and
the words 未报, never a zero.
"""

from __future__ import annotations

import math
from typing import overload

import pandas as pd
import plotly.graph_objects as go
from dash import html

from cockpit import ids, theme
from cockpit.domains.economy.forecast import Projection
from cockpit.domains.economy.transform import Reading
from cockpit.formatting import change_text, number, percent
from cockpit.plot_text import plain, plain_all
from cockpit.scope import DENIED_TEXT
from panels.economy.export import COLUMNS, STATUS_WORDS

LAST_YEAR = "#8fa8cc"
PROJECTION = "#ffb454"
BAND = "rgba(255,180,84,0.28)"
TARGET = theme.STATUS_COLOURS["yellow"]
CITY_LINE = "#b58cff"


QUARTER_TICKS = dict(
    tickvals=[3, 6, 9, 12],
    ticktext=["一季度", "上半年", "前三季度", "全年"],
    range=[1.5, 12.5],
    fixedrange=True,
)


def _month_ticks(merged: bool, cumulative: bool) -> dict:
    """x axis of months: 1-2月 where January and February come out together."""
    months = list(range(2 if merged else 1, 13))
    text = [("1-2月" if m == 2 and merged else f"{m}月") for m in months]
    if cumulative:
        text = [t if t.startswith("1-") else f"1-{t}" for t in text]
        text = [t.replace("1-1月", "1月") for t in text]
    return dict(tickvals=months, ticktext=text, range=[months[0] - 0.5, 12.5], fixedrange=True)


def _base_layout(fig: go.Figure, y_title: str, *, legend: bool = True) -> go.Figure:
    fig.update_layout(
        template=theme.TEMPLATE_NAME,
        margin=dict(l=48, r=12, t=8, b=8),
        hovermode="x unified",
        dragmode=False,
        showlegend=legend,
        legend=dict(orientation="h", y=-0.18, x=0, font=dict(size=13)),
        yaxis=dict(title=dict(text=y_title, font=dict(size=13)), fixedrange=True),
    )
    return fig


def message_figure(text: str) -> go.Figure:
    """An empty chart that says why it is empty."""
    fig = go.Figure()
    fig.add_annotation(
        text=text,
        showarrow=False,
        x=0.5,
        y=0.5,
        xref="paper",
        yref="paper",
        font=dict(size=16, color=theme.MUTED),
    )
    fig.update_layout(
        template=theme.TEMPLATE_NAME,
        xaxis=dict(visible=False),
        yaxis=dict(visible=False),
        margin=dict(l=0, r=0, t=0, b=0),
    )
    return fig


def trend_figure(
    this_year: pd.DataFrame,
    last_year: pd.DataFrame,
    *,
    year: int,
    target: float | None,
    projection: Projection | None,
    merged: bool = True,
    quarterly: bool = False,
    reference: pd.DataFrame | None = None,
    reference_name: str = "全市",
) -> go.Figure:
    """Cumulative growth through the year: this year, last year, the target line, and the
    projection (dashed, with its band). Frames have columns month and growth; gaps stay gaps."""
    reference_name = plain(reference_name)  # a place's name: text, never markup
    fig = go.Figure()
    if projection is not None and projection.available:
        months = [int(p[5:7]) for p in projection.periods]
        start = this_year.dropna(subset=["growth"]).tail(1)
        xs = [*start.month.tolist(), *months]
        lows = [*start.growth.tolist(), *projection.growth_low]
        highs = [*start.growth.tolist(), *projection.growth_high]
        fig.add_trace(
            go.Scatter(
                x=xs + xs[::-1],
                y=highs + lows[::-1],
                fill="toself",
                fillcolor=BAND,
                line=dict(width=0),
                hoverinfo="skip",
                name=f"研判区间（{projection.interval:.0%}）",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=[*start.growth.tolist(), *projection.growth],
                mode="lines+markers",
                line=dict(color=PROJECTION, width=3, dash="dash"),
                marker=dict(symbol="circle-open", size=8),
                name="趋势研判（非统计数据）",
                hovertemplate="研判 %{y:.1f}%<extra></extra>",
            )
        )
    if not last_year.empty:
        fig.add_trace(
            go.Scatter(
                x=last_year.month,
                y=last_year.growth,
                mode="lines+markers",
                line=dict(color=LAST_YEAR, width=2),
                marker=dict(size=6),
                name=f"{year - 1}年",
                connectgaps=False,
                hovertemplate=f"{year - 1}年 %{{y:.1f}}%<extra></extra>",
            )
        )
    if reference is not None and not reference.empty:
        fig.add_trace(
            go.Scatter(
                x=reference.month,
                y=reference.growth,
                mode="lines",
                line=dict(color=CITY_LINE, width=2, dash="dot"),
                name=f"{reference_name}{year}年",
                connectgaps=False,
                hovertemplate=f"{reference_name} %{{y:.1f}}%<extra></extra>",
            )
        )
    fig.add_trace(
        go.Scatter(
            x=this_year.month,
            y=this_year.growth,
            mode="lines+markers+text",
            line=dict(color=theme.ACCENT, width=4),
            marker=dict(size=9),
            text=[percent(v) if not _nan(v) else "" for v in this_year.growth],
            textposition="top center",
            textfont=dict(size=12, color=theme.TEXT),
            name=f"{year}年",
            connectgaps=False,
            hovertemplate=f"{year}年 %{{y:.1f}}%<extra></extra>",
        )
    )
    if target is not None:
        fig.add_hline(
            y=target,
            line=dict(color=TARGET, width=2, dash="dash"),
            annotation_text=f"目标 {target:g}%",
            annotation_position="top left",
            annotation_font=dict(color=TARGET, size=13),
        )
    fig.update_xaxes(**(QUARTER_TICKS if quarterly else _month_ticks(merged, cumulative=True)))
    return _base_layout(fig, "累计同比（%）")


def monthly_figure(
    this_year: pd.DataFrame,
    last_year: pd.DataFrame,
    *,
    year: int,
    unit: str,
    projection: Projection | None,
    merged: bool = True,
    derived: bool = True,
) -> go.Figure:
    """当月 values: this year's bars, last year's line, and the projected months (dashed, band).
    Frames have columns month, label and value; a missing month has no bar."""
    unit = plain(unit)  # the indicator's unit, from configuration: text, never markup
    fig = go.Figure()
    source = "（由累计值推算）" if derived else ""
    fig.add_trace(
        go.Bar(
            x=this_year.month,
            y=this_year.value,
            marker=dict(color=theme.ACCENT),
            name=f"{year}年当月{source}",
            customdata=this_year.label,
            hovertemplate=f"%{{customdata}} %{{y:.2f}}{unit}<extra></extra>",
        )
    )
    if not last_year.empty:
        fig.add_trace(
            go.Scatter(
                x=last_year.month,
                y=last_year.value,
                mode="lines+markers",
                line=dict(color=LAST_YEAR, width=2),
                name=f"{year - 1}年当月",
                connectgaps=False,
                hovertemplate=f"{year - 1}年 %{{y:.2f}}{unit}<extra></extra>",
            )
        )
    if projection is not None and projection.available and projection.monthly:
        months = [int(p[5:7]) for p in projection.periods]
        fig.add_trace(
            go.Scatter(
                x=months + months[::-1],
                y=[*projection.monthly_high, *projection.monthly_low[::-1]],
                fill="toself",
                fillcolor=BAND,
                line=dict(width=0),
                hoverinfo="skip",
                name=f"研判区间（{projection.interval:.0%}）",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=months,
                y=list(projection.monthly),
                mode="lines+markers",
                line=dict(color=PROJECTION, width=3, dash="dash"),
                marker=dict(symbol="circle-open", size=9),
                name="趋势研判（非统计数据）",
                hovertemplate=f"研判 %{{y:.2f}}{unit}<extra></extra>",
            )
        )
    fig.update_xaxes(**_month_ticks(merged, cumulative=False))
    return _base_layout(fig, f"当月值（{unit}）")


def ranking_figure(
    table: pd.DataFrame,
    names: dict[str, str],
    *,
    metric: str,
    unit: str,
    colours: dict[str, str],
    selected: str | None,
    city_value: float | None,
) -> go.Figure:
    """Counties as horizontal bars in rank order (first at the top); a county with no figure is
    listed last with 未报 and no bar. customdata carries county codes, for clicks."""
    rows = table.iloc[::-1]  # Plotly draws the first category at the bottom
    unit = plain(unit)
    labels = plain_all(names.get(c, c) for c in rows.county_code)
    is_growth = metric == "growth"
    texts = []
    denied = rows["denied"] if "denied" in rows else pd.Series(False, index=rows.index)
    for r, hidden in zip(rows.itertuples(), denied, strict=True):
        if hidden:  # a county outside the user's scope: its rank and figure are not theirs
            texts.append(DENIED_TEXT)
            continue
        if _nan(r.metric):
            texts.append("未报")
            continue
        digits = _digits(getattr(r, "decimals", None), 1 if is_growth else 2)
        shown = (
            percent(r.metric, digits, signed=True) if is_growth else number(r.metric, digits or 0)
        )
        move = ""
        if r.rank_change is not pd.NA and r.rank_change is not None and not _nan(r.rank_change):
            # A rank that did not move says nothing here (the bar is busy enough).
            move = f" {change_text(r.rank_change, unit='位', digits=0)}" if r.rank_change else ""
        texts.append(f"第{int(r.rank)}  {shown}{move}")
    fig = go.Figure(
        go.Bar(
            # A zero-length bar for a county without a figure, so its label (未报, 无权查看)
            # is drawn: Plotly draws no text for a missing x.
            x=[0.0 if _nan(v) else v for v in rows.metric],
            y=labels,
            orientation="h",
            marker=dict(
                color=[colours.get(c, theme.ACCENT) for c in rows.county_code],
                line=dict(
                    color=[
                        theme.TEXT if c == selected else "rgba(0,0,0,0)" for c in rows.county_code
                    ],
                    width=3,
                ),
            ),
            text=texts,
            textposition="outside",
            cliponaxis=False,
            textfont=dict(size=13, color=theme.TEXT),
            customdata=list(rows.county_code),
            hovertemplate="%{y}：%{text}（点击查看本县区）<extra></extra>",
        )
    )
    known = [v for v in rows.metric if not _nan(v)]
    if city_value is not None and not _nan(city_value):
        fig.add_vline(
            x=city_value,
            line=dict(color=CITY_LINE, width=2, dash="dot"),
            annotation_text=f"全市 {percent(city_value) if is_growth else number(city_value, 2)}",
            annotation_position="top",
            annotation_font=dict(color=CITY_LINE, size=12),
        )
        known.append(city_value)
    low = min([0.0, *known]) if known else 0.0
    high = max([0.0, *known]) if known else 1.0
    pad = (high - low) * 0.6 or 1.0  # room for the rank and value beside each bar
    fig.update_layout(
        template=theme.TEMPLATE_NAME,
        margin=dict(l=8, r=8, t=24, b=8),
        dragmode=False,
        showlegend=False,
        bargap=0.25,
        xaxis=dict(
            title=dict(text=f"{'累计同比（%）' if is_growth else unit}", font=dict(size=13)),
            # Negative bars carry their label on the left: room for it there too, so it is
            # not drawn over the county names.
            range=[low - (pad if low < 0 else 0), high + pad],
            fixedrange=True,
            automargin=True,
        ),
        yaxis=dict(fixedrange=True, automargin=True, tickfont=dict(size=14)),
    )
    if selected in set(table.county_code):
        fig.update_yaxes(
            ticktext=[
                f"<b>{lab}</b>" if c == selected else lab
                for c, lab in zip(rows.county_code, labels, strict=True)
            ],
            tickvals=labels,
        )
    return fig


# -- components ------------------------------------------------------------------------------
def card(r: Reading, selected: bool) -> html.Button:
    """An indicator's card: figure with unit and period, growth, target and 序时进度, rank, light."""
    lines: list = []
    if r.period is None or r.missing or (r.value is None and r.growth is None):
        main = html.Div([html.Span("—", className="card-figure")], className="card-main")
        lines.append(html.Div(r.note or "暂无数据", className="card-line card-missing"))
    elif r.value is not None and r.unit != "%":
        main = html.Div(
            [
                html.Span(value_figure(r), className="card-figure"),
                html.Span(r.unit, className="card-unit"),
            ],
            className="card-main",
        )
        lines.append(_growth_line(r))
    else:
        main = html.Div(
            [
                html.Span(
                    percent(r.growth, r.growth_decimals, signed=True), className="card-figure"
                ),
                html.Span("同比", className="card-unit"),
            ],
            className="card-main",
        )
        lines.append(_growth_line(r, with_rate=False))
    if r.target_gap is not None:
        lines.append(
            html.Div(
                f"目标{r.target_growth:g}% · "
                + change_text(r.target_gap, "rate", digits=r.growth_decimals, words=("高", "低")),
                className="card-line",
            )
        )
    if r.completion is not None and r.elapsed is not None:
        reached = r.completion >= r.elapsed
        lines.append(
            html.Div(
                [
                    f"完成{r.completion:.1f}% · 序时{r.elapsed:.1f}% ",
                    html.Span(
                        "达到序时进度" if reached else "未达序时进度",
                        className=f"card-tag {'tag-ok' if reached else 'tag-behind'}",
                    ),
                ],
                className="card-line",
            )
        )
    if r.rank is not None:
        move = ""
        if r.rank_change:
            move = f" {change_text(r.rank_change, unit='位', digits=0)}"
        lines.append(html.Div(f"全市第{r.rank}/{r.rank_of}{move}", className="card-line card-rank"))
    head = html.Div(
        [
            html.Span(r.short_name, className="card-name"),
            html.Span(r.label, className="card-period"),
        ],
        className="card-head",
    )
    light = html.Span(
        STATUS_WORDS.get(r.status, "—") if r.status != "none" else "",
        className=f"card-light light-{r.status}",
    )
    return html.Button(
        [head, main, *lines, light],
        id=ids.pattern_id("economy-card", index=r.indicator_id),
        className=card_class(r.status, selected),
        title=f"{r.name}（{r.unit}）：点击查看趋势、县区排名和地图",
        n_clicks=0,
    )


def value_figure(r: Reading) -> str:
    """A reading's level as published (2,806.2), else with the screen's default decimals."""
    if r.value_decimals is not None:
        return number(r.value, r.value_decimals, exact=True)
    return number(r.value, 1 if "=" in r.unit else 2)


def card_class(status: str, selected: bool) -> str:
    """The card's classes: its light and whether it is the chosen indicator."""
    return f"economy-card status-{status}" + (" selected" if selected else "")


def _growth_line(r: Reading, with_rate: bool = True) -> html.Div:
    rate = percent(r.growth, r.growth_decimals, signed=True)
    parts: list = [f"同比 {rate}"] if with_rate else []
    if r.growth_computed:
        parts.append(html.Span("测算", className="card-tag tag-computed", title="由总量测算"))
    if r.growth_change is not None and r.previous_label:
        moved = change_text(r.growth_change, "rate", digits=r.growth_decimals)
        parts.append(
            html.Span(
                f" 与{r.previous_label}持平"
                if moved == "持平"
                else f" 比{r.previous_label} {moved}",
                className="card-change",
            )
        )
    if r.revised:
        parts.append(html.Span("修订", className="card-tag tag-revised", title="已按最新发布修订"))
    return html.Div(parts, className="card-line")


def indicator_table(table: pd.DataFrame, county_view: bool) -> html.Table:
    """The indicator table on screen; numbers as written in bulletins, '—' for missing."""
    columns = [c for c in COLUMNS if county_view or not c.startswith(("县区排名", "排名变化"))]
    # Columns a phone leaves out: the table keeps name, period, figure, growth and light.
    minor = {
        "增速来源",
        "比上期（百分点）",
        "增速目标（%）",
        "与目标差（百分点）",
        "年度目标完成（%）",
        "序时进度（%）",
        "排名变化（位，正为上升）",
        "来源部门",
    }
    # On a phone the period and the unit move into the name and figure cells.
    folded = {"统计期", "单位"}

    def cls(c: str) -> str | None:
        return "col-minor" if c in minor else ("col-folded" if c in folded else None)

    head = html.Thead(html.Tr([html.Th(c, className=cls(c)) for c in columns]))
    body = []
    for record in table.to_dict("records"):
        cells = []
        for c in columns:
            text = _cell(c, record[c], record)
            content: str | list[str | html.Span] = text
            if c == "指标":
                content = [text, html.Span(record["统计期"], className="cell-fold")]
            elif c == "数值" and text != "—" and not record.get("_note"):
                content = [text, html.Span(record["单位"], className="cell-fold")]
            cells.append(html.Td(content, className=cls(c)))
        body.append(html.Tr(cells, className="row-missing" if record.get("_note") else None))
    return html.Table([head, html.Tbody(body)], className="economy-table")


@overload
def _digits(value: object, default: int) -> int: ...
@overload
def _digits(value: object, default: None) -> int | None: ...
def _digits(value: object, default: int | None) -> int | None:
    """A decimals count from a table record (NaN or None: the default)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return default
    return int(value)  # type: ignore[call-overload]


def _cell(column: str, value: object, record: dict) -> str:
    if column == "数值" and record.get("_note"):
        return record["_note"]
    if isinstance(value, float):
        if math.isnan(value):
            return "—"
        # Decimals as published (export.indicator_table keeps them beside the figures).
        growth_digits = _digits(record.get("_growth_decimals"), 1)
        value_digits = _digits(record.get("_value_decimals"), None)
        if column in ("同比增速（%）",):
            return percent(value, growth_digits, signed=True)
        # Changes as on the cards (the header carries the unit): ↑0.2, ↓1, 持平.
        if column == "排名变化（位，正为上升）":
            return change_text(value, digits=0)
        if column in ("比上期（百分点）", "与目标差（百分点）"):
            return change_text(value, digits=growth_digits or 0)
        if column == "数值":
            if value_digits is not None:
                return number(value, value_digits, exact=True)
            return number(value, 2)
        return f"{value:g}" if column == "增速目标（%）" else f"{value:.1f}"
    if value is None or value == "":
        return "—" if column != "增速来源" else ""
    return str(value)


def briefing(lines: list[str]) -> list[html.Li]:
    """The plain-language lines, one per indicator."""
    if not lines:
        return [html.Li("暂无数据", className="briefing-empty")]
    return [html.Li(text, className="briefing-item") for text in lines]


def _nan(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))
