"""The rollup tables of hotline.tickets: the 12345 KPI counts, pre-aggregated.

cockpit.rollups builds them beside the rows where the cockpit owns the file (demo, sync mode)
and answers a query from one only when the answer is exactly the raw one; the hotline's
MODULE carries them (ModuleSpec.rollups), cockpit.contracts.ROLLUPS gathers every module's.
"""

from __future__ import annotations

from typing import get_args

from cockpit.contracts import NOW, Rollup
from cockpit.domains.hotline import kpis
from cockpit.domains.hotline.config import Definitions
from data_sources.query import Filter, Measure


def _count(name: str, *where: Filter) -> Measure:
    return Measure(name, "count", where=tuple(where))


# The 12345 KPI counts (kpis.cohort_measures, the one place their conditions are written),
# for the default working definitions (config/hotline.yaml) and every on-time and repeat
# variant the configuration allows: each cohort (received, dispatched, due, closed in a
# window) is a table by its own day, and each KPI condition a count column; the table's time
# column and grain stand for the window. Other definitions are still answered, from the raw
# rows. A ticket received more than `lookback_days` before a window is outside every KPI of
# it; the cohort tables keep enough of received_at to say so exactly.
_TICKET_DIMS = ("county_code", "category_l1", "category_l2", "responsible_unit", "direct_answer")
# Column names of the rollup tables where they differ from the KPI count's name (kept, so
# built tables stay valid); a KPI count without conditions is the cohort's "n".
_COLUMN = {"due_closed": "closed", "due_open": "open_passed"}
_REPEAT_COLUMN = {"citizen_phone": "with_phone", "address": "with_address"}
# 按时办结 under each on-time definition the configuration allows, by column name.
_ON_TIME = {
    "on_time": {"reopened_counts_on_time": False, "extended_counts_on_time": True},
    "on_time_reopened": {"reopened_counts_on_time": True, "extended_counts_on_time": True},
    "on_time_strict": {"reopened_counts_on_time": False, "extended_counts_on_time": False},
    "on_time_reopened_strict": {"reopened_counts_on_time": True, "extended_counts_on_time": False},
}


def _cohort(defs: Definitions, cohort: str) -> list[Measure]:
    """The cohort's KPI counts as count columns: conditions from kpis.cohort_measures."""
    out = [_count("n")]
    for c, m in kpis.cohort_measures(defs, NOW, repeat=False):
        if c == cohort and m.agg == "count" and m.where:
            out.append(_count(_COLUMN.get(m.name, m.name), *m.where))
    return out


def _by_name(defs: Definitions, name: str) -> Measure:
    return next(m for _, m in kpis.cohort_measures(defs, NOW) if m.name == name)


def _received_measures(defs: Definitions) -> tuple[Measure, ...]:
    """Received-cohort counts, with the tickets that have a repeat key, for each key allowed."""
    # A repeat key added to the configuration without a column here fails at import (KeyError).
    keys = get_args(Definitions.model_fields["repeat_key"].annotation)
    repeats = [
        _count(
            _REPEAT_COLUMN[key],
            *_by_name(defs.model_copy(update={"repeat_key": key}), "repeat_tickets").where,
        )
        for key in keys
    ]
    return (*_cohort(defs, "received"), *repeats)


def _due_measures(defs: Definitions) -> tuple[Measure, ...]:
    """Due-cohort counts, for a window that ended (deadline < window end, a day) and for the
    month in progress (deadline < now: kpis.due_filters ends the window at now), with 按时办结
    under each on-time definition the configuration allows."""
    on_time = {
        name: _by_name(defs.model_copy(update=variant), "due_on_time").where
        for name, variant in _ON_TIME.items()
    }
    closed = _by_name(defs, "due_closed").where
    out = []
    for suffix, now in (("", ()), ("_now", (Filter("deadline", "lt", NOW),))):
        out += [
            _count("n" + suffix, *now),
            _count("closed" + suffix, *closed, *now),
            *(_count(name + suffix, *where, *now) for name, where in on_time.items()),
        ]
    # 超期未办结 already asks deadline < now: one column serves both kinds of window.
    out.append(_count(_COLUMN["due_open"], *_by_name(defs, "due_open").where))
    return tuple(out)


def declarations(defs: Definitions | None = None) -> tuple[Rollup, ...]:
    """The hotline.tickets rollups for these working definitions (the defaults by default),
    their count columns built from the KPI conditions in kpis.py."""
    defs = Definitions() if defs is None else defs
    lookback = ("received_at", defs.lookback_days)
    return (
        # Smallest first: a query is answered by the first rollup that can answer it exactly.
        Rollup(
            "hotline_freshness",
            "hotline.tickets",
            None,
            "day",
            ("county_code",),
            (Measure("updated_at", "max", "updated_at"),),
        ),
        Rollup(
            "hotline_hourly",
            "hotline.tickets",
            "received_at",
            "hour",
            ("county_code",),
            (_count("n"),),
        ),
        Rollup(
            "hotline_handling",
            "hotline.tickets",
            "closed_at",
            "day",
            ("county_code", "direct_answer"),
            (_count("n"),),
            days=("received_at",),
        ),
        Rollup(
            "hotline_received",
            "hotline.tickets",
            "received_at",
            "day",
            (*_TICKET_DIMS, "appeal_type"),
            _received_measures(defs),
        ),
        # 重复诉求率: distinct callers per second-level category, city-wide or in one county.
        Rollup(
            "hotline_callers",
            "hotline.tickets",
            "received_at",
            "day",
            ("county_code", "category_l2"),
            (),
            distinct=("citizen_phone", ("category_l2",)),
        ),
        Rollup(
            "hotline_dispatched",
            "hotline.tickets",
            "dispatched_at",
            "day",
            _TICKET_DIMS,
            tuple(_cohort(defs, "dispatched")),
            lookback=lookback,
        ),
        Rollup(
            "hotline_due",
            "hotline.tickets",
            "deadline",
            "day",
            _TICKET_DIMS,
            _due_measures(defs),
            lookback=lookback,
        ),
        Rollup(
            "hotline_closed",
            "hotline.tickets",
            "closed_at",
            "day",
            _TICKET_DIMS,
            tuple(_cohort(defs, "closed")),
            lookback=lookback,
        ),
    )


ROLLUPS = declarations()
