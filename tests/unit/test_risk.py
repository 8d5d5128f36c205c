"""风险管控: the screen's pure parts on hand-made frames; the screen, early warnings and 签收 on
demo data, directly and through Dash's HTTP endpoint.

Expected figures come from a copy of the demo DuckDB file, computed with pandas.
"""

from __future__ import annotations

import datetime as dt
import json
import math

import pandas as pd
import pytest

from cockpit.domains.risk import acks
from cockpit.domains.risk.config import RiskConfig
from cockpit.domains.risk.transform import (
    county_counts,
    domain_level_table,
    level_counts,
    map_points,
    month_range,
    stage_index,
    trend,
)
from cockpit.domains.risk.warnings import in_force
from cockpit.ids import pattern_id
from cockpit.maps import county_outlines
from cockpit.scope import Principal
from cockpit.settings import load_settings
from cockpit.store import get_store
from cockpit.store import store as store_module
from panels.risk.callbacks import build_screen, build_trend, highlighted
from tests.dash_requests import callback_body, post

PERIOD = "2026-10"
CITY = "140400"


# -- pure parts ----------------------------------------------------------------------------------
def _warnings(*rows: tuple) -> pd.DataFrame:
    """(id, domain, level, county, lon, lat) rows."""
    return pd.DataFrame(
        rows, columns=["warning_id", "domain", "level", "county_code", "lon", "lat"]
    ).assign(title="t", place="")


def test_counts_by_level_and_domain_keep_every_level_and_the_standard_domains() -> None:
    """Zero where none, domains in the standard order, an unknown domain appended."""
    frame = _warnings(
        ("a", "金融", 2, "140403", None, None),
        ("b", "金融", 3, "140403", None, None),
        ("c", "其他", 4, "140404", None, None),
    )
    assert level_counts(frame) == {1: 0, 2: 1, 3: 1, 4: 1}
    table = domain_level_table(frame)
    assert list(table.index)[:7] == [
        "安全生产",
        "自然灾害",
        "生态环境",
        "公共卫生",
        "金融",
        "社会稳定",
        "城市运行",
    ]
    assert table.loc["金融"].tolist() == [0, 1, 1, 0] and table.loc["其他"].tolist() == [0, 0, 0, 1]
    assert level_counts(frame.iloc[:0]) == {1: 0, 2: 0, 3: 0, 4: 0}


def test_trend_fills_months_without_warnings_with_zero() -> None:
    """A month with no warning issued is a count of zero, not a gap."""
    months = month_range("2026-02", 4)
    assert months == ["2025-11", "2025-12", "2026-01", "2026-02"]
    out = trend(
        pd.DataFrame({"month": ["2025-12"], "issued": [3]}),
        pd.DataFrame({"month": ["2026-02"], "lifted": [5]}),
        months,
    )
    assert out["issued"].tolist() == [0, 3, 0, 0] and out["lifted"].tolist() == [0, 0, 0, 5]


def test_map_points_scale_longitude_like_the_county_outlines() -> None:
    """x = lon * cos(mid-latitude of the map); a warning without a position sits at its county."""
    settings = load_settings(environ={})
    outlines = county_outlines(str(settings.city.map_path()))
    data = json.loads(settings.city.map_path().read_text(encoding="utf-8"))
    lats = []
    for f in data["features"]:
        polys = (
            [f["geometry"]["coordinates"]]
            if f["geometry"]["type"] == "Polygon"
            else f["geometry"]["coordinates"]
        )
        lats += [pt[1] for poly in polys for pt in poly[0]]
    scale = math.cos(math.radians((min(lats) + max(lats)) / 2))
    frame = _warnings(
        ("a", "金融", 2, "140403", 113.1, 36.2),
        ("b", "金融", 3, "140404", None, None),
        ("c", "金融", 3, CITY, None, None),
    )
    points = map_points(frame, outlines).set_index("warning_id")
    assert points.loc["a", "x"] == pytest.approx(113.1 * scale) and points.loc["a", "y"] == 36.2
    assert bool(points.loc["a", "located"]) and not bool(points.loc["b", "located"])
    label_x, label_y = outlines["140404"]["label"]
    assert points.loc["b", "x"] == pytest.approx(label_x) and points.loc["b", "y"] < label_y
    assert pd.isna(points.loc["c", "x"])  # a city-wide warning has no place on the map
    assert county_counts(frame, ["140403", "140404", "140405"]) == {
        "140403": 1.0,
        "140404": 1.0,
        "140405": 0.0,
    }


