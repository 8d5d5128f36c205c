"""应急指挥: the pure rules on hand-made frames, and the screen built from the demo data.

Expected figures for the demo data are read straight from (a copy of) the demo DuckDB file
and computed with pandas and an independent distance formula, not with the module's code.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from dash import Patch, no_update

from cockpit.calls import tel_href
from cockpit.domains.emergency.config import EmergencyConfig
from cockpit.domains.emergency.transform import (
    EARTH_RADIUS_KM,
    active_only,
    build_timeline,
    casualties,
    count_rows,
    distances_km,
    elapsed_text,
    haversine_km,
    nearest_resources,
    new_events,
    pick_event,
    response_in_force,
    roster_rows,
)
from cockpit.ids import pattern_id
from cockpit.maps import DIGITS, county_outlines
from cockpit.scope import Principal
from cockpit.settings import ConfigError, load_settings
from panels.emergency import PANEL
from panels.emergency.callbacks import OUTPUTS, build_view, screen_update, selection_from
from panels.emergency.figures import LAYER_INDEX, LAYERS, hidden_layers, lon_scale, map_figure
from panels.emergency.screen_state import changed, fingerprint
from tests.conftest import demo_environ

# The demo data's "now" is one minute before its end date (tests/conftest.py: 2026-11-20).
NOW = dt.datetime(2026, 11, 19, 23, 30)
CONFIG = EmergencyConfig()


def _cosine_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance by the spherical law of cosines: independent of the haversine."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    c = math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl)
    return EARTH_RADIUS_KM * math.acos(max(-1.0, min(1.0, c)))


# -- distances --------------------------------------------------------------------------------
def test_haversine_of_a_point_to_itself_is_zero() -> None:
    """No distance between a point and itself."""
    assert haversine_km(113.1, 36.2, 113.1, 36.2) == 0


def test_one_degree_of_latitude_is_about_111_km() -> None:
    """Along a meridian one degree is πR/180 km, wherever the meridian is."""
    assert haversine_km(113.0, 36.0, 113.0, 37.0) == pytest.approx(math.pi * EARTH_RADIUS_KM / 180)
    assert haversine_km(-70.0, -10.0, -70.0, -9.0) == pytest.approx(111.195, abs=1e-3)


@pytest.mark.parametrize(
    ("a", "b", "km"),
    [
        ((116.4074, 39.9042), (121.4737, 31.2304), 1067.3),  # Beijing - Shanghai
        ((113.1163, 36.1954), (112.5489, 37.8706), 192.0),  # Changzhi - Taiyuan
    ],
)
def test_haversine_matches_known_city_distances(a, b, km) -> None:
    """Known distances between cities, within 1 km, and the same both ways."""
    assert haversine_km(*a, *b) == pytest.approx(km, abs=1.0)
    assert haversine_km(*a, *b) == pytest.approx(haversine_km(*b, *a))
    assert haversine_km(*a, *b) == pytest.approx(_cosine_km(*a, *b), abs=1e-6)


def test_antipodes_are_half_the_circumference_apart() -> None:
    """The longest great-circle distance is πR."""
    assert haversine_km(0, 0, 180, 0) == pytest.approx(math.pi * EARTH_RADIUS_KM)


def test_distances_are_vectorised_and_nan_without_position() -> None:
    """One point to many gives each distance, NaN where a point has no coordinates."""
    lons = np.array([113.0, 113.5, np.nan])
    lats = np.array([36.0, 36.5, 36.0])
    got = distances_km(113.2, 36.1, lons, lats)
    assert got[0] == pytest.approx(_cosine_km(113.2, 36.1, 113.0, 36.0))
    assert got[1] == pytest.approx(_cosine_km(113.2, 36.1, 113.5, 36.5))
    assert math.isnan(got[2])


def _resources() -> pd.DataFrame:
    rows = [
        ("T1", "救援队伍", 113.30, 36.00),
        ("T2", "救援队伍", 113.01, 36.00),
        ("T3", "救援队伍", 113.10, 36.00),
        ("T4", "救援队伍", 113.05, 36.00),
        ("W1", "物资仓库", 113.50, 36.00),
        ("B1", "医疗床位", 113.00, 36.20),
        ("X1", "救援队伍", None, None),  # no position: never "nearest"
        ("E1", "装备", 113.00, 36.01),  # a kind the screen does not know still comes last
    ]
    frame = pd.DataFrame(rows, columns=["resource_id", "kind", "lon", "lat"])
    return frame.assign(name=frame.resource_id, available=1.0, capacity=2.0)


def test_nearest_resources_are_the_closest_per_kind_in_screen_order() -> None:
    """Per kind the `per_kind` closest, nearest first; kinds in the screen's order."""
    got = nearest_resources(_resources(), 113.0, 36.0, per_kind=2)
    assert list(got.resource_id) == ["T2", "T4", "W1", "B1", "E1"]
    expected = [_cosine_km(113.0, 36.0, r.lon, r.lat) for r in got.itertuples()]
    assert list(got.distance_km) == pytest.approx(expected)


