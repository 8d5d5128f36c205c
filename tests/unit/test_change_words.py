"""One way of writing a change (#20 item 8): 持平 for zero, 个百分点 for rates, arrows on screens.

The issue found the same change written ↓0.2 (economy card), +0.0 (12345 tiles, economy table)
and 0.1个百分点 (targets) on different screens. Each of those places is pinned here to the one
formatter, cockpit.formatting.change_text.
"""

from __future__ import annotations

import dataclasses
import math

import pandas as pd
import pytest

from cockpit.formatting import change_text, percent, points


# -- the formatter -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "kind", "unit", "digits", "shown"),
    [
        (0.2, "rate", "", 1, "↑0.2个百分点"),
        (-0.2, "rate", "", 1, "↓0.2个百分点"),
        (0.04, "rate", "", 1, "持平"),  # rounds to 0.0 at the precision shown
        (-0.04, "rate", "", 1, "持平"),
        (-0.04, "rate", "", 2, "↓0.04个百分点"),  # published with two decimals: not zero
        (3.25, "percent", "", 1, "↑3.2%"),
        (-12.0, "percent", "", 1, "↓12.0%"),
        (0.0, "percent", "", 1, "持平"),
        (0.4, "level", "天", 1, "↑0.4天"),
        (-2, "level", "位", 0, "↓2位"),
        (None, "rate", "", 1, "—"),
        (math.nan, "percent", "", 1, "—"),
    ],
)
def test_change_text_writes_one_style(value, kind, unit, digits, shown) -> None:
    assert change_text(value, kind, unit=unit, digits=digits) == shown


def test_change_text_in_words_for_sentences() -> None:
    """Sentences say the direction in words; zero is 持平 there too."""
    assert change_text(0.5, "rate", words=("提高", "回落")) == "提高0.5个百分点"
    assert change_text(-0.3, "rate", words=("提高", "回落")) == "回落0.3个百分点"
    assert change_text(0.01, "rate", words=("提高", "回落")) == "持平"
    assert points(-0.3) == "回落0.3个百分点" and points(0.0) == "持平"


def test_a_signed_figure_that_rounds_to_zero_has_no_sign() -> None:
    """+0.0% and -0.0% claim a direction; 0.0% does not."""
    assert percent(0.04, signed=True) == "0.0%"
    assert percent(-0.04, signed=True) == "0.0%"
    assert percent(1.25, signed=True) == "+1.2%"


# -- the places that wrote it differently --------------------------------------------------------
def _reading(**changes):
    from cockpit.domains.economy.transform import Reading

    base = Reading(
        indicator_id="gyzjz",
        name="规上工业增加值",
        short_name="规上工业",
        unit="%",
        frequency="monthly",
        place="city",
        period="2026-10",
        label="1-10月",
        value=None,
        growth=6.1,
        growth_computed=False,
        revised=False,
        missing=False,
        note="",
        previous_label="1-9月",
        growth_change=-0.2,
        target_growth=6.0,
        target_gap=0.1,
        level_target=None,
        completion=None,
        elapsed=None,
        progress_status="none",
        status="green",
        rank=2,
        rank_of=9,
        rank_change=1,
    )
    return dataclasses.replace(base, **changes)


def _text(component) -> str:
    """All the text of a Dash component tree, joined."""
    if component is None:
        return ""
    if isinstance(component, str | int | float):
        return str(component)
    if isinstance(component, list | tuple):
        return "".join(_text(c) for c in component)
    return _text(getattr(component, "children", None))


def test_economy_card_writes_its_change_with_its_unit() -> None:
    """The card's 比1-9月 line said ↓0.2 with no unit; now ↓0.2个百分点, and 持平 for zero."""
    from panels.economy.figures import card

    text = _text(card(_reading(), selected=False))
    assert "↓0.2个百分点" in text
    assert "↑1位" in text  # the rank moved up one place
    flat = _text(card(_reading(growth_change=0.04, rank_change=0), selected=False))
    assert "与1-9月持平" in flat and "↓0.0" not in flat and "→" not in flat


def test_economy_card_target_gap_goes_through_the_formatter() -> None:
    from panels.economy.figures import card

    assert "目标6% · 高0.1个百分点" in _text(card(_reading(), selected=False))
    assert "目标6% · 持平" in _text(card(_reading(target_gap=0.01), selected=False))


