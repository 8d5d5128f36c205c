"""Sign-in under attack: the second factor, throttling, lockout, passwords, proxies, redirects.

Issue #21 (items 3, 9, 12, 15). Every test drives the real login form and gate through the
Flask test client, as an attacker would, from the addresses the test names (REMOTE_ADDR).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pyotp
import pytest

from cockpit import audit
from cockpit.factory import create_app
from cockpit.security import accounts
from cockpit.security.passwords import policy_problems
from cockpit.settings import Settings
from cockpit.store.schema import users
from tests.app.test_security import (
    PASSWORD,
    TICKET_ID,
    _counties,
    _store,
    audit_entries,
    list_body,
    login,
    make_user,
    ticket_counties,
)
from tests.apps import close_app
from tests.dash_requests import ORIGIN, post

ROOT = Path(__file__).resolve().parents[2]


def build(settings: Settings, **security: Any) -> Any:
    """The cockpit with these security settings changed."""
    changed = settings.security.model_copy(update=security)
    return create_app(settings.model_copy(update={"security": changed}))


@pytest.fixture
def secure_app(settings: Settings):
    """The cockpit as deployed: login required."""
    app = create_app(settings)
    yield app
    close_app(app)


def from_address(address: str) -> dict[str, Any]:
    """Test-client keywords for a request from this client address."""
    return {"headers": ORIGIN, "environ_base": {"REMOTE_ADDR": address}}


def password_step(client: Any, username: str, password: str = PASSWORD, **kw: Any) -> Any:
    """POST the login form."""
    kw = kw or {"headers": ORIGIN}
    return client.post("/login", data={"username": username, "password": password}, **kw)


def error_of(response: Any) -> str:
    """The error line the login form shows."""
    found = re.search(r'class="auth-error"[^>]*>([^<]*)<', response.get_data(as_text=True))
    return found.group(1) if found else ""


def with_totp(app: Any, username: str, role: str) -> pyotp.TOTP:
    """A user of this role with a second factor; its TOTP generator."""
    make_user(app, username, role)
    secret = pyotp.random_base32()
    accounts.set_totp(_store(app), username, secret)
    return pyotp.TOTP(secret)


# -- item 3: the second factor ----------------------------------------------------------------
def test_captured_second_factor_step_cannot_be_replayed(secure_app: Any) -> None:
    """The pending step is the server's: after one wrong code, the same cookies get nowhere."""
    totp = with_totp(secure_app, "admin-replay", "admin")
    client = secure_app.server.test_client()
    assert password_step(client, "admin-replay").headers["Location"] == "/login/totp"
    captured = {c.key: c.value for c in client._cookies.values()}  # what an attacker copies
    wrong = client.post("/login/totp", data={"code": "000000"}, headers=ORIGIN)
    assert wrong.status_code == 401
    attacker = secure_app.server.test_client()
    for name, value in captured.items():
        attacker.set_cookie(name, value)
    replay = attacker.post("/login/totp", data={"code": totp.now()}, headers=ORIGIN)
    assert replay.status_code != 200 and attacker.get_cookie("cockpit_session") is None
    assert attacker.get("/_dash-layout").status_code == 401


def test_wrong_codes_count_toward_the_lockout(secure_app: Any) -> None:
    """Wrong one-time codes lock the account like wrong passwords do."""
    totp = with_totp(secure_app, "admin-guess", "admin")
    attempts = secure_app.server.extensions["cockpit_gate"].security.lockout_attempts
    client = secure_app.server.test_client()
    for _ in range(attempts):
        password_step(client, "admin-guess")
        client.post("/login/totp", data={"code": "000000"}, headers=ORIGIN)
    refused = password_step(client, "admin-guess")
    assert refused.status_code == 401 and error_of(refused) == accounts.GENERIC_FAILURE
    client.post("/login/totp", data={"code": totp.now()}, headers=ORIGIN)
    assert client.get_cookie("cockpit_session") is None
    assert (audit.LOCKOUT, "locked") in [(e.action, e.result) for e in audit_entries(secure_app)]


