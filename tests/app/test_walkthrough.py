"""The README's "Pointing it at real data" works, step by step (issue #18, done when).

The section's own files and commands are taken from README.md and run on a temporary folder:
an empty config, a county file, a county map built by `python -m cockpit.geo`, the city,
its source, dataset and catalog, check-config, the published figures of the city and its
counties as files in a drop folder, `python -m cockpit check`. Then the cockpit built on that
config shows the city's own figures on 经济运行 at the latest period of its data.

Only the download of the map package is not run (it needs the internet): the test puts an
ECharts map script of the same form where the walkthrough's `$ECHARTS` points.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.dash_requests import answer, callback_body

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = "/srv/jincheng"
JINCHENG = {
    "140502": "城区",
    "140521": "沁水县",
    "140522": "阳城县",
    "140524": "陵川县",
    "140525": "泽州县",
    "140581": "高平市",
}


def walkthrough() -> list[tuple[str, str]]:
    """The (language, text) of each fenced block of the README's section, in order."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Pointing it at real data", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```(\w+)\n(.*?)```", section, flags=re.S)


def script(blocks: list[tuple[str, str]], city: Path) -> str:
    """One bash script of the walkthrough: YAML blocks written to the file their first line
    names, commands as written; the README's python is this test's."""
    out = ["set -euo pipefail"]
    for lang, body in blocks:
        body = body.replace(PLACEHOLDER, str(city)).replace(".venv/bin/python", sys.executable)
        if lang == "yaml":
            target = body.splitlines()[0].lstrip("# ").strip()
            assert target.startswith("$CITY/"), f"a YAML block names its file first: {target}"
            out.append(f"cat > {target} <<'YAML'\n{body}YAML")
        elif "pip " in body:
            continue  # the map package's download: needs the internet (see the docstring)
        else:
            out.append(body)
    return "\n".join(out) + "\n"


def echarts_script(folder: Path) -> Path:
    """An ECharts map of six counties in the package's form, where $ECHARTS points."""
    from tests.unit.test_geo import make_echarts_js

    features = []
    for i, (code, name) in enumerate(JINCHENG.items()):
        x, y = 112.4 + (i % 3) * 0.3, 35.4 + (i // 3) * 0.3
        ring = [(x, y), (x + 0.3, y), (x + 0.3, y + 0.3), (x, y + 0.3), (x, y)]
        features.append(
            {
                "id": code,
                "properties": {"name": name, "cp": [x + 0.15, y + 0.15], "childNum": 1},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
    folder.mkdir(parents=True)
    path = folder / "shan1_xi1_jin4_cheng2.js"
    path.write_text(make_echarts_js(features), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def walked(tmp_path_factory):
    """The walkthrough run once on a temporary folder: (the city's folder, the output)."""
    tmp_path = tmp_path_factory.mktemp("walkthrough")
    city = tmp_path / "jincheng"
    echarts = tmp_path / "echarts"
    echarts_script(echarts)
    env = {k: v for k, v in os.environ.items() if not k.startswith("COCKPIT_")}
    env["ECHARTS"] = str(echarts)
    done = subprocess.run(
        ["bash", "-c", script(walkthrough(), city)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    return city, output


def test_the_walkthrough_goes_from_an_empty_config_to_the_citys_figures(walked) -> None:
    city, output = walked
    # The empty config is told what it lacks; the map has the six counties; the config passes;
    # the source and the dataset answer.
    assert "city: required, missing" in output
    for code, name in JINCHENG.items():
        assert f"{code} {name}" in output
    assert "配置正确: 晋城市，6 个县区，1 个数据源，1 个数据集，3 个经济指标" in output
    assert re.search(r"✓ economy\.indicator_values\s+数据截至 2024-01-25", output), output
    assert "全部正常" in output


def test_the_economy_page_shows_the_citys_own_figures(walked) -> None:
    from cockpit.settings import load_settings
    from panels.economy.callbacks import build_indicator
    from tests.apps import running_app

    city, _ = walked
    settings = load_settings(city / "config", environ={"COCKPIT_APP__ENV": "development"})
    for app in running_app(settings):
        # 经济运行 opens on the latest period of the city's own data.
        with app.server.test_request_context("/"):
            page = app.layout()
        values = {
            "url.pathname": "/economy",
            "url.search": "",
            "filter-period.value": page["filter-period"].value,
            "filter-county.value": "city",
            "filter-county.options": page["filter-county"].options,
        }
        shell = answer(app, callback_body(app, "url.search", values, ["url.pathname"]))
        # The shell leaves a selector alone when it already shows the right value (no update).
        shown = shell["response"].get("filter-period", {})
        period = shown.get("value", values["filter-period.value"])
        assert period == "2023-12"
        # The cards, over HTTP as the browser asks for them: the published figures.
        body = callback_body(
            app,
            "economy-grid.children",
            {"filter-period.value": period, "filter-county.value": "city"},
            ["filter-period.value"],
        )
        grid = str(answer(app, body)["response"]["economy-grid"]["children"])
        assert "2,166.3" in grid and "5.4%" in grid
        # The six counties ranked and drawn; a county figure not delivered, one not published.
        with app.server.test_request_context("/"):
            hub = app.server.extensions["cockpit_hub"]
            gdp = build_indicator(hub, period, None, "gdp", "cumulative")
            assert sorted(gdp.ranking_table.county_code) == sorted(JINCHENG)
            assert gdp.ranking_table["rank"].notna().all()
            labels = gdp.map.data[-1].text  # each county's name and figure on its shape
            assert "高平市<br>+5.0%" in labels and "陵川县<br>+6.2%" in labels
            fai = build_indicator(hub, period, None, "fai", "cumulative")
            assert "暂无数据" in fai.ranking.layout.annotations[0].text
            cpi = build_indicator(hub, period, None, "cpi", "cumulative")
            assert "不分县区发布" in cpi.ranking.layout.annotations[0].text
