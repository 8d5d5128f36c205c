"""The shell around every page: header, navigation, global filters (kept in the URL), router.

The period and county selectors live in the URL (?period=2026-10&county=140403) so that a
view can be shared as a link. The county list offered is the user's scope, from the server;
the data hub enforces that scope again on every query, whatever the browser sends.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any
from urllib.parse import parse_qs, urlencode

import pandas as pd
from dash import ClientsideFunction, Dash, Input, Output, State, ctx, dcc, html, no_update

from cockpit import clock, wall_views
from cockpit.components import attrs
from cockpit.formatting import as_of as as_of_text
from cockpit.formatting import month_label
from cockpit.hub import DataHub
from cockpit.notify.views import inbox_link
from cockpit.panels import PanelSpec, planned
from cockpit.periods import ModulePeriods, module_periods
from cockpit.scope import Principal, acting_as, current_principal
from cockpit.screens import SHORT_TITLES
from cockpit.security.roles import ROLES, may_open
from cockpit.wall import WALL_QUERY

CITY_WIDE = "city"  # the county selector's value for 全市
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
# A phone's bottom bar: five tabs of 78 px on a 390 px screen; beyond five, the fifth is 更多.
PHONE_TABS = 5
WEEKDAYS = "一二三四五六日"  # Monday first, as datetime.weekday()


def periods(hub: DataHub, panel: PanelSpec | None = None) -> ModulePeriods:
    """The months a page's period selector offers and the one it opens on: the module's own
    data's range plus config's `periods.<module>` (cockpit.periods); without a page (the
    layout, before the URL is known), every dataset with periods."""
    key = panel.key if panel is not None else ""
    datasets = panel.periods_from if panel is not None else ()
    return module_periods(hub, datasets, hub.settings.periods.get(key), clock.today())


def period_notice(asked: str | None, shown: str, offered: ModulePeriods) -> str:
    """What the screen says of the period it shows: a period asked for (in the URL) that the
    module's data do not cover, or a month whose data stop before its end; '' otherwise."""
    if asked is not None and asked != shown:
        what = month_label(asked) if _MONTH.match(asked) else f"“{asked[:20]}”"
        return (
            f"统计期{what}不在本页数据范围（{offered.range_text()}）内，"
            f"已改为显示{month_label(shown)}"
        )
    return offered.partial_note(shown)


def county_options(hub: DataHub) -> list[dict[str, str]]:
    """全市 (for whole-city users) and the counties the current user may see."""
    principal = current_principal()
    options = [{"label": "全市", "value": CITY_WIDE}] if principal.whole_city else []
    options += [
        {"label": c.name, "value": c.code}
        for c in hub.settings.city.counties
        if principal.allows(c.code)
    ]
    return options


def parse_search(
    search: str | None, period_options: list[str], counties: list[str], default_period: str
) -> tuple[str, str]:
    """(period, county) from the URL's query string; anything unknown falls back to defaults."""
    params = parse_qs((search or "").lstrip("?"))
    period = params.get("period", [default_period])[0]
    county = params.get("county", [counties[0] if counties else CITY_WIDE])[0]
    if period not in period_options:
        period = default_period
    if county not in counties:
        county = counties[0] if counties else CITY_WIDE
    return period, county


def asked_period(search: str | None) -> str | None:
    """The period the URL asks for, if any (checked against the page's periods by the caller)."""
    return parse_qs((search or "").lstrip("?")).get("period", [None])[0]


def period_choices(options: list[str]) -> list[dict[str, str]]:
    """The selector's options: 2026年10月 for 2026-10."""
    return [{"label": month_label(p), "value": p} for p in options]


def screen_county(value: object) -> str | None:
    """The county selector's value as a query filter: None for 全市 (the hub still limits
    every query to the user's scope, so an odd or forged value can only narrow, never widen)."""
    return None if value in (None, "", CITY_WIDE) else str(value)


def make_search(period: str, county: str, wall: bool = False) -> str:
    """The query string for a period and county (全市 is left out), in wall mode or not."""
    params = {"period": period}
    if county and county != CITY_WIDE:
        params["county"] = county
    if wall:
        params[WALL_QUERY] = "1"
    return "?" + urlencode(params)


