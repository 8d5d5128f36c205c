"""Two-way 督办 (#23 item 3): the unit answers its own items, unanswered actions escalate by
rule in the scheduler tick, the leader confirms or sends back, 效果评估 closes, the units'
scorecard counts it, and two people acting on one item at once never overwrite each other.

Run on the SQLite store and on a PostgreSQL schema of the test's own (skipped, with the reason,
where no PostgreSQL answers).
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from cockpit import audit, clock
from cockpit.domains.key_work import duban, supervision
from cockpit.jobs import runner
from cockpit.notify import inbox
from cockpit.scope import Principal, acting_as
from cockpit.security import accounts
from cockpit.store import STALE, Actor, Conflict, get_store
from data_sources.query import DatasetQuery
from tests.apps import running_app_on_store

PASSWORD = "Cockpit-Test-Pass-2026!"


@pytest.fixture(params=["sqlite", "postgresql"])
def kw_app(request, settings, tmp_path):
    """The cockpit on a SQLite store, or on a PostgreSQL schema of its own."""
    yield from running_app_on_store(request, settings, tmp_path, "duban")


def _hub(app):
    return app.server.extensions["cockpit_hub"]


def _task(app) -> dict:
    with app.server.test_request_context("/"):
        frame = _hub(app).query("key_work.tasks", DatasetQuery()).frame
    return frame.iloc[0].to_dict()


def _account(app, username: str, role: str, unit: str | None, county: str | None) -> Principal:
    hub = _hub(app)
    user = accounts.create_user(
        get_store(hub),
        username=username,
        role=role,
        password=PASSWORD,
        policy=hub.settings.security.password,
        known_counties=list(hub.settings.city.county_names),
        counties=[county] if county else None,
        must_change=False,
        unit=unit,
    )
    return user.principal()


@pytest.fixture
def people(kw_app):
    """A leader and the task's unit, and a unit of another name; the task they share."""
    task = _task(kw_app)
    leader = _account(kw_app, "leader1", "city_leader", None, None)
    unit = _account(kw_app, "unit1", "unit_staff", task["lead_unit"], task["county_code"])
    other = _account(kw_app, "unit2", "unit_staff", "别的单位", task["county_code"])
    return task, leader, unit, other


def run_as(app, who, fn, *args, **kwargs):
    with app.server.test_request_context("/"), acting_as(who):
        return fn(_hub(app), *args, **kwargs)


def test_unit_staff_need_a_unit_and_see_only_their_own_items(kw_app, people) -> None:
    task, leader, unit, other = people
    assert unit.unit == task["lead_unit"] and unit.role == "unit_staff"
    with pytest.raises(accounts.AccountError, match="所属单位"):
        _account(kw_app, "unit3", "unit_staff", None, task["county_code"])
    done = run_as(kw_app, leader, supervision.act, f"task:{task['task_id']}", "催办", "三日内反馈")
    assert done.ok, done.message
    assert [c.id for c in run_as(kw_app, unit, duban.unit_cases)] == [done.case_id]
    assert run_as(kw_app, other, duban.unit_cases) == []
    assert run_as(kw_app, leader, duban.unit_cases) == []  # a leader is no unit
    # Another unit cannot answer it, whatever id its browser sends.
    refused = run_as(kw_app, other, duban.reply, done.case_id, "进展反馈", "已完成")
    assert not refused.ok and "不属于本单位" in refused.message
    refused = run_as(kw_app, leader, duban.reply, done.case_id, "进展反馈", "已完成")
    assert not refused.ok and "不是承办单位" in refused.message
    assert [a.action for a in get_store(_hub(kw_app)).actions(done.case_id)] == ["催办"]


