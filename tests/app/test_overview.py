"""The overview's callbacks, called directly and through Dash's HTTP endpoint (no browser).

Expected figures are read from the demo DuckDB file directly and computed with pandas,
independently of the hub, the adapters and the transforms under test.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from cockpit import shell
from cockpit.formatting import number, percent
from cockpit.settings import load_settings
from panels.overview.callbacks import build_overview, map_values
from tests.dash_requests import callback_body, post

PERIOD = "2026-10"
COUNTY = "140403"


@pytest.fixture(autouse=True)
def _close_sources(request: pytest.FixtureRequest):
    """Release the test app's database connections when the test ends, as a stopping worker does.

    Otherwise the next test's app finds the file held open by this one (see the demo-source
    test of that case in test_demo_data.py) and regenerates it, which only costs time here.
    """
    app = request.getfixturevalue("app") if "app" in request.fixturenames else None
    yield
    if app is not None:
        for source in app.server.extensions["cockpit_hub"].sources.values():
            source.close()


# -- what the data says, read straight from the file ----------------------------------------
@pytest.fixture(scope="module")
def truth(demo_sql) -> dict[str, pd.DataFrame]:
    """The tickets and indicator values of the demo file, as plain frames."""
    tables = {name: binding.table for name, binding in load_settings().datasets.items()}
    return {
        "tickets": demo_sql(
            f"SELECT received_at, closed_at, county_code, category_l2, evaluation "
            f"FROM {tables['hotline.tickets']}"
        ),
        "economy": demo_sql(f"SELECT * FROM {tables['economy.indicator_values']}"),
    }


def _month_tickets(truth: dict, period: str, county: str | None = None) -> pd.DataFrame:
    """Tickets received in a YYYY-MM month (in one county, or all)."""
    t = truth["tickets"]
    start = pd.Timestamp(f"{period}-01")
    rows = t[(t.received_at >= start) & (t.received_at < start + pd.offsets.MonthBegin(1))]
    return rows[rows.county_code == county] if county else rows


def _closed_tickets(truth: dict, period: str, county: str | None = None) -> pd.DataFrame:
    """Tickets closed in a month: the 满意率 cohort of config/hotline.yaml (satisfaction_cohort: closed)."""
    t = truth["tickets"]
    start = pd.Timestamp(f"{period}-01")
    rows = t[(t.closed_at >= start) & (t.closed_at < start + pd.offsets.MonthBegin(1))]
    return rows[rows.county_code == county] if county else rows


def _satisfaction(rows: pd.DataFrame) -> str:
    """满意率 text: (满意 + 基本满意) / evaluated."""
    evaluated = rows.evaluation.notna().sum()
    assert evaluated > 0
    satisfied = rows.evaluation.isin(["满意", "基本满意"]).sum()
    return percent(round(satisfied / evaluated * 100, 1))


def _latest_row(truth: dict, indicator: str, place: str, period: str) -> pd.Series:
    """The latest release of a place's cumulative figure for a period."""
    e = truth["economy"]
    rows = e[
        (e.indicator_id == indicator)
        & (e.county_code == place)
        & (e.period == period)
        & (e.period_type == "cumulative")
    ]
    assert not rows.empty
    return rows.sort_values("release_date").iloc[-1]


def _stat(card, label: str):
    """The stat of a card with this label."""
    matches = [s for s in card.stats if s.label == label]
    assert len(matches) == 1, [s.label for s in card.stats]
    return matches[0]


def _card(built: dict, key: str):
    """The card with this key among the overview's cards."""
    cards = [c for c in built["left"] + built["right"] if c.key == key]
    assert len(cards) == 1
    return cards[0]


# -- build_overview, called directly -----------------------------------------------------------
def _build(app, period: str, county: str | None) -> dict:
    """build_overview inside a request, as the callback runs it."""
    hub = app.server.extensions["cockpit_hub"]
    today = hub.settings.sources["demo"].end_date  # the data's last day (tests/conftest.py)
    with app.server.test_request_context("/"):
        return build_overview(hub, period, county, today)


