"""Demo databases with millions of 12345 tickets for the benchmarks (1M, 10M, ...).

The demo generator (data_sources/demo_data.py) builds every table in memory, which is fine at
the default 300,000 tickets but would take many gigabytes at 10 million. Here the other
modules' tables and the first block of tickets come from that generator unchanged; the rest of
the tickets are generated in blocks of CHUNK with the same function and appended, then the
table is sorted by received_at (as an exchange loads it, and so DuckDB's zone maps can skip
blocks) and every ticket gets a unique id. The file is then registered as the demo source's
data (its parameters are written beside it), so the cockpit serves it without regenerating,
and its rollup tables are built (cockpit/rollups.py; also for a file generated before them),
so that no benchmark times their building.

    python -m bench.generate --tickets 10000000 --out instance/bench/demo-10000000.duckdb
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

CHUNK = 1_000_000


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def generate_big(
    path: Path,
    *,
    city: object,
    seed: int,
    tickets: int,
    start_year: int,
    end_date: dt.date,
    params: dict[str, str],
    progress: Callable[[str, float], None] = lambda stage, fraction: None,
) -> None:
    """Write a demo database with `tickets` tickets to `path`, a block at a time."""
    from data_sources.demo_data import generate, hotline_tickets, write_meta

    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.unlink(missing_ok=True)
    first = min(tickets, CHUNK)
    share = first / tickets

    def first_progress(stage: str, fraction: float) -> None:
        progress(stage, fraction * share * 0.9)

    generate(
        tmp,
        city=city,
        seed=seed,
        tickets=first,
        start_year=start_year,
        end_date=end_date,
        params=params,
        progress=first_progress,
    )
    counties = [c.code for c in city.counties]
    names = {c.code: c.name for c in city.counties}
    end = pd.Timestamp(end_date) - pd.Timedelta(minutes=1)
    con = duckdb.connect(str(tmp))
    try:
        con.execute("SET preserve_insertion_order = false")
        con.execute("SET memory_limit = '4GB'")  # a shared machine: spill to disk instead
        done = first
        block = 1
        while done < tickets:
            n = min(CHUNK, tickets - done)
            rng = np.random.default_rng([seed, block])  # each block its own reproducible stream
            frame = hotline_tickets(rng, counties, names, n, end)
            con.register("block_view", frame)
            con.execute("INSERT INTO hotline_tickets SELECT * FROM block_view")
            con.unregister("block_view")
            del frame
            done += n
            block += 1
            progress("12345 工单（分块）", 0.9 * done / tickets)
        progress("排序并编号", 0.92)
        # Ids: CZ + day received + a serial unique over the whole table (the blocks each
        # counted from zero).
        con.execute(
            "CREATE TABLE hotline_sorted AS SELECT * REPLACE ("
            "'CZ' || strftime(received_at, '%Y%m%d') || "
            "lpad(CAST(row_number() OVER (ORDER BY received_at, ticket_id) AS VARCHAR), 8, '0')"
            " AS ticket_id) FROM hotline_tickets ORDER BY received_at"
        )
        con.execute("DROP TABLE hotline_tickets")
        con.execute("ALTER TABLE hotline_sorted RENAME TO hotline_tickets")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    os.replace(tmp, path)
    write_meta(path, params)
    progress("完成", 1.0)


def prepare(tickets: int, db: Path, environ: dict[str, str]) -> Path:
    """The demo database for this many tickets at `db`, generated unless already there."""
    from cockpit.settings import load_settings
    from data_sources.demo import DemoSource
    from data_sources.demo_data import GENERATOR_VERSION, read_meta

    settings = load_settings(environ=environ | {"COCKPIT_SOURCES__DEMO__TICKETS": str(tickets)})
    source = DemoSource(
        "demo", settings.sources["demo"], city=settings.city, base_dir=settings.base_dir
    )
    wanted = source._params(GENERATOR_VERSION)  # what the cockpit checks before serving it
    if db.exists() and read_meta(db) == wanted:
        _say(f"  demo data for {tickets:,} tickets already there: {db}")
        _rollups(db, settings.city.former_codes)
        return db
    db.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    last = [0.0]

    def progress(stage: str, fraction: float) -> None:
        now = time.monotonic()
        if now - last[0] >= 2 or fraction >= 1:
            last[0] = now
            _say(
                f"  generating {tickets:,} tickets: {fraction:4.0%} {stage} ({now - started:.0f}s)"
            )

    config = settings.sources["demo"]
    generate_big(
        db,
        city=settings.city,
        seed=config.seed,
        tickets=tickets,
        start_year=config.start_year,
        end_date=config.end_date,
        params=wanted,
        progress=progress,
    )
    _say(f"  demo data ready in {time.monotonic() - started:.0f}s: {db}")
    _rollups(db, settings.city.former_codes)
    return db


def _rollups(db: Path, former_codes: dict[str, str]) -> None:
    """Build the rollup tables the cockpit answers from (as the demo source would on first use,
    but here, so that no benchmark times it)."""
    from data_sources.demo import ensure_rollups

    started = time.monotonic()
    if ensure_rollups(db, dict(former_codes)):
        _say(f"  rollups built in {time.monotonic() - started:.0f}s")


def main(argv: list[str] | None = None) -> int:
    """Generate a benchmark database from the command line."""
    from bench.run import ROOT, environ

    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__)
    parser.add_argument("--tickets", type=int, default=1_000_000, help="12345 tickets")
    parser.add_argument("--out", help="the DuckDB file (default instance/bench/demo-N.duckdb)")
    args = parser.parse_args(argv)
    if args.tickets < 1_000:
        parser.error("--tickets must be at least 1000")
    out = Path(args.out or ROOT / "instance" / "bench" / f"demo-{args.tickets}.duckdb")
    prepare(args.tickets, out.resolve(), environ(out.resolve(), out.parent / "cache"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
