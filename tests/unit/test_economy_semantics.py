"""Unit tests of the economy module's semantics on hand-made series (no app, no database).

They pin down how the statistics bureau's figures are read: published against computed growth,
the merged 1-2月 release, quarterly indicators, revisions, missing months, ranking ties,
序时进度 at month 10, the bulletin sentence, the projection and the exported files.
"""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from cockpit.domains.economy.config import EconomyConfig, ForecastSettings
from cockpit.domains.economy.forecast import project
from cockpit.domains.economy.transform import (
    change_text,
    county_ranking,
    monthly_values,
    place_series,
    previous_period,
    progress_status,
    rank_places,
    reading,
    sentence,
    time_progress,
    with_growth,
)
from cockpit.settings import ConfigError, Indicator, Target
from panels.economy.export import TableMeta, indicator_table, to_csv, to_xlsx

CITY = "140400"
A, B, C, D = "140403", "140404", "140405", "140406"
COUNTIES = [A, B, C, D]


def _indicator(**overrides: object) -> Indicator:
    """A catalog entry: monthly cumulative flow, published growth, target +6% (margin 1)."""
    fields: dict[str, object] = {
        "id": "retail",
        "name": "社会消费品零售总额",
        "unit": "亿元",
        "definition": "测试口径",
        "department": "市统计局",
        "frequency": "monthly",
        "form": "cumulative",
        "growth": "published",
        "good": "up",
        "additive": True,
        "target": Target(kind="growth", value=6.0),
        "warn_margin": 1.0,
    }
    fields.update(overrides)
    return Indicator(**fields)


def _row(
    period: str,
    value: float | None,
    growth: float | None,
    *,
    place: str = CITY,
    indicator: str = "retail",
    release: str | None = None,
    kind: str = "cumulative",
) -> dict[str, object]:
    """One economy.indicator_values row, released on the 18th of the next month unless given."""
    stamp = release or (pd.Timestamp(f"{period}-01") + pd.DateOffset(months=1, days=17))
    return {
        "indicator_id": indicator,
        "county_code": place,
        "period": period,
        "period_type": kind,
        "value": value,
        "growth": growth,
        "unit": "亿元",
        "release_date": pd.Timestamp(stamp),
    }


def _frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    """A frame with the contract's dtypes."""
    frame = pd.DataFrame(rows)
    frame["value"] = frame["value"].astype("float64")
    frame["growth"] = frame["growth"].astype("float64")
    return frame


def _months(year: int, first: int = 2, last: int = 12) -> list[str]:
    return [f"{year}-{m:02d}" for m in range(first, last + 1)]


# -- growth: published vs computed -----------------------------------------------------------
def test_published_growth_is_shown_as_published_even_against_the_levels():
    """A published rate stands, whatever the levels suggest; it is not marked computed."""
    frame = _frame([_row("2025-10", 100.0, 3.0), _row("2026-10", 150.0, 4.2)])
    r = reading(frame, _indicator(), "2026-10", CITY, COUNTIES)
    assert r.growth == 4.2
    assert r.growth_computed is False


def test_computed_growth_comes_from_last_years_level_and_is_marked():
    """A 'computed' indicator gets (210/200 - 1) = 5.0%, marked 测算 in the sentence."""
    frame = _frame([_row("2025-10", 200.0, None), _row("2026-10", 210.0, None)])
    r = reading(frame, _indicator(growth="computed"), "2026-10", CITY, COUNTIES)
    assert r.growth == pytest.approx(5.0)
    assert r.growth_computed is True
    assert "同比增长5.0%（测算）" in sentence(r, "全市")


def test_a_published_indicator_without_a_rate_gets_none_not_a_computed_one():
    """Growth is never computed for an indicator the catalog says is published."""
    frame = _frame([_row("2025-10", 200.0, None), _row("2026-10", 210.0, None)])
    r = reading(frame, _indicator(), "2026-10", CITY, COUNTIES)
    assert r.growth is None
    assert r.growth_computed is False
    assert r.status == "none"


def test_computed_growth_of_a_county_uses_that_countys_own_last_year():
    """Computed rates never mix places: each county against its own previous year."""
    frame = _frame(
        [
            _row("2025-10", 100.0, None, place=A),
            _row("2026-10", 110.0, None, place=A),
            _row("2025-10", 50.0, None, place=B),
            _row("2026-10", 51.0, None, place=B),
        ]
    )
    rows = with_growth(frame, _indicator(growth="computed")).set_index(["county_code", "period"])
    assert rows.loc[(A, "2026-10"), "growth"] == pytest.approx(10.0)
    assert rows.loc[(B, "2026-10"), "growth"] == pytest.approx(2.0)


