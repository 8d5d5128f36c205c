"""Browser tests of 经济运行: the real page in headless Chromium (marked `browser`).

They choose an indicator, open a county from the ranking, come back by the breadcrumb, and
write screenshots to artifacts/screenshots/ at 1920x1080 and 390x844 for people to look at.
"""

from __future__ import annotations

import time

import pytest

from cockpit.ids import encode_key
from tests.browser_support import SHOTS, console_errors, emulate, skip_without_chromium, start

pytestmark = pytest.mark.browser
skip_without_chromium()


def _open(dash_duo, app, width: int, height: int) -> None:
    """Start the app and open 经济运行 at this window size, waiting for its charts."""
    dash_duo.driver.set_window_size(width, height)
    start(dash_duo, app)
    dash_duo.driver.get(dash_duo.server_url + "/economy")
    dash_duo.wait_for_element("#economy-grid .economy-card", timeout=30)
    for graph in ("economy-trend", "economy-ranking", "economy-map"):
        dash_duo.wait_for_element(f"#{graph} .main-svg", timeout=30)
    dash_duo.wait_for_contains_text("#economy-trend-title", "累计增速", timeout=30)


def _click(dash_duo, element) -> None:
    """A real mouse click (Plotly's drag layer receives it, as for a person)."""
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(dash_duo.driver).move_to_element(element).pause(0.3).click().perform()


def _rest_mouse(dash_duo) -> None:
    """Park the pointer on plain text, so no hover outline shows in a screenshot."""
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(dash_duo.driver).move_to_element(
        dash_duo.find_element("#economy-period-note")
    ).perform()


def test_choose_indicator_open_a_county_come_back_and_fit_a_phone(dash_duo, app) -> None:
    """Card -> its trend; ranking bar -> county detail (crumb, URL, ranks); crumb -> 全市; and
    at 390x844 the page fits the width (no horizontal scroll)."""
    _open(dash_duo, app, 1920, 1080)
    assert len(dash_duo.find_elements("#economy-grid .economy-card")) == len(
        app.server.extensions["cockpit_hub"].settings.indicators
    )
    assert "演示数据" in dash_duo.find_element("#shell-demo-badge").text
    SHOTS.mkdir(parents=True, exist_ok=True)
    _rest_mouse(dash_duo)
    dash_duo.driver.save_screenshot(str(SHOTS / "economy-1920x1080.png"))

    # Choose 一般公共预算收入 by its card.
    card = f'#economy-grid button[id*="{encode_key("budget_revenue")}"]'  # cockpit/ids.py
    dash_duo.find_element(card).click()
    dash_duo.wait_for_contains_text("#economy-trend-title", "一般公共预算收入", timeout=15)
    dash_duo.wait_for_element(f"{card}.selected", timeout=15)
    assert len(dash_duo.find_elements("#economy-grid button.selected")) == 1

    # Open the county of a bar in the ranking.
    dash_duo.wait_for_contains_text("#economy-ranking-title", "一般公共预算收入", timeout=15)
    bars = dash_duo.find_elements("#economy-ranking .bars .point path")
    assert len(bars) == 12
    _click(dash_duo, bars[-1])  # the top bar: rank 1
    dash_duo.wait_for_contains_text("#economy-crumb-county", "县区详情", timeout=15)
    assert "county=" in dash_duo.driver.current_url
    dash_duo.wait_for_contains_text("#economy-grid", "全市第", timeout=15)
    dash_duo.wait_for_contains_text("#economy-briefing", "居全市第", timeout=15)
    _rest_mouse(dash_duo)
    dash_duo.driver.save_screenshot(str(SHOTS / "economy-county-1920x1080.png"))

    # And back to the city by the breadcrumb.
    dash_duo.find_element("#economy-back").click()
    dash_duo.wait_for_text_to_equal("#economy-crumb-county", "› 全市", timeout=15)
    assert "county=" not in dash_duo.driver.current_url
    assert dash_duo.find_element("#filter-county").text.strip().startswith("全市")

    # The same page on a phone (one test, one server: browser tests are kept few and short).
    emulate(dash_duo, 390, 844)
    dash_duo.driver.execute_script("window.scrollTo(0, 0)")
    dash_duo.wait_for_element("#economy-trend .main-svg", timeout=15)
    time.sleep(1)  # let Plotly re-lay the charts out for the narrow window
    _rest_mouse(dash_duo)
    width = dash_duo.driver.execute_script("return document.documentElement.scrollWidth")
    inner = 390  # the device width: a mobile viewport widens itself to fit what overflows
    dash_duo.driver.save_screenshot(str(SHOTS / "economy-390x844.png"))
    assert width <= inner
    assert console_errors(dash_duo) == []
