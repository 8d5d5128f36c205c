"""The phone (390x844) in a real browser: a one-row header, at most five tabs with 更多 for the
rest, Chinese loading text, 今日值班 first on 应急指挥, summary-first pages with detail on
demand, and no layout shift while panels arrive (issue #20, item 7).

One server process and one Chromium for the module, as in test_screens_browser (whose
server, browser and helpers are reused). Screenshots go to artifacts/screenshots/phone-*.png.
"""

# The server and browser fixtures are imported, and pytest passes them by name: F811 is expected.
# ruff: noqa: F811
from __future__ import annotations

import time

import pytest

from tests.browser.test_screens_browser import (  # noqa: F401  (server, browser: fixtures)
    PAGE_DRAWN,
    Server,
    browser,
    errors,
    server,
    shot,
    sign_in,
    size,
    wait,
)
from tests.browser_support import skip_without_chromium

pytestmark = pytest.mark.browser
skip_without_chromium()

WIDTH, HEIGHT = 390, 844

# Installed before any page script runs (CDP): every layout shift, and every text the initial
# loading placeholder shows while it is on screen (innerText: only what is rendered).
OBSERVE = """
window.__shifts = [];
window.__loadingTexts = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    if (!e.hadRecentInput) window.__shifts.push([e.startTime, e.value]);
  }
}).observe({type: 'layout-shift', buffered: true});
const seeLoading = () => {
  const el = document.querySelector('._dash-loading');
  if (!el) return;
  const after = getComputedStyle(el, '::after').content;
  window.__loadingTexts.push((el.innerText || '') + ' ' + (after === 'none' ? '' : after));
};
new MutationObserver(seeLoading).observe(document, {childList: true, subtree: true});
document.addEventListener('DOMContentLoaded', seeLoading);
// Every largest-paint candidate: [time, whether it is the server's first paint's]; and when
// the renderer was told to start (cockpit.screens.SCRIPTS_RUN).
window.__lcp = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    window.__lcp.push([e.startTime, !!(e.element && e.element.closest('#first-paint'))]);
  }
}).observe({type: 'largest-contentful-paint', buffered: true});
document.addEventListener('cockpit:scripts-run', () => { window.__scriptsRun = performance.now(); });
"""


def cls(shifts: list[list[float]]) -> float:
    """Cumulative layout shift as web-vitals and Lighthouse count it: the largest session
    window (shifts less than 1 s apart, a window at most 5 s long)."""
    best = current = 0.0
    start = last = None
    for t, value in shifts:
        if start is not None and t - last < 1000 and t - start < 5000:
            current += value
        else:
            current, start = value, t
        last = t
        best = max(best, current)
    return best


@pytest.fixture(scope="module")
def phone(server: Server, browser):
    """The module's browser as a 390x844 phone with the observers installed, signed in."""
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": OBSERVE})
    size(browser, WIDTH, HEIGHT)
    sign_in(browser, server, "leader")
    errors(browser)
    return browser


def open_page(driver, server: Server, path: str) -> None:
    """Load a page and wait until it has drawn and settled."""
    driver.get(server.url + path)
    wait(driver, PAGE_DRAWN, 45, path)
    time.sleep(1.5)  # late callbacks (clock, as-of) and graphs settle


def visible_tabs(driver) -> list[str]:
    """The bottom bar's tabs a thumb can see: links and buttons on screen."""
    return driver.execute_script(
        """return [...document.querySelectorAll('#shell-nav a, #shell-nav button')]
          .filter((e) => { const r = e.getBoundingClientRect();
                           return e.offsetParent && r.width > 0 && r.bottom <= innerHeight + 1
                                  && r.top >= innerHeight - 90; })
          .map((e) => e.innerText.trim())"""
    )


def screens(driver) -> float:
    """How many phone screens the page runs to."""
    return driver.execute_script("return document.documentElement.scrollHeight") / HEIGHT