def test_stage_and_highlight_helpers() -> None:
    """The lifecycle step of a stage; the warning a link asks for."""
    assert [stage_index(s) for s in ("发布", "响应", "处置", "解除", "?")] == [0, 1, 2, 3, 0]
    assert highlighted("?period=2026-10&warning=FX1") == "FX1"
    assert highlighted("") is None


# -- demo data -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def truth(demo_sql) -> dict[str, pd.DataFrame]:
    """Warnings and last October's tickets of the demo file."""
    tables = {name: b.table for name, b in load_settings(environ={}).datasets.items()}
    return {
        "warnings": demo_sql(f"SELECT * FROM {tables['risk.warnings']}"),
        # Due in October: the 按时办结率 cohort of config/hotline.yaml (on_time_cohort: due).
        "october": demo_sql(
            "SELECT county_code, closed_at, deadline, direct_answer, reopened "
            f"FROM {tables['hotline.tickets']} "
            "WHERE deadline >= '2026-10-01' AND deadline < '2026-11-01'"
        ),
        "gas": demo_sql(
            f"SELECT received_at FROM {tables['hotline.tickets']} WHERE category_l2 = '燃气'"
        ),
    }


@pytest.fixture
def risk_app(settings, request: pytest.FixtureRequest):
    """The app (with the test's own store, from the settings fixture); a principal by param."""
    from cockpit.scope import CITY_LEADER
    from tests.apps import running_app

    yield from running_app(settings, getattr(request, "param", CITY_LEADER))


def _hub(app):
    return app.server.extensions["cockpit_hub"]


def _today(settings) -> dt.date:
    return settings.sources["demo"].end_date


def test_screen_counts_match_the_data(risk_app, settings, truth) -> None:
    """In force = the source's warnings not lifted, plus the cockpit's own; map counts per county."""
    with risk_app.server.test_request_context("/"):
        built = build_screen(_hub(risk_app), PERIOD, None, _today(settings))
    frame = built["frame"]
    w = truth["warnings"]
    live = w[w.stage != "解除"]
    source = frame[frame.origin == "source"]
    assert sorted(source.warning_id) == sorted(live.warning_id)
    assert level_counts(source) == {lv: int((live.level == lv).sum()) for lv in (1, 2, 3, 4)}
    made = frame[frame.origin != "source"]
    assert len(made) >= 2 and set(made.origin) == {"threshold", "anomaly"}
    assert list(frame.level) == sorted(frame.level)  # most severe first
    fills = {t.customdata[0]: t.fillcolor for t in built["map"].data if t.fill == "toself"}
    assert len(fills) == len(settings.city.counties)


def test_trend_matches_the_data(risk_app, settings, truth) -> None:
    """New and lifted per month are the data's, over the configured months."""
    with risk_app.server.test_request_context("/"):
        _fig, note, frame = build_trend(_hub(risk_app), PERIOD, None)
    w = truth["warnings"]
    issued = w.issued_at.dt.strftime("%Y-%m").value_counts()
    lifted = w.lifted_at.dropna().dt.strftime("%Y-%m").value_counts()
    assert len(frame) == 12 and frame.month.iloc[-1] == PERIOD
    assert frame.issued.tolist() == [int(issued.get(m, 0)) for m in frame.month]
    assert frame.lifted.tolist() == [int(lifted.get(m, 0)) for m in frame.month]
    assert note.startswith("2025年11月至2026年10月")


