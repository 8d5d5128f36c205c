"""A configured domain on the wall (1920x1080): headline figures (>= 40 px) across the top,
the county map with its legend, the ranking and the threshold warnings; nothing to click."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
from dash import html

from cockpit import wall_views as w
from cockpit.domains.configured import loader
from cockpit.formatting import freshness, month_label, number
from cockpit.hub import DataHub
from panels.configured.layout import map_section
from panels.configured.view import build, ranking_map

RANKED_SHOWN = 8  # rows of the ranking that fit beside the map at 20 px
WARNINGS_SHOWN = 6


def view_for(key: str) -> Callable[[DataHub, str, str | None], list]:
    """The wall view function of the domain `key`."""

    def view(hub: DataHub, period: str, county: str | None) -> list:
        domain = loader.domain(key)
        if domain is None:
            return [html.Div("该领域的配置已移除。")]
        screen = build(hub, domain, period, county)
        loaded = screen.loaded
        state = loaded.error or freshness(loaded.as_of)
        kpis = next((s for s in domain.screen if s.kind == "kpis"), None)
        shown = kpis.indicators if kpis else tuple(i.id for i in domain.indicators[:4])
        figures = [
            w.figure(
                screen.figures[i].value_text,
                screen.figures[i].unit,
                f"{screen.figures[i].name}（{screen.figures[i].label}）",
                screen.figures[i].note,
                screen.figures[i].status,
            )
            for i in shown[:4]
        ]
        parts: list = [
            html.Div(f"{screen.place_name} · {month_label(period)}", className="wall-screen-place"),
            html.Div(figures, className="wall-figures cfg-wall-figures"),
        ]
        at = map_section(domain.screen)
        if at is not None:
            indicator = domain.screen[at].indicators[0]
            ind = next(i for i in domain.indicators if i.id == indicator)
            figure, values, unit = ranking_map(screen, indicator, hub)
            parts.append(
                w.box(
                    f"各县区{ind.name}",
                    w.map_chart(figure, hub),
                    w.legend(values, unit, lambda v: number(v, ind.decimals)),
                    w.note(state),
                    cls="cfg-wall-map",
                )
            )
            table = screen.ranking(indicator).head(RANKED_SHOWN)
            rows = [
                (
                    "",
                    "—" if pd.isna(r.rank) else f"第{r.rank}位",
                    f"{screen.names.get(r.county_code, r.county_code)} "
                    f"{'—' if pd.isna(r.value) else number(r.value, ind.decimals, exact=True)}{ind.unit}",
                )
                for r in table.itertuples()
            ]
            parts.append(w.box("县区排名", w.items(rows, "暂无数据"), cls="cfg-wall-ranking"))
        warnings = [
            (f"sev-{a.level}", a.place_name, a.text.removeprefix(a.place_name))
            for a in screen.alerts[:WARNINGS_SHOWN]
        ]
        more = len(screen.alerts) - WARNINGS_SHOWN
        parts.append(
            w.box(
                "阈值预警" + (f"（另有{more}条）" if more > 0 else ""),
                w.items(warnings, "未触发阈值预警"),
                cls="cfg-wall-warnings",
            )
        )
        return parts

    return view