# -- the release calendar: 1-2月 together, quarters -------------------------------------------
def test_january_and_february_are_one_release_labelled_1_2月():
    """1-2月 is the year's first release: compared with 上年全年, and its 当月 spans two months."""
    frame = _frame(
        [
            _row("2025-12", 1200.0, 5.0),
            _row("2026-02", 180.0, 6.2),
            _row("2026-03", 270.0, 6.0),
        ]
    )
    assert previous_period("2026-02", "monthly") == "2025-12"
    assert previous_period("2026-03", "monthly") == "2026-02"
    r = reading(frame, _indicator(), "2026-02", CITY, COUNTIES)
    assert r.label == "1-2月"
    assert r.previous_label == "上年全年"
    assert r.growth_change == pytest.approx(1.2)
    months = monthly_values(frame, _indicator(), CITY).set_index("period")
    assert months.loc["2026-02", "label"] == "1-2月"
    assert months.loc["2026-02", "span"] == 2
    assert months.loc["2026-02", "value"] == 180.0
    assert months.loc["2026-03", "value"] == pytest.approx(90.0)
    assert months["derived"].all()


def test_asking_for_january_before_the_merged_release_says_so():
    """In January there is no figure yet: 1-2月 come out together, nothing is shown as zero."""
    frame = _frame([_row("2025-12", 1200.0, 5.0)])
    r = reading(frame, _indicator(), "2026-01", CITY, COUNTIES)
    assert r.value is None and r.growth is None
    assert "1-2月数据合并发布" in r.note


def test_a_source_that_releases_january_gets_january_as_its_own_month():
    """Where January is released, February's 当月 is February alone."""
    frame = _frame([_row("2026-01", 100.0, 5.0), _row("2026-02", 180.0, 6.0)])
    months = monthly_values(frame, _indicator(), CITY).set_index("period")
    assert months.loc["2026-02", "value"] == pytest.approx(80.0)
    assert months.loc["2026-02", "label"] == "2月"
    assert previous_period("2026-02", "monthly", jan=True) == "2026-01"


def test_quarterly_indicator_shows_its_quarter_against_the_previous_quarter():
    """In October a quarterly indicator shows 前三季度, compared with 上半年, no 当月 values."""
    gdp = _indicator(id="gdp", name="地区生产总值", frequency="quarterly")
    frame = _frame(
        [
            _row("2026-03", 500.0, 5.0, indicator="gdp"),
            _row("2026-06", 1100.0, 5.2, indicator="gdp"),
            _row("2026-09", 1700.5, 5.7, indicator="gdp"),
        ]
    )
    r = reading(frame, gdp, "2026-10", CITY, COUNTIES)
    assert (r.period, r.label, r.previous_label) == ("2026-09", "前三季度", "上半年")
    assert sentence(r, "全市") == (
        # 1700.5 as the source wrote it (one decimal), not 1700.50 (#18)
        "前三季度，全市地区生产总值1700.5亿元，同比增长5.7%，低于目标0.3个百分点，"
        "比上半年提高0.5个百分点。"
    )
    assert list(place_series(frame, gdp, CITY).period) == ["2026-03", "2026-06", "2026-09"]
    assert monthly_values(frame, gdp, CITY).empty
    assert not project(frame, gdp, CITY, "2026-10", ForecastSettings()).available


# -- revisions and missing months -------------------------------------------------------------
def test_a_revised_month_replaces_the_first_release():
    """The later release wins, is marked revised, and the change is taken from it."""
    frame = _frame(
        [
            _row("2026-09", 700.0, 4.0),
            _row("2026-10", 790.0, 4.8, release="2026-11-18"),
            _row("2026-10", 795.0, 5.1, release="2026-12-18"),
        ]
    )
    r = reading(frame, _indicator(), "2026-10", CITY, COUNTIES)
    assert (r.value, r.growth, r.revised) == (795.0, 5.1, True)
    assert r.growth_change == pytest.approx(1.1)
    assert sentence(r, "全市").endswith("（已修订）")