def test_nearest_resources_for_an_event_without_position_is_empty() -> None:
    """An event with no coordinates has no nearest resources (and no crash)."""
    assert nearest_resources(_resources(), float("nan"), 36.0).empty
    assert nearest_resources(_resources().iloc[0:0], 113.0, 36.0).empty


# -- events, counts, timeline ---------------------------------------------------------------
def _events() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "event_id": ["A", "B", "C", "D"],
            "title": ["甲", "乙", "丙", "丁"],
            "level": [4, 2, 2, 1],
            "status": ["处置中", "接报", "处置中", "已结束"],
            "reported_at": pd.to_datetime(
                ["2026-11-19 10:00", "2026-11-19 08:00", "2026-11-19 09:00", "2026-11-19 11:00"]
            ),
            "response_level": pd.array([pd.NA, 3, 2, 1], dtype="Int64"),
            "deaths": [0, 2, 1, 5],
            "injuries": [1, 3, 4, 9],
        }
    )


def test_active_only_drops_ended_events_and_puts_the_most_severe_first() -> None:
    """已结束 events go; the rest by level, then the latest report first."""
    assert list(active_only(_events()).event_id) == ["C", "B", "A"]


def test_pick_event_keeps_an_active_choice_and_falls_back_to_the_most_severe() -> None:
    """A chosen active event stays chosen; an ended or unknown one gives the first active."""
    active = active_only(_events())
    assert pick_event(active, "A") == "A"
    assert pick_event(active, "D") == "C"
    assert pick_event(active, None) == "C"
    assert pick_event(active.iloc[0:0], "A") is None


def test_response_in_force_is_the_highest_started_response() -> None:
    """Ⅱ级 beats Ⅲ级 (1 is the highest); events without a response do not count."""
    assert response_in_force(active_only(_events())) == (2, "丙")
    none_started = active_only(_events()).assign(response_level=pd.array([pd.NA] * 3, "Int64"))
    assert response_in_force(none_started) == (None, None)


def test_casualties_sum_and_a_missing_figure_is_not_zero() -> None:
    """Deaths and injuries add up; one unknown figure makes the total unknown."""
    active = active_only(_events())
    assert casualties(active) == (3, 8)
    unknown = active.assign(deaths=[1.0, np.nan, 0.0])
    assert casualties(unknown) == (None, 8)


def test_new_events_are_the_unseen_ones_but_not_on_a_first_visit() -> None:
    """A browser that has seen nothing yet is not flooded; later, unseen ids are new."""
    assert new_events(["A", "B"], None) == []
    assert new_events(["A", "B", "C"], ["A"]) == ["B", "C"]
    assert new_events(["A"], ["A", "Z"]) == []


def _counts() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "level": [2, 4, 4, 3],
            "category": ["事故灾难", "事故灾难", "自然灾害", "网络安全"],
            "event_type": ["火灾", "道路交通事故", "冰雹", "网络攻击"],
            "year": [3, 10, 2, 1],
            "today": [1, 2, 0, 0],
        }
    )


def test_count_rows_by_level_sum_types_and_show_every_level() -> None:
    """Each level gets a row, 0 where there were no events; types add up within a level."""
    rows = count_rows(_counts(), "level", {1: "Ⅰ级", 2: "Ⅱ级", 3: "Ⅲ级", 4: "Ⅳ级"})
    assert [(r.label, r.today, r.year) for r in rows] == [
        ("Ⅰ级", 0, 0),
        ("Ⅱ级", 1, 3),
        ("Ⅲ级", 0, 1),
        ("Ⅳ级", 2, 12),
    ]


