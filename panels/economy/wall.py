"""经济运行 on the wall: every indicator's headline, then the lead indicator's trend, county
ranking and map, from the same builders as the desk page (callbacks.build_page/indicator)."""

from __future__ import annotations

from cockpit import wall_views as w
from cockpit.domains.economy.transform import Reading
from cockpit.formatting import month_label, percent
from cockpit.hub import DataHub
from panels.economy.callbacks import build_indicator, build_page
from panels.economy.figures import value_figure


def headline(r: Reading) -> object:
    """One indicator: its level (or its rate where it has no level) and its growth."""
    label = f"{r.short_name} · {r.label}" if r.period else r.short_name
    if r.period is None or r.missing or (r.value is None and r.growth is None):
        return w.figure("—", "", label, r.note or "暂无数据")
    if r.value is not None and r.unit != "%":
        return w.figure(
            value_figure(r),
            r.unit,
            label,
            f"同比 {percent(r.growth, r.growth_decimals, signed=True)}",
            r.status,
        )
    target = f"目标 {r.target_growth:g}%" if r.target_growth is not None else "同比"
    return w.figure(percent(r.growth, r.growth_decimals, signed=True), "", label, target, r.status)


def view(hub: DataHub, period: str, county: str | None) -> list:
    """The economy screen for a period and county (None = the whole city)."""
    page = build_page(hub, period, county)
    lead = build_indicator(hub, period, county, None, "cumulative")
    table = lead.ranking_table
    values = {} if table is None else dict(zip(table.county_code, table.metric, strict=True))
    by_growth = lead.reading.rank_by == "growth" or lead.reading.unit == "%"
    unit = "%" if by_growth else lead.indicator.unit
    return [
        html_place(page.place_name, period),
        w.box(None, *[headline(r) for r in page.readings], cls="wall-figures eco-figures"),
        w.box(lead.trend_title, w.chart(lead.trend), w.note(lead.sentence), cls="eco-trend"),
        w.box(lead.ranking_title, w.chart(lead.ranking), cls="eco-ranking"),
        w.box(
            lead.map_title,
            w.map_chart(lead.map, hub),
            w.legend(values, unit, lambda v: f"{v:.1f}"),
            w.note(page.freshness),
            cls="eco-map",
        ),
    ]


def html_place(place: str, period: str) -> object:
    """Where and when, beside the screen's title."""
    from dash import html

    return html.Div(f"{place} · {month_label(period)}", className="wall-screen-place")
