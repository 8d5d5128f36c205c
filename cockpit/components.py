"""Small building blocks every page uses: a titled panel, and the graph settings of a cockpit.

Graphs never zoom on scroll: phones scroll the page, not the chart. Their toolbar holds one
button, 下载图片 (PNG), shown only while a mouse is over the chart; wall screens run
unattended (no mouse) and hide it altogether (assets/cockpit.css), as do phones. The file is
named after the chart's panel title and the date (assets/chart_png.js), e.g.
各县区社零总额增速排名（1-10月）_2026-11-20.png.
"""

from __future__ import annotations

from dash import html

# Plotly's own PNG export in the browser: nothing is rendered on the server, nothing fetched.
PNG_EXPORT = {
    "displayModeBar": "hover",
    "modeBarButtons": [["toImage"]],
    "displaylogo": False,
    # The filename is replaced by the panel's title when the button is pressed (chart_png.js).
    "toImageButtonOptions": {"format": "png", "scale": 2, "filename": "领导驾驶舱图表"},
}
# A graph that fills its box (its height set in CSS).
FIT_GRAPH = {**PNG_EXPORT, "scrollZoom": False, "responsive": True}
# A graph whose height comes from the figure (e.g. grows with the number of bars).
SIZED_GRAPH = {**PNG_EXPORT, "scrollZoom": False, "responsive": False}


def panel(title: str, *children, **kwargs) -> html.Section:  # noqa: ANN002, ANN003
    """A panel of the dark theme with its title; extra classes via className."""
    class_name = "panel " + kwargs.pop("className", "")
    return html.Section(
        [html.H2(title, className="panel-title"), *children], className=class_name.strip(), **kwargs
    )
