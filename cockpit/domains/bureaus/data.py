"""市局直通's questions to the data: which bureaus there are, and what one bureau answers for.

There is no list of bureaus to keep: the bureaus are the city-level units the data already
names, collected from the 重点工作 lead and co-units (key_work.tasks), the units responsible
for risk warnings (risk.warnings), the source departments of the indicator catalog
(config/indicators.yaml) and the city-level units of the 一键直联 directory. Everything is read
through the hub or the directory within the user's scope, so a bureau page shows a county user
only their own counties' tasks, warnings and county offices, whatever a request asks for.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace

import pandas as pd

from cockpit.directory import Contact
from cockpit.hub import DataHub, Result
from cockpit.settings import Indicator
from data_sources.query import DatasetQuery, Filter, Measure

# A bureau's name: a city unit, never a county's office or the government itself.
CITY_UNIT = re.compile(r"^市.{1,30}$")
NOT_BUREAUS = frozenset({"市人民政府"})
SPLIT = re.compile(r"[、,，;；\s]+")


def is_bureau(name: str) -> bool:
    """Is this a city-level unit (市发改委, 市应急管理局 ...) rather than a county office?"""
    return bool(CITY_UNIT.match(name)) and name not in NOT_BUREAUS


def units_in(values: object) -> list[str]:
    """The unit names in a cell that may list several (配合单位: 市财政局、市发改委)."""
    if values is None or (not isinstance(values, str) and pd.isna(values)):
        return []
    return [u for u in SPLIT.split(str(values)) if u]


def bureau_names(
    tasks: pd.DataFrame,
    warnings: pd.DataFrame,
    indicators: tuple[Indicator, ...],
    contacts: list[Contact],
    city_code: str,
) -> list[str]:
    """Every bureau the data names, by name (pure: the caller reads the data)."""
    names: set[str] = set()
    for column in ("lead_unit", "co_units"):
        if column in tasks.columns:
            for cell in tasks[column]:
                names.update(units_in(cell))
    if "responsible_unit" in warnings.columns:
        names.update(str(u) for u in warnings["responsible_unit"].dropna())
    names.update(i.department for i in indicators if i.department)
    names.update(c.org for c in contacts if c.county_code == city_code)
    return sorted(n for n in names if is_bureau(n))


def all_bureaus(hub: DataHub) -> list[str]:
    """The bureaus the data names, as this user's data shows them."""
    from cockpit import calls, directory
    from cockpit.domains.key_work import data as key_work
    from cockpit.store import StoreError, get_store

    tasks = key_work.tasks(hub, None).frame
    query = DatasetQuery(columns=("responsible_unit",))
    warnings = hub.query("risk.warnings", query).frame if hub.has("risk.warnings") else None
    try:
        people = directory.listing(get_store(hub), visible=lambda c: calls.visible(hub, c))
    except StoreError:
        people = []
    return bureau_names(
        tasks,
        warnings if warnings is not None else pd.DataFrame(),
        hub.settings.indicators,
        people,
        hub.settings.city.code,
    )


@dataclass
class BureauView:
    """What one bureau answers for, as this user may see it."""

    name: str
    tasks: pd.DataFrame  # the tasks it leads (with their lights), most urgent first
    co_tasks: pd.DataFrame  # the tasks it helps with (配合单位)
    tasks_result: Result | None = None
    warnings: pd.DataFrame = field(default_factory=pd.DataFrame)
    warnings_result: Result | None = None
    indicators: tuple[Indicator, ...] = ()
    contacts: list[Contact] = field(default_factory=list)
    tickets: int | None = None  # 12345 tickets assigned to it this month
    tickets_result: Result | None = None
    # Each indicator it is the source department of, with its latest reading (economy rules).
    figures: list = field(default_factory=list)
    figures_result: Result | None = None


LIGHT_ORDER = {"red": 0, "yellow": 1, "green": 2, "done": 3}


