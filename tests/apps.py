"""Apps for tests that are not about signing in: a fixed user instead of a login session.

create_app's principal_provider is a code argument used only here; the security tests build
their apps without it and sign in through the real login form (tests/test_security*.py).
"""

from __future__ import annotations

from typing import Any

from cockpit.factory import create_app
from cockpit.scope import CITY_LEADER, Principal


def app_as(settings: Any, principal: Principal = CITY_LEADER) -> Any:
    """The cockpit, every request served as `principal` (the city leader by default)."""
    return create_app(settings, principal_provider=lambda: principal)