def test_phone_header_is_one_row_and_the_page_starts_high(server: Server, phone) -> None:
    """The header is one row (it took 150 px, with the selectors 236 of 844); the period and
    county selectors stay one tap away; the page's content starts within the first 130 px."""
    for path in ("/", "/emergency"):
        open_page(phone, server, path)
        box = phone.execute_script(
            """const r = (s) => document.querySelector(s).getBoundingClientRect();
            return {header: r('.shell-header').height, content: r('#page-content').top,
                    period: r('#filter-period').height, county: r('#filter-county').height,
                    theme: r('#shell-theme').height}"""
        )
        assert box["header"] <= 64, f"{path}: header {box['header']} px high"
        assert box["content"] <= 130, f"{path}: content starts at {box['content']} px"
        assert box["period"] >= 44 and box["county"] >= 44 and box["theme"] >= 44
    shot(phone, "phone-header-390x844")
    assert errors(phone) == []


@pytest.mark.parametrize("username", ["leader", "staff", "county"])
def test_bottom_bar_has_five_tabs_and_more_opens_the_rest(
    server: Server,
    phone,
    username: str,
) -> None:
    """At most five tabs (there were 8, and 9 for city staff); 更多 opens every other module
    the role may open, and the account (修改口令, 退出); a tap on one goes there and closes it."""
    sign_in(phone, server, username)
    errors(phone)  # the previous page's requests refused while signing out are not this page's
    open_page(phone, server, "/")
    every = phone.execute_script(
        "return [...document.querySelectorAll('#shell-nav a.nav-link')].map((a) => a.getAttribute('href'))"
    )
    tabs = visible_tabs(phone)
    assert len(tabs) <= 5, f"{username}: {tabs}"
    assert len(every) <= 5 or tabs[-1] == "更多"
    phone.find_element("css selector", "#shell-more").click()
    wait(phone, "document.getElementById('shell-more').getAttribute('aria-expanded') === 'true'", 5)
    time.sleep(0.3)
    shot(phone, f"phone-more-{username}-390x844")
    shown = phone.execute_script(
        """return [...document.querySelectorAll('#shell-nav a.nav-link')]
          .filter((a) => { const r = a.getBoundingClientRect();
                           return a.offsetParent && r.top >= 0 && r.bottom <= innerHeight; })
          .map((a) => a.getAttribute('href'))"""
    )
    assert sorted(shown) == sorted(every), f"{username}: {shown} of {every}"
    account = phone.execute_script(
        """return [...document.querySelectorAll('#shell-nav .shell-user a, #shell-nav .shell-user button')]
          .filter((e) => e.offsetParent).map((e) => e.innerText.trim())"""
    )
    # The user's own things under 更多: the inbox (站内消息, with its unread count), password, sign-out.
    assert [a.split()[0] for a in account] == ["站内消息", "修改口令", "退出"], account
    last = [href for href in every if href not in ("/", "/economy")][-1]
    phone.find_element("css selector", f"#shell-nav a.nav-link[href='{last}']").click()
    wait(phone, f"location.pathname === '{last}'", 10)
    wait(
        phone, "document.getElementById('shell-more').getAttribute('aria-expanded') === 'false'", 5
    )
    assert len(visible_tabs(phone)) <= 5
    # The tab of a page under 更多 is 更多 itself, marked as the current one.
    assert phone.execute_script(
        "return getComputedStyle(document.getElementById('shell-more')).color"
    ) == phone.execute_script(
        "return getComputedStyle(document.querySelector('#shell-nav a.active')).color"
    )
    assert errors(phone) == []
    sign_in(phone, server, "leader")
    errors(phone)


def test_first_paint_says_loading_in_chinese(server: Server, phone) -> None:
    """Dash's own "Loading..." never shows; its placeholder says 正在加载 instead."""
    for path in ("/", "/hotline"):
        phone.get(server.url + path)
        wait(phone, PAGE_DRAWN, 45, path)
        seen = phone.execute_script("return window.__loadingTexts")
        assert seen, f"{path}: the loading placeholder was never seen"
        assert not any("Loading" in text for text in seen), seen
        assert all("正在加载" in text for text in seen), seen


