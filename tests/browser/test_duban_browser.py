"""Two-way 督办 in the browser with two accounts (#23 "Done when"): the leader opens 督办 on a
task, the unit's account sees only its own item and replies, the clock passes the deadline and
the scheduler tick escalates (the leader sees 约谈 on the timeline), the unit applies 办结, the
leader confirms and rates 效果评估, and the unit's scorecard counts the closed item.

Both accounts are real users of the store (the unit's from users.unit), and the browser signs
in as each through the login form, signing out (the header's 退出) before the other signs in:
the app serves whoever the session cookie says, as in production. Marked `browser`; skipped
where Chromium is not installed.
"""

from __future__ import annotations

import datetime as dt

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from cockpit import clock
from cockpit.domains.key_work import supervision
from cockpit.factory import create_app
from cockpit.jobs import runner
from cockpit.scope import CITY_LEADER, acting_as
from cockpit.security import accounts
from cockpit.store import get_store
from data_sources.query import DatasetQuery
from tests.apps import close_app
from tests.browser_support import (
    console_errors,
    free_port,
    shot,
    skip_without_chromium,
    start,
)

pytestmark = pytest.mark.browser
skip_without_chromium()

PASSWORD = "Cockpit-Test-Pass-2026!"
START = dt.datetime(2026, 12, 1, 9, 0)


class Acting:
    """The account the app serves requests as; the test switches it."""

    def __init__(self) -> None:
        self.who = CITY_LEADER

    def __call__(self):
        return self.who


@pytest.fixture
def duban_app(settings):
    acting = Acting()
    app = create_app(settings, principal_provider=acting)
    app.acting = acting
    yield app
    close_app(app)


@pytest.fixture
def signed_app(settings):
    """The cockpit as deployed: every request needs a session from the login form."""
    app = create_app(settings)
    yield app
    close_app(app)


def _base(dash_duo) -> str:
    """The server's address (also when it was started without navigating)."""
    return dash_duo.server.url.rstrip("/")


def _sign_in(dash_duo, username: str, path: str) -> None:
    """Sign out whoever is signed in (the header's 退出), then sign in as `username` through
    the login form, landing on `path`."""
    driver = dash_duo.driver
    out = driver.find_elements(By.CSS_SELECTOR, "#react-entry-point .shell-logout-button")
    if out:
        _click(dash_duo, out[0])
        WebDriverWait(driver, 30).until(lambda d: "/login" in d.current_url)
    driver.get(f"{_base(dash_duo)}/login?next={path}")
    dash_duo.wait_for_element("input[name=username]", timeout=30)
    dash_duo.find_element("input[name=username]").send_keys(username)
    dash_duo.find_element("input[name=password]").send_keys(PASSWORD)
    dash_duo.find_element("button[type=submit]").click()
    # The live page's header (#react-entry-point), not the server's first paint, which the
    # live page replaces (cockpit/first_paint.py): an element of that would go stale.
    WebDriverWait(driver, 60).until(
        lambda d: any(
            e.text == username
            for e in d.find_elements(By.CSS_SELECTOR, "#react-entry-point .shell-user-name")
        )
    )


def _account(hub, username, role, unit=None, county=None):
    return accounts.create_user(
        get_store(hub),
        username=username,
        role=role,
        password=PASSWORD,
        policy=hub.settings.security.password,
        known_counties=list(hub.settings.city.county_names),
        counties=[county] if county else None,
        must_change=False,
        unit=unit,
    ).principal()


def _choose(dash_duo, group: str, text: str) -> None:
    xpath = f"//div[@id='{group}']//label[contains(., '{text}')]"
    WebDriverWait(dash_duo.driver, 30).until(
        lambda d: (
            d.find_elements(By.XPATH, xpath)
            and not d.find_element(By.XPATH, xpath + "//input").get_attribute("disabled")
        )
    )
    _click(dash_duo, dash_duo.driver.find_element(By.XPATH, xpath))


def _click(dash_duo, element) -> None:
    """Scroll the element to the middle of the window, as a person would, and click it."""
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
    element.click()


def _leader_opens(dash_duo, task_id: str) -> None:
    dash_duo.driver.get(f"{_base(dash_duo)}/key-work?task={task_id}")
    dash_duo.wait_for_element("#key_work-submit:not([disabled])", timeout=60)


