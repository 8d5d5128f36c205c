"""The emergency screen's callbacks: thin wiring around build_view() and screen_update().

One refresh callback serves the first render, a change of county, a selection, a layer
switch and every live tick. It rebuilds the whole view (cheap: a handful of rows), then
compares each part with the fingerprints the browser holds (emergency-snapshot) and sends
only what changed: a panel's new children, or a dash.Patch replacing just the map layers
that moved. A new county (or a fresh page) gets everything.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from dash import ALL, Dash, Input, Output, Patch, State, ctx, no_update
from dash.exceptions import PreventUpdate

from cockpit import clock, ids, links, maps
from cockpit.domains.emergency import data
from cockpit.domains.emergency.config import EmergencyConfig
from cockpit.domains.emergency.transform import (
    active_only,
    build_timeline,
    count_rows,
    nearest_resources,
    new_events,
    pick_event,
    response_in_force,
    roster_rows,
)
from cockpit.hub import DataHub, Result
from cockpit.maps import county_outlines
from cockpit.shell import CITY_WIDE
from panels.emergency import components as ui
from panels.emergency.figures import LAYER_INDEX, LAYERS, live_layers, lon_scale, map_figure
from panels.emergency.screen_state import changed, fingerprint

# Output name -> (component id, property). The refresh callback returns a dict with these keys.
OUTPUTS: dict[str, tuple[str, str]] = {
    "figure": ("emergency-map-values", "data"),  # drawn into emergency-map by assets/maps.js
    "response": ("emergency-response", "children"),
    "summary": ("emergency-summary", "children"),
    "events": ("emergency-events", "children"),
    "counts": ("emergency-counts", "children"),
    "detail": ("emergency-detail", "children"),
    "nearest_title": ("emergency-nearest-title", "children"),
    "nearest": ("emergency-nearest", "children"),
    "warnings": ("emergency-warnings", "children"),
    "roster": ("emergency-roster", "children"),
    "map_note": ("emergency-map-note", "children"),
    "live_state": ("emergency-live-state", "children"),
    "live_disabled": ("emergency-live", "disabled"),
    "live_interval": ("emergency-live", "interval"),
    "watch_disabled": ("emergency-watch", "disabled"),
    "watch_interval": ("emergency-watch", "interval"),
    "banner_text": ("emergency-banner-text", "children"),
    "banner_class": ("emergency-banner", "className"),
    "announced": ("emergency-announced", "data"),
    "seen": ("emergency-seen", "data"),
    "snapshot": ("emergency-snapshot", "data"),
}
BANNER_SHOWN = "emergency-banner is-shown"
BANNER_HIDDEN = "emergency-banner"


@dataclass
class View:
    """Everything the screen shows for one county at one moment, before diffing."""

    county: str | None
    k: float
    outlines: dict
    sections: dict[str, Any]  # output name -> value, for every output but the figure
    layers: dict[str, dict]  # live map layers (trace dicts) by name
    active: pd.DataFrame
    selected: str | None
    results: dict[str, Result] = field(default_factory=dict)


def build_view(
    hub: DataHub,
    config: EmergencyConfig,
    county: str | None,
    selected: str | None,
    shown_layers: list[str] | None,
    now: dt.datetime,
    k: float = 1.0,
) -> View:
    """Ask the hub for everything the screen shows and render it (no diffing here).

    `k` scales the map's symbols and text (2 on 4K wall screens, where the page is twice as big).
    """
    bound = data.window_bound(now, config.refresh_seconds)
    names = hub.settings.city.county_names
    events_seen = data.events_probe(hub, county, bound)
    active_result = data.active_events(hub, county, events_seen, bound)
    active = active_only(active_result.frame)
    active_result.frame = active
    event_id = pick_event(active, selected)
    event = active[active["event_id"] == event_id].iloc[0].to_dict() if event_id else None

    counts = data.event_counts(hub, county, now, events_seen, bound)
    by_level = count_rows(counts.frame, "level", ui.level_labels())
    by_category = count_rows(counts.frame, "category", ui.category_labels())

    warnings = data.warnings_in_force(hub, county, data.warnings_probe(hub, county, bound), bound)
    resources = data.resources(hub, data.resources_probe(hub, bound), bound)
    nearest = (
        nearest_resources(resources.frame, event["lon"], event["lat"], config.nearest_per_kind)
        if event is not None
        else pd.DataFrame()
    )
    if event_id and event is not None:
        timeline = data.timeline(hub, event_id, data.timeline_probe(hub, event_id, bound), bound)
        entries = build_timeline(timeline.frame, event.get("reported_at"))
    else:
        timeline, entries = Result("emergency.timeline", pd.DataFrame(), "", False), []
    duty = data.duty_roster(hub, now.date())

    outlines = county_outlines(str(hub.settings.city.map_path()))
    scale = lon_scale(str(hub.settings.city.map_path()))
    layers = live_layers(
        active, warnings.frame, resources.frame, event, nearest, scale, shown_layers, k
    )
    # Live while anything is active; also while the events source fails, so the screen
    # picks the events up again as soon as the source answers.
    is_live = not active.empty or bool(active_result.error and not active_result.stale)
    sections = {
        "response": ui.response_badge(*response_in_force(active)),
        "summary": ui.summary(active_result, warnings),
        "events": ui.event_list(active_result, event_id),
        "counts": ui.count_tables(counts, by_level, by_category, now),
        "detail": ui.event_detail(event, names, entries, timeline, active_result),
        "nearest_title": "就近应急资源" + (f" · 距{event['title']}" if event else ""),
        "nearest": ui.nearest_panel(event, nearest, resources, names),
        "warnings": ui.warnings_list(warnings, names),
        "roster": ui.roster(duty, roster_rows(duty.frame), now.date()),
        "map_note": _map_note(active_result, warnings, resources),
        "live_state": ui.live_state(
            is_live, config.refresh_seconds, config.idle_check_seconds, active_result
        ),
        "live_disabled": not is_live,
        "live_interval": config.refresh_seconds * 1000,
        "watch_disabled": is_live or config.idle_check_seconds == 0,
        "watch_interval": max(config.idle_check_seconds, 1) * 1000,
    }
    return View(
        county,
        k,
        outlines,
        sections,
        layers,
        active,
        event_id,
        {"events": active_result, "warnings": warnings, "resources": resources},
    )


def _map_note(events: Result, warnings: Result, resources: Result) -> list:
    """The map's sources: each layer's 数据截至, or its own error."""
    return [
        ui.source_note(events, "事件"),
        ui.source_note(warnings, "预警"),
        ui.source_note(resources, "资源"),
    ]


def screen_update(view: View, snapshot: dict | None, seen: list[str] | None) -> dict[str, Any]:
    """The outputs to send: everything on a fresh screen, else only what changed.

    The map goes as a full figure the first time and as a dash.Patch of the changed layers
    after that; a panel that did not change is no_update (nothing sent).
    """
    # A new county or a new screen size redraws everything; the rest is diffed.
    county_key = _county_key(view)
    prints = {name: fingerprint(value) for name, value in view.sections.items()}
    layer_prints = {name: fingerprint(trace) for name, trace in view.layers.items()}
    held = snapshot or {}  # what the browser holds (nothing on a fresh screen)
    full = not held or held.get("county") != county_key
    dirty = changed(None if full else held.get("sections"), prints)
    out: dict[str, Any] = {
        name: value if name in dirty else no_update for name, value in view.sections.items()
    }
    if full:
        out["figure"] = map_figure(view.outlines, view.county, view.layers, view.k)
    else:
        moved = changed(held.get("layers"), layer_prints)
        if moved:
            patch = Patch()
            for name in (n for n in LAYERS if n in moved):
                patch["data"][LAYER_INDEX[name]] = view.layers[name]
            out["figure"] = patch
        else:
            out["figure"] = no_update

    active_ids = [str(i) for i in view.active["event_id"]] if not view.active.empty else []
    # With the events source down, "no events" is not news: announcing nothing and keeping
    # what this browser has seen avoids announcing every event again when it comes back.
    events = view.results.get("events")
    trusted = events is None or not events.error or events.stale
    fresh = new_events(active_ids, seen) if trusted else []
    if fresh:
        rows = view.active[view.active["event_id"].astype(str).isin(fresh)]
        out["banner_text"] = ui.banner_text(rows)
        out["banner_class"] = BANNER_SHOWN
        out["announced"] = str(rows["event_id"].iloc[0])  # the most severe of the new ones
    else:
        out["banner_text"] = out["banner_class"] = out["announced"] = no_update
    unseen = seen is None or sorted(seen) != sorted(active_ids)
    out["seen"] = active_ids if trusted and unseen else no_update
    out["snapshot"] = _snapshot(view, prints, layer_prints, snapshot)
    return out


def _snapshot(view: View, prints: dict, layer_prints: dict, previous: dict | None) -> Any:
    """The fingerprints the browser keeps for the next diff (no_update when unchanged)."""
    current = {"county": _county_key(view), "sections": prints, "layers": layer_prints}
    return current if current != previous else no_update


def _county_key(view: View) -> str:
    """What redraws everything when it changes: the county and the screen scale."""
    return f"{view.county or CITY_WIDE}@{view.k:g}"


def selection_from(
    trigger: Any, value: Any, click: dict | None, announced: str | None
) -> str | None:
    """The event a tap chose: a list item, an event on the map, or the banner's 查看."""
    if isinstance(trigger, dict) and trigger.get("type") == ui.EVENT_ITEM:
        return ids.triggered_key(trigger, "index") if value else None
    if trigger == "emergency-map":
        points = (click or {}).get("points") or []
        data_ = points[0].get("customdata") if points else None
        if isinstance(data_, list) and len(data_) == 2 and data_[0] == "event":
            return str(data_[1])
        return None
    if trigger == "emergency-banner-view":
        return announced or None
    return None


