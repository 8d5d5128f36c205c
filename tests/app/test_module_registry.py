"""Adding a module is its two folders, one registry entry and one dataset binding.

The proof (#17): a throwaway module 安全生产 ("safety") is written the documented way
(docs/architecture.md, "Adding a module") into a temporary folder: its domain
(cockpit/domains/safety/: the dataset contract and MODULE), its screens (panels/safety/:
KPI cards and a county map from the shared components, a thin callback reading the hub), one
entry in the registry list (cockpit.modules.MODULES) and one dataset binding in config (a
file drop). Nothing else is touched: the app factory, the roles, the settings, the contracts
and the docs pick the module up from the registry.
"""

from __future__ import annotations

import json
import shutil
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

import cockpit.domains
import cockpit.modules
import panels
from cockpit.scope import Principal
from cockpit.settings import DEFAULT_CONFIG_DIR, ConfigError, load_settings
from tests.apps import app_as, close_app
from tests.conftest import demo_environ
from tests.dash_requests import callback_body, post

# The module's domain: its dataset contract and its registry entry (no Dash here).
DOMAIN = {
    "__init__.py": '''
        """安全生产: work-safety inspections by county."""

        from cockpit.domains.safety.contracts import CONTRACTS
        from cockpit.modules import DATA_ROLES, ModuleSpec

        MODULE = ModuleSpec(key="safety", title="安全生产", roles=DATA_ROLES, contracts=CONTRACTS)
    ''',
    "contracts.py": '''
        """The datasets of 安全生产."""

        from cockpit.contracts import Contract, Limit
        from data_sources.query import ColumnSpec as C

        CONTRACTS = (
            Contract(
                "safety.inspections",
                "安全生产检查",
                (
                    C("county_code", "string", "县区代码", False),
                    C("month", "string", "月份 YYYY-MM", False),
                    C("count", "int", "检查次数", False),
                ),
                county_column="county_code",
                freshness_column=None,
                key=("county_code", "month"),
                limits={"count": Limit(minimum=0)},
            ),
        )
    ''',
}
# The module's screens: KPI cards and a county map, filled by one thin callback.
PANEL = {
    "__init__.py": '''
        """安全生产: the page."""

        from cockpit.domains.safety import MODULE
        from cockpit.panels import PanelSpec
        from panels.safety.callbacks import register_callbacks
        from panels.safety.layout import layout

        PANEL = PanelSpec(
            key=MODULE.key,
            title=MODULE.title,
            path="/safety",
            order=60,
            layout=layout,
            register_callbacks=register_callbacks,
        )
    ''',
    "layout.py": '''
        """The page's skeleton: KPI cards and a county map, filled by the callback."""

        from dash import dcc, html

        from cockpit.components import FIT_GRAPH, panel
        from cockpit.maps import map_block


        def layout():
            """KPI cards above the county map."""
            return html.Div(
                className="page safety",
                children=[
                    panel("检查概况", html.Div(id="safety-kpis", className="kpi-row")),
                    panel(
                        "各县区检查次数",
                        map_block(dcc.Graph(id="safety-map", config=FIT_GRAPH)),
                        html.Div(id="safety-state"),
                    ),
                ],
            )
    ''',
    "callbacks.py": '''
        """Thin wiring: ask the hub, draw with the shared components."""

        from dash import Input, Output, html

        from cockpit import maps
        from cockpit.components import source_state
        from data_sources.query import DatasetQuery, Measure


        def register_callbacks(app, hub):
            """The page's one callback, and the map's drawing in the browser."""
            maps.register_map(app, "safety-map")

            @app.callback(
                Output("safety-kpis", "children"),
                Output("safety-map-values", "data"),
                Output("safety-state", "children"),
                Input("filter-county", "value"),
            )
            def fill(county):
                query = DatasetQuery(
                    group_by=("county_code",), measures=(Measure("n", "sum", "count"),)
                )
                result = hub.query("safety.inspections", query)
                by_county = dict(zip(result.frame["county_code"], result.frame["n"]))
                cards = [
                    html.Div([html.Span("检查次数"), html.Strong(str(int(sum(by_county.values()))))],
                             className="kpi-card"),
                    html.Div([html.Span("覆盖县区"), html.Strong(str(len(by_county)))],
                             className="kpi-card"),
                ]
                path = str(hub.settings.city.map_path())
                figure = maps.county_map(
                    maps.county_outlines(path),
                    {c: float(v) for c, v in by_county.items()},
                    {c: f"{int(v)}次" for c, v in by_county.items()},
                    unit="次",
                    title="检查次数",
                )
                return cards, maps.map_values(figure, path), source_state(result)
    ''',
}


def write_package(folder: Path, files: dict[str, str]) -> None:
    """Write a package's files (their text dedented)."""
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")


@pytest.fixture
def registered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The 安全生产 module's two folders written, importable, and its one registry entry."""
    write_package(tmp_path / "domains" / "safety", DOMAIN)
    write_package(tmp_path / "panels" / "safety", PANEL)
    # Importable as cockpit.domains.safety and panels.safety, as if they were in the repo.
    domains = [*cockpit.domains.__path__, str(tmp_path / "domains")]
    monkeypatch.setattr(cockpit.domains, "__path__", domains)
    monkeypatch.setattr(panels, "__path__", [*panels.__path__, str(tmp_path / "panels")])
    # The one registry entry.
    monkeypatch.setattr(cockpit.modules, "MODULES", (*cockpit.modules.MODULES, "safety"))
    yield
    for name in list(sys.modules):  # the next test writes and imports its own
        if name.startswith(("cockpit.domains.safety", "panels.safety")):
            del sys.modules[name]


