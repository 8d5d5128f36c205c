"""The sign-in pages: login, the second factor, logout and the password change.

Plain HTML forms served by Flask (no scripts, so they work under the strictest CSP), rendered
by Jinja with autoescaping. The gate (gate.py) already refused cross-site POSTs, so a form
cannot be submitted from another site.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pyotp
from flask import Blueprint, Flask, Response, g, redirect, render_template, request, session

from cockpit import audit
from cockpit.security import accounts, sessions
from cockpit.security.roles import ROLES

bp = Blueprint("cockpit_security", __name__, template_folder="templates")
PENDING_SECONDS = 300  # between the password and the one-time code


def _gate() -> Any:
    from flask import current_app

    return current_app.extensions["cockpit_gate"]


def _page(
    form: str, title: str, *, error: str = "", notice: str = "", status: int = 200, **extra: Any
) -> tuple[str, int]:
    gate = _gate()
    return (
        render_template(
            "auth.html",
            form=form,
            title=title,
            app_title=f"{gate.settings.city.name}{gate.settings.app.title}",
            error=error,
            notice=notice,
            oidc_title=gate.security.oidc.title if gate.security.oidc.enabled else "",
            demo_hint=gate.demo_hint,
            **extra,
        ),
        status,
    )


def safe_next(target: str | None) -> str:
    """Only a path on this site: never //host or a scheme (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _audit(
    action: str, obj: str, result: str, username: str, role: str = "", **detail: Any
) -> None:
    audit.record(action, obj, result, detail or None, user_id=username or "-", role=role)


def start_session(user: accounts.User, target: str) -> Response:
    """Sign the user in: a brand-new session token, the old one (if any) ended."""
    gate = _gate()
    store = gate.store()
    old = request.cookies.get("cockpit_session")
    if old:
        sessions.revoke(store, sessions.token_hash(old), "replaced")
    token = sessions.start(
        store, user.id, request.remote_addr or "", request.headers.get("User-Agent", "")
    )
    session.clear()
    _audit(audit.LOGIN, "", "ok", user.username, user.role)
    response = redirect(safe_next(target), code=302)
    response.set_cookie(
        "cockpit_session",
        token,
        httponly=True,
        samesite="Lax",
        secure=gate.cookie_secure,
        path="/",
    )
    return response


@bp.route("/login", methods=["GET"])
def login_form() -> Any:
    """The login form."""
    notice = "会话已过期，请重新登录" if request.args.get("expired") else ""
    return _page("login", "登录", notice=notice, next=safe_next(request.args.get("next")))


@bp.route("/login", methods=["POST"])
def login_submit() -> Any:
    """Check the password; then the second factor, or straight in."""
    gate = _gate()
    security = gate.security
    username = (request.form.get("username") or "").strip()[:64]
    password = request.form.get("password") or ""
    target = safe_next(request.form.get("next"))
    result = accounts.sign_in(
        gate.store(),
        username,
        password,
        attempts=security.lockout_attempts,
        lock_minutes=security.lockout_minutes,
    )
    if result.user is None:
        _audit(audit.LOGIN_FAILED, username, result.outcome, username)
        if result.outcome == "lockout":
            _audit(audit.LOCKOUT, username, "locked", username, minutes=security.lockout_minutes)
        # One answer for an unknown name, a wrong password, a locked or disabled account.
        return _page("login", "登录", error=accounts.GENERIC_FAILURE, next=target, status=401)
    user = result.user
    spec = ROLES.get(user.role)
    if spec is not None and spec.unattended:
        from cockpit.security.gate import in_networks

        if not in_networks(request.remote_addr or "", security.wall_networks):
            _audit(audit.LOGIN_FAILED, username, "wall_address", username, user.role)
            return _page(
                "login", "登录", error="该账号只能在指定的大屏终端登录", next=target, status=403
            )
    if _outside_admin_networks(user.role, security):
        # The same answer as a wrong password: it must not confirm the password was right.
        _audit(audit.LOGIN_FAILED, username, "admin_address", username, user.role)
        return _page("login", "登录", error=accounts.GENERIC_FAILURE, next=target, status=401)
    if user.totp_secret:
        session.clear()
        session["pending_user"] = user.id
        session["pending_at"] = time.time()
        session["pending_next"] = target
        return redirect("/login/totp", code=302)
    if user.role in security.totp_roles:
        _audit(audit.LOGIN_FAILED, username, "totp_missing", username, user.role)
        return _page(
            "login",
            "登录",
            error="该账号须使用动态口令，请联系系统管理员开通",
            next=target,
            status=403,
        )
    return start_session(user, target)


