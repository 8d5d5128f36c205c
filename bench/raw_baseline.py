"""The B1 baseline in a process of its own: one hand-written DuckDB GROUP BY, run on demand.

    python -m bench.raw_baseline DB

Opens DB (DuckDB's defaults, read-only), prints "ready", then for every line "run" on stdin
runs the GROUP BY month x county x category over the raw tickets and prints its seconds.
A process of its own, so that the baseline and the cockpit can hold the same file open at
once (DuckDB refuses two configurations of one file in one process) and their runs can
take turns: on a shared machine, alternating runs see the same noise.
"""

from __future__ import annotations

import argparse
import sys
import time

RAW_GROUP_BY = (
    "SELECT strftime(received_at, '%Y-%m') m, county_code, category_l2, count(*) "
    "FROM hotline_tickets GROUP BY ALL"
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("db", help="the DuckDB file with hotline_tickets")
    args = parser.parse_args(argv)
    import duckdb

    try:
        con = duckdb.connect(args.db, read_only=True)
    except duckdb.Error as exc:
        print(f"error: cannot open {args.db}: {exc}", file=sys.stderr)
        return 2
    print("ready", flush=True)
    for line in sys.stdin:
        if line.strip() != "run":
            print(f"error: unknown command {line.strip()!r} (only 'run')", flush=True)
            continue
        started = time.perf_counter()
        con.execute(RAW_GROUP_BY).fetchall()
        print(f"{time.perf_counter() - started:.6f}", flush=True)
    con.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
