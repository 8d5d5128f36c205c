"""The first paint: the page's first layout drawn as HTML on the server (issue #20 item 7).

A Dash page shows nothing of its own until React, the renderer and the components have run
and drawn the layout; on a phone's slower CPU that is seconds after the page arrived
(Lighthouse mobile: 88% of the largest paint was waiting for scripts). The server already
draws each page's first screen with its data (PanelSpec.first_layout), so the page it sends
carries that same component tree as plain HTML, in `<div id="first-paint">`, painted as soon
as the stylesheet is in.

Meanwhile the renderer draws the same layout into #react-entry-point, laid out but hidden
(assets/cockpit.css); once its frame is in, assets/head/screens.js removes the first paint
and the live page shows in its place, at the same size and position. Until then the first
paint's links work as plain links (a full page load), and nothing else is interactive.

The HTML mirrors what Dash 4's components draw (the same elements and classes, so the same
stylesheet lays it out the same), with three differences:
- no `id` attributes, so that scripts, tests and `#fragment` links only ever find the live
  page's elements, and nothing is named twice;
- components that only hold state (Store, Location, Interval, Download) draw nothing;
- a chart is its empty, pending box (plotly.js is fetched later, when a chart is seen).
"""

from __future__ import annotations

import html
import numbers
import re
from collections.abc import Iterable
from contextvars import ContextVar
from typing import Any

from dash.development.base_component import Component

# Elements HTML closes by itself (no end tag).
VOID = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    ]
)
# Dash's html components whose element name is not their lower-cased type.
TAGS = {"MapEl": "map", "ObjectEl": "object"}
# React's names for attributes that HTML spells differently.
ATTRIBUTES = {
    "className": "class",
    "htmlFor": "for",
    "tabIndex": "tabindex",
    "colSpan": "colspan",
    "rowSpan": "rowspan",
    "maxLength": "maxlength",
    "readOnly": "readonly",
    "accessKey": "accesskey",
    "contentEditable": "contenteditable",
}
# Props that are Dash's own bookkeeping, never an attribute.
NOT_ATTRIBUTES = frozenset(
    {
        "id",
        "children",
        "style",
        "key",
        "n_clicks",
        "n_clicks_timestamp",
        "loading_state",
        "disable_n_clicks",
        "setProps",
    }
)
# Numbers React writes without "px" (a subset of React's list: those the cockpit could use).
UNITLESS = frozenset(
    {"flex", "flexGrow", "flexShrink", "fontWeight", "lineHeight", "opacity", "order", "zIndex"}
)
# The dropdown's chevron, as Dash 4 draws it (its 15 px are part of the button's width).
CHEVRON = (
    '<svg width="15" height="15" viewBox="0 0 15 15" fill="none" aria-hidden="true"'
    ' class="dash-dropdown-trigger-icon"><path d="M4.18 6.18a.45.45 0 0 1 .64 0L7.5 8.86'
    'l2.68-2.68a.45.45 0 1 1 .64.64l-3 3a.45.45 0 0 1-.64 0l-3-3a.45.45 0 0 1 0-.64z"'
    ' fill="currentColor"></path></svg>'
)
# Whether this drawing keeps ids (to_html's `ids`).
_KEEP_IDS: ContextVar[bool] = ContextVar("first_paint_keep_ids", default=False)
# Core components that hold state or act, and draw nothing.
NOTHING = frozenset({"Store", "Location", "Interval", "Download", "Clipboard", "Geolocation"})


def to_html(node: Any, ids: bool = False) -> str:
    """The HTML of a component tree (a component, a list, a string, a number or None).

    ids: keep the components' (string) ids, for a page that has no live copy of the tree
    (the plain Flask pages' header: cockpit/static_shell.py)."""
    token = _KEEP_IDS.set(ids)
    try:
        return "".join(_parts(node))
    finally:
        _KEEP_IDS.reset(token)


def _parts(node: Any) -> Iterable[str]:
    if node is None or isinstance(node, bool):
        return  # React draws nothing for these
    if isinstance(node, _Raw):
        yield node
    elif isinstance(node, str | numbers.Number):  # numpy's numbers too, as Dash's JSON writes
        yield html.escape(str(node), quote=False)
    elif isinstance(node, list | tuple):
        for child in node:
            yield from _parts(child)
    elif isinstance(node, Component):
        yield from _component(node._namespace, node._type, node.to_plotly_json()["props"])
    elif isinstance(node, dict) and {"namespace", "type", "props"} <= node.keys():
        # A component as JSON: a callback's answer, kept in the cache, drawn again.
        yield from _component(node["namespace"], node["type"], node["props"])
    else:
        raise TypeError(f"first paint: cannot draw {type(node).__name__}")


def _component(namespace: str, kind: str, props: dict) -> Iterable[str]:
    if namespace == "dash_html_components":
        yield from _element(TAGS.get(kind, kind.lower()), props)
    elif namespace == "dash_core_components":
        yield from _core(kind, props)
    else:
        # Another library's component: its children, where it has any, in a plain box.
        yield from _element("div", {"className": props.get("className"), **_children(props)})


def _children(props: dict) -> dict:
    return {"children": props["children"]} if "children" in props else {}