def test_count_rows_by_category_list_types_and_keep_unknown_categories() -> None:
    """Category rows list their types, largest first; a category not configured still counts."""
    labels = {"自然灾害": "自然灾害", "事故灾难": "事故灾难", "公共卫生事件": "公共卫生事件"}
    rows = count_rows(_counts(), "category", labels)
    assert [(r.label, r.today, r.year) for r in rows] == [
        ("自然灾害", 0, 2),
        ("事故灾难", 3, 13),
        ("公共卫生事件", 0, 0),
        ("网络安全", 0, 1),
    ]
    assert rows[1].detail == "道路交通事故10 · 火灾3"


def test_count_rows_of_no_events_are_zero() -> None:
    """An empty answer (no events this year) gives zeros, not missing rows."""
    empty = _counts().iloc[0:0]
    assert [(r.today, r.year) for r in count_rows(empty, "level", {1: "Ⅰ级"})] == [(0, 0)]


def test_build_timeline_orders_entries_and_measures_from_the_report() -> None:
    """Time order, 接报 before 指令 at the same minute; offsets from the report time."""
    entries = pd.DataFrame(
        {
            "at": pd.to_datetime(
                ["2026-11-19 20:20", "2026-11-19 17:20", "2026-11-19 17:20", "2026-11-20 18:30"]
            ),
            "entry_kind": ["续报", "指令", "接报", "处置"],
            "text": ["续", "指", "接", "处"],
            "by": ["政府", "指挥中心", None, "消防"],
        }
    )
    got = build_timeline(entries, dt.datetime(2026, 11, 19, 17, 20))
    assert [t.kind for t in got] == ["接报", "指令", "续报", "处置"]
    assert [t.offset for t in got] == ["+0分", "+0分", "+3小时00分", "+1天1小时"]
    assert got[0].by == "" and got[1].by == "指挥中心"
    assert build_timeline(entries.iloc[0:0], None) == []


@pytest.mark.parametrize(
    ("minutes", "text"),
    [(0, "+0分"), (20, "+20分"), (70, "+1小时10分"), (24 * 60 + 61, "+1天1小时"), (-5, "-5分")],
)
def test_elapsed_text(minutes, text) -> None:
    """Minutes after the report, written short."""
    assert elapsed_text(minutes) == text


@pytest.mark.parametrize(
    ("phone", "href"),
    [
        ("13912345678", "tel:13912345678"),
        ("139 1234 5678", "tel:13912345678"),
        ("(0355) 202-3456", "tel:03552023456"),
        ("+86 139-1234-5678", "tel:+8613912345678"),
        ("", None),
        (None, None),
        (float("nan"), None),
        ("无", None),
    ],
)
def test_tel_href(phone, href) -> None:
    """Dialable numbers become tel: links; anything else gets none."""
    assert tel_href(phone) == href


def test_roster_rows_put_the_duty_leader_first() -> None:
    """值班领导, 带班领导, 值班员, whatever order the source sends."""
    frame = pd.DataFrame({"role": ["值班员", "值班领导", "带班领导"], "name": ["丙", "甲", "乙"]})
    assert [r["name"] for r in roster_rows(frame)] == ["甲", "乙", "丙"]


def test_fingerprints_tell_changes_apart() -> None:
    """Equal content, equal print; any change, another print; no previous means all changed."""
    assert fingerprint({"a": [1, 2]}) == fingerprint({"a": [1, 2]})
    assert fingerprint({"a": [1, 2]}) != fingerprint({"a": [2, 1]})
    assert changed({"x": "1", "y": "2"}, {"x": "1", "y": "3"}) == {"y"}
    assert changed(None, {"x": "1"}) == {"x"}


