"""Benchmarks of the cockpit: they print figures and write JSON; they are not tests.

Each figure is a ratio against a baseline timed in the same run (absolute times drift on
shared machines); absolute numbers are printed beside it for the README.

    python -m bench.run --tickets 1000000            # every benchmark on 1M demo tickets
    python -m bench.run --tickets 10000000 --only B1 # one benchmark
    python -m bench.run --tickets 1000000 --smoke    # CI: short runs, prints, never fails

B1  the full 12345 view (its aggregates, and its sections with figures built) and the
    overview, cold cache, for one period and county, against one hand-written DuckDB
    GROUP BY month x county x category over the raw rows; on the embedded default, in sync
    mode (a PostgreSQL source read from the local store) and from a Parquet file drop
B2  cached callback latency (p50/p95) through gunicorn at concurrency 8, against a route that
    returns a prebuilt dict; and requests per second
B3  uncached callbacks (cache off) as a page sends them: /hotline signed in, each wave of its
    callbacks 6 at once at gunicorn's 2 workers; per-callback p95 against the same raw
    GROUP BY, and the whole-city KPI callback against a county's (taking turns)
B4  bytes on the wire (as compressed by the server): first page with plotly.js, every callback
    answer of every page, the map update
B5  worker memory over a long session: a tour of every page, signed in through the login form,
    repeated --tours times (default 20) on other periods and counties; each gunicorn
    worker's peak (VmHWM, and VmRSS sampled meanwhile) and its resident memory at the end
B6  load: users opening the cockpit within a minute on a cold cache, then users browsing;
    p95 page completion against one page opened alone, errors, and how many times each
    source query ran (single flight: once per key per cache expiry)
B2 signed in: B2 through the real gate, on a session made by the login form (bench_app's
    BENCH_LOGIN), the two sides taking turns
B7  the page as a person sees it: headless Chromium signed in through the login form, from
    navigation start to the last visible panel and to the last callback, cold and warm, for
    /, /hotline, /economy and /key-work, with the browser's CPU time and the callbacks that
    changed nothing, against the raw GROUP BY; and /hotline's callbacks replayed over HTTP.
    Included when Chromium is present (skipped with the reason otherwise); --smoke: /hotline
    cold and warm, once
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
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
    from bench.generate import prepare as generate

    db = (workdir / f"demo-{tickets}.duckdb").resolve()
    return generate(tickets, db, environ(db, workdir / "cache"))


RUNS = 5  # B1 times each side this many times, taking turns, and takes the medians


def raw_group_by(db: Path) -> float:
    """Seconds for the baseline: one hand-written GROUP BY month x county x category, the
    first time it runs on a connection opened (untimed) for it."""
    with RawBaseline(db) as baseline:
        return baseline.run()


class RawBaseline:
    """The baseline query in a process of its own (bench/raw_baseline.py), run on demand."""

    def __init__(self, db: Path) -> None:
        self.db = db
        self.proc: subprocess.Popen | None = None
        self.form = ""
        self.forms: dict[str, float] = {}

    def __enter__(self) -> RawBaseline:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.raw_baseline", str(self.db)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        ready = self._line().split()
        if not ready or ready[0] != "ready":
            raise SystemExit(f"the baseline could not open {self.db}")
        self.form = ready[1]  # the fastest way to write it, chosen by the baseline itself
        # each form's median at start-up: strftime (the former baseline) against the fastest
        self.forms = {k: float(v) for k, v in (item.split("=") for item in ready[2:])}
        return self

    def run(self) -> float:
        """Seconds of one run of the GROUP BY (the connection is already open)."""
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write("run\n")
        self.proc.stdin.flush()
        return float(self._line())

    def _line(self) -> str:
        assert self.proc is not None and self.proc.stdout is not None
        return self.proc.stdout.readline().strip()

    def __exit__(self, *exc: object) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def hotline_view(hub, period: str, county: str | None) -> None:
    """Every aggregate the 12345 page shows for a period and county (its lists excepted)."""
    from panels.hotline import callbacks as h

    h.kpi_section(hub, period, county)
    h.volume_section(hub, period, county, "day")
    h.pattern_section(hub, period, county)
    h.category_section(hub, period, county)
    h.map_section(hub, period, county, "received")
    h.unit_section(hub, period, county)
    h.sla_section(hub, period, county)


def questions_of(hub, work: Callable[[], object]) -> list[tuple[str, object, dict]]:
    """Every question `work` asks the data hub, in order: (dataset, query, options)."""
    asked: list[tuple[str, object, dict]] = []
    real = hub.query

    def recording(dataset: str, query: object = None, **options: object) -> object:
        asked.append((dataset, query, options))
        return real(dataset, query, **options)

    hub.query = recording  # the hub's own nested questions (as-of) are recorded too
    try:
        work()
    finally:
        del hub.query
    return asked


def b1(db: Path, workdir: Path, tickets: int, mode: str = "embedded") -> dict:
    """The full 12345 view and the overview, cold cache, against one raw DuckDB GROUP BY.

    The goal's figure is the view's aggregates: every question the 12345 page's sections
    ask the data hub for one period and county (recorded from the sections themselves, so
    nothing is left out), asked again through the hub (scope, cache, rollups, frames) with
    its cache emptied. The sections' whole time, figures and tables built, is reported too.

    Both sides are timed the same way: on a connection opened before the clock starts (the
    baseline's in its own process; the cockpit's source opened by a health check, as a
    running server has it), RUNS times each, taking turns (baseline, 12345 view, overview,
    baseline, ...) so that both see the same moments of a shared machine; medians reported.
    "Cold" is the cockpit's cache emptied before every run, not switched off (a query two
    panels share is asked once, as in service).

    mode "sync": hotline.tickets is a sync-mode dataset of a PostgreSQL source, so the
    panels read the local store (cockpit.sync.LocalStore) and its rollups, never the
    source; the store holds the same tickets (see sync_store).
    mode "files": hotline.tickets read directly from a Parquet file drop (no rollups: every
    aggregate is a scan of the file; what sync mode is for)."""
    from cockpit.factory import create_app
    from cockpit.scope import CITY_LEADER
    from panels.overview.callbacks import build_overview, map_values

    settings = bench_settings(db, workdir, tickets)
    filled = None
    if mode == "sync":
        settings = sync_mode(settings, sync_store(db, workdir, settings))
        filled = "copied from the demo file"
    elif mode == "pg-sync":
        store, seconds = pg_synced_store(db, workdir, settings)
        settings = sync_mode(settings, store)
        filled = f"synced from PostgreSQL by cockpit.sync in {seconds:.0f} s"
        mode = "sync"
    elif mode == "files":
        settings = files_mode(settings, file_drop(db, workdir))
    app = create_app(settings, principal_provider=lambda: CITY_LEADER)
    hub = app.server.extensions["cockpit_hub"]
    for source in hub.sources.values():
        source.health()  # opens the connection (and checks the rollups), untimed
    if mode == "sync":
        hub.local_store.reader()  # the store's kept reader, opened untimed
    raw: list[float] = []
    aggregates: list[float] = []
    hotline: list[float] = []
    overview: list[float] = []
    failed = 0

    def request():
        """A request context of its own: as in service, each timed unit gets the one
        deadline (server.callback_timeout) a web request has. One context for the whole
        bench let its deadline run out at 10M, and every question after it failed at once
        (the Parquet drop's B1 recorded 21 questions, not 34, and timed failures)."""
        return app.server.test_request_context("/")

    with request():
        # A file drop checks each version of its file once, row by row, on first read
        # (minutes at 10M): done here, untimed, as a server has done it before anyone looks.
        hotline_view(hub, "2026-10", "140403")
    hub.cache.cache.clear()
    with RawBaseline(db) as baseline:
        with request():
            asked = questions_of(hub, lambda: hotline_view(hub, "2026-10", "140403"))
        for _ in range(RUNS):
            raw.append(baseline.run())
            hub.cache.cache.clear()
            with request():
                started = time.perf_counter()
                answers = [
                    hub.query(dataset, query, **options) for dataset, query, options in asked
                ]
                aggregates.append(time.perf_counter() - started)
            failed += sum(1 for answer in answers if not answer.ok)
            hub.cache.cache.clear()
            with request():
                started = time.perf_counter()
                hotline_view(hub, "2026-10", "140403")
                hotline.append(time.perf_counter() - started)
            hub.cache.cache.clear()
            with request():
                started = time.perf_counter()
                build_overview(hub, "2026-10", "140403", END)
                map_values(hub, "hotline", "2026-10")
                overview.append(time.perf_counter() - started)
        form, forms = baseline.form, baseline.forms
    if failed:
        say(f"  B1 {mode}: {failed} of {RUNS * len(asked)} timed questions failed")
    raw_s, agg_s, hotline_s, overview_s = (
        statistics.median(t) for t in (raw, aggregates, hotline, overview)
    )
    return {
        **({"store": filled} if filled else {}),
        "runs": RUNS,
        "raw_group_by_s": round(raw_s, 3),
        "raw_group_by_form": form,  # the fastest of the forms bench/raw_baseline.py tries
        "raw_group_by_forms_s": {
            k: round(v, 3) for k, v in sorted(forms.items(), key=lambda kv: kv[1])
        },
        "hotline_aggregates_cold_s": round(agg_s, 3),
        "hotline_aggregates_ratio": round(agg_s / raw_s, 2),
        "aggregates_ratio_per_turn": [
            round(a / r, 2) for a, r in zip(aggregates, raw, strict=True)
        ],
        "hotline_queries": len(asked),
        "failed_questions": failed,  # over the timed runs: 0, or the figure is not a view's
        "hotline_view_cold_s": round(hotline_s, 3),
        "hotline_ratio": round(hotline_s / raw_s, 2),
        "overview_cold_s": round(overview_s, 3),
        "overview_ratio": round(overview_s / raw_s, 2),
    }


def bench_settings(db: Path, workdir: Path, tickets: int):
    """The default settings pointed at the benchmark's data, with a key of this run's own
    (the bench builds a production app) and an empty cache folder."""
    from cockpit.settings import load_settings

    env = environ(db, workdir / f"cache-b1-{time.time_ns()}") | {
        "COCKPIT_SOURCES__DEMO__TICKETS": str(tickets),
        "COCKPIT_SECRET_KEY": os.environ.get("COCKPIT_SECRET_KEY") or secrets.token_hex(32),
    }
    return load_settings(environ=env)


def sync_mode(settings, store: Path):
    """hotline.tickets in sync mode from a PostgreSQL front-end database, read from `store`."""
    from cockpit.settings import DatasetBinding
    from data_sources.sql import SqlConfig

    url = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    return settings.model_copy(
        update={
            "sources": {**settings.sources, "frontdb": SqlConfig(kind="sql", url=url)},
            "datasets": {
                **settings.datasets,
                "hotline.tickets": DatasetBinding(source="frontdb", table="t_tickets", mode="sync"),
            },
            "sync": settings.sync.model_copy(update={"path": str(store)}),
        }
    )


def files_mode(settings, folder: Path):
    """hotline.tickets read directly from the Parquet files in `folder`."""
    from cockpit.settings import DatasetBinding
    from data_sources.files import FileConfig

    return settings.model_copy(
        update={
            "sources": {**settings.sources, "drop": FileConfig(kind="file", folder=str(folder))},
            "datasets": {
                **settings.datasets,
                "hotline.tickets": DatasetBinding(source="drop", table="hotline_tickets_"),
            },
        }
    )


def file_drop(db: Path, workdir: Path) -> Path:
    """A drop folder holding the demo file's tickets as one night's Parquet file."""
    folder = (workdir / f"files-{db.stem}").resolve()
    target = folder / f"hotline_tickets_{END:%Y%m%d}.parquet"
    if target.exists() and target.stat().st_mtime >= db.stat().st_mtime:
        return folder
    say(f"writing the file drop {target}")
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / "partial.tmp"
    # In a process of its own: this one may still hold the demo file open through an earlier
    # mode's hub, with another configuration, and DuckDB refuses a second connection to one
    # file with a different configuration in one process.
    script = (
        "import duckdb, sys\n"
        "con = duckdb.connect(sys.argv[1], read_only=True)\n"
        'con.execute("COPY hotline_tickets TO \'" + sys.argv[2] + "\' (FORMAT parquet)")\n'
        "con.close()\n"
    )
    subprocess.run([sys.executable, "-c", script, str(db), str(partial)], check=True)
    partial.rename(target)
    return folder


def pg_synced_store(db: Path, workdir: Path, settings) -> tuple[Path, float]:
    """The demo file's tickets loaded into PostgreSQL (table bench_tickets, by COPY) and synced
    into a fresh local store by cockpit.sync.sync_dataset, as `python -m cockpit sync` does:
    pages, checks, one write, rollups. Returns the store and the sync's seconds."""
    import duckdb
    import psycopg
    import sqlalchemy as sa

    from cockpit.contracts import CONTRACTS
    from cockpit.sync import LocalStore, sync_dataset
    from data_sources.query import BoundDataset
    from data_sources.sql import SqlConfig, SqlSource

    url = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    contract = CONTRACTS["hotline.tickets"]
    types = {"string": "text", "int": "bigint", "float": "double precision", "bool": "boolean"}
    types |= {"date": "date", "datetime": "timestamp"}
    csv = workdir / "bench_tickets.csv"
    say(f"loading {db.name}'s tickets into PostgreSQL ({url.split('@')[-1]})")
    con = duckdb.connect(str(db), read_only=True)
    try:
        names = ", ".join(f'"{c.name}"' for c in contract.columns)
        con.execute(f"COPY (SELECT {names} FROM hotline_tickets) TO '{csv}' (HEADER)")
    finally:
        con.close()
    plain = sa.engine.make_url(url).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(plain) as pg, pg.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_tickets")
        columns = ", ".join(f'"{c.name}" {types[c.type]}' for c in contract.columns)
        cur.execute(f"CREATE TABLE bench_tickets ({columns})")
        with (
            open(csv, "rb") as f,
            cur.copy("COPY bench_tickets FROM STDIN (FORMAT csv, HEADER)") as copy,
        ):
            while chunk := f.read(1 << 20):
                copy.write(chunk)
        cur.execute("CREATE INDEX ON bench_tickets (updated_at)")
    csv.unlink()
    store_path = (workdir / f"sync-pg-{db.stem}.duckdb").resolve()
    store_path.unlink(missing_ok=True)
    source = SqlSource("frontdb", SqlConfig(kind="sql", url=url))
    city = settings.city
    started = time.perf_counter()
    result = sync_dataset(
        "hotline.tickets",
        BoundDataset("hotline.tickets", "bench_tickets", contract.columns),
        source,
        LocalStore(store_path),
        county_codes={c.code for c in city.counties} | set(city.former_codes) | {city.code},
        units=None,
        quarantine_dir=workdir / "quarantine",
        progress=say,
        county_map=dict(city.former_codes),
    )
    seconds = time.perf_counter() - started
    source.close()
    if not result["ok"]:
        raise SystemExit(f"the sync refused the tickets: {result.get('report')}")
    return store_path, seconds


def sync_store(db: Path, workdir: Path, settings) -> Path:
    """A local store holding the demo file's tickets, as a sync leaves it: the table, its
    rollups (cockpit.rollups.build, as LocalStore.apply builds them) and the watermark.

    Filled by copying (seconds), for the CI smoke; `--pg-sync` fills it by a real sync from
    PostgreSQL instead (pg_synced_store). What B1 measures is the reading side."""
    import duckdb

    from cockpit import rollups
    from cockpit.sync import STATE_TABLE, local_table

    store = (workdir / f"sync-{db.stem}.duckdb").resolve()
    if store.exists() and store.stat().st_mtime >= db.stat().st_mtime:
        return store
    say(f"filling the sync-mode store {store} from {db}")
    partial = store.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    table = local_table("hotline.tickets")
    con = duckdb.connect(str(partial))
    try:
        con.execute(f"ATTACH '{db}' AS demo (READ_ONLY)")
        con.execute(f'CREATE TABLE "{table}" AS SELECT * FROM demo.hotline_tickets')
        con.execute("DETACH demo")
        rollups.build(con, "hotline.tickets", table, dict(settings.city.former_codes))
        con.execute(
            f"CREATE TABLE {STATE_TABLE} (dataset VARCHAR PRIMARY KEY, watermark TIMESTAMP, "
            "rows BIGINT, synced_at TIMESTAMP)"
        )
        con.execute(
            f"INSERT INTO {STATE_TABLE} SELECT 'hotline.tickets', max(updated_at), count(*), "
            f'now() FROM "{table}"'
        )
        con.execute("CHECKPOINT")
    finally:
        con.close()
    partial.rename(store)
    return store


def free_port() -> int:
    """A free loopback port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The account B2 signed in and B7 sign in with, made in the cockpit's own database as an
# administrator would (cockpit.security.accounts.create_user); a password of this run's own.
BENCH_USER = "bench-leader"
BENCH_PASSWORD = f"Kq#{secrets.token_hex(8)}Zz9"


def make_account(env: dict[str, str]) -> None:
    """The city leader account in the store the server will use (its schema made here)."""
    from cockpit.security import accounts
    from cockpit.settings import load_settings
    from cockpit.store.store import Store

    settings = load_settings(environ=env)
    store = Store.from_settings(settings)
    store.ensure_ready()
    accounts.create_user(
        store,
        username=BENCH_USER,
        role="city_leader",
        password=BENCH_PASSWORD,
        policy=settings.security.password,
        known_counties=[c.code for c in settings.city.counties],
        must_change=False,
    )
    store.dispose()


def signed_in(url: str) -> requests.Session:
    """A requests session signed in through the login form (the cookie the gate looks up)."""
    session = requests.Session()
    session.headers["Origin"] = url
    response = session.post(
        url + "/login",
        data={"username": BENCH_USER, "password": BENCH_PASSWORD, "next": "/"},
        timeout=60,
        allow_redirects=False,
    )
    if response.status_code not in (302, 303) or not session.cookies:
        raise SystemExit(f"the login form refused the bench account ({response.status_code})")
    for cookie in session.cookies:  # Secure in production; this is plain http on loopback
        cookie.secure = False
    return session


def empty_cache(folder: Path) -> None:
    """Empty the server's file cache (what every worker reads): a cold start for the next page."""
    for item in folder.glob("*"):
        if item.is_file():
            item.unlink(missing_ok=True)


def start_gunicorn(
    db: Path, workdir: Path, tickets: int, workers: int = 2, login: bool = False, **extra: str
) -> tuple[subprocess.Popen, str]:
    """The cockpit under gunicorn on loopback, with a bench-only prebuilt-dict route.

    login: the real gate (bench_app's BENCH_LOGIN) over a fresh store holding BENCH_USER."""
    port = free_port()
    env = (
        os.environ
        | environ(db, workdir / f"cache-gu-{time.time_ns()}")
        | {"COCKPIT_SOURCES__DEMO__TICKETS": str(tickets)}
        # gunicorn is production: it wants a real key (one per run; no session outlives it).
        | {"COCKPIT_SECRET_KEY": os.environ.get("COCKPIT_SECRET_KEY") or secrets.token_hex(32)}
        | extra
    )
    if login:
        store = (workdir / f"store-{time.time_ns()}.db").resolve()
        env |= {"BENCH_LOGIN": "1", "COCKPIT_STORE__URL": f"sqlite:///{store}"}
        make_account(env)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            str(workers),
            # threads, keep-alive and the rest: gunicorn.conf.py, as in production
            "--timeout",
            "300",  # the 10M cold runs; production uses gunicorn.conf.py
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
        "output": "..overview-cards-left.children...overview-cards-right.children"
        "...overview-attention.children...overview-attention-counts.children"
        "...overview-contact.children..",
        "outputs": [
            {"id": "overview-cards-left", "property": "children"},
            {"id": "overview-cards-right", "property": "children"},
            {"id": "overview-attention", "property": "children"},
            {"id": "overview-attention-counts", "property": "children"},
            {"id": "overview-contact", "property": "children"},
        ],
        "inputs": [
            {"id": "filter-period", "property": "value", "value": period},
            {"id": "filter-county", "property": "value", "value": county},
        ],
        "changedPropIds": ["filter-period.value"],
        "state": [],
    }


