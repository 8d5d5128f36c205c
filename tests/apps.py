"""Apps for tests that are not about signing in: a fixed user instead of a login session.

create_app's principal_provider is a code argument used only here; the security tests build
their apps without it and sign in through the real login form (tests/app/test_security.py,
tests/browser/test_security_browser.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cockpit.factory import create_app
from cockpit.scope import CITY_LEADER, Principal


def app_as(settings: Any, principal: Principal = CITY_LEADER) -> Any:
    """The cockpit, every request served as `principal` (the city leader by default)."""
    return create_app(settings, principal_provider=lambda: principal)


def close_app(app: Any) -> None:
    """Close what an app opened: its sources' connections and its store's engine."""
    app.server.extensions["cockpit_hub"].close()


def running_app(settings: Any, principal: Principal = CITY_LEADER) -> Iterator[Any]:
    """For fixtures: `yield from running_app(settings)` serves as `principal`, then closes."""
    app = app_as(settings, principal)
    yield app
    close_app(app)


def running_app_on_store(request: Any, settings: Any, tmp_path: Any, name: str) -> Iterator[Any]:
    """The cockpit on a SQLite store (request.param "sqlite") or on a PostgreSQL schema of its
    own ("postgresql", dropped afterwards), for fixtures parametrized over both stores."""
    if request.param == "sqlite":
        yield from running_app(settings)
        return
    import uuid

    import sqlalchemy as sa

    pg_url = request.getfixturevalue("pg_url")
    schema = f"t_{name}_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = f"{pg_url}?options=-csearch_path%3D{schema}"
    store = settings.store.model_copy(update={"url": url})
    # The chain's anchor file of this database alone (beside a PostgreSQL store it would be
    # instance/audit-anchor.log, shared with every other test database).
    security = settings.security.model_copy(update={"audit_anchor": str(tmp_path / "anchor.log")})
    yield from running_app(settings.model_copy(update={"store": store, "security": security}))
    with engine.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    engine.dispose()
