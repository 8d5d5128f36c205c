"""不分县区发布, 尚未发布 and 暂无数据 are three different things (issue #18 item 4).

Decided from the catalog (is the indicator published by county? when is a period's figure
due?) and from the data (was it delivered?), once, in cockpit.domains.economy.transform, and said the
same on the economy cards, the ranking and map, the overview and the 要情专报:
- 不分县区发布: a county, for an indicator the catalog says is published for the city only;
- 尚未发布: the period's release is not due yet by the release calendar;
- 暂无数据: the figure is due (published) but was not delivered to the cockpit.
Before, a county figure published by county but not delivered read 不分县区发布, and a 2023
figure published but not delivered read "2023年数据尚未发布".
"""

from __future__ import annotations

import datetime as dt

import pytest

from cockpit.domains.economy.transform import indicator_figure, reading, sentence
from cockpit.settings import Indicator, Target
from tests.real_changzhi import CITY, economy_rows, real_settings

LUZHOU = "140403"
COUNTIES = [LUZHOU, "140404"]
TODAY = dt.date(2026, 12, 6)


def _indicator(**overrides: object) -> Indicator:
    fields: dict[str, object] = {
        "id": "gdp",
        "name": "地区生产总值",
        "unit": "亿元",
        "definition": "可比价",
        "department": "市统计局",
        "frequency": "quarterly",
        "form": "cumulative",
        "growth": "published",
        "good": "up",
        "additive": True,
        "target": Target(kind="growth", value=6.0, years={2023: 7.0}),
    }
    fields.update(overrides)
    return Indicator(**fields)


def test_a_county_figure_published_by_county_but_not_delivered_is_no_data():
    """长治's 2023 GDP delivered for the city only: 潞州区 reads 暂无数据, not 不分县区发布."""
    r = reading(economy_rows(), _indicator(), "2023-12", LUZHOU, COUNTIES, today=TODAY)
    assert r.value is None and r.note != "不分县区发布"
    assert "暂无数据" in r.note
    assert "不分县区发布" not in sentence(r, "潞州区")


def test_a_figure_the_catalog_publishes_for_the_city_only_says_so_in_a_county():
    """CPI (by_county: false) in 潞州区: 不分县区发布, whatever the data hold."""
    cpi = _indicator(id="cpi", name="居民消费价格指数", unit="上年同期=100", by_county=False)
    r = reading(economy_rows(), cpi, "2023-12", LUZHOU, COUNTIES, today=TODAY)
    assert r.note == "不分县区发布" and r.missing is False


def test_a_published_figure_that_was_not_delivered_is_no_data_not_unpublished():
    """Retail's 2023 全年 was published in January 2024 but is not in the data: 暂无数据."""
    retail = _indicator(id="retail", name="社会消费品零售总额", frequency="monthly")
    r = reading(economy_rows(), retail, "2023-12", CITY, COUNTIES, today=TODAY)
    assert "尚未发布" not in r.note
    assert "暂无数据" in r.note and "2023" in r.note
    # The same for a 2026 figure long due (1-10月 came out in November) and not delivered.
    later = reading(economy_rows(), retail, "2026-10", CITY, COUNTIES, today=TODAY)
    assert "暂无数据" in later.note


def test_a_figure_not_due_yet_by_the_release_calendar_is_unpublished():
    """On 2026-12-06, 1-11月 is due on 12月20日 (release: 20 days into the next month)."""
    retail = _indicator(id="retail", name="社会消费品零售总额", frequency="monthly")
    r = reading(economy_rows(), retail, "2026-11", CITY, COUNTIES, today=TODAY)
    assert "尚未发布" in r.note
    due = reading(economy_rows(), retail, "2026-11", CITY, COUNTIES, today=dt.date(2026, 12, 21))
    assert "暂无数据" in due.note
    # A quarter not yet ended has nothing due at all.
    gdp = reading(economy_rows(), _indicator(), "2026-02", CITY, COUNTIES, today=TODAY)
    assert "尚未发布" in gdp.note


