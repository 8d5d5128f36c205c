"""Accessibility in a real browser: axe-core on every page, in both themes, finds nothing; and
the login page's stylesheet stays on the login page.

axe-core is vendored (vendor/axe-core, MPL-2.0), so the test runs offline. Without it the test
skips with the reason on a developer's machine and fails in CI (CI=true): an accessibility
check that silently does not run is worse than none.

One browser session per test; the app serves each request as the user `Acting` holds, so the
pages of every role are visited in sequence without signing in and out (the login form itself
is public and is audited as such).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from cockpit.factory import create_app
from cockpit.panels import paths_for
from cockpit.scope import Principal
from cockpit.security.roles import ROLES
from tests.apps import close_app
from tests.browser_support import GRAPH_DRAWN, SHOTS, emulate, free_port, skip_without_chromium

skip_without_chromium()
pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "vendor" / "axe-core" / "axe.min.js"
REPORTS = ROOT / "artifacts" / "axe"
THEMES = ("light", "dark")


def principal(role: str, user_id: str) -> Principal:
    """A user of this built-in role with its permissions (scope: the whole city, or none)."""
    spec = ROLES[role]
    counties = frozenset() if spec.scope == "none" else None
    return Principal(user_id, role, counties, spec.permissions, display_name=spec.title)


# Each role and the pages it can reach (cockpit/security/roles.py, via cockpit.panels.paths_for): city staff reach every data
# page and 数据质量 (and see the most controls: unmask, source detail); the system
# administrator and the auditor each see their own parts of 系统管理.
VISITS: tuple[tuple[Principal, tuple[str, ...]], ...] = tuple(
    (principal(role, f"a11y-{role}"), paths_for(role))
    for role in ("city_staff", "admin", "auditor")
)
LOGIN = "/login"

# A Dash page is drawn once its content is in, no callback is pending (Dash titles the page
# "Updating..." meanwhile) and every chart has its SVG (on a phone, every chart in sight:
# GRAPH_DRAWN).
DRAWN = f"""
const content = document.getElementById('page-content');
return Boolean(content && content.children.length
  && !document.title.startsWith('Updating')
  && !document.querySelector('._dash-loading, [data-dash-is-loading="true"]')
  && [...document.querySelectorAll('.dash-graph')].every((g) => {GRAPH_DRAWN}));
"""


def axe_source() -> str:
    """The vendored axe-core; a failure in CI, a skip with the reason elsewhere, if absent."""
    if AXE.exists():
        return AXE.read_text(encoding="utf-8")
    reason = f"axe-core not found at {AXE.relative_to(ROOT)} (see vendor/axe-core/README.md)"
    if os.environ.get("CI", "").lower() in ("true", "1"):
        pytest.fail(reason)
    pytest.skip(reason)


class Acting:
    """The user the app serves requests as; the test changes it between pages."""

    def __init__(self, who: Principal) -> None:
        self.who = who

    def __call__(self) -> Principal:
        return self.who


@pytest.fixture
def acting_app(settings):
    """The cockpit serving every request as `app.acting.who`."""
    acting = Acting(VISITS[0][0])
    app = create_app(settings, principal_provider=acting)
    app.acting = acting
    yield app
    close_app(app)


def open_page(driver, url: str, dash: bool = True, timeout: float = 60) -> None:
    """Load url and wait until it is fully drawn."""
    driver.get(url)
    deadline = time.monotonic() + timeout
    while dash and not driver.execute_script(DRAWN):
        if time.monotonic() > deadline:
            raise AssertionError(f"{url} was not drawn within {timeout:.0f} s")
        time.sleep(0.25)
    # A callback chain may start one more round after the first settles.
    time.sleep(0.8)
    while dash and not driver.execute_script(DRAWN):
        if time.monotonic() > deadline:
            raise AssertionError(f"{url} was not drawn within {timeout:.0f} s")
        time.sleep(0.25)


def set_theme(driver, base: str, theme: str) -> None:
    """The user's theme choice, as the header's button stores it (assets/head/screens.js)."""
    driver.get(base + "/robots.txt")  # a page of the site, to reach its storage
    driver.execute_script("window.localStorage.setItem('cockpit-theme', arguments[0])", theme)


def run_axe(driver, source: str) -> list[dict]:
    """axe-core's violations on the current page (all its default rules)."""
    driver.execute_script(source)
    driver.set_script_timeout(120)
    return driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then((r) => done(r.violations),"
        " (e) => done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}]));"
    )


