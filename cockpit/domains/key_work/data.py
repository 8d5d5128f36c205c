"""The 重点工作 module's questions to the data hub; aggregates are pushed down to the engine.

Tasks and their milestones are rows (a city has a few hundred tasks at most, and their lights
are computed from rows); the 12345 weekly counts behind the spikes are aggregated by the engine.
"""

from __future__ import annotations

import pandas as pd

from cockpit.hub import DataHub, Result
from data_sources.query import DatasetQuery, Filter, Measure, TimeBucket

TASK_COLUMNS = (
    "task_id",
    "title",
    "source",
    "lead_leader",
    "lead_unit",
    "co_units",
    "county_code",
    "start_date",
    "deadline",
    "progress",
    "last_feedback",
    "last_feedback_date",
    "completed_at",
)


def county_filter(county: str | None) -> tuple[Filter, ...]:
    """The screen's county selection as a filter (scope is added by the hub, not here)."""
    return (Filter("county_code", "eq", county),) if county else ()


def tasks(hub: DataHub, county: str | None) -> Result:
    """The key tasks of a county (or all), as rows."""
    query = DatasetQuery(filters=county_filter(county), columns=TASK_COLUMNS)
    return hub.query("key_work.tasks", query)


def task(hub: DataHub, task_id: str) -> Result:
    """One task by id, within the user's scope (empty when unknown or out of scope)."""
    query = DatasetQuery(filters=(Filter("task_id", "eq", task_id),), columns=TASK_COLUMNS)
    return hub.query("key_work.tasks", query)


MILESTONE_COLUMNS = ("task_id", "seq", "name", "due_date", "done_at", "planned_progress")


def milestones(hub: DataHub, county: str | None) -> Result | None:
    """The milestones of a county's tasks (or all), as rows: a few per task.

    None where the city has no milestone source (config/datasets.yaml does not bind one).
    """
    if "key_work.milestones" not in hub.settings.datasets:
        return None
    query = DatasetQuery(filters=county_filter(county), columns=MILESTONE_COLUMNS)
    return hub.query("key_work.milestones", query)


def task_milestones(hub: DataHub, task_id: str) -> Result | None:
    """One task's milestones, within the user's scope (None: no milestone source)."""
    if "key_work.milestones" not in hub.settings.datasets:
        return None
    query = DatasetQuery(filters=(Filter("task_id", "eq", task_id),), columns=MILESTONE_COLUMNS)
    return hub.query("key_work.milestones", query)


def economy_rows(hub: DataHub, period: str, place_code: str) -> Result:
    """Indicator rows of one place, this year and last (computed growth needs last year)."""
    query = DatasetQuery(
        filters=(
            Filter("period", "between", (f"{int(period[:4]) - 1}-01", period)),
            Filter("county_code", "eq", place_code),
        )
    )
    return hub.query("economy.indicator_values", query)


def hotline_weekly(hub: DataHub, monday: pd.Timestamp, county: str | None) -> Result:
    """Tickets per category and week for the ten weeks up to the week starting `monday`."""
    start = (monday - pd.Timedelta(weeks=10)).to_pydatetime()
    end = (monday + pd.Timedelta(days=7)).to_pydatetime()
    query = DatasetQuery(
        filters=(
            Filter("received_at", "ge", start),
            Filter("received_at", "lt", end),
            *county_filter(county),
        ),
        group_by=("category_l2",),
        buckets=(TimeBucket("received_at", "week", "week"),),
        measures=(Measure("tickets", "count"),),
    )
    return hub.query("hotline.tickets", query)


def usable_milestones(result: Result | None) -> tuple[pd.DataFrame | None, str | None]:
    """The milestone rows to use, and what to tell the user about them.

    A failing milestone source must not break the tasks: without rows (None) the lights use
    progress and feedback alone, and the note says why; the last good rows are used when the
    hub still has them, marked as such. A city without a milestone source gets no note.
    """
    if result is None:
        return None, None
    if result.ok:
        return result.frame, None
    if result.stale and not result.frame.empty:
        return result.frame, f"里程碑显示最近一次成功数据：{result.error}"
    return None, f"里程碑数据暂不可用：{result.error}"
