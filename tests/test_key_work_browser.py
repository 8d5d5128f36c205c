"""重点工作 in the browser: a red indicator turned into a supervision item and an action recorded.

Marked `browser`; skipped where Chromium is not installed. Screenshots go to
artifacts/screenshots/ (key_work-1920x1080.png, key_work-390x844.png).
"""

from __future__ import annotations

import pytest

from cockpit.store import get_store
from tests.browser_support import SHOTS, console_errors, emulate, skip_without_chromium, start

pytestmark = pytest.mark.browser
skip_without_chromium()


def test_red_indicator_becomes_a_supervision_item(dash_duo, app) -> None:  # noqa: ANN001
    """转督办 on a red indicator opens an item linked to the figure; 催办 is then recorded."""
    dash_duo.driver.set_window_size(1920, 1080)
    start(dash_duo, app)
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/key-work", timeout=30)
    dash_duo.wait_for_element("#key_work-signals li.kind-economy button", timeout=60)
    dash_duo.wait_for_element("#key_work-by-unit .main-svg", timeout=30)
    title = dash_duo.find_element("#key_work-signals li.kind-economy .kw-signal-title").text
    dash_duo.find_element("#key_work-signals li.kind-economy button").click()
    dash_duo.wait_for_contains_text("#key_work-signal-message", "已转督办", timeout=30)
    # The new item is selected: its detail shows, with the link back to the figure.
    dash_duo.wait_for_contains_text("#key_work-detail", title, timeout=30)
    link = dash_duo.find_element("#key_work-detail a.kw-signal-link").get_attribute("href")
    assert "/economy?period=" in link and "indicator=" in link
    hub = app.server.extensions["cockpit_hub"]
    [case] = get_store(hub).cases(signals_only=True)
    assert case.title == title and link.endswith(case.link)
    # Record 催办 with a comment through the form.
    dash_duo.wait_for_element("#key_work-submit:not([disabled])", timeout=15)
    dash_duo.find_element("#key_work-comment").send_keys("请统计局牵头分析原因，三日内报送")
    dash_duo.find_element("#key_work-submit").click()
    dash_duo.wait_for_contains_text("#key_work-message", "已记录催办", timeout=30)
    dash_duo.wait_for_contains_text("#key_work-detail .kw-timeline", "三日内报送", timeout=30)
    assert [a.action for a in get_store(hub).actions(case.id)] == ["立项督办", "催办"]
    # The signal now shows as taken.
    dash_duo.wait_for_contains_text("#key_work-signals", f"已转督办 #{case.id}", timeout=30)
    SHOTS.mkdir(parents=True, exist_ok=True)
    dash_duo.driver.save_screenshot(str(SHOTS / "key_work-action-1920x1080.png"))
    dash_duo.driver.execute_script("window.scrollTo(0, 0)")
    dash_duo.driver.save_screenshot(str(SHOTS / "key_work-1920x1080.png"))
    assert console_errors(dash_duo) == []


def test_phone_view_fits_and_opens_a_task(dash_duo, app) -> None:  # noqa: ANN001
    """At 390x844 the page stacks into one column with no horizontal scroll; 督办 opens a task."""
    emulate(dash_duo, 390, 844)
    start(dash_duo, app)
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/key-work", timeout=30)
    dash_duo.wait_for_element("#key_work-task-list .kw-task button", timeout=60)
    dash_duo.wait_for_element("#key_work-signals li", timeout=60)
    width = dash_duo.driver.execute_script("return document.documentElement.scrollWidth")
    inner = 390  # the device width: a mobile viewport widens itself to fit what overflows
    SHOTS.mkdir(parents=True, exist_ok=True)
    dash_duo.driver.save_screenshot(str(SHOTS / "key_work-390x844.png"))
    assert width <= inner
    first = dash_duo.find_element("#key_work-task-list .kw-task .kw-task-title").text
    dash_duo.find_element("#key_work-task-list .kw-task button").click()
    dash_duo.wait_for_contains_text("#key_work-detail", first, timeout=30)
    dash_duo.wait_for_contains_text("#key_work-detail", "督办与反馈记录", timeout=30)
    dash_duo.driver.save_screenshot(str(SHOTS / "key_work-detail-390x844.png"))
    assert console_errors(dash_duo) == []
