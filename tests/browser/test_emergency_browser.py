"""应急指挥 in headless Chromium: select an event, read at three sizes, live banner, lost link.

Marked `browser`; skipped with a reason where Chromium is not installed. Screen sizes are set
through the DevTools protocol, because a headless window will not shrink below 500 px wide.
Screenshots go to artifacts/screenshots/ for people to look at.
"""

from __future__ import annotations

import shutil

import pytest
import sqlalchemy as sa

from tests.browser_support import console_errors, emulate, free_port, shot, skip_without_chromium

pytestmark = pytest.mark.browser
skip_without_chromium()


def _open(dash_duo) -> None:
    """Load the emergency page and wait until its data is on screen."""
    dash_duo.driver.get(dash_duo.server.url.rstrip("/") + "/emergency")
    dash_duo.wait_for_element("#emergency-events .em-event", timeout=30)
    dash_duo.wait_for_element("#emergency-map .scatterlayer .trace", timeout=30)
    dash_duo.wait_for_element("#emergency-roster .call-link", timeout=30)


def test_selecting_an_event_on_a_wall_screen_and_on_a_phone(dash_duo, app) -> None:
    """Tap an event: its details, timeline and nearest resources follow; a phone fits it too."""
    emulate(dash_duo, 1920, 1080)
    dash_duo.start_server(app, navigate=False, port=free_port())
    _open(dash_duo)
    items = dash_duo.find_elements("#emergency-events .em-event")
    assert len(items) == 3
    assert "is-selected" in items[0].get_attribute("class")
    last = items[-1]
    title = last.find_element("css selector", ".em-event-name").text
    last.click()
    dash_duo.wait_for_contains_text("#emergency-detail .em-detail-title", title, timeout=15)
    dash_duo.wait_for_contains_text("#emergency-nearest-title", title, timeout=15)
    assert "is-selected" in dash_duo.find_elements("#emergency-events .em-event")[-1].get_attribute(
        "class"
    )
    assert len(dash_duo.find_elements("#emergency-detail .em-tl-item")) >= 2
    phones = dash_duo.find_elements("#emergency-roster a.call-link")
    assert len(phones) == 3 and all(p.get_attribute("href").startswith("tel:") for p in phones)
    assert "连接正常" in dash_duo.find_element("#emergency-connection").text
    shot(dash_duo, "emergency-1920x1080")

    # A tap on an event's circle on the map selects it too (a real pointer click).
    from selenium.webdriver.common.action_chains import ActionChains

    # The events layer is the one trace with both markers and text (empty layers are not drawn,
    # so DOM positions do not follow trace indices).
    # (One script call: find_elements on traces without points would wait out the implicit wait.)
    points = dash_duo.driver.execute_script(
        "const t = Array.from(document.querySelectorAll('#emergency-map .scatterlayer .trace'))"
        ".find(e => e.querySelector('.point') && e.querySelector('.textpoint'));"
        "return Array.from(t.querySelectorAll('.point'));"
    )
    assert len(points) == 3
    second = dash_duo.find_elements("#emergency-events .em-event-name")[1].text
    ActionChains(dash_duo.driver).move_to_element(points[1]).pause(0.2).click().perform()
    dash_duo.wait_for_contains_text("#emergency-detail .em-detail-title", second, timeout=15)

    # A phone: one column, nothing wider than the screen, calls one tap away.
    emulate(dash_duo, 390, 844)
    _open(dash_duo)
    width = dash_duo.driver.execute_script("return document.documentElement.scrollWidth")
    assert width <= 390
    first = dash_duo.find_element("#emergency-roster a.call-link")
    assert first.size["height"] >= 40  # a comfortable tap target
    shot(dash_duo, "emergency-390x844")
    assert console_errors(dash_duo) == []


