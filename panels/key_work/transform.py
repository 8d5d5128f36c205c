"""Status lights of key tasks, computed (never stored) from progress, time and feedback.

green: on track. yellow: progress behind the time elapsed to the deadline by more than the
margin, or the latest feedback is stale. red: past the deadline and not done, or stalled
(no feedback for a long time). The margin and the day limits are configurable
(config/key_work.yaml, see LightRules); the defaults below are what the overview uses.

Also here, pure as well: counts by status, lead unit and county; why a task has its light;
and a task's history as one timeline of supervision actions and feedback.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

BEHIND_MARGIN = 10.0  # percentage points of progress behind time elapsed
STALE_DAYS = 14  # feedback older than this turns a task yellow
STALLED_DAYS = 30  # ... and older than this, red
LIGHTS = ("red", "yellow", "green", "done")
LIGHT_NAMES = {"red": "红灯", "yellow": "黄灯", "green": "绿灯", "done": "已完成"}


@dataclass(frozen=True)
class LightRules:
    """The configurable limits of the status lights."""

    behind_margin: float = BEHIND_MARGIN
    stale_days: int = STALE_DAYS
    stalled_days: int = STALLED_DAYS


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
) -> str:
    """The light of one task on `today`: done | green | yellow | red."""
    if completed or progress >= 100:
        return "done"
    if today > deadline:
        return "red"
    age = None if last_feedback is None else (today - last_feedback).days
    if age is None or age > stalled_days:
        return "red"
    if elapsed_share(start, deadline, today) - progress > margin or age > stale_days:
        return "yellow"
    return "green"


def _day(value: object) -> dt.date | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


def with_lights(
    tasks: pd.DataFrame, today: dt.date, rules: LightRules | None = None
) -> pd.DataFrame:
    """The tasks with a `light` column and `days_left`, most urgent first."""
    rules = rules or LightRules()
    if tasks.empty:
        return tasks.assign(light=pd.Series(dtype="string"), days_left=pd.Series(dtype="Int64"))
    lights = [
        task_light(
            float(r.progress),
            _day(r.start_date),
            _day(r.deadline),
            _day(r.last_feedback_date),
            _day(r.completed_at) is not None,
            today,
            rules.behind_margin,
            stale_days=rules.stale_days,
            stalled_days=rules.stalled_days,
        )
        for r in tasks.itertuples()
    ]
    out = tasks.assign(light=lights)
    out["days_left"] = [(_day(d) - today).days for d in out["deadline"]]
    rank = out["light"].map({"red": 0, "yellow": 1, "green": 2, "done": 3})
    return out.assign(_rank=rank).sort_values(["_rank", "days_left"]).drop(columns="_rank")


def light_reason(row: pd.Series | dict, today: dt.date, rules: LightRules | None = None) -> str:
    """Why a task has its light, in a few words (逾期12天, 进度落后序时18个百分点, ...)."""
    rules = rules or LightRules()
    light = row["light"]
    if light == "done":
        return "已完成"
    deadline, start = _day(row["deadline"]), _day(row["start_date"])
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
    kind: str  # 任务下达 | 进展反馈 | 办结 | a supervision action (催办, 约谈, ...)
    text: str
    who: str = ""


def timeline(task: dict | None, actions: list) -> list[TimelineEntry]:
    """A task's history, newest first: supervision actions and feedback on one line.

    `task` is the task's row (may be None for an item opened from a signal); `actions` are
    store Actions with acted_at already in local time.
    """
    entries: list[TimelineEntry] = []
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
