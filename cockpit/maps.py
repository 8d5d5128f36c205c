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
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
from dash import ClientsideFunction, Dash, Input, Output, Patch, State, dcc, html
from dash.development.base_component import Component
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


# -- what the colours say -------------------------------------------------------------------
# One ramp for both themes, light to dark: darker means more on the dark wall and on a white
# page alike (a ramp bright-for-more on a dark ground read backwards once the page turned
# white). The ends are chosen for both grounds: the palest class still shows on white, the
# darkest still stands apart from the navy panel (with the borders drawn in the panel's
# colour between counties). No class sits in the band where neither dark nor white text
# reaches 4.5:1, so every label can be made readable (LABEL_TEXT picks per class).
RAMP = ("#deebf7", "#b7d4ef", "#8bbae4", "#5f9bd6", "#2f6db3", "#143f7e")
MISSING = theme.STATUS_COLOURS["none"]  # grey: no figure (missing is not zero)
DARK_TEXT = "#0b1a33"
LIGHT_TEXT = "#ffffff"
CLASSES_GROUP = "county-classes"  # the legend entries of the classes
PER_10K = "per10k"  # the measure control's value for "per 10,000 residents"


def _luminance(colour: str) -> float:
    """WCAG relative luminance of #rrggbb."""
    channels = []
    for i in (1, 3, 5):
        c = int(colour[i : i + 2], 16) / 255
        channels.append(c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4)
    return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two #rrggbb colours."""
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def label_colour(fill: str) -> str:
    """The label text colour that reads best on a fill: dark on pale classes, white on dark."""
    return max((DARK_TEXT, LIGHT_TEXT), key=lambda text: contrast(text, fill))


def _halo(text: str) -> str:
    """A thin outline of the other label colour around a label's letters."""
    other = LIGHT_TEXT if text == DARK_TEXT else DARK_TEXT
    return ", ".join(f"{x}px {y}px 2px {other}" for x, y in ((1, 1), (-1, -1), (1, -1), (-1, 1)))


@dataclass(frozen=True)
class Classes:
    """How values become colours: the classes' lower bounds, colours and legend labels."""

    bounds: tuple[float, ...]
    colours: tuple[str, ...]
    labels: tuple[str, ...]

    def colour(self, value: float | None) -> str:
        """The fill of a value: its class's colour, grey when there is no figure."""
        if value is None or math.isnan(value):
            return MISSING
        i = sum(1 for b in self.bounds[1:] if value >= b)
        return self.colours[i]


def _fmt(value: float, digits: int) -> str:
    return f"{value:,.{digits}f}"


def classes(values: list[float], n: int = len(RAMP)) -> Classes:
    """Equal-interval classes over the values, at most `n`; counts get whole-number bounds
    (0, 1, 2 warnings are three classes, not six ranges of half a warning)."""
    if not values:
        return Classes((), (), ())
    low, high = min(values), max(values)
    whole = all(float(v).is_integer() for v in values)
    if whole and high - low + 1 <= n:
        bounds = tuple(float(v) for v in range(int(low), int(high) + 1))
        labels = tuple(_fmt(b, 0) for b in bounds)
    elif high <= low:
        bounds, labels = (low,), (_fmt(low, 0 if whole else 1),)
    else:
        step = (high - low) / n
        digits = 0 if whole and step >= 1 else (1 if step >= 0.1 else 2)
        bounds = tuple(low + step * i for i in range(n))
        edges = [*bounds, high]
        labels = tuple(f"{_fmt(edges[i], digits)}–{_fmt(edges[i + 1], digits)}" for i in range(n))
    k = len(bounds)
    # Spread over the whole ramp: two classes are its palest and its darkest.
    picks = [RAMP[round(i * (len(RAMP) - 1) / (k - 1))] if k > 1 else RAMP[-1] for i in range(k)]
    return Classes(bounds, tuple(picks), labels)


def colour_for(value: float | None, low: float, high: float) -> str:
    """A value's fill on a map whose figures run from low to high (grey: no figure)."""
    return classes([low, high] if high > low else [low]).colour(value)


@dataclass(frozen=True)
class Population:
    """Residents per county for rates per 10,000 (from the city's reference data)."""

    year: int
    counties: dict[str, float]  # code -> residents in 万人
    source: str = ""


def population(settings: Any) -> Population | None:
    """The city's configured population (config/city.yaml `population`), if any."""
    pop = getattr(settings.city, "population", None)
    if pop is None:
        return None
    return Population(pop.year, dict(pop.counties), pop.source)