@pytest.mark.parametrize(
    ("column", "value", "shown"),
    [
        ("比上期（百分点）", 0.04, "持平"),  # was +0.0
        ("比上期（百分点）", -0.2, "↓0.2"),  # was -0.2
        ("与目标差（百分点）", 0.1, "↑0.1"),
        ("排名变化（位，正为上升）", 1.0, "↑1"),  # was +1
        ("排名变化（位，正为上升）", 0.0, "持平"),  # was 0
        ("同比增速（%）", 0.04, "0.0%"),  # was +0.0%
    ],
)
def test_economy_table_cells_write_changes_as_the_cards_do(column, value, shown) -> None:
    """The table's headers carry the unit; the cells the same arrows and 持平 as the cards."""
    from panels.economy.figures import _cell

    assert _cell(column, value, {"_growth_decimals": 1}) == shown


@pytest.mark.parametrize(
    ("key", "delta", "shown"),
    [
        ("received", 0.04, "持平"),  # was +0.0%
        ("received", -3.25, "↓3.2%"),  # was -3.2%
        ("on_time", 0.5, "↑0.5个百分点"),  # was +0.5个百分点
        ("handling_p90", -0.4, "↓0.4天"),  # was -0.4天
    ],
)
def test_hotline_tiles_write_changes_with_the_formatter(key, delta, shown) -> None:
    from cockpit.domains.hotline.kpis import KPI_BY_KEY
    from panels.hotline.figures import delta_text

    assert delta_text(KPI_BY_KEY[key], delta) == shown


def test_economy_sentences_use_the_formatter_words() -> None:
    """The plain-language line: 高于目标0.1个百分点, 比1-9月回落0.2个百分点, 持平 at zero."""
    from cockpit.domains.economy.transform import change_text as economy_change
    from cockpit.domains.economy.transform import gap_text

    assert gap_text(0.1) == "高于目标0.1个百分点" and gap_text(0.04) == "与目标持平"
    assert economy_change(-0.2, "1-9月") == "比1-9月回落0.2个百分点"
    assert economy_change(0.04, "1-9月") == "与1-9月持平"


def test_briefing_count_change_never_says_a_zero_percent() -> None:
    """增加1件 out of 5000 is not 增长0.0%: the share is left out when it rounds to zero."""
    from cockpit.formatting import change

    assert change(5001, 5000) == "增加1件"
    assert change(1100, 1000) == "增加100件（增长10.0%）"
    assert change(900, 1000) == "减少100件（下降10.0%）"
    assert change(1000, 1000) == "持平"


def test_overview_12345_card_writes_changes_with_arrows() -> None:
    """The overview's 12345 card: 环比 ↑x% and 比上月 ↑x个百分点 (were +x% and 提高x个百分点)."""
    from cockpit.domains.overview.transform import hotline_card
    from cockpit.hub import Result

    frame = pd.DataFrame(
        {
            "received": [1000],
            "direct_answers": [0],
            "due_closed": [100],
            "due_open": [0],
            "due_on_time": [92],
            "evaluated": [100],
            "satisfied": [90],
        }
    )
    before = frame.assign(received=[1000], due_on_time=[90])
    card = hotline_card(
        Result("hotline.tickets", frame, "", False),
        Result("hotline.tickets", before, "", False),
        "2026-10",
    )
    notes = {s.label: s.note for s in card.stats}
    assert notes["受理量"] == "环比 持平"
    assert notes["按时办结率"] == "比上月 ↑2.0个百分点"


def test_economy_ranking_bars_write_rank_moves_in_places() -> None:
    """The ranking's bar labels: 第1  +6.1% ↑2位 (was ↑2, with no unit), nothing when unmoved."""
    from cockpit import theme
    from panels.economy.figures import ranking_figure

    theme.register_template()
    table = pd.DataFrame(
        {
            "county_code": ["A", "B", "C"],
            "metric": [6.1, 5.0, 0.04],
            "rank": [1, 2, 3],
            "rank_change": pd.array([2, 0, -1], dtype="Int64"),
        }
    )
    fig = ranking_figure(
        table,
        {"A": "甲县", "B": "乙县", "C": "丙县"},
        metric="growth",
        unit="%",
        colours={},
        selected=None,
        city_value=None,
    )
    texts = list(fig.data[0].text)[::-1]  # drawn bottom-up
    assert texts == ["第1  +6.1% ↑2位", "第2  +5.0%", "第3  0.0% ↓1位"]
