"""Single sign-on through a fake provincial identity provider on loopback (real HTTP, real JWTs).

The provider signs ID tokens with its own RSA key and publishes the public half; the cockpit
(Authlib) must check signature, issuer, audience, expiry and nonce, then map the user to a
local account.
"""

from __future__ import annotations

import secrets
import threading
import time
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from flask import Flask, jsonify, redirect
from flask import request as flask_request
from joserfc import jwt
from joserfc.jwk import RSAKey
from werkzeug.serving import make_server

from cockpit import audit
from cockpit.factory import create_app
from cockpit.security import accounts
from cockpit.store import get_store

CLIENT_ID = "cockpit-test"


class FakeProvider:
    """A minimal OpenID provider: discovery, authorize (no prompt), token, JWKS."""

    def __init__(self, username: str) -> None:
        self.username = username
        self.key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
        self.signing_key = self.key  # a test swaps in another key to forge a token
        self.codes: dict[str, str] = {}
        app = Flask("fake-idp")
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"

        @app.route("/.well-known/openid-configuration")
        def discovery():
            return jsonify(
                issuer=self.url,
                authorization_endpoint=f"{self.url}/authorize",
                token_endpoint=f"{self.url}/token",
                jwks_uri=f"{self.url}/jwks",
                response_types_supported=["code"],
                subject_types_supported=["public"],
                id_token_signing_alg_values_supported=["RS256"],
            )

        @app.route("/authorize")
        def authorize():
            code = secrets.token_hex(8)
            self.codes[code] = flask_request.args.get("nonce", "")
            query = urlencode({"code": code, "state": flask_request.args["state"]})
            return redirect(f"{flask_request.args['redirect_uri']}?{query}")

        @app.route("/token", methods=["POST"])
        def token():
            nonce = self.codes.pop(flask_request.form["code"])
            now = int(time.time())
            claims = {
                "iss": self.url,
                "sub": "id-" + self.username,
                "aud": CLIENT_ID,
                "iat": now,
                "exp": now + 300,
                "nonce": nonce,
                "preferred_username": self.username,
            }
            header = {"alg": "RS256", "kid": "k1"}
            id_token = jwt.encode(header, claims, self.signing_key)
            return jsonify(
                access_token="at", token_type="Bearer", expires_in=300, id_token=id_token
            )

        @app.route("/jwks")
        def jwks():
            return jsonify(keys=[self.key.as_dict(private=False)])

        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def provider():
    """The fake provider, stopped afterwards."""
    fake = FakeProvider("sso-leader")
    yield fake
    fake.server.shutdown()


@pytest.fixture
def sso_app(settings, provider):
    """The cockpit with OIDC pointed at the fake provider, and a local account for the user."""
    security = settings.security.model_copy(
        update={
            "oidc": settings.security.oidc.model_copy(
                update={"enabled": True, "issuer": provider.url, "client_id": CLIENT_ID}
            )
        }
    )
    app = create_app(settings.model_copy(update={"security": security}))
    hub = app.server.extensions["cockpit_hub"]
    accounts.create_user(
        get_store(hub),
        username="sso-leader",
        role="city_leader",
        password="Cockpit#Test2026",
        policy=hub.settings.security.password,
        known_counties=[c.code for c in hub.settings.city.counties],
        must_change=False,
    )
    yield app
    for source in hub.sources.values():
        source.close()


def _round_trip(app: Any) -> tuple[Any, Any]:
    """Login page → provider → callback, as a browser follows the redirects."""
    client = app.server.test_client()
    start = client.get("/login/oidc")
    assert start.status_code == 302
    at_provider = requests.get(start.headers["Location"], allow_redirects=False, timeout=10)
    back = urlsplit(at_provider.headers["Location"])
    assert back.path == "/login/oidc/callback" and "code" in parse_qs(back.query)
    return client, client.get(f"{back.path}?{back.query}")


def test_single_sign_on_maps_to_the_local_account(sso_app: Any) -> None:
    """A valid ID token for a known user: signed in with that user's local role and scope."""
    page = sso_app.server.test_client().get("/login").get_data(as_text=True)
    assert "统一身份认证登录" in page
    client, answer = _round_trip(sso_app)
    assert answer.status_code == 302 and answer.headers["Location"] == "/"
    assert client.get("/_dash-layout").status_code == 200
    store = get_store(sso_app.server.extensions["cockpit_hub"])
    assert ("sso-leader", audit.LOGIN, "ok") in [
        (e.user_id, e.action, e.result) for e in audit.entries(store)
    ]


def test_unknown_user_and_forged_token_are_refused(sso_app: Any, provider: FakeProvider) -> None:
    """A name with no local account, or a token signed by another key: no session, recorded."""
    provider.username = "not-a-local-user"
    client, answer = _round_trip(sso_app)
    assert answer.status_code == 403 and client.get_cookie("cockpit_session") is None
    provider.username = "sso-leader"
    provider.signing_key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    client, answer = _round_trip(sso_app)
    assert answer.status_code == 401 and client.get_cookie("cockpit_session") is None
    store = get_store(sso_app.server.extensions["cockpit_hub"])
    results = {e.result for e in audit.entries(store, action=audit.LOGIN_FAILED)}
    assert {"oidc_no_account", "oidc_error"} <= results


def test_single_sign_on_still_asks_for_the_second_factor(sso_app: Any) -> None:
    """A user with TOTP who signs in through the province goes on to the one-time code."""
    import pyotp

    store = get_store(sso_app.server.extensions["cockpit_hub"])
    accounts.set_totp(store, "sso-leader", pyotp.random_base32())
    client, answer = _round_trip(sso_app)
    assert answer.status_code == 302 and answer.headers["Location"] == "/login/totp"
    assert client.get_cookie("cockpit_session") is None
