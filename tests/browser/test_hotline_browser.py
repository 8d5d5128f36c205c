"""The 12345 page in headless Chromium: it loads clean, a county drills to its ticket list, and
it reads at 1920x1080 and on a 390x844 phone (screenshots in artifacts/screenshots/)."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from tests.browser_support import SHOTS, console_errors, emulate, skip_without_chromium, start

pytestmark = pytest.mark.browser
skip_without_chromium()
PAGE = "/hotline?period=2026-10"


@pytest.fixture(scope="module")
def hotline_app(demo_db: Path, tmp_path_factory: pytest.TempPathFactory):
    """The app with a cache of its own (the demo database is the session's)."""
    from cockpit.settings import load_settings
    from tests.apps import app_as
    from tests.conftest import demo_environ

    cache = tmp_path_factory.mktemp("hotline-browser-cache")
    app = app_as(load_settings(environ=demo_environ(demo_db, cache)))
    yield app
    for source in app.server.extensions["cockpit_hub"].sources.values():
        source.close()


def _open(dash_duo, app, width: int, height: int) -> None:
    """Start the app and open the 12345 page for October, waiting for its figures."""
    dash_duo.driver.set_window_size(width, height)
    start(dash_duo, app)
    dash_duo.driver.get(dash_duo.server_url + PAGE)
    dash_duo.wait_for_element("#hotline-kpis .hotline-kpi", timeout=30)
    dash_duo.wait_for_element("#hotline-map .scatterlayer .trace", timeout=30)
    dash_duo.wait_for_element("#hotline-list-table tbody tr", timeout=30)


def test_a_county_drills_to_its_masked_ticket_list_and_the_page_fits_a_phone(
    dash_duo,
    hotline_app,
):
    """Clicking 潞州区 on the map lists its tickets, names and phones masked, page by page; at
    390x844 the page stacks into one column without horizontal scroll; the console stays clean."""
    _open(dash_duo, hotline_app, 1920, 1080)
    assert len(dash_duo.find_elements("#hotline-kpis .hotline-kpi")) == 14
    SHOTS.mkdir(parents=True, exist_ok=True)
    dash_duo.driver.save_screenshot(str(SHOTS / "hotline-1920x1080.png"))
    labels = dash_duo.find_elements("#hotline-map .scatterlayer .trace:last-child .point")
    assert len(labels) == 12
    codes = dash_duo.driver.execute_script(
        "return document.querySelector('#hotline-map .js-plotly-plot').data.slice(-1)[0].customdata;"
    )
    target = labels[list(codes).index("140403")]
    from selenium.webdriver.common.action_chains import ActionChains

    # A real mouse click on the county's label (Plotly's drag layer receives it, as for a person).
    ActionChains(dash_duo.driver).move_to_element(target).pause(0.3).click().perform()
    dash_duo.wait_for_contains_text("#hotline-list-title", "潞州区 · 本期受理", timeout=15)
    rows = dash_duo.find_elements("#hotline-list-table tbody tr")
    assert 0 < len(rows) <= 20
    assert {r.find_element("css selector", ".col-county").text for r in rows} == {"潞州区"}
    for row in rows:
        citizen = row.find_element("css selector", ".col-citizen").text
        assert re.fullmatch(r"(\S\*\* )?1\d\d\*{4}\d{4}|\S\*\*|—", citizen), citizen
    dash_duo.find_element("#hotline-list-next").click()
    dash_duo.wait_for_contains_text("#hotline-list-pager", "第 2 /", timeout=15)
    assert console_errors(dash_duo) == []

    emulate(dash_duo, 390, 844)
    dash_duo.driver.execute_script("window.scrollTo(0, 0)")
    dash_duo.wait_for_element("#hotline-kpis .hotline-kpi", timeout=10)
    columns = dash_duo.driver.execute_script(
        "return getComputedStyle(document.querySelector('.hotline-grid')).gridTemplateColumns;"
    )
    assert len(columns.split()) == 1  # one column on a phone
    # Against the device width: a mobile viewport widens itself to fit what overflows.
    fits = "return document.documentElement.scrollWidth <= 390"
    # Plotly redraws graphs for the new width a moment after the resize.
    until = time.monotonic() + 10
    while not dash_duo.driver.execute_script(fits) and time.monotonic() < until:
        time.sleep(0.2)
    dash_duo.driver.save_screenshot(str(SHOTS / "hotline-390x844.png"))
    assert dash_duo.driver.execute_script(fits), dash_duo.driver.execute_script(
        "return document.documentElement.scrollWidth"
    )
    assert console_errors(dash_duo) == []