def is_wall(search: str | None) -> bool:
    """Whether a query string asks for wall mode (?wall=1)."""
    return WALL_QUERY in parse_qs((search or "").lstrip("?"))


def layout(app: Dash, hub: DataHub, panels: list[PanelSpec]) -> html.Div:
    """The page frame; evaluated per page load, so options reflect the user and the data."""
    principal = current_principal()
    visible = [p for p in panels if may_open(principal.role, p.key)]
    role = ROLES.get(principal.role)
    if role is not None and role.scope == "none":
        # Administrators and auditors see no city data: no period or county to read.
        return frame(hub, visible, [], "", [], user=principal, drawn=True)
    panel, search = loading_page(visible)
    offered = periods(hub, panel)
    asked = asked_period(search)
    first = asked if asked in offered.options else offered.default
    counties = county_options(hub)
    page = first_page(hub, panel, search, offered, counties)
    return frame(
        hub, visible, offered.options, first, counties, user=principal, page=page, drawn=True
    )


def first_page(
    hub: DataHub,
    panel: PanelSpec | None,
    search: str,
    offered: ModulePeriods,
    counties: list[dict[str, str]],
) -> tuple[str, object] | None:
    """(path, content) of the page being loaded, drawn with its data, when its panel can
    (PanelSpec.first_layout): at the period and county sync_filters will pick from the URL, so
    the callbacks that follow answer the same (from the cache) and nothing moves. None: the
    router draws the page, as on every later navigation."""
    if panel is None or panel.first_layout is None or not offered.options:
        return None
    if is_wall(search) and wall_views.view_of(panel.key) is not None:
        return None  # the router puts in the wall's own view
    period, county = parse_search(
        search, offered.options, [o["value"] for o in counties], offered.default
    )
    return panel.path, panel.first_layout(hub, period, county)


def loading_page(panels: list[PanelSpec]) -> tuple[PanelSpec | None, str]:
    """The page whose frame is being drawn, and its query string. The renderer fetches the
    layout from the page itself, so the Referer (sent same-origin) is the page's URL; the
    page's own request draws it too, for the first paint (cockpit/first_paint.py). Starting
    on that page's own periods spares a first render at another module's period; without a
    Referer, sync_filters puts things right once the URL is read."""
    from urllib.parse import urlparse

    from flask import has_request_context, request

    if not has_request_context():
        return None, ""
    page = request.referrer if "/_dash-" in request.path else request.url
    if not page:
        return None, ""
    url = urlparse(page)
    return next((p for p in panels if p.path == (url.path or "/")), None), url.query


def user_box(user: Principal | None) -> html.Div | None:
    """Who is signed in, and the way out (a POST, so no link elsewhere can sign them out)."""
    if user is None:
        return None
    role = ROLES.get(user.role)
    return html.Div(
        className="shell-user",
        children=[
            html.Span(user.display_name or user.user_id, className="shell-user-name"),
            html.Span(role.title if role else user.role, className="shell-user-role"),
            inbox_link(user),  # 站内消息 N (cockpit/notify/views.py)
            html.A("修改口令", href="/password", className="shell-user-link"),
            html.Form(
                action="/logout",
                method="post",
                className="shell-logout",
                children=html.Button("退出", type="submit", className="shell-logout-button"),
            ),
        ],
    )


def navigation(panels: list[PanelSpec], user: Principal | None) -> list:
    """The module links: one row on a desktop; on a phone a bottom bar of at most PHONE_TABS
    tabs, the last of them 更多 when there are more modules, which opens a sheet with the
    other modules and the account (修改口令, 退出). One list of links serves both: CSS
    (assets/phone.css) decides where each one shows."""
    overflow = len(panels) > PHONE_TABS
    links = [
        dcc.Link(
            # The full title (desktop, wall, the 更多 sheet) and a short one (the bottom bar).
            [
                html.Span(p.title, className="nav-full"),
                html.Span(SHORT_TITLES.get(p.key, p.title), className="nav-short"),
            ],
            href=p.path,
            className="nav-link nav-overflow" if overflow and i >= PHONE_TABS - 1 else "nav-link",
            id=f"nav-{p.key}",
        )
        for i, p in enumerate(panels)
    ]
    planned_links = [
        html.Span(title, className="nav-link nav-planned", title="建设中，即将上线")
        for _key, title in planned()
    ]
    if not overflow:
        return links + planned_links
    more = html.Button(
        "更多",
        id="shell-more",
        type="button",
        className="nav-link nav-more",
        **attrs({"aria-expanded": "false", "aria-controls": "shell-nav"}),
    )
    # The account's own copy for the sheet (the header's is for desktops): no ids inside.
    account = html.Div(user_box(user), className="nav-account")
    return [*links, *planned_links, account, more]