def test_city_hotline_card_counts_october_tickets(app, truth):
    """For the whole city, 受理量 is October's ticket count and 满意率 that of the tickets closed
    in October (the 12345 module's definition, so both screens agree)."""
    hotline = _card(_build(app, PERIOD, None), "hotline")
    assert hotline.error is None
    rows = _month_tickets(truth, PERIOD)
    assert len(rows) > 0
    assert _stat(hotline, "受理量").value == number(len(rows))
    assert _stat(hotline, "满意率").value == _satisfaction(_closed_tickets(truth, PERIOD))


def test_city_economy_card_shows_latest_gdp_of_the_last_quarter(app, settings, truth):
    """The economy card's GDP is the city's latest-release 2026-09 value, labelled 前三季度."""
    gdp = _stat(_card(_build(app, PERIOD, None), "economy"), settings.indicator_map["gdp"].name)
    expected = _latest_row(truth, "gdp", settings.city.code, "2026-09")
    assert gdp.value == number(expected["value"], 2)
    assert gdp.unit == settings.indicator_map["gdp"].unit
    assert gdp.note.startswith(f"前三季度 同比 {percent(expected['growth'], signed=True)}")


def test_revised_gdp_period_shows_the_revision(app, settings, truth):
    """Asked for the revised quarter, the card shows the later release's growth."""
    e = truth["economy"]
    gdp_rows = e[(e.indicator_id == "gdp") & (e.county_code == settings.city.code)]
    revised = gdp_rows.groupby("period").release_date.nunique()
    period = revised[revised > 1].index[0]
    growth = _latest_row(truth, "gdp", settings.city.code, period)["growth"]
    earlier = gdp_rows[gdp_rows.period == period].sort_values("release_date").iloc[0]["growth"]
    assert growth != earlier
    gdp = _stat(_card(_build(app, period, None), "economy"), settings.indicator_map["gdp"].name)
    assert f"同比 {percent(growth, signed=True)}" in gdp.note


def test_county_figures_are_that_countys_own(app, settings, truth):
    """With a county selected, tickets and GDP are that county's only."""
    built = _build(app, PERIOD, COUNTY)
    hotline = _card(built, "hotline")
    rows = _month_tickets(truth, PERIOD, COUNTY)
    assert 0 < len(rows) < len(_month_tickets(truth, PERIOD))
    assert _stat(hotline, "受理量").value == number(len(rows))
    assert _stat(hotline, "满意率").value == _satisfaction(_closed_tickets(truth, PERIOD, COUNTY))
    gdp = _stat(_card(built, "economy"), settings.indicator_map["gdp"].name)
    assert gdp.value == number(_latest_row(truth, "gdp", COUNTY, "2026-09")["value"], 2)


def test_map_hotline_values_are_per_county_counts(app, truth):
    """The hotline map gives each county its October ticket count."""
    with app.server.test_request_context("/"):
        values, texts, title, note = map_values(
            app.server.extensions["cockpit_hub"], "hotline", PERIOD
        )
    expected = _month_tickets(truth, PERIOD).county_code.value_counts().to_dict()
    assert {c: int(v) for c, v in values.items()} == expected
    assert texts[COUNTY] == f"{number(expected[COUNTY])}件"
    assert "2026年10月" in title
    assert note.startswith("数据截至")


def test_attention_lists_the_weeks_12345_spike(app, settings, truth):
    """A category far above its 8-week mean last week appears in the attention list."""
    t = truth["tickets"]
    end = pd.Timestamp(settings.sources["demo"].end_date)
    monday = end.normalize() - pd.Timedelta(days=end.weekday() + 7)  # last complete week
    gas = t[t.category_l2 == "燃气"].received_at
    week_start = gas.dt.normalize() - pd.to_timedelta(gas.dt.day_of_week, unit="D")
    counts = week_start.value_counts()
    this_week = int(counts.get(monday, 0))
    baseline = sum(int(counts.get(monday - pd.Timedelta(weeks=k), 0)) for k in range(1, 9)) / 8
    assert this_week >= 20 and this_week >= 1.8 * baseline  # the data has a spike to report
    attention = _build(app, PERIOD, None)["attention"]
    hotline = [a.text for a in attention if a.module == "12345热线"]
    assert any("燃气" in text and str(this_week) in text for text in hotline), [
        f"{a.module}: {a.text}" for a in attention
    ]


