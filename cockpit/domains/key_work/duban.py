"""Two-way 督办: the 承办单位's replies, deadlines that escalate, notices, and the scorecard.

The leader's side (催办, 约谈, 提级督办, 退回, 办结确认, 效果评估) is recorded by
supervision.act; this module adds what the unit does (进展反馈, 办结申请 with evidence,
申请延期), the escalation check the scheduler tick runs (an action unanswered by its deadline
climbs 催办 -> 约谈 -> 提级督办, recorded as the system, audited, and told to the unit and the
leader who opened the item), and the units' scorecard for 绩效考核.

Which unit a user answers for is the server-side principal's (users.unit), never an input.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid

import pandas as pd
import sqlalchemy as sa

from cockpit.domains.key_work.supervision import (
    Outcome,
    _audit,
    _audit_hook,
    _request_key,
    config,
    due_after,
    level_name,
    now_utc,
)
from cockpit.hub import DataHub
from cockpit.scope import Principal, current_principal
from cockpit.store import Actor, Case, Conflict, StoreError, get_store, local_time
from cockpit.store.schema import (
    APPLY_DONE,
    ESCALATE,
    EXTEND,
    EXTENSION_ANSWERS,
    LADDER,
    PROGRESS,
    RETURN,
    UNIT_ACTIONS,
    users,
)

log = logging.getLogger(__name__)
SYSTEM_ACTOR = Actor("system", "system")


def is_unit(principal: Principal, hub: DataHub) -> bool:
    """Is this principal a 承办单位 account bound to a unit?"""
    return principal.role in config(hub).supervision.unit_roles and bool(principal.unit)


def unit_cases(hub: DataHub) -> list[Case]:
    """The items assigned to the signed-in unit (none for anyone else)."""
    principal = current_principal()
    if not is_unit(principal, hub):
        return []
    return get_store(hub).cases(unit=principal.unit)


def reply(
    hub: DataHub,
    case_id: int,
    action: str,
    comment: str,
    version: int | None = None,
    request_key: str | None = None,
) -> Outcome:
    """The unit's answer on its own item (进展反馈, 办结申请, 申请延期); audited."""
    from cockpit import audit

    record = audit.InTransaction(audit.SUPERVISION, f"case:{case_id}", {"action": action[:16]})
    outcome = _reply(hub, case_id, action, comment, version, _request_key(request_key), record)
    if outcome.ok:
        record.anchor()
        tell_after(hub, outcome.case_id, action, comment)
        return outcome
    return _audit(f"case:{case_id}", outcome, {"action": str(action)[:16]})


def _reply(hub, case_id, action, comment, version, request_key, record) -> Outcome:
    principal = current_principal()
    cfg = config(hub)
    if not is_unit(principal, hub):
        return Outcome(False, "当前账号不是承办单位账号，不能反馈")
    if action not in UNIT_ACTIONS:
        return Outcome(False, "请选择反馈类型")
    comment = (comment or "").strip()
    if not comment:
        need = {APPLY_DONE: "办结佐证材料说明", EXTEND: "延期理由"}.get(action, "进展情况")
        return Outcome(False, f"请填写{need}")
    store = get_store(hub)
    try:
        case = store.case(int(case_id))
        # Another unit's item, or a forged id, is "not found": nothing says it exists.
        if case is None or case.unit != principal.unit:
            return Outcome(False, "督办事项不存在或不属于本单位，操作未执行")
        # 申请延期 asks only: the deadline moves when the leader approves (同意延期).
        done = store.act_on_case(
            case.id,
            action,
            comment,
            Actor(principal.user_id, principal.role),
            len(cfg.supervision.levels),
            request_key=request_key,
            in_transaction=_audit_hook(record),
            expected_version=version,
            now=now_utc(),
        )
    except Conflict as exc:
        return Outcome(False, str(exc), exc.case_id)
    except StoreError as exc:
        return Outcome(False, str(exc))
    when = local_time(done.acted_at).strftime("%Y-%m-%d %H:%M")
    text = f"已提交{action}（{when}）"
    if action == EXTEND:
        text += "，等待领导审批；审批前原期限不变"
    return Outcome(True, text, done.case_id)


