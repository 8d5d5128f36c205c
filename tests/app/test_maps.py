"""County maps send their borders once: callbacks answer with the map's values only.

The browser puts the borders back (assets/maps.js); maps.with_geometry does the same in
Python, so these tests can check that nothing drawn is lost on the way.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import pytest
from plotly.io.json import to_json_plotly

from cockpit import maps
from cockpit.shell import CITY_WIDE
from panels.emergency.figures import map_figure
from tests.dash_requests import callback_body, post

PERIOD = "2026-10"
COUNTY = "140404"


def _path(app: Any) -> str:
    return str(app.server.extensions["cockpit_hub"].settings.city.map_path())


def _plain(value: Any) -> Any:
    """A figure or dict as the JSON Dash sends."""
    return json.loads(to_json_plotly(value))


def _geometry(app: Any) -> dict:
    response = app.server.test_client().get(maps.geometry_url(_path(app)))
    assert response.status_code == 200
    return response.get_json()


def _ring_traces(figure: dict) -> list[dict]:
    return [t for t in figure["data"] if isinstance(t.get("meta"), dict) and "rings" in t["meta"]]


def test_the_borders_are_served_once_at_a_url_that_changes_with_them(app) -> None:
    """The geometry URL holds a hash of the rings; the browser may keep it for good."""
    path = _path(app)
    client = app.server.test_client()
    response = client.get(maps.geometry_url(path))
    assert response.status_code == 200
    assert "immutable" in response.headers["Cache-Control"]
    geometry = response.get_json()
    outlines = maps.county_outlines(path)
    assert len(geometry["rings"]) == sum(len(c["rings"]) for c in outlines.values())
    assert sorted(set(geometry["codes"])) == sorted(outlines)
    assert client.get(maps.GEOMETRY_URL.format(version="0" * 16)).status_code == 404


@pytest.mark.parametrize("selected", [None, COUNTY])
def test_a_county_map_without_its_borders_is_whole_again_with_them(app, selected) -> None:
    """A county map is sent without its borders; with the geometry it has every ring, point
    and county code of the outlines, each county's shape in its own colour."""
    outlines = maps.county_outlines(_path(app))
    values = {code: float(i) for i, code in enumerate(outlines)}
    texts = {code: f"{i}件" for i, code in enumerate(outlines)}
    figure = maps.county_map(outlines, values, texts, selected)
    sent = maps.without_geometry(figure)
    assert _plain(sent) == _plain(maps.map_values(figure, _path(app))["figure"])
    assert all("x" not in t and "customdata" not in t for t in _ring_traces(sent))
    whole = maps.with_geometry(_plain(sent), _geometry(app))
    shapes = [t for t in _ring_traces(whole) if t.get("fill") == "toself"]
    expected = [(code, ring) for code, c in outlines.items() for ring in c["rings"]]
    assert len(shapes) == len(expected)
    for trace, (code, ring) in zip(shapes, expected, strict=True):
        assert trace["x"] == [x for x, _ in ring] and trace["y"] == [y for _, y in ring]
        assert set(trace["customdata"]) == {code}
        assert trace["fillcolor"] == maps.colour_for(values[code], 0, len(outlines) - 1)
    # The selected county is outlined over its neighbours, with its own rings.
    outline = [t for t in _ring_traces(whole) if t.get("name") == "selected"]
    if selected is None:
        assert outline == []
    else:
        (trace,) = outline
        assert set(trace["customdata"]) - {None} == {selected}
        assert len([x for x in trace["x"] if x is not None]) == sum(
            len(ring) for ring in outlines[selected]["rings"]
        )


def test_the_emergency_map_without_its_borders_is_whole_again_with_them(app) -> None:
    """The emergency map's county layer and selected outline come back from the geometry."""
    outlines = maps.county_outlines(_path(app))
    empty = {"x": [], "y": [], "type": "scatter"}
    layers = {name: empty for name in ("warnings", "team", "warehouse", "shelter", "beds")}
    layers |= {"links": empty, "events": empty, "event_selected": empty}
    figure = map_figure(outlines, COUNTY, layers)
    sent = maps.without_geometry(figure)
    assert len(_ring_traces(sent)) == 2  # all counties, and the selected one
    assert _plain(maps.with_geometry(sent, _geometry(app))) == _plain(figure)


