"""The roles a user can have: which pages they may open, what they may do, what scope means.

Checks elsewhere read permissions (`principal.can(EXPORT)`) and pages (`may_open`), never a
role name, so a city can add a role here without touching panels. Which built-in roles open a
module's page is said by the module itself (ModuleSpec.roles, cockpit/modules.py), so a new
module is never forgotten here and shown to everyone as 无权访问. Scope (which counties) is
per user, in the users table; the role says whether a scope is needed at all.

Separation of duties (等保 三员分立), see `account_refusal`: the system administrator (admin)
runs the accounts' life cycle but sees no city data, cannot read the audit log, and cannot
authorize: an account it creates waits, disabled, until the security administrator
(security_admin) approves it; roles, scopes and the credentials of accounts that reach data
are the security administrator's, who in turn cannot create accounts or see data. Neither
may touch their own account. The auditor reads the audit log and changes nothing.
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
    SEE_MOBILES,
    SEE_PERSONAL,
    SEE_SOURCE_DETAIL,
    UNMASK,
    Principal,
)

# 安全管理员: authorize (approve new accounts, set roles and scopes) and issue the credentials
# of accounts that reach data or the audit log.
GRANT_ACCESS = "grant_access"
# The server console (`python -m cockpit users`) only, never a role: it may make the first
# account of a management role, so a new installation can be set up.
BOOTSTRAP = "bootstrap_accounts"

ALL_PAGES = "*"
# The wall (大屏) is a page of the frame, not a module: the roles that may open it list it.
WALL_PAGE = "wall"


@dataclass(frozen=True)
class Role:
    """A role: its title, its pages, its permissions, and the kind of scope its users have."""

    key: str
    title: str
    # Pages beyond those the modules grant the role (cockpit.modules: ModuleSpec.roles): the
    # wall, or, for a role a city defines, the modules it may open (ALL_PAGES: every page).
    pages: frozenset[str]
    permissions: frozenset[str]
    # city: the whole city; county: the user's own counties (at least one); none: no data.
    scope: Literal["city", "county", "none"]
    # Wall screens run unattended: no idle timeout, but only from the configured addresses.
    unattended: bool = False
    # The 三员 (system, security and audit administrators) sign in only from
    # security.admin_networks, and their accounts are managed apart from the data roles'.
    management: bool = False


# EXPORT_UNMASKED (cockpit.scope) is held by no built-in role: config/security.yaml grants it
# to named users or roles (exports.unmasked_users / unmasked_roles), or a city's own role does.
ROLES: dict[str, Role] = {
    role.key: role
    for role in (
        Role(
            "city_leader",
            "市领导",
            frozenset({WALL_PAGE}),
            frozenset({SEE_PERSONAL, EXPORT, SEE_MOBILES}),
            "city",
        ),
        Role(
            "city_staff",
            "市直部门工作人员",
            frozenset({WALL_PAGE}),
            frozenset({SEE_PERSONAL, EXPORT, UNMASK, SEE_SOURCE_DETAIL, SEE_MOBILES}),
            "city",
        ),
        Role(
            "county_staff",
            "县区工作人员",
            frozenset({WALL_PAGE}),
            frozenset({SEE_PERSONAL, EXPORT, UNMASK, SEE_SOURCE_DETAIL}),
            "county",
        ),
        # 承办单位: answers the 督办 items assigned to its unit (users.unit) and nothing else;
        # its county is the unit's, so the key_work page shows that county's tasks.
        Role(
            "unit_staff",
            "承办单位工作人员",
            frozenset({"key_work"}),
            frozenset(),
            "county",
        ),
        Role(
            "wall_display",
            "大屏展示账号",
            frozenset({WALL_PAGE}),
            frozenset(),
            "city",
            unattended=True,
        ),
        Role(
            "admin",
            "系统管理员",
            frozenset(),
            frozenset({MANAGE_USERS, MANAGE_CONTACTS}),
            "none",
            management=True,
        ),
        Role(
            "security_admin",
            "安全管理员",
            frozenset(),
            frozenset({GRANT_ACCESS}),
            "none",
            management=True,
        ),
        Role(
            "auditor",
            "审计管理员",
            frozenset(),
            frozenset({READ_AUDIT}),
            "none",
            management=True,
        ),
    )
}
# Accounts only the security administrator manages (the system administrator could otherwise
# make or take over one, and approve or read as it).
OFFICER_ROLES = frozenset({"security_admin", "auditor"})


def role(key: str) -> Role:
    """The role of this key; KeyError names the known ones."""
    try:
        return ROLES[key]
    except KeyError:
        raise KeyError(f"unknown role {key!r}; known: {', '.join(ROLES)}") from None


def may_open(role_key: str, page: str) -> bool:
    """May a user of this role open this page (a module key, or the wall)?

    A module's page: the module grants it to its built-in roles (ModuleSpec.roles, in
    cockpit/domains/<key>/__init__.py); any role may also list it among its own pages."""
    from cockpit.modules import page_rights

    spec = ROLES.get(role_key)
    if spec is None:
        return False
    if ALL_PAGES in spec.pages or page in spec.pages:
        return True
    return role_key in page_rights().get(page, frozenset())


def management(role_key: str) -> bool:
    """Is this one of the 三员 roles (signs in only from security.admin_networks)?"""
    spec = ROLES.get(role_key)
    return spec is not None and spec.management


def account_refusal(
    actor: Principal, action: str, target_role: str, *, own: bool, setting_up: bool = False
) -> str | None:
    """Why `actor` may not do `action` to an account of `target_role` (None: it may).

    Actions: create, grant (change its role or scope), rename, reset (its password), totp,
    unlock, revoke (end its sessions), disable, enable (approve).

    The one place the separation of duties is decided; cockpit/security/accounts.py asks it
    for every change, whether from the admin page or the command line. `setting_up`: the
    role has no working account yet (creating it), or its only one has never signed in
    (giving it its second factor); only the server console uses it."""
    officer = target_role in OFFICER_ROLES
    reaches_data = not management(target_role)
    if own:
        return "不能管理自己的账号"
    if actor.can(GRANT_ACCESS):
        if officer or action in ("grant", "enable", "disable", "revoke"):
            return None
        if action in ("reset", "totp") and reaches_data:
            return None
        return "该操作由系统管理员办理"
    if actor.can(MANAGE_USERS):
        if officer:
            if action in ("create", "totp") and actor.can(BOOTSTRAP) and setting_up:
                return None
            return "安全管理员、审计管理员的账号由安全管理员管理"
        if action in ("grant", "enable"):
            return "授权（启用账号、变更角色与范围）须由安全管理员办理"
        if action in ("reset", "totp") and reaches_data:
            return "业务账号的口令与动态口令由安全管理员重置"
        return None
    return "当前账号无用户管理权限"


def role_change_refusal(old: str, new: str) -> str | None:
    """A management account never becomes a data account or the reverse: make a new one."""
    if old != new and (management(old) or management(new)):
        return "管理类账号与业务账号不能互换角色，请另建账号"
    return None


def created_active(actor: Principal, target_role: str, *, first_of_role: bool) -> bool:
    """Does an account made by `actor` work at once, or wait for the security administrator?

    Officers made by the security administrator, and the console's first account of each
    management role, work at once; everything the system administrator makes waits."""
    if actor.can(GRANT_ACCESS):
        return True
    return actor.can(BOOTSTRAP) and first_of_role and management(target_role)


def known_roles(value: tuple[str, ...]) -> tuple[str, ...]:
    """A configured list of role keys, each one a role that exists (a typo would otherwise
    silently take a right away from everyone)."""
    unknown = [r for r in value if r not in ROLES]
    if unknown:
        raise ValueError(f"unknown roles {unknown}; known: {', '.join(ROLES)}")
    return value


# The type of a configured role list: pydantic checks it with known_roles.
RoleKeys = Annotated[tuple[str, ...], AfterValidator(known_roles)]
