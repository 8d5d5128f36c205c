"""Clicks that only choose something, handled in the browser: no request that changes nothing.

Dash fires a callback whenever components matching one of its Inputs are inserted into the
page, whatever `prevent_initial_call` says, if its Output lies outside what was inserted. A
server callback on a row of buttons (a pattern-matching ALL n_clicks) or on a chart's
clickData therefore ran on every page load and on every redraw of the buttons, to answer 204
("no click"): on /hotline three or four times a load (#22 item 2).

A click that only puts a name into a store (the drill key, the chosen indicator, the selected
task) or into the 区域 selector needs no server: these clientside callbacks do it, and do
nothing, with no round trip, when nothing was clicked. The key stays only a name: the server
looks it up again within the user's scope wherever it is used, as it did before.
"""

from __future__ import annotations

import json

from dash import ALL, Dash, Input, Output, State

# Reads the clicked button's key back from its id: URL-safe base64 of UTF-8 (cockpit.ids).
_DECODE = """
    function decodeKey(key) {
        if (typeof key !== 'string' || !/^[A-Za-z0-9_-]*$/.test(key)) { return null; }
        var b64 = key.replace(/-/g, '+').replace(/_/g, '/');
        b64 += '==='.slice((b64.length + 3) % 4);
        try {
            var bytes = Uint8Array.from(atob(b64), function (c) { return c.charCodeAt(0); });
            return new TextDecoder('utf-8', {fatal: true}).decode(bytes);
        } catch (e) { return null; }
    }
"""


def key_on_click(
    app: Dash, type_: str, field: str, store_id: str, prefix: str = "", stamped: bool = False
) -> None:
    """A click on any {"type": type_, field: <key>} button puts prefix + key into the store.

    `stamped` stores {"key": ..., "at": <ms>} instead, so that a second click on the same
    button is a change too (for a store that triggers an action on the server)."""
    app.clientside_callback(
        f"""
        function(clicks) {{
            {_DECODE}
            var none = window.dash_clientside.no_update;
            // Only a real click: buttons drawn anew arrive with no n_clicks.
            var hit = (window.dash_clientside.callback_context.triggered || []).filter(
                function (t) {{ return t.value; }})[0];
            if (!hit) {{ return none; }}
            var id;
            try {{ id = JSON.parse(hit.prop_id.slice(0, hit.prop_id.lastIndexOf('.'))); }}
            catch (e) {{ return none; }}
            var key = id && id.type === {json.dumps(type_)} ? decodeKey(id[{json.dumps(field)}]) : null;
            if (key === null) {{ return none; }}
            key = {json.dumps(prefix)} + key;
            return {"{key: key, at: Date.now()}" if stamped else "key"};
        }}
        """,
        Output(store_id, "data", allow_duplicate=True),
        Input({"type": type_, field: ALL}, "n_clicks"),
        prevent_initial_call=True,
    )


def county_on_click(app: Dash, *graph_ids: str, back: str | None = None) -> None:
    """A click on a county in one of the charts (its customdata is the county code) puts it
    into the 区域 selector; `back` (a button) returns to 全市. Only a value among the
    selector's options, which the server built from the user's scope, is ever set."""
    from cockpit.shell import CITY_WIDE

    app.clientside_callback(
        f"""
        function() {{
            var ctx = window.dash_clientside.callback_context;
            var none = window.dash_clientside.no_update;
            var args = Array.prototype.slice.call(arguments);
            var options = (args[args.length - 1] || []).map(function (o) {{ return o.value; }});
            var hit = (ctx.triggered || []).filter(function (t) {{ return t.value; }})[0];
            if (!hit) {{ return none; }}
            var code = null;
            if (hit.prop_id === {json.dumps(f"{back}.n_clicks")}) {{
                code = {json.dumps(CITY_WIDE)};
            }} else if (hit.value.points && hit.value.points.length) {{
                code = hit.value.points[0].customdata;
                if (Array.isArray(code)) {{ code = code.length ? code[0] : null; }}
            }}
            return code !== null && options.indexOf(String(code)) >= 0 ? String(code) : none;
        }}
        """,
        Output("filter-county", "value", allow_duplicate=True),
        *(Input(g, "clickData") for g in graph_ids),
        *([Input(back, "n_clicks")] if back else []),
        State("filter-county", "options"),
        prevent_initial_call=True,
    )
