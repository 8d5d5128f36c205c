"""The contact card: who, what post, on duty or not, and one-tap calls (recorded)."""

from __future__ import annotations

from dash import html

from cockpit.calls import call_link
from cockpit.directory import Contact
from cockpit.links import bureau_link

STATUS_CLASS = {
    "在岗": "on",
    "值班": "on",
    "会议": "busy",
    "外出": "away",
    "出差": "away",
    "休假": "away",
}


def contact_card(contact: Contact, reason: str = "", context: str = "") -> html.Div:
    """A card with the person's calls; `context` (task:...) goes into the call record."""
    status = contact.duty_status + (f"（{contact.duty_note}）" if contact.duty_note else "")
    calls = [
        call_link(
            f"contact:{contact.id}",
            via,
            number,
            f"{'手机' if via == 'mobile' else '办公'} {number}",
            context,
            className=f"call-link call-{via}",
        )
        for via, number in contact.phones()
    ]
    return html.Div(
        [
            html.Div(
                [
                    html.Strong(contact.name, className="ct-name"),
                    html.Span(contact.post, className="ct-post"),
                    html.Span(reason, className="ct-reason") if reason else None,
                ],
                className="ct-head",
            ),
            html.Div(
                [
                    html.Span(bureau_link(contact.org), className="ct-org"),
                    html.Span(
                        status,
                        className=f"ct-status ct-{STATUS_CLASS.get(contact.duty_status, 'on')}",
                    ),
                ],
                className="ct-line",
            ),
            html.Div(calls, className="ct-calls"),
        ],
        className="ct-card",
    )
