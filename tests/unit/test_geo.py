"""Tests for cockpit.geo: ECharts map decoding, division merging, file checks, the command line,
and the committed county boundaries in assets/geo/140400.geojson.

Nothing here needs the network or the echarts-china-cities-pypkg package: the encoded inputs are
made by a small encoder below, the inverse of ECharts' decoder.
"""

from __future__ import annotations

import importlib
import json
import sys
from itertools import combinations
from pathlib import Path

import pytest
from shapely.geometry import LineString, Point, box, shape

ROOT = Path(__file__).resolve().parents[2]
# `pytest tests/...` puts tests/ (not the repo root) on sys.path; make `cockpit` importable
# however the suite is started (import_module, not an import statement, so nothing is hoisted).
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
geo = importlib.import_module("cockpit.geo")

ASSET = ROOT / "assets" / "geo" / "140400.geojson"
DIVISIONS_CSV = ROOT / "config" / "divisions_140400.csv"
SCALE = 1024
TOLERANCE = 1 / SCALE


# --------------------------------------------------------------------------------------------
# A tiny ECharts encoder (the inverse of parseGeoJson's decodeRing), for building inputs
# --------------------------------------------------------------------------------------------


def _zigzag(value: int) -> int:
    return value << 1 if value >= 0 else (-value << 1) - 1


def encode_ring(ring: list[tuple[float, float]]) -> tuple[str, list[int]]:
    """Encode one ring as ECharts does: quantise, delta from the first point, zigzag, +64."""
    points = [(round(x * SCALE), round(y * SCALE)) for x, y in ring]
    offsets = list(points[0])
    prev_x, prev_y = points[0]
    chars = []
    for x, y in points:
        chars.append(chr(_zigzag(x - prev_x) + 64))
        chars.append(chr(_zigzag(y - prev_y) + 64))
        prev_x, prev_y = x, y
    return "".join(chars), offsets


def encode_geometry(geometry: dict) -> dict:
    """Encode a Polygon or MultiPolygon; encodeOffsets nest like the coordinates."""
    if geometry["type"] == "Polygon":
        pairs = [encode_ring(ring) for ring in geometry["coordinates"]]
        return {
            "type": "Polygon",
            "coordinates": [s for s, _ in pairs],
            "encodeOffsets": [o for _, o in pairs],
        }
    polygons = [[encode_ring(ring) for ring in poly] for poly in geometry["coordinates"]]
    return {
        "type": "MultiPolygon",
        "coordinates": [[s for s, _ in poly] for poly in polygons],
        "encodeOffsets": [[o for _, o in poly] for poly in polygons],
    }


def _js_literal(value: object) -> str:
    """Serialise like a minifier: unquoted keys, !0 for true; strings stay JSON-quoted."""
    if isinstance(value, bool):
        return "!0" if value else "!1"
    if isinstance(value, dict):
        return "{" + ",".join(f"{k}:{_js_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_js_literal(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def make_echarts_js(features: list[dict], *, minified: bool = True) -> str:
    """Build an ECharts map script around features with plain GeoJSON geometry."""
    payload = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": f["id"],
                "properties": f["properties"],
                "geometry": encode_geometry(f["geometry"]),
            }
            for f in features
        ],
        "UTF8Encoding": True,
    }
    body = _js_literal(payload) if minified else json.dumps(payload, indent=1)
    return (
        '!function(A,B){"function"==typeof define&&define.amd?define(["exports","echarts"],B)'
        ":B({},A.echarts)}(this,function(A,B){return B?B.registerMap?void "
        f'B.registerMap("测试",{body}):void 0:void 0}})'
    )


POLYGON_WITH_HOLE = {
    "type": "Polygon",
    "coordinates": [
        # Deltas of 0.5 degree (512 units) give non-ASCII characters; 14 units give a backslash.
        [(112.5, 36.0), (113.0, 36.0), (113.0, 36.5), (112.5, 36.5), (112.5, 36.0)],
        [(112.6, 36.1), (112.6, 36.2), (112.6 + 14 / SCALE, 36.2), (112.6, 36.1)],
    ],
}
MULTIPOLYGON = {
    "type": "MultiPolygon",
    "coordinates": [
        [[(113.1, 36.1), (113.3, 36.1), (113.3, 36.3), (113.1, 36.1)]],
        [
            [(-70.25, -33.5), (-70.0, -33.5), (-70.0, -33.25), (-70.25, -33.25), (-70.25, -33.5)],
            [(-70.2, -33.45), (-70.2, -33.3), (-70.05, -33.3), (-70.2, -33.45)],
        ],
    ],
}
FEATURES = [
    {
        "id": "140402",
        "properties": {"name": "城区", "cp": [113.123088, 36.20353], "childNum": 1},
        "geometry": POLYGON_WITH_HOLE,
    },
    {
        "id": "140411",
        "properties": {"name": "郊区", "cp": [113.101211, 36.218388], "childNum": 2},
        "geometry": MULTIPOLYGON,
    },
]


