"""The account form of 系统管理 binds a 承办单位 (one of the units the data knows) and keeps each
account's own phone and e-mail; the command line and the user's own /inbox do too; the SMS and
e-mail channels reach a subscriber at that address; on screen and in the audit log the address
is masked, and no push body carries it (#23 follow-up items 1 and 3)."""

from __future__ import annotations

import json

import pytest

from cockpit import audit
from cockpit.jobs import runner
from cockpit.notify import outbox
from cockpit.notify.outbox import Draft
from cockpit.notify.subscriptions import subscribe
from cockpit.notify.warnings import principals_of
from cockpit.scope import Principal, acting_as
from cockpit.security import accounts
from cockpit.store import get_store
from data_sources.query import DatasetQuery
from panels.admin import callbacks
from panels.admin.layout import layout as admin_layout
from tests.apps import app_as, close_app
from tests.notify_support import PASSWORD, start_receiver, with_notify

PHONE = "13812345678"
MAIL = "zhang.wei@example.cn"
LUCHENG = "140406"


@pytest.fixture
def receiver():
    r = start_receiver()
    yield r
    r.close()


@pytest.fixture
def made(settings, receiver, monkeypatch):
    """An app with an SMS gateway on the local receiver; the accounts its tests act as."""
    channels = {"sms": {"kind": "sms", "url": f"{receiver.url}/sms/send"}}
    app = app_as(with_notify(settings, channels=channels))
    yield app
    close_app(app)


def _hub(app):
    return app.server.extensions["cockpit_hub"]


def _officer(app, username: str, role: str) -> Principal:
    hub = _hub(app)
    return accounts.create_user(
        get_store(hub),
        username=username,
        role=role,
        password=PASSWORD,
        policy=hub.settings.security.password,
        known_counties=[c.code for c in hub.settings.city.counties],
        must_change=False,
    ).principal()


def _lead_unit(app) -> str:
    with app.server.test_request_context("/"):
        frame = _hub(app).query("key_work.tasks", DatasetQuery()).frame
    return str(frame["lead_unit"].iloc[0])


def _as(app, who: Principal, fn, *args, **kwargs):
    with app.server.test_request_context("/"), acting_as(who):
        return fn(_hub(app), *args, **kwargs)


def _text(component) -> str:
    return json.dumps(component.to_plotly_json(), ensure_ascii=False, default=str)


def test_the_account_form_has_unit_phone_and_email_fields() -> None:
    text = _text(admin_layout())
    for cid in ("admin-unit", "admin-phone", "admin-email"):
        assert cid in text, cid
    assert "承办单位" in text and "手机号" in text and "电子邮箱" in text


def test_the_admin_form_binds_a_known_unit_and_keeps_phone_and_email(made) -> None:
    unit = _lead_unit(made)
    admin = _officer(made, "sysadmin1", "admin")
    security = _officer(made, "secadmin1", "security_admin")
    # The choices are the units the data knows (tasks' lead units, tickets' units).
    choices = _as(made, admin, lambda hub: callbacks.unit_choices(hub))
    assert unit in [c["value"] for c in choices]
    # A unit the data does not know is refused with the reason; none is refused too.
    ok, text = _as(
        made,
        admin,
        callbacks.user_action,
        "create",
        "zj9",
        "王",
        "unit_staff",
        [LUCHENG],
        unit="没有这个单位",
    )
    assert not ok and "未知承办单位" in text, text
    ok, text = _as(
        made, admin, callbacks.user_action, "create", "zj9", "王", "unit_staff", [LUCHENG]
    )
    assert not ok and "所属单位" in text, text
    bad = _as(
        made,
        admin,
        callbacks.user_action,
        "create",
        "zj8",
        "王",
        "unit_staff",
        [LUCHENG],
        unit=unit,
        phone="12345",
    )
    assert not bad[0] and "手机号" in bad[1], bad
    ok, text = _as(
        made,
        admin,
        callbacks.user_action,
        "create",
        "zj1",
        "王",
        "unit_staff",
        [LUCHENG],
        unit=unit,
        phone=PHONE,
        email=MAIL,
    )
    assert ok, text
    user = accounts.get_user(get_store(_hub(made)), "zj1")
    assert (user.unit, user.phone, user.email) == (unit, PHONE, MAIL)
    # The security administrator moves it to another known unit (a grant); the change is
    # audited with the unit, and the address masked.
    other = next(c["value"] for c in choices if c["value"] != unit)
    ok, text = _as(
        made,
        security,
        callbacks.user_action,
        "update",
        "zj1",
        "",
        "unit_staff",
        [LUCHENG],
        unit=other,
    )
    assert ok, text
    assert accounts.get_user(get_store(_hub(made)), "zj1").unit == other
    records = audit.entries(get_store(_hub(made)), action=audit.USER_CHANGE)
    created = next(r for r in records if r.object == "zj1" and r.detail.get("action") == "create")
    moved = next(r for r in records if r.object == "zj1" and r.detail.get("action") == "update")
    assert created.detail["unit"] == unit and moved.detail["unit"] == other
    assert PHONE not in json.dumps(created.detail) and "138****5678" in json.dumps(created.detail)
    # The list shows the unit and the masked phone, never the number.
    table = _text(_as(made, admin, callbacks.users_table))
    assert other in table and "138****5678" in table and PHONE not in table
    assert MAIL not in table


