"""Detail on demand on a phone: a section folded to its title until it is tapped open.

A phone page opens on its module's summary; the long sections under it (charts, lists, the
directory) show their title and a 展开详情 button, and open in place when tapped. On wider
screens the fold does nothing: no button, the section always shown (assets/phone.css).

The fold is a wrapper around a section's body, so a panel keeps its own id, title and
数据截至 line; the callbacks that fill the body are untouched and run as before. Its ids are
pattern ids made by cockpit.ids.pattern_id, as every pattern id of the cockpit (issue #20 item 1).
"""

from __future__ import annotations

from dash import MATCH, Dash, Input, Output, State, html

from cockpit.components import attrs
from cockpit.ids import pattern_id

FOLD = "phone-fold"
TOGGLE = "phone-fold-toggle"


def fold(key: str, *children, label: str = "展开详情") -> list:
    """The toggle and the folded body of a section: [button, body], to go under its title."""
    return [
        html.Button(
            [
                html.Span(label, className="phone-fold-open"),
                html.Span("收起", className="phone-fold-close"),
            ],
            id=pattern_id(TOGGLE, key=key),
            type="button",
            className=TOGGLE,
            n_clicks=0,
            **attrs({"aria-expanded": "false", "data-fold": key}),
        ),
        html.Div(list(children), id=pattern_id(FOLD, key=key), className=FOLD),
    ]


def register_callbacks(app: Dash) -> None:
    """One clientside callback opens and closes every fold, in the browser only."""
    app.clientside_callback(
        """
        function(n, expanded) {
            const open = n > 0 && expanded !== 'true';
            return [open ? 'phone-fold is-open' : 'phone-fold', open ? 'true' : 'false'];
        }
        """,
        Output({"type": FOLD, "key": MATCH}, "className"),
        Output({"type": TOGGLE, "key": MATCH}, "aria-expanded"),
        Input({"type": TOGGLE, "key": MATCH}, "n_clicks"),
        State({"type": TOGGLE, "key": MATCH}, "aria-expanded"),
        prevent_initial_call=True,
    )
