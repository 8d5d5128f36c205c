"""Who is asking, and which counties they may see: always from the server, never the browser.

A Dash callback is a plain POST whose inputs anyone can forge, so the data hub takes the
principal from here (the server-side session), not from callback arguments. Until real login
lands (the security issue), every request is served as the configured default principal.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pandas as pd
from flask import current_app, g, has_app_context

# What a principal may do beyond seeing figures. Roles grant these (cockpit/security/roles.py);
# a check reads `principal.can(EXPORT)`, never the role name, so roles stay configurable.
SEE_PERSONAL = "see_personal"  # may open lists of 12345 tickets (masked) and other rows
UNMASK = "unmask"  # may reveal one record's personal information, with a reason (audited)
EXPORT = "export"  # may download tables (CSV/Excel) and briefings
# may download personal columns unmasked, with a reason (rare: no built-in role holds it; it is
# granted in config/security.yaml → exports.unmasked_users / unmasked_roles, or by a city role)
EXPORT_UNMASKED = "export_unmasked"
MANAGE_USERS = "manage_users"  # the admin screen: users, roles, scopes, sessions
READ_AUDIT = "read_audit"  # may read the audit log
MANAGE_CONTACTS = "manage_contacts"  # may edit the 一键直联 directory
# May read which dataset, table and column a failing source lacks (data staff, who fix it with
# the platform); others read a plain sentence naming what cannot be shown.
SEE_SOURCE_DETAIL = "see_source_detail"
SEE_MOBILES = "see_mobiles"  # may see personal mobile numbers (cockpit/directory.py)


@dataclass(frozen=True)
class Principal:
    """A user as the server knows them; counties=None means the whole city, empty means none."""

    user_id: str
    role: str
    counties: frozenset[str] | None = None
    permissions: frozenset[str] = frozenset()
    display_name: str = ""
    # The 承办单位 a unit_staff account answers for (users.unit, server-side); None otherwise.
    unit: str | None = None

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


def install_principal_provider(server, provider: PrincipalProvider) -> None:
    """Let the security layer decide who the request is (reads the Flask session)."""
    server.config[_PROVIDER_KEY] = provider


# What a screen says for a county outside the user's scope (not 未报, 0 or —: it has data).
DENIED_TEXT = "无权查看"


def redact_peers(
    table: pd.DataFrame,
    visible: Collection[str],
    county_column: str = "county_code",
    keep: Collection[str] = (),
) -> pd.DataFrame:
    """A comparison table (one row per county) as a user may see it.

    Ranks and city totals are computed over every county on the server (a county user's rank
    is the city's truth, 第7/12), but a county the user may not see keeps only its code (and
    the `keep` columns, e.g. how many were ranked): every other value is blanked, and its row
    is marked `denied`, so screens say 无权查看 rather than 未报, 0 or —. The order of the rows
    would tell the ranks too: the user's rows keep their order, the denied ones follow by code.
    """
    out = table.copy()
    denied = ~out[county_column].astype(str).isin(set(visible))
    for column in out.columns:
        if column in (county_column, *keep):
            continue
        if pd.api.types.is_bool_dtype(out[column]):
            out[column] = out[column].astype("object")
        out.loc[denied, column] = pd.NA if out[column].dtype == "Int64" else None
    out["denied"] = denied.to_numpy()
    shown, hidden = out[~out["denied"]], out[out["denied"]]
    return pd.concat([shown, hidden.sort_values(county_column)], ignore_index=True)


def hide_outside_scope(
    values: dict[str, float | None],
    texts: dict[str, str],
    counties: Collection[str],
    principal: Principal,
) -> tuple[dict[str, float | None], dict[str, str]]:
    """A county map's values and texts with every county outside the principal's scope
    shown as 无权查看 and no value (never a 0 or a gap that reads as 未报)."""
    values, texts = dict(values), dict(texts)
    for code in counties:
        if not principal.allows(code):
            values[code] = None
            texts[code] = DENIED_TEXT
    return values, texts
