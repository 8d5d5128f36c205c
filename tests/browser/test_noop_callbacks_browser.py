"""No callback fires that changes nothing (#22 item 2): each of B7's pages, opened signed in
through the form, sends no /_dash-update-component request whose answer is a 204 or whose
every output equals what the page already shows (bench/page.py's probe compares them)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.browser_support import skip_without_chromium
from tests.conftest import DEMO_TICKETS

pytestmark = pytest.mark.browser
skip_without_chromium()


def test_no_callback_changes_nothing_on_the_four_pages(demo_db: Path, tmp_path: Path) -> None:
    from bench import page
    from bench.run import B7_PAGES, BENCH_PASSWORD, BENCH_USER, empty_cache, start_gunicorn, stop

    db = tmp_path / "demo.duckdb"
    shutil.copyfile(demo_db, db)  # the server's processes open a file of their own
    cache = tmp_path / "cache"
    proc, url = start_gunicorn(
        db, tmp_path, DEMO_TICKETS, login=True, COCKPIT_CACHE__DIR=str(cache)
    )
    driver = page.chromium()
    wasted: dict[str, list[str]] = {}
    try:
        page.sign_in(driver, url, BENCH_USER, BENCH_PASSWORD)
        for path in B7_PAGES:
            visit = page.measure(
                driver, url, path, cold=True, empty_server_cache=lambda: empty_cache(cache)
            )
            assert visit.settled, path
            assert visit.callbacks > 0, path
            if visit.unchanged:
                wasted[path] = visit.unchanged
    finally:
        driver.quit()
        stop(proc)
    assert wasted == {}
