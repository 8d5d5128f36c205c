"""The wall's own screens: each module composed for the 1920x1080 canvas, not its desk page.

A module with a wall view has panels/<key>/wall.py with `view(hub, period, county) -> list`,
built from the module's own data and figure functions. On a page opened with ?wall=1 the
router shows that view instead of the desk page (shell.route -> `page`), and one callback
here fills it whenever the period or county selectors are set; the wall's refresh tick sets
them to themselves (assets/head/screens.js), so every view refreshes in place.

What a wall view is, at 1080p (assets/wall.css lays it out): the screen's title, figures of
at least 40 px (`headline`), nothing below 18 px, nothing to click (static charts, no links,
no exports, no personal phone numbers), maps with a legend, and the bottom strip left free
for the carousel bar that the wall page draws (assets/wall-frame/).
"""

from __future__ import annotations

import importlib
import importlib.util
import json
from collections.abc import Callable, Mapping
from typing import Any

import plotly.graph_objects as go
from dash import Dash, Input, Output, State, dcc, html, no_update

from cockpit import maps

BODY_ID = "wall-view-body"
LABEL_PX = 18  # the smallest text on the wall at 1080p
TEXT_PX = 20  # ordinary text
# A chart on the wall is a picture: no hover, zoom, toolbar or click.
STATIC: dcc.Graph.Config = {"staticPlot": True, "displayModeBar": False, "responsive": True}


def view_of(key: str) -> Callable[..., list] | None:
    """The module's wall view function (panels/<key>/wall.py `view`), if it has one."""
    from cockpit import modules

    if modules.configured(key):  # a domain of config/domains/: the generic panel's view
        return importlib.import_module("panels.configured.wall").view_for(key)
    name = f"panels.{key}.wall"
    if importlib.util.find_spec(name) is None:
        return None
    return getattr(importlib.import_module(name), "view", None)


def page(panel: Any) -> html.Div | None:
    """The wall page of a module (its title and an empty body), or None without a view."""
    from cockpit import modules

    if view_of(panel.key) is None:
        return None
    return html.Div(
        className=f"wall-view wall-view-{panel.key}"
        + (" wall-view-configured" if modules.configured(panel.key) else ""),
        children=[
            html.H2(panel.title, className="wall-screen-title"),
            html.Div(id=BODY_ID, className="wall-body"),
        ],
    )


def register(app: Dash, hub: Any, panels: list) -> None:
    """One callback fills whichever wall view is on the page."""
    from cockpit.shell import screen_county

    keys = {p.path: p.key for p in panels}

    @app.callback(
        Output(BODY_ID, "children"),
        Input("filter-period", "value"),
        Input("filter-county", "value"),
        State("url", "pathname"),
    )
    def fill(period, county, pathname):
        """The view of the module on screen, for the period and county selected."""
        key = keys.get(pathname or "/")
        view = view_of(key) if key else None
        if not period or view is None:
            return no_update
        return view(hub, period, screen_county(county))


# -- pieces every wall view is made of -----------------------------------------------------
def box(title: str | None, *children: Any, cls: str = "") -> html.Section:
    """A titled box of the wall grid."""
    head = html.H3(title, className="wall-box-title") if title else None
    return html.Section([head, *children], className=f"wall-box {cls}".strip())


def figure(
    value: str, unit: str = "", label: str = "", note: Any = "", status: str = "none"
) -> html.Div:
    """A headline figure: label above, the number (>= 40 px) with its unit, a note below."""
    return html.Div(
        className=f"wall-stat status-{status}",
        children=[
            html.Div(label, className="wall-stat-label") if label else None,
            html.Div(
                [
                    html.Span(value, className="wall-headline"),
                    html.Span(unit, className="wall-stat-unit") if unit else None,
                ],
                className="wall-stat-main",
            ),
            html.Div(note, className="wall-stat-note") if note else None,
        ],
    )


def chart(fig: go.Figure | dict, cls: str = "") -> html.Div:
    """A figure set in wall type (every text at least 18 px), drawn as a static picture."""
    fig = go.Figure(fig)
    big = dict(size=TEXT_PX)
    fig.update_layout(
        font=big,
        legend=dict(font=big, title=dict(font=big)),
        title=dict(font=dict(size=22)),
        hoverlabel=dict(font=big),
    )
    fig.update_xaxes(tickfont=big, title_font=big)
    fig.update_yaxes(tickfont=big, title_font=big)
    for note in fig.layout.annotations or ():
        size = note.font.size if note.font and note.font.size else 0
        note.font.size = max(size, LABEL_PX)
    for trace in fig.data:
        if hasattr(trace, "textfont"):
            size = trace.textfont.size if trace.textfont and trace.textfont.size else 0
            if isinstance(size, (int, float)):
                trace.textfont.size = max(size, LABEL_PX)
            else:  # one size per point
                trace.textfont.size = [max(s or 0, LABEL_PX) for s in size]
    # The box sets the size (assets/wall.css); the figure fills it whatever it asked for.
    fig.layout.height = None
    fig.layout.width = None
    fig.update_layout(autosize=True)
    graph = dcc.Graph(figure=fig, config=STATIC, className="wall-graph")
    return html.Div(graph, className=f"wall-chart {cls}".strip())


def map_chart(fig: go.Figure, hub: Any, cls: str = "") -> html.Div:
    """A county map with its borders put in here (desk pages have the browser fetch them,
    assets/maps.js): a wall view is drawn whole by one callback, with no store beside it."""
    geometry = json.loads(maps.geometry_json(str(hub.settings.city.map_path())))
    # The wall draws its own legend beside the map, in wall type (legend()); the desk map's
    # own legend, in the corner at desk size, would repeat it.
    fig = go.Figure(fig).update_layout(showlegend=False)
    return chart(maps.with_geometry(fig.to_plotly_json(), geometry), cls)


def legend(
    values: Mapping[str, float | None], unit: str, text: Callable[[float], str] = str
) -> html.Div:
    """The map's key: the colour ramp of cockpit.maps from the lowest to the highest value."""
    shown = [v for v in values.values() if v is not None and v == v]  # not missing, not NaN
    if not shown:
        return html.Div("灰色：暂无数据", className="wall-legend")
    low, high = min(shown), max(shown)
    steps = [maps.colour_for(low + (high - low) * i / 4, low, high) for i in range(5)]
    return html.Div(
        className="wall-legend",
        children=[
            html.Span(f"{text(low)}", className="wall-legend-end"),
            html.Span(
                className="wall-legend-ramp",
                style={"background": f"linear-gradient(to right, {', '.join(steps)})"},
            ),
            html.Span(f"{text(high)}", className="wall-legend-end"),
            html.Span(unit, className="wall-legend-unit"),
        ],
    )


def items(rows: list[tuple[str, str, str]], empty: str) -> html.Ul:
    """A short list: (severity class, lead, text) per row; the empty case said plainly."""
    if not rows:
        return html.Ul([html.Li(empty, className="wall-item is-empty")], className="wall-items")
    return html.Ul(
        [
            html.Li(
                [
                    html.Span(lead, className="wall-item-lead"),
                    html.Span(text, className="wall-item-text"),
                ],
                className=f"wall-item {cls}",
            )
            for cls, lead, text in rows
        ],
        className="wall-items",
    )


def note(text: Any) -> html.P:
    """A box's foot: the data's 数据截至 or its state."""
    return html.P(text, className="wall-note")
