"""The 12345 KPIs: what each one is, how its counts are asked of the engine, and the arithmetic.

Three layers, all pure:
  * `KPIS` - the catalog (label, unit, which direction is good) and `definition()`, the text
    shown on hover and in docs/hotline-kpis.md, written from the configured definitions;
  * `cohort_measures()` - every KPI count's own conditions, written once; `count_measures()` /
    `handling_query()` - the conditional counts the engine computes (pushdown: one row per
    group comes back, never a ticket); the rollup declarations are built from the same
    conditions (rollups.py), so a changed KPI changes its rollup column with it;
  * `kpi_values()` / `handling_days()` - the rates, repeat share and handling times from
    those counts.

Periods are half-open windows [start, end). Cohorts (which tickets a rate is about) differ per
KPI and are named in each definition: received / dispatched / due / closed in the window.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from cockpit.domains.hotline.transform import rate
from data_sources.query import Col, DatasetQuery, Filter, Measure, TimeBucket

if TYPE_CHECKING:
    from cockpit.domains.hotline.config import Definitions


@dataclass(frozen=True)
class Kpi:
    """One KPI of the catalog."""

    key: str
    label: str
    unit: str  # 件 | % | 天
    kind: Literal["count", "rate", "days"]
    good: Literal["up", "down", "none"]  # which direction of change is an improvement


KPIS: tuple[Kpi, ...] = (
    Kpi("received", "受理量", "件", "count", "none"),
    Kpi("direct_rate", "直接办结率", "%", "rate", "up"),
    Kpi("dispatched", "派单量", "件", "count", "none"),
    Kpi("sign_on_time", "按时签收率", "%", "rate", "up"),
    Kpi("on_time", "按时办结率", "%", "rate", "up"),
    Kpi("closure", "综合办结率", "%", "rate", "up"),
    Kpi("followup", "回访率", "%", "rate", "up"),
    Kpi("satisfaction", "满意率", "%", "rate", "up"),
    Kpi("return_rate", "退单率", "%", "rate", "down"),
    Kpi("reopen_rate", "重办率", "%", "rate", "down"),
    Kpi("extension_rate", "延期率", "%", "rate", "down"),
    Kpi("repeat_rate", "重复诉求率", "%", "rate", "down"),
    Kpi("handling_avg", "平均办理时长", "天", "days", "down"),
    Kpi("handling_p90", "90%工单办理时长", "天", "days", "down"),
)
KPI_BY_KEY = {k.key: k for k in KPIS}


@dataclass(frozen=True)
class Window:
    """A statistics window [start, end) and how it is written on screen."""

    start: dt.datetime
    end: dt.datetime
    label: str

    @property
    def empty(self) -> bool:
        """True when the window holds no time (a period that has not begun)."""
        return self.end <= self.start


# -- definitions, as text -----------------------------------------------------------------------
def definition(key: str, defs: Definitions) -> str:
    """The KPI's definition in Chinese, following the configured working definitions."""
    dispatched_only = "派单（不含即办）" if not defs.on_time_includes_direct else ""
    handled = "派单（不含即办）" if not defs.handling_includes_direct else ""
    start_word = "受理" if defs.handling_from == "received_at" else "派单"
    closed_cohort = (
        "统计期内办结的工单"
        if defs.satisfaction_cohort == "closed"
        else "统计期内受理且已办结的工单"
    )
    extended = (
        "延期工单按延期后的时限判断" if defs.extended_counts_on_time else "延期工单一律不计按时"
    )
    reopened = (
        "重办工单按最终办结时间判断" if defs.reopened_counts_on_time else "重办工单一律不计按时"
    )
    if defs.on_time_cohort == "due":
        due = f"办结时限在统计期内且已到期的{dispatched_only}工单"
        on_time = f"{due}中，在办结时限内办结的比例；{extended}，{reopened}。"
        closure = f"{due}中，已办结的比例（综合办结率 = 办结量 / 应办结量）。"
    else:
        due = f"统计期内受理的{dispatched_only}工单"
        on_time = f"{due}中，按时办结数 /（已办结 + 超期未办结）；{extended}，{reopened}。"
        closure = f"{due}中，已办结 /（已办结 + 超期未办结）。"
    repeat_by = "来电号码" if defs.repeat_key == "citizen_phone" else "诉求地址"
    texts = {
        "received": "统计期内受理的工单数（按受理时间），含各渠道："
        + "、".join(defs.channels)
        + "。",
        "direct_rate": "统计期内受理的工单中，直接答复办结（即办）的比例 = 即办工单数 / 受理量。",
        "dispatched": "统计期内派单（转办）到承办单位的工单数（按派单时间）。",
        "sign_on_time": "统计期内派单的工单中，在签收时限内签收的比例 = 按时签收 /"
        "（按时签收 + 超时签收 + 已过签收时限仍未签收）。",
        "on_time": on_time,
        "closure": closure,
        "followup": f"{closed_cohort}中，已回访的比例。",
        "satisfaction": f"{closed_cohort}中已评价的，评价为"
        + "、".join(defs.satisfied_values)
        + "的比例；未评价的工单不计入分母。",
        "return_rate": "统计期内派单的工单中，被承办单位退回过（退单次数 ≥ 1）的比例。",
        "reopen_rate": f"{closed_cohort}中，办结后又重新办理（重办）的比例。",
        "extension_rate": "统计期内派单的工单中，办结时限经批准延期的比例。",
        "repeat_rate": f"统计期内受理的工单中，同一{repeat_by}在同一二级分类下第二次及以后的诉求所占比例"
        "（每组第一次不计；窗口为统计期）。",
        "handling_avg": f"统计期内办结的{handled}工单，从{start_word}到办结的自然日数的平均值"
        "（按日历日计，当日办结记 0 天）。",
        "handling_p90": f"统计期内办结的{handled}工单，从{start_word}到办结的自然日数的第 90 百分位："
        "90% 的工单在此天数内办结。",
    }
    return texts[key]