def _core(kind: str, props: dict) -> Iterable[str]:
    """What Dash 4's core components draw, as far as the page's first look needs."""
    if kind in NOTHING:
        return
    if kind == "Link":
        attrs = {k: props.get(k) for k in ("id", "className", "title", "target", "style")}
        yield from _element("a", {"href": props.get("href"), **attrs, **_children(props)})
    elif kind == "Loading":
        # dcc.Loading's two boxes: its children, and the spinner's place.
        inner = _drawn("div", {"style": {}, **_children(props)})
        yield from _element("div", {"style": {"position": "relative"}, "children": inner})
    elif kind == "Graph":
        classes = " ".join(filter(None, ("dash-graph", props.get("className"))))
        yield from _element(
            "div", {"className": f"{classes} dash-graph--pending", "style": props.get("style")}
        )
    elif kind == "Dropdown":
        yield from _dropdown(props)
    elif kind in ("RadioItems", "Checklist"):
        yield from _options(kind, props)
    elif kind in ("Input", "Textarea"):
        tag = "input" if kind == "Input" else "textarea"
        keep = ("className", "placeholder", "maxLength", "type", "value", "style")
        yield from _element(tag, {k: props.get(k) for k in keep})
    else:
        yield from _element("div", {"className": props.get("className"), **_children(props)})


def _labels(options: Any) -> list[tuple[Any, Any]]:
    """(value, label) of a dropdown's or a list's options, in any of Dash's forms."""
    if isinstance(options, dict):
        return list(options.items())
    pairs = []
    for option in options or []:
        if isinstance(option, dict):
            pairs.append((option.get("value"), option.get("label", option.get("value"))))
        else:
            pairs.append((option, option))
    return pairs


def _dropdown(props: dict) -> Iterable[str]:
    """A closed single-value dropdown: its button with the chosen option's label."""
    value = props.get("value")
    label = next((lab for val, lab in _labels(props.get("options")) if val == value), "")
    classes = " ".join(filter(None, ("dash-dropdown", props.get("className"))))
    shown = _span(
        "dash-dropdown-grid-container dash-dropdown-trigger",
        [
            _span("dash-dropdown-value", _span("dash-dropdown-value-item", _span("", label))),
            _Raw(CHEVRON),
        ],
    )
    button = _drawn(
        "button", {"type": "button", "className": classes, "tabIndex": -1, "children": shown}
    )
    yield from _element("div", {"className": "dash-dropdown-wrapper", "children": button})


def _options(kind: str, props: dict) -> Iterable[str]:
    """RadioItems and Checklist: the list of labelled inputs, the chosen ones checked."""
    chosen = props.get("value")
    chosen = chosen if isinstance(chosen, list) else [chosen]
    inline = " dash-radioitems-inline" if props.get("inline") else ""
    kind_class = "dash-radioitems" if kind == "RadioItems" else "dash-checklist"
    kind_input = "radio" if kind == "RadioItems" else "checkbox"
    items = []
    for value, label in _labels(props.get("options")):
        selected = " selected" if value in chosen else ""
        box = _drawn(
            "input",
            {
                "type": kind_input,
                "readOnly": True,
                "className": "dash-options-list-option-checkbox",
                "checked": value in chosen,
            },
        )
        items.append(
            _tag(
                "label",
                f"dash-options-list-option{selected}{inline}",
                [
                    _span("dash-options-list-option-wrapper", box),
                    _span("dash-options-list-option-text", _span("", label)),
                ],
            )
        )
    classes = " ".join(filter(None, ("dash-options-list", kind_class, props.get("className"))))
    yield from _element("div", {"className": classes, "children": _Raw("".join(items))})


class _Raw(str):
    """HTML already drawn here, put in as it is."""


def _drawn(tag: str, props: dict) -> _Raw:
    """An element drawn here (not a Dash component), as HTML."""
    return _Raw("".join(_element(tag, props)))


def _tag(tag: str, class_name: str, children: Any) -> _Raw:
    return _drawn(tag, {"className": class_name or None, "children": children})


def _span(class_name: str, children: Any) -> _Raw:
    return _tag("span", class_name, children)


def _element(tag: str, props: dict) -> Iterable[str]:
    yield f"<{tag}{_attributes(props)}>"
    if tag in VOID:
        return
    yield from _parts(props.get("children"))
    yield f"</{tag}>"


def _attributes(props: dict) -> str:
    out = []
    if _KEEP_IDS.get() and isinstance(props.get("id"), str):
        out.append(f' id="{html.escape(props["id"])}"')
    for name, value in props.items():
        if name in NOT_ATTRIBUTES or value is None or value is False:
            continue
        attribute = ATTRIBUTES.get(name, name)
        if value is True:
            out.append(f" {attribute}")
        else:
            out.append(f' {attribute}="{html.escape(str(value))}"')
    style = _style(props.get("style"))
    if style:
        out.append(f' style="{html.escape(style)}"')
    return "".join(out)


def _style(style: dict | None) -> str:
    """React's style object as CSS: camelCase names hyphenated, bare numbers in px."""
    if not style:
        return ""
    rules = []
    for name, value in style.items():
        if value is None:
            continue
        css = (
            name if name.startswith("--") else re.sub(r"[A-Z]", lambda m: "-" + m[0].lower(), name)
        )
        bare = isinstance(value, int | float) and not isinstance(value, bool) and value != 0
        if bare and name not in UNITLESS and not name.startswith("--"):
            value = f"{value}px"
        rules.append(f"{css}: {value}")
    return "; ".join(rules)
