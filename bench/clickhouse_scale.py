"""Scale: the 12345 page on a two-shard ClickHouse holding many tickets (#25 item 3).

    python -m bench.clickhouse_scale --tickets 100000000
    python -m bench.clickhouse_scale --tickets 1000000 --turns 1     # a smoke

1. Starts two ClickHouse servers of its own (bench/clickhouse_cluster.py, as the tests do),
   one shard each, with a Distributed table `hotline_tickets` over both.
2. Generates the tickets inside ClickHouse, `INSERT ... SELECT ... FROM numbers(n)` on each
   shard a block at a time (no Python rows): the contract's columns and value sets, counties
   by population, categories by the demo's weights with their deadlines, channels, hours of
   the day, three calendar years up to bench.run.END, deadlines, late closings by county,
   statuses as of END, satisfaction. Prints the rate.
3. Serves the cockpit under gunicorn (2 workers, the real login) with hotline.tickets bound to
   a `clickhouse+native://` SQL source in direct mode (a copy of config/ with that binding;
   the other datasets stay on a small demo file), and replays /hotline's callbacks over HTTP
   (bench.client, 6 at a time as Chromium sends them), signed in: cold (the server's cache
   emptied) then warm, taking turns with the raw month x county x category GROUP BY on the
   same cluster written the fastest way ClickHouse allows (each form is timed, taking turns,
   and must return the same groups and counts, as bench/raw_baseline.py does for DuckDB).
4. Prints the ratios per turn and their medians, checks that the page's city total for the
   month equals the raw GROUP BY's, and deletes the data folder (under /tmp) unless --keep.

A benchmark prints figures; it is not a test (tests/app/test_clickhouse_scale.py runs it small).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from bench import clickhouse_cluster as chc
from bench.run import END, ROOT, empty_cache, say

TABLE = "hotline_tickets"
BLOCK = 2_500_000  # rows per INSERT ... SELECT on a shard: one progress line each
# The tests' servers allow 1 GB a query; a million rows of tickets (their texts included)
# squashed into one part before it is written take about that: smaller parts, more room.
INSERT_SETTINGS = {"min_insert_block_size_rows": 262_144, "max_memory_usage": 3_000_000_000}
DEMO_TICKETS = 20_000  # the demo file that serves the other datasets (not hotline.tickets)
PERIOD = "2026-10"  # a complete month before END: the page is opened for it, city-wide
SLOTS = 1000  # weighted choices are drawn from arrays of this many slots


# -- the tickets, generated on the shards ---------------------------------------------------
def _sql_list(values: list[Any]) -> str:
    """A ClickHouse array literal of strings or numbers."""
    return "[" + ", ".join(f"'{v}'" if isinstance(v, str) else str(v) for v in values) + "]"


def _slots(weights: list[float]) -> list[int]:
    """1-based indexes repeated by weight over SLOTS slots: `arr[1 + hash % SLOTS]` then draws
    index i with probability weights[i] / sum (to 1/SLOTS)."""
    w = np.asarray(weights, dtype=float)
    counts = np.floor(w / w.sum() * SLOTS).astype(int)
    counts[np.argmax(w)] += SLOTS - counts.sum()
    return [int(i) + 1 for i in np.repeat(np.arange(len(w)), counts)]


def ticket_select(n_total: int, shard: int, shards: int, offset: int, count: int) -> str:
    """The SELECT that makes tickets `offset` .. `offset + count` of one shard's share.

    Ticket g (0 .. n_total) lives on shard g % shards; tickets are in time order (g spreads
    over the days evenly), so each block fills a few months' partitions, as a nightly feed
    does. Every random draw is a hash of (g, k): the same size gives the same tickets."""
    from cockpit.demo_kit import COUNTY_POPULATION, GIVEN, SUBDISTRICTS, SURNAMES
    from cockpit.domains.hotline import demo
    from cockpit.settings import load_settings

    city = load_settings().city
    counties = [c.code for c in city.counties]
    names = dict(city.county_names)
    cats = demo._CATEGORIES
    units = [demo._UNITS_BY_L1[c[0]] for c in cats]
    start = dt.datetime(END.year - 2, 1, 1)
    end = dt.datetime.combine(END, dt.time())
    n_days = (end - start).days
    # Counties differ in how late they close (3% .. 14%), as in the demo.
    late = np.linspace(0.03, 0.14, len(counties))[
        np.random.default_rng(7).permutation(len(counties))
    ]
    pop = [COUNTY_POPULATION.get(c, 20) for c in counties]

    def u(k: int) -> str:
        return f"(cityHash64(g, {k}) % 1000000 / 1000000.0)"

    def h(k: int) -> str:
        return f"cityHash64(g, {k})"

    by_category = "[" + ", ".join(_sql_list(o) for o in units) + "][cat]"
    now = f"toDateTime('{end:%Y-%m-%d %H:%M:%S}')"
    inner = f"""
