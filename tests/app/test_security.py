"""Security through real requests: login, sessions, scope, forged callbacks, headers, audit.

Every test drives the app as a browser or an attacker would: the Flask test client, the real
login form, hand-made Dash callback POSTs. Nothing here passes a principal in code.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
import sqlalchemy as sa

from cockpit import audit
from cockpit.factory import create_app
from cockpit.ids import pattern_id
from cockpit.security import accounts
from cockpit.settings import Settings
from cockpit.store import get_store
from cockpit.store.schema import sessions as sessions_table
from tests.apps import close_app
from tests.dash_requests import ORIGIN, callback_body, post

PASSWORD = "Cockpit#Test2026"
TICKET_ID = re.compile(r"CZ\d{15}")
PERIOD = "2026-10"


@pytest.fixture
def secure_app(settings: Settings):
    """The cockpit as deployed: login required, no principal given in code."""
    app = create_app(settings)
    yield app
    close_app(app)


def _store(app: Any):
    return get_store(app.server.extensions["cockpit_hub"])


def _counties(app: Any) -> list[str]:
    return [c.code for c in app.server.extensions["cockpit_hub"].settings.city.counties]


def make_user(app: Any, username: str, role: str, counties: list[str] | None = None) -> None:
    """An account with the test password, ready to sign in."""
    settings = app.server.extensions["cockpit_hub"].settings
    accounts.create_user(
        _store(app),
        username=username,
        role=role,
        password=PASSWORD,
        policy=settings.security.password,
        known_counties=_counties(app),
        counties=counties,
        must_change=False,
    )


def login(app: Any, username: str, password: str = PASSWORD) -> Any:
    """A test client signed in through the login form (asserts it worked)."""
    client = app.server.test_client()
    response = client.post(
        "/login", data={"username": username, "password": password, "next": "/"}, headers=ORIGIN
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    assert client.get_cookie("cockpit_session") is not None
    return client


def audit_entries(app: Any, action: str | None = None) -> list[audit.Entry]:
    """The newest audit records first."""
    return audit.entries(_store(app), action=action, limit=500)


def list_body(app: Any, drill: str, county: str) -> dict[str, Any]:
    """The 12345 ticket-list callback, for a drill key and the screen's county."""
    return callback_body(
        app,
        "hotline-list-title.children",
        {
            "hotline-drill.data": drill,
            "hotline-list-variant.value": None,
            "filter-period.value": PERIOD,
            "filter-county.value": county,
            "hotline-list-page.data": 0,
        },
    )


def ticket_counties(demo_sql: Any, ids: set[str]) -> set[str]:
    """The counties of these tickets, from the data itself."""
    if not ids:
        return set()
    quoted = ",".join(f"'{i}'" for i in ids)
    frame = demo_sql(
        f"SELECT DISTINCT county_code FROM hotline_tickets WHERE ticket_id IN ({quoted})"
    )
    return set(frame["county_code"])


# -- login, lockout, sessions ---------------------------------------------------------------------
def test_pages_and_callbacks_need_a_session(secure_app: Any) -> None:
    """Without signing in: pages go to the login form, callbacks and Dash's routes get 401."""
    client = secure_app.server.test_client()
    page = client.get("/hotline")
    assert page.status_code == 302 and page.headers["Location"].startswith("/login?next=/hotline")
    for path in ("/_dash-layout", "/_dash-dependencies"):
        assert client.get(path).status_code == 401
    answer = post(client, list_body(secure_app, "kpi|received", "city"))
    assert answer.status_code == 401
    assert "CZ" not in answer.get_data(as_text=True)


@pytest.mark.parametrize(
    "path",
    [
        "/_dash-update-component/",
        "//_dash-update-component",
        "/_dash-update-component?x=1",
        "/%5Fdash-update-component",
        "/_dash-update-component;x",
        "/./_dash-update-component",
        "/_DASH-UPDATE-COMPONENT",
    ],
)
def test_callback_url_variants_without_a_session_get_nothing(secure_app: Any, path: str) -> None:
    """However the callback URL is spelt, without a session no ticket leaves the server."""
    client = secure_app.server.test_client()
    answer = post(client, list_body(secure_app, "kpi|received", "city"), path=path)
    assert answer.status_code in (401, 403, 404, 405), (path, answer.status_code)
    assert not TICKET_ID.search(answer.get_data(as_text=True))


