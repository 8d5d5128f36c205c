"""The demo township boundary file: made-up 乡镇/街道 shapes inside real county shapes.

No township boundaries of 长治 are shipped with the cockpit (nor could be fetched here), so
the demo's are generated: each chosen county is cut into one cell per demo township name
(the names the demo tickets carry in `township`, cockpit.demo_kit.SUBDISTRICTS) around seed
points spread over the county, clipped to its border. The file says "demo" in its name and
in every feature (`properties.demo`); it is a picture to show the feature, not geography.

    python -m cockpit.demo_townships            # rewrites assets/geo/140400-townships-demo.geojson
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
from shapely import voronoi_polygons
from shapely.geometry import MultiPoint, Point, mapping, shape
from shapely.ops import polylabel

from cockpit.demo_kit import SUBDISTRICTS
from cockpit.settings import PROJECT_ROOT

DEMO_FILE = "assets/geo/140400-townships-demo.geojson"
DEMO_COUNTIES = ("140403", "140405")  # 潞州区, 屯留区: one district in town, one on its edge


def demo_name(index: int) -> str:
    """The demo township name of SUBDISTRICTS[index], as the demo tickets spell it."""
    return SUBDISTRICTS[index] + ("街道" if index % 2 == 0 else "镇")


def demo_code(county: str, index: int) -> str:
    """A 9-digit code in the 统计用区划代码 pattern: 街道 0xx, 镇 1xx after the county's."""
    return f"{county}{(1 if index % 2 else 0) * 100 + index + 1:03d}"


def demo_townships(county_file: Path, counties: tuple[str, ...] = DEMO_COUNTIES) -> dict:
    """A FeatureCollection of demo townships for `counties`, cut from their shapes."""
    features: list[dict[str, Any]] = []
    data = json.loads(county_file.read_text(encoding="utf-8"))
    shapes = {str(f["id"]): shape(f["geometry"]) for f in data["features"]}
    for county in counties:
        area = shapes[county]
        rng = np.random.default_rng(int(county))  # the same cells every time
        minx, miny, maxx, maxy = area.bounds
        candidates: list[Point] = []
        while len(candidates) < 400:
            p = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
            if area.contains(p):
                candidates.append(p)
        # Seeds spread evenly (each the candidate farthest from those chosen), so the cells
        # are of like size and their labels do not crowd one corner.
        seeds = [polylabel(area, tolerance=0.001)]
        while len(seeds) < len(SUBDISTRICTS):
            seeds.append(max(candidates, key=lambda c: min(c.distance(s) for s in seeds)))
        cells = voronoi_polygons(MultiPoint(seeds), extend_to=area.envelope)
        for index, seed in enumerate(seeds):
            cell = next(c for c in cells.geoms if c.contains(seed)).intersection(area)
            if cell.geom_type == "MultiPolygon":  # keep the part around its seed
                cell = max(cell.geoms, key=lambda g: g.area)
            cell = cell.simplify(0.002)
            label = polylabel(cell, tolerance=0.001)
            features.append(
                {
                    "type": "Feature",
                    "id": demo_code(county, index),
                    "properties": {
                        "name": demo_name(index),
                        "county": county,
                        "cp": [round(label.x, 4), round(label.y, 4)],
                        "demo": True,
                    },
                    "geometry": _rounded(mapping(cell)),
                }
            )
    return {
        "type": "FeatureCollection",
        "demo": "演示用乡镇边界：按县区边界生成的示意图形，不是真实的乡镇界线",
        "features": features,
    }


def _rounded(geometry: Any) -> Any:
    """GeoJSON coordinates to 4 decimals (about 10 m: finer than any screen shows)."""

    def walk(v: Any) -> Any:
        if isinstance(v, (list, tuple)):
            if v and isinstance(v[0], float):
                return [round(x, 4) for x in v]
            return [walk(x) for x in v]
        return v

    return {"type": geometry["type"], "coordinates": walk(geometry["coordinates"])}


def main() -> int:
    """Rewrite the demo township file from the default city's county shapes."""
    out = PROJECT_ROOT / DEMO_FILE
    fc = demo_townships(PROJECT_ROOT / "assets/geo/140400.geojson")
    out.write_text(json.dumps(fc, ensure_ascii=False, separators=(",", ":")) + "\n", "utf-8")
    print(f"wrote {len(fc['features'])} demo townships to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