def escalate_overdue(hub: DataHub, now: dt.datetime | None = None) -> list[Outcome]:
    """Escalate every open item whose awaited action passed its deadline by one rung of
    催办 -> 约谈 -> 提级督办; each recorded as the system, audited and told. Run by the
    scheduler tick (cockpit/jobs/runner.py) inside the app, acting as the system."""
    from cockpit import audit

    now = now or now_utc()
    cfg = config(hub)
    store = get_store(hub)
    max_level = len(cfg.supervision.levels)
    done: list[Outcome] = []
    for case in store.overdue_cases(now):
        rung = _rung(store, case.id)
        step = LADDER[min(rung + 1, len(LADDER) - 1)]
        if step == ESCALATE and case.level >= max_level:
            step = LADDER[1]  # the top of the ladder: 约谈 again, the deadline renewed
        assert case.due_at is not None  # overdue_cases selects cases with a deadline
        was = local_time(case.due_at).strftime("%Y-%m-%d %H:%M")
        comment = f"逾期未反馈（期限{was}），按规则自动升级为{step}"
        record = audit.InTransaction(audit.SUPERVISION, f"case:{case.id}", {"action": step})
        try:
            action = store.act_on_case(
                case.id,
                step,
                comment,
                SYSTEM_ACTOR,
                max_level,
                in_transaction=_audit_hook(record),
                due_at=due_after(cfg, step, now),
                expected_version=case.version,
                now=now,
            )
        except Conflict:  # someone acted on it meanwhile: the next tick looks again
            continue
        record.anchor()
        text = comment + (
            f"，现为{level_name(cfg, action.level_after)}" if step == ESCALATE else ""
        )
        done.append(Outcome(True, text, case.id))
        tell(hub, case, f"督办事项逾期升级：{step}", text, key=f"duban:{case.id}:{action.id}")
    return done


def _rung(store, case_id: int) -> int:
    """Index in LADDER of the newest ladder action on the case (-1: none yet)."""
    for action in reversed(store.actions(case_id)):
        if action.action in LADDER:
            return LADDER.index(action.action)
    return -1


# -- notices ------------------------------------------------------------------------------------
# Who hears of what: the unit's accounts hear of the leader's actions and escalations; the
# leader who opened the item and its 牵头领导 hear of the unit's replies and of escalations.
_TO_UNIT = (RETURN, *LADDER, "办结确认", "效果评估", *EXTENSION_ANSWERS)
_TO_LEADER = (PROGRESS, APPLY_DONE, EXTEND)


def tell_after(hub: DataHub, case_id: int | None, action: str, comment: str) -> None:
    """After a recorded action, the other side's inbox hears of it (a failure is logged:
    the action stands)."""
    if case_id is None:
        return
    try:
        case = get_store(hub).case(case_id)
        if case is None or not case.unit:
            return
        text = f"{action}：{comment}"[:300]
        to_unit, to_leader = action in _TO_UNIT, action in _TO_LEADER
        tell(hub, case, f"督办事项{action}", text, unit=to_unit, leader=to_leader)
    except Exception:
        log.exception("督办 notice of case %s failed", case_id)


def concerned(store, case: Case, *, unit: bool = True, leader: bool = True) -> set[str]:
    """The accounts a case's notice names: its unit's accounts (`unit`), and (`leader`) the
    leader who opened it and its 牵头领导 (active accounts whose display name is the task's
    lead_leader; a unit account of that name is no leader)."""
    names: set[str] = set()
    active = users.c.active.is_(True)
    with store.reading() as conn:
        if leader:
            names.add(case.opened_by)
            if case.lead_leader:
                names |= set(
                    conn.execute(
                        sa.select(users.c.username).where(
                            users.c.display_name == case.lead_leader,
                            users.c.unit.is_(None),
                            active,
                        )
                    ).scalars()
                )
        if unit and case.unit:
            names |= set(
                conn.execute(
                    sa.select(users.c.username).where(users.c.unit == case.unit, active)
                ).scalars()
            )
    return names


