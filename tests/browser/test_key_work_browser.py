"""重点工作 in the browser: a red indicator turned into a supervision item and an action recorded;
a task opened with its milestones on the timeline, on a large screen and on a phone.

Marked `browser`; skipped where Chromium is not installed. Screenshots go to
artifacts/screenshots/ (key_work-1920x1080.png, key_work-390x844.png, key_work-task-*.png).
"""

from __future__ import annotations

import json

import pytest
from selenium.webdriver.common.by import By

from cockpit.ids import decode_key
from cockpit.store import get_store
from data_sources.query import DatasetQuery, Filter
from tests.browser_support import (
    SHOTS,
    console_errors,
    emulate,
    shot,
    skip_without_chromium,
    start,
)

pytestmark = pytest.mark.browser
skip_without_chromium()


def test_red_indicator_becomes_a_supervision_item(dash_duo, app) -> None:
    """转督办 on a red indicator opens an item linked to the figure; 催办 is then recorded."""
    dash_duo.driver.set_window_size(1920, 1080)
    start(dash_duo, app)
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
    hub = app.server.extensions["cockpit_hub"]
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
    assert console_errors(dash_duo) == []


def test_phone_view_fits_and_opens_a_task(dash_duo, app) -> None:
    """At 390x844 the page stacks into one column with no horizontal scroll; 督办 opens a task."""
    emulate(dash_duo, 390, 844)
    start(dash_duo, app)
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/key-work", timeout=30)
    dash_duo.wait_for_element("#key_work-task-list .kw-task button", timeout=60)
    dash_duo.wait_for_element("#key_work-signals li", timeout=60)
    width = dash_duo.driver.execute_script("return document.documentElement.scrollWidth")
    inner = 390  # the device width: a mobile viewport widens itself to fit what overflows
    SHOTS.mkdir(parents=True, exist_ok=True)
    dash_duo.driver.save_screenshot(str(SHOTS / "key_work-390x844.png"))
    assert width <= inner
    _unfold_tasks(dash_duo)
    first = dash_duo.find_element("#key_work-task-list .kw-task .kw-task-title").text
    button = dash_duo.find_element("#key_work-task-list .kw-task button")
    # A person scrolls the button above the phone's bottom navigation bar before tapping.
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", button)
    button.click()
    dash_duo.wait_for_contains_text("#key_work-detail", first, timeout=30)
    dash_duo.wait_for_contains_text("#key_work-detail", "督办与反馈记录", timeout=30)
    dash_duo.driver.save_screenshot(str(SHOTS / "key_work-detail-390x844.png"))
    assert console_errors(dash_duo) == []


def _unfold_tasks(dash_duo) -> None:
    """On a phone the task list opens on demand (cockpit/phone.py): tap its 展开详情."""
    toggle = dash_duo.find_element("button.phone-fold-toggle[data-fold='tasks']")
    if toggle.is_displayed():
        dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", toggle)
        toggle.click()
        dash_duo.wait_for_element("#key_work-task-list .kw-task", timeout=10)


def _open_task_with_milestones(dash_duo, app) -> tuple[str, list]:
    """Open the first listed task (red: it has an overdue milestone in the demo) and wait for
    its milestones; return its title and its milestone rows from the demo source."""
    start(dash_duo, app)
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/key-work", timeout=30)
    dash_duo.wait_for_element("#key_work-task-list .kw-task button", timeout=60)
    _unfold_tasks(dash_duo)
    first = dash_duo.find_element("#key_work-task-list .kw-task")
    title = first.find_element(By.CSS_SELECTOR, ".kw-task-title").text
    counted = first.find_element(By.CSS_SELECTOR, ".kw-task-milestones").text
    button = first.find_element(By.CSS_SELECTOR, "button")
    task_id = decode_key(json.loads(button.get_attribute("id"))["subject"]).removeprefix("task:")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", button)
    button.click()
    dash_duo.wait_for_contains_text("#key_work-detail", title, timeout=30)
    dash_duo.wait_for_element("#key_work-detail .kw-tl-ms", timeout=30)
    hub = app.server.extensions["cockpit_hub"]
    with app.server.test_request_context("/"):
        rows = hub.query(
            "key_work.milestones", DatasetQuery(filters=(Filter("task_id", "eq", task_id),))
        ).frame.sort_values("seq")
    done = int(rows.done_at.notna().sum())
    assert counted.startswith(f"里程碑 {done}/{len(rows)}")
    return title, list(rows.itertuples())