@pytest.fixture
def safety(registered, tmp_path: Path, demo_db: Path):
    """Settings of a cockpit with the 安全生产 module added the documented way, and its data."""
    # The one dataset binding: a file drop of the safety office's monthly figures.
    config = tmp_path / "config"
    shutil.copytree(DEFAULT_CONFIG_DIR, config)
    drop = tmp_path / "drop"
    drop.mkdir()
    with (config / "datasets.yaml").open("a", encoding="utf-8") as handle:
        handle.write("  safety.inspections: {source: safety_drop, table: safety_inspections}\n")
    with (config / "sources.yaml").open("a", encoding="utf-8") as handle:
        handle.write(f"  safety_drop: {{kind: file, folder: {drop}}}\n")
    settings = load_settings(config, environ=demo_environ(demo_db, tmp_path / "cache"))
    counties = [c.code for c in settings.city.counties]
    rows = pd.DataFrame(
        {
            "county_code": counties[:3] * 2,
            "month": ["2026-10"] * 3 + ["2026-11"] * 3,
            "count": [10, 20, 30, 1, 2, 3],
        }
    )
    rows.to_csv(drop / "safety_inspections.csv", index=False)
    return settings, dict(zip(counties[:3], (11, 22, 33), strict=True))


def page(app, client, path: str) -> str:
    """The page the router serves for a path, as JSON text."""
    body = callback_body(app, "page-content.children", {"url.pathname": path})
    response = post(client, body)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def test_a_module_added_the_documented_way_is_served(safety) -> None:
    """/safety renders for the leader, its callback draws the bound data, the registry knows it."""
    from cockpit.contracts import CONTRACTS, contracts_markdown
    from cockpit.security.roles import may_open

    settings, expected = safety
    assert "safety.inspections" in CONTRACTS  # the contract, from the registry
    assert "## `safety.inspections` — 安全生产检查" in contracts_markdown()  # and its doc
    assert may_open("city_leader", "safety") and not may_open("wall_display", "safety")
    app = app_as(settings)
    try:
        client = app.server.test_client()
        shown = page(app, client, "/safety")
        assert "safety-kpis" in shown and "safety-map" in shown and "无权访问" not in shown
        body = callback_body(app, "safety-kpis.children", {"filter-county.value": "all"})
        response = post(client, body)
        assert response.status_code == 200, response.get_data(as_text=True)
        out = json.loads(response.get_data(as_text=True))["response"]
        cards = json.dumps(out["safety-kpis"]["children"], ensure_ascii=False)
        assert str(sum(expected.values())) in cards and '"3"' in cards
        # The map: one shape per county, the bound figures in the counties' texts.
        figure = out["safety-map-values"]["data"]["figure"]
        shown = json.dumps(figure, ensure_ascii=False)
        for count in expected.values():
            assert f"{count}次" in shown
    finally:
        close_app(app)


def test_a_role_without_the_right_is_refused(safety) -> None:
    """The wall account has no right to 安全生产: the page and its callback are refused."""
    settings, _ = safety
    wall = Principal(user_id="wall-1", role="wall_display", counties=None)
    app = app_as(settings, wall)
    try:
        client = app.server.test_client()
        assert "无权访问" in page(app, client, "/safety")
        body = callback_body(app, "safety-kpis.children", {"filter-county.value": "all"})
        assert post(client, body).status_code == 403
    finally:
        close_app(app)


def test_the_cli_lists_the_added_module(safety, capsys) -> None:
    """`python -m cockpit modules` reads the registry: the new module, its dataset, its rights."""
    from cockpit.__main__ import main

    assert main(["modules"]) == 0
    out = capsys.readouterr().out
    assert "safety        安全生产\n  数据集: safety.inspections\n" in out
    assert "city_leader、city_staff、county_staff" in out.split("safety ")[1]


def test_a_registered_module_has_its_config_section(
    registered, tmp_path: Path, monkeypatch
) -> None:
    """config/<key>.yaml of a registered module is read as its section; a misspelt section is
    refused with one line naming the file (the settings take module sections from the registry)."""
    import cockpit.settings

    # The settings' class is made from the registry when cockpit.settings is imported: again here.
    settings_class = cockpit.settings._with_module_sections(cockpit.settings.SharedSettings)
    monkeypatch.setattr(cockpit.settings, "Settings", settings_class)
    config = tmp_path / "config"
    shutil.copytree(DEFAULT_CONFIG_DIR, config)
    (config / "safety.yaml").write_text("safety:\n  target_per_month: 12\n", encoding="utf-8")
    environ = demo_environ(tmp_path / "demo.duckdb", tmp_path / "cache")
    assert load_settings(config, environ=environ).module_section("safety") == {
        "target_per_month": 12
    }
    (config / "safety.yaml").write_text("safty:\n  target_per_month: 12\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(config, environ=environ)
    assert info.value.problems == [
        f"{config / 'safety.yaml'}: safty: Extra inputs are not permitted"
    ]


def test_every_module_grants_its_page_to_known_roles() -> None:
    """Each module names only roles that exist, and at least one: a typo there would quietly
    leave its page to nobody (无权访问 for all)."""
    from cockpit.modules import all_modules
    from cockpit.security.roles import ROLES, may_open

    for spec in all_modules():
        assert spec.roles, spec.key
        assert spec.roles <= set(ROLES), (spec.key, spec.roles - set(ROLES))
        assert all(may_open(role, spec.key) for role in spec.roles)
