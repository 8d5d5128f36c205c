"""Links to one item on a screen: `/risk?warning=<id>`, `/key-work?task=<id>`, ...

A link from one screen to an item of another (一屏知全市's 需要关注) carries the item's key in
its query, with the period and county it was seen in. The screen it opens selects that item
as a click on it would, by putting the key in the store the screen already reads. The key is
only a name: each screen looks the item up again within the user's scope, as it does for a
click, so a forged link can show nothing the user may not see.
"""

from __future__ import annotations

from urllib.parse import urlencode

from dash import Dash, Input, Output, dcc


def item_link(
    path: str, param: str, key: str, period: str | None = None, county: str | None = None
) -> str:
    """The screen's path with the item, the period and the county in its query."""
    query = {"period": period, "county": county, param: key}
    return f"{path}?{urlencode({k: v for k, v in query.items() if v})}"


BUREAU_PATH = "/bureaus"


def bureau_href(name: str, period: str | None = None, county: str | None = None) -> str:
    """The 市局直通 page of a bureau (a unit the data names: a task's 牵头单位, a warning's
    责任单位, a directory entry's unit). The name is only a name: the page reads the bureau's
    tasks, warnings and people within the user's scope."""
    return item_link(BUREAU_PATH, "name", name, period, county)


def bureau_link(name: object, className: str = "unit-link") -> dcc.Link | str:
    """A unit's name as a link to its 市局直通 page where it is a bureau (a city unit) and the
    user may open that page, else the name as text (a county office, a company; or a 承办单位
    account, whose role has no 市局直通 page: a link would lead it to 无权访问)."""
    from cockpit.domains.bureaus.data import is_bureau
    from cockpit.scope import current_principal
    from cockpit.security.roles import may_open

    text = "" if name is None else str(name)
    if not is_bureau(text) or not may_open(current_principal().role, "bureaus"):
        return text
    return dcc.Link(
        text, href=bureau_href(text), className=className, title=f"打开{text}的市局直通"
    )


def bureau_links(names: object) -> list:
    """Several units in one cell (配合单位: 市财政局、市发改委), each a link where a bureau."""
    from cockpit.domains.bureaus.data import units_in

    parts: list = []
    for i, unit in enumerate(units_in(names)):
        parts += (["、"] if i else []) + [bureau_link(unit)]
    return parts


def select_from_link(app: Dash, param: str, store_id: str, prefix: str = "") -> None:
    """On arrival at a screen with ?<param>=<key>, put `prefix + key` into its store."""
    # In the browser: the store takes the key the moment the page is drawn, no round trip.
    app.clientside_callback(
        f"""
        function(search) {{
            var key = new URLSearchParams(search || '').get({param!r});
            return key ? {prefix!r} + key : window.dash_clientside.no_update;
        }}
        """,
        Output(store_id, "data", allow_duplicate=True),
        Input("url", "search"),
        prevent_initial_call="initial_duplicate",
    )
