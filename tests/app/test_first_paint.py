"""The first paint: each page comes with its first layout drawn as HTML (issue #20 item 7).

The layout the renderer fetches (/_dash-layout) and the first paint are the same tree, drawn
for the same signed-in user: the texts of one are the texts of the other, in order, so the
first paint shows what the page shows, within the same scope. The browser side (painted
before the scripts run, replaced without moving) is in tests/browser/test_phone_browser.py.
"""

from __future__ import annotations

import logging
import re
from html.parser import HTMLParser
from typing import Any

import pytest

from cockpit import clock
from cockpit.scope import Principal
from tests.apps import app_as, close_app

# 潞城区 (config/city.yaml), for a county account.
LUCHENG = "140406"
# Core components whose props hold no text the page shows as children.
NO_TEXT = {"Store", "Location", "Interval", "Download"}


class FirstPaint(HTMLParser):
    """The #first-paint element of a page: its texts in order, its ids, its links."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0  # inside #first-paint: how many elements deep
        self.texts: list[str] = []
        self.ids: list[str] = []
        self.links: list[str] = []
        self.found = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if self.depth:
            if tag not in ("input", "br", "img", "hr", "link", "meta"):
                self.depth += 1
            if "id" in named:
                self.ids.append(str(named["id"]))
            if tag == "a":
                self.links.append(str(named.get("href")))
        elif named.get("id") == "first-paint":
            self.depth, self.found = 1, True

    def handle_endtag(self, tag: str) -> None:
        if self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth and data.strip():
            self.texts.append(data.strip())


def first_paint(client: Any, path: str) -> FirstPaint:
    response = client.get(path)
    assert response.status_code == 200, path
    parser = FirstPaint()
    parser.feed(response.get_data(as_text=True))
    return parser


def layout_texts(client: Any, path: str) -> list[str]:
    """The texts of the layout the renderer gets for this page, in order."""
    response = client.get("/_dash-layout", headers={"Referer": f"http://localhost{path}"})
    assert response.status_code == 200
    texts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for child in node:
                walk(child)
        elif isinstance(node, str | int | float) and not isinstance(node, bool):
            if str(node).strip():
                texts.append(str(node).strip())
        elif isinstance(node, dict) and "props" in node and node.get("type") not in NO_TEXT:
            walk(node["props"].get("children"))

    walk(response.get_json())
    return texts


def in_order(wanted: list[str], text: str) -> list[str]:
    """The texts of `wanted` not found in `text` in their order (empty: all are)."""
    missing, at = [], 0
    for piece in wanted:
        found = text.find(piece, at)
        if found < 0:
            missing.append(piece)
        else:
            at = found + len(piece)
    return missing


@pytest.fixture
def stopped_clock(monkeypatch) -> None:
    """The header's clock (drawn in both) at one moment for the page and its layout."""
    now = clock.now()
    monkeypatch.setattr(clock, "now", lambda: now)


@pytest.mark.parametrize("path", ["/", "/hotline"])
def test_the_page_comes_drawn_with_its_first_layout(app, stopped_clock, path: str) -> None:
    """The leader's / and /hotline arrive with their first screen drawn: every text of the
    layout the renderer will draw, in order (on main the page held only "Loading...")."""
    client = app.server.test_client()
    paint = first_paint(client, path)
    assert paint.found, f"{path}: no first paint"
    wanted = layout_texts(client, path)
    assert len(wanted) > 40, wanted
    assert in_order(wanted, "\n".join(paint.texts)) == []


def test_the_overview_first_paint_lists_what_needs_attention_as_links(app) -> None:
    """需要关注 is first on a phone: its items are in the first paint, each a plain link to
    its screen and item, which works before any script has run."""
    paint = first_paint(app.server.test_client(), "/")
    text = "\n".join(paint.texts)
    assert "需要关注" in text
    items = [
        link
        for link in paint.links
        if re.search(r"[?&](warning|task|event|indicator|drill)=", link)
    ]
    assert len(items) >= 5, paint.links


def test_the_first_paint_names_no_element_by_id(app) -> None:
    """No id in the first paint: scripts, tests and #links only ever find the live page."""
    for path in ("/", "/hotline", "/economy", "/risk"):
        paint = first_paint(app.server.test_client(), path)
        assert paint.found and paint.ids == [], (path, paint.ids[:5])


def test_a_county_account_first_paint_is_its_own_layout(settings, stopped_clock) -> None:
    """A county account's first paint is drawn within its scope, as its layout is: the same
    texts, and none of the other counties' names (潞城区's account on the overview)."""
    county = Principal("lucheng", "county_staff", frozenset({LUCHENG}), frozenset(), "潞城")
    app = app_as(settings, county)
    try:
        client = app.server.test_client()
        for path in ("/", "/hotline"):
            paint = first_paint(client, path)
            assert paint.found, path
            assert in_order(layout_texts(client, path), "\n".join(paint.texts)) == [], path
        hub = app.server.extensions["cockpit_hub"]
        others = [c.name for c in hub.settings.city.counties if c.code != LUCHENG]
        text = "\n".join(first_paint(client, "/hotline").texts)
        assert "潞城区" in text
        assert [name for name in others if name in text] == []
    finally:
        close_app(app)


def test_a_wall_page_has_no_first_paint(app) -> None:
    """The wall shows a screen only once it has drawn (and draws its own view): no first
    paint there, and its scripts run at once."""
    paint = first_paint(app.server.test_client(), "/?wall=1")
    assert not paint.found


def test_a_layout_that_cannot_be_drawn_leaves_the_page_as_it_was(app, monkeypatch, caplog) -> None:
    """If the first paint fails, the page is still served, without it, and the failure is
    logged with the page's path: the renderer draws the page as before."""
    import cockpit.screens

    def broken(_layout: Any) -> str:
        raise TypeError("first paint: cannot draw Widget")

    monkeypatch.setattr(cockpit.screens, "to_html", broken)
    with caplog.at_level(logging.ERROR, logger="cockpit.screens"):
        response = app.server.test_client().get("/hotline")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert 'id="first-paint"' not in body and 'id="react-entry-point"' in body
    assert any("/hotline" in r.getMessage() and r.exc_info for r in caplog.records)


def test_an_administrator_page_says_when_the_data_are_from(settings, stopped_clock) -> None:
    """/admin's header said no 数据截至 to an administrator (no city data, so no filters and no
    callback to fill it): the header now comes with it drawn, the city's date, in the page's
    layout and so in its first paint."""
    from cockpit.security.roles import ROLES

    admin = Principal("sysadmin", "admin", frozenset(), ROLES["admin"].permissions, "管理员")
    app = app_as(settings, admin)
    try:
        client = app.server.test_client()
        texts = layout_texts(client, "/admin")
        assert "数据截至" in texts, texts[:20]
        assert "数据截至" in first_paint(client, "/admin").texts
    finally:
        close_app(app)
