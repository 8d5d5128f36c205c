"""The 12345 page on the demo data: its builders called directly and its callbacks over HTTP.

Expected figures come from the demo DuckDB file read with pandas (a copy, as DuckDB refuses a
second in-process connection with other settings), independently of the hub, the adapter and
the module's functions. The personal-data tests post every callback of the module and look
for every raw name and phone of the data in the responses and in the cache.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from plotly.utils import PlotlyJSONEncoder

from cockpit import shell
from cockpit.domains.hotline import data, kpis
from cockpit.domains.hotline.config import Definitions, module_config
from cockpit.domains.hotline.transform import last_complete_week, period_windows
from cockpit.formatting import number, percent
from cockpit.ids import decode_key, pattern_id
from cockpit.settings import load_settings
from data_sources.base import DataSourceError
from panels.hotline import callbacks as cb
from tests.apps import app_as
from tests.conftest import DEMO_END, demo_environ
from tests.contract.test_hotline_kpis import reference
from tests.dash_requests import answer, callback_body, callback_key

PERIOD = "2026-10"
COUNTY = "140403"


# -- fixtures ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def app(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One app for the module (its cache of its own), its sources closed afterwards."""
    cache = tmp_path_factory.mktemp("hotline-cache")
    application = app_as(load_settings(environ=demo_environ(demo_db, cache)))
    application.cache_dir = cache
    yield application
    for source in application.server.extensions["cockpit_hub"].sources.values():
        source.close()


@pytest.fixture
def hub(app: Any) -> Iterator[Any]:
    """The app's hub inside a request, as a callback sees it."""
    with app.server.test_request_context("/"):
        yield app.server.extensions["cockpit_hub"]


@pytest.fixture(scope="module")
def truth(demo_sql) -> pd.DataFrame:
    """Every ticket of the demo file, read directly."""
    frame = demo_sql(f"SELECT * FROM {load_settings().datasets['hotline.tickets'].table}")
    for column in ("direct_answer", "extended", "reopened", "followed_up"):
        frame[column] = frame[column].astype(bool)
    return frame


@pytest.fixture(scope="module")
def now(truth: pd.DataFrame) -> dt.datetime:
    """The data's 数据截至: its latest update."""
    return truth["updated_at"].max().to_pydatetime()


# -- the KPI cards -------------------------------------------------------------------------------
def test_kpis_equal_an_independent_reading_of_the_demo_tickets(hub, truth, now) -> None:
    """Every KPI of October, this month, last month and last year, equals the pandas reading."""
    values, windows, results, _ = cb.kpi_values(hub, module_config(hub), PERIOD, None)
    assert all(r.ok for r in results)
    for name in ("current", "previous", "last_year"):
        expected = reference(truth, Definitions(), windows[name], now)
        assert values[name] == expected, name
    assert values["current"]["received"] > 500  # the month is not trivially small


def test_county_kpis_are_that_countys_own(hub, truth, now) -> None:
    """With a county chosen, every KPI is computed on its tickets alone."""
    values, windows, _, _ = cb.kpi_values(hub, module_config(hub), PERIOD, COUNTY)
    county = truth[truth["county_code"] == COUNTY]
    assert values["current"] == reference(county, Definitions(), windows["current"], now)


def test_a_month_in_progress_is_compared_like_for_like(hub, truth, now) -> None:
    """November runs to the data's now; its comparison windows stop at the same point."""
    values, windows, _, _ = cb.kpi_values(hub, module_config(hub), "2026-11", None)
    assert windows["current"].end == now
    assert windows["previous"].end == now.replace(month=10)
    rec = truth["received_at"]
    before = ((rec >= dt.datetime(2026, 10, 1)) & (rec < now.replace(month=10))).sum()
    assert values["previous"]["received"] == before


def _tree(component: Any) -> Any:
    """A component (or list, or figure) as the JSON the browser receives."""
    return json.loads(json.dumps(component, cls=PlotlyJSONEncoder))


