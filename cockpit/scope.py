"""Who is asking, and which counties they may see: always from the server, never the browser.

A Dash callback is a plain POST whose inputs anyone can forge, so the data hub takes the
principal from here (the server-side session), not from callback arguments. Until real login
lands (the security issue), every request is served as the configured default principal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import current_app, g, has_app_context

# What a principal may do beyond seeing figures. Roles grant these (cockpit/security/roles.py);
# a check reads `principal.can(EXPORT)`, never the role name, so roles stay configurable.
SEE_PERSONAL = "see_personal"  # may open lists of 12345 tickets (masked) and other rows
UNMASK = "unmask"  # may reveal one record's personal information, with a reason (audited)
EXPORT = "export"  # may download tables (CSV/Excel) and briefings
MANAGE_USERS = "manage_users"  # the admin screen: users, roles, scopes, sessions
READ_AUDIT = "read_audit"  # may read the audit log
MANAGE_CONTACTS = "manage_contacts"  # may edit the 一键直联 directory
SEE_MOBILES = "see_mobiles"  # may see personal mobile numbers (cockpit/directory.py)


@dataclass(frozen=True)
class Principal:
    """A user as the server knows them; counties=None means the whole city, empty means none."""

    user_id: str
    role: str
    counties: frozenset[str] | None = None
    permissions: frozenset[str] = frozenset()
    display_name: str = ""

    def can(self, permission: str) -> bool:
        """Has this principal been granted the permission (by their role)?"""
        return permission in self.permissions

    @property
    def whole_city(self) -> bool:
        """May see every county and the city's own totals."""
        return self.counties is None

    def allows(self, county_code: str) -> bool:
        """May this principal see rows of this county?"""
        return self.counties is None or county_code in self.counties

    @property
    def scope_key(self) -> str:
        """The scope as text, part of every cache key so that scopes never share entries."""
        return "ALL" if self.counties is None else ",".join(sorted(self.counties)) or "NONE"


CITY_LEADER = Principal(
    user_id="default",
    role="city_leader",
    counties=None,
    permissions=frozenset({SEE_PERSONAL, EXPORT, SEE_MOBILES}),
    display_name="市领导",
)

PrincipalProvider = Callable[[], Principal]
_PROVIDER_KEY = "COCKPIT_PRINCIPAL_PROVIDER"


# The health check (/healthz, `python -m cockpit check`) asks how fresh each dataset is for the
# whole city, whoever calls it: monitoring has no session, and an answer scoped to no county
# would report every dataset as stale. It reads timestamps only, never rows.
HEALTH_CHECK = Principal(user_id="health-check", role="system", display_name="健康检查")
_ACTING_KEY = "cockpit_acting_as"


@contextmanager
def acting_as(principal: Principal) -> Iterator[None]:
    """Server code (never request input) reading as `principal` for the rest of this block."""
    if not has_app_context():  # no request, no provider: current_principal() is the default
        yield
        return
    previous = g.get(_ACTING_KEY)
    setattr(g, _ACTING_KEY, principal)
    try:
        yield
    finally:
        setattr(g, _ACTING_KEY, previous)


def current_principal() -> Principal:
    """The principal of the current request, from the app's server-side provider."""
    if has_app_context():
        acting = g.get(_ACTING_KEY)
        if acting is not None:
            return acting
        provider = current_app.config.get(_PROVIDER_KEY)
        if provider is not None:
            return provider()
    return CITY_LEADER


def install_principal_provider(server, provider: PrincipalProvider) -> None:  # noqa: ANN001
    """Let the security layer decide who the request is (reads the Flask session)."""
    server.config[_PROVIDER_KEY] = provider
