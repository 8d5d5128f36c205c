"""应急指挥, live: partial updates (dash.Patch), new events announced, the refresh stopping.

The emergency datasets are served here from a SQL source over a copy of the demo file, so a
test can add an event or close them all, as the city's system would, and watch the screen
follow: directly through build_view/screen_update and over Dash's HTTP endpoint.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from dash import Patch, no_update

from cockpit.domains.emergency.config import EmergencyConfig
from cockpit.ids import pattern_id
from cockpit.settings import CacheSettings, DatasetBinding, Settings
from data_sources.sql import SqlConfig
from panels.emergency.callbacks import BANNER_SHOWN, build_view, idle_check, screen_update
from panels.emergency.figures import LAYER_INDEX
from tests.apps import app_as
from tests.dash_requests import callback_body, post

NOW = dt.datetime(2026, 11, 19, 23, 30)  # the demo data's last evening (tests/conftest.py)
LIVE_DATASETS = ("emergency.events", "emergency.timeline", "emergency.resources")
NEW_ID = "SJ202611192340TEST"


@pytest.fixture
def live_db(demo_db: Path, tmp_path: Path) -> Path:
    """A writable copy of the demo file: the 'city system' this test changes."""
    copy = tmp_path / "live.duckdb"
    shutil.copyfile(demo_db, copy)
    return copy


def _live_settings(settings: Settings, db: Path, **update: Any) -> Settings:
    """Settings with the emergency datasets read from `db` through the SQL adapter."""
    sources = {**settings.sources, "live": SqlConfig(kind="sql", url=f"duckdb:///{db}")}
    datasets = dict(settings.datasets)
    for name in LIVE_DATASETS:
        datasets[name] = DatasetBinding(source="live", table=datasets[name].table)
    return settings.model_copy(update={"sources": sources, "datasets": datasets, **update})


@pytest.fixture
def live_app(settings: Settings, live_db: Path):
    """A cockpit whose emergency data is the writable copy."""
    app = app_as(_live_settings(settings, live_db))
    yield app
    _close(app)


def _close(app) -> None:
    for source in app.server.extensions["cockpit_hub"].sources.values():
        source.close()


def _write(app, db: Path, *statements: str) -> None:
    """Change the city's data, through the app's own connection to the file.

    (DuckDB lets one process hold a file with one configuration only, so the 'city system'
    writes over the engine the app already has open.)
    """
    engine = app.server.extensions["cockpit_hub"].sources["live"].engine()
    with engine.begin() as conn:
        for sql in statements:
            conn.execute(sa.text(sql))


def _add_event(app, db: Path) -> None:
    """A new Ⅰ级 event reported ten minutes after the last update, with a Ⅰ级 response."""
    _write(
        app,
        db,
        f"""
        INSERT INTO emergency_events
        SELECT '{NEW_ID}', '潞州区燃气爆炸', '事故灾难', '燃气爆炸', 1,
               TIMESTAMP '2026-11-19 23:35', TIMESTAMP '2026-11-19 23:40', '140403',
               '潞州区东关街道', 113.12, 36.20, 3, 12, '接报', NULL, 1,
               TIMESTAMP '2026-11-19 23:40'
        """,
    )


def _view(app, now: dt.datetime = NOW, selected: str | None = None, config=None):
    hub = app.server.extensions["cockpit_hub"]
    with app.server.test_request_context("/"):
        return build_view(hub, config or EmergencyConfig(), None, selected, None, now)


def _locations(patch: Patch) -> list[list]:
    return [op["location"] for op in patch.to_plotly_json()["operations"]]


# -- direct ---------------------------------------------------------------------------------
def test_a_new_event_is_patched_into_the_map_and_announced(live_app, live_db) -> None:
    """Next refresh after an event arrives: a Patch of the changed layers, and a banner."""
    first = screen_update(_view(live_app), None, None)
    assert not isinstance(first["figure"], Patch)  # a fresh screen gets the whole figure
    assert first["banner_class"] is no_update  # a first visit announces nothing
    assert len(first["seen"]) == 3

    _add_event(live_app, live_db)
    later = NOW + dt.timedelta(seconds=EmergencyConfig().refresh_seconds)  # the next window
    view = _view(live_app, later)
    out = screen_update(view, first["snapshot"], first["seen"])

    assert isinstance(out["figure"], Patch)
    moved = _locations(out["figure"])
    assert ["data", LAYER_INDEX["events"]] in moved
    assert all(loc[1] > LAYER_INDEX["county_labels"] for loc in moved)  # no county redrawn
    events = next(
        op["params"]["value"]
        for op in out["figure"].to_plotly_json()["operations"]
        if op["location"] == ["data", LAYER_INDEX["events"]]
    )
    assert ["event", NEW_ID] in events["customdata"]
    assert out["banner_class"] == BANNER_SHOWN
    assert "潞州区燃气爆炸" in out["banner_text"]
    assert out["announced"] == NEW_ID
    assert NEW_ID in out["seen"]
    # The new Ⅰ级 event is the most severe: it leads the list and is selected.
    assert view.selected == NEW_ID
    assert out["events"] is not no_update and out["detail"] is not no_update
    # What did not change is not sent.
    assert out["roster"] is no_update
    assert out["warnings"] is no_update
    assert out["live_interval"] is no_update


def test_a_change_shows_at_the_next_refresh_window_not_before(live_app, live_db) -> None:
    """Within one refresh window the hub's cache answers; the next window asks afresh."""
    first = screen_update(_view(live_app), None, None)
    _add_event(live_app, live_db)
    same_window = _view(live_app, NOW)
    assert NEW_ID not in list(same_window.active.event_id)
    assert screen_update(same_window, first["snapshot"], first["seen"])["figure"] is no_update
    next_window = _view(live_app, NOW + dt.timedelta(seconds=10))
    assert NEW_ID in list(next_window.active.event_id)


