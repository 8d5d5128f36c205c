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
