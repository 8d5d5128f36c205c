"""The demo data: every module's slice put together into one embedded DuckDB file, and what the
demo adapter (data_sources/demo.py) is lent to make and serve that file.

A module's slice is cockpit/domains/<module>/demo.py, whose `tables(ctx)` returns its tables
by name (a frame, or a kit.Streamed for one too large to hold); the slices are found by module
key, in the registry's order (cockpit/panels.py). What they share is in cockpit/demo_kit.py.

Everything is synthetic except the city's published annual figures (the economy's slice says
which). Same seed, size, end date and today -> the same data, row for row
(tests/unit/test_demo_digest.py pins it).

Run it by hand with `python -m cockpit demo-data --help`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from cockpit import clock, rollups
from cockpit.demo_kit import TICKET_BLOCK, DemoContext, Progress, Table, county_shapes, write_tables
from data_sources.demo import DemoConfig, DemoServices, DemoSource

log = logging.getLogger(__name__)

GENERATOR_VERSION = "11"  # 11: tickets streamed in blocks; repeat callers in episodes (#22)
DEMO_LABEL = "演示数据"

Slice = Callable[[DemoContext], dict[str, Table]]


def slices() -> list[tuple[str, str, Slice]]:
    """Every module's demo slice in the registry's order: (key, title, its `tables`)."""
    from cockpit import modules  # read when called: a test may add a module to the registry

    found = []
    for key in modules.module_keys():
        title = modules.module(key).title
        if modules.configured(key):  # config/domains/<key>.yaml: drawn from its declaration
            from cockpit.domains.configured import demo, loader

            found.append((key, title, demo.slice_of(loader.domain(key))))
            continue
        name = f"cockpit.domains.{key}.demo"
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name in (name, f"cockpit.domains.{key}"):
                continue  # a module without demo data of its own (the overview, admin, ...)
            raise
        found.append((key, title, module.tables))
    return found


def generate(
    path: Path,
    *,
    city: Any,
    seed: int,
    tickets: int,
    start_year: int,
    end_date: dt.date,
    today: dt.date | None = None,
    params: dict[str, str] | None = None,
    progress: Progress | None = None,
    block_size: int = TICKET_BLOCK,
) -> dict[str, int]:
    """Write every module's demo tables into a new DuckDB file at `path`; return row counts by
    table. `today` (default: the city's) only extends the duty roster to a week past it."""
    report = progress or (lambda stage, fraction: None)
    counties = [c.code for c in city.counties]
    ctx = DemoContext(
        seed=seed,
        rng=np.random.default_rng(seed),
        city_code=city.code,
        counties=counties,
        names={c.code: c.name for c in city.counties},
        shapes=county_shapes(city, counties),
        start_year=start_year,
        end_date=end_date,
        end=pd.Timestamp(end_date) - pd.Timedelta(minutes=1),
        today=today or clock.today(),
        tickets=tickets,
        block_size=block_size,
        townships=_township_codes(city),
    )
    tables: dict[str, Table] = {}
    found = slices()
    for i, (key, title, make) in enumerate(found):
        report(title, 0.05 * i / len(found))
        for name, table in make(ctx).items():
            if name in tables:
                raise ValueError(f"demo table {name} is made twice (again by module {key})")
            tables[name] = table
    meta = dict(params or {})
    meta.update(
        {
            "label": DEMO_LABEL,
            "generated_at": dt.datetime.now().isoformat(timespec="seconds"),
            "data_end": ctx.end.isoformat(),
        }
    )
    counts = write_tables(path, tables, meta, report)
    report("写入完成", 0.98)  # the caller's rollups and meta follow
    return counts


def _township_codes(city: Any) -> dict[tuple[str, str], str]:
    """(county, township name) -> code from the city's township file, if it names one."""
    path = city.township_path() if hasattr(city, "township_path") else None
    if path is None:
        return {}
    from cockpit.townships import read_townships

    return {(t.county, t.name): t.code for t in read_townships(str(path))}


# -- rollups of the demo file --------------------------------------------------------------------
def ensure_rollups(path: Path, county_map: dict[str, str] | None = None) -> bool:
    """Build the demo tables' rollups into the file unless they match its rows; True if built.

    A file beside it records the file's size and time once they match, so a worker starting on
    an unchanged file does not read the rows again to know it. The caller holds the file lock.
    """
    import duckdb

    marker = path.with_suffix(".rollups.json")
    every = (*rollups.ROLLUPS.values(), *rollups.PERSONAL.values())
    definitions = sorted(rollups.definition_hash(r) for r in every)
    county_map = dict(sorted((county_map or {}).items()))

    def stamp() -> dict[str, object]:
        stat = path.stat()
        return {
            "mtime_ns": stat.st_mtime_ns,
            "size": stat.st_size,
            "definitions": definitions,
            "county_map": county_map,
        }

    try:
        if json.loads(marker.read_text(encoding="utf-8")) == stamp():
            return False
    except (OSError, ValueError):
        pass
    built = False
    con = duckdb.connect(str(path))
    try:
        con.execute("SET enable_progress_bar = false")
        # Aggregates spill to disk beyond this: 10M tickets' rollups stay within about 1 GB.
        con.execute("SET memory_limit = '512MB'")
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        for dataset in sorted({r.dataset for r in rollups.ROLLUPS.values()}):
            table = dataset.replace(".", "_")  # the generator's table of the dataset
            if table in tables:
                log.info("building rollups of %s in %s", dataset, path)
                built |= rollups.ensure(con, dataset, table, county_map)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    marker.write_text(json.dumps(stamp()), encoding="utf-8")
    return built


def read_rollups(conn: sa.Connection, dataset: str) -> list[rollups.Built]:
    """The dataset's rollup tables recorded in the file a connection reads."""
    rows = conn.execute(sa.text(rollups.READ_META_SQL)).fetchall()
    return rollups.read_built(rows, dataset)


# -- what the demo adapter is lent ---------------------------------------------------------------
def generator_version() -> str:
    """GENERATOR_VERSION, and a digest of the domains defined in config/domains/ when there are
    some: editing one of them changes its demo tables, so the file is made again."""
    from cockpit.domains.configured import loader

    domains = loader.domains()
    if not domains:
        return GENERATOR_VERSION
    text = json.dumps([d.model_dump(mode="json") for d in domains], sort_keys=True)
    return f"{GENERATOR_VERSION}+{hashlib.sha256(text.encode()).hexdigest()[:8]}"


def services() -> DemoServices:
    """The frame's part of the demo adapter: the city's today, this generator, the rollups."""
    return DemoServices(
        today=clock.today,
        generator_version=generator_version(),
        generate=generate,
        ensure_rollups=ensure_rollups,
        read_rollups=read_rollups,
    )


def demo_source(name: str, config: DemoConfig, *, city: Any, base_dir: Path) -> DemoSource:
    """A demo source lent the frame's services (the CLI, benchmarks and tests build it so)."""
    return DemoSource(name, config, city=city, base_dir=base_dir, services=services())
