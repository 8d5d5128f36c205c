"""Milestones of key tasks: their states, their weight in the lights, the timeline; then the
figures the page shows, checked against the demo file read independently with pandas, and a
failing milestone source that must leave the tasks on screen.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from cockpit.domains.key_work.config import KeyWorkConfig
from cockpit.domains.key_work.transform import (
    LightRules,
    light_reason,
    milestone_states,
    milestone_summary,
    task_light,
    timeline,
    with_lights,
)
from cockpit.ids import decode_key
from cockpit.settings import StoreSettings, load_settings
from cockpit.store import Action, get_store
from panels.key_work.callbacks import build_detail, build_tasks

START = dt.date(2026, 1, 1)
DEADLINE = START + dt.timedelta(days=100)
TODAY = START + dt.timedelta(days=50)  # half the time has elapsed
FRESH = TODAY - dt.timedelta(days=2)  # feedback two days old: not stale


def _ms(task_id: str, seq: int, due: dt.date, done: dt.date | None = None, **extra: Any) -> dict:
    return {
        "task_id": task_id,
        "seq": seq,
        "name": extra.pop("name", f"节点{seq}"),
        "due_date": pd.Timestamp(due),
        "done_at": pd.Timestamp(done) if done else pd.NaT,
        "planned_progress": extra.pop("planned_progress", 25.0 * seq),
        **extra,
    }


def _task(task_id: str, progress: float = 55.0, **extra: Any) -> dict:
    return {
        "task_id": task_id,
        "title": f"任务{task_id}",
        "lead_unit": "市发改委",
        "lead_leader": "李文华 副市长",
        "county_code": "140403",
        "start_date": pd.Timestamp(START),
        "deadline": pd.Timestamp(DEADLINE),
        "progress": progress,
        "last_feedback": "按计划推进",
        "last_feedback_date": pd.Timestamp(FRESH),
        "completed_at": None,
        **extra,
    }


def _days(n: int) -> dt.date:
    """TODAY shifted by n days (negative: in the past)."""
    return TODAY + dt.timedelta(days=n)


# -- states --------------------------------------------------------------------------------------
def test_milestone_states_with_due_exactly_today_not_overdue() -> None:
    """Done (days late, negative when early), overdue (days past due), upcoming (days left);
    a milestone due today is upcoming with 0 days left, one due yesterday is overdue by 1."""
    frame = pd.DataFrame(
        [
            _ms("t", 4, _days(30)),
            _ms("t", 1, _days(-40), done=_days(-35)),
            _ms("t", 2, _days(-20), done=_days(-25)),
            _ms("t", 3, _days(-1)),
            _ms("u", 1, _days(0)),
        ]
    )
    states = milestone_states(frame, TODAY)
    assert list(zip(states.task_id, states.seq, states.state, states["days"], strict=True)) == [
        ("t", 1, "done", 5),
        ("t", 2, "done", -5),
        ("t", 3, "overdue", 1),
        ("t", 4, "upcoming", 30),
        ("u", 1, "upcoming", 0),
    ]


def test_a_milestone_done_late_is_done_not_overdue() -> None:
    """Done after its due date: done, 12 days late; it no longer counts against the task."""
    states = milestone_states(pd.DataFrame([_ms("t", 1, _days(-20), done=_days(-8))]), TODAY)
    assert (states.state[0], states["days"][0]) == ("done", 12)
    assert milestone_summary(states).loc["t", "ms_overdue_days"] == 0


def test_summary_counts_and_names_the_most_overdue() -> None:
    """Per task: total, done, overdue, and the most overdue milestone with its days."""
    frame = pd.DataFrame(
        [
            _ms("t", 1, _days(-40), done=_days(-41)),
            _ms("t", 2, _days(-30), name="开工建设"),
            _ms("t", 3, _days(-5), name="主体完工"),
            _ms("t", 4, _days(20)),
            _ms("u", 1, _days(3)),
        ]
    )
    summary = milestone_summary(milestone_states(frame, TODAY))
    assert summary.loc["t"].tolist() == [4, 1, 2, 30, "开工建设"]
    assert summary.loc["u"].tolist() == [1, 0, 0, 0, ""]


# -- lights ----------------------------------------------------------------------------------------
def _light(overdue_days: int | None, **rules: int) -> str:
    """The light of an on-track task (55% at half time, fresh feedback) with a late milestone."""
    return task_light(
        55, START, DEADLINE, FRESH, False, TODAY, milestone_overdue_days=overdue_days, **rules
    )


def test_overdue_milestone_turns_an_on_track_task_yellow_then_red() -> None:
    """Defaults: due today (0 days) stays green, one day overdue is yellow, exactly 60 days is
    still yellow, 61 is red; without milestones the light is that of progress and feedback."""
    assert _light(None) == "green"
    assert _light(0) == "green"
    assert _light(1) == "yellow"
    assert _light(60) == "yellow"
    assert _light(61) == "red"


def test_milestone_limits_are_configurable() -> None:
    """A 7-day grace: 7 days overdue stays green, 8 is yellow; red after 14 (exactly 14 is not)."""
    rules = {"milestone_yellow_days": 7, "milestone_red_days": 14}
    assert [_light(d, **rules) for d in (7, 8, 14, 15)] == ["green", "yellow", "yellow", "red"]


def test_milestones_do_not_override_done_or_task_overdue() -> None:
    """A finished task is done whatever its milestones; an overdue task is red anyway."""
    assert (
        task_light(100, START, DEADLINE, FRESH, False, TODAY, milestone_overdue_days=90) == "done"
    )
    late = DEADLINE + dt.timedelta(days=3)
    assert task_light(90, START, DEADLINE, late, False, late, milestone_overdue_days=0) == "red"


def test_with_lights_uses_the_milestones_given_and_the_configured_rules() -> None:
    """Frames in, lights out: the boundary (due today) on hand-made rows, and the config's limits."""
    tasks = pd.DataFrame([_task("today"), _task("late1"), _task("late61"), _task("none")])
    milestones = pd.DataFrame(
        [
            _ms("today", 1, _days(-30), done=_days(-31)),
            _ms("today", 2, _days(0)),
            _ms("late1", 1, _days(-1), name="完成招标采购"),
            _ms("late61", 1, _days(-61), name="开工建设"),
            _ms("late61", 2, _days(-10)),
        ]
    )
    lit = with_lights(tasks, TODAY, LightRules(), milestones).set_index("task_id")
    assert lit.light.to_dict() == {
        "late61": "red",
        "late1": "yellow",
        "today": "green",
        "none": "green",
    }
    assert lit.loc["today", ["ms_total", "ms_done", "ms_overdue"]].tolist() == [2, 1, 0]
    assert lit.loc["none", ["ms_total", "ms_overdue_days"]].tolist() == [0, 0]
    assert light_reason(lit.loc["late1"], TODAY) == "里程碑「完成招标采购」逾期1天"
    assert light_reason(lit.loc["late61"], TODAY) == "2个里程碑逾期，「开工建设」已逾期61天"
    assert light_reason(lit.loc["today"], TODAY) == "按序时推进"
    # Without milestones (a city without the dataset) the same tasks are all green.
    assert set(with_lights(tasks, TODAY).light) == {"green"}
    # A looser configuration: a 90-day red limit keeps late61 yellow.
    cfg = KeyWorkConfig.model_validate({"lights": {"milestone_red_days": 90}})
    relaxed = with_lights(tasks, TODAY, cfg.lights.rules(), milestones).set_index("task_id")
    assert relaxed.loc["late61", "light"] == "yellow"


