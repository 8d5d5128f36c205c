"""An economy indicator's reading for a period and place: the one truth of its figures.

The economy page (panels/economy) and the briefing (cockpit/domains/briefing) both read the
indicators through build_readings, so a figure in the 要情专报 is the figure on the screen
(tests/unit/test_briefing_one_truth.py). Plain functions of (hub, period, county): no Dash.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from cockpit import clock
from cockpit.components import result_state_text
from cockpit.domains.economy import data
from cockpit.domains.economy.config import EconomyConfig
from cockpit.domains.economy.transform import Reading, reading, sentence
from cockpit.formatting import as_of, freshness
from cockpit.hub import DataHub, Result
from cockpit.settings import Indicator
from cockpit.shell import CITY_WIDE

CITY_PLACE = "全市"


def config_of(hub: DataHub) -> EconomyConfig:
    """The module's validated settings (defaults when config/economy.yaml has none)."""
    config = hub.module_config.get("economy")
    return config if isinstance(config, EconomyConfig) else EconomyConfig()


def chosen_indicator(hub: DataHub, indicator_id: str | None) -> Indicator:
    """The indicator asked for, else the configured default, else the catalog's first."""
    catalog = hub.settings.indicator_map
    if isinstance(indicator_id, str) and indicator_id in catalog:
        return catalog[indicator_id]
    default = config_of(hub).default_indicator
    return catalog[default] if default in catalog else hub.settings.indicators[0]


def place_of(hub: DataHub, county: str | None) -> str:
    """The place code the screen shows: a county the user may see, or the city's own code
    for 全市 (published city totals: every user may see them).

    The page reads every county's rows to rank them (data.year_rows), so the place is checked
    here against the user's scope from the server: a county outside it (a forged request or
    a stale link) is audited and shows the city instead, never that county's figures.
    """
    city = hub.settings.city.code
    if county in (None, "", CITY_WIDE, city):
        return city
    if county in hub.visible_places(data.DATASET, hub.principal()):
        return county
    hub.record_out_of_scope(data.DATASET, [str(county)])
    return city


def place_name(hub: DataHub, place: str) -> str:
    """全市, or the county's name."""
    return hub.settings.city.county_names.get(place, CITY_PLACE)


def rows_of(result: Result) -> pd.DataFrame:
    """The result's rows, with the contract's columns even when the source gave nothing."""
    if result.frame.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in data.COLUMNS})
    return result.frame


def error_text(result: Result) -> str:
    """The source's failure, and what the data check held back or flagged (#18: a figure the
    check doubts is never shown silently)."""
    parts = [result_state_text(result)] if result.error else []
    if result.notice:
        parts.append(f"数据核查：{result.notice}")
    return "；".join(parts)


@dataclass
class Readings:
    """Every indicator's reading for a period and place, with the data's state."""

    place: str
    place_name: str
    readings: list[Reading] = field(default_factory=list)
    sentences: list[str] = field(default_factory=list)
    as_of: str = "未知"
    error: str = ""
    is_demo: bool = False
    as_of_time: dt.datetime | None = None
    late_by: dt.timedelta | None = None  # past the dataset's max_age_hours (Result.late_by)

    @property
    def freshness(self) -> str:
        """'数据截至 2024-04-15 · 已超期915天': the overview's rule and wording."""
        return freshness(self.as_of_time, self.late_by)


def indicator_reading(
    rows: pd.DataFrame, hub: DataHub, indicator: Indicator, period: str, place: str
) -> Reading:
    """One indicator's reading from the year's rows, with the module's own settings."""
    config = config_of(hub)
    extras = config.extras(indicator.id)
    return reading(
        rows,
        indicator,
        period,
        place,
        [c.code for c in hub.settings.city.counties],
        short_name=config.short_name(indicator),
        level_targets=extras.level_targets,
        progress_margin=config.margin(indicator.id),
        rank_by=extras.rank_by,
        today=clock.today(),
    )


def build_readings(hub: DataHub, period: str, county: str | None) -> Readings:
    """Every indicator's reading for the place and its plain-language line."""
    place = place_of(hub, county)
    name = place_name(hub, place)
    result = data.year_rows(hub, period)
    rows = rows_of(result)
    config = config_of(hub)
    out = Readings(
        place,
        name,
        as_of=as_of(result.as_of),
        error=error_text(result),
        is_demo=result.is_demo,
        as_of_time=result.as_of,
        late_by=result.late_by(),
    )
    for indicator in hub.settings.indicators:
        r = indicator_reading(rows, hub, indicator, period, place)
        extras = config.extras(indicator.id)
        out.readings.append(r)
        out.sentences.append(sentence(r, name, extras.rise_word, extras.fall_word))
    return out