def test_login_gives_a_new_session_id_and_logout_ends_it(secure_app: Any) -> None:
    """A fresh token at each login (no fixation); after logout the old cookie is worthless."""
    make_user(secure_app, "leader1", "city_leader")
    client = secure_app.server.test_client()
    client.set_cookie("cockpit_session", "planted-by-an-attacker")
    client.post("/login", data={"username": "leader1", "password": PASSWORD}, headers=ORIGIN)
    first = client.get_cookie("cockpit_session").value
    assert first != "planted-by-an-attacker"
    assert client.get("/_dash-layout").status_code == 200
    other = login(secure_app, "leader1")
    assert other.get_cookie("cockpit_session").value != first
    assert client.post("/logout", headers=ORIGIN).status_code == 302
    # Replaying the old token after logout: refused.
    replay = secure_app.server.test_client()
    replay.set_cookie("cockpit_session", first)
    assert replay.get("/_dash-layout").status_code == 401
    assert other.get("/_dash-layout").status_code == 200  # the other session lives on
    assert [e.result for e in audit_entries(secure_app, audit.LOGOUT)][:1] == ["ok"]


def test_session_cookie_flags(secure_app: Any) -> None:
    """HttpOnly and SameSite=Lax always; Secure in production (cookie_secure auto)."""
    make_user(secure_app, "leader2", "city_leader")
    response = secure_app.server.test_client().post(
        "/login", data={"username": "leader2", "password": PASSWORD}, headers=ORIGIN
    )
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # development over plain HTTP (production: see below)


def test_lockout_after_repeated_failures_with_one_answer_for_all(secure_app: Any) -> None:
    """Five wrong passwords lock the account; unknown, wrong and locked all read the same."""
    make_user(secure_app, "staff1", "city_staff")
    client = secure_app.server.test_client()
    attempts = secure_app.server.extensions["cockpit_gate"].security.lockout_attempts

    def attempt(username: str, password: str) -> tuple[int, str]:
        r = client.post("/login", data={"username": username, "password": password}, headers=ORIGIN)
        text = r.get_data(as_text=True)
        return r.status_code, re.search(r'class="auth-error"[^>]*>([^<]*)<', text).group(1)

    unknown = attempt("nobody-here", "Whatever#2026x")
    for _ in range(attempts):
        wrong = attempt("staff1", "Wrong#Password1")
    locked = attempt("staff1", PASSWORD)  # the right password, but locked now
    assert unknown == wrong == locked == (401, accounts.GENERIC_FAILURE)
    assert client.get_cookie("cockpit_session") is None
    actions = [(e.action, e.result) for e in audit_entries(secure_app)]
    assert (audit.LOCKOUT, "locked") in actions
    assert (audit.LOGIN_FAILED, "locked") in actions
    assert (audit.LOGIN_FAILED, "unknown") in actions
    # An administrator's unlock lets the right password in again.
    accounts.unlock(_store(secure_app), "staff1")
    login(secure_app, "staff1")


def test_idle_timeout_is_enforced_on_the_server(secure_app: Any) -> None:
    """A session unused for longer than idle_minutes is ended; timers do not keep it alive."""
    make_user(secure_app, "leader3", "city_leader")
    client = login(secure_app, "leader3")
    idle = secure_app.server.extensions["cockpit_gate"].security.idle_minutes
    store = _store(secure_app)

    def age_session(minutes: int) -> None:
        past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=minutes)
        with store.writing("test") as conn:
            conn.execute(sessions_table.update().values(last_seen=past))

    # A refresh timer alone (n_intervals) does not count as the user being there.
    age_session(idle - 1)
    timer = callback_body(
        secure_app,
        "shell-as-of.children",
        {"filter-period.value": PERIOD, "filter-county.value": "city"},
        ["shell-tick.n_intervals"],  # as an auto-refresh timer would fire it
    )
    post(client, timer)
    with store.reading() as conn:
        seen = conn.execute(sa.select(sessions_table.c.last_seen)).scalar_one()
    assert dt.datetime.now(dt.UTC) - seen > dt.timedelta(minutes=idle - 2)
    age_session(idle + 1)
    assert client.get("/_dash-layout").status_code == 401
    assert ("session", "idle") in [(e.object, e.result) for e in audit_entries(secure_app)]
    # The session stays ended even if the clock is turned back.
    age_session(0)
    assert client.get("/_dash-layout").status_code == 401