def test_milestone_limits_are_validated() -> None:
    """A red limit shorter than the yellow one is refused; negative days too."""
    with pytest.raises(ValueError, match="milestone_red_days must not be shorter"):
        KeyWorkConfig.model_validate(
            {"lights": {"milestone_yellow_days": 10, "milestone_red_days": 5}}
        )
    with pytest.raises(ValueError, match="greater than or equal to 0"):
        KeyWorkConfig.model_validate({"lights": {"milestone_yellow_days": -1}})


# -- the timeline ----------------------------------------------------------------------------------
def test_timeline_puts_milestones_with_actions_and_feedback() -> None:
    """Upcoming milestones head the list; done ones sit on the day they were done, overdue ones on
    their due day; each carries its note (✓ 已完成, 晚N天, 逾期N天, 今日到期, 剩余N天)."""
    milestones = pd.DataFrame(
        [
            _ms("t", 1, _days(-40), done=_days(-42), name="制定方案"),
            _ms("t", 2, _days(-20), done=_days(-15), name="招标采购"),
            _ms("t", 3, _days(-6), name="开工建设", planned_progress=60.0),
            _ms("t", 4, _days(0), name="主体完工"),
            _ms("t", 5, _days(30), name="竣工验收"),
        ]
    )
    acts = [Action(1, 1, "催办", "请加快", "leader", "city_leader", dt.datetime(2026, 2, 16, 9), 1)]
    entries = timeline(_task("t"), acts, milestone_states(milestones, TODAY))
    got = [(e.at.date(), e.kind, e.state, e.note) for e in entries]
    assert got == [
        (_days(30), "里程碑", "upcoming", "剩余30天"),
        (_days(0), "里程碑", "upcoming", "今日到期"),
        (FRESH, "进展反馈", "", ""),
        (dt.date(2026, 2, 16), "催办", "", ""),
        (_days(-6), "里程碑", "overdue", "逾期6天"),
        (_days(-15), "里程碑", "done", "✓ 已完成（晚5天）"),
        (_days(-42), "里程碑", "done", "✓ 已完成"),
        (START, "任务下达", "", ""),
    ]
    overdue = entries[4]
    assert overdue.text == f"开工建设（计划 {_days(-6):%Y-%m-%d} 完成，计划进度 60%）"
    # No milestones (a case from a signal, or the source failed): the timeline as before.
    assert [e.kind for e in timeline(_task("t"), acts)] == ["进展反馈", "催办", "任务下达"]


