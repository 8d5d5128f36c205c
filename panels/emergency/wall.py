"""应急指挥 on the wall: the situation, the events being handled, the map with every layer and
its key, this year's events and the warnings in force, from the same builder as the desk
page (callbacks.build_view). No event buttons, no 拨打, no duty roster phone numbers, no
exports: the wall shows the situation, the duty desk acts on it."""

from __future__ import annotations

from typing import Any

import pandas as pd
from dash import html

from cockpit import clock, theme
from cockpit import wall_views as w
from cockpit.domains.emergency import data
from cockpit.domains.emergency.config import EmergencyConfig
from cockpit.domains.emergency.transform import (
    LEVEL_NAMES,
    WARNING_NAMES,
    casualties,
    count_rows,
    response_in_force,
    roster_rows,
)
from cockpit.hub import DataHub
from panels.emergency import components as ui
from panels.emergency.callbacks import build_view
from panels.emergency.figures import RESOURCE_STYLE, TOGGLE_LABELS, map_figure

LISTED = 5  # events and warnings that fit each list at 20 px
K = 1.6  # the map's symbols and labels, scaled for the wall (text >= 18 px)
GLYPHS = {"events": ("●", theme.LEVEL_COLOURS[2]), "warnings": ("▲", theme.LEVEL_COLOURS[3])}
GLYPHS |= {
    key: ({"square": "■", "hexagon": "⬢", "pentagon": "⬟", "cross": "✚"}[sym], colour)
    for key, (sym, colour) in RESOURCE_STYLE.items()
}


def _count(value: Any) -> str:
    return "—" if value is None or pd.isna(value) else str(int(value))


def key() -> html.Div:
    """The map's key: each layer's symbol and colour."""
    return html.Div(
        [
            html.Span([html.Span(GLYPHS[k][0], style={"color": GLYPHS[k][1]}), f" {text}"])
            for k, text in TOGGLE_LABELS.items()
        ],
        className="wall-legend em-wall-key",
    )


def view(hub: DataHub, period: str, county: str | None) -> list:
    """The emergency screen for a county (None = the whole city); period-free, it is live."""
    config = hub.module_config.get("emergency") or EmergencyConfig()
    now = clock.now()
    v = build_view(hub, config, county, None, None, now, K)
    events, warnings = v.results["events"], v.results["warnings"]
    active = v.active
    deaths, injuries = casualties(active) if not active.empty else (0, 0)
    level, by_whom = response_in_force(active)
    names = hub.settings.city.county_names
    place = names.get(county or "", hub.settings.city.name)
    listed_events = [
        (
            f"sev-{min(int(e.level), 4)}",
            f"{LEVEL_NAMES.get(int(e.level), '')} · {e.status}",
            f"{e.title}（{e.place}）",
        )
        for e in active.head(LISTED).itertuples()
    ]
    wf = warnings.frame
    listed_warnings = (
        [
            (f"sev-{int(x.level)}", WARNING_NAMES.get(int(x.level), ""), f"{x.title} · {x.stage}")
            for x in wf.sort_values("level").head(LISTED).itertuples()
        ]
        if not wf.empty
        else []
    )
    bound = data.window_bound(now, config.refresh_seconds)
    counts = data.event_counts(hub, county, now, data.events_probe(hub, county, bound), bound)
    by_level = count_rows(counts.frame, "level", ui.level_labels())
    # Who is on duty today: role, name and post; never their numbers (calls are made from
    # the duty desk's own screen, not from the wall).
    duty = data.duty_roster(hub, now.date())
    on_duty = [
        ("sev-4", r["role"], f"{r['name']} · {r['post']}" if r.get("post") else str(r["name"]))
        for r in roster_rows(duty.frame)
    ]
    duty_empty = ui.source_note(duty).children if duty.error else "今日值班表未报送"
    return [
        html.Div(f"{place} · 实时", className="wall-screen-place"),
        html.Div(
            className="em-wall-left",
            children=[
                w.box(
                    "当前态势",
                    html.Div(
                        [
                            w.figure(
                                LEVEL_NAMES.get(level, "—") if level else "未启动",
                                "",
                                "应急响应",
                                by_whom or "",
                                "red" if level else "none",
                            ),
                            w.figure(
                                _count(len(active)),
                                "起",
                                "正在处置",
                                "",
                                "red" if len(active) else "green",
                            ),
                            w.figure(_count(deaths), "人", "死亡", "", "red" if deaths else "none"),
                            w.figure(_count(injuries), "人", "受伤"),
                        ],
                        className="wall-figures",
                    ),
                    w.note(ui.source_note(events, "事件").children),
                    cls="em-wall-state",
                ),
                w.box(
                    "正在处置的事件",
                    w.items(listed_events, "当前没有正在处置的突发事件"),
                    cls="em-wall-list",
                ),
                w.box("今日值班", w.items(on_duty, duty_empty), cls="em-wall-duty"),
            ],
        ),
        w.box(
            "事件、预警与应急资源分布",
            w.chart(map_figure(v.outlines, county, v.layers, K)),
            key(),
            cls="em-wall-map",
        ),
        html.Div(
            className="em-wall-right",
            children=[
                w.box(
                    "本年事件（起）",
                    html.Div(
                        [
                            w.figure(_count(r.year), "起", r.label, f"今日 {_count(r.today)}")
                            for r in by_level
                        ],
                        className="wall-figures",
                    ),
                    cls="em-wall-counts",
                ),
                w.box(
                    f"发布系统预警（{len(wf)}条）",
                    w.items(listed_warnings, "当前没有在发布的预警"),
                    cls="em-wall-list",
                ),
            ],
        ),
    ]
