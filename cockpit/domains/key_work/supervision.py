"""督办: recording supervision actions and turning signals into items, with every check on the server.

Who acts is the server-side principal (cockpit.scope), never a callback input; which roles may
act is config/key_work.yaml; what a task or signal is, is read again from the hub (within the
user's scope) at the moment of writing. Every outcome carries a message for the user: a
write that failed says so, and nothing of it remains (the store writes in one transaction).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cockpit import clock
from cockpit.domains.key_work import data
from cockpit.domains.key_work.config import KeyWorkConfig
from cockpit.hub import DataHub
from cockpit.scope import Principal, current_principal
from cockpit.store import Actor, Conflict, StoreError, get_store, local_time
from cockpit.store.schema import (
    APPROVE_EXTENSION,
    CONFIRM_DONE,
    ESCALATE,
    EVALUATE,
    EXTENSION_ANSWERS,
    LEADER_ACTIONS,
    REFUSE_EXTENSION,
    RETURN,
)
from cockpit.store.store import KEEP

if TYPE_CHECKING:
    from cockpit.audit import InTransaction

# Escalation, a send-back and a refused extension need their reason written.
COMMENT_REQUIRED = (ESCALATE, RETURN, REFUSE_EXTENSION)


@dataclass(frozen=True)
class Outcome:
    """What happened, in a sentence for the user; case_id is the case concerned, if any."""

    ok: bool
    message: str
    case_id: int | None = None


def config(hub: DataHub) -> KeyWorkConfig:
    """The module's validated config (defaults when the app was built without it)."""
    return hub.module_config.get("key_work") or KeyWorkConfig()


def may_act(principal: Principal, cfg: KeyWorkConfig) -> bool:
    """May this principal record supervision actions?"""
    return principal.role in cfg.supervision.roles


def level_name(cfg: KeyWorkConfig, level: int) -> str:
    """The rung of the escalation ladder a case is on (1-based)."""
    levels = cfg.supervision.levels
    return levels[min(max(level, 1), len(levels)) - 1]


def may_see(principal: Principal, county_code: str) -> bool:
    """May this principal see (and so act on) a case of this division?"""
    return principal.whole_city or principal.allows(county_code)


def now_utc() -> dt.datetime:
    """The cockpit clock's now (cockpit.clock, which tests set), aware in UTC, as stored."""
    return clock.now().replace(tzinfo=clock.CITY_TZ).astimezone(dt.UTC)


def due_after(cfg: KeyWorkConfig, action: str, now: dt.datetime | None = None) -> dt.datetime:
    """When the unit must have answered `action` recorded at `now` (aware, UTC)."""
    return (now or now_utc()) + dt.timedelta(days=cfg.supervision.deadline(action))


def act(
    hub: DataHub,
    subject: str,
    action: str,
    comment: str,
    request_key: str | None = None,
    *,
    version: int | None = None,
    rating: int | None = None,
) -> Outcome:
    """Record `action` on a task ("task:<id>") or a case ("case:<id>"), and audit the attempt.

    A recorded action and its audit record are written in one transaction (both or neither,
    whatever happens to the worker); `request_key`, the browser's key for this submission,
    makes a retry of it recognised rather than recorded twice. A refused attempt is audited
    on its own."""
    from cockpit import audit

    record = audit.InTransaction(
        audit.SUPERVISION, str(subject)[:100], {"action": str(action)[:16]}
    )
    outcome = _act(
        hub, subject, action, comment, _request_key(request_key), record, version, rating
    )
    if outcome.ok:
        from cockpit.domains.key_work import duban

        duban.tell_after(hub, outcome.case_id, action, comment)
        if record.written is not None:
            try:
                record.anchor()
            except StoreError:  # recorded and audited; only the copy outside the database failed
                return Outcome(
                    True, outcome.message + "（审计锚点未能写入，已告警管理员）", outcome.case_id
                )
        return outcome
    return _audit(str(subject)[:100], outcome, {"action": str(action)[:16]})


def _request_key(value: str | None) -> str | None:
    """The browser's submission key, when it looks like one (a forged one only names itself)."""
    value = (value or "").strip()
    return value if 8 <= len(value) <= 64 and value.isascii() and value.isprintable() else None


def _audit(subject: str, outcome: Outcome, detail: dict) -> Outcome:
    """Every supervision attempt, recorded or refused, goes to the audit log; if that write
    fails, the user still gets the action's own outcome, and is told the log missed it."""
    from cockpit import audit

    written = audit.try_record(
        audit.SUPERVISION,
        subject,
        "ok" if outcome.ok else "refused",
        {**detail, "case": outcome.case_id, "message": outcome.message[:200]},
    )
    if written or not outcome.ok:
        return outcome
    return Outcome(True, outcome.message + "（审计记录未能写入，已告警管理员）", outcome.case_id)