def header(hub: DataHub, user: Principal | None, drawn: bool = False) -> html.Header:
    """The header: city, title, 演示数据, 数据截至, clock, theme button, the account.

    drawn: with 数据截至 and the clock filled in now (a page's first layout, the plain Flask
    pages: cockpit/static_shell.py), so the header has its final size from the first paint
    (at 1350 px it wrapped when they came, and moved the page: CLS 0.28); callbacks keep
    them current. Not drawn: the validation layout, read without a request."""
    settings = hub.settings
    demo = hub.is_demo()
    as_of, now = (as_of_status(hub), clock_text()) if drawn else (None, None)
    return html.Header(
        className="shell-header",
        children=[
            html.Div(
                className="shell-brand",
                children=[
                    html.Span(settings.city.name, className="shell-city"),
                    html.H1(settings.app.title, className="shell-title"),
                    html.Span(
                        # The phone's one-row header keeps the first words only.
                        [
                            "演示数据",
                            html.Span(" · 非真实统计", className="demo-badge-more"),
                        ],
                        className="demo-badge",
                        id="shell-demo-badge",
                        title="本屏数据为演示用合成数据（仅年度公开数据按政府工作报告复现）",
                    )
                    if demo
                    else None,
                ],
            ),
            html.Div(
                className="shell-status",
                children=[
                    html.Span(as_of, id="shell-as-of", className="shell-as-of"),
                    html.Span(now, id="shell-clock", className="shell-clock"),
                    html.Button("浅色", id="shell-theme", className="theme-toggle", type="button"),
                    user_box(user),
                ],
            ),
        ],
    )


def frame(
    hub: DataHub,
    panels: list[PanelSpec],
    period_options: list[str],
    default_period: str,
    counties: list[dict[str, str]],
    user: Principal | None = None,
    page: tuple[str, Any] | None = None,
    drawn: bool = False,
) -> html.Div:
    """The frame with given options (no data read here, so it also serves as validation layout);
    page: (path, content) already drawn for the page being loaded (first_page), if any;
    drawn: the header's 数据截至 and clock filled in (header), for a page being loaded."""
    settings = hub.settings
    nav = navigation(panels, user)
    return html.Div(
        className="cockpit",
        children=[
            html.A("跳到主要内容", href="#page-content", className="skip-link"),
            dcc.Location(id="url", refresh=False),
            dcc.Store(id="shell-defaults", data={"period": default_period}),
            dcc.Store(id="call-recorded"),  # the last call recorded (cockpit/calls.py)
            # The path whose page came drawn with the frame: the router leaves it be once.
            dcc.Store(id="shell-page", data=page[0] if page else None),
            header(hub, user, drawn),
            html.Nav(
                nav,
                className="shell-nav",
                id="shell-nav",
                style={"--phone-tabs": min(len(panels), PHONE_TABS)},
                **attrs({"aria-label": "模块"}),
            ),
            html.Section(
                # Accounts that read no city data (admin, auditor) have nothing to filter.
                className="shell-filters" + ("" if period_options else " is-empty"),
                **attrs({"aria-label": "统计期与区域"}),
                children=[
                    html.Label("统计期", htmlFor="filter-period", className="filter-label"),
                    dcc.Dropdown(
                        id="filter-period",
                        className="filter-dropdown",
                        clearable=False,
                        searchable=False,
                        value=default_period,
                        options=period_choices(period_options),
                    ),
                    # Said when the URL asked for a period the page's data do not cover, or
                    # the month shown is not whole (cockpit.periods).
                    html.Span(
                        id="filter-period-note", className="filter-period-note", role="status"
                    ),
                    html.Label("区域", htmlFor="filter-county", className="filter-label"),
                    dcc.Dropdown(
                        id="filter-county",
                        className="filter-dropdown",
                        clearable=False,
                        searchable=False,
                        options=counties,
                        value=counties[0]["value"] if counties else CITY_WIDE,
                    ),
                    html.Span(id="filter-breadcrumb", className="filter-breadcrumb"),
                ],
            ),
            html.Main(
                page[1] if page else None, id="page-content", className="page", tabIndex="-1"
            ),
            dcc.Interval(id="shell-tick", interval=1000),
            # Wall mode only (assets/head/screens.js): every panel reloads its data in place.
            dcc.Interval(id="shell-refresh", interval=settings.wall.refresh_seconds * 1000),
        ],
    )


