"""Single sign-on with the province's unified identity platform (OpenID Connect).

The authorization-code flow with Authlib (a well-kept OAuth/OIDC library: state, nonce, the
ID token's signature against the provider's published keys, issuer, audience and expiry are
all checked there, not by hand). The provider proves who the user is; the cockpit still
decides what they may do: the claim `username_claim` must name an active local account, whose
role and scope apply. An unknown name is refused and recorded, never created on the fly.
The wall's network and the second factor are required as after a password.
"""

from __future__ import annotations

import os
from typing import Any

from authlib.integrations.flask_client import OAuth
from flask import Flask, session, url_for

from cockpit import audit
from cockpit.security import accounts

CLIENT = "province"


def register(server: Flask, gate: Any) -> None:
    """Add /login/oidc and its callback when security.oidc is enabled."""
    cfg = gate.security.oidc
    if not cfg.enabled:
        return
    oauth = OAuth(server)
    oauth.register(
        CLIENT,
        client_id=cfg.client_id,
        client_secret=os.environ.get(cfg.client_secret_env, ""),
        server_metadata_url=cfg.issuer.rstrip("/") + "/.well-known/openid-configuration",
        client_kwargs={"scope": " ".join(cfg.scopes)},
    )

    @server.route("/login/oidc")
    def oidc_start():
        """Off to the province's login page; it comes back to the callback."""
        return oauth.create_client(CLIENT).authorize_redirect(
            url_for("oidc_callback", _external=True)
        )

    @server.route("/login/oidc/callback")
    def oidc_callback():
        """The provider's answer: a checked ID token names the user; a local account decides."""
        from cockpit.security.views import _page, after_password

        try:
            token = oauth.create_client(CLIENT).authorize_access_token()
        except Exception as exc:
            audit.record(
                audit.LOGIN_FAILED, "oidc", "oidc_error", {"error": type(exc).__name__}, user_id="-"
            )
            session.clear()
            return _page("login", "登录", error="统一身份认证未通过，请重试", status=401, next="/")
        claims = token.get("userinfo") or {}
        username = str(claims.get(cfg.username_claim) or "")[:64]
        user = accounts.get_user(gate.store(), username) if username else None
        if user is None or not user.active:
            audit.record(
                audit.LOGIN_FAILED, username or "-", "oidc_no_account", user_id=username or "-"
            )
            return _page(
                "login",
                "登录",
                error="该统一身份账号未在本系统开通，请联系系统管理员",
                status=403,
                next="/",
            )
        # The province proved the first factor; the wall's network and the second factor
        # (security.totp_roles) are still the cockpit's to require, as after a password.
        return after_password(user, "/")