def _find(tree: Any, predicate) -> list[dict]:
    """Every component of a serialised tree for which predicate(props) holds."""
    found: list[dict] = []
    if isinstance(tree, list):
        for item in tree:
            found += _find(item, predicate)
    elif isinstance(tree, dict):
        props = tree.get("props", {})
        if predicate(props):
            found.append(tree)
        found += _find(props.get("children"), predicate)
    return found


def _text(tree: Any) -> str:
    """All the text of a serialised tree."""
    if isinstance(tree, str):
        return tree
    if isinstance(tree, list):
        return "".join(_text(t) for t in tree)
    if isinstance(tree, dict):
        return _text(tree.get("props", {}).get("children"))
    return "" if tree is None else str(tree)


def _card(cards: Any, key: str) -> dict:
    """The KPI card whose drill key is kpi|key."""
    matches = _find(
        cards,
        lambda p: isinstance(p.get("id"), dict) and decode_key(p["id"].get("key")) == f"kpi|{key}",
    )
    assert len(matches) == 1
    return matches[0]


def _card_value(card: dict) -> str:
    return _text(_find(card, lambda p: p.get("className") == "kpi-value"))


def test_kpi_cards_over_http_show_values_changes_and_definitions(app, truth, now) -> None:
    """POSTing the filters returns one card per KPI with value, 环比, 同比 and its definition."""
    body = _post(
        app, "hotline-kpis.children", {"filter-period.value": PERIOD, "filter-county.value": "city"}
    )
    cards = body["response"]["hotline-kpis"]["children"]
    windows = period_windows(PERIOD, now)
    current = reference(truth, Definitions(), windows["current"], now)
    previous = reference(truth, Definitions(), windows["previous"], now)
    assert len(_find(cards, lambda p: "hotline-kpi" in str(p.get("className")))) == len(kpis.KPIS)
    assert _card_value(_card(cards, "received")) == number(current["received"])
    assert _card_value(_card(cards, "on_time")) == percent(current["on_time"])
    assert _card_value(_card(cards, "satisfaction")) == percent(current["satisfaction"])
    on_time = _card(cards, "on_time")
    delta = round(current["on_time"] - previous["on_time"], 1)
    arrow = "↑" if delta > 0 else "↓"  # the one change style (cockpit.formatting.change_text)
    assert f"环比 {arrow}{abs(delta):.1f}个百分点" in _text(on_time) or (
        delta == 0 and "环比 持平" in _text(on_time)
    )
    title = on_time["props"]["title"]
    assert title.startswith("按时办结率：") and "延期工单按延期后的时限判断" in title
    period_text = body["response"]["hotline-kpis-period"]["children"]
    assert (
        "2026年10月" in period_text
        and "环比2026年9月" in period_text
        and "同比2025年10月" in period_text
    )
    assert "数据截至" in _text(body["response"]["hotline-kpis-foot"]["children"])


def test_a_period_without_tickets_shows_dashes_not_zeros(hub) -> None:
    """Before the data begins, every card reads '—'."""
    cards, _, _ = cb.kpi_section(hub, "2023-06", None)
    values = {_text(_find(_tree(c), lambda p: p.get("className") == "kpi-value")) for c in cards}
    assert values == {"—"}


def test_a_failing_source_shows_its_error_and_dashes(app, monkeypatch) -> None:
    """When the source fails, the cards read '—' and the panel says why; nothing crashes."""
    hub = app.server.extensions["cockpit_hub"]

    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise DataSourceError("数据源 demo 查询失败（OperationalError）")

    # Every way the source answers: one query, or a rollup plan's parts in one statement.
    monkeypatch.setattr(hub.sources["demo"], "fetch", broken)
    monkeypatch.setattr(hub.sources["demo"], "fetch_joined", broken)
    with app.server.test_request_context("/"):
        cards, _, foot = cb.kpi_section(hub, "2024-03", COUNTY)  # a query never cached
    values = {_text(_find(_tree(c), lambda p: p.get("className") == "kpi-value")) for c in cards}
    assert values == {"—"}
    assert "查询失败" in _text(_tree(foot))


