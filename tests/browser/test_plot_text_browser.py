"""Escaped platform text, drawn by plotly in a real browser: it reads exactly as typed, and
there is no link (#21). Marked `browser`; skipped where Chromium is not installed."""

from __future__ import annotations

import pandas as pd
import pytest
from dash import Dash, dcc, html
from selenium.webdriver.support.ui import WebDriverWait

from cockpit import theme
from panels.emergency.figures import live_layers, map_figure
from panels.key_work.figures import lights_bar
from tests.browser_support import console_errors, skip_without_chromium, start
from tests.unit.test_plot_text import LINK, _emergency_frames

pytestmark = pytest.mark.browser
skip_without_chromium()


def texts(dash_duo, selector: str, count: int) -> list[str]:
    """The texts of the elements matching `selector`, once `count` of them are drawn (a slow
    machine draws the second graph a moment after the first)."""
    found: list[str] = []

    def drawn(_driver) -> bool:
        found[:] = [e.text for e in dash_duo.find_elements(selector)]
        return len(found) >= count and all(found)

    WebDriverWait(dash_duo.driver, 30).until(drawn)
    return found


def test_a_link_in_platform_data_is_drawn_as_its_text_not_a_link(dash_duo) -> None:
    """The key-work chart's unit axis and the emergency map's event label show the text
    `<a href=https://evil.example>点此</a>` literally; the page has no link to evil.example."""
    theme.register_template()
    table = pd.DataFrame(
        {"lead_unit": [LINK, "A&B 市住建局"], "red": [1, 0], "yellow": [0, 1], "green": [2, 0]}
    )
    table["done"] = 0
    active, warnings, resources = _emergency_frames()
    layers = live_layers(active, warnings, resources, None, pd.DataFrame(), 1.0, None)
    outlines = {
        "140403": {"name": "潞州区", "rings": [[[0, 0], [1, 0], [1, 1]]], "label": [0.5, 0.5]}
    }
    app = Dash(__name__)
    app.layout = html.Div(
        [
            dcc.Graph(id="bars", figure=lights_bar(table, "lead_unit")),
            dcc.Graph(id="map", figure=map_figure(outlines, None, layers)),
        ]
    )
    start(dash_duo, app)
    ticks = texts(dash_duo, "#bars .ytick text", 2)
    assert LINK in ticks and "A&B 市住建局" in ticks  # read exactly as typed
    assert LINK in texts(dash_duo, "#map .textpoint text", 2)  # the event's label, the county's
    links = dash_duo.driver.execute_script(
        "return Array.from(document.querySelectorAll('svg a, a')).map(a =>"
        " a.getAttribute('href') || a.getAttribute('xlink:href') || '')"
    )
    assert not [h for h in links if "evil.example" in h]
    assert console_errors(dash_duo) == []