def test_a_one_time_code_is_accepted_once(secure_app: Any) -> None:
    """The same code cannot sign in twice (the last used time step is remembered)."""
    totp = with_totp(secure_app, "admin-once", "admin")
    code = totp.now()
    first = secure_app.server.test_client()
    password_step(first, "admin-once")
    first.post("/login/totp", data={"code": code}, headers=ORIGIN)
    assert first.get_cookie("cockpit_session") is not None
    second = secure_app.server.test_client()
    password_step(second, "admin-once")
    again = second.post("/login/totp", data={"code": code}, headers=ORIGIN)
    assert again.status_code == 401 and second.get_cookie("cockpit_session") is None


def test_pending_second_factor_is_short_lived(secure_app: Any) -> None:
    """A password step older than the pending limit no longer accepts a code."""
    from cockpit.store.schema import signin_pending

    totp = with_totp(secure_app, "admin-late", "admin")
    client = secure_app.server.test_client()
    password_step(client, "admin-late")
    with _store(secure_app).writing("test") as conn:
        conn.execute(
            signin_pending.update().values(
                created_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)
            )
        )
    late = client.post("/login/totp", data={"code": totp.now()}, headers=ORIGIN)
    assert late.status_code == 302 and late.headers["Location"] == "/login"
    assert client.get_cookie("cockpit_session") is None


def test_a_second_factor_can_be_required_of_data_roles(settings: Settings) -> None:
    """totp_roles may name any role: county staff then need a code too (等保 8.1.4.1 d)."""
    app = build(settings, totp_roles=("admin", "auditor", "county_staff", "city_leader"))
    try:
        own = _counties(app)[0]
        make_user(app, "county-2fa", "county_staff", [own])
        client = app.server.test_client()
        refused = password_step(client, "county-2fa")
        assert refused.status_code == 403 and client.get_cookie("cockpit_session") is None
        secret = pyotp.random_base32()
        accounts.set_totp(_store(app), "county-2fa", secret)
        assert password_step(client, "county-2fa").headers["Location"] == "/login/totp"
        client.post("/login/totp", data={"code": pyotp.TOTP(secret).now()}, headers=ORIGIN)
        assert client.get_cookie("cockpit_session") is not None
    finally:
        close_app(app)


# -- item 9: throttling, lockout, messages, passwords, sessions, proxies ------------------------
def test_one_address_cannot_try_many_usernames(secure_app: Any) -> None:
    """Password spraying from one address is throttled; other addresses are not affected."""
    make_user(secure_app, "staff-spray", "city_staff")
    limit = secure_app.server.extensions["cockpit_gate"].security.address_attempts
    client = secure_app.server.test_client()
    for n in range(limit):
        password_step(client, f"guess{n}", "Wrong#Password1", **from_address("10.7.7.7"))
    blocked = password_step(client, "staff-spray", **from_address("10.7.7.7"))
    assert blocked.status_code == 429 and client.get_cookie("cockpit_session") is None
    assert "频繁" in error_of(blocked)
    elsewhere = secure_app.server.test_client()
    assert password_step(elsewhere, "staff-spray", **from_address("10.7.7.8")).status_code == 302
    assert "throttled" in [e.result for e in audit_entries(secure_app, audit.LOGIN_FAILED)]


def test_wrong_passwords_from_one_address_do_not_lock_the_account_everywhere(
    secure_app: Any,
) -> None:
    """Anyone can type admin's name: that locks admin out at their address, not at admin's."""
    make_user(secure_app, "staff-target", "city_staff")
    attempts = secure_app.server.extensions["cockpit_gate"].security.lockout_attempts
    attacker = secure_app.server.test_client()
    for _ in range(attempts):
        password_step(attacker, "staff-target", "Wrong#Password1", **from_address("10.6.6.6"))
    locked = password_step(attacker, "staff-target", **from_address("10.6.6.6"))
    assert locked.status_code == 401 and attacker.get_cookie("cockpit_session") is None
    owner = secure_app.server.test_client()
    assert password_step(owner, "staff-target", **from_address("10.1.2.3")).status_code == 302


def test_many_addresses_together_lock_the_account(secure_app: Any) -> None:
    """A guess spread over many addresses still locks the account after lockout_total."""
    make_user(secure_app, "staff-spread", "city_staff")
    security = secure_app.server.extensions["cockpit_gate"].security
    client = secure_app.server.test_client()
    for n in range(security.lockout_total):
        password_step(client, "staff-spread", "Wrong#Password1", **from_address(f"10.5.0.{n}"))
    fresh = password_step(client, "staff-spread", **from_address("10.5.1.1"))
    assert fresh.status_code == 401 and error_of(fresh) == accounts.GENERIC_FAILURE