def test_the_release_calendar_is_read_from_the_catalog():
    """release: {months_after: 2, day: 10}: 全年 of 2023 is due on 2024-02-10."""
    annual = _indicator(frequency="annual", release={"months_after": 2, "day": 10})
    assert annual.release_date("2023-12") == dt.date(2024, 2, 10)
    rows = economy_rows()[lambda f: f.indicator_id == "none"]
    before = reading(rows, annual, "2023-12", CITY, COUNTIES, today=dt.date(2024, 2, 9))
    after = reading(rows, annual, "2023-12", CITY, COUNTIES, today=dt.date(2024, 2, 10))
    assert "尚未发布" in before.note and "暂无数据" in after.note


def test_the_overview_card_gives_the_same_state():
    """The overview's headline figure carries the same words as the economy card."""
    retail = _indicator(id="retail", name="社会消费品零售总额", frequency="monthly")
    figure = indicator_figure(economy_rows(), retail, "2023-12", CITY, today=TODAY)
    assert figure.value is None and "暂无数据" in figure.note
    gdp = indicator_figure(economy_rows(), _indicator(), "2023-12", LUZHOU, today=TODAY)
    assert "暂无数据" in gdp.note


@pytest.fixture
def real_hub(settings, tmp_path):
    from tests.apps import running_app

    for app in running_app(real_settings(settings, tmp_path)):
        with app.server.test_request_context("/"):
            yield app.server.extensions["cockpit_hub"]


def test_the_ranking_map_and_briefing_say_no_data_for_a_county_figure_not_delivered(real_hub):
    """On the real 长治 data, GDP by county at 2023-12: 各县区暂无数据, not 本指标不分县区发布;
    CPI's ranking says 不分县区发布; the 要情专报 sentence says the same as the card."""
    from panels.economy.callbacks import build_indicator, build_page

    view = build_indicator(real_hub, "2023-12", None, "gdp", "cumulative")
    message = view.ranking.layout.annotations[0].text
    assert "不分县区发布" not in message and "暂无数据" in message
    assert "不分县区发布" not in view.map_note
    cpi = build_indicator(real_hub, "2023-12", None, "cpi", "cumulative")
    assert "不分县区发布" in cpi.ranking.layout.annotations[0].text
    page = build_page(real_hub, "2023-12", LUZHOU)
    gdp = next(r for r in page.readings if r.indicator_id == "gdp")
    assert "暂无数据" in gdp.note
    line = next(s for s in page.sentences if s.startswith("地区生产总值"))
    assert "暂无数据" in line


def test_the_overview_card_of_a_county_without_any_row_says_why_for_each_figure():
    """潞州区 on the real data has no economy row at all: each headline figure says 暂无数据
    (GDP, published by county) instead of an empty card."""
    import pandas as pd

    from cockpit.domains.overview.transform import economy_card
    from cockpit.hub import Result

    catalog = {"gdp": _indicator()}
    empty = Result("economy.indicator_values", pd.DataFrame(), "city", False)
    card = economy_card(empty, catalog, "2023-12", LUZHOU, COUNTIES, TODAY)
    assert [(s.label, s.value) for s in card.stats] == [("地区生产总值", "—")]
    assert "暂无数据" in card.stats[0].note
    failed = Result("economy.indicator_values", pd.DataFrame(), "city", False, error="数据源异常")
    assert economy_card(failed, catalog, "2023-12", LUZHOU, COUNTIES, TODAY).stats == []


def test_the_briefings_summary_counts_figures_not_delivered_and_not_yet_published():
    """8 indicators, 3 without a figure: the summary line says so, not only who missed target."""
    from cockpit.domains.briefing.sentences import economy_summary

    gdp = _indicator()
    retail = _indicator(id="retail", name="社会消费品零售总额", frequency="monthly")
    rows = economy_rows()
    readings = [
        reading(rows, gdp, "2023-12", CITY, COUNTIES, today=TODAY),
        reading(rows, retail, "2023-12", CITY, COUNTIES, today=TODAY),
        reading(rows, retail, "2026-11", CITY, COUNTIES, today=TODAY),
    ]
    line = economy_summary(readings, "全市")
    assert "1项低于目标" in line
    assert "1项暂无数据（社会消费品零售总额）" in line
    assert "1项尚未发布" in line