SELECT
  g,
  {_sql_list(_slots([c[2] for c in cats]))}[1 + {h(1)} % {SLOTS}] AS cat,
  {_sql_list(_slots(pop))}[1 + {h(2)} % {SLOTS}] AS cty,
  toDateTime('{start:%Y-%m-%d %H:%M:%S}') + intDiv(g * {n_days}, {n_total}) * 86400
    + ({_sql_list([i - 1 for i in _slots(list(demo._HOURS))])}[1 + {h(3)} % {SLOTS}]) * 3600
    + {h(4)} % 3600 AS rcv0,
  least(rcv0, {now} - 60) AS received,
  {_sql_list([c[5][:2] for c in cats])}[cat] AS verb,
  if({u(5)} < 0.02, '表扬', if(verb = '反映',
     ['投诉', '求助', '其他'][1 + ({u(6)} >= 0.55) + ({u(6)} >= 0.95)], verb)) AS appeal,
  {u(7)} < if(appeal = '咨询', 0.55, 0.1) AS direct,
  {_sql_list([c[4] for c in cats])}[cat] AS due_days,
  received + (5 + {h(8)} % 175) * 60 AS dispatched,
  {u(9)} < 0.04 AS sign_late,
  if(sign_late, 240 - 300 * log({u(10)} + 1e-9),
     least(exp(3.6 + 0.9 * sqrt(-2 * log({u(11)} + 1e-9)) * cos(6.2831853 * {u(12)})), 235))
    AS sign_minutes,
  dispatched + toUInt32(sign_minutes * 60) AS signed,
  (NOT direct) AND {u(13)} < 0.05 AS extended,
  received + (due_days + 7 * extended) * 86400 AS deadline,
  (NOT direct) AND {u(14)} < {_sql_list([round(x, 4) for x in late])}[cty] AS late,
  if(late, 1.05 + 0.75 * {u(15)}, sqrt({u(16)} * {u(17)}) * 0.98) AS fraction,
  if(direct, received + (3 + {h(18)} % 22) * 60,
     received + toUInt32((deadline - received) * fraction)) AS closed0,
  (NOT direct) AND {u(19)} < 0.02 AS reopened0,
  closed0 + reopened0 * (2 + {h(20)} % 6) * 86400 AS closed,
  if(direct, 0, [0, 1, 2][1 + ({u(21)} >= 0.965) + ({u(21)} >= 0.995)]) AS returned,
  closed <= {now} AS is_closed,
  direct OR signed <= {now} AS is_signed,
  (NOT direct) AND dispatched <= {now} AS is_dispatched,
  is_closed AND closed < {now} - 86400 AND {u(22)} < 0.88 AS followed,
  followed AND {u(23)} < 0.93 AS evaluated,
  {u(24)} AS happy,
  if(late, 0.25, 0.06) AS unhappy_p,
  -- one ticket in ten comes from a caller who rings again (a pool of repeat callers)
  if({u(25)} < 0.1, {n_total} + {h(26)} % greatest(1, intDiv({n_total}, 40)), g) AS caller,
  1 + {h(27)} % {len(SUBDISTRICTS)} AS sub,
  {_sql_list(list(SUBDISTRICTS))}[sub] || if(sub % 2 = 1, '街道', '镇') AS township,
  {_sql_list([names[c] for c in counties])}[cty] AS county_name,
  arrayElement({by_category}, 1 + {h(29)} % length({by_category})) AS unit_opt