def tell(
    hub: DataHub,
    case: Case,
    title: str,
    body: str,
    *,
    key: str | None = None,
    unit: bool = True,
    leader: bool = True,
) -> int | None:
    """A notice about a case to its unit's accounts, the leader who opened it and its 牵头领导
    (their inbox),
    and to whoever subscribed to 督办事项 within scope on their channels (cockpit/notify:
    audited; the text masked, as it may leave for a robot or an SMS)."""
    from flask import current_app

    from cockpit import audit
    from cockpit.domains.hotline.masking import mask_text
    from cockpit.notify.config import notify_config
    from cockpit.notify.outbox import Draft, publish
    from cockpit.notify.subscriptions import subscriptions
    from cockpit.notify.warnings import principals_of

    store = get_store(hub)
    names = concerned(store, case, unit=unit, leader=leader)
    seal = audit.seal_for(hub.settings, store, current_app.config["COCKPIT_AUDIT_KEY"])
    draft = Draft(
        # One message per notice (a retry of the same escalation reuses its key).
        key=key or f"duban:{case.id}:{uuid.uuid4().hex}",
        level=None,
        domain="",
        county_code=case.county_code,
        title=mask_text(f"{title}：{case.title}")[:300],
        body=mask_text(body),
        link="/key-work",
        topic="duban",
    )
    cfg = notify_config(hub.settings)
    with store.reading() as conn:
        subscribed = {s.username for s in subscriptions(conn, topic="duban")}
    principals = principals_of(store, names | subscribed)
    city = hub.settings.city.code
    return publish(store, seal, cfg, draft, principals, city, tuple(sorted(names)))


# -- the units' scorecard (绩效考核) -----------------------------------------------------------
SCORECARD_COLUMNS = (
    "承办单位",
    "督办事项",
    "按时反馈",
    "逾期反馈",
    "逾期升级",
    "被退回",
    "已办结",
    "平均评分",
)


def scorecard(rows: list) -> pd.DataFrame:
    """Per unit: items, replies on time and late, items escalated for lateness, items sent
    back, items closed, and the mean 效果评估. `rows`: Store.unit_actions()."""
    frame = pd.DataFrame(
        [tuple(r)[:7] for r in rows],
        columns=["unit", "case_id", "status", "rating", "action", "actor_role", "on_time"],
    )
    if frame.empty:
        return pd.DataFrame(columns=SCORECARD_COLUMNS)
    out = []
    for unit, g in frame.groupby("unit", sort=True):
        replies = g[g["action"].isin(UNIT_ACTIONS)]
        cases = g.drop_duplicates("case_id")
        rated = cases["rating"].dropna()
        out.append(
            {
                "承办单位": unit,
                "督办事项": int(cases.shape[0]),
                "按时反馈": int((replies["on_time"] == True).sum()),  # noqa: E712
                "逾期反馈": int((replies["on_time"] == False).sum()),  # noqa: E712
                "逾期升级": int(g[g["actor_role"] == "system"]["case_id"].nunique()),
                "被退回": int(g[g["action"] == RETURN]["case_id"].nunique()),
                "已办结": int((cases["status"] == "closed").sum()),
                "平均评分": round(float(rated.mean()), 1) if len(rated) else None,
            }
        )
    return pd.DataFrame(out, columns=SCORECARD_COLUMNS)


def scorecard_for(hub: DataHub) -> pd.DataFrame:
    """The scorecard the signed-in user may see: a unit its own row; others the units of
    the items in their counties (the whole city: every unit), and every lead unit of the
    tasks they see, with zeros where it has no 督办 item (a clean record counts too)."""
    from cockpit.domains.key_work import data

    principal = current_principal()
    rows = get_store(hub).unit_actions()
    if is_unit(principal, hub):
        rows = [r for r in rows if r.unit == principal.unit]
        units = {principal.unit}
    elif principal.role in config(hub).supervision.unit_roles:
        return scorecard([])  # a unit account without a unit sees nothing
    else:
        rows = [r for r in rows if principal.allows(r.county_code)]
        tasks = data.tasks(hub, None).frame
        units = set(tasks["lead_unit"].dropna()) if "lead_unit" in tasks else set()
    card = scorecard(rows)
    missing = sorted(str(u) for u in units - set(card["承办单位"]) if u is not None)
    if missing:
        zeros = pd.DataFrame(
            [{c: (u if c == "承办单位" else 0) for c in SCORECARD_COLUMNS} for u in missing]
        ).assign(平均评分=None)
        card = pd.concat([card, zeros], ignore_index=True) if len(card) else zeros
    return card.sort_values("承办单位", ignore_index=True)