def test_selection_from_list_map_and_banner() -> None:
    """A tapped list item, an event on the map or the banner's 查看 choose an event; else none."""
    item = pattern_id("emergency-event", index="E1")
    assert selection_from(item, 1, None, None) == "E1"
    assert selection_from(item, 0, None, None) is None  # a list re-render, not a tap
    click = {"points": [{"customdata": ["event", "E2"]}]}
    assert selection_from("emergency-map", None, click, None) == "E2"
    resource = {"points": [{"customdata": ["resource", "R1"]}]}
    assert selection_from("emergency-map", None, resource, None) is None
    assert selection_from("emergency-map", None, {"points": []}, None) is None
    assert selection_from("emergency-banner-view", 1, None, "E3") == "E3"


def test_layer_switches_hide_their_layers() -> None:
    """Switching 事件 off hides events, the selection ring and the lines to resources."""
    assert hidden_layers(None) == set()
    assert hidden_layers(["warnings", "team", "warehouse", "shelter", "beds"]) == {
        "events",
        "event_selected",
        "links",
    }


# -- config -----------------------------------------------------------------------------------
def test_config_section_is_validated_with_one_line_per_problem(settings) -> None:
    """A wrong key or value in config/emergency.yaml names the file and the field."""
    from cockpit.factory import module_configs

    good = settings.model_copy(update={"emergency": {"refresh_seconds": 5}})
    assert module_configs(good, [PANEL])["emergency"].refresh_seconds == 5
    bad = settings.model_copy(update={"emergency": {"refresh_second": 5, "nearest_per_kind": 0}})
    with pytest.raises(ConfigError) as info:
        module_configs(bad, [PANEL])
    assert sorted(info.value.problems) == [
        "config/emergency.yaml: emergency.nearest_per_kind: Input should be greater than or equal to 1",
        "config/emergency.yaml: emergency.refresh_second: Extra inputs are not permitted",
    ]


def test_the_shipped_config_file_is_what_the_app_uses(screen_app) -> None:
    """config/emergency.yaml is read into the hub as the module's validated settings."""
    config = screen_app.server.extensions["cockpit_hub"].module_config["emergency"]
    assert isinstance(config, EmergencyConfig)
    assert config.refresh_seconds == 10 and config.nearest_per_kind == 3


# -- the map's coordinates ------------------------------------------------------------------
def _inside(x: float, y: float, ring: list[tuple[float, float]]) -> bool:
    """Ray casting: is (x, y) inside the polygon?"""
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
        if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
            inside = not inside
    return inside


def test_lon_scale_is_the_scale_county_outlines_draws_with(settings) -> None:
    """Each county's label sits at its GeoJSON centre times the module's scale."""
    path = str(settings.city.map_path())
    scale = lon_scale(path)
    geo = json.loads(Path(path).read_text(encoding="utf-8"))
    outlines = county_outlines(path)
    for feature in geo["features"]:
        cp = feature["properties"].get("cp")
        if cp:
            label = outlines[str(feature["id"])]["label"]
            # The map's coordinates are rounded to 4 decimals (cockpit.maps.DIGITS).
            assert label[0] == pytest.approx(cp[0] * scale, abs=1e-4)
            assert label[1] == pytest.approx(cp[1], abs=1e-4)


# -- the screen on demo data --------------------------------------------------------------------
@pytest.fixture(autouse=True)
def _close_sources(request: pytest.FixtureRequest):
    """Release the test app's database connections when the test ends (see test_overview.py)."""
    app = request.getfixturevalue("app") if "app" in request.fixturenames else None
    yield
    if app is not None:
        for source in app.server.extensions["cockpit_hub"].sources.values():
            source.close()


@pytest.fixture(scope="module")
def truth(demo_sql) -> dict[str, pd.DataFrame]:
    """The emergency tables of the demo file, read with DuckDB."""
    names = (
        "emergency_events",
        "emergency_timeline",
        "emergency_resources",
        "risk_warnings",
        "duty_roster",
    )
    return {name: demo_sql(f"SELECT * FROM {name}") for name in names}


@pytest.fixture(scope="module")
def screen_app(demo_db: Path, tmp_path_factory: pytest.TempPathFactory):
    """One app for the tests that only read: building an app per test would only cost time."""
    from tests.apps import app_as

    cache = tmp_path_factory.mktemp("emergency-cache")
    app = app_as(load_settings(environ=demo_environ(demo_db, cache)))
    yield app
    for source in app.server.extensions["cockpit_hub"].sources.values():
        source.close()