def test_the_whole_loop_with_escalation_by_the_tick(kw_app, people, monkeypatch) -> None:
    """催办 -> 进展反馈 (on time) -> 催办 unanswered past its deadline -> the tick records 约谈
    (audited, both sides told) -> 办结申请 -> 退回 -> 办结申请 -> 办结确认 -> 效果评估 4."""
    task, leader, unit, _ = people
    hub = _hub(kw_app)
    store = get_store(hub)
    start = dt.datetime(2026, 12, 1, 9, 0)
    monkeypatch.setattr(clock, "now", lambda: start)
    first = run_as(kw_app, leader, supervision.act, f"task:{task['task_id']}", "催办", "请反馈")
    case = store.case(first.case_id)
    assert case.unit == task["lead_unit"]
    assert clock.local_time(case.due_at) == start + dt.timedelta(days=3)
    assert run_as(kw_app, unit, duban.reply, case.id, "进展反馈", "已开工，完成40%").ok
    assert store.case(case.id).due_at == case.due_at  # progress does not stop the clock
    assert run_as(kw_app, leader, supervision.act, f"case:{case.id}", "催办", "请加快").ok
    # One minute before the deadline nothing happens; past it, the tick escalates once.
    monkeypatch.setattr(clock, "now", lambda: start + dt.timedelta(days=3, minutes=-1))
    assert runner.tick(kw_app)["escalated"] == 0
    monkeypatch.setattr(clock, "now", lambda: start + dt.timedelta(days=3, minutes=1))
    assert runner.tick(kw_app)["escalated"] == 1
    assert runner.tick(kw_app)["escalated"] == 0  # a new deadline: not twice
    last = store.actions(case.id)[-1]
    assert (last.action, last.actor_id) == ("约谈", "system") and "逾期未反馈" in last.comment
    records = [e for e in audit.entries(store, action=audit.SUPERVISION) if e.user_id == "system"]
    assert [r.detail["action"] for r in records] == ["约谈"]
    for who in ("unit1", "leader1"):
        assert any("约谈" in i.title for i in inbox.items(store, who)), who
    assert not any("约谈" in i.title for i in inbox.items(store, "unit2"))
    # The unit asks to close; the leader sends it back; asked again, it is confirmed and rated.
    assert run_as(kw_app, unit, duban.reply, case.id, "办结申请", "验收报告已上传").ok
    late = store.actions(case.id)[-1]
    assert late.on_time is True
    assert not run_as(kw_app, leader, supervision.act, f"case:{case.id}", "退回", "").ok
    assert run_as(kw_app, leader, supervision.act, f"case:{case.id}", "退回", "缺验收签字").ok
    assert any("退回" in i.title for i in inbox.items(store, "unit1"))
    assert run_as(kw_app, unit, duban.reply, case.id, "办结申请", "补签字").ok
    assert run_as(kw_app, leader, supervision.act, f"case:{case.id}", "办结确认", "").ok
    rated = run_as(
        kw_app, leader, supervision.act, f"case:{case.id}", "效果评估", "按期完成", rating=4
    )
    assert rated.ok, rated.message
    closed = store.case(case.id)
    assert (closed.status, closed.rating, closed.rating_remark) == ("closed", 4, "按期完成")
    again = run_as(kw_app, leader, supervision.act, f"case:{case.id}", "效果评估", "x", rating=5)
    assert not again.ok and "已完成效果评估" in again.message
    [row] = duban.scorecard(store.unit_actions()).to_dict("records")
    assert row == {
        "承办单位": task["lead_unit"],
        "督办事项": 1,
        "按时反馈": 3,
        "逾期反馈": 0,
        "逾期升级": 1,
        "被退回": 1,
        "已办结": 1,
        "平均评分": 4.0,
    }