def _leader_does(dash_duo, action: str, comment: str, expect: str) -> None:
    _choose(dash_duo, "key_work-action", action)
    box = dash_duo.find_element("#key_work-comment")
    box.clear()
    box.send_keys(comment)
    _click(dash_duo, dash_duo.find_element("#key_work-submit"))
    dash_duo.wait_for_contains_text("#key_work-message", expect, timeout=30)


def _unit_opens(dash_duo) -> None:
    dash_duo.driver.get(f"{_base(dash_duo)}/key-work")
    dash_duo.wait_for_element("#key_work-unit-case label", timeout=60)
    _click(dash_duo, dash_duo.find_element("#key_work-unit-case label"))
    dash_duo.wait_for_element("#key_work-unit-detail .kw-unit-detail", timeout=30)


def _unit_does(dash_duo, action: str, comment: str) -> None:
    _choose(dash_duo, "key_work-unit-action", action)
    box = dash_duo.find_element("#key_work-unit-comment")
    box.clear()
    box.send_keys(comment)
    _click(dash_duo, dash_duo.find_element("#key_work-unit-submit"))
    dash_duo.wait_for_contains_text("#key_work-unit-message", f"已提交{action}", timeout=30)


def test_leader_and_unit_close_a_duban_item_in_the_browser(
    dash_duo, signed_app, monkeypatch
) -> None:
    dash_duo.driver.set_window_size(1920, 1080)
    monkeypatch.setattr(clock, "now", lambda: START)
    hub = signed_app.server.extensions["cockpit_hub"]
    store = get_store(hub)
    with signed_app.server.test_request_context("/"), acting_as(CITY_LEADER):
        tasks = hub.query("key_work.tasks", DatasetQuery()).frame
    task = tasks.iloc[0].to_dict()
    other_task = tasks[tasks["lead_unit"] != task["lead_unit"]].iloc[0].to_dict()
    leader = _account(hub, "leader1", "city_leader")
    unit = _account(hub, "unit1", "unit_staff", task["lead_unit"], task["county_code"])
    # Another unit's item exists: the unit must not see it.
    with signed_app.server.test_request_context("/"), acting_as(leader):
        assert supervision.act(hub, f"task:{other_task['task_id']}", "催办", "另一单位").ok
    dash_duo.start_server(signed_app, navigate=False, port=free_port())

    # 1. The leader signs in and opens 督办 on the task.
    _sign_in(dash_duo, leader.user_id, "/key-work")
    _leader_opens(dash_duo, task["task_id"])
    _leader_does(dash_duo, "催办", "请三日内报送进展", "已记录催办")
    case = store.case_for_task(task["task_id"])
    assert case.unit == task["lead_unit"]

    # 2. The leader signs out, the unit signs in: its own item only, and it replies.
    _sign_in(dash_duo, unit.user_id, "/key-work")
    _unit_opens(dash_duo)
    options = dash_duo.driver.find_elements(By.CSS_SELECTOR, "#key_work-unit-case label")
    assert [o.text for o in options] == [f"#{case.id} {case.title}（办理中）"]
    _unit_does(dash_duo, "进展反馈", "已完成招标，进度40%")
    # It asks for more time: a request, the deadline stands until the leader answers.
    _unit_does(dash_duo, "申请延期", "设备未到货，申请延期")
    assert store.case(case.id).due_at == case.due_at

    # 3. The leader signs in and refuses the extension, with the reason (offered only now).
    _sign_in(dash_duo, leader.user_id, "/key-work")
    _leader_opens(dash_duo, task["task_id"])
    dash_duo.wait_for_contains_text("#key_work-detail .kw-timeline", "设备未到货", timeout=30)
    _leader_does(dash_duo, "不同意延期", "工期不能拖，请先用备用设备", "已记录不同意延期")
    assert store.case(case.id).due_at == case.due_at

    # The deadline passes; the scheduler tick escalates; the leader sees 约谈.
    monkeypatch.setattr(clock, "now", lambda: START + dt.timedelta(days=4))
    assert runner.tick(signed_app)["escalated"] == 2  # this item and the other unit's
    _leader_opens(dash_duo, task["task_id"])
    dash_duo.wait_for_contains_text("#key_work-detail .kw-timeline", "约谈", timeout=30)
    dash_duo.wait_for_contains_text("#key_work-detail .kw-timeline", "逾期未反馈", timeout=30)
    shot(dash_duo, "duban-escalated-1920x1080")

    # 4. The unit signs in again and applies 办结 with its evidence.
    _sign_in(dash_duo, unit.user_id, "/key-work")
    _unit_opens(dash_duo)
    dash_duo.wait_for_contains_text("#key_work-unit-detail", "约谈", timeout=30)
    _unit_does(dash_duo, "办结申请", "竣工验收报告已上传（编号YS-2026-118）")

    # 5. The leader signs in, confirms, then rates: closed, and the scorecard counts it.
    _sign_in(dash_duo, leader.user_id, "/key-work")
    _leader_opens(dash_duo, task["task_id"])
    dash_duo.wait_for_contains_text("#key_work-detail .kw-timeline", "YS-2026-118", timeout=30)
    _leader_does(dash_duo, "办结确认", "同意办结", "已记录办结确认")
    dash_duo.driver.get(f"{_base(dash_duo)}/key-work?task={task['task_id']}")
    dash_duo.wait_for_contains_text("#key_work-detail", "已办结确认", timeout=60)
    # The form is off for a closed item except for 效果评估.
    _choose(dash_duo, "key_work-action", "效果评估")
    _choose(dash_duo, "key_work-rating", "4分")
    checked = "//div[@id='key_work-rating']//input[@value='4']"
    WebDriverWait(dash_duo.driver, 10).until(
        lambda d: d.find_element(By.XPATH, checked).is_selected()
    )
    dash_duo.find_element("#key_work-comment").send_keys("按期完成，群众满意")
    _click(dash_duo, dash_duo.find_element("#key_work-submit"))
    dash_duo.wait_for_contains_text("#key_work-message", "已记录效果评估", timeout=30)
    dash_duo.wait_for_contains_text("#key_work-detail", "4分 按期完成", timeout=30)
    closed = store.case(case.id)
    assert (closed.status, closed.rating) == ("closed", 4)
    dash_duo.wait_for_contains_text("#key_work-scorecard", task["lead_unit"], timeout=30)
    row = dash_duo.driver.find_element(
        By.XPATH, f"//div[@id='key_work-scorecard']//tr[td[1][.='{task['lead_unit']}']]"
    )
    cells = [td.text for td in row.find_elements(By.TAG_NAME, "td")]
    # 督办事项 1, 按时反馈 3 (进展反馈 and 申请延期 before the deadline; 办结申请 before 约谈's),
    # 逾期反馈 0, 逾期升级 1, 被退回 0, 已办结 1, 平均评分 4
    assert cells[1:] == ["1", "3", "0", "1", "0", "1", "4"]
    shot(dash_duo, "duban-closed-1920x1080")
    assert console_errors(dash_duo) == []


