"""A configured domain's indicators follow the economy module's rules (pure, no data source)."""

from __future__ import annotations

import pandas as pd
import pytest

from cockpit.domains.configured import readings
from cockpit.domains.configured.schema import Domain

DOMAIN = Domain.model_validate(
    {
        "key": "demo",
        "title": "示例领域",
        "datasets": [
            {
                "key": "rows",
                "title": "明细",
                "time": "day",
                "columns": [
                    {"name": "county_code", "type": "string", "title": "县区"},
                    {"name": "day", "type": "date", "title": "日期"},
                    {"name": "amount", "type": "float", "title": "金额"},
                ],
            }
        ],
        "indicators": [
            {
                "id": "amount",
                "name": "累计金额",
                "unit": "亿元",
                "dataset": "rows",
                "measure": {"agg": "sum", "column": "amount"},
                "target": {"kind": "level", "value": 120},
                "warn_margin": 5,
            },
            {
                "id": "share",
                "name": "达标比例",
                "unit": "%",
                "dataset": "rows",
                "measure": {"agg": "count", "where": {"amount": {"ge": 5}}},
                "per": {"agg": "count"},
                "form": "monthly",
                "growth": "none",
                "target": {"kind": "level", "value": 60},
            },
        ],
        "screen": [{"kind": "kpis", "indicators": ["amount", "share"]}],
        "warnings": [{"indicator": "share", "below": 50, "level": "橙色"}],
    }
)
COUNTIES = ["140403", "140404"]
CITY = "140400"


def aggregates() -> pd.DataFrame:
    """Monthly aggregates as the hub answers them: sums, and counts for the ratio."""
    rows = []
    for month, a, b in (
        ("2025-01", 10, 20),
        ("2025-02", 10, 20),
        ("2026-01", 30, 30),
        ("2026-02", 20, 30),
    ):
        rows.append(("140403", month, a, 3, 4))
        rows.append(("140404", month, b, 1, 4))
    return pd.DataFrame(
        rows,
        columns=["county_code", "bucket_month", "amount__num", "share__num", "share__den"],
    )


@pytest.fixture
def prepared() -> dict[str, pd.DataFrame]:
    rows = readings.indicator_rows(aggregates(), DOMAIN, "rows", "county_code", CITY)
    return readings.prepared(rows, DOMAIN)


def test_cumulative_sums_growth_and_the_time_elapsed(prepared) -> None:
    """1-2月 adds January and February; the city is its counties' sum; growth is computed
    from last year's 1-2月; a level target is judged against 序时进度 (2/12 of the year)."""
    ind = DOMAIN.indicators[0]
    city = readings.figure(DOMAIN, ind, prepared["amount"], "2026-02", CITY, whole_city=True)
    assert city.value == 110 and city.label == "1-2月"
    assert city.growth == pytest.approx(83.3)  # 110 against 60
    assert city.done == pytest.approx(110 / 120 * 100)
    assert city.elapsed == pytest.approx(2 / 12 * 100) and city.status == "green"


def test_a_ratio_is_its_sums_divided_not_the_mean_of_the_counties(prepared) -> None:
    """达标比例 of the city is (3 + 1) / (4 + 4), not the counties' mean; the month alone."""
    ind = DOMAIN.indicators[1]
    city = readings.figure(DOMAIN, ind, prepared["share"], "2026-02", CITY)
    assert city.value == pytest.approx(50.0) and city.status == "red"  # 10 points below 60
    county = readings.figure(DOMAIN, ind, prepared["share"], "2026-02", "140404")
    assert county.value == pytest.approx(25.0)


def test_ranking_and_threshold_warnings(prepared) -> None:
    """Counties ranked by value; the threshold rule fires where the ratio is below 50."""
    ranked = readings.ranking(DOMAIN, DOMAIN.indicators[0], prepared["amount"], "2026-02", COUNTIES)
    assert list(ranked.county_code) == ["140404", "140403"] and list(ranked["rank"]) == [1, 2]
    places = {"140403": "潞州区", "140404": "上党区"}
    found = readings.alerts(DOMAIN, prepared, "2026-02", places, CITY)
    assert [(a.place, a.level) for a in found] == [("140404", 2)]
    assert found[0].text == "上党区达标比例（2026年2月）25.0%，低于预警阈值50%"
    text = readings.paragraph(
        DOMAIN,
        [
            readings.figure(
                DOMAIN, DOMAIN.indicators[0], prepared["amount"], "2026-02", CITY, whole_city=True
            )
        ],
        found,
        "全市",
    )
    assert text.startswith(
        "示例领域方面，1-2月，全市累计金额110.0亿元，同比增长83.3%，完成年度目标的91.7%"
    )
    assert text.endswith("上党区触发橙色等1条阈值预警，请相关部门关注。")


def test_a_county_is_not_held_to_the_citys_level_target(prepared) -> None:
    """累计金额's level target (120亿元) is the whole city's: a county's 1-2月 (上党区, 60亿元)
    is not judged against it (no 完成目标 share, no light from it); the city's total is, and a
    county with a target of its own is judged against its own."""
    ind = DOMAIN.indicators[0]
    county = readings.figure(DOMAIN, ind, prepared["amount"], "2026-02", "140404")
    assert county.value == 60
    assert county.target is None and county.done is None and county.status == "none"
    assert "目标" not in county.note
    city = readings.figure(DOMAIN, ind, prepared["amount"], "2026-02", CITY, whole_city=True)
    assert city.target == 120 and city.done == pytest.approx(110 / 120 * 100)
    # The total of a county account's scope is not the city's either.
    scope_total = readings.figure(DOMAIN, ind, prepared["amount"], "2026-02", CITY)
    assert scope_total.target is None
    own = ind.model_copy(
        update={"target": ind.target.model_copy(update={"counties": {"140404": {2026: 300.0}}})}
    )
    mine = readings.figure(DOMAIN, own, prepared["amount"], "2026-02", "140404")
    assert mine.target == 300 and mine.done == pytest.approx(60 / 300 * 100)
