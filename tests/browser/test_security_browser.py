"""Security in a real browser: sign in through the form, a clean console under the CSP, and
HTML planted in a ticket shown as text when a staff member unmasks it."""

from __future__ import annotations

import shutil

import duckdb
import pytest
from selenium.webdriver.common.by import By

from cockpit.factory import create_app
from cockpit.security import accounts
from cockpit.store import get_store
from tests.browser_support import SHOTS, console_errors, emulate, free_port, skip_without_chromium

skip_without_chromium()
pytestmark = pytest.mark.browser

PASSWORD = "Cockpit#Test2026"
PAYLOAD = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'


@pytest.fixture
def planted_app(settings, demo_db, tmp_path):
    """The real app (login required) over a copy of the demo data with HTML in one ticket."""
    from cockpit.settings import DatasetBinding
    from data_sources.sql import SqlConfig

    copy = tmp_path / "planted.duckdb"
    shutil.copyfile(demo_db, copy)
    con = duckdb.connect(str(copy))
    ticket = con.execute(
        "SELECT ticket_id FROM hotline_tickets WHERE citizen_phone IS NOT NULL LIMIT 1"
    ).fetchone()[0]
    con.execute(
        "UPDATE hotline_tickets SET content = ?, address = ? WHERE ticket_id = ?",
        [PAYLOAD, PAYLOAD, ticket],
    )
    con.close()
    datasets = dict(settings.datasets)
    datasets["hotline.tickets"] = DatasetBinding(
        source="planted", table=datasets["hotline.tickets"].table
    )
    app = create_app(
        settings.model_copy(
            update={
                "sources": {
                    **settings.sources,
                    "planted": SqlConfig(kind="sql", url=f"duckdb:///{copy}"),
                },
                "datasets": datasets,
            }
        )
    )
    hub = app.server.extensions["cockpit_hub"]
    accounts.create_user(
        get_store(hub),
        username="staff-browser",
        role="city_staff",
        password=PASSWORD,
        policy=hub.settings.security.password,
        known_counties=[c.code for c in hub.settings.city.counties],
        must_change=False,
    )
    app.planted_ticket = ticket
    yield app
    for source in hub.sources.values():
        source.close()


def test_sign_in_and_planted_html_stays_text(dash_duo, planted_app) -> None:
    """Login form → 12345 page → 查看完整信息 of the planted ticket: text, not markup."""
    # The login form is plain HTML, not a Dash page: do not wait for Dash's entry point.
    emulate(dash_duo, 1920, 1080)
    dash_duo.start_server(planted_app, navigate=False, port=free_port())
    dash_duo.driver.get(dash_duo.server.url.rstrip("/") + "/hotline")  # → the login form
    dash_duo.wait_for_element("input[name=username]", timeout=10)
    dash_duo.driver.save_screenshot(str(SHOTS / "security-login.png"))
    dash_duo.find_element("input[name=username]").send_keys("staff-browser")
    dash_duo.find_element("input[name=password]").send_keys(PASSWORD)
    dash_duo.find_element("button[type=submit]").click()
    dash_duo.wait_for_element(".shell-user-name", timeout=30)  # back on /hotline, signed in
    assert "staff-browser" in dash_duo.find_element(".shell-user-name").text
    dash_duo.wait_for_element("#hotline-unmask-go", timeout=30)
    summary = dash_duo.find_element(".hotline-unmask summary")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", summary)
    summary.click()
    dash_duo.wait_for_element("#hotline-unmask-ticket", timeout=10)
    dash_duo.find_element("#hotline-unmask-ticket").send_keys(planted_app.planted_ticket)
    dash_duo.find_element("#hotline-unmask-reason").send_keys("核实诉求内容")
    dash_duo.find_element("#hotline-unmask-go").click()
    dash_duo.wait_for_contains_text("#hotline-unmask-result", "onerror", timeout=20)
    result = dash_duo.find_element("#hotline-unmask-result")
    assert PAYLOAD in result.text  # the markup is shown literally
    assert result.find_elements(By.TAG_NAME, "img") == []
    assert result.find_elements(By.TAG_NAME, "script") == []
    assert dash_duo.driver.execute_script("return window.__pwned === undefined")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", result)
    dash_duo.driver.save_screenshot(str(SHOTS / "security-unmask.png"))
    # The CSP (scripts only from the site and Dash's hashed inline ones) leaves the console clean.
    assert console_errors(dash_duo) == []


# -- the page follows the end of its session (等保 8.1.4.1 b: the screen is cleared) ------------
@pytest.fixture
def leader_app(settings):
    """The real app (login required) with one city leader."""
    app = create_app(settings)
    hub = app.server.extensions["cockpit_hub"]
    accounts.create_user(
        get_store(hub),
        username="leader-browser",
        role="city_leader",
        password=PASSWORD,
        policy=hub.settings.security.password,
        known_counties=[c.code for c in hub.settings.city.counties],
        must_change=False,
    )
    yield app
    for source in hub.sources.values():
        source.close()


def _signed_in_on_a_page_with_figures(dash_duo, app) -> None:
    emulate(dash_duo, 1600, 1000)
    dash_duo.start_server(app, navigate=False, port=free_port())
    dash_duo.driver.get(dash_duo.server.url.rstrip("/") + "/hotline")
    dash_duo.wait_for_element("input[name=username]", timeout=10)
    dash_duo.find_element("input[name=username]").send_keys("leader-browser")
    dash_duo.find_element("input[name=password]").send_keys(PASSWORD)
    dash_duo.find_element("button[type=submit]").click()
    dash_duo.wait_for_element(".js-plotly-plot", timeout=30)  # figures on screen


def _cleared_and_at_login(dash_duo) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(dash_duo.driver, 20).until(
        lambda d: "/login" in d.current_url and d.find_elements(By.NAME, "username")
    )
    assert "expired=1" in dash_duo.driver.current_url
    assert dash_duo.driver.find_elements(By.CSS_SELECTOR, ".js-plotly-plot") == []
    assert "会话已过期" in dash_duo.driver.find_element(By.TAG_NAME, "body").text


def test_page_clears_itself_when_the_server_ends_the_session(dash_duo, leader_app) -> None:
    """Revoked on the server (as the idle timeout does): the next callback's 401 sends the
    page, emptied, to the login form."""
    from cockpit.security import sessions

    _signed_in_on_a_page_with_figures(dash_duo, leader_app)
    store = get_store(leader_app.server.extensions["cockpit_hub"])
    assert sessions.revoke_user(store, "leader-browser", "idle") == 1
    # The user goes to another module: that page's callbacks are answered 401.
    dash_duo.driver.execute_script(
        "const a = document.querySelector('.shell-nav a.nav-link'); if (a) { a.click(); }"
    )
    _cleared_and_at_login(dash_duo)


def test_page_clears_itself_on_the_idle_limit(dash_duo, leader_app) -> None:
    """No touch for the idle limit (cookie cockpit_idle, shortened here): cleared, to login."""
    _signed_in_on_a_page_with_figures(dash_duo, leader_app)
    cookie = dash_duo.driver.get_cookie("cockpit_idle")
    assert cookie is not None and int(cookie["value"]) == 30 * 60  # idle_minutes, in seconds
    dash_duo.driver.add_cookie({"name": "cockpit_idle", "value": "3", "path": "/"})
    _cleared_and_at_login(dash_duo)
