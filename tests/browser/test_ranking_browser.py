"""The 经济运行 county ranking as headless Chromium draws it (issue #18 item 11).

Real-shaped data: 长治's 12 counties' 2023 GDP growth, three of them negative (−3.2% as some
counties really had), and 沁县 not reported. The figure is built by the page's own functions
(county_ranking -> ranking_figure) and drawn in a real browser at 1920x1080 and at 390x844;
the assertions read the rendered SVG: every county has its label (第N + value, or 未报), no bar
label overlaps the county names on the y axis, and 未报 is drawn. Marked `browser`.
"""

from __future__ import annotations

import datetime as dt
import sqlite3

import pandas as pd
import pytest
from dash import Dash, dcc, html
from selenium.webdriver.support.ui import WebDriverWait

from cockpit import theme
from cockpit.domains.economy.transform import county_ranking, with_growth
from cockpit.ids import encode_key
from cockpit.settings import DatasetBinding, load_settings
from data_sources.sql import SqlConfig
from panels.economy import figures
from tests.browser_support import console_errors, emulate, shot, skip_without_chromium, start

pytestmark = pytest.mark.browser
skip_without_chromium()

# 2023 and 2022 地区生产总值 累计同比 (%) by county; None: 沁县 has not reported 2023.
GROWTH = {
    "140403": (5.1, 4.6),  # 潞州区
    "140404": (6.3, 7.0),  # 上党区
    "140405": (-3.2, 5.2),  # 屯留区
    "140406": (4.8, 6.1),  # 潞城区
    "140423": (7.9, 8.4),  # 襄垣县
    "140425": (-1.5, 3.3),  # 平顺县
    "140426": (5.6, 6.6),  # 黎城县
    "140427": (3.9, 4.0),  # 壶关县
    "140428": (6.0, 7.7),  # 长子县
    "140429": (2.7, 5.5),  # 武乡县
    "140430": (None, 4.9),  # 沁县: not reported
    "140431": (-0.4, 9.8),  # 沁源县
}


def _figure():
    """The ranking figure of 2023-12 GDP growth, as the economy page builds it."""
    settings = load_settings(environ={})
    indicator = next(i for i in settings.indicators if i.id == "gdp")
    rows = [
        {
            "indicator_id": "gdp",
            "county_code": code,
            "period": f"{year}-12",
            "period_type": "cumulative",
            "value": 100.0,
            "growth": growth,
            "unit": "亿元",
            "release_date": pd.Timestamp(dt.date(year + 1, 1, 20)),
        }
        for code, pair in GROWTH.items()
        for year, growth in zip((2023, 2022), pair, strict=True)
        if growth is not None
    ]
    frame = with_growth(pd.DataFrame(rows), indicator)
    counties = [c.code for c in settings.city.counties]
    table = county_ranking(frame, indicator, "2023-12", counties, "growth")
    table["denied"] = False
    names = settings.city.county_names
    figure = figures.ranking_figure(
        table,
        names,
        metric="growth",
        unit=indicator.unit,
        colours={},
        selected=None,
        city_value=5.6,
    )
    return figure, names


def _drawn(dash_duo, graph: str = "#ranking") -> dict:
    """Boxes of the y-axis county names and of the bar labels, read once all 12 are drawn."""
    script = """
        const box = e => { const r = e.getBoundingClientRect();
            return {text: e.textContent, left: r.left, right: r.right, top: r.top,
                    bottom: r.bottom, width: r.width}; };
        const g = document.querySelector(arguments[0]);
        return {ticks: Array.from(g.querySelectorAll('.ytick text')).map(box),
                labels: Array.from(g.querySelectorAll('.bars .point text')).map(box)};
    """
    found: dict = {}

    def ready(_driver) -> bool:
        found.update(dash_duo.driver.execute_script(script, graph))
        return len(found["ticks"]) == 12 and len(found["labels"]) == 12

    WebDriverWait(dash_duo.driver, 30).until(ready)
    return found


def _overlaps(a: dict, b: dict) -> bool:
    return (
        a["left"] < b["right"]
        and b["left"] < a["right"]
        and a["top"] < b["bottom"]
        and (b["top"] < a["bottom"])
    )


