"""#22 item 3: the personal panels (本周热点, 重复来电) from their rollups and from the rows,
each as a ratio to the raw GROUP BY, in one run, taking turns.

    python -m bench.personal DB --tickets N     # DB as made by python -m bench.generate

The raw GROUP BY (month x county x category) runs in a process of its own (bench.raw_baseline,
the fastest form DuckDB allows, a warm connection). The panels are built in this process by
their builders (panels/hotline/callbacks.py) with no shared cache, once from the rollups and
once from the rows (the rollup path turned off), city-wide and for one county. Medians of
--runs turns; the first turn of each warms up (segmenter loaded, connection open).
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from unittest import mock


def main(argv: list[str] | None = None) -> int:
    """Print the medians and ratios (stdout), progress on stderr."""
    from bench.run import environ
    from cockpit.domains.hotline import data
    from cockpit.factory import create_app
    from cockpit.scope import CITY_LEADER
    from cockpit.settings import load_settings
    from panels.hotline import callbacks as cb

    parser = argparse.ArgumentParser(prog="python -m bench.personal", description=__doc__)
    parser.add_argument("db")
    parser.add_argument("--tickets", type=int, required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--period", default="2026-10")
    parser.add_argument("--county", default="140403")
    args = parser.parse_args(argv)
    db = Path(args.db).resolve()
    work = Path(tempfile.mkdtemp(prefix="bench-personal-"))
    env = environ(db, work / "cache") | {
        "COCKPIT_SOURCES__DEMO__TICKETS": str(args.tickets),
        "COCKPIT_SECRET_KEY": os.environ.get("COCKPIT_SECRET_KEY") or secrets.token_hex(32),
        "COCKPIT_CACHE__TYPE": "null",  # every view cold
        "COCKPIT_STORE__URL": f"sqlite:///{work / 'store.db'}",
    }
    app = create_app(load_settings(environ=env), principal_provider=lambda: CITY_LEADER)
    hub = app.server.extensions["cockpit_hub"]
    raw = subprocess.Popen(
        [sys.executable, "-m", "bench.raw_baseline", str(db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    print(f"baseline: {raw.stdout.readline().strip()}", file=sys.stderr)

    def baseline() -> float:
        raw.stdin.write("run\n")
        raw.stdin.flush()
        return float(raw.stdout.readline())

    def timed(build: Callable[[], object], off: str | None = None) -> float:
        with app.server.test_request_context("/"):
            patch = mock.patch.object(data, off, lambda *a, **k: None) if off else mock.MagicMock()
            with patch:
                started = time.perf_counter()
                build()
                return time.perf_counter() - started

    sides: dict[str, Callable[[], float]] = {"raw GROUP BY": baseline}
    for place, county in (("全市", None), (args.county, args.county)):
        for panel, builder, off in (
            ("重复来电", cb.repeat_section, "repeat_callers_rollup"),
            ("本周热点", cb.hot_section, "word_counts"),
        ):

            def run(b=builder, c=county) -> object:
                return b(hub, args.period, c)

            sides[f"{panel} {place} rollup"] = lambda r=run: timed(r)
            sides[f"{panel} {place} rows"] = lambda r=run, o=off: timed(r, o)
    # The callers' query alone (the panel also counts its 重复诉求率, a KPI query of its own).
    from cockpit.domains.hotline.config import module_config
    from cockpit.domains.hotline.transform import period_windows

    with app.server.test_request_context("/"):
        window = period_windows(args.period, data.now_of(hub))["current"]
        config = module_config(hub)
    limit = config.lists.repeat_rows * cb.REPEAT_GROUPS_PER_ROW
    sides["来电人分组查询 全市 rollup"] = lambda: timed(
        lambda: data.repeat_callers_rollup(hub, window, None, limit)
    )
    sides["来电人分组查询 全市 rows"] = lambda: timed(
        lambda: data.repeat_groups(hub, config, window, None, limit)
    )
    times: dict[str, list[float]] = {name: [] for name in sides}
    for turn in range(args.runs + 1):
        for name, side in sides.items():
            seconds = side()
            if turn:
                times[name].append(seconds)
        print(f"turn {turn} done", file=sys.stderr)
    raw.stdin.close()
    raw.wait()
    base = statistics.median(times["raw GROUP BY"])
    print(f"{args.tickets:,} tickets, {args.period}, medians of {args.runs} turns")
    print(f"{'side':<28} {'median ms':>10} {'× raw GROUP BY':>15}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:<28} {median * 1000:>10.1f} {median / base:>15.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
