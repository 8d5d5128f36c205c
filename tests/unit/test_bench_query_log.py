"""B6's count of source queries tells never-cached questions from cacheable ones.

B6 at 10M reported 4 query keys run up to 100 times under a rush, read as single flight
failing. They were /hotline's personal panels (hot-topic words, repeat callers), which the
hub asks of their rollups through `query_rollup` and never caches by design; the log called
them cacheable because the rollup tables hold no private column.
"""

from __future__ import annotations

from bench.query_log import Logged, counts
from panels.hotline import callbacks as h


def test_a_page_opened_twice_runs_no_cacheable_query_twice(hub, tmp_path):
    log = tmp_path / "queries.log"
    hub.sources = {name: Logged(source, log) for name, source in hub.sources.items()}
    for _ in range(2):  # the second visit is answered from the cache, personal panels aside
        h.kpi_section(hub, "2026-10", "140403")
        h.hot_section(hub, "2026-10", "140403")
        h.repeat_section(hub, "2026-10", "140403")
    runs, private = counts(log)
    assert runs, "the first visit asks the source"
    assert {key: n for key, n in runs.items() if n > 1} == {}
    assert private >= 2 * 3  # words (this week, the weeks before) and callers, each visit
