"""The shell's header and navigation drawn on the server, for the plain Flask pages.

/inbox and /admin/jobs are Jinja pages beside the Dash screens (cockpit/notify/views.py). They
wear the same header as every Dash page — city and title, 演示数据, 数据截至, clock, theme
button, the account — and the role's navigation: the very components cockpit.shell builds,
turned into HTML here, with 数据截至 and the clock filled in on the server rather than by the
Dash callbacks that fill them on a Dash page. assets/notify/notify.js makes the clock tick and
the theme and 更多 buttons work without the Dash renderer.
"""

from __future__ import annotations

from typing import Any

from dash import html
from dash.development.base_component import Component
from markupsafe import Markup, escape

from cockpit import clock, shell
from cockpit.components import attrs
from cockpit.hub import DataHub
from cockpit.panels import PanelSpec
from cockpit.scope import Principal
from cockpit.security.roles import may_open

# Dash property -> HTML attribute, where they differ.
_ATTRIBUTES = {"className": "class", "htmlFor": "for", "tabIndex": "tabindex"}
# Components that are not html.* and the tag that stands for them (dcc.Link is a link).
_TAGS = {"Link": "a"}
_VOID = {"input", "img", "br", "hr", "meta", "link"}
_WEEK = "一二三四五六日"


def to_html(node: Any) -> Markup:
    """A tree of Dash html components (and dcc.Link) as escaped HTML."""
    if node is None or node is False:
        return Markup("")
    if isinstance(node, list | tuple):
        return Markup("").join(to_html(n) for n in node)
    if not isinstance(node, Component):
        return escape(str(node))
    tag = _TAGS.get(node._type, node._type.lower())
    props = node.to_plotly_json()["props"]
    parts = []
    for name, value in props.items():
        if name == "children" or value is None or name.startswith("n_"):
            continue
        if name == "style":
            value = "; ".join(f"{k}: {v}" for k, v in value.items())
        attr = _ATTRIBUTES.get(name, name)
        parts.append(Markup(' {}="{}"').format(Markup(attr), value))
    opening = Markup("<{}{}>").format(Markup(tag), Markup("").join(parts))
    if tag in _VOID:
        return opening
    return opening + to_html(props.get("children")) + Markup("</{}>").format(Markup(tag))


def clock_text() -> str:
    """The header clock as the Dash pages show it (Beijing time), at this moment."""
    now = clock.now()
    return f"{now:%Y-%m-%d} 星期{_WEEK[now.weekday()]} {now:%H:%M:%S}"


def parts(hub: DataHub, panels: list[PanelSpec], user: Principal) -> dict[str, Markup]:
    """The header (数据截至 and the clock drawn) and the role's navigation, as HTML."""
    top = shell.header(hub, user)
    for child in top.children[1].children:  # shell-status: fill what callbacks fill
        if getattr(child, "id", None) == "shell-as-of":
            child.children = shell.as_of_status(hub)
        elif getattr(child, "id", None) == "shell-clock":
            child.children = clock_text()
    visible = [p for p in panels if may_open(user.role, p.key)]
    nav = html.Nav(
        shell.navigation(visible, user),
        className="shell-nav",
        id="shell-nav",
        style={"--phone-tabs": min(len(visible), shell.PHONE_TABS)},
        **attrs({"aria-label": "模块"}),
    )
    return {"header": to_html(top), "nav": to_html(nav)}