FROM (SELECT (number + {offset}) * {shards} + {shard} AS g FROM numbers({count}))
"""
    address = (
        "county_name || township || '某小区' || toString(1 + cityHash64(g, 28) % 39) || '号楼'"
    )
    # replaceOne wants a constant replacement on 18.16: each template is cut at {a} and {n}.
    pre, mid, post, has_a, has_n = [], [], [], [], []
    for text in (c[5] for c in cats):
        head, a, tail = text.partition("{a}")
        between, n, after = tail.partition("{n}")
        pre.append(head)
        mid.append(between)
        post.append(after)
        has_a.append(int(bool(a)))
        has_n.append(int(bool(n)))
    content = (
        f"if(appeal = '表扬', '表扬' || {address} || '相关工作人员服务热情、办事高效。', "
        f"{_sql_list(pre)}[cat] || if({_sql_list(has_a)}[cat] = 1, {address}, '') || "
        f"{_sql_list(mid)}[cat] || if({_sql_list(has_n)}[cat] = 1, "
        f"toString(6 + cityHash64(g, 31) % 10), '') || {_sql_list(post)}[cat])"
    )
    # A unit named "{c}住建局" is the county's own: its name is put in front.
    unit = "if(substring(unit_opt, 1, 3) = '{c}', county_name || substring(unit_opt, 4), unit_opt)"
    prefixes = ["138", "139", "136", "150", "152", "158", "186", "187", "131", "177"]
    given = _sql_list(list(GIVEN))
    columns = {
        "ticket_id": "'CZ' || formatDateTime(received, '%Y%m%d') || toString(g)",
        "received_at": "received",
        "channel": f"{_sql_list(demo._CHANNELS[0])}[{_sql_list(_slots(demo._CHANNELS[1]))}"
        f"[1 + cityHash64(g, 30) % {SLOTS}]]",
        "appeal_type": "appeal",
        "category_l1": f"{_sql_list([c[0] for c in cats])}[cat]",
        "category_l2": f"{_sql_list([c[1] for c in cats])}[cat]",
        "county_code": f"{_sql_list(counties)}[cty]",
        "township": "township",
        "address": address,
        "content": content,
        "direct_answer": "direct",
        "responsible_unit": f"if(direct, NULL, {unit})",
        "dispatched_at": "if(is_dispatched, dispatched, NULL)",
        "sign_deadline": "if(is_dispatched, dispatched + 14400, NULL)",
        "signed_at": "if((NOT direct) AND is_signed, signed, NULL)",
        "deadline": "deadline",
        "extended": "extended",
        "returned_count": "returned",
        "reopened": "reopened0 AND is_closed",
        "closed_at": "if(is_closed, closed, NULL)",
        "status": f"if((NOT direct) AND dispatched > {now}, '待派单', if(is_closed, '已办结', "
        "if(is_signed, '办理中', '待签收')))",
        "followed_up": "followed",
        "evaluation": "if(evaluated, if(happy < unhappy_p, '不满意', "
        "if(happy < unhappy_p + 0.14, '基本满意', '满意')), NULL)",
        "citizen_name": f"{_sql_list(list(SURNAMES))}[1 + caller % {len(SURNAMES)}] || "
        f"{given}[1 + intDiv(caller, 7) % {len(GIVEN)}] || "
        f"if(caller % 3 = 0, {given}[1 + intDiv(caller, 11) % {len(GIVEN)}], '')",
        "citizen_phone": f"{_sql_list(prefixes)}[1 + caller % 10] || "
        "substring(toString(100000000 + (caller * 7919 + 3572468) % 100000000), 2, 8)",
        "updated_at": "greatest(greatest(received, if(is_dispatched, dispatched, received)), "
        "greatest(if(is_signed AND NOT direct, signed, received), "
        "if(is_closed, closed, received)))",
    }
    # In the contract's order (the INSERT names them so); a column missing here is a KeyError.
    outer = ",\n  ".join(f"{columns[name]} AS {name}" for name in _column_names())
    return f"SELECT\n  {outer}\nFROM ({inner})"


def table_ddl() -> str:
    """The shards' local table: the contract's columns, not nullable where the contract says
    so (ClickHouse reads a plain column faster), by month, ordered by county and time."""
    from cockpit.contracts import CONTRACTS

    types = chc.BY_CONTRACT
    columns = ", ".join(
        f"`{c.name}` " + (f"Nullable({types[c.type]})" if c.nullable else types[c.type])
        for c in CONTRACTS["hotline.tickets"].columns
    )
    return (
        f"CREATE TABLE {TABLE}_local ({columns}) ENGINE = MergeTree() "
        "PARTITION BY toYYYYMM(received_at) ORDER BY (county_code, received_at)"
    )


def generate(cluster: chc.Cluster, tickets: int) -> float:
    """Make `tickets` tickets over both shards (the shards in parallel, a block at a time,
    one progress line per block); returns the seconds it took."""
    shards = len(cluster.shards)
    for server in cluster.shards:
        client = server.client()
        try:
            client.execute(f"DROP TABLE IF EXISTS {TABLE}")
            client.execute(f"DROP TABLE IF EXISTS {TABLE}_local")
            client.execute(table_ddl())
            client.execute(
                f"CREATE TABLE {TABLE} AS {TABLE}_local "
                f"ENGINE = Distributed({chc.CLUSTER}, default, {TABLE}_local, rand())"
            )
        finally:
            client.disconnect()
    done = [0] * shards
    errors: list[BaseException] = []
    began = time.perf_counter()

    def fill(index: int) -> None:
        share = len(range(index, tickets, shards))
        client = cluster.shards[index].client()
        names = ", ".join(f"`{c}`" for c in _column_names())
        try:
            for offset in range(0, share, BLOCK):
                count = min(BLOCK, share - offset)
                client.execute(
                    f"INSERT INTO {TABLE}_local ({names}) "
                    + ticket_select(tickets, index, shards, offset, count),
                    settings=INSERT_SETTINGS,
                )
                done[index] += count
                rate = sum(done) / (time.perf_counter() - began)
                say(
                    f"  shard {index + 1}: {done[index]:,}/{share:,} tickets "
                    f"(all shards {sum(done):,}/{tickets:,}, {rate:,.0f} rows/s)"
                )
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            client.disconnect()

    # Daemons: on Ctrl-C the main thread stops the servers, which ends their inserts.
    threads = [threading.Thread(target=fill, args=(i,), daemon=True) for i in range(shards)]
    for thread in threads:
        thread.start()
    for thread in threads:
        while thread.is_alive():  # join() with a timeout, so that Ctrl-C is heard at once
            thread.join(0.5)
    if errors:
        raise errors[0]
    return time.perf_counter() - began


def _column_names() -> list[str]:
    from cockpit.contracts import CONTRACTS

    return [c.name for c in CONTRACTS["hotline.tickets"].columns]


# -- the baseline: the raw GROUP BY on the same cluster ------------------------------------------
RAW_FORMS = {
    "toStartOfMonth": (
        f"SELECT toStartOfMonth(received_at) AS m, county_code, category_l2, count() "
        f"FROM {TABLE} GROUP BY m, county_code, category_l2"
    ),
    "toYYYYMM": (
        f"SELECT toYYYYMM(received_at) AS m, county_code, category_l2, count() "
        f"FROM {TABLE} GROUP BY m, county_code, category_l2"
    ),
    "formatDateTime": (
        f"SELECT formatDateTime(received_at, '%Y-%m') AS m, county_code, category_l2, count() "
        f"FROM {TABLE} GROUP BY m, county_code, category_l2"
    ),
}
RAW_TRIALS = 3


def _month(value: Any) -> str:
    """YYYY-MM of any form's month key."""
    if isinstance(value, int):
        return f"{value // 100:04d}-{value % 100:02d}"
    return str(value)[:7]