def test_administrator_revocation_ends_sessions_at_once(secure_app: Any) -> None:
    """Revoked sessions are refused on their next request (replay included)."""
    from cockpit.security import sessions

    make_user(secure_app, "leader4", "city_leader")
    client = login(secure_app, "leader4")
    assert client.get("/_dash-layout").status_code == 200
    assert sessions.revoke_user(_store(secure_app), "leader4", "admin") == 1
    assert client.get("/_dash-layout").status_code == 401


def test_password_must_change_first_and_follows_the_policy(secure_app: Any) -> None:
    """A reset password works only to choose a new one that meets the policy and history."""
    make_user(secure_app, "staff2", "city_staff")
    settings = secure_app.server.extensions["cockpit_hub"].settings
    temporary = accounts.reset_password(
        _store(secure_app), "staff2", policy=settings.security.password
    )
    client = login(secure_app, "staff2", temporary)
    assert client.get("/hotline").headers["Location"] == "/password"
    assert client.get("/_dash-layout").status_code == 403

    def change(old: str, new: str) -> str:
        r = client.post("/password", data={"old": old, "new": new, "confirm": new}, headers=ORIGIN)
        return r.status_code, r.get_data(as_text=True)

    assert "口令长度至少" in change(temporary, "Sh0rt#")[1]
    assert "至少 3 类" in change(temporary, "alllowercaseletters")[1]
    assert "不得包含用户名" in change(temporary, "Staff2#Staff2#Abc")[1]
    assert "最近" in change(temporary, PASSWORD)[1]  # the password before the reset
    assert change(temporary, "Brand#New#Pass2026")[0] == 302
    assert client.get("/_dash-layout").status_code == 200


def test_expired_password_must_be_changed(secure_app: Any) -> None:
    """Older than max_age_days: signed in, but only to change it."""
    from cockpit.store.schema import users

    make_user(secure_app, "staff3", "city_staff")
    days = secure_app.server.extensions["cockpit_gate"].security.password.max_age_days
    with _store(secure_app).writing("test") as conn:
        conn.execute(
            users.update()
            .where(users.c.username == "staff3")
            .values(password_changed_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=days + 1))
        )
    client = login(secure_app, "staff3")
    assert client.get("/").headers["Location"] == "/password"


def test_second_factor_when_configured(secure_app: Any) -> None:
    """A user with TOTP needs the right code; admin roles cannot sign in without one."""
    import pyotp

    make_user(secure_app, "admin1", "admin")
    client = secure_app.server.test_client()
    refused = client.post(
        "/login", data={"username": "admin1", "password": PASSWORD}, headers=ORIGIN
    )
    assert refused.status_code == 403 and "动态口令" in refused.get_data(as_text=True)
    secret = pyotp.random_base32()
    accounts.set_totp(_store(secure_app), "admin1", secret)
    step = client.post("/login", data={"username": "admin1", "password": PASSWORD}, headers=ORIGIN)
    assert step.headers["Location"] == "/login/totp"
    assert client.get_cookie("cockpit_session") is None  # not signed in yet
    wrong = client.post("/login/totp", data={"code": "000000"}, headers=ORIGIN)
    assert wrong.status_code == 401 and client.get_cookie("cockpit_session") is None
    client.post("/login", data={"username": "admin1", "password": PASSWORD}, headers=ORIGIN)
    done = client.post("/login/totp", data={"code": pyotp.TOTP(secret).now()}, headers=ORIGIN)
    assert done.status_code == 302 and client.get_cookie("cockpit_session") is not None


