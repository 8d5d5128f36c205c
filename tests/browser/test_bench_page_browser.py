"""B7's page measurement works (not timed): the bench's own server with the real login, one
account signed in through the form, /hotline opened cold in headless Chromium."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.browser_support import skip_without_chromium
from tests.conftest import DEMO_TICKETS

pytestmark = pytest.mark.browser
skip_without_chromium()


def _panels_in(node) -> int:
    """Sections with the class "panel" in a Dash component tree."""
    from dash.development.base_component import Component

    if isinstance(node, (list, tuple)):
        return sum(_panels_in(n) for n in node)
    if not isinstance(node, Component):
        return 0
    own = int(node._type == "Section" and "panel" in (getattr(node, "className", "") or "").split())
    return own + _panels_in(getattr(node, "children", None))


def test_b7_measures_hotline_signed_in_through_the_form(demo_db: Path, tmp_path: Path) -> None:
    """measure() returns positive times, every panel of the 12345 page, its callbacks."""
    from bench import page
    from bench.run import BENCH_PASSWORD, BENCH_USER, empty_cache, start_gunicorn, stop
    from panels.hotline.layout import layout

    db = tmp_path / "demo.duckdb"
    shutil.copyfile(demo_db, db)  # the server's processes open a file of their own
    cache = tmp_path / "cache"
    proc, url = start_gunicorn(
        db, tmp_path, DEMO_TICKETS, login=True, COCKPIT_CACHE__DIR=str(cache)
    )
    driver = page.chromium()
    try:
        page.sign_in(driver, url, BENCH_USER, BENCH_PASSWORD)
        visit = page.measure(
            driver, url, "/hotline", cold=True, empty_server_cache=lambda: empty_cache(cache)
        )
    finally:
        driver.quit()
        stop(proc)
    assert visit.settled
    assert visit.panels == _panels_in(layout()) > 0
    assert visit.graphs > 0
    assert 0 < visit.last_callback_s < 120 and 0 < visit.panels_s < 120
    assert visit.callbacks > visit.panels  # the URL, the filters, then every panel
    assert visit.cpu_task_s > 0 and visit.cpu_script_s > 0
