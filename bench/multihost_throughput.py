"""The web tier's throughput with 1, 2 and 3 hosts behind nginx, in one run (#25 item 3).

    sudo python -m bench.multihost --throughput            # 3 hosts, fronts of 1, 2 and 3

One cluster of bench/multihost.py (3 hosts in namespaces, shared PostgreSQL and Redis), and
one nginx per host count before the first 1, 2 and 3 hosts (the same proxy rules), measured
in turns so all three see the same moments of a shared machine. What is measured is the
**page view** a signed-in user makes when opening the overview: the HTML, the layout and the
page's two callbacks (the cards and the map, as the renderer sends them), one after the other,
all answered 200. Users are closed-loop threads, each a session of its own, with no think
time: at a given number of users the page views per second and the p95 of a page view's time
are read over a window. Each count of hosts is taken up the ladder of users until its p95
passes 1 s; its throughput is the most page views per second at a p95 of 1 s or less.

The cache (Redis) is warm: the benchmark measures the web tier (sessions, Dash, JSON, nginx),
not the data source. Everything runs on this one machine, the load generator too: the hosts
share its cores, so scale-out here is bounded by the cores, not by the hosts.
"""

from __future__ import annotations

import json
import os
import statistics
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import requests

from bench.multihost import Cluster, make_account, say

P95_LIMIT = 1.0  # seconds: the "pages per second at p95 <= 1 s"


@dataclass
class Level:
    """One window at one number of users through one front."""

    hosts: int
    users: int
    pages: int
    seconds: float
    p95: float
    median: float
    failed: int

    @property
    def rate(self) -> float:
        """Page views per second over the window."""
        return self.pages / self.seconds if self.seconds else 0.0


def _walk(node: Any) -> Iterator[dict]:
    """Every component of a Dash layout (JSON), depth first."""
    if isinstance(node, dict):
        if "props" in node:
            yield node
            yield from _walk(node["props"].get("children"))
        else:
            for value in node.values():
                yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def _values(layout: dict) -> dict[str, Any]:
    """'id.prop' -> value of every component with an id in the layout."""
    found: dict[str, Any] = {}
    for component in _walk(layout):
        props = component["props"]
        ident = props.get("id")
        if isinstance(ident, str):
            for key, value in props.items():
                found[f"{ident}.{key}"] = value
    return found


def _body(deps: list[dict], first_output: str, values: dict[str, Any]) -> dict[str, Any]:
    """The callback body whose outputs start with `first_output`, filled from `values`."""
    dep = next(d for d in deps if d["output"].strip(".").split("...")[0].startswith(first_output))
    parts = dep["output"].strip(".").split("...")
    outputs = [
        {"id": p.split("@")[0].rsplit(".", 1)[0], "property": p.split("@")[0].rsplit(".", 1)[1]}
        for p in parts
    ]

    def filled(item: dict) -> dict:
        return {**item, "value": values.get(f"{item['id']}.{item['property']}")}

    return {
        "output": dep["output"],
        "outputs": outputs if len(outputs) > 1 else outputs[0],
        "inputs": [filled(i) for i in dep["inputs"]],
        "state": [filled(s) for s in dep["state"]],
        "changedPropIds": [],
    }


def _sign_in(url: str, username: str, password: str) -> dict[str, str]:
    session = requests.Session()
    answer = session.post(
        url + "/login",
        data={"username": username, "password": password, "next": "/"},
        headers={"Origin": url},
        timeout=60,
        allow_redirects=False,
    )
    cookies = {c.name: c.value for c in session.cookies}
    if answer.status_code != 302 or "cockpit_session" not in cookies:
        raise RuntimeError(f"sign-in refused: {answer.status_code}")
    return cookies


class PageView:
    """The overview as a signed-in user opens it: HTML, layout, cards and map callbacks."""

    def __init__(self, url: str, cookies: dict[str, str]) -> None:
        self.cookies = cookies
        layout = requests.get(url + "/_dash-layout", cookies=cookies, timeout=60).json()
        deps = requests.get(url + "/_dash-dependencies", cookies=cookies, timeout=60).json()
        values = _values(layout) | {"url.pathname": "/"}
        self.bodies = [
            json.dumps(_body(deps, "overview-cards-left.children", values)),
            json.dumps(_body(deps, "overview-map-values.data", values)),
        ]

    def run(self, session: requests.Session, url: str) -> bool:
        """One page view; True when every request answered 200."""
        ok = session.get(url + "/", timeout=30).status_code == 200
        ok &= session.get(url + "/_dash-layout", timeout=30).status_code == 200
        for body in self.bodies:
            answer = session.post(
                url + "/_dash-update-component",
                data=body,
                headers={"Origin": url, "Content-Type": "application/json"},
                timeout=30,
            )
            ok &= answer.status_code == 200
        return ok