@pytest.fixture
def live_app(settings, demo_db, tmp_path):
    """A cockpit refreshing every 2 s whose emergency data is a writable copy of the demo file."""
    from cockpit.settings import DatasetBinding
    from data_sources.sql import SqlConfig
    from tests.apps import app_as

    copy = tmp_path / "live.duckdb"
    shutil.copyfile(demo_db, copy)
    datasets = dict(settings.datasets)
    for name in ("emergency.events", "emergency.timeline", "emergency.resources"):
        datasets[name] = DatasetBinding(source="live", table=datasets[name].table)
    app = app_as(
        settings.model_copy(
            update={
                "sources": {
                    **settings.sources,
                    "live": SqlConfig(kind="sql", url=f"duckdb:///{copy}"),
                },
                "datasets": datasets,
                "emergency": {"refresh_seconds": 2},
            }
        )
    )
    yield app
    for source in app.server.extensions["cockpit_hub"].sources.values():
        source.close()


def test_a_new_event_is_announced_and_a_lost_connection_recovers(dash_duo, live_app) -> None:
    """A new event appears by itself with a banner (4K); a lost link is shown, then recovers."""
    # On a 4K wall screen: the page is drawn at twice the size, map symbols included.
    emulate(dash_duo, 3840, 2160)
    dash_duo.start_server(live_app, navigate=False, port=free_port())
    _open(dash_duo)
    font = dash_duo.driver.execute_script(
        "return parseFloat(getComputedStyle(document.querySelector('.emergency')).fontSize)"
    )
    assert font == 30
    engine = live_app.server.extensions["cockpit_hub"].sources["live"].engine()
    with engine.begin() as conn:  # the city's system reports a new Ⅰ级 event
        conn.execute(
            sa.text(
                "INSERT INTO emergency_events SELECT 'SJTESTNEW', '潞州区燃气爆炸', '事故灾难', "
                "'燃气爆炸', 1, TIMESTAMP '2026-11-19 23:35', TIMESTAMP '2026-11-19 23:40', "
                "'140403', '潞州区东关街道', 113.12, 36.20, 3, 12, '接报', NULL, 1, "
                "TIMESTAMP '2026-11-19 23:40'"
            )
        )
    dash_duo.wait_for_element("#emergency-banner.is-shown", timeout=15)
    assert "潞州区燃气爆炸" in dash_duo.find_element("#emergency-banner-text").text
    assert len(dash_duo.find_elements("#emergency-events .em-event")) == 4
    shot(dash_duo, "emergency-3840x2160")
    dash_duo.find_element("#emergency-banner-view").click()
    dash_duo.wait_for_contains_text(
        "#emergency-detail .em-detail-title", "潞州区燃气爆炸", timeout=10
    )
    assert not dash_duo.find_element("#emergency-banner").is_displayed()

    # The server cannot be reached: the next refresh fails and the strip says so.
    driver = dash_duo.driver
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd(
        "Network.setBlockedURLs", {"urls": ["*_dash-update-component*", "*_favicon.ico*"]}
    )
    dash_duo.wait_for_element("#emergency-connection.is-error", timeout=10)
    assert "重连" in dash_duo.find_element("#emergency-connection").text
    # The browser loses its network altogether.
    conditions = {"latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
    driver.execute_cdp_cmd("Network.emulateNetworkConditions", {"offline": True, **conditions})
    dash_duo.wait_for_element("#emergency-connection.is-offline", timeout=10)
    assert "断开" in dash_duo.find_element("#emergency-connection").text
    # The link comes back: the page notices by itself and catches up.
    driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": []})
    driver.execute_cdp_cmd("Network.emulateNetworkConditions", {"offline": False, **conditions})
    dash_duo.wait_for_element("#emergency-connection.is-restored", timeout=15)
    assert "恢复" in dash_duo.find_element("#emergency-connection").text
    # Only the requests that failed while offline may have complained.
    allowed = (
        "ERR_BLOCKED_BY_CLIENT",
        "ERR_INTERNET_DISCONNECTED",
        "Failed to fetch",
        "the server did not respond",  # Dash's own note on a callback lost with the link
    )
    assert console_errors(dash_duo, allowed) == []