def _act(
    hub: DataHub,
    subject: str,
    action: str,
    comment: str,
    request_key: str | None = None,
    record: InTransaction | None = None,
    version: int | None = None,
    rating: int | None = None,
) -> Outcome:
    principal = current_principal()
    cfg = config(hub)
    if not may_act(principal, cfg):
        return Outcome(False, f"当前账号（{principal.role}）没有督办权限，操作未执行")
    if action not in LEADER_ACTIONS:
        return Outcome(False, "请选择督办动作")
    comment = (comment or "").strip()
    if action in COMMENT_REQUIRED and not comment:
        return Outcome(False, f"{action}请填写理由")
    kind, _, ident = (subject or "").partition(":")
    actor = Actor(principal.user_id, principal.role)
    max_level = len(cfg.supervision.levels)
    # The unit must answer a 催办, 约谈, 提级督办 or 退回 by its deadline; 办结确认 and
    # 效果评估 await nothing.
    # An approved 申请延期 moves the deadline on from where it is (in the store's transaction);
    # a refused one leaves it.
    due: object = None if action in (CONFIRM_DONE, EVALUATE) else due_after(cfg, action)
    if action == APPROVE_EXTENSION:
        due = dt.timedelta(days=cfg.supervision.extension_days)
    elif action in EXTENSION_ANSWERS:
        due = KEEP
    try:
        store = get_store(hub)
        if kind == "task":
            answer = data.task(hub, ident)
            if answer.error:
                return Outcome(False, f"任务数据暂不可用（{answer.error}），操作未执行")
            if answer.frame.empty:
                return Outcome(False, "任务不存在或不在您的查看范围内，操作未执行")
            row = answer.frame.iloc[0]
            done = store.act_on_task(
                ident,
                row["title"],
                row["county_code"],
                action,
                comment,
                actor,
                max_level,
                request_key=request_key,
                in_transaction=_audit_hook(record),
                unit=str(row.get("lead_unit") or "") or None,
                lead_leader=lead_leader_name(row.get("lead_leader")),
                due_at=due,
                expected_version=version,
                rating=rating,
                now=now_utc(),
            )
        elif kind == "case" and ident.isdigit():
            case = store.case(int(ident))
            if case is None or not may_see(principal, case.county_code):
                return Outcome(False, "督办事项不存在或不在您的查看范围内，操作未执行")
            done = store.act_on_case(
                case.id,
                action,
                comment,
                actor,
                max_level,
                request_key=request_key,
                in_transaction=_audit_hook(record),
                due_at=due,
                expected_version=version,
                rating=rating,
                now=now_utc(),
            )
        else:
            return Outcome(False, "请先在清单中选择一项任务或督办事项")
    except Conflict as exc:
        return Outcome(False, str(exc), exc.case_id)
    except StoreError as exc:
        return Outcome(False, str(exc))
    when = local_time(done.acted_at).strftime("%Y-%m-%d %H:%M")
    if done.replayed:
        return Outcome(
            True, f"本次{done.action}已于{when}记录（重复提交，未重复记录）", done.case_id
        )
    text = f"已记录{action}（{principal.user_id}，{when}）"
    if action == ESCALATE:
        text += f"，现为{level_name(cfg, done.level_after)}"
    if action == APPROVE_EXTENSION:
        moved = store.case(done.case_id) if done.case_id else None
        if moved is not None and moved.due_at is not None:
            text += f"，期限延至{local_time(moved.due_at):%Y-%m-%d %H:%M}"
    return Outcome(True, text, done.case_id)


def lead_leader_name(value: object) -> str | None:
    """The name in a task's lead_leader ("李文华 副市长" -> 李文华), matched to accounts'
    display names; None when the task names nobody."""
    text = str(value or "").strip()
    return text.split()[0][:64] if text else None


def _audit_hook(record: InTransaction | None):
    """The store's in-transaction hook writing `record` (an audit.InTransaction) for the action."""
    if record is None:
        return None

    def write(conn, done) -> None:
        record.write(conn, case=done.case_id, level_after=done.level_after)

    return write


def promote(
    hub: DataHub, signal_key: str, period: str, county: str | None, today: dt.date
) -> Outcome:
    """Open a supervision item from a current signal (转督办), with its link back; audited."""
    outcome = _promote(hub, signal_key, period, county, today)
    return _audit(f"signal:{signal_key}"[:100], outcome, {"action": "转督办"})


def _promote(
    hub: DataHub, signal_key: str, period: str, county: str | None, today: dt.date
) -> Outcome:
    from cockpit.domains.key_work.signals import collect

    principal = current_principal()
    if not may_act(principal, config(hub)):
        return Outcome(False, f"当前账号（{principal.role}）没有督办权限，未转督办")
    # The signal is recomputed here: what is written comes from the data, not the browser.
    signal = next(
        (s for s in collect(hub, period, county, today).signals if s.key == signal_key), None
    )
    if signal is None:
        return Outcome(False, "该线索已不在当前清单中（数据可能已更新），请刷新后再试")
    try:
        case = get_store(hub).open_from_signal(signal, "", Actor(principal.user_id, principal.role))
    except Conflict as exc:
        return Outcome(False, str(exc), exc.case_id)
    except StoreError as exc:
        return Outcome(False, str(exc))
    return Outcome(True, f"已转督办：督办事项 #{case.id}「{case.title}」", case.id)
