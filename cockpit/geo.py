"""County boundaries for the cockpit's map.

Turns an ECharts map script (as shipped by the ``echarts-china-cities-pypkg`` package, one
``.js`` file per prefecture-level city) into a plain GeoJSON FeatureCollection, re-draws it
onto the current county-level divisions (merging divisions abolished by a reform into the
division that replaced them), and reads such a GeoJSON back with checks. The command line
(``python -m cockpit.geo --help``) regenerates ``assets/geo/<city code>.geojson``.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import re
import struct
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from shapely import make_valid, orient_polygons
from shapely.geometry import MultiPolygon, Point, Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import polylabel, unary_union

# ECharts' default quantisation: coordinates are stored in units of 1/1024 degree.
DEFAULT_ENCODE_SCALE = 1024
# ~1 m at these latitudes: finer than any map in the cockpit can show, and it keeps the file small.
COORD_DECIMALS = 5
POLYGONAL = ("Polygon", "MultiPolygon")


# --------------------------------------------------------------------------------------------
# Reading the object literal out of the .js file
# --------------------------------------------------------------------------------------------

_REGISTER_MAP = re.compile(r"registerMap\s*\(")
_NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_IDENT = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
_SIMPLE_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "b": "\b",
    "f": "\f",
    "v": "\v",
    "0": "\0",
}


class _JsLiteralParser:
    """Parse the data subset of a JavaScript expression: objects, arrays, strings, numbers.

    The files are minified JavaScript, not JSON (unquoted keys, ``!0`` for true, strings that
    may be single-quoted), so ``json.loads`` cannot read them; nothing here is evaluated.
    """

    def __init__(self, text: str, pos: int) -> None:
        self.text = text
        self.pos = pos

    def error(self, what: str) -> ValueError:
        return ValueError(f"cannot parse the registerMap payload: {what} at offset {self.pos}")

    def skip_space(self) -> None:
        text, n = self.text, len(self.text)
        while self.pos < n:
            if text[self.pos].isspace():
                self.pos += 1
            elif text.startswith("//", self.pos):
                end = text.find("\n", self.pos)
                self.pos = n if end < 0 else end + 1
            elif text.startswith("/*", self.pos):
                end = text.find("*/", self.pos + 2)
                if end < 0:
                    raise self.error("unterminated comment")
                self.pos = end + 2
            else:
                break

    def peek(self) -> str:
        self.skip_space()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def expect(self, char: str) -> None:
        if self.peek() != char:
            raise self.error(f"expected {char!r}")
        self.pos += 1

    def value(self) -> Any:
        char = self.peek()
        if char == "{":
            return self.obj()
        if char == "[":
            return self.array()
        if char in "\"'":
            return self.string()
        if char == "!":
            # Minifiers write true as !0 and false as !1.
            self.pos += 1
            return not self.value()
        match = _NUMBER.match(self.text, self.pos)
        if match:
            self.pos = match.end()
            literal = match.group()
            return int(literal) if literal.lstrip("-").isdigit() else float(literal)
        match = _IDENT.match(self.text, self.pos)
        if match and match.group() in ("true", "false", "null"):
            self.pos = match.end()
            return {"true": True, "false": False, "null": None}[match.group()]
        raise self.error("expected a literal value")

    def obj(self) -> dict[str, Any]:
        self.expect("{")
        result: dict[str, Any] = {}
        while self.peek() != "}":
            char = self.peek()
            if char in "\"'":
                key = self.string()
            else:
                match = _IDENT.match(self.text, self.pos) or _NUMBER.match(self.text, self.pos)
                if not match:
                    raise self.error("expected an object key")
                key, self.pos = match.group(), match.end()
            self.expect(":")
            result[key] = self.value()
            if self.peek() == ",":
                self.pos += 1
            elif self.peek() != "}":
                raise self.error("expected ',' or '}'")
        self.pos += 1
        return result

    def array(self) -> list[Any]:
        self.expect("[")
        result: list[Any] = []
        while self.peek() != "]":
            result.append(self.value())
            if self.peek() == ",":
                self.pos += 1
            elif self.peek() != "]":
                raise self.error("expected ',' or ']'")
        self.pos += 1
        return result

    def string(self) -> str:
        quote = self.peek()
        text, pos = self.text, self.pos + 1
        parts: list[str] = []
        while True:
            if pos >= len(text):
                raise self.error("unterminated string")
            char = text[pos]
            if char == quote:
                self.pos = pos + 1
                return "".join(parts)
            if char != "\\":
                parts.append(char)
                pos += 1
                continue
            esc = text[pos + 1 : pos + 2]
            if esc == "x":
                parts.append(chr(int(text[pos + 2 : pos + 4], 16)))
                pos += 4
            elif esc == "u" and text[pos + 2 : pos + 3] == "{":
                end = text.index("}", pos)
                parts.append(chr(int(text[pos + 3 : end], 16)))
                pos = end + 1
            elif esc == "u":
                # Kept as a lone surrogate if it is one: the decoder counts UTF-16 units like JS.
                parts.append(chr(int(text[pos + 2 : pos + 6], 16)))
                pos += 6
            elif esc == "\n":
                pos += 2  # line continuation
            else:
                parts.append(_SIMPLE_ESCAPES.get(esc, esc))
                pos += 2


def _register_map_payload(js_text: str) -> dict[str, Any]:
    """Return the object passed as the second argument of ``echarts.registerMap(name, obj)``."""
    for match in _REGISTER_MAP.finditer(js_text):
        parser = _JsLiteralParser(js_text, match.end())
        # The first argument is the map's name; the ECharts map files always pass a literal.
        if not parser.peek() or parser.peek() not in "\"'":
            continue
        parser.string()
        if parser.peek() != ",":
            continue
        parser.pos += 1
        if parser.peek() != "{":
            continue
        payload = parser.obj()
        if isinstance(payload.get("features"), list):
            return payload
    raise ValueError("no echarts.registerMap(name, {...features...}) payload found in the text")


# --------------------------------------------------------------------------------------------
# Decoding ECharts' compressed geometry (mirrors echarts/src/coord/geo/parseGeoJson.ts)
# --------------------------------------------------------------------------------------------


def _utf16_units(text: str) -> tuple[int, ...]:
    """Return the UTF-16 code units of text, as JavaScript's charCodeAt sees them."""
    raw = text.encode("utf-16-le", "surrogatepass")
    return struct.unpack(f"<{len(raw) // 2}H", raw)