def _outside_admin_networks(role: str, security: Any) -> bool:
    """A 三员 account (roles.management) signing in from outside security.admin_networks?"""
    from cockpit.security.gate import in_networks
    from cockpit.security.roles import management

    return management(role) and not in_networks(request.remote_addr or "", security.admin_networks)


@bp.route("/login/totp", methods=["GET", "POST"])
def login_totp() -> Any:
    """The one-time code of an authenticator app (RFC 6238), after the password."""
    user_id = session.get("pending_user")
    started = session.get("pending_at", 0)
    if not user_id or time.time() - started > PENDING_SECONDS:
        session.clear()
        return redirect("/login", code=302)
    if request.method == "GET":
        return _page("totp", "动态口令验证")
    user = accounts.get_user_by_id(_gate().store(), int(user_id))
    code = (request.form.get("code") or "").strip()
    if (
        user is None
        or not user.totp_secret
        or not pyotp.TOTP(user.totp_secret).verify(code, valid_window=1)
    ):
        session.clear()
        _audit(
            audit.LOGIN_FAILED,
            user.username if user else "-",
            "totp_wrong",
            user.username if user else "-",
        )
        return _page("login", "登录", error="动态口令不正确，请重新登录", status=401, next="/")
    return start_session(user, session.get("pending_next", "/"))


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    """End this session everywhere (the database forgets it), then back to the login form."""
    token = request.cookies.get("cockpit_session")
    user = g.get("cockpit_user")
    if token:
        sessions.revoke(_gate().store(), sessions.token_hash(token), "logout")
    if user is not None:
        _audit(audit.LOGOUT, "", "ok", user.username, user.role)
    response = redirect("/login", code=302)
    response.delete_cookie("cockpit_session", path="/")
    session.clear()
    return response


@bp.route("/password", methods=["GET", "POST"])
def password() -> Any:
    """Change one's own password (required when it was reset or has expired)."""
    gate = _gate()
    user = g.get("cockpit_user")
    if user is None:
        return redirect("/login", code=302)
    policy = gate.security.password
    hint = (
        f"至少 {policy.min_length} 位，含大写字母、小写字母、数字、符号中的至少 "
        f"{policy.min_classes} 类，不含用户名，不与最近 {policy.history} 次相同。"
    )
    expired = user.must_change or user.password_expired(
        dt.datetime.now(dt.UTC), policy.max_age_days
    )
    notice = "口令已到期或为临时口令，请先修改" if expired else ""
    if request.method == "GET":
        return _page("password", "修改口令", notice=notice, policy_hint=hint)
    new = request.form.get("new") or ""
    if new != (request.form.get("confirm") or ""):
        return _page(
            "password", "修改口令", error="两次输入的新口令不一致", policy_hint=hint, status=400
        )
    try:
        accounts.change_password(
            gate.store(), user.username, request.form.get("old") or "", new, policy=policy
        )
    except accounts.AccountError as exc:
        _audit(audit.PASSWORD_CHANGE, user.username, "refused", user.username, user.role)
        return _page("password", "修改口令", error=str(exc), policy_hint=hint, status=400)
    _audit(audit.PASSWORD_CHANGE, user.username, "ok", user.username, user.role)
    return redirect("/", code=302)


def register(server: Flask, gate: Any) -> None:
    """Add the pages and plain error pages (never a traceback) to the server."""
    from cockpit.security import oidc

    server.register_blueprint(bp)
    oidc.register(server, gate)

    @server.errorhandler(404)
    def not_found(_exc: Exception) -> Any:  # noqa: ANN401
        return Response("页面不存在", status=404, mimetype="text/plain")

    @server.errorhandler(500)
    def server_error(_exc: Exception) -> Any:  # noqa: ANN401
        return Response("服务器内部错误，已记录，请稍后重试", status=500, mimetype="text/plain")
