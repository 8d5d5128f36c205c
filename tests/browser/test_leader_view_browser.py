"""我的驾驶舱 and 市局直通 in Chromium (issue #24 items 3 and 4).

A leader linked to 经济运行 and two counties signs in through the form and lands on its own
view, above the overview; a 重点工作 task's 牵头单位 is clicked and the bureau's page opens with
the tasks it leads, as many as the data has. Screenshots at 1920x1080 and 390x844 go to
artifacts/screenshots/ (leader-view-*.png, bureau-*.png).
"""

from __future__ import annotations

import pytest

from cockpit import directory, leaders
from cockpit.factory import create_app
from cockpit.leaders import Links
from cockpit.security import accounts
from cockpit.store import get_store
from tests.apps import close_app
from tests.browser_support import console_errors, emulate, free_port, shot, skip_without_chromium

skip_without_chromium()
pytestmark = pytest.mark.browser

PASSWORD = "Cockpit#Test2026"
LUZHOU, SHANGDANG = "140403", "140404"
BUREAU = "市住建局"


@pytest.fixture
def leader_app(settings):
    """The real app (login required) with one leader linked to economy and two counties, and
    the demo's 通讯录 in its directory."""
    app = create_app(settings)
    hub = app.server.extensions["cockpit_hub"]
    store = get_store(hub)
    counties = [c.code for c in hub.settings.city.counties]
    accounts.create_user(
        store,
        username="vice-econ",
        role="city_leader",
        display_name="王建国",
        password=PASSWORD,
        policy=hub.settings.security.password,
        known_counties=counties,
        must_change=False,
    )
    leaders.save(
        store,
        "vice-econ",
        Links(modules=("economy",), bureaus=(BUREAU,), counties=(LUZHOU, SHANGDANG)),
        modules=leaders.known_modules(),
        counties=counties,
    )
    if directory.count(store) == 0:
        with app.server.test_request_context():
            directory.import_from_platform(hub, by="test")
    yield app
    close_app(app)


def sign_in(dash_duo, app, path: str) -> None:
    """Open `path`, meet the login form, sign in as the leader."""
    dash_duo.start_server(app, navigate=False, port=free_port())
    dash_duo.driver.get(dash_duo.server.url.rstrip("/") + path)
    dash_duo.wait_for_element("input[name=username]", timeout=15)
    dash_duo.find_element("input[name=username]").send_keys("vice-econ")
    dash_duo.find_element("input[name=password]").send_keys(PASSWORD)
    dash_duo.find_element("button[type=submit]").click()
    dash_duo.wait_for_element(".shell-user-name", timeout=30)
    if "?" in path:  # the page with its query, as a link from another screen opens it
        dash_duo.driver.get(dash_duo.server.url.rstrip("/") + path)
        dash_duo.wait_for_element(".shell-user-name", timeout=30)


def test_leader_lands_on_own_view_first(dash_duo, leader_app) -> None:
    """After signing in the leader is on /, and 我的驾驶舱 is drawn above the overview's
    需要关注, with its economy, county and bureau chips."""
    emulate(dash_duo, 1920, 1080)
    sign_in(dash_duo, leader_app, "/")
    dash_duo.wait_for_contains_text("#overview-mine", "我的驾驶舱", timeout=60)
    mine = dash_duo.find_element("#overview-mine")
    attention = dash_duo.find_element("#overview-attention")
    assert mine.is_displayed()
    assert mine.location["y"] < attention.location["y"]
    chips = [c.text for c in mine.find_elements("css selector", ".leader-chip")]
    assert chips[:3] == ["经济运行", "潞州区", "上党区"] and BUREAU in chips[3]
    warnings = dash_duo.find_element("#overview-mine-warnings").text
    assert "【" in warnings and not any(n in warnings for n in ("【屯留区】", "【沁源县】"))
    shot(dash_duo, "leader-view-1920x1080")
    emulate(dash_duo, 390, 844)
    dash_duo.driver.refresh()
    dash_duo.wait_for_contains_text("#overview-mine", "我的驾驶舱", timeout=60)
    shot(dash_duo, "leader-view-390x844")
    assert console_errors(dash_duo) == []


def test_bureau_page_opens_from_a_task_with_the_tasks_it_leads(
    dash_duo, leader_app, demo_sql
) -> None:
    """On 重点工作 a task of 市住建局 is opened; a click on its 牵头单位 opens 市住建局's page,
    which lists as many tasks as the data says it leads."""
    truth = demo_sql(f"SELECT task_id FROM key_work_tasks WHERE lead_unit = '{BUREAU}'")
    task = truth.task_id[0]
    emulate(dash_duo, 1920, 1080)
    sign_in(dash_duo, leader_app, f"/key-work?task={task}")
    dash_duo.wait_for_element("#key_work-detail a.kw-unit-link", timeout=60)
    link = dash_duo.find_element("#key_work-detail a.kw-unit-link")
    assert link.text == BUREAU
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", link)
    link.click()
    dash_duo.wait_for_element("#bureaus-tasks tr.bureau-task", timeout=60)
    assert "/bureaus?" in dash_duo.driver.current_url
    assert dash_duo.find_element(".bureau-name").text == BUREAU
    rows = dash_duo.find_elements("#bureaus-tasks tr.bureau-task")
    assert sorted(r.get_attribute("data-task") for r in rows) == sorted(truth.task_id)
    assert dash_duo.find_elements(".bureau-people a.call-link")  # one-tap calls
    shot(dash_duo, "bureau-1920x1080")
    emulate(dash_duo, 390, 844)
    dash_duo.driver.refresh()
    dash_duo.wait_for_element("#bureaus-tasks tr.bureau-task", timeout=60)
    shot(dash_duo, "bureau-390x844")
    assert console_errors(dash_duo) == []