def test_the_command_line_sets_phone_and_email(tmp_path, monkeypatch, capsys) -> None:
    """`users add --phone --email` stores them; a bad phone is refused with the reason."""
    from cockpit.__main__ import main
    from cockpit.store import Store

    for name in ("COCKPIT_AUDIT_KEY", "COCKPIT_DATA_KEY", "COCKPIT_APP__ENV"):
        monkeypatch.delenv(name, raising=False)
    db = tmp_path / "cli.db"
    monkeypatch.setenv("COCKPIT_STORE__URL", f"sqlite:///{db}")
    monkeypatch.setenv("COCKPIT_SECRET_KEY", "k9$Lw2!vQz7#Tn4@Xp8&Hs5^Rb3*Mc6(")
    assert main(["users", "add", "ld1", "--role", "city_leader", "--phone", "123"]) == 2
    assert "手机号" in capsys.readouterr().err
    args = ["users", "add", "ld1", "--role", "city_leader", "--phone", PHONE, "--email", MAIL]
    assert main(args) == 0
    store = Store(f"sqlite:///{db}")
    try:
        user = accounts.get_user(store, "ld1")
        assert (user.phone, user.email) == (PHONE, MAIL)
    finally:
        store.dispose()


def test_the_user_sets_their_own_phone_and_email_on_inbox(settings) -> None:
    me = Principal("lucheng", "county_staff", frozenset({LUCHENG}), frozenset(), "潞城")
    app = app_as(settings, me)
    try:
        hub = _hub(app)
        accounts.create_user(
            get_store(hub),
            username="lucheng",
            role="county_staff",
            password=PASSWORD,
            policy=hub.settings.security.password,
            known_counties=[c.code for c in hub.settings.city.counties],
            counties=[LUCHENG],
            must_change=False,
        )
        client = app.server.test_client()
        origin = {"Origin": "http://localhost"}
        bad = client.post("/inbox/contact", json={"phone": "12"}, headers=origin)
        assert bad.status_code == 400 and "手机号" in bad.get_json()["error"]
        done = client.post("/inbox/contact", json={"phone": PHONE, "email": MAIL}, headers=origin)
        assert done.status_code == 200, done.get_data(as_text=True)
        user = accounts.get_user(get_store(hub), "lucheng")
        assert (user.phone, user.email) == (PHONE, MAIL)
        page = client.get("/inbox").get_data(as_text=True)
        assert "138****5678" in page and PHONE not in page and MAIL not in page
        changes = [r for r in audit.entries(get_store(hub), action=audit.USER_CHANGE)]
        assert (
            changes
            and changes[0].object == "lucheng"
            and PHONE not in json.dumps(changes[0].detail)
        )
    finally:
        close_app(app)


def test_sms_reaches_the_subscriber_at_their_stored_phone(made, receiver) -> None:
    """A subscription without an address of its own is delivered to the account's phone; the
    pushed text never carries that phone, and the audit keeps it masked."""
    hub = _hub(made)
    store = get_store(hub)
    accounts.create_user(
        store,
        username="lucheng",
        role="county_staff",
        password=PASSWORD,
        policy=hub.settings.security.password,
        known_counties=[c.code for c in hub.settings.city.counties],
        counties=[LUCHENG],
        must_change=False,
        phone=PHONE,
    )
    subscribe(store, "lucheng", channels=["sms"])
    cfg = runner.notify_config(hub.settings)
    with made.server.app_context():
        seal = runner.seal_of(made)
        draft = Draft("t:phone", 2, "社会稳定", LUCHENG, "测试预警", "请核实", "/risk")
        assert outbox.publish(store, seal, cfg, draft, principals_of(store, {"lucheng"}), "140400")
    runner.tick(made)
    (got,) = receiver.on("/sms/send")
    sent = got.json()
    assert sent["phone"] == PHONE
    assert PHONE not in sent["content"] and "测试预警" in sent["content"]
    logged = json.dumps([e.detail for e in audit.entries(store, action=outbox.NOTIFY)])
    assert PHONE not in logged and "138****5678" in logged


def test_a_subscription_to_sms_needs_a_phone_somewhere(settings) -> None:
    """/inbox accepts an SMS subscription without an address when the account has a phone."""
    me = Principal("lucheng", "county_staff", frozenset({LUCHENG}), frozenset(), "潞城")
    cfg = with_notify(settings, channels={"sms": {"kind": "sms", "url": "http://127.0.0.1:9/x"}})
    app = app_as(cfg, me)
    try:
        hub = _hub(app)
        accounts.create_user(
            get_store(hub),
            username="lucheng",
            role="county_staff",
            password=PASSWORD,
            policy=hub.settings.security.password,
            known_counties=[c.code for c in hub.settings.city.counties],
            counties=[LUCHENG],
            must_change=False,
        )
        client = app.server.test_client()
        origin = {"Origin": "http://localhost"}
        body = {"topic": "warning", "channels": ["sms"]}
        refused = client.post("/inbox/subscribe", json=body, headers=origin)
        assert refused.status_code == 400
        client.post("/inbox/contact", json={"phone": PHONE}, headers=origin)
        assert client.post("/inbox/subscribe", json=body, headers=origin).status_code == 200
    finally:
        close_app(app)