# -- through Dash's HTTP endpoint --------------------------------------------------------------
def _post_callback(app, output: str, values: dict[str, Any], changed: list[str]) -> dict:
    """POST to /_dash-update-component as the Dash 4 renderer does; return the JSON body."""
    response = post(app.server.test_client(), callback_body(app, output, values, changed))
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_json()


def _find_stat(tree: Any, label: str) -> str | None:
    """In a serialised component tree, the stat-value text next to a stat-label."""
    if isinstance(tree, list):
        for item in tree:
            found = _find_stat(item, label)
            if found is not None:
                return found
        return None
    if not isinstance(tree, dict):
        return None
    props = tree.get("props", {})
    children = props.get("children")
    if "stat" in str(props.get("className", "")).split() and isinstance(children, list):
        labels = [
            c
            for c in children
            if isinstance(c, dict) and c.get("props", {}).get("className") == "stat-label"
        ]
        if labels and labels[0]["props"]["children"] == label:
            return _find_value(children)
    return _find_stat(children, label)


def _find_value(tree: Any) -> str | None:
    """The text of the first stat-value span below a node."""
    if isinstance(tree, list):
        return next((v for v in (_find_value(t) for t in tree) if v is not None), None)
    if isinstance(tree, dict):
        props = tree.get("props", {})
        if props.get("className") == "stat-value":
            return props.get("children")
        return _find_value(props.get("children"))
    return None


def test_overview_callback_over_http_returns_the_hotline_count(app, truth):
    """POSTing the filters to Dash returns cards whose 受理量 is October's ticket count."""
    data = _post_callback(
        app,
        "overview-cards-left.children",
        {"filter-period.value": PERIOD, "filter-county.value": shell.CITY_WIDE},
        ["filter-period.value"],
    )
    left = data["response"]["overview-cards-left"]["children"]
    assert _find_stat(left, "受理量") == number(len(_month_tickets(truth, PERIOD)))
    assert "overview-cards-right" in data["response"]
    assert "overview-attention" in data["response"]


def test_overview_callback_over_http_for_a_county(app, truth):
    """POSTing a county returns that county's own ticket count."""
    data = _post_callback(
        app,
        "overview-cards-left.children",
        {"filter-period.value": PERIOD, "filter-county.value": COUNTY},
        ["filter-county.value"],
    )
    left = data["response"]["overview-cards-left"]["children"]
    assert _find_stat(left, "受理量") == number(len(_month_tickets(truth, PERIOD, COUNTY)))


def _shell_state(app) -> dict[str, Any]:
    """The selectors' options and defaults, as the page layout gives them to the browser."""
    with app.server.test_request_context("/"):
        page = app.layout()
    return {
        "filter-period.options": page["filter-period"].options,
        "filter-county.options": page["filter-county"].options,
        "shell-defaults.data": page["shell-defaults"].data,
    }


def _sync(app, search: str) -> dict:
    """Run sync_filters over HTTP as if the URL's search had just changed; a selector it
    leaves alone (it already showed the value) reads as the value it showed."""
    state = _shell_state(app)
    shown = {"period": state["shell-defaults.data"]["period"], "county": shell.CITY_WIDE}
    values = {
        "url.search": search,
        "filter-period.value": shown["period"],
        "filter-county.value": shown["county"],
        **state,
    }
    response = _post_callback(app, "filter-period.value", values, ["url.search"])["response"]
    for name, value in shown.items():
        response.setdefault(f"filter-{name}", {}).setdefault("value", value)
    return response


def test_default_period_is_the_latest_economic_period(app, truth):
    """The layout's default period is the newest period with economic figures."""
    latest = truth["economy"].period.max()
    state = _shell_state(app)
    assert state["shell-defaults.data"]["period"] == latest
    assert latest in [o["value"] for o in state["filter-period.options"]]


def test_sync_filters_sets_selectors_from_the_url(app):
    """?period=2026-09&county=140403 sets both selectors."""
    response = _sync(app, f"?period=2026-09&county={COUNTY}")
    assert response["filter-period"]["value"] == "2026-09"
    assert response["filter-county"]["value"] == COUNTY


