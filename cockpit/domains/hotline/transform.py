"""Pure functions over aggregated 12345 tickets: rates, spikes, windows, rankings, series.

The functions take frames the engine computed (pushdown); nothing here sees a ticket row
except the one page of the list and the bounded keyword sample. The overview uses `rate` and
`weekly_spikes`; the module's KPI definitions are in kpis.py and config/hotline.yaml.
Working definitions the overview card uses:
  按时办结率 = tickets closed by their deadline / tickets closed or past their deadline
  满意率     = (满意 + 基本满意) / tickets evaluated
"""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from cockpit.domains.hotline.kpis import Window
    from data_sources.query import BucketUnit

SPIKE_RATIO = 1.8  # this week's count against the mean of the baseline weeks
SPIKE_MIN_COUNT = 20  # below this a "spike" is noise
BASELINE_WEEKS = 8


def rate(numerator: float | None, denominator: float | None) -> float | None:
    """A percentage, or None when there is nothing to divide by."""
    if not denominator or pd.isna(denominator) or numerator is None or pd.isna(numerator):
        return None
    return round(float(numerator) / float(denominator) * 100, 1)


def weekly_ratios(
    weekly: pd.DataFrame, this_week: str, baseline_weeks: int = BASELINE_WEEKS
) -> pd.DataFrame:
    """Every category's count in `this_week` against the mean of its previous weeks.

    `weekly` has columns category, week (Monday as YYYY-MM-DD) and tickets. A week without
    tickets of a category counts as 0 for it; with fewer than half the baseline weeks in the
    data there is no baseline and the answer is empty.
    """
    columns = ["category", "tickets", "baseline", "ratio"]
    if weekly.empty:
        return pd.DataFrame(columns=columns)
    weeks = sorted(w for w in weekly["week"].unique() if w < this_week)[-baseline_weeks:]
    table = weekly.pivot_table(
        index="category", columns="week", values="tickets", aggfunc="sum", fill_value=0
    )
    if this_week not in table.columns or len(weeks) < baseline_weeks // 2:
        return pd.DataFrame(columns=columns)
    baseline = table[weeks].mean(axis=1)
    current = table[this_week]
    out = pd.DataFrame(
        {"category": table.index, "tickets": current.values, "baseline": baseline.round(1).values}
    )
    out["ratio"] = (out["tickets"] / out["baseline"].where(out["baseline"] > 0)).round(1)
    return out.sort_values(["ratio", "tickets"], ascending=False).reset_index(drop=True)


def weekly_spikes(
    weekly: pd.DataFrame,
    this_week: str,
    *,
    ratio: float = SPIKE_RATIO,
    min_count: int = SPIKE_MIN_COUNT,
    baseline_weeks: int = BASELINE_WEEKS,
) -> pd.DataFrame:
    """Categories whose count in `this_week` stands out from their own last weeks.

    A spike has at least `min_count` tickets and `ratio` times the baseline mean.
    """
    out = weekly_ratios(weekly, this_week, baseline_weeks)
    if out.empty:
        return out
    spikes = out[(out["tickets"] >= min_count) & (out["ratio"] >= ratio)]
    return spikes.sort_values("ratio", ascending=False).reset_index(drop=True)


# -- windows -------------------------------------------------------------------------------------
def month_start(period: str) -> dt.datetime:
    """2026-10 -> 2026-10-01 00:00."""
    return dt.datetime(int(period[:4]), int(period[5:7]), 1)


