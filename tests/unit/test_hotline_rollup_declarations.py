"""The 12345 rollup declarations cannot drift from the KPI definitions (issue #17).

The page's KPI queries (kpis.counts_query) are answered from the rollups only when each
measure's conditions equal a count column's (cockpit.rollups' exact matcher); a KPI condition
changed in kpis.py without its rollup column used to send the page, silently, to the raw rows.
These tests run the matcher itself on the page's real queries, with the declarations as
declared and as rebuilt after a KPI condition changes.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from cockpit import rollups
from cockpit.domains.hotline import kpis
from cockpit.domains.hotline import rollups as hotline_rollups
from cockpit.domains.hotline.config import Definitions
from cockpit.domains.hotline.kpis import Window
from data_sources.query import DatasetQuery, Filter
from tests.contract.test_adapter_contract import FORMER, bound

TICKETS = "hotline.tickets"
TABLE = "hotline_tickets"
NOW = dt.datetime(2026, 11, 21, 15, 37, 12)  # the data's "now" the rollups were built at
CLOSED_MONTH = Window(dt.datetime(2026, 10, 1), dt.datetime(2026, 11, 1), "2026年10月")
MONTH_SO_FAR = Window(dt.datetime(2026, 11, 1), NOW, "2026年11月1日—21日")
# The rows' range of each time column, as a build records it: everything received,
# dispatched and closed before "now"; deadlines run into the weeks ahead.
BOUNDS = {
    "received_at": (dt.datetime(2025, 11, 1), dt.datetime(2026, 11, 21, 15, 0)),
    "dispatched_at": (dt.datetime(2025, 11, 1), dt.datetime(2026, 11, 21, 15, 10)),
    "closed_at": (dt.datetime(2025, 11, 2), dt.datetime(2026, 11, 21, 15, 20)),
    "deadline": (dt.datetime(2025, 11, 3), dt.datetime(2026, 12, 20)),
    "sign_deadline": (dt.datetime(2025, 11, 1), dt.datetime(2026, 11, 25)),
}
# Every on-time definition the configuration allows, the others at their defaults.
ON_TIME_VARIANTS = [
    Definitions(reopened_counts_on_time=reopened, extended_counts_on_time=extended)
    for reopened, extended in itertools.product((False, True), (False, True))
]


def built(declared: tuple[rollups.Rollup, ...]) -> list[rollups.Built]:
    """The declared rollups as built from the ticket table at NOW (former county codes
    mapped as the raw binding maps them)."""
    county_map = dict(sorted(FORMER.items()))
    return [
        rollups.Built(r, TABLE, NOW, dict(BOUNDS), county_map)
        for r in declared
        if r.dataset == TICKETS
    ]


def page_queries(defs: Definitions) -> dict[str, DatasetQuery]:
    """The 12345 page's KPI count queries: a closed month and the month so far, city-wide
    and for one county, by category (with the repeat share), by county and by unit."""
    out = {}
    for label, w in (("closed-month", CLOSED_MONTH), ("month-so-far", MONTH_SO_FAR)):
        for scope, extra in (("city", ()), ("county", (Filter("county_code", "eq", "140403"),))):
            out[f"{label}-{scope}-category"] = kpis.counts_query(defs, w, NOW, extra=extra)
            for column in ("county_code", "responsible_unit"):
                out[f"{label}-{scope}-{column}"] = kpis.counts_query(
                    defs, w, NOW, (column,), (*extra, Filter(column, "not_null"))
                )
    return out


def left_for_raw_rows(query: DatasetQuery, declared: tuple[rollups.Rollup, ...]) -> list[str]:
    """The measures of the query the matcher would leave to the raw rows (all of them when
    no rollup answers it)."""
    plan = rollups.rewrite(query, bound(TABLE), built(declared))
    if plan is None:
        return [m.name for m in query.measures]
    return [m.name for m in plan.raw.measures] if plan.raw else []


def assert_answered_from_rollups(defs: Definitions, declared: tuple[rollups.Rollup, ...]) -> None:
    """Every KPI count of every page query comes from a rollup, none from raw rows."""
    for name, query in page_queries(defs).items():
        assert left_for_raw_rows(query, declared) == [], name


@pytest.mark.parametrize(
    "defs",
    ON_TIME_VARIANTS,
    ids=lambda d: f"reopened={d.reopened_counts_on_time}-extended={d.extended_counts_on_time}",
)
def test_every_kpi_count_of_the_page_is_answered_by_a_declared_rollup(defs) -> None:
    """The registered declarations answer every count kpis.count_measures asks, for the
    default definitions and each on-time variant."""
    declared = tuple(rollups.for_dataset(TICKETS))
    assert declared, "no rollup registered for hotline.tickets"
    assert_answered_from_rollups(defs, declared)


def test_a_kpi_definition_outside_the_declarations_is_left_to_the_raw_rows() -> None:
    """The check above can fail: satisfied values the rollups were not built for are counted
    on the raw rows (the only measure left there)."""
    defs = Definitions(satisfied_values=("满意",))
    query = kpis.counts_query(defs, CLOSED_MONTH, NOW, ("county_code",))
    assert left_for_raw_rows(query, tuple(rollups.for_dataset(TICKETS))) == ["satisfied"]


def test_a_changed_on_time_condition_changes_the_rollup_declaration_with_it(monkeypatch) -> None:
    """按时办结 that also asks for no return: the declarations rebuilt from kpis.py carry the
    new condition, so the page's query is still answered from the rollups."""
    original = kpis.on_time_filters

    def stricter(defs: Definitions) -> tuple[Filter, ...]:
        return (*original(defs), Filter("returned_count", "eq", 0))

    before = hotline_rollups.declarations()
    monkeypatch.setattr(kpis, "on_time_filters", stricter)
    after = hotline_rollups.declarations()
    assert after != before
    query = kpis.counts_query(Definitions(), CLOSED_MONTH, NOW, ("county_code",))
    assert left_for_raw_rows(query, before) == ["due_on_time"]  # the old columns no longer fit
    for defs in ON_TIME_VARIANTS:
        assert_answered_from_rollups(defs, after)


def test_other_default_satisfied_values_change_the_rollup_declaration_with_them() -> None:
    """满意率 counting only 满意: the declarations for those definitions answer it."""
    defs = Definitions(satisfied_values=("满意",))
    assert_answered_from_rollups(defs, hotline_rollups.declarations(defs))


def test_other_default_channels_change_the_rollup_declaration_with_them() -> None:
    """A city with a 12345 hotline on 小程序 too: its channel counts come from the rollups."""
    defs = Definitions(channels=("电话", "微信", "小程序"))
    assert_answered_from_rollups(defs, hotline_rollups.declarations(defs))


def test_the_registered_declarations_are_those_of_the_default_definitions() -> None:
    """What the registry gathers is the declarations built from the default definitions."""
    assert tuple(rollups.for_dataset(TICKETS)) == hotline_rollups.declarations()
