"""The cockpit as gunicorn serves it, plus what the benchmarks need to see inside it.

- GET /bench/prebuilt: a callback-sized answer built in advance (B2's baseline), outside the
  gate (no session needed: the floor under any answer);
- GET /bench/gated: the same answer behind the gate (B2 signed in: the session check's cost);
- with BENCH_LOGIN set, the real gate: every other request needs a session from the login
  form (B2 signed in, B7); without it the city leader is served without a login;
- with BENCH_QUERY_LOG set, every source query is appended to that file as one line
  (bench/query_log.py), so B6 can count how often each query ran across workers.
"""

import os

from flask import jsonify

from bench.query_log import Logged
from cockpit.factory import create_app
from cockpit.scope import CITY_LEADER
from cockpit.security import gate

if os.environ.get("BENCH_LOGIN"):
    # As in production: the session cookie is looked up on every request (#22 item 7).
    app = create_app()
else:
    # Served as the city leader without a login: B1-B6 measure serving, not signing in
    # (as tests/apps.py does for tests; create_app's principal_provider is for code, not config).
    app = create_app(principal_provider=lambda: CITY_LEADER)
server = app.server
# The baseline and the readiness probe need no session (the gate reads this set per request).
gate.PUBLIC_PATHS = gate.PUBLIC_PATHS | {"/bench/prebuilt"}
PREBUILT = {"response": {"bench": {"children": "ok"}}, "multi": True}


@server.route("/bench/prebuilt")
def prebuilt():
    """A callback-sized answer built in advance: the floor under any cached callback."""
    return jsonify(PREBUILT)


@server.route("/bench/gated")
def gated():
    """The same answer behind the gate: with BENCH_LOGIN, what the session check alone costs."""
    return jsonify(PREBUILT)


if os.environ.get("BENCH_QUERY_LOG"):
    _hub = server.extensions["cockpit_hub"]
    _hub.sources = {n: Logged(s, os.environ["BENCH_QUERY_LOG"]) for n, s in _hub.sources.items()}


if os.environ.get("BENCH_TRACEMALLOC"):
    # B5's investigation: which lines of Python hold the worker's memory (tracemalloc sees
    # Python and numpy/pandas allocations, not DuckDB's own buffers). Bench-only, opt-in.
    import gc
    import tracemalloc

    tracemalloc.start(int(os.environ["BENCH_TRACEMALLOC"]))
    gate.PUBLIC_PATHS = gate.PUBLIC_PATHS | {"/bench/memory"}

    @server.route("/bench/memory")
    def memory():
        """The largest holders of Python memory in this worker, by traceback."""
        gc.collect()
        snapshot = tracemalloc.take_snapshot().filter_traces(
            [tracemalloc.Filter(False, tracemalloc.__file__)]
        )
        current, peak = tracemalloc.get_traced_memory()
        with open(f"/proc/{os.getpid()}/status") as status:
            vm = [line.strip() for line in status if line.startswith(("VmRSS", "VmHWM"))]
        top = [
            {
                "mb": round(stat.size / 2**20, 2),
                "blocks": stat.count,
                "where": [
                    f"{f.filename.split('site-packages/')[-1]}:{f.lineno}" for f in stat.traceback
                ],
            }
            for stat in snapshot.statistics("traceback")[:40]
        ]
        return jsonify(
            pid=os.getpid(),
            traced_mb=round(current / 2**20, 1),
            traced_peak_mb=round(peak / 2**20, 1),
            proc=vm,
            top=top,
        )
