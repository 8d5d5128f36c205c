"""一屏知全市 on the wall: the five modules' headlines either side of the county map and what
needs attention, from the same builders as the desk page (callbacks.build_overview)."""

from __future__ import annotations

from dash import html

from cockpit import clock
from cockpit import wall_views as w
from cockpit.domains.overview.transform import ModuleCard
from cockpit.formatting import freshness, month_label, number
from cockpit.hub import DataHub
from cockpit.maps import county_map, county_outlines
from panels.overview.callbacks import build_overview, map_values

ATTENTION_SHOWN = 5  # what fits under the map at 20 px; the most urgent first


def card(c: ModuleCard) -> html.Section:
    """A module's headline figures, with the period and 数据截至 (or its source's state)."""
    title = f"{c.title} · {c.period}" if c.period else c.title
    state = w.note(c.error) if c.error else w.note(freshness(c.as_of, c.late_by))
    stats = [w.figure(s.value, s.unit, s.label, s.note, s.status) for s in c.stats]
    return w.box(title, html.Div(stats, className="wall-figures"), state, cls=f"ov-{c.key}")


def view(hub: DataHub, period: str, county: str | None) -> list:
    """The overview screen for a period and county (None = the whole city)."""
    built = build_overview(hub, period, county, clock.today())
    values, texts, title, note = map_values(hub, "hotline", period)
    path = str(hub.settings.city.map_path())
    the_map = county_map(county_outlines(path), values, texts, county)
    place = hub.settings.city.county_names.get(county or "", hub.settings.city.name)
    # The domains of config/domains/ have screens of their own in the carousel; here, their
    # warnings and red lights join what needs attention, the most urgent first.
    everything = sorted(built["attention"] + built["domain_attention"], key=lambda a: a.severity)
    attention = [(f"sev-{a.severity}", a.module, a.text) for a in everything[:ATTENTION_SHOWN]]
    more = len(everything) - ATTENTION_SHOWN
    return [
        html.Div(f"{place} · {month_label(period)}", className="wall-screen-place"),
        html.Div([card(c) for c in built["left"]], className="ov-column"),
        html.Div(
            className="ov-centre",
            children=[
                w.box(
                    title,
                    w.map_chart(the_map, hub),
                    w.legend(values, "件", lambda v: number(v, 0)),
                    w.note(note.replace(" · 点击县区查看本县区", "")),
                    cls="ov-map",
                ),
                w.box(
                    "需要关注" + (f"（另有{more}项）" if more > 0 else ""),
                    w.items(attention, "当前没有需要特别关注的事项"),
                    cls="ov-attention",
                ),
            ],
        ),
        html.Div([card(c) for c in built["right"]], className="ov-column"),
    ]
