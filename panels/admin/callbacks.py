"""Admin callbacks: every action checks the server-side principal's permission, and is audited.

Who may do what: MANAGE_USERS (系统管理员) for accounts' life cycle, GRANT_ACCESS (安全管理员)
for approvals, roles, scopes and credentials, READ_AUDIT (审计管理员) for the log: 三员分立,
decided in cockpit/security/roles.py and applied by the account functions. Nobody changes,
disables or logs out their own account here.
"""

from __future__ import annotations

import pyotp
from dash import Dash, Input, Output, State, ctx, html, no_update

from cockpit import audit, leaders
from cockpit.clock import local_time
from cockpit.domains.hotline.masking import mask_address
from cockpit.domains.key_work.units import known_units
from cockpit.hub import DataHub
from cockpit.modules import all_modules
from cockpit.personal_access import ALERT
from cockpit.scope import MANAGE_USERS, READ_AUDIT, current_principal
from cockpit.security import accounts, sessions
from cockpit.security.roles import GRANT_ACCESS, ROLES
from cockpit.store import StoreError, get_store
from panels.admin import contacts
from panels.admin.layout import BUTTONS


def _message(text: str, ok: bool) -> html.Div:
    return html.Div(
        text, role="alert", className="kw-alert " + ("kw-alert-ok" if ok else "kw-alert-error")
    )


def unit_choices(hub: DataHub) -> list[dict[str, str]]:
    """The 承办单位 a unit account may be bound to (the units the data knows)."""
    if not (current_principal().can(MANAGE_USERS) or current_principal().can(GRANT_ACCESS)):
        return []
    return [{"label": u, "value": u} for u in known_units(hub)]


def user_action(
    hub: DataHub,
    action: str,
    username: str,
    display: str,
    role: str | None,
    counties: list | None,
    *,
    unit: str | None = None,
    phone: str | None = None,
    email: str | None = None,
) -> tuple[bool, str]:
    """Do one account action for the current principal; (ok, message for the screen).

    `unit` binds a unit account to a 承办单位 the data knows; `phone` and `email` are where
    the SMS and e-mail channels reach the account (empty: left as they are).

    Who may do what to whom (三员分立) is decided in the account functions themselves
    (cockpit/security/accounts.py asks roles.account_refusal), as for the command line."""
    principal = current_principal()
    if not (principal.can(MANAGE_USERS) or principal.can(GRANT_ACCESS)):
        audit.record(audit.DENIED, f"admin:{action}", "no_permission")
        return False, "当前账号无用户管理权限"
    username = (username or "").strip()
    if not username:
        return False, "请填写用户名"
    store = get_store(hub)
    settings = hub.settings
    known = [c.code for c in settings.city.counties]
    policy = settings.security.password
    text = ""
    unit = (unit or "").strip() or None
    phone = (phone or "").strip() or None
    email = (email or "").strip() or None
    units = known_units(hub) if unit else None
    try:
        if action == "create":
            if role not in ROLES:
                return False, "请选择角色"
            password = accounts.temporary_password(max(16, policy.min_length))
            user = accounts.create_user(
                store,
                username=username,
                role=role,
                password=password,
                policy=policy,
                known_counties=known,
                counties=counties,
                display_name=display or "",
                by=principal,
                unit=unit,
                phone=phone,
                email=email,
                known_units=units,
            )
            if user.active:
                text = f"已创建 {username}，临时口令：{password}（仅显示一次，首次登录须修改）"
            else:  # the proposer never sees a working password (accounts.approve issues one)
                text = (
                    f"已创建 {username}（停用），待安全管理员审核启用；口令由安全管理员启用时发放"
                )
        elif action == "update":
            accounts.update_user(
                store,
                username,
                known_counties=known,
                role=role,
                counties=counties,
                display_name=display or None,
                by=principal,
                unit=unit,
                phone=phone,
                email=email,
                known_units=units,
            )
            sessions.revoke_user(store, username, "role_changed")  # new rights at next login
            text = f"已保存 {username} 的角色、范围与联系方式，其会话已结束"
        elif action == "reset":
            temporary = accounts.reset_password(store, username, policy=policy, by=principal)
            sessions.revoke_user(store, username, "password_reset")
            text = f"{username} 的临时口令：{temporary}（仅显示一次，首次登录须修改）"
        elif action == "unlock":
            accounts.unlock(store, username, by=principal)
            text = f"已解除 {username} 的锁定"
        elif action == "revoke":
            accounts.authorize(store, principal, "revoke", username)
            text = f"已结束 {username} 的 {sessions.revoke_user(store, username, 'admin')} 个会话"
        elif action == "totp":
            secret = pyotp.random_base32()
            accounts.set_totp(store, username, secret, by=principal)
            text = f"{username} 的动态口令密钥：{secret}（仅显示一次，请在验证器App中添加）"
        elif action == "enable":
            issued = accounts.approve(store, username, policy=policy, by=principal)
            text = f"已启用 {username}" + (
                f"，临时口令：{issued}（仅显示一次，首次登录须修改）" if issued else ""
            )
        elif action == "disable":
            accounts.update_user(store, username, known_counties=known, active=False, by=principal)
            sessions.revoke_user(store, username, "disabled")
            text = f"已停用 {username}"
        else:
            return False, "未知操作"
    except StoreError as exc:
        refused = {"action": action, "unit": unit, "error": str(exc)[:200]}
        audit.record(audit.USER_CHANGE, username, "refused", refused)
        return False, str(exc)
    detail = {"action": action, "role": role, "counties": counties, "unit": unit}
    # The account's own address is personal data: the log keeps it masked, as screens show it.
    detail.update({k: mask_address(v) for k, v in (("phone", phone), ("email", email)) if v})
    audit.record(audit.USER_CHANGE, username, "ok", detail)
    return True, text