def test_an_unchanged_refresh_sends_nothing(live_app) -> None:
    """A tick with the same data leaves every output alone (the callback then sends nothing)."""
    first = screen_update(_view(live_app), None, None)
    out = screen_update(
        _view(live_app, NOW + dt.timedelta(minutes=1)), first["snapshot"], first["seen"]
    )
    assert all(value is no_update for value in out.values()), [
        k for k, v in out.items() if v is not no_update
    ]


def test_the_refresh_stops_when_nothing_is_active_and_the_idle_check_wakes_it(
    live_app, live_db
) -> None:
    """All events closed: live interval off, idle check on; a new event: the check says so."""
    first = screen_update(_view(live_app), None, None)
    assert first["live_disabled"] is False and first["watch_disabled"] is True
    _write(
        live_app,
        live_db,
        "UPDATE emergency_events SET status = '已结束', closed_at = TIMESTAMP '2026-11-19 23:45', "
        "updated_at = TIMESTAMP '2026-11-19 23:45' WHERE status <> '已结束'",
    )
    later = NOW + dt.timedelta(minutes=1)
    view = _view(live_app, later)
    out = screen_update(view, first["snapshot"], first["seen"])
    assert view.active.empty
    assert out["live_disabled"] is True
    assert out["watch_disabled"] is False
    assert out["live_state"] == "无正在处置事件 · 每60秒检查新事件"
    assert isinstance(out["figure"], Patch)  # the closed events leave the map
    assert out["seen"] == []
    hub = live_app.server.extensions["cockpit_hub"]
    with live_app.server.test_request_context("/"):
        assert idle_check(hub, EmergencyConfig(), None, later) is False
        _add_event(live_app, live_db)
        assert idle_check(hub, EmergencyConfig(), None, later + dt.timedelta(minutes=1)) is True


def test_a_failing_events_source_announces_nothing_and_keeps_refreshing(live_app, live_db) -> None:
    """Source down: its error shows, no banner, the seen list kept; back up: nothing 'new'."""
    first = screen_update(_view(live_app), None, None)
    _write(live_app, live_db, "ALTER TABLE emergency_events RENAME TO emergency_events_gone")
    down_view = _view(live_app, NOW + dt.timedelta(seconds=10))
    down = screen_update(down_view, first["snapshot"], first["seen"])
    assert down_view.results["events"].error
    assert down["banner_class"] is no_update and down["seen"] is no_update
    assert down["live_disabled"] is no_update  # still refreshing at the live rate
    assert any("查询失败" in str(c) for c in down["events"])
    _write(live_app, live_db, "ALTER TABLE emergency_events_gone RENAME TO emergency_events")
    back = screen_update(
        _view(live_app, NOW + dt.timedelta(seconds=20)), down["snapshot"], first["seen"]
    )
    assert back["banner_class"] is no_update  # the same three events: nothing to announce
    assert back["seen"] is no_update
    assert back["events"] is not no_update  # the list is back


