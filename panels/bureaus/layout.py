"""The 市局直通 page: the bureaus the data names, and the chosen bureau's page."""

from __future__ import annotations

from typing import Any

from dash import html

from cockpit.components import panel

LABEL: dict[str, Any] = {"aria-label": "市直部门"}


def layout() -> html.Div:
    """Frames with stable ids; callbacks.py fills them for the bureau in the address."""
    return html.Div(
        className="bureaus page-grid",
        children=[
            html.Div(id="bureaus-body", className="bureaus-body span-all"),
            panel(
                "市直部门",
                html.Nav(id="bureaus-index", className="bureaus-index", **LABEL),
                className="span-all bureaus-index-panel",
            ),
        ],
    )
