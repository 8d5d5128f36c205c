"""The county map, drawn from the city's own boundaries with no online basemap or tiles.

Counties are filled polygons on plain x/y axes (longitude scaled by cos(latitude), so shapes
keep their proportions). Nothing is fetched from outside: no geo base layer, no tiles, no
WebGL. Each county also has a label marker, which is what a click or tap lands on reliably.

The borders are sent once. A trace drawn from county rings carries `meta={"rings": [...]}`;
callbacks send the figure without those traces' x/y (`map_values`: about 1 KB compressed
instead of the 16 KB of the whole figure), into a dcc.Store beside the graph. The browser
fetches the rings once from GEOMETRY_URL (its URL holds a hash of the content, so the
browser keeps it for good) and puts them back in (assets/maps.js), all in one clientside
callback, so the figure never reaches plotly without its borders.
"""

from __future__ import annotations

import hashlib
import json
import math
from functools import lru_cache
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
from dash import ClientsideFunction, Dash, Input, Output, Patch, dcc
from flask import Response, abort

from cockpit import theme
from cockpit.geo import load_boundaries
from cockpit.plot_text import plain

# 4 decimals of a degree is about 10 m: far below a pixel of a city on a screen, and the
# boundary files are not finer than that anyway (their points sit on a 1/1024-degree grid).
DIGITS = 4
# Under /assets/ like the boundary file it comes from (assets/geo/): public, not behind the
# login, so browsers may keep it (the gate marks every other response no-store).
GEOMETRY_URL = "/assets/cockpit-map-geometry/{version}.json"


@lru_cache(maxsize=8)
def county_outlines(path: str) -> dict[str, dict[str, Any]]:
    """Code -> {name, rings: [[(x, y), ...]], label: (x, y)} in screen coordinates (read-only)."""
    data = load_boundaries(Path(path))
    lats = [pt[1] for f in data["features"] for ring in _rings(f["geometry"]) for pt in ring]
    scale = math.cos(math.radians((min(lats) + max(lats)) / 2))
    out: dict[str, dict[str, Any]] = {}
    for feature in data["features"]:
        code = str(feature.get("id") or feature["properties"]["code"])
        rings = [
            [(round(x * scale, DIGITS), round(y, DIGITS)) for x, y in ring]
            for ring in _rings(feature["geometry"])
        ]
        cx, cy = feature["properties"].get("cp") or (rings[0][0][0] / scale, rings[0][0][1])
        out[code] = {
            "name": feature["properties"]["name"],
            "rings": rings,
            "label": (round(cx * scale, DIGITS), round(cy, DIGITS)),
        }
    return out


def _rings(geometry: dict[str, Any]) -> list[list[list[float]]]:
    """Outer rings only: holes in county shapes are specks too small to see."""
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"][0]]
    return [poly[0] for poly in geometry["coordinates"]]