def _assert_labelled_and_clear(drawn: dict, names: dict, width: int) -> None:
    ticks = {t["text"]: t for t in drawn["ticks"]}
    assert set(ticks) == {names[c] for c in GROWTH}
    labels = [t["text"] for t in drawn["labels"]]
    # (a) every county has its label: 11 ranks 第1..第11 with a value, and one 未报.
    ranked = sorted(int(t.split()[0][1:]) for t in labels if t.startswith("第"))
    assert ranked == list(range(1, 12)), labels
    assert any(t.startswith("第11") and "-3.2%" in t.replace("−", "-") for t in labels), labels
    # (c) 未报 is drawn, with a box on screen (not an empty or zero-size text).
    unreported = [t for t in drawn["labels"] if t["text"] == "未报"]
    assert len(unreported) == 1 and unreported[0]["width"] > 0
    # (b) no bar label is drawn over any county name.
    clashes = [
        (label["text"], tick["text"])
        for label in drawn["labels"]
        for tick in drawn["ticks"]
        if _overlaps(label, tick)
    ]
    assert clashes == []
    # and every label is inside the window (none cut off at either side).
    assert all(t["left"] >= 0 and t["right"] <= width for t in drawn["labels"]), drawn["labels"]


@pytest.mark.parametrize("width,height", [(1920, 1080), (390, 844)])
def test_every_county_labelled_negative_labels_clear_of_names_and_unreported_drawn(
    dash_duo,
    width: int,
    height: int,
) -> None:
    theme.register_template()
    figure, names = _figure()
    app = Dash(__name__)
    app.layout = html.Div(
        dcc.Graph(id="ranking", figure=figure, style={"height": "520px"}),
        style={"width": "100%"},
    )
    if width < 500:
        emulate(dash_duo, width, height)
    else:
        dash_duo.driver.set_window_size(width, height)
    start(dash_duo, app)
    drawn = _drawn(dash_duo)
    shot(dash_duo, f"economy-ranking-negative-{width}x{height}")

    _assert_labelled_and_clear(drawn, names, width)
    assert console_errors(dash_duo) == []


@pytest.mark.parametrize("width,height", [(1920, 1080), (390, 844)])
def test_the_economy_page_draws_the_same_ranking_from_a_citys_database(
    dash_duo,
    settings,
    tmp_path,
    width: int,
    height: int,
) -> None:
    """The same figures served as a city's SQLite table, on /economy?period=2023-12 itself
    (signed in, the page's own layout and widths): the ranking reads the same way."""
    from tests.apps import app_as
    from tests.unit.test_dataset_validation import CITY, ECONOMY, gdp_rows

    rows = gdp_rows()
    rows = rows[rows.county_code != "140430"].copy()  # 沁县 has not reported
    counties = rows.county_code != CITY
    rows.loc[counties, "growth"] = [GROWTH[c][0] for c in rows.loc[counties, "county_code"]]
    db = tmp_path / "city_stats.db"
    with sqlite3.connect(db) as con:
        rows.to_sql("economy_indicator_values", con, index=False)
    changed = settings.model_copy(
        update={
            "sources": {**settings.sources, "stats": SqlConfig(kind="sql", url=f"sqlite:///{db}")},
            "datasets": {
                **settings.datasets,
                ECONOMY: DatasetBinding(source="stats", table="economy_indicator_values"),
            },
        }
    )
    app = app_as(changed)
    if width < 500:
        emulate(dash_duo, width, height)
    else:
        dash_duo.driver.set_window_size(width, height)
    start(dash_duo, app)
    dash_duo.driver.get(dash_duo.server_url + "/economy?period=2023-12")
    card = f'#economy-grid button[id*="{encode_key("gdp")}"]'  # cockpit/ids.py
    dash_duo.wait_for_element(card, timeout=30)
    dash_duo.driver.execute_script("document.querySelector(arguments[0]).click()", card)
    dash_duo.wait_for_contains_text("#economy-ranking-title", "GDP增速排名", timeout=30)
    drawn = _drawn(dash_duo, "#economy-ranking")
    dash_duo.driver.execute_script(
        "document.querySelector('#economy-ranking').scrollIntoView({block: 'center'})"
    )
    shot(dash_duo, f"economy-page-ranking-negative-{width}x{height}")
    _assert_labelled_and_clear(drawn, changed.city.county_names, width)
