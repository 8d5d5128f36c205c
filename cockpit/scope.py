"""Who is asking, and which counties they may see: always from the server, never the browser.

A Dash callback is a plain POST whose inputs anyone can forge, so the data hub takes the
principal from here (the server-side session), not from callback arguments. Until real login
lands (the security issue), every request is served as the configured default principal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, has_app_context


@dataclass(frozen=True)
class Principal:
    """A user as the server knows them; counties=None means the whole city."""

    user_id: str
    role: str
    counties: frozenset[str] | None = None

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


CITY_LEADER = Principal(user_id="default", role="city_leader", counties=None)

PrincipalProvider = Callable[[], Principal]
_PROVIDER_KEY = "COCKPIT_PRINCIPAL_PROVIDER"


def current_principal() -> Principal:
    """The principal of the current request, from the app's server-side provider."""
    if has_app_context():
        provider = current_app.config.get(_PROVIDER_KEY)
        if provider is not None:
            return provider()
    return CITY_LEADER


def install_principal_provider(server, provider: PrincipalProvider) -> None:  # noqa: ANN001
    """Let the security layer decide who the request is (reads the Flask session)."""
    server.config[_PROVIDER_KEY] = provider
