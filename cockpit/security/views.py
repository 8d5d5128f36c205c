"""The sign-in pages: login, the second factor, logout and the password change.

Plain HTML forms served by Flask (no scripts, so they work under the strictest CSP), rendered
by Jinja with autoescaping. The gate (gate.py) already refused cross-site POSTs, so a form
cannot be submitted from another site.

Every step keeps its state on the server: failures in throttle.py (lockout per account and
address, throttling per address), the step between password and one-time code in
second_factor.py. Every failure gets the same answer (refuse_sign_in), whatever its reason.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, g, redirect, render_template, request, session
from werkzeug.wrappers import Response as BaseResponse

from cockpit import audit
from cockpit.security import accounts, second_factor, sessions, throttle
from cockpit.security.gate import IDLE_COOKIE, client_address, in_networks
from cockpit.security.passwords import verify_password
from cockpit.security.roles import ROLES

bp = Blueprint("cockpit_security", __name__, template_folder="templates")
THROTTLED = "登录尝试过于频繁，请稍后再试"


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
            theme=gate.settings.app.theme,  # the same default as the cockpit's pages
            **extra,
        ),
        status,
    )


def message_page(title: str, message: str, status: int) -> Any:
    """A plain page with one message and a way out (logout)."""
    return _page("message", title, error=message, status=status)


def safe_next(target: str | None) -> str:
    """Only a path on this site: never //host, a scheme, a backslash or any whitespace.

    Browsers drop tabs and newlines from a Location before reading it, so "/\t/evil.example"
    would arrive as "//evil.example": a target with any whitespace or control character is
    refused outright rather than cleaned.
    """
    if not target or "\\" in target or any(c.isspace() or not c.isprintable() for c in target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def printable(text: str) -> str:
    """Text from the user as it may go into the audit log: control characters escaped."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)[:64]


def _audit(
    action: str, obj: str, result: str, username: str, role: str = "", **detail: Any
) -> None:
    audit.record(
        action,
        printable(obj),
        result,
        detail or None,
        user_id=printable(username) or "-",
        role=role,
    )


def _set_cookie(response: BaseResponse, name: str, value: str, **kw: Any) -> None:
    response.set_cookie(name, value, samesite="Lax", secure=_gate().cookie_secure, **kw)


def start_session(user: accounts.User, target: str) -> BaseResponse:
    """Sign the user in: a brand-new session token, the old one (if any) ended."""
    gate = _gate()
    store = gate.store()
    address = client_address()
    old = request.cookies.get("cockpit_session")
    if old:
        sessions.revoke(store, sessions.token_hash(old), "replaced")
    token = sessions.start(store, user.id, address, request.headers.get("User-Agent", ""))
    throttle.clear(store, user.username, address)
    session.clear()
    _audit(audit.LOGIN, "", "ok", user.username, user.role)
    response = redirect(safe_next(target), code=302)
    _set_cookie(response, "cockpit_session", token, httponly=True, path="/")
    response.delete_cookie(second_factor.COOKIE, path="/login/totp")
    idle, _lifetime = gate.limits(user.role)
    if idle is None:  # wall screens: no idle limit, so no page timer either
        response.delete_cookie(IDLE_COOKIE, path="/")
    else:
        # Read by assets/session_end.js: the page clears itself when this much time passes
        # without the user touching it (the server ends the session at the same limit).
        _set_cookie(response, IDLE_COOKIE, str(int(idle.total_seconds())), path="/")
    return response


def refuse_sign_in(target: str) -> tuple[str, int]:
    """The one answer for an unknown name, a wrong password or code, a locked account, and a
    wall account's right password from outside the wall network."""
    return _page("login", "登录", error=accounts.GENERIC_FAILURE, next=target, status=401)


def after_password(user: accounts.User, target: str) -> Any:
    """The first factor is proven (password or single sign-on): the wall's network, then the
    second factor where the user has one or their role needs one, then the session."""
    gate = _gate()
    security = gate.security
    address = client_address()
    spec = ROLES.get(user.role)
    if spec is not None and spec.unattended and not in_networks(address, security.wall_networks):
        _audit(audit.LOGIN_FAILED, user.username, "wall_address", user.username, user.role)
        return refuse_sign_in(target)
    if _outside_admin_networks(user.role, security, address):
        # The same answer as a wrong password: it must not confirm the password was right.
        _audit(audit.LOGIN_FAILED, user.username, "admin_address", user.username, user.role)
        return refuse_sign_in(target)
    if user.totp_secret:
        token = second_factor.begin(gate.store(), user.id, address, target)
        response = redirect("/login/totp", code=302)
        _set_cookie(
            response,
            second_factor.COOKIE,
            token,
            httponly=True,
            path="/login/totp",
            max_age=security.totp_pending_minutes * 60,
        )
        return response
    if user.role in security.totp_roles:
        _audit(audit.LOGIN_FAILED, user.username, "totp_missing", user.username, user.role)
        return _page(
            "login",
            "登录",
            error="该账号须使用动态口令，请联系系统管理员开通",
            next=target,
            status=403,
        )
    return start_session(user, target)


