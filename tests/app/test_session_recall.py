"""A worker recalls a live session for a second instead of looking it up on every request
(#22 item 7: the lookup was half of a cached callback's cost over a prebuilt answer), and a
revocation still takes effect: at once by this process, within a second by another."""

from __future__ import annotations

import sqlite3
import time
from typing import Any

import sqlalchemy as sa

from tests.app.test_security import _store, login, make_user, secure_app  # noqa: F401 - fixture


def _session_lookups(app: Any, client: Any, requests: int) -> int:
    """How many statements read the sessions table while the client makes requests."""
    engine = _store(app).engine()
    seen: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "sessions" in statement:
            seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        for _ in range(requests):
            assert client.get("/_dash-layout").status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def test_a_live_session_is_looked_up_once_a_second(secure_app: Any) -> None:  # noqa: F811
    """Five requests in a row: one lookup; after a second: looked up again."""
    make_user(secure_app, "recall1", "city_leader")
    client = login(secure_app, "recall1")
    assert _session_lookups(secure_app, client, 5) == 1
    time.sleep(1.05)
    assert _session_lookups(secure_app, client, 1) == 1


def test_revocation_by_another_worker_takes_effect_within_a_second(secure_app: Any) -> None:  # noqa: F811
    """Revoked behind this process's back (another worker, another host): 401 within 1 s."""
    make_user(secure_app, "recall2", "city_leader")
    client = login(secure_app, "recall2")
    assert client.get("/_dash-layout").status_code == 200
    path = _store(secure_app).engine().url.database
    with sqlite3.connect(path) as other:  # not through this process's Store
        other.execute("UPDATE sessions SET revoked_at = CURRENT_TIMESTAMP, revoked_reason = 'x'")
    time.sleep(1.05)
    assert client.get("/_dash-layout").status_code == 401


def test_revocation_in_this_worker_takes_effect_at_once(secure_app: Any) -> None:  # noqa: F811
    """A write to the store by this process forgets what it recalled, before the next request."""
    from cockpit.security import sessions

    make_user(secure_app, "recall3", "city_leader")
    client = login(secure_app, "recall3")
    assert client.get("/_dash-layout").status_code == 200
    assert sessions.revoke_user(_store(secure_app), "recall3", "admin") == 1
    assert client.get("/_dash-layout").status_code == 401