def test_selecting_another_event_patches_only_the_selection(live_app) -> None:
    """A new selection moves the ring and the lines; the other layers are not resent."""
    first_view = _view(live_app)
    first = screen_update(first_view, None, None)
    other = first_view.active.event_id.iloc[-1]
    out = screen_update(_view(live_app, selected=other), first["snapshot"], first["seen"])
    assert sorted(_locations(out["figure"])) == sorted(
        [["data", LAYER_INDEX["links"]], ["data", LAYER_INDEX["event_selected"]]]
    )
    assert out["detail"] is not no_update and out["nearest"] is not no_update
    assert out["counts"] is no_update and out["warnings"] is no_update


def test_intervals_come_from_the_module_config(settings, live_db) -> None:
    """refresh_seconds and idle_check_seconds of config/emergency.yaml set the two intervals."""
    app = app_as(
        _live_settings(settings, live_db, emergency={"refresh_seconds": 3, "idle_check_seconds": 0})
    )
    try:
        config = app.server.extensions["cockpit_hub"].module_config["emergency"]
        out = screen_update(_view(app, config=config), None, None)
        assert out["live_interval"] == 3000
        assert out["live_state"] == "实时刷新 · 每3秒"
        _write(
            app,
            live_db,
            "UPDATE emergency_events SET status = '已结束', updated_at = TIMESTAMP '2026-11-19 23:50'",
        )
        quiet = screen_update(_view(app, NOW + dt.timedelta(minutes=1), config=config), None, None)
        assert quiet["live_disabled"] is True
        assert quiet["watch_disabled"] is True  # idle checks switched off by config
    finally:
        _close(app)


# -- over HTTP --------------------------------------------------------------------------------
def _post(app, output: str, values: dict[str, Any], changed: list[str]):
    """POST to /_dash-update-component as the Dash renderer does; return the response."""
    return post(app.server.test_client(), callback_body(app, output, values, changed))


def _refresh_values(snapshot=None, seen=None, tick=0) -> dict[str, Any]:
    return {
        "filter-county.value": "city",
        "emergency-live.n_intervals": tick,
        "emergency-layers.value": ["events", "warnings", "team", "warehouse", "shelter", "beds"],
        "emergency-viewport.data": 1,
        "emergency-snapshot.data": snapshot,
        "emergency-seen.data": seen,
    }


def test_over_http_a_tick_after_a_new_event_returns_a_patch(settings, live_db) -> None:
    """The refresh endpoint sends the figure whole once, then as Patch operations only."""
    # No query cache here: over HTTP the clock is the wall clock, so no refresh window to wait.
    app = app_as(_live_settings(settings, live_db, cache=CacheSettings(type="null")))
    try:
        first = _post(app, "emergency-map-values.data", _refresh_values(), ["filter-county.value"])
        assert first.status_code == 200
        body = first.get_json()["response"]
        assert len(body["emergency-map-values"]["data"]["figure"]["data"]) == len(LAYER_INDEX)
        snapshot = body["emergency-snapshot"]["data"]
        seen = body["emergency-seen"]["data"]
        assert body["emergency-live"]["disabled"] is False

        same = _post(
            app,
            "emergency-map-values.data",
            _refresh_values(snapshot, seen, 1),
            ["emergency-live.n_intervals"],
        )
        assert same.status_code == 204  # nothing changed: nothing sent

        _add_event(app, live_db)
        tick = _post(
            app,
            "emergency-map-values.data",
            _refresh_values(snapshot, seen, 2),
            ["emergency-live.n_intervals"],
        )
        assert tick.status_code == 200
        response = tick.get_json()["response"]
        figure = response["emergency-map-values"]["data"]
        assert figure["__dash_patch_update"] == "__dash_patch_update"
        assert "figure" not in figure and "geometry" not in figure
        locations = [op["location"] for op in figure["operations"]]
        assert ["figure", "data", LAYER_INDEX["events"]] in locations
        assert response["emergency-banner"]["className"] == BANNER_SHOWN
        assert "emergency-roster" not in response  # unchanged panels are not sent at all
    finally:
        _close(app)


