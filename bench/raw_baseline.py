"""The B1 baseline in a process of its own: one hand-written DuckDB GROUP BY, run on demand.

    python -m bench.raw_baseline DB

Opens DB (DuckDB's defaults, read-only), picks the fastest way DuckDB allows to write the
GROUP BY month x county x category over the raw tickets (each candidate below is timed,
taking turns, and must return the same groups and counts), prints "ready <form> <name>=<median s> ...", then for
every line "run" on stdin runs the chosen form and prints its seconds. An honest baseline is
the fastest one (#22: strftime alone was 2.26x slower than date_trunc on the same file).
A process of its own, so that the baseline and the cockpit can hold the same file open at
once (DuckDB refuses two configurations of one file in one process) and their runs can
take turns: on a shared machine, alternating runs see the same noise.
"""

from __future__ import annotations

import argparse
import sys
import time

# Ways to bucket the month; the fastest on this file and machine is the baseline.
CANDIDATES = {
    "date_trunc": (
        "SELECT date_trunc('month', received_at) m, county_code, category_l2, count(*) "
        "FROM hotline_tickets GROUP BY ALL"
    ),
    "year_month": (
        "SELECT year(received_at) y, month(received_at) m, county_code, category_l2, count(*) "
        "FROM hotline_tickets GROUP BY ALL"
    ),
    "time_bucket": (
        "SELECT time_bucket(INTERVAL 1 MONTH, received_at) m, county_code, category_l2, "
        "count(*) FROM hotline_tickets GROUP BY ALL"
    ),
    "strftime": (
        "SELECT strftime(received_at, '%Y-%m') m, county_code, category_l2, count(*) "
        "FROM hotline_tickets GROUP BY ALL"
    ),
}
TRIALS = 3


def _counts(rows: list[tuple]) -> list[tuple]:
    """The groups' keys (month as YYYY-MM) and counts, sorted, to compare the candidates."""
    out = []
    for row in rows:
        *key, count = row
        month = f"{key[0]:04d}-{key[1]:02d}" if len(key) == 4 else str(key[0])[:7]
        out.append((month, *key[-2:], count))
    return sorted(out, key=str)


def pick_fastest(con) -> tuple[str, dict[str, float]]:
    """The fastest candidate (median of TRIALS, taking turns) and every candidate's median."""
    times: dict[str, list[float]] = {name: [] for name in CANDIDATES}
    expected = None
    for _ in range(TRIALS):
        for name, sql in CANDIDATES.items():
            started = time.perf_counter()
            rows = con.execute(sql).fetchall()
            times[name].append(time.perf_counter() - started)
            counts = _counts(rows)
            if expected is None:
                expected = counts
            elif counts != expected:
                raise SystemExit(f"baseline form {name} disagrees with the others")
    medians = {name: sorted(ts)[len(ts) // 2] for name, ts in times.items()}
    return min(medians, key=medians.get), medians


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
    form, medians = pick_fastest(con)
    print(
        "baseline forms (median s): "
        + ", ".join(
            f"{name} {sec:.4f}" for name, sec in sorted(medians.items(), key=lambda kv: kv[1])
        ),
        file=sys.stderr,
        flush=True,
    )
    # Every form's median after the chosen one, so the bench can report what the choice is worth.
    timings = " ".join(f"{name}={sec:.6f}" for name, sec in medians.items())
    print(f"ready {form} {timings}", flush=True)
    for line in sys.stdin:
        if line.strip() != "run":
            print(f"error: unknown command {line.strip()!r} (only 'run')", flush=True)
            continue
        started = time.perf_counter()
        con.execute(CANDIDATES[form]).fetchall()
        print(f"{time.perf_counter() - started:.6f}", flush=True)
    con.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
