"""The shell's header and navigation drawn on the server, for the plain Flask pages.

/inbox and /admin/jobs are Jinja pages beside the Dash screens (cockpit/notify/views.py). They
wear the same header as every Dash page — city and title, 演示数据, 数据截至, clock, theme
button, the account — and the role's navigation: the very components cockpit.shell builds,
turned into HTML here (cockpit.first_paint.to_html, ids kept), with 数据截至 and the clock
drawn on the server, as a Dash page's first layout has them. assets/notify/notify.js makes the clock tick and
the theme and 更多 buttons work without the Dash renderer.
"""

from __future__ import annotations

from dash import html
from markupsafe import Markup

from cockpit import shell
from cockpit.components import attrs
from cockpit.first_paint import to_html
from cockpit.hub import DataHub
from cockpit.panels import PanelSpec
from cockpit.scope import Principal
from cockpit.security.roles import may_open


def parts(hub: DataHub, panels: list[PanelSpec], user: Principal) -> dict[str, Markup]:
    """The header (数据截至 and the clock drawn, as on a Dash page's first layout) and the
    role's navigation, as HTML."""
    top = shell.header(hub, user, drawn=True)
    visible = [p for p in panels if may_open(user.role, p.key)]
    nav = html.Nav(
        shell.navigation(visible, user),
        className="shell-nav",
        id="shell-nav",
        style={"--phone-tabs": min(len(visible), shell.PHONE_TABS)},
        **attrs({"aria-label": "模块"}),
    )
    # Markup: to_html escapes every text and attribute it writes.
    return {"header": Markup(to_html(top, ids=True)), "nav": Markup(to_html(nav, ids=True))}
