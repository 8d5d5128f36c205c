"""The cockpit's own database: what leaders do (supervision actions, acknowledgements).

SQLite by default (instance/cockpit.db), PostgreSQL in production (settings.store.url_env),
through SQLAlchemy; the schema is kept by Alembic migrations in cockpit/store/migrations/,
applied on first use and by `python -m cockpit db upgrade`.

Panels get the store of their app with get_store(hub): one per app, held by the hub.
"""

from __future__ import annotations

from typing import Any

from cockpit.clock import local_time
from cockpit.store.store import (
    STALE,
    Ack,
    Action,
    Actor,
    Case,
    Conflict,
    NotAllowed,
    Signal,
    Store,
    StoreError,
)

# 北京时间: the time every Chinese city keeps, whatever zone the server runs in.


__all__ = [
    "Ack",
    "Action",
    "Actor",
    "Case",
    "Conflict",
    "STALE",
    "NotAllowed",
    "Signal",
    "Store",
    "StoreError",
    "get_store",
    "local_time",
]


def get_store(hub: Any) -> Store:
    """The app's store (the hub's, made from its settings on first use), its schema upgraded
    to head."""
    store = hub.store
    store.ensure_ready()
    return store


def set_store(hub: Any, store: Store) -> None:
    """Give a hub a store of one's choosing (tests, or an app with a special database)."""
    hub.use_store(store)