def test_duty_roster_is_the_first_panel_on_emergency(server: Server, phone) -> None:
    """On a phone 应急指挥 opens on 今日值班, with its one-tap calls, above everything else."""
    open_page(phone, server, "/emergency")
    order = phone.execute_script(
        """return [...document.querySelectorAll('#emergency-page .panel, #emergency-page .em-strip')]
          .filter((e) => e.offsetParent)
          .map((e) => [e.getBoundingClientRect().top,
                       (e.querySelector('.panel-title') || {innerText: 'strip'}).innerText])
          .sort((a, b) => a[0] - b[0]).map((x) => x[1])"""
    )
    assert order[0] == "今日值班", order
    wait(phone, "document.querySelector('#emergency-roster a.call-link')", 30, "the roster's calls")
    link = phone.find_element("css selector", "#emergency-roster a.call-link")
    assert link.location["y"] < HEIGHT - 80  # on the first screen, above the bottom bar
    shot(phone, "phone-emergency-390x844")


# The summary each page opens on, and a detail to open on demand: (fold toggle, what appears).
SUMMARY_FIRST = {
    "/key-work": ("#key_work-summary", "tasks", "#key_work-task-list .kw-task"),
    "/hotline": ("#hotline-kpis-panel", "list", "#hotline-list-table tbody tr"),
    "/contacts": (".contacts-duty", "directory", "#contacts-list .ct-card"),
}


@pytest.mark.parametrize("path", list(SUMMARY_FIRST))
def test_pages_open_on_a_summary_with_detail_on_demand(
    server: Server,
    phone,
    path: str,
) -> None:
    """/key-work, /hotline and /contacts ran 13, 14 and 16 screens on a phone: each opens on its
    summary, within 3 screens, and a tap on a section's 展开 shows that section's detail."""
    summary, fold, detail = SUMMARY_FIRST[path]
    open_page(phone, server, path)
    first = phone.execute_script(
        """const panels = [...document.querySelectorAll('#page-content .panel')]
             .filter((e) => e.offsetParent).sort((a, b) => a.getBoundingClientRect().top
                                                        - b.getBoundingClientRect().top);
           return panels[0] === document.querySelector(arguments[0])""",
        summary,
    )
    assert first, f"{path}: {summary} is not the first panel"
    before = screens(phone)
    shot(phone, f"phone{path.replace('/', '-')}-390x844")
    assert before <= 3, f"{path}: {before:.1f} screens"
    toggle = f"button.phone-fold-toggle[data-fold='{fold}']"
    hidden = phone.execute_script(
        "return [...document.querySelectorAll(arguments[0])].every((e) => !e.offsetParent)", detail
    )
    assert hidden, f"{path}: {detail} shows before it is asked for"
    button = phone.find_element("css selector", toggle)
    phone.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
    button.click()
    wait(phone, f'document.querySelector("{detail}")?.offsetParent', 20, f"{detail} shown")
    assert button.get_attribute("aria-expanded") == "true"
    assert screens(phone) > before
    assert errors(phone) == []


def test_folds_do_not_touch_the_desktop(server: Server, phone) -> None:
    """At 1920x1080 every section shows in full and no 展开 button is drawn."""
    size(phone, 1920, 1080)
    try:
        open_page(phone, server, "/hotline")
        toggles = phone.execute_script(
            "return [...document.querySelectorAll('.phone-fold-toggle')].filter((e) => e.offsetParent).length"
        )
        assert toggles == 0
        assert phone.execute_script(
            "return !!document.querySelector('#hotline-list-table tr')?.offsetParent"
        )
    finally:
        size(phone, WIDTH, HEIGHT)


@pytest.mark.parametrize("path", ["/", "/hotline"])
def test_the_desktop_page_does_not_move_while_it_loads(server: Server, phone, path: str) -> None:
    """At 1350x940 (Lighthouse's desktop screen) the overview moved by CLS 0.37: the header
    wrapped onto a second line when 数据截至 and the clock came by callback, and the filters
    row moved when Dash's dropdowns arrived from their own chunk. The header now comes with
    both drawn, and the live page replaces the first paint once its dropdowns are in."""
    size(phone, 1350, 940)
    try:
        open_page(phone, server, path)
        shifts = phone.execute_script("return window.__shifts")
        assert cls(shifts) <= 0.1, f"{path}: CLS {cls(shifts):.3f} from {shifts}"
        assert phone.execute_script(
            "return document.querySelector('#shell-as-of').innerText"
        ).startswith("数据截至")
    finally:
        size(phone, WIDTH, HEIGHT)