def raw_counts(rows: list[tuple]) -> dict[tuple[str, str, str], int]:
    """(month, county, category) -> tickets, whichever form gave the rows."""
    return {(_month(m), county, cat): n for m, county, cat, n in rows}


class RawGroupBy:
    """The month x county x category GROUP BY on the Distributed table, its fastest form."""

    def __init__(self, cluster: chc.Cluster) -> None:
        self.client = cluster.shards[0].client()
        self.form = ""
        self.medians: dict[str, float] = {}
        self.counts: dict[tuple[str, str, str], int] = {}

    def pick(self) -> str:
        """Time every form RAW_TRIALS times, taking turns; they must agree; keep the fastest."""
        times: dict[str, list[float]] = {name: [] for name in RAW_FORMS}
        for _ in range(RAW_TRIALS):
            for name, sql in RAW_FORMS.items():
                started = time.perf_counter()
                rows = self.client.execute(sql)
                times[name].append(time.perf_counter() - started)
                counts = raw_counts(rows)
                if not self.counts:
                    self.counts = counts
                elif counts != self.counts:
                    raise SystemExit(f"the raw GROUP BY form {name} disagrees with the others")
        self.medians = {name: statistics.median(ts) for name, ts in times.items()}
        self.form = min(self.medians, key=self.medians.get)
        return self.form

    def run(self) -> float:
        """Seconds of one run of the chosen form."""
        started = time.perf_counter()
        self.client.execute(RAW_FORMS[self.form])
        return time.perf_counter() - started

    def close(self) -> None:
        """Close the connection."""
        self.client.disconnect()