# -- on demo data ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def truth(demo_sql) -> dict[str, pd.DataFrame]:
    """Tasks and milestones of the demo file, as plain frames."""
    tables = {name: b.table for name, b in load_settings(environ={}).datasets.items()}
    return {
        "tasks": demo_sql(f"SELECT * FROM {tables['key_work.tasks']}"),
        "milestones": demo_sql(f"SELECT * FROM {tables['key_work.milestones']}"),
    }


def _build_app(settings, tmp_path: Path, milestone_table: str | None = None):
    """The city leader's app with a store of its own; milestones from `milestone_table` ("" =
    not bound)."""
    from tests.apps import app_as

    update: dict[str, Any] = {
        "store": StoreSettings(url=f"sqlite:///{tmp_path / 'store' / 'cockpit.db'}")
    }
    if milestone_table is not None:
        datasets = dict(settings.datasets)
        if milestone_table:
            datasets["key_work.milestones"] = datasets["key_work.milestones"].model_copy(
                update={"table": milestone_table}
            )
        else:
            del datasets["key_work.milestones"]
        update["datasets"] = datasets
    return app_as(settings.model_copy(update=update))


@pytest.fixture
def kw_app(settings, tmp_path: Path):
    """The app with a store of its own."""
    app = _build_app(settings, tmp_path)
    yield app
    _close(app)


def _close(app) -> None:
    hub = app.server.extensions["cockpit_hub"]
    for source in hub.sources.values():
        source.close()
    get_store(hub).dispose()


def _text(component: object) -> str:
    return json.dumps(component, default=lambda c: c.to_plotly_json(), ensure_ascii=False)


def test_demo_milestones_agree_with_their_tasks(settings, truth) -> None:
    """Every task has 3-6 milestones, the last due on its deadline; done exactly those whose
    planned share its progress has reached (all for a finished task); never done after the
    task's latest feedback nor after the end date; behind tasks have overdue milestones."""
    tasks, ms = truth["tasks"].set_index("task_id"), truth["milestones"]
    end = pd.Timestamp(settings.sources["demo"].end_date)
    sizes = ms.groupby("task_id").size()
    assert set(sizes.index) == set(tasks.index) and sizes.between(3, 6).all()
    last = ms.sort_values("seq").groupby("task_id").tail(1).set_index("task_id")
    assert (pd.to_datetime(last.due_date) == pd.to_datetime(tasks.deadline[last.index])).all()
    assert (ms.county_code == tasks.county_code[ms.task_id].to_numpy()).all()
    progress = tasks.progress[ms.task_id].to_numpy()
    finished = tasks.completed_at[ms.task_id].notna().to_numpy()
    done = ms.done_at.notna().to_numpy()
    assert (done == (finished | (ms.planned_progress <= progress + 1e-9)).to_numpy()).all()
    done_at = pd.to_datetime(ms.done_at)
    assert (done_at.dropna() < end).all()
    feedback = pd.to_datetime(tasks.last_feedback_date[ms.task_id]).to_numpy()
    assert (done_at[done] <= feedback[done]).all()
    # A task at 60% has its first milestones done: done ones come before the open ones.
    for _, group in ms.sort_values("seq").groupby("task_id"):
        flags = group.done_at.notna().tolist()
        assert flags == sorted(flags, reverse=True)
    # Behind tasks (more than 10 points behind 序时进度) have milestones past due and not done.
    today = pd.Timestamp(settings.sources["demo"].end_date)
    overdue = ms[ms.done_at.isna() & (pd.to_datetime(ms.due_date) < today)]
    assert len(overdue) > 10
    assert set(overdue.task_id) <= set(tasks.index[tasks.completed_at.isna()])


