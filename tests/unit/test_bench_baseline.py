"""The B1 baseline (bench/raw_baseline.py): the fastest correct form of the raw GROUP BY."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb

from bench import raw_baseline

ROOT = Path(__file__).resolve().parents[2]


def _tickets(path: Path) -> None:
    con = duckdb.connect(str(path))
    con.execute(
        "CREATE TABLE hotline_tickets AS SELECT "
        "TIMESTAMP '2026-01-01' + to_minutes(i * 37) received_at, "
        "'1404' || lpad(((i % 12) + 1)::VARCHAR, 2, '0') county_code, "
        "'c' || (i % 7)::VARCHAR category_l2 FROM range(20000) t(i)"
    )
    con.close()


def test_every_form_returns_the_same_groups_and_the_fastest_is_chosen(tmp_path: Path) -> None:
    db = tmp_path / "t.duckdb"
    _tickets(db)
    con = duckdb.connect(str(db), read_only=True)
    results = {
        name: raw_baseline._counts(con.execute(sql).fetchall())
        for name, sql in raw_baseline.CANDIDATES.items()
    }
    assert len({str(r) for r in results.values()}) == 1
    assert sum(row[-1] for row in results["strftime"]) == 20000
    form, medians = raw_baseline.pick_fastest(con)
    assert set(medians) == set(raw_baseline.CANDIDATES)
    assert medians[form] == min(medians.values())
    con.close()


def test_the_baseline_process_names_its_form_and_times_runs(tmp_path: Path) -> None:
    db = tmp_path / "t.duckdb"
    _tickets(db)
    done = subprocess.run(
        [sys.executable, "-m", "bench.raw_baseline", str(db)],
        input="run\nrun\nnonsense\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    lines = done.stdout.splitlines()
    assert lines[0].split()[0] == "ready" and lines[0].split()[1] in raw_baseline.CANDIDATES
    assert all(float(x) >= 0 for x in lines[1:3])
    assert "unknown command" in lines[3]
    assert "baseline forms (median s):" in done.stderr