def test_over_http_the_idle_check_pokes_the_screen_only_when_needed(settings, live_db) -> None:
    """The idle check answers with a poke while the live refresh is off and events are active."""
    app = app_as(_live_settings(settings, live_db))
    try:
        values = {"filter-county.value": "city", "emergency-watch.n_intervals": 1}
        running = _post(
            app,
            "emergency-poke.data",
            {**values, "emergency-live.disabled": False},
            ["emergency-watch.n_intervals"],
        )
        assert running.status_code == 204  # the live refresh is on: nothing to do
        asleep = _post(
            app,
            "emergency-poke.data",
            {**values, "emergency-live.disabled": True},
            ["emergency-watch.n_intervals"],
        )
        assert asleep.status_code == 200
        assert asleep.get_json()["response"]["emergency-poke"]["data"]
    finally:
        _close(app)


def test_over_http_tapping_an_event_selects_it(live_app) -> None:
    """A tap on a list item stores its id as the selection."""
    item = pattern_id("emergency-event", index="SJX")
    key = next(k for k in live_app.callback_map if k.startswith("..emergency-selected.data"))
    entry = live_app.callback_map[key]
    body = {
        "output": key,
        "outputs": [
            {"id": "emergency-selected", "property": "data"},
            {"id": "emergency-banner", "property": "className"},
        ],
        "inputs": [
            {**entry["inputs"][0], "value": None},
            [{"id": item, "property": "n_clicks", "value": 1}],
            {**entry["inputs"][2], "value": 0},
        ],
        "state": [{**entry["state"][0], "value": None}],
        "changedPropIds": [json.dumps(item, separators=(",", ":"), sort_keys=True) + ".n_clicks"],
    }
    response = live_app.server.test_client().post(
        "/_dash-update-component",
        data=json.dumps(body),
        content_type="application/json",
        headers={"Origin": "http://localhost"},  # as a browser on the same site sends
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.get_json()["response"]["emergency-selected"]["data"] == "SJX"


# -- a source outage must not look like calm (#19 item 6) -----------------------------------
def _texts(component: Any) -> str:
    """Every text inside a component tree, joined (what a person reads on the panel)."""
    return json.dumps(component, default=lambda c: c.to_plotly_json(), ensure_ascii=False)


def test_outage_in_a_later_refresh_window_keeps_the_last_good_events_marked(
    live_app,
    live_db,
) -> None:
    """Every refresh asks new questions (the window moves): the last good events still stand."""
    first = _view(live_app)
    assert not first.active.empty
    shown = sorted(first.active["event_id"].astype(str))
    _write(live_app, live_db, "ALTER TABLE emergency_events RENAME TO emergency_events_gone")
    later = NOW + dt.timedelta(minutes=10)  # another refresh window: other queries, other keys
    down = _view(live_app, later)
    events = down.results["events"]
    assert events.error and events.stale
    assert sorted(down.active["event_id"].astype(str)) == shown
    out = screen_update(down, None, None)
    assert "最近一次成功数据" in _texts(out["events"])
    assert "当前没有正在处置的突发事件" not in _texts(out["detail"])
    assert "事件数据源" in out["live_state"]


def test_outage_with_no_last_good_says_unreachable_not_calm(live_app, live_db) -> None:
    _write(live_app, live_db, "ALTER TABLE emergency_events RENAME TO emergency_events_gone")
    down = _view(live_app)
    assert down.results["events"].error and not down.results["events"].stale
    out = screen_update(down, None, None)
    for section in ("detail", "events"):
        assert "当前没有正在处置的突发事件" not in _texts(out[section])
    assert "无法连接" in _texts(out["detail"])
    assert "无正在处置事件" not in out["live_state"]
    assert "事件数据源无法连接" in out["live_state"]


def test_header_names_a_source_that_does_not_answer(settings, live_db) -> None:
    """The header's status is not "all well" while a source is down (#19 item 6)."""
    from tests.dash_requests import answer

    # No cache: each header refresh asks the sources, as the first refresh after a cache's
    # timeout does.
    app = app_as(_live_settings(settings, live_db, cache=CacheSettings(type="null")))
    try:
        values = {"filter-period.value": None, "filter-county.value": None}
        body = callback_body(app, "shell-as-of.children", values)
        before = json.dumps(answer(app, body), ensure_ascii=False)
        assert "数据截至" in before and "数据源异常" not in before
        _write(app, live_db, "ALTER TABLE emergency_events RENAME TO emergency_events_gone")
        after = json.dumps(answer(app, body), ensure_ascii=False)
        assert "数据源异常：live" in after
    finally:
        _close(app)
