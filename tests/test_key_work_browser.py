"""重点工作 in the browser: a red indicator turned into a supervision item and an action recorded.

Marked `browser`; skipped where Chromium is not installed. Screenshots go to
artifacts/screenshots/ (key_work-1920x1080.png, key_work-390x844.png).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cockpit.settings import StoreSettings
from cockpit.store import get_store

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parent.parent / "artifacts" / "screenshots"

if not (shutil.which("chromium") or shutil.which("chromium-browser")) or not shutil.which(
    "chromedriver"
):
    pytest.skip(
        "headless Chromium not installed (apt-get install chromium chromium-driver)",
        allow_module_level=True,
    )


@pytest.fixture
def kw_app(settings, tmp_path: Path):  # noqa: ANN001, ANN201
    """The app with a store of its own."""
    from cockpit.factory import create_app

    custom = settings.model_copy(
        update={"store": StoreSettings(url=f"sqlite:///{tmp_path / 'store' / 'cockpit.db'}")}
    )
    app = create_app(custom)
    yield app
    hub = app.server.extensions["cockpit_hub"]
    for source in hub.sources.values():
        source.close()
    get_store(hub).dispose()


def _console_errors(dash_duo) -> list[dict]:  # noqa: ANN001
    return [e for e in dash_duo.get_logs() or [] if e.get("level") == "SEVERE"]


def test_red_indicator_becomes_a_supervision_item(dash_duo, kw_app) -> None:  # noqa: ANN001
    """转督办 on a red indicator opens an item linked to the figure; 催办 is then recorded."""
    dash_duo.driver.set_window_size(1920, 1080)
    dash_duo.start_server(kw_app)
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
    hub = kw_app.server.extensions["cockpit_hub"]
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
    assert _console_errors(dash_duo) == []


def test_phone_view_fits_and_opens_a_task(dash_duo, kw_app) -> None:  # noqa: ANN001
    """At 390x844 the page stacks into one column with no horizontal scroll; 督办 opens a task."""
    dash_duo.driver.set_window_size(390, 844)
    dash_duo.start_server(kw_app)
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/key-work", timeout=30)
    dash_duo.wait_for_element("#key_work-task-list .kw-task button", timeout=60)
    dash_duo.wait_for_element("#key_work-signals li", timeout=60)
    width = dash_duo.driver.execute_script("return document.documentElement.scrollWidth")
    inner = dash_duo.driver.execute_script("return window.innerWidth")
    SHOTS.mkdir(parents=True, exist_ok=True)
    dash_duo.driver.save_screenshot(str(SHOTS / "key_work-390x844.png"))
    assert width <= inner
    first = dash_duo.find_element("#key_work-task-list .kw-task .kw-task-title").text
    dash_duo.find_element("#key_work-task-list .kw-task button").click()
    dash_duo.wait_for_contains_text("#key_work-detail", first, timeout=30)
    dash_duo.wait_for_contains_text("#key_work-detail", "督办与反馈记录", timeout=30)
    dash_duo.driver.save_screenshot(str(SHOTS / "key_work-detail-390x844.png"))
    assert _console_errors(dash_duo) == []