def test_open_redirect_after_login_is_refused(secure_app: Any) -> None:
    """next= can only point inside the cockpit."""
    make_user(secure_app, "leader5", "city_leader")
    client = secure_app.server.test_client()
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        r = client.post(
            "/login",
            data={"username": "leader5", "password": PASSWORD, "next": target},
            headers=ORIGIN,
        )
        assert r.headers["Location"] == "/"


def test_wall_accounts_only_from_configured_addresses(secure_app: Any) -> None:
    """A wall-screen account signs in from the wall's network, nowhere else."""
    make_user(secure_app, "wall1", "wall_display")
    client = secure_app.server.test_client()
    away = client.post(
        "/login",
        data={"username": "wall1", "password": PASSWORD},
        headers=ORIGIN,
        environ_base={"REMOTE_ADDR": "10.9.9.9"},
    )
    # The same answer as a wrong password: the right one from outside confirms nothing.
    assert away.status_code == 401 and client.get_cookie("cockpit_session") is None
    assert accounts.GENERIC_FAILURE in away.get_data(as_text=True)
    login(secure_app, "wall1")  # the test client is 127.0.0.1, inside the default network


# -- forged and odd callbacks ---------------------------------------------------------------------
def test_forged_county_in_inputs_gets_nothing_and_is_recorded(
    secure_app: Any, demo_sql: Any
) -> None:
    """County staff asking for another county's tickets get none of them; the attempt is logged."""
    own, other = _counties(secure_app)[0], _counties(secure_app)[1]
    make_user(secure_app, "county1", "county_staff", [own])
    client = login(secure_app, "county1")
    control = post(client, list_body(secure_app, f"county|{own}", own))
    assert control.status_code == 200
    own_ids = set(TICKET_ID.findall(control.get_data(as_text=True)))
    assert own_ids and ticket_counties(demo_sql, own_ids) == {own}
    for drill, county in ((f"county|{other}", own), ("kpi|received", other)):
        forged = post(client, list_body(secure_app, drill, county))
        ids = set(TICKET_ID.findall(forged.get_data(as_text=True)))
        assert ticket_counties(demo_sql, ids) <= {own}, (drill, county)
    denied = [e for e in audit_entries(secure_app, audit.DENIED) if e.result == "out_of_scope"]
    assert any(other in e.object for e in denied)
    assert all(e.user_id == "county1" for e in denied)


def test_forged_ticket_in_state_reveals_nothing(secure_app: Any, demo_sql: Any) -> None:
    """Unmasking another county's ticket (a forged State value) finds nothing; it is recorded."""
    own, other = _counties(secure_app)[0], _counties(secure_app)[1]
    make_user(secure_app, "county2", "county_staff", [own])
    client = login(secure_app, "county2")
    row = demo_sql(
        f"SELECT ticket_id, citizen_phone FROM hotline_tickets WHERE county_code = '{other}' "
        "AND citizen_phone IS NOT NULL LIMIT 1"
    ).iloc[0]
    body = callback_body(
        secure_app,
        "hotline-unmask-result.children",
        {
            "hotline-unmask-go.n_clicks": 1,
            "hotline-unmask-ticket.value": row["ticket_id"],
            "hotline-unmask-reason.value": "核实来电诉求",
        },
        ["hotline-unmask-go.n_clicks"],
    )
    answer = post(client, body).get_data(as_text=True)
    assert row["citizen_phone"] not in answer and "未找到" in answer
    results = [(e.object, e.result) for e in audit_entries(secure_app, audit.UNMASK)]
    assert (row["ticket_id"], "not_found") in results


