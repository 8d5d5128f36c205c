"""A configured domain's table sections as rows with titled columns, and their export."""

from __future__ import annotations

from typing import Any

import pandas as pd

from cockpit import exports
from cockpit.domains.configured import data, loader
from cockpit.domains.configured.schema import Domain, Section
from cockpit.formatting import freshness, month_label
from cockpit.hub import DataHub, Result


def table_frame(
    hub: DataHub, domain: Domain, s: Section, period: str, county: str | None
) -> tuple[pd.DataFrame, Result]:
    """The section's rows of the month for the county (None: every county in scope), with
    county names and the columns' titles and units as headers."""
    result = data.table(hub, domain, s, period)
    frame = result.frame.copy()
    d = next(x for x in domain.datasets if x.key == s.dataset)
    if county and d.county in frame:
        frame = frame[frame[d.county] == county]
    columns = {c.name: c for c in d.columns}
    names = hub.settings.city.county_names
    if d.county in frame:
        frame[d.county] = frame[d.county].map(lambda c: names.get(c, c))
    shown = [c for c in (s.columns or tuple(columns)) if c in frame]
    titles = {
        c: columns[c].title + (f"（{columns[c].unit}）" if columns[c].unit else "") for c in shown
    }
    if s.count and s.group_by and "count" in frame:
        shown.append("count")
        titles["count"] = s.count
    frame = frame[shown].rename(columns=titles)
    return frame.reset_index(drop=True), result


def builder(key: str, index: int) -> Any:
    """The export builder of the domain's `index`-th section: (hub, params) -> exports.Table."""

    def build(hub: DataHub, params: dict[str, str]) -> exports.Table:
        domain = loader.domain(key)
        if domain is None:
            raise LookupError(key)
        s = domain.screen[index]
        period = params.get("period") or ""
        county = params.get("county") or None
        county = None if county in (None, "all") else county
        frame, result = table_frame(hub, domain, s, period, county)
        header = exports.Header(
            title=s.title or domain.title,
            place=exports.place_label(hub, county),
            period=month_label(period) if period else "",
            as_of=freshness(result.as_of),
            units="见各列",
            is_demo=hub.is_demo(),
        )
        return exports.Table(frame, header, f"{key}-{index}-{period}")

    return build
