"""The overview arrives with its data in the page's first layout (issue #20 item 7).

A phone's largest paint on / is the first 需要关注 line. It used to wait for the frame, the
router's callback and then the overview's callback; now the layout the renderer fetches first
(/_dash-layout, asked from the page itself) already holds the overview's cards and attention
list, built for the signed-in user's scope (the server session, never the request).

Each test compares the first layout with what the overview's own callback answers over HTTP
for the same period and county, and checks the scope against the county names on screen.
"""

from __future__ import annotations

import json
from typing import Any

from cockpit import shell
from cockpit.scope import Principal
from tests.apps import app_as, close_app
from tests.dash_requests import ORIGIN, callback_body

COUNTY = "140403"


def _find(node: Any, id_: str) -> dict | None:
    """The component with this id in a layout's JSON (or None)."""
    if isinstance(node, dict):
        if node.get("props", {}).get("id") == id_:
            return node
        return _find(node.get("props", {}).get("children"), id_)
    if isinstance(node, list):
        for child in node:
            found = _find(child, id_)
            if found is not None:
                return found
    return None


def _texts(node: Any) -> list[str]:
    """Every string in a component tree, in order."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return _texts(node.get("props", {}).get("children"))
    if isinstance(node, list):
        return [t for child in node for t in _texts(child)]
    return []


def _hrefs(node: Any) -> list[str]:
    """Every link target in a component tree, in order."""
    if isinstance(node, dict):
        props = node.get("props", {})
        own = [props["href"]] if props.get("href") else []
        return own + _hrefs(props.get("children"))
    if isinstance(node, list):
        return [h for child in node for h in _hrefs(child)]
    return []


def _first_layout(app: Any, path: str = "/") -> dict:
    """The layout the renderer fetches first, from the page at `path` (its Referer)."""
    client = app.server.test_client()
    answer = client.get("/_dash-layout", headers={"Referer": f"http://localhost{path}"})
    assert answer.status_code == 200
    return json.loads(answer.data)


def _callback_attention(app: Any, period: str, county: str) -> list:
    """The attention list the overview's callback answers for a period and county."""
    body = callback_body(
        app,
        "overview-attention.children",
        {"filter-period.value": period, "filter-county.value": county},
        ["filter-period.value"],
    )
    client = app.server.test_client()
    answer = client.post("/_dash-update-component", json=body, headers=ORIGIN)
    assert answer.status_code == 200
    return json.loads(answer.data)["response"]["overview-attention"]["children"]


def _filters(layout: dict) -> tuple[str, str]:
    """The period and county the frame opens on."""
    period = _find(layout, "filter-period")["props"]["value"]
    county = _find(layout, "filter-county")["props"]["value"]
    return period, county


def test_leaders_first_layout_holds_the_first_attention_item(app):
    """The leader's first layout of / already lists 需要关注, as the callback would, with links."""
    layout = _first_layout(app)
    period, county = _filters(layout)
    assert county == shell.CITY_WIDE
    shown = _find(layout, "overview-attention")
    assert shown is not None
    items = shown["props"].get("children")
    assert items, "the attention list is empty in the first layout"
    expected = _callback_attention(app, period, county)
    # The first item's words and link, as the callback draws them, are in the first layout.
    assert _texts(items[0]) == _texts(expected[0]) and _texts(items[0])
    assert _hrefs(items[0]) == _hrefs(expected[0]) and _hrefs(items[0])
    assert _texts(items) == _texts(expected)
    # The headline cards come with it (no second paint that moves the list).
    assert _find(layout, "overview-cards-left")["props"].get("children")


def test_county_accounts_first_layout_holds_only_its_county(settings):
    """A county account's first layout lists its own county's items, never another's."""
    user = Principal("c1", "county_staff", frozenset({COUNTY}), frozenset())
    app = app_as(settings, user)
    try:
        layout = _first_layout(app)
        period, county = _filters(layout)
        assert county == COUNTY
        items = _find(layout, "overview-attention")["props"].get("children")
        assert items
        assert _texts(items) == _texts(_callback_attention(app, period, COUNTY))
        names = settings.city.county_names
        others = [n for code, n in names.items() if code != COUNTY]
        words = "".join(_texts(items))
        assert not [n for n in others if n in words], words
        assert "county=" + COUNTY in "".join(_hrefs(items)) or not _hrefs(items)
    finally:
        close_app(app)


def test_other_pages_first_layout_is_unchanged_by_the_overview(app):
    """From another page the first layout carries no overview (the router draws that page)."""
    layout = _first_layout(app, "/economy")
    assert _find(layout, "overview-attention") is None
