"""The one demo-data generator (#22 item 8): `python -m cockpit demo-data --tickets N` streams
the tickets to disk block by block, writes the meta and rollups the app checks (so the app
serves the file without regenerating it), shows its progress, and gives callers a realistic
distribution at any size. Small sizes in several blocks stand in for the 10M file.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from cockpit.__main__ import main
from cockpit.demo_data import demo_source, ensure_rollups
from cockpit.settings import load_settings
from tests.conftest import DEMO_END, demo_environ

TICKETS = 30_000
BLOCK = 10_000  # three blocks


def _command(path: Path, *extra: str) -> int:
    """Run the demo-data command as a user would, for a file at `path`."""
    return main(
        [
            "demo-data",
            "--out",
            str(path),
            "--tickets",
            str(TICKETS),
            "--block-size",
            str(BLOCK),
            "--end-date",
            DEMO_END.isoformat(),
            *extra,
        ]
    )


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A 30k-ticket file made by the command in three blocks, and what it printed on stderr."""
    import contextlib
    import io

    path = tmp_path_factory.mktemp("made") / "demo.duckdb"
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert _command(path) == 0
    return path, err.getvalue()


def _tickets(path: Path) -> pd.DataFrame:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(
            "SELECT ticket_id, received_at, category_l2, citizen_phone FROM hotline_tickets"
        ).df()
    finally:
        con.close()


def test_the_app_serves_the_commands_file_without_regenerating_it(made, tmp_path):
    """The command writes the parameters and rollups the demo source checks: an app configured
    for the same size finds the file current (not rewritten) and its rollups built."""
    path, _ = made
    before = path.stat().st_mtime_ns
    settings = load_settings(environ=demo_environ(path, tmp_path / "cache"))
    assert settings.sources["demo"].tickets == TICKETS
    source = demo_source(
        "demo", settings.sources["demo"], city=settings.city, base_dir=settings.base_dir
    )
    assert source.ensure_generated() == path
    assert path.stat().st_mtime_ns == before, "the app regenerated the command's file"
    assert not ensure_rollups(path, dict(settings.city.former_codes)), "rollups were missing"
    tickets = _tickets(path)
    assert len(tickets) == TICKETS
    assert tickets.ticket_id.is_unique
    # Streamed in day order: the table reads in time order across the blocks.
    assert tickets.received_at.dt.normalize().is_monotonic_increasing


def test_progress_lines_appear_on_stderr(made):
    """The command says what it is doing, block by block, and when it is done."""
    _, err = made
    assert "12345 工单" in err
    assert err.count("12345 工单") >= 3  # one line at least per block
    assert "100%" in err


def test_most_callers_call_once_and_no_number_is_shared_by_many(made):
    """Most callers ring once; a tail rings again, several times; the busiest caller makes a
    tiny share of all tickets (the 10M file had one number on 607,676 tickets)."""
    path, _ = made
    calls = _tickets(path).citizen_phone.value_counts()
    assert (calls == 1).mean() > 0.8
    assert (calls >= 2).sum() > 200  # repeat callers exist
    assert calls.max() >= 5  # and some ring many times
    assert calls.max() < 0.001 * TICKETS


def test_a_repeat_caller_rings_about_one_kind_of_problem_within_weeks(made):
    """A repeat caller rings again about their own problem, not over three years at random."""
    tickets = _tickets(made[0])
    repeat = tickets[tickets.citizen_phone.duplicated(keep=False)]
    kinds = repeat.groupby("citizen_phone").category_l2.nunique()
    assert (kinds == 1).mean() > 0.95
    span = repeat.groupby("citizen_phone").received_at.agg(lambda s: s.max() - s.min())
    assert span.median() < pd.Timedelta(days=60)


def test_distinct_callers_grow_with_the_size_and_blocks_repeat_nobody(tmp_path):
    """Twice the tickets, about twice the callers: no block reuses another block's numbers
    (10M tickets had 1.0M distinct phones, the same million in every 1M block)."""
    from cockpit.domains.hotline.demo import ticket_blocks

    settings = load_settings()
    counties = [c.code for c in settings.city.counties]
    names = {c.code: c.name for c in settings.city.counties}
    end = pd.Timestamp(DEMO_END) - pd.Timedelta(minutes=1)

    def phones(n: int) -> pd.Series:
        blocks = ticket_blocks(7, counties, names, n, end, block_size=BLOCK)
        return pd.concat([b.citizen_phone for b in blocks], ignore_index=True)

    small, large = phones(20_000), phones(60_000)
    assert large.nunique() > 2.6 * small.nunique()
    assert large.value_counts().max() < 0.001 * 60_000
    pd.testing.assert_series_equal(phones(20_000), small)  # reproducible for a seed


def test_help_says_how_the_app_serves_the_file(capsys):
    """--help names the size, the block size and the setting the app checks."""
    with pytest.raises(SystemExit) as exit_:
        main(["demo-data", "--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    assert "--tickets" in text and "--block-size" in text
    assert "COCKPIT_SOURCES__DEMO__TICKETS" in text


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0", "at least 1000"), ("-5", "at least 1000"), ("abc", "invalid"), ("60000000", "at most")],
)
def test_a_bad_ticket_count_is_refused_with_one_clear_line(value, expected, capsys, tmp_path):
    """A bad N stops before anything is written, saying what is allowed."""
    out = tmp_path / "bad.duckdb"
    with pytest.raises(SystemExit) as exit_:
        main(["demo-data", "--out", str(out), "--tickets", value])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "--tickets" in err and expected in err
    assert not out.exists()


def test_an_existing_file_is_kept_unless_forced(made, capsys):
    """Without --force the command refuses to replace a file, and says how."""
    path, _ = made
    before = path.stat().st_mtime_ns
    assert _command(path) == 2
    assert "--force" in capsys.readouterr().err
    assert path.stat().st_mtime_ns == before
