"""12345热线 on the wall: the month's main KPIs, tickets per day, the county map and the kinds
of request, from the same builders as the desk page (callbacks.kpi_values, *_section). No
ticket lists, no callers, no drill-down, no unmasking, no exports."""

from __future__ import annotations

from dash import html

from cockpit import wall_views as w
from cockpit.domains.hotline import data, kpis
from cockpit.domains.hotline.config import module_config
from cockpit.domains.hotline.transform import county_ranking, period_windows
from cockpit.formatting import number
from cockpit.hub import DataHub
from panels.hotline import figures
from panels.hotline.callbacks import (
    category_section,
    kpi_values,
    map_section,
    volume_section,
)

# The KPIs a leader reads first; the other eight stay on the desk page.
SHOWN = ("received", "on_time", "closure", "satisfaction", "repeat_rate", "handling_avg")


def county_values(hub: DataHub, period: str) -> dict[str, float | None]:
    """Tickets received per county in the period (the map's values, for its legend)."""
    config = module_config(hub)
    now = data.now_of(hub)
    window = period_windows(period, now)["current"]
    if window.empty:
        return {}
    result = data.by_group(hub, config, window, now, "county_code", peers=True)
    ranking = county_ranking(result.frame, dict(hub.settings.city.county_names), "received")
    visible = hub.visible_places(data.TICKETS, hub.principal())
    return {
        r.county_code: float(r.received) if r.county_code in visible else None
        for r in ranking.itertuples()
    }


def view(hub: DataHub, period: str, county: str | None) -> list:
    """The hotline screen for a period and county (None = the whole city)."""
    config = module_config(hub)
    values, windows, _results, _channels = kpi_values(hub, config, period, county)
    current, before = values.get("current", {}), values.get("previous", {})
    headline = []
    for key in SHOWN:
        kpi = kpis.KPI_BY_KEY[key]
        value = current.get(key)
        change = kpis.change(kpi, value, before.get(key))
        headline.append(
            w.figure(
                figures.value_text(kpi, value),
                "" if kpi.kind == "rate" else kpi.unit,
                kpi.label,
                f"环比 {figures.delta_text(kpi, change)}" if change is not None else "",
                kpis.status(kpi, value, config.target(key)),
            )
        )
    volume, volume_text, _ = volume_section(hub, period, county, "day")
    the_map, _table, map_title, _ = map_section(hub, period, county, "received")
    _tree, appeals, _chans, _text, _ = category_section(hub, period, county)
    place = hub.settings.city.county_names.get(county or "", hub.settings.city.name)
    return [
        html.Div(f"{place} · {windows['current'].label}", className="wall-screen-place"),
        w.box(None, *headline, cls="wall-figures hl-wall-figures"),
        w.box("每日受理量（件）", w.chart(volume), w.note(volume_text), cls="hl-wall-chart"),
        w.box(
            map_title,
            w.map_chart(the_map, hub),
            w.legend(county_values(hub, period), "件", lambda v: number(v, 0)),
            cls="hl-wall-chart",
        ),
        w.box("诉求类型（件）", w.chart(appeals), cls="hl-wall-chart"),
    ]