# -- the cockpit on the cluster ------------------------------------------------------------------
def cockpit_config(cluster: chc.Cluster, folder: Path) -> Path:
    """A copy of config/ with hotline.tickets bound to the cluster, in direct mode."""
    shutil.copytree(ROOT / "config", folder)
    sources = yaml.safe_load((folder / "sources.yaml").read_text(encoding="utf-8"))
    # 100M rows on a shared 2-core machine: a query may take longer than production's 20 s
    # (a city's cluster has more cores); the timeouts keep their order, each 4x production's.
    sources["sources"]["platform"] = {"kind": "sql", "url": cluster.url, "query_timeout": 100}
    (folder / "sources.yaml").write_text(yaml.safe_dump(sources, allow_unicode=True), "utf-8")
    cockpit = yaml.safe_load((folder / "cockpit.yaml").read_text(encoding="utf-8"))
    cockpit["server"] |= {"callback_timeout": 120, "worker_timeout": 180, "proxy_timeout": 240}
    (folder / "cockpit.yaml").write_text(yaml.safe_dump(cockpit, allow_unicode=True), "utf-8")
    datasets = yaml.safe_load((folder / "datasets.yaml").read_text(encoding="utf-8"))
    datasets["datasets"]["hotline.tickets"] = {"source": "platform", "table": TABLE}
    (folder / "datasets.yaml").write_text(yaml.safe_dump(datasets, allow_unicode=True), "utf-8")
    return folder


def _count_text(text: str) -> tuple[float, float] | None:
    """A count as cockpit.formatting.number writes it ("2,941", "12.3万", "1.2亿"), and how far
    off its rounding may be (0 below 100,000, where it is written in full)."""
    text = text.strip().removesuffix("件").replace(",", "")
    for mark, unit in (("亿", 1e8), ("万", 1e4)):
        if text.endswith(mark):
            digits = text[:-1]
            decimals = len(digits.split(".")[1]) if "." in digits else 0
            return float(digits) * unit, 0.5 * unit / 10**decimals
    try:
        return float(text), 0.0
    except ValueError:
        return None  # "—": no tickets


def page_city_total(answer: dict) -> tuple[float, float] | None:
    """The city's tickets in the month as the map callback shows them (one shape per county,
    its text "县区：N件"), and how far off that total may be from the texts' rounding."""
    store = answer.get("hotline-map-values", {}).get("data")
    if not isinstance(store, dict):
        return None
    counts: dict[str, tuple[float, float]] = {}
    for trace in store.get("figure", {}).get("data", []):
        meta = trace.get("meta")
        text = trace.get("text")
        if isinstance(meta, dict) and "rings" in meta and isinstance(text, str) and "：" in text:
            name, shown = text.split("：", 1)
            value = _count_text(shown)
            if value is not None:
                counts[name] = value  # a county of several rings has one trace per ring
    if not counts:
        return None
    return sum(v for v, _ in counts.values()), sum(e for _, e in counts.values())


