"""查看完整信息: one ticket's personal information, for a user allowed to see it, with a reason.

Masking is the default for everyone (masking.py). A user whose role grants UNMASK may reveal
one ticket at a time by giving its number and a reason; the check, the read (within their
scope, through the hub, never cached) and the audit record all happen on the server. No
reason, no permission, or a ticket outside their scope: nothing is revealed, and the refusal
is recorded too. A junk reason ("aaaa") is no reason (cockpit/personal_access.py). Each user may
reveal at most `security.unmask.per_window` tickets in `window_minutes` (config/security.yaml):
past that, requests are refused and recorded, and one alert per window goes to the audit log,
so that 60 tickets in a second is a stopped attempt on record, not a quiet bulk read.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from cockpit import audit
from cockpit.domains.hotline import data
from cockpit.hub import DataHub
from cockpit.personal_access import alert_once, over_limit, reason_problem
from cockpit.scope import UNMASK, current_principal
from cockpit.store import get_store

RATE_ALERT = "unmask_rate_limit"  # the object of the audit alert when a user hits the limit
COUNTED = ("ok", "not_found")  # what uses up the allowance: reveals and probes alike
TICKET_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


@dataclass(frozen=True)
class Reveal:
    """The outcome: the fields when allowed, else the message to show."""

    fields: dict[str, str] | None
    message: str


def reveal(hub: DataHub, ticket_id: object, reason: object) -> Reveal:
    """Check, read and record one unmasking request."""
    principal = current_principal()
    ticket = str(ticket_id or "").strip()
    why = str(reason or "").strip()
    if not principal.can(UNMASK):
        audit.record(audit.UNMASK, ticket[:40], "denied", {"why": "no_permission"})
        return Reveal(None, "当前账号无权查看完整信息")
    if not TICKET_ID.match(ticket):
        return Reveal(None, "请填写正确的工单编号")
    limits = hub.settings.security.unmask
    problem = reason_problem(why, limits.min_reason)
    if problem:
        return Reveal(None, problem)
    store = get_store(hub)
    window = dt.timedelta(minutes=limits.window_minutes)
    if over_limit(store, audit.UNMASK, principal.user_id, COUNTED, limits.per_window, window):
        detail: dict[str, object] = {
            "limit": limits.per_window,
            "window_minutes": limits.window_minutes,
        }
        alert_once(store, principal.user_id, RATE_ALERT, window, detail)
        audit.record(audit.UNMASK, ticket, "rate_limited", {"reason": why[:200]})
        return Reveal(
            None,
            f"查看过于频繁：{limits.window_minutes}分钟内至多{limits.per_window}件，请稍后再试；"
            "此情况已记录并提示审计管理员",
        )
    result = data.ticket_unmasked(hub, ticket)
    if result.error:
        return Reveal(None, "工单明细暂不可用，请稍后重试")
    if result.frame.empty:
        # Unknown, or another county's: the same answer, and the attempt is on record.
        audit.record(audit.UNMASK, ticket, "not_found", {"reason": why[:200]})
        return Reveal(None, "未找到该工单，或不在本账号的查看范围内")
    audit.record(audit.UNMASK, ticket, "ok", {"reason": why[:200]})
    row = result.frame.iloc[0]
    return Reveal({c: "" if row[c] is None else str(row[c]) for c in data.UNMASK_COLUMNS}, "")
