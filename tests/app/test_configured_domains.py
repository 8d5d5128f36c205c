"""Domains defined in configuration (#24): a YAML file alone adds a domain to the cockpit.

A fourth domain is written into a temporary config folder (no Python): it is registered,
served at its page with the demo data drawn from its declaration, on the overview, on the wall
carousel and in 要情专报, and `check-config` reports a broken file one mistake per line. The
three shipped domains' pages render with figures equal to their demo rows.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import textwrap
from pathlib import Path

import pytest

from cockpit.settings import DEFAULT_CONFIG_DIR, ConfigError, load_settings
from tests.apps import app_as, close_app
from tests.conftest import DEMO_END, demo_environ
from tests.dash_requests import callback_body, post

WATER = """
key: water
title: 水务保障
department: 市水务局
datasets:
  - key: supply
    title: 日供水量
    time: day
    columns:
      - {name: county_code, type: string, title: 县区代码}
      - {name: day, type: date, title: 日期}
      - name: volume
        type: float
        title: 供水量
        unit: 万吨
        non_negative: true
        demo: {uniform: [2, 6], decimals: 2}
    demo: {grain: day}
indicators:
  - id: volume
    name: 累计供水量
    unit: 万吨
    dataset: supply
    measure: {agg: sum, column: volume}
    target: {kind: level, value: 20000}
screen:
  - {kind: kpis, indicators: [volume]}
  - {kind: ranking, indicators: [volume]}
warnings:
  - {indicator: volume, above: 1, level: 红色}
"""


@pytest.fixture
def water(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Settings of a cockpit whose config folder holds a fourth domain, water.yaml, and a demo
    file generated for it."""
    config = tmp_path / "config"
    shutil.copytree(DEFAULT_CONFIG_DIR, config)
    (config / "domains" / "water.yaml").write_text(textwrap.dedent(WATER), encoding="utf-8")
    monkeypatch.setenv("COCKPIT_CONFIG_DIR", str(config))
    environ = demo_environ(tmp_path / "demo.duckdb", tmp_path / "cache")
    environ["COCKPIT_SOURCES__DEMO__TICKETS"] = "2000"
    return load_settings(config, environ=environ)


def outputs(app, client, output: str, inputs: dict) -> dict:
    """A callback's answer as the browser gets it."""
    response = post(client, callback_body(app, output, inputs))
    assert response.status_code == 200, response.get_data(as_text=True)
    return json.loads(response.get_data(as_text=True))["response"]


