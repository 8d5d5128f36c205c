"""The admin page: an account form with its actions, the user list, the audit log."""

from __future__ import annotations

from dash import dcc, html

from cockpit import audit
from cockpit.components import panel, scrollable
from cockpit.personal_access import ALERT
from cockpit.security.roles import ROLES
from panels.admin import contacts

AUDIT_ACTIONS = (
    audit.LOGIN,
    audit.LOGIN_FAILED,
    audit.LOGOUT,
    audit.LOCKOUT,
    audit.DENIED,
    audit.UNMASK,
    audit.EXPORT,
    audit.SUPERVISION,
    audit.ACKNOWLEDGE,
    audit.USER_CHANGE,
    audit.PASSWORD_CHANGE,
    audit.CALL,
    audit.CONTACT_CHANGE,
    ALERT,  # rate limits hit on personal information (cockpit/personal_access.py)
)
BUTTONS = (
    ("create", "新建用户"),
    ("update", "保存角色、范围与联系方式"),
    ("reset", "重置口令"),
    ("unlock", "解除锁定"),
    ("revoke", "强制下线"),
    ("totp", "开通动态口令"),
    ("disable", "停用"),
    ("enable", "启用"),
)


def layout() -> html.Div:
    """Both halves are drawn; the server fills only what the user's permissions allow."""
    form = html.Div(
        [
            html.Label("用户名", htmlFor="admin-username"),
            dcc.Input(id="admin-username", maxLength=64, className="admin-input"),
            html.Label("姓名", htmlFor="admin-display"),
            dcc.Input(id="admin-display", maxLength=64, className="admin-input"),
            html.Label("角色", htmlFor="admin-role"),
            dcc.Dropdown(
                id="admin-role",
                options=[{"label": r.title, "value": r.key} for r in ROLES.values()],
                clearable=False,
                className="admin-dropdown",
            ),
            html.Label("所属县区（县区工作人员）", htmlFor="admin-counties"),
            dcc.Dropdown(id="admin-counties", multi=True, className="admin-dropdown"),
            html.Label("承办单位（承办单位账号）", htmlFor="admin-unit"),
            dcc.Dropdown(
                id="admin-unit",
                placeholder="选择承办单位",
                className="admin-dropdown",
            ),
            html.Label("手机号（短信推送）", htmlFor="admin-phone"),
            dcc.Input(
                id="admin-phone",
                type="tel",
                maxLength=20,
                className="admin-input",
                placeholder="不修改请留空",
            ),
            html.Label("电子邮箱（邮件推送）", htmlFor="admin-email"),
            dcc.Input(
                id="admin-email",
                type="email",
                maxLength=128,
                className="admin-input",
                placeholder="不修改请留空",
            ),
            html.Div(
                [
                    html.Button(label, id=f"admin-{key}", n_clicks=0, className="pager-button")
                    for key, label in BUTTONS
                ],
                className="admin-buttons",
            ),
            html.Div(id="admin-message", role="status"),
            # 我的驾驶舱 (cockpit/leaders.py): what the account 分管, shown first on its landing
            # page. Not a right: the role and scope above still decide what it may see.
            html.Fieldset(
                [
                    html.Legend("分管（我的驾驶舱，按选择顺序展示）"),
                    html.Label("分管领域", htmlFor="admin-link-modules"),
                    dcc.Dropdown(id="admin-link-modules", multi=True, className="admin-dropdown"),
                    html.Label("分管重点工作（任务编号，顿号分隔）", htmlFor="admin-link-tasks"),
                    dcc.Input(id="admin-link-tasks", maxLength=2000, className="admin-input"),
                    html.Label("分管市局（单位名称，顿号分隔）", htmlFor="admin-link-bureaus"),
                    dcc.Input(id="admin-link-bureaus", maxLength=2000, className="admin-input"),
                    html.Label("分管县区", htmlFor="admin-link-counties"),
                    dcc.Dropdown(id="admin-link-counties", multi=True, className="admin-dropdown"),
                    html.Div(
                        [
                            html.Button(
                                "读取分管",
                                id="admin-links-load",
                                n_clicks=0,
                                className="pager-button",
                            ),
                            html.Button(
                                "保存分管",
                                id="admin-links-save",
                                n_clicks=0,
                                className="pager-button",
                            ),
                        ],
                        className="admin-buttons",
                    ),
                    html.Div(id="admin-links-message", role="status"),
                ],
                className="admin-links",
            ),
        ],
        className="admin-form",
    )
    users = panel(
        "用户与会话",
        form,
        html.Div(id="admin-users", className="admin-table", **scrollable("用户列表")),
        dcc.Store(id="admin-version", data=0),
        className="span-all",
    )
    log = panel(
        "审计日志",
        html.Div(
            [
                dcc.Dropdown(
                    id="admin-audit-action",
                    options=[{"label": a, "value": a} for a in AUDIT_ACTIONS],
                    placeholder="全部操作",
                    className="admin-dropdown",
                ),
                dcc.Input(id="admin-audit-user", placeholder="用户名", className="admin-input"),
                html.Button("查询", id="admin-audit-search", n_clicks=0, className="pager-button"),
                html.Button(
                    "校验哈希链", id="admin-audit-verify", n_clicks=0, className="pager-button"
                ),
            ],
            className="admin-buttons",
        ),
        html.Div(id="admin-audit-verdict", role="status"),
        html.Div(id="admin-audit", className="admin-table", **scrollable("审计日志")),
        className="span-all",
    )
    return html.Div([users, contacts.section(), log], className="page-grid admin-page")