def summary(violations: list[dict]) -> list[str]:
    """One line per violated rule: id, node count, the first node and axe's reason."""
    lines = []
    for v in violations:
        first = v["nodes"][0] if v["nodes"] else {}
        why = (first.get("failureSummary") or "").replace("\n", " ")[:200]
        lines.append(f"{v['id']} ({len(v['nodes'])}): {first.get('target')} {why}")
    return lines


def test_axe_finds_no_violation_on_any_page_in_either_theme(dash_duo, acting_app) -> None:
    """Every page each role can reach, and the login form, in light and dark: zero violations."""
    source = axe_source()
    emulate(dash_duo, 1920, 1080)
    dash_duo.start_server(acting_app, navigate=False, port=free_port())
    base = dash_duo.server.url.rstrip("/")
    driver = dash_duo.driver
    found: dict[str, list[dict]] = {}
    SHOTS.mkdir(parents=True, exist_ok=True)
    for theme in THEMES:
        set_theme(driver, base, theme)
        for who, paths in VISITS:
            acting_app.acting.who = who
            for path in paths:
                open_page(driver, base + path)
                assert driver.execute_script("return document.documentElement.dataset.theme") == (
                    theme
                ), f"{path} is not in the {theme} theme"
                found[f"{theme} {who.role} {path}"] = run_axe(driver, source)
                name = path.strip("/") or "overview"
                driver.save_screenshot(str(SHOTS / f"a11y-{theme}-{who.role}-{name}.png"))
        open_page(driver, base + LOGIN, dash=False)
        found[f"{theme} {LOGIN}"] = run_axe(driver, source)
    REPORTS.mkdir(parents=True, exist_ok=True)
    (REPORTS / "violations.json").write_text(json.dumps(found, ensure_ascii=False, indent=1))
    failing = {
        page: sum(len(v["nodes"]) for v in violations)
        for page, violations in found.items()
        if violations
    }
    detail = "\n".join(
        f"{page}: {line}" for page, violations in found.items() for line in summary(violations)
    )
    assert not failing, f"axe violations (nodes per page) {failing}\n{detail}"


def test_login_stylesheet_leaves_the_other_pages_alone(dash_duo, acting_app) -> None:
    """专报, 直联 and 系统管理: the header and the navigation span the window (the login page's
    centred body once shrank them to a column in the middle)."""
    emulate(dash_duo, 1920, 1080)
    dash_duo.start_server(acting_app, navigate=False, port=free_port())
    base = dash_duo.server.url.rstrip("/")
    driver = dash_duo.driver
    widths = {}
    for who, path in (
        (VISITS[0][0], "/briefing"),
        (VISITS[0][0], "/contacts"),
        (VISITS[1][0], "/admin"),
    ):
        acting_app.acting.who = who
        open_page(driver, base + path)
        widths[path] = driver.execute_script(
            "const w = (s) => Math.round(document.querySelector(s).getBoundingClientRect().width);"
            "return {window: window.innerWidth, header: w('.shell-header'), nav: w('.shell-nav'),"
            " body: getComputedStyle(document.body).display};"
        )
        SHOTS.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(SHOTS / f"header-width{path.replace('/', '-')}.png"))
    for path, w in widths.items():
        # The page's own padding (16 px a side) is all that may lie outside the header.
        assert w["header"] >= w["window"] - 48, (path, w)
        assert w["nav"] >= w["window"] - 48, (path, w)