def test_a_missing_county_month_is_missing_not_zero_nor_last_month():
    """A county without October while others have it: missing, no rank, no 当月 derived across
    the gap, and no projection."""
    frame = _frame(
        [
            *[_row(p, 10.0 * i, 5.0, place=A) for i, p in enumerate(_months(2026, 2, 10), 1)],
            *[_row(p, 5.0 * i, 4.0, place=B) for i, p in enumerate(_months(2026, 2, 9), 1)],
            _row("2026-08", 99.0, 9.9, place=C),  # C misses September, reports October
            _row("2026-10", 120.0, 3.0, place=C),
        ]
    )
    ind = _indicator()
    r = reading(frame, ind, "2026-10", B, COUNTIES)
    assert r.missing is True
    assert r.value is None and r.growth is None and r.rank is None
    assert r.label == "1-10月"
    assert "数据未报送" in sentence(r, "上党区")
    table = county_ranking(with_growth(frame, ind), ind, "2026-10", COUNTIES).set_index(
        "county_code"
    )
    assert pd.isna(table.loc[B, "rank"]) and pd.isna(table.loc[B, "value"])
    assert list(table.index[-2:]) == [B, D]  # unranked places come last
    months = monthly_values(frame, ind, C).set_index("period")
    assert months.loc["2026-09", "value"] != months.loc["2026-09", "value"]  # NaN
    assert np.isnan(months.loc["2026-10", "value"])  # not 120 - 99 across the gap
    series = place_series(frame, ind, C).set_index("period")
    assert bool(series.loc["2026-09", "missing"]) is True


# -- ranking ----------------------------------------------------------------------------------
def test_ties_share_the_better_rank_at_published_precision():
    """5.04 and 4.96 are both published as 5.0: they tie at 2, the next is 4th."""
    ranks = rank_places(pd.Series([6.1, 5.04, 4.96, 3.0, None]), "up")
    assert ranks.tolist() == [1, 2, 2, 4, pd.NA]


def test_where_less_is_good_the_lowest_ranks_first():
    """For a price index, the smallest rise is first."""
    assert rank_places(pd.Series([3.0, 1.0, 2.0]), "down").tolist() == [3, 1, 2]


def test_rank_change_is_against_the_previous_release():
    """A county that passes another moves up one place, the other down one."""
    frame = _frame(
        [
            _row("2026-09", 1.0, 5.0, place=A),
            _row("2026-09", 1.0, 6.0, place=B),
            _row("2026-10", 1.0, 6.5, place=A),
            _row("2026-10", 1.0, 6.0, place=B),
        ]
    )
    ind = _indicator()
    table = county_ranking(with_growth(frame, ind), ind, "2026-10", [A, B]).set_index("county_code")
    assert table.loc[A, "rank"] == 1 and table.loc[A, "rank_change"] == 1
    assert table.loc[B, "rank"] == 2 and table.loc[B, "rank_change"] == -1
    r = reading(frame, ind, "2026-10", A, [A, B])
    assert (r.rank, r.rank_of, r.rank_change) == (1, 2, 1)
    assert sentence(r, "潞州区").endswith("增速居全市第1位，比1-9月上升1位。")


# -- targets and 序时进度 ----------------------------------------------------------------------
def test_time_progress_after_ten_of_twelve_months_is_83_3():
    """序时进度 at the end of October is 10/12 = 83.3%."""
    assert time_progress("2026-10") == pytest.approx(83.333, abs=1e-3)
    assert f"{time_progress('2026-10'):.1f}" == "83.3"
    assert time_progress("2026-02") == pytest.approx(2 / 12 * 100)


@pytest.mark.parametrize(
    ("done", "light"), [(90.0, "green"), (83.34, "green"), (80.0, "yellow"), (78.0, "red")]
)
def test_progress_light_against_time_elapsed(done, light):
    """Reached 序时进度: green; behind by up to the margin (5 points): yellow; beyond: red."""
    assert progress_status(done, time_progress("2026-10"), 5.0) == light


def test_level_target_gives_completion_and_reached_time_progress():
    """870 of a 1000 target after ten months: 87.0% done, 3.7 points ahead of 83.3%."""
    ind = _indicator(target=Target(kind="level", value=1000.0))
    frame = _frame([_row("2026-09", 780.0, 5.0), _row("2026-10", 870.0, 5.0)])
    r = reading(frame, ind, "2026-10", CITY, COUNTIES)
    assert r.completion == pytest.approx(87.0)
    assert r.status == r.progress_status == "green"
    assert "完成年度目标的87.0%，超序时进度3.7个百分点" in sentence(r, "全市")