# -- what the engine is asked -------------------------------------------------------------------
def within(column: str, start: dt.datetime, end: dt.datetime) -> tuple[Filter, ...]:
    return (Filter(column, "ge", start), Filter(column, "lt", end))


def received_filters(w: Window) -> tuple[Filter, ...]:
    """Tickets received in the window."""
    return within("received_at", w.start, w.end)


def dispatched_filters(w: Window) -> tuple[Filter, ...]:
    """Tickets dispatched in the window."""
    return within("dispatched_at", w.start, w.end)


def closed_filters(w: Window, defs: Definitions) -> tuple[Filter, ...]:
    """The cohort of 回访率, 满意率 and 重办率: closed in the window (or received and closed)."""
    if defs.satisfaction_cohort == "closed":
        return within("closed_at", w.start, w.end)
    return (*received_filters(w), Filter("closed_at", "not_null"))


def due_filters(w: Window, defs: Definitions, now: dt.datetime) -> tuple[Filter, ...]:
    """The cohort of 按时办结率 and 综合办结率."""
    direct = () if defs.on_time_includes_direct else (Filter("direct_answer", "eq", False),)
    if defs.on_time_cohort == "due":
        # Only deadlines already passed are due: a ticket due tomorrow is not late yet.
        return (*within("deadline", w.start, min(w.end, now)), *direct)
    return (*received_filters(w), *direct)


def on_time_filters(defs: Definitions) -> tuple[Filter, ...]:
    """What makes a due ticket 按时办结 (added to the due cohort)."""
    out = [Filter("closed_at", "le", Col("deadline"))]
    if not defs.reopened_counts_on_time:
        out.append(Filter("reopened", "eq", False))
    if not defs.extended_counts_on_time:
        out.append(Filter("extended", "eq", False))
    return tuple(out)


def unsatisfied_filters(defs: Definitions) -> tuple[Filter, ...]:
    """Evaluated, and not with a satisfied value."""
    return (Filter("evaluation", "not_null"), Filter("evaluation", "not_in", defs.satisfied_values))


Cohort = Literal["received", "dispatched", "due", "closed"]