def colour_for(value: float | None, low: float, high: float) -> str:
    """A colour of the sequential scale; grey for a county with no figure (missing is not zero)."""
    if value is None or math.isnan(value):
        return theme.STATUS_COLOURS["none"]
    if high <= low:
        return theme.SEQUENTIAL[len(theme.SEQUENTIAL) // 2]
    step = (value - low) / (high - low) * (len(theme.SEQUENTIAL) - 1)
    return theme.SEQUENTIAL[int(round(min(max(step, 0), len(theme.SEQUENTIAL) - 1)))]


def county_map(
    outlines: dict[str, dict[str, Any]],
    values: dict[str, float | None],
    value_text: dict[str, str],
    selected: str | None = None,
) -> go.Figure:
    """A choropleth of the counties; `selected` is outlined. customdata carries county codes.

    The county shapes are not in the figure: each shape's trace names its rings in the shared
    geometry (meta), which the browser fetches once and draws (assets/maps.js; with_geometry
    does the same in Python). Every map goes out through map_values, and leaving thousands
    of border points out of the figure spares plotly validating them on every update."""
    numbers = [v for v in values.values() if v is not None and not math.isnan(v)]
    low, high = (min(numbers), max(numbers)) if numbers else (0.0, 0.0)
    fig = go.Figure()
    ring_no = ring_numbers(outlines)
    # County names and value texts go in as text, never markup (cockpit.plot_text).
    name = {code: plain(county["name"]) for code, county in outlines.items()}
    shown = {code: plain(value_text.get(code, "—")) for code in outlines}
    for code in outlines:
        chosen = code == selected
        for number in ring_no[code]:
            fig.add_trace(
                go.Scatter(
                    mode="lines",
                    fill="toself",
                    hoveron="fills",
                    fillcolor=colour_for(values.get(code), low, high),
                    line=dict(
                        color=theme.ACCENT if chosen else "#9cc3ff", width=4 if chosen else 1
                    ),
                    name=name[code],
                    text=f"{name[code]}：{shown[code]}",
                    hoverinfo="text",
                    customdata=[code],  # its county (one per point once drawn)
                    showlegend=False,
                    meta={"rings": [number], "codes": True},  # drawn from the shared geometry
                )
            )
    codes = list(outlines)
    fig.add_trace(
        go.Scatter(
            x=[outlines[c]["label"][0] for c in codes],
            y=[outlines[c]["label"][1] for c in codes],
            mode="markers+text",
            customdata=codes,
            text=[f"{name[c]}<br>{shown[c]}" for c in codes],
            textfont=dict(size=13, color=theme.MAP_LABEL),
            textposition="middle center",
            marker=dict(size=26, color="rgba(0,0,0,0)"),
            hoverinfo="text",
            hovertext=[f"{name[c]}：{shown[c]}（点击查看本县区）" for c in codes],
            showlegend=False,
            name="labels",
        )
    )
    fig.layout = dict(  # given whole: a third of update_layout's cost, the same layout
        template=theme.TEMPLATE_NAME,
        margin=dict(l=0, r=0, t=0, b=0),
        dragmode=False,
        xaxis=dict(visible=False, fixedrange=True),
        hovermode="closest",
        yaxis=dict(visible=False, fixedrange=True, scaleanchor="x", scaleratio=1),
    )
    return fig


# -- the geometry, sent once ----------------------------------------------------------------
def ring_numbers(outlines: dict[str, dict[str, Any]]) -> dict[str, list[int]]:
    """County code -> the numbers of its rings in the shared geometry (outlines' order)."""
    numbers: dict[str, list[int]] = {}
    n = 0
    for code, county in outlines.items():
        numbers[code] = list(range(n, n + len(county["rings"])))
        n += len(county["rings"])
    return numbers


@lru_cache(maxsize=8)
def geometry_json(path: str) -> str:
    """The rings every map draws, as the browser fetches them once: {rings: [[xs, ys]], codes}."""
    outlines = county_outlines(path)
    rings = [
        [[x for x, _ in ring], [y for _, y in ring]]
        for county in outlines.values()
        for ring in county["rings"]
    ]
    codes = [code for code, county in outlines.items() for _ in county["rings"]]
    return json.dumps({"rings": rings, "codes": codes}, separators=(",", ":"))


def geometry_url(path: str) -> str:
    """Where the browser fetches the geometry: a new URL whenever the borders change."""
    version = hashlib.sha256(geometry_json(path).encode()).hexdigest()[:16]
    return GEOMETRY_URL.format(version=version)


def with_geometry(figure: dict[str, Any], geometry: dict[str, Any]) -> dict[str, Any]:
    """Put the rings back into a figure (what assets/maps.js does in the browser; for tests)."""
    data = []
    for trace in figure["data"]:
        meta = trace.get("meta")
        if isinstance(meta, dict) and "rings" in meta:
            xs: list = []
            ys: list = []
            codes: list = []
            for i, number in enumerate(meta["rings"]):
                if i:  # a gap between rings of one trace, as plotly draws them apart
                    xs.append(None)
                    ys.append(None)
                    codes.append(None)
                x, y = geometry["rings"][number]
                xs += x
                ys += y
                codes += [geometry["codes"][number]] * len(x)
            trace = {**trace, "x": xs, "y": ys}
            if meta.get("codes"):
                trace["customdata"] = codes
        data.append(trace)
    return {**figure, "data": data}


def without_geometry(figure: go.Figure) -> dict[str, Any]:
    """The figure as a dict, minus the x/y (and county codes) of traces drawn from rings."""
    out = figure.to_plotly_json()
    data = []
    for trace in out["data"]:
        meta = trace.get("meta")
        if isinstance(meta, dict) and "rings" in meta:
            trace = {k: v for k, v in trace.items() if k not in ("x", "y", "customdata")}
        data.append(trace)
    return {"data": data, "layout": out["layout"]}


def map_values(figure: go.Figure, path: str) -> dict[str, Any]:
    """What a callback sends for a map: the figure without its borders, and where they are."""
    return {"geometry": geometry_url(path), "figure": without_geometry(figure)}


def values_update(figure: Any, path: str) -> Any:
    """A map's output for its values store: map_values of a whole figure, a Patch of one moved
    under "figure" (only assignments, as the live screens send), or no_update as it is."""
    if isinstance(figure, go.Figure):
        return map_values(figure, path)
    if not isinstance(figure, Patch):
        return figure
    moved = Patch()
    for op in figure.to_plotly_json()["operations"]:
        if op["operation"] != "Assign":
            raise ValueError(f"only assignments are moved, not {op['operation']}")
        target = moved["figure"]
        *head, last = op["location"]
        for key in head:
            target = target[key]
        target[last] = op["params"]["value"]
    return moved


def values_store(graph_id: str) -> dcc.Store:
    """The store a map's callback fills; assets/maps.js draws the graph from it."""
    return dcc.Store(id=f"{graph_id}-values", storage_type="memory")


def register_map(app: Dash, graph_id: str) -> None:
    """Draw `graph_id` in the browser from its values store and the geometry fetched once."""
    app.clientside_callback(
        ClientsideFunction("cockpit_maps", "draw"),
        Output(graph_id, "figure"),
        Input(f"{graph_id}-values", "data"),
    )


def register_geometry_route(app: Dash, path: str) -> None:
    """Serve the city's rings at geometry_url(path), kept by the browser for good."""
    url = geometry_url(path)

    @app.server.route(GEOMETRY_URL.format(version="<version>"))
    def map_geometry(version: str) -> Response:
        if GEOMETRY_URL.format(version=version) != url:
            abort(404)  # borders since replaced: the map's next answer names the new URL
        response = Response(geometry_json(path), mimetype="application/json")
        # The URL changes with the content: never stale.
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response
