"""Small building blocks every page uses: a titled panel, and the graph settings of a cockpit.

Graphs never zoom on scroll: phones scroll the page, not the chart. Their toolbar holds one
button, 下载图片 (PNG), shown only while a mouse is over the chart; wall screens run
unattended (no mouse) and hide it altogether (assets/cockpit.css), as do phones. The file is
named after the chart's panel title and the date (assets/chart_png.js), e.g.
各县区社零总额增速排名（1-10月）_2026-11-20.png.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from dash import dcc, html

from cockpit.formatting import as_of as as_of_text

if TYPE_CHECKING:
    from cockpit.hub import Result

# Plotly's own PNG export in the browser: nothing is rendered on the server, nothing fetched.
PNG_EXPORT: dcc.Graph.Config = {
    "displayModeBar": "hover",
    "modeBarButtons": [["toImage"]],
    "displaylogo": False,
    # The filename is replaced by the panel's title when the button is pressed (chart_png.js).
    "toImageButtonOptions": {"format": "png", "scale": 2, "filename": "领导驾驶舱图表"},
}
# A graph that fills its box (its height set in CSS).
FIT_GRAPH: dcc.Graph.Config = {**PNG_EXPORT, "scrollZoom": False, "responsive": True}
# A graph whose height comes from the figure (e.g. grows with the number of bars).
SIZED_GRAPH: dcc.Graph.Config = {**PNG_EXPORT, "scrollZoom": False, "responsive": False}


def attrs(values: dict[str, str]) -> dict[str, Any]:
    """HTML attributes whose names are not Python names (aria-*, data-*), to pass as
    `**attrs({...})`: typed as Any so the type checker does not match each one against every
    named property of the component (a dict literal of str would be)."""
    return values


def scrollable(name: str) -> dict[str, Any]:
    """Attributes of a box that scrolls sideways (a wide table on a phone): keyboard users can
    focus it to scroll it, and screen readers hear its name (axe: scrollable-region-focusable)."""
    return {"tabIndex": "0", "role": "region", "aria-label": name}


def panel(title: str, *children, **kwargs) -> html.Section:
    """A panel of the dark theme with its title; extra classes via className."""
    class_name = "panel " + kwargs.pop("className", "")
    return html.Section(
        [html.H2(title, className="panel-title"), *children], className=class_name.strip(), **kwargs
    )


# -- what a panel says about its data: 数据截至, or that its source failed ----------------------
def source_state_text(error: str | None, stale: bool, as_of: dt.datetime | None) -> str:
    """The one wording of a panel's data state, on every screen.

    Three states a leader must tell apart: the data as of T; the source failing while the
    figures shown are its last good ones (and from when); the source failing with nothing to
    show (never to be read as "no events", "no warnings" or zero).
    """
    if not error:
        return f"数据截至 {as_of_text(as_of)}"
    if stale:
        when = f"{as_of_text(as_of)}的" if as_of else ""
        return f"数据源异常：{error}；显示{when}最近一次成功数据"
    return f"数据源异常：{error}；暂无可显示的数据"


def result_state_text(result: Result) -> str:
    """source_state_text of a hub answer."""
    return source_state_text(result.error, result.stale, result.as_of)


def source_state(result: Result, note: str = "") -> html.P:
    """A panel's data state as a component: an alert on the panel itself when the source
    failed (red when nothing can be shown, amber when last good figures are shown), else the
    quiet 数据截至 line, with the panel's own note after it."""
    text = result_state_text(result)
    if result.error:
        kind = "is-stale" if result.stale else "is-down"
        return html.P(text, className=f"panel-error source-state {kind}", role="alert")
    return html.P(f"{text} · {note}" if note else text, className="panel-as-of")
