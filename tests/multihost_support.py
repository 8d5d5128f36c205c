"""What the multi-host test needs besides the cluster itself (bench/multihost.py).

- a platform table in PostgreSQL (risk.warnings, copied from the demo data) that counts the
  queries run on it: how the test sees how often the source was really asked, by any host;
- signing in through the login form and sending a session's cookies to any host;
- Dash callback bodies built from the app's own /_dash-dependencies, as the renderer does.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import time
from collections.abc import Iterator
from typing import Any

import requests
import sqlalchemy as sa

from bench.multihost import Cluster

PLATFORM_TABLE = "risk_warnings"  # risk.warnings is served from PostgreSQL, as a platform's


def platform_env() -> dict[str, str]:
    """Settings that serve risk.warnings from the run's PostgreSQL database (a `sql` source)."""
    return {
        "COCKPIT_SOURCES__PLATFORM__KIND": "sql",
        "COCKPIT_SOURCES__PLATFORM__URL_ENV": "COCKPIT_PLATFORM_URL",
        "COCKPIT_DATASETS__RISK.WARNINGS__SOURCE": "platform",
        "COCKPIT_DATASETS__RISK.WARNINGS__TABLE": PLATFORM_TABLE,
    }


def load_platform(cluster: Cluster) -> None:
    """Copy the demo's risk warnings into the run's database, behind a view that counts its
    reads; point the hosts at it.

    The view reads the rows through a function that first takes a number from a sequence, so
    each query the source runs on it counts one, at once and whoever ran it (sequences are not
    transactional; the engine's own scan statistics reach pg_stat_user_tables only when a
    backend gets round to reporting them, seconds later)."""
    import duckdb

    with duckdb.connect(str(cluster.demo), read_only=True) as con:
        frame = con.execute(f"SELECT * FROM {PLATFORM_TABLE}").df()
    engine = sa.create_engine(cluster.store_url())
    frame.to_sql(f"{PLATFORM_TABLE}_rows", engine, index=False)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE SEQUENCE platform_reads")
        conn.exec_driver_sql(
            f"CREATE FUNCTION counted_{PLATFORM_TABLE}() RETURNS SETOF {PLATFORM_TABLE}_rows "
            "LANGUAGE plpgsql VOLATILE AS $$ BEGIN PERFORM nextval('platform_reads'); "
            f"RETURN QUERY SELECT * FROM {PLATFORM_TABLE}_rows; END $$"
        )
        conn.exec_driver_sql(
            f"CREATE VIEW {PLATFORM_TABLE} AS SELECT * FROM counted_{PLATFORM_TABLE}()"
        )
    engine.dispose()
    cluster.env["COCKPIT_PLATFORM_URL"] = cluster.store_url(host_side=True)


def platform_reads(cluster: Cluster) -> int:
    """How many queries the source has run on the platform table so far (all hosts)."""
    engine = sa.create_engine(cluster.store_url())
    try:
        with engine.connect() as conn:
            value, called = conn.exec_driver_sql(
                "SELECT last_value, is_called FROM platform_reads"
            ).one()
    finally:
        engine.dispose()
    return int(value) if called else 0


def sign_in(url: str, username: str, password: str) -> dict[str, str] | None:
    """The cookies of a session from the login form at `url`; None when it was refused."""
    session = requests.Session()
    response = session.post(
        url + "/login",
        data={"username": username, "password": password, "next": "/"},
        headers={"Origin": url},
        timeout=30,
        allow_redirects=False,
    )
    cookies = {c.name: c.value for c in session.cookies}  # Secure cookies, sent here by hand
    if response.status_code != 302 or "cockpit_session" not in cookies:
        return None
    return cookies


def status(url: str, cookies: dict[str, str], path: str = "/_dash-layout") -> int:
    """The status of a GET with these cookies (200 signed in, 401 not)."""
    return requests.get(url + path, cookies=cookies, timeout=30, allow_redirects=False).status_code


def post_form(url: str, path: str, cookies: dict[str, str], data: dict | None = None) -> Any:
    """A form POST from the site's own page."""
    return requests.post(
        url + path,
        data=data or {},
        cookies=cookies,
        headers={"Origin": url},
        timeout=30,
        allow_redirects=False,
    )


def dependencies(url: str, cookies: dict[str, str]) -> list[dict]:
    """The app's callbacks as the renderer loads them."""
    response = requests.get(url + "/_dash-dependencies", cookies=cookies, timeout=30)
    response.raise_for_status()
    return response.json()


def callback_body(deps: list[dict], output: str, values: dict[str, Any]) -> dict[str, Any]:
    """The body of the one callback whose outputs include `output` ('id.prop', not a
    duplicate); values by 'id.prop' (None when absent)."""
    found = [
        d for d in deps if output in d["output"].strip(".").split("...") or d["output"] == output
    ]
    assert len(found) == 1, [d["output"] for d in found]
    dep = found[0]
    parts = dep["output"].strip(".").split("...")
    outputs = [
        {"id": p.split("@")[0].rsplit(".", 1)[0], "property": p.split("@")[0].rsplit(".", 1)[1]}
        for p in parts
    ]

    def with_value(item: dict[str, Any]) -> dict[str, Any]:
        return {**item, "value": values.get(f"{item['id']}.{item['property']}")}

    return {
        "output": dep["output"],
        "outputs": outputs if len(outputs) > 1 else outputs[0],
        "inputs": [with_value(i) for i in dep["inputs"]],
        "state": [with_value(s) for s in dep["state"]],
        "changedPropIds": [],
    }


def call(url: str, cookies: dict[str, str], body: dict[str, Any]) -> requests.Response:
    """POST a callback to `url` (a host or nginx) from its own origin."""
    return requests.post(
        url + "/_dash-update-component",
        json=body,
        cookies=cookies,
        headers={"Origin": url},
        timeout=60,
    )


def upstreams(lines: list[str]) -> list[tuple[int, str, str, list[str]]]:
    """(status, method, uri, the hosts' addresses nginx tried in turn) of access-log lines in
    the cluster's format ('$status $request_method $uri upstream=$upstream_addr:...')."""
    found = []
    for line in lines:
        head, _, tail = line.partition(" upstream=")
        fields = head.split(" ", 2)
        if not tail or len(fields) != 3 or not fields[0].isdigit():
            continue
        found.append(
            (int(fields[0]), fields[1], fields[2], re.findall(r"(\d+\.\d+\.\d+\.\d+):\d+", tail))
        )
    return found


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """One headless Debian Chromium, its console kept; quit after."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options

    options = Options()
    options.binary_location = shutil.which("chromium") or shutil.which("chromium-browser")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    options.add_argument("--window-size=1920,1080")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options)
    try:
        yield driver
    finally:
        driver.quit()


def has_chromium() -> bool:
    """Debian's Chromium and its driver are installed."""
    return bool(shutil.which("chromium") or shutil.which("chromium-browser")) and bool(
        shutil.which("chromedriver")
    )


def wait_js(driver: Any, script: str, timeout: float, what: str) -> Any:
    """Poll a JavaScript expression until it is truthy; its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = driver.execute_script("return " + script)
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.25)