def clock_text() -> str:
    """The header clock as the Dash pages' clientside callback writes it (Beijing time), now."""
    now = clock.now()
    return f"{now:%Y-%m-%d} 星期{WEEKDAYS[now.weekday()]} {now:%H:%M:%S}"


def as_of_status(hub: DataHub) -> list:
    """数据截至 (the newest update among the datasets) and any source that does not answer (a
    source outage must show in the header, not only on the panels). An account that reads no
    county (an administrator) is told the city's: a date is no city data, and its own empty
    scope is no source outage."""
    principal = current_principal()
    if principal.counties is not None and not principal.counties:
        with acting_as(dataclasses.replace(principal, counties=None)):
            return as_of_status(hub)
    answers = [a for name in hub.settings.datasets if (a := hub.freshness(name)) is not None]
    stamps = [a.frame["as_of"].iloc[0] for a in answers if a.ok and not a.frame.empty]
    stamps = [pd.Timestamp(s).to_pydatetime() for s in stamps if s is not None and pd.notna(s)]
    # The time in a span of its own: on a phone's narrow header it wraps as a whole.
    when = as_of_text(max(stamps)) if stamps else "未知"
    text = ["数据截至 ", html.Span(when, className="shell-as-of-time")]
    down = sorted({a.source for a in answers if a.error})
    if not down:
        return text
    alarm = f" · 数据源异常：{'、'.join(down)}"
    return [*text, html.Span(alarm, className="shell-source-down", role="alert")]


