"""重点工作 and 督办: lights and signals on hand-made frames; the page on demo data; actions
written to the cockpit's store through the module's functions and through Dash's HTTP endpoint.

Expected figures are computed from a copy of the demo DuckDB file with pandas, independently
of the hub and the transforms under test.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import numpy as np
import pandas as pd
import pytest

from cockpit.domains.key_work import supervision
from cockpit.domains.key_work.config import KeyWorkConfig
from cockpit.domains.key_work.signals import economy_signals, hotline_signals, warning_signals
from cockpit.domains.key_work.transform import (
    STALE_DAYS,
    STALLED_DAYS,
    LightRules,
    counts_by,
    light_counts,
    light_reason,
    task_light,
    timeline,
    with_lights,
)
from cockpit.scope import Principal
from cockpit.settings import ConfigError, Indicator, Target, load_settings
from cockpit.store import get_store
from cockpit.store import store as store_module
from panels.key_work.callbacks import build_cases, build_detail, build_signals, build_tasks
from tests.dash_requests import callback_body, post

CITY = "140400"
PERIOD = "2026-10"
START = dt.date(2026, 1, 1)
DEADLINE = START + dt.timedelta(days=100)
TODAY = START + dt.timedelta(days=50)  # half the time has elapsed


# -- lights with configurable limits -----------------------------------------------------------
def _task(task_id: str, progress: float, feedback_age: int | None = 2, **extra: Any) -> dict:
    return {
        "task_id": task_id,
        "title": f"任务{task_id}",
        "lead_unit": extra.pop("lead_unit", "市发改委"),
        "lead_leader": "李文华 副市长",
        "county_code": extra.pop("county_code", "140403"),
        "start_date": pd.Timestamp(START),
        "deadline": pd.Timestamp(extra.pop("deadline", DEADLINE)),
        "progress": float(progress),
        "last_feedback": "按计划推进",
        "last_feedback_date": None
        if feedback_age is None
        else pd.Timestamp(TODAY - dt.timedelta(days=feedback_age)),
        "completed_at": extra.pop("completed_at", None),
        **extra,
    }


def test_margin_and_day_limits_are_parameters_with_the_old_defaults() -> None:
    """task_light keeps its signature; stale and stalled days are keywords with the defaults."""
    feedback = TODAY - dt.timedelta(days=STALE_DAYS + 1)
    assert task_light(60, START, DEADLINE, feedback, False, TODAY) == "yellow"
    assert (
        task_light(60, START, DEADLINE, feedback, False, TODAY, stale_days=STALE_DAYS + 1)
        == "green"
    )
    old = TODAY - dt.timedelta(days=STALLED_DAYS + 1)
    assert task_light(60, START, DEADLINE, old, False, TODAY) == "red"
    assert task_light(60, START, DEADLINE, old, False, TODAY, stalled_days=60) == "yellow"


def test_configured_margin_boundary() -> None:
    """With a 5-point margin: exactly 5 points behind is green, a tenth more is yellow."""
    rules = LightRules(behind_margin=5, stale_days=14, stalled_days=30)
    frame = pd.DataFrame([_task("a", 45.0), _task("b", 44.9), _task("c", 39.0)])
    lit = with_lights(frame, TODAY, rules).set_index("task_id")
    assert lit.loc["a", "light"] == "green"
    assert lit.loc["b", "light"] == "yellow"
    default = with_lights(frame, TODAY).set_index("task_id")  # the overview's call, unchanged
    assert default.loc["b", "light"] == "green" and default.loc["c", "light"] == "yellow"


def test_lights_sorted_by_urgency_and_counted() -> None:
    """Red first (the most overdue first), then yellow, green, done; counts by light and unit."""
    frame = pd.DataFrame(
        [
            _task("g", 60.0, lead_unit="市交通运输局"),
            _task("r1", 60.0, deadline=TODAY - dt.timedelta(days=3)),
            _task("r2", 60.0, deadline=TODAY - dt.timedelta(days=9)),
            _task("y", 20.0),
            _task("d", 100.0, completed_at=pd.Timestamp(TODAY)),
        ]
    )
    lit = with_lights(frame, TODAY)
    assert list(lit["task_id"]) == ["r2", "r1", "y", "g", "d"]
    assert light_counts(lit) == {"red": 2, "yellow": 1, "green": 1, "done": 1}
    units = counts_by(lit, "lead_unit")
    assert units.iloc[0]["lead_unit"] == "市发改委"
    assert units.set_index("lead_unit").loc[
        "市发改委", ["red", "yellow", "done", "total"]
    ].tolist() == [2, 1, 1, 4]


def test_light_reason_says_why() -> None:
    """The reason names the overdue days, the stall, the gap to 序时进度."""
    rules = LightRules()
    frame = pd.DataFrame(
        [
            _task("late", 60.0, deadline=TODAY - dt.timedelta(days=12)),
            _task("stalled", 60.0, feedback_age=41),
            _task("behind", 32.0),
            _task("none", 60.0, feedback_age=None),
        ]
    )
    lit = with_lights(frame, TODAY, rules).set_index("task_id")
    assert light_reason(lit.loc["late"], TODAY) == "逾期12天"
    assert light_reason(lit.loc["stalled"], TODAY) == "停滞：41天未反馈"
    assert light_reason(lit.loc["behind"], TODAY) == "进度落后序时18个百分点"
    assert light_reason(lit.loc["none"], TODAY) == "无进展反馈"


def test_timeline_puts_actions_and_feedback_on_one_line() -> None:
    """Newest first; a dated feedback sorts after the actions of its own day."""
    from cockpit.store import Action

    task = _task("t", 40.0, feedback_age=0)
    acts = [
        Action(1, 1, "催办", "请加快", "leader", "city_leader", dt.datetime(2026, 2, 10, 9, 0), 1),
        Action(
            2,
            1,
            "提级督办",
            "两次无进展",
            "leader",
            "city_leader",
            dt.datetime(2026, 2, 20, 9, 0),
            2,
        ),
    ]
    entries = timeline(task, acts)
    assert [e.kind for e in entries] == ["提级督办", "进展反馈", "催办", "任务下达"]
    assert entries[1].text == "按计划推进" and entries[1].who == "市发改委"
    assert [e.kind for e in timeline(None, acts)] == ["提级督办", "催办"]


def test_config_section_is_validated() -> None:
    """config/key_work.yaml validates; stalled shorter than stale is refused, naming the file."""
    from cockpit.factory import module_configs
    from cockpit.panels import all_panels

    settings = load_settings(environ={})
    panel = [p for p in all_panels() if p.key == "key_work"]
    cfg = module_configs(settings, panel)["key_work"]
    assert isinstance(cfg, KeyWorkConfig) and cfg.lights.rules() == LightRules(10.0, 14, 30)
    bad = settings.model_copy(
        update={"key_work": {"lights": {"stale_days": 20, "stalled_days": 10}}}
    )
    with pytest.raises(ConfigError) as info:
        module_configs(bad, panel)
    assert info.value.problems == [
        "config/key_work.yaml: key_work.lights: stalled_days must not be shorter than stale_days"
    ]
    typo = settings.model_copy(update={"key_work": {"supervision": {"roles": ["city_leadr"]}}})
    with pytest.raises(ConfigError) as info:
        module_configs(typo, panel)
    assert len(info.value.problems) == 1
    assert "key_work.supervision.roles" in info.value.problems[0]
    assert "unknown roles ['city_leadr']" in info.value.problems[0]


# -- signals on hand-made frames -----------------------------------------------------------------
def _indicator(**overrides: Any) -> Indicator:
    fields: dict[str, Any] = {
        "id": "fai",
        "name": "固定资产投资",
        "unit": "亿元",
        "definition": "测试口径",
        "department": "市统计局",
        "frequency": "monthly",
        "form": "cumulative",
        "growth": "published",
        "good": "up",
        "additive": True,
        "target": Target(kind="growth", value=9.5),
        "warn_margin": 2.0,
    }
    fields.update(overrides)
    return Indicator(**fields)


def _econ_row(indicator_id: str, growth: float, place: str = CITY) -> dict:
    return {
        "indicator_id": indicator_id,
        "county_code": place,
        "period": PERIOD,
        "period_type": "cumulative",
        "value": 100.0,
        "growth": growth,
        "unit": "亿元",
        "release_date": pd.Timestamp("2026-11-18"),
    }


def test_a_red_indicator_is_a_signal_with_its_link_back() -> None:
    """Growth more than the margin below target is a signal; exactly at the margin is not."""
    fai, retail = _indicator(), _indicator(id="retail", name="社会消费品零售总额")
    frame = pd.DataFrame([_econ_row("fai", 7.4), _econ_row("retail", 7.5)])
    [signal] = economy_signals(frame, (fai, retail), PERIOD, CITY, "长治市", None)
    assert signal.key == f"economy:fai:{PERIOD}:{CITY}"
    assert signal.link == "/economy?period=2026-10&indicator=fai"
    assert signal.title == "长治市固定资产投资1-10月同比+7.4%，低于目标9.5%"
    county = economy_signals(
        pd.DataFrame([_econ_row("fai", 1.0, "140403")]),
        (fai,),
        PERIOD,
        "140403",
        "潞州区",
        "140403",
    )
    assert county[0].link == "/economy?period=2026-10&indicator=fai&county=140403"


def test_a_12345_spike_is_a_signal() -> None:
    """A category at 3x its 8-week mean last week is a signal, linked to that week."""
    weeks = pd.date_range("2026-09-14", "2026-11-09", freq="W-MON").strftime("%Y-%m-%d")
    rows = [{"category_l2": "燃气", "week": w, "tickets": 30} for w in weeks[:-1]]
    rows += [{"category_l2": "燃气", "week": weeks[-1], "tickets": 90}]
    rows += [{"category_l2": "供水", "week": w, "tickets": 30} for w in weeks]
    [signal] = hotline_signals(pd.DataFrame(rows), "2026-11-09", CITY, "长治市", None, 5)
    assert signal.key == "hotline:燃气:2026-11-09:140400"
    assert "燃气类诉求 90 件" in signal.reason and "3 倍" in signal.reason
    assert signal.link.startswith("/hotline?period=2026-11&category=")
    assert hotline_signals(pd.DataFrame(rows), "2026-11-09", CITY, "长治市", None, 0) == []


def test_warnings_at_the_configured_levels_are_signals() -> None:
    """Red and orange warnings become signals, most severe first; an anomaly already offered
    as a 12345 spike is not offered twice."""
    from cockpit.domains.risk.early_warning import EarlyWarning

    frame = pd.DataFrame(
        [
            {
                "warning_id": "W3",
                "level": 3,
                "title": "黄",
                "county_code": "140403",
                "place": "",
                "responsible_unit": "u",
                "stage": "发布",
                "issued_at": pd.NaT,
                "reason": "",
                "link": "/risk?warning=W3",
            },
            {
                "warning_id": "W2",
                "level": 2,
                "title": "橙",
                "county_code": "140403",
                "place": "南街",
                "responsible_unit": "市信访局",
                "stage": "响应",
                "issued_at": pd.Timestamp("2026-11-12 07:36"),
                "reason": "",
                "link": "/risk?warning=W2",
            },
            {
                "warning_id": "EW",
                "level": 1,
                "title": "燃气",
                "county_code": CITY,
                "place": "",
                "responsible_unit": "u",
                "stage": "发布",
                "issued_at": pd.NaT,
                "reason": "r",
                "link": "/hotline",
            },
        ]
    )
    made = [
        EarlyWarning(
            "EW",
            "anomaly",
            "城市运行",
            1,
            "燃气",
            "r",
            CITY,
            "u",
            "s",
            None,
            "/hotline",
            "hotline:燃气:2026-11-09",
        )
    ]
    pairs = warning_signals(frame, made, (1, 2), {}, set())
    assert [(lv, s.key) for lv, s in pairs] == [(1, "risk:EW"), (2, "risk:W2")]
    assert pairs[1][1].reason == "南街，责任单位市信访局，当前阶段：响应，2026-11-12 07:36发布"
    assert [
        s.key for _, s in warning_signals(frame, made, (1, 2), {}, {"hotline:燃气:2026-11-09"})
    ] == ["risk:W2"]


# -- on demo data --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def truth(demo_sql) -> dict[str, pd.DataFrame]:
    """Tasks, warnings, indicator values and gas tickets of the demo file, as plain frames."""
    tables = {name: b.table for name, b in load_settings(environ={}).datasets.items()}
    return {
        "tasks": demo_sql(f"SELECT * FROM {tables['key_work.tasks']}"),
        "milestones": demo_sql(f"SELECT * FROM {tables['key_work.milestones']}"),
        "warnings": demo_sql(f"SELECT * FROM {tables['risk.warnings']}"),
        "economy": demo_sql(f"SELECT * FROM {tables['economy.indicator_values']}"),
        "gas": demo_sql(
            f"SELECT received_at FROM {tables['hotline.tickets']} WHERE category_l2 = '燃气'"
        ),
    }


@pytest.fixture
def kw_app(settings, request: pytest.FixtureRequest):
    """The app (with the test's own store, from the settings fixture); a principal by param."""
    from cockpit.scope import CITY_LEADER
    from tests.apps import running_app

    yield from running_app(settings, getattr(request, "param", CITY_LEADER))


def _hub(app):
    return app.server.extensions["cockpit_hub"]


def _today(settings) -> dt.date:
    return settings.sources["demo"].end_date


def _overdue_days(milestones: pd.DataFrame, tasks: pd.DataFrame, today: dt.date) -> pd.Series:
    """Per task (in the tasks' order), days its most overdue open milestone is past due (0: none)."""
    due = pd.to_datetime(milestones.due_date)
    day = pd.Timestamp(today)
    late = (day - due).dt.days.where(milestones.done_at.isna() & (due < day))
    worst = late.groupby(milestones.task_id).max()
    return tasks.task_id.map(worst).fillna(0).to_numpy()


def _expected_lights(tasks: pd.DataFrame, today: dt.date, milestones: pd.DataFrame) -> pd.Series:
    """The light rules of config/key_work.yaml, written again in vectorised pandas."""
    day = pd.Timestamp(today)
    deadline, start = pd.to_datetime(tasks.deadline), pd.to_datetime(tasks.start_date)
    age = (day - pd.to_datetime(tasks.last_feedback_date)).dt.days
    span = (deadline - start).dt.days.clip(lower=1)
    elapsed = ((day - start).dt.days / span).clip(0, 1) * 100
    done = tasks.completed_at.notna() | (tasks.progress >= 100)
    late = _overdue_days(milestones, tasks, today)
    red = (day > deadline) | age.isna() | (age > 30) | (late > 60)
    yellow = (elapsed - tasks.progress > 10) | (age > 14) | (late > 0)
    return pd.Series(
        np.select([done, red, yellow], ["done", "red", "yellow"], "green"), index=tasks.task_id
    )


def test_task_counts_match_the_data(kw_app, settings, truth) -> None:
    """The headline counts by light are those of the demo tasks, whole city and one county."""
    today = _today(settings)
    expected = _expected_lights(truth["tasks"], today, truth["milestones"])
    with kw_app.server.test_request_context("/"):
        built = build_tasks(_hub(kw_app), None, "attention", today)
        county = build_tasks(_hub(kw_app), "140403", "all", today)
    assert light_counts(built["lit"]) == {
        k: int((expected == k).sum()) for k in ("red", "yellow", "green", "done")
    }
    assert (
        built["lit"]
        .set_index("task_id")["light"]
        .sort_index()
        .equals(expected.sort_index().rename("light"))
    )
    assert len(built["rows"]) == int(expected.isin(["red", "yellow"]).sum())
    mine = truth["tasks"][truth["tasks"].county_code == "140403"].task_id
    assert sorted(county["lit"].task_id) == sorted(mine)
    # The county chart's bars add up to every task.
    bars = built["by_county"].data
    assert sum(sum(t.x) for t in bars) == len(truth["tasks"])


def _latest_city_rows(truth: dict, period: str) -> pd.DataFrame:
    e = truth["economy"]
    e = e[
        (e.county_code == CITY)
        & (e.period_type == "cumulative")
        & (e.period <= period)
        & (e.period.str[:4] == period[:4])
    ]
    e = e.sort_values("release_date").drop_duplicates(["indicator_id", "period"], keep="last")
    return e.sort_values("period").groupby("indicator_id").tail(1).set_index("indicator_id")


def test_signals_on_demo_data(kw_app, settings, truth) -> None:
    """Red indicators, the week's gas spike and the orange warning are offered, with links."""
    today = _today(settings)
    with kw_app.server.test_request_context("/"):
        built = build_signals(_hub(kw_app), PERIOD, None, today)
    keys = {s.key: s for s in built["signals"]}
    rows = _latest_city_rows(truth, PERIOD)
    red = set()
    for ind in settings.indicators:
        if ind.target is None or ind.target.kind != "growth" or ind.id not in rows.index:
            continue
        growth = rows.loc[ind.id, "growth"]
        if pd.isna(growth):
            continue  # computed growth: checked by the economy module's own tests
        gap = growth - ind.target.value if ind.good == "up" else ind.target.value - growth
        if gap < -ind.warn_margin:
            red.add(f"economy:{ind.id}:{rows.loc[ind.id, 'period']}:{CITY}")
    assert red and red <= set(keys)
    for key in red:
        indicator = key.split(":")[1]
        assert keys[key].link == f"/economy?period={PERIOD}&indicator={indicator}"
    # The gas spike of the last complete week, with its count.
    monday = pd.Timestamp(today).normalize() - pd.Timedelta(days=pd.Timestamp(today).weekday() + 7)
    gas = truth["gas"].received_at
    count = int(((gas >= monday) & (gas < monday + pd.Timedelta(days=7))).sum())
    spike = keys[f"hotline:燃气:{monday:%Y-%m-%d}:{CITY}"]
    assert f"燃气类诉求 {count} 件" in spike.reason
    # Warnings in force at 红/橙 from the source.
    w = truth["warnings"]
    strong = w[(w.stage != "解除") & (w.level <= 2)].warning_id
    assert {f"risk:{i}" for i in strong} <= set(keys)
    assert "数据截至" in built["note"]


# -- writing through the module --------------------------------------------------------------
def test_an_action_is_recorded_with_who_and_shows_on_the_timeline(kw_app, settings, truth) -> None:
    """催办 on a task writes to the store as the server's principal, and the timeline shows it
    beside the task's latest feedback."""
    task = truth["tasks"].iloc[0]
    with kw_app.server.test_request_context("/"):
        hub = _hub(kw_app)
        outcome = supervision.act(hub, f"task:{task.task_id}", "催办", "请本周内报送进展")
        children, disabled = build_detail(hub, f"task:{task.task_id}", _today(settings))
        case = get_store(hub).case_for_task(task.task_id)
    assert outcome.ok and outcome.message.startswith("已记录催办（default，")
    [action] = get_store(_hub(kw_app)).actions(case.id)
    assert (action.action, action.comment, action.actor_id, action.actor_role) == (
        "催办",
        "请本周内报送进展",
        "default",
        "city_leader",
    )
    text = json.dumps(children, default=lambda c: c.to_plotly_json(), ensure_ascii=False)
    assert "请本周内报送进展" in text and task.last_feedback in text and not disabled


def test_escalation_needs_a_reason(kw_app, truth) -> None:
    """提级督办 without a reason is refused before anything is written."""
    task_id = truth["tasks"].task_id.iloc[1]
    with kw_app.server.test_request_context("/"):
        outcome = supervision.act(_hub(kw_app), f"task:{task_id}", "提级督办", "  ")
        assert get_store(_hub(kw_app)).case_for_task(task_id) is None
    assert not outcome.ok and outcome.message == "提级督办请填写理由"


@pytest.mark.parametrize("kw_app", [Principal("viewer", "analyst")], indirect=True)
def test_a_role_without_the_right_cannot_act(kw_app, truth) -> None:
    """A role not in config/key_work.yaml's roles is refused, and nothing is written."""
    task_id = truth["tasks"].task_id.iloc[0]
    with kw_app.server.test_request_context("/"):
        outcome = supervision.act(_hub(kw_app), f"task:{task_id}", "催办", "")
        assert get_store(_hub(kw_app)).count_cases() == 0
    assert not outcome.ok and "没有督办权限" in outcome.message


@pytest.mark.parametrize(
    "kw_app", [Principal("county", "city_leader", frozenset({"140404"}))], indirect=True
)
def test_a_task_outside_the_users_counties_cannot_be_acted_on(kw_app, truth) -> None:
    """The task is read again through the hub with the user's scope: another county's is refused."""
    other = truth["tasks"][truth["tasks"].county_code == "140403"].task_id.iloc[0]
    with kw_app.server.test_request_context("/"):
        outcome = supervision.act(_hub(kw_app), f"task:{other}", "催办", "")
        assert get_store(_hub(kw_app)).count_cases() == 0
    assert not outcome.ok and "不在您的查看范围内" in outcome.message


def test_promote_a_red_indicator_carries_its_link(kw_app, settings) -> None:
    """转督办 on a red indicator opens an item whose link returns to the figure; twice is refused."""
    today = _today(settings)
    with kw_app.server.test_request_context("/"):
        hub = _hub(kw_app)
        signal = next(
            s for s in build_signals(hub, PERIOD, None, today)["signals"] if s.kind == "economy"
        )
        outcome = supervision.promote(hub, signal.key, PERIOD, None, today)
        again = supervision.promote(hub, signal.key, PERIOD, None, today)
        unknown = supervision.promote(hub, "economy:nope:2026-10:140400", PERIOD, None, today)
        case = get_store(hub).case(outcome.case_id)
        listed = build_cases(hub, None)
    assert (
        outcome.ok
        and case.link == signal.link
        and case.link.startswith("/economy?period=2026-10&indicator=")
    )
    assert (case.signal_key, case.title, case.opened_by) == (signal.key, signal.title, "default")
    assert not again.ok and again.case_id == case.id and "已转督办" in again.message
    assert not unknown.ok and "不在当前清单" in unknown.message
    assert signal.title in json.dumps(
        listed, default=lambda c: c.to_plotly_json(), ensure_ascii=False
    )


def test_a_failed_write_is_reported_and_leaves_nothing(kw_app, truth, monkeypatch) -> None:
    """The store failing after the case insert: the user is told, and no case remains."""
    task_id = truth["tasks"].task_id.iloc[2]

    def boom(*_a: object, **_k: object) -> None:
        raise RuntimeError("connection lost")

    monkeypatch.setattr(store_module, "_insert_action", boom)
    with kw_app.server.test_request_context("/"):
        outcome = supervision.act(_hub(kw_app), f"task:{task_id}", "约谈", "约谈牵头单位负责人")
        assert get_store(_hub(kw_app)).count_cases() == 0
    assert not outcome.ok
    assert "约谈未能保存" in outcome.message and "已全部撤销" in outcome.message


# -- through Dash's HTTP endpoint --------------------------------------------------------------
def _post(app, output: str, inputs: list, state: dict[str, Any], changed: str) -> dict:
    """POST a callback as the Dash renderer does (pattern-matching inputs given as lists)."""
    body = callback_body(app, output, state, [changed])
    body["inputs"] = inputs
    response = post(app.server.test_client(), body)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_json()["response"]


def _pattern_id(**parts: str) -> str:
    return json.dumps(parts, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def test_promote_over_http_writes_the_item(kw_app, settings) -> None:
    """Clicking 转督办 (POSTed as the browser would) opens the item and selects it."""
    from cockpit.clock import today as today_local

    with kw_app.server.test_request_context("/"):
        signals = build_signals(_hub(kw_app), PERIOD, None, today_local())["signals"]
    economy = next(s for s in signals if s.kind == "economy")
    # The browser's click on its 转督办 names the signal in the store (cockpit.clicks).
    clicked = {"key": economy.key, "at": 1765000000000}
    inputs = [{"id": "key_work-promote-key", "property": "data", "value": clicked}]
    changed = "key_work-promote-key.data"
    response = _post(
        kw_app,
        "key_work-signal-message.children",
        inputs,
        {"filter-period.value": PERIOD, "filter-county.value": "city", "key_work-refresh.data": 3},
        changed,
    )
    assert "已转督办" in json.dumps(response, ensure_ascii=False)
    refresh = [v for k, v in response.items() if k == "key_work-refresh"][0]
    assert list(refresh.values()) == [4]
    with kw_app.server.test_request_context("/"):
        case = get_store(_hub(kw_app)).cases_for_signals([economy.key])[economy.key]
    assert case.link == economy.link
    selected = [v for k, v in response.items() if k == "key_work-selected"][0]
    assert list(selected.values()) == [f"case:{case.id}"]


def test_submit_over_http_records_the_action(kw_app, truth) -> None:
    """Submitting the form records the action as the server's principal, whatever is posted."""
    task_id = truth["tasks"].task_id.iloc[3]
    response = _post(
        kw_app,
        "key_work-message.children",
        [{"id": "key_work-submit", "property": "n_clicks", "value": 1}],
        {
            "key_work-selected.data": f"task:{task_id}",
            "key_work-action.value": "约谈",
            "key_work-comment.value": "约谈牵头单位",
            "key_work-refresh.data": 0,
        },
        "key_work-submit.n_clicks",
    )
    assert "已记录约谈" in json.dumps(response, ensure_ascii=False)
    with kw_app.server.test_request_context("/"):
        store = get_store(_hub(kw_app))
        [action] = store.actions(store.case_for_task(task_id).id)
    assert (action.action, action.actor_id) == ("约谈", "default")


def test_signals_on_a_second_visit_are_not_judged_again(kw_app, monkeypatch) -> None:
    """督办线索's anomaly judgements (the slow part: 1.5-2.5 s a visit) come from the shared
    cache on the second visit: before, a Judgement could not be cached ("cannot cache a
    Judgement") and every visit, warm or cold, judged every series again (#22 item 2)."""
    from cockpit.clock import today as today_local
    from cockpit.domains.risk import warnings

    judged: list[str] = []
    real = warnings.judge_latest

    def spy(*args, **kwargs):
        judged.append(str(getattr(args[0], "name", "")))
        return real(*args, **kwargs)

    monkeypatch.setattr(warnings, "judge_latest", spy)
    hub = _hub(kw_app)
    assert hub.cache is not None
    with kw_app.server.test_request_context("/"):
        first = build_signals(hub, PERIOD, None, today_local())
    assert judged  # the first visit judges the demo's series
    judged.clear()
    with kw_app.server.test_request_context("/"):
        second = build_signals(hub, PERIOD, None, today_local())
    assert judged == []
    assert [s.key for s in second["signals"]] == [s.key for s in first["signals"]]
    assert any(s.kind == "hotline" for s in second["signals"])