def cohort_measures(
    defs: Definitions, now: Any, *, repeat: bool = True
) -> tuple[tuple[Cohort, Measure], ...]:
    """Every KPI count as (its cohort, the measure under its own conditions), without the window.

    The one place the KPI conditions are written: count_measures adds each cohort's window,
    and the rollup declarations (cockpit/domains/hotline/rollups.py) make a count column of
    each, their time column and grain standing for the window. `now` is a datetime, or the
    rollups' NOW (the data's "now" when they were built)."""
    out: list[tuple[Cohort, Measure]] = [
        ("received", Measure("received", "count")),
        *(
            ("received", Measure(f"channel_{i}", "count", where=(Filter("channel", "eq", c),)))
            for i, c in enumerate(defs.channels)
        ),
        ("received", Measure("direct", "count", where=(Filter("direct_answer", "eq", True),))),
        ("dispatched", Measure("dispatched", "count")),
        ("dispatched", Measure("returned", "count", where=(Filter("returned_count", "gt", 0),))),
        ("dispatched", Measure("extended", "count", where=(Filter("extended", "eq", True),))),
        (
            "dispatched",
            Measure(
                "sign_on_time", "count", where=(Filter("signed_at", "le", Col("sign_deadline")),)
            ),
        ),
        (
            "dispatched",
            Measure("sign_late", "count", where=(Filter("signed_at", "gt", Col("sign_deadline")),)),
        ),
        (
            "dispatched",
            Measure(
                "sign_missing",
                "count",
                where=(Filter("signed_at", "is_null"), Filter("sign_deadline", "lt", now)),
            ),
        ),
        ("due", Measure("due_closed", "count", where=(Filter("closed_at", "not_null"),))),
        (
            "due",
            Measure(
                "due_open",
                "count",
                where=(Filter("closed_at", "is_null"), Filter("deadline", "lt", now)),
            ),
        ),
        ("due", Measure("due_on_time", "count", where=on_time_filters(defs))),
        ("closed", Measure("closed", "count")),
        ("closed", Measure("followed", "count", where=(Filter("followed_up", "eq", True),))),
        ("closed", Measure("evaluated", "count", where=(Filter("evaluation", "not_null"),))),
        (
            "closed",
            Measure(
                "satisfied", "count", where=(Filter("evaluation", "in", defs.satisfied_values),)
            ),
        ),
        ("closed", Measure("reopened", "count", where=(Filter("reopened", "eq", True),))),
    ]
    if repeat:
        # Repeats need the group to be the category: Σ(tickets - distinct callers) per category.
        key = defs.repeat_key
        out += [
            ("received", Measure("repeat_tickets", "count", where=(Filter(key, "not_null"),))),
            ("received", Measure("repeat_distinct", "count_distinct", key)),
        ]
    return tuple(out)


def count_measures(
    defs: Definitions, w: Window, now: dt.datetime, *, repeat: bool = True
) -> tuple[Measure, ...]:
    """Every count the KPIs need for one window, as conditional measures of one query."""
    windows: dict[Cohort, tuple[Filter, ...]] = {
        "received": received_filters(w),
        "dispatched": dispatched_filters(w),
        "due": due_filters(w, defs, now),
        "closed": closed_filters(w, defs),
    }
    return tuple(
        replace(m, where=(*windows[cohort], *m.where))
        for cohort, m in cohort_measures(defs, now, repeat=repeat)
    )


def scan_filters(defs: Definitions, w: Window) -> tuple[Filter, ...]:
    """The rows a window's counts can come from: received before its end, within the lookback.

    Every cohort (received, dispatched, due or closed in the window) was received before the
    window ends; bounding the start keeps the scan to months, not years, of tickets."""
    lookback = w.start - dt.timedelta(days=defs.lookback_days)
    return within("received_at", lookback, w.end)


def counts_query(
    defs: Definitions,
    w: Window,
    now: dt.datetime,
    group_by: tuple[str, ...] = ("category_l2",),
    extra: tuple[Filter, ...] = (),
) -> DatasetQuery:
    """One query for every KPI count of a window, grouped (by category for the repeat share)."""
    return DatasetQuery(
        filters=(*scan_filters(defs, w), *extra),
        group_by=group_by,
        measures=count_measures(defs, w, now, repeat=group_by == ("category_l2",)),
    )


def handling_query(defs: Definitions, w: Window, extra: tuple[Filter, ...] = ()) -> DatasetQuery:
    """Tickets closed in the window by (start day, closing day): a histogram the engine builds.

    The query model has no arithmetic on columns, so handling time is measured in calendar
    days: the difference of two day buckets, computed on this small frame (at most
    days-in-window x lookback-days rows, whatever the number of tickets)."""
    start = defs.handling_from
    filters = [*within("closed_at", w.start, w.end), *scan_filters(defs, w), *extra]
    if not defs.handling_includes_direct:
        filters.append(Filter("direct_answer", "eq", False))
    if start != "received_at":
        filters.append(Filter(start, "not_null"))
    return DatasetQuery(
        filters=tuple(filters),
        buckets=(TimeBucket(start, "day", "start_day"), TimeBucket("closed_at", "day", "end_day")),
        measures=(Measure("tickets", "count"),),
    )


# -- the arithmetic -----------------------------------------------------------------------------
COUNT_COLUMNS = (
    "received",
    "direct",
    "dispatched",
    "returned",
    "extended",
    "sign_on_time",
    "sign_late",
    "sign_missing",
    "due_closed",
    "due_open",
    "due_on_time",
    "closed",
    "followed",
    "evaluated",
    "satisfied",
    "reopened",
)