def test_a_late_reply_and_an_extension(kw_app, people, monkeypatch) -> None:
    """申请延期 moves nothing by itself: the leader approves (the deadline moves) or refuses
    with a reason (it stays); both sides hear of it, every step is audited and versioned."""
    task, leader, unit, _ = people
    store = get_store(_hub(kw_app))
    start = dt.datetime(2026, 12, 1, 9, 0)
    monkeypatch.setattr(clock, "now", lambda: start)
    case_id = run_as(kw_app, leader, supervision.act, f"task:{task['task_id']}", "催办", "").case_id
    due = store.case(case_id).due_at
    nothing = run_as(kw_app, leader, supervision.act, f"case:{case_id}", "同意延期", "")
    assert not nothing.ok and "没有待审批的延期申请" in nothing.message
    ext = run_as(kw_app, unit, duban.reply, case_id, "申请延期", "需等设备到货")
    assert ext.ok and "等待" in ext.message and "延至" not in ext.message
    assert store.case(case_id).due_at == due  # asked, not granted
    assert any("申请延期" in i.title for i in inbox.items(store, "leader1"))
    second = run_as(kw_app, unit, duban.reply, case_id, "申请延期", "再延")
    assert not second.ok and "申请过延期" in second.message
    # Refused: a reason is required; the deadline stays; the unit is told.
    bare = run_as(kw_app, leader, supervision.act, f"case:{case_id}", "不同意延期", "")
    assert not bare.ok and "理由" in bare.message
    version = store.case(case_id).version
    no = run_as(
        kw_app,
        leader,
        supervision.act,
        f"case:{case_id}",
        "不同意延期",
        "工期不能拖",
        version=version,
    )
    assert no.ok, no.message
    assert store.case(case_id).due_at == due
    assert any("不同意延期" in i.title for i in inbox.items(store, "unit1"))
    # Asked again and approved: the deadline moves by extension_days from the old one; a
    # second approval (a stale page) is told it lost.
    assert run_as(kw_app, unit, duban.reply, case_id, "申请延期", "设备延误证明已附").ok
    seen = store.case(case_id).version
    yes = run_as(kw_app, leader, supervision.act, f"case:{case_id}", "同意延期", "", version=seen)
    assert yes.ok and "期限延至2026-12-11 09:00" in yes.message, yes.message
    assert store.case(case_id).due_at == due + dt.timedelta(days=7)
    assert any("同意延期" in i.title for i in inbox.items(store, "unit1"))
    late = run_as(kw_app, leader, supervision.act, f"case:{case_id}", "同意延期", "", version=seen)
    assert not late.ok and late.message == STALE
    records = audit.entries(store, action=audit.SUPERVISION)[::-1]  # oldest first
    actions = [r.detail["action"] for r in records if r.result == "ok"]
    assert actions[-4:] == ["申请延期", "不同意延期", "申请延期", "同意延期"]
    monkeypatch.setattr(clock, "now", lambda: start + dt.timedelta(days=12))
    assert run_as(kw_app, unit, duban.reply, case_id, "进展反馈", "设备已到").ok
    assert store.actions(case_id)[-1].on_time is False
    [row] = duban.scorecard(store.unit_actions()).to_dict("records")
    assert (row["按时反馈"], row["逾期反馈"]) == (2, 1)


def test_the_lead_leader_hears_of_the_items_of_the_tasks_they_lead(kw_app, people) -> None:
    """牵头领导 of a task (its lead_leader, matched to the account of that name) is told of its
    item's events as the leader who opened it is; a leader of another name is not."""
    task, leader, unit, _ = people
    store = get_store(_hub(kw_app))
    name = str(task["lead_leader"]).split(" ")[0]
    lead = accounts.create_user(
        store,
        username="lead1",
        role="city_leader",
        password=PASSWORD,
        policy=_hub(kw_app).settings.security.password,
        known_counties=list(_hub(kw_app).settings.city.county_names),
        display_name=name,
        must_change=False,
    )
    accounts.create_user(
        store,
        username="other1",
        role="city_leader",
        password=PASSWORD,
        policy=_hub(kw_app).settings.security.password,
        known_counties=list(_hub(kw_app).settings.city.county_names),
        display_name="别的领导",
        must_change=False,
    )
    first = run_as(kw_app, leader, supervision.act, f"task:{task['task_id']}", "催办", "请反馈")
    assert store.case(first.case_id).lead_leader == name
    assert run_as(kw_app, unit, duban.reply, first.case_id, "进展反馈", "已开工").ok
    assert any("进展反馈" in i.title for i in inbox.items(store, lead.username))
    assert not inbox.items(store, "other1")


def test_two_writers_at_once_one_wins_the_other_is_told(kw_app, people) -> None:
    """Both saw version v; they write at the same moment: one is recorded, the other gets
    STALE and nothing of it is written."""
    task, leader, _, _ = people
    store = get_store(_hub(kw_app))
    first = run_as(kw_app, leader, supervision.act, f"task:{task['task_id']}", "催办", "")
    seen = store.case(first.case_id).version
    barrier = threading.Barrier(2)
    results: list[object] = []

    def write(action: str) -> None:
        barrier.wait()
        try:
            store.act_on_case(
                first.case_id,
                action,
                "同时",
                Actor("leader1", "city_leader"),
                3,
                expected_version=seen,
            )
            results.append("ok")
        except Conflict as exc:
            results.append(str(exc))

    threads = [threading.Thread(target=write, args=(a,)) for a in ("约谈", "提级督办")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results) == sorted(["ok", STALE])
    assert len(store.actions(first.case_id)) == 2
    assert store.case(first.case_id).version == seen + 1
    # Through the page's path: the same message, in Chinese, to the second.
    late = run_as(
        kw_app, leader, supervision.act, f"case:{first.case_id}", "催办", "", version=seen
    )
    assert not late.ok and late.message == STALE