def register_callbacks(app: Dash, hub: DataHub) -> None:
    """Wire the screen: refresh (first render, county, selection, layers, live ticks), selection,
    the idle check for new events, and closing the banner."""
    config: EmergencyConfig = hub.module_config.get("emergency") or EmergencyConfig()
    maps.register_map(app, "emergency-map", controls=False)  # its own layers and selection
    links.select_from_link(app, "event", "emergency-selected")  # /emergency?event=<id>
    # 「已更新」 on this screen is the server's city time of the last answer (assets/emergency.js).
    app.server.after_request(clock.stamp_time)

    @app.callback(
        output={name: Output(cid, prop) for name, (cid, prop) in OUTPUTS.items()},
        inputs={
            "county": Input("filter-county", "value"),
            "selected": Input("emergency-selected", "data"),
            "tick": Input("emergency-live", "n_intervals"),
            "poke": Input("emergency-poke", "data"),
            "layers": Input("emergency-layers", "value"),
            "viewport": Input("emergency-viewport", "data"),
        },
        state={
            "snapshot": State("emergency-snapshot", "data"),
            "seen": State("emergency-seen", "data"),
        },
    )
    def refresh(county, selected, tick, poke, layers, viewport, snapshot, seen):
        """Build the screen and send what changed since the browser's snapshot."""
        place = None if county in (None, CITY_WIDE) else county
        k = 2.0 if viewport == 2 else 1.0
        view = build_view(hub, config, place, selected, layers, clock.now(), k)
        out = screen_update(view, snapshot, seen)
        if all(value is no_update for value in out.values()):
            raise PreventUpdate  # nothing changed: send nothing at all
        out["figure"] = maps.values_update(out["figure"], str(hub.settings.city.map_path()))
        return out

    @app.callback(
        Output("emergency-selected", "data"),
        Output("emergency-banner", "className", allow_duplicate=True),
        Input("emergency-map", "clickData"),
        Input({"type": ui.EVENT_ITEM, "index": ALL}, "n_clicks"),
        Input("emergency-banner-view", "n_clicks"),
        State("emergency-announced", "data"),
        prevent_initial_call=True,
    )
    def select(click, _items, _view, announced):
        """Remember the event the user chose (the refresh then shows its details)."""
        value = ctx.triggered[0]["value"] if ctx.triggered else None
        chosen = selection_from(ctx.triggered_id, value, click, announced)
        if chosen is None:
            raise PreventUpdate
        hide = BANNER_HIDDEN if ctx.triggered_id == "emergency-banner-view" else no_update
        return chosen, hide

    @app.callback(
        Output("emergency-poke", "data", allow_duplicate=True),
        Input("emergency-watch", "n_intervals"),
        State("filter-county", "value"),
        State("emergency-live", "disabled"),
        prevent_initial_call=True,
    )
    def watch(_n, county, live_disabled):
        """With nothing active, one count of active events; wake the screen if there is one."""
        if live_disabled is False:
            raise PreventUpdate
        now = clock.now()
        if not idle_check(hub, config, None if county in (None, CITY_WIDE) else county, now):
            raise PreventUpdate
        return now.isoformat()

    # Wall screens of 2560 px and more (4K) get symbols and map text twice the size.
    app.clientside_callback(
        "function(_id) { return window.innerWidth >= 2560 ? 2 : 1; }",
        Output("emergency-viewport", "data"),
        Input("emergency-page", "id"),
    )

    app.clientside_callback(
        """
        function(n) { return n ? 'emergency-banner' : window.dash_clientside.no_update; }
        """,
        Output("emergency-banner", "className", allow_duplicate=True),
        Input("emergency-banner-close", "n_clicks"),
        prevent_initial_call=True,
    )


def idle_check(hub: DataHub, config: EmergencyConfig, county: str | None, now: dt.datetime) -> bool:
    """Is any event active in view? One aggregate query, fresh once per idle window."""
    bound = data.window_bound(now, config.idle_check_seconds or config.refresh_seconds)
    return bool(data.probe_count(data.events_probe(hub, county, bound), "active"))