def test_a_fourth_domain_from_yaml_alone_is_everywhere(water) -> None:
    """water.yaml, and nothing else: registered, its page, the overview, the wall, the briefing."""
    from cockpit.contracts import CONTRACTS
    from cockpit.domains.briefing.build import build_briefing
    from cockpit.domains.risk.config import RiskConfig
    from cockpit.domains.risk.warnings import in_force
    from cockpit.modules import module_keys
    from cockpit.scope import Principal
    from cockpit.security.roles import may_open
    from cockpit.wall import wall_config
    from panels.configured.wall import view_for
    from panels.overview.callbacks import build_overview

    assert "water" in module_keys() and "water.supply" in CONTRACTS
    assert may_open("city_leader", "water") and may_open("wall_display", "water")
    assert water.datasets["water.supply"].table == "water_supply"
    app = app_as(water)
    try:
        client = app.server.test_client()
        hub = app.server.extensions["cockpit_hub"]
        from cockpit.panels import all_panels

        screens = wall_config(water, all_panels())["screens"]
        assert [s["src"] for s in screens if s["key"] == "water"] == ["/water?wall=1"]
        period = DEMO_END.strftime("%Y-%m")
        out = outputs(
            app,
            client,
            "water-s0.children",
            {"filter-period.value": period, "filter-county.value": "city"},
        )
        cards = json.dumps(out["water-s0"]["children"], ensure_ascii=False)
        # The figure equals the demo rows: the sum of the year's volumes up to the period.
        truth = hub.query("water.supply").frame
        year = truth[(truth.day.astype(str) >= f"{period[:4]}-01-01")]
        assert f"{year.volume.sum():,.1f}" in cards and "累计供水量" in cards
        with app.server.test_request_context():
            built = build_overview(hub, period, None, dt.date(2026, 11, 21))
            card = next(c for c in built["domains"] if c.key == "water")
            assert card.stats[0].label == "累计供水量" and card.stats[-1].label == "阈值预警"
            # The rule (above 1 万吨) is crossed in every county: red lights on the overview.
            red = [
                a
                for a in built["domain_attention"]
                if a.module == "水务保障" and "预警阈值" in a.text
            ]
            assert len(red) == len(water.city.counties) and red[0].severity == 1
            assert red[0].module == "水务保障" and red[0].href == "/water"
            shown = json.dumps(
                [c.to_plotly_json() for c in view_for("water")(hub, period, None)],
                default=str,
                ensure_ascii=False,
            )
            assert "累计供水量" in shown
            briefing = build_briefing(
                hub, principal=Principal("u", "city_leader", None), day=dt.date(2026, 11, 21)
            )
            text = "\n".join(line for s in briefing.sections for line in s.lines)
            assert "水务保障方面，" in text
            # Its threshold warnings are 风险管控's warnings in force too (origin threshold).
            view = in_force(hub, RiskConfig(), None, dt.date(2026, 11, 21))
            mine = view.frame[view.frame.domain == "水务保障"]
            assert len(mine) == len(water.city.counties)
            assert set(mine.level) == {1} and set(mine.origin) == {"threshold"}
    finally:
        close_app(app)