def _check_milestones_on_timeline(dash_duo, rows: list) -> None:
    """Each milestone is on the timeline; the overdue ones in red with 逾期N天, done ones ✓."""
    timeline = dash_duo.find_element("#key_work-detail .kw-timeline").text
    for m in rows:
        assert m.name in timeline
    marks = dash_duo.driver.find_elements(By.CSS_SELECTOR, "#key_work-detail .kw-tl-ms")
    assert len(marks) == len(rows)
    overdue = dash_duo.driver.find_elements(By.CSS_SELECTOR, ".kw-tl-ms-overdue .kw-tl-note")
    assert overdue and all(o.text.startswith("逾期") and o.text.endswith("天") for o in overdue)
    colour = overdue[0].value_of_css_property("background-color")
    red = dash_duo.driver.execute_script(  # the theme's var(--red), as the browser computes it
        "const probe = document.createElement('i'); probe.style.background = 'var(--red)';"
        "document.body.append(probe); const c = getComputedStyle(probe).backgroundColor;"
        "probe.remove(); return c;"
    )
    assert colour.replace("rgba", "rgb").replace(", 1)", ")") == red, (colour, red)
    done = dash_duo.driver.find_elements(By.CSS_SELECTOR, ".kw-tl-ms-done .kw-tl-note")
    assert all(d.text.startswith("✓ 已完成") for d in done)


def _fits(dash_duo, selector: str) -> None:
    """Nothing inside `selector` sticks out to the right of it (text cut off or overlapping)."""
    sticking = dash_duo.driver.execute_script(
        """
        const box = document.querySelector(arguments[0]).getBoundingClientRect();
        return [...document.querySelectorAll(arguments[0] + ' *')]
            .filter(e => e.getClientRects().length
                    && e.getBoundingClientRect().right > box.right + 1)
            .map(e => e.className + ': ' + e.textContent.slice(0, 30));
        """,
        selector,
    )
    assert sticking == []


def test_task_opens_with_its_milestones_on_a_large_screen(dash_duo, app) -> None:
    """1920x1080: 督办 on the most urgent task shows its milestones beside actions and feedback."""
    dash_duo.driver.set_window_size(1920, 1080)
    _, rows = _open_task_with_milestones(dash_duo, app)
    _check_milestones_on_timeline(dash_duo, rows)
    _fits(dash_duo, "#key_work-detail-panel")
    _fits(dash_duo, "#key_work-task-list")
    shot(dash_duo, "key_work-task-1920x1080")
    dash_duo.driver.execute_script(
        "document.getElementById('key_work-task-list').scrollIntoView({block: 'center'})"
    )
    shot(dash_duo, "key_work-tasklist-1920x1080")
    assert console_errors(dash_duo) == []


def test_task_opens_with_its_milestones_on_a_phone(dash_duo, app) -> None:
    """390x844: the same, in one column, with no horizontal scroll."""
    emulate(dash_duo, 390, 844)
    _, rows = _open_task_with_milestones(dash_duo, app)
    _check_milestones_on_timeline(dash_duo, rows)
    _fits(dash_duo, "#key_work-detail-panel")
    _fits(dash_duo, "#key_work-task-list")
    width = dash_duo.driver.execute_script("return document.documentElement.scrollWidth")
    assert width <= 390
    dash_duo.driver.execute_script(
        "document.querySelector('#key_work-task-list .kw-task').scrollIntoView()"
    )
    shot(dash_duo, "key_work-tasklist-390x844")
    dash_duo.driver.execute_script(
        "document.querySelector('#key_work-detail .kw-subtitle').scrollIntoView()"
    )
    shot(dash_duo, "key_work-task-390x844")
    assert console_errors(dash_duo) == []
