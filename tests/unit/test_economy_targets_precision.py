"""Issue #18 items 9, 10 and 13 on real-shaped figures of 长治:

- targets by year (and by county): 2023 GDP, published growth 5.6% against the real 2023
  target of 7%, reads 低1.4 and is red, while 2022 keeps the catalog's 6%;
- precision as published: 1.48% stays 1.48%, 23.34% stays 23.34%, 2806.2 stays 2,806.2
  on the cards, in the table and in the sentences;
- staleness: the overview, the economy page and the 要情专报's economy section say 已超期N天
  with the same N, from one rule (Result.late_by) and one wording.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from cockpit.domains.economy.transform import reading, sentence
from cockpit.settings import ConfigError, Indicator, Target, load_settings
from panels.economy import figures
from panels.economy.export import indicator_table

CITY = "140400"
LUZHOU, SHANGDANG = "140403", "140404"
COUNTIES = [LUZHOU, SHANGDANG]
CONFIG = Path(__file__).resolve().parents[2] / "config"


def _gdp(target: Target | None = None, **overrides: object) -> Indicator:
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
        "target": target or Target(kind="growth", value=6.0, years={2023: 7.0}),
        "warn_margin": 1.0,
    }
    fields.update(overrides)
    return Indicator(**fields)


def _frame(rows: list[tuple[str, str, object, object]], indicator: str = "gdp") -> pd.DataFrame:
    """(place, period, value, growth) rows of economy.indicator_values."""
    return pd.DataFrame(
        [
            {
                "indicator_id": indicator,
                "county_code": place,
                "period": period,
                "period_type": "cumulative",
                "value": value,
                "growth": growth,
                "unit": "亿元",
                "release_date": pd.Timestamp(f"{int(period[:4]) + 1}-01-20"),
            }
            for place, period, value, growth in rows
        ]
    ).astype({"value": "float64", "growth": "float64"})


def _texts(component: object) -> str:
    """Every string in a Dash component tree, joined."""
    out: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, list | tuple):
            for child in node:
                walk(child)
        elif hasattr(node, "children"):
            walk(node.children)

    walk(component)
    return " ".join(out)


# -- item 9: targets by year and by county --------------------------------------------------------
def test_2023_gdp_against_its_own_target_of_7_reads_low_1_4_and_red():
    """长治 2023: GDP 2806.2亿元, +5.6%, target 7% -> 低1.4个百分点, red; 2022 keeps 6%."""
    gdp = _gdp()
    frame = _frame([(CITY, "2023-12", 2806.2, 5.6), (CITY, "2022-12", 2630.0, 5.6)])
    r2023 = reading(frame, gdp, "2023-12", CITY, COUNTIES)
    assert (r2023.target_growth, r2023.target_gap, r2023.status) == (7.0, -1.4, "red")
    card = _texts(figures.card(r2023, False))
    assert "目标7% · 低1.4个百分点" in card
    assert "低于目标1.4个百分点" in sentence(r2023, "全市")
    r2022 = reading(frame, gdp, "2022-12", CITY, COUNTIES)
    assert (r2022.target_growth, r2022.target_gap, r2022.status) == (6.0, -0.4, "yellow")


def test_a_county_target_overrides_the_city_target_for_that_county_only():
    gdp = _gdp(Target(kind="growth", value=6.0, counties={LUZHOU: {2023: 8.0}}))
    frame = _frame(
        [
            (CITY, "2023-12", 2806.2, 5.6),
            (LUZHOU, "2023-12", 700.0, 7.5),
            (SHANGDANG, "2023-12", 353.2, 7.5),
        ]
    )
    luzhou = reading(frame, gdp, "2023-12", LUZHOU, COUNTIES)
    shangdang = reading(frame, gdp, "2023-12", SHANGDANG, COUNTIES)
    assert (luzhou.target_growth, luzhou.target_gap, luzhou.status) == (8.0, -0.5, "yellow")
    assert (shangdang.target_growth, shangdang.status) == (6.0, "green")


def test_a_single_target_still_holds_for_every_year():
    gdp = _gdp(Target(kind="growth", value=6.0))
    frame = _frame([(CITY, "2023-12", 2806.2, 5.6), (CITY, "2021-12", 2300.0, 9.0)])
    assert reading(frame, gdp, "2023-12", CITY, COUNTIES).target_growth == 6.0
    assert reading(frame, gdp, "2021-12", CITY, COUNTIES).target_growth == 6.0


def _config_with(tmp_path: Path, target: object) -> Path:
    folder = tmp_path / "config"
    shutil.copytree(CONFIG, folder)
    path = folder / "indicators.yaml"
    catalog = yaml.safe_load(path.read_text(encoding="utf-8"))
    catalog["indicators"][0]["target"] = target
    path.write_text(yaml.safe_dump(catalog, allow_unicode=True), encoding="utf-8")
    return folder


def test_targets_by_year_are_read_from_config_indicators_yaml(tmp_path):
    folder = _config_with(tmp_path, {"kind": "growth", "value": 6.0, "years": {2023: 7.0}})
    gdp = load_settings(folder, environ={}).indicator_map["gdp"]
    assert gdp.target is not None
    assert (gdp.target.for_year(2023), gdp.target.for_year(2024)) == (7.0, 6.0)


def test_bad_target_values_give_one_clear_line_each(tmp_path):
    folder = _config_with(
        tmp_path,
        {"kind": "growth", "value": 6.0, "years": {"二〇二三": 7.0, 2024: "七"}},
    )
    with pytest.raises(ConfigError) as info:
        load_settings(folder, environ={})
    lines = [p for p in info.value.problems if "target" in p]
    assert len(lines) == 2, info.value.problems
    assert all("\n" not in line and "config/indicators.yaml" in line for line in lines)
    assert any("二〇二三" in line for line in lines)
    assert any("2024" in line for line in lines)


def test_a_target_without_any_value_is_refused_in_one_line(tmp_path):
    folder = _config_with(tmp_path, {"kind": "growth"})
    with pytest.raises(ConfigError) as info:
        load_settings(folder, environ={})
    lines = [p for p in info.value.problems if "indicators.0.target" in p]
    assert len(lines) == 1, info.value.problems


# -- item 13: one staleness rule and one wording on the overview, the page and the briefing -------
ECONOMY = "economy.indicator_values"


@pytest.fixture
def late_hub(settings):
    """The demo cockpit with economy data allowed to be one hour old (so it is overdue)."""
    from tests.apps import running_app

    binding = settings.datasets[ECONOMY].model_copy(update={"max_age_hours": 1.0})
    late = settings.model_copy(update={"datasets": {**settings.datasets, ECONOMY: binding}})
    for app in running_app(late):
        with app.server.test_request_context("/"):
            yield app.server.extensions["cockpit_hub"]


def _overdue_days(text: str) -> int:
    import re

    found = re.search(r"已超期(\d+)天", text)
    assert found, f"no 已超期N天 in {text!r}"
    return int(found.group(1))


def test_overdue_economy_data_says_the_same_days_on_overview_page_and_briefing(late_hub):
    import datetime as dt

    from cockpit.domains.briefing.build import build_briefing
    from panels.economy.callbacks import build_indicator, build_page
    from panels.overview.callbacks import build_overview
    from panels.overview.figures import module_card

    period, day = "2026-10", dt.date(2026, 11, 20)
    overview = build_overview(late_hub, period, None, day)
    economy_card = next(c for c in overview["left"] if c.key == "economy")
    days = _overdue_days(_texts(module_card(economy_card)))
    assert days >= 1

    page = build_page(late_hub, period, None)
    assert _overdue_days(page.freshness) == days
    view = build_indicator(late_hub, period, None, "gdp", "cumulative")
    assert _overdue_days(view.trend_note) == days
    assert _overdue_days(view.ranking_note) == days

    briefing = build_briefing(late_hub, "daily", None, day)
    economy = next(s for s in briefing.sections if s.key == "economy")
    assert _overdue_days("\n".join(economy.lines)) == days


# -- item 10: precision as published --------------------------------------------------------------


def test_published_precision_shows_on_cards_table_and_sentences():
    """GDP 2806.2亿元 (one decimal as published) +1.48%, retail +23.34%: shown as published."""
    gdp = _gdp()
    retail = _gdp(id="retail", name="社会消费品零售总额", frequency="monthly")
    frame = pd.concat(
        [
            _frame([(CITY, "2023-12", 2806.2, 1.48)]),
            _frame([(CITY, "2023-12", 1245.6, 23.34)], indicator="retail"),
        ]
    )
    r_gdp = reading(frame, gdp, "2023-12", CITY, COUNTIES)
    r_retail = reading(frame, retail, "2023-12", CITY, COUNTIES)

    card = _texts(figures.card(r_gdp, False))
    assert "2,806.2" in card and "2,806.20" not in card
    assert "+1.48%" in card
    assert "+23.34%" in _texts(figures.card(r_retail, False))

    table = _texts(figures.indicator_table(indicator_table([r_gdp, r_retail], {}), False))
    assert "2,806.2 " in table + " " and "2,806.20" not in table
    assert "+1.48%" in table and "+23.34%" in table

    line = sentence(r_gdp, "全市")
    assert "2806.2亿元" in line and "2806.20" not in line
    assert "同比增长1.48%" in line
    assert "同比增长23.34%" in sentence(r_retail, "全市")


def test_a_configured_precision_wins_over_the_data():
    gdp = _gdp(decimals={"value": 2, "growth": 1})
    frame = _frame([(CITY, "2023-12", 2806.2, 1.48)])
    r = reading(frame, gdp, "2023-12", CITY, COUNTIES)
    line = sentence(r, "全市")
    assert "2806.20亿元" in line and "同比增长1.5%" in line


def test_precision_from_the_text_of_the_value_where_the_source_carries_it():
    """A file drop read as text keeps its trailing zeros: '2806.20' shows 2,806.20."""
    gdp = _gdp()
    frame = _frame([(CITY, "2023-12", 0.0, 0.0)]).astype({"value": object, "growth": object})
    frame.loc[0, ["value", "growth"]] = ["2806.20", "5.60"]
    r = reading(frame, gdp, "2023-12", CITY, COUNTIES)
    assert "2806.20亿元" in sentence(r, "全市") and "5.60%" in sentence(r, "全市")


def test_a_whole_number_without_a_setting_keeps_todays_default():
    gdp = _gdp()
    frame = _frame([(CITY, "2023-12", 2806.0, 6.0)])
    r = reading(frame, gdp, "2023-12", CITY, COUNTIES)
    assert "2806亿元" in sentence(r, "全市") and "同比增长6.0%" in sentence(r, "全市")


def test_counties_are_ranked_and_labelled_at_the_published_precision():
    """+1.48% and +1.46% are two places, not a tie at 1.5%, and the bars say so."""
    from cockpit.domains.economy.transform import county_ranking, with_growth

    gdp = _gdp()
    frame = with_growth(
        _frame([(LUZHOU, "2023-12", 700.0, 1.46), (SHANGDANG, "2023-12", 353.2, 1.48)]), gdp
    )
    table = county_ranking(frame, gdp, "2023-12", COUNTIES)
    assert dict(zip(table.county_code, table["rank"], strict=True)) == {SHANGDANG: 1, LUZHOU: 2}
    names = {LUZHOU: "潞州区", SHANGDANG: "上党区"}
    fig = figures.ranking_figure(
        table.assign(denied=False),
        names,
        metric="growth",
        unit="%",
        colours={},
        selected=None,
        city_value=None,
    )
    assert set(fig.data[0].text) == {"第1  +1.48%", "第2  +1.46%"}


def test_a_target_for_a_county_the_city_does_not_have_stops_start_up_in_one_line(settings):
    """A typo in a county code must not be silently ignored (the county would keep 6%)."""
    from tests.apps import app_as

    gdp = settings.indicator_map["gdp"]
    typo = gdp.model_copy(
        update={"target": Target(kind="growth", value=6.0, counties={"140499": {2023: 8.0}})}
    )
    indicators = [typo if i.id == "gdp" else i for i in settings.indicators]
    with pytest.raises(ConfigError) as info:
        app_as(settings.model_copy(update={"indicators": indicators}))
    lines = [p for p in info.value.problems if "140499" in p]
    assert len(lines) == 1 and "config/indicators.yaml" in lines[0], info.value.problems


def test_bad_decimals_give_one_clear_line_each(tmp_path):
    folder = tmp_path / "config"
    shutil.copytree(CONFIG, folder)
    path = folder / "indicators.yaml"
    catalog = yaml.safe_load(path.read_text(encoding="utf-8"))
    catalog["indicators"][0]["decimals"] = {"value": -1, "growth": "两位"}
    path.write_text(yaml.safe_dump(catalog, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(folder, environ={})
    lines = [p for p in info.value.problems if "decimals" in p]
    assert len(lines) == 2, info.value.problems
    assert any("decimals.value" in line for line in lines)
    assert any("decimals.growth" in line for line in lines)