def test_yearly_level_target_from_the_module_sits_beside_a_growth_target():
    """A budget of 1100 (module setting) gives 未达序时进度; the light stays the growth light."""
    frame = _frame([_row("2026-10", 870.0, 6.5)])
    r = reading(frame, _indicator(), "2026-10", CITY, COUNTIES, level_targets={2026: 1100.0})
    assert r.completion == pytest.approx(79.09, abs=0.01)
    assert r.progress_status == "yellow"
    assert r.status == "green"  # 6.5% against a 6% growth target
    assert "未达序时进度（差4.2个百分点）" in sentence(r, "全市")
    county = reading(frame.assign(county_code=A), _indicator(), "2026-10", A, COUNTIES)
    assert county.level_target is None  # the budget is the city's, not each county's


def test_change_in_points_reads_as_the_bureau_writes_it():
    """比1-9月提高0.5个百分点 / 回落 / 持平."""
    assert change_text(0.5, "1-9月") == "比1-9月提高0.5个百分点"
    assert change_text(-0.3, "上半年") == "比上半年回落0.3个百分点"
    assert change_text(0.0, "1-9月") == "与1-9月持平"
    assert change_text(None, "1-9月") == ""


def test_official_sentence_for_a_city_figure():
    """The line a bulletin would print, word for word."""
    frame = _frame([_row("2026-09", None, 5.9), _row("2026-10", None, 6.1)])
    ind = _indicator(
        name="规上工业增加值", unit="%", additive=False, target=Target(kind="growth", value=5.7)
    )
    r = reading(frame, ind, "2026-10", CITY, COUNTIES)
    assert sentence(r, "全市") == (
        "1-10月，全市规上工业增加值同比增长6.1%，高于目标0.4个百分点，比1-9月提高0.2个百分点。"
    )


# -- 趋势研判 ---------------------------------------------------------------------------------
def _seasonal_history(years: int, until: str = "2026-09") -> pd.DataFrame:
    """Cumulative values of a monthly flow with a seasonal pattern and 5% yearly growth."""
    rng = np.random.default_rng(7)
    pattern = np.array([1.9, 1.0, 0.95, 1.0, 1.05, 0.98, 1.0, 1.02, 1.05, 1.1, 1.3])
    rows = []
    for k, year in enumerate(range(2026 - years, 2027)):
        monthly = 100 * 1.05**k * pattern * (1 + rng.normal(0, 0.01, 11))
        for m, cum in zip(range(2, 13), np.cumsum(monthly), strict=True):
            period = f"{year}-{m:02d}"
            if period <= until:
                rows.append(_row(period, round(float(cum), 2), None))
    return _frame(rows)


def test_projection_runs_to_the_horizon_with_a_band_around_its_centre():
    """With five years of months: three months ahead, low <= centre <= high, band widening."""
    frame = _seasonal_history(5)
    p = project(frame, _indicator(growth="computed"), CITY, "2026-09", ForecastSettings())
    assert p.available
    assert p.periods == ("2026-10", "2026-11", "2026-12")
    for low, mid, high in zip(p.growth_low, p.growth, p.growth_high, strict=True):
        assert low <= mid <= high
    widths = [h - lo for lo, h in zip(p.growth_low, p.growth_high, strict=True)]
    assert widths[0] > 0 and widths[-1] >= widths[0]
    assert 3.0 < p.growth[0] < 7.0  # the history grows 5% a year
    assert len(p.monthly) == 3


def test_projection_never_runs_past_december():
    """From November only December is left to project."""
    frame = _seasonal_history(5, until="2026-11")
    p = project(frame, _indicator(growth="computed"), CITY, "2026-11", ForecastSettings())
    assert p.periods == ("2026-12",)


def test_projection_is_off_with_a_note_when_history_is_short():
    """Two years of months are not enough for a seasonal model: off, and it says why."""
    frame = _seasonal_history(1)
    p = project(frame, _indicator(growth="computed"), CITY, "2026-09", ForecastSettings())
    assert not p.available
    assert "不足3年" in p.note


