"""Browser tests: the real page in headless Chromium (Debian's chromium and chromium-driver).

Marked `browser`; they skip with a reason where no Chromium is installed. Screenshots are
written to artifacts/screenshots/ for people to look at.
"""

from __future__ import annotations

import time

import pytest

from tests.browser_support import SHOTS, console_errors, skip_without_chromium, start
from tests.unit.test_plotly_bundle import trace_types_in_bundle

pytestmark = pytest.mark.browser
skip_without_chromium()


def test_overview_loads_with_map_and_noconsole_errors(dash_duo, app) -> None:
    """The overview renders its map, headline cards and attention list, with a clean console."""
    dash_duo.driver.set_window_size(1920, 1080)
    start(dash_duo, app)
    dash_duo.wait_for_element("#overview-map .main-svg", timeout=30)
    dash_duo.wait_for_text_to_equal("#overview-card-economy .panel-title", "经济运行", timeout=30)
    dash_duo.wait_for_element("#overview-attention li", timeout=30)
    # Twelve counties drawn: one filled path per county ring, plus the label layer.
    assert len(dash_duo.find_elements("#overview-map .scatterlayer .trace")) >= 13
    assert "演示数据" in dash_duo.find_element("#shell-demo-badge").text
    # Drawn by the cockpit's partial plotly.js (assets/vendor/), not Dash's full one.
    loaded = dash_duo.driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name).join(' ');"
    )
    assert "plotly-cockpit.min.js" in loaded and "package_data/plotly" not in loaded
    traces = dash_duo.driver.execute_script(
        "return Object.keys(Plotly.PlotSchema.get().traces).sort();"
    )
    assert traces == sorted(trace_types_in_bundle())
    # The borders came from the geometry fetched once (assets/maps.js): every county ring
    # has its points and its county code back.
    rings = dash_duo.driver.execute_script(
        "return document.querySelector('#overview-map .js-plotly-plot').data"
        ".filter(t => t.meta && t.meta.rings)"
        ".map(t => [t.x.length, t.customdata[0]]);"
    )
    assert len(rings) >= 12 and all(n > 3 and code for n, code in rings)
    SHOTS.mkdir(parents=True, exist_ok=True)
    dash_duo.driver.save_screenshot(str(SHOTS / "overview-1920x1080.png"))
    assert console_errors(dash_duo) == []


def test_clicking_a_county_filters_the_screen(dash_duo, app) -> None:
    """A click on a county's label selects it: selector, URL and breadcrumb follow."""
    dash_duo.driver.set_window_size(1920, 1080)
    start(dash_duo, app)
    dash_duo.wait_for_element("#overview-map .main-svg", timeout=30)
    # The map is drawn, then redrawn when its values and the page's other answers arrive (on a
    # busy CI machine, seconds later): click once the page has settled, as a person would, so
    # the click lands on the map as it stays, not on one being replaced.
    settled = (
        "return !document.title.startsWith('Updating')"
        " && !document.querySelector('._dash-loading, [data-dash-is-loading=\"true\"]')"
    )
    deadline = time.monotonic() + 30
    while not dash_duo.driver.execute_script(settled) and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1)
    labels = dash_duo.find_elements("#overview-map .scatterlayer .trace:last-child .point")
    assert len(labels) == 12
    # A real mouse click at the label (Plotly's drag layer receives it, as for a person).
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(dash_duo.driver).move_to_element(labels[0]).pause(0.3).click().perform()
    dash_duo.wait_for_contains_text("#filter-breadcrumb", "›", timeout=15)
    assert "county=" in dash_duo.driver.current_url
    assert console_errors(dash_duo) == []


def test_phone_view_reads_without_horizontal_scroll(dash_duo, app) -> None:
    """At 390x844 the overview stacks into one column and fits the width."""
    # Headless Chromium will not make a window narrower than 500 px: emulate the phone instead.
    dash_duo.driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True},
    )
    start(dash_duo, app)
    dash_duo.wait_for_element("#overview-card-economy", timeout=30)
    # The map, below the fold, is drawn as the leader scrolls to it: plotly.js is fetched when
    # a chart is about to be seen (assets/plotly_on_demand.js).
    dash_duo.driver.execute_script("document.getElementById('overview-map').scrollIntoView()")
    dash_duo.wait_for_element("#overview-map .main-svg", timeout=30)
    dash_duo.driver.execute_script("window.scrollTo(0, 0)")
    # Against the device width: a mobile viewport widens itself to fit what overflows.
    width = dash_duo.driver.execute_script("return document.documentElement.scrollWidth")
    inner = 390
    SHOTS.mkdir(parents=True, exist_ok=True)
    dash_duo.driver.save_screenshot(str(SHOTS / "overview-390x844.png"))
    assert width <= inner
    # One column: every module card is as wide as the attention panel above them, whatever
    # its content (short cards once shrank to fit their figures).
    widths = dash_duo.driver.execute_script(
        "return [...document.querySelectorAll('.module-card, .attention-panel')]"
        ".map(e => Math.round(e.getBoundingClientRect().width))"
    )
    assert len(widths) == 6 and len(set(widths)) == 1, widths
    assert console_errors(dash_duo) == []
