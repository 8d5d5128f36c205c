"""风险管控 on the wall: warnings in force by level, the map, the most severe warnings, and
by domain and month, from the same builders as the desk page (callbacks.build_screen/trend).
No 签收, no filters, no exports: the wall shows, the desks act."""

from __future__ import annotations

import pandas as pd
from dash import html

from cockpit import clock
from cockpit import wall_views as w
from cockpit.domains.risk.early_warning import LEVEL_NAMES
from cockpit.domains.risk.transform import county_counts, level_counts
from cockpit.domains.risk.warnings import place_names
from cockpit.formatting import month_label
from cockpit.hub import DataHub
from panels.risk.callbacks import build_screen, build_trend

LISTED = 6  # the most severe warnings that fit the list at 20 px
STATUS = {1: "red", 2: "orange", 3: "yellow", 4: "blue"}


def view(hub: DataHub, period: str, county: str | None) -> list:
    """The risk screen for a period and county (None = the whole city)."""
    screen = build_screen(hub, period, county, clock.today())
    trend, trend_note, _ = build_trend(hub, period, county)
    frame: pd.DataFrame = screen["frame"]
    counts = level_counts(frame)
    names = place_names(hub)
    ordered = frame.sort_values(["level", "issued_at"], ascending=[True, False])
    listed = [
        (
            f"sev-{int(r.level)}",
            f"{LEVEL_NAMES[int(r.level)]} · {r.domain}",
            f"{r.title}（{r.place if isinstance(r.place, str) and r.place else names.get(r.county_code, '')}）",
        )
        for r in ordered.head(LISTED).itertuples()
    ]
    counties = [c.code for c in hub.settings.city.counties]
    place = hub.settings.city.county_names.get(county or "", hub.settings.city.name)
    return [
        html.Div(f"{place} · {month_label(period)}", className="wall-screen-place"),
        html.Div(
            className="rk-wall-left",
            children=[
                w.box(
                    "在发布预警（条）",
                    html.Div(
                        [
                            w.figure(
                                str(counts[lv]), "条", f"{LEVEL_NAMES[lv]}预警", "", STATUS[lv]
                            )
                            for lv in (1, 2, 3, 4)
                        ],
                        className="wall-figures",
                    ),
                    cls="rk-wall-counts",
                ),
                w.box(
                    f"最高级别预警（共{len(frame)}条）",
                    w.items(listed, "当前没有在发布的预警"),
                    cls="rk-wall-list",
                ),
            ],
        ),
        w.box(
            "预警分布（条）",
            w.map_chart(screen["map"], hub),
            w.legend(county_counts(frame, counties), "条", lambda v: f"{v:.0f}"),
            w.note("圆点为有坐标的预警，菱形为驾驶舱预警"),
            cls="rk-wall-map",
        ),
        html.Div(
            className="rk-wall-right",
            children=[
                w.box("按领域和级别（条）", w.chart(screen["by_domain"]), cls="rk-wall-chart"),
                w.box(
                    "预警新发布与解除（条/月）",
                    w.chart(trend),
                    w.note(trend_note.split("，")[0]),
                    cls="rk-wall-chart",
                ),
            ],
        ),
    ]