def _decode_ring(encoded: str, offsets: Sequence[float], scale: float) -> list[list[float]]:
    """Decode one ring: zigzag-encoded deltas, two UTF-16 units per point, from offsets."""
    if not isinstance(encoded, str):
        # ValueError, not TypeError: this is malformed input data, reported like any other.
        kind = type(encoded).__name__
        raise ValueError(f"encoded ring must be a string, got {kind}")
    if len(offsets) != 2:
        raise ValueError(f"encodeOffsets entry must be [x, y], got {offsets!r}")
    units = _utf16_units(encoded)
    prev_x, prev_y = offsets
    ring: list[list[float]] = []
    for i in range(0, len(units) - 1, 2):
        dx = units[i] - 64
        dy = units[i + 1] - 64
        # ZigZag decoding: 0,1,2,3,... -> 0,-1,1,-2,...
        dx = (dx >> 1) ^ (-(dx & 1))
        dy = (dy >> 1) ^ (-(dy & 1))
        # Delta decoding
        x = prev_x + dx
        y = prev_y + dy
        prev_x, prev_y = x, y
        ring.append([x / scale, y / scale])
    return ring


def _close(ring: list[list[float]]) -> list[list[float]]:
    # ECharts draws rings open or closed alike; GeoJSON requires first == last.
    if ring and ring[0] != ring[-1]:
        ring = [*ring, list(ring[0])]
    return ring