def timed(session: requests.Session, method: str, url: str, **kw) -> float:
    started = time.perf_counter()
    response = session.request(method, url, timeout=60, **kw)
    response.raise_for_status()
    return time.perf_counter() - started


def load(
    url: str,
    method: str,
    n: int,
    concurrency: int,
    cookies: dict | None = None,
    server: subprocess.Popen | None = None,
    **kw,
) -> dict:
    """n requests at a concurrency; p50, p95 and requests per second. With the server's
    process, also the CPU each request cost its workers and this load generator (both share
    the machine's cores: on 2 cores the client's CPU caps the requests per second)."""
    sessions = [requests.Session() for _ in range(concurrency)]
    for session in sessions:
        session.headers["Origin"] = url.split("/_dash")[0].split("/bench")[0]
        session.cookies.update(cookies or {})
    workers_before = workers_cpu_s(server) if server else 0.0
    client_before = time.process_time()
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        times = list(
            pool.map(lambda i: timed(sessions[i % concurrency], method, url, **kw), range(n))
        )
    wall = time.perf_counter() - started
    times.sort()
    out = {
        "p50_ms": round(statistics.median(times) * 1000, 2),
        "p95_ms": round(times[int(len(times) * 0.95) - 1] * 1000, 2),
        "rps": round(n / wall, 1),
    }
    if server:
        out["server_cpu_ms_per_request"] = round(
            (workers_cpu_s(server) - workers_before) / n * 1000, 2
        )
        out["client_cpu_ms_per_request"] = round(
            (time.process_time() - client_before) / n * 1000, 2
        )
    return out


