"""一键直联 in headless Chromium: opened from a task, at 1920×1080 and on a phone; a tap on a call
link is recorded in the audit log.

Marked `browser`; skipped with a reason where Chromium is not installed. Screenshots go to
artifacts/screenshots/ for people to look at.
"""

from __future__ import annotations

import time

import pytest

from cockpit import audit, directory
from cockpit.store import Store
from tests.apps import app_as, close_app
from tests.browser_support import console_errors, emulate, free_port, shot, skip_without_chromium

pytestmark = pytest.mark.browser
skip_without_chromium()


@pytest.fixture
def contacts_app(settings):
    """The cockpit as the city leader, its directory imported from the demo's 通讯录."""
    app = app_as(settings)
    with app.server.test_request_context("/"):
        directory.import_from_platform(app.server.extensions["cockpit_hub"], by="test")
    yield app
    close_app(app)


def test_responsible_people_of_a_task_and_a_recorded_call(
    dash_duo, contacts_app, settings, demo_sql
) -> None:
    task = demo_sql(
        "SELECT task_id, lead_unit FROM key_work_tasks WHERE county_code = '140403' LIMIT 1"
    ).iloc[0]
    emulate(dash_duo, 1920, 1080)
    dash_duo.start_server(contacts_app, navigate=False, port=free_port())
    dash_duo.driver.get(dash_duo.server.url.rstrip("/") + f"/contacts?for=task:{task.task_id}")
    dash_duo.wait_for_element(".contacts-responsible .ct-card", timeout=30)
    dash_duo.wait_for_element("#contacts-list .ct-card", timeout=30)
    dash_duo.wait_for_element("#contacts-duty .call-link", timeout=30)
    assert task.lead_unit in dash_duo.find_element(".contacts-responsible").text
    shot(dash_duo, "contacts-1920x1080")
    assert console_errors(dash_duo) == []

    emulate(dash_duo, 390, 844)
    dash_duo.driver.get(dash_duo.server.url.rstrip("/") + f"/contacts?for=task:{task.task_id}")
    dash_duo.wait_for_element(".contacts-responsible .ct-card .call-link", timeout=30)
    width = dash_duo.driver.execute_script("return document.documentElement.scrollWidth")
    assert width <= 390
    link = dash_duo.find_element(".contacts-responsible .ct-card a.call-link")
    assert link.get_attribute("href").startswith("tel:") and link.size["height"] >= 44
    shot(dash_duo, "contacts-390x844")
    assert console_errors(dash_duo) == []

    link.click()  # the phone would dial; the page records the call
    store = Store.from_settings(settings)
    try:
        deadline = time.monotonic() + 15
        while (
            not (found := audit.entries(store, action=audit.CALL)) and time.monotonic() < deadline
        ):
            time.sleep(0.2)
    finally:
        store.dispose()
    assert len(found) == 1 and found[0].result == "ok"
    assert found[0].detail["context"] == f"task:{task.task_id}"
    assert link.get_attribute("href") == f"tel:{found[0].detail['number']}".replace("-", "")


def test_an_administrator_adds_a_contact_on_the_admin_page(dash_duo, settings) -> None:
    """The editor on /admin as an administrator uses it: type, 新增, the row appears; and the
    page fits a phone."""
    from cockpit.scope import MANAGE_CONTACTS, MANAGE_USERS, Principal

    admin = Principal("admin1", "admin", frozenset(), frozenset({MANAGE_USERS, MANAGE_CONTACTS}))
    app = app_as(settings, admin)
    try:
        emulate(dash_duo, 1920, 1080)
        dash_duo.start_server(app, navigate=False, port=free_port())
        dash_duo.driver.get(dash_duo.server.url.rstrip("/") + "/admin")
        dash_duo.wait_for_element("#admin-contact-name", timeout=30)
        for field, value in (("name", "孙七"), ("post", "主任"), ("org", "市大数据中心")):
            dash_duo.find_element(f"#admin-contact-{field}").send_keys(value)
        dash_duo.find_element("#admin-contact-mobile").send_keys("139 0000 0077")
        dash_duo.find_element("#admin-contact-add").click()
        dash_duo.wait_for_contains_text("#admin-contact-message", "已新增 孙七", timeout=30)
        dash_duo.wait_for_contains_text("#admin-contacts", "139 0000 0077", timeout=30)
        shot(dash_duo, "admin-contacts-1920x1080")
        assert console_errors(dash_duo) == []

        emulate(dash_duo, 390, 844)
        dash_duo.driver.get(dash_duo.server.url.rstrip("/") + "/admin")
        dash_duo.wait_for_contains_text("#admin-contacts", "孙七", timeout=30)
        width = dash_duo.driver.execute_script("return document.documentElement.scrollWidth")
        assert width <= 390
        shot(dash_duo, "admin-contacts-390x844")
        assert console_errors(dash_duo) == []
    finally:
        close_app(app)