def _decode_geometry(geometry: dict[str, Any], scale: float, where: str) -> dict[str, Any]:
    gtype = geometry.get("type")
    coords = geometry.get("coordinates")
    offsets = geometry.get("encodeOffsets")
    if gtype not in POLYGONAL:
        raise ValueError(f"{where}: geometry type {gtype!r} is not Polygon or MultiPolygon")
    if not isinstance(coords, list):
        raise ValueError(f"{where}: geometry has no coordinates list")
    if offsets is None:
        # ECharts leaves a geometry without encodeOffsets as it is (already plain numbers).
        return {"type": gtype, "coordinates": coords}
    try:
        if gtype == "Polygon":
            # Polygon: coordinates[ring] is a string, encodeOffsets[ring] is [x, y].
            rings = [_close(_decode_ring(ring, offsets[r], scale)) for r, ring in enumerate(coords)]
            return {"type": "Polygon", "coordinates": rings}
        # MultiPolygon: coordinates[polygon][ring] is a string, encodeOffsets[polygon][ring] is
        # [x, y]: one more level of nesting on both.
        polygons = [
            [_close(_decode_ring(ring, offsets[p][r], scale)) for r, ring in enumerate(polygon)]
            for p, polygon in enumerate(coords)
        ]
    except (IndexError, TypeError) as exc:
        raise ValueError(f"{where}: encodeOffsets do not match the coordinates ({exc})") from exc
    return {"type": "MultiPolygon", "coordinates": polygons}


def decode_echarts_map(js_text: str) -> dict:
    """Decode an ECharts map script (``echarts.registerMap``) into a GeoJSON FeatureCollection."""
    payload = _register_map_payload(js_text)
    encoded = bool(payload.get("UTF8Encoding"))
    scale = payload.get("UTF8Scale") or DEFAULT_ENCODE_SCALE
    features: list[dict[str, Any]] = []
    for index, feature in enumerate(payload["features"]):
        if not isinstance(feature, dict) or not isinstance(feature.get("geometry"), dict):
            raise ValueError(f"feature #{index} has no geometry object")
        fid = feature.get("id")
        props = dict(feature.get("properties") or {})
        where = f"feature #{index} (id {fid!r}, {props.get('name', '?')})"
        geometry = feature["geometry"]
        if encoded:
            geometry = _decode_geometry(geometry, scale, where)
        else:
            geometry = {"type": geometry.get("type"), "coordinates": geometry.get("coordinates")}
        out: dict[str, Any] = {"type": "Feature"}
        if fid is not None:
            out["id"] = str(fid)
        out["properties"] = props
        out["geometry"] = geometry
        features.append(out)
    return {"type": "FeatureCollection", "features": features}


# --------------------------------------------------------------------------------------------
# Re-drawing onto current divisions
# --------------------------------------------------------------------------------------------


def _polygonal(geom: BaseGeometry) -> Polygon | MultiPolygon:
    """Keep only the polygonal parts of geom (make_valid/union can add stray lines or points)."""
    if isinstance(geom, Polygon | MultiPolygon):
        return geom
    parts: list[Polygon] = []
    for part in getattr(geom, "geoms", []):
        if isinstance(part, Polygon):
            parts.append(part)
        elif isinstance(part, MultiPolygon):
            parts.extend(part.geoms)
    return MultiPolygon(parts) if len(parts) != 1 else parts[0]


def _label_point(geom: Polygon | MultiPolygon) -> list[float]:
    """A point well inside geom for its label: the largest part's pole of inaccessibility."""
    largest = max(geom.geoms, key=lambda g: g.area) if isinstance(geom, MultiPolygon) else geom
    # The pole of inaccessibility is the point farthest from every edge, so the label sits in
    # the body of the shape rather than near a border (the centroid of a C shape is outside it).
    # The representative point is the fallback should rounding push the label out.
    point = polylabel(largest, tolerance=max(math.sqrt(largest.area) / 200, 1e-6))
    rounded = [round(point.x, COORD_DECIMALS), round(point.y, COORD_DECIMALS)]
    if not largest.contains(Point(rounded)):
        point = largest.representative_point()
        rounded = [round(point.x, COORD_DECIMALS), round(point.y, COORD_DECIMALS)]
    return rounded