def _assert_rings_close(got: list, want: list) -> None:
    assert len(got) == len(want)
    for got_ring, want_ring in zip(got, want, strict=True):
        assert len(got_ring) == len(want_ring)
        for (gx, gy), (wx, wy) in zip(got_ring, want_ring, strict=True):
            assert abs(gx - wx) <= TOLERANCE and abs(gy - wy) <= TOLERANCE


# --------------------------------------------------------------------------------------------
# decode_echarts_map
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("minified", [True, False], ids=["minified-js", "json-payload"])
def test_decode_round_trips_polygon_and_multipolygon(minified: bool) -> None:
    fc = geo.decode_echarts_map(make_echarts_js(FEATURES, minified=minified))
    assert fc["type"] == "FeatureCollection"
    assert [f["id"] for f in fc["features"]] == ["140402", "140411"]

    polygon, multi = fc["features"]
    assert polygon["geometry"]["type"] == "Polygon"
    _assert_rings_close(polygon["geometry"]["coordinates"], POLYGON_WITH_HOLE["coordinates"])
    assert multi["geometry"]["type"] == "MultiPolygon"
    got_polys = multi["geometry"]["coordinates"]
    assert len(got_polys) == len(MULTIPOLYGON["coordinates"])
    for got, want in zip(got_polys, MULTIPOLYGON["coordinates"], strict=True):
        _assert_rings_close(got, want)

    assert polygon["properties"]["name"] == "城区"
    assert polygon["properties"]["cp"] == [113.123088, 36.20353]
    assert multi["properties"]["name"] == "郊区"
    # Plain GeoJSON: the encoding's bookkeeping is gone.
    assert "encodeOffsets" not in polygon["geometry"]
    assert "UTF8Encoding" not in fc


