"""B7's browser: a cockpit page opened in headless Chromium, timed as a person sees it.

One Chromium (Debian's /usr/bin/chromium driven by /usr/bin/chromedriver) signs in through
the login form, then opens pages. For each page it reports, from the navigation's start:

- `panels_s`: the last visible change in the page (#page-content) after which every panel is
  drawn: no element in Dash's loading state (data-dash-is-loading, a dcc.Loading spinner)
  and every dcc.Graph has its SVG. The header's clock ticks every second, so only changes
  inside #page-content count; a loading flag going on or off is not a visible change.
- `last_callback_s`: the end of the last /_dash-update-component answer (Performance API
  resource timings), whatever it changed.
- `cpu_task_s`, `cpu_script_s`: the page's own CPU time (Chrome's Performance.getMetrics,
  TaskDuration and ScriptDuration, over the visit).
- the callbacks that changed nothing: answers that were 204 or whose every output equals
  what the page already showed (compared in the page, against Dash's store, before Dash
  applies the answer).

"Cold" empties Chromium's cache (and the caller empties the server's) before the visit.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field

# Put in every document before its own scripts run (Page.addScriptToEvaluateOnNewDocument).
PROBE = r"""
(() => {
  const b7 = (window.__b7 = {calls: [], pending: 0, visible: null, panels: 0});
  const content = () => document.getElementById('page-content');
  const drawn = () => {
    const page = content();
    if (!page || !page.children.length) return false;
    if (page.querySelector('[data-dash-is-loading="true"], .dash-spinner')) return false;
    for (const graph of page.querySelectorAll('.dash-graph')) {
      if (!graph.querySelector('svg.main-svg')) return false;
    }
    return true;
  };
  b7.drawn = drawn;
  new MutationObserver((records) => {
    const seen = records.some((r) =>
      r.target instanceof Node && content() && content().contains(r.target) &&
      !(r.type === 'attributes' && r.attributeName === 'data-dash-is-loading'));
    if (seen) {
      b7.visible = performance.now();
      const last = records[records.length - 1].target;
      const element = last.nodeType === 1 ? last : last.parentElement;
      b7.lastChange = element ? (element.id || element.className || element.tagName) + '' : '';
    }
  }).observe(document, {subtree: true, childList: true, attributes: true, characterData: true});

  // What Dash shows now for one output (its store's layout, found by the component's path).
  const shown = (id, prop) => {
    const state = window.store && window.store.getState();
    if (!state) return undefined;
    const path = (state.paths.strs || state.paths)[id];
    if (!path) return undefined;
    let node = state.layout;
    for (const step of path) node = node == null ? node : node[step];
    return node && node.props ? node.props[prop] : undefined;
  };
  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
  const original = window.fetch;
  window.fetch = async function (input, init) {
    const url = typeof input === 'string' ? input : input.url;
    if (!url.includes('/_dash-update-component')) return original.apply(this, arguments);
    b7.pending += 1;
    const start = performance.now();
    let output = '';
    try { output = JSON.parse(init.body).output; } catch (e) {}
    try {
      const response = await original.apply(this, arguments);
      const end = performance.now();
      let unchanged = response.status === 204;
      if (response.status === 200) {
        try {
          const answer = (await response.clone().json()).response || {};
          unchanged = Object.entries(answer).every(([id, props]) =>
            Object.entries(props).every(([prop, value]) => same(shown(id, prop), value)));
        } catch (e) {}
      }
      b7.calls.push({output, status: response.status, unchanged, start, end});
      return response;
    } finally {
      b7.pending -= 1;
    }
  };
})();
"""

# Read when the page has settled.
RESULT = r"""
const b7 = window.__b7;
const ends = performance.getEntriesByType('resource')
  .filter((e) => e.name.includes('/_dash-update-component')).map((e) => e.responseEnd);