def _round_coords(value: Any) -> Any:
    if isinstance(value, int | float):
        return round(float(value), COORD_DECIMALS)
    return [_round_coords(v) for v in value]


def _geometry_json(geom: Polygon | MultiPolygon) -> dict[str, Any]:
    # RFC 7946 winding (exterior counter-clockwise, holes clockwise). GEOS returns the opposite,
    # and plotly's geo traces (d3-geo, spherical) would then fill the whole globe but the county.
    data = mapping(orient_polygons(geom, exterior_cw=False))
    return {"type": data["type"], "coordinates": _round_coords(data["coordinates"])}


def _feature_shape(feature: dict[str, Any], where: str) -> Polygon | MultiPolygon:
    try:
        geom = shape(feature["geometry"])
    except Exception as exc:  # shapely raises several types for malformed input
        raise ValueError(f"{where}: unreadable geometry ({exc})") from exc
    # Traced boundaries can self-touch; make_valid keeps the area where buffer(0) may drop it.
    return _polygonal(geom if geom.is_valid else make_valid(geom))


def merge_divisions(fc: dict, code_map: dict[str, str], names: dict[str, str]) -> dict:
    """Re-draw fc onto current divisions: map old codes, union shapes sharing a current code."""
    unknown: list[str] = []
    groups: dict[str, list[Polygon | MultiPolygon]] = {}
    for index, feature in enumerate(fc.get("features", [])):
        code = str(feature.get("id") or feature.get("properties", {}).get("code") or "")
        current = code_map.get(code, code)
        if current not in names:
            unknown.append(code or f"<feature #{index} without id>")
            continue
        groups.setdefault(current, []).append(_feature_shape(feature, f"feature {code}"))
    if unknown:
        raise ValueError(
            "feature codes neither current nor in the code map: " + ", ".join(sorted(unknown))
        )
    missing = [code for code in names if code not in groups]
    if missing:
        raise ValueError(
            "current divisions with no geometry: "
            + ", ".join(f"{code} {names[code]}" for code in missing)
        )
    features: list[dict[str, Any]] = []
    # Output in the order of names (the divisions table's order), so the file diffs stably.
    for code, name in names.items():
        # unary_union dissolves the border the merged parts share, leaving one outline.
        merged = _polygonal(unary_union(groups[code]))
        features.append(_feature(code, name, merged))
    return {"type": "FeatureCollection", "features": features}


def _feature(code: str, name: str, geom: Polygon | MultiPolygon) -> dict[str, Any]:
    if geom.is_empty:
        raise ValueError(f"division {code} {name}: geometry has no area")
    return {
        "type": "Feature",
        "id": code,
        "properties": {"code": code, "name": name, "cp": _label_point(geom)},
        "geometry": _geometry_json(geom),
    }


def simplify_divisions(fc: dict, tolerance: float) -> dict:
    """Simplify each feature's shape (Douglas-Peucker, topology kept) and re-place its label."""
    features: list[dict[str, Any]] = []
    for feature in fc["features"]:
        props = feature["properties"]
        geom = _feature_shape(feature, f"feature {feature.get('id')}")
        simple = _polygonal(geom.simplify(tolerance, preserve_topology=True))
        # preserve_topology keeps rings simple, but a hole can still end up touching its shell.
        if not simple.is_valid:
            simple = _polygonal(make_valid(simple))
        out = _feature(str(feature["id"]), props["name"], simple)
        # Keep any extra properties; code/name/cp are recomputed above.
        out["properties"] = {**props, **out["properties"]}
        features.append(out)
    return {"type": "FeatureCollection", "features": features}


# --------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------

_DIVISION_COLUMNS = ("code", "name", "status", "current_code")


