"""The benchmarks' demo databases (1M, 10M, ... tickets), made by the one demo generator.

`python -m cockpit demo-data` (cockpit/demo_data.py) streams the tickets to disk a block
at a time and writes the parameters and rollup tables the cockpit checks; here it is called
through the demo source with the benchmark's settings, so that the cockpit serves the file
without regenerating it and no benchmark times the building of rollups.

    python -m bench.generate --tickets 10000000 --out instance/bench/demo-10000000.duckdb
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def prepare(tickets: int, db: Path, environ: dict[str, str]) -> Path:
    """The demo database for this many tickets at `db`, generated unless already there."""
    from cockpit.demo_data import demo_source, ensure_rollups
    from cockpit.settings import load_settings

    settings = load_settings(environ=environ | {"COCKPIT_SOURCES__DEMO__TICKETS": str(tickets)})
    source = demo_source(
        "demo", settings.sources["demo"], city=settings.city, base_dir=settings.base_dir
    )
    assert source.path == db, f"the settings point the demo source at {source.path}, not {db}"
    started = time.monotonic()
    last = [0.0]

    def progress(stage: str, fraction: float) -> None:
        now = time.monotonic()
        if now - last[0] >= 2 or fraction >= 1:
            last[0] = now
            _say(
                f"  generating {tickets:,} tickets: {fraction:4.0%} {stage} ({now - started:.0f}s)"
            )

    source.ensure_generated(progress=progress)  # nothing to do when the file is current
    # A file made before its rollups were: build them here, not in a timed benchmark.
    if ensure_rollups(db, dict(settings.city.former_codes)):
        _say(f"  rollups built in {time.monotonic() - started:.0f}s")
    _say(f"  demo data for {tickets:,} tickets ready: {db}")
    return db


def main(argv: list[str] | None = None) -> int:
    """Generate a benchmark database from the command line."""
    from bench.run import ROOT, environ

    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__)
    parser.add_argument("--tickets", type=int, default=1_000_000, help="12345 tickets")
    parser.add_argument("--out", help="the DuckDB file (default instance/bench/demo-N.duckdb)")
    args = parser.parse_args(argv)
    if args.tickets < 1_000:
        parser.error("--tickets must be at least 1000")
    out = Path(args.out or ROOT / "instance" / "bench" / f"demo-{args.tickets}.duckdb").resolve()
    prepare(args.tickets, out, environ(out, out.parent / "cache"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