def totals(frame: pd.DataFrame) -> dict[str, float]:
    """The counts summed over the groups (categories, counties...), repeats per group."""
    if frame is None or frame.empty:
        return {}
    counted = [c for c in frame.columns if c in COUNT_COLUMNS or c.startswith("channel_")]
    out = {c: float(pd.to_numeric(frame[c], errors="coerce").sum()) for c in counted}
    if {"repeat_tickets", "repeat_distinct"} <= set(frame.columns):
        extra = (
            pd.to_numeric(frame["repeat_tickets"], errors="coerce").fillna(0)
            - pd.to_numeric(frame["repeat_distinct"], errors="coerce").fillna(0)
        ).clip(lower=0)
        out["repeats"] = float(extra.sum())
    return out


def rates(c: dict[str, float]) -> dict[str, float | None]:
    """Every count-based KPI from summed counts (None where there is nothing to divide by)."""
    if not c:
        return {k.key: None for k in KPIS if k.kind != "days"}
    due = c.get("due_closed", 0) + c.get("due_open", 0)
    signed_due = c.get("sign_on_time", 0) + c.get("sign_late", 0) + c.get("sign_missing", 0)
    return {
        "received": c.get("received"),
        "direct_rate": rate(c.get("direct"), c.get("received")),
        "dispatched": c.get("dispatched"),
        "sign_on_time": rate(c.get("sign_on_time"), signed_due),
        "on_time": rate(c.get("due_on_time"), due),
        "closure": rate(c.get("due_closed"), due),
        "followup": rate(c.get("followed"), c.get("closed")),
        "satisfaction": rate(c.get("satisfied"), c.get("evaluated")),
        "return_rate": rate(c.get("returned"), c.get("dispatched")),
        "reopen_rate": rate(c.get("reopened"), c.get("closed")),
        "extension_rate": rate(c.get("extended"), c.get("dispatched")),
        "repeat_rate": rate(c.get("repeats"), c.get("received")) if "repeats" in c else None,
    }


def handling_days(hist: pd.DataFrame) -> tuple[float | None, float | None]:
    """(average, 90th percentile) of calendar days from start to closing, from the histogram.

    The percentile is the nearest-rank one: the fewest whole days within which at least 90%
    of the tickets were closed."""
    if hist is None or hist.empty:
        return None, None
    # Day buckets are "YYYY-MM-DD" text: told the format, pandas parses them at once.
    end, start = (
        pd.to_datetime(hist[c], format="ISO8601", errors="coerce") for c in ("end_day", "start_day")
    )
    days = (end - start).dt.days.clip(lower=0)
    counts = pd.to_numeric(hist["tickets"], errors="coerce").fillna(0)
    frame = pd.DataFrame({"days": days, "tickets": counts}).dropna()
    frame = frame.groupby("days", as_index=False)["tickets"].sum().sort_values("days")
    total = frame["tickets"].sum()
    if total <= 0:
        return None, None
    average = round(float((frame["days"] * frame["tickets"]).sum() / total), 1)
    cumulative = frame["tickets"].cumsum() / total
    p90 = float(frame.loc[cumulative >= 0.9 - 1e-12, "days"].iloc[0])
    return average, p90


def kpi_values(frame: pd.DataFrame, hist: pd.DataFrame | None) -> dict[str, float | None]:
    """Every KPI of a window from its grouped counts and its handling histogram."""
    values = rates(totals(frame))
    values["handling_avg"], values["handling_p90"] = handling_days(hist)
    return values


def channel_counts(frame: pd.DataFrame, defs: Definitions) -> dict[str, float]:
    """受理量 by channel, with 其他 for channels the configuration does not name."""
    c = totals(frame)
    if not c:
        return {}
    out = {name: c.get(f"channel_{i}", 0.0) for i, name in enumerate(defs.channels)}
    other = c.get("received", 0.0) - sum(out.values())
    if other > 0:
        out["其他"] = other
    return out


def change(kpi: Kpi, now: float | None, before: float | None) -> float | None:
    """The change against a comparison period: points for rates, days for times, % for counts."""
    if now is None or before is None or pd.isna(now) or pd.isna(before):
        return None
    if kpi.kind == "count":
        return None if not before else round((now / before - 1) * 100, 1)
    return round(now - before, 1)


def status(kpi: Kpi, value: float | None, target: tuple[float, float] | None) -> str:
    """green / yellow / red against (good, warn) thresholds; none without a target or value."""
    if value is None or target is None or kpi.good == "none":
        return "none"
    good, warn = target
    if kpi.good == "up":
        return "green" if value >= good else "yellow" if value >= warn else "red"
    return "green" if value <= good else "yellow" if value <= warn else "red"
