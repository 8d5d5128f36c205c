"""Benchmarks of the cockpit: they print figures and write JSON; they are not tests.

Each figure is a ratio against a baseline timed in the same run (absolute times drift on
shared machines); absolute numbers are printed beside it for the README.

    python -m bench.run --tickets 1000000            # B1, B2, B4, B5 on 1M demo tickets
    python -m bench.run --tickets 10000000 --only B1 # one benchmark

B1  the overview's aggregates for one period and county, cold cache, against one hand-written
    DuckDB GROUP BY month x county x category over the raw rows
B2  cached callback latency (p50/p95) through gunicorn at concurrency 8, against a route that
    returns a prebuilt dict; and requests per second
B4  bytes: the first page (gzip) and each overview callback response
B5  worker memory (RSS) after a tour of every page
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
END = dt.date(2026, 11, 20)


def say(text: str) -> None:
    """Progress on stderr, so stdout stays the table."""
    print(text, file=sys.stderr, flush=True)


def environ(db: Path, cache: Path) -> dict[str, str]:
    """Settings overrides pointing the default config at the benchmark's data."""
    return {
        "COCKPIT_SOURCES__DEMO__PATH": str(db),
        "COCKPIT_SOURCES__DEMO__END_DATE": END.isoformat(),
        "COCKPIT_CACHE__DIR": str(cache),
    }


def prepare(tickets: int, workdir: Path) -> Path:
    """Generate (once) a demo database with this many tickets; returns its path."""
    from cockpit.settings import load_settings
    from data_sources.demo import DemoSource

    db = workdir / f"demo-{tickets}.duckdb"
    env = environ(db, workdir / "cache") | {"COCKPIT_SOURCES__DEMO__TICKETS": str(tickets)}
    settings = load_settings(environ=env)
    source = DemoSource(
        "demo", settings.sources["demo"], city=settings.city, base_dir=settings.base_dir
    )
    started = time.monotonic()

    def progress(stage: str, fraction: float) -> None:
        say(f"  generating {tickets:,} tickets: {fraction:4.0%} {stage}")

    source.ensure_generated(progress=progress)
    say(f"  demo data ready in {time.monotonic() - started:.1f}s: {db}")
    return db


def b1(db: Path, workdir: Path, tickets: int) -> dict:
    """The overview's aggregates, cold, against one raw DuckDB GROUP BY."""
    import duckdb

    from cockpit.factory import create_app
    from cockpit.settings import load_settings
    from panels.overview.callbacks import build_overview, map_values

    raw = duckdb.connect(str(db), read_only=True)
    started = time.perf_counter()
    raw.execute(
        "SELECT strftime(received_at, '%Y-%m') m, county_code, category_l2, count(*) "
        "FROM hotline_tickets GROUP BY ALL"
    ).fetchall()
    baseline = time.perf_counter() - started
    raw.close()

    env = environ(db, workdir / f"cache-b1-{time.time_ns()}") | {
        "COCKPIT_SOURCES__DEMO__TICKETS": str(tickets),
        "COCKPIT_CACHE__TYPE": "null",
    }
    app = create_app(load_settings(environ=env))
    hub = app.server.extensions["cockpit_hub"]
    with app.server.test_request_context("/"):
        started = time.perf_counter()
        build_overview(hub, "2026-10", "140403", END)
        map_values(hub, "hotline", "2026-10")
        view = time.perf_counter() - started
    return {
        "raw_group_by_s": round(baseline, 3),
        "overview_cold_s": round(view, 3),
        "ratio": round(view / baseline, 2),
    }


def free_port() -> int:
    """A free loopback port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(
    db: Path, workdir: Path, tickets: int, workers: int = 2
) -> tuple[subprocess.Popen, str]:
    """The cockpit under gunicorn on loopback, with a bench-only prebuilt-dict route."""
    port = free_port()
    env = (
        os.environ
        | environ(db, workdir / f"cache-gu-{time.time_ns()}")
        | {"COCKPIT_SOURCES__DEMO__TICKETS": str(tickets)}
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            str(workers),
            "--threads",
            "4",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "bench.bench_app:server",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/bench/prebuilt", timeout=2).ok:
                return proc, url
        except requests.RequestException:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("gunicorn did not start: " + (proc.stderr.read() or b"").decode()[-2000:])


def overview_body(period: str = "2026-10", county: str = "city") -> dict:
    """The POST body of the overview's headline callback, as the browser sends it."""
    return {
        "output": "..overview-cards-left.children...overview-cards-right.children...overview-attention.children..",
        "outputs": [
            {"id": "overview-cards-left", "property": "children"},
            {"id": "overview-cards-right", "property": "children"},
            {"id": "overview-attention", "property": "children"},
        ],
        "inputs": [
            {"id": "filter-period", "property": "value", "value": period},
            {"id": "filter-county", "property": "value", "value": county},
        ],
        "changedPropIds": ["filter-period.value"],
        "state": [],
    }


