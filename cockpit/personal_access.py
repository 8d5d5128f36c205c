"""The guards around revealing citizens' personal information: a real reason, and rate limits.

Two paths reveal it: 查看完整信息 (one ticket, cockpit/domains/hotline/unmask.py) and the unmasked export
(cockpit/exports.py). Both ask for a stated reason that says something ("aaaa" does not), and
both are limited per user. The limits are counted from the audit log itself, which every
reveal is written to anyway: the count is the same on every worker and host, survives a
restart, and needs no second store that could disagree with the record. Hitting a limit writes
one `alert` record per window, which the auditor's view shows as an alert (告警).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import sqlalchemy as sa

from cockpit import audit
from cockpit.store import Store
from cockpit.store.schema import audit_log

ALERT = "alert"  # the audit action of a security alert; the auditor's view highlights it
ALERT_RESULT = "limit"


def reason_problem(reason: object, min_length: int) -> str | None:
    """What is wrong with a stated reason (a message for the form), or None if it will do.

    Junk is refused: too short, one character repeated (aaaa, 啊啊啊啊), a repeated unit
    (abab, 测试测试), fewer than three different characters, or no letters at all (1234)."""
    text = "".join(str(reason or "").split())
    if len(text) < min_length:
        return f"请填写查看事由（至少 {min_length} 个字，说明用途）"
    if len(set(text)) < 3 or _repeats(text) or not any(c.isalpha() for c in text):
        return "查看事由无效：请如实说明用途，如“回访核实重复诉求”"
    return None


def _repeats(text: str) -> bool:
    """Is the text one shorter unit written again and again (abab, 测试测试)?"""
    n = len(text)
    return any(n % size == 0 and text == text[:size] * (n // size) for size in range(1, n // 2 + 1))


def count_recent(
    store: Store, action: str, user_id: str, since: dt.datetime, results: Iterable[str]
) -> int:
    """How many records of this action and user, with one of these results, since a time."""
    query = (
        sa.select(sa.func.count())
        .select_from(audit_log)
        .where(
            audit_log.c.action == action,
            audit_log.c.user_id == user_id,
            audit_log.c.at >= since,
            audit_log.c.result.in_(list(results)),
        )
    )
    with store.reading() as conn:
        return int(conn.execute(query).scalar_one())


def over_limit(
    store: Store,
    action: str,
    user_id: str,
    results: Iterable[str],
    limit: int,
    window: dt.timedelta,
) -> bool:
    """Has this user used up `limit` of these records within the window up to now?"""
    since = dt.datetime.now(dt.UTC) - window
    return count_recent(store, action, user_id, since, results) >= limit


def alert_once(
    store: Store, user_id: str, what: str, window: dt.timedelta, detail: dict[str, object]
) -> None:
    """Record an alert for this user and limit, once per window (not one per refused try)."""
    since = dt.datetime.now(dt.UTC) - window
    query = (
        sa.select(sa.func.count())
        .select_from(audit_log)
        .where(
            audit_log.c.action == ALERT,
            audit_log.c.user_id == user_id,
            audit_log.c.object == what,
            audit_log.c.at >= since,
        )
    )
    with store.reading() as conn:
        if conn.execute(query).scalar_one():
            return
    audit.record(ALERT, what, ALERT_RESULT, detail)
