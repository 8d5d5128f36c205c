"""Plain words for a leader (#20 item 8): no statistics jargon on any screen or in the briefing.

The issue found 「37.7个稳健标准差」 (risk anomaly warnings), 「ETS模型」 (economy 趋势研判) and
「jieba分词」 (12345 hot topics). Each is checked where it is made, and every server-side
callback of every page is posted over HTTP on the demo data (as the renderer does) so that
no page's text carries any of them; the 要情专报 is checked too.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from cockpit.domains.risk.early_warning import Judgement, anomaly_reason
from tests.dash_requests import answer, callback_body

JARGON = ("稳健标准差", "标准差", "ETS", "Holt", "jieba", "分词", "模型", "σ", "z分数")
DAY = dt.date(2026, 11, 20)  # the day after the demo data end (tests/conftest.py)


def _jargon_in(text: str) -> list[str]:
    return [word for word in JARGON if word in text]


def test_an_anomaly_is_explained_against_the_recent_average_and_the_usual_level() -> None:
    """「高出预期 37.7 个稳健标准差」 becomes how many more than usual, in plain words."""
    j = Judgement("anomaly", 312.0, 89.0, 5.9, 37.7, recent_mean=76.0, ratio=312 / 76, holiday=0.0)
    text = anomaly_reason("燃气类诉求", "上周", j)
    assert _jargon_in(text) == [], text
    assert "为近8周周均（76 件）的 4.1 倍" in text
    assert "按往年同期规律预计约 89 件，实际多 223 件" in text
    assert "超出正常波动范围" in text


def test_a_projection_says_how_it_was_made_in_plain_words(app) -> None:
    """The economy 趋势研判 note: 按近三年走势推算, not 「ETS模型」, on both of its routes."""
    from panels.economy.callbacks import build_indicator

    hub = app.server.extensions["cockpit_hub"]
    with app.server.test_request_context("/"):
        notes = [
            build_indicator(hub, "2026-10", None, indicator, "cumulative").trend_note
            for indicator in ("industry_va", "fai", "retail")  # a rate; levels that add up
        ]
    drawn = [n for n in notes if "虚线为趋势研判" in n]
    assert len(drawn) >= 2, notes
    assert all("按近三年" in n and "推算" in n for n in drawn), drawn
    assert _jargon_in("".join(notes)) == [], notes


def _server_callbacks(app: Any) -> list[str]:
    """Every callback that runs on the server (clientside ones are drawn by the browser)."""
    return [k for k, entry in app.callback_map.items() if "callback" in entry]


def _page_texts(app: Any, period: str) -> str:
    """The answers of every server-side callback, posted with the city and a month."""
    values = {
        "filter-period.value": period,
        "filter-county.value": "city",
        "url.pathname": "/",
        "hotline-volume-granularity.value": "day",
        "hotline-map-metric.value": "on_time",
        "hotline-drill.data": "kpi|received",
        "economy-mode.value": "cumulative",
        "risk-levels.value": [1, 2, 3, 4],  # the page's default: every level shown
        "risk-domain.value": "all",
    }
    texts = []
    for key in _server_callbacks(app):
        output = key.strip(".").split("...")[0].split("@")[0]
        entry = app.callback_map[key]
        first = entry["inputs"][0]
        changed = [f"{first['id']}.{first['property']}"] if isinstance(first["id"], str) else []
        try:
            body = answer(app, callback_body(app, output, values, changed))
        except AssertionError:
            continue  # refused to the leader (admin pages) or needing a click first
        texts.append(json.dumps(body, ensure_ascii=False))
    return "\n".join(texts)


def test_no_page_shows_statistics_jargon(app) -> None:
    """Every page's callbacks, as the browser asks for them: none carries a jargon word."""
    with app.server.test_request_context("/"):
        layout = json.dumps(app.layout().to_plotly_json(), ensure_ascii=False, default=str)
    # October (the month the economy figures are out) and November (this week's warnings).
    text = layout + _page_texts(app, "2026-10") + _page_texts(app, "2026-11")
    # The texts that carried jargon before were answered (or the test would prove nothing).
    assert "关键词" in text and "往年同期" in text and "趋势研判" in text
    found = {w: text[max(text.find(w) - 60, 0) : text.find(w) + 20] for w in _jargon_in(text)}
    assert found == {}


def test_the_briefing_has_no_jargon(app) -> None:
    from cockpit.domains.briefing.build import build_briefing

    hub = app.server.extensions["cockpit_hub"]
    with app.server.test_request_context("/"):
        for kind in ("daily", "weekly"):
            b = build_briefing(hub, kind, None, DAY)
            text = "\n".join(line for s in b.sections for line in s.lines)
            assert text and _jargon_in(text) == [], text


@pytest.mark.parametrize("word", ["jieba", "分词"])
def test_the_hot_topics_note_says_how_keywords_are_found(app, word) -> None:
    from panels.hotline import callbacks as cb

    hub = app.server.extensions["cockpit_hub"]
    with app.server.test_request_context("/"):
        body, _, _ = cb.hot_section(hub, "2026-10", None)
    text = json.dumps(body.to_plotly_json(), ensure_ascii=False, default=str)
    assert word not in text
    assert "比平时明显多提到的词" in text