def register_callbacks(app: Dash, hub: DataHub, panels: list[PanelSpec]) -> None:
    """URL <-> filters, the router, the header's as-of and clock."""
    by_path = {p.path: p for p in panels}

    @app.callback(
        Output("url", "search"),
        Output("filter-period", "options"),
        Output("filter-period", "value"),
        Output("filter-county", "value"),
        Output("filter-period-note", "children"),
        Input("url", "pathname"),
        Input("url", "search"),
        Input("filter-period", "value"),
        Input("filter-county", "value"),
        State("filter-county", "options"),
    )
    def sync_filters(pathname, search, period, county, county_opts):
        """Keep the URL and the selectors in step, whichever changed; each page offers its own
        module's periods, and says when the URL's period is not among them (the URL is then
        corrected to the period shown) or when the month shown is not whole."""
        role = ROLES.get(current_principal().role)
        if role is not None and role.scope == "none":
            return (no_update,) * 5  # administrators and auditors read no city data
        offered = periods(hub, by_path.get(pathname or "/"))
        wall = is_wall(search)
        if ctx.triggered_id in ("filter-period", "filter-county"):
            note = period_notice(None, period, offered) if period else ""
            return make_search(period, county, wall), no_update, no_update, no_update, note
        counties = [o["value"] for o in county_opts or []]
        asked = asked_period(search)
        shown, place = parse_search(search, offered.options, counties, offered.default)
        # A period the data do not cover: show the default and put it in the URL, so a link
        # copied now says what is on screen.
        corrected = asked is not None and asked != shown
        url = make_search(shown, place, wall) if corrected else no_update
        note = period_notice(asked if corrected else None, shown, offered)
        # A selector already showing the value is left alone: setting it again would fire
        # every panel's callback for what is already on screen (a page drawn with its frame).
        return (
            url,
            period_choices(offered.options),
            no_update if shown == period else shown,
            no_update if place == county else place,
            note,
        )

    @app.callback(
        Output("page-content", "children"),
        Output("shell-page", "data"),
        Input("url", "pathname"),
        State("url", "search"),
        State("shell-page", "data"),
    )
    def route(pathname, search, drawn):
        """The page for a path; unknown paths get a clear message, not a blank screen. A page
        that came drawn with the frame (first_page) is left as it is, once."""
        if drawn is not None and drawn == (pathname or "/"):
            return no_update, None
        return page_for(pathname, search), no_update if drawn is None else None

    def drawn_page(panel: PanelSpec, search: str | None):
        """A panel's page drawn with its data (first_layout), at the period and county
        sync_filters picks for this path and URL, as first_page does for the first load."""
        page = first_page(hub, panel, search or "", periods(hub, panel), county_options(hub))
        return page[1] if page else panel.layout()

    def page_for(pathname, search):
        """The page for a path, as the router draws it."""
        panel = by_path.get(pathname or "/")
        role = current_principal().role
        if pathname in (None, "/") and panel is not None and not may_open(role, panel.key):
            # The home page of a role without the overview (an administrator): their first page.
            panel = next((p for p in panels if may_open(role, p.key)), panel)
        if panel is not None and not may_open(role, panel.key):
            from cockpit import audit

            audit.record(audit.DENIED, f"page:{panel.key}", "page_not_allowed")
            return html.Div(
                className="page-missing",
                children=[html.H2("无权访问该页面"), html.P("如需访问，请联系系统管理员")],
            )
        if panel is None:
            return html.Div(
                className="page-missing",
                children=[html.H2("页面不存在"), dcc.Link("返回一屏知全市", href="/")],
            )
        # On the wall (?wall=1) a module's own wall view, composed for the canvas, if it has one.
        wall_page = wall_views.page(panel) if is_wall(search) else None
        if wall_page is not None:
            return wall_page
        # A page drawn with its data has no callback to fill it on arrival.
        return panel.layout() if panel.first_layout is None else drawn_page(panel, search)

    @app.callback(
        Output("shell-as-of", "children"),
        Output("filter-breadcrumb", "children"),
        Input("filter-period", "value"),
        Input("filter-county", "value"),
    )
    def header_status(period, county):
        """数据截至 (the newest update among the datasets), any source that does not answer
        (a source outage must show in the header, not only on the panels), and where the
        user is."""
        name = hub.settings.city.county_names.get(county)
        crumb = f"{hub.settings.city.name} › {name}" if name else hub.settings.city.name
        return as_of_status(hub), crumb

    app.clientside_callback(
        """
        function(n) {
            // Beijing time, as the server's cockpit.clock, whatever the screen's own timezone.
            const bj = new Date(Date.now() + 8 * 3600 * 1000);
            const pad = (x) => String(x).padStart(2, '0');
            const week = '日一二三四五六'[bj.getUTCDay()];
            return `${bj.getUTCFullYear()}-${pad(bj.getUTCMonth() + 1)}-${pad(bj.getUTCDate())} ` +
                   `星期${week} ${pad(bj.getUTCHours())}:${pad(bj.getUTCMinutes())}:` +
                   `${pad(bj.getUTCSeconds())}`;
        }
        """,
        Output("shell-clock", "children"),
        Input("shell-tick", "n_intervals"),
    )
    app.clientside_callback(
        ClientsideFunction("screens", "markCurrent"),
        Output("shell-nav", "className"),
        Input("url", "pathname"),
    )
    app.clientside_callback(
        """
        function(n, pathname, expanded) {
            // 更多 opens and closes the phone's sheet; going to a page closes it.
            const tapped = (dash_clientside.callback_context.triggered || [])
                .some((t) => t.prop_id === 'shell-more.n_clicks');
            return tapped && expanded !== 'true' ? 'true' : 'false';
        }
        """,
        Output("shell-more", "aria-expanded"),
        Input("shell-more", "n_clicks"),
        Input("url", "pathname"),
        State("shell-more", "aria-expanded"),
    )
    app.clientside_callback(
        ClientsideFunction("screens", "refresh"),
        Output("filter-period", "value", allow_duplicate=True),
        Output("filter-county", "value", allow_duplicate=True),
        Input("shell-refresh", "n_intervals"),
        State("filter-period", "value"),
        State("filter-county", "value"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        ClientsideFunction("screens", "toggleTheme"),
        Output("shell-theme", "children"),
        Output("shell-theme", "title"),
        Input("shell-theme", "n_clicks"),
    )