def _view(app, county: str | None = None, selected: str | None = None, **kw: Any):
    """build_view inside a request, as the refresh callback runs it."""
    hub = app.server.extensions["cockpit_hub"]
    with app.server.test_request_context("/"):
        return build_view(hub, CONFIG, county, selected, kw.get("layers"), kw.get("now", NOW))


def _active_truth(truth: dict, county: str | None = None) -> pd.DataFrame:
    e = truth["emergency_events"]
    e = e[e.status != "已结束"]
    if county:
        e = e[e.county_code == county]
    return e.sort_values(["level", "reported_at"], ascending=[True, False])


def _texts(tree: Any) -> list[str]:
    """Every text in a Dash component tree (serialised to plain data first)."""
    data = json.loads(json.dumps(tree, default=lambda c: c.to_plotly_json()))
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, list):
            for child in node:
                walk(child)
        elif isinstance(node, dict):
            walk(node.get("props", {}).get("children"))

    walk(data)
    return out


def test_active_events_are_the_data_s_unfinished_ones(screen_app, truth) -> None:
    """The list holds every event not 已结束, most severe first; the first is selected."""
    view = _view(screen_app)
    expected = _active_truth(truth)
    assert len(expected) == 3  # the demo data keeps three events open
    assert list(view.active.event_id) == list(expected.event_id)
    assert view.selected == expected.event_id.iloc[0]
    titles = _texts(view.sections["events"])
    for title in expected.title:
        assert title in titles
    assert view.sections["live_disabled"] is False
    assert view.sections["live_interval"] == CONFIG.refresh_seconds * 1000


def test_response_level_and_casualties_come_from_the_active_events(screen_app, truth) -> None:
    """The strip shows the highest response started and the casualties of active events."""
    view = _view(screen_app)
    active = _active_truth(truth)
    started = active[active.response_level.notna()].sort_values("response_level")
    texts = _texts(view.sections["response"])
    if started.empty:  # the demo's active events may all be Ⅳ级, where no response is started
        assert texts[1] == "未启动"
    else:
        assert texts[1] == f"{'ⅠⅡⅢⅣ'[int(started.response_level.iloc[0]) - 1]}级响应"
    summary = _texts(view.sections["summary"])
    assert summary[summary.index("死亡") + 1] == str(int(active.deaths.sum()))
    assert summary[summary.index("受伤") + 1] == str(int(active.injuries.sum()))


def test_counts_today_and_this_year_match_the_data(screen_app, truth) -> None:
    """Counts by level for 'today' and the year, counted from the raw events."""
    view = _view(screen_app)
    e = truth["emergency_events"]
    year = e[e.occurred_at.dt.year == NOW.year]
    today = year[year.occurred_at.dt.date == NOW.date()]
    texts = _texts(view.sections["counts"])
    for level, label in ((1, "Ⅰ级 特别重大"), (2, "Ⅱ级 重大"), (3, "Ⅲ级 较大"), (4, "Ⅳ级 一般")):
        i = texts.index(label)
        assert texts[i + 1 : i + 3] == [
            str(int((today.level == level).sum())),
            str(int((year.level == level).sum())),
        ]
    assert (today.level > 0).sum() > 0  # the data has events on the day, so this means something
    i = texts.index("事故灾难")
    assert texts[i + 2] == str(int((today.category == "事故灾难").sum()))


def test_nearest_resources_of_the_selected_event_match_an_independent_computation(
    screen_app, truth
) -> None:
    """For each kind, the three closest resources by great-circle distance, with their stock."""
    view = _view(screen_app)
    event = _active_truth(truth).iloc[0]
    res = truth["emergency_resources"].copy()
    res["km"] = [_cosine_km(event.lon, event.lat, r.lon, r.lat) for r in res.itertuples()]
    texts = _texts(view.sections["nearest"])
    for kind in ("救援队伍", "物资仓库", "避难场所", "医疗床位"):
        closest = res[res.kind == kind].nsmallest(3, "km")
        start = texts.index(kind)
        for r in closest.itertuples():
            i = texts.index(r.name, start)
            assert texts[i + 2] == f"{r.km:.1f}"
            assert texts[i + 3] == f"{r.available:,.0f}"
            assert texts[i + 4] == f"/{r.capacity:,.0f} {r.unit}"
    assert "就近应急资源 · 距" + event.title == view.sections["nearest_title"]


