"""Screens in a real browser: every page at the wall's, a 4K screen's and a phone's size, the
wall's carousel and scaling, in-place refresh, and recovery after a server restart.

One Chromium and one server process for the whole module (they cost seconds each); the last
test stops that server and starts it again on the same port. Screenshots go to
artifacts/screenshots/ for people to look at.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.browser_support import GRAPH_DRAWN, SHOTS, free_port, skip_without_chromium
from tests.conftest import demo_environ

pytestmark = pytest.mark.browser
skip_without_chromium()

ROOT = Path(__file__).resolve().parents[2]
PAGES = {"overview": "/", "economy": "/economy", "key_work": "/key-work", "risk": "/risk",
         "emergency": "/emergency", "hotline": "/hotline", "briefing": "/briefing"}  # fmt: skip
SIZES = ((1920, 1080), (3840, 2160), (390, 844))
WALL_SCREENS = "[{panel: overview, seconds: 20}, {panel: risk, seconds: 10}]"


class Server:
    """`python -m cockpit run` on a port of its own, as in production; can be stopped and started."""

    def __init__(self, env: dict[str, str], port: int) -> None:
        self.env, self.port, self.process = env, port, None
        self.url = f"http://127.0.0.1:{port}"

    def live(self) -> bool:
        """Whether the server answers /livez."""
        try:
            with urllib.request.urlopen(self.url + "/livez", timeout=2) as answer:
                return answer.status == 200
        except OSError:
            return False

    def start(self) -> None:
        """Start and wait until it answers."""
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cockpit", "run", "--port", str(self.port)],
            cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 90
        while not self.live():
            assert self.process.poll() is None, "the server exited at start-up"
            assert time.monotonic() < deadline, "the server did not answer within 90 s"
            time.sleep(0.3)

    def accounts(self) -> dict[str, str]:
        """The demo accounts' passwords (development mode writes them to a file)."""
        path = Path(self.env["COCKPIT_SECURITY__DEMO_ACCOUNTS_FILE"])
        rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()]
        return {row[0]: row[1] for row in rows if not row[0].startswith("#")}

    def stop(self) -> None:
        """Stop the process and wait until the port is free."""
        self.process.terminate()
        self.process.wait(timeout=20)
        assert not self.live()


@pytest.fixture(scope="module")
def server(demo_db: Path, tmp_path_factory: pytest.TempPathFactory):
    """One cockpit server for the module, on a copy of the demo data, with a fast wall."""
    folder = tmp_path_factory.mktemp("screens-server")
    db = folder / "demo.duckdb"
    shutil.copyfile(demo_db, db)  # a process of its own may not share the DuckDB file
    env = {k: v for k, v in os.environ.items() if not k.startswith("COCKPIT_")}
    env.update(demo_environ(db, folder / "cache"))
    env.update(
        COCKPIT_WALL__SCREENS=WALL_SCREENS,
        COCKPIT_WALL__REFRESH_SECONDS="10",
        COCKPIT_WALL__HEALTH_POLL_SECONDS="2",
    )
    server = Server(env, free_port())
    server.start()
    yield server
    if server.process.poll() is None:
        server.stop()


@pytest.fixture(scope="module")
def browser():
    """One headless Debian Chromium for the module, its console kept."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options

    options = Options()
    options.binary_location = shutil.which("chromium") or shutil.which("chromium-browser")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options)
    yield driver
    driver.quit()


def sign_in(driver, server: Server, username: str) -> None:
    """Sign in through the login form as a demo account (a fresh session)."""
    driver.delete_all_cookies()
    driver.get(server.url + "/login")
    driver.find_element("css selector", "input[name=username]").send_keys(username)
    driver.find_element("css selector", "input[name=password]").send_keys(
        server.accounts()[username]
    )
    driver.find_element("css selector", "button[type=submit]").click()
    wait(driver, "!location.pathname.startsWith('/login')", 20, f"{username} signed in")


def size(driver, width: int, height: int) -> None:
    """A screen of this size (a phone below 768 px: mobile viewport and touch)."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 768},
    )


def errors(driver, allowed: tuple[str, ...] = ()) -> list[str]:
    """SEVERE console messages since the last call."""
    return [
        e["message"]
        for e in driver.get_log("browser")
        if e["level"] == "SEVERE" and not any(a in e["message"] for a in allowed)
    ]


