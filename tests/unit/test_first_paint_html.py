"""cockpit.first_paint.to_html: a Dash component tree as the HTML Dash 4 would draw of it."""

from __future__ import annotations

import re

import pytest
from dash import dcc, html

from cockpit.first_paint import to_html


def test_text_and_attributes_are_escaped() -> None:
    """Data reach the page as text, never as markup (a unit named with <script> stays text)."""
    drawn = to_html(html.Span('<script>alert(1)</script> & "x"', title='a" onload="b'))
    assert drawn == (
        '<span title="a&quot; onload=&quot;b">&lt;script&gt;alert(1)&lt;/script&gt; &amp; "x"</span>'
    )


def test_ids_and_dash_bookkeeping_are_left_out() -> None:
    drawn = to_html(html.Button("签收", id={"type": "ack", "key": "a"}, n_clicks=3, className="b"))
    assert drawn == '<button class="b">签收</button>'


def test_react_names_and_styles_become_html() -> None:
    """className, htmlFor, tabIndex, aria-*/data-* and a style object, as React writes them:
    camelCase hyphenated, bare numbers in px (not for unitless ones or custom properties)."""
    drawn = to_html(
        html.Div(
            [html.Label("统计期", htmlFor="filter-period"), html.Br(), 0, None, False],
            className="x",
            tabIndex=-1,
            style={"marginTop": 4, "lineHeight": 1.5, "--phone-tabs": 5, "width": "50%"},
            **{"aria-label": "区域", "data-fold": "volume"},
        )
    )
    opening, _, rest = drawn.partition(">")
    # Attributes in any order (Dash keeps aria-* and data-* props apart from the others).
    assert sorted(re.findall(r' ([\w-]+="[^"]*")', opening)) == [
        'aria-label="区域"',
        'class="x"',
        'data-fold="volume"',
        'style="margin-top: 4px; line-height: 1.5; --phone-tabs: 5; width: 50%"',
        'tabindex="-1"',
    ]
    assert opening.startswith("<div ")
    assert rest == '<label for="filter-period">统计期</label><br>0</div>'


def test_state_holders_draw_nothing_and_links_are_anchors() -> None:
    drawn = to_html(
        [
            dcc.Store(id="s", data={"a": 1}),
            dcc.Location(id="url"),
            dcc.Interval(id="i"),
            dcc.Link("风险管控", href="/risk?warning=EW-1&period=2026-11", className="nav-link"),
        ]
    )
    assert drawn == '<a href="/risk?warning=EW-1&amp;period=2026-11" class="nav-link">风险管控</a>'


def test_a_chart_is_its_pending_box_inside_its_loading_boxes() -> None:
    drawn = to_html(dcc.Loading(dcc.Graph(id="g", className="hotline-chart"), type="dot"))
    assert drawn == (
        '<div style="position: relative"><div>'
        '<div class="dash-graph hotline-chart dash-graph--pending"></div></div></div>'
    )


def test_a_dropdown_shows_the_chosen_option() -> None:
    drawn = to_html(
        dcc.Dropdown(
            id="filter-county",
            options=[{"label": "全市", "value": "city"}, {"label": "潞城区", "value": "140406"}],
            value="140406",
            className="filter-dropdown",
        )
    )
    assert drawn.startswith('<div class="dash-dropdown-wrapper"><button type="button"')
    assert 'class="dash-dropdown filter-dropdown"' in drawn
    assert '<span class="dash-dropdown-value-item"><span>潞城区</span></span>' in drawn
    assert "全市" not in drawn


def test_radio_items_check_the_chosen_one() -> None:
    drawn = to_html(
        dcc.RadioItems(id="g", options={"day": "按日", "week": "按周"}, value="week", inline=True)
    )
    labels = drawn.split("<label")[1:]
    assert len(labels) == 2
    assert "按日" in labels[0] and " checked" not in labels[0]
    assert "按周" in labels[1] and " checked" in labels[1] and "selected" in labels[1]


def test_components_as_json_are_drawn_as_components() -> None:
    """A callback's answer kept in the cache comes back as JSON: drawn the same."""
    component = html.Div([html.Span("10,717", className="kpi-value")], className="kpi")
    as_json = {
        "type": "Div",
        "namespace": "dash_html_components",
        "props": {
            "className": "kpi",
            "children": [
                {
                    "type": "Span",
                    "namespace": "dash_html_components",
                    "props": {"children": "10,717", "className": "kpi-value"},
                }
            ],
        },
    }
    assert to_html(as_json) == to_html(component)


def test_what_it_cannot_draw_is_an_error_not_a_guess() -> None:
    with pytest.raises(TypeError, match="cannot draw set"):
        to_html(html.Div({"a"}))


def test_numpy_numbers_are_drawn_as_numbers() -> None:
    """A figure straight from a data frame (numpy's int64) is text like any number."""
    import numpy as np

    assert to_html(html.Span([np.int64(10717), " ", np.float64(89.5)])) == "<span>10717 89.5</span>"
