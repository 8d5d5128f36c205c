"""The 一键直联 page's one callback: responsible people, today's duty, the directory.

Everything is read for the server-side principal: the directory through `calls.visible`, the
subject and the duty roster through the hub. The `for=` reference in the URL only says which
thing to look up; what the user may see of it is decided here.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs

from dash import Dash, Input, Output, html
from dash.development.base_component import Component

from cockpit import calls, clock, directory
from cockpit.domains.contacts.subjects import KIND_TITLES, parse_ref, responsible, subject_of
from cockpit.hub import DataHub
from cockpit.shell import screen_county
from cockpit.store import StoreError, get_store
from data_sources.query import DatasetQuery, Filter
from panels.contacts.components import contact_card

DUTY_ORDER = ("值班领导", "带班领导", "值班员")


def reference(search: str | None) -> str | None:
    """The `for=` reference of the page's URL, if it is a well-formed one."""
    values = parse_qs((search or "").lstrip("?")).get("for") or []
    return values[0] if values and parse_ref(values[0]) else None


def visible_contacts(hub: DataHub) -> list[directory.Contact]:
    """The active directory as the current user may see it."""
    return directory.listing(get_store(hub), visible=lambda code: calls.visible(hub, code))


# -- the three sections --------------------------------------------------------------------------
def subject_section(hub: DataHub, ref: str | None, contacts: list[directory.Contact]) -> list:
    """The people responsible for the thing the page was opened from."""
    if ref is None:
        return []
    subject = subject_of(hub, ref)
    if subject is None:
        return [html.P("未找到该事项，或不在您的权限范围内", className="panel-error", role="alert")]
    picks = responsible(subject, contacts, hub.settings.city.county_names)
    cards: list[Component] = [contact_card(p.contact, p.reason, ref) for p in picks]
    if not cards:
        cards = [html.P("通讯录中没有该事项的责任人，请系统管理员补充", className="em-empty")]
    return [
        html.Section(
            [
                html.H2(f"联系责任人 · {KIND_TITLES[subject.kind]}", className="panel-title"),
                html.P(
                    [html.Strong(subject.title), html.Span(subject.note, className="ct-note")],
                    className="ct-subject",
                ),
                html.Div(cards, className="ct-grid"),
            ],
            className="panel contacts-responsible",
        )
    ]


def duty_section(hub: DataHub, day: dt.date) -> list:
    """Today's duty roster (the platform's contacts.duty_roster), each with a recorded call."""
    query = DatasetQuery(
        filters=(Filter("duty_date", "eq", day),), columns=("role", "name", "post", "phone")
    )
    result = hub.query("contacts.duty_roster", query)
    if result.error:
        return [html.P(result.error, className="panel-error", role="alert")]
    if result.frame.empty:
        return [html.P(f"{day:%Y年%m月%d日} 的值班表未报送", className="em-empty")]
    rows = sorted(
        # Personal mobiles only for roles that may see them (cockpit/directory.py).
        directory.numbers_for_viewer(result.frame).to_dict("records"),
        key=lambda r: DUTY_ORDER.index(r["role"]) if r["role"] in DUTY_ORDER else len(DUTY_ORDER),
    )
    items = [
        html.Li(
            [
                html.Span(r["role"], className="ct-duty-role"),
                html.Strong(str(r["name"]), className="ct-name"),
                html.Span(str(r["post"]), className="ct-post"),
                calls.call_link(
                    f"duty:{day.isoformat()}:{r['role']}",
                    "phone",
                    r["phone"],
                    f"拨打 {r['phone']}" if r["phone"] else "—",
                ),
            ],
            className="ct-duty",
        )
        for r in rows
    ]
    return [
        html.Ul(items, className="ct-duty-list"),
        html.P(f"值班日期 {day:%Y年%m月%d日}", className="panel-as-of"),
    ]


def groups(
    contacts: list[directory.Contact], city_code: str, county_names: dict[str, str]
) -> list[tuple[str, list[directory.Contact]]]:
    """市领导, 市直部门, then each county in the city's order (empty groups left out)."""
    leaders = [c for c in contacts if c.county_code == city_code and c.org.endswith("人民政府")]
    units = [c for c in contacts if c.county_code == city_code and c not in leaders]
    out = [("市领导", leaders), ("市直部门", units)]
    out += [
        (name, [c for c in contacts if c.county_code == code])
        for code, name in county_names.items()
    ]
    return [(title, members) for title, members in out if members]


def matches(contact: directory.Contact, text: str) -> bool:
    """Does the search text appear in the name, unit or post?"""
    return not text or any(text in value for value in (contact.name, contact.org, contact.post))


def directory_section(
    hub: DataHub, contacts: list[directory.Contact], text: str | None, county: str | None
) -> list:
    """The directory for the screen's county (city-level people always), searched."""
    if not contacts:
        return [
            html.P("通讯录为空：请系统管理员从数据共享平台导入或逐条录入", className="em-empty")
        ]
    city = hub.settings.city
    text = (text or "").strip()[:32]
    shown = [
        c
        for c in contacts
        if (county is None or c.county_code in (city.code, county)) and matches(c, text)
    ]
    if not shown:
        return [html.P(f"没有找到“{text}”", className="em-empty")]
    return [
        html.Div(
            [
                html.H3(f"{title}（{len(members)}人）", className="ct-group-title"),
                html.Div(
                    [contact_card(c, context="contacts") for c in members], className="ct-grid"
                ),
            ],
            className="ct-group",
        )
        for title, members in groups(shown, city.code, city.county_names)
    ]


def register_callbacks(app: Dash, hub: DataHub) -> None:
    """Fill the page from the URL's `for=`, the search box and the screen's county."""

    @app.callback(
        Output("contacts-subject", "children"),
        Output("contacts-duty", "children"),
        Output("contacts-list", "children"),
        Input("url", "search"),
        Input("contacts-search", "value"),
        Input("filter-county", "value"),
    )
    def fill(search, text, county):
        try:
            contacts = visible_contacts(hub)
        except StoreError as exc:
            error = [html.P(str(exc), className="panel-error", role="alert")]
            return error, duty_section(hub, clock.today()), error
        return (
            subject_section(hub, reference(search), contacts),
            duty_section(hub, clock.today()),
            directory_section(hub, contacts, text, screen_county(county)),
        )
