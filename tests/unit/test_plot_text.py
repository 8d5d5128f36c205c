"""Platform text inside charts is text, never markup (#21).

Plotly draws a subset of HTML in every string of a figure: a department or event title of
`<a href=https://evil.example>` became a live link in the 重点工作 chart and on the 应急 map.
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import plotly.io as pio
import pytest

from cockpit import theme
from cockpit.plot_text import plain
from panels.emergency.figures import RESOURCE_LAYERS, live_layers, map_figure
from panels.key_work.figures import lights_bar

LINK = "<a href=https://evil.example>点此</a>"
ESCAPED = "&lt;a href=https://evil.example&gt;点此&lt;/a&gt;"


@pytest.fixture(autouse=True)
def _theme() -> None:
    """The cockpit's plotly templates, as the app registers them at start-up."""
    theme.register_template()


def figure_json(fig) -> str:
    """The figure as Dash sends it to the browser."""
    return pio.to_json(fig)


def strings(tree: object) -> list[str]:
    """Every string in a decoded figure (the JSON text itself escapes `<` as \\u003c)."""
    if isinstance(tree, str):
        return [tree]
    if isinstance(tree, dict):
        return [s for v in tree.values() for s in strings(v)]
    if isinstance(tree, list):
        return [s for v in tree for s in strings(v)]
    return []


def has_link(text: str) -> bool:
    """Does any string of the figure JSON hold the start of an <a> tag?"""
    return any("<a" in s or "</a" in s for s in strings(json.loads(text)))


def test_plain_escapes_markup_and_keeps_the_text() -> None:
    """< > & become entities (plotly shows them as the characters); Chinese is untouched."""
    assert plain(LINK) == ESCAPED
    assert plain("A&B 城建局") == "A&amp;B 城建局"
    assert plain(12) == "12"


def test_the_key_work_chart_shows_a_link_in_platform_data_as_text() -> None:
    """A lead unit named like a link: the figure holds the escaped text, and no `<a`."""
    table = pd.DataFrame(
        {"lead_unit": [LINK, "市住建局"], "red": [1, 0], "yellow": [0, 1], "green": [2, 0]}
    )
    table["done"] = 0
    fig = lights_bar(table, "lead_unit")
    text = figure_json(fig)
    assert not has_link(text)
    assert ESCAPED in json.loads(text)["data"][0]["y"]
    assert "市住建局" in json.loads(text)["data"][0]["y"]  # ordinary names read as before


def test_the_key_work_chart_by_county_escapes_labels_too() -> None:
    """County labels (from configuration) go through the same helper."""
    table = pd.DataFrame({"county_code": ["140403"], "red": [1], "yellow": [0], "green": [0]})
    table["done"] = 0
    fig = lights_bar(table, "county_code", {"140403": "<b>潞州区</b>"})
    assert list(fig.data[0].y) == ["&lt;b&gt;潞州区&lt;/b&gt;"]


def _emergency_frames() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    when = dt.datetime(2026, 11, 20, 8, 30)
    active = pd.DataFrame(
        [
            dict(
                event_id="E1",
                title=LINK,
                place=LINK,
                status="处置中",
                level=2,
                lon=113.1,
                lat=36.2,
                reported_at=when,
                deaths=0,
                injuries=1,
            )
        ]
    )
    warnings = pd.DataFrame(
        [
            dict(
                warning_id="W1",
                title=LINK,
                domain=LINK,
                place=LINK,
                stage=LINK,
                level=3,
                lon=113.2,
                lat=36.1,
                issued_at=when,
            )
        ]
    )
    resources = pd.DataFrame(
        [
            dict(
                kind=kind,
                name=LINK,
                available=3,
                capacity=5,
                unit=LINK,
                contact=LINK,
                phone="0355-1234567",
                lon=113.0,
                lat=36.0,
            )
            for kind in RESOURCE_LAYERS.values()
        ]
    )
    return active, warnings, resources


def test_the_emergency_map_shows_links_in_platform_data_as_text() -> None:
    """Event, warning and resource text (titles, places, units, contacts) and county names:
    escaped in the map's JSON, no `<a` anywhere; the event still selects by its id."""
    active, warnings, resources = _emergency_frames()
    layers = live_layers(active, warnings, resources, None, pd.DataFrame(), 1.0, None)
    outlines = {"140403": {"name": LINK, "rings": [[[0, 0], [1, 0], [1, 1]]], "label": [0.5, 0.5]}}
    fig = map_figure(outlines, None, layers)
    text = figure_json(fig)
    assert not has_link(text)
    data = json.loads(text)["data"]
    events = next(t for t in data if t.get("name") == "突发事件")
    assert events["text"] == [ESCAPED]
    assert ESCAPED in events["hovertext"][0]
    assert "<br>" in events["hovertext"][0]  # our own line breaks stay markup
    assert events["customdata"] == [["event", "E1"]]  # ids are read back, never drawn: raw
    names = next(t for t in data if t.get("name") == "县区名称")
    assert names["text"] == [ESCAPED]


def test_the_risk_map_and_domain_bar_show_platform_text_as_text() -> None:
    """Warning titles and places in the risk map's hover, domains on the bar's axis."""
    from cockpit.domains.risk.transform import LEVELS
    from panels.risk.figures import domain_bar, risk_map

    points = pd.DataFrame(
        [
            dict(
                x=0.5,
                y=0.5,
                level=LEVELS[0],
                located=True,
                county_code="140403",
                title=LINK,
                place=LINK,
            )
        ]
    )
    outlines = {
        "140403": {"name": "潞州区", "rings": [[[0, 0], [1, 0], [1, 1]]], "label": [0.5, 0.5]}
    }
    fig = risk_map(outlines, {"140403": 1}, points, None)
    assert not has_link(figure_json(fig))
    table = pd.DataFrame({level: [1] for level in LEVELS}, index=[LINK])
    bar = figure_json(domain_bar(table))
    assert not has_link(bar) and ESCAPED in json.loads(bar)["data"][0]["x"]