@pytest.mark.parametrize("path", ["/", "/hotline"])
def test_panels_arrive_without_moving_the_page(server: Server, phone, path: str) -> None:
    """Cumulative layout shift at most 0.1 (it was 0.30 on / and 0.88 on /hotline): each
    panel's place is kept while its data comes, and the header does not grow."""
    open_page(phone, server, path)
    time.sleep(1.5)
    shifts = phone.execute_script("return window.__shifts")
    assert cls(shifts) <= 0.1, f"{path}: CLS {cls(shifts):.3f} from {shifts}"


@pytest.mark.parametrize("path", ["/", "/hotline"])
def test_the_first_screen_is_painted_before_the_scripts_run(
    server: Server, phone, path: str
) -> None:
    """The page's largest paint (需要关注's first item on /, the KPI period line on /hotline)
    is the server's first paint (cockpit/first_paint.py), on screen before the renderer
    starts; it was React's, 88% of Lighthouse's 4.4 s LCP spent waiting for scripts (issue
    #20 item 7). Then the live page takes its place: no first paint left, no id twice, and
    nothing moved (CLS, as above)."""
    open_page(phone, server, path)
    lcp = phone.execute_script("return window.__lcp")
    started = phone.execute_script("return window.__scriptsRun")
    assert lcp, f"{path}: no largest contentful paint"
    assert all(first for _time, first in lcp), f"{path}: drawn by React: {lcp}"
    assert started and lcp[-1][0] < started, (lcp, started)
    assert phone.execute_script("return document.getElementById('first-paint')") is None
    twice = phone.execute_script(
        "const ids = [...document.querySelectorAll('[id]')].map((e) => e.id);"
        "return ids.filter((id, i) => ids.indexOf(id) !== i)"
    )
    assert twice == []
    shifts = phone.execute_script("return window.__shifts")
    assert cls(shifts) <= 0.1, f"{path}: CLS {cls(shifts):.3f} from {shifts}"
    assert errors(phone) == []


# A folded section's charts (plotly's data on the graph's div) and table rows, by fold.
CHART_TRACES = (
    "return (document.querySelector(arguments[0] + ' .js-plotly-plot')?.data || []).length"
)


def test_folded_sections_draw_nothing_until_opened(server: Server, phone) -> None:
    """On a phone /hotline's folded sections draw no chart and no table while folded (their
    drawing cost the first render most of its main-thread time, issue #20 item 7); a tap on
    展开详情 draws them."""
    open_page(phone, server, "/hotline")
    assert phone.execute_script(CHART_TRACES, "#hotline-volume") == 0
    assert phone.execute_script(CHART_TRACES, "#hotline-categories") == 0
    rows = "return document.querySelectorAll('#hotline-list-table tbody tr').length"
    assert phone.execute_script(rows) == 0
    # The headline figures are not folded: they are drawn.
    assert phone.execute_script("return document.querySelector('#hotline-kpis').innerText")
    button = phone.find_element("css selector", "button.phone-fold-toggle[data-fold='volume']")
    phone.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
    button.click()
    wait(
        phone,
        "(document.querySelector('#hotline-volume .js-plotly-plot')?.data || []).length",
        30,
        "the volume chart drawn once opened",
    )
    # Opening one section draws that one only.
    assert phone.execute_script(CHART_TRACES, "#hotline-categories") == 0
    assert errors(phone) == []


# Did this page fetch a plotly.js (the cockpit's bundle or Dash's own plotly.min.js)? Resource
# timing lists every script the document asked for, from the network or the cache.
PLOTLY_FETCHED = (
    "return performance.getEntriesByType('resource')"
    ".filter((e) => /plotly[^/]*\\.min\\.js/.test(e.name)).map((e) => e.name)"
)


