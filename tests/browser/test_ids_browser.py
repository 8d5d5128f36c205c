"""Buttons whose pattern-matching id names a Chinese data key work in a real browser (#20).

Dash rebuilds a pattern-matching id on the server with json.dumps (non-ASCII escaped) while
the browser sends it back raw, so a click on a button whose id carried Chinese reached its
callback as "no click" and did nothing. Each test clicks one such button of the demo data
and checks what the click must leave behind (an acknowledgement, a ticket list, a case, an
audited call), not merely that the page answered.

Marked `browser`; skipped where Chromium is not installed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from selenium.webdriver.common.by import By

from cockpit import audit
from cockpit.store import get_store
from tests.browser_support import console_errors, free_port, skip_without_chromium

pytestmark = pytest.mark.browser
skip_without_chromium()

GAS_WARNING = "长治市燃气类诉求异常增多"  # the demo's planted gas spike, red, city-wide
HOTLINE_PAGE = "/hotline?period=2026-10"


def _serve(dash_duo, app, path: str) -> None:
    """Serve the app on a free port and open `path` on a 1920x1080 window."""
    dash_duo.driver.set_window_size(1920, 1080)
    dash_duo.start_server(app, navigate=False, port=free_port())
    dash_duo.driver.get(dash_duo.server.url.rstrip("/") + path)


def _click(dash_duo, element: Any) -> None:
    """Bring an element to the middle of the window, then click it as a person would."""
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
    element.click()


def _eventually(probe: Callable[[], Any], seconds: float = 15) -> Any:
    """The first truthy answer of `probe` within `seconds` (the last answer otherwise)."""
    deadline = time.monotonic() + seconds
    while not (answer := probe()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return answer


def _audited(app, action: str) -> list:
    """The audit entries of `action` in the app's store (waiting a little for the first)."""
    store = get_store(app.server.extensions["cockpit_hub"])
    return _eventually(lambda: audit.entries(store, action=action))


def test_acknowledging_the_red_gas_warning_is_recorded(dash_duo, app) -> None:
    """签收 on 「长治市燃气类诉求异常增多」 (its id names 燃气) records and audits the 签收."""
    _serve(dash_duo, app, "/risk")
    dash_duo.wait_for_contains_text("#risk-list", GAS_WARNING, timeout=60)
    row = dash_duo.driver.find_element(
        By.XPATH,
        f"//div[contains(@class, 'rk-row')][.//div[@class='rk-title' and text()='{GAS_WARNING}']]",
    )
    warning_id = row.get_attribute("id").removeprefix("risk-row-")
    assert "燃气" in warning_id and "rk-level-1" in row.get_attribute("class")
    _click(dash_duo, row.find_element(By.TAG_NAME, "button"))
    dash_duo.wait_for_contains_text("#risk-ack-message", f"已签收「{GAS_WARNING}」", timeout=30)
    hub = app.server.extensions["cockpit_hub"]
    assert [a.actor_id for a in get_store(hub).acks([warning_id])[warning_id]] == ["default"]
    [entry] = _audited(app, audit.ACKNOWLEDGE)
    assert entry.object == f"warning:{warning_id}" and entry.result == "ok"
    assert console_errors(dash_duo) == []


def test_a_unit_of_the_red_black_list_opens_its_tickets(dash_duo, app) -> None:
    """A unit's name in 承办单位红黑榜 (市住建局, ...) lists that unit's tickets."""
    _serve(dash_duo, app, HOTLINE_PAGE)
    dash_duo.wait_for_element("#hotline-units button.hotline-drill", timeout=60)
    dash_duo.wait_for_element("#hotline-list-table tbody tr", timeout=60)
    button = dash_duo.find_elements("#hotline-units button.hotline-drill")[-1]
    unit = button.text
    assert not unit.isascii()
    _click(dash_duo, button)
    dash_duo.wait_for_contains_text("#hotline-list-title", unit, timeout=30)
    dash_duo.wait_for_element("#hotline-list-table tbody tr", timeout=30)
    assert console_errors(dash_duo) == []


def test_a_category_of_this_weeks_hot_topics_opens_its_tickets(dash_duo, app) -> None:
    """A category in 本周热点 (燃气 first: the week's spike) lists that week's tickets of it."""
    _serve(dash_duo, app, HOTLINE_PAGE)
    dash_duo.wait_for_element("#hotline-hot button.hotline-drill", timeout=60)
    dash_duo.wait_for_element("#hotline-list-table tbody tr", timeout=60)
    button = dash_duo.find_element("#hotline-hot button.hotline-drill")
    category = button.text
    assert category == "燃气"
    _click(dash_duo, button)
    dash_duo.wait_for_contains_text("#hotline-list-title", f"{category}（", timeout=30)
    dash_duo.wait_for_element("#hotline-list-table tbody tr", timeout=30)
    assert console_errors(dash_duo) == []


def test_a_12345_spike_signal_becomes_a_supervision_item(dash_duo, app) -> None:
    """转督办 on the 12345 spike signal (its key names the category) opens a case for it."""
    _serve(dash_duo, app, "/key-work")
    dash_duo.wait_for_element("#key_work-signals li.kind-hotline button", timeout=60)
    signal = dash_duo.find_element("#key_work-signals li.kind-hotline")
    title = signal.find_element(By.CSS_SELECTOR, ".kw-signal-title").text
    assert "燃气" in title
    _click(dash_duo, signal.find_element(By.TAG_NAME, "button"))
    dash_duo.wait_for_contains_text("#key_work-signal-message", "已转督办", timeout=30)
    dash_duo.wait_for_contains_text("#key_work-detail", title, timeout=30)
    hub = app.server.extensions["cockpit_hub"]
    [case] = get_store(hub).cases(signals_only=True)
    assert case.title == title and case.signal_kind == "hotline"
    assert console_errors(dash_duo) == []


def test_a_tap_on_a_duty_phone_is_recorded(dash_duo, app) -> None:
    """The duty roster's phone link (its reference names the duty role) records the call."""
    _serve(dash_duo, app, "/emergency")
    dash_duo.wait_for_element("#emergency-roster a.call-link", timeout=60)
    duty = dash_duo.find_element("#emergency-roster .em-duty")
    role = duty.find_element(By.CSS_SELECTOR, ".em-duty-role").text
    link = duty.find_element(By.CSS_SELECTOR, "a.call-link")
    assert role and not role.isascii() and link.get_attribute("href").startswith("tel:")
    _click(dash_duo, link)  # the phone would dial; the page records the call
    [entry] = _audited(app, audit.CALL)
    assert entry.result == "ok" and entry.object.startswith("duty:")
    assert entry.object.endswith(f":{role}") and entry.detail["org"].startswith(role)
    assert link.get_attribute("href") == f"tel:{entry.detail['number']}".replace("-", "")
    assert console_errors(dash_duo) == []