def test_unmasking_needs_permission_and_reason_and_is_recorded(
    secure_app: Any, demo_sql: Any
) -> None:
    """A leader (no UNMASK) is refused; staff with a reason see the record, logged with it."""
    row = demo_sql(
        "SELECT ticket_id, citizen_phone, citizen_name FROM hotline_tickets "
        "WHERE citizen_phone IS NOT NULL LIMIT 1"
    ).iloc[0]

    def ask(client: Any, reason: str) -> str:
        body = callback_body(
            secure_app,
            "hotline-unmask-result.children",
            {
                "hotline-unmask-go.n_clicks": 1,
                "hotline-unmask-ticket.value": row["ticket_id"],
                "hotline-unmask-reason.value": reason,
            },
            ["hotline-unmask-go.n_clicks"],
        )
        return post(client, body).get_data(as_text=True)

    make_user(secure_app, "leader6", "city_leader")
    make_user(secure_app, "staff4", "city_staff")
    assert row["citizen_phone"] not in ask(login(secure_app, "leader6"), "回访核实诉求")
    staff = login(secure_app, "staff4")
    assert row["citizen_phone"] not in ask(staff, "")
    shown = ask(staff, "回访核实诉求")
    assert row["citizen_phone"] in shown and row["citizen_name"] in shown
    records = [
        (e.user_id, e.object, e.result, e.detail.get("reason"))
        for e in audit_entries(secure_app, audit.UNMASK)
    ]
    assert ("staff4", row["ticket_id"], "ok", "回访核实诉求") in records
    assert ("leader6", row["ticket_id"], "denied", None) in records


@pytest.mark.parametrize(
    "county",
    [None, "", ["140402"], {"code": "140402"}, "140402' OR '1'='1", "../../etc", "全市", 140402],
)
def test_odd_scope_values_never_widen_the_scope(
    secure_app: Any, demo_sql: Any, county: Any
) -> None:
    """Whatever is sent as the county, county staff get their county or nothing, never a 500."""
    own = _counties(secure_app)[0]
    make_user(secure_app, "county3", "county_staff", [own])
    client = login(secure_app, "county3")
    body = list_body(secure_app, "kpi|received", "city")
    for item in body["inputs"]:
        if item["id"] == "filter-county":
            item["value"] = county
    answer = post(client, body)
    text = answer.get_data(as_text=True)
    assert answer.status_code in (200, 204, 400), text[:300]
    assert "Traceback" not in text
    assert ticket_counties(demo_sql, set(TICKET_ID.findall(text))) <= {own}


def test_user_with_no_scope_sees_nothing(secure_app: Any) -> None:
    """An account whose counties are empty gets no tickets at all."""
    from cockpit.store.schema import users

    make_user(secure_app, "county4", "county_staff", [_counties(secure_app)[0]])
    with _store(secure_app).writing("test") as conn:
        conn.execute(users.update().where(users.c.username == "county4").values(counties=""))
    client = login(secure_app, "county4")
    text = post(client, list_body(secure_app, "kpi|received", "city")).get_data(as_text=True)
    assert not TICKET_ID.search(text)


def test_pattern_matching_ids_cannot_reach_another_county(secure_app: Any, demo_sql: Any) -> None:
    """签收 of a warning of another county, by a forged pattern id: refused, nothing written."""
    from cockpit.store.schema import warning_acks

    own, other = _counties(secure_app)[0], _counties(secure_app)[1]
    make_user(secure_app, "county5", "county_staff", [own])
    client = login(secure_app, "county5")
    warning = demo_sql(
        f"SELECT warning_id FROM risk_warnings WHERE county_code = '{other}' LIMIT 1"
    ).iloc[0]["warning_id"]
    pattern = pattern_id("risk-ack", warning=warning)  # a well-formed key, of a forged choice
    body = callback_body(
        secure_app,
        "risk-ack-message.children",
        {"filter-period.value": PERIOD, "filter-county.value": own, "risk-refresh.data": 0},
    )
    body["inputs"] = [[{"id": pattern, "property": "n_clicks", "value": 1}]]
    body["changedPropIds"] = [json.dumps(pattern, separators=(",", ":")) + ".n_clicks"]
    post(client, body)
    with _store(secure_app).reading() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(warning_acks)).scalar_one() == 0
    assert ("refused",) in [(e.result,) for e in audit_entries(secure_app, audit.ACKNOWLEDGE)]
    # A pattern id whose type belongs to a page the role cannot open: refused at the gate.
    body["inputs"] = [
        [{"id": {"type": "admin-user", "index": 1}, "property": "n_clicks", "value": 1}]
    ]
    assert post(client, body).status_code == 403


