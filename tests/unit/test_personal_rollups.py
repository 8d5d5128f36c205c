"""#22 item 3: the repeat-caller panel is an aggregate too, read from a rollup kept at build time.

On the demo file (its rollups built as the app builds them), opening 重复来电 asks no question
of the raw ticket table, gives exactly what the raw GROUP BY gave, and the rollup keeps no
phone number or name: only a keyed hash of the number and the masked forms the screen shows.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pandas as pd
import pytest
from plotly.utils import PlotlyJSONEncoder

from cockpit import rollups
from cockpit.domains.hotline import data, hot_words
from cockpit.rollups import PREFIX
from cockpit.scope import Principal
from cockpit.settings import load_settings
from panels.hotline import callbacks as cb
from tests.apps import app_as, close_app
from tests.conftest import demo_environ
from tests.unit.test_sync import origin, synced_app  # noqa: F401 - fixtures of sync mode

TABLE = load_settings().datasets["hotline.tickets"].table


@pytest.fixture(scope="module")
def app(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One app on the demo file, its sources closed afterwards."""
    cache = tmp_path_factory.mktemp("personal-cache")
    application = app_as(load_settings(environ=demo_environ(demo_db, cache)))
    yield application
    for source in application.server.extensions["cockpit_hub"].sources.values():
        source.close()


@pytest.fixture
def hub(app: Any) -> Iterator[Any]:
    """The app's hub inside a request, as a callback sees it."""
    with app.server.test_request_context("/"):
        yield app.server.extensions["cockpit_hub"]


@pytest.fixture
def asked(hub: Any, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any]]:
    """Every (table, query) the demo source is asked, rollup tables and raw rows alike."""
    source = hub.sources["demo"]
    seen: list[tuple[str, Any]] = []
    fetch, joined = source.fetch, source.fetch_joined

    def spy_fetch(dataset, query):
        seen.append((dataset.table, query))
        return fetch(dataset, query)

    def spy_joined(parts, keys):
        seen.extend((d.table, q) for d, q in parts)
        return joined(parts, keys)

    monkeypatch.setattr(source, "fetch", spy_fetch)
    monkeypatch.setattr(source, "fetch_joined", spy_joined)
    return seen


@pytest.mark.parametrize("county", [None, "140403"])
def test_repeat_callers_read_no_ticket_rows(hub, asked, county) -> None:
    """Opening 重复来电 (city-wide and for a county) asks nothing of the raw ticket table."""
    cb.repeat_section(hub, "2026-10", county)
    raw = [q for table, q in asked if table.rpartition(".")[2] == TABLE]
    assert asked and not raw, raw


def _shown(body: Any) -> str:
    """The panel as the browser receives it, the twins' short codes made alike (the rollup's
    are keyed by the key beside the store, the rows' by the app's secret)."""
    text = json.dumps(body, cls=PlotlyJSONEncoder, ensure_ascii=False)
    return re.sub(r" #[0-9A-F]{4}", " #CODE", text)


def _both_ways(hub: Any, monkeypatch: pytest.MonkeyPatch, period: str, county: str | None):
    """The repeat panel from the rollup, then from the raw rows (the rollup path turned off)."""
    body, text, _ = cb.repeat_section(hub, period, county)
    with monkeypatch.context() as m:
        m.setattr(data, "repeat_callers_rollup", lambda *args, **kwargs: None)
        raw_body, raw_text, _ = cb.repeat_section(hub, period, county)
    return (_shown(body), text), (_shown(raw_body), raw_text)


# Windows with repeat callers in the small demo file: closed months, the month in progress,
# and counties (140403 absorbed a former code's rows).
CASES = [
    ("2026-10", None),
    ("2026-11", None),
    ("2025-06", None),
    ("2025-06", "140403"),
    ("2026-11", "140403"),
    ("2026-09", "140403"),
    ("2026-10", "140428"),
]


@pytest.mark.parametrize(("period", "county"), CASES)
def test_repeat_callers_from_the_rollup_equal_the_raw_group_by(
    hub,
    monkeypatch,
    period,
    county,
) -> None:
    """Same callers, same order, counts, categories, drills and masked labels, for closed
    months, the month in progress (its window ends at the data's now), and counties (140403
    has a former code's rows)."""
    rollup, raw = _both_ways(hub, monkeypatch, period, county)
    assert "repeat-caller" in raw[0]  # there are callers to compare
    assert rollup == raw


