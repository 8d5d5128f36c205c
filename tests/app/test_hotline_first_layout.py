"""The 12345 page arrives with its KPI cards in the page's first layout (issue #20 item 7).

A phone's first screen on /hotline is its KPI cards, and its largest paint their period line.
They used to wait for the frame, the router's callback and then the KPI callback; now the
layout the renderer fetches first already holds them, built for the signed-in user's scope,
from the same cache entry as the callback's (which then answers only changes of period or
county). Each test compares the first layout with what the callback answers over HTTP.
"""

from __future__ import annotations

import json
from typing import Any

from cockpit import shell
from cockpit.scope import Principal
from tests.app.test_overview_first_layout import COUNTY, _filters, _find, _first_layout, _texts
from tests.apps import app_as, close_app
from tests.dash_requests import ORIGIN, callback_body

KPI_OUTPUTS = ("hotline-kpis", "hotline-kpis-period", "hotline-kpis-foot")


def _callback_kpis(app: Any, period: str, county: str) -> dict[str, Any]:
    """The KPI callback's three outputs for a period and county."""
    body = callback_body(
        app,
        "hotline-kpis.children",
        {"filter-period.value": period, "filter-county.value": county},
        ["filter-period.value"],
    )
    client = app.server.test_client()
    answer = client.post("/_dash-update-component", json=body, headers=ORIGIN)
    assert answer.status_code == 200, answer.data[:300]
    response = json.loads(answer.data)["response"]
    return {key: response[key]["children"] for key in KPI_OUTPUTS}


def _shown(layout: dict) -> dict[str, Any]:
    """The KPI section's three parts as the first layout holds them."""
    return {key: _find(layout, key)["props"].get("children") for key in KPI_OUTPUTS}


def test_leaders_first_layout_of_hotline_holds_the_kpi_cards(app):
    """The leader's first layout of /hotline holds the KPI cards, their period line and 数据截至,
    as the KPI callback draws them."""
    layout = _first_layout(app, "/hotline")
    period, county = _filters(layout)
    assert county == shell.CITY_WIDE
    shown = _shown(layout)
    assert shown["hotline-kpis"], "no KPI cards in the first layout"
    assert "全市" in "".join(_texts(shown["hotline-kpis-period"]))
    expected = _callback_kpis(app, period, county)
    for key in KPI_OUTPUTS:
        assert _texts(shown[key]) == _texts(expected[key]) and _texts(shown[key]), key


def test_county_accounts_first_layout_of_hotline_is_its_county(settings):
    """A county account's first layout counts its own county's tickets, as its callback does."""
    user = Principal("c1", "county_staff", frozenset({COUNTY}), frozenset())
    app = app_as(settings, user)
    try:
        layout = _first_layout(app, "/hotline")
        period, county = _filters(layout)
        assert county == COUNTY
        shown = _shown(layout)
        assert settings.city.county_names[COUNTY] in "".join(_texts(shown["hotline-kpis-period"]))
        expected = _callback_kpis(app, period, COUNTY)
        assert _texts(shown["hotline-kpis"]) == _texts(expected["hotline-kpis"])
    finally:
        close_app(app)
