"""The roles a user can have: which pages they may open, what they may do, what scope means.

Checks elsewhere read permissions (`principal.can(EXPORT)`) and pages (`may_open`), never a
role name, so a city can add a role here without touching panels. Scope (which counties) is
per user, in the users table; the role says whether a scope is needed at all.

Separation of duties (等保 三员分立): the administrator manages accounts but sees no city data
and cannot read the audit log; the auditor reads the audit log and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import AfterValidator

from cockpit.scope import (
    EXPORT,
    MANAGE_CONTACTS,
    MANAGE_USERS,
    READ_AUDIT,
    SEE_PERSONAL,
    SEE_SOURCE_DETAIL,
    UNMASK,
)

ALL_PAGES = "*"
DATA_PAGES = frozenset(
    {
        "overview",
        "economy",
        "key_work",
        "risk",
        "emergency",
        "hotline",
        "briefing",
        "contacts",
        "wall",
    }
)


@dataclass(frozen=True)
class Role:
    """A role: its title, its pages, its permissions, and the kind of scope its users have."""

    key: str
    title: str
    pages: frozenset[str]
    permissions: frozenset[str]
    # city: the whole city; county: the user's own counties (at least one); none: no data.
    scope: Literal["city", "county", "none"]
    # Wall screens run unattended: no idle timeout, but only from the configured addresses.
    unattended: bool = False


# EXPORT_UNMASKED (cockpit.scope) is held by no built-in role: config/security.yaml grants it
# to named users or roles (exports.unmasked_users / unmasked_roles), or a city's own role does.
ROLES: dict[str, Role] = {
    role.key: role
    for role in (
        Role(
            "city_leader",
            "市领导",
            DATA_PAGES,
            frozenset({SEE_PERSONAL, EXPORT}),
            "city",
        ),
        Role(
            "city_staff",
            "市直部门工作人员",
            DATA_PAGES,
            frozenset({SEE_PERSONAL, EXPORT, UNMASK, SEE_SOURCE_DETAIL}),
            "city",
        ),
        Role(
            "county_staff",
            "县区工作人员",
            DATA_PAGES,
            frozenset({SEE_PERSONAL, EXPORT, UNMASK, SEE_SOURCE_DETAIL}),
            "county",
        ),
        Role(
            "wall_display",
            "大屏展示账号",
            frozenset({"overview", "economy", "key_work", "risk", "emergency", "hotline", "wall"}),
            frozenset(),
            "city",
            unattended=True,
        ),
        Role(
            "admin",
            "系统管理员",
            frozenset({"admin"}),
            frozenset({MANAGE_USERS, MANAGE_CONTACTS}),
            "none",
        ),
        Role("auditor", "审计管理员", frozenset({"admin"}), frozenset({READ_AUDIT}), "none"),
    )
}


def role(key: str) -> Role:
    """The role of this key; KeyError names the known ones."""
    try:
        return ROLES[key]
    except KeyError:
        raise KeyError(f"unknown role {key!r}; known: {', '.join(ROLES)}") from None


def may_open(role_key: str, page: str) -> bool:
    """May a user of this role open this page (a panel key)?"""
    spec = ROLES.get(role_key)
    return spec is not None and (ALL_PAGES in spec.pages or page in spec.pages)


def known_roles(value: tuple[str, ...]) -> tuple[str, ...]:
    """A configured list of role keys, each one a role that exists (a typo would otherwise
    silently take a right away from everyone)."""
    unknown = [r for r in value if r not in ROLES]
    if unknown:
        raise ValueError(f"unknown roles {unknown}; known: {', '.join(ROLES)}")
    return value


# The type of a configured role list: pydantic checks it with known_roles.
RoleKeys = Annotated[tuple[str, ...], AfterValidator(known_roles)]
