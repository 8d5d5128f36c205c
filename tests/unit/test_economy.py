"""The economy module on the demo city: its functions called directly and its callbacks over HTTP.

Expected figures are read from a copy of the demo DuckDB file and computed with pandas,
independently of the hub, the adapters and the transforms under test.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import pandas as pd
import pytest

from cockpit import shell
from cockpit.ids import decode_key
from cockpit.settings import ConfigError, DatasetBinding, load_settings
from panels.economy.callbacks import build_indicator, build_page
from tests.dash_requests import answer, callback_body

PERIOD = "2026-10"
COUNTY = "140403"
BUDGET_2026 = 353.0  # config/economy.yaml: economy.indicators.budget_revenue.level_targets


@pytest.fixture(autouse=True)
def _close_sources(request: pytest.FixtureRequest):
    """Release the test app's database connections when the test ends."""
    app = request.getfixturevalue("app") if "app" in request.fixturenames else None
    yield
    if app is not None:
        for source in app.server.extensions["cockpit_hub"].sources.values():
            source.close()


@pytest.fixture(scope="module")
def truth(demo_sql) -> pd.DataFrame:
    """The latest release of every indicator value in the demo file, read with DuckDB."""
    table = load_settings().datasets["economy.indicator_values"].table
    rows = demo_sql(
        f"SELECT * FROM {table} QUALIFY row_number() OVER (PARTITION BY indicator_id, "
        "county_code, period, period_type ORDER BY release_date DESC) = 1"
    )
    revised = demo_sql(
        f"SELECT indicator_id, county_code, period FROM {table} "
        "GROUP BY ALL HAVING count(DISTINCT release_date) > 1"
    )
    rows.attrs["revised"] = revised
    return rows


def _value(truth: pd.DataFrame, indicator: str, place: str, period: str, column: str) -> float:
    rows = truth[
        (truth.indicator_id == indicator) & (truth.county_code == place) & (truth.period == period)
    ]
    assert len(rows) == 1, (indicator, place, period)
    return float(rows.iloc[0][column])


def _page(app, period: str = PERIOD, county: str | None = None):
    hub = app.server.extensions["cockpit_hub"]
    with app.server.test_request_context("/"):
        return build_page(hub, period, county)


def _view(app, indicator: str, county: str | None = None, mode: str = "cumulative", period=PERIOD):
    hub = app.server.extensions["cockpit_hub"]
    with app.server.test_request_context("/"):
        return build_indicator(hub, period, county, indicator, mode)


def _reading(page, indicator: str):
    return next(r for r in page.readings if r.indicator_id == indicator)


# -- build_page, called directly ---------------------------------------------------------------
def test_city_grid_shows_each_indicators_latest_release(app, settings, truth):
    """Monthly indicators show 1-10月, quarterly ones 前三季度, each as last released."""
    page = _page(app, county=shell.CITY_WIDE)
    city = settings.city.code
    assert page.place == city and page.place_name == "全市"
    for indicator in settings.indicators:
        r = _reading(page, indicator.id)
        shown = "2026-09" if indicator.frequency == "quarterly" else PERIOD
        assert r.period == shown, indicator.id
        if indicator.growth == "published":
            assert r.growth == pytest.approx(_value(truth, indicator.id, city, shown, "growth"))
            assert r.growth_computed is False
    gdp = _reading(page, "gdp")
    assert gdp.label == "前三季度" and gdp.previous_label == "上半年"
    expected = _value(truth, "gdp", city, "2026-09", "growth") - _value(
        truth, "gdp", city, "2026-06", "growth"
    )
    assert gdp.growth_change == pytest.approx(round(expected, 1))
    assert page.as_of.startswith("2026-11-")


def test_revised_quarter_is_shown_as_revised(app, settings, truth):
    """The demo's revised GDP quarter shows its later release, marked revised."""
    revised = truth.attrs["revised"]
    period = revised[revised.county_code == settings.city.code].period.iloc[0]
    r = _reading(_page(app, period=period), "gdp")
    assert r.revised is True
    assert r.growth == pytest.approx(_value(truth, "gdp", settings.city.code, period, "growth"))


def test_budget_revenue_growth_is_computed_and_held_against_its_budget(app, settings, truth):
    """一般公共预算收入: growth from this and last year's levels (marked), 序时进度 83.3%."""
    city = settings.city.code
    now = _value(truth, "budget_revenue", city, PERIOD, "value")
    before = _value(truth, "budget_revenue", city, "2025-10", "value")
    page = _page(app)
    r = _reading(page, "budget_revenue")
    assert r.growth == pytest.approx(round((now / before - 1) * 100, 1))
    assert r.growth_computed is True
    assert r.completion == pytest.approx(now / BUDGET_2026 * 100)
    assert f"{r.elapsed:.1f}" == "83.3"
    word = "超序时进度" if now / BUDGET_2026 * 100 >= 10 / 12 * 100 else "未达序时进度"
    line = next(s for s in page.sentences if "一般公共预算收入" in s)
    assert word in line and "（测算）" in line


