"""The 一键直联 page: the responsible people (when opened from a thing), duty, the directory."""

from __future__ import annotations

from dash import dcc, html

from cockpit.components import panel
from cockpit.phone import fold


def layout() -> html.Div:
    """Empty frames with stable ids; callbacks.py fills them for the user's scope."""
    return html.Div(
        className="contacts",
        children=[
            html.Div(id="contacts-subject", className="contacts-subject"),
            panel("今日值班", html.Div(id="contacts-duty"), className="contacts-duty"),
            panel(
                "通讯录",
                html.Label(
                    "搜索通讯录", htmlFor="contacts-search", className="contacts-search-label"
                ),
                dcc.Input(
                    id="contacts-search",
                    type="search",
                    placeholder="搜索姓名、单位或职务",
                    debounce=True,
                    maxLength=32,
                    className="contacts-search",
                ),
                # On a phone the directory opens on demand, or as soon as a search is typed.
                *fold("directory", html.Div(id="contacts-list", className="contacts-list")),
                className="contacts-directory",
            ),
        ],
    )
