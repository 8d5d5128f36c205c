"""B6's count of source queries: each query a source answers, one line in a shared log.

With BENCH_QUERY_LOG set, bench/bench_app.py wraps every source in `Logged`, which appends
(worker pid, dataset, query key, kind) per query, so that B6 can count, across workers, how
often each cacheable query ran (single flight: once per key per cache expiry). Queries that
are never cached by design are logged as "private" and counted apart.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from cockpit import rollups
from cockpit.hub import _touches_private

# The personal rollups' tables: the hub asks them through query_rollup, per caller and never
# cached, though they hold no private column (keyed hashes, masked numbers, word counts).
_PERSONAL_TABLES = {rollups.PREFIX + name for name in rollups.PERSONAL}


def kind_of(dataset: Any, query: Any) -> str:
    """ "private" for an answer the hub never caches by design, else "cached"."""
    personal = dataset.table in _PERSONAL_TABLES or _touches_private(dataset, query)
    return "private" if personal else "cached"


class Logged:
    """A source that appends each query it answers to the log, then answers it."""

    def __init__(self, inner: Any, log_path: str | Path) -> None:
        self._inner = inner
        self._log = str(log_path)

    def fetch(self, dataset: Any, query: Any) -> Any:
        """Log, then fetch."""
        key = hashlib.sha256(
            json.dumps([dataset.name, query.normalized()], default=str, sort_keys=True).encode()
        ).hexdigest()[:16]
        with open(self._log, "a", encoding="utf-8") as out:  # O_APPEND: whole lines
            out.write(f"{os.getpid()} {dataset.name} {key} {kind_of(dataset, query)}\n")
        return self._inner.fetch(dataset, query)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def counts(log_path: Path) -> tuple[dict[str, int], int]:
    """(runs per cacheable query key, number of never-cached queries) from a log."""
    lines = log_path.read_text(encoding="utf-8").split("\n") if log_path.exists() else []
    runs: dict[str, int] = {}
    private = 0
    for line in lines:
        if line.strip():
            _, dataset, key, kind = line.split()
            if kind == "private":  # never cached by design: asked each time
                private += 1
                continue
            runs[f"{dataset} {key}"] = runs.get(f"{dataset} {key}", 0) + 1
    return runs, private