def test_nearest_lines_on_the_map_end_at_the_closest_resource_of_each_kind(
    screen_app, truth
) -> None:
    """The dashed lines run from the event to the closest team, warehouse, shelter and beds."""
    view = _view(screen_app)
    event = _active_truth(truth).iloc[0]
    scale = lon_scale(str(screen_app.server.extensions["cockpit_hub"].settings.city.map_path()))
    res = truth["emergency_resources"].copy()
    res["km"] = [_cosine_km(event.lon, event.lat, r.lon, r.lat) for r in res.itertuples()]
    ends = {  # the map's coordinates are rounded to cockpit.maps.DIGITS decimals
        (round(x, DIGITS), round(y, DIGITS))
        for x, y in zip(
            view.layers["links"]["x"][1::3], view.layers["links"]["y"][1::3], strict=True
        )
    }
    closest = res.loc[res.groupby("kind").km.idxmin()]
    assert ends == {
        (round(r.lon * scale, DIGITS), round(r.lat, DIGITS)) for r in closest.itertuples()
    }


def test_event_markers_fall_inside_their_county(screen_app, truth, settings) -> None:
    """An event drawn with the module's scale lands inside its own county's outline."""
    view = _view(screen_app)
    outlines = county_outlines(str(settings.city.map_path()))
    events = view.layers["events"]
    ids = [c[1] for c in events["customdata"]]
    counties = truth["emergency_events"].set_index("event_id").county_code
    for x, y, event_id in zip(events["x"], events["y"], ids, strict=True):
        rings = outlines[counties[event_id]]["rings"]
        assert any(_inside(x, y, ring) for ring in rings), event_id


def test_selected_event_timeline_is_its_reports_in_order(screen_app, truth) -> None:
    """Choosing another event shows its own timeline, in time order."""
    chosen = _active_truth(truth).event_id.iloc[-1]
    view = _view(screen_app, selected=chosen)
    assert view.selected == chosen
    lines = truth["emergency_timeline"]
    lines = lines[lines.event_id == chosen].sort_values("at")
    texts = _texts(view.sections["detail"])
    assert [t for t in texts if t in set(lines.text)] == list(lines.text)
    assert [t for t in texts if t in ("接报", "指令", "处置", "续报")] == list(lines.entry_kind)


def test_warnings_in_force_and_their_markers(screen_app, truth) -> None:
    """Warnings not lifted are listed and drawn, in their warning colour."""
    view = _view(screen_app)
    w = truth["risk_warnings"]
    force = w[(w.stage != "解除") & w.lifted_at.isna()]
    assert 0 < len(force) < len(w)
    assert sorted(c[1] for c in view.layers["warnings"]["customdata"]) == sorted(force.warning_id)
    texts = _texts(view.sections["warnings"])
    for title in force.title:
        assert title in texts


def test_duty_roster_is_the_day_s_with_tel_links(screen_app, truth) -> None:
    """Today's 值班领导, 带班领导, 值班员 in that order, each with a tel: link."""
    view = _view(screen_app)
    r = truth["duty_roster"]
    today = r[r.duty_date.dt.date == NOW.date()].set_index("role")
    data = json.loads(json.dumps(view.sections["roster"], default=lambda c: c.to_plotly_json()))
    hrefs = []

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for child in node:
                walk(child)
        elif isinstance(node, dict):
            if node.get("type") == "A":
                hrefs.append(node["props"]["href"])
            walk(node.get("props", {}).get("children"))

    walk(data)
    roles = ["值班领导", "带班领导", "值班员"]
    assert hrefs == [f"tel:{today.loc[role, 'phone']}" for role in roles]
    texts = _texts(view.sections["roster"])
    assert [t for t in texts if t in roles] == roles
    assert [today.loc[role, "name"] for role in roles] == [t for t in texts if t in set(today.name)]