const page = document.getElementById('page-content');
return {
  drawn: b7.drawn(), pending: b7.pending, visible: b7.visible, last_change: b7.lastChange,
  last_callback: ends.length ? Math.max(...ends) : null, resources: performance.getEntriesByType('resource').length,
  calls: b7.calls,
  panels: page ? page.querySelectorAll('section.panel').length : 0,
  graphs: page ? page.querySelectorAll('.dash-graph').length : 0,
};
"""

QUIET_S = 1.5  # nothing new for this long, everything drawn: the page has settled


@dataclass
class PageVisit:
    """One page as Chromium showed it (times from the navigation's start)."""

    path: str
    cold: bool
    panels_s: float
    last_callback_s: float
    callbacks: int
    unchanged: list[str] = field(default_factory=list)  # outputs of callbacks that changed nothing
    panels: int = 0
    graphs: int = 0
    cpu_task_s: float = 0.0
    cpu_script_s: float = 0.0
    settled: bool = True
    last_change: str = ""  # the element of the last visible change (id or class)
    first_callback_s: float = 0.0  # when the first callback was sent (the scripts' boot)
    slowest: list[str] = field(default_factory=list)  # the three slowest callbacks, seconds


def chromium():
    """Headless Debian Chromium through chromedriver, the probe installed, cache on."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--window-size=1920,1080",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(
        options=options, service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver")
    )
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": PROBE})
    driver.execute_cdp_cmd("Performance.enable", {"timeDomain": "threadTicks"})
    driver.execute_cdp_cmd("Network.enable", {})
    return driver


def available() -> str | None:
    """Why B7 cannot run here (no chromium, chromedriver or selenium), or None."""
    if not (shutil.which("chromium") or shutil.which("chromium-browser")):
        return "no chromium on PATH"
    if not shutil.which("chromedriver"):
        return "no chromedriver on PATH"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install 'dash[testing]')"
    return None


def sign_in(driver, base: str, username: str, password: str) -> None:
    """Sign in through the login form, as a person does."""
    driver.delete_all_cookies()
    driver.get(base + "/login")
    driver.find_element("css selector", "input[name=username]").send_keys(username)
    driver.find_element("css selector", "input[name=password]").send_keys(password)
    driver.find_element("css selector", "button[type=submit]").click()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if not driver.execute_script("return location.pathname.startsWith('/login')"):
            return
        time.sleep(0.1)
    raise RuntimeError(f"sign-in as {username} did not leave the login form")


def _cpu(driver) -> dict[str, float]:
    metrics = driver.execute_cdp_cmd("Performance.getMetrics", {})["metrics"]
    return {m["name"]: m["value"] for m in metrics}


def measure(
    driver,
    base: str,
    path: str,
    *,
    cold: bool,
    empty_server_cache: Callable[[], None] | None = None,
    timeout: float = 180,
) -> PageVisit:
    """Open `path` (cold: Chromium's cache emptied, and the server's by the callback) and
    wait until it settles: every panel drawn, no callback pending, nothing new for QUIET_S."""
    driver.get("about:blank")
    if cold:
        driver.execute_cdp_cmd("Network.clearBrowserCache", {})
        if empty_server_cache is not None:
            empty_server_cache()
    before = _cpu(driver)
    driver.get(base + path)
    deadline = time.monotonic() + timeout
    last_change = time.monotonic()
    mark = None
    settled = False
    while time.monotonic() < deadline:
        state = driver.execute_script(RESULT)
        now_mark = (state["visible"], state["last_callback"], state["resources"], state["pending"])
        if now_mark != mark:
            mark, last_change = now_mark, time.monotonic()
        elif state["drawn"] and not state["pending"] and time.monotonic() - last_change > QUIET_S:
            settled = True
            break
        time.sleep(0.1)
    after = _cpu(driver)

    calls = state["calls"]

    def used(name: str) -> float:
        # The counters are the renderer's; a new document may start a new renderer.
        spent = after.get(name, 0.0) - before.get(name, 0.0)
        return after.get(name, 0.0) if spent < 0 else spent

    return PageVisit(
        path=path,
        cold=cold,
        panels_s=round((state["visible"] or 0) / 1000, 3),
        last_callback_s=round((state["last_callback"] or 0) / 1000, 3),
        callbacks=len(state["calls"]),
        unchanged=[c["output"] for c in state["calls"] if c["unchanged"]],
        panels=state["panels"],
        graphs=state["graphs"],
        cpu_task_s=round(used("TaskDuration"), 3),
        cpu_script_s=round(used("ScriptDuration"), 3),
        settled=settled,
        last_change=(state["last_change"] or "")[:80],
        first_callback_s=round(min((c["start"] for c in calls), default=0) / 1000, 3),
        slowest=[
            f"{c['output'].strip('.')[:50]} {(c['end'] - c['start']) / 1000:.2f}"
            for c in sorted(calls, key=lambda c: c["start"] - c["end"])[:3]
        ],
    )