def test_projection_is_anchored_on_the_published_rate():
    """The same levels with a published rate 1 point above the levels' own shift the path by 1."""
    computed = _seasonal_history(5)
    settings = ForecastSettings()
    base = project(computed, _indicator(growth="computed"), CITY, "2026-09", settings)
    rate = with_growth(computed, _indicator(growth="computed"))
    published = rate.assign(growth=rate.growth + 1.0).drop(columns=["growth_computed", "revised"])
    shifted = project(published, _indicator(), CITY, "2026-09", settings)
    assert shifted.growth == pytest.approx([g + 1.0 for g in base.growth], abs=0.11)


def test_growth_only_indicator_is_projected_from_its_rate():
    """A rate-only indicator (规上工业增加值) gets a band around a projected rate."""
    rng = np.random.default_rng(3)
    rows = []
    for year in range(2021, 2027):
        for m in range(2, 13):
            period = f"{year}-{m:02d}"
            if period <= "2026-10":
                rows.append(_row(period, None, round(6 + rng.normal(0, 1.5) / m, 1)))
    ind = _indicator(unit="%", additive=False)
    p = project(_frame(rows), ind, CITY, "2026-10", ForecastSettings())
    assert p.available and p.periods == ("2026-11", "2026-12")
    assert p.growth_low[0] < p.growth[0] < p.growth_high[0]
    assert p.monthly == ()


# -- export -----------------------------------------------------------------------------------
def _readings() -> list:
    frame = _frame(
        [
            _row("2026-09", 700.0, 4.0, place=A),
            _row("2026-10", 790.0, 4.8, place=A),
            _row("2026-10", 100.0, 4.0, place=B, indicator="fai"),
        ]
    )
    return [
        reading(frame, _indicator(), "2026-10", A, COUNTIES),
        reading(frame, _indicator(id="fai", name="固定资产投资"), "2026-10", A, COUNTIES),
    ]


META = TableMeta("长治市", "潞州区", "2026年10月", "2026-11-18", is_demo=True)


def test_csv_has_a_bom_and_a_header_with_place_period_units_and_as_of():
    """Excel needs the BOM for Chinese; the header says where, when and in which units."""
    data = to_csv(indicator_table(_readings(), {"retail": "市统计局"}), META)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["长治市经济运行主要指标"]
    flat = {r[0]: r[1] for r in rows if len(r) == 2}
    assert flat["区域"] == "潞州区"
    assert flat["统计期"].startswith("2026年10月")
    assert flat["数据截至"] == "2026-11-18"
    assert "增速为%" in flat["单位"]
    header = rows.index(next(r for r in rows if r and r[0] == "指标"))
    table = [dict(zip(rows[header], r, strict=True)) for r in rows[header + 1 :]]
    assert table[0]["数值"] == "790.0" and table[0]["单位"] == "亿元"
    assert table[0]["同比增速（%）"] == "4.8" and table[0]["统计期"] == "1-10月"
    assert table[1]["数值"] == "—" and table[1]["备注"] == "数据未报送"  # missing, not 0


def test_xlsx_holds_the_same_header_and_table():
    """The workbook opens with openpyxl and has the header lines and numbers as numbers."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(to_xlsx(indicator_table(_readings(), {}), META)))
    sheet = book.active
    cells = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    assert cells[0][0] == "长治市经济运行主要指标"
    assert list(cells[3][:2]) == ["数据截至", "2026-11-18"]
    header = next(i for i, row in enumerate(cells) if row[0] == "指标")
    names = list(cells[header])
    first = dict(zip(names, cells[header + 1], strict=True))
    assert first["数值"] == 790.0 and first["同比增速（%）"] == 4.8
    second = dict(zip(names, cells[header + 2], strict=True))
    assert second["数值"] == "—"


# -- settings ---------------------------------------------------------------------------------
def test_economy_settings_refuse_unknown_keys():
    """A typo in config/economy.yaml is an error, not silently ignored."""
    with pytest.raises(ValidationError):
        EconomyConfig.model_validate({"indicators": {"gdp": {"shortname": "GDP"}}})


def test_economy_settings_naming_an_unknown_indicator_stop_start_up():
    """An indicator id not in the catalog gives one line naming the file and field."""
    config = EconomyConfig.model_validate({"indicators": {"gpd": {"short_name": "GDP"}}})
    with pytest.raises(ConfigError) as info:
        config.check_catalog({"gdp": _indicator(id="gdp")})
    assert info.value.problems[0].startswith(
        "config/economy.yaml: economy.indicators.gpd: not in the indicator catalog"
    )