def test_county_rank_matches_an_independent_ranking(app, settings, truth):
    """A county's rank is its place among the counties' published growth (ties share)."""
    counties = [c.code for c in settings.city.counties]
    rows = truth[
        (truth.indicator_id == "industry_va")
        & (truth.period == PERIOD)
        & truth.county_code.isin(counties)
    ].set_index("county_code")
    expected = rows.growth.round(1).rank(method="min", ascending=False).astype(int)
    page = _page(app, county=COUNTY)
    r = _reading(page, "industry_va")
    assert (r.rank, r.rank_of) == (expected[COUNTY], len(counties))
    assert f"增速居全市第{expected[COUNTY]}位" in page.sentences[1]
    table = _view(app, "industry_va").ranking_table.set_index("county_code")
    assert table["rank"].astype(int).to_dict() == expected.to_dict()


def _missing_month(truth: pd.DataFrame, settings) -> tuple[str, str]:
    """The (county, period) of electricity the demo leaves unreported."""
    elec = truth[truth.indicator_id == "electricity"]
    city = set(elec[elec.county_code == settings.city.code].period)
    for county in settings.city.counties:
        gone = city - set(elec[elec.county_code == county.code].period)
        if gone:
            return county.code, max(gone)
    raise AssertionError("the demo data has no missing month")


def test_missing_county_month_is_shown_missing_never_zero(app, settings, truth):
    """The unreported month: '—' with 数据未报送, unranked, 未报 on the map, not 0."""
    county, period = _missing_month(truth, settings)
    page = _page(app, period=period, county=county)
    r = _reading(page, "electricity")
    assert r.missing is True and r.value is None and r.rank is None
    row = page.table.set_index("指标").loc[r.name]
    assert pd.isna(row["数值"]) and row["_note"] == "数据未报送"
    view = _view(app, "electricity", period=period)
    ranked = view.ranking_table.set_index("county_code")
    assert pd.isna(ranked.loc[county, "rank"])
    labels = view.map.data[-1]
    name = settings.city.county_names[county]
    assert f"{name}<br>未报" in labels.text


def test_projection_is_drawn_for_the_default_indicator_and_off_for_a_broken_series(
    app, settings, truth
):
    """规上工业增加值 gets a dashed projection; the county with a gap gets a note instead."""
    view = _view(app, "industry_va")
    assert view.projection.available
    assert view.projection.periods == ("2026-11", "2026-12")
    dashed = [t for t in view.trend.data if t.name == "趋势研判（非统计数据）"]
    assert dashed and dashed[0].line.dash == "dash"
    assert "非统计数据" in view.trend_note
    county, _ = _missing_month(truth, settings)
    broken = _view(app, "electricity", county=county)
    assert not broken.projection.available
    assert "缺失月份之后" in broken.trend_note and "不作趋势研判" in broken.trend_note
    assert not [t for t in broken.trend.data if t.name == "趋势研判（非统计数据）"]


def test_monthly_values_are_differences_of_cumulative_ones(app, settings, truth):
    """当月 bars of 社零 in 2026: 1-2月 as released, then each month minus the month before."""
    city = settings.city.code
    cum = (
        truth[(truth.indicator_id == "retail") & (truth.county_code == city)]
        .set_index("period")
        .value.sort_index()
    )
    this_year = cum[cum.index.str.startswith("2026")]
    expected = this_year.diff()
    expected.iloc[0] = this_year.iloc[0]
    view = _view(app, "retail", mode="monthly")
    bars = next(t for t in view.trend.data if t.type == "bar")
    assert list(bars.x) == [int(p[5:]) for p in this_year.index]
    assert list(bars.y) == pytest.approx(expected.round(4).tolist())
    assert "推算" in bars.name


def test_indicator_published_for_the_city_only_is_not_missing_in_a_county(app):
    """CPI has no county figures: the county view says 不分县区发布, not 数据未报送."""
    r = _reading(_page(app, county=COUNTY), "cpi")
    assert r.missing is False and r.note == "不分县区发布"


def test_a_failing_source_shows_its_own_error(settings, tmp_path):
    """Pointed at a table that does not exist, the page says so and shows '—', not zeros."""
    from tests.apps import app_as

    datasets = dict(settings.datasets)
    datasets["economy.indicator_values"] = DatasetBinding(source="demo", table="no_such_table")
    app = app_as(settings.model_copy(update={"datasets": datasets}))
    try:
        page = _page(app)
        assert page.error.startswith("数据源异常") and "暂无可显示的数据" in page.error
        assert all(r.value is None and r.growth is None for r in page.readings)
    finally:
        for source in app.server.extensions["cockpit_hub"].sources.values():
            source.close()


