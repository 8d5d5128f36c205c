"""The wall's own screens (cockpit/wall_views.py): which modules have one, and what they hold."""

from __future__ import annotations

from cockpit import wall_views
from cockpit.panels import all_panels
from cockpit.settings import load_settings


def test_every_shipped_carousel_screen_has_a_wall_view() -> None:
    """A screen without a view of its own would be its desk page shrunk onto the wall (#20)."""
    shipped = [s.panel for s in load_settings(environ={}).wall.screens]
    assert [key for key in shipped if wall_views.view_of(key) is None] == []


def test_a_wall_page_is_the_screen_title_and_one_body_to_fill() -> None:
    """The page carries the module's title (what the wall shows at its top) and the body id
    the one callback fills; a module without a view gets None (its desk page is used)."""
    panels = {p.key: p for p in all_panels()}
    page = wall_views.page(panels["risk"])
    assert page.children[0].children == "风险管控"
    assert page.children[1].id == wall_views.BODY_ID
    assert wall_views.page(panels["briefing"]) is None


def test_wall_charts_have_no_text_below_18px_and_nothing_to_click() -> None:
    """A desk figure with 12 px ticks and 13 px labels comes out in wall type, static."""
    import plotly.graph_objects as go

    fig = go.Figure(go.Bar(x=[1, 2], y=[3, 4], text=["a", "b"], textfont=dict(size=12)))
    fig.update_layout(font=dict(size=12), height=300, xaxis=dict(tickfont=dict(size=11)))
    fig.add_annotation(text="note", font=dict(size=10))
    graph = wall_views.chart(fig).children
    out = graph.figure
    assert graph.config["staticPlot"] is True
    assert out.layout.font.size >= 18 and out.layout.xaxis.tickfont.size >= 18
    assert out.layout.annotations[0].font.size >= 18 and out.data[0].textfont.size >= 18
    assert out.layout.height is None  # the wall's box sets the size


def test_map_legend_runs_from_the_lowest_to_the_highest_reported_county() -> None:
    """Counties without a figure (None, NaN: 未报) are left out of the ramp, not read as 0."""
    key = wall_views.legend({"c": float("nan"), "a": 25.0, "b": None, "d": 186.0}, "件", str)
    ends = [c.children for c in key.children if c.className == "wall-legend-end"]
    assert ends == ["25.0", "186.0"]
    assert key.children[-1].children == "件"


def walk(node):
    """Every component and string in a Dash tree."""
    yield node
    children = getattr(node, "children", None)
    if isinstance(node, (list, tuple)):
        children = node
    if isinstance(children, (list, tuple)):
        for child in children:
            yield from walk(child)
    elif children is not None and not isinstance(children, str):
        yield from walk(children)


def test_each_wall_view_draws_for_the_city_and_for_a_county_with_nothing_to_click(hub) -> None:
    """Every module's wall view, for the whole city and for one county (a wall screen may be
    configured with `county:`): drawn, with no control, link, download or phone number."""
    import re

    from dash import dcc, html

    county = hub.settings.city.counties[0].code
    controls = (html.Button, html.A, html.Form, dcc.Input, dcc.Dropdown, dcc.Link, dcc.Download)
    for panel in all_panels():
        view = wall_views.view_of(panel.key)
        if view is None:
            continue
        for place in (None, county):
            nodes = list(walk(view(hub, "2026-10", place)))
            found = [type(n).__name__ for n in nodes if isinstance(n, controls)]
            assert found == [], f"{panel.key} {place}: {found}"
            assert any(getattr(n, "className", None) == "wall-headline" for n in nodes)
            texts = " ".join(n for n in nodes if isinstance(n, str))
            assert not re.search(r"1[3-9]\d{9}|tel:", texts), f"{panel.key} {place}"
