"""The emergency map ("一张图"): county boundaries with events, warnings and resources on top.

The counties come from cockpit.maps.county_outlines, which draws x = lon * cos(mid-latitude)
and y = lat. Points must use the same scale to land where they belong, so lon_scale() below
computes it exactly as county_outlines does (see docs/emergency.md for the shared helper this
asks for). Every layer sits at a fixed trace index (LAYERS), so a refresh can replace just the
layers that changed with a dash.Patch instead of sending the whole figure again.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from cockpit import theme
from cockpit.domains.emergency.transform import (
    LEVEL_NAMES,
    LEVEL_WORDS,
    RESOURCE_KINDS,
    WARNING_NAMES,
)
from cockpit.geo import load_boundaries
from cockpit.maps import DIGITS, ring_numbers
from cockpit.plot_text import plain

# Trace order, bottom to top. Indices are part of the Patch protocol: do not reorder lightly.
LAYERS = (
    "counties",
    "county_selected",
    "county_labels",
    "warnings",
    "team",
    "warehouse",
    "shelter",
    "beds",
    "links",
    "events",
    "event_selected",
)
LAYER_INDEX = {name: i for i, name in enumerate(LAYERS)}
RESOURCE_LAYERS = dict(zip(("team", "warehouse", "shelter", "beds"), RESOURCE_KINDS, strict=True))
# The layers a person may switch off, and the layers each switch controls.
TOGGLES = {
    "events": ("events", "event_selected", "links"),
    "warnings": ("warnings",),
    "team": ("team",),
    "warehouse": ("warehouse",),
    "shelter": ("shelter",),
    "beds": ("beds",),
}
TOGGLE_LABELS = {
    "events": "事件",
    "warnings": "预警",
    "team": "救援队伍",
    "warehouse": "物资仓库",
    "shelter": "避难场所",
    "beds": "医疗床位",
}
# Symbols and colours of resources: apart from the red-orange-yellow-blue of levels.
RESOURCE_STYLE = {
    "team": ("square", "#2fd28a"),
    "warehouse": ("hexagon", "#b58cff"),
    "shelter": ("pentagon", "#4fd1c5"),
    "beds": ("cross", "#ff8fb8"),
}
EVENT_SIZES = {1: 30, 2: 26, 3: 22, 4: 19}
COUNTY_FILL = "#0f2d57"
COUNTY_LINE = "#3f78b8"


@lru_cache(maxsize=8)
def lon_scale(path: str) -> float:
    """cos(mid-latitude) of the boundary file: the x scale county_outlines applies to longitude."""
    data = load_boundaries(Path(path))
    lats = [pt[1] for f in data["features"] for ring in _outer_rings(f["geometry"]) for pt in ring]
    return math.cos(math.radians((min(lats) + max(lats)) / 2))


def _outer_rings(geometry: dict[str, Any]) -> list[list[list[float]]]:
    """Outer rings, as county_outlines reads them."""
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"][0]]
    return [poly[0] for poly in geometry["coordinates"]]


def _xy(frame: pd.DataFrame, scale: float) -> tuple[list, list]:
    """Screen coordinates of rows with a position (rows without one are left out upstream).

    Rounded as the county borders are (about 10 m): full float digits were a third of the
    live layers' bytes and no pixel apart."""
    return (
        [round(float(v) * scale, DIGITS) for v in frame["lon"]],
        [round(float(v), DIGITS) for v in frame["lat"]],
    )