def test_decode_closes_open_rings() -> None:
    open_ring = {"type": "Polygon", "coordinates": [[(1.0, 1.0), (2.0, 1.0), (2.0, 2.0)]]}
    js = make_echarts_js([{"id": "1", "properties": {"name": "x"}, "geometry": open_ring}])
    ring = geo.decode_echarts_map(js)["features"][0]["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1]
    assert len(ring) == 4


def test_decode_matches_known_echarts_string() -> None:
    # Hand-decoded: "@@" is (0, 0); "B@" is +1 unit in x ("B" = 66 -> 2 -> zigzag +1);
    # "@A" is -1 unit in y ("A" = 65 -> 1 -> zigzag -1).
    js = (
        'echarts.registerMap("t",{type:"FeatureCollection",features:[{type:"Feature",id:"1",'
        'properties:{name:"t",cp:[1,2]},geometry:{type:"Polygon",coordinates:["@@B@@A"],'
        "encodeOffsets:[[1024,2048]]}}],UTF8Encoding:!0})"
    )
    ring = geo.decode_echarts_map(js)["features"][0]["geometry"]["coordinates"][0]
    assert ring[:3] == [[1.0, 2.0], [1 + 1 / 1024, 2.0], [1 + 1 / 1024, 2 - 1 / 1024]]


@pytest.mark.parametrize(
    "text",
    ["", "var x = 1;", "echarts.registerMap('a')", "console.log({type: 'FeatureCollection'})"],
)
def test_decode_without_register_map_raises(text: str) -> None:
    with pytest.raises(ValueError, match="registerMap"):
        geo.decode_echarts_map(text)


# --------------------------------------------------------------------------------------------
# merge_divisions
# --------------------------------------------------------------------------------------------


def _square_fc(*features: tuple[str, float]) -> dict:
    """Unit squares side by side: (code, x of the left edge)."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": code,
                "properties": {"name": code},
                "geometry": json.loads(json.dumps(box(x, 0, x + 1, 1).__geo_interface__)),
            }
            for code, x in features
        ],
    }


def test_merge_unions_adjacent_squares_without_internal_edge() -> None:
    fc = _square_fc(("A", 0.0), ("B", 1.0))
    merged = geo.merge_divisions(fc, {"A": "X", "B": "X"}, {"X": "合并区"})
    assert len(merged["features"]) == 1
    feature = merged["features"][0]
    assert feature["id"] == "X"
    assert feature["properties"]["code"] == "X"
    assert feature["properties"]["name"] == "合并区"
    assert feature["geometry"]["type"] == "Polygon"

    geom = shape(feature["geometry"])
    assert geom.area == pytest.approx(2.0)
    assert not geom.interiors
    # The shared edge x = 1 is gone: the outline is just the 2 x 1 rectangle.
    assert geom.equals(box(0, 0, 2, 1))
    assert not geom.exterior.intersects(LineString([(1, 0.1), (1, 0.9)]))
    assert geom.contains(Point(feature["properties"]["cp"]))


def test_merge_keeps_codes_not_in_the_map() -> None:
    fc = _square_fc(("A", 0.0), ("C", 5.0))
    merged = geo.merge_divisions(fc, {"A": "X"}, {"X": "甲", "C": "丙"})
    assert [f["id"] for f in merged["features"]] == ["X", "C"]
    assert merged["features"][1]["properties"]["name"] == "丙"


def test_merge_rounds_coordinates_to_five_decimals() -> None:
    fc = _square_fc(("A", 0.123456789))
    ring = geo.merge_divisions(fc, {}, {"A": "a"})["features"][0]["geometry"]["coordinates"][0]
    assert all(round(v, 5) == v for point in ring for v in point)


def test_merge_missing_current_code_raises() -> None:
    fc = _square_fc(("A", 0.0))
    with pytest.raises(ValueError, match="140499"):
        geo.merge_divisions(fc, {"A": "X"}, {"X": "甲", "140499": "无图区"})


def test_merge_unknown_code_raises() -> None:
    fc = _square_fc(("A", 0.0), ("140488", 1.0))
    with pytest.raises(ValueError, match="140488"):
        geo.merge_divisions(fc, {"A": "X"}, {"X": "甲"})


# --------------------------------------------------------------------------------------------
# load_divisions / load_boundaries
# --------------------------------------------------------------------------------------------

CSV_HEADER = "code,name,kind,status,current_code,source\n"
CSV_ROWS = (
    "140400,长治市,地级市,current,140400,src\n"
    "140403,潞州区,市辖区,current,140403,src\n"
    "140423,襄垣县,县,current,140423,src\n"
    "140402,城区,市辖区,abolished 2018-11-23,140403,src\n"
    "140411,郊区,市辖区,abolished 2018-11-23,140403,src\n"
)


def test_load_divisions(tmp_path: Path) -> None:
    path = tmp_path / "divisions.csv"
    path.write_text(CSV_HEADER + CSV_ROWS, encoding="utf-8")
    code_map, names = geo.load_divisions(path)
    assert names == {"140403": "潞州区", "140423": "襄垣县"}
    assert code_map == {
        "140403": "140403",
        "140423": "140423",
        "140402": "140403",
        "140411": "140403",
    }
    assert "140400" not in code_map  # the prefecture's own row is skipped


def test_load_divisions_rejects_bad_files(tmp_path: Path) -> None:
    no_column = tmp_path / "no_column.csv"
    no_column.write_text("code,name\n140403,潞州区\n", encoding="utf-8")
    with pytest.raises(ValueError, match="current_code"):
        geo.load_divisions(no_column)

    dangling = tmp_path / "dangling.csv"
    dangling.write_text(CSV_HEADER + "140402,城区,市辖区,abolished,140499,src\n", encoding="utf-8")
    with pytest.raises(ValueError, match="140499"):
        geo.load_divisions(dangling)


def _write_json(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_load_boundaries_accepts_a_valid_collection(tmp_path: Path) -> None:
    fc = geo.merge_divisions(_square_fc(("A", 0.0)), {}, {"A": "甲"})
    assert geo.load_boundaries(_write_json(tmp_path / "ok.geojson", fc)) == fc


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda fc: fc["features"][0].pop("id"), "no id"),
        (lambda fc: fc["features"][0]["properties"].pop("name"), "properties.name"),
        (
            lambda fc: fc["features"][0].update(geometry={"type": "Point", "coordinates": [1, 2]}),
            "Polygon",
        ),
        (lambda fc: fc.update(type="Feature"), "FeatureCollection"),
    ],
    ids=["no-id", "no-name", "point", "not-a-collection"],
)
def test_load_boundaries_rejects_bad_features(tmp_path: Path, mutate, message: str) -> None:
    fc = geo.merge_divisions(_square_fc(("A", 0.0)), {}, {"A": "甲"})
    mutate(fc)
    with pytest.raises(ValueError, match=message):
        geo.load_boundaries(_write_json(tmp_path / "bad.geojson", fc))


def test_load_boundaries_rejects_bad_json(tmp_path: Path) -> None:
    path = tmp_path / "broken.geojson"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="not valid JSON"):
        geo.load_boundaries(path)


# --------------------------------------------------------------------------------------------
# The committed boundaries: assets/geo/140400.geojson
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def committed() -> dict:
    return geo.load_boundaries(ASSET)


@pytest.fixture(scope="module")
def current_names() -> dict[str, str]:
    _, names = geo.load_divisions(DIVISIONS_CSV)
    return names


def test_committed_map_has_exactly_the_current_divisions(
    committed: dict, current_names: dict[str, str]
) -> None:
    ids = [f["id"] for f in committed["features"]]
    assert len(ids) == len(set(ids))
    assert set(ids) == set(current_names)
    for feature in committed["features"]:
        assert feature["properties"]["code"] == feature["id"]
        assert feature["properties"]["name"] == current_names[feature["id"]]


def test_committed_shapes_are_valid_lon_lat_with_labels_inside(committed: dict) -> None:
    for feature in committed["features"]:
        geom = shape(feature["geometry"])
        assert geom.is_valid, feature["id"]
        min_x, min_y, max_x, max_y = geom.bounds
        # Longitude first, inside China's extent: catches swapped or unscaled coordinates.
        assert 73 < min_x < max_x < 136 and 3 < min_y < max_y < 54, feature["id"]
        assert geom.contains(Point(feature["properties"]["cp"])), feature["id"]


def test_committed_shapes_do_not_overlap(committed: dict) -> None:
    shapes = {f["id"]: shape(f["geometry"]) for f in committed["features"]}
    for (a, geom_a), (b, geom_b) in combinations(shapes.items(), 2):
        overlap = geom_a.intersection(geom_b).area
        assert overlap < 0.01 * min(geom_a.area, geom_b.area), (a, b, overlap)


def test_committed_rings_follow_rfc7946_winding(committed: dict) -> None:
    # Exterior counter-clockwise: plotly's geo traces fill the outside of reversed rings.
    for feature in committed["features"]:
        geom = shape(feature["geometry"])
        for polygon in getattr(geom, "geoms", [geom]):
            assert polygon.exterior.is_ccw, feature["id"]
            assert all(not ring.is_ccw for ring in polygon.interiors), feature["id"]


def test_committed_file_is_small() -> None:
    assert ASSET.stat().st_size < 150_000


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


def _cli_inputs(tmp_path: Path) -> tuple[Path, Path]:
    source = tmp_path / "city.js"
    squares = [
        {
            "id": code,
            "properties": {"name": code},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[(x, 36.0), (x + 0.5, 36.0), (x + 0.5, 36.5), (x, 36.5)]],
            },
        }
        for code, x in (("140402", 113.0), ("140411", 113.5), ("140423", 114.0))
    ]
    source.write_text(make_echarts_js(squares), encoding="utf-8")
    divisions = tmp_path / "divisions.csv"
    divisions.write_text(CSV_HEADER + CSV_ROWS, encoding="utf-8")
    return source, divisions


def test_cli_builds_a_compact_geojson(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    source, divisions = _cli_inputs(tmp_path)
    out = tmp_path / "out" / "city.geojson"
    argv = ["--source", str(source), "--divisions", str(divisions), "--out", str(out)]
    assert geo.main([*argv, "--simplify", "0.001"]) == 0
    stdout = capsys.readouterr().out
    assert "2 features" in stdout and "bytes" in stdout

    text = out.read_text(encoding="utf-8")
    assert "潞州区" in text  # ensure_ascii=False
    assert ", " not in text and '": ' not in text  # compact separators
    fc = geo.load_boundaries(out)
    merged = {f["id"]: shape(f["geometry"]) for f in fc["features"]}
    assert set(merged) == {"140403", "140423"}
    assert merged["140403"].area == pytest.approx(0.5, rel=1e-6)
    assert merged["140403"].geom_type == "Polygon"


def test_cli_missing_file_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    _, divisions = _cli_inputs(tmp_path)
    missing = tmp_path / "nope.js"
    code = geo.main(
        ["--source", str(missing), "--divisions", str(divisions), "--out", str(tmp_path / "o")]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nope.js" in err and "Traceback" not in err


def test_cli_bad_input_exits_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    source, divisions = _cli_inputs(tmp_path)
    source.write_text("var nothing = 1;", encoding="utf-8")
    out = tmp_path / "o.geojson"
    assert (
        geo.main(["--source", str(source), "--divisions", str(divisions), "--out", str(out)]) == 2
    )
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "registerMap" in err
    assert not out.exists()


def test_cli_help_exits_0(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exc:
        geo.main(["--help"])
    assert exc.value.code == 0
    assert "--simplify" in capsys.readouterr().out
