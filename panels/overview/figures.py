"""Pure renderers for the overview: headline cards and the attention list as Dash components."""

from __future__ import annotations

from dash import dcc, html

from cockpit.components import source_state_text
from cockpit.domains.overview.transform import SEVERITY_NAMES, Attention, ModuleCard
from cockpit.formatting import freshness

SEVERITY_CLASS = {1: "sev-1", 2: "sev-2", 3: "sev-3", 4: "sev-4"}


def module_card(card: ModuleCard, href: str | None = None) -> html.Div | dcc.Link:
    """A module's headline block: title, period, figures with units, and its 数据截至.

    With href the whole card is a link to the module (a thumb-sized target on a phone)."""
    head = html.Div(
        className="panel-head",
        children=[
            html.H2(card.title, className="panel-title"),
            html.Span(card.period, className="panel-period"),
        ],
    )
    body: list = []
    if card.error:
        body.append(
            html.P(
                source_state_text(card.error, card.stale, card.as_of),
                className="panel-error source-state " + ("is-stale" if card.stale else "is-down"),
                role="alert",
            )
        )
    body.append(
        html.Div(
            className="stat-grid",
            children=[
                html.Div(
                    className=f"stat status-{s.status}",
                    children=[
                        html.Div(s.label, className="stat-label"),
                        html.Div(
                            [
                                html.Span(s.value, className="stat-value"),
                                html.Span(s.unit, className="stat-unit"),
                            ]
                        ),
                        html.Div(s.note, className="stat-note") if s.note else None,
                    ],
                )
                for s in card.stats
            ],
        )
    )
    late = " panel-late" if card.late_by else ""
    foot = html.Div(freshness(card.as_of, card.late_by), className="panel-as-of" + late)
    if href:
        return dcc.Link(
            [head, *body, foot],
            href=href,
            className=f"panel module-card module-link card-{card.key}",
            id=f"overview-card-{card.key}",
            title=f"查看{card.title}",
        )
    return html.Div(
        [head, *body, foot],
        className=f"panel module-card card-{card.key}",
        id=f"overview-card-{card.key}",
    )


def attention_items(items: list[Attention]) -> list[html.Li]:
    """The attention list, each item a link to its screen with the item selected; an empty
    list says so plainly."""
    if not items:
        return [html.Li("当前没有需要特别关注的事项", className="attention-empty")]
    rows = []
    for a in items:
        cls = f"attention-item {SEVERITY_CLASS.get(a.severity, 'sev-3')}"
        body = [
            html.Span(a.module, className="attention-module"),
            html.Span(a.text, className="attention-text"),
        ]
        rows.append(
            html.Li(
                dcc.Link(body, href=a.href, className=cls, title=f"打开{a.module}查看此项")
                if a.href
                else html.Div(body, className=cls)
            )
        )
    return rows


def attention_counts(counts: dict[int, int], shown: int) -> list:
    """How many items of each severity (红/橙/黄) in all, and how many the list shows."""
    total = sum(counts.values())
    chips = [
        html.Span(
            [html.Span(SEVERITY_NAMES[s], className="sev-name"), html.B(str(n))],
            className=f"attention-count {SEVERITY_CLASS[s]}",
        )
        for s, n in counts.items()
    ]
    more = f"，列出{shown}项" if shown < total else ""
    return [html.Span(f"共{total}项{more}", className="attention-total"), *chips]