def test_list_and_detail_show_the_milestones_of_the_data(kw_app, settings, truth) -> None:
    """里程碑 done/total and overdue in the list, and every milestone of a task with its state
    and days on its timeline, as computed from the demo file with pandas."""
    today = settings.sources["demo"].end_date
    day = pd.Timestamp(today)
    ms = truth["milestones"].copy()
    ms["due"] = pd.to_datetime(ms.due_date)
    ms["overdue"] = ms.done_at.isna() & (ms.due < day)
    per_task = ms.groupby("task_id").agg(
        total=("seq", "size"), done=("done_at", "count"), overdue=("overdue", "sum")
    )
    with kw_app.server.test_request_context("/"):
        hub = kw_app.server.extensions["cockpit_hub"]
        built = build_tasks(hub, None, "all", today, limit=len(truth["tasks"]))
        # The task with most overdue milestones, then one with none overdue.
        late_id = per_task.overdue.idxmax()
        children, _ = build_detail(hub, f"task:{late_id}", today)
    rows = {decode_key(r.children[-1].id["subject"]): _text(r) for r in built["rows"]}
    assert len(rows) == len(truth["tasks"])
    for task_id, row in rows.items():
        expected = per_task.loc[task_id.removeprefix("task:")]
        assert f"里程碑 {expected.done}/{expected.total}" in row
        assert (f" · {expected.overdue}个逾期" in row) == (expected.overdue > 0)
    assert "里程碑数据暂不可用" not in built["task_note"]
    detail = _text(children)
    mine = ms[ms.task_id == late_id]
    assert per_task.loc[late_id, "overdue"] >= 1
    assert f"已完成 {per_task.loc[late_id, 'done']}/{per_task.loc[late_id, 'total']}" in detail
    for m in mine.itertuples():
        assert m.name in detail
        if m.overdue:
            assert f"逾期{(day - m.due).days}天" in detail
        elif pd.notna(m.done_at):
            assert f"{pd.Timestamp(m.done_at):%Y-%m-%d}" in detail
        else:
            left = (m.due - day).days
            assert ("今日到期" if left == 0 else f"剩余{left}天") in detail
    assert "里程碑数据截至" in detail


@pytest.mark.parametrize(
    ("table", "note"), [("no_such_milestones", True), ("", False)], ids=["failing", "not-bound"]
)
def test_a_failing_milestone_source_leaves_the_tasks(
    settings, tmp_path, truth, table, note
) -> None:
    """Milestones bound to a table the source does not have: the list and the detail still show
    the tasks (lights from progress and feedback), each saying the milestones are unavailable.
    A city with no milestone source bound gets the same lights and no such message."""
    app = _build_app(settings, tmp_path, milestone_table=table)
    today = settings.sources["demo"].end_date
    task_id = truth["tasks"].task_id.iloc[0]
    try:
        with app.server.test_request_context("/"):
            hub = app.server.extensions["cockpit_hub"]
            built = build_tasks(hub, None, "all", today, limit=len(truth["tasks"]))
            children, disabled = build_detail(hub, f"task:{task_id}", today)
            plain = with_lights(truth["tasks"], today, KeyWorkConfig().lights.rules())
    finally:
        _close(app)
    assert len(built["rows"]) == len(truth["tasks"])
    assert ("里程碑数据暂不可用" in built["task_note"]) == note
    assert "ms_total" not in built["lit"].columns
    lights = built["lit"].set_index("task_id").light.sort_index()
    assert lights.equals(plain.set_index("task_id").light.sort_index())
    detail = _text(children)
    assert ("里程碑数据暂不可用" in detail) == note and truth["tasks"].title.iloc[0] in detail
    assert "里程碑数据截至" not in detail and not disabled