def workers_cpu_s(proc: subprocess.Popen) -> float:
    """CPU seconds (user + system) used so far by a gunicorn's workers."""
    children = subprocess.run(
        ["pgrep", "-P", str(proc.pid)], capture_output=True, text=True
    ).stdout.split()
    ticks = 0
    for pid in children:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # a worker just replaced
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def b2(
    url: str,
    n: int = 800,
    cookies: dict | None = None,
    turns: int = 1,
    server: subprocess.Popen | None = None,
) -> dict:
    """Cached callback latency against a prebuilt dict, at concurrency 8.

    cookies: a signed-in session's (the real gate looks it up on every request). turns > 1:
    the two sides take turns, so that both see the same moments of a shared machine."""
    body = overview_body()
    requests.post(
        url + "/_dash-update-component",
        json=body,
        timeout=120,
        headers={"Origin": url},
        cookies=cookies,
    ).raise_for_status()  # warm
    rounds = []
    for _ in range(turns):
        base = load(url + "/bench/prebuilt", "GET", n, 8, server=server)
        # Signed in: the prebuilt answer behind the gate, i.e. what the session check adds.
        gate = load(url + "/bench/gated", "GET", n, 8, cookies, server) if cookies else None
        cached = load(url + "/_dash-update-component", "POST", n, 8, cookies, server, json=body)
        rounds.append((base, cached, gate))
    ordered = sorted(rounds, key=lambda r: r[1]["p95_ms"] / r[0]["p95_ms"])
    base, cached, gate = ordered[len(ordered) // 2]  # the turn with the median ratio
    out = {
        "prebuilt": base,
        **({"prebuilt_behind_session_check": gate} if gate else {}),
        "cached_callback": cached,
        "p95_ratio": round(cached["p95_ms"] / base["p95_ms"], 2),
    }
    if turns > 1:
        out["p95_ratio_per_turn"] = [round(c["p95_ms"] / b["p95_ms"], 2) for b, c, _ in rounds]
        out["rps_per_turn"] = [c["rps"] for _, c, _ in rounds]
    return out


PAGES = ("/", "/economy", "/key-work", "/risk", "/emergency", "/hotline")
LAZY_SCRIPTS = (  # loaded by the page once a chart or a dropdown is on it
    "/_dash-component-suites/dash/dcc/async-graph.js",
    "/_dash-component-suites/dash/dcc/async-dropdown.js",
)
# dcc.Graph loads Dash's full plotly.js only where the page has no window.Plotly of its own.
DASH_PLOTLY = "/_dash-component-suites/plotly/package_data/plotly.min.js"


def wire(session: requests.Session, url: str) -> int:
    """Bytes of a GET as sent (compressed by the server, brotli or gzip)."""
    response = session.get(url, timeout=120, stream=True)
    response.raise_for_status()
    return len(response.raw.read(decode_content=False))


B3_COUNTY = "140403"  # the county B3 compares the whole city with (B1's)


def b3(url: str, baseline: float, periods: tuple[str, ...], cookies: dict, turns: int = 1) -> dict:
    """Uncached callbacks (cache off) as the page sends them: /hotline opened signed in, its
    callbacks fired in waves of up to 6 at once (what Chromium sends to one host) at the 2
    workers; per-callback p95 over every wave, and the KPI callback for the whole city
    against the same for one county, the two taking turns (whole city, county, ...). The
    same visits one callback at a time (B3's former setting) take turns with them, so the
    cost of sharing the workers' cores is a ratio of one run."""
    from cockpit.shell import CITY_WIDE

    times: dict[int, list[float]] = {1: [], B3_AT_ONCE: []}
    kpi: dict[str, list[float]] = {"city": [], "county": []}
    for _ in range(turns):
        for period in periods:
            for place in ("city", "county"):
                county = CITY_WIDE if place == "city" else B3_COUNTY
                for at_once in (B3_AT_ONCE, 1):
                    visit = _timed_visit(url, "/hotline", period, county, cookies, at_once)
                    times[at_once] += [seconds for _, _, seconds in visit]
                    if at_once == B3_AT_ONCE:
                        kpi[place] += [
                            s
                            for out, asked, s in visit
                            if asked and out.startswith("..hotline-kpis.")
                        ][:1]
    p95, alone = (_p95(times[n]) for n in (B3_AT_ONCE, 1))
    out = {
        "callbacks_timed": len(times[B3_AT_ONCE]),
        "at_once": B3_AT_ONCE,
        "p50_ms": round(statistics.median(times[B3_AT_ONCE]) * 1000, 1),
        "p95_ms": round(p95 * 1000, 1),
        "one_at_a_time_p95_ms": round(alone * 1000, 1),
        "p95_at_once_to_one_at_a_time": round(p95 / alone, 2),
        "raw_group_by_ms": round(baseline * 1000, 1),
        "p95_ratio_to_raw_group_by": round(p95 / baseline, 2),
    }
    if not (kpi["city"] and kpi["county"]):
        # /hotline's KPI cards come with the page's first layout (issue #20 item 7): the KPI
        # callback answers only a change of period or county, so a page's load sends none.
        out["kpi_callback"] = "not sent at load: the KPI cards come with the first layout"
        return out
    city, county = (statistics.median(kpi[p]) for p in ("city", "county"))
    out |= {
        "kpi_whole_city_ms": round(city * 1000, 1),
        "kpi_county_ms": round(county * 1000, 1),
        "kpi_whole_city_to_county": round(city / county, 2),
        "kpi_whole_city_to_county_per_pair": [
            round(a / b, 2) for a, b in zip(kpi["city"], kpi["county"], strict=True)
        ],
    }
    return out


def _p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[max(0, int(len(ordered) * 0.95) - 1)]


B3_AT_ONCE = 6  # requests Chromium keeps open to one host (HTTP/1.1): a page's wave


def _timed_visit(
    url: str, path: str, period: str, county: str, cookies: dict, at_once: int = B3_AT_ONCE
) -> list[tuple[str, bool, float]]:
    """(output, for the asked filters, seconds) of each callback of a page opened signed in
    from a link with a period and county, fired as the browser fires them: each wave's
    callbacks `at_once` at a time. The first wave still has the selectors' defaults (the
    URL sets them in the next): "for the asked filters" tells those apart."""
    from bench import client
    from cockpit.shell import make_search

    browser = client.Browser(url, parallel=at_once)
    browser.session.cookies.update(cookies)
    times: list[tuple[str, bool, float]] = []
    original = browser._fire

    def fire(dep, props, visit):
        asked = (
            props.get("filter-period", {}).get("value") == period
            and props.get("filter-county", {}).get("value") == county
        )
        started = time.perf_counter()
        answer = original(dep, props, visit)
        times.append((dep["output"], asked, time.perf_counter() - started))
        return answer

    browser._fire = fire
    visit = browser.open(path, search=make_search(period, county))
    if visit.errors:
        say(f"  B3 errors on {path} ({county}): {visit.errors[:3]}")
    return times


B7_PAGES = ("/", "/hotline", "/economy", "/key-work")


def b7(url: str, db: Path, cache: Path, pages: tuple[str, ...], turns: int) -> dict:
    """The page as a person sees it: headless Chromium signed in through the login form.

    Each turn runs the raw GROUP BY once, then opens every page cold (Chromium's cache and
    the server's emptied) and warm (opened again at once), then replays /hotline's callbacks
    over HTTP (bench.client, 6 at a time as Chromium sends them, signed in, server cache
    emptied); medians over the turns, each against the baseline's median of the same run."""
    from bench import client, page

    driver = page.chromium()
    visits: list[page.PageVisit] = []
    replays: list[float] = []
    raw: list[float] = []
    try:
        page.sign_in(driver, url, BENCH_USER, BENCH_PASSWORD)
        cookies = {c["name"]: c["value"] for c in driver.get_cookies()}
        with RawBaseline(db) as baseline:
            for turn in range(turns):
                raw.append(baseline.run())
                for path in pages:
                    for cold in (True, False):
                        visit = page.measure(
                            driver,
                            url,
                            path,
                            cold=cold,
                            empty_server_cache=lambda: empty_cache(cache),
                        )
                        if not visit.settled:
                            say(f"  B7 {path} did not settle (cold={cold})")
                        visits.append(visit)
                        say(
                            f"  B7 turn {turn + 1} {path} {'cold' if cold else 'warm'}: "
                            f"panels {visit.panels_s:.2f} s, last callback "
                            f"{visit.last_callback_s:.2f} s, {visit.callbacks} callbacks"
                        )
                if "/hotline" in pages:
                    empty_cache(cache)
                    browser = client.Browser(url, parallel=6)
                    browser.session.cookies.update(cookies)
                    replay = browser.open("/hotline")
                    if replay.errors:
                        say(f"  B7 replay errors: {replay.errors[:3]}")
                    replays.append(replay.seconds)
    finally:
        driver.quit()
    raw_s = statistics.median(raw)
    out: dict = {"turns": turns, "raw_group_by_s": round(raw_s, 3)}
    for path in pages:
        row: dict = {}
        for cold in (True, False):
            mine = [v for v in visits if v.path == path and v.cold == cold]
            tag = "cold" if cold else "warm"
            panels_s = statistics.median(v.panels_s for v in mine)
            last_s = statistics.median(v.last_callback_s for v in mine)
            row[f"{tag}_panels_s"] = round(panels_s, 3)
            row[f"{tag}_panels_ratio"] = round(panels_s / raw_s, 2)
            row[f"{tag}_last_callback_s"] = round(last_s, 3)
            row[f"{tag}_last_callback_ratio"] = round(last_s / raw_s, 2)
            row[f"{tag}_cpu_task_s"] = round(statistics.median(v.cpu_task_s for v in mine), 3)
            row[f"{tag}_cpu_script_s"] = round(statistics.median(v.cpu_script_s for v in mine), 3)
            row[f"{tag}_callbacks"] = mine[-1].callbacks
            # Callbacks that fired and changed nothing (204, or the same value back).
            row[f"{tag}_unchanged"] = len(mine[-1].unchanged)
            counts: dict[str, int] = {}
            for output in mine[-1].unchanged:
                counts[output] = counts.get(output, 0) + 1
            row[f"{tag}_unchanged_outputs"] = " | ".join(
                f"{output.strip('.')[:60]} x{n}" for output, n in sorted(counts.items())
            )
            row[f"{tag}_last_change_in"] = mine[-1].last_change
            row[f"{tag}_first_callback_sent_s"] = round(
                statistics.median(v.first_callback_s for v in mine), 3
            )
            row[f"{tag}_slowest_callbacks_s"] = " | ".join(mine[-1].slowest)
        row["panels"] = mine[-1].panels
        row["graphs"] = mine[-1].graphs
        out[path] = row
    if replays:
        replay_s = statistics.median(replays)
        out["/hotline"]["http_replay_cold_s"] = round(replay_s, 3)
        out["/hotline"]["http_replay_cold_ratio"] = round(replay_s / raw_s, 2)
        out["/hotline"]["http_replay_ratio_per_turn"] = [
            round(t / r, 2) for t, r in zip(replays, raw, strict=True)
        ]
        cold = [v for v in visits if v.path == "/hotline" and v.cold]
        out["/hotline"]["cold_panels_ratio_per_turn"] = [
            round(v.panels_s / r, 2) for v, r in zip(cold, raw, strict=True)
        ]
    return out


def b4(url: str) -> dict:
    """Bytes on the wire: the first page with its scripts, every callback answer, the map."""
    import re

    from bench.client import Browser

    session = requests.Session()
    session.headers["Accept-Encoding"] = "br, gzip"
    html = session.get(url + "/", timeout=60).text
    scripts = re.findall(r'(?:src|href)="(/[^"]+)"', html)
    shell = wire(session, url + "/")
    lazy = LAZY_SCRIPTS if any("plotly" in s for s in scripts) else (*LAZY_SCRIPTS, DASH_PLOTLY)
    static = sum(wire(session, url + s) for s in (*scripts, *lazy))
    answers: dict[str, int] = {}
    first_page = geometry = 0
    for path in PAGES:
        visit = Browser(url).open(path)
        if visit.errors:
            say(f"  B4 errors on {path}: {visit.errors[:3]}")
        for output, size in visit.wire_bytes.items():
            answers[output] = max(size, answers.get(output, 0))
        if path == "/":
            first_page = shell + static + sum(visit.wire_bytes.values())
            first_page += wire(session, url + "/_dash-layout")
            first_page += wire(session, url + "/_dash-dependencies")
            geometry = sum(wire(session, url + f) for f in visit.fetches)  # once per browser
            first_page += geometry
    largest = max(answers.items(), key=lambda kv: kv[1])
    map_update = next(  # the map's answer (its values; the borders are fetched once)
        (size for output, size in answers.items() if output.startswith("..overview-map")), 0
    )
    return {
        "first_page_kb": round(first_page / 1024, 1),
        "of_which_scripts_kb": round(static / 1024, 1),
        "of_which_map_borders_kb": round(geometry / 1024, 1),
        "callback_answers": len(answers),
        "callback_max_kb": round(largest[1] / 1024, 2),
        "callback_max_is": largest[0][:70],
        "callbacks_over_10kb": sum(1 for v in answers.values() if v > 10 * 1024),
        "overview_map_update_kb": round(map_update / 1024, 2),
    }


# B5's tour: every page a city leader opens (the data pages of cockpit.security.roles).
TOUR_PAGES = (*PAGES, "/briefing", "/contacts")
TOUR_PERIODS = ("2026-10", "2026-09", "2026-06", "2026-03", "2025-12", "2025-11")


def worker_memory(proc: subprocess.Popen) -> dict[int, tuple[float, float]]:
    """pid -> (VmRSS, VmHWM) in MB of each gunicorn worker now (VmHWM: its peak since start)."""
    children = subprocess.run(
        ["pgrep", "-P", str(proc.pid)], capture_output=True, text=True
    ).stdout.split()
    out = {}
    for pid in children:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:  # a worker that has just been replaced
            continue
        kb = {
            line.split(":")[0]: int(line.split()[1])
            for line in status.splitlines()
            if line.startswith(("VmRSS", "VmHWM"))
        }
        out[int(pid)] = (round(kb["VmRSS"] / 1024, 1), round(kb["VmHWM"] / 1024, 1))
    return out


def resident_parts(pid: int) -> tuple[float | None, float | None]:
    """(RssAnon, RssFile) in MB of a process: its heap, and the libraries it has mapped."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None, None
    kb = {
        line.split(":")[0]: int(line.split()[1])
        for line in status.splitlines()
        if line.startswith(("RssAnon", "RssFile"))
    }
    return round(kb["RssAnon"] / 1024, 1), round(kb["RssFile"] / 1024, 1)


def b5(proc: subprocess.Popen, url: str, tours: int, counties: list[str]) -> dict:
    """Peak and end resident memory of each gunicorn worker over a long signed-in session:
    a tour of every page, repeated, each tour on another period and county (so the worker
    meets new answers, as a day of use brings them), with a sampler reading every worker's
    VmRSS meanwhile and VmHWM (the kernel's own peak) at the end."""
    import threading

    from bench.client import Browser
    from cockpit.shell import make_search

    cookies = signed_in(url).cookies.get_dict()
    start = worker_memory(proc)
    peaks: dict[int, float] = {pid: rss for pid, (rss, _) in start.items()}
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.2):
            for pid, (rss, _) in worker_memory(proc).items():
                peaks[pid] = max(rss, peaks.get(pid, 0.0))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    after_tour: dict[int, list[float]] = {}
    errors: list[str] = []
    started = time.monotonic()
    try:
        for tour in range(tours):
            period = TOUR_PERIODS[tour % len(TOUR_PERIODS)]
            county = counties[tour % len(counties)]
            browser = Browser(url)
            browser.session.cookies.update(cookies)
            for path in TOUR_PAGES:
                visit = browser.open(path, search=make_search(period, county))
                errors += [f"{path}: {e}" for e in visit.errors]
            for pid, (rss, _) in worker_memory(proc).items():
                after_tour.setdefault(pid, []).append(rss)
            say(f"  tour {tour + 1}/{tours} ({period}, {county}): {worker_memory(proc)}")
    finally:
        done.set()
        sampler.join()
    end = worker_memory(proc)
    held = {pid: resident_parts(pid) for pid in end}
    out: dict = {
        "tours": tours,
        "pages_per_tour": len(TOUR_PAGES),
        "tour_minutes": round((time.monotonic() - started) / 60, 1),
        "errors": len(errors),
        "first_errors": errors[:3],
        "workers_replaced": sorted(set(start) ^ set(end)),
    }
    workers = [
        {
            "start_mb": start.get(pid, (None,))[0],
            "peak_mb": max(end[pid][1], peaks.get(pid, 0.0)),
            "end_mb": end[pid][0],
            # heap (RssAnon: Python, pandas, DuckDB's buffers) vs mapped files (libraries)
            "end_anon_mb": held[pid][0],
            "end_file_mb": held[pid][1],
            "after_tours_mb": after_tour.get(pid, [])[:: max(1, tours // 5)],
        }
        for pid in sorted(end)
    ]
    for i, worker in enumerate(workers):
        out[f"worker{i + 1}"] = worker
    out["max_peak_mb"] = max((w["peak_mb"] for w in workers), default=None)
    return out


def b6(
    url: str, query_log: Path, rush_users: int, rush_s: float, browse_users: int, browse_s: float
) -> dict:
    """A rush on a cold cache, then browsing; page completion, errors, source queries per key."""
    import random
    import threading

    from bench.client import Browser

    deps = requests.get(url + "/_dash-dependencies", timeout=60).json()
    alone = Browser(url, deps).open("/").seconds  # cold: also warms nothing else but "/"
    # The baseline: one page opened alone on a warm cache, in this run.
    baseline = min(Browser(url, deps).open("/").seconds for _ in range(3))
    lock = threading.Lock()
    rush: list = []
    browse: list = []

    def rush_user(delay: float) -> None:
        time.sleep(delay)
        visit = Browser(url, deps).open("/")
        with lock:
            rush.append(visit)

    def browse_user(seed: int, until: float) -> None:
        rng = random.Random(seed)
        browser = Browser(url, deps, parallel=2)
        first = True
        time.sleep(rng.uniform(0, 10))
        while time.monotonic() < until:
            visit = browser.open(rng.choice(PAGES), first_visit=first)
            first = False
            with lock:
                browse.append(visit)
            time.sleep(rng.uniform(3, 10))  # reading the screen

    say(f"  rush: {rush_users} users within {rush_s:.0f}s")
    threads = [
        threading.Thread(target=rush_user, args=(i * rush_s / rush_users,))
        for i in range(rush_users)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    say(f"  browsing: {browse_users} users for {browse_s:.0f}s")
    until = time.monotonic() + browse_s
    threads = [threading.Thread(target=browse_user, args=(i, until)) for i in range(browse_users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    def summary(visits: list) -> dict:
        times = sorted(v.seconds for v in visits)
        p95 = times[max(0, int(len(times) * 0.95) - 1)] if times else None
        return {
            "pages": len(visits),
            "p50_s": round(statistics.median(times), 3) if times else None,
            "p95_s": round(p95, 3) if p95 is not None else None,
            "p95_ratio_to_one_page_alone": round(p95 / baseline, 1) if p95 else None,
            "errors": sum(len(v.errors) for v in visits),
            "first_errors": [e for v in visits for e in v.errors][:3],
        }

    from bench.query_log import counts as query_counts

    counts, private = query_counts(query_log)
    return {
        "one_page_alone_warm_s": round(baseline, 3),
        "first_page_cold_s": round(alone, 3),
        "rush": summary(rush),
        "browse": summary(browse),
        "source_queries_cacheable": sum(counts.values()),
        "source_queries_personal_never_cached": private,
        "distinct_query_keys": len(counts),
        "max_runs_of_one_key": max(counts.values()) if counts else 0,
        "keys_run_more_than_once": sum(1 for c in counts.values() if c > 1),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks, print a table, write bench/results.json."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.run",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    parser.add_argument(
        "--tickets", type=int, default=1_000_000, help="demo tickets (default 1000000)"
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=BENCHMARKS,
        help="run only these (repeatable; B7 needs chromium and chromedriver)",
    )
    parser.add_argument(
        "--smoke", action="store_true", help="short runs (CI): fewer requests and users"
    )
    parser.add_argument(
        "--tours",
        type=int,
        help="B5: how many times the tour of every page is repeated (default 20; --smoke 2)",
    )
    parser.add_argument(
        "--pg-sync",
        action="store_true",
        help="B1 sync: load the tickets into PostgreSQL ($BENCH_PG_URL) and fill the local "
        "store with a real sync (minutes at 10M); without it the store is filled by copying",
    )
    parser.add_argument(
        "--workdir", default=str(ROOT / "instance" / "bench"), help="data and caches"
    )
    parser.add_argument("--out", default=str(ROOT / "bench" / "results.json"))
    args = parser.parse_args(argv)
    wanted = set(args.only or BENCHMARKS)
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    say(f"preparing {args.tickets:,} tickets")
    db = prepare(args.tickets, workdir)
    results: dict = {
        "tickets": args.tickets,
        "machine_cores": os.cpu_count(),
        "run_at": dt.datetime.now().isoformat(timespec="seconds"),
        "smoke": args.smoke,
    }
    started = time.monotonic()
    if "B1" in wanted:
        say("B1: the 12345 view and the overview, cold, vs raw GROUP BY")
        results["B1"] = b1(db, workdir, args.tickets)
        say("B1: the same in sync mode (PostgreSQL source, read from the local store)")
        results["B1 sync"] = b1(
            db, workdir, args.tickets, mode="pg-sync" if args.pg_sync else "sync"
        )
        say("B1: the same read directly from a Parquet file drop")
        results["B1 files"] = b1(db, workdir, args.tickets, mode="files")
    if "B3" in wanted:
        say("B3: uncached callbacks (cache off), signed in, 6 at once at 2 workers")
        proc, url = start_gunicorn(
            db, workdir, args.tickets, login=True, COCKPIT_CACHE__TYPE="null"
        )
        try:
            periods = ("2026-10",) if args.smoke else ("2026-10", "2026-06", "2025-11")
            cookies = signed_in(url).cookies.get_dict()
            results["B3"] = b3(
                url, raw_group_by(db), periods, cookies, turns=1 if args.smoke else 3
            )
        finally:
            stop(proc)
    if wanted & {"B2", "B4", "B6"}:
        query_log = workdir / f"queries-{time.time_ns()}.log"
        say("starting gunicorn (2 workers)")
        proc, url = start_gunicorn(db, workdir, args.tickets, BENCH_QUERY_LOG=str(query_log))
        try:
            if "B6" in wanted:  # first: it needs the cold cache
                say("B6: rush on a cold cache, then browsing")
                if args.smoke:
                    results["B6"] = b6(url, query_log, 10, 10, 20, 20)
                else:
                    results["B6"] = b6(url, query_log, 100, 60, 300, 90)
            if "B2" in wanted:
                say("B2: cached callback vs prebuilt dict, concurrency 8")
                results["B2"] = b2(url, 200 if args.smoke else 800, server=proc)
            if "B4" in wanted:
                say("B4: bytes")
                results["B4"] = b4(url)
        finally:
            stop(proc)
    if "B5" in wanted:
        # Its own fresh server with the real gate: the peak of a session from the start.
        tours = 2 if args.smoke and args.tours is None else (args.tours or 20)
        say(f"B5: worker memory over a session, a tour of every page {tours}x, signed in")
        proc, url = start_gunicorn(db, workdir, args.tickets, login=True)
        try:
            results["B5"] = b5(proc, url, tours, tour_counties())
        finally:
            stop(proc)
    if wanted & {"B2", "B7"}:
        # The real gate: a store with the bench's account, the session cookie from the form.
        login_cache = (workdir / f"cache-login-{time.time_ns()}").resolve()
        say("starting gunicorn (2 workers) with the real login")
        proc, url = start_gunicorn(
            db, workdir, args.tickets, login=True, COCKPIT_CACHE__DIR=str(login_cache)
        )
        try:
            if "B2" in wanted:
                say("B2 signed in: cached callback through the session check vs prebuilt dict")
                cookies = signed_in(url).cookies.get_dict()
                results["B2 signed in"] = b2(
                    url,
                    200 if args.smoke else 800,
                    cookies,
                    turns=1 if args.smoke else 3,
                    server=proc,
                )
            if "B7" in wanted:
                why = page_unavailable()
                if why:
                    say(f"B7 skipped: {why}")
                    results["B7"] = {"skipped": why}
                else:
                    say("B7: the pages in headless Chromium, signed in through the form")
                    pages = ("/hotline",) if args.smoke else B7_PAGES
                    results["B7"] = b7(url, db, login_cache, pages, 1 if args.smoke else 3)
        finally:
            stop(proc)
    results["bench_seconds"] = round(time.monotonic() - started)
    Path(args.out).write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"{'benchmark':<52} {'figure':>26}")
    for key in ALL:
        if key in results:
            for name, value in _flatten(results[key]):
                print(f"{key + ' ' + name:<52} {value!s:>26}")
    say(f"written {args.out}")
    return 0


def stop(proc: subprocess.Popen) -> None:
    """Stop a gunicorn started here."""
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


BENCHMARKS = ["B1", "B2", "B3", "B4", "B5", "B6", "B7"]
# result sections, in order
ALL = ["B1", "B1 sync", "B1 files", "B2", "B2 signed in", "B3", "B4", "B5", "B6", "B7"]


def tour_counties() -> list[str]:
    """全市 and each county of the configured city, in turn: B5's tours."""
    from cockpit.settings import load_settings
    from cockpit.shell import CITY_WIDE

    return [CITY_WIDE, *(c.code for c in load_settings().city.counties)]


def page_unavailable() -> str | None:
    """Why B7 cannot run on this machine (no Chromium, chromedriver or selenium), or None."""
    from bench.page import available

    return available()


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
