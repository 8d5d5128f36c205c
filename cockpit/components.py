"""Small building blocks every page uses: a titled panel, and the graph settings of a cockpit.

Graphs never show Plotly's toolbar or zoom on scroll: wall screens run unattended and phones
scroll the page, not the chart.
"""

from __future__ import annotations

from dash import html

# A graph that fills its box (its height set in CSS).
FIT_GRAPH = {"displayModeBar": False, "scrollZoom": False, "responsive": True}
# A graph whose height comes from the figure (e.g. grows with the number of bars).
SIZED_GRAPH = {"displayModeBar": False, "scrollZoom": False, "responsive": False}


def panel(title: str, *children, **kwargs) -> html.Section:  # noqa: ANN002, ANN003
    """A panel of the dark theme with its title; extra classes via className."""
    class_name = "panel " + kwargs.pop("className", "")
    return html.Section(
        [html.H2(title, className="panel-title"), *children], className=class_name.strip(), **kwargs
    )
