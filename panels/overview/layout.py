"""The overview's page skeleton: module headlines, the county map, and what needs attention."""

from __future__ import annotations

from typing import Any

from dash import dcc, html

from cockpit.components import FIT_GRAPH
from cockpit.maps import map_block

MAP_METRICS = [
    {"label": "12345受理量", "value": "hotline"},
    {"label": "在发布预警", "value": "risk"},
    {"label": "GDP增速", "value": "gdp"},
]


# Screen readers name the section (an aria attribute, typed as Dash's wildcard props are).
MINE_LABEL: dict[str, Any] = {"aria-label": "我的驾驶舱"}


def layout(filled: tuple | None = None, mine: list | None = None) -> html.Div:
    """Frames with stable ids; the overview callback fills them. What needs attention
    comes first (top of the centre on a desktop, first of all on a phone), then the map.

    filled: the callback's five outputs (cards left and right, attention list, its counts,
    the contact link), to draw the page with its data at once (callbacks.first_layout).
    mine: 我的驾驶舱, a leader account's own items (panels/overview/leader.py), shown first;
    hidden for an account without links."""
    left, right, attention, counts, contact = filled or (None,) * 5
    return html.Div(
        className="overview",
        children=[
            html.Section(
                mine,
                id="overview-mine",
                className="panel leader-view",
                hidden=not mine,
                **MINE_LABEL,
            ),
            html.Section(left, id="overview-cards-left", className="overview-col overview-left"),
            html.Section(
                className="overview-col overview-centre",
                children=[
                    html.Div(
                        className="panel attention-panel",
                        children=[
                            html.Div(
                                [
                                    html.H2("需要关注", className="panel-title"),
                                    html.Span(
                                        counts,
                                        id="overview-attention-counts",
                                        className="attention-counts",
                                    ),
                                    html.Span(contact, id="overview-contact"),  # 联系该县区负责人
                                ],
                                className="panel-head",
                            ),
                            html.Ul(attention, id="overview-attention", className="attention-list"),
                        ],
                    ),
                    html.Div(
                        className="panel map-panel",
                        children=[
                            html.Div(
                                className="panel-head",
                                children=[
                                    html.H2(id="overview-map-title", className="panel-title"),
                                    dcc.RadioItems(
                                        id="overview-map-metric",
                                        options=MAP_METRICS,
                                        value="hotline",
                                        className="map-metric",
                                        inline=True,
                                    ),
                                ],
                            ),
                            map_block(
                                dcc.Graph(
                                    id="overview-map", className="overview-map", config=FIT_GRAPH
                                ),
                                per_capita=True,
                            ),
                            html.P(id="overview-map-note", className="panel-note"),
                        ],
                    ),
                ],
            ),
            html.Section(right, id="overview-cards-right", className="overview-col overview-right"),
        ],
    )
