"""Thin wiring of a configured domain's page: one callback fills every section from view.build."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from dash import Dash, Input, Output, dcc, html, no_update

from cockpit import maps
from cockpit.components import FIT_GRAPH, source_state
from cockpit.domains.configured import loader
from cockpit.domains.configured.schema import Section
from cockpit.formatting import month_label, number
from cockpit.hub import DataHub
from cockpit.shell import screen_county
from panels.configured.layout import map_section
from panels.configured.view import Screen, build, ranking_map

LEVEL_NAMES = {1: "红色", 2: "橙色", 3: "黄色", 4: "蓝色"}


def callbacks_for(key: str) -> Callable[[Dash, DataHub], None]:
    """The register_callbacks of the domain's page."""

    def register_callbacks(app: Dash, hub: DataHub) -> None:
        domain = loader.domain(key)
        if domain is None:
            return
        with_map = map_section(domain.screen)
        outputs = [Output(f"{key}-s{i}", "children") for i in range(len(domain.screen))]
        if with_map is not None:
            maps.register_map(app, f"{key}-map")
            outputs.append(Output(f"{key}-map-values", "data"))
        outputs.append(Output(f"{key}-state", "children"))

        @app.callback(*outputs, Input("filter-period", "value"), Input("filter-county", "value"))
        def fill(period, county):
            """Every section of the page for the period and county selected."""
            if not period:
                return [no_update] * len(outputs)
            current = loader.domain(key) or domain
            return page_outputs(hub, current, period, screen_county(county))

    return register_callbacks


def page_outputs(hub: DataHub, domain: Any, period: str, county: str | None) -> list:
    """The callback's outputs: each section's children, the map's values, the data state."""
    screen = build(hub, domain, period, county)
    out: list = [section(hub, screen, i, s) for i, s in enumerate(domain.screen)]
    with_map = map_section(domain.screen)
    if with_map is not None:
        figure, _, _ = ranking_map(screen, domain.screen[with_map].indicators[0], hub)
        out.append(maps.map_values(figure, str(hub.settings.city.map_path())))
    first = screen.loaded.results and screen.loaded.main
    out.append(source_state(first, "演示数据" if hub.is_demo() else "") if first else "")
    return out


def section(hub: DataHub, screen: Screen, index: int, s: Section) -> Any:
    """One section's body."""
    if s.kind == "kpis":
        return kpi_cards(screen, s)
    if s.kind == "trend":
        return dcc.Graph(figure=trend_figure(screen, s), config=FIT_GRAPH, className="cfg-graph")
    if s.kind == "ranking":
        return ranking_table(screen, s.indicators[0])
    if s.kind == "warnings":
        return warning_list(screen)
    return detail_table(hub, screen, s)


def kpi_cards(screen: Screen, s: Section) -> html.Div:
    """A card per indicator: value with unit, period, growth and target, its light."""
    cards = []
    for ind_id in s.indicators:
        f = screen.figures[ind_id]
        cards.append(
            html.Div(
                className=f"kpi-card cfg-card status-{f.status}",
                children=[
                    html.Div(f.name, className="card-title"),
                    html.Div(
                        [
                            html.Span(f.value_text, className="card-figure"),
                            html.Span(f.unit, className="card-unit"),
                        ],
                        className="card-main",
                    ),
                    html.Div(f"{screen.place_name} · {f.label}", className="card-line"),
                    html.Div(
                        f.note or ("暂无数据" if f.value is None else ""), className="card-line"
                    ),
                ],
            )
        )
    return html.Div(cards, className="kpi-row cfg-cards")


def trend_figure(screen: Screen, s: Section) -> go.Figure:
    """This year's and last year's line of each indicator, month by month."""
    fig = go.Figure()
    year = int(screen.period[:4])
    unit = ""
    for ind_id in s.indicators:
        ind = next(i for i in screen.domain.indicators if i.id == ind_id)
        unit = ind.unit
        rows = screen.trend(ind_id)
        for y, dash in ((year - 1, "dot"), (year, "solid")):
            mine = rows[rows.period.str[:4] == str(y)]
            fig.add_trace(
                go.Scatter(
                    x=[f"{int(p[5:7])}月" for p in mine.period],
                    y=mine.value.round(ind.decimals),
                    name=f"{ind.name} {y}年",
                    mode="lines+markers",
                    line={"dash": dash},
                )
            )
    fig.update_layout(
        margin={"l": 48, "r": 16, "t": 24, "b": 32},
        yaxis_title=unit,
        legend={"orientation": "h", "y": 1.12},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        height=300,
    )
    return fig


def ranking_table(screen: Screen, indicator: str) -> html.Table:
    """The counties ranked at the period: rank, county, value, change of rank."""
    ind = next(i for i in screen.domain.indicators if i.id == indicator)
    table = screen.ranking(indicator)
    rows = []
    for r in table.itertuples():
        # Unranked (no figure, or outside the user's scope): pd.NA, shown as nothing.
        change = (
            ""
            if pd.isna(r.rank_change)
            else (
                f"↑{r.rank_change}"
                if r.rank_change > 0
                else (f"↓{-r.rank_change}" if r.rank_change < 0 else "—")
            )
        )
        rows.append(
            html.Tr(
                [
                    html.Td("" if pd.isna(r.rank) else str(r.rank)),
                    html.Td(screen.names.get(r.county_code, r.county_code)),
                    html.Td("—" if pd.isna(r.value) else number(r.value, ind.decimals, exact=True)),
                    html.Td(change),
                ],
                className="is-selected" if r.county_code == screen.place else "",
            )
        )
    head = html.Tr(
        [
            html.Th("排名"),
            html.Th("县区"),
            html.Th(f"{ind.name}（{ind.unit or '值'}）"),
            html.Th("比上期"),
        ]
    )
    return html.Table([html.Thead(head), html.Tbody(rows)], className="table cfg-ranking")


def warning_list(screen: Screen) -> html.Ul:
    """The domain's threshold warnings at the period, worst first."""
    if not screen.alerts:
        return html.Ul(
            [html.Li(f"{month_label(screen.period)}未触发阈值预警", className="is-empty")],
            className="cfg-warnings",
        )
    return html.Ul(
        [
            html.Li(
                [
                    html.Span(f"{LEVEL_NAMES[a.level]}预警", className="cfg-level"),
                    html.Span(a.text),
                ],
                className=f"cfg-warning sev-{a.level}",
            )
            for a in screen.alerts
        ],
        className="cfg-warnings",
    )


def detail_table(hub: DataHub, screen: Screen, s: Section) -> html.Div:
    """A table section's rows of the month, with column titles and units."""
    from panels.configured.export import table_frame

    frame, result = table_frame(
        hub,
        screen.domain,
        s,
        screen.period,
        None if screen.place == hub.settings.city.code else screen.place,
    )
    head = html.Tr([html.Th(c) for c in frame.columns])
    body = [html.Tr([html.Td(_cell(v)) for v in row]) for row in frame.itertuples(index=False)]
    return html.Div(
        [
            html.Table([html.Thead(head), html.Tbody(body)], className="table cfg-table"),
            source_state(result),
        ]
    )


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "—"
    if isinstance(value, float):
        return number(value, 2, exact=True)
    return str(value)
