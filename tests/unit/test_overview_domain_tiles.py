"""The configured domains' tiles on 一屏知全市 (panels/overview/figures.domain_strip): each
shows its headline figure with unit and period, its threshold warnings and red lights, its
数据截至, and links to the domain's page."""

from __future__ import annotations

import datetime as dt
import json

from cockpit.domains.overview.transform import ModuleCard, Stat
from panels.overview.figures import domain_strip


def _card(key: str, warnings: str, alerts: int = 0, error: str | None = None) -> ModuleCard:
    card = ModuleCard(key, "生态环境", "1-10月", as_of=dt.datetime(2026, 11, 20), error=error)
    card.stats += [
        Stat("优良天数比例", "84.4", "%", "目标75%", "green"),
        Stat("PM2.5平均浓度", "32.4", "微克/立方米"),
        Stat("阈值预警", warnings, "条", "最高黄色", "yellow" if warnings != "0" else "none"),
    ]
    card.alerts += [(f"红灯{i}", f"ind{i}") for i in range(alerts)]
    return card


def _text(component) -> str:
    return json.dumps(component.to_plotly_json(), default=str, ensure_ascii=False)


def test_a_tile_reads_figure_unit_period_warnings_and_as_of_and_links_to_its_page() -> None:
    strip = domain_strip([_card("ecology", "2", alerts=1)], {"ecology": "/ecology"})
    assert strip is not None and strip.className == "overview-domains"
    (tile,) = strip.children
    assert tile.href == "/ecology" and tile.id == "overview-domain-ecology"
    assert "status-yellow" in tile.className  # its worst warning colours its edge
    text = _text(tile)
    for part in ("生态环境", "优良天数比例", "1-10月", "84.4", "%", "预警2条 · 红灯1"):
        assert part in text, part
    assert "数据截至 2026-11-20" in text
    assert "PM2.5" not in text  # one headline figure: the page has the rest


def test_a_quiet_domain_says_no_warning_and_a_failing_one_says_why() -> None:
    quiet = _text(domain_strip([_card("ecology", "0")], {}))
    assert "未触发预警" in quiet and "红灯" not in quiet
    failing = _text(domain_strip([_card("ecology", "0", error="生态环境数据源无响应")], {}))
    assert "无响应" in failing and "panel-error" in failing


def test_no_configured_domain_leaves_no_strip() -> None:
    assert domain_strip([], {}) is None