def wait(driver, script: str, timeout: float = 30, what: str = "") -> object:
    """Poll a JavaScript expression until it is truthy; its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = driver.execute_script("return " + script)
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what or script}"
        time.sleep(0.25)


# A page is drawn: its content is in, nothing is loading, every graph has drawn its SVG (a
# phone's graphs out of sight wait for plotly.js: GRAPH_DRAWN).
PAGE_DRAWN = f"""(() => {{
  const content = document.getElementById('page-content');
  if (!content || !content.children.length) return false;
  if (document.querySelector('._dash-loading, [data-dash-is-loading="true"]')) return false;
  const graphs = [...document.querySelectorAll('.dash-graph')];
  return graphs.every((g) => {GRAPH_DRAWN});
}})()"""


def shot(driver, name: str) -> None:
    """A screenshot into artifacts/screenshots/."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SHOTS / f"{name}.png"))


def test_every_page_reads_at_wall_4k_and_phone_sizes(server: Server, browser) -> None:
    """Each page at 1920x1080, 3840x2160 and 390x844: drawn, clean console, no sideways
    scrolling on the phone, phone touch targets of 44 px in the bottom bar."""
    sign_in(browser, server, "leader")
    errors(browser)
    problems = []
    for width, height in SIZES:
        size(browser, width, height)
        for key, path in PAGES.items():
            browser.get(server.url + path)
            wait(browser, PAGE_DRAWN, 45, f"{path} at {width}x{height}")
            time.sleep(0.5)  # graphs settle to their final size
            shot(browser, f"{key}-{width}x{height}")
            found = errors(browser)
            if found:
                problems.append(f"{path} {width}x{height}: console {found}")
            scroll_width = browser.execute_script("return document.documentElement.scrollWidth")
            if scroll_width > width:
                problems.append(f"{path} {width}x{height}: {scroll_width} px wide")
            if width < 768:
                # The tabs shown (the other modules are under 更多, test_phone_browser.py).
                links = browser.execute_script(
                    "return [...document.querySelectorAll('#shell-nav a, #shell-more')]"
                    ".filter((a) => a.offsetParent)"
                    ".map((a) => a.getBoundingClientRect()).map((r) => [r.height, r.right])"
                )
                if len(links) != 5 or any(h < 44 or right > width for h, right in links):
                    problems.append(f"{path}: bottom bar links (height, right) {links}")
    assert problems == [], "\n".join(problems)


def test_phone_overview_puts_attention_first_and_cards_link_to_modules(
    server: Server, browser
) -> None:
    """On a phone the attention list comes before the module cards, which link to modules."""
    size(browser, 390, 844)
    browser.get(server.url + "/")
    wait(browser, PAGE_DRAWN, 45)
    top = browser.execute_script(
        "const y = (s) => document.querySelector(s).getBoundingClientRect().top;"
        "return [y('.attention-panel'), y('#overview-card-economy'), y('.map-panel')]"
    )
    assert top[0] < top[1] < top[2]
    links = browser.execute_script(
        "return [...document.querySelectorAll('a.module-card')].map((a) => a.getAttribute('href'))"
    )
    assert sorted(links) == sorted(
        PAGES[k] for k in ("economy", "key_work", "risk", "emergency", "hotline")
    )
    nav = browser.execute_script(
        "return document.getElementById('shell-nav').getBoundingClientRect()"
    )
    assert nav["bottom"] == 844  # pinned to the bottom of the screen
    browser.find_element("css selector", "#overview-card-risk").click()
    wait(browser, "location.pathname === '/risk'", 10)
    assert browser.execute_script("return document.getElementById('nav-risk').className").endswith(
        "active"
    )
    assert errors(browser) == []


def test_theme_button_switches_light_and_dark_and_remembers(server: Server, browser) -> None:
    """The header's button flips the theme, the page's colours follow, and a reload keeps it."""
    size(browser, 1920, 1080)
    browser.get(server.url + "/economy")
    wait(browser, PAGE_DRAWN, 45)
    ground = "getComputedStyle(document.body).backgroundColor"
    first = browser.execute_script("return document.documentElement.dataset.theme")
    before = browser.execute_script("return " + ground)
    browser.find_element("css selector", "#shell-theme").click()
    other = "dark" if first == "light" else "light"
    wait(browser, f"document.documentElement.dataset.theme === '{other}'", 5)
    assert browser.execute_script("return " + ground) != before
    shot(browser, f"economy-1920x1080-{other}")
    browser.refresh()
    wait(browser, PAGE_DRAWN, 45)
    assert browser.execute_script("return document.documentElement.dataset.theme") == other
    browser.execute_script("localStorage.removeItem('cockpit-theme')")
    assert errors(browser) == []


