"""The gate every request passes: who is asking, may they, and the headers that protect them.

Default deny: apart from the login pages, static assets and the health probe, every path
needs a live session, whatever its spelling (a trailing slash, doubled slashes, an encoded
underscore all land here before routing). On top of that, each Dash callback POST must be
JSON, from this site's own origin, and touch only component ids of pages the user's role may
open; anything else is refused with 4xx and recorded in the audit log.

Who the user is comes from the session cookie and the database (cockpit/security/sessions.py),
and is what `cockpit.scope.current_principal()` returns for the rest of the request. Nothing a
callback sends can widen it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import ipaddress
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote, urlsplit

from flask import Flask, Response, g, jsonify, redirect, request
from flask.typing import ResponseReturnValue
from werkzeug.middleware.proxy_fix import ProxyFix

from cockpit import audit
from cockpit.scope import Principal, install_principal_provider
from cockpit.security import accounts, sessions
from cockpit.security.roles import ROLES, may_open
from cockpit.settings import SecuritySettings, Settings
from cockpit.store.store import writes_so_far

log = logging.getLogger(__name__)

COOKIE = "cockpit_session"
# Not HttpOnly: the idle limit in seconds, for the page's own timer (assets/session_end.js).
IDLE_COOKIE = "cockpit_idle"
NO_COUNTY = "账号未分配所属县区，暂无可查看的数据，请联系系统管理员"
# Component-id prefixes that belong to the frame, not to one page: every signed-in user's.
# "call": the one-tap call links of every page (cockpit/calls.py resolves them within scope).
SHELL_PREFIXES = frozenset(
    {"url", "shell", "filter", "page", "user", "wall", "phone", "theme", "call"}
)
# /livez: the wall must tell "server down" from "signed out" (it reveals nothing);
# the manifest is fetched by browsers without cookies; robots.txt is for crawlers.
PUBLIC_PATHS = frozenset(
    {
        "/login",
        "/login/totp",
        "/login/oidc",
        "/login/oidc/callback",
        "/healthz",
        "/livez",
        "/favicon.ico",
        "/manifest.webmanifest",
        "/robots.txt",
    }
)
PUBLIC_PREFIXES = ("/assets/", "/_favicon.ico")
# Where a signed-in user whose password must change may still go.
PASSWORD_PATHS = frozenset({"/password", "/logout"})

# Outside any request (a CLI command, a scheduled briefing) the code itself is asking.
SYSTEM = Principal("system", "system", None, frozenset(), "系统")
NOBODY = Principal("anonymous", "", frozenset(), frozenset(), "未登录")


def principal_of_request() -> Principal:
    """The principal the gate found for this request; nobody when it found none."""
    from flask import has_request_context

    if not has_request_context():
        return SYSTEM
    return g.get("cockpit_principal") or NOBODY


def client_address() -> str:
    """The client's address (X-Forwarded-For only from a configured proxy: TrustedProxies)."""
    return request.remote_addr or ""


class TrustedProxies:
    """WSGI middleware: ProxyFix for requests whose peer is a configured proxy, and for any
    other peer the X-Forwarded-* headers are dropped before anything reads them.

    ProxyFix alone believes the header from whoever connects: a client that reaches gunicorn
    directly could pass the wall's allowlist and write a false address into the audit log.
    """

    def __init__(self, app: Callable, hops: int, proxies: Iterable[str]) -> None:
        self.direct = app
        self.proxied = ProxyFix(app, x_for=hops, x_proto=hops, x_host=hops)
        self.proxies = tuple(proxies)

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        """Route the request through ProxyFix only when it came from a proxy."""
        if in_networks(environ.get("REMOTE_ADDR", ""), self.proxies):
            return self.proxied(environ, start_response)
        for key in [k for k in environ if k.startswith("HTTP_X_FORWARDED_")]:
            del environ[key]
        return self.direct(environ, start_response)


def in_networks(address: str, networks: Iterable[str]) -> bool:
    """Is the address inside one of the networks (CIDR)?"""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(net, strict=False) for net in networks)