def led_tasks(lit: pd.DataFrame, name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(tasks the bureau leads, tasks it helps with), most urgent light first (pure)."""
    if lit.empty:
        return lit, lit
    led = lit[lit["lead_unit"].astype(str) == name]
    helps = lit[[name in units_in(c) for c in lit.get("co_units", pd.Series(index=lit.index))]]

    def ordered(frame: pd.DataFrame) -> pd.DataFrame:
        if frame.empty or "light" not in frame.columns:
            return frame
        rank = frame["light"].map(LIGHT_ORDER).fillna(9)
        return frame.assign(_rank=rank).sort_values(["_rank", "deadline"]).drop(columns="_rank")

    return ordered(led), ordered(helps)


def bureau_warnings(warnings: pd.DataFrame, name: str) -> pd.DataFrame:
    """The warnings in force the bureau answers for (responsible unit) or issued (pure)."""
    if warnings.empty:
        return warnings
    mine = warnings["responsible_unit"].astype(str) == name
    if "source" in warnings.columns:
        mine |= warnings["source"].astype(str) == name
    return warnings[mine].sort_values(["level", "issued_at"], ascending=[True, False])


def bureau_contacts(
    contacts: list[Contact], name: str, county_names: dict[str, str]
) -> list[Contact]:
    """The bureau's people: the city unit first, then its county offices (市应急管理局 ->
    潞城区应急管理局) the user may see (the caller passes only those)."""
    local = {f"{county}{name.removeprefix('市')}" for county in county_names.values()}
    return [c for c in contacts if c.org == name] + [c for c in contacts if c.org in local]


def bureau_view(
    hub: DataHub, name: str, county: str | None, period: str, today: dt.date
) -> BureauView:
    """Everything the bureau page shows for one bureau, a county (None: the user's whole
    scope) and a month; the hub adds the user's scope to every query."""
    from cockpit import calls, directory
    from cockpit.domains.key_work import data as key_work
    from cockpit.domains.key_work.transform import with_lights
    from cockpit.domains.overview import data as overview
    from cockpit.store import StoreError, get_store

    tasks = key_work.tasks(hub, county)
    lights = hub.module_config.get("key_work")
    rules = lights.lights.rules() if lights is not None else None
    milestones, _ = key_work.usable_milestones(key_work.milestones(hub, county))
    lit = (
        with_lights(tasks.frame, today, rules, milestones) if not tasks.frame.empty else tasks.frame
    )
    led, helps = led_tasks(lit, name)
    view = BureauView(name, led, helps, tasks_result=tasks)
    if hub.has("risk.warnings"):
        warnings = overview.warnings_in_force(hub, county, today)
        view.warnings = bureau_warnings(warnings.frame, name)
        view.warnings_result = replace(warnings, frame=view.warnings)
    view.indicators = tuple(i for i in hub.settings.indicators if i.department == name)
    if view.indicators and hub.has("economy.indicator_values"):
        from cockpit.domains.economy.transform import indicator_figure

        place = county or hub.settings.city.code
        rows = overview.economy_rows(hub, period, place)
        view.figures_result = rows
        counties = [c.code for c in hub.settings.city.counties]
        view.figures = [
            (i, indicator_figure(rows.frame, i, period, place, counties=counties, today=today))
            for i in view.indicators
        ]
    try:
        people = directory.listing(get_store(hub), visible=lambda c: calls.visible(hub, c))
    except StoreError:
        people = []
    if county:  # a county on screen: its own offices only, beside the city unit
        people = [p for p in people if p.county_code in (county, hub.settings.city.code)]
    view.contacts = bureau_contacts(people, name, hub.settings.city.county_names)
    if hub.has("hotline.tickets"):
        start, end = overview.month_bounds(period)
        query = DatasetQuery(
            filters=(
                Filter("responsible_unit", "eq", name),
                Filter("received_at", "ge", start),
                Filter("received_at", "lt", end),
                *overview.county_filter(county),
            ),
            measures=(Measure("tickets", "count"),),
        )
        result = hub.query("hotline.tickets", query)
        view.tickets_result = result
        if result.ok and not result.frame.empty:
            view.tickets = int(result.frame["tickets"].iloc[0])
    return view
