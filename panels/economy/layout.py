"""The economy page's skeleton: breadcrumb, indicator grid, trend, ranking, map, table, briefing.

Every element has a stable id; the callbacks fill them. No data is read here.
"""

from __future__ import annotations

from dash import dcc, html

from cockpit.components import FIT_GRAPH, attrs
from cockpit.maps import map_block

TREND_MODES = [
    {"label": "累计增速", "value": "cumulative"},
    {"label": "当月值", "value": "monthly"},
]
GRAPH_CONFIG = FIT_GRAPH


def _graph(graph_id: str) -> html.Div:
    """A graph in a box whose height the stylesheet sets (the graph fills it)."""
    return html.Div(
        dcc.Graph(id=graph_id, config=GRAPH_CONFIG, style={"height": "100%"}),
        className="economy-chart",
    )


def _panel(title_id: str, body: list, *, extra: list | None = None, cls: str = "") -> html.Div:
    head = html.Div(
        [html.H2(id=title_id, className="panel-title"), *(extra or [])],
        className="panel-head",
    )
    return html.Div([head, *body], className=f"panel {cls}".strip())


def layout() -> html.Div:
    """Empty frames with stable ids; the economy callbacks fill them."""
    return html.Div(
        className="economy",
        children=[
            dcc.Store(id="economy-indicator"),
            dcc.Download(id="economy-download"),
            html.Div(
                className="economy-top",
                children=[
                    html.Nav(
                        className="economy-crumbs",
                        **attrs({"aria-label": "位置"}),
                        children=[
                            html.Button(
                                id="economy-back",
                                className="economy-crumb-city",
                                n_clicks=0,
                                title="返回全市",
                            ),
                            html.Span(id="economy-crumb-county", className="economy-crumb-county"),
                        ],
                    ),
                    html.Span(id="economy-period-note", className="economy-period-note"),
                ],
            ),
            html.Div(id="economy-error", className="economy-error"),
            html.Div(id="economy-grid", className="economy-grid"),
            html.Div(
                className="economy-main",
                children=[
                    _panel(
                        "economy-trend-title",
                        [
                            html.P(id="economy-sentence", className="economy-sentence"),
                            _graph("economy-trend"),
                            html.P(id="economy-trend-note", className="panel-note"),
                        ],
                        extra=[
                            dcc.RadioItems(
                                id="economy-trend-mode",
                                options=TREND_MODES,
                                value="cumulative",
                                inline=True,
                                className="economy-mode",
                            )
                        ],
                        cls="economy-trend-panel",
                    ),
                    _panel(
                        "economy-ranking-title",
                        [
                            _graph("economy-ranking"),
                            html.P(id="economy-ranking-note", className="panel-note"),
                        ],
                        cls="economy-ranking-panel",
                    ),
                    _panel(
                        "economy-map-title",
                        [
                            # drawn from its values store by assets/maps.js; 返回全市
                            map_block(_graph("economy-map"), "economy-map"),
                            html.P(id="economy-map-note", className="panel-note"),
                        ],
                        cls="economy-map-panel",
                    ),
                ],
            ),
            html.Div(
                className="economy-bottom",
                children=[
                    _panel(
                        "economy-table-title",
                        [
                            html.Div(id="economy-table", className="economy-table-wrap"),
                            html.P(id="economy-table-note", className="panel-note"),
                        ],
                        extra=[
                            html.Div(
                                className="economy-export",
                                children=[
                                    html.Button(
                                        "导出CSV",
                                        id="economy-export-csv",
                                        n_clicks=0,
                                        className="economy-button",
                                    ),
                                    html.Button(
                                        "导出Excel",
                                        id="economy-export-xlsx",
                                        n_clicks=0,
                                        className="economy-button",
                                    ),
                                ],
                            )
                        ],
                        cls="economy-table-panel",
                    ),
                    _panel(
                        "economy-briefing-title",
                        [html.Ul(id="economy-briefing", className="economy-briefing")],
                        cls="economy-briefing-panel",
                    ),
                ],
            ),
        ],
    )
