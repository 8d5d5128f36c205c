"""The demo data, pinned: a digest of every generated table at fixed parameters and a fixed today.

The digests below were computed on the generator before it was split into the modules' domain
folders (#17) and must not move: moving code is not changing data. A deliberate change of the
data bumps GENERATOR_VERSION and recomputes them (run this file with DEMO_DIGEST_PRINT=1 to
see the new values).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sys
import types
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from cockpit.settings import DEFAULT_CONFIG_DIR, load_settings

SEED = 20261121
TICKETS = 12_000
BLOCK = 5_000  # three blocks: the block boundaries are part of what is pinned
START_YEAR = 2021
END = dt.date(2026, 11, 20)
TODAY = dt.date(2026, 12, 6)  # later than END: the roster's days drawn "ahead" are pinned too

# sha256 over each table's schema and the pandas hash of its rows, in the order they were written.
DIGESTS = {
    "contacts": "b5235a89e2a1c749e9aa60940d279b3eb2e713f226154be8330bbcc7d938396a",
    "demo_meta": "81c547e8f3faef11853c8561c002075c3b121813b29922e4ee8f3c427b65f295",
    "duty_roster": "06f63171b629bc159ed2c77b3ad53f992ef90c11e5d17834616d2c17d16874ca",
    "economy_indicator_values": "ac918a2a61f5d5e5dfd473e9d18cdaaa81a74f9924e3111fb4ea292dc9d92aad",
    "emergency_events": "1a16aaac3fd38c336e36accefce20b6140a53e90e33610d3f32b30737a64ad95",
    "emergency_resources": "4a1d3afc4cafbc73e691d68c7099bdb283695550515d1ed6656882a0435c7d41",
    "emergency_timeline": "1bbc8e1d18819ad90df0fb6903acd43ee68ab0ee4ea8b02a835a0cb489d1bada",
    "hotline_tickets": "b6f6e1a5eae4844d8d5e7d95ee759c585a0989782e83b01551e5b25a3485a73e",
    "key_work_milestones": "b4327772ec0dd2f8c70c796f8e6e06087936b509ffc9f46155b1c2989515ec97",
    "key_work_tasks": "7a26d63bf5257687fe040f07845da115b65325f8e59a4a1ad5573c62af372dbb",
    "risk_warnings": "05afe20ee968af5e5a7cb56d39068ac723f08c94de2f45816d9d914240c6465b",
}
# The rollups hold a random caller key: their row counts are pinned, not their rows.
ROLLUP_ROWS = {
    "_rollups": 10,
    "rollup__hotline_callers": 11579,
    "rollup__hotline_closed": 11846,
    "rollup__hotline_dispatched": 11839,
    "rollup__hotline_due": 11846,
    "rollup__hotline_freshness": 12,
    "rollup__hotline_handling": 11086,
    "rollup__hotline_hourly": 11407,
    "rollup__hotline_received": 11907,
    "rollup__hotline_repeat_callers": 795,
    "rollup__hotline_words": 92226,
}
META = {
    "city": "140400",
    "end_date": "2026-11-20",
    "generator_version": "11",
    "seed": "20261121",
    "start_year": "2021",
    "tickets": "12000",
}


def _without_domains(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """Run on a copy of config/ without the domains defined in config/domains/: the pins are
    the built-in modules' (test_the_configured_domains_add_tables_and_move_no_other shows the
    shipped domains add their own tables and change none of these)."""
    config = folder / "config"
    if not config.exists():
        shutil.copytree(DEFAULT_CONFIG_DIR, config, ignore=shutil.ignore_patterns("domains"))
    monkeypatch.setenv("COCKPIT_CONFIG_DIR", str(config))


def _generate(path: Path, monkeypatch: pytest.MonkeyPatch, domains: bool = False) -> Path:
    """The demo file the demo source generates at the pinned parameters, on the pinned today."""
    from cockpit import clock
    from cockpit.demo_data import demo_source

    if not domains:
        _without_domains(monkeypatch, path.parent)
    monkeypatch.setattr(clock, "today", lambda: TODAY)
    settings = load_settings(environ={})
    config = settings.sources["demo"].model_copy(
        update={
            "path": str(path),
            "seed": SEED,
            "tickets": TICKETS,
            "start_year": START_YEAR,
            "end_date": END,
        }
    )
    source = demo_source("demo", config, city=settings.city, base_dir=settings.base_dir)
    return source.ensure_generated(block_size=BLOCK)


def _digest(frame: pd.DataFrame, schema: list[tuple]) -> str:
    """sha256 of a table's schema (names, DuckDB types) and its rows' hashes in order."""
    h = hashlib.sha256(json.dumps(schema, ensure_ascii=False).encode())
    h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return h.hexdigest()


def _found(path: Path) -> dict[str, object]:
    """Digests, rollup row counts and meta of a generated file."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        con.execute("SET threads = 1")  # a plain scan in insertion order
        names = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        digests, rollup_rows = {}, {}
        for name in sorted(names):
            if name.startswith("rollup__") or name == "_rollups":
                rollup_rows[name] = con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
                continue
            schema = [tuple(map(str, r[:2])) for r in con.execute(f'DESCRIBE "{name}"').fetchall()]
            frame = con.execute(f'SELECT * FROM "{name}"').df()
            if name == "demo_meta":
                frame = frame[frame.key != "generated_at"].reset_index(drop=True)
            digests[name] = _digest(frame, schema)
    finally:
        con.close()
    meta = json.loads(path.with_name(path.name + ".meta.json").read_text(encoding="utf-8"))
    return {"digests": digests, "rollup_rows": rollup_rows, "meta": meta}


