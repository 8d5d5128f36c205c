"""签收: a warning acknowledged by an authorised user, recorded in the cockpit's store.

Who is the server-side principal; which roles may is config/risk.yaml; what is acknowledged
is looked up again among the warnings in force that this user may see, so a forged id from
the browser acknowledges nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cockpit.domains.risk.config import RiskConfig
from cockpit.hub import DataHub
from cockpit.scope import Principal, current_principal
from cockpit.store import Actor, Conflict, StoreError, get_store, local_time


@dataclass(frozen=True)
class Outcome:
    """What happened, in a sentence for the user."""

    ok: bool
    message: str


def config(hub: DataHub) -> RiskConfig:
    """The module's validated config (defaults when the app was built without it)."""
    return hub.module_config.get("risk") or RiskConfig()


def may_ack(principal: Principal, cfg: RiskConfig) -> bool:
    """May this principal acknowledge warnings?"""
    return principal.role in cfg.acknowledge_roles


def acknowledge(
    hub: DataHub, warning_id: str, period: str, county: str | None, today: dt.date
) -> Outcome:
    """Record the current user's 签收 of a warning in force, and audit the attempt."""
    from cockpit import audit

    outcome = _acknowledge(hub, warning_id, period, county, today)
    written = audit.try_record(
        audit.ACKNOWLEDGE,
        f"warning:{warning_id}"[:100],
        "ok" if outcome.ok else "refused",
        {"message": outcome.message[:200]},
    )
    if written or not outcome.ok:
        return outcome
    return Outcome(True, outcome.message + "（审计记录未能写入，已告警管理员）")


def _acknowledge(
    hub: DataHub, warning_id: str, period: str, county: str | None, today: dt.date
) -> Outcome:
    from cockpit.domains.key_work.config import KeyWorkConfig
    from cockpit.domains.risk.warnings import in_force

    principal = current_principal()
    cfg = config(hub)
    if not may_ack(principal, cfg):
        return Outcome(False, f"当前账号（{principal.role}）没有签收权限，未签收")
    lights = (hub.module_config.get("key_work") or KeyWorkConfig()).lights.rules()
    view = in_force(hub, cfg, county, today, lights)
    rows = view.frame[view.frame["warning_id"] == warning_id]
    if rows.empty:
        return Outcome(False, "该预警已不在发布中或不在您的查看范围内，未签收")
    row = rows.iloc[0]
    try:
        ack = get_store(hub).acknowledge(
            warning_id,
            str(row["title"]),
            int(row["level"]),
            str(row["county_code"]),
            Actor(principal.user_id, principal.role),
        )
    except Conflict as exc:
        return Outcome(False, str(exc))
    except StoreError as exc:
        return Outcome(False, str(exc))
    when = local_time(ack.acked_at).strftime("%Y-%m-%d %H:%M")
    return Outcome(True, f"已签收「{ack.warning_title}」（{principal.user_id}，{when}）")