def test_callback_of_a_page_the_role_may_not_open_is_refused(secure_app: Any) -> None:
    """An auditor posting the 12345 list callback: 403 and a denial on record."""
    import pyotp

    make_user(secure_app, "auditor1", "auditor")
    secret = pyotp.random_base32()
    accounts.set_totp(_store(secure_app), "auditor1", secret)
    client = secure_app.server.test_client()
    client.post("/login", data={"username": "auditor1", "password": PASSWORD}, headers=ORIGIN)
    client.post("/login/totp", data={"code": pyotp.TOTP(secret).now()}, headers=ORIGIN)
    answer = post(client, list_body(secure_app, "kpi|received", "city"))
    assert answer.status_code == 403 and not TICKET_ID.search(answer.get_data(as_text=True))
    denied = audit_entries(secure_app, audit.DENIED)
    assert denied[0].user_id == "auditor1" and denied[0].result == "page_not_allowed"


def test_wall_accounts_get_no_ticket_rows(secure_app: Any) -> None:
    """Display accounts see figures, never rows about citizens."""
    make_user(secure_app, "wall2", "wall_display")
    client = login(secure_app, "wall2")
    text = post(client, list_body(secure_app, "kpi|received", "city")).get_data(as_text=True)
    assert not TICKET_ID.search(text) and "无权查看工单明细" in text


def test_foreign_origin_and_non_json_callbacks_are_refused(secure_app: Any) -> None:
    """A signed-in user's browser tricked by another site: refused before any callback runs."""
    make_user(secure_app, "leader7", "city_leader")
    client = login(secure_app, "leader7")
    body = list_body(secure_app, "kpi|received", "city")
    foreign = post(client, body, headers={"Origin": "http://evil.example"})
    assert foreign.status_code == 403
    no_origin = client.post(
        "/_dash-update-component", data=json.dumps(body), content_type="application/json"
    )
    assert no_origin.status_code == 403
    form = client.post(
        "/_dash-update-component",
        data={"payload": json.dumps(body)},
        headers=ORIGIN,
    )
    assert form.status_code == 415
    reasons = {e.result for e in audit_entries(secure_app, audit.DENIED)}
    assert {"foreign_origin", "not_json"} <= reasons


def test_cache_never_crosses_users(secure_app: Any, demo_sql: Any) -> None:
    """The same callback for two county users and a leader: each answer is of its own scope."""
    first, second = _counties(secure_app)[0], _counties(secure_app)[1]
    make_user(secure_app, "county6", "county_staff", [first])
    make_user(secure_app, "county7", "county_staff", [second])
    make_user(secure_app, "staff5", "city_staff")
    answers = {}
    for user in ("county6", "county7", "staff5"):
        client = login(secure_app, user)
        for _ in range(2):  # the second time from the cache
            text = post(client, list_body(secure_app, "kpi|received", "city")).get_data(
                as_text=True
            )
        answers[user] = ticket_counties(demo_sql, set(TICKET_ID.findall(text)))
    assert answers["county6"] == {first}
    assert answers["county7"] == {second}
    assert len(answers["staff5"]) > 1  # the city's list spans counties


def test_masked_in_every_list_response(secure_app: Any, demo_sql: Any) -> None:
    """No raw phone or name of the listed tickets is in the response, for a user who may unmask."""
    make_user(secure_app, "staff6", "city_staff")
    client = login(secure_app, "staff6")
    text = post(client, list_body(secure_app, "kpi|received", "city")).get_data(as_text=True)
    ids = set(TICKET_ID.findall(text))
    assert ids
    quoted = ",".join(f"'{i}'" for i in ids)
    raw = demo_sql(
        f"SELECT citizen_name, citizen_phone FROM hotline_tickets WHERE ticket_id IN ({quoted})"
    )
    for phone in raw["citizen_phone"].dropna():
        assert phone not in text
    for name in raw["citizen_name"].dropna():
        if len(name) >= 2:
            assert name not in text


