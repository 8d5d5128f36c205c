"""重点工作 on the wall: the lights of every task, the red ones, and by lead unit and county,
from the same builder as the desk page (callbacks.build_tasks). No 督办, no comment box, no
显示更多, no exports: the wall shows where work lags, the desks act on it."""

from __future__ import annotations

from dash import html

from cockpit import clock
from cockpit import wall_views as w
from cockpit.domains.key_work import supervision
from cockpit.domains.key_work.transform import LIGHT_NAMES, LIGHTS, light_counts, light_reason
from cockpit.hub import DataHub
from panels.key_work.callbacks import build_tasks

LISTED = 7  # red tasks that fit the list at 20 px


def view(hub: DataHub, period: str, county: str | None) -> list:
    """The key-work screen for a county (None = the whole city); tasks run to today."""
    today = clock.today()
    built = build_tasks(hub, county, "red", today)
    lit = built["lit"]
    counts = light_counts(lit)
    rules = supervision.config(hub).lights.rules()
    red = lit[lit["light"] == "red"] if not lit.empty else lit
    listed = [
        ("sev-1", row["lead_unit"], f"{row['title']}（{light_reason(row, today, rules)}）")
        for row in red.head(LISTED).to_dict("records")
    ]
    place = hub.settings.city.county_names.get(county or "", hub.settings.city.name)
    return [
        html.Div(f"{place} · 截至{today:%m月%d日}", className="wall-screen-place"),
        html.Div(
            className="kw-wall-left",
            children=[
                w.box(
                    f"任务灯（共{len(lit)}项）",
                    html.Div(
                        [
                            w.figure(str(counts[light]), "项", LIGHT_NAMES[light], "", light)
                            for light in LIGHTS
                        ],
                        className="wall-figures",
                    ),
                    w.note(built["charts_note"]),
                    cls="kw-wall-counts",
                ),
                w.box(
                    f"红灯任务（{counts['red']}项，最紧急的{min(LISTED, counts['red'])}项）",
                    w.items(listed, "当前没有红灯任务"),
                    cls="kw-wall-list",
                ),
            ],
        ),
        w.box("按牵头单位（项）", w.chart(built["by_unit"]), cls="kw-wall-chart"),
        w.box("按县区（项）", w.chart(built["by_county"]), cls="kw-wall-chart"),
    ]