def test_the_scorecard_on_the_page_and_in_the_export(kw_app, people) -> None:
    """The page's table and the CSV export carry the same unit row; a unit sees only its own."""
    from panels.key_work.callbacks import build_scorecard, build_unit

    task, leader, unit, other = people
    case_id = run_as(kw_app, leader, supervision.act, f"task:{task['task_id']}", "催办", "").case_id
    assert run_as(kw_app, unit, duban.reply, case_id, "进展反馈", "推进中").ok
    table = str(run_as(kw_app, leader, lambda hub: build_scorecard(hub)))
    assert task["lead_unit"] in table
    # Another unit sees its own row (all zeros), not this one's.
    theirs = str(run_as(kw_app, other, lambda hub: build_scorecard(hub)))
    assert "别的单位" in theirs and task["lead_unit"] not in theirs
    mine = run_as(kw_app, unit, lambda hub: build_unit(hub, case_id))
    assert [o["value"] for o in mine["options"]] == [case_id] and mine["style"] == {}
    assert "推进中" in str(mine["detail"])
    assert run_as(kw_app, leader, lambda hub: build_unit(hub, case_id))["style"] == {
        "display": "none"
    }
    csv = kw_app.server.test_client().get("/export/key_work.scorecard.csv")
    assert csv.status_code == 200
    text = csv.data.decode("utf-8-sig")
    assert "承办单位督办考核" in text and f"{task['lead_unit']},1,1,0,0,0,0," in text


def test_a_task_is_rated_by_its_task_id_too(kw_app, people) -> None:
    """The page acts on a task by its task id: 效果评估 there carries its rating as well."""
    task, leader, unit, _ = people
    subject = f"task:{task['task_id']}"
    assert run_as(kw_app, leader, supervision.act, subject, "催办", "").ok
    assert run_as(kw_app, leader, supervision.act, subject, "办结确认", "").ok
    rated = run_as(kw_app, leader, supervision.act, subject, "效果评估", "好", rating=5)
    assert rated.ok, rated.message
    assert get_store(_hub(kw_app)).case(rated.case_id).rating == 5


def test_an_overdue_12345_ticket_goes_under_duban_in_one_call(kw_app, people) -> None:
    """A ticket past its deadline opens an item linked to it (masked summary, its unit, a
    deadline); a ticket closed in time is refused; the same ticket twice is one item."""
    from cockpit.domains.hotline import data as hotline
    from cockpit.domains.hotline.masking import mask_text

    _, leader, _, _ = people
    hub = _hub(kw_app)
    with kw_app.server.test_request_context("/"):
        frame = hub.query(hotline.TICKETS, DatasetQuery()).frame
        now = hotline.now_of(hub)
    late = frame[frame["closed_at"].isna() & (frame["deadline"] < now)].iloc[0]
    fine = frame[
        frame["closed_at"].notna() & (frame["closed_at"] <= frame["deadline"]) & ~frame["reopened"]
    ].iloc[0]
    done = run_as(kw_app, leader, duban.supervise_ticket, late["ticket_id"])
    assert done.ok, done.message
    case = get_store(hub).case(done.case_id)
    assert case.ticket_id == late["ticket_id"] and case.unit == late["responsible_unit"]
    assert "超过办结时限" in case.reason and mask_text(late["content"])[:20] in case.reason
    assert case.due_at is not None
    if late["citizen_phone"]:
        assert str(late["citizen_phone"]) not in case.reason
    again = run_as(kw_app, leader, duban.supervise_ticket, late["ticket_id"])
    assert not again.ok and again.case_id == done.case_id
    refused = run_as(kw_app, leader, duban.supervise_ticket, fine["ticket_id"])
    assert not refused.ok and "无需督办" in refused.message
    unit = Principal("u", "unit_staff", frozenset(), frozenset(), "u", unit="x")
    assert not run_as(kw_app, unit, duban.supervise_ticket, late["ticket_id"]).ok