def _split(text: str | None) -> list[str]:
    """Names or ids typed into one field, separated by 、 , ， ; or spaces."""
    import re

    return [p for p in re.split(r"[、,，;；\s]+", text or "") if p]


def links_action(
    hub: DataHub,
    username: str,
    modules: list | None,
    tasks: str | None,
    bureaus: str | None,
    counties: list | None,
) -> tuple[bool, str]:
    """Save what an account 分管 (我的驾驶舱), for an administrator; (ok, message).

    A link only orders what the account is shown first (never a right), so the system
    administrator may set it, as the security administrator may; nobody sets their own, and
    the 三员 accounts, which see no city data, have none."""
    principal = current_principal()
    if not (principal.can(MANAGE_USERS) or principal.can(GRANT_ACCESS)):
        audit.record(audit.DENIED, "admin:links", "no_permission")
        return False, "当前账号无用户管理权限"
    username = (username or "").strip()
    store = get_store(hub)
    user = accounts.get_user(store, username) if username else None
    if user is None:
        return False, "请填写已有账号的用户名"
    if username == principal.user_id:
        return False, "不能管理自己的账号"
    if ROLES[user.role].scope == "none":
        return False, "管理类账号不查看业务数据，无需设置分管"
    links = leaders.make_links(
        modules=[str(m) for m in modules or []],
        tasks=_split(tasks),
        bureaus=_split(bureaus),
        counties=[str(c) for c in counties or []],
    )
    try:
        leaders.save(
            store,
            username,
            links,
            modules=leaders.known_modules(),
            counties=[c.code for c in hub.settings.city.counties],
        )
    except StoreError as exc:
        audit.record(audit.USER_CHANGE, username, "refused", {"action": "links", "error": str(exc)})
        return False, str(exc)
    detail = {"modules": links.modules, "tasks": links.tasks, "bureaus": links.bureaus}
    audit.record(
        audit.USER_CHANGE,
        username,
        "ok",
        {"action": "links", "links": {**detail, "counties": links.counties}},
    )
    return (
        True,
        f"已保存 {username} 的分管（{'清空' if links.empty else '共' + str(sum(len(v) for v in detail.values()) + len(links.counties)) + '项'}），下次打开首页生效",
    )


