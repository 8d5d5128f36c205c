"""Every screen of the wall's carousel, as the wall account sees it at 1920x1080 (#20).

The wall is read from metres away and nobody touches it: each screen must fit the canvas
(no scroll, not shrunk), every text at least 18 px and the headline figures at least 40 px,
nothing to click (no buttons, inputs, dropdowns, links, exports, tel:), no personal phone
numbers, the screen's title on it and a countdown to the next screen. The carousel runs
through the shipped screens (config/cockpit.yaml), faster; each is measured as it comes up.
Screenshots of each screen at 1920x1080 and 3840x2160 go to artifacts/screenshots/.
"""

# The browser fixture is imported and pytest passes it by name: F811 is expected.
# ruff: noqa: F811
from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from cockpit.panels import all_panels
from cockpit.settings import load_settings
from cockpit.wall import wall_config
from tests.browser.test_screens_browser import (  # noqa: F401  (browser: a fixture, passed by name)
    Server,
    browser,
    errors,
    shot,
    sign_in,
    size,
    wait,
)
from tests.browser_support import free_port, skip_without_chromium
from tests.conftest import demo_environ

pytestmark = pytest.mark.browser
skip_without_chromium()

LABEL_PX = 18  # the smallest text on a wall at 1080p
HEADLINE_PX = 40  # the headline figures
SECONDS = 15  # each screen's time on the wall in this test (time enough to measure it)
SETTLE = 1.5  # the previous screen has faded out, the charts have their final size
# The carousel as shipped: config/cockpit.yaml's screens, then the domains of config/domains/.
SHIPPED = [s["key"] for s in wall_config(load_settings(environ={}), all_panels())["screens"]]
TITLES = {p.key: p.title for p in all_panels()}

# Everything a person could click, type into or download from, and personal phone numbers.
CONTROLS = (
    "button, input, select, textarea, a[href], form, [role=button], [role=combobox], "
    "[role=listbox], [role=radiogroup], [role=checkbox], .dash-dropdown, .Select, "
    ".modebar, [download]"
)

# Measures the shown frame's page: run in the wall page, with the frame element.
MEASURE = """
const frame = arguments[0], scale = arguments[1], minPx = arguments[2], controls = arguments[3];
const doc = frame.contentDocument, win = doc.defaultView;
const W = win.innerWidth, H = win.innerHeight;
function shownEl(el) {
  for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
    const s = win.getComputedStyle(e);
    if (s.display === 'none' || s.visibility === 'hidden' || parseFloat(s.opacity) === 0) return false;
  }
  const r = el.getBoundingClientRect();
  return r.width > 0 && r.height > 0 && r.right > 0 && r.bottom > 0 && r.left < W && r.top < H;
}
const px = (el) => parseFloat(win.getComputedStyle(el).fontSize) * scale;
const small = [], sizes = [], under = [];
const BAR = 52;  // the bottom strip of the canvas is the carousel bar's (assets/wall.css)
const walker = doc.createTreeWalker(doc.body, NodeFilter.SHOW_TEXT);
for (let node = walker.nextNode(); node; node = walker.nextNode()) {
  const text = node.textContent.trim();
  const el = node.parentElement;
  if (!text || !el || el.closest('script, style, noscript') || !shownEl(el)) continue;
  const size = px(el);
  sizes.push(size);
  if (el.getBoundingClientRect().bottom > H - BAR + 1) under.push(text.slice(0, 20));
  if (size < minPx - 0.01) small.push(text.slice(0, 30) + ' @' + size.toFixed(1) + 'px');
}
const headlines = [...doc.querySelectorAll('.wall-headline')].filter(shownEl).map(px);
const found = [...doc.querySelectorAll(controls)].filter(shownEl)
  .map((e) => e.tagName.toLowerCase() + (e.className && e.className.baseVal === undefined
    ? '.' + String(e.className).split(' ')[0] : '') + ' ' + (e.textContent || '').trim().slice(0, 12));
const title = doc.querySelector('.wall-screen-title');
return {
  small: small, under: under, texts: sizes.length, headlines: headlines, controls: found,
  scroll: [doc.documentElement.scrollWidth, doc.documentElement.scrollHeight, W, H],
  shrunk: frame.style.transform || '',
  filled: doc.querySelector('.cockpit').getBoundingClientRect().width,
  title: title && shownEl(title) ? title.textContent.trim() : null,
  phones: (doc.body.innerText.match(/1[3-9]\\d{9}|1\\d{2}\\*{4}\\d{4}/g) || []),
  median: sizes.sort((a, b) => a - b)[Math.floor(sizes.length / 2)] || 0,
  smallest: sizes[0] || 0,
};
"""

# The countdown to the next screen, on the wall page (the frame), in canvas pixels.
COUNTDOWN = """
const tile = document.querySelector('.wall-tile');
const next = tile && tile.querySelector('.wall-next');
if (!next || !next.getClientRects().length) return null;
return [next.textContent.trim(), parseFloat(getComputedStyle(next).fontSize)];
"""