def test_a_county_shows_only_its_own_events(screen_app, truth) -> None:
    """With a county selected, events and warnings are that county's only."""
    county = _active_truth(truth).county_code.iloc[0]
    view = _view(screen_app, county=county)
    assert list(view.active.event_id) == list(_active_truth(truth, county).event_id)
    w = truth["risk_warnings"]
    own = w[(w.stage != "解除") & (w.county_code == county)]
    assert len(view.layers["warnings"]["x"]) == len(own)


def test_a_county_without_active_events_stops_the_live_refresh(screen_app, truth) -> None:
    """Nothing active in view: the live interval is off and the idle check is on."""
    busy = set(_active_truth(truth).county_code)
    quiet = next(
        c.code
        for c in screen_app.server.extensions["cockpit_hub"].settings.city.counties
        if c.code not in busy
    )
    view = _view(screen_app, county=quiet)
    assert view.active.empty
    assert view.sections["live_disabled"] is True
    assert view.sections["watch_disabled"] is False
    assert "当前没有正在处置的突发事件" in _texts(view.sections["events"])


def test_a_county_user_sees_only_their_county(settings, truth) -> None:
    """Scope comes from the server: a county account sees its events and resources only."""
    from tests.apps import app_as

    county = _active_truth(truth).county_code.iloc[0]
    app = app_as(
        settings,
        Principal("u1", "county_staff", frozenset({county})),
    )
    try:
        view = _view(app)
        assert set(view.active.county_code) == {county}
        res = truth["emergency_resources"]
        drawn = sum(len(view.layers[k]["x"]) for k in ("team", "warehouse", "shelter", "beds"))
        assert drawn == (res.county_code == county).sum()
    finally:
        for source in app.server.extensions["cockpit_hub"].sources.values():
            source.close()


def test_the_map_has_every_layer_at_its_index(screen_app) -> None:
    """The full figure has the counties then each live layer at its fixed index."""
    view = _view(screen_app)
    fig = map_figure(view.outlines, None, view.layers)
    assert len(fig.data) == len(LAYERS)
    assert fig.data[LAYER_INDEX["events"]].name == "突发事件"
    assert fig.data[LAYER_INDEX["warnings"]].name == "发布系统预警"
    assert [fig.data[LAYER_INDEX[k]].name for k in ("team", "warehouse", "shelter", "beds")] == [
        "救援队伍",
        "物资仓库",
        "避难场所",
        "医疗床位",
    ]


def test_switching_a_layer_off_patches_only_that_layer(screen_app) -> None:
    """Turning 医疗床位 off sends a Patch that hides that one trace."""
    first = screen_update(_view(screen_app), None, None)
    view = _view(screen_app, layers=["events", "warnings", "team", "warehouse", "shelter"])
    out = screen_update(view, first["snapshot"], first["seen"])
    assert isinstance(out["figure"], Patch)
    ops = out["figure"].to_plotly_json()["operations"]
    assert [op["location"] for op in ops] == [["data", LAYER_INDEX["beds"]]]
    assert ops[0]["params"]["value"]["visible"] is False
    assert out["events"] is no_update and out["roster"] is no_update


def test_a_failing_source_shows_its_own_error_and_the_rest_carries_on(settings) -> None:
    """With the resources table missing, the resources panel says so; events still show."""
    from cockpit.settings import DatasetBinding
    from tests.apps import app_as

    datasets = dict(settings.datasets)
    datasets["emergency.resources"] = DatasetBinding(source="demo", table="no_such_table")
    app = app_as(settings.model_copy(update={"datasets": datasets}))
    try:
        view = _view(app)
        assert len(view.active) == 3
        assert view.results["resources"].error
        nearest = _texts(view.sections["nearest"])
        assert any("查询失败" in t for t in nearest), nearest
        assert all(len(view.layers[k]["x"]) == 0 for k in ("team", "warehouse", "shelter", "beds"))
    finally:
        for source in app.server.extensions["cockpit_hub"].sources.values():
            source.close()


def test_outputs_cover_every_component_of_the_layout() -> None:
    """Every output the refresh writes exists in the page skeleton."""
    layout = PANEL.layout()
    ids = {getattr(c, "id", None) for c in layout._traverse()}
    assert {cid for cid, _ in OUTPUTS.values()} <= ids