def replay(
    url: str, cookies: dict, search: str
) -> tuple[float, list[str], tuple[float, float] | None]:
    """Open /hotline for the month, city-wide, replaying its callbacks over HTTP 6 at a time:
    (seconds, errors, the city total the map callback answered)."""
    from bench import client

    browser = client.Browser(url, parallel=6)
    browser.session.cookies.update(cookies)
    total: list[tuple[float, float]] = []
    original = browser._fire

    def fire(dep: dict, props: dict, visit: Any) -> dict | None:
        answer = original(dep, props, visit)
        asked = props.get("filter-period", {}).get("value") == PERIOD
        if asked and answer and "hotline-map-values" in answer:
            found = page_city_total(answer)
            if found is not None:
                total.append(found)
        return answer

    browser._fire = fire  # type: ignore[method-assign]
    visit = browser.open("/hotline", search=search)
    return visit.seconds, visit.errors, (total[-1] if total else None)


def measure(cluster: chc.Cluster, workdir: Path, turns: int) -> dict:
    """Serve the cockpit on the cluster and time /hotline's callbacks, cold and warm, taking
    turns with the raw GROUP BY; ratios per turn and medians."""
    from bench.run import prepare, signed_in, start_gunicorn, stop
    from cockpit.shell import make_search

    say(f"preparing the demo file for the other datasets ({DEMO_TICKETS:,} tickets)")
    db = prepare(DEMO_TICKETS, workdir)
    config = cockpit_config(cluster, workdir / "config")
    cache = (workdir / "cache").resolve()
    raw = RawGroupBy(cluster)
    say("raw GROUP BY month x county x category: timing the forms, taking turns")
    form = raw.pick()
    say(
        "  forms (median s): "
        + ", ".join(f"{n} {s:.3f}" for n, s in sorted(raw.medians.items(), key=lambda kv: kv[1]))
    )
    expected = sum(n for (m, _, _), n in raw.counts.items() if m == PERIOD)
    say("starting gunicorn (2 workers, the real login) on the cluster")
    proc, url = start_gunicorn(
        db,
        workdir,
        DEMO_TICKETS,
        login=True,
        COCKPIT_CONFIG_DIR=str(config),
        COCKPIT_CACHE__DIR=str(cache),
    )
    rows: list[dict] = []
    try:
        cookies = signed_in(url).cookies.get_dict()
        search = make_search(PERIOD, "city")
        for turn in range(turns):
            raw_s = raw.run()
            empty_cache(cache)
            cold_s, cold_errors, total = replay(url, cookies, search)
            warm_s, warm_errors, _ = replay(url, cookies, search)
            for errors in (cold_errors, warm_errors):
                if errors:
                    say(f"  replay errors: {errors[:3]}")
            row = {
                "raw_s": raw_s,
                "cold_s": cold_s,
                "warm_s": warm_s,
                "cold_ratio": cold_s / raw_s,
                "warm_ratio": warm_s / raw_s,
                "page_city_total": None if total is None else total[0],
                "page_city_total_rounding": None if total is None else total[1],
                # The page's month, all counties, against the raw GROUP BY's (to the rounding
                # of the map's texts, which write 100,000 and more in 万).
                "city_total_agrees": total is not None and abs(total[0] - expected) <= total[1],
                "errors": len(cold_errors) + len(warm_errors),
            }
            rows.append(row)
            say(
                f"  turn {turn + 1}/{turns}: raw {raw_s:.3f} s, /hotline cold {cold_s:.2f} s "
                f"(x{row['cold_ratio']:.1f}), warm {warm_s:.2f} s (x{row['warm_ratio']:.1f}), "
                f"city total {row['page_city_total']} (raw {expected:,}, "
                f"{'agrees' if row['city_total_agrees'] else 'DISAGREES'})"
            )
    finally:
        stop(proc)
        raw.close()
    return {
        "raw_form": form,
        "raw_forms_median_s": {n: round(s, 4) for n, s in raw.medians.items()},
        "raw_city_total": expected,
        "turns": rows,
        "raw_s": statistics.median(r["raw_s"] for r in rows),
        "cold_s": statistics.median(r["cold_s"] for r in rows),
        "warm_s": statistics.median(r["warm_s"] for r in rows),
        "cold_ratio": statistics.median(r["cold_ratio"] for r in rows),
        "warm_ratio": statistics.median(r["warm_ratio"] for r in rows),
        "errors": sum(r["errors"] for r in rows),
        "city_total_agrees": all(r["city_total_agrees"] for r in rows),
    }