def test_repeat_callers_of_a_two_county_account_equal_the_raw_group_by(
    demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A county account's scope (two counties, from its session) applies to the rollup too."""
    principal = Principal("c", "county_leader", frozenset({"140403", "140404"}))
    application = app_as(load_settings(environ=demo_environ(demo_db, tmp_path / "c")), principal)
    try:
        with application.server.test_request_context("/"):
            hub = application.server.extensions["cockpit_hub"]
            rollup, raw = _both_ways(hub, monkeypatch, "2026-10", None)
            assert "repeat-caller" in raw[0]
            assert rollup == raw
    finally:
        close_app(application)


def test_the_callers_rollup_keeps_no_phone_number_or_name(demo_db: Path, demo_sql) -> None:
    """The rollup table holds no raw number or name, only masked forms and keyed hashes; its
    key is kept beside the file, not in it."""
    table = f"{PREFIX}{rollups.CALLERS.name}"
    kept = demo_sql(f"SELECT * FROM {table}")
    rows = demo_sql(f"SELECT DISTINCT citizen_phone, citizen_name FROM {TABLE}")
    assert len(kept) > 0
    assert not {c for c in kept.columns if c.startswith("citizen_")}
    values = set()
    for column in kept.select_dtypes(include=["object", "str"]).columns:
        values |= set(kept[column].dropna().astype(str))
    assert not values & set(rows["citizen_phone"].dropna())
    assert not values & set(rows["citizen_name"].dropna())
    # Every number is shown masked, every name as its first character and **.
    assert kept["phone_masked"].str.contains(r"\*{4}").all()
    assert kept["name_masked"].dropna().str.fullmatch(r".\*\*").all()
    # The key is a file beside the demo file, and no table of the file holds it.
    key = (demo_db.parent / rollups.CALLER_KEY_FILE).read_text().strip()
    assert len(key) == 64
    tables = demo_sql("SELECT table_name FROM duckdb_tables()")["table_name"]
    for name in tables:
        frame = demo_sql(f'SELECT * FROM "{name}"')
        for column in frame.select_dtypes(include=["object", "str"]).columns:
            assert not frame[column].astype(str).str.contains(key).any(), (name, column)


# -- 本周热点: word counts ---------------------------------------------------------------------
@pytest.mark.parametrize("county", [None, "140403"])
def test_hot_topics_read_no_ticket_rows(hub, asked, county) -> None:
    """Opening 本周热点 asks nothing of the raw ticket table: keywords come from word counts."""
    cb.hot_section(hub, "2026-10", county)
    raw = [q for table, q in asked if table.rpartition(".")[2] == TABLE]
    assert asked and not raw, raw


@pytest.mark.parametrize("county", [None, "140403", "140428"])
@pytest.mark.parametrize("weeks_back", [0, 3, 20])
def test_hot_keywords_from_word_counts_equal_the_text_sample(
    hub,
    monkeypatch,
    county,
    weeks_back,
) -> None:
    """Where the text sample holds every ticket (the small demo file), the keywords from the
    word counts are exactly the sample's: same words, counts, baselines, ratios, hot marks."""
    c = cb.context(hub, "2026-10")
    week = c.hot_week - dt.timedelta(weeks=weeks_back)
    c = dataclasses.replace(c, hot_week=week)
    weekly = data.weekly(hub, c.config, week, county).frame.rename(
        columns={"category_l2": "category"}
    )
    this_week = week.strftime("%Y-%m-%d")
    for chosen in ((), tuple(weekly["category"].value_counts().index[:2])):
        words, _, _ = hot_words.hot_keywords(hub, c, weekly, this_week, chosen, county)
        with monkeypatch.context() as m:
            m.setattr(data, "word_counts", lambda *args, **kwargs: None)
            sampled, _, samples = hot_words.hot_keywords(hub, c, weekly, this_week, chosen, county)
        assert all(len(s.frame) < c.config.hot_topics.sample_rows for s in samples)
        assert len(sampled) > 0
        pd.testing.assert_frame_equal(words, sampled)


def test_the_word_counts_keep_no_text_name_or_number(demo_sql) -> None:
    """The word-count table holds words and counts: no ticket text, name or phone number."""
    kept = demo_sql(f"SELECT * FROM {PREFIX}{rollups.WORDS.name}")
    rows = demo_sql(f"SELECT DISTINCT content, citizen_name, citizen_phone FROM {TABLE}")
    assert len(kept) > 0
    assert set(kept.columns) == {"received_at", "county_code", "category_l2", "word", "tickets"}
    words = set(kept["word"])
    assert not words & set(rows["content"].dropna())
    assert not words & set(rows["citizen_name"].dropna())
    assert not [w for w in words if any(ch.isdigit() for ch in w)]


def test_the_callers_rollup_answers_only_windows_within_one_month(hub) -> None:
    """It keeps only the groups a month repeats in (a caller heard once in a month is no
    repeat caller of any window of it): a window across two months reads the rows."""
    from cockpit.domains.hotline.kpis import Window

    inside = Window(dt.datetime(2026, 10, 5), dt.datetime(2026, 10, 20), "")
    across = Window(dt.datetime(2026, 9, 15), dt.datetime(2026, 10, 15), "")
    assert data.repeat_callers_rollup(hub, inside, None, 48) is not None
    assert data.repeat_callers_rollup(hub, across, None, 48) is None


def test_sync_mode_keeps_the_personal_rollups_in_step(synced_app, tmp_path) -> None:  # noqa: F811
    """In sync mode the local store gets both tables with each batch (the key beside the
    store), and the panels read them with the same answer as the store's rows."""
    from cockpit.sync import run_sync

    hub = synced_app.server.extensions["cockpit_hub"]
    run_sync(hub)
    period = "2026-09"
    window = cb.context(hub, period).window
    assert data.repeat_callers_rollup(hub, window, None, 48) is not None
    assert (tmp_path / "sync" / rollups.CALLER_KEY_FILE).exists()
    body, _, _ = cb.repeat_section(hub, period, None)
    with mock.patch.object(data, "repeat_callers_rollup", lambda *a, **k: None):
        raw_body, _, _ = cb.repeat_section(hub, period, None)
    assert _shown(body) == _shown(raw_body)
    c = cb.context(hub, period)
    weekly = data.weekly(hub, c.config, c.hot_week, None).frame
    weekly = weekly.rename(columns={"category_l2": "category"})
    this_week = c.hot_week.strftime("%Y-%m-%d")
    assert data.word_counts(hub, (), c.hot_week, c.hot_week + dt.timedelta(weeks=1), None)
    words, _, _ = hot_words.hot_keywords(hub, c, weekly, this_week, (), None)
    with mock.patch.object(data, "word_counts", lambda *a, **k: None):
        sampled, _, _ = hot_words.hot_keywords(hub, c, weekly, this_week, (), None)
    pd.testing.assert_frame_equal(words, sampled)