@pytest.fixture(scope="module")
def pinned(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Digests, rollup row counts and meta of one file generated at the pinned parameters."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        path = _generate(tmp_path_factory.mktemp("pinned") / "demo.duckdb", monkeypatch)
    found = _found(path)
    if os.environ.get("DEMO_DIGEST_PRINT"):
        print(json.dumps(found, indent=4, ensure_ascii=False))
    return found


def test_every_demo_table_is_the_pinned_one(pinned) -> None:
    """Same seed, size, block size, end date and today: every table, row for row, as pinned."""
    assert pinned["digests"] == DIGESTS


def test_the_rollups_have_the_pinned_row_counts(pinned) -> None:
    """The rollups built over the pinned rows have the pinned sizes."""
    assert pinned["rollup_rows"] == ROLLUP_ROWS


def test_the_meta_records_the_pinned_parameters(pinned) -> None:
    """The parameters recorded beside the file (generator version included) are the pinned ones."""
    assert pinned["meta"] == META


def _add_module(monkeypatch: pytest.MonkeyPatch, key: str, tables) -> None:
    """A throwaway module first in the registry, whose domain has a demo slice `tables`."""
    from cockpit import modules

    package = types.ModuleType(f"cockpit.domains.{key}")
    package.MODULE = modules.ModuleSpec(key, "安全生产", roles=frozenset())
    demo = types.ModuleType(f"cockpit.domains.{key}.demo")
    demo.tables = tables
    monkeypatch.setitem(sys.modules, package.__name__, package)
    monkeypatch.setitem(sys.modules, demo.__name__, demo)
    monkeypatch.setattr(modules, "MODULES", (key, *modules.MODULES))


def test_a_new_modules_slice_adds_its_table_and_moves_no_other(tmp_path, monkeypatch) -> None:
    """A module added to the registry (first, the worst place) with a demo slice drawing from
    a stream of its own: its table is in the file, and every other table is as pinned."""

    def tables(ctx):
        rng = ctx.stream("safety")
        return {
            "safety_inspections": pd.DataFrame(
                {"county_code": ctx.counties, "found": rng.integers(0, 9, len(ctx.counties))}
            )
        }

    _add_module(monkeypatch, "safety", tables)
    found = _found(_generate(tmp_path / "demo.duckdb", monkeypatch))
    digests = dict(found["digests"])
    con = duckdb.connect(str(tmp_path / "demo.duckdb"), read_only=True)
    try:
        rows = con.execute("SELECT count(*) FROM safety_inspections").fetchone()[0]
    finally:
        con.close()
    assert rows == len(load_settings(environ={}).city.counties)
    del digests["safety_inspections"]
    assert digests == DIGESTS


def test_two_modules_making_one_table_is_refused(tmp_path, monkeypatch) -> None:
    """A slice making a table another module's slice makes is an error, not a silent overwrite."""
    _add_module(monkeypatch, "safety", lambda ctx: {"risk_warnings": pd.DataFrame({"x": [1]})})
    with pytest.raises(ValueError, match="risk_warnings"):
        _generate(tmp_path / "demo.duckdb", monkeypatch)


def test_the_configured_domains_add_tables_and_move_no_other(tmp_path, monkeypatch) -> None:
    """With the domains shipped in config/domains/ (docs/domains.md): each adds its own tables
    (drawn from its own stream), and every built-in table is as pinned. Only the meta moves:
    the generator version carries a digest of the domains' files."""
    from cockpit.domains.configured import loader

    found = _found(_generate(tmp_path / "demo.duckdb", monkeypatch, domains=True))
    digests = dict(found["digests"])
    added = {n for n in digests if n not in DIGESTS}
    tables = {t.table or f"{d.key}_{t.key}" for d in loader.domains() for t in d.datasets}
    assert tables and added == tables
    for name in (*added, "demo_meta"):
        del digests[name]
    assert digests == {k: v for k, v in DIGESTS.items() if k != "demo_meta"}
    assert found["meta"]["generator_version"].startswith(META["generator_version"] + "+")