def users_table(hub: DataHub) -> html.Table | html.P:
    """Every account with its role, scope, state and last sign-in."""
    principal = current_principal()
    if not (principal.can(MANAGE_USERS) or principal.can(GRANT_ACCESS)):
        return html.P("当前账号无用户管理权限")
    names = hub.settings.city.county_names
    rows = []
    for u in accounts.list_users(get_store(hub)):
        scope = (
            "全市"
            if u.counties is None
            else ("、".join(names.get(c, c) for c in sorted(u.counties)) or "无")
        )
        state = "锁定中" if u.locked_until else "正常"
        if not u.active:  # never signed in: waiting for the security administrator's approval
            state = "待审核" if u.last_login_at is None else "停用"
        role = ROLES.get(u.role)
        rows.append(
            html.Tr(
                [
                    html.Td(u.username),
                    html.Td(u.display_name),
                    html.Td(role.title if role else u.role),
                    html.Td(scope),
                    html.Td(u.unit or "—"),
                    html.Td("、".join(mask_address(v) for v in (u.phone, u.email) if v) or "—"),
                    html.Td(state),
                    html.Td("已开通" if u.totp_secret else "—"),
                    html.Td(
                        local_time(u.last_login_at).strftime("%Y-%m-%d %H:%M")
                        if u.last_login_at
                        else "—"
                    ),
                ]
            )
        )
    head = html.Tr(
        [
            html.Th(h)
            for h in (
                "用户名",
                "姓名",
                "角色",
                "范围",
                "承办单位",
                "联系方式",
                "状态",
                "动态口令",
                "最近登录",
            )
        ]
    )
    return html.Table([html.Thead(head), html.Tbody(rows)], className="data-table")


def audit_table(hub: DataHub, action: str | None, user: str | None) -> html.Table | html.P:
    """The newest audit records (200), optionally of one action or user."""
    if not current_principal().can(READ_AUDIT):
        return html.P("当前账号无审计日志查看权限")
    entries = audit.entries(
        get_store(hub), action=action or None, user_id=(user or "").strip() or None
    )
    head = html.Tr(
        [html.Th(h) for h in ("序号", "时间", "用户", "角色", "地址", "操作", "对象", "结果")]
    )
    rows = [
        html.Tr(
            [
                html.Td(e.seq),
                html.Td(local_time(e.at).strftime("%Y-%m-%d %H:%M:%S")),
                html.Td(e.user_id),
                html.Td(e.role),
                html.Td(e.address),
                html.Td(e.action),
                html.Td(e.object),
                html.Td(f"⚠ 告警：{e.result}" if e.action == ALERT else e.result),
            ],
            className="audit-alert" if e.action == ALERT else None,
        )
        for e in entries
    ]
    return html.Table([html.Thead(head), html.Tbody(rows)], className="data-table")