# -- headers, errors, start-up -------------------------------------------------------------------
def test_security_headers_on_pages_and_callbacks(secure_app: Any) -> None:
    """CSP with only the app's own origin, no framing, nosniff, no caching of data."""
    make_user(secure_app, "leader8", "city_leader")
    client = login(secure_app, "leader8")
    for response in (
        client.get("/"),
        client.get("/login"),
        post(client, list_body(secure_app, "kpi|received", "city")),
    ):
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp.split("script-src", 1)[1].split(";", 1)[0]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
    assert (
        post(client, list_body(secure_app, "kpi|received", "city")).headers["Cache-Control"]
        == "no-store"
    )


def test_errors_show_no_traceback(secure_app: Any) -> None:
    """A failing request answers with a plain message, never Python internals."""

    @secure_app.server.route("/boom-for-test")
    def boom():
        raise RuntimeError("secret internals")

    make_user(secure_app, "leader9", "city_leader")
    client = login(secure_app, "leader9")
    response = client.get("/boom-for-test")
    text = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Traceback" not in text and "secret internals" not in text and "RuntimeError" not in text


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        ({"COCKPIT_APP__DEBUG": "true"}, "app.debug"),
        ({}, "COCKPIT_SECRET_KEY: not set"),
        ({"COCKPIT_SECRET_KEY": "changeme"}, "too weak"),
        ({"COCKPIT_SECRET_KEY": "a" * 40}, "too weak"),
    ],
)
def test_production_refuses_debug_and_weak_secrets(
    demo_db: Any, tmp_path: Any, env: dict, problem: str
) -> None:
    """Production will not start in debug mode or with a missing, default or weak key."""
    from cockpit.settings import ConfigError, load_settings
    from tests.conftest import demo_environ

    environ = {
        **demo_environ(demo_db, tmp_path / "cache"),
        "COCKPIT_APP__ENV": "production",
        "COCKPIT_SECRET_KEY": "k9$Lw2!vQz7#Tn4@Xp8&Hs5^Rb3*Mc6(",
        **env,
    }
    if not env.get("COCKPIT_SECRET_KEY") and problem.endswith("not set"):
        environ.pop("COCKPIT_SECRET_KEY")
    with pytest.raises(ConfigError) as caught:
        create_app(load_settings(environ=environ))
    assert problem in str(caught.value)


def test_production_starts_with_a_strong_key_and_no_demo_accounts(
    demo_db: Any, tmp_path: Any
) -> None:
    """The control case: the same settings with a good key start; demo accounts stop them."""
    from cockpit.settings import ConfigError, load_settings
    from tests.conftest import demo_environ

    environ = {
        **demo_environ(demo_db, tmp_path / "cache"),
        "COCKPIT_APP__ENV": "production",
        "COCKPIT_SECRET_KEY": "k9$Lw2!vQz7#Tn4@Xp8&Hs5^Rb3*Mc6(",
    }
    app = create_app(load_settings(environ=environ))
    assert accounts.count_users(_store(app)) == 0  # no demo accounts in production
    make_user(app, "demo-like", "city_leader")
    signed_in = app.server.test_client().post(
        "/login", data={"username": "demo-like", "password": PASSWORD}, headers=ORIGIN
    )
    assert "Secure" in signed_in.headers["Set-Cookie"]  # HTTPS-only cookie in production
    assert "Strict-Transport-Security" in signed_in.headers
    from cockpit.store.schema import users

    with _store(app).writing("test") as conn:
        conn.execute(users.update().values(demo=True))
    _store(app).dispose()
    with pytest.raises(ConfigError, match="demo accounts exist"):
        create_app(load_settings(environ=environ))


def test_development_demo_accounts_can_sign_in(secure_app: Any, settings: Settings) -> None:
    """`python -m cockpit run` makes one account per role; its file lists working passwords."""
    from pathlib import Path

    lines = Path(settings.security.demo_accounts_file).read_text(encoding="utf-8").splitlines()
    rows = [line.split("\t") for line in lines if not line.startswith("#")]
    by_name = {r[0]: r for r in rows}
    assert {"leader", "staff", "county", "wall", "admin", "auditor"} <= set(by_name)
    login(secure_app, "leader", by_name["leader"][1])


