"""Pure renderers for the overview: headline cards and the attention list as Dash components."""

from __future__ import annotations

from typing import Any

from dash import dcc, html

from cockpit.components import source_state_text
from cockpit.domains.overview.transform import SEVERITY_NAMES, Attention, ModuleCard, Stat
from cockpit.formatting import freshness

SEVERITY_CLASS = {1: "sev-1", 2: "sev-2", 3: "sev-3", 4: "sev-4"}

# Screen readers name the row of tiles (an aria attribute, typed as Dash's wildcard props are).
DOMAINS_LABEL: dict[str, Any] = {"aria-label": "其他领域"}


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


def domain_strip(cards: list[ModuleCard], paths: dict[str, str]) -> html.Div | None:
    """The domains of config/domains/ side by side, one compact tile each, so that
    一屏知全市 still fits 1920x1080 (issue #20 item 3) however many modules it shows."""
    if not cards:
        return None
    return html.Div(
        [domain_tile(c, paths.get(c.key, "/" + c.key.replace("_", "-"))) for c in cards],
        className="overview-domains",
        role="group",
        **DOMAINS_LABEL,
    )


def domain_tile(card: ModuleCard, href: str) -> dcc.Link:
    """A configured domain's tile: its headline figure with unit and period, its threshold
    warnings and red lights, its 数据截至, the whole tile a link to the domain's page."""
    # The card's figures come first, its 阈值预警 last (cockpit.domains.configured.summary).
    head = card.stats[0] if len(card.stats) > 1 else None
    warnings = card.stats[-1] if card.stats else None
    body: list = [html.Div(card.title, className="domain-title")]
    if card.error:
        body.append(
            html.P(
                source_state_text(card.error, card.stale, card.as_of),
                className="panel-error source-state " + ("is-stale" if card.stale else "is-down"),
                role="alert",
            )
        )
    if head is not None:
        body += [
            html.Div(
                [head.label, html.Span(card.period, className="domain-period")],
                className="stat-label",
            ),
            html.Div(
                [
                    html.Span(head.value, className="stat-value"),
                    html.Span(head.unit, className="stat-unit"),
                ]
            ),
        ]
    body.append(html.Div(_warning_line(warnings, len(card.alerts)), className="stat-note"))
    late = " panel-late" if card.late_by else ""
    body.append(html.Div(freshness(card.as_of, card.late_by), className="panel-as-of" + late))
    status = warnings.status if warnings else "none"
    return dcc.Link(
        body,
        href=href,
        className=f"domain-tile status-{status}",
        id=f"overview-domain-{card.key}",
        title=f"查看{card.title}",
    )


def _warning_line(warnings: Stat | None, red_lights: int) -> str:
    """「预警6条 · 红灯1」: the domain's threshold warnings and its figures on red."""
    count = int(warnings.value) if warnings is not None and warnings.value.isdigit() else 0
    parts = [f"预警{count}条" if count else "未触发预警"]
    if red_lights:
        parts.append(f"红灯{red_lights}")
    return " · ".join(parts)


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
