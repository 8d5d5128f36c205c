"""The page's skeleton: one panel per section of the domain's screen, filled by the callback."""

from __future__ import annotations

from collections.abc import Callable

from dash import dcc, html

from cockpit import exports
from cockpit.components import FIT_GRAPH, panel
from cockpit.domains.configured import loader
from cockpit.domains.configured.schema import Section
from cockpit.maps import map_block

DEFAULT_TITLES = {
    "kpis": "主要指标",
    "trend": "月度走势",
    "ranking": "县区排名",
    "table": "明细",
    "warnings": "阈值预警",
}


def title_of(section: Section) -> str:
    """A section's heading: its own, or its kind's."""
    return section.title or DEFAULT_TITLES[section.kind]


def map_section(sections: tuple[Section, ...]) -> int | None:
    """The ranking section that carries the page's county map (the first one)."""
    return next((i for i, s in enumerate(sections) if s.kind == "ranking"), None)


def layout_for(key: str) -> Callable[[], html.Div]:
    """The layout function of the domain's page."""

    def layout() -> html.Div:
        domain = loader.domain(key)
        if domain is None:
            return html.Div("该领域的配置已移除。", className="page")
        with_map = map_section(domain.screen)
        parts = []
        for i, s in enumerate(domain.screen):
            body = html.Div(id=f"{key}-s{i}", className=f"cfg-{s.kind}")
            if i == with_map:
                graph = dcc.Graph(id=f"{key}-map", config=FIT_GRAPH)
                body = html.Div([map_block(graph), body], className="cfg-map-row")
            extra = exports.links(f"{key}.s{i}") if s.kind == "table" else None
            parts.append(panel(title_of(s), body, extra, className=f"cfg-panel cfg-{s.kind}-panel"))
        return html.Div(
            className=f"page configured {key}",
            children=[*parts, html.Div(id=f"{key}-state", className="cfg-state")],
        )

    return layout
