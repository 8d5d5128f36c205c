"""What a configured domain's screen shows for a period and county, computed once from the
domain's own rules (cockpit.domains.configured) for the desk page, the wall and the export."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import plotly.graph_objects as go

from cockpit import maps
from cockpit.domains.configured import data, readings
from cockpit.domains.configured.schema import Domain
from cockpit.formatting import number
from cockpit.hub import DataHub
from cockpit.scope import hide_outside_scope


@dataclass
class Screen:
    """A domain's figures for one period and place."""

    domain: Domain
    period: str
    place: str  # county code or the city's code
    place_name: str
    loaded: data.Loaded
    names: dict[str, str]  # county code -> name (and the city's code -> 全市, or the scope's)
    counties: list[str]
    figures: dict[str, readings.Figure] = field(default_factory=dict)
    alerts: list[readings.Alert] = field(default_factory=list)

    def ranking(self, indicator: str) -> pd.DataFrame:
        """The counties ranked by the indicator's value at the period."""
        ind = next(i for i in self.domain.indicators if i.id == indicator)
        return readings.ranking(
            self.domain, ind, self.loaded.rows[indicator], self.period, self.counties
        )

    def trend(self, indicator: str) -> pd.DataFrame:
        """The indicator's rows of the place, this year and last (period, value)."""
        ind = next(i for i in self.domain.indicators if i.id == indicator)
        kind = "cumulative" if ind.form == "cumulative" else "month"
        rows = self.loaded.rows[indicator]
        mine = rows[(rows.county_code == self.place) & (rows.period_type == kind)]
        return mine[mine.period <= self.period].sort_values("period")


def build(hub: DataHub, domain: Domain, period: str, county: str | None) -> Screen:
    """Every figure of the domain's screen for the period and county (None: the whole city)."""
    city = hub.settings.city
    counties = [c.code for c in city.counties]
    # The whole of what this user may see: 全市 for a city account, its counties' names for
    # a county account (whose total is theirs, not the city's).
    scope = hub.principal().counties
    whole = (
        "全市" if scope is None else "、".join(city.county_names.get(c, c) for c in sorted(scope))
    )
    names = {**city.county_names, city.code: whole}
    county = county if county in counties else None  # an odd value: the whole scope
    place = county or city.code
    loaded = data.load(hub, domain, period)
    screen = Screen(domain, period, place, names[place], loaded, names, counties)
    whole_city = county is None and hub.principal().counties is None  # not a scope's total
    for ind in domain.indicators:
        screen.figures[ind.id] = readings.figure(
            domain, ind, loaded.rows[ind.id], period, place, whole_city=whole_city
        )
    places = {c: names[c] for c in ([county] if county else [*counties, city.code])}
    screen.alerts = readings.alerts(domain, loaded.rows, period, places, city.code)
    return screen


def ranking_map(screen: Screen, indicator: str, hub: DataHub) -> tuple[go.Figure, dict, str]:
    """The county map of the indicator's values, the values, and the map's unit."""
    ind = next(i for i in screen.domain.indicators if i.id == indicator)
    table = screen.ranking(indicator)
    values = {
        c: (None if pd.isna(v) else float(v))
        for c, v in zip(table.county_code, table.value, strict=True)
    }
    texts = {
        c: f"{number(v, ind.decimals, exact=True)}{ind.unit}"
        for c, v in values.items()
        if v is not None
    }
    # Counties outside the user's scope read 无权查看, not — (cockpit.scope).
    values, texts = hide_outside_scope(values, texts, screen.counties, hub.principal())
    path = str(hub.settings.city.map_path())
    figure = maps.county_map(
        maps.county_outlines(path),
        values,
        texts,
        None if screen.place == hub.settings.city.code else screen.place,
        unit=ind.unit,
        title=ind.name,
    )
    return figure, values, ind.unit
