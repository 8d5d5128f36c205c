"""The township level on the 12345 page (#24 item 5): a chosen county drills down to its
townships on the map and in the ranking, with the data's counts; a county account sees only
its own county's townships whatever county the browser names; without a township file nothing
speaks of townships; check-config names what does not fit, one line each."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import duckdb
import pytest

from cockpit import maps
from cockpit.scope import SEE_PERSONAL, Principal
from tests.apps import running_app
from tests.dash_requests import answer, callback_body
from tests.townships_support import TOWNSHIP_ENV, township_demo_db, township_settings

PERIOD = "2026-10"
OWN, OTHER = "140403", "140405"  # 潞州区 (a county account's own), 屯留区: both have townships
COUNTY_USER = Principal(
    user_id="luzhou-staff",
    role="county_staff",
    counties=frozenset({OWN}),
    permissions=frozenset({SEE_PERSONAL}),
    display_name="潞州区工作人员",
)


@pytest.fixture(scope="module")
def township_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return township_demo_db(tmp_path_factory.mktemp("township-demo"))


@pytest.fixture(scope="module")
def truth(township_db: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """Per county, its tickets of the period per township, read from a copy of the file (an
    app's engine holds the file itself with settings of its own)."""
    import shutil

    copy = tmp_path_factory.mktemp("township-truth") / "demo.duckdb"
    shutil.copyfile(township_db, copy)
    return {county: _truth(copy, county) for county in (OWN, OTHER)}


@pytest.fixture
def township_app(township_db: Path, tmp_path: Path):
    yield from running_app(township_settings(township_db, tmp_path / "cache"))


@pytest.fixture
def county_app(township_db: Path, tmp_path: Path):
    yield from running_app(township_settings(township_db, tmp_path / "cache"), COUNTY_USER)


def _truth(db: Path, county: str) -> dict[str, int]:
    """Tickets received in the period per township of the county, read straight from the file."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(
            "SELECT township_code, count(*) FROM hotline_tickets WHERE county_code = ? "
            "AND received_at >= TIMESTAMP '2026-10-01' AND received_at < TIMESTAMP '2026-11-01' "
            "GROUP BY 1",
            [county],
        ).fetchall()
    finally:
        con.close()
    return {code: n for code, n in rows}


def _map_answer(app, county: str) -> dict:
    """The 12345 map callback as the browser sends it, with `county` in the 区域 selector."""
    body = callback_body(
        app,
        "hotline-map-values.data",
        {
            "filter-period.value": PERIOD,
            "filter-county.value": county,
            "hotline-map-metric.value": "received",
            "hotline-map-measure.value": "total",
        },
        ["filter-county.value"],
    )
    return answer(app, body)["response"]


def _labels(sent: dict) -> dict[str, str]:
    """Code -> label text of the map's label trace (the last one)."""
    labels = sent["hotline-map-values"]["data"]["figure"]["data"][-1]
    return dict(zip(labels["customdata"], labels["text"], strict=True))


def test_a_chosen_county_drills_down_to_its_townships_with_the_datas_counts(
    township_app, township_db, truth
) -> None:
    truth = truth[OWN]
    assert len(truth) == 9 and None not in truth  # every 潞州区 ticket carries a demo code
    sent = _map_answer(township_app, OWN)
    labels = _labels(sent)
    assert set(labels) == set(truth)
    for code, n in truth.items():
        assert labels[code].endswith(f"<br>{n:,}件"), (code, labels[code], n)
    # Drawn from the township file's geometry, which the app serves.
    data = sent["hotline-map-values"]["data"]
    path = str(township_settings(township_db, Path("/tmp")).city.township_path())
    assert data["geometry"] == maps.geometry_url(path)
    served = township_app.server.test_client().get(data["geometry"])
    assert served.status_code == 200 and len(served.get_json()["codes"]) == 18
    ranking = json.dumps(sent["hotline-county-rank"]["children"], ensure_ascii=False)
    assert "乡镇（街道）" in ranking and "城关街道" in ranking
    assert "潞州区各乡镇（街道）" in sent["hotline-map-period"]["children"]
    # A county the file has no townships for stays the lowest level: the 12 counties.
    assert len(_labels(_map_answer(township_app, "140404"))) == 12


def test_a_county_account_sees_only_its_own_countys_townships(county_app, truth) -> None:
    """The scope comes from the session: a forged 区域 naming another county with townships
    draws no township of it (nor any figure of it: the county map, redacted)."""
    own = _labels(_map_answer(county_app, OWN))
    assert set(own) == set(truth[OWN])
    forged = _map_answer(county_app, OTHER)
    labels = _labels(forged)
    assert not any(code.startswith(OTHER) and len(code) == 9 for code in labels)
    assert set(labels) == {c for c in labels if len(c) == 6} and len(labels) == 12
    assert "无权查看" in labels[OTHER]
    assert "乡镇" not in json.dumps(forged, ensure_ascii=False)


def test_without_a_township_file_nothing_speaks_of_townships(app) -> None:
    """The default demo (no township file): a chosen county is drawn among the counties, and
    neither the page nor its map answer names a township."""
    client = app.server.test_client()
    layout = client.get("/_dash-layout", headers={"Referer": "http://localhost/hotline"})
    assert "乡镇" not in layout.get_data(as_text=True)
    sent = _map_answer(app, OWN)
    assert len(_labels(sent)) == 12
    text = json.dumps(sent, ensure_ascii=False)
    assert "乡镇" not in text and "街道" not in text
    assert not any(k == "hotline-map.clickData" for k in app.callback_map)  # unchanged wiring


def test_check_config_reports_townships_outside_the_city_one_line_each(
    township_db, tmp_path: Path
) -> None:
    """The demo township file plus one township of a county the city lacks: check-config
    fails with that township on one line, and no line for the data (every code is in the file)."""
    import subprocess

    from cockpit.demo_townships import DEMO_FILE
    from cockpit.settings import PROJECT_ROOT
    from tests.conftest import demo_environ

    data = json.loads((PROJECT_ROOT / DEMO_FILE).read_text("utf-8"))
    stray = {**data["features"][0], "id": "990101001"}
    stray["properties"] = {**stray["properties"], "name": "外地镇", "county": "990101"}
    data["features"].append(stray)
    bad = tmp_path / "townships.geojson"
    bad.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    env = demo_environ(tmp_path / "demo.duckdb", tmp_path / "cache", **TOWNSHIP_ENV)
    env["COCKPIT_CITY__TOWNSHIP_FILE"] = str(bad)
    env["COCKPIT_SOURCES__DEMO__TICKETS"] = "3000"
    result = subprocess.run(
        [sys.executable, "-m", "cockpit", "check-config"],
        env={**__import__("os").environ, **env},
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=300,
    )
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if "乡镇" in line]
    assert len(lines) == 1, result.stderr
    assert lines[0].endswith(
        "city.township_file: townships.geojson 中的乡镇 990101001 外地镇 不属于本市任何县区"
        "（县区代码 990101）"
    ), result.stderr