def test_threshold_rule_flags_the_counties_below_the_line(risk_app, settings, truth) -> None:
    """按时办结率 below 90% in October (by the 12345 module's definitions in config/hotline.yaml):
    exactly the counties the data puts there, at the level their rate calls for."""
    cfg = RiskConfig.model_validate(settings.risk)
    with risk_app.server.test_request_context("/"):
        # Rules are judged on the month of "now" (warnings in force are a fact of now, #18):
        # on the last day of October, October's rates.
        view = in_force(_hub(risk_app), cfg, None, dt.date(2026, 10, 31))
    t = truth["october"]
    t = t[~t.direct_answer.astype(bool)]  # on_time_includes_direct: false
    # reopened_counts_on_time: false; extended tickets are judged on their extended deadline
    on_time = t.closed_at.notna() & (t.closed_at <= t.deadline) & ~t.reopened.astype(bool)
    due = pd.Series(True, index=t.index)
    rates = (on_time.groupby(t.county_code).sum() / due.groupby(t.county_code).sum() * 100).round(1)
    expected = {c for c, r in rates.items() if r < 90}
    flagged = {
        w.county_code: w for w in view.made if w.warning_id.startswith("EW-T-hotline_on_time-")
    }
    assert set(flagged) - {CITY} == expected
    for code in expected:
        level = 3 if rates[code] >= 85 else 2 if rates[code] >= 80 else 1
        assert flagged[code].level == level
        assert f"{rates[code]:g}%" in flagged[code].reason


def test_anomaly_detection_flags_the_weeks_gas_spike(risk_app, settings, truth) -> None:
    """The planted gas spike of the last complete week is an anomaly, red, with its count."""
    cfg = RiskConfig.model_validate(settings.risk)
    today = _today(settings)
    with risk_app.server.test_request_context("/"):
        view = in_force(_hub(risk_app), cfg, None, today)
    monday = pd.Timestamp(today).normalize() - pd.Timedelta(days=pd.Timestamp(today).weekday() + 7)
    gas = truth["gas"].received_at
    count = int(((gas >= monday) & (gas < monday + pd.Timedelta(days=7))).sum())
    [warning] = [
        w
        for w in view.made
        if w.warning_id == f"EW-A-hotline_category-燃气-{CITY}-{monday:%Y-%m-%d}"
    ]
    assert warning.level == 1 and warning.domain == "城市运行"
    assert (
        warning.reason.startswith(f"上周（{monday.month}月{monday.day}日-")
        and f"燃气类诉求 {count} 件" in warning.reason
    )
    assert warning.link.startswith("/hotline?period=2026-11&category=")


def test_acknowledgement_is_recorded_once(risk_app, settings, truth) -> None:
    """签收 writes who and when; the list then shows it; twice is refused."""
    live = truth["warnings"][truth["warnings"].stage != "解除"].iloc[0]
    today = _today(settings)
    with risk_app.server.test_request_context("/"):
        hub = _hub(risk_app)
        first = acks.acknowledge(hub, live.warning_id, PERIOD, None, today)
        second = acks.acknowledge(hub, live.warning_id, PERIOD, None, today)
        forged = acks.acknowledge(hub, "FX-NOT-A-WARNING", PERIOD, None, today)
        [ack] = get_store(hub).acks([live.warning_id])[live.warning_id]
        built = build_screen(hub, PERIOD, None, today)
    assert first.ok and first.message.startswith(f"已签收「{live.title}」（default，")
    assert (ack.actor_id, ack.actor_role, ack.warning_level) == (
        "default",
        "city_leader",
        live.level,
    )
    assert not second.ok and "已签收过" in second.message
    assert not forged.ok and "不在发布中" in forged.message
    text = json.dumps(built["rows"], default=lambda c: c.to_plotly_json(), ensure_ascii=False)
    assert "签收：default（" in text


