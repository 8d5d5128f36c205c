"""Detail on demand on a phone: a section folded to its title until it is tapped open.

A phone page opens on its module's summary; the long sections under it (charts, lists, the
directory) show their title and a 展开详情 button, and open in place when tapped. On wider
screens the fold does nothing: no button, the section always shown (assets/phone.css).

The fold is a wrapper around a section's body, so a panel keeps its own id, title and
数据截至 line. Its ids are pattern ids made by cockpit.ids.pattern_id, as every pattern id of
the cockpit (issue #20 item 1).

Drawn when seen: each fold holds a store (`seen(key)`) that turns true once the section can be
seen: at once on a wider screen, on the first tap on a phone. A panel whose drawing is costly
takes it as an Input with prevent_initial_call and sends its charts and tables only when it is
true (the store turning true is what calls it at first), so a phone's first render draws the
summary alone and asks nothing for the folded sections (issue #20 item 7: drawing the folded sections took most of the
/hotline's main-thread time). The store is set in the browser; no request is made for it.
"""

from __future__ import annotations

from dash import MATCH, Dash, Input, Output, State, dcc, html

from cockpit.components import attrs
from cockpit.ids import pattern_id

FOLD = "phone-fold"
TOGGLE = "phone-fold-toggle"
SEEN = "phone-fold-seen"
# The phone's width, as assets/phone.css's @media (max-width: 767px).
PHONE_QUERY = "(max-width: 767px)"


def seen(key: str) -> Input:
    """The Input of a panel drawn only once its fold is seen: True then, False before (a
    request without it, None, counts as seen)."""
    return Input(pattern_id(SEEN, key=key), "data")


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
        html.Div(
            [dcc.Store(id=pattern_id(SEEN, key=key), data=False), *children],
            id=pattern_id(FOLD, key=key),
            className=FOLD,
        ),
    ]


def register_callbacks(app: Dash) -> None:
    """Clientside callbacks open and close every fold and mark it seen, in the browser only."""
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
    # Seen: on a wider screen at once (the fold does nothing there), on a phone at the first
    # tap; set once, so the panels that wait for it draw once.
    app.clientside_callback(
        f"""
        function(n, seen) {{
            if (seen) return window.dash_clientside.no_update;
            const phone = window.matchMedia('{PHONE_QUERY}').matches;
            return !phone || n > 0 ? true : window.dash_clientside.no_update;
        }}
        """,
        Output({"type": SEEN, "key": MATCH}, "data"),
        Input({"type": TOGGLE, "key": MATCH}, "n_clicks"),
        State({"type": SEEN, "key": MATCH}, "data"),
    )