def same_origin() -> bool:
    """Did this request come from a page of this site (Origin, else Referer, must match)?"""
    source = request.headers.get("Origin") or request.headers.get("Referer")
    if not source or source == "null":
        return False
    parts = urlsplit(source)
    return parts.scheme == request.scheme and parts.netloc == request.host


def callback_ids(body: dict[str, Any]) -> list[Any]:
    """Every component id a Dash callback request names: outputs, inputs and state."""
    ids: list[Any] = []

    def walk(items: Any) -> None:
        if isinstance(items, list):
            for item in items:
                walk(item)
        elif isinstance(items, dict) and "id" in items:
            ids.append(items["id"])

    walk(body.get("outputs"))
    walk(body.get("inputs"))
    walk(body.get("state"))
    output = body.get("output")
    if isinstance(output, str):
        # "..a.children...b.figure.." for several outputs; a pattern id is JSON in there.
        for part in output.strip(".").split("..."):
            name = part.rsplit(".", 1)[0]
            if name.startswith("{"):
                try:
                    ids.append(json.loads(name))
                except ValueError:
                    ids.append(name)
            elif name:
                ids.append(name)
    return ids


def id_prefix(component_id: Any) -> str | None:
    """The page an id belongs to: '<panel>-<element>' or a pattern id's 'type'."""
    if isinstance(component_id, dict):
        component_id = component_id.get("type")
    if not isinstance(component_id, str) or not component_id:
        return None
    return component_id.split("-", 1)[0]


def forbidden_ids(ids: list[Any], role: str, panel_keys: frozenset[str]) -> list[str]:
    """The ids of this callback the role may not touch (unknown prefixes included)."""
    bad = []
    for component_id in ids:
        prefix = id_prefix(component_id)
        if prefix in SHELL_PREFIXES:
            continue
        if prefix is None or prefix not in panel_keys or not may_open(role, prefix):
            bad.append(str(component_id)[:80])
    return bad


def only_timers(body: dict[str, Any]) -> bool:
    """Was this callback fired by timers alone (auto-refresh), not by the user?"""
    changed = body.get("changedPropIds") or []
    return bool(changed) and all(str(p).endswith(".n_intervals") for p in changed)


def cookie_secure(settings: Settings) -> bool:
    """Send the session cookie over HTTPS only? (auto: in production)."""
    mode = settings.security.cookie_secure
    return mode == "always" or (mode == "auto" and settings.app.env == "production")


def content_security_policy(script_hashes: Iterable[str]) -> str:
    """Only this site's own scripts, styles, images and connections; no framing."""
    scripts = " ".join(["'self'", *script_hashes])
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src {scripts}",
            # Plotly and React set style attributes and inject <style> for charts.
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