def test_sync_filters_forged_county_falls_back_to_the_whole_city(app):
    """A county code not offered to the user falls back to 全市."""
    response = _sync(app, "?period=2026-09&county=999999")
    assert response["filter-period"]["value"] == "2026-09"
    assert response["filter-county"]["value"] == shell.CITY_WIDE


def test_sync_filters_unknown_period_falls_back_to_the_default(app):
    """A period the selector does not offer falls back to the default period."""
    default = _shell_state(app)["shell-defaults.data"]["period"]
    response = _sync(app, f"?period=2019-01&county={COUNTY}")
    assert response["filter-period"]["value"] == default
    assert response["filter-county"]["value"] == COUNTY


def test_sync_filters_writes_the_url_when_a_selector_changes(app):
    """Changing the county selector puts period and county in the URL."""
    state = _shell_state(app)
    values = {
        "url.search": "",
        "filter-period.value": "2026-09",
        "filter-county.value": COUNTY,
        **state,
    }
    response = _post_callback(app, "filter-period.value", values, ["filter-county.value"])[
        "response"
    ]
    assert response["url"]["search"] == f"?period=2026-09&county={COUNTY}"


def test_warnings_in_force_are_counted_as_the_risk_page_counts_them(app, demo_sql):
    """The overview's 在发布预警 card and map agree with 风险管控: the sources' warnings not
    lifted plus the cockpit's own; every county on the map has a count (0, not a gap)."""
    from cockpit import clock
    from panels.risk.callbacks import build_screen

    hub = app.server.extensions["cockpit_hub"]
    today = clock.today()
    with app.server.test_request_context("/"):
        built = build_overview(hub, PERIOD, None, today)
        values, texts, title, _note = map_values(hub, "risk", PERIOD)
        risk = build_screen(hub, PERIOD, None, today)["frame"]
    live = demo_sql("SELECT warning_id FROM risk_warnings WHERE stage <> '解除'")
    made = risk[risk.origin != "source"]
    assert len(made) > 0  # the cockpit's own warnings exist here, so the test can tell
    assert len(risk) == len(live) + len(made)

    card = next(c for c in built["right"] if c.key == "risk")
    shown = {s.label: int(s.value) for s in card.stats}
    expected = risk["level"].value_counts()
    names = {1: "红色预警", 2: "橙色预警", 3: "黄色预警", 4: "蓝色预警"}
    assert shown == {names[lv]: int(expected.get(lv, 0)) for lv in (1, 2, 3, 4)}

    per_county = risk["county_code"].value_counts()
    counties = [c.code for c in app.server.extensions["cockpit_hub"].settings.city.counties]
    assert {c: int(v) for c, v in values.items()} == {
        c: int(per_county.get(c, 0)) for c in counties
    }
    assert all(texts[c].endswith("条") for c in counties) and "预警" in title


def test_the_map_shows_tickets_per_10000_residents_on_request(app, settings, truth):
    """每万人: each county's October tickets per 10,000 residents of the configured population
    (the year said in the title), so a small county's load compares with 潞州区's."""
    population = settings.city.population
    assert population is not None and set(population.counties) == {
        c.code for c in settings.city.counties
    }
    body = _post_callback(
        app,
        "overview-map-values.data",
        {
            "overview-map-metric.value": "hotline",
            "overview-map-measure.value": "per10k",
            "filter-period.value": PERIOD,
            "filter-county.value": shell.CITY_WIDE,
        },
        ["overview-map-measure.value"],
    )["response"]
    title = body["overview-map-title"]["children"]
    assert "每万人" in title, title
    figure = body["overview-map-values"]["data"]["figure"]
    legend = figure["layout"]["legend"]["title"]["text"]
    assert "件/万人" in legend and f"{population.year}年末常住人口" in legend, legend
    labels = next(t for t in figure["data"] if t.get("name") == "labels")
    shown = dict(zip(labels["customdata"], labels["text"], strict=True))
    tickets = _month_tickets(truth, PERIOD).county_code.value_counts()
    for code, people in population.counties.items():
        rate = tickets.get(code, 0) / (people * 10_000) * 10_000
        assert f"{rate:.1f}" in shown[code], (code, shown[code], rate)
