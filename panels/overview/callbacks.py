"""The overview's callbacks: thin, they fetch through the hub and hand over to pure functions."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from dash import Dash, Input, Output, dcc, html, no_update

from cockpit import clicks, clock, maps
from cockpit.calls import contact_link
from cockpit.domains.configured import summary as configured_summary
from cockpit.domains.economy.transform import latest_releases
from cockpit.domains.key_work import data as key_work_data
from cockpit.domains.overview import data
from cockpit.domains.overview.transform import (
    attention_all,
    economy_card,
    emergency_card,
    hotline_card,
    key_work_card,
    not_connected_items,
    risk_card,
    severity_counts,
    shortlist,
)
from cockpit.domains.risk.transform import county_counts
from cockpit.formatting import month_label, number, percent
from cockpit.hub import DataHub
from cockpit.maps import county_map, county_outlines
from cockpit.outputs import cached_output, call_cached
from cockpit.scope import hide_outside_scope
from cockpit.shell import CITY_WIDE, screen_county
from panels.overview import leader
from panels.overview.figures import attention_counts, attention_items, domain_strip, module_card
from panels.overview.layout import layout

# The dataset each module's part of the overview stands on: one not configured is 未接入.
MODULE_DATASETS = (
    ("经济运行", "economy.indicator_values"),
    ("12345热线", "hotline.tickets"),
    ("重点工作", "key_work.tasks"),
    ("风险管控", "risk.warnings"),
    ("应急指挥", "emergency.events"),
)


# The legend of each map metric: what is counted, and its unit.
MAP_LEGENDS = {"hotline": ("受理量", "件"), "risk": ("在发布预警", "条"), "gdp": ("增速", "%")}


def build_overview(hub: DataHub, period: str, county: str | None, today: dt.date) -> dict:
    """Everything the overview shows for a period and county (None = whole city)."""
    settings = hub.settings
    place = county or settings.city.code
    economy = economy_card(
        data.economy_rows(hub, period, place),
        settings.indicator_map,
        period,
        place,
        [c.code for c in settings.city.counties],
        today,
    )
    hotline = hotline_card(*data.hotline_kpis(hub, period, county), period)
    key_work_config = hub.module_config.get("key_work")
    rules = key_work_config.lights.rules() if key_work_config is not None else None
    # The same lights as the 重点工作 page: milestones count where they can be read.
    milestones, _ = key_work_data.usable_milestones(key_work_data.milestones(hub, county))
    tasks_card, lit = key_work_card(data.tasks(hub, county), today, rules, milestones)
    warnings = data.warnings_in_force(hub, county, today)
    active = data.active_events(hub, county)
    emergency = emergency_card(active, data.events_this_year(hub, today.year, county), today.year)
    tickets_as_of = hub.as_of("hotline.tickets") or dt.datetime.combine(today, dt.time())
    weekly = data.hotline_weekly(hub, tickets_as_of, county)
    last_week = (
        pd.Timestamp(tickets_as_of).normalize()
        - pd.Timedelta(days=pd.Timestamp(tickets_as_of).weekday() + 7)
    ).strftime("%Y-%m-%d")
    not_connected = tuple((m, d) for m, d in MODULE_DATASETS if not hub.has(d))
    everything = attention_all(economy, lit, warnings, active, weekly, last_week, period, county)
    # The domains defined in config/domains/: a card each, their threshold warnings and red
    # lights among what needs attention (cockpit.domains.configured.summary).
    # Kept beside the five modules' list (whose shortlist and counts they do not change).
    domains, domain_attention = configured_summary.overview(hub, period, county)
    missing = not_connected_items(not_connected)
    return {
        "left": [economy, hotline],
        "right": [tasks_card, risk_card(warnings), emergency],
        "domains": domains,
        "domain_attention": domain_attention,
        "attention": shortlist(everything, limit=8) + missing,
        "attention_counts": severity_counts(everything + missing),
        # Every item, not only the shortlist: 我的驾驶舱 picks a leader's own from it.
        "everything": everything,
        "tasks": lit,
        "warnings": warnings,
    }


def map_values(hub: DataHub, metric: str, period: str) -> tuple[dict, dict, str, str]:
    """(values, texts, title, note) per county for the map's metric; counties outside the
    user's scope read 无权查看 (not 0 or —)."""
    values, texts, title, note = _metric_values(hub, metric, period)
    counties = [c.code for c in hub.settings.city.counties]
    values, texts = hide_outside_scope(values, texts, counties, hub.principal())
    return values, texts, title, note


def _metric_values(hub: DataHub, metric: str, period: str) -> tuple[dict, dict, str, str]:
    """(values, texts, title, note) per county for the map's metric, as the source answers."""
    values: dict  # county code -> figure (None: no figure)
    if metric == "risk":
        # Counted as the risk page counts them; a county without warnings has 0, not a gap.
        result = data.warnings_in_force(hub, None, clock.today())
        counties = [c.code for c in hub.settings.city.counties]
        values = county_counts(result.frame, counties)
        texts = {c: f"{int(v)}条" for c, v in values.items()}
        return values, texts, "在发布风险预警（条）", _note(result)
    if metric == "gdp":
        result = data.economy_by_county(hub, period, "gdp")
        rows = latest_releases(result.frame)
        values = {}
        label = ""
        if not rows.empty:
            latest = rows[rows.period == rows.period.max()]
            values = dict(zip(latest.county_code, latest.growth, strict=True))
            label = latest.period.iloc[0]
        texts = {c: percent(v, signed=True) for c, v in values.items()}
        from cockpit.formatting import period_label

        title = (
            f"地区生产总值增速（{label[:4]}年{period_label(label, 'quarterly')}，%）"
            if label
            else "地区生产总值增速"
        )
        return values, texts, title, _note(result)
    result = data.hotline_by_county(hub, period)
    values = dict(
        zip(result.frame.get("county_code", []), result.frame.get("tickets", []), strict=True)
    )
    texts = {c: f"{number(v)}件" for c, v in values.items()}
    return values, texts, f"12345受理量（{month_label(period)}，件）", _note(result)