def test_the_codes_check_config_reads_are_the_datas_and_a_missing_one_is_a_line(
    township_app, truth, tmp_path: Path
) -> None:
    """codes_in_data reads every township code of the tickets through the hub (whole city);
    against a file lacking one of them, that code is one line."""
    from cockpit import townships

    hub = township_app.server.extensions["cockpit_hub"]
    with township_app.server.app_context():
        found = townships.codes_in_data(hub)
    assert isinstance(found, dict)
    assert sorted(found["hotline.tickets"]) == sorted(
        {*truth[OWN], *truth[OTHER]}  # every demo code is used in October already
    )
    path = hub.settings.city.township_path()
    data = json.loads(path.read_text("utf-8"))
    data["features"] = [f for f in data["features"] if f["id"] != "140405104"]
    trimmed = tmp_path / "trimmed.geojson"
    trimmed.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    assert townships.data_problems(trimmed, "hotline.tickets", found["hotline.tickets"]) == [
        "hotline.tickets: 数据中的乡镇代码 140405104 不在乡镇边界文件 trimmed.geojson 中"
    ]


def test_a_click_on_a_township_leaves_the_ticket_list_as_it_is() -> None:
    from panels.hotline.callbacks import drill_key_for

    def click(code: str) -> dict:
        return {"points": [{"customdata": code}]}

    assert drill_key_for("hotline-map", click(OWN), None) == f"county|{OWN}"
    assert drill_key_for("hotline-map", click("140403001"), None) is None
