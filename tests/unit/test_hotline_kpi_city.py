"""#22 item 4: the whole-city KPI cards (what /hotline opens on) cost no more than a county's.

Measured at 1M tickets (bench B3), the whole-city KPI callback was as fast as a county's; it is
the page's slowest callback for being its heaviest (three windows x counts and handling), not
for being city-wide. These tests keep it so: city-wide, as a city leader sees it, every KPI
question is answered from the rollup tables (no scan of the raw tickets) in no more source
statements than the same cards for one county.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cockpit.settings import load_settings
from panels.hotline import callbacks as cb
from tests.apps import app_as
from tests.conftest import demo_environ

TABLE = load_settings().datasets["hotline.tickets"].table


@pytest.fixture(scope="module")
def app(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One app on the demo file (its rollups built as the app builds them)."""
    cache = tmp_path_factory.mktemp("kpi-city-cache")
    application = app_as(load_settings(environ=demo_environ(demo_db, cache)))
    yield application
    for source in application.server.extensions["cockpit_hub"].sources.values():
        source.close()


def statements(app: Any, monkeypatch: pytest.MonkeyPatch, county: str | None) -> list[list[str]]:
    """The tables of each statement the KPI cards send the demo source, cache emptied first."""
    hub = app.server.extensions["cockpit_hub"]
    source = hub.sources["demo"]
    sent: list[list[str]] = []
    fetch, joined = source.fetch, source.fetch_joined
    monkeypatch.setattr(source, "fetch", lambda d, q: (sent.append([d.table]), fetch(d, q))[1])
    monkeypatch.setattr(
        source,
        "fetch_joined",
        lambda parts, keys: (sent.append([d.table for d, _ in parts]), joined(parts, keys))[1],
    )
    with app.server.test_request_context("/"):
        hub.cache.cache.clear()
        cb.kpi_section(hub, "2026-10", county)
    monkeypatch.undo()
    return sent


def test_whole_city_kpis_come_from_rollups_in_no_more_statements_than_a_county(
    app, monkeypatch
) -> None:
    """全市 KPI cards: rollup tables only, and as few statements as county 140403's."""
    city = statements(app, monkeypatch, None)
    county = statements(app, monkeypatch, "140403")
    raw = [tables for tables in city if any(t.rpartition(".")[2] == TABLE for t in tables)]
    assert city and not raw, raw
    assert len(city) <= len(county), (city, county)