def register_callbacks(app: Dash, hub: DataHub) -> None:
    """Wire the admin page (the directory editor wires itself: panels/admin/contacts.py)."""
    contacts.register_callbacks(app, hub)

    @app.callback(
        Output("admin-counties", "options"),
        Input("admin-role", "value"),
    )
    def county_choices(_role):
        return [{"label": c.name, "value": c.code} for c in hub.settings.city.counties]

    @app.callback(Output("admin-unit", "options"), Input("admin-role", "value"))
    def unit_options(_role):
        return unit_choices(hub)

    @app.callback(
        Output("admin-link-modules", "options"),
        Output("admin-link-counties", "options"),
        Input("admin-role", "value"),
    )
    def link_choices(_role):
        titles = {m.key: m.title for m in all_modules()}
        modules = [{"label": titles[k], "value": k} for k in leaders.known_modules()]
        counties = [{"label": c.name, "value": c.code} for c in hub.settings.city.counties]
        return modules, counties

    @app.callback(
        Output("admin-links-message", "children"),
        Input("admin-links-save", "n_clicks"),
        State("admin-username", "value"),
        State("admin-link-modules", "value"),
        State("admin-link-tasks", "value"),
        State("admin-link-bureaus", "value"),
        State("admin-link-counties", "value"),
        prevent_initial_call=True,
    )
    def save_links(_n, username, modules, tasks, bureaus, counties):
        ok, text = links_action(
            hub,
            str(username or ""),
            modules if isinstance(modules, list) else None,
            tasks if isinstance(tasks, str) else None,
            bureaus if isinstance(bureaus, str) else None,
            counties if isinstance(counties, list) else None,
        )
        return _message(text, ok)

    @app.callback(
        Output("admin-link-modules", "value"),
        Output("admin-link-tasks", "value"),
        Output("admin-link-bureaus", "value"),
        Output("admin-link-counties", "value"),
        Input("admin-links-load", "n_clicks"),
        State("admin-username", "value"),
        prevent_initial_call=True,
    )
    def load_links(_n, username):
        principal = current_principal()
        if not (principal.can(MANAGE_USERS) or principal.can(GRANT_ACCESS)):
            return no_update, no_update, no_update, no_update
        name = str(username or "").strip()
        found = leaders.links_for(get_store(hub), hub.settings, name)
        return (
            list(found.modules),
            "、".join(found.tasks),
            "、".join(found.bureaus),
            list(found.counties),
        )

    @app.callback(
        Output("admin-message", "children"),
        Output("admin-version", "data"),
        *(Input(f"admin-{key}", "n_clicks") for key, _ in BUTTONS),
        State("admin-username", "value"),
        State("admin-display", "value"),
        State("admin-role", "value"),
        State("admin-counties", "value"),
        State("admin-version", "data"),
        State("admin-unit", "value"),
        State("admin-phone", "value"),
        State("admin-email", "value"),
        prevent_initial_call=True,
    )
    def act(*args):
        username, display, role, counties, version, unit, phone, email = args[len(BUTTONS) :]
        if not isinstance(ctx.triggered_id, str):
            return no_update, no_update
        action = ctx.triggered_id.removeprefix("admin-")
        ok, text = user_action(
            hub,
            action,
            str(username or ""),
            str(display or ""),
            role if isinstance(role, str) else None,
            [str(c) for c in counties] if isinstance(counties, list) else None,
            unit=unit if isinstance(unit, str) else None,
            phone=phone if isinstance(phone, str) else None,
            email=email if isinstance(email, str) else None,
        )
        return _message(text, ok), (version or 0) + (1 if ok else 0)

    @app.callback(Output("admin-users", "children"), Input("admin-version", "data"))
    def show_users(_version):
        return users_table(hub)

    @app.callback(
        Output("admin-audit", "children"),
        Input("admin-audit-search", "n_clicks"),
        Input("admin-version", "data"),
        State("admin-audit-action", "value"),
        State("admin-audit-user", "value"),
    )
    def show_audit(_n, _version, action, user):
        return audit_table(
            hub,
            action if isinstance(action, str) else None,
            user if isinstance(user, str) else None,
        )

    @app.callback(
        Output("admin-audit-verdict", "children"),
        Input("admin-audit-verify", "n_clicks"),
        prevent_initial_call=True,
    )
    def verify(_n):
        if not current_principal().can(READ_AUDIT):
            return _message("当前账号无审计日志查看权限", False)
        from flask import current_app

        store = get_store(hub)
        seal = audit.seal_for(hub.settings, store, current_app.config["COCKPIT_AUDIT_KEY"])
        verdict = audit.verify(store, seal)  # the chain, and every head the anchor saw
        if verdict.ok:
            return _message(f"哈希链校验通过：{verdict.records} 条记录完整", True)
        return _message(f"哈希链校验失败：{verdict.problem}", False)
