"""The emergency screen's skeleton: stable ids that the refresh callback fills and patches."""

from __future__ import annotations

import plotly.graph_objects as go
from dash import dcc, html

from cockpit import theme
from cockpit.components import FIT_GRAPH, attrs
from cockpit.domains.emergency.config import EmergencyConfig
from cockpit.domains.emergency.transform import LEVEL_NAMES, WARNING_NAMES
from cockpit.exports import links
from cockpit.maps import values_store
from panels.emergency.figures import RESOURCE_STYLE, TOGGLE_LABELS

DEFAULTS = EmergencyConfig()


def _panel(title: str, body_id: str, *, extra: list | None = None, cls: str = "") -> html.Div:
    """A titled panel whose body a callback fills."""
    return html.Div(
        className=f"panel em-panel {cls}",
        children=[
            html.Div(
                [html.H2(title, className="panel-title"), *(extra or [])], className="panel-head"
            ),
            html.Div(id=body_id, className="em-body"),
        ],
    )


def _layer_options() -> list[dict]:
    """The layer switches, each labelled with its map symbol."""
    glyphs = {
        "events": ("●", theme.LEVEL_COLOURS[2]),
        "warnings": ("▲", theme.LEVEL_COLOURS[3]),
        "team": ("■", RESOURCE_STYLE["team"][1]),
        "warehouse": ("⬢", RESOURCE_STYLE["warehouse"][1]),
        "shelter": ("⬟", RESOURCE_STYLE["shelter"][1]),
        "beds": ("✚", RESOURCE_STYLE["beds"][1]),
    }
    return [
        {
            "label": html.Span(
                [
                    html.Span(
                        glyphs[key][0], style={"color": glyphs[key][1]}, className="em-glyph"
                    ),
                    text,
                ]
            ),
            "value": key,
        }
        for key, text in TOGGLE_LABELS.items()
    ]


def _key() -> html.Div:
    """The colour key: event levels Ⅰ-Ⅳ and warning colours 红橙黄蓝."""
    return html.Div(
        className="em-key",
        children=[
            html.Span("事件级别", className="em-key-label"),
            *[html.Span(LEVEL_NAMES[lv], className=f"em-chip level-{lv}") for lv in (1, 2, 3, 4)],
            html.Span("预警", className="em-key-label"),
            *[
                html.Span(WARNING_NAMES[lv][0], className=f"em-chip level-{lv}")
                for lv in (1, 2, 3, 4)
            ],
        ],
    )


def _empty_map() -> go.Figure:
    """A blank dark map frame shown for the instant before the first refresh."""
    fig = go.Figure()
    fig.update_layout(
        template=theme.TEMPLATE_NAME,
        margin=dict(l=0, r=0, t=0, b=0),
        xaxis=dict(visible=False),
        yaxis=dict(visible=False),
    )
    return fig


def _map_panel() -> html.Div:
    """The map with its layer switches, colour key and sources."""
    return html.Div(
        className="panel em-panel em-map-panel",
        children=[
            html.Div(
                className="panel-head",
                children=[
                    html.H2("应急一张图", className="panel-title"),
                    dcc.Checklist(
                        id="emergency-layers",
                        options=_layer_options(),
                        value=list(TOGGLE_LABELS),
                        inline=True,
                        className="em-layers",
                    ),
                ],
            ),
            # The wrapper holds the height: Dash 4 gives the graph an inline height of 100%,
            # which a class cannot override.
            html.Div(
                dcc.Graph(
                    id="emergency-map",
                    figure=_empty_map(),
                    style={"height": "100%"},
                    config=FIT_GRAPH,
                ),
                className="em-map",
            ),
            _key(),
            html.Div(id="emergency-map-note", className="em-map-note"),
        ],
    )


def layout() -> html.Div:
    """Empty frames with stable ids; the refresh callback fills them from the data."""
    return html.Div(
        className="emergency",
        id="emergency-page",
        children=[
            dcc.Store(id="emergency-selected", storage_type="memory"),
            # The active events this browser has seen, so a new one is announced once.
            dcc.Store(id="emergency-seen", storage_type="local"),
            dcc.Store(id="emergency-snapshot", storage_type="memory"),
            values_store("emergency-map"),  # the map without its borders (assets/maps.js)
            dcc.Store(id="emergency-announced", storage_type="memory"),
            # Set by the idle check and by assets/emergency.js when the connection comes back.
            dcc.Store(id="emergency-poke", storage_type="memory"),
            # 2 on wall screens of 2560 px and more, where the map's symbols are drawn twice as big.
            dcc.Store(id="emergency-viewport", storage_type="memory"),
            dcc.Interval(
                id="emergency-live", interval=DEFAULTS.refresh_seconds * 1000, disabled=True
            ),
            dcc.Interval(
                id="emergency-watch", interval=DEFAULTS.idle_check_seconds * 1000, disabled=True
            ),
            html.Div(
                className="em-strip",
                children=[
                    html.Div(id="emergency-response", className="em-response-box"),
                    html.Div(id="emergency-summary", className="em-summary"),
                    html.Div(
                        className="em-live",
                        children=[
                            html.Span(id="emergency-live-state", className="em-live-state"),
                            html.Span(
                                "服务器连接正常",
                                id="emergency-connection",
                                className="em-conn is-online",
                                role="status",
                                **attrs({"aria-live": "polite"}),
                            ),
                        ],
                    ),
                ],
            ),
            html.Div(
                id="emergency-banner",
                className="emergency-banner",
                role="alert",
                **attrs({"aria-live": "assertive"}),
                children=[
                    html.Span(id="emergency-banner-text", className="em-banner-text"),
                    html.Button("查看", id="emergency-banner-view", className="em-btn", n_clicks=0),
                    html.Button(
                        "知道了",
                        id="emergency-banner-close",
                        className="em-btn em-btn-quiet",
                        n_clicks=0,
                    ),
                ],
            ),
            html.Div(
                className="em-grid",
                children=[
                    html.Section(
                        className="em-col em-left",
                        children=[
                            _panel(
                                "正在处置事件",
                                "emergency-events",
                                extra=[links("emergency.events")],
                                cls="em-events-panel",
                            ),
                            _panel(
                                "发布系统预警（在发布）",
                                "emergency-warnings",
                                cls="em-warnings-panel",
                            ),
                            _panel(
                                "今日值班",
                                "emergency-roster",
                                extra=[links("emergency.roster")],
                                cls="em-roster-panel",
                            ),
                        ],
                    ),
                    html.Section(className="em-col em-centre", children=[_map_panel()]),
                    html.Section(
                        className="em-col em-near",
                        children=[
                            html.Div(
                                className="panel em-panel em-near-panel",
                                children=[
                                    html.Div(
                                        [
                                            html.H2(
                                                "就近应急资源",
                                                id="emergency-nearest-title",
                                                className="panel-title",
                                            ),
                                            links("emergency.resources"),  # all, not only nearest
                                        ],
                                        className="panel-head",
                                    ),
                                    html.Div(id="emergency-nearest", className="em-body"),
                                ],
                            )
                        ],
                    ),
                    html.Section(
                        className="em-col em-right",
                        children=[
                            _panel("事件详情", "emergency-detail", cls="em-detail-panel"),
                            _panel("事件统计", "emergency-counts", cls="em-counts-panel"),
                        ],
                    ),
                ],
            ),
        ],
    )
