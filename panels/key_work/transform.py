"""Status lights of key tasks, computed (never stored) from progress, time and feedback.

green: on track. yellow: progress behind the time elapsed to the deadline by more than the
margin, or the latest feedback is stale. red: past the deadline and not done, or stalled
(no feedback for a long time).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

BEHIND_MARGIN = 10.0  # percentage points of progress behind time elapsed
STALE_DAYS = 14  # feedback older than this turns a task yellow
STALLED_DAYS = 30  # ... and older than this, red


def task_light(
    progress: float,
    start: dt.date,
    deadline: dt.date,
    last_feedback: dt.date | None,
    completed: bool,
    today: dt.date,
    margin: float = BEHIND_MARGIN,
) -> str:
    """The light of one task on `today`: done | green | yellow | red."""
    if completed or progress >= 100:
        return "done"
    if today > deadline:
        return "red"
    age = None if last_feedback is None else (today - last_feedback).days
    if age is None or age > STALLED_DAYS:
        return "red"
    span = max((deadline - start).days, 1)
    elapsed = min(max((today - start).days / span, 0.0), 1.0) * 100
    if elapsed - progress > margin or age > STALE_DAYS:
        return "yellow"
    return "green"


def with_lights(tasks: pd.DataFrame, today: dt.date) -> pd.DataFrame:
    """The tasks with a `light` column and `days_left`, most urgent first."""
    if tasks.empty:
        return tasks.assign(light=pd.Series(dtype="string"), days_left=pd.Series(dtype="Int64"))

    def day(value: object) -> dt.date | None:
        return None if value is None or pd.isna(value) else pd.Timestamp(value).date()

    lights = [
        task_light(
            float(r.progress),
            day(r.start_date),
            day(r.deadline),
            day(r.last_feedback_date),
            day(r.completed_at) is not None,
            today,
        )
        for r in tasks.itertuples()
    ]
    out = tasks.assign(light=lights)
    out["days_left"] = [(day(d) - today).days for d in out["deadline"]]
    rank = out["light"].map({"red": 0, "yellow": 1, "green": 2, "done": 3})
    return out.assign(_rank=rank).sort_values(["_rank", "days_left"]).drop(columns="_rank")
