"""The 风险管控 page's callbacks: thin; they call the build functions below, which tests call too."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs

from dash import ALL, Dash, Input, Output, State, ctx, html, no_update

from cockpit import clock, ids, maps
from cockpit.components import result_state_text, source_state
from cockpit.domains.key_work.config import KeyWorkConfig
from cockpit.domains.risk import acks, data
from cockpit.domains.risk.transform import (
    county_counts,
    domain_level_table,
    level_counts,
    map_points,
    month_range,
    trend,
)
from cockpit.domains.risk.warnings import in_force, place_names
from cockpit.formatting import as_of, month_label
from cockpit.hub import DataHub
from cockpit.maps import county_outlines
from cockpit.outputs import cached_output
from cockpit.scope import current_principal
from cockpit.shell import screen_county
from cockpit.store import StoreError, get_store, local_time
from panels.risk import figures


def highlighted(search: str | None) -> str | None:
    """The warning a link asked for (?warning=<id>), if any."""
    values = parse_qs((search or "").lstrip("?")).get("warning")
    return values[0] if values else None


def build_screen(
    hub: DataHub,
    period: str,
    county: str | None,
    today: dt.date,
    levels: list[int] | None = None,
    domain: str = "all",
    highlight: str | None = None,
    measure: str | None = None,
) -> dict:
    """Everything the screen shows for a period and county (None = the whole city); the map
    counts warnings, or per 10,000 residents with measure "per10k"."""
    cfg = acks.config(hub)
    lights = (hub.module_config.get("key_work") or KeyWorkConfig()).lights.rules()
    view = in_force(hub, cfg, county, today, lights)
    frame = view.frame
    names = place_names(hub)
    principal = current_principal()
    notes = list(view.notes)
    ack_map: dict = {}
    unacked: int | None = None
    try:
        ack_map = get_store(hub).acks(list(frame["warning_id"]))
        unacked = int(sum(1 for w in frame["warning_id"] if not ack_map.get(w)))
    except StoreError as exc:
        notes.append(f"签收记录暂不可用：{exc}")
    source_note = ""
    if view.source.error:
        source_note = result_state_text(view.source)
    shown = frame
    if levels is not None:
        shown = shown[shown["level"].isin(levels)]
    if domain and domain != "all":
        shown = shown[shown["domain"] == domain]
    outlines = county_outlines(str(hub.settings.city.map_path()))
    counties = [c.code for c in hub.settings.city.counties]
    points = map_points(frame, outlines)
    stamp = as_of(view.source.as_of)
    list_note = f"共 {len(shown)} 条（按级别、发布时间排序）；预警发布系统数据截至 {stamp}"
    if source_note:
        list_note += f"；{source_note}"
    summary = figures.summary(level_counts(frame), len(view.made), unacked, view.source.as_of)
    if view.source.error:
        # On the panel itself, above the counts: the figures below are last good ones (and
        # from when), or there are none because the source does not answer.
        summary = [source_state(view.source), *summary]
    return {
        "summary": summary,
        "by_domain": figures.domain_bar(domain_level_table(frame)),
        "map": figures.risk_map(
            outlines,
            county_counts(frame, counties),
            points,
            county,
            maps.population(hub.settings) if measure == maps.PER_10K else None,
        ),
        "map_note": (
            f"县区按在发布预警条数着色；圆点为有坐标的预警，菱形为驾驶舱预警（按县区）；数据截至 {stamp}"
        ),
        "rows": figures.warning_rows(
            shown,
            ack_map,
            names,
            acks.may_ack(principal, cfg),
            principal.user_id,
            highlight,
            local_time,
        ),
        "list_note": list_note,
        "notes": [html.Li(n) for n in notes],
        "frame": frame,
    }


def build_trend(hub: DataHub, period: str, county: str | None) -> tuple:
    """New and lifted warnings per month, the `trend_months` months up to the period."""
    cfg = acks.config(hub)
    months = month_range(period, cfg.trend_months)
    start = dt.datetime.fromisoformat(f"{months[0]}-01")
    _, end = data.month_bounds(period)
    issued = data.issued_by_month(hub, start, end, county)
    lifted = data.lifted_by_month(hub, start, end, county)
    frame = trend(issued.frame, lifted.frame, months)
    note = f"{month_label(months[0])}至{month_label(months[-1])}，预警发布系统数据截至 {as_of(issued.as_of)}"
    errors = [r.error for r in (issued, lifted) if r.error]
    if errors:
        note += "；" + "；".join(errors)
    return figures.trend_chart(frame), note, frame


def register_callbacks(app: Dash, hub: DataHub) -> None:
    """Wire the screen: filters -> everything; 签收 -> store -> refresh; map click -> county."""

    maps.register_map(app, "risk-map")

    @app.callback(
        Output("risk-summary", "children"),
        Output("risk-by-domain", "figure"),
        Output("risk-map-values", "data"),
        Output("risk-map-note", "children"),
        Output("risk-list", "children"),
        Output("risk-list-note", "children"),
        Output("risk-notes", "children"),
        Input("filter-period", "value"),
        Input("filter-county", "value"),
        Input("risk-levels", "value"),
        Input("risk-domain", "value"),
        Input("risk-refresh", "data"),
        Input("risk-map-measure", "value"),
        State("url", "search"),
    )
    def update_screen(period, county, levels, domain, _refresh, measure, search):
        """The screen for the selected period and county."""
        if not period:
            return (no_update,) * 7
        built = build_screen(
            hub,
            period,
            screen_county(county),
            clock.today(),
            levels or [],
            domain or "all",
            highlighted(search),
            measure,
        )
        return (
            built["summary"],
            built["by_domain"],
            maps.map_values(built["map"], str(hub.settings.city.map_path())),
            built["map_note"],
            built["rows"],
            built["list_note"],
            built["notes"],
        )

    @app.callback(
        Output("risk-trend", "figure"),
        Output("risk-trend-note", "children"),
        Input("filter-period", "value"),
        Input("filter-county", "value"),
    )
    @cached_output(hub, "risk-trend")  # the screen itself shows acknowledgements: not cached
    def update_trend(period, county):
        """The trend of new and lifted warnings."""
        if not period:
            return no_update, no_update
        fig, note, _ = build_trend(hub, period, screen_county(county))
        return fig, note

    @app.callback(
        Output("risk-ack-message", "children"),
        Output("risk-refresh", "data"),
        Input({"type": "risk-ack", "warning": ALL}, "n_clicks"),
        State("filter-period", "value"),
        State("filter-county", "value"),
        State("risk-refresh", "data"),
        prevent_initial_call=True,
    )
    def acknowledge(_clicks, period, county, refresh):
        """签收 the clicked warning; the user is told whether it was recorded."""
        clicked = any(t.get("value") for t in ctx.triggered or [])
        warning_id = ids.triggered_key(ctx.triggered_id, "warning")
        if not clicked or warning_id is None or not period:
            return no_update, no_update
        # Only a name: acks.acknowledge looks the warning up again within the user's scope.
        outcome = acks.acknowledge(hub, warning_id, period, screen_county(county), clock.today())
        alert = html.Div(
            outcome.message,
            role="alert",
            className="kw-alert " + ("kw-alert-ok" if outcome.ok else "kw-alert-error"),
        )
        return alert, (refresh or 0) + 1 if outcome.ok else no_update

    @app.callback(
        Output("filter-county", "value", allow_duplicate=True),
        Input("risk-map", "clickData"),
        prevent_initial_call=True,
    )
    def clickscreen_county(click):
        """Clicking a county (or a warning in it) filters the screen to that county."""
        points = (click or {}).get("points") or []
        value = points[0].get("customdata") if points else None
        if isinstance(value, list):
            value = value[0] if value else None
        return str(value) if value else no_update

    # A link to one warning (?warning=<id>) brings its row into view once the list is drawn.
    app.clientside_callback(
        """
        function(rows, search) {
            const m = /[?&]warning=([^&]+)/.exec(search || '');
            if (!m) { return null; }
            const row = document.getElementById('risk-row-' + decodeURIComponent(m[1]));
            if (row) { row.scrollIntoView({behavior: 'smooth', block: 'center'}); }
            return m[1];
        }
        """,
        Output("risk-scroll", "data"),
        Input("risk-list", "children"),
        State("url", "search"),
        prevent_initial_call=True,
    )