def add_months(stamp: dt.datetime, months: int) -> dt.datetime:
    """The first of the month `months` after (or before) the month of `stamp`."""
    index = stamp.year * 12 + stamp.month - 1 + months
    return dt.datetime(index // 12, index % 12 + 1, 1)


def _window_label(start: dt.datetime, end: dt.datetime, whole_month: bool) -> str:
    if whole_month:
        return f"{start.year}年{start.month}月"
    last = end - dt.timedelta(seconds=1)
    return f"{start.year}年{start.month}月{start.day}日—{last.day}日"


def period_windows(period: str, now: dt.datetime) -> dict[str, Window]:
    """The selected month, the month before and the same month last year, as windows.

    A month still in progress ends at `now` (the data's as-of), and so do the comparison
    windows after the same elapsed time: 11月1日—19日 against 10月1日—19日, like for like.
    """
    from cockpit.domains.hotline.kpis import Window

    start = month_start(period)
    end = add_months(start, 1)
    whole = now >= end
    elapsed = (end if whole else max(now, start)) - start
    out = {}
    for name, begin in (
        ("current", start),
        ("previous", add_months(start, -1)),
        ("last_year", add_months(start, -12)),
    ):
        month_end = add_months(begin, 1)
        stop = month_end if whole else min(begin + elapsed, month_end)
        out[name] = Window(begin, stop, _window_label(begin, stop, whole or stop == month_end))
    return out


def week_monday(stamp: dt.datetime) -> dt.datetime:
    """The Monday 00:00 that starts the week of `stamp`."""
    day = pd.Timestamp(stamp).normalize()
    return (day - pd.Timedelta(days=day.weekday())).to_pydatetime()


def last_complete_week(now: dt.datetime) -> dt.datetime:
    """The Monday of the last full week before the week of `now` (as the overview counts it)."""
    return week_monday(now) - dt.timedelta(weeks=1)


# -- the volume over time ------------------------------------------------------------------------
GRANULARITIES: dict[BucketUnit, str] = {"day": "日", "week": "周", "month": "月"}
VOLUME_WEEKS = 26
VOLUME_MONTHS = 24


def volume_range(granularity: str, window: Window) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of the volume chart: the window's days, 26 weeks or 24 months to its end."""
    if granularity == "week":
        last = window.end - dt.timedelta(seconds=1)
        return week_monday(last) - dt.timedelta(weeks=VOLUME_WEEKS - 1), window.end
    if granularity == "month":
        return add_months(window.start, -(VOLUME_MONTHS - 1)), window.end
    return window.start, window.end


def bucket_labels(granularity: str, start: dt.datetime, end: dt.datetime) -> list[str]:
    """The bucket labels the engine gives for [start, end): days, Mondays or months."""
    if end <= start:
        return []
    last = end - dt.timedelta(seconds=1)
    if granularity == "month":
        months = pd.period_range(pd.Timestamp(start), pd.Timestamp(last), freq="M")
        return [str(m) for m in months]
    if granularity == "week":
        mondays = pd.date_range(week_monday(start), last, freq="7D")
        return [d.strftime("%Y-%m-%d") for d in mondays]
    days = pd.date_range(pd.Timestamp(start).normalize(), last, freq="D")
    return [d.strftime("%Y-%m-%d") for d in days]


def volume_series(
    frame: pd.DataFrame, granularity: str, start: dt.datetime, end: dt.datetime
) -> pd.DataFrame:
    """bucket, tickets for every bucket of the range; a bucket without tickets received is 0."""
    labels = bucket_labels(granularity, start, end)
    counts = {}
    if frame is not None and not frame.empty:
        counts = dict(zip(frame["bucket"].astype(str), frame["tickets"], strict=True))
    return pd.DataFrame(
        {"bucket": labels, "tickets": [int(counts.get(label, 0)) for label in labels]}
    )


def bucket_range(granularity: str, label: str) -> tuple[dt.datetime, dt.datetime] | None:
    """[start, end) of a volume bucket from its label; None for a label that is not one."""
    try:
        if granularity == "month":
            start = month_start(label) if len(label) == 7 else None
            return None if start is None else (start, add_months(start, 1))
        start = dt.datetime.strptime(label[:10], "%Y-%m-%d")
    except (ValueError, TypeError):
        return None
    if granularity == "week":
        return start, start + dt.timedelta(weeks=1)
    if granularity == "day":
        return start, start + dt.timedelta(days=1)
    return None


WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


def weekday_hour_matrix(frame: pd.DataFrame) -> pd.DataFrame:
    """Tickets by weekday (rows 周一..周日) and hour of day (columns 0..23); absent cells 0."""
    matrix = pd.DataFrame(0, index=range(1, 8), columns=range(24), dtype="int64")
    if frame is not None and not frame.empty:
        cells = pd.DataFrame(
            {
                "weekday": pd.to_numeric(frame["weekday"], errors="coerce"),
                "hour": pd.to_numeric(frame["hour"], errors="coerce"),
                "tickets": pd.to_numeric(frame["tickets"], errors="coerce").fillna(0),
            }
        )
        cells = cells[cells["weekday"].between(1, 7) & cells["hour"].between(0, 23)]
        summed = cells.pivot_table("tickets", "weekday", "hour", aggfunc="sum", fill_value=0)
        matrix = matrix.add(summed, fill_value=0).astype("int64")
    matrix.index = list(WEEKDAYS)
    return matrix


# -- categories ----------------------------------------------------------------------------------
def category_tree(frame: pd.DataFrame) -> pd.DataFrame:
    """Nodes of the category treemap: id (l1 or l1/l2), label, parent, tickets."""
    columns = ["id", "label", "parent", "tickets"]
    if frame is None or frame.empty:
        return pd.DataFrame(columns=columns)
    leaves = frame.groupby(["category_l1", "category_l2"], as_index=False)["tickets"].sum()
    roots = leaves.groupby("category_l1", as_index=False)["tickets"].sum()
    nodes = [
        {"id": r.category_l1, "label": r.category_l1, "parent": "", "tickets": int(r.tickets)}
        for r in roots.sort_values("tickets", ascending=False).itertuples()
    ]
    nodes += [
        {
            "id": f"{r.category_l1}/{r.category_l2}",
            "label": r.category_l2,
            "parent": r.category_l1,
            "tickets": int(r.tickets),
        }
        for r in leaves.sort_values("tickets", ascending=False).itertuples()
    ]
    return pd.DataFrame(nodes, columns=columns)


def shares(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """label, tickets, share (%) of a breakdown, largest first."""
    if frame is None or frame.empty:
        return pd.DataFrame(columns=["label", "tickets", "share"])
    out = frame.groupby(column, as_index=False)["tickets"].sum().rename(columns={column: "label"})
    total = out["tickets"].sum()
    out["share"] = (out["tickets"] / total * 100).round(1) if total else None
    return out.sort_values("tickets", ascending=False).reset_index(drop=True)


# -- counties and units --------------------------------------------------------------------------
def group_rates(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    """Per group (county, unit): tickets received and due, and the rates the rankings use."""
    columns = [key, "received", "due", "evaluated", "on_time", "closure", "satisfaction"]
    if frame is None or frame.empty:
        return pd.DataFrame(columns=columns)

    def count(name: str) -> list[float]:
        if name not in frame.columns:
            return [0.0] * len(frame)
        return pd.to_numeric(frame[name], errors="coerce").fillna(0).astype(float).tolist()

    due_closed, due_open = count("due_closed"), count("due_open")
    due = [a + b for a, b in zip(due_closed, due_open, strict=True)]
    evaluated = count("evaluated")
    return pd.DataFrame(
        {
            key: list(frame[key]),
            "received": count("received"),
            "due": due,
            "evaluated": evaluated,
            # The same rate() as the KPI cards, so a county's figure reads the same everywhere.
            "on_time": [rate(n, d) for n, d in zip(count("due_on_time"), due, strict=True)],
            "closure": [rate(n, d) for n, d in zip(due_closed, due, strict=True)],
            "satisfaction": [
                rate(n, d) for n, d in zip(count("satisfied"), evaluated, strict=True)
            ],
        },
        columns=columns,
    )


def county_ranking(frame: pd.DataFrame, names: dict[str, str], metric: str) -> pd.DataFrame:
    """Every county of the city (those without tickets too) ranked by `metric`, best first.

    A county without a figure for the metric is listed last with no rank (missing is not 0)."""
    table = group_rates(frame, "county_code").set_index("county_code")
    out = pd.DataFrame({"county_code": list(names), "name": list(names.values())})
    for column in ("received", "due", "evaluated", "on_time", "closure", "satisfaction"):
        out[column] = [
            table[column].get(code) if column in table.columns else None for code in names
        ]
    for column in ("received", "due", "evaluated"):
        out[column] = out[column].fillna(0)
    out = out.sort_values(metric, ascending=False, na_position="last").reset_index(drop=True)
    has_value = out[metric].notna()
    out["rank"] = None
    out.loc[has_value, "rank"] = range(1, int(has_value.sum()) + 1)
    return out


def unit_board(
    frame: pd.DataFrame, min_tickets: int, size: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(红榜, 黑榜) of responsible units by 按时办结率 and 满意率.

    Only units with at least `min_tickets` tickets due in the period are ranked. Their score is
    the mean of the two rates (按时办结率 alone where none was evaluated). 红榜 takes the best,
    黑榜 the worst; a unit never stands on both.
    """
    table = group_rates(frame, "responsible_unit")
    columns = ["responsible_unit", "due", "on_time", "satisfaction", "score"]
    if table.empty:
        return pd.DataFrame(columns=columns), pd.DataFrame(columns=columns)
    table = table[(table["due"] >= min_tickets) & table["on_time"].notna()].copy()
    table["score"] = table[["on_time", "satisfaction"]].mean(axis=1, skipna=True).round(1)
    ranked = table.sort_values(
        ["score", "on_time", "due"], ascending=[False, False, False]
    ).reset_index(drop=True)
    red = ranked.head(min(size, (len(ranked) + 1) // 2))
    black = (
        ranked.iloc[len(red) :]
        .sort_values(["score", "on_time", "due"], ascending=[True, True, False])
        .head(size)
    )
    return red[columns].reset_index(drop=True), black[columns].reset_index(drop=True)


# -- deadline clocks -----------------------------------------------------------------------------
def clock_text(deadline: dt.datetime | None, now: dt.datetime) -> str:
    """How far a deadline is: 剩余5小时 / 超期2天3小时; — without a deadline."""
    if deadline is None or pd.isna(deadline):
        return "—"
    seconds = (pd.Timestamp(deadline) - pd.Timestamp(now)).total_seconds()
    hours = int(math.floor(abs(seconds) / 3600))
    days, rest = divmod(hours, 24)
    span = f"{days}天{rest}小时" if days else (f"{rest}小时" if rest else "不足1小时")
    return ("剩余" if seconds >= 0 else "超期") + span


def repeat_groups(frame: pd.DataFrame) -> pd.DataFrame:
    """Groups (caller or address, category) with two or more tickets, most tickets first."""
    if frame is None or frame.empty:
        return pd.DataFrame(columns=list(frame.columns) if frame is not None else [])
    out = frame[pd.to_numeric(frame["tickets"], errors="coerce") >= 2]
    return out.sort_values("tickets", ascending=False).reset_index(drop=True)


def repeat_callers(
    groups: pd.DataFrame,
    rows: int,
    by: str = "citizen_phone",
    keep: tuple[str, ...] = ("citizen_name",),
) -> pd.DataFrame:
    """One row per caller from their repeat groups (caller, category): the `rows` callers with
    most repeated tickets, each with their groups, most tickets first.

    Works on the raw numbers (before masking) or on the rollup's keyed hashes (`by`): two
    callers whose masked forms match are still two callers. Columns: `by`, the `keep` columns
    (of the caller's largest group), tickets, groups (a list of (category, tickets,
    last_ticket))."""
    columns = [by, *keep, "tickets", "groups"]
    repeats = repeat_groups(groups)
    if repeats.empty:
        return pd.DataFrame(columns=columns)
    repeats = repeats.assign(tickets=pd.to_numeric(repeats["tickets"]))
    for column in keep:
        if column not in repeats.columns:
            repeats = repeats.assign(**{column: ""})
    out = []
    for caller, own in repeats.groupby(by, sort=False):
        own = own.sort_values(["tickets", "last_ticket"], ascending=False)
        out.append(
            {
                by: caller,
                **{column: own[column].iloc[0] for column in keep},
                "tickets": int(own["tickets"].sum()),
                "groups": [
                    (r.category_l2, int(r.tickets), r.last_ticket) for r in own.itertuples()
                ],
                "_last": own["last_ticket"].max(),
            }
        )
    frame = pd.DataFrame(out).sort_values(["tickets", "_last"], ascending=False)
    return frame[columns].head(rows).reset_index(drop=True)