def load_divisions(csv_path: str | Path) -> tuple[dict[str, str], dict[str, str]]:
    """Read a divisions CSV: (old or current code -> current code, current code -> name)."""
    path = Path(csv_path)
    # utf-8-sig: a CSV saved from a spreadsheet often starts with a byte-order mark.
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in _DIVISION_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path}: missing column(s) {', '.join(missing)}")
        rows = list(reader)
    code_map: dict[str, str] = {}
    names: dict[str, str] = {}
    for line, row in enumerate(rows, start=2):
        code = (row["code"] or "").strip()
        current = (row["current_code"] or "").strip()
        if not (len(code) == 6 and code.isdigit() and len(current) == 6 and current.isdigit()):
            raise ValueError(f"{path}:{line}: code and current_code must be 6 digits")
        if code.endswith("00"):
            continue  # the prefecture's own row, not a county-level division
        code_map[code] = current
        if (row["status"] or "").strip() == "current":
            names[code] = (row["name"] or "").strip()
    dangling = sorted({cur for cur in code_map.values() if cur not in names})
    if dangling:
        raise ValueError(f"{path}: current_code not a current division: {', '.join(dangling)}")
    return code_map, names


def load_boundaries(path: str | Path) -> dict:
    """Read a boundaries GeoJSON FeatureCollection and check every feature is usable."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise ValueError(f"{path}: not a GeoJSON FeatureCollection")
    features = data.get("features")
    if not isinstance(features, list) or not features:
        raise ValueError(f"{path}: FeatureCollection has no features")
    for index, feature in enumerate(features):
        where = f"{path}: feature #{index}"
        if not isinstance(feature, dict):
            raise ValueError(f"{where} is not an object")
        if feature.get("id") in (None, ""):
            raise ValueError(f"{where} has no id")
        where = f"{path}: feature {feature['id']}"
        props = feature.get("properties")
        if not isinstance(props, dict) or not props.get("name"):
            raise ValueError(f"{where} has no properties.name")
        geometry = feature.get("geometry")
        if not isinstance(geometry, dict) or geometry.get("type") not in POLYGONAL:
            raise ValueError(f"{where} geometry is not a Polygon or MultiPolygon")
        if not isinstance(geometry.get("coordinates"), list) or not geometry["coordinates"]:
            raise ValueError(f"{where} geometry has no coordinates")
    return data


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m cockpit.geo",
        description=(
            "Build a city's county boundary GeoJSON from an ECharts map script "
            "(echarts-china-cities-pypkg), re-drawn onto the current divisions."
        ),
    )
    parser.add_argument("--source", required=True, type=Path, help="ECharts map .js file")
    parser.add_argument(
        "--divisions", required=True, type=Path, help="divisions CSV (code,name,...,current_code)"
    )
    parser.add_argument("--out", required=True, type=Path, help="GeoJSON file to write")
    parser.add_argument(
        "--simplify",
        type=float,
        default=0.0,
        metavar="DEGREES",
        help="Douglas-Peucker tolerance in degrees (topology kept); 0 = keep every point",
    )
    return parser


def _summary(fc: dict) -> Iterable[str]:
    for feature in fc["features"]:
        geom = feature["geometry"]
        parts = 1 if geom["type"] == "Polygon" else len(geom["coordinates"])
        yield f"  {feature['id']} {feature['properties']['name']} ({parts} part(s))"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (2 on bad input)."""
    args = _parser().parse_args(argv)
    if args.simplify < 0 or not math.isfinite(args.simplify):
        print("error: --simplify must be a finite number >= 0", file=sys.stderr)
        return 2
    try:
        js_text = args.source.read_text(encoding="utf-8")
        code_map, names = load_divisions(args.divisions)
        decoded = decode_echarts_map(js_text)
        merged = merge_divisions(decoded, code_map, names)
        if args.simplify > 0:
            merged = simplify_divisions(merged, args.simplify)
        text = json.dumps(merged, ensure_ascii=False, separators=(",", ":"))
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")
    except FileNotFoundError as exc:
        print(f"error: file not found: {exc.filename}", file=sys.stderr)
        return 2
    except (OSError, ValueError) as exc:  # UnicodeDecodeError is a ValueError
        print(f"error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    size = args.out.stat().st_size
    print(
        f"decoded {len(decoded['features'])} source features from {args.source}; "
        f"wrote {len(merged['features'])} features, {size} bytes, to {args.out}"
        + (f" (simplified at {args.simplify} degrees)" if args.simplify > 0 else "")
    )
    for line in _summary(merged):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