# -- a 12345 ticket put under 督办 ---------------------------------------------------------------
def supervise_ticket(hub: DataHub, ticket_id: str) -> Outcome:
    """Open a 督办 item on a 12345 ticket past its deadline or handled again (重办, a repeated
    complaint), linked to the ticket; its summary is masked as on screen; audited."""
    outcome = _supervise_ticket(hub, str(ticket_id or "").strip()[:64])
    return _audit(f"ticket:{str(ticket_id)[:64]}", outcome, {"action": "工单督办"})


def _supervise_ticket(hub: DataHub, ticket_id: str) -> Outcome:
    from cockpit.domains.hotline import data as hotline
    from cockpit.domains.hotline.masking import mask_text
    from cockpit.domains.key_work.supervision import may_act
    from cockpit.store import Signal
    from data_sources.query import DatasetQuery, Filter

    principal = current_principal()
    cfg = config(hub)
    if not may_act(principal, cfg):
        return Outcome(False, f"当前账号（{principal.role}）没有督办权限，未转督办")
    if not ticket_id:
        return Outcome(False, "请填写工单编号")
    # Read again through the hub, within the user's scope: a forged id finds nothing.
    answer = hub.query(
        hotline.TICKETS, DatasetQuery(filters=(Filter("ticket_id", "eq", ticket_id),))
    )
    if answer.error:
        return Outcome(False, f"工单数据暂不可用（{answer.error}），未转督办")
    if answer.frame.empty:
        return Outcome(False, "工单不存在或不在您的查看范围内，未转督办")
    t = answer.frame.iloc[0].to_dict()
    reason = ticket_reason(t, hotline.now_of(hub))
    if reason is None:
        return Outcome(False, "该工单未超期，也不是重复诉求，无需督办")
    summary = mask_text(t.get("content") or "")[:120]
    title = f"12345工单{ticket_id}（{t.get('category_l2') or t.get('category_l1')}）"
    signal = Signal(
        key=f"ticket:{ticket_id}",
        kind="hotline",
        title=title,
        reason=f"{reason}。诉求摘要：{summary}",
        link=f"/hotline?ticket={ticket_id}",
        county_code=str(t["county_code"]),
    )
    now = now_utc()
    try:
        case = get_store(hub).open_from_signal(
            signal,
            "",
            Actor(principal.user_id, principal.role),
            unit=str(t.get("responsible_unit") or "") or None,
            ticket_id=ticket_id,
            due_at=due_after(cfg, "立项督办", now),
            now=now,
        )
    except Conflict as exc:
        return Outcome(False, str(exc), exc.case_id)
    except StoreError as exc:
        return Outcome(False, str(exc))
    tell(hub, case, "新的督办事项", reason, leader=False)
    return Outcome(True, f"已转督办：督办事项 #{case.id}「{case.title}」", case.id)


def ticket_reason(ticket: dict, now: dt.datetime) -> str | None:
    """Why a ticket deserves 督办 (past its deadline, or 重办), or None."""
    deadline = pd.Timestamp(ticket["deadline"]) if pd.notna(ticket.get("deadline")) else None
    closed = ticket.get("closed_at")
    closed = pd.Timestamp(closed) if closed is not None and pd.notna(closed) else None
    if deadline is not None and closed is None and deadline < pd.Timestamp(now):
        days = (pd.Timestamp(now) - deadline).days
        return f"超过办结时限{days}天未办结（时限{deadline:%Y-%m-%d %H:%M}）"
    if deadline is not None and closed is not None and closed > deadline:
        return f"超期办结（时限{deadline:%Y-%m-%d %H:%M}，办结于{closed:%Y-%m-%d %H:%M}）"
    if bool(ticket.get("reopened")):
        return "重复诉求：办结后重新办理"
    return None
