"""/inbox and /admin/jobs in Chromium wear the shell's header (城市, 标题, 演示数据, 数据截至, the
ticking clock, navigation, the theme button) in both themes, at 1920x1080 and on a 390x844
phone; screenshots in artifacts/screenshots/ (#23 follow-up item 7). Marked `browser`."""

from __future__ import annotations

import time

import pytest
from selenium.webdriver.common.by import By

from cockpit.factory import create_app
from cockpit.scope import Principal
from cockpit.security.roles import ROLES
from tests.apps import close_app
from tests.browser_support import console_errors, emulate, shot, skip_without_chromium, start
from tests.notify_support import make_user

pytestmark = pytest.mark.browser
skip_without_chromium()

LUCHENG = "140406"
COUNTY = Principal(
    "lucheng", "county_staff", frozenset({LUCHENG}), ROLES["county_staff"].permissions, "潞城"
)
ADMIN = Principal("sysadmin", "admin", frozenset(), ROLES["admin"].permissions, "管理员")


class Acting:
    """The account the app serves requests as; the test switches it."""

    who = COUNTY

    def __call__(self):
        return self.who


@pytest.fixture
def app(settings):
    acting = Acting()
    made = create_app(settings, principal_provider=acting)
    made.acting = acting
    make_user(made, "lucheng", "county_staff", [LUCHENG])
    make_user(made, "sysadmin", "admin")
    yield made
    close_app(made)


def _header_box(dash_duo):
    return dash_duo.find_element("header.shell-header")


@pytest.mark.parametrize(("path", "who"), [("/inbox", COUNTY), ("/admin/jobs", ADMIN)])
def test_the_plain_pages_wear_the_shell_header(dash_duo, app, path, who) -> None:
    app.acting.who = who
    start(dash_duo, app)
    name = path.strip("/").replace("/", "-")
    for width, height in ((1920, 1080), (390, 844)):
        if width < 500:
            emulate(dash_duo, width, height)
        else:
            dash_duo.driver.set_window_size(width, height)
        dash_duo.driver.get(f"{dash_duo.server_url}{path}")
        dash_duo.wait_for_element("header.shell-header", timeout=30)
        header = _header_box(dash_duo)
        assert header.is_displayed()
        assert "演示数据" in header.text
        if width >= 500:  # the phone's one-row header leaves the status out, as on Dash pages
            assert "数据截至" in header.text
            clock = dash_duo.find_element("#shell-clock").text
            time.sleep(1.2)
            assert dash_duo.find_element("#shell-clock").text != clock  # it ticks
        nav = dash_duo.driver.find_elements(By.CSS_SELECTOR, "#shell-nav a.nav-link")
        assert any(link.is_displayed() for link in nav)
        root = dash_duo.driver.find_element(By.TAG_NAME, "html")
        for _ in range(2):  # both themes, whichever the page opened in
            theme = root.get_attribute("data-theme")
            shot(dash_duo, f"{name}-{theme}-{width}x{height}")
            button = dash_duo.find_element("#shell-theme")
            if not button.is_displayed():  # the phone keeps it in the 更多 sheet, if at all
                dash_duo.driver.execute_script("arguments[0].click();", button)
            else:
                button.click()
            assert root.get_attribute("data-theme") != theme
        dash_duo.driver.execute_script("window.localStorage.clear();")
    assert console_errors(dash_duo) == []


def test_the_account_form_has_the_unit_and_contact_fields(dash_duo, app) -> None:
    """系统管理's account form shows 承办单位, 手机号 and 电子邮箱 (the units it offers are
    checked in tests/app/test_admin_unit_contacts.py); a screenshot to look at."""
    app.acting.who = ADMIN
    dash_duo.driver.set_window_size(1920, 1080)
    start(dash_duo, app)
    dash_duo.driver.get(f"{dash_duo.server_url}/admin")
    for cid in ("#admin-unit", "#admin-phone", "#admin-email"):
        dash_duo.wait_for_element(cid, timeout=60)
        assert dash_duo.find_element(cid).is_displayed()
    assert "承办单位" in dash_duo.find_element(".admin-form").text
    shot(dash_duo, "admin-account-form-1920x1080")
    assert console_errors(dash_duo) == []
