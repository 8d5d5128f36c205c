"""The cockpit's partial plotly.js bundle (vendor/plotly): it must hold every trace type drawn.

plotly.js draws nothing for a trace type it has not registered, without an error a user would
see, so a panel that starts using, say, go.Pie needs vendor/plotly/index.js changed and the
bundle rebuilt. The types used are read from the code, not listed here.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import plotly.graph_objects as go
from plotly.basedatatypes import BaseTraceType

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "assets" / "vendor" / "plotly-cockpit.min.js"
CODE = ("cockpit", "panels")


def _python_files() -> list[Path]:
    return [p for folder in CODE for p in sorted((ROOT / folder).rglob("*.py"))]


def trace_types_in_code() -> dict[str, list[str]]:
    """Every plotly trace type the code builds (go.<Trace>(...)), with the files using it."""
    used: dict[str, list[str]] = {}
    for path in _python_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)):
                continue
            if node.value.id != "go":
                continue
            cls = getattr(go, node.attr, None)
            if isinstance(cls, type) and issubclass(cls, BaseTraceType):
                used.setdefault(cls().type, []).append(str(path.relative_to(ROOT)))
    return used


def trace_types_in_bundle() -> set[str]:
    """The trace modules registered in the built bundle (each declares moduleType and name)."""
    text = BUNDLE.read_text(encoding="utf-8")
    return set(re.findall(r'moduleType:"trace",name:"(\w+)"', text))


def test_the_bundle_registers_every_trace_type_the_panels_draw() -> None:
    """Each go.<Trace> the panels and the frame build has its module in the bundle."""
    used = trace_types_in_code()
    assert "scatter" in used and "bar" in used  # the scan finds the maps and the bar charts
    missing = {t: files for t, files in used.items() if t not in trace_types_in_bundle()}
    assert missing == {}, f"add to vendor/plotly/index.js and rebuild: {missing}"


def test_the_bundle_is_a_partial_one() -> None:
    """Only a handful of types: the full plotly.js registers dozens (and is four times bigger)."""
    bundled = trace_types_in_bundle()
    assert {"scatter", "bar"} <= bundled
    assert "scattergl" not in bundled and "scatter3d" not in bundled
    assert BUNDLE.stat().st_size < 2_000_000


def test_no_plotly_express_or_figure_dicts_with_other_types() -> None:
    """plotly.express and figures written as dicts could use any type: the scan above misses them."""
    for path in _python_files():
        text = path.read_text(encoding="utf-8")
        assert "plotly.express" not in text, path
        assert not re.search(r"""["']type["']\s*:\s*["'](pie|scatter\w+|indicator)""", text), path


def test_pages_fetch_the_bundle_only_when_a_chart_needs_it(app) -> None:
    """No plotly.js among a page's scripts (it is the largest; a phone page may draw no chart):
    the page names assets/vendor/plotly-cockpit.min.js, fingerprinted, for
    assets/plotly_on_demand.js, which fetches it when a graph is about to be seen (issue #20)."""
    client = app.server.test_client()
    html = client.get("/").get_data(as_text=True)
    scripts = re.findall(r'<script[^>]*src="([^"?]+)', html)
    assert not any("plotly" in s and s.endswith(".min.js") for s in scripts), scripts
    # The stand-in is in place before Dash's renderer starts and mounts the first graph.
    assert "/assets/plotly_on_demand.js" in scripts
    assert html.index("/assets/plotly_on_demand.js") < html.index("new DashRenderer")
    src = re.search(r'<html[^>]* data-plotly-src="([^"]+)"', html).group(1)
    assert src.startswith("/assets/vendor/plotly-cockpit.min.js?m=")
    bundle = client.get(src)
    assert bundle.status_code == 200 and bundle.data == BUNDLE.read_bytes()
    assert "immutable" in bundle.headers["Cache-Control"]


def test_the_bundle_is_the_plotly_js_that_plotly_py_writes_figures_for() -> None:
    """Same plotly.js version as plotly.py ships: figures use attributes of that version."""
    from plotly.offline import get_plotlyjs_version

    banner = BUNDLE.read_text(encoding="utf-8")[:200]
    assert f"plotly.js v{get_plotlyjs_version()} " in banner, banner
    package = json.loads((ROOT / "vendor" / "plotly" / "package.json").read_text())
    assert package["devDependencies"]["plotly.js"] == get_plotlyjs_version()