def test_right_wall_password_from_outside_reads_like_a_wrong_one(secure_app: Any) -> None:
    """A wall account's right password from outside the wall network confirms nothing."""
    make_user(secure_app, "wall-outside", "wall_display")
    client = secure_app.server.test_client()
    right = password_step(client, "wall-outside", **from_address("10.9.9.9"))
    wrong = password_step(client, "wall-outside", "Wrong#Password1", **from_address("10.9.9.8"))
    assert (right.status_code, error_of(right)) == (wrong.status_code, error_of(wrong))
    assert error_of(right) == accounts.GENERIC_FAILURE
    assert client.get_cookie("cockpit_session") is None


@pytest.mark.parametrize(
    "password", ["Password123!", "P@ssw0rd2026!", "Qwerty123456!", "Admin@123456", "1qaz@WSX3edc"]
)
def test_common_passwords_are_refused(password: str) -> None:
    """A password from the common list (in any case, with digits and symbols around it)."""
    problems = policy_problems(password, "someone", min_length=12, min_classes=3)
    assert any("常见" in p for p in problems), problems


def test_own_name_in_any_part_is_refused_and_good_passwords_pass() -> None:
    """A part of the username (zhang.wei → zhang, wei) is refused; a random password passes."""
    assert policy_problems("Zhangsan#2026x", "zhang.wei", min_length=12, min_classes=3)
    assert policy_problems(PASSWORD, "staff", min_length=12, min_classes=3) == []
    assert policy_problems("Brand#New#Pass2026", "staff2", min_length=12, min_classes=3) == []


def test_common_password_refused_on_the_change_form(secure_app: Any) -> None:
    """The /password form gives the reason in Chinese."""
    make_user(secure_app, "staff-common", "city_staff")
    client = login(secure_app, "staff-common")
    answer = client.post(
        "/password",
        data={"old": PASSWORD, "new": "Password123!", "confirm": "Password123!"},
        headers=ORIGIN,
    )
    assert answer.status_code == 400 and "常见" in answer.get_data(as_text=True)


def test_password_change_ends_the_users_other_sessions(secure_app: Any) -> None:
    """After a change, sessions elsewhere (perhaps a thief's) are over; this one goes on."""
    make_user(secure_app, "staff-change", "city_staff")
    other = login(secure_app, "staff-change")
    client = login(secure_app, "staff-change")
    new = "Brand#New#Pass2026"
    changed = client.post(
        "/password", data={"old": PASSWORD, "new": new, "confirm": new}, headers=ORIGIN
    )
    assert changed.status_code == 302
    assert other.get("/_dash-layout").status_code == 401
    assert client.get("/_dash-layout").status_code == 200


def test_forwarded_for_is_believed_only_from_the_proxy(settings: Settings) -> None:
    """trusted_proxies: 1 and a direct peer that is not the proxy: its X-Forwarded-For is
    ignored (wall allowlist and audit address use the real peer)."""
    app = build(settings, trusted_proxies=1, proxy_addresses=("127.0.0.1/32",))
    try:
        make_user(app, "wall-xff", "wall_display")
        client = app.server.test_client()
        spoofed = client.post(
            "/login",
            data={"username": "wall-xff", "password": PASSWORD},
            headers={**ORIGIN, "X-Forwarded-For": "127.0.0.1"},
            environ_base={"REMOTE_ADDR": "10.9.9.9"},
        )
        assert spoofed.status_code == 401 and client.get_cookie("cockpit_session") is None
        failed = audit_entries(app, audit.LOGIN_FAILED)[0]
        assert failed.address == "10.9.9.9"
        # Through the proxy (the peer is 127.0.0.1) the forwarded address is the client's.
        proxied = app.server.test_client()
        make_user(app, "leader-xff", "city_leader")
        proxied.post(
            "/login",
            data={"username": "leader-xff", "password": PASSWORD},
            headers={**ORIGIN, "X-Forwarded-For": "10.3.3.3"},
            environ_base={"REMOTE_ADDR": "127.0.0.1"},
        )
        assert audit_entries(app, audit.LOGIN)[0].address == "10.3.3.3"
    finally:
        close_app(app)