def test_plotly_js_is_fetched_only_when_a_chart_is_drawn(server: Server, phone) -> None:
    """plotly.js, the largest script of a page (410 KB compressed), is not fetched by a phone
    page that draws no chart: /hotline opens on its KPI cards, every chart folded (issue #20
    item 7: its download and evaluation cost Lighthouse's mobile score most). Opening a folded
    chart fetches it, once, and draws the chart."""
    open_page(phone, server, "/hotline")
    assert phone.execute_script(PLOTLY_FETCHED) == []
    button = phone.find_element("css selector", "button.phone-fold-toggle[data-fold='volume']")
    phone.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
    button.click()
    wait(
        phone,
        "(document.querySelector('#hotline-volume .js-plotly-plot')?.data || []).length",
        30,
        "the volume chart drawn once opened",
    )
    fetched = phone.execute_script(PLOTLY_FETCHED)
    assert len(fetched) == 1 and "plotly-cockpit.min.js" in fetched[0], fetched
    assert errors(phone) == []


# The page's requests to Dash's own routes, as resource timing lists them: [path, initiator].
DASH_REQUESTS = (
    "return performance.getEntriesByType('resource')"
    ".filter((e) => /\\/_dash-(layout|dependencies)/.test(e.name))"
    ".map((e) => [new URL(e.name).pathname, e.initiatorType])"
)


def test_the_renderer_takes_the_preloaded_layout(server: Server, phone) -> None:
    """The page's layout and callbacks are asked for from <head> (cockpit.screens
    FIRST_REQUESTS), while the scripts download, not after they have all run (issue #20
    item 7), and the renderer uses those answers: each is fetched once, by the preload link,
    and the browser reports no unused or mismatched preload."""
    open_page(phone, server, "/hotline")
    fetched = phone.execute_script(DASH_REQUESTS)
    assert sorted(fetched) == [["/_dash-dependencies", "link"], ["/_dash-layout", "link"]]
    assert phone.execute_script("return document.querySelector('#hotline-kpis').innerText")
    time.sleep(3)  # Chromium warns of a preload unused a few seconds after the load event
    logged = phone.get_log("browser")
    assert [e["message"] for e in logged if "preload" in e["message"]] == []
    assert [e["message"] for e in logged if e["level"] == "SEVERE"] == []


# Records the outputs of every callback request the page makes (window.askedFor).
RECORD_CALLBACKS = """
window.askedFor = [];
const fetchBefore = window.fetch;
window.fetch = function (url, options) {
    if (String(url).includes('_dash-update-component') && options && options.body) {
        window.askedFor.push(JSON.parse(options.body).output);
    }
    return fetchBefore.apply(this, arguments);
};
"""
FOLDED_ON_HOTLINE = (
    "units",
    "sla",
    "hot",
    "repeat",
    "volume",
    "pattern",
    "categories",
    "map",
    "list-variant",
)


def test_folded_sections_ask_the_server_nothing_at_load(server: Server, phone) -> None:
    """On a phone /hotline's folded sections send no request at load, not even for their
    period and 数据截至 lines, hidden while folded (issue #20 item 7: 18 callback answers at
    load, most of them those lines, cost the first render its time); a tap asks for one."""
    script = phone.execute_cdp_cmd(
        "Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_CALLBACKS}
    )
    try:
        open_page(phone, server, "/hotline")
        asked = " ".join(phone.execute_script("return window.askedFor"))
        assert [k for k in FOLDED_ON_HOTLINE if f"hotline-{k}" in asked] == []
        button = phone.find_element("css selector", "button.phone-fold-toggle[data-fold='sla']")
        phone.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
        button.click()
        wait(phone, "document.querySelector('#hotline-sla').innerText", 30, "办理时限预警 drawn")
        asked = " ".join(phone.execute_script("return window.askedFor"))
        assert [k for k in FOLDED_ON_HOTLINE if f"hotline-{k}" in asked] == ["sla"]
        assert phone.execute_script("return document.querySelector('#hotline-sla-foot').innerText")
    finally:
        phone.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", script)
    assert errors(phone) == []
