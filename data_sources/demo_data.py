"""The demo-data generator: a realistic, deterministic city in one embedded DuckDB file.

Everything here is synthetic except the city's published annual figures (PUBLISHED below,
from the government work reports cited in shared/domain/city.md), which the monthly series
reproduce exactly at December: levels, and published growth rates as published (a rate that
the rounded levels cannot give, such as budget revenue's, is carried in the December row).
Same seed, size and end date -> the same data, row for row.

Run it by hand with `python -m cockpit demo-data --help`.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
from shapely.geometry import Point, shape
from shapely.prepared import prep

from cockpit import clock

GENERATOR_VERSION = "11"  # 11: tickets streamed in blocks; repeat callers in episodes (#22)
TICKET_BLOCK = 100_000  # tickets built in memory at once (~0.4 GB peak), whatever the total
DEMO_LABEL = "演示数据"

Progress = Callable[[str, float], None]

# Published annual figures (亿元 unless noted; growth in %, comparable prices where the bureau
# says so). None where the reports give no figure: the generator fills those synthetically.
PUBLISHED: dict[str, dict[int, dict[str, float]]] = {
    "gdp": {
        2020: {"value": 1711.6},
        2021: {"value": 2311.0, "growth": 11.0},
        2022: {"value": 2804.8, "growth": 7.2},
        2023: {"value": 2806.2, "growth": 5.6},
    },
    # The finance bureau's growth is on a comparable basis (可比口径) and cannot be recomputed
    # from the rounded levels (224 / 166.4 is +34.6%, the report says +34.7%): the demo
    # publishes it in the December row, as the bureau does, and the cockpit shows it as published.
    "budget_revenue": {
        2020: {"value": 166.4},
        2021: {"value": 224.0, "growth": 34.7},
        2022: {"value": 310.5, "growth": 38.6},
        2023: {"value": 315.08, "growth": 1.48},
    },
    "fai": {2021: {"value": 892.0, "growth": 10.3}, 2023: {"value": 963.5}},
    "industry_va": {2022: {"growth": 12.4}, 2023: {"growth": 6.1}},
}

# Synthetic annual paths where nothing is published (growth %, and a starting level).
_SYNTHETIC_GROWTH: dict[str, dict[int, float]] = {
    "gdp": {2024: 5.0, 2025: 5.2, 2026: 5.3},  # real growth
    "gdp_nominal": {2024: 4.6, 2025: 4.9, 2026: 5.1},
    "budget_revenue": {2024: 2.1, 2025: 3.5, 2026: 4.8},
    "fai": {2020: 6.0, 2022: 4.2, 2024: 6.8, 2025: 5.1, 2026: 4.5},
    "retail": {2021: 12.1, 2022: 1.6, 2023: 7.2, 2024: 5.6, 2025: 5.1, 2026: 4.7},
    "electricity": {2021: 9.5, 2022: 5.1, 2023: 6.4, 2024: 7.0, 2025: 5.8, 2026: 6.2},
    "urban_income": {2021: 7.6, 2022: 5.9, 2023: 5.3, 2024: 5.0, 2025: 4.9, 2026: 4.8},
    "industry_va": {2021: 10.8, 2024: 5.6, 2025: 6.0, 2026: 5.8},
    "cpi": {2021: 0.9, 2022: 2.0, 2023: 0.3, 2024: 0.2, 2025: 0.1, 2026: 0.6},
}
_START_LEVEL = {"retail": 720.0, "electricity": 221.0, "urban_income": 36_120.0}

# Monthly weight of each month's flow in the year's total (cumulative shares follow).
_FLOW_PROFILE = {
    "retail": [1.10, 0.92, 0.95, 0.93, 1.00, 1.02, 0.95, 0.97, 1.02, 1.08, 1.01, 1.15],
    "budget_revenue": [1.35, 0.75, 1.05, 1.20, 1.00, 0.95, 1.05, 0.80, 0.85, 1.05, 0.80, 1.15],
    "fai": [0.30, 0.35, 0.85, 0.95, 1.05, 1.25, 1.05, 1.05, 1.15, 1.10, 1.20, 1.50],
    "electricity": [1.12, 0.88, 0.98, 0.92, 0.95, 1.02, 1.12, 1.10, 0.95, 0.96, 0.98, 1.10],
}
_QUARTER_SHARES = [0.225, 0.47, 0.72, 1.0]

# Approximate shares of each county (population, economy) for the default city; other cities
# get shares drawn from the seed.
_COUNTY_POPULATION = {
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
_COUNTY_ECONOMY = {
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

# 12345 categories: (一级, 二级, weight, seasonal profile, deadline days, content template)
_CATEGORIES: list[tuple[str, str, float, str, int, str]] = [
    (
        "城乡建设",
        "供热",
        4.0,
        "winter",
        3,
        "反映{a}暖气不热，室温只有{n}度，要求供热单位尽快处理。",
    ),
    ("城乡建设", "物业管理", 6.0, "flat", 10, "反映{a}物业服务不到位，楼道垃圾长期无人清理。"),
    ("城乡建设", "房屋质量", 2.0, "summer", 15, "反映{a}住宅楼顶漏水，多次找开发商未解决。"),
    ("城乡建设", "住房保障", 1.5, "flat", 15, "咨询{a}公租房申请条件和办理流程。"),
    ("城市管理", "市容环境", 4.0, "flat", 5, "反映{a}附近垃圾堆放，气味难闻，影响居民生活。"),
    ("城市管理", "占道经营", 2.5, "summer", 5, "反映{a}路边摊贩占道经营，夜间噪音大。"),
    ("城市管理", "违章建筑", 1.5, "flat", 15, "举报{a}有人私搭乱建，占用公共绿地。"),
    ("公共服务", "供水", 4.0, "summer", 3, "反映{a}停水{n}小时，未见通知，要求尽快恢复供水。"),
    ("公共服务", "供电", 3.0, "summer", 3, "反映{a}频繁停电，影响正常生活。"),
    ("公共服务", "燃气", 2.5, "winter", 3, "反映{a}燃气压力不足，做饭困难，担心安全隐患。"),
    ("交通运输", "公交出行", 2.0, "flat", 10, "建议{a}附近增加公交线路，方便居民出行。"),
    ("交通运输", "出租车", 1.2, "flat", 10, "投诉出租车在{a}拒载、不打表。"),
    ("交通运输", "道路维修", 2.0, "summer", 10, "反映{a}路面坑洼积水，存在安全隐患。"),
    ("生态环境", "噪音扰民", 3.0, "summer", 5, "反映{a}附近工地夜间施工，噪音扰民。"),
    ("生态环境", "大气污染", 1.5, "winter", 10, "反映{a}附近企业排放异味，影响空气质量。"),
    (
        "劳动和社会保障",
        "拖欠工资",
        3.0,
        "payday",
        10,
        "反映在{a}务工被拖欠工资{n}千元，要求帮助讨薪。",
    ),
    ("劳动和社会保障", "社会保险", 2.5, "flat", 10, "咨询在{a}办理社保转移接续的手续。"),
    ("市场监管", "消费维权", 3.5, "flat", 7, "投诉{a}商家售卖商品质量问题，拒绝退换。"),
    ("市场监管", "食品安全", 1.5, "summer", 5, "举报{a}餐馆卫生条件差，疑似使用过期食材。"),
    ("教育", "招生入学", 2.0, "school", 10, "咨询{a}适龄儿童入学划片和报名时间。"),
    ("教育", "校外培训", 1.0, "school", 10, "反映{a}校外培训机构收费后停业，要求退费。"),
    ("卫生健康", "医疗服务", 2.0, "flat", 10, "反映{a}医院就诊排队时间长，服务态度差。"),
    ("卫生健康", "医保报销", 2.0, "flat", 10, "咨询异地就医医保报销比例和备案流程。"),
    ("农业农村", "农村饮水", 1.2, "summer", 7, "反映{a}村自来水浑浊，要求检测水质。"),
    ("农业农村", "农业补贴", 1.0, "spring", 15, "咨询{a}耕地地力保护补贴发放时间。"),
    ("公安", "治安秩序", 1.2, "flat", 7, "反映{a}夜间有人聚集喧哗，存在治安隐患。"),
    ("民政", "养老服务", 1.0, "flat", 15, "咨询{a}高龄津贴申领条件。"),
]
_SEASON = {
    "flat": [1.0] * 12,
    "winter": [3.0, 2.6, 1.4, 0.3, 0.1, 0.1, 0.1, 0.1, 0.2, 0.6, 2.8, 3.2],
    "summer": [0.6, 0.6, 0.8, 0.9, 1.2, 1.7, 2.0, 1.9, 1.2, 0.8, 0.6, 0.6],
    "payday": [2.2, 1.8, 0.8, 0.7, 0.7, 0.8, 0.8, 0.8, 0.9, 1.0, 1.5, 2.6],
    "school": [0.5, 0.6, 0.8, 0.8, 0.9, 1.4, 2.2, 2.6, 2.0, 0.7, 0.5, 0.5],
    "spring": [0.6, 0.8, 1.6, 1.8, 1.4, 1.0, 0.8, 0.8, 0.9, 1.0, 0.8, 0.6],
}
_WEEKDAY = [1.12, 1.08, 1.05, 1.03, 1.0, 0.78, 0.72]  # Monday .. Sunday
_HOURS = np.array(
    [
        0.3,
        0.2,
        0.15,
        0.1,
        0.1,
        0.2,
        0.6,
        1.6,
        4.2,
        6.5,
        6.8,
        5.6,
        3.6,
        3.9,
        5.8,
        6.2,
        5.9,
        5.0,
        3.4,
        2.8,
        2.4,
        1.8,
        1.0,
        0.6,
    ]
)
# Spring Festival eves: the week after each has fewer calls.
_SPRING_FESTIVAL = [
    "2021-02-11",
    "2022-01-31",
    "2023-01-21",
    "2024-02-09",
    "2025-01-28",
    "2026-02-16",
    "2027-02-05",
    "2028-01-25",
]
_CHANNELS = (["电话", "微信", "网站", "APP", "短信", "邮件"], [0.62, 0.16, 0.09, 0.09, 0.03, 0.01])
_SURNAMES = list(
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段漕钱汤尹黎易常武乔贺赖龚文"
)
_GIVEN = list(
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏建国志红梅亮林斌浩宇晨欣怡子涵"
)
_SUBDISTRICTS = ["城关", "东关", "西街", "南街", "北关", "新区", "工业园", "东山", "西沟"]
_UNITS_BY_L1 = {
    "城乡建设": ["市住建局", "市住房保障中心", "{c}住建局"],
    "城市管理": ["市城市管理局", "{c}城管局"],
    "公共服务": ["市供水公司", "国网长治供电公司", "市燃气公司", "{c}水务局"],
    "交通运输": ["市交通运输局", "市公交公司", "{c}交通运输局"],
    "生态环境": ["市生态环境局", "{c}生态环境分局"],
    "劳动和社会保障": ["市人社局", "{c}人社局"],
    "市场监管": ["市市场监管局", "{c}市场监管局"],
    "教育": ["市教育局", "{c}教育局"],
    "卫生健康": ["市卫健委", "市医保局", "{c}卫健局"],
    "农业农村": ["市农业农村局", "{c}农业农村局"],
    "公安": ["市公安局", "{c}公安分局"],
    "民政": ["市民政局", "{c}民政局"],
}


def generate(
    path: Path,
    *,
    city: Any,
    seed: int,
    tickets: int,
    start_year: int,
    end_date: dt.date,
    params: dict[str, str] | None = None,
    progress: Progress | None = None,
    block_size: int = TICKET_BLOCK,
) -> dict[str, int]:
    """Write every demo table into a new DuckDB file at `path`; return row counts by table.

    The tickets are streamed to the file a block at a time (ticket_blocks), so memory stays
    about one block's whatever their number."""
    report = progress or (lambda stage, fraction: None)
    rng = np.random.default_rng(seed)
    counties = [c.code for c in city.counties]
    names = {c.code: c.name for c in city.counties}
    shapes = _county_shapes(city, counties)
    # The data's "now": the midnight that starts end_date, as a nightly (T+1) exchange delivers.
    # Never later than the wall clock, so "数据截至" is never in the future.
    end = pd.Timestamp(end_date) - pd.Timedelta(minutes=1)
    tables: dict[str, pd.DataFrame] = {}

    report("经济指标", 0.0)
    tables["economy_indicator_values"] = economy_values(
        rng, city.code, counties, start_year, end_date
    )
    report("其他模块", 0.02)
    tables["key_work_tasks"] = key_work_tasks(rng, city.code, counties, names, end)
    # Milestones draw from a generator of their own, so the tables after them stay as they were.
    tables["key_work_milestones"] = key_work_milestones(
        np.random.default_rng([seed, 6]), tables["key_work_tasks"], end
    )
    tables["risk_warnings"] = risk_warnings(rng, counties, names, shapes, start_year, end)
    events, timeline = emergency_events(rng, counties, names, shapes, start_year, end)
    tables["emergency_events"] = events
    tables["emergency_timeline"] = timeline
    tables["emergency_resources"] = emergency_resources(rng, counties, names, shapes, end)
    # The roster reaches a week past the later of the data's end and today: a demo on data
    # that ends in the past (tests, benchmarks) still has today's duty to show and call.
    tables["duty_roster"] = duty_roster(
        rng,
        end_date,
        np.random.default_rng([seed, 7]),
        max(end_date, clock.today()) + dt.timedelta(days=7),
    )
    tables["contacts"] = contacts(rng, city.code, counties, names)

    meta = dict(params or {})
    meta.update(
        {
            "label": DEMO_LABEL,
            "generated_at": dt.datetime.now().isoformat(timespec="seconds"),
            "data_end": end.isoformat(),
        }
    )
    counts = {name: len(frame) for name, frame in tables.items()}
    con = duckdb.connect(str(path))
    try:
        # A small buffer: DuckDB writes row groups out instead of holding the file in memory.
        con.execute("SET memory_limit = '256MB'")
        con.execute("SET enable_progress_bar = false")
        for name, frame in tables.items():
            con.register("frame_view", frame)
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM frame_view")
            con.unregister("frame_view")
        tables.clear()
        done = 0
        for frame in ticket_blocks(seed, counties, names, tickets, end, block_size=block_size):
            con.register("block_view", frame)
            if done:
                con.execute("INSERT INTO hotline_tickets SELECT * FROM block_view")
            else:
                con.execute("CREATE TABLE hotline_tickets AS SELECT * FROM block_view")
            con.unregister("block_view")
            done += len(frame)
            del frame
            report(f"12345 工单 {done:,}/{tickets:,}", 0.05 + 0.9 * done / tickets)
        counts["hotline_tickets"] = done
        con.execute("CREATE TABLE demo_meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
        con.executemany("INSERT INTO demo_meta VALUES (?, ?)", sorted(meta.items()))
        con.execute("CHECKPOINT")
    finally:
        con.close()
    report("写入完成", 0.98)  # the caller's rollups and meta follow
    return counts


def meta_path(path: Path) -> Path:
    """The JSON file beside a demo database that records what it was generated with."""
    return Path(path).with_name(Path(path).name + ".meta.json")


def write_meta(path: Path, params: dict[str, str]) -> None:
    """Record the generation parameters beside the database."""
    meta_path(path).write_text(
        json.dumps(params, ensure_ascii=False, sort_keys=True), encoding="utf-8"
    )


def read_meta(path: Path) -> dict[str, str] | None:
    """The parameters a demo file was generated with, or None when unknown.

    Read from the JSON file beside the database, not from the database itself: DuckDB refuses
    a second connection with other settings in the same process, and "cannot open" must
    never be mistaken for "made with other parameters" (that would regenerate a file in use).
    """
    try:
        return json.loads(meta_path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


# -- 经济运行 ---------------------------------------------------------------------------------
def release_date(year: int, month: int, quarterly: bool) -> dt.date:
    """When the bureau publishes the period ending in `month` (the 18th or 20th after)."""
    nxt = dt.date(year + (month == 12), month % 12 + 1, 20 if quarterly else 18)
    return nxt


def _annual_levels(ind: str, years: range, rng: np.random.Generator) -> dict[int, float]:
    """City annual levels: published where known, synthetic growth elsewhere."""
    published = PUBLISHED.get(ind, {})
    growth = _SYNTHETIC_GROWTH.get("gdp_nominal" if ind == "gdp" else ind, {})
    levels: dict[int, float] = {}
    first = years.start - 1
    if first in published and "value" in published[first]:
        levels[first] = published[first]["value"]
    else:
        # Walk back from the first published level, or start from a synthetic one.
        known = sorted(y for y, v in published.items() if "value" in v)
        if known:
            level = published[known[0]]["value"]
            for y in range(known[0], first, -1):
                g = published.get(y, {}).get("growth") or growth.get(y, 5.0)
                if ind == "gdp":
                    g = growth.get(y, 6.0)
                level = level / (1 + g / 100)
            levels[first] = level
        else:
            levels[first] = _START_LEVEL[ind]
    for y in years:
        pub = published.get(y, {})
        if "value" in pub:
            levels[y] = pub["value"]
        elif (
            y + 1 in published and "value" in published[y + 1] and "growth" not in published[y + 1]
        ):
            # A gap year before a published level: split the way evenly.
            nxt = published[y + 1]["value"]
            levels[y] = (levels[y - 1] * nxt) ** 0.5
        else:
            g = pub.get("growth") if ind != "gdp" else None
            g = g if g is not None else growth.get(y, 5.0 + rng.normal(0, 0.5))
            levels[y] = levels[y - 1] * (1 + g / 100)
    return levels


def _growth_path(annual: float, months: list[int], rng: np.random.Generator) -> list[float]:
    """Cumulative growth by month that wanders early in the year and lands on `annual`."""
    out = []
    for m in months:
        spread = 1.8 * (12 - m) / 12
        out.append(round(annual + rng.normal(0, spread) if m < 12 else annual, 1))
    return out


def economy_values(
    rng: np.random.Generator, city_code: str, counties: list[str], start_year: int, end: dt.date
) -> pd.DataFrame:
    """Monthly and quarterly cumulative indicator values for the city and each county."""
    years = range(start_year, end.year + 1)
    rows: list[dict[str, Any]] = []
    econ = np.array([_COUNTY_ECONOMY.get(c, 0.0) for c in counties])
    if econ.sum() == 0:
        econ = rng.dirichlet(np.ones(len(counties)) * 5)
    econ = econ / econ.sum()
    county_offset = {c: rng.normal(0, 1.6) for c in counties}  # counties run ahead or behind

    def add(
        ind: str,
        code: str,
        y: int,
        m: int,
        value: float | None,
        growth: float | None,
        unit: str,
        quarterly: bool,
    ) -> None:
        rows.append(
            {
                "indicator_id": ind,
                "county_code": code,
                "period": f"{y}-{m:02d}",
                "period_type": "cumulative",
                "value": value,
                "growth": growth,
                "unit": unit,
                "release_date": release_date(y, m, quarterly),
            }
        )

    def released(y: int, m: int, quarterly: bool) -> bool:
        return release_date(y, m, quarterly) <= end

    level_inds = {
        "gdp": ("亿元", True),
        "fai": ("亿元", False),
        "retail": ("亿元", False),
        "budget_revenue": ("亿元", False),
        "electricity": ("亿千瓦时", False),
    }
    for ind, (unit, quarterly) in level_inds.items():
        levels = _annual_levels(ind, years, rng)
        months = [3, 6, 9, 12] if quarterly else list(range(2, 13))  # Jan-Feb released together
        # Each county's share of the city drifts from year to year: that drift is what makes
        # county growth rates differ from the city's (and from each other).
        share_of = {years.start - 1: econ}
        for y in years:
            drifted = np.clip(
                share_of[y - 1] * (1 + rng.normal(0, 0.03, len(counties))), 0.001, None
            )
            share_of[y] = drifted / drifted.sum()
        for y in years:
            shares = _cum_shares(ind, y, rng)
            prev_shares = _cum_shares(ind, y - 1, rng)
            weights = share_of[y]
            real = None
            if ind == "gdp":
                real_annual = PUBLISHED["gdp"].get(y, {}).get("growth")
                real_annual = (
                    real_annual if real_annual is not None else _SYNTHETIC_GROWTH["gdp"].get(y, 5.0)
                )
                real = dict(zip(months, _growth_path(real_annual, months, rng), strict=True))
            for m in months:
                if not released(y, m, quarterly):
                    continue
                city_cum = round(levels[y] * shares[m], 2)
                prev_cum = levels[y - 1] * prev_shares[m]
                county_cums = _split_exact(city_cum, weights)
                prev_county = prev_cum * share_of[y - 1]
                if ind == "gdp":
                    city_growth = real[m] if real else None
                elif ind in (
                    "fai",
                    "retail",
                ):  # published at current prices: consistent with levels
                    city_growth = round((city_cum / prev_cum - 1) * 100, 1)
                else:
                    city_growth = None  # growth: computed (the cockpit computes it)
                counties_have_growth = city_growth is not None
                # A published annual rate stands in the city's December row, whatever the
                # rounded levels give (the published figures are reproduced exactly).
                annual_pub = PUBLISHED.get(ind, {}).get(y, {}).get("growth")
                if ind != "gdp" and m == 12 and annual_pub is not None:
                    city_growth = annual_pub
                add(ind, city_code, y, m, city_cum, city_growth, unit, quarterly)
                for code, value, prev in zip(counties, county_cums, prev_county, strict=True):
                    if ind == "gdp":
                        growth = round(
                            city_growth + county_offset[code] * 0.6 + rng.normal(0, 0.4), 1
                        )
                    elif counties_have_growth:
                        growth = round((value / prev - 1) * 100, 1)
                    else:
                        growth = None
                    add(ind, code, y, m, value, growth, unit, quarterly)

    # Growth-only and index indicators: industrial value added, CPI.
    for y in years:
        for ind in ("industry_va", "cpi"):
            pub = PUBLISHED.get(ind, {}).get(y, {}).get("growth")
            annual = pub if pub is not None else _SYNTHETIC_GROWTH[ind].get(y, 5.0)
            months = list(range(2, 13))
            path = (
                _growth_path(annual, months, rng)
                if ind == "industry_va"
                else [
                    round(annual + rng.normal(0, 0.3) * (12 - m) / 12, 1) if m < 12 else annual
                    for m in months
                ]
            )
            for m, g in zip(months, path, strict=True):
                if not released(y, m, False):
                    continue
                if ind == "industry_va":
                    add(ind, city_code, y, m, None, g, "%", False)
                    for code in counties:
                        add(
                            ind,
                            code,
                            y,
                            m,
                            None,
                            round(g + county_offset[code] + rng.normal(0, 0.8), 1),
                            "%",
                            False,
                        )
                else:
                    add(ind, city_code, y, m, round(100 + g, 1), g, "上年同期=100", False)

    # Urban disposable income: quarterly, per capita (not additive), published growth.
    levels = _annual_levels("urban_income", years, rng)
    for y in years:
        for q, m in enumerate([3, 6, 9, 12]):
            if not released(y, m, True):
                continue
            share = [0.27, 0.51, 0.76, 1.0][q]
            cum, prev = levels[y] * share, levels[y - 1] * share
            add(
                "urban_income",
                city_code,
                y,
                m,
                round(cum),
                round((cum / prev - 1) * 100, 1),
                "元",
                True,
            )
            for code in counties:
                factor = 1 + 0.08 * np.tanh(county_offset[code])
                add(
                    "urban_income",
                    code,
                    y,
                    m,
                    round(cum * factor),
                    round((cum / prev - 1) * 100 + rng.normal(0, 0.5), 1),
                    "元",
                    True,
                )

    frame = pd.DataFrame(rows)
    frame = _revise_and_drop(frame, counties, end)
    frame["release_date"] = pd.to_datetime(frame["release_date"])
    return frame.sort_values(["indicator_id", "period", "county_code", "release_date"]).reset_index(
        drop=True
    )


def _cum_shares(ind: str, year: int, rng: np.random.Generator) -> dict[int, float]:
    """Share of the year's total reached by the end of each month (1.0 in December)."""
    if ind == "gdp":
        return dict(zip([3, 6, 9, 12], _QUARTER_SHARES, strict=True))
    # Deterministic per (indicator, year), so that the previous year's shares agree.
    local = np.random.default_rng([year, sum(map(ord, ind))])
    weights = np.array(_FLOW_PROFILE[ind]) * (1 + local.normal(0, 0.03, 12))
    cum = np.cumsum(weights) / weights.sum()
    return {m + 1: float(cum[m]) for m in range(12)}


def _split_exact(total: float, weights: np.ndarray) -> list[float]:
    """Split a total (2 decimals) by weights so that the rounded parts add up exactly."""
    cents = int(round(total * 100))
    raw = weights * cents
    parts = np.floor(raw).astype(int)
    short = cents - parts.sum()
    for i in np.argsort(-(raw - parts))[:short]:
        parts[i] += 1
    return [p / 100 for p in parts]


def _revise_and_drop(frame: pd.DataFrame, counties: list[str], end: dt.date) -> pd.DataFrame:
    """Make the data real-world untidy: one revised quarter, one county's missing month."""
    frame = frame.copy()
    # The GDP of the last published mid-year quarter is revised a month later (city and counties
    # alike, so county values still add up to the city's in the latest release).
    gdp = frame[
        (frame.indicator_id == "gdp")
        & frame.period.str.endswith("-06")
        & (frame.release_date + dt.timedelta(days=30) <= end)
    ]
    if not gdp.empty:
        period = gdp.period.max()
        mask = (frame.indicator_id == "gdp") & (frame.period == period)
        revised = frame[mask].copy()
        revised["release_date"] = revised["release_date"] + dt.timedelta(days=30)
        revised["growth"] = revised["growth"] + 0.1
        frame = pd.concat([frame, revised], ignore_index=True)
    # The smallest county misses one month of electricity (reported late): missing, not zero.
    elec = frame[(frame.indicator_id == "electricity") & (frame.county_code == counties[-1])]
    if len(elec) > 6:
        drop_period = sorted(elec.period)[-4]
        frame = frame[
            ~(
                (frame.indicator_id == "electricity")
                & (frame.county_code == counties[-1])
                & (frame.period == drop_period)
            )
        ]
    return frame


# -- 12345 ----------------------------------------------------------------------------------
_REPEAT_SHARE = 0.1  # tickets from a caller who rings again about the same problem
_MAX_CALLS = 24  # a caller's calls at most: the busiest caller stays a tiny share of any file
_CALL_GAP_DAYS = 4.0  # a repeat caller rings again every few days (mean), while unresolved


def _ticket_weights(end: pd.Timestamp) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """The days of the last three calendar years up to `end`, and the expected calls per
    (category, day): base x season x weekday x holiday x slow growth."""
    start = pd.Timestamp(end.year - 2, 1, 1)
    days = pd.date_range(start, end.normalize(), freq="D")
    n_days = len(days)
    base = np.array([c[2] for c in _CATEGORIES])
    season = np.array([_SEASON[c[3]] for c in _CATEGORIES])[:, days.month - 1]
    day_factor = np.array(_WEEKDAY)[days.day_of_week] * np.linspace(0.85, 1.15, n_days)
    for eve in _SPRING_FESTIVAL:
        day_factor[
            (days >= pd.Timestamp(eve)) & (days < pd.Timestamp(eve) + pd.Timedelta(days=7))
        ] *= 0.55
    day_factor[(days.month == 10) & (days.day <= 7)] *= 0.75
    weights = base[:, None] * season * day_factor[None, :]
    # A planted spike, so the demo has "what is new this week": gas complaints triple in the
    # last complete week (as after a supply problem).
    last_monday = end.normalize() - pd.Timedelta(days=end.weekday() + 7)
    spike_days = (days >= last_monday) & (days < last_monday + pd.Timedelta(days=7))
    gas = [i for i, c in enumerate(_CATEGORIES) if c[1] == "燃气"]
    weights[np.ix_(gas, np.flatnonzero(spike_days))] *= 3.5
    return days, weights


def ticket_blocks(
    seed: int,
    counties: list[str],
    names: dict[str, str],
    n: int,
    end: pd.Timestamp,
    *,
    block_size: int = TICKET_BLOCK,
) -> Iterator[pd.DataFrame]:
    """n tickets over the last three calendar years up to `end`, as frames of about
    `block_size` tickets in day order, so that any number can be written without holding it.

    The count of every (category, day) is drawn once for the whole file; each block then covers
    consecutive days and draws from a generator of its own ([seed, 12, block]): the same seed,
    size and block size give the same tickets.
    """
    days, weights = _ticket_weights(end)
    kinds, n_days = weights.shape
    plan = np.random.default_rng([seed, 12])
    counts = plan.multinomial(n, (weights / weights.sum()).ravel()).reshape(kinds, n_days)
    per_day = np.cumsum(counts.sum(axis=0))
    # Block boundaries on whole days: a block ends on the day its block_size-th ticket falls.
    cuts = np.unique(np.searchsorted(per_day, np.arange(block_size, n, block_size)) + 1)
    bounds = [0, *[int(c) for c in cuts if 0 < c < n_days], n_days]
    first_ticket, next_caller = 0, n  # one-time callers are numbered by ticket, the rest after
    for block, (d0, d1) in enumerate(itertools.pairwise(bounds)):
        cells = counts[:, d0:d1].T.ravel()  # day by day, categories within a day
        cat_idx = np.repeat(np.tile(np.arange(kinds), d1 - d0), cells)
        day_idx = np.repeat(np.repeat(np.arange(d0, d1), kinds), cells)
        if not len(cat_idx):
            continue
        rng = np.random.default_rng([seed, 12, block])
        frame, next_caller = _ticket_frame(
            rng, counties, names, days, cat_idx, day_idx, end, first_ticket, next_caller
        )
        first_ticket += len(frame)
        yield frame


def _callers(
    rng: np.random.Generator,
    cat_idx: np.ndarray,
    day_idx: np.ndarray,
    first_ticket: int,
    next_caller: int,
) -> tuple[np.ndarray, int]:
    """A caller number for each ticket of a block, and the next unused number.

    Most callers ring once (their number is their ticket's). About one ticket in ten comes
    from a caller who rings again about their own kind of problem (the noise next door, the
    same broken pipe: one person ringing about everything made the repeat list one caller eight
    times, #20), every few days while it lasts: 2 to _MAX_CALLS calls, fewer more often (a long
    tail). The calls of these episodes are laid on the block's repeat tickets of their category
    in time order, so a caller's tickets fall within weeks of each other, and numbers never
    repeat across blocks (10M tickets once had one number on 607,676 of them, #22).
    """
    n = len(cat_idx)
    caller = first_ticket + np.arange(n, dtype=np.int64)
    again = rng.random(n) < _REPEAT_SHARE
    sizes = np.arange(2, _MAX_CALLS + 1)
    size_p = sizes**-2.0 / (sizes**-2.0).sum()
    lo, hi = float(day_idx.min()), float(day_idx.max()) + 1
    for kind in np.unique(cat_idx[again]):
        tickets = np.flatnonzero(again & (cat_idx == kind))  # in day order already
        m = len(tickets)
        calls = rng.choice(sizes, size=m // 2 + 1, p=size_p)
        count = int(np.searchsorted(np.cumsum(calls), m)) + 1  # episodes enough for m calls
        calls = calls[:count]
        calls[-1] -= calls.sum() - m  # the last episode is cut to fit (may be a single call)
        episode = np.repeat(np.arange(count), calls)
        starts = rng.uniform(lo - _CALL_GAP_DAYS * 3, hi, count)
        gaps = rng.exponential(_CALL_GAP_DAYS, m)
        gaps[np.r_[0, np.cumsum(calls)[:-1]]] = 0.0  # each episode's first call at its start
        offset = np.cumsum(gaps) - np.repeat(
            np.cumsum(gaps)[np.r_[0, np.cumsum(calls)[:-1]]], calls
        )
        when = starts[episode] + offset
        caller[tickets] = next_caller + episode[np.argsort(when, kind="stable")]
        next_caller += count
    return caller, next_caller


def _ticket_frame(
    rng: np.random.Generator,
    counties: list[str],
    names: dict[str, str],
    days: pd.DatetimeIndex,
    cat_idx: np.ndarray,
    day_idx: np.ndarray,
    end: pd.Timestamp,
    first_ticket: int,
    next_caller: int,
) -> tuple[pd.DataFrame, int]:
    """The tickets of one block: their cells (category, day) given, the rest drawn here."""
    n = len(cat_idx)
    hours = rng.choice(24, size=n, p=_HOURS / _HOURS.sum())
    received = (
        days.values[day_idx]
        + hours * np.timedelta64(1, "h")
        + rng.integers(0, 3600, n) * np.timedelta64(1, "s")
    )
    received = np.minimum(received, end.to_datetime64() - np.timedelta64(1, "m"))
    pop = np.array([_COUNTY_POPULATION.get(c, 20) for c in counties], dtype=float)
    county_idx = rng.choice(len(counties), size=n, p=pop / pop.sum())
    county_codes = np.array(counties)[county_idx]
    # Counties differ in how late they close (some run a tight ship, some do not).
    late_rate = np.linspace(0.03, 0.14, len(counties))[rng.permutation(len(counties))]
    late_rate_row = late_rate[county_idx]

    channel = rng.choice(_CHANNELS[0], size=n, p=_CHANNELS[1])
    # The appeal type follows the wording of the complaint: 咨询/举报/建议/投诉 say so themselves;
    # "反映" is a complaint or a request for help; a few callers ring to thank (表扬).
    verbs = np.array([c[5][:2] for c in _CATEGORIES])[cat_idx]
    reflect = rng.choice(["投诉", "求助", "其他"], size=n, p=[0.55, 0.4, 0.05])
    appeal = np.where(verbs == "反映", reflect, verbs)
    praise = rng.random(n) < 0.02
    appeal = np.where(praise, "表扬", appeal)
    direct = rng.random(n) < np.where(appeal == "咨询", 0.55, 0.1)
    deadline_days = np.array([c[4] for c in _CATEGORIES])[cat_idx]

    dispatched = received + rng.integers(5, 180, n) * np.timedelta64(1, "m")
    sign_deadline = dispatched + np.timedelta64(4, "h")
    sign_minutes = rng.lognormal(3.6, 0.9, n)  # ~ 40 minutes typical
    sign_late = rng.random(n) < 0.04
    sign_minutes = np.where(sign_late, 240 + rng.exponential(300, n), np.minimum(sign_minutes, 235))
    signed = dispatched + (sign_minutes * 60).astype("int64") * np.timedelta64(1, "s")
    extended = (~direct) & (rng.random(n) < 0.05)
    deadline = received + (deadline_days + np.where(extended, 7, 0)) * np.timedelta64(1, "D")
    late = (~direct) & (rng.random(n) < late_rate_row)
    fraction = np.where(late, 1 + rng.uniform(0.05, 0.8, n), rng.beta(2.2, 3.0, n) * 0.98)
    allowed = (deadline - received).astype("timedelta64[s]").astype("int64")
    closed = received + (allowed * fraction).astype("int64") * np.timedelta64(1, "s")
    closed = np.where(direct, received + rng.integers(3, 25, n) * np.timedelta64(1, "m"), closed)
    reopened = (~direct) & (rng.random(n) < 0.02)
    closed = np.where(reopened, closed + rng.integers(2, 8, n) * np.timedelta64(1, "D"), closed)
    returned = np.where(direct, 0, rng.choice([0, 1, 2], size=n, p=[0.965, 0.03, 0.005]))

    now = end.to_datetime64()
    is_closed = closed <= now
    is_signed = direct | (signed <= now)
    status = np.where(is_closed, "已办结", np.where(is_signed, "办理中", "待签收"))
    status = np.where((~direct) & (dispatched > now), "待派单", status)
    followed = is_closed & (closed < now - np.timedelta64(1, "D")) & (rng.random(n) < 0.88)
    evaluated = followed & (rng.random(n) < 0.93)
    unhappy_p = np.where(late, 0.25, 0.06)
    u = rng.random(n)
    evaluation = np.where(
        u < unhappy_p, "不满意", np.where(u < unhappy_p + 0.14, "基本满意", "满意")
    )
    evaluation = np.where(evaluated, evaluation, None)

    caller, next_caller = _callers(rng, cat_idx, day_idx, first_ticket, next_caller)
    prefixes = np.array(["138", "139", "136", "150", "152", "158", "186", "187", "131", "177"])
    # 8 digits per caller: 7919 is prime to 10^8, so the map is one-to-one; the offset keeps
    # caller 0 off 00000000.
    phone = np.char.add(
        prefixes[caller % 10], np.char.zfill(((caller * 7919 + 3_572_468) % 10**8).astype(str), 8)
    )
    surname = np.array(_SURNAMES)[caller % len(_SURNAMES)]
    given = np.array(_GIVEN)[(caller // 7) % len(_GIVEN)]
    given2 = np.where(caller % 3 == 0, np.array(_GIVEN)[(caller // 11) % len(_GIVEN)], "")
    citizen = np.char.add(np.char.add(surname, given), given2)

    sub = rng.integers(0, len(_SUBDISTRICTS), n)
    county_names = np.array([names[c] for c in counties])[county_idx]
    township = np.char.add(np.array(_SUBDISTRICTS)[sub], np.where(sub % 2 == 0, "街道", "镇"))
    building = rng.integers(1, 40, n)
    address = np.char.add(
        np.char.add(np.char.add(county_names, township), "某小区"),
        np.char.add(building.astype(str), "号楼"),
    )
    templates = np.array([c[5] for c in _CATEGORIES], dtype=object)[cat_idx]
    templates = np.where(praise, "表扬{a}相关工作人员服务热情、办事高效。", templates)
    numbers = rng.integers(6, 16, n)
    content = [t.format(a=a, n=k) for t, a, k in zip(templates, address, numbers, strict=True)]

    l1 = np.array([c[0] for c in _CATEGORIES])[cat_idx]
    l2 = np.array([c[1] for c in _CATEGORIES])[cat_idx]
    unit = np.empty(n, dtype=object)
    unit_pick = rng.random(n)
    for key, options in _UNITS_BY_L1.items():
        mask = l1 == key
        choice = (unit_pick[mask] * len(options)).astype(int)
        unit[mask] = [
            options[i].format(c=cn) for i, cn in zip(choice, county_names[mask], strict=True)
        ]
    unit = np.where(direct, None, unit)

    def ts(values: np.ndarray, keep: np.ndarray) -> pd.Series:
        out = pd.Series(values.astype("datetime64[us]"))
        return out.where(keep)

    is_dispatched = (~direct) & (dispatched <= now)
    stamp = np.maximum.reduce(
        [
            received,
            np.where(is_dispatched, dispatched, received),
            np.where(is_signed & ~direct, signed, received),
            np.where(is_closed, closed, received),
        ]
    )
    ids = [
        f"CZ{d:%Y%m%d}{i:07d}"
        for d, i in zip(
            pd.DatetimeIndex(received), range(first_ticket, first_ticket + n), strict=True
        )
    ]
    frame = pd.DataFrame(
        {
            "ticket_id": ids,
            "received_at": pd.Series(received.astype("datetime64[us]")),
            "channel": channel,
            "appeal_type": appeal,
            "category_l1": l1,
            "category_l2": l2,
            "county_code": county_codes,
            "township": township,
            "address": address,
            "content": content,
            "direct_answer": direct,
            "responsible_unit": unit,
            "dispatched_at": ts(dispatched, is_dispatched),
            "sign_deadline": ts(sign_deadline, is_dispatched),
            "signed_at": ts(signed, (~direct) & is_signed),
            "deadline": pd.Series(deadline.astype("datetime64[us]")),
            "extended": extended,
            "returned_count": returned.astype("int32"),
            "reopened": reopened & is_closed,
            "closed_at": ts(closed, is_closed),
            "status": status,
            "followed_up": followed,
            "evaluation": evaluation,
            "citizen_name": citizen,
            "citizen_phone": phone,
            "updated_at": pd.Series(stamp.astype("datetime64[us]")),
        }
    )
    return frame, next_caller


# -- 重点工作 --------------------------------------------------------------------------------
_TASK_TEMPLATES = [
    ("政府工作报告", "推进{c}老旧小区改造{k}个", "市住建局"),
    ("政府工作报告", "新增城镇就业{k}百人（{c}）", "市人社局"),
    ("政府工作报告", "{c}规上工业企业培育入统{k}家", "市工信局"),
    ("政府工作报告", "完成{c}农村公路提质改造{k}公里", "市交通运输局"),
    ("重点项目", "{c}新能源产业园{k}期工程建设", "市发改委"),
    ("重点项目", "{c}智慧城市运营中心建设", "市行政审批局"),
    ("重点项目", "{c}污水处理厂提标改造", "市生态环境局"),
    ("重点项目", "{c}高标准农田建设{k}万亩", "市农业农村局"),
    ("领导批示", "{c}群众反映集中供热问题专项整治", "市住建局"),
    ("领导批示", "{c}拖欠农民工工资问题清零", "市人社局"),
    ("领导批示", "{c}安全生产隐患排查整治", "市应急管理局"),
]
_LEADERS = [
    "王建国 副市长",
    "李文华 副市长",
    "张晓明 副市长",
    "刘志强 常务副市长",
    "陈丽娟 副市长",
    "杨宏伟 副市长",
]
_CO_UNITS = ["市财政局", "市自然资源局", "市发改委", "市审计局", "市统计局", "市公安局"]


def key_work_tasks(
    rng: np.random.Generator,
    city_code: str,
    counties: list[str],
    names: dict[str, str],
    end: pd.Timestamp,
) -> pd.DataFrame:
    """About 150 key tasks of this year, most on track, some behind, a few overdue or stalled."""
    today = end.normalize()
    rows = []
    for i in range(150):
        source, title, unit = _TASK_TEMPLATES[i % len(_TASK_TEMPLATES)]
        code = counties[rng.integers(len(counties))] if rng.random() < 0.7 else city_code
        place = names.get(code, "全市")
        start = today - pd.Timedelta(days=int(rng.integers(60, 320)))
        if rng.random() < 0.9:  # most deadlines lie ahead; a few have passed
            deadline = today + pd.Timedelta(days=int(rng.integers(15, 220)))
        else:
            deadline = today - pd.Timedelta(days=int(rng.integers(3, 45)))
        span = max((deadline - start).days, 1)
        elapsed = min(max((today - start).days / span, 0), 1)
        kind = rng.random()
        if kind < 0.62:
            progress = min(100.0, elapsed * 100 + rng.normal(4, 6))
        elif kind < 0.85:
            progress = max(0.0, elapsed * 100 - rng.uniform(12, 35))
        else:
            progress = max(0.0, elapsed * 100 - rng.uniform(30, 60))
        progress = round(float(np.clip(progress, 0, 100)), 0)
        done = progress >= 100
        stale = rng.random() < 0.1
        fb_age = int(rng.integers(25, 60)) if stale else int(rng.exponential(5))
        feedback_date = today - pd.Timedelta(days=fb_age)
        rows.append(
            {
                "task_id": f"ZD{today.year}{i + 1:03d}",
                "title": title.format(c=place, k=int(rng.integers(2, 30))),
                "source": source,
                "lead_leader": _LEADERS[i % len(_LEADERS)],
                "lead_unit": unit,
                "co_units": "、".join(rng.choice(_CO_UNITS, size=2, replace=False)),
                "county_code": code,
                "start_date": start,
                "deadline": deadline,
                "progress": progress,
                "last_feedback": f"已完成总体进度的{int(progress)}%，"
                + ("正按计划推进。" if not stale else "近期推进缓慢。"),
                "last_feedback_date": feedback_date,
                "completed_at": feedback_date if done else pd.NaT,
            }
        )
    return pd.DataFrame(rows)


_MILESTONE_NAMES = {
    "政府工作报告": [
        "制定实施方案",
        "分解下达年度任务",
        "完成阶段目标",
        "开展中期评估",
        "攻坚冲刺",
        "全面完成并考核验收",
    ],
    "重点项目": [
        "完成立项审批",
        "完成招标采购",
        "开工建设",
        "主体工程完工",
        "设备安装调试",
        "竣工验收",
    ],
    "领导批示": ["摸排建立问题台账", "制定整改方案", "集中整改", "整改销号", "回头看并报结"],
}


def key_work_milestones(
    rng: np.random.Generator, tasks: pd.DataFrame, end: pd.Timestamp
) -> pd.DataFrame:
    """Three to six milestones per task, consistent with its dates, progress and feedback.

    Milestone k of n is planned at k/n of the task's progress and due at the same share of its
    time (the last on the deadline). It is done when the task's progress has reached its
    planned share, on a day near its due date but never after the task's latest feedback (which
    reported it) nor after the data's end; a finished task has all of them done, the last on the
    day it was finished. So a task behind 序时进度 has milestones past due and not done.
    """
    today = end.normalize()
    rows = []
    for task in tasks.itertuples():
        names = _MILESTONE_NAMES[task.source]
        n = int(rng.integers(3, len(names) + 1))
        chosen = [*names[: n - 1], names[-1]]
        start, deadline = pd.Timestamp(task.start_date), pd.Timestamp(task.deadline)
        span = max((deadline - start).days, 1)
        reported = min(pd.Timestamp(task.last_feedback_date), today)
        completed = not pd.isna(task.completed_at)
        previous = start
        for k, name in enumerate(chosen, start=1):
            share = 100.0 * k / n
            due = deadline if k == n else start + pd.Timedelta(days=round(span * k / n))
            done_at = pd.NaT
            if completed or task.progress >= share:
                day = due + pd.Timedelta(days=int(rng.integers(-12, 11)))
                day = min(max(day, start, previous), reported)
                done_at = reported if completed and k == n else day
                previous = done_at
            rows.append(
                {
                    "task_id": task.task_id,
                    "seq": k,
                    "name": name,
                    "due_date": due,
                    "done_at": done_at,
                    "planned_progress": round(share, 1),
                    "county_code": task.county_code,
                    # The unit reports milestones with its feedback, in the evening.
                    "updated_at": reported + pd.Timedelta(hours=18),
                }
            )
    frame = pd.DataFrame(rows)
    frame["seq"] = frame["seq"].astype("int64")
    return frame


# -- 风险管控 --------------------------------------------------------------------------------
_RISK_TYPES = {
    "安全生产": ["煤矿瓦斯浓度超限", "危化品储罐压力异常", "重大危险源监测报警"],
    "自然灾害": ["暴雨蓝色预警", "地质灾害隐患点位移", "森林火险等级升高", "大风降温"],
    "生态环境": ["PM2.5 浓度超标", "河流断面水质超标", "重点污染源在线监测超标"],
    "公共卫生": ["流感样病例聚集", "食源性疾病聚集"],
    "金融": ["疑似非法集资线索", "地方债务偿付压力"],
    "社会稳定": ["群体性上访苗头", "网络舆情热度上升"],
    "城市运行": ["燃气管网压力异常", "供水管网爆管风险", "道路塌陷隐患"],
}
_RISK_UNITS = {
    "安全生产": "市应急管理局",
    "自然灾害": "市应急管理局",
    "生态环境": "市生态环境局",
    "公共卫生": "市卫健委",
    "金融": "市金融办",
    "社会稳定": "市信访局",
    "城市运行": "市城市管理局",
}


def risk_warnings(
    rng: np.random.Generator,
    counties: list[str],
    names: dict[str, str],
    shapes: dict[str, Any],
    start_year: int,
    end: pd.Timestamp,
) -> pd.DataFrame:
    """Warnings since start_year at the four levels; the recent ones still in force."""
    start = pd.Timestamp(start_year, 1, 1)
    n = 700
    span = (end - start).total_seconds()
    issued = sorted(start + pd.to_timedelta(rng.uniform(0, span, n), unit="s"))
    domains = list(_RISK_TYPES)
    rows = []
    for i, at in enumerate(issued):
        domain = domains[rng.integers(len(domains))]
        code = counties[rng.integers(len(counties))]
        level = int(rng.choice([1, 2, 3, 4], p=[0.03, 0.12, 0.35, 0.5]))
        age_days = (end - at).total_seconds() / 86400
        in_force = age_days < rng.exponential(6)
        stage = rng.choice(["发布", "响应", "处置"]) if in_force else "解除"
        lifted = None if in_force else min(at + pd.Timedelta(hours=float(rng.uniform(4, 240))), end)
        lon, lat = _point_in(shapes[code], rng)
        title = domains and _RISK_TYPES[domain][rng.integers(len(_RISK_TYPES[domain]))]
        rows.append(
            {
                "warning_id": f"FX{at:%Y%m%d}{i:04d}",
                "domain": domain,
                "level": level,
                "title": f"{names[code]}{title}",
                "county_code": code,
                "place": f"{names[code]}{_SUBDISTRICTS[i % 9]}",
                "lon": lon,
                "lat": lat,
                "responsible_unit": _RISK_UNITS[domain],
                "source": "市预警信息发布中心" if domain == "自然灾害" else _RISK_UNITS[domain],
                "issued_at": at.floor("min"),
                "stage": stage,
                "lifted_at": lifted.floor("min") if lifted else pd.NaT,
                "updated_at": (lifted or at).floor("min"),
            }
        )
    frame = pd.DataFrame(rows)
    # Make sure the screen has something in force at every level of severity but the rarest.
    recent = frame.index[-4:]
    frame.loc[recent, "stage"] = ["发布", "响应", "处置", "响应"]
    frame.loc[recent, "lifted_at"] = pd.NaT
    frame.loc[recent, "level"] = [2, 3, 3, 4]
    frame.loc[recent, "updated_at"] = frame.loc[recent, "issued_at"]
    return frame


# -- 应急指挥 --------------------------------------------------------------------------------
_EVENT_TYPES = {
    "自然灾害": ["暴雨洪涝", "地质灾害", "森林火灾", "冰雹"],
    "事故灾难": ["道路交通事故", "火灾", "煤矿事故", "危化品泄漏", "燃气爆炸"],
    "公共卫生事件": ["食物中毒", "传染病疫情"],
    "社会安全事件": ["群体性事件", "重大刑事案件"],
}


def emergency_events(
    rng: np.random.Generator,
    counties: list[str],
    names: dict[str, str],
    shapes: dict[str, Any],
    start_year: int,
    end: pd.Timestamp,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Events since start_year (three still active) and the timeline of each."""
    start = pd.Timestamp(start_year, 1, 1)
    n = 320
    span = (end - start).total_seconds()
    occurred = sorted(start + pd.to_timedelta(rng.uniform(0, span - 3 * 86400, n - 3), unit="s"))
    occurred += [end - pd.Timedelta(hours=h) for h in (30, 7, 1.5)]  # the active ones
    categories = list(_EVENT_TYPES)
    rows, lines = [], []
    for i, at in enumerate(occurred):
        at = at.floor("min")
        category = categories[int(rng.choice(4, p=[0.3, 0.5, 0.1, 0.1]))]
        etype = _EVENT_TYPES[category][rng.integers(len(_EVENT_TYPES[category]))]
        level = int(rng.choice([1, 2, 3, 4], p=[0.01, 0.04, 0.2, 0.75]))
        code = counties[rng.integers(len(counties))]
        lon, lat = _point_in(shapes[code], rng)
        active = i >= n - 3
        reported = at + pd.Timedelta(minutes=int(rng.integers(3, 40)))
        closed = None if active else reported + pd.Timedelta(hours=float(rng.uniform(3, 96)))
        status = ("接报" if i == n - 1 else "处置中") if active else "已结束"
        deaths = int(rng.poisson({1: 12, 2: 4, 3: 1.2, 4: 0.1}[level]))
        injuries = int(rng.poisson({1: 40, 2: 15, 3: 5, 4: 1}[level]))
        place = f"{names[code]}{_SUBDISTRICTS[i % 9]}{'街道' if i % 2 else '镇'}"
        event_id = f"SJ{at:%Y%m%d}{i:04d}"
        steps = [
            (
                "接报",
                reported,
                f"{place}发生{etype}，{names[code]}应急管理局报告。",
                f"{names[code]}应急管理局",
            ),
            (
                "指令",
                reported + pd.Timedelta(minutes=20),
                "市领导指示：全力救治伤员，防止次生灾害。",
                "市应急指挥中心",
            ),
            (
                "处置",
                reported + pd.Timedelta(minutes=70),
                "救援队伍到达现场，开展处置。",
                f"{names[code]}消防救援大队",
            ),
            (
                "续报",
                reported + pd.Timedelta(hours=3),
                f"已造成{deaths}人死亡、{injuries}人受伤。",
                f"{names[code]}人民政府",
            ),
        ]
        for kind, when, text, by in steps:
            if when <= (closed or end):
                lines.append(
                    {
                        "event_id": event_id,
                        "at": when.floor("min"),
                        "entry_kind": kind,
                        "text": text,
                        "by": by,
                        "county_code": code,
                    }
                )
        rows.append(
            {
                "event_id": event_id,
                "title": f"{names[code]}{etype}",
                "category": category,
                "event_type": etype,
                "level": level,
                "occurred_at": at,
                "reported_at": reported,
                "county_code": code,
                "place": place,
                "lon": lon,
                "lat": lat,
                "deaths": deaths,
                "injuries": injuries,
                "status": status,
                "closed_at": closed,
                "response_level": level if level <= 3 else None,
                "updated_at": max(x[1] for x in steps if x[1] <= (closed or end)).floor("min"),
            }
        )
    events = pd.DataFrame(rows)
    events["closed_at"] = pd.to_datetime(events["closed_at"])
    events["response_level"] = events["response_level"].astype("Int64")
    return events, pd.DataFrame(lines)


def emergency_resources(
    rng: np.random.Generator,
    counties: list[str],
    names: dict[str, str],
    shapes: dict[str, Any],
    end: pd.Timestamp,
) -> pd.DataFrame:
    """Rescue teams, warehouses, shelters and hospital beds in every county."""
    kinds = [
        ("救援队伍", "应急救援队", (40, 120), "人"),
        ("物资仓库", "应急物资储备库", (2000, 20000), "件"),
        ("避难场所", "应急避难场所", (500, 8000), "人"),
        ("医疗床位", "人民医院", (200, 1500), "张"),
    ]
    rows = []
    for code in counties:
        for kind, suffix, (low, high), unit in kinds:
            for k in range(int(rng.integers(1, 4))):
                lon, lat = _point_in(shapes[code], rng)
                capacity = float(rng.integers(low, high))
                rows.append(
                    {
                        "resource_id": f"ZY{code}{len(rows):04d}",
                        "kind": kind,
                        "name": f"{names[code]}{'第' + str(k + 1) if k else ''}{suffix}",
                        "county_code": code,
                        "lon": lon,
                        "lat": lat,
                        "capacity": capacity,
                        "available": float(round(capacity * rng.uniform(0.55, 1.0))),
                        "unit": unit,
                        "contact": _person(rng),
                        "phone": _mobile(rng),
                        "updated_at": end.floor("h"),
                    }
                )
    return pd.DataFrame(rows)


def duty_roster(
    rng: np.random.Generator, end: dt.date, ahead: np.random.Generator, until: dt.date
) -> pd.DataFrame:
    """Who is on duty each day: a month back and a week ahead of the data's end, and on to
    `until`, as a roster is planned ahead.

    The days after the first week ahead draw from `ahead`, a generator of their own, so the
    rest of the demo data is the same whatever day it is generated on."""
    days = [end + dt.timedelta(days=offset) for offset in range(-30, 8)]
    later = [end + dt.timedelta(days=n) for n in range(8, (until - end).days + 1)]
    return pd.DataFrame(
        [*_duty_rows(rng, days), *_duty_rows(ahead, later)],
        columns=["duty_date", "role", "name", "post", "phone"],
    )


def _duty_rows(rng: np.random.Generator, days: list[dt.date]) -> list[dict]:
    rows = []
    for day in days:
        for role, post in (
            ("值班领导", "副市长"),
            ("带班领导", "市政府副秘书长"),
            ("值班员", "市应急管理局干部"),
        ):
            rows.append(
                {
                    "duty_date": pd.Timestamp(day),
                    "role": role,
                    "name": _person(rng),
                    "post": post,
                    "phone": _mobile(rng),
                }
            )
    return rows


def contacts(
    rng: np.random.Generator, city_code: str, counties: list[str], names: dict[str, str]
) -> pd.DataFrame:
    """A directory of city leaders, department heads and county leaders (synthetic people).

    It holds the people and units the other demo tables name (the leaders and lead units of key
    tasks, the units responsible for warnings), so 一键直联 finds a responsible person for each."""
    rows = [(name, post, "市人民政府", city_code) for name, post in (_split(x) for x in _LEADERS)]
    rows += [(_person(rng), post, "市人民政府", city_code) for post in ("市长", "秘书长")]
    units = sorted(
        {u for _s, _t, u in _TASK_TEMPLATES}
        | set(_RISK_UNITS.values())
        | set(_CO_UNITS)
        | {"市统计局", "市12345热线中心", "市预警信息发布中心"}
    )
    rows += [(_person(rng), "局长（主任）", org, city_code) for org in units]
    for code in counties:
        for org, post in (("人民政府", "县（区）长"), ("应急管理局", "局长"), ("住建局", "局长")):
            rows.append((_person(rng), post, f"{names[code]}{org}", code))
    return pd.DataFrame(
        [
            {
                "contact_id": f"TX{i:04d}",
                "name": name,
                "post": post,
                "org": org,
                "county_code": code,
                "office_phone": f"0355-{rng.integers(2000000, 8999999)}",
                "mobile": _mobile(rng),
            }
            for i, (name, post, org, code) in enumerate(rows)
        ]
    )


def _split(leader: str) -> tuple[str, str]:
    """'王建国 副市长' -> ('王建国', '副市长')."""
    name, _, post = leader.partition(" ")
    return name, post


# -- helpers --------------------------------------------------------------------------------
def _county_shapes(city: Any, counties: list[str]) -> dict[str, Any]:
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


def _point_in(entry: tuple[Any, Any], rng: np.random.Generator) -> tuple[float, float]:
    """A random point inside a shape (rejection sampling on its bounding box)."""
    geom, prepared = entry
    minx, miny, maxx, maxy = geom.bounds
    for _ in range(1000):
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if prepared.contains(Point(x, y)):
            return round(float(x), 5), round(float(y), 5)
    point = geom.representative_point()
    return round(point.x, 5), round(point.y, 5)


def _person(rng: np.random.Generator) -> str:
    return _SURNAMES[rng.integers(len(_SURNAMES))] + "".join(
        rng.choice(_GIVEN, size=int(rng.integers(1, 3)))
    )


def _mobile(rng: np.random.Generator) -> str:
    return f"139{rng.integers(10**7, 10**8 - 1):08d}"
