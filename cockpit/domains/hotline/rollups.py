"""The rollup tables of hotline.tickets: the 12345 KPI counts, pre-aggregated.

cockpit.rollups builds them beside the rows where the cockpit owns the file (demo, sync mode)
and answers a query from one only when the answer is exactly the raw one; the hotline's
MODULE carries them (ModuleSpec.rollups), cockpit.contracts.ROLLUPS gathers every module's.
"""

from __future__ import annotations

from cockpit.contracts import NOW, Rollup
from data_sources.query import Col, Filter, Measure


def _count(name: str, *where: Filter) -> Measure:
    return Measure(name, "count", where=tuple(where))


# The 12345 KPI counts (panels/hotline/kpis.py) with the default working definitions
# (config/hotline.yaml): each cohort (received, dispatched, due, closed in a window) is a table
# by its own day, and each KPI condition a count column. Other definitions are still answered,
# from the raw rows. A ticket received more than `lookback_days` before a window is outside
# every KPI of it; the cohort tables keep enough of received_at to say so exactly.
_LOOKBACK = ("received_at", 120)
_TICKET_DIMS = ("county_code", "category_l1", "category_l2", "responsible_unit", "direct_answer")
_CHANNELS = ("电话", "微信", "网站", "APP", "短信", "邮件")
_ON_TIME = Filter("closed_at", "le", Col("deadline"))
_NOT_REOPENED = Filter("reopened", "eq", False)
_NOT_EXTENDED = Filter("extended", "eq", False)
_DEADLINE_PASSED = Filter("deadline", "lt", NOW)


def _due_measures() -> tuple[Measure, ...]:
    """Due-cohort counts, for a window that ended (deadline < window end, a day) and for the
    month in progress (deadline < now)."""
    out = []
    for suffix, now in (("", ()), ("_now", (_DEADLINE_PASSED,))):
        out += [
            _count("n" + suffix, *now),
            _count("closed" + suffix, Filter("closed_at", "not_null"), *now),
            _count("on_time" + suffix, _ON_TIME, _NOT_REOPENED, *now),
            _count("on_time_reopened" + suffix, _ON_TIME, *now),
            _count("on_time_strict" + suffix, _ON_TIME, _NOT_REOPENED, _NOT_EXTENDED, *now),
            _count("on_time_reopened_strict" + suffix, _ON_TIME, _NOT_EXTENDED, *now),
        ]
    out.append(_count("open_passed", Filter("closed_at", "is_null"), _DEADLINE_PASSED))
    return tuple(out)


ROLLUPS = (
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
        (
            _count("n"),
            *(_count(f"channel_{i}", Filter("channel", "eq", c)) for i, c in enumerate(_CHANNELS)),
            _count("direct", Filter("direct_answer", "eq", True)),
            _count("with_phone", Filter("citizen_phone", "not_null")),
            _count("with_address", Filter("address", "not_null")),
        ),
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
        (
            _count("n"),
            _count("returned", Filter("returned_count", "gt", 0)),
            _count("extended", Filter("extended", "eq", True)),
            _count("sign_on_time", Filter("signed_at", "le", Col("sign_deadline"))),
            _count("sign_late", Filter("signed_at", "gt", Col("sign_deadline"))),
            _count(
                "sign_missing",
                Filter("signed_at", "is_null"),
                Filter("sign_deadline", "lt", NOW),
            ),
        ),
        lookback=_LOOKBACK,
    ),
    Rollup(
        "hotline_due",
        "hotline.tickets",
        "deadline",
        "day",
        _TICKET_DIMS,
        _due_measures(),
        lookback=_LOOKBACK,
    ),
    Rollup(
        "hotline_closed",
        "hotline.tickets",
        "closed_at",
        "day",
        _TICKET_DIMS,
        (
            _count("n"),
            _count("followed", Filter("followed_up", "eq", True)),
            _count("evaluated", Filter("evaluation", "not_null")),
            _count("satisfied", Filter("evaluation", "in", ("满意", "基本满意"))),
            _count("reopened", Filter("reopened", "eq", True)),
        ),
        lookback=_LOOKBACK,
    ),
)