def test_check_config_reports_each_mistake_on_one_line(tmp_path: Path, monkeypatch, capsys) -> None:
    """A broken domain file: one line per mistake, naming the file, the path and the fault."""
    from cockpit.__main__ import main

    config = tmp_path / "config"
    shutil.copytree(DEFAULT_CONFIG_DIR, config)
    broken = (
        WATER.replace("dataset: supply", "dataset: supplies")
        .replace("type: float", "type: decimal")
        .replace("{kind: ranking, indicators: [volume]}", "{kind: ranking, indicators: [flow]}")
    )
    path = config / "domains" / "water.yaml"
    path.write_text(textwrap.dedent(broken), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(config, environ=demo_environ(tmp_path / "d.duckdb", tmp_path / "c"))
    mine = [p for p in info.value.problems if "water.yaml" in p]
    assert len(mine) == 1 and f"{path}: datasets.0.columns.2.type:" in mine[0]
    path.write_text(
        textwrap.dedent(
            WATER.replace("dataset: supply", "dataset: supplies").replace(
                "{kind: ranking, indicators: [volume]}", "{kind: ranking, indicators: [flow]}"
            )
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv("COCKPIT_CONFIG_DIR", str(config))
    assert main(["check-config", "--config-dir", str(config)]) == 2
    err = capsys.readouterr().err
    mine = [line.strip() for line in err.splitlines() if "water.yaml" in line]
    assert mine == [
        f"{path}: indicators.0.dataset: unknown dataset 'supplies'; expected one of supply",
        f"{path}: screen.1.indicators.0: unknown indicator 'flow'",
    ]


# The shipped domains: the first KPI card of each page against its demo rows, read with SQL.
SHIPPED = {
    # key: (dataset table, SQL of the expected figure for the year up to the period, decimals)
    "industry": (
        "industry-s0",
        "SELECT sum(completed_investment) FROM industry_projects "
        "WHERE month >= DATE '{year}-01-01' AND month <= DATE '{period}-01'",
        2,
    ),
    "ecology": (
        "ecology-s0",
        "SELECT 100.0 * count(*) FILTER (WHERE aqi <= 100) / count(*) FROM ecology_air_daily "
        "WHERE day >= DATE '{year}-01-01' AND day <= last_day(DATE '{period}-01')",
        1,
    ),
    "fire_disaster": (
        "fire_disaster-s0",
        "SELECT count(*) FROM fire_disaster_incidents "
        "WHERE reported_at >= TIMESTAMP '{year}-01-01' "
        "AND reported_at < DATE '{period}-01' + INTERVAL 1 MONTH",
        0,
    ),
}


@pytest.fixture
def shipped(demo_db: Path, tmp_path: Path):
    """The cockpit as configured in the repository, on the session's demo file."""
    settings = load_settings(environ=demo_environ(demo_db, tmp_path / "cache"))
    app = app_as(settings)
    yield app
    close_app(app)


@pytest.mark.parametrize("key", sorted(SHIPPED))
def test_the_shipped_domains_pages_show_their_demo_data(shipped, demo_sql, key) -> None:
    """Each shipped domain's page: every section rendered, the first card equal to the rows."""
    from cockpit.domains.configured import loader

    domain = loader.domain(key)
    assert domain is not None
    client = shipped.server.test_client()
    period = DEMO_END.strftime("%Y-%m")
    values = {"filter-period.value": period, "filter-county.value": "city"}
    body = callback_body(shipped, f"{key}-s0.children", values)
    response = post(client, body)
    assert response.status_code == 200, response.get_data(as_text=True)
    out = json.loads(response.get_data(as_text=True))["response"]
    assert all(f"{key}-s{i}" in out for i in range(len(domain.screen)))
    output, sql, decimals = SHIPPED[key]
    expected = float(demo_sql(sql.format(year=period[:4], period=period)).iloc[0, 0])
    cards = json.dumps(out[output]["children"], ensure_ascii=False)
    assert f"{expected:,.{decimals}f}" in cards, (expected, cards[:400])
    assert "数据截至" in json.dumps(out[f"{key}-state"], ensure_ascii=False)
    assert "演示数据" in json.dumps(out[f"{key}-state"], ensure_ascii=False)


def test_a_county_user_sees_only_their_county(demo_db: Path, tmp_path: Path, demo_sql) -> None:
    """Scope from the server: a 上党区 user's 产业经济 page counts 上党区 alone, and the map says
    无权查看 for the other counties."""
    from cockpit.scope import Principal

    settings = load_settings(environ=demo_environ(demo_db, tmp_path / "cache"))
    county = "140404"
    app = app_as(settings, Principal("c", "county_staff", frozenset({county})))
    try:
        period = DEMO_END.strftime("%Y-%m")
        values = {"filter-period.value": period, "filter-county.value": "city"}
        out = outputs(app, app.server.test_client(), "industry-s0.children", values)
        expected = float(
            demo_sql(
                "SELECT sum(completed_investment) FROM industry_projects "
                f"WHERE county_code = '{county}' AND month >= DATE '{period[:4]}-01-01' "
                f"AND month <= DATE '{period}-01'"
            ).iloc[0, 0]
        )
        cards = json.dumps(out["industry-s0"]["children"], ensure_ascii=False)
        assert f"{expected:,.2f}" in cards
        shown = json.dumps(out["industry-map-values"], ensure_ascii=False)
        assert "无权查看" in shown
    finally:
        close_app(app)


def test_a_county_user_total_is_named_for_their_county_not_the_city(
    demo_db: Path, tmp_path: Path
) -> None:
    """A 上党区 account whose county selector says 全市 (the legacy value, or a forged one: it
    has no 全市 option) is shown its own scope's total: the cards say 上党区, never 全市,
    since the figure is not the city's (noted at the stop of #24)."""
    from cockpit.scope import Principal

    settings = load_settings(environ=demo_environ(demo_db, tmp_path / "cache"))
    app = app_as(settings, Principal("c", "county_staff", frozenset({"140404"})))
    try:
        period = DEMO_END.strftime("%Y-%m")
        values = {"filter-period.value": period, "filter-county.value": "city"}
        out = outputs(app, app.server.test_client(), "industry-s0.children", values)
        cards = json.dumps(out["industry-s0"]["children"], ensure_ascii=False)
        assert "上党区 · " in cards
        assert "全市" not in cards
    finally:
        close_app(app)
