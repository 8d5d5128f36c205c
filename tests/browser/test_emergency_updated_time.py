"""应急指挥's 「已更新」 time is the city's clock on the server (#20 item 8), not the browser's.

The header's clock shows Beijing time; the connection line beside it used the browser's own
clock (getHours), so a screen set to another timezone (or a drifting PC clock) showed another
time. The server now stamps each callback answer with cockpit.clock's time, and the line shows
that stamp.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from cockpit import clock
from tests.dash_requests import callback_body, post

FIXED = dt.datetime(2026, 11, 19, 23, 30, 5)  # a Beijing time no browser clock here would show


def test_every_callback_answer_carries_the_city_time(app, monkeypatch) -> None:
    """The refresh's answer (200) and a no-change answer (204) both carry the city's time."""
    monkeypatch.setattr(clock, "now", lambda: FIXED)
    client = app.server.test_client()
    values = {"filter-county.value": "city", "emergency-layers.value": ["events"]}
    response = post(client, callback_body(app, "emergency-map-values.data", values))
    assert response.status_code == 200
    assert response.headers["X-City-Time"] == "23:30:05"
    # With the live refresh on, the idle check sends nothing (204): the time still comes.
    idle = callback_body(
        app,
        "emergency-poke.data",
        {"emergency-watch.n_intervals": 1, "emergency-live.disabled": False},
        ["emergency-watch.n_intervals"],
    )
    response = post(client, idle)
    assert response.status_code == 204
    assert response.headers["X-City-Time"] == "23:30:05"


def test_the_script_shows_the_servers_time_not_the_browsers() -> None:
    """assets/emergency.js takes the time from the answer's header, never from new Date()."""
    from pathlib import Path

    script = (Path(__file__).parents[2] / "assets" / "emergency.js").read_text(encoding="utf-8")
    assert "X-City-Time" in script
    assert not re.search(r"getHours|getMinutes|getSeconds", script)


@pytest.mark.browser
def test_a_screen_in_another_timezone_shows_beijing_time(dash_duo, app) -> None:
    """A browser set to New York (13 hours behind Beijing) shows the city's 已更新 time."""
    from tests.browser_support import free_port, skip_without_chromium

    skip_without_chromium()
    dash_duo.driver.execute_cdp_cmd(
        "Emulation.setTimezoneOverride", {"timezoneId": "America/New_York"}
    )
    dash_duo.start_server(app, navigate=False, port=free_port())
    dash_duo.driver.get(dash_duo.server.url.rstrip("/") + "/emergency")
    dash_duo.wait_for_contains_text("#emergency-connection", "已更新", timeout=30)
    text = dash_duo.find_element("#emergency-connection").text
    shown = re.search(r"(\d\d):(\d\d):(\d\d) 已更新", text)
    assert shown, text
    browser_hour = dash_duo.driver.execute_script("return new Date().getHours();")
    city = clock.now()
    shown_time = city.replace(hour=int(shown[1]), minute=int(shown[2]), second=int(shown[3]))
    assert abs((city - shown_time).total_seconds()) < 120, (text, city)
    assert browser_hour != city.hour  # the browser really is in another timezone