def measure(url: str, page: PageView, sessions: list[dict[str, str]], seconds: float) -> Level:
    """`len(sessions)` users viewing pages back to back for `seconds` (after a 2 s ramp)."""
    stop = threading.Event()
    lock = threading.Lock()
    times: list[float] = []
    failed = [0]
    window = [0.0, 0.0]

    def user(cookies: dict[str, str]) -> None:
        session = requests.Session()
        session.cookies.update(cookies)
        while not stop.is_set():
            began = time.monotonic()
            try:
                ok = page.run(session, url)
            except requests.RequestException:
                ok = False
            ended = time.monotonic()
            if window[0] <= began and ended <= window[1]:
                with lock:
                    times.append(ended - began)
                    failed[0] += 0 if ok else 1

    now = time.monotonic()
    window[:] = [now + 2, now + 2 + seconds]
    with ThreadPoolExecutor(len(sessions)) as pool:
        for cookies in sessions:
            pool.submit(user, cookies)
        time.sleep(max(0.0, window[1] - time.monotonic()))
        stop.set()
    times.sort()
    p95 = times[int(0.95 * (len(times) - 1))] if times else float("inf")
    return Level(
        hosts=0,
        users=len(sessions),
        pages=len(times),
        seconds=seconds,
        p95=p95,
        median=statistics.median(times) if times else float("inf"),
        failed=failed[0],
    )


def run(
    cluster: Cluster, seconds: float, ladder: list[int], password: str, turns: int = 1
) -> list[dict[int, list[Level]]]:
    """Fronts of 1, 2 and 3 hosts; each taken up the ladder of users, the three taking
    turns at each step; the whole ladder `turns` times. Per turn: host count -> its steps."""
    from cockpit.security import accounts, sessions
    from cockpit.settings import load_settings
    from cockpit.store.store import Store

    make_account(cluster, "bench-web", password)
    cookies = _sign_in(cluster.url, "bench-web", password)
    counts = list(range(1, len(cluster.members) + 1))
    fronts = {n: cluster.front(cluster.members[:n], f"front-{n}")[1] for n in counts}
    urls = {n: f"http://127.0.0.1:{port}" for n, port in fronts.items()}
    page = PageView(cluster.url, cookies)
    # One session per user, started as the login form does once the password is checked.
    env = cluster.env | {"COCKPIT_STORE_URL": cluster.store_url()}
    store = Store.from_settings(load_settings(environ=env), environ=env)
    try:
        user = accounts.get_user(store, "bench-web")
        assert user is not None
        users = [
            cookies | {"cockpit_session": sessions.start(store, user.id, "127.0.0.1", "bench")}
            for _ in range(max(ladder))
        ]
    finally:
        store.dispose()
    for n in counts:  # warm every host's connections and the shared cache
        with requests.Session() as session:
            session.cookies.update(cookies)
            for _ in range(3 * n):
                page.run(session, urls[n])
    every: list[dict[int, list[Level]]] = []
    for turn in range(turns):
        results: dict[int, list[Level]] = {n: [] for n in counts}
        climbing = set(counts)
        for users_now in ladder:
            for n in counts:  # in turns: each host count sees the same moments of the machine
                if n not in climbing:
                    continue
                level = measure(urls[n], page, users[:users_now], seconds)
                level.hosts = n
                results[n].append(level)
                say(
                    f"turn {turn + 1}: {n} host(s), {users_now:>3} users: {level.rate:6.1f} "
                    f"pages/s, p95 {level.p95:.2f} s, median {level.median:.2f} s, "
                    f"failed {level.failed}"
                )
                if level.p95 > P95_LIMIT:
                    climbing.discard(n)
            if not climbing:
                break
        every.append(results)
    return every


def best(levels: list[Level]) -> Level | None:
    """The most page views per second at a p95 of 1 s or less, with no failure."""
    fine = [lv for lv in levels if lv.p95 <= P95_LIMIT and lv.failed == 0]
    return max(fine, key=lambda lv: lv.rate) if fine else None


def report(turns: list[dict[int, list[Level]]], workers: int) -> str:
    """The table for docs/deployment.md: per host count, its best level in each turn, the
    median of those, and the ratio of that median to one host's."""
    load = " / ".join(f"{v:.1f}" for v in os.getloadavg())
    lines = [
        f"{time.strftime('%Y-%m-%d %H:%M')} UTC, {os.cpu_count()} cores, load average "
        f"{load} at the end; {workers} gunicorn worker(s) per host; {len(turns)} turn(s)",
        "| hosts | pages/s at p95 <= 1 s (median of turns) | each turn: pages/s (users, p95) "
        "| vs 1 host |",
        "| --- | --- | --- | --- |",
    ]
    medians: dict[int, float] = {}
    cells: dict[int, list[str]] = {}
    for results in turns:
        for n, levels in sorted(results.items()):
            top = best(levels)
            cells.setdefault(n, []).append(
                f"{top.rate:.1f} ({top.users}, {top.p95:.2f} s)" if top else "none"
            )
    for n in sorted(cells):
        rates = [t.rate for r in turns if (t := best(r.get(n, [])))]
        medians[n] = statistics.median(rates) if rates else 0.0
    for n in sorted(cells):
        ratio = f"{medians[n] / medians[1]:.2f}x" if medians.get(1) else "-"
        lines.append(f"| {n} | {medians[n]:.1f} | {'; '.join(cells[n])} | {ratio} |")
    return "\n".join(lines)