def test_an_overdue_ticket_goes_under_duban_from_its_row(dash_duo, duban_app) -> None:
    """The 12345 list offers 转督办 on overdue or 重办 tickets; one click opens the item,
    linked to the ticket, with the masked summary."""
    dash_duo.driver.set_window_size(1920, 1080)
    start(dash_duo, duban_app)
    dash_duo.wait_for_page(url=f"{_base(dash_duo)}/hotline", timeout=30)
    dash_duo.wait_for_element("#hotline-list-table .hotline-duban-row", timeout=90)
    button = dash_duo.find_element("#hotline-list-table .hotline-duban-row")
    row = button.find_element(By.XPATH, "./ancestor::tr")
    ticket_id = row.find_element(By.CSS_SELECTOR, "td.col-ticket_id").text
    _click(dash_duo, button)
    dash_duo.wait_for_contains_text("#hotline-duban-result", "已转督办", timeout=30)
    [case] = get_store(duban_app.server.extensions["cockpit_hub"]).cases(signals_only=True)
    assert case.ticket_id == ticket_id and "诉求摘要" in case.reason
    _click(dash_duo, dash_duo.find_element("#hotline-list-table .hotline-duban-row"))
    dash_duo.wait_for_contains_text("#hotline-duban-result", "已转督办（督办事项", timeout=30)
    assert console_errors(dash_duo) == []
