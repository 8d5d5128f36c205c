"""站内消息 in headless Chromium: the header's count, the inbox page's subscription form and
全部标为已读 (JSON POSTs through the gate, the page's script under the site's CSP).

Marked `browser`; skipped with a reason where Chromium is not installed."""

from __future__ import annotations

import pytest

from cockpit.notify import inbox
from cockpit.notify.subscriptions import subscribe
from cockpit.store import get_store
from tests.app.test_notify_pages import COUNTY_USER, _publish
from tests.apps import app_as, close_app
from tests.browser_support import console_errors, emulate, free_port, skip_without_chromium
from tests.notify_support import make_user

pytestmark = pytest.mark.browser
skip_without_chromium()


def test_inbox_count_subscribe_and_mark_read_in_a_browser(dash_duo, settings) -> None:
    app = app_as(settings, COUNTY_USER)
    try:
        make_user(app, "lucheng", "county_staff", ["140406"])
        store = get_store(app.server.extensions["cockpit_hub"])
        subscribe(store, "lucheng")
        _publish(app, 1)
        emulate(dash_duo, 1920, 1080)
        dash_duo.start_server(app, navigate=False, port=free_port())
        base = dash_duo.server.url.rstrip("/")
        dash_duo.driver.get(base + "/")
        dash_duo.wait_for_text_to_equal(".shell-inbox .shell-inbox-count", "1", timeout=30)
        dash_duo.driver.get(base + "/inbox")
        dash_duo.wait_for_contains_text(".notify-list", "测试预警0", timeout=30)
        dash_duo.find_element("input[name=levels][value='1']").click()
        dash_duo.find_element("input[name=counties][value='140406']").click()
        dash_duo.find_element("#notify-subscribe button[type=submit]").click()
        dash_duo.wait_for_contains_text(".notify-table", "红色", timeout=30)
        dash_duo.find_element("button[data-post='/inbox/read']").click()
        dash_duo.wait_for_text_to_equal("#notify-unread", "0", timeout=30)
        assert inbox.unread_count(store, "lucheng") == 0
        assert console_errors(dash_duo) == []
    finally:
        close_app(app)
