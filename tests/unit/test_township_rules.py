"""The township level (#24 item 5): which townships a county has, how its tickets are counted
per township for the ranking, and the check-config lines on the township file."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from cockpit import townships
from cockpit.domains.hotline.transform import county_ranking
from cockpit.settings import load_settings

SQUARE = {"type": "Polygon", "coordinates": [[[113, 36], [113.1, 36], [113.1, 36.1], [113, 36]]]}


def _feature(code: str, name: str, county: str | None = None) -> dict:
    props = {"name": name, **({"county": county} if county else {})}
    return {"type": "Feature", "id": code, "properties": props, "geometry": SQUARE}


@pytest.fixture
def township_file(tmp_path: Path) -> Path:
    """Three townships of 潞州区, one of 屯留区, one filed under a former code of 潞州区
    (城区 140402) and one under a county the city does not have."""
    path = tmp_path / "townships.geojson"
    features = [
        _feature("140403001", "甲街道"),
        _feature("140403002", "乙街道"),
        _feature("140403101", "丙镇"),
        _feature("140405001", "丁街道"),
        _feature("140402003", "戊街道"),  # 城区: counted under 潞州区 since 2018
        _feature("990101001", "外地镇"),
        _feature("140406001", "己镇", county="140499"),  # properties.county wins over the code
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    return path


def _settings(path: Path | None, **extra: str):
    env = {"COCKPIT_CITY__TOWNSHIP_FILE": str(path)} if path else {}
    return load_settings(environ={**env, **extra})


def test_a_county_has_the_townships_of_the_file_and_none_without_a_file(township_file) -> None:
    settings = _settings(township_file)
    assert townships.townships_of(settings, "140403") == {
        "140403001": "甲街道",
        "140403002": "乙街道",
        "140403101": "丙镇",
        "140402003": "戊街道",
    }
    assert townships.townships_of(settings, "140405") == {"140405001": "丁街道"}
    assert townships.townships_of(settings, "140423") == {}
    assert townships.townships_of(settings, None) == {}
    assert townships.townships_of(_settings(None), "140403") == {}


def test_township_ranking_counts_each_township_of_the_county_and_lists_the_silent_ones(
    township_file,
) -> None:
    """Per-township counts (the hub's group-by) become the county's ranking: its own townships
    only, a township without tickets listed with 0, another county's code left out."""
    names = townships.townships_of(_settings(township_file), "140403")
    tickets = pd.DataFrame(
        {"township_code": ["140403001"] * 5 + ["140403101"] * 2 + ["140405001"] * 9}
    )
    counted = tickets.groupby("township_code").size().rename("received").reset_index()
    for column in ("due", "on_time", "evaluated", "satisfied"):
        counted[column] = 0
    ranking = county_ranking(townships.township_counts(counted, names), names, "received")
    assert list(zip(ranking.county_code, ranking.received, strict=True)) == [
        ("140403001", 5),
        ("140403101", 2),
        ("140403002", 0),
        ("140402003", 0),
    ]
    assert list(ranking["name"][:2]) == ["甲街道", "丙镇"]
    assert list(ranking["rank"]) == [1, 2, 3, 4]
    assert townships.township_counts(counted.iloc[0:0], names).empty


def test_check_config_names_each_township_outside_the_citys_counties(township_file) -> None:
    settings = _settings(township_file)
    counties = [c.code for c in settings.city.counties]
    lines = townships.file_problems(township_file, counties, settings.city.former_codes)
    assert lines == [
        "city.township_file: townships.geojson 中的乡镇 990101001 外地镇 不属于本市任何县区"
        "（县区代码 990101）",
        "city.township_file: townships.geojson 中的乡镇 140406001 己镇 不属于本市任何县区"
        "（县区代码 140499）",
    ]


def test_check_config_names_each_code_of_the_data_missing_from_the_file(township_file) -> None:
    codes = ["140403001", "140403001", "140403999", None, float("nan"), "", "888888001"]
    assert townships.data_problems(township_file, "hotline.tickets", codes) == [
        "hotline.tickets: 数据中的乡镇代码 140403999 不在乡镇边界文件 townships.geojson 中",
        "hotline.tickets: 数据中的乡镇代码 888888001 不在乡镇边界文件 townships.geojson 中",
    ]


def test_a_broken_township_file_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.geojson"
    path.write_text("{not json", "utf-8")
    (line,) = townships.file_problems(path, ["140403"], {})
    assert line.startswith("city.township_file: ") and "not valid JSON" in line


def test_the_demo_township_file_lies_in_the_default_citys_counties() -> None:
    """The shipped demo file: labelled demo, every township inside a county of the city, named
    as the demo tickets name their townships."""
    from cockpit.demo_townships import DEMO_FILE, demo_name
    from cockpit.settings import PROJECT_ROOT

    settings = _settings(PROJECT_ROOT / DEMO_FILE)
    path = settings.city.township_path()
    counties = [c.code for c in settings.city.counties]
    assert townships.file_problems(path, counties, settings.city.former_codes) == []
    data = json.loads(path.read_text("utf-8"))
    assert "演示" in data["demo"] and all(f["properties"]["demo"] for f in data["features"])
    assert set(townships.townships_of(settings, "140403").values()) == {
        demo_name(i) for i in range(9)
    }


def test_a_township_file_missing_or_broken_is_one_line_before_start_up(tmp_path: Path) -> None:
    """Named but missing, or not GeoJSON: one line (check-config and start-up), no traceback."""
    from cockpit.factory import create_app
    from cockpit.preflight import township_file_problems
    from cockpit.settings import ConfigError

    missing = _settings(tmp_path / "nowhere.geojson")
    (line,) = township_file_problems(missing)
    assert line.startswith("config/city.yaml: city.township_file: 文件不存在") and "nowhere" in line
    broken = tmp_path / "broken.geojson"
    broken.write_text('{"type": "FeatureCollection", "features": []}', "utf-8")
    (line,) = township_file_problems(_settings(broken))
    assert "has no features" in line
    assert township_file_problems(_settings(None)) == []
    development = _settings(tmp_path / "nowhere.geojson", COCKPIT_APP__ENV="development")
    with pytest.raises(ConfigError) as refused:
        create_app(development)
    assert any("city.township_file" in p for p in refused.value.problems)
