"""Status lights of key tasks, computed (never stored) from progress, time and feedback.

green: on track. yellow: progress behind the time elapsed to the deadline by more than the
margin, the latest feedback is stale, or a milestone is past its due date and not done. red:
past the deadline and not done, stalled (no feedback for a long time), or a milestone overdue
by more than a longer limit. The margin and the day limits are configurable
(config/key_work.yaml, see LightRules); the defaults below are what a page without the
module's config uses. Milestones count only where the caller passes them (a city without a
milestone source, or one that fails, gets the lights of progress and feedback alone).

Also here, pure as well: each milestone's state (done, overdue, upcoming) and the count per
task; counts by status, lead unit and county; why a task has its light; and a task's history
as one timeline of milestones, supervision actions and feedback.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

BEHIND_MARGIN = 10.0  # percentage points of progress behind time elapsed
STALE_DAYS = 14  # feedback older than this turns a task yellow
STALLED_DAYS = 30  # ... and older than this, red
MILESTONE_YELLOW_DAYS = 0  # a milestone overdue by more than this many days turns a task yellow
MILESTONE_RED_DAYS = 60  # ... and by more than this, red
LIGHTS = ("red", "yellow", "green", "done")
LIGHT_NAMES = {"red": "红灯", "yellow": "黄灯", "green": "绿灯", "done": "已完成"}


@dataclass(frozen=True)
class LightRules:
    """The configurable limits of the status lights."""

    behind_margin: float = BEHIND_MARGIN
    stale_days: int = STALE_DAYS
    stalled_days: int = STALLED_DAYS
    milestone_yellow_days: int = MILESTONE_YELLOW_DAYS
    milestone_red_days: int = MILESTONE_RED_DAYS


def elapsed_share(start: dt.date, deadline: dt.date, today: dt.date) -> float:
    """序时进度: the share of the time from start to deadline that has passed, in % (0-100)."""
    span = max((deadline - start).days, 1)
    return min(max((today - start).days / span, 0.0), 1.0) * 100


def task_light(
    progress: float,
    start: dt.date,
    deadline: dt.date,
    last_feedback: dt.date | None,
    completed: bool,
    today: dt.date,
    margin: float = BEHIND_MARGIN,
    *,
    stale_days: int = STALE_DAYS,
    stalled_days: int = STALLED_DAYS,
    milestone_overdue_days: int | None = None,
    milestone_yellow_days: int = MILESTONE_YELLOW_DAYS,
    milestone_red_days: int = MILESTONE_RED_DAYS,
) -> str:
    """The light of one task on `today`: done | green | yellow | red.

    `milestone_overdue_days` is how many days its most overdue open milestone is past due
    (None or 0 when none is; a milestone due today is not overdue yet).
    """
    if completed or progress >= 100:
        return "done"
    if today > deadline:
        return "red"
    age = None if last_feedback is None else (today - last_feedback).days
    if age is None or age > stalled_days:
        return "red"
    late = milestone_overdue_days or 0
    if late > milestone_red_days:
        return "red"
    if (
        elapsed_share(start, deadline, today) - progress > margin
        or age > stale_days
        or late > milestone_yellow_days
    ):
        return "yellow"
    return "green"


def _with_milestone_summary(tasks: pd.DataFrame, states: pd.DataFrame) -> pd.DataFrame:
    """The tasks with the MILESTONE_SUMMARY columns (zeros where a task has no milestone)."""
    summary = milestone_summary(states)
    out = tasks.drop(columns=[c for c in MILESTONE_SUMMARY if c in tasks.columns])
    out = out.join(summary, on="task_id")
    for column in ("ms_total", "ms_done", "ms_overdue", "ms_overdue_days"):
        out[column] = out[column].fillna(0).astype(int)
    out["ms_overdue_name"] = out["ms_overdue_name"].fillna("").astype(str)
    return out


def _day(value: object) -> dt.date | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


def _date(value: object) -> dt.date:
    """A date the contract makes required (start_date, deadline, due_date; done_at once done)."""
    return pd.Timestamp(value).date()


# -- milestones ------------------------------------------------------------------------------
MILESTONE_STATES = ("done", "overdue", "upcoming")
MILESTONE_SUMMARY = ("ms_total", "ms_done", "ms_overdue", "ms_overdue_days", "ms_overdue_name")


def milestone_states(milestones: pd.DataFrame, today: dt.date) -> pd.DataFrame:
    """Each milestone with its `state` and `days`, in task and seq order.

    done: done_at is set (days = how late it was done, negative when early). overdue: due
    before today and not done (days = days past due). upcoming: due today or later (days =
    days left; 0 = due today, not yet overdue).
    """
    if milestones.empty:
        return milestones.assign(
            state=pd.Series(dtype="string"), days=pd.Series(dtype="Int64")
        ).reset_index(drop=True)
    day = pd.Timestamp(today)
    due = pd.to_datetime(milestones["due_date"]).dt.normalize()
    done_at = pd.to_datetime(milestones["done_at"]).dt.normalize()
    done = done_at.notna()
    overdue = ~done & (due < day)
    state = (
        pd.Series("upcoming", index=milestones.index).mask(overdue, "overdue").mask(done, "done")
    )
    days = (
        ((day - due).dt.days)
        .where(overdue, (due - day).dt.days)
        .where(~done, (done_at - due).dt.days)
    )
    out = milestones.assign(state=state, days=days.astype("Int64"))
    return out.sort_values(["task_id", "seq"]).reset_index(drop=True)


def milestone_summary(states: pd.DataFrame) -> pd.DataFrame:
    """Per task (index task_id): how many milestones, done, overdue, and the most overdue one.

    Columns ms_total, ms_done, ms_overdue, ms_overdue_days (0 when none is overdue) and
    ms_overdue_name (the most overdue milestone's name, "" when none).
    """
    if states.empty:
        return pd.DataFrame(columns=list(MILESTONE_SUMMARY), index=pd.Index([], name="task_id"))
    late = states[states["state"] == "overdue"].sort_values("days", ascending=False)
    worst = late.drop_duplicates("task_id").set_index("task_id")
    grouped = states.groupby("task_id")["state"]
    out = pd.DataFrame(
        {
            "ms_total": grouped.size(),
            "ms_done": grouped.apply(lambda s: int((s == "done").sum())),
            "ms_overdue": grouped.apply(lambda s: int((s == "overdue").sum())),
        }
    )
    out["ms_overdue_days"] = worst["days"].reindex(out.index).fillna(0).astype(int)
    out["ms_overdue_name"] = worst["name"].reindex(out.index).fillna("")
    return out


def with_lights(
    tasks: pd.DataFrame,
    today: dt.date,
    rules: LightRules | None = None,
    milestones: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The tasks with a `light` column and `days_left`, most urgent first.

    With `milestones` (rows of key_work.milestones), the tasks also get the MILESTONE_SUMMARY
    columns and the milestone limits of `rules` count in their lights; a task without
    milestones gets ms_total 0.
    """
    rules = rules or LightRules()
    if milestones is not None:
        tasks = _with_milestone_summary(tasks, milestone_states(milestones, today))
    if tasks.empty:
        return tasks.assign(light=pd.Series(dtype="string"), days_left=pd.Series(dtype="Int64"))
    has_ms = "ms_overdue_days" in tasks.columns
    lights = [
        task_light(
            float(r.progress),
            _date(r.start_date),
            _date(r.deadline),
            _day(r.last_feedback_date),
            _day(r.completed_at) is not None,
            today,
            rules.behind_margin,
            stale_days=rules.stale_days,
            stalled_days=rules.stalled_days,
            milestone_overdue_days=int(r.ms_overdue_days) if has_ms else None,
            milestone_yellow_days=rules.milestone_yellow_days,
            milestone_red_days=rules.milestone_red_days,
        )
        for r in tasks.itertuples()
    ]
    out = tasks.assign(light=lights)
    out["days_left"] = [(_date(d) - today).days for d in out["deadline"]]
    rank = out["light"].map({"red": 0, "yellow": 1, "green": 2, "done": 3})
    return out.assign(_rank=rank).sort_values(["_rank", "days_left"]).drop(columns="_rank")


def light_reason(row: pd.Series | dict, today: dt.date, rules: LightRules | None = None) -> str:
    """Why a task has its light, in a few words (逾期12天, 进度落后序时18个百分点, ...)."""
    rules = rules or LightRules()
    light = row["light"]
    if light == "done":
        return "已完成"
    deadline, start = _date(row["deadline"]), _date(row["start_date"])
    feedback = _day(row["last_feedback_date"])
    age = None if feedback is None else (today - feedback).days
    parts = []
    if today > deadline:
        parts.append(f"逾期{(today - deadline).days}天")
    if age is None:
        parts.append("无进展反馈")
    elif age > rules.stalled_days:
        parts.append(f"停滞：{age}天未反馈")
    elif age > rules.stale_days:
        parts.append(f"反馈已{age}天未更新")
    late = int(row.get("ms_overdue_days") or 0)
    if late > rules.milestone_yellow_days and today <= deadline:
        count = int(row.get("ms_overdue", 0) or 0)
        name = row.get("ms_overdue_name") or ""
        parts.append(
            f"里程碑「{name}」逾期{late}天"
            if count <= 1
            else f"{count}个里程碑逾期，「{name}」已逾期{late}天"
        )
    behind = elapsed_share(start, deadline, today) - float(row["progress"])
    if behind > rules.behind_margin and today <= deadline:
        parts.append(f"进度落后序时{behind:.0f}个百分点")
    return "，".join(parts) if parts else "按序时推进"


def light_counts(lit: pd.DataFrame) -> dict[str, int]:
    """Tasks per light (every light present, zero where none)."""
    counts = lit["light"].value_counts() if not lit.empty else pd.Series(dtype=int)
    return {light: int(counts.get(light, 0)) for light in LIGHTS}


def counts_by(lit: pd.DataFrame, column: str) -> pd.DataFrame:
    """Tasks per value of `column` and light: one row per value, a column per light.

    Sorted so that the values with most red (then yellow) tasks come first.
    """
    if lit.empty:
        return pd.DataFrame(columns=[column, *LIGHTS, "total"])
    table = pd.crosstab(lit[column], lit["light"]).reindex(columns=list(LIGHTS), fill_value=0)
    table["total"] = table.sum(axis=1)
    table = table.sort_values(["red", "yellow", "total"], ascending=False)
    return table.reset_index()


@dataclass(frozen=True)
class TimelineEntry:
    """One line of a task's history."""

    at: dt.datetime
    kind: str  # 任务下达 | 进展反馈 | 办结 | 里程碑 | a supervision action (催办, 约谈, ...)
    text: str
    who: str = ""
    state: str = ""  # milestones: done | overdue | upcoming
    note: str = ""  # milestones: ✓ 已完成, 逾期12天, 剩余30天, 今日到期


def milestone_entry(m: dict) -> TimelineEntry:
    """One milestone on the timeline: done on the day it was done, the others on their due day.

    `m` is a row of milestone_states: ✓ 已完成 (晚N天 when done after its due day), 逾期N天,
    or 剩余N天 / 今日到期.
    """
    due = _date(m["due_date"])
    days = int(m["days"])
    planned = m.get("planned_progress")
    plan = "" if planned is None or pd.isna(planned) else f"，计划进度 {float(planned):.0f}%"
    text = f"{m['name']}（计划 {due:%Y-%m-%d} 完成{plan}）"
    if m["state"] == "done":
        note = "✓ 已完成" + (f"（晚{days}天）" if days > 0 else "")
        return TimelineEntry(_at(_date(m["done_at"])), "里程碑", text, "", "done", note)
    if m["state"] == "overdue":
        return TimelineEntry(_at(due), "里程碑", text, "", "overdue", f"逾期{days}天")
    note = "今日到期" if days == 0 else f"剩余{days}天"
    return TimelineEntry(_at(due), "里程碑", text, "", "upcoming", note)


def timeline(
    task: dict | None, actions: list, milestones: pd.DataFrame | None = None
) -> list[TimelineEntry]:
    """A task's history, newest first: milestones, supervision actions and feedback on one line.

    `task` is the task's row (may be None for an item opened from a signal); `actions` are
    store Actions with acted_at already in local time; `milestones` are the task's rows of
    milestone_states (upcoming ones lie ahead, so they head the list).
    """
    entries: list[TimelineEntry] = []
    if milestones is not None:
        entries += [milestone_entry(m) for m in milestones.to_dict("records")]
    if task is not None:
        start = _day(task.get("start_date"))
        if start is not None:
            entries.append(TimelineEntry(_at(start), "任务下达", "任务开始", ""))
        feedback_day = _day(task.get("last_feedback_date"))
        if feedback_day is not None:
            text = task.get("last_feedback") or "（无反馈内容）"
            entries.append(TimelineEntry(_at(feedback_day), "进展反馈", text, task["lead_unit"]))
        done = _day(task.get("completed_at"))
        if done is not None:
            entries.append(TimelineEntry(_at(done), "办结", "牵头单位报办结", task["lead_unit"]))
    for action in actions:
        entries.append(
            TimelineEntry(action.acted_at, action.action, action.comment, action.actor_id)
        )
    # Newest first; on the same day a dated source entry (midnight) sorts after the actions.
    return sorted(entries, key=lambda e: e.at, reverse=True)


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time())