class Gate:
    """Installed on the Flask server by install(); holds what the checks need."""

    def __init__(self, settings: Settings, hub: Any, panel_keys: Iterable[str]) -> None:
        self.settings = settings
        self.security: SecuritySettings = settings.security
        self.hub = hub
        self.panel_keys = frozenset(panel_keys)
        self.csp = content_security_policy(())
        self.cookie_secure = cookie_secure(settings)
        self.demo_hint = ""  # set when demo accounts exist (development only)
        self.recall = sessions.Recall()  # live sessions, kept for a second in this worker
        # Tests only (create_app's principal_provider): a fixed user instead of a session.
        self.test_principal: Any = None
        # The rate limit of audit_unauthenticated (per worker: one lock, three counters).
        self._unauth_lock = threading.Lock()
        self._unauth_minute = -1
        self._unauth_written = 0
        self._unauth_skipped = 0

    # -- helpers --------------------------------------------------------------------------------
    def store(self):
        """The cockpit's own database."""
        from cockpit.store import get_store

        return get_store(self.hub)

    def deny(
        self, status: int, reason: str, obj: str = "", detail: dict | None = None
    ) -> ResponseReturnValue:
        """Refuse the request, and record it."""
        principal = principal_of_request()
        log.warning("denied %s %s: %s (%s)", request.method, request.path, reason, obj)
        try:
            audit.record(
                audit.DENIED,
                obj or request.path[:300],
                reason,
                {"method": request.method, **(detail or {})},
                user_id=principal.user_id,
            )
        except Exception:
            log.exception("could not audit a denial")
        messages = {
            401: "未登录或会话已过期，请重新登录",
            403: "无权访问",
            415: "请求格式不正确",
        }
        return jsonify({"error": messages.get(status, "请求被拒绝")}), status

    def unauthenticated(self, had_token: bool = False) -> ResponseReturnValue:
        """Pages go to the login form; everything else gets 401. Recorded (rate-limited)."""
        self.audit_unauthenticated()
        path = request.path
        if request.method == "GET" and not path.startswith("/_"):
            expired = "expired=1&" if had_token else ""
            return redirect(f"/login?{expired}next={quote(path)}", code=302)
        return jsonify({"error": "未登录或会话已过期，请重新登录"}), 401

    def audit_unauthenticated(self) -> None:
        """Record a request without a live session: at most unauthenticated_audit_per_minute
        records a minute in this worker; the ones left out are counted in the next record."""
        limit = self.security.unauthenticated_audit_per_minute
        minute = int(time.monotonic() // 60)
        with self._unauth_lock:
            if minute != self._unauth_minute:
                self._unauth_minute, self._unauth_written = minute, 0
            if self._unauth_written >= limit:
                self._unauth_skipped += 1
                return
            self._unauth_written += 1
            skipped, self._unauth_skipped = self._unauth_skipped, 0
        detail: dict[str, Any] = {"method": request.method}
        if skipped:
            detail["not_recorded_before"] = skipped
        try:
            audit.record(audit.DENIED, request.path[:300], "no_session", detail, user_id="-")
        except Exception:
            log.exception("could not audit a request without a session")

    def no_county(self) -> ResponseReturnValue:
        """County staff with no county: nothing to show, and why (deny by default)."""
        if request.method == "GET" and not request.path.startswith("/_"):
            from cockpit.security.views import message_page

            return message_page("无可查看的数据", NO_COUNTY, 403)
        return jsonify({"error": NO_COUNTY}), 403

    # -- the checks -----------------------------------------------------------------------------
    def before(self) -> ResponseReturnValue | None:
        """Run for every request before Flask routes it."""
        g.cockpit_principal = None
        path = request.path
        public = path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)
        if request.method not in ("GET", "HEAD", "OPTIONS") and not same_origin():
            return self.deny(
                403, "foreign_origin", detail={"origin": request.headers.get("Origin", "")}
            )
        if public:
            return None
        body: dict[str, Any] | None = None
        if request.method == "POST" and path not in ("/logout", "/password"):
            if not request.is_json:
                return self.deny(415, "not_json")
            body = request.get_json(silent=True)
            if not isinstance(body, dict):
                return self.deny(415, "not_json")
        if self.test_principal is not None:
            g.cockpit_principal = self.test_principal()
            return self.check_callback(body, g.cockpit_principal.role)
        token = request.cookies.get(COOKIE)
        if not token:
            if body is not None:
                log.warning("callback without a session: %s", path)
            return self.unauthenticated()
        user = self._resume(token, body)
        if user is None:
            return self.unauthenticated(had_token=True)
        spec = ROLES.get(user.role)
        principal = user.principal()
        # Deny by default: a county role with no county in the database sees no county (its
        # stored NULL would otherwise read as "the whole city").
        county_missing = spec is not None and spec.scope == "county" and not user.counties
        if county_missing:
            principal = dataclasses.replace(principal, counties=frozenset())
        g.cockpit_principal = principal
        g.cockpit_user = user
        if spec is None or not user.active:
            return self.deny(403, "no_role")
        if county_missing and path not in PASSWORD_PATHS:
            return self.no_county()
        if spec.unattended and not in_networks(client_address(), self.security.wall_networks):
            return self.deny(403, "wall_address")
        if spec.management and not in_networks(client_address(), self.security.admin_networks):
            return self.deny(403, "admin_address")  # 三员 only from the admins' desks
        must_change = user.must_change or user.password_expired(
            dt.datetime.now(dt.UTC), self.security.password.max_age_days
        )
        if must_change and path not in PASSWORD_PATHS:
            if request.method == "GET" and not path.startswith("/_"):
                return redirect("/password", code=302)
            return jsonify({"error": "请先修改口令"}), 403
        return self.check_callback(body, user.role)

    def check_callback(self, body: dict[str, Any] | None, role: str) -> ResponseReturnValue | None:
        """A Dash callback may touch only ids of the shell and of pages the role may open."""
        if body is None or not ("output" in body or "outputs" in body):
            return None
        bad = forbidden_ids(callback_ids(body), role, self.panel_keys)
        return self.deny(403, "page_not_allowed", ",".join(bad)[:300]) if bad else None

    def _resume(self, token: str, body: dict[str, Any] | None) -> accounts.User | None:
        """The user of a live session (recalled for a second); ends idle and expired ones."""
        recalled = self.recall.get(token)
        if recalled is not None:
            return recalled  # type: ignore[return-value]
        writes = writes_so_far()  # before reading: a write during the lookup forgets it
        user = self._look_up(token, body)
        if user is not None:
            self.recall.put(token, user, writes)
        return user

    def _look_up(self, token: str, body: dict[str, Any] | None) -> accounts.User | None:
        """The user of a live session, from the database; ends idle and expired ones."""
        store = self.store()
        # Only what the user does resets the idle clock; a refresh timer does not.
        activity = body is None or not only_timers(body)
        session, why = sessions.resume(store, token, limits=self.limits, activity=activity)
        if session is None:
            return None
        user = accounts.get_user_by_id(store, session.user_id)
        if why:  # idle or expired: ended now, and recorded against its user
            try:
                audit.record(
                    audit.LOGOUT,
                    "session",
                    why,
                    user_id=user.username if user else str(session.user_id),
                    role=user.role if user else "",
                )
            except Exception:
                log.exception("could not audit a session end")
            return None
        return user

    def limits(self, role: str) -> tuple[dt.timedelta | None, dt.timedelta]:
        """A role's idle timeout and session lifetime (wall screens: no idle, days long)."""
        spec = ROLES.get(role)
        if spec is not None and spec.unattended:
            return None, dt.timedelta(days=self.security.wall_session_days)
        return (
            dt.timedelta(minutes=self.security.idle_minutes),
            dt.timedelta(hours=self.security.session_hours),
        )

    def after(self, response: Response) -> Response:
        """Security headers on every response; no caching of what a user was shown."""
        headers = response.headers
        if "wall" in request.args and request.method == "GET":
            # A page in wall mode (?wall=1) is shown inside /wall's frames, on this same site
            # only (cockpit/wall.py); every other page may not be framed at all.
            csp = self.csp.replace("frame-ancestors 'none'", "frame-ancestors 'self'")
            headers.setdefault("Content-Security-Policy", csp)
            headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        headers.setdefault("Content-Security-Policy", self.csp)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if not request.path.startswith(("/assets/", "/_dash-component-suites/")):
            headers["Cache-Control"] = "no-store"
        if cookie_secure(self.settings):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response


def install(app: Any, settings: Settings, hub: Any, panel_keys: Iterable[str]) -> Gate:
    """Put the gate, the login pages and the error pages on the app's Flask server."""
    from cockpit.security import views

    server: Flask = app.server
    if settings.security.trusted_proxies:
        # Flask's documented way to wrap its WSGI app in middleware.
        server.wsgi_app = TrustedProxies(  # type: ignore[method-assign]
            server.wsgi_app, settings.security.trusted_proxies, settings.security.proxy_addresses
        )
    server.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=cookie_secure(settings),
    )
    gate = Gate(settings, hub, panel_keys)
    server.extensions["cockpit_gate"] = gate
    server.before_request(gate.before)
    server.after_request(gate.after)
    install_principal_provider(server, principal_of_request)
    views.register(server, gate)
    return gate


def finish(app: Any, gate: Gate) -> None:
    """Once every callback is registered: allow exactly Dash's own inline scripts."""
    gate.csp = content_security_policy(app.csp_hashes())
