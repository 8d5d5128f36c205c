"""What every module's demo-data slice shares: the generation context (random streams, the
city's counties and their shapes, the data's end and today), city facts, calendars, people,
and the writer that puts the tables into the DuckDB file, streaming the large ones in blocks.

The slices live in the modules' domains (cockpit/domains/<module>/demo.py) and are put
together by cockpit/demo_data.py; nothing here is any one module's.
"""

from __future__ import annotations

import datetime as dt
import json
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias

import duckdb
import numpy as np
import pandas as pd
from shapely.geometry import Point, shape
from shapely.prepared import prep

Progress = Callable[[str, float], None]
TICKET_BLOCK = 100_000  # rows of a streamed table built in memory at once (~0.4 GB of tickets)


@dataclass
class DemoContext:
    """What a module's demo slice generates from: the parameters, the city and the streams."""

    seed: int
    # The one stream the first modules' slices draw from in turn, in the registry's order
    # (economy, key_work, risk, emergency, contacts): reordering them, or drawing from it in
    # another slice, changes every table after (tests/unit/test_demo_digest.py says so). A new
    # slice draws from a stream of its own: stream("<module>").
    rng: np.random.Generator
    city_code: str
    counties: list[str]  # county codes, in the city's order
    names: dict[str, str]  # county code -> name
    shapes: dict[str, Any]  # county code -> (shape, prepared shape): see point_in
    start_year: int
    end_date: dt.date  # the last day of data
    # The data's "now": the midnight that starts end_date, as a nightly (T+1) exchange delivers.
    # Never later than the wall clock, so "数据截至" is never in the future.
    end: pd.Timestamp
    today: dt.date  # the city's today, which may lie after end_date (a demo of past data)
    tickets: int  # 12345 tickets to generate (the demo source's `tickets`)
    block_size: int = TICKET_BLOCK
    # (county code, township name) -> township code, from the city's township file; empty
    # (the default) leaves the tickets without a township_code column, as before.
    townships: dict[tuple[str, str], str] = field(default_factory=dict)

    def stream(self, *key: int | str) -> np.random.Generator:
        """A random stream of its own, the same for the same seed and key whatever else is drawn."""
        ints = [k if isinstance(k, int) else zlib.crc32(k.encode()) for k in key]
        return np.random.default_rng([self.seed, *ints])


@dataclass
class Streamed:
    """A table too large to hold: its frames, a block at a time, and about how many rows."""

    blocks: Iterator[pd.DataFrame]
    rows: int  # expected in all, for the progress shown
    label: str  # what the progress line calls the rows, e.g. 12345 工单


Table: TypeAlias = pd.DataFrame | Streamed


def write_tables(
    path: Path, tables: dict[str, Table], meta: dict[str, str], report: Progress
) -> dict[str, int]:
    """Write the tables into a new DuckDB file (the whole ones first, then the streamed ones a
    block at a time, so memory stays about one block's whatever their size) and the meta
    table; return row counts by table."""
    whole = {name: t for name, t in tables.items() if isinstance(t, pd.DataFrame)}
    streamed = {name: t for name, t in tables.items() if isinstance(t, Streamed)}
    counts = {name: len(frame) for name, frame in whole.items()}
    expected = sum(s.rows for s in streamed.values()) or 1
    con = duckdb.connect(str(path))
    try:
        # A small buffer: DuckDB writes row groups out instead of holding the file in memory.
        con.execute("SET memory_limit = '256MB'")
        con.execute("SET enable_progress_bar = false")
        for name, frame in whole.items():
            con.register("frame_view", frame)
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM frame_view")
            con.unregister("frame_view")
        whole.clear()
        tables.clear()  # the caller's references too: only the current block stays in memory
        done = 0
        for name, table in streamed.items():
            written = 0
            for frame in table.blocks:
                con.register("block_view", frame)
                if written:
                    con.execute(f"INSERT INTO {name} SELECT * FROM block_view")
                else:
                    con.execute(f"CREATE TABLE {name} AS SELECT * FROM block_view")
                con.unregister("block_view")
                written += len(frame)
                del frame
                report(
                    f"{table.label} {written:,}/{table.rows:,}",
                    0.05 + 0.9 * (done + written) / expected,
                )
            counts[name] = written
            done += written
        con.execute("CREATE TABLE demo_meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
        con.executemany("INSERT INTO demo_meta VALUES (?, ?)", sorted(meta.items()))
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return counts


# -- the city ----------------------------------------------------------------------------------
# Approximate shares of each county (population, economy) for the default city; other cities
# get shares drawn from the seed.
COUNTY_POPULATION = {
    "140403": 76,
    "140404": 34,
    "140405": 26,
    "140406": 22,
    "140423": 25,
    "140425": 13,
    "140426": 15,
    "140427": 25,
    "140428": 33,
    "140429": 18,
    "140430": 14,
    "140431": 14,
}  # 万人, rounded
COUNTY_ECONOMY = {
    "140403": 0.27,
    "140404": 0.08,
    "140405": 0.07,
    "140406": 0.10,
    "140423": 0.11,
    "140425": 0.03,
    "140426": 0.04,
    "140427": 0.05,
    "140428": 0.07,
    "140429": 0.05,
    "140430": 0.03,
    "140431": 0.10,
}


# -- calendars -------------------------------------------------------------------------------
# Spring Festival eves: the week after each has fewer calls.
SPRING_FESTIVAL = [
    "2021-02-11",
    "2022-01-31",
    "2023-01-21",
    "2024-02-09",
    "2025-01-28",
    "2026-02-16",
    "2027-02-05",
    "2028-01-25",
]


# -- places and people -----------------------------------------------------------------------
SURNAMES = list(
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段漕钱汤尹黎易常武乔贺赖龚文"
)
GIVEN = list(
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏建国志红梅亮林斌浩宇晨欣怡子涵"
)
SUBDISTRICTS = ["城关", "东关", "西街", "南街", "北关", "新区", "工业园", "东山", "西沟"]


def county_shapes(city: Any, counties: list[str]) -> dict[str, Any]:
    """County shapes from the city's map file, for placing events inside their county."""
    data = json.loads(Path(city.map_path()).read_text(encoding="utf-8"))
    shapes = {
        str(f.get("id") or f["properties"].get("code")): shape(f["geometry"])
        for f in data["features"]
    }
    missing = [c for c in counties if c not in shapes]
    if missing:
        raise ValueError(f"map file {city.map_file} has no shape for {', '.join(missing)}")
    return {c: (shapes[c], prep(shapes[c])) for c in counties}


def point_in(entry: tuple[Any, Any], rng: np.random.Generator) -> tuple[float, float]:
    """A random point inside a shape (rejection sampling on its bounding box)."""
    geom, prepared = entry
    minx, miny, maxx, maxy = geom.bounds
    for _ in range(1000):
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if prepared.contains(Point(x, y)):
            return round(float(x), 5), round(float(y), 5)
    point = geom.representative_point()
    return round(point.x, 5), round(point.y, 5)


def person(rng: np.random.Generator) -> str:
    """A synthetic name: a surname and one or two given characters."""
    return SURNAMES[rng.integers(len(SURNAMES))] + "".join(
        rng.choice(GIVEN, size=int(rng.integers(1, 3)))
    )


def mobile(rng: np.random.Generator) -> str:
    """A synthetic mobile number (139...)."""
    return f"139{rng.integers(10**7, 10**8 - 1):08d}"