# -- views ---------------------------------------------------------------------------------------
def _month(truth: pd.DataFrame, period: str = PERIOD) -> pd.DataFrame:
    start = pd.Timestamp(f"{period}-01")
    rec = truth["received_at"]
    return truth[(rec >= start) & (rec < start + pd.offsets.MonthBegin(1))]


def test_repeat_callers_are_distinct_people_each_shown_once(hub, truth) -> None:
    """#20: all 8 rows read 王** 138****0000, one caller's groups in eight categories. Each
    caller is now one row with their categories; N callers give N distinct masked labels,
    in the order of their repeated tickets, and no full name or number reaches the page."""
    from cockpit.domains.hotline.masking import mask_phone

    body, _, _ = cb.repeat_section(hub, PERIOD, None)
    tree = _tree(body)
    labels = [_text(c) for c in _find(tree, lambda p: p.get("className") == "repeat-caller")]
    month = _month(truth)
    groups = month.dropna(subset=["citizen_phone"]).groupby(["citizen_phone", "category_l2"])
    sizes = groups.size()
    per_caller = sizes[sizes >= 2].groupby(level=0).sum().sort_values(ascending=False)
    assert len(per_caller) >= 8  # October has more repeat callers than the list shows
    assert len(labels) == 8 and len(set(labels)) == len(labels), labels
    # The most persistent caller first (of equals, the one whose repeated ticket is latest, as
    # the page orders them), with every category they rang about again.
    repeated = month.set_index(["citizen_phone", "category_l2"]).index.isin(sizes[sizes >= 2].index)
    last = month[repeated].groupby("citizen_phone")["ticket_id"].max()
    order = pd.DataFrame({"n": per_caller, "last": last.reindex(per_caller.index)})
    top = order.sort_values(["n", "last"], ascending=False).index[0]
    assert mask_phone(top) in labels[0]
    top_rows = _find(tree, lambda p: p.get("className") == "repeat-row")[0]
    top_categories = sizes[top][sizes[top] >= 2]
    assert all(c in _text(top_rows) for c in top_categories.index)
    assert f"{int(per_caller[top])}次" in _text(top_rows)
    text = json.dumps(tree, ensure_ascii=False)
    shown = month[month["citizen_phone"].isin(per_caller.index[:8])]
    assert not [p for p in shown["citizen_phone"].unique() if p in text]
    assert not [n for n in shown["citizen_name"].unique() if n in text]


def test_two_callers_with_the_same_masked_number_are_told_apart() -> None:
    """王 138****1234 twice (different middle digits): a stable keyed code tells them apart,
    and the same caller always gets the same label; the code reveals nothing without the key."""
    from cockpit.domains.hotline.masking import caller_labels

    labels = caller_labels(
        ["王伟", "王芳", "李强"], ["13812341234", "13899991234", "13900005678"], key="k1"
    )
    assert len(set(labels)) == 3
    assert labels[2] == "李** 139****5678"  # no twin: the plain masked form
    assert labels[0].startswith("王** 138****1234") and labels[1].startswith("王** 138****1234")
    again = caller_labels(["王芳", "王伟"], ["13899991234", "13812341234"], key="k1")
    assert again == [labels[1], labels[0]]
    assert not any("9999" in x or "伟" in x or "芳" in x for x in labels)
    other_key = caller_labels(["王伟", "王芳"], ["13812341234", "13899991234"], key="k2")
    assert other_key[:2] != labels[:2]


def test_map_and_ranking_give_each_county_its_count(hub, truth) -> None:
    """The map's 受理量 per county is the data's, and the ranking is ordered by it."""
    figure, table, title, _ = cb.map_section(hub, PERIOD, None, "received")
    expected = _month(truth)["county_code"].value_counts()
    labels = figure.data[-1]
    texts = dict(zip(labels.customdata, labels.text, strict=True))
    for code, count in expected.items():
        assert texts[code].endswith(f"{number(count)}件")
    rows = _find(_tree(table), lambda p: isinstance(p.get("id"), dict))
    first = decode_key(rows[0]["props"]["id"]["key"])
    assert first == f"county|{expected.idxmax()}"
    assert "受理量" in title