def test_gunicorn_listens_on_loopback_by_default_and_the_docs_say_why() -> None:
    """The app server is reachable only by the proxy unless COCKPIT_BIND says otherwise."""
    conf = (ROOT / "gunicorn.conf.py").read_text(encoding="utf-8")
    assert re.search(r'COCKPIT_BIND",\s*"127\.0\.0\.1:\d+"', conf)
    docs = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
    assert "proxy_addresses" in docs and "X-Forwarded-For" in docs


# -- item 12: county staff without a county ---------------------------------------------------
@pytest.mark.parametrize("stored", [None, ""])
def test_county_staff_without_a_county_see_nothing(
    secure_app: Any, demo_sql: Any, stored: str | None
) -> None:
    """Deny by default: no county in the database means no data and a clear message."""
    make_user(secure_app, "county-empty", "county_staff", [_counties(secure_app)[0]])
    with _store(secure_app).writing("test") as conn:
        conn.execute(
            users.update().where(users.c.username == "county-empty").values(counties=stored)
        )
    client = login(secure_app, "county-empty")
    answer = post(client, list_body(secure_app, "kpi|received", "city"))
    text = answer.get_data(as_text=True)
    assert not ticket_counties(demo_sql, set(TICKET_ID.findall(text)))
    assert answer.status_code == 403 and "未分配" in answer.get_json()["error"]
    page = client.get("/hotline")
    assert page.status_code == 403 and "未分配" in page.get_data(as_text=True)


# -- item 15: redirects, unauthenticated requests, control characters --------------------------
@pytest.mark.parametrize(
    "target",
    ["/\t/evil.example", "/\n/evil.example", "/ /evil.example", "/\\/evil.example", "//evil"],
)
def test_next_with_whitespace_or_control_characters_stays_on_site(
    secure_app: Any, target: str
) -> None:
    """Browsers drop tabs and newlines from a Location: /\\t/evil.example would be //evil."""
    make_user(secure_app, "leader-next", "city_leader")
    client = secure_app.server.test_client()
    r = client.post(
        "/login",
        data={"username": "leader-next", "password": PASSWORD, "next": target},
        headers=ORIGIN,
    )
    assert r.headers["Location"] == "/"


def test_a_same_site_next_is_kept(secure_app: Any) -> None:
    """The control case: /hotline?x=1 is where the user goes after signing in."""
    make_user(secure_app, "leader-next2", "city_leader")
    r = secure_app.server.test_client().post(
        "/login",
        data={"username": "leader-next2", "password": PASSWORD, "next": "/hotline?x=1"},
        headers=ORIGIN,
    )
    assert r.headers["Location"] == "/hotline?x=1"


def test_requests_without_a_session_are_audited_but_rate_limited(secure_app: Any) -> None:
    """Unauthenticated and expired-session requests leave records; a flood only a few."""
    client = secure_app.server.test_client()
    client.set_cookie("cockpit_session", "stale-or-forged")
    for _ in range(200):
        client.get("/_dash-layout")
    client.get("/hotline")
    records = [e for e in audit_entries(secure_app, audit.DENIED) if e.result == "no_session"]
    limit = secure_app.server.extensions["cockpit_gate"].security.unauthenticated_audit_per_minute
    assert 1 <= len(records) <= limit + 1


@pytest.mark.parametrize("name", ["evil\n2026-01-01 login ok admin", "evil\n", "a\rb", "x\x00y"])
def test_control_characters_in_usernames_are_refused(secure_app: Any, name: str) -> None:
    """At creation (AccountError) and at sign-in (no line of the audit log can be planted)."""
    settings = secure_app.server.extensions["cockpit_hub"].settings
    with pytest.raises(accounts.AccountError):
        accounts.create_user(
            _store(secure_app),
            username=name,
            role="city_leader",
            password=PASSWORD,
            policy=settings.security.password,
            known_counties=_counties(secure_app),
            must_change=False,
        )
    client = secure_app.server.test_client()
    refused = password_step(client, name, "Wrong#Password1")
    assert refused.status_code == 401
    for entry in audit_entries(secure_app):
        assert not re.search(r"[\x00-\x1f\x7f]", entry.object + entry.user_id), entry