def _failed(user_name: str, outcome: str, kind: str, role: str = "") -> None:
    """Count a failure toward lockout and throttling, and record it (and a lockout)."""
    gate = _gate()
    locked = throttle.fail(gate.store(), gate.security, user_name, client_address(), kind)
    _audit(audit.LOGIN_FAILED, user_name, outcome, user_name, role)
    if locked or outcome == "lockout":
        _audit(
            audit.LOCKOUT,
            user_name,
            "locked",
            user_name,
            role,
            minutes=gate.security.lockout_minutes,
        )


def _refused_before_checking(username: str, target: str) -> tuple[str, int] | None:
    """Throttled address or locked account: answered without looking at the password."""
    gate = _gate()
    why = throttle.refusal(gate.store(), gate.security, username, client_address())
    if not why:
        return None
    _audit(audit.LOGIN_FAILED, username, why, username)
    if why == "throttled":
        return _page("login", "登录", error=THROTTLED, next=target, status=429)
    return refuse_sign_in(target)


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
    username = (request.form.get("username") or "").strip()
    password = request.form.get("password") or ""
    target = safe_next(request.form.get("next"))
    if len(username) > 64 or not username.isprintable():
        # A newline or other control character is never part of a name (it would plant
        # a line in `audit tail`): refused like an unknown name, recorded escaped.
        verify_password(None, password)  # same time as a real check
        _failed(username, "bad_name", "unknown")
        return refuse_sign_in(target)
    refused = _refused_before_checking(username, target)
    if refused is not None:
        verify_password(None, password)
        return refused
    result = accounts.sign_in(
        gate.store(),
        username,
        password,
        # The account-wide lock (users.locked_until) is the lockout_total one; the lock per
        # address is throttle.py's, so a stranger cannot lock the owner out.
        attempts=security.lockout_total,
        lock_minutes=security.lockout_minutes,
    )
    if result.user is None:
        if result.outcome in ("locked", "inactive"):
            _audit(audit.LOGIN_FAILED, username, result.outcome, username)
        else:
            _failed(
                username, result.outcome, "unknown" if result.outcome == "unknown" else "password"
            )
        return refuse_sign_in(target)
    return after_password(result.user, target)


def _outside_admin_networks(role: str, security: Any, address: str) -> bool:
    """A 三员 account (roles.management) signing in from outside security.admin_networks?"""
    from cockpit.security.roles import management

    return management(role) and not in_networks(address, security.admin_networks)


@bp.route("/login/totp", methods=["GET", "POST"])
def login_totp() -> Any:
    """The one-time code of an authenticator app (RFC 6238), after the password."""
    gate = _gate()
    store = gate.store()
    token = request.cookies.get(second_factor.COOKIE) or ""
    minutes = gate.security.totp_pending_minutes
    if request.method == "GET":
        if token and second_factor.peek(store, token, client_address(), minutes):
            return _page("totp", "动态口令验证")
        return _back_to_login()
    pending = second_factor.take(store, token, client_address(), minutes) if token else None
    user = accounts.get_user_by_id(store, pending.user_id) if pending else None
    if pending is None or user is None or not user.totp_secret:
        return _back_to_login()
    refused = _refused_before_checking(user.username, "/")
    if refused is not None:
        return refused
    code = (request.form.get("code") or "").strip()
    if not second_factor.accept(store, user.id, user.totp_secret, code):
        _failed(user.username, "totp_wrong", "code", user.role)
        return _page("login", "登录", error="动态口令不正确，请重新登录", status=401, next="/")
    return start_session(user, pending.next)


def _back_to_login() -> BaseResponse:
    """No pending step (never begun, used, expired, or another address): start again."""
    response = redirect("/login", code=302)
    response.delete_cookie(second_factor.COOKIE, path="/login/totp")
    return response


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
    response.delete_cookie(IDLE_COOKIE, path="/")
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
    # Whoever else held a session of this user (perhaps with the old password) is out now.
    current = sessions.token_hash(request.cookies.get("cockpit_session") or "")
    ended = sessions.revoke_others(gate.store(), user.id, current, "password_change")
    _audit(audit.PASSWORD_CHANGE, user.username, "ok", user.username, user.role, ended=ended)
    return redirect("/", code=302)


def register(server: Flask, gate: Any) -> None:
    """Add the pages and plain error pages (never a traceback) to the server."""
    from cockpit.security import oidc

    server.register_blueprint(bp)
    oidc.register(server, gate)

    @server.errorhandler(404)
    def not_found(_exc: Exception) -> Any:
        return Response("页面不存在", status=404, mimetype="text/plain")

    @server.errorhandler(500)
    def server_error(_exc: Exception) -> Any:
        return Response("服务器内部错误，已记录，请稍后重试", status=500, mimetype="text/plain")