def _note(result) -> str:
    from cockpit.components import result_state_text

    if result.error:
        return result_state_text(result)
    return f"{result_state_text(result)} · 点击县区查看本县区"


def overview_outputs(hub: DataHub, period: str, county: str | None) -> tuple:
    """The cards, attention list, its counts and the contact link for a period and county
    (the selector's value: 全市 or a county), as the overview's callback answers them."""
    from cockpit.panels import all_panels

    module_paths = {p.key: p.path for p in all_panels()}  # each card links to its module
    built = build_overview(
        hub, period, None if county in (None, CITY_WIDE) else county, clock.today()
    )
    return (
        [
            *(module_card(c, module_paths.get(c.key)) for c in built["left"]),
            domain_strip(built["domains"], module_paths),
        ],
        [module_card(c, module_paths.get(c.key)) for c in built["right"]],
        attention_items(built["attention"]),
        attention_counts(built["attention_counts"], len(built["attention"])),
        county_contact(hub, county),
    )


# The cache entry the callback and the first layout share (cockpit.outputs).
CARDS_OUTPUT = "overview-cards"


def first_layout(hub: DataHub, period: str, county: str) -> html.Div:
    """The overview drawn with its data for the period and county the page opens on, for the
    user's scope (the hub reads it from the session): the first 需要关注 line, a phone's
    largest paint, arrives with the page's first layout instead of after the callbacks
    (issue #20 item 7). The same cache entry as the callback's."""
    filled = call_cached(
        hub, CARDS_OUTPUT, lambda p, c: overview_outputs(hub, p, c), (period, county), {}
    )
    return layout(tuple(filled), mine=leader.section(hub, period))


def register_callbacks(app: Dash, hub: DataHub) -> None:
    """Wire the overview: filters -> cards, map and attention; a map click -> county filter."""

    @app.callback(
        Output("overview-cards-left", "children"),
        Output("overview-cards-right", "children"),
        Output("overview-attention", "children"),
        Output("overview-attention-counts", "children"),
        Output("overview-contact", "children"),
        Input("filter-period", "value"),
        Input("filter-county", "value"),
        # The page comes drawn for the selectors' first values (first_layout): only a change
        # of period or county is answered here.
        prevent_initial_call=True,
    )
    @cached_output(hub, CARDS_OUTPUT)
    def update_overview(period, county):
        """Headlines and attention list for the selected period and county."""
        if not period:
            return (no_update,) * 5
        return overview_outputs(hub, period, county)

    @app.callback(
        Output("overview-mine", "children"),
        Output("overview-mine", "hidden"),
        Input("filter-period", "value"),
        # Drawn in the first layout for the period the page opens on: a change is answered.
        prevent_initial_call=True,
    )
    def update_mine(period):
        """我的驾驶舱 for the chosen period (per user: never from the shared cards' cache)."""
        if not isinstance(period, str) or not period:
            return no_update, no_update
        mine = leader.section(hub, period)
        return mine, not mine

    maps.register_map(app, "overview-map")

    @app.callback(
        Output("overview-map-values", "data"),
        Output("overview-map-title", "children"),
        Output("overview-map-note", "children"),
        Input("overview-map-metric", "value"),
        Input("filter-period", "value"),
        Input("filter-county", "value"),
        Input("overview-map-measure", "value"),
    )
    @cached_output(hub, "overview-map")
    def update_map(metric, period, county, measure):
        """The county map coloured by the chosen metric (总量 or 每万人), the selected county
        outlined."""
        if not period:
            return no_update, no_update, no_update
        path = str(hub.settings.city.map_path())
        values, texts, title, note = map_values(hub, metric, period)
        selected = None if county in (None, CITY_WIDE) else county
        name, unit = MAP_LEGENDS.get(metric, ("", ""))
        # A rate per resident is for counts; a growth rate per resident means nothing.
        people = maps.population(hub.settings) if measure == maps.PER_10K and unit != "%" else None
        if people is not None:
            title = maps.per_10k_title(title)
        figure = county_map(
            county_outlines(path), values, texts, selected, unit=unit, title=name, people=people
        )
        return maps.map_values(figure, path), title, note

    # Clicking a county filters the screen to it (the 区域 selector returns to 全市).
    clicks.county_on_click(app, "overview-map")


def county_contact(hub: DataHub, county: str | None) -> dcc.Link | None:
    """With a county on screen, one tap to the people who answer for it (一键直联). Part of
    the cards' answer: a callback of its own ran on every load to leave the page as it was."""
    name = hub.settings.city.county_names.get(screen_county(county) or "")
    return contact_link(f"county:{county}", f"联系{name}负责人") if name else None
