"""风险管控 in the browser: the screen draws, a linked warning is highlighted and 签收 is recorded.

Marked `browser`; skipped where Chromium is not installed. Screenshots go to
artifacts/screenshots/ (risk-1920x1080.png, risk-390x844.png).
"""

from __future__ import annotations

import pytest

from cockpit.store import get_store
from tests.browser_support import SHOTS, console_errors, emulate, skip_without_chromium, start

pytestmark = pytest.mark.browser
skip_without_chromium()


def _first_source_warning(app) -> str:
    """A warning in force from the source (orange: the demo keeps one in force)."""
    from cockpit.domains.risk import data

    hub = app.server.extensions["cockpit_hub"]
    with app.server.test_request_context("/"):
        frame = data.warnings_in_force(hub, None).frame
    return str(frame.iloc[0]["warning_id"])


def test_screen_draws_and_a_linked_warning_is_acknowledged(dash_duo, app) -> None:
    """/risk?warning=<id> highlights that warning; 签收 records it for the user."""
    warning_id = _first_source_warning(app)
    dash_duo.driver.set_window_size(1920, 1080)
    start(dash_duo, app)
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/risk?warning={warning_id}", timeout=30)
    row = f"#risk-row-{warning_id}"
    dash_duo.wait_for_element(f"{row}.rk-highlight button", timeout=60)
    dash_duo.wait_for_element("#risk-map .main-svg", timeout=30)
    dash_duo.wait_for_element("#risk-trend .main-svg", timeout=30)
    dash_duo.wait_for_contains_text("#risk-summary", "红色预警", timeout=30)
    dash_duo.find_element(f"{row} button").click()
    dash_duo.wait_for_contains_text("#risk-ack-message", "已签收", timeout=30)
    dash_duo.wait_for_contains_text(row, "签收：default", timeout=30)
    hub = app.server.extensions["cockpit_hub"]
    assert [a.actor_id for a in get_store(hub).acks([warning_id])[warning_id]] == ["default"]
    dash_duo.driver.execute_script("window.scrollTo(0, 0)")
    SHOTS.mkdir(parents=True, exist_ok=True)
    dash_duo.driver.save_screenshot(str(SHOTS / "risk-1920x1080.png"))
    assert console_errors(dash_duo) == []


def test_phone_view_reads_without_horizontal_scroll(dash_duo, app) -> None:
    """At 390x844 the screen stacks into one column and fits the width."""
    emulate(dash_duo, 390, 844)
    start(dash_duo, app)
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/risk", timeout=30)
    dash_duo.wait_for_element("#risk-list .rk-row", timeout=60)
    dash_duo.wait_for_element("#risk-map .main-svg", timeout=30)
    width = dash_duo.driver.execute_script("return document.documentElement.scrollWidth")
    inner = 390  # the device width: a mobile viewport widens itself to fit what overflows
    SHOTS.mkdir(parents=True, exist_ok=True)
    dash_duo.driver.save_screenshot(str(SHOTS / "risk-390x844.png"))
    assert width <= inner
    assert console_errors(dash_duo) == []