def test_volume_counts_per_day_and_week(hub, truth) -> None:
    """Bars per day of October and per week (26 weeks) are the data's counts."""
    figure, _, _ = cb.volume_section(hub, PERIOD, None, "day")
    month = _month(truth)
    per_day = month["received_at"].dt.strftime("%Y-%m-%d").value_counts()
    bars = dict(zip(figure.data[0].customdata, figure.data[0].y, strict=True))
    assert len(bars) == 31 and all(bars[d] == per_day.get(d, 0) for d in bars)
    weekly, _, _ = cb.volume_section(hub, PERIOD, None, "week")
    assert len(weekly.data[0].y) == 26
    monday = weekly.data[0].customdata[-1]
    start = pd.Timestamp(monday)
    rec = truth["received_at"]
    expected = (
        (rec >= start) & (rec < min(start + pd.Timedelta(days=7), pd.Timestamp("2026-11-01")))
    ).sum()
    assert weekly.data[0].y[-1] == expected


def test_categories_sum_to_the_months_tickets(hub, truth) -> None:
    """The treemap's roots add up to the month's tickets; each leaf is its category's count."""
    tree, appeals, channels, _, _ = cb.category_section(hub, PERIOD, None)
    month = _month(truth)
    nodes = pd.DataFrame(
        {"id": tree.data[0].ids, "parent": tree.data[0].parents, "value": tree.data[0].values}
    )
    assert nodes.loc[nodes["parent"] == "", "value"].sum() == len(month)
    gas = month[(month["category_l1"] == "公共服务") & (month["category_l2"] == "燃气")]
    assert nodes.set_index("id").loc["公共服务/燃气", "value"] == len(gas)
    by_type = dict(zip(appeals.data[0].y, appeals.data[0].x, strict=True))
    assert by_type == month["appeal_type"].value_counts().to_dict()
    by_channel = dict(zip(channels.data[0].y, channels.data[0].x, strict=True))
    assert by_channel == month["channel"].value_counts().to_dict()


def test_hot_topics_find_the_planted_gas_spike(hub, truth, now) -> None:
    """The last complete week's 燃气 tickets stand out, with the data's count and keywords."""
    body, text, _ = cb.hot_section(hub, PERIOD, None)
    week = last_complete_week(now)
    rec = truth["received_at"]
    gas = truth[
        (truth["category_l2"] == "燃气") & (rec >= week) & (rec < week + dt.timedelta(days=7))
    ]
    tree = _tree(body)
    hot_rows = _find(tree, lambda p: p.get("className") == "row-hot")
    assert hot_rows and _text(hot_rows[0]).startswith(f"燃气{len(gas)}")
    chips = _text(_find(tree, lambda p: p.get("className") == "keyword hot"))
    # Words of the gas complaints; 压力 is on the shipped stop-word list (not a topic, #18).
    assert "燃气" in chips and "安全隐患" in chips and "压力" not in chips
    assert f"{week:%m月%d日}" in text


def test_deadline_clocks_count_open_tickets_against_the_datas_now(hub, truth, now) -> None:
    """超期未办结 is the open dispatched tickets past their deadline at the data's now."""
    body, _, _ = cb.sla_section(hub, PERIOD, None)
    open_ = truth[truth["closed_at"].isna() & ~truth["direct_answer"]]
    tiles = {
        decode_key(t["props"]["id"]["key"]): _card_value(t)
        for t in _find(_tree(body), lambda p: isinstance(p.get("id"), dict))
        if decode_key(t["props"]["id"]["key"]).startswith("sla|")
    }
    assert tiles["sla|overdue"] == number((open_["deadline"] < now).sum())
    soon = (open_["deadline"] >= now) & (open_["deadline"] < now + dt.timedelta(hours=24))
    assert tiles["sla|soon"] == number(soon.sum())


