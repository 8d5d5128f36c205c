"""The warning check: warnings in force now (the sources' and the cockpit's own early-warning
rules, cockpit.domains.risk.warnings.in_force) become messages for the users who subscribed to them.

Runs as the system (whole city) inside an app context without a request; each subscriber's
own scope is applied at fan-out (cockpit/notify/outbox.py). Personal data is masked before a
message is stored, with the masking the 12345 screens use, so neither the inbox nor a push
carries more than the screen shows.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from cockpit import audit
from cockpit.notify.config import NotifyConfig
from cockpit.notify.outbox import Draft, publish
from cockpit.notify.subscriptions import subscriptions
from cockpit.store import get_store


def drafts(frame: Any) -> list[Draft]:
    """One draft per warning row (cockpit.domains.risk.warnings.COLUMNS), text masked."""
    from cockpit.domains.hotline.masking import mask_text

    out = []
    for row in frame.to_dict("records"):
        body = str(row.get("reason") or "") or f"责任单位：{row.get('responsible_unit') or '—'}"
        out.append(
            Draft(
                key=f"warning:{row['warning_id']}",
                level=int(row["level"]),
                domain=str(row.get("domain") or ""),
                county_code=str(row.get("county_code") or ""),
                title=mask_text(str(row.get("title") or "")),
                body=mask_text(body),
                link=str(row.get("link") or ""),
            )
        )
    return out


def principals_of(store: Any, usernames: set[str]) -> dict[str, Any]:
    """Username -> Principal of each active user (from the accounts table, not the request)."""
    from cockpit.security import accounts

    found = {}
    for name in usernames:
        user = accounts.get_user(store, name)
        found[name] = user.principal() if user is not None and user.active else None
    return found


def warnings_in_force(hub: Any, today: dt.date) -> Any:
    """Every warning in force in the city now, judged as the risk page judges them."""
    from cockpit.domains.key_work.config import KeyWorkConfig
    from cockpit.domains.risk import acks
    from cockpit.domains.risk.warnings import in_force

    lights = (hub.module_config.get("key_work") or KeyWorkConfig()).lights.rules()
    return in_force(hub, acks.config(hub), None, today, lights).frame


def check_warnings(hub: Any, cfg: NotifyConfig, seal: audit.Seal, today: dt.date) -> list[int]:
    """Publish a message for each warning in force not told before; returns the new ids."""
    store = get_store(hub)
    with store.reading() as conn:
        subscribed = {s.username for s in subscriptions(conn, topic=None)}
    principals = principals_of(store, subscribed)
    made = []
    for draft in drafts(warnings_in_force(hub, today)):
        message_id = publish(store, seal, cfg, draft, principals, hub.settings.city.code)
        if message_id is not None:
            made.append(message_id)
    return made