@pytest.mark.parametrize("risk_app", [Principal("viewer", "analyst")], indirect=True)
def test_a_role_without_the_right_cannot_acknowledge(risk_app, settings, truth) -> None:
    """A role not in acknowledge_roles is refused; nothing is written."""
    live = truth["warnings"][truth["warnings"].stage != "解除"].iloc[0]
    with risk_app.server.test_request_context("/"):
        outcome = acks.acknowledge(_hub(risk_app), live.warning_id, PERIOD, None, _today(settings))
        assert get_store(_hub(risk_app)).acks([live.warning_id]) == {}
    assert not outcome.ok and "没有签收权限" in outcome.message


def test_a_failed_acknowledgement_is_reported(risk_app, settings, truth, monkeypatch) -> None:
    """The database failing mid-write: the user is told and no acknowledgement remains."""
    import sqlalchemy as sa

    live = truth["warnings"][truth["warnings"].stage != "解除"].iloc[0]
    with risk_app.server.test_request_context("/"):
        hub = _hub(risk_app)
        engine = get_store(hub).engine()

        def refuse(conn, cursor, statement, *args):
            if statement.lstrip().upper().startswith("INSERT"):
                raise sa.exc.OperationalError(statement, {}, Exception("disk I/O error"))

        sa.event.listen(engine, "before_cursor_execute", refuse)
        try:
            outcome = acks.acknowledge(hub, live.warning_id, PERIOD, None, _today(settings))
        finally:
            sa.event.remove(engine, "before_cursor_execute", refuse)
        assert get_store(hub).acks([live.warning_id]) == {}
    assert not outcome.ok and "签收未能保存" in outcome.message
    assert store_module  # the store module's messages are the ones shown


def test_acknowledge_over_http(risk_app, settings, truth) -> None:
    """Clicking 签收 (POSTed as the browser would) records it for the server's principal."""
    live = truth["warnings"][truth["warnings"].stage != "解除"].warning_id.tolist()
    clicked = pattern_id("risk-ack", warning=live[0])
    body = callback_body(
        risk_app,
        "risk-ack-message.children",
        {"filter-period.value": PERIOD, "filter-county.value": "city", "risk-refresh.data": 0},
        [json.dumps(clicked, sort_keys=True, separators=(",", ":")) + ".n_clicks"],
    )
    body["inputs"] = [
        [
            {
                "id": pattern_id("risk-ack", warning=w),
                "property": "n_clicks",
                "value": int(w == live[0]),
            }
            for w in live
        ]
    ]
    response = post(risk_app.server.test_client(), body)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    answer = response.get_json()["response"]
    assert (
        "已签收" in json.dumps(answer, ensure_ascii=False) and answer["risk-refresh"]["data"] == 1
    )
    with risk_app.server.test_request_context("/"):
        assert [a.actor_id for a in get_store(_hub(risk_app)).acks([live[0]])[live[0]]] == [
            "default"
        ]


def test_every_warning_leads_to_someone_to_call(risk_app, settings) -> None:
    """A source's warning links to its responsible people; the cockpit's own warning in a county
    links to the data behind it and to that county's contacts."""
    from urllib.parse import parse_qs, urlparse

    with risk_app.server.test_request_context("/"):
        built = build_screen(_hub(risk_app), PERIOD, None, _today(settings))

    def hrefs(component) -> list[str]:
        found = [component.href] if getattr(component, "href", None) else []
        children = getattr(component, "children", None)
        for child in children if isinstance(children, list | tuple) else [children]:
            if child is not None and not isinstance(child, str | int | float):
                found += hrefs(child)
        return found

    frame = built["frame"]
    counties = {c.code for c in settings.city.counties}
    assert len(built["rows"]) == len(frame)
    checked = set()
    for row, w in zip(built["rows"], frame.itertuples(), strict=True):
        wanted = [
            parse_qs(urlparse(h).query)["for"][0] for h in hrefs(row) if h.startswith("/contacts")
        ]
        if w.origin == "source":
            assert wanted == [f"warning:{w.warning_id}"]
        elif w.county_code in counties:
            assert wanted == [f"county:{w.county_code}"]
        else:
            assert wanted == []
        checked.add(w.origin)
    assert checked >= {"source", "threshold"}
