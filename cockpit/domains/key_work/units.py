"""The 承办单位 the data knows: the key tasks' lead units and the 12345 tickets' units.

A unit account is bound to one of these names (the admin form offers them and the account
functions refuse any other), because an item reaches a unit by exact name: a task's item takes
its `lead_unit`, a ticket's item its `responsible_unit` (cockpit/domains/key_work/duban.py).
"""

from __future__ import annotations

from cockpit.hub import DataHub
from cockpit.scope import Principal, acting_as
from data_sources.query import DatasetQuery, Measure

CITY_WIDE = Principal("system", "system", None, frozenset(), "系统")
# (dataset, the column naming the unit): where 督办 items take their unit from.
SOURCES = (("key_work.tasks", "lead_unit"), ("hotline.tickets", "responsible_unit"))


def known_units(hub: DataHub) -> list[str]:
    """Every unit name of the city, sorted; a source that fails adds none (logged by the hub).

    Read as the system, for the whole city: an administrator's own scope holds no county, and
    unit names are the city's organisation (no personal data, only the names leave here)."""
    names: set[str] = set()
    for dataset, column in SOURCES:
        query = DatasetQuery(group_by=(column,), measures=(Measure("n", "count"),))
        with acting_as(CITY_WIDE):
            answer = hub.query(dataset, query)
        if answer.error or column not in answer.frame:
            continue
        names |= {str(v).strip() for v in answer.frame[column].dropna() if str(v).strip()}
    return sorted(names)