def _located(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows that have both coordinates."""
    if frame.empty or "lon" not in frame:
        return frame
    return frame[frame["lon"].notna() & frame["lat"].notna()]


def _time(value: Any) -> str:
    """MM-DD HH:MM, or — when missing."""
    return "—" if value is None or pd.isna(value) else pd.Timestamp(value).strftime("%m-%d %H:%M")


# -- the base: counties ---------------------------------------------------------------------
def county_traces(
    outlines: dict[str, dict[str, Any]], selected: str | None, k: float = 1.0
) -> list[go.Scatter]:
    """Counties (one trace, rings split by gaps), the selected county's outline, and names.

    Both outline traces are drawn from the shared geometry (meta rings, cockpit/maps.py): the
    callback sends them without their points.
    """
    numbers = ring_numbers(outlines)
    everything = [n for ns in numbers.values() for n in ns]
    chosen = numbers.get(selected, []) if selected else []
    rings = [ring for county in outlines.values() for ring in county["rings"]]
    xs, ys = _joined([rings[n] for n in everything])
    sel_x, sel_y = _joined([rings[n] for n in chosen])
    codes = list(outlines)
    return [
        go.Scatter(
            x=xs,
            y=ys,
            meta={"rings": everything},
            mode="lines",
            fill="toself",
            fillcolor=COUNTY_FILL,
            line=dict(color=COUNTY_LINE, width=1 * k),
            hoverinfo="skip",
            name="县区",
        ),
        go.Scatter(
            x=sel_x,
            y=sel_y,
            meta={"rings": chosen},
            mode="lines",
            line=dict(color=theme.ACCENT, width=3 * k),
            hoverinfo="skip",
            name="所选县区",
        ),
        go.Scatter(
            x=[outlines[c]["label"][0] for c in codes],
            y=[outlines[c]["label"][1] for c in codes],
            mode="text",
            text=[plain(outlines[c]["name"]) for c in codes],
            textfont=dict(size=12 * k, color=theme.MUTED),
            hoverinfo="skip",
            name="县区名称",
        ),
    ]


def _joined(rings: list) -> tuple[list, list]:
    """x and y of several rings in one trace, a gap (None) between two rings."""
    xs: list = []
    ys: list = []
    for i, ring in enumerate(rings):
        if i:
            xs.append(None)
            ys.append(None)
        xs += [p[0] for p in ring]
        ys += [p[1] for p in ring]
    return xs, ys


# -- the live layers ------------------------------------------------------------------------
def warning_trace(warnings: pd.DataFrame, scale: float, k: float = 1.0) -> go.Scatter:
    """Warnings in force as triangles in their warning colour (红橙黄蓝)."""
    rows = _located(warnings)
    x, y = _xy(rows, scale) if not rows.empty else ([], [])
    levels = [int(v) for v in rows["level"]] if not rows.empty else []
    return go.Scatter(
        x=x,
        y=y,
        mode="markers",
        marker=dict(
            symbol="triangle-up",
            size=15 * k,
            color=[theme.LEVEL_COLOURS.get(lv, theme.MUTED) for lv in levels],
            line=dict(color=theme.BACKGROUND, width=1),
            opacity=0.9,
        ),
        hovertext=[
            f"{WARNING_NAMES.get(int(r.level), '')}预警 · {plain(r.domain)}<br>{plain(r.title)}"
            f"<br>{plain(r.place) if isinstance(r.place, str) else ''} · {plain(r.stage)}"
            f" · 发布 {_time(r.issued_at)}"
            for r in rows.itertuples()
        ],
        hoverinfo="text",
        customdata=[["warning", str(r.warning_id)] for r in rows.itertuples()],
        name="发布系统预警",
    )


def resource_trace(resources: pd.DataFrame, layer: str, scale: float, k: float = 1.0) -> go.Scatter:
    """One kind of resource, with its stock (available / capacity) in the hover text."""
    kind = RESOURCE_LAYERS[layer]
    rows = _located(resources)
    rows = rows[rows["kind"] == kind] if not rows.empty else rows
    x, y = _xy(rows, scale) if not rows.empty else ([], [])
    symbol, colour = RESOURCE_STYLE[layer]
    return go.Scatter(
        x=x,
        y=y,
        mode="markers",
        marker=dict(
            symbol=symbol, size=11 * k, color=colour, line=dict(color=theme.BACKGROUND, width=1)
        ),
        hovertext=[
            f"{plain(r.name)}<br>{plain(kind)} · 可用 {_amount(r.available)}/{_amount(r.capacity)}"
            f" {plain(r.unit)}"
            + (
                f"<br>联系人 {plain(r.contact)} {plain(r.phone)}"
                if isinstance(r.contact, str)
                else ""
            )
            for r in rows.itertuples()
        ],
        hoverinfo="text",
        # No customdata: a tap on a resource selects nothing (only events are selected), and
        # ids on every point were a tenth of the screen's first answer.
        name=kind,
    )


def _amount(value: Any) -> str:
    """A stock figure: whole numbers without decimals, — when missing."""
    if value is None or pd.isna(value):
        return "—"
    return f"{float(value):,.0f}"


def link_trace(
    event: dict | None, nearest: pd.DataFrame, scale: float, k: float = 1.0
) -> go.Scatter:
    """Dashed lines from the selected event to the nearest resource of each kind.

    Distances are in the resources table beside the map; labels here would bury the symbols.
    """
    x: list = []
    y: list = []
    if event is not None and not nearest.empty and pd.notna(event.get("lon")):
        closest = nearest.groupby("kind", sort=False).head(1)
        for r in closest.itertuples():
            x += [round(float(event["lon"]) * scale, DIGITS), round(float(r.lon) * scale, DIGITS)]
            y += [round(float(event["lat"]), DIGITS), round(float(r.lat), DIGITS)]
            x.append(None)
            y.append(None)
    return go.Scatter(
        x=x,
        y=y,
        mode="lines",
        line=dict(color=theme.ACCENT, width=1.5 * k, dash="dash"),
        hoverinfo="skip",
        name="就近资源",
    )


def event_trace(active: pd.DataFrame, scale: float, k: float = 1.0) -> go.Scatter:
    """Active events as large circles in their level's colour, named on the map."""
    rows = _located(active)
    x, y = _xy(rows, scale) if not rows.empty else ([], [])
    levels = [int(v) for v in rows["level"]] if not rows.empty else []
    return go.Scatter(
        x=x,
        y=y,
        mode="markers+text",
        marker=dict(
            symbol="circle",
            size=[EVENT_SIZES.get(lv, 18) * k for lv in levels],
            color=[theme.LEVEL_COLOURS.get(lv, theme.MUTED) for lv in levels],
            line=dict(color="#ffffff", width=2 * k),
        ),
        text=[plain(r.title) for r in rows.itertuples()],
        textposition="bottom center",
        textfont=dict(size=14 * k, color="#ffffff"),
        hovertext=[
            f"{LEVEL_NAMES.get(int(r.level), '')}（{LEVEL_WORDS.get(int(r.level), '')}）"
            f"{plain(r.title)}<br>{plain(r.place)} · {plain(r.status)} · 接报 {_time(r.reported_at)}"
            f"<br>死亡 {_count(r.deaths)} 人 · 受伤 {_count(r.injuries)} 人（点击查看）"
            for r in rows.itertuples()
        ],
        hoverinfo="text",
        customdata=[["event", str(r.event_id)] for r in rows.itertuples()],
        name="突发事件",
    )


def _count(value: Any) -> str:
    """A casualty figure, — when missing (missing is never 0)."""
    return "—" if value is None or pd.isna(value) else str(int(value))


def selected_trace(event: dict | None, scale: float, k: float = 1.0) -> go.Scatter:
    """A ring around the selected event."""
    x: list[float] = []
    y: list[float] = []
    if event is not None and pd.notna(event.get("lon")) and pd.notna(event.get("lat")):
        x, y = [float(event["lon"]) * scale], [float(event["lat"])]
    return go.Scatter(
        x=x,
        y=y,
        mode="markers",
        marker=dict(symbol="circle-open", size=46 * k, color=theme.ACCENT, line=dict(width=3 * k)),
        hoverinfo="skip",
        name="所选事件",
    )


def live_layers(
    active: pd.DataFrame,
    warnings: pd.DataFrame,
    resources: pd.DataFrame,
    event: dict | None,
    nearest: pd.DataFrame,
    scale: float,
    shown: list[str] | None,
    k: float = 1.0,
) -> dict[str, dict]:
    """Every layer above the counties, as plain trace dicts keyed by layer name."""
    traces = {
        "warnings": warning_trace(warnings, scale, k),
        **{layer: resource_trace(resources, layer, scale, k) for layer in RESOURCE_LAYERS},
        "links": link_trace(event, nearest, scale, k),
        "events": event_trace(active, scale, k),
        "event_selected": selected_trace(event, scale, k),
    }
    hidden = hidden_layers(shown)
    out = {}
    for name, trace in traces.items():
        trace.update(visible=name not in hidden, showlegend=False)
        out[name] = trace.to_plotly_json()
    return out


def hidden_layers(shown: list[str] | None) -> set[str]:
    """The layers switched off by the layer checklist (None: everything shown)."""
    if shown is None:
        return set()
    return {layer for toggle, layers in TOGGLES.items() if toggle not in shown for layer in layers}


def map_figure(
    outlines: dict[str, dict[str, Any]],
    selected_county: str | None,
    layers: dict[str, dict],
    k: float = 1.0,
) -> go.Figure:
    """The whole map: counties, then every live layer at its fixed index (k scales for 4K)."""
    fig = go.Figure()
    for trace in county_traces(outlines, selected_county, k):
        trace.update(showlegend=False)
        fig.add_trace(trace)
    for name in LAYERS[3:]:
        fig.add_trace(layers[name])
    fig.update_layout(
        template=theme.TEMPLATE_NAME,
        margin=dict(l=0, r=0, t=0, b=0),
        dragmode=False,
        showlegend=False,
        hovermode="closest",
        font=dict(size=14 * k),
        hoverlabel=dict(font=dict(size=14 * k)),
        clickmode="event",
        # Same uirevision across refreshes: hover and layer state survive a Patch.
        uirevision="emergency",
        xaxis=dict(visible=False, fixedrange=True),
        yaxis=dict(visible=False, fixedrange=True, scaleanchor="x", scaleratio=1),
    )
    return fig