FRAME_SHOWN = """(() => {
  const shown = document.querySelector('iframe.wall-page.shown');
  if (!shown) return false;
  const doc = shown.contentDocument;
  return doc && doc.querySelector('.cockpit') && !doc.querySelector('._dash-loading') ? shown.title : false;
})()"""


def test_wall_fills_4k_and_a_spliced_wall_and_the_carousel_advances(
    server: Server, browser
) -> None:
    """/wall: scaled 2x on 4K, no scroll bars, dark edge to edge, wall mode inside; the
    carousel moves from the overview to the next screen by itself; panels refresh in place."""
    sign_in(browser, server, "wall")  # the wall screen's own account
    size(browser, 3840, 2160)
    browser.get(server.url + "/wall")
    assert wait(browser, FRAME_SHOWN, 60, "the first wall screen") == "一屏知全市"
    assert browser.execute_script("return document.body.dataset.screens") == "overview"
    rect = browser.execute_script(
        "return document.getElementById('wall-stage').getBoundingClientRect()"
    )
    assert (round(rect["width"]), round(rect["height"])) == (3840, 2160)
    assert browser.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
    ) == [3840, 2160]
    inner = "document.querySelector('iframe.wall-page.shown').contentDocument"
    assert browser.execute_script(f"return {inner}.documentElement.classList.contains('wall')")
    assert (
        browser.execute_script(
            f"return getComputedStyle({inner}.getElementById('shell-nav')).display"
        )
        == "none"
    )
    # The panels refresh in place (every 10 s here): the cards are drawn anew, no page load.
    # The frame is "shown" once its shell is drawn; the cards come with the first callback.
    wait(browser, f"{inner}.querySelector('#wall-view-body > *') !== null", 30,
         "the overview's wall view")  # fmt: skip
    browser.execute_script(
        f"const d = {inner}; d.defaultView.__kept = 1;"
        "d.querySelector('#wall-view-body > *').dataset.mark = 'old'"
    )
    shot(browser, "wall-3840x2160")
    wait(browser, f"{inner}.querySelector('#wall-view-body > *').dataset.mark !== 'old'", 25,
         "an in-place refresh")  # fmt: skip
    assert browser.execute_script(f"return {inner}.defaultView.__kept") == 1
    # The carousel: the risk screen comes next, shown once drawn.
    wait(browser, "document.body.dataset.screens === 'risk'", 40, "the carousel to advance")
    assert wait(browser, FRAME_SHOWN + " === '风险管控'", 45, "the risk screen drawn")
    # A spliced 5760x1080 wall: the canvas fits the height, dark bands either side.
    size(browser, 5760, 1080)
    time.sleep(0.5)
    rect = browser.execute_script(
        "return document.getElementById('wall-stage').getBoundingClientRect()"
    )
    assert (round(rect["left"]), round(rect["width"]), round(rect["height"])) == (1920, 1920, 1080)
    assert browser.execute_script("return getComputedStyle(document.body).backgroundColor") == (
        "rgb(6, 22, 46)"
    )
    shot(browser, "wall-5760x1080")
    assert errors(browser) == []


def test_wall_recovers_by_itself_after_a_server_restart(server: Server, browser) -> None:
    """Stop the server: the wall keeps its last pages and says it is reconnecting. Start it
    again on the same port: the wall loads fresh pages and shows them, untouched."""
    size(browser, 1920, 1080)
    browser.get(server.url + "/wall")
    wait(browser, FRAME_SHOWN, 60, "the first wall screen")
    server.stop()
    wait(browser, "document.body.dataset.connection === 'down'", 20, "the wall to notice")
    assert browser.find_element("css selector", "#wall-status").is_displayed()
    assert wait(browser, FRAME_SHOWN, 2, "the last page kept on screen")
    shot(browser, "wall-1920x1080-disconnected")
    server.start()
    wait(browser, "document.body.dataset.recoveries === '1'", 30, "the wall to see the server back")
    assert browser.execute_script("return document.body.dataset.connection") == "ok"
    assert not browser.find_element("css selector", "#wall-status").is_displayed()
    # The fresh pages replace the old ones once drawn: only live pages remain.
    wait(browser, "document.querySelectorAll('iframe.wall-page.shown').length === 1", 60)
    title = wait(browser, FRAME_SHOWN, 60, "a fresh page drawn")
    assert title in ("一屏知全市", "风险管控")
    shot(browser, "wall-1920x1080-recovered")
    # Refused connections while the server was down are expected; nothing else.
    assert errors(browser, allowed=("ERR_CONNECTION_REFUSED", "livez", "_dash-")) == []
