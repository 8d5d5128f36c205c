"""One-tap calls (一键直联): tel: links that record every call started from the cockpit.

A call link is an ordinary `tel:` anchor, so the phone dials whatever happens to the network.
Its click also fires one shell callback, which records the call in the audit log (audit.CALL):
who called, whom, which number, from where. The link names its callee by a reference, never
by the number: the server looks the person up itself, within the caller's scope, so a forged
callback cannot write a call to someone the caller cannot see, or a number that is not theirs.

References:
  contact:<id>                 a row of the cockpit's directory (cockpit/directory.py)
  duty:<YYYY-MM-DD>:<role>     that day's duty roster (dataset contacts.duty_roster)
  resource:<resource_id>       an emergency resource's contact (dataset emergency.resources)
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from dash import ALL, Dash, Input, Output, ctx, dcc, html, no_update

from cockpit import audit, directory, ids
from cockpit.hub import DataHub
from cockpit.scope import current_principal
from cockpit.store import StoreError, get_store
from data_sources.query import DatasetQuery, Filter

log = logging.getLogger(__name__)
LINK_TYPE = "call-link"  # the pattern id's type; "call" is a shell prefix for the gate
VIA_LABELS = {"mobile": "手机", "office": "办公电话", "phone": "电话"}


@dataclass(frozen=True)
class Callee:
    """Whom a reference names, as the server finds them."""

    name: str
    post: str
    org: str
    number: str


def tel_href(number: Any) -> str | None:
    """A tel: link for a number as written (spaces, dashes, brackets dropped), or None."""
    digits = directory.dialable(None if number is None else str(number))
    return f"tel:{digits}" if digits else None


def call_link(
    ref: str, via: str, number: Any, label: str | None = None, context: str = "", **kw: Any
) -> html.A | html.Span:
    """A one-tap call link, or the number as plain text when it is not dialable.

    `context` says where the call was started (task:ZD2026001, event:E1...) for the record."""
    href = tel_href(number)
    text = label or (str(number) if number else "—")
    if href is None:
        return html.Span(text, className="call-link call-link-none")
    return html.A(
        text,
        href=href,
        # ASCII keys only (cockpit/ids.py): a duty role or a resource id may be Chinese.
        id=ids.pattern_id(LINK_TYPE, ref=ref, via=via, ctx=context[:100]),
        n_clicks=0,
        className=kw.pop("className", "call-link"),
        title=f"拨打 {number}",
        **kw,
    )


def contact_link(subject: str, text: str = "联系责任人") -> dcc.Link:
    """A link to 一键直联 showing who answers for a thing: task:<id>, warning:<id>, event:<id>,
    county:<code> (cockpit/domains/contacts/subjects.py looks it up within the user's scope)."""
    return dcc.Link(
        ["☎ ", text], href=f"/contacts?{urlencode({'for': subject})}", className="contact-link"
    )


# -- who a reference names -----------------------------------------------------------------------
def resolve(hub: DataHub, ref: str, via: str) -> Callee | None:
    """The callee a reference names and the number dialled, if the caller may see them."""
    kind, _, key = str(ref).partition(":")
    try:
        if kind == "contact":
            return _from_directory(hub, int(key), via)
        if kind == "duty":
            day, _, role = key.partition(":")
            return _from_roster(hub, dt.date.fromisoformat(day), role)
        if kind == "resource":
            return _from_resources(hub, key)
    except (ValueError, TypeError):
        return None
    return None


def _from_directory(hub: DataHub, contact_id: int, via: str) -> Callee | None:
    contact = directory.get(get_store(hub), contact_id)
    if contact is None or not contact.active or not visible(hub, contact.county_code):
        return None
    number = {"mobile": contact.mobile, "office": contact.office_phone}.get(via)
    if not number:
        return None
    return Callee(contact.name, contact.post, contact.org, number)


def _from_roster(hub: DataHub, day: dt.date, role: str) -> Callee | None:
    query = DatasetQuery(
        filters=(Filter("duty_date", "eq", day), Filter("role", "eq", role)),
        columns=("name", "post", "phone"),
        limit=1,
    )
    result = hub.query("contacts.duty_roster", query, with_as_of=False)
    if not result.ok or result.frame.empty:
        return None
    row = result.frame.iloc[0]
    number = directory.shown_number(row["phone"])  # a mobile only for roles that may see it
    if not number:
        return None
    return Callee(str(row["name"]), str(row["post"]), f"{role}（{day:%m月%d日}）", number)


def _from_resources(hub: DataHub, resource_id: str) -> Callee | None:
    query = DatasetQuery(
        filters=(Filter("resource_id", "eq", resource_id),),
        columns=("name", "contact", "phone"),
        limit=1,
    )
    result = hub.query("emergency.resources", query, with_as_of=False)  # scoped by the hub
    if not result.ok or result.frame.empty or not result.frame.iloc[0]["phone"]:
        return None
    row = result.frame.iloc[0]
    number = directory.shown_number(row["phone"])  # a mobile only for roles that may see it
    if not number:
        return None
    return Callee(str(row["contact"] or "联系人"), "", str(row["name"]), number)


def visible(hub: DataHub, county_code: str) -> bool:
    """May the current user see a directory entry of this area? City-level ones: every user."""
    return county_code == hub.settings.city.code or current_principal().allows(county_code)


# -- the record ----------------------------------------------------------------------------------
def record_call(hub: DataHub, ref: str, via: str, context: str) -> dict:
    """Record one call started by the current user; the answer the shell store keeps."""
    callee = resolve(hub, ref, via)
    if callee is None:
        audit.try_record(audit.CALL, str(ref)[:100], "refused", {"via": via, "context": context})
        return {"ok": False, "ref": ref}
    audit.record(
        audit.CALL,
        str(ref)[:100],
        "ok",
        {
            "name": callee.name,
            "post": callee.post,
            "org": callee.org,
            "via": VIA_LABELS.get(via, via),
            "number": callee.number,
            "context": context[:100],
        },
    )
    return {"ok": True, "ref": ref}


def register_callbacks(app: Dash, hub: DataHub) -> None:
    """One callback for every call link of every page."""

    @app.callback(
        Output("call-recorded", "data"),
        Input({"type": LINK_TYPE, "ref": ALL, "via": ALL, "ctx": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )
    def record(_clicks):
        """A link was tapped: record the call (links appearing on a new page are not taps)."""
        link = ctx.triggered_id
        if not isinstance(link, dict) or not ctx.triggered or not ctx.triggered[0].get("value"):
            return no_update
        ref, via, context = (
            ids.triggered_key(link, field) or "" for field in ("ref", "via", "ctx")
        )
        try:  # the reference is only a name: record_call resolves it within the user's scope
            return record_call(hub, ref, via, context)
        except StoreError as exc:  # the call goes ahead; the failure to record is logged
            log.error("call not recorded: %s", exc)
            return {"ok": False, "error": "通话记录未能写入审计日志"}