def run(tickets: int, turns: int, workdir: Path, keep: bool) -> dict:
    """Start the cluster, fill it, measure; the figures as a dict."""
    command = chc.server_command()
    if command is None:
        raise SystemExit("error: clickhouse-server not found (apt-get install clickhouse-server)")
    workdir.mkdir(parents=True, exist_ok=True)
    say(f"starting two ClickHouse servers under {workdir}")
    cluster = chc.start_cluster(command, workdir / "clickhouse")
    try:
        say(f"  both answered in {cluster.started_in:.2f} s")
        say(f"generating {tickets:,} tickets on 2 shards, {BLOCK:,} per block")
        seconds = generate(cluster, tickets)
        client = cluster.shards[0].client()
        try:
            stored = client.execute(f"SELECT count() FROM {TABLE}")[0][0]
            size = client.execute(
                "SELECT sum(bytes_on_disk) FROM system.parts WHERE active AND table = %(t)s",
                {"t": f"{TABLE}_local"},
            )[0][0]
        finally:
            client.disconnect()
        if stored != tickets:
            raise SystemExit(f"error: {stored:,} tickets stored, {tickets:,} asked")
        say(f"  {tickets:,} tickets in {seconds:.1f} s ({tickets / seconds:,.0f} rows/s)")
        out = {
            "tickets": tickets,
            "generate_s": round(seconds, 1),
            "generate_rows_per_s": round(tickets / seconds),
            "shard1_bytes_on_disk": int(size or 0),
            **measure(cluster, workdir, turns),
        }
    finally:
        chc.stop_cluster(cluster)
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)
    return out


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, run, print the figures (and write them as JSON)."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.clickhouse_scale",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    parser.add_argument(
        "--tickets", type=int, default=100_000_000, help="tickets (default 100000000)"
    )
    parser.add_argument("--turns", type=int, default=3, help="cold/warm/raw turns (default 3)")
    parser.add_argument(
        "--workdir",
        help="data folder (default: a new folder under /tmp, deleted at the end unless --keep)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the data folder")
    parser.add_argument("--out", help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    # A job started in the background ignores Ctrl-C's signal: a TERM stops it cleanly too
    # (the servers stopped, the data folder removed).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.tickets < 1000 or args.turns < 1:
        parser.error("--tickets must be at least 1000 and --turns at least 1")
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="cockpit-chscale-", dir="/tmp"))
    started = dt.datetime.now(dt.UTC)
    out = run(args.tickets, args.turns, workdir.resolve(), args.keep)
    out["run_at"] = started.isoformat(timespec="seconds")
    out["machine_cores"] = os.cpu_count()
    out["load_average"] = [round(x, 1) for x in os.getloadavg()]
    for i, row in enumerate(out["turns"], 1):
        print(
            f"turn {i}: raw GROUP BY {row['raw_s']:.3f} s | /hotline cold {row['cold_s']:.2f} s "
            f"= {row['cold_ratio']:.1f}x | warm {row['warm_s']:.2f} s = {row['warm_ratio']:.1f}x"
        )
    print(f"tickets                      {out['tickets']:,}")
    print(
        f"generation                   {out['generate_s']} s "
        f"({out['generate_rows_per_s']:,} rows/s)"
    )
    print(f"raw GROUP BY ({out['raw_form']}) median  {out['raw_s']:.3f} s")
    print(f"/hotline cold median         {out['cold_s']:.2f} s = {out['cold_ratio']:.1f}x raw")
    print(f"/hotline warm median         {out['warm_s']:.2f} s = {out['warm_ratio']:.1f}x raw")
    print(f"callback errors              {out['errors']}")
    print(
        f"page's {PERIOD} city total     {out['turns'][-1]['page_city_total']} "
        f"(raw GROUP BY {out['raw_city_total']:,}: "
        f"{'agrees' if out['city_total_agrees'] else 'DISAGREES'})"
    )
    print(f"load average (1/5/15 min)    {out['load_average']}")
    if args.out:
        Path(args.out).write_text(json.dumps(out, indent=2, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
