"""In Chromium: each page's own periods, the notice for a period out of range, the URL corrected,
and a partial month said (issue #18 item 8), on 长治's real 2021-2023 figures and tickets to
2026-12-05."""

from __future__ import annotations

import pytest

from tests.browser_support import console_errors, skip_without_chromium, start
from tests.real_changzhi import real_settings

pytestmark = pytest.mark.browser
skip_without_chromium()


@pytest.fixture
def real_app(settings, tmp_path):
    from tests.apps import running_app

    yield from running_app(real_settings(settings, tmp_path))


def test_periods_follow_the_page_and_the_url_says_what_is_shown(dash_duo, real_app) -> None:
    dash_duo.driver.set_window_size(1920, 1080)
    start(dash_duo, real_app)
    dash_duo.wait_for_element("#filter-period", timeout=30)
    # A link asking for a period the economy's data do not cover.
    dash_duo.driver.get(dash_duo.server_url + "/economy?period=2019-01")
    dash_duo.wait_for_contains_text("#filter-period-note", "2019年1月", timeout=30)
    assert "2023年12月" in dash_duo.find_element("#filter-period-note").text
    dash_duo.wait_for_contains_text("#filter-period", "2023年12月", timeout=15)
    assert "period=2023-12" in dash_duo.driver.current_url
    # To 12345 by the navigation: its own latest complete month, the notice gone.
    dash_duo.find_element("#nav-hotline").click()
    dash_duo.wait_for_contains_text("#filter-period", "2026年11月", timeout=30)
    assert dash_duo.find_element("#filter-period-note").text == ""
    # December has five days of tickets: said on screen.
    dash_duo.driver.get(dash_duo.server_url + "/hotline?period=2026-12")
    dash_duo.wait_for_contains_text("#filter-period-note", "12月5日", timeout=30)
    assert "period=2026-12" in dash_duo.driver.current_url
    assert console_errors(dash_duo) == []
