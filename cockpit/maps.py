"""The county map, drawn from the city's own boundaries with no online basemap or tiles.

Counties are filled polygons on plain x/y axes (longitude scaled by cos(latitude), so shapes
keep their proportions). Nothing is fetched from anywhere: no geo base layer, no tiles, no
WebGL. Each county also has a label marker, which is what a click or tap lands on reliably.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path
from typing import Any

import plotly.graph_objects as go

from cockpit import theme
from cockpit.geo import load_boundaries


@lru_cache(maxsize=8)
def county_outlines(path: str) -> dict[str, dict[str, Any]]:
    """Code -> {name, rings: [[(x, y), ...]], label: (x, y)} in screen coordinates (read-only)."""
    data = load_boundaries(Path(path))
    lats = [pt[1] for f in data["features"] for ring in _rings(f["geometry"]) for pt in ring]
    scale = math.cos(math.radians((min(lats) + max(lats)) / 2))
    out: dict[str, dict[str, Any]] = {}
    for feature in data["features"]:
        code = str(feature.get("id") or feature["properties"]["code"])
        rings = [[(x * scale, y) for x, y in ring] for ring in _rings(feature["geometry"])]
        cx, cy = feature["properties"].get("cp") or rings[0][0]
        out[code] = {
            "name": feature["properties"]["name"],
            "rings": rings,
            "label": (cx * scale, cy),
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
    """A choropleth of the counties; `selected` is outlined. customdata carries county codes."""
    numbers = [v for v in values.values() if v is not None and not math.isnan(v)]
    low, high = (min(numbers), max(numbers)) if numbers else (0.0, 0.0)
    fig = go.Figure()
    for code, county in outlines.items():
        chosen = code == selected
        for ring in county["rings"]:
            xs, ys = zip(*ring, strict=True)
            fig.add_trace(
                go.Scatter(
                    x=xs,
                    y=ys,
                    mode="lines",
                    fill="toself",
                    hoveron="fills",
                    fillcolor=colour_for(values.get(code), low, high),
                    line=dict(
                        color=theme.ACCENT if chosen else "#9cc3ff", width=4 if chosen else 1
                    ),
                    name=county["name"],
                    text=f"{county['name']}：{value_text.get(code, '—')}",
                    hoverinfo="text",
                    customdata=[code] * len(xs),
                    showlegend=False,
                )
            )
    codes = list(outlines)
    fig.add_trace(
        go.Scatter(
            x=[outlines[c]["label"][0] for c in codes],
            y=[outlines[c]["label"][1] for c in codes],
            mode="markers+text",
            customdata=codes,
            text=[f"{outlines[c]['name']}<br>{value_text.get(c, '—')}" for c in codes],
            textfont=dict(size=13, color=theme.MAP_LABEL),
            textposition="middle center",
            marker=dict(size=26, color="rgba(0,0,0,0)"),
            hoverinfo="text",
            hovertext=[
                f"{outlines[c]['name']}：{value_text.get(c, '—')}（点击查看本县区）" for c in codes
            ],
            showlegend=False,
            name="labels",
        )
    )
    fig.update_layout(
        template=theme.TEMPLATE_NAME,
        margin=dict(l=0, r=0, t=0, b=0),
        dragmode=False,
        xaxis=dict(visible=False, fixedrange=True),
        hovermode="closest",
        yaxis=dict(visible=False, fixedrange=True, scaleanchor="x", scaleratio=1),
    )
    return fig