def timed(session: requests.Session, method: str, url: str, **kw) -> float:  # noqa: ANN003
    started = time.perf_counter()
    response = session.request(method, url, timeout=60, **kw)
    response.raise_for_status()
    return time.perf_counter() - started


def load(url: str, method: str, n: int, concurrency: int, **kw) -> dict:  # noqa: ANN003
    """n requests at a concurrency; p50, p95 and requests per second."""
    sessions = [requests.Session() for _ in range(concurrency)]
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        times = list(
            pool.map(lambda i: timed(sessions[i % concurrency], method, url, **kw), range(n))
        )
    wall = time.perf_counter() - started
    times.sort()
    return {
        "p50_ms": round(statistics.median(times) * 1000, 2),
        "p95_ms": round(times[int(len(times) * 0.95) - 1] * 1000, 2),
        "rps": round(n / wall, 1),
    }


def b2(url: str, n: int = 800) -> dict:
    """Cached callback latency against a prebuilt dict, at concurrency 8."""
    body = overview_body()
    requests.post(
        url + "/_dash-update-component", json=body, timeout=120
    ).raise_for_status()  # warm
    base = load(url + "/bench/prebuilt", "GET", n, 8)
    cached = load(url + "/_dash-update-component", "POST", n, 8, json=body)
    return {
        "prebuilt": base,
        "cached_callback": cached,
        "p95_ratio": round(cached["p95_ms"] / base["p95_ms"], 2),
    }


def b4(url: str) -> dict:
    """Compressed bytes of the first page and of the overview's callback responses."""
    session = requests.Session()
    html = session.get(url + "/", timeout=60).text
    import re

    assets = re.findall(r'(?:src|href)="(/[^"]+)"', html)
    total = len(gzip.compress(html.encode()))
    for asset in assets:
        body = session.get(url + asset, timeout=60).content
        total += len(gzip.compress(body))
    layout = session.get(url + "/_dash-layout", timeout=60).content
    deps = session.get(url + "/_dash-dependencies", timeout=60).content
    total += len(gzip.compress(layout)) + len(gzip.compress(deps))
    cards = session.post(url + "/_dash-update-component", json=overview_body(), timeout=60).content
    return {
        "first_page_gzip_kb": round(total / 1024, 1),
        "assets": len(assets),
        "overview_cards_response_gzip_kb": round(len(gzip.compress(cards)) / 1024, 2),
    }


def b5(proc: subprocess.Popen) -> dict:
    """Resident memory of each gunicorn worker (after B2 and B4 toured the overview)."""
    children = subprocess.run(
        ["pgrep", "-P", str(proc.pid)], capture_output=True, text=True
    ).stdout.split()
    rss = []
    for pid in children:
        status = Path(f"/proc/{pid}/status").read_text()
        kb = int(next(line for line in status.splitlines() if line.startswith("VmRSS")).split()[1])
        rss.append(round(kb / 1024, 1))
    return {"worker_rss_mb": rss}


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks, print a table, write bench/results.json."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.run", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--tickets", type=int, default=1_000_000, help="demo tickets (default 1000000)"
    )
    parser.add_argument(
        "--only", action="append", choices=["B1", "B2", "B4", "B5"], help="run only these"
    )
    parser.add_argument(
        "--workdir", default=str(ROOT / "instance" / "bench"), help="data and caches"
    )
    parser.add_argument("--out", default=str(ROOT / "bench" / "results.json"))
    args = parser.parse_args(argv)
    wanted = set(args.only or ["B1", "B2", "B4", "B5"])
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    say(f"preparing {args.tickets:,} tickets")
    db = prepare(args.tickets, workdir)
    results: dict = {
        "tickets": args.tickets,
        "machine_cores": os.cpu_count(),
        "run_at": dt.datetime.now().isoformat(timespec="seconds"),
    }
    if "B1" in wanted:
        say("B1: overview aggregates vs raw GROUP BY")
        results["B1"] = b1(db, workdir, args.tickets)
    if wanted & {"B2", "B4", "B5"}:
        say("starting gunicorn (2 workers)")
        proc, url = start_gunicorn(db, workdir, args.tickets)
        try:
            if "B2" in wanted:
                say("B2: cached callback vs prebuilt dict, concurrency 8")
                results["B2"] = b2(url)
            if "B4" in wanted:
                say("B4: bytes")
                results["B4"] = b4(url)
            if "B5" in wanted:
                results["B5"] = b5(proc)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
    Path(args.out).write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"{'benchmark':<40} {'figure':>30}")
    for key in ("B1", "B2", "B4", "B5"):
        if key in results:
            for name, value in _flatten(results[key]):
                print(f"{key + ' ' + name:<40} {value!s:>30}")
    say(f"written {args.out}")
    return 0


def _flatten(data: dict, prefix: str = "") -> list[tuple[str, object]]:
    out = []
    for key, value in data.items():
        if isinstance(value, dict):
            out += _flatten(value, f"{prefix}{key}.")
        else:
            out.append((prefix + key, value))
    return out


if __name__ == "__main__":
    sys.exit(main())