def test_economy_settings_naming_an_unknown_indicator_stop_the_app(settings):
    """A wrong entry in config/economy.yaml stops start-up with a line naming file and field."""
    from tests.apps import app_as

    bad = settings.model_copy(update={"economy": {"indicators": {"gpd": {"short_name": "GDP"}}}})
    with pytest.raises(ConfigError) as info:
        app_as(bad)
    assert "config/economy.yaml: economy.indicators.gpd" in info.value.problems[0]


# -- over Dash's HTTP endpoint -----------------------------------------------------------------
def _economy_inputs(entry: dict) -> bool:
    """Among callbacks sharing an output (filter-county.value), the economy page's own (not
    the map's 返回全市, cockpit.maps)."""
    ids = [str(i["id"]) for i in entry["inputs"]]
    return any("economy" in i for i in ids) and not any(i.endswith("-map-city") for i in ids)


def _post(app, output: str, values: dict[str, Any], changed: list[str]) -> dict:
    """POST to /_dash-update-component as the Dash renderer does; return what it updated."""
    body = callback_body(app, output, values, changed, prefer=_economy_inputs)
    return answer(app, body).get("response", {})


def _texts(tree: Any) -> list[str]:
    """Every string in a serialised component tree."""
    if isinstance(tree, str):
        return [tree]
    if isinstance(tree, list):
        return [t for item in tree for t in _texts(item)]
    if isinstance(tree, dict):
        return _texts(tree.get("props", {}).get("children"))
    return []


def test_page_callback_over_http_fills_grid_table_and_breadcrumb(app, settings):
    """POSTing a county gives a card per indicator, the table and the crumb with its name."""
    response = _post(
        app,
        "economy-grid.children",
        {"filter-period.value": PERIOD, "filter-county.value": COUNTY},
        ["filter-county.value"],
    )
    cards = response["economy-grid"]["children"]
    assert [decode_key(c["props"]["id"]["index"]) for c in cards] == [
        i.id for i in settings.indicators
    ]
    name = settings.city.county_names[COUNTY]
    assert name in response["economy-crumb-county"]["children"]
    assert "is-link" in response["economy-back"]["className"]
    assert any("全市第" in t for t in _texts(cards))
    assert "数据截至" in response["economy-period-note"]["children"]


def test_indicator_callback_over_http_returns_trend_ranking_and_map(app):
    """POSTing the chosen indicator returns three figures with titles naming it."""
    response = _post(
        app,
        "economy-trend.figure",
        {
            "filter-period.value": PERIOD,
            "filter-county.value": shell.CITY_WIDE,
            "economy-indicator.data": "fai",
            "economy-trend-mode.value": "cumulative",
        },
        ["economy-indicator.data"],
    )
    assert "固定资产投资" in response["economy-trend-title"]["children"]
    assert response["economy-ranking"]["figure"]["data"][0]["orientation"] == "h"
    the_map = response["economy-map-values"]["data"]  # the map without its borders
    assert len(the_map["figure"]["data"]) >= 13
    assert the_map["geometry"].startswith("/assets/cockpit-map-geometry/")
    modes = response["economy-trend-mode"]["options"]
    assert modes[1]["disabled"] is False  # 固定资产投资 is a flow: 当月 values can be derived


def test_export_over_http_gives_csv_with_bom_and_excel(app, settings, truth):
    """The CSV starts with a BOM and carries 数据截至; the workbook holds the same figures."""
    from openpyxl import load_workbook

    values = {
        "economy-export-csv.n_clicks": 1,
        "economy-export-xlsx.n_clicks": 0,
        "filter-period.value": PERIOD,
        "filter-county.value": shell.CITY_WIDE,
    }
    csv_file = _post(app, "economy-download.data", values, ["economy-export-csv.n_clicks"])
    payload = csv_file["economy-download"]["data"]
    assert payload["filename"].endswith(f"全市_{PERIOD}.csv")
    content = base64.b64decode(payload["content"])
    assert content.startswith(b"\xef\xbb\xbf")
    text = content.decode("utf-8-sig")
    assert "数据截至,2026-11-" in text and "统计期,2026年10月" in text
    values["economy-export-xlsx.n_clicks"] = 1
    xlsx = _post(app, "economy-download.data", values, ["economy-export-xlsx.n_clicks"])
    book = load_workbook(io.BytesIO(base64.b64decode(xlsx["economy-download"]["data"]["content"])))
    rows = list(book.active.iter_rows(values_only=True))
    header = next(i for i, r in enumerate(rows) if r[0] == "指标")
    table = {r[0]: dict(zip(rows[header], r, strict=True)) for r in rows[header + 1 :]}
    fai = settings.indicator_map["fai"]
    expected = _value(truth, "fai", settings.city.code, PERIOD, "value")
    assert table[fai.name]["数值"] == pytest.approx(expected)
    assert table[fai.name]["单位"] == fai.unit