# -- the admin screen ----------------------------------------------------------------------------
def _login_with_totp(app: Any, username: str, role: str) -> Any:
    import pyotp

    make_user(app, username, role)
    secret = pyotp.random_base32()
    accounts.set_totp(_store(app), username, secret)
    client = app.server.test_client()
    client.post("/login", data={"username": username, "password": PASSWORD}, headers=ORIGIN)
    client.post("/login/totp", data={"code": pyotp.TOTP(secret).now()}, headers=ORIGIN)
    assert client.get_cookie("cockpit_session") is not None
    return client


def _admin_body(app: Any, button: str, **fields: Any) -> dict[str, Any]:
    values = {f"admin-{button}.n_clicks": 1, "admin-version.data": 0}
    values.update({f"admin-{k}.value": v for k, v in fields.items()})
    return callback_body(app, "admin-message.children", values, [f"admin-{button}.n_clicks"])


def test_administrator_creates_a_county_user_who_then_signs_in(secure_app: Any) -> None:
    """The admin screen makes an account; the security administrator approves it and gets
    its one-time password (三员分立, tests/app/test_separation_of_duties.py); both audited."""
    admin = _login_with_totp(secure_app, "admin2", "admin")
    own = _counties(secure_app)[2]
    post(
        admin,
        _admin_body(
            secure_app,
            "create",
            username="newcounty",
            display="新用户",
            role="county_staff",
            counties=[own],
        ),
    )
    security = _login_with_totp(secure_app, "secadmin2", "security_admin")
    answer = post(security, _admin_body(secure_app, "enable", username="newcounty"))
    text = json.dumps(answer.get_json()["response"], ensure_ascii=False)
    temporary = re.search(r"临时口令：(\S+?)（", text).group(1)
    user = accounts.get_user(_store(secure_app), "newcounty")
    assert user.counties == frozenset({own}) and user.must_change
    client = login(secure_app, "newcounty", temporary)
    assert client.get("/").headers["Location"] == "/password"
    changes = [
        (e.user_id, e.object, e.result) for e in audit_entries(secure_app, audit.USER_CHANGE)
    ]
    assert ("admin2", "newcounty", "ok") in changes
    # A county user without a county is refused with the reason.
    refused = post(
        admin,
        _admin_body(secure_app, "create", username="nocounty", role="county_staff", counties=[]),
    ).get_data(as_text=True)
    assert "须指定所属县区" in refused and accounts.get_user(_store(secure_app), "nocounty") is None


def test_admin_actions_need_the_permission_on_the_server(secure_app: Any) -> None:
    """Staff cannot reach the admin page's callbacks; an auditor can open it but not act."""
    make_user(secure_app, "staff7", "city_staff")
    staff = login(secure_app, "staff7")
    body = _admin_body(secure_app, "create", username="intruder", role="city_leader")
    assert post(staff, body).status_code == 403
    auditor = _login_with_totp(secure_app, "auditor2", "auditor")
    text = post(auditor, body).get_data(as_text=True)
    assert "无用户管理权限" in text
    assert accounts.get_user(_store(secure_app), "intruder") is None
    denied = [(e.user_id, e.result) for e in audit_entries(secure_app, audit.DENIED)]
    assert ("staff7", "page_not_allowed") in denied and ("auditor2", "no_permission") in denied
    # The auditor reads the log and verifies the chain; the administrator cannot read it.
    verify = callback_body(
        secure_app,
        "admin-audit-verdict.children",
        {"admin-audit-verify.n_clicks": 1},
        ["admin-audit-verify.n_clicks"],
    )
    assert "校验通过" in post(auditor, verify).get_data(as_text=True)
    admin = _login_with_totp(secure_app, "admin3", "admin")
    assert "无审计日志查看权限" in post(admin, verify).get_data(as_text=True)
