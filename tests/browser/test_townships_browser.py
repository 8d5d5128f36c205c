"""The township drill-down in headless Chromium (#24 item 5): with the demo township file, a
click on 潞州区 on the 12345 map draws its townships with the data's counts, in the map and
in the ranking; screenshots at 1920x1080 and 390x844 (artifacts/screenshots/)."""

from __future__ import annotations

import shutil
import time

import duckdb
import pytest

from tests.browser_support import console_errors, emulate, shot, skip_without_chromium, start
from tests.townships_support import township_demo_db, township_settings

pytestmark = pytest.mark.browser
skip_without_chromium()
PAGE = "/hotline?period=2026-10"
COUNTY = "140403"  # 潞州区


@pytest.fixture(scope="module")
def township_app(tmp_path_factory: pytest.TempPathFactory):
    """The app on a demo generated with the township file, and the truth read from a copy."""
    from tests.apps import app_as

    folder = tmp_path_factory.mktemp("township-browser")
    db = township_demo_db(folder)
    copy = folder / "truth.duckdb"
    shutil.copyfile(db, copy)
    con = duckdb.connect(str(copy), read_only=True)
    rows = con.execute(
        "SELECT township_code, count(*) FROM hotline_tickets WHERE county_code = ? AND "
        "received_at >= TIMESTAMP '2026-10-01' AND received_at < TIMESTAMP '2026-11-01' "
        "GROUP BY 1",
        [COUNTY],
    ).fetchall()
    con.close()
    app = app_as(township_settings(db, folder / "cache"))
    yield app, dict(rows)
    app.server.extensions["cockpit_hub"].close()


def _wait(dash_duo, script: str, timeout: float = 20):
    until = time.monotonic() + timeout
    while time.monotonic() < until:
        value = dash_duo.driver.execute_script(script)
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out: {script}")


def test_a_click_on_a_county_shows_its_townships_with_the_datas_counts(dash_duo, township_app):
    app, truth = township_app
    dash_duo.driver.set_window_size(1920, 1080)
    start(dash_duo, app)
    dash_duo.driver.get(dash_duo.server_url + PAGE)
    dash_duo.wait_for_element("#hotline-map .scatterlayer .trace", timeout=30)
    labels = dash_duo.find_elements("#hotline-map .scatterlayer .trace:last-child .point")
    assert len(labels) == 12
    codes = dash_duo.driver.execute_script(
        "return document.querySelector('#hotline-map .js-plotly-plot').data.slice(-1)[0].customdata;"
    )
    from selenium.webdriver.common.action_chains import ActionChains

    target = labels[list(codes).index(COUNTY)]
    ActionChains(dash_duo.driver).move_to_element(target).pause(0.3).click().perform()
    # The map now holds 潞州区's townships (9-digit codes), each with its count.
    drawn = _wait(
        dash_duo,
        "var t = document.querySelector('#hotline-map .js-plotly-plot').data.slice(-1)[0];"
        "return t.customdata.every(c => String(c).length === 9) ? [t.customdata, t.text] : null;",
    )
    shown = dict(zip(drawn[0], drawn[1], strict=True))
    assert set(shown) == set(truth)
    for code, n in truth.items():
        assert shown[code].endswith(f"<br>{n:,}件"), (code, shown[code], n)
    dash_duo.wait_for_contains_text("#hotline-map-period", "潞州区各乡镇（街道）", timeout=15)
    rows = dash_duo.find_elements("#hotline-county-rank tbody tr")
    ranked = {
        r.find_elements("css selector", "td")[1].text: r.find_elements("css selector", "td")[2].text
        for r in rows
    }
    names = {"140403001": "城关街道"}  # one name checked against the file's, all counts below
    assert names["140403001"] in ranked
    assert sorted(int(v.replace(",", "")) for v in ranked.values()) == sorted(truth.values())
    dash_duo.driver.execute_script(
        "document.querySelector('#hotline-map').scrollIntoView({block: 'center'})"
    )
    time.sleep(1)
    shot(dash_duo, "townships-1920x1080")
    assert console_errors(dash_duo) == []

    emulate(dash_duo, 390, 844)
    toggle = "button.phone-fold-toggle[data-fold='map']"
    button = dash_duo.find_element(toggle)
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'start'})", button)
    button.click()
    dash_duo.wait_for_element("#hotline-county-rank tbody tr", timeout=15)
    time.sleep(1.5)
    dash_duo.driver.execute_script(
        "document.querySelector('#hotline-map').scrollIntoView({block: 'start'})"
    )
    time.sleep(0.5)
    shot(dash_duo, "townships-390x844")
    assert dash_duo.driver.execute_script("return document.documentElement.scrollWidth <= 390")
    assert console_errors(dash_duo) == []