def test_unit_board_ranks_units_with_enough_tickets(hub) -> None:
    """红榜 and 黑榜 list different units, each at or above the minimum of tickets due."""
    body, _, _ = cb.unit_section(hub, PERIOD, None)
    keys = [
        decode_key(b["props"]["id"]["key"])
        for b in _find(_tree(body), lambda p: isinstance(p.get("id"), dict))
    ]
    assert len(keys) == len(set(keys)) >= 2 and all(k.startswith("unit|") for k in keys)


# -- the ticket list -----------------------------------------------------------------------------
def test_a_county_drill_lists_that_countys_tickets_one_page_at_a_time(hub, truth) -> None:
    """The county's October tickets, newest first, a page of 20, with the data's total."""
    title, table, pager, page, _ = cb.list_section(hub, f"county|{COUNTY}", "all", PERIOD, None, 0)
    month = _month(truth)
    county = month[month["county_code"] == COUNTY].sort_values(
        ["received_at", "ticket_id"], ascending=False
    )
    assert title.startswith("潞州区 · 本期受理 · 2026年10月")
    assert pager == f"第 1 / {-(-len(county) // 20)} 页 · 共 {len(county):,} 件"
    ids = [
        _text(td) for td in _find(_tree(table), lambda p: p.get("className") == "col-ticket_id")
    ][1:]
    assert ids == list(county["ticket_id"].head(20))
    _, table2, pager2, page2, _ = cb.list_section(hub, f"county|{COUNTY}", "all", PERIOD, None, 1)
    ids2 = [
        _text(td) for td in _find(_tree(table2), lambda p: p.get("className") == "col-ticket_id")
    ][1:]
    assert ids2 == list(county["ticket_id"].iloc[20:40]) and page2 == 1
    *_, last_page, _ = cb.list_section(hub, f"county|{COUNTY}", "all", PERIOD, None, 10_000)
    assert last_page == -(-len(county) // 20) - 1  # clamped to the last page


def test_a_kpi_drill_lists_the_tickets_behind_the_number(hub, truth, now) -> None:
    """按时办结率's 超期未办结 list holds exactly the due tickets still open."""
    _, _, pager, _, _ = cb.list_section(hub, "kpi|on_time", "open", PERIOD, None, 0)
    w = period_windows(PERIOD, now)["current"]
    due = truth[
        (truth["deadline"] >= w.start) & (truth["deadline"] < w.end) & ~truth["direct_answer"]
    ]
    assert pager.endswith(f"共 {due['closed_at'].isna().sum():,} 件")


def test_a_caller_drill_finds_the_callers_tickets_by_ticket_id(hub, truth) -> None:
    """A repeat caller is named by one of their tickets; the list holds their same-category tickets."""
    month = _month(truth)
    some = month.iloc[0]
    same = month[
        (month["citizen_phone"] == some["citizen_phone"])
        & (month["category_l2"] == some["category_l2"])
    ]
    _, _, pager, _, _ = cb.list_section(hub, f"caller|{some['ticket_id']}", None, PERIOD, None, 0)
    assert pager.endswith(f"共 {len(same):,} 件")


def test_an_unknown_drill_key_falls_back_to_the_months_tickets(hub, truth) -> None:
    """A forged key lists the month's tickets (within scope), never an error."""
    title, _, pager, _, _ = cb.list_section(hub, "sql|drop table", None, PERIOD, None, 0)
    assert title.startswith("受理量 · 全部受理") and pager.endswith(f"共 {len(_month(truth)):,} 件")


@pytest.mark.parametrize(
    ("trigger", "value", "key"),
    [
        (pattern_id("hotline-drill", key="kpi|on_time"), 1, "kpi|on_time"),
        (pattern_id("hotline-drill", key="kpi|on_time"), 0, None),
        (pattern_id("hotline-drill", key="unit|市住建局"), 1, "unit|市住建局"),
        ({"type": "hotline-drill", "key": "unit|市住建局"}, 1, None),  # a raw key: not ours
        ("hotline-map", {"points": [{"customdata": [COUNTY]}]}, f"county|{COUNTY}"),
        (
            "hotline-categories",
            {"points": [{"customdata": "公共服务/燃气"}]},
            "category|公共服务/燃气",
        ),
        ("hotline-volume", {"points": [{"customdata": "2026-10-05"}]}, "bucket|day:2026-10-05"),
        ("hotline-map", {"points": []}, None),
        ("hotline-map", None, None),
    ],
)
def test_clicks_become_drill_keys(trigger: Any, value: Any, key: str | None) -> None:
    """A button, a county, a category or a bar gives its drill key; an empty click none."""
    assert cb.drill_key_for(trigger, value, "day") == key


# -- over HTTP, and what must never leave the server ---------------------------------------------
def _post(app: Any, output: str, values: dict[str, Any], changed: list[str] | None = None) -> dict:
    """POST to /_dash-update-component as Dash's renderer does; the JSON answer."""
    if changed is None:  # as if the callback's first input had changed
        first = app.callback_map[callback_key(app, output)]["inputs"][0]
        changed = [f"{first['id']}.{first['property']}"]
    return answer(app, callback_body(app, output, values, changed))


def _every_callback_body(app: Any) -> list[str]:
    """The raw response bodies of every 12345 callback, over a spread of filters and drills."""
    keys = {  # server-side ones: the map is drawn in the browser by a clientside callback
        k
        for k, entry in app.callback_map.items()
        if "hotline" in k and "hotline-scroll" not in k and "callback" in entry
    }
    drill_key = callback_key(app, "hotline-drill.data")
    list_key = callback_key(app, "hotline-list-title.children")
    bodies: list[str] = []
    posted: set[str] = set()
    callers: list[str] = []
    for county in ("city", COUNTY):
        values = {
            "filter-period.value": PERIOD,
            "filter-county.value": county,
            "hotline-volume-granularity.value": "day",
            "hotline-map-metric.value": "on_time",
            "hotline-drill.data": "kpi|received",
        }
        for key in sorted(keys - {drill_key, list_key}):
            body = _post(app, key.strip(".").split("...")[0], values)
            bodies.append(json.dumps(body, ensure_ascii=False))
            posted.add(key)
            if "hotline-repeat.children" in key and county == "city":
                callers = [
                    decode_key(b["props"]["id"]["key"])
                    for b in _find(
                        body["response"]["hotline-repeat"]["children"],
                        lambda p: isinstance(p.get("id"), dict),
                    )
                ]
    drills = ["kpi|received", "kpi|repeat_rate", f"county|{COUNTY}", "sla|overdue", "hot|燃气"]
    drills += callers[:2]  # caller drills, as the repeat table issues them
    assert any(d.startswith("caller|") for d in drills)
    for drill in drills:
        values = {
            "filter-period.value": PERIOD,
            "filter-county.value": "city",
            "hotline-drill.data": drill,
            "hotline-list-page.data": 0,
        }
        for changed in ("hotline-drill.data", "hotline-list-next.n_clicks"):
            body = _post(app, "hotline-list-title.children", values, [changed])
            bodies.append(json.dumps(body, ensure_ascii=False))
    posted.add(list_key)
    # The numbers' buttons set the drill in the browser (cockpit.clicks); a chart's click
    # still comes here.
    clicked = _post(
        app,
        "hotline-drill.data",
        {
            "hotline-map.clickData": {"points": [{"customdata": [COUNTY]}]},
            "hotline-volume-granularity.value": "day",
        },
        ["hotline-map.clickData"],
    )
    assert clicked["response"]["hotline-drill"]["data"] == f"county|{COUNTY}"
    bodies.append(json.dumps(clicked, ensure_ascii=False))
    posted.add(drill_key)
    assert posted == keys  # every server-side callback of the module was asked
    return bodies


@pytest.fixture(scope="module")
def served(app: Any) -> str:
    """Every 12345 callback's answers, once for the module."""
    return "\n".join(_every_callback_body(app))


def _leaks(text: str, truth: pd.DataFrame) -> list[str]:
    """Every raw phone number or name of the data that occurs in the text."""
    phones = set(truth["citizen_phone"].dropna())
    names = {n for n in truth["citizen_name"].dropna() if len(n) >= 2}
    assert len(phones) > 100 and len(names) > 50
    digits = set(re.findall(r"(?=(\d{11}))", text))  # every 11-digit window
    sizes = {len(n) for n in names}
    chinese = {
        run[k : k + size]
        for run in set(re.findall(r"[\u4e00-\u9fff]+", text))
        for size in sizes
        for k in range(len(run) - size + 1)
    }
    return sorted((phones & digits) | (names & chinese))


def test_no_raw_name_or_phone_appears_in_any_callback_response(served, truth) -> None:
    """Every 12345 callback answer, lists and repeat callers included, carries masked values only."""
    assert re.search(r"1\d\d\*{4}\d{4}", served) and re.search(r"[\u4e00-\u9fff]\*\*", served)
    assert _leaks(served, truth) == []


def test_no_raw_phone_or_name_reaches_the_shared_cache(app, served, truth, now) -> None:
    """After lists, repeat callers and keywords were served, the cache holds no phone or name."""
    files = [p for p in Path(app.cache_dir).rglob("*") if p.is_file()]
    assert len(files) > 10  # the cache was used
    text = "".join(p.read_bytes().decode("utf-8", "ignore") for p in files)
    open_ids = truth.loc[truth["closed_at"].isna(), "ticket_id"]
    assert any(t in text for t in open_ids)  # strings of cached frames are found (the SLA list)
    week = last_complete_week(now)
    sampled = truth.loc[truth["received_at"] >= week, "content"]
    assert not any(c in text for c in sampled)  # the keyword samples' free text is not cached
    assert _leaks(text, truth) == []


def test_views_fetch_aggregates_and_at_most_one_page_of_rows(app, monkeypatch) -> None:
    """Every query is an aggregate, except one page of the list, the urgent few and the text sample."""
    hub = app.server.extensions["cockpit_hub"]
    config = module_config(hub)
    seen: list[Any] = []
    fetch = hub._fetch

    def recording(source: Any, dataset: Any, query: Any) -> pd.DataFrame:
        # What the hub asks its source for (a rollup answer may take several tables' queries).
        seen.append(query)
        return fetch(source, dataset, query)

    monkeypatch.setattr(hub, "_fetch", recording)

    def asked() -> list[Any]:  # the queries for figures (not the hub's own 数据截至 lookups)
        return [q for q in seen if [m.name for m in q.measures] != ["as_of"]]

    with app.server.test_request_context("/"):
        hub.cache.cache.clear()
        cb.kpi_section(hub, "2025-05", None)
        assert len(asked()) == 6  # counts and handling-time histogram for three windows
        for builder in (cb.unit_section, cb.sla_section, cb.hot_section, cb.repeat_section):
            builder(hub, "2025-05", None)
        cb.pattern_section(hub, "2025-05", None)
        cb.list_section(hub, "kpi|received", None, "2025-05", None, 3)
    assert len(asked()) <= 16
    rows = [q for q in seen if not q.measures]
    bounds = {config.lists.page_size, config.hot_topics.sample_rows, config.sla.list_rows, 1}
    assert rows and all(q.limit is not None and q.limit in bounds for q in rows)


def test_the_page_is_registered_with_its_config(app) -> None:
    """/hotline is a page; its validated config section is on the hub."""
    hub = app.server.extensions["cockpit_hub"]
    assert hub.module_config["hotline"].lists.page_size == 20
    with app.server.test_request_context("/"):
        page = app.layout()
    assert any(getattr(link, "href", None) == "/hotline" for link in page["shell-nav"].children)
    assert shell.CITY_WIDE == "city" and DEMO_END.isoformat() == "2026-11-20"
    assert data.TICKETS == "hotline.tickets"