def per_10k(
    values: Mapping[str, float | None], people: Population
) -> tuple[dict[str, float | None], dict[str, str]]:
    """(rates, texts) per 10,000 residents; a county without a population or figure has none."""
    rates: dict[str, float | None] = {}
    for code, value in values.items():
        residents = people.counties.get(code)
        if value is None or math.isnan(value) or not residents:
            rates[code] = None
        else:
            rates[code] = float(value) / residents  # 万人: per 10,000 already
    texts = {c: "—" if r is None else f"{r:.1f}" for c, r in rates.items()}
    return rates, texts


def per_10k_title(title: str) -> str:
    """A map's title for its rate per 10,000 residents (the legend names the population):
    "12345受理量（2026年10月，件）" -> "12345受理量 每万人（2026年10月）"."""
    head, bracket, inner = title.partition("（")
    when = [p for p in inner.rstrip("）").split("，") if bracket and any(ch.isdigit() for ch in p)]
    return f"{head} 每万人（{'，'.join(when)}）" if when else f"{head} 每万人"


def county_map(
    outlines: dict[str, dict[str, Any]],
    values: Mapping[str, float | None],
    value_text: dict[str, str],
    selected: str | None = None,
    *,
    unit: str = "",
    title: str = "",
    people: Population | None = None,
    codes: Collection[str] | None = None,
) -> go.Figure:
    """A choropleth of the counties; `selected` is outlined. customdata carries county codes.

    With `people`, each county shows its figure per 10,000 residents instead. The legend
    lists the classes with their ranges under `title` and `unit`.

    The county shapes are not in the figure: each shape's trace names its rings in the shared
    geometry (meta), which the browser fetches once and draws (assets/maps.js; with_geometry
    does the same in Python). Every map goes out through map_values, and leaving thousands
    of border points out of the figure spares plotly validating them on every update.

    `codes` draws only those shapes of the file (one county's townships); the rings keep
    their numbers in the whole file's geometry."""
    if people is not None:
        values, value_text = per_10k(values, people)
        value_text = {c: t if t == "—" else f"{t}{unit}/万人" for c, t in value_text.items()}
        unit = f"{unit}/万人"
    numbers = [v for v in values.values() if v is not None and not math.isnan(v)]
    scale = classes(numbers)
    fig = go.Figure()
    ring_no = ring_numbers(outlines)
    if codes is not None:
        outlines = {code: outlines[code] for code in outlines if code in set(codes)}
    # County names and value texts go in as text, never markup (cockpit.plot_text).
    name = {code: plain(county["name"]) for code, county in outlines.items()}
    shown = {code: plain(value_text.get(code, "—")) for code in outlines}
    fills = {code: scale.colour(values.get(code)) for code in outlines}
    for code in outlines:
        for number in ring_no[code]:
            fig.add_trace(
                go.Scatter(
                    mode="lines",
                    fill="toself",
                    hoveron="fills",
                    fillcolor=fills[code],
                    # Borders in the panel's colour (recoloured with the theme): counties
                    # stand apart without a line that competes with the fills.
                    line=dict(color=theme.PANEL, width=1),
                    name=name[code],
                    text=f"{name[code]}：{shown[code]}",
                    hoverinfo="text",
                    customdata=[code],  # its county (one per point once drawn)
                    showlegend=False,
                    meta={"rings": [number], "codes": True},  # drawn from the shared geometry
                )
            )
    if selected in outlines:
        # Drawn last, over its neighbours' borders, as a cased line: a wide line of the page's
        # ground under a narrow one of its text colour shows on the palest and darkest fill.
        for trace_name, colour, width in (
            ("selected-casing", theme.BACKGROUND, 7),
            ("selected", theme.TEXT, 3),
        ):
            fig.add_trace(
                go.Scatter(
                    mode="lines",
                    line=dict(color=colour, width=width),
                    name=trace_name,
                    hoverinfo="skip",
                    customdata=[selected],
                    showlegend=False,
                    meta={"rings": ring_no[selected], "codes": True},
                )
            )
    # The legend: the darkest (most) class first, each swatch with its range (before the
    # labels, which stay the last trace: drawn on top).
    keys = list(zip(scale.colours, scale.labels, strict=True))[::-1]
    if any(fills[c] == MISSING for c in outlines):
        keys.append((MISSING, "无数据"))
    for colour, label in keys:
        fig.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="markers",
                marker=dict(
                    symbol="square", size=14, color=colour, line=dict(color=theme.MUTED, width=1)
                ),
                name=label,
                legendgroup=CLASSES_GROUP,
                showlegend=True,
                hoverinfo="skip",
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
            # Each label in the text colour that reads on its own county's fill, with a halo
            # of the other one where a name runs over a neighbour (潞州区 is narrow).
            textfont=dict(
                size=13,
                color=[label_colour(fills[c]) for c in codes],
                shadow=[_halo(label_colour(fills[c])) for c in codes],
            ),
            textposition="middle center",
            marker=dict(size=26, color="rgba(0,0,0,0)"),
            hoverinfo="text",
            hovertext=[f"{name[c]}：{shown[c]}（点击查看本县区）" for c in codes],
            showlegend=False,
            name="labels",
        )
    )
    legend_title = f"{plain(title)}（{plain(unit)}）" if unit else plain(title)
    if people is not None:  # whose residents, of which year
        note = "，".join(p for p in (f"{people.year}年末常住人口", plain(people.source)) if p)
        legend_title += f"<br>{note}"
    fig.layout = dict(  # given whole: a third of update_layout's cost, the same layout
        template=theme.TEMPLATE_NAME,
        margin=dict(l=0, r=0, t=0, b=0),
        dragmode=False,
        xaxis=dict(visible=False, fixedrange=True),
        hovermode="closest",
        yaxis=dict(visible=False, fixedrange=True, scaleanchor="x", scaleratio=1),
        showlegend=True,
        legend=dict(
            title=dict(text=legend_title, font=dict(size=12)),
            x=0,
            y=0,
            xanchor="left",
            yanchor="bottom",
            bgcolor="rgba(0,0,0,0)",
            font=dict(size=12),
            itemclick=False,
            itemdoubleclick=False,
        ),
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


MEASURES = [{"label": "总量", "value": "total"}, {"label": "每万人", "value": PER_10K}]


def map_block(graph: Any, graph_id: str | None = None, per_capita: bool = False) -> html.Div:
    """A map (its dcc.Graph, or a box holding it) with its values store and its controls:
    总量/每万人 (where a rate per resident means something: counts, not growth rates) and
    返回全市, shown while a county is chosen."""
    graph_id = graph_id or graph.id
    controls: list[Component] = [
        html.Button(
            "返回全市",
            id=f"{graph_id}-city",
            className="map-city",
            title="回到全市",
            style={"display": "none"},  # shown while a county is chosen (register_map)
        )
    ]
    if per_capita:
        controls.insert(
            0,
            dcc.RadioItems(
                id=f"{graph_id}-measure",
                options=MEASURES,
                value="total",
                inline=True,
                className="map-measure",
            ),
        )
    return html.Div(
        className="map-block",
        children=[graph, html.Div(controls, className="map-controls"), values_store(graph_id)],
    )


def register_map(app: Dash, graph_id: str, controls: bool = True) -> None:
    """Draw `graph_id` in the browser from its values store and the geometry fetched once;
    with `controls` (a map laid out by map_block), its 返回全市 button shows while a county is
    chosen and sets the screen back to 全市."""
    from cockpit.shell import CITY_WIDE

    app.clientside_callback(
        ClientsideFunction("cockpit_maps", "draw"),
        Output(graph_id, "figure"),
        Input(f"{graph_id}-values", "data"),
    )
    if not controls:
        return
    # In the browser: no round trip to show a button. Only where 全市 is the user's to choose
    # (a county account has no 全市 to return to).
    app.clientside_callback(
        f"""
        function(county, options) {{
            var city = (options || []).some(function (o) {{ return o.value === '{CITY_WIDE}'; }});
            return (city && county && county !== '{CITY_WIDE}') ? {{}} : {{display: 'none'}};
        }}
        """,
        Output(f"{graph_id}-city", "style"),
        Input("filter-county", "value"),
        State("filter-county", "options"),
    )
    app.clientside_callback(
        f"function(clicks) {{ return clicks ? '{CITY_WIDE}' : window.dash_clientside.no_update; }}",
        Output("filter-county", "value", allow_duplicate=True),
        Input(f"{graph_id}-city", "n_clicks"),
        prevent_initial_call=True,
    )


def register_geometry_route(app: Dash, *paths: str) -> None:
    """Serve the rings of each boundary file (the counties', the townships' where configured)
    at its geometry_url, kept by the browser for good."""
    urls = {geometry_url(path): path for path in paths}

    @app.server.route(GEOMETRY_URL.format(version="<version>"))
    def map_geometry(version: str) -> Response:
        path = urls.get(GEOMETRY_URL.format(version=version))
        if path is None:
            abort(404)  # borders since replaced: the map's next answer names the new URL
        response = Response(geometry_json(path), mimetype="application/json")
        # The URL changes with the content: never stale.
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response
