"""The dark large-screen theme: one Plotly template and the colours the CSS uses too.

Colours are chosen for wall screens seen from metres away: a deep blue ground, light text,
and status colours that stay apart for colour-blind viewers (blue/orange carry meaning with red).
"""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

BACKGROUND = "#06162e"
PANEL = "#0b2345"
GRID = "#1c3a66"
TEXT = "#dbe8ff"
MUTED = "#8fa8cc"
ACCENT = "#35c2ff"
# The national four-colour warning scale (红橙黄蓝), and traffic lights for status.
LEVEL_COLOURS = {1: "#ff3b3b", 2: "#ff8c1a", 3: "#ffd21a", 4: "#2f8cff"}
LEVEL_NAMES = {1: "红色", 2: "橙色", 3: "黄色", 4: "蓝色"}
STATUS_COLOURS = {"green": "#2fd28a", "yellow": "#ffd21a", "red": "#ff4d4f", "none": "#5b6f8f"}
SEQUENTIAL = ["#0e2a52", "#124a86", "#1769b3", "#2a8bd6", "#4fb0f0", "#8fd3ff"]
FONT_FAMILY = (
    '"PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC", '
    '"WenQuanYi Micro Hei", sans-serif'
)
TEMPLATE_NAME = "cockpit_dark"


def register_template() -> None:
    """Register the cockpit's Plotly template (idempotent)."""
    pio.templates[TEMPLATE_NAME] = go.layout.Template(
        layout=go.Layout(
            paper_bgcolor="rgba(0,0,0,0)",
            plot_bgcolor="rgba(0,0,0,0)",
            font=dict(family=FONT_FAMILY, color=TEXT, size=14),
            colorway=[ACCENT, "#2fd28a", "#ffd21a", "#ff8c1a", "#b58cff", "#ff6b9a"],
            xaxis=dict(gridcolor=GRID, zerolinecolor=GRID, linecolor=GRID),
            yaxis=dict(gridcolor=GRID, zerolinecolor=GRID, linecolor=GRID),
            margin=dict(l=10, r=10, t=10, b=10),
            hoverlabel=dict(bgcolor=PANEL, font=dict(family=FONT_FAMILY, color=TEXT)),
        )
    )
