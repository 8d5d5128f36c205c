"""County maps send their borders once: callbacks answer with the map's values only.

The browser puts the borders back (assets/maps.js); maps.with_geometry does the same in
Python, so these tests can check that nothing drawn is lost on the way.
"""

from __future__ import annotations

import gzip
import json
from typing import Any

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


def test_the_borders_are_served_once_at_a_url_that_changes_with_them(app) -> None:  # noqa: ANN001
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
def test_a_county_map_without_its_borders_is_whole_again_with_them(app, selected) -> None:  # noqa: ANN001
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
    shapes = _ring_traces(whole)
    expected = [(code, ring) for code, c in outlines.items() for ring in c["rings"]]
    assert len(shapes) == len(expected)
    for trace, (code, ring) in zip(shapes, expected, strict=True):
        assert trace["x"] == [x for x, _ in ring] and trace["y"] == [y for _, y in ring]
        assert set(trace["customdata"]) == {code}
        assert trace["fillcolor"] == maps.colour_for(values[code], 0, len(outlines) - 1)
        assert trace["line"]["width"] == (4 if code == selected else 1)


def test_the_emergency_map_without_its_borders_is_whole_again_with_them(app) -> None:  # noqa: ANN001
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


def test_an_overview_map_update_sends_values_only_and_under_5_kb(app) -> None:  # noqa: ANN001
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


def test_every_map_answer_is_under_10_kb(app) -> None:  # noqa: ANN001
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
