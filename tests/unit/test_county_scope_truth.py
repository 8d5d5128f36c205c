"""A county user's figures are the city's truth, seen through their scope (#18 item 1).

Ranks, city figures and the map are computed over the whole city on the server; a county user
sees their own county's true rank (第7/12, the leader's) and the city's figure, but no other
county's value: those counties read 无权查看, never 未报, 0 or —. Viewing one's own screens
writes no "out_of_scope" audit row.
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from cockpit.scope import EXPORT, SEE_PERSONAL, Principal
from panels.economy.callbacks import build_indicator, build_page
from tests.apps import running_app

PERIOD = "2026-10"
COUNTY = "140403"  # 潞州区
COUNTY_USER = Principal(
    user_id="luzhou-staff",
    role="county_staff",
    counties=frozenset({COUNTY}),
    permissions=frozenset({SEE_PERSONAL, EXPORT}),
    display_name="潞州区工作人员",
)


@pytest.fixture
def leader(settings):
    yield from running_app(settings)


@pytest.fixture
def county_app(settings):
    yield from running_app(settings, COUNTY_USER)


def _hub(app):
    return app.server.extensions["cockpit_hub"]


def _page(app, county):
    with app.server.test_request_context("/"):
        return build_page(_hub(app), PERIOD, county)


def _view(app, indicator, county):
    with app.server.test_request_context("/"):
        return build_indicator(_hub(app), PERIOD, county, indicator, "cumulative")


def test_county_user_gets_the_leaders_rank_for_their_county(leader, county_app) -> None:
    truth = {r.indicator_id: r for r in _page(leader, COUNTY).readings}
    seen = {r.indicator_id: r for r in _page(county_app, COUNTY).readings}
    ranked = [i for i, r in truth.items() if r.rank is not None]
    assert ranked, "the demo data must rank some indicator by county"
    for indicator in ranked:
        assert (seen[indicator].rank, seen[indicator].rank_of) == (
            truth[indicator].rank,
            truth[indicator].rank_of,
        ), indicator
        assert seen[indicator].rank_of > 1
        assert seen[indicator].value == truth[indicator].value


def test_county_user_sees_the_city_figure(leader, county_app) -> None:
    truth = {r.indicator_id: r.value for r in _page(leader, None).readings}
    seen = {r.indicator_id: r.value for r in _page(county_app, None).readings}
    assert any(v is not None for v in truth.values())
    assert seen == truth


def test_county_user_sees_no_other_countys_figure_only_its_rank(leader, county_app) -> None:
    truth = _view(leader, "industry_va", COUNTY).ranking_table.set_index("county_code")
    view = _view(county_app, "industry_va", COUNTY)
    table = view.ranking_table.set_index("county_code")
    assert table.loc[COUNTY, "rank"] == truth.loc[COUNTY, "rank"]
    assert table.loc[COUNTY, "growth"] == truth.loc[COUNTY, "growth"]
    assert pd.notna(table.loc[COUNTY, "growth"])
    others = table.drop(index=COUNTY)
    assert others[["value", "growth", "metric"]].isna().all().all()
    assert others["rank"].isna().all()
    assert others["denied"].all() and not table.loc[COUNTY, "denied"]
    # Nothing of another county's figure reaches the browser, in the chart or on the map.
    sent = json.dumps([view.ranking, view.map], default=str, ensure_ascii=False)
    for code, row in truth.drop(index=COUNTY).iterrows():
        name = county_app.server.extensions["cockpit_hub"].settings.city.county_names[code]
        assert f"{name}：无权查看" in sent
        if pd.notna(row["growth"]):
            assert f"{name}：{row['growth']:+.1f}%" not in sent
    assert "未报" not in sent


def test_normal_viewing_writes_no_out_of_scope_audit(county_app) -> None:
    from cockpit import audit
    from cockpit.store import get_store

    _page(county_app, COUNTY)
    _page(county_app, None)
    _view(county_app, "industry_va", COUNTY)
    _view(county_app, "gdp", None)
    _hotline_map(county_app)
    from panels.overview.callbacks import build_overview, map_values

    with county_app.server.test_request_context("/"):
        for metric in ("hotline", "risk", "gdp"):
            map_values(_hub(county_app), metric, PERIOD)
        build_overview(_hub(county_app), PERIOD, COUNTY, dt.date(2026, 11, 20))
    denied = audit.entries(get_store(_hub(county_app)), action=audit.DENIED)
    assert [e for e in denied if e.result == "out_of_scope"] == []


# -- 12345 and the overview map ---------------------------------------------------------------
def _hotline_map(app):
    from panels.hotline.callbacks import map_section

    with app.server.test_request_context("/"):
        return map_section(_hub(app), PERIOD, COUNTY, "received")


def test_hotline_map_in_county_scope_says_denied_not_zero(leader, county_app) -> None:
    lead_fig, lead_table, _, _ = _hotline_map(leader)
    fig, table, _, _ = _hotline_map(county_app)
    truth = dict(zip(lead_fig.data[-1].customdata, lead_fig.data[-1].text, strict=True))
    seen = dict(zip(fig.data[-1].customdata, fig.data[-1].text, strict=True))
    assert seen[COUNTY] == truth[COUNTY]
    for code in truth:
        if code != COUNTY:
            assert seen[code].endswith("<br>无权查看"), code
    sent = json.dumps(
        table.to_plotly_json(), default=lambda c: c.to_plotly_json(), ensure_ascii=False
    )
    truth_sent = json.dumps(
        lead_table.to_plotly_json(), default=lambda c: c.to_plotly_json(), ensure_ascii=False
    )
    # The county's true rank among all twelve, the same number the leader's table gives it.
    name = _hub(county_app).settings.city.county_names[COUNTY]
    rank = _rank_of(truth_sent, name)
    assert _rank_of(sent, name) == rank
    assert sent.count("无权查看") == len(truth) - 1


def _rank_of(table_json: str, county: str) -> str:
    """The 名次 cell of the row whose second cell names the county."""
    rows = json.loads(table_json)["props"]["children"][1]["props"]["children"]
    for row in rows:
        cells = row["props"]["children"]
        if county in json.dumps(cells[1], ensure_ascii=False):
            return cells[0]["props"]["children"]
    raise AssertionError(f"no row for {county}")


@pytest.mark.parametrize("metric", ["hotline", "risk", "gdp"])
def test_overview_map_in_county_scope_says_denied(county_app, metric) -> None:
    from panels.overview.callbacks import map_values

    with county_app.server.test_request_context("/"):
        values, texts, _, _ = map_values(_hub(county_app), metric, PERIOD)
    others = [c.code for c in _hub(county_app).settings.city.counties if c.code != COUNTY]
    assert all(texts[c] == "无权查看" and values[c] is None for c in others)
    assert texts[COUNTY] != "无权查看"


def test_county_briefing_gives_the_true_ranks(leader, county_app) -> None:
    """The 要情专报 of 潞州区 says what the leader's briefing of 潞州区 says, ranks included."""
    import re

    from cockpit.domains.briefing.build import build_briefing

    day = dt.date(2026, 11, 20)

    def economy(app) -> list[str]:
        with app.server.test_request_context("/"):
            b = build_briefing(_hub(app), "daily", COUNTY, day)
        return next(s for s in b.sections if s.key == "economy").lines

    truth, seen = economy(leader), economy(county_app)
    ranks = [re.findall(r"居全市第\d+位", line) for line in truth]
    assert any(ranks), truth
    assert seen == truth
    assert not all(r == ["居全市第1位"] for r in ranks if r)