# A wall screen is drawn: the frame shown, nothing loading, every graph drawn.
SHOWN_DRAWN = """(() => {
  const shown = [...document.querySelectorAll('iframe.wall-page.shown')].pop();
  const doc = shown && shown.contentDocument;
  if (!doc || !doc.querySelector('.cockpit')) return false;
  if (doc.querySelector('._dash-loading, [data-dash-is-loading="true"]')) return false;
  const content = doc.getElementById('page-content');
  if (!content || !content.children.length) return false;
  const graphs = [...doc.querySelectorAll('.dash-graph')];
  return graphs.every((g) => g.querySelector('.main-svg')) ? shown.title : false;
})()"""


@pytest.fixture(scope="module")
def server(demo_db: Path, tmp_path_factory: pytest.TempPathFactory):
    """A cockpit server whose wall runs the shipped carousel, each screen SECONDS long."""
    folder = tmp_path_factory.mktemp("wall-server")
    db = folder / "demo.duckdb"
    shutil.copyfile(demo_db, db)  # a process of its own may not share the DuckDB file
    env = {k: v for k, v in os.environ.items() if not k.startswith("COCKPIT_")}
    env.update(demo_environ(db, folder / "cache"))
    screens = ", ".join(f"{{panel: {key}, seconds: {SECONDS}}}" for key in SHIPPED)
    env.update(COCKPIT_WALL__SCREENS=f"[{screens}]")
    server = Server(env, free_port())
    server.start()
    yield server
    if server.process.poll() is None:
        server.stop()


def current_frame(driver):
    """The frame on top of the first tile."""
    return driver.execute_script(
        "return [...document.querySelectorAll('iframe.wall-page.shown')].pop()"
    )


def test_every_wall_screen_is_composed_for_1080p(server: Server, browser) -> None:
    """Each screen of the shipped carousel, as the wall account at 1920x1080: fits without
    scrolling or shrinking, text >= 18 px, headline figures >= 40 px, nothing to click, no
    phone numbers, its title, and a countdown naming the next screen."""
    sign_in(browser, server, "wall")
    size(browser, 1920, 1080)
    browser.get(server.url + "/wall")
    errors(browser)
    problems: list[str] = []
    for index, key in enumerate(SHIPPED):
        title = TITLES[key]
        following = TITLES[SHIPPED[(index + 1) % len(SHIPPED)]]
        wait(browser, f"document.body.dataset.screens === '{key}'", 90, f"the {key} screen")
        assert wait(browser, SHOWN_DRAWN + f" === '{title}'", 60, f"{key} drawn")
        time.sleep(SETTLE)
        shot(browser, f"wall-{key}-1920x1080")
        found = browser.execute_script(MEASURE, current_frame(browser), 1, LABEL_PX, CONTROLS)
        countdown = browser.execute_script(COUNTDOWN)
        print(key, f"{found['texts']} texts, smallest {found['smallest']:.0f}px, median {found['median']:.0f}px,",
              f"headlines {found['headlines']}, countdown {countdown}")  # fmt: skip
        if found["small"]:
            problems.append(f"{key}: {len(found['small'])} of {found['texts']} texts below "
                            f"{LABEL_PX}px: {found['small'][:8]}")  # fmt: skip
        if not found["headlines"] or min(found["headlines"]) < HEADLINE_PX:
            problems.append(f"{key}: headline figures {found['headlines']} (>= {HEADLINE_PX}px)")
        if found["under"]:
            problems.append(f"{key}: text under the carousel bar: {found['under'][:5]}")
        if found["controls"]:
            problems.append(f"{key}: controls on the wall: {found['controls'][:8]}")
        width, height, canvas_w, canvas_h = found["scroll"]
        if width > canvas_w or height > canvas_h or found["shrunk"]:
            problems.append(f"{key}: {width}x{height} on {canvas_w}x{canvas_h} {found['shrunk']}")
        if found["filled"] < canvas_w - 1:
            problems.append(f"{key}: the page fills {found['filled']} of {canvas_w} px")
        if found["phones"]:
            problems.append(f"{key}: phone numbers on the wall: {found['phones'][:3]}")
        if found["title"] != title:
            problems.append(f"{key}: screen title {found['title']!r}, expected {title!r}")
        if not countdown or following not in countdown[0] or "秒" not in countdown[0]:
            problems.append(f"{key}: countdown {countdown!r}, expected one naming {following}")
        elif countdown[1] < LABEL_PX:
            problems.append(f"{key}: countdown at {countdown[1]}px")
    assert errors(browser) == []
    assert problems == [], "\n".join(problems)


def test_wall_screens_scale_whole_on_4k(server: Server, browser) -> None:
    """On 3840x2160 the same canvas is scaled 2x: every text twice its 1080p size."""
    size(browser, 3840, 2160)
    browser.get(server.url + "/wall")
    for key in SHIPPED:
        wait(browser, f"document.body.dataset.screens === '{key}'", 90, f"the {key} screen")
        wait(browser, SHOWN_DRAWN + f" === '{TITLES[key]}'", 60, f"{key} drawn")
        time.sleep(SETTLE)
        found = browser.execute_script(MEASURE, current_frame(browser), 2, 2 * LABEL_PX, CONTROLS)
        shot(browser, f"wall-{key}-3840x2160")
        assert found["small"] == [], f"{key} at 4K: {found['small'][:8]}"
    assert errors(browser) == []