def _answer(app: Any, output: str, values: dict, changed: list[str]) -> tuple[dict, int]:
    """A callback's JSON answer and its size gzip-compressed (as the server sends it)."""
    body = callback_body(app, output, values, changed)
    response = post(app.server.test_client(), body, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    sent = len(response.get_data())  # as compressed by the server (when it is configured to)
    if response.headers.get("Content-Encoding") != "gzip":
        sent = len(gzip.compress(response.get_data(), 6))
    return json.loads(post(app.server.test_client(), body).get_data())["response"], sent


def test_an_overview_map_update_sends_values_only_and_under_5_kb(app) -> None:
    """Changing the map's metric sends colours and texts, no border, well under 5 KB."""
    sizes = []
    answers = []
    for metric in ("hotline", "gdp"):
        answer, size = _answer(
            app,
            "overview-map-values.data",
            {
                "overview-map-metric.value": metric,
                "filter-period.value": PERIOD,
                "filter-county.value": CITY_WIDE,
            },
            ["overview-map-metric.value"],
        )
        sizes.append(size)
        answers.append(answer["overview-map-values"]["data"])
    for sent in answers:
        assert sent["geometry"] == maps.geometry_url(_path(app))
        rings = _ring_traces(sent["figure"])
        assert rings and all("x" not in t and "y" not in t for t in rings)
    # The two metrics colour the counties differently: the update carries real values.
    fills = [[t["fillcolor"] for t in _ring_traces(s["figure"])] for s in answers]
    assert fills[0] != fills[1]
    assert max(sizes) < 5 * 1024, sizes


def test_every_map_answer_is_under_10_kb(app) -> None:
    """The first answer of each map page, borders left out, stays under 10 KB compressed."""
    filters = {"filter-period.value": PERIOD, "filter-county.value": CITY_WIDE}
    cases = [
        ("hotline-map-values.data", {**filters, "hotline-map-metric.value": "received"}),
        (
            "economy-map-values.data",
            {**filters, "economy-indicator.data": "fai", "economy-trend-mode.value": "cumulative"},
        ),
        ("risk-map-values.data", {**filters, "risk-levels.value": [], "risk-domain.value": "all"}),
        (
            "emergency-map-values.data",
            {
                "filter-county.value": CITY_WIDE,
                "emergency-live.n_intervals": 0,
                "emergency-layers.value": ["events", "warnings", "team", "warehouse"],
                "emergency-viewport.data": 1,
            },
        ),
    ]
    for output, values in cases:
        answer, size = _answer(app, output, values, ["filter-county.value"])
        sent = answer[output.split(".")[0]]["data"]
        assert _ring_traces(sent["figure"]), output
        assert all("x" not in t for t in _ring_traces(sent["figure"])), output
        assert size < 10 * 1024, (output, size)


def test_a_live_patch_is_moved_under_the_figure_of_the_store() -> None:
    """The emergency screen's Patch of its figure becomes a Patch of the values store."""
    from dash import Patch, no_update

    patch = Patch()
    patch["data"][9] = {"x": [1.0], "y": [2.0]}
    moved = maps.values_update(patch, "unused").to_plotly_json()
    assert [op["location"] for op in moved["operations"]] == [["figure", "data", 9]]
    assert moved["operations"][0]["params"]["value"] == {"x": [1.0], "y": [2.0]}
    assert maps.values_update(no_update, "unused") is no_update


# -- what the colours say (#20 item 4) ---------------------------------------------------------
ASSETS = Path(__file__).resolve().parents[2] / "assets"
# The light theme recolours what the dark-built figure wrote into the SVG (cockpit.theme):
# a rule per dark colour, `[data-theme="light"] .js-plotly-plot [style*="fill: rgb(r, g, b)"]`.
_LIGHT_RULE = re.compile(
    r'\[data-theme="light"\] \.js-plotly-plot \[style\*="fill: rgb\((\d+), (\d+), (\d+)\)"\]'
    r" \{ fill: (#[0-9a-fA-F]{6})"
)


def _light_fills() -> dict[str, str]:
    """Dark colour -> the colour the light theme draws instead, from every stylesheet served."""
    rules: dict[str, str] = {}
    for css in sorted(ASSETS.glob("*.css")):
        for r, g, b, light in _LIGHT_RULE.findall(css.read_text(encoding="utf-8")):
            rules[f"#{int(r):02x}{int(g):02x}{int(b):02x}"] = light.lower()
    return rules


def _drawn(colour: str, theme: str) -> str:
    """The colour a figure's colour is drawn in, in that theme."""
    colour = colour.lower()
    return colour if theme == "dark" else _light_fills().get(colour, colour)


def _luminance(colour: str) -> float:
    """WCAG relative luminance of #rrggbb."""
    channels = []
    for i in (1, 3, 5):
        c = int(colour[i : i + 2], 16) / 255
        channels.append(c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4)
    r, g, b = channels
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two colours."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _fills_by_county(figure: go.Figure) -> dict[str, str]:
    """County code -> its fill colour, from the filled traces drawn from rings."""
    return {
        t.customdata[0]: t.fillcolor
        for t in figure.data
        if isinstance(t.meta, dict) and "rings" in t.meta and t.fill == "toself"
    }


def _labels(figure: go.Figure) -> dict[str, str]:
    """County code -> the colour of its label text."""
    trace = next(t for t in figure.data if t.name == "labels")
    colours = trace.textfont.color
    if isinstance(colours, str):
        colours = [colours] * len(trace.customdata)
    return dict(zip(trace.customdata, colours, strict=True))


@pytest.mark.parametrize("theme", ["dark", "light"])
def test_darker_means_more_in_both_themes(app, theme) -> None:
    """On the dark wall and on a white page alike, the county with more is the darker one."""
    outlines = maps.county_outlines(_path(app))
    values = {code: float(10 * i) for i, code in enumerate(outlines)}
    figure = maps.county_map(outlines, values, {c: f"{v:g}件" for c, v in values.items()})
    fills = _fills_by_county(figure)
    by_value = sorted(outlines, key=values.get)
    lum = [_luminance(_drawn(fills[code], theme)) for code in by_value]
    assert all(a >= b for a, b in zip(lum, lum[1:], strict=False)), (theme, lum)
    assert lum[0] > lum[-1] * 3, (theme, lum)  # the fewest and the most are plainly apart


@pytest.mark.parametrize("theme", ["dark", "light"])
def test_each_county_label_reads_on_its_own_fill(app, theme) -> None:
    """A county's name and figure contrast with its fill by at least 4.5:1 (WCAG AA), whatever
    its class, in both themes; a county without a figure (grey) too."""
    outlines = maps.county_outlines(_path(app))
    codes = list(outlines)
    values: dict[str, float | None] = {code: float(i) for i, code in enumerate(codes)}
    values[codes[0]] = None  # no figure: grey, not the lowest class
    figure = maps.county_map(outlines, values, {c: "1件" for c in codes})
    fills, labels = _fills_by_county(figure), _labels(figure)
    for code in codes:
        ratio = _contrast(_drawn(labels[code], theme), _drawn(fills[code], theme))
        assert ratio >= 4.5, (theme, outlines[code]["name"], labels[code], fills[code], ratio)


CHOROPLETHS = [
    (
        "overview-map-values.data",
        {"overview-map-metric.value": "hotline", "overview-map-measure.value": "total"},
    ),
    (
        "hotline-map-values.data",
        {"hotline-map-metric.value": "received", "hotline-map-measure.value": "total"},
    ),
    (
        "economy-map-values.data",
        {"economy-indicator.data": "fai", "economy-trend-mode.value": "cumulative"},
    ),
    (
        "risk-map-values.data",
        {"risk-levels.value": [], "risk-domain.value": "all", "risk-map-measure.value": "total"},
    ),
]


@pytest.mark.parametrize(("output", "values"), CHOROPLETHS, ids=lambda v: str(v)[:12])
def test_every_choropleth_has_a_legend_with_its_unit(app, output, values) -> None:
    """Each county map says what its colours mean: classes from light to dark, each with its
    range, under a title that names the unit (件, 条, %, 亿元 ...)."""
    filters = {"filter-period.value": PERIOD, "filter-county.value": CITY_WIDE}
    answer, _ = _answer(app, output, {**filters, **values}, ["filter-county.value"])
    figure = answer[output.split(".")[0]]["data"]["figure"]
    assert figure["layout"].get("showlegend", True) is not False
    keys = [
        t
        for t in figure["data"]
        if t.get("showlegend") is True and t.get("legendgroup") == maps.CLASSES_GROUP
    ]
    assert len(keys) >= 2, output  # the classes, palest to darkest, each with its range
    assert all(re.search(r"\d", t["name"]) for t in keys if t["name"] != "无数据"), keys
    title = figure["layout"]["legend"]["title"]["text"]
    assert re.search(r"（[^）]+）", title), title  # the unit, in brackets
