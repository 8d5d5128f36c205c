"""Notifications end to end: a warning of the cockpit's early-warning rules reaches a subscribed
user's inbox and a DingTalk robot (a real HTTP server here, checking the signature as DingTalk
does) within one tick, with audit rows; scope is the user's own; nothing personal leaves."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from cockpit import audit
from cockpit.jobs import runner
from cockpit.notify import inbox, outbox
from cockpit.notify.subscriptions import subscribe
from cockpit.notify.tables import DEAD, SENT
from cockpit.notify.warnings import warnings_in_force
from cockpit.store import get_store
from tests.apps import app_as, close_app
from tests.conftest import DEMO_END
from tests.notify_support import make_user, start_receiver, with_notify

SECRET = "SEC0123456789abcdef-test-secret"
LUCHENG, LUZHOU = "140406", "140403"


@pytest.fixture
def receiver():
    r = start_receiver()
    yield r
    r.close()


@pytest.fixture
def notify_app(settings, receiver, monkeypatch):
    """The cockpit with two DingTalk robots (both on the local receiver) configured."""
    monkeypatch.setenv("TEST_DUTY_WEBHOOK", f"{receiver.url}/robot/send?access_token=duty")
    monkeypatch.setenv("TEST_OTHER_WEBHOOK", f"{receiver.url}/other/send?access_token=other")
    monkeypatch.setenv("TEST_DUTY_SECRET", SECRET)
    app = app_as(
        with_notify(
            settings,
            channels={
                "duty": {
                    "kind": "dingtalk",
                    "webhook_env": "TEST_DUTY_WEBHOOK",
                    "secret_env": "TEST_DUTY_SECRET",
                },
                "other": {"kind": "dingtalk", "webhook_env": "TEST_OTHER_WEBHOOK"},
            },
        )
    )
    yield app
    close_app(app)


def dingtalk_signature_ok(query: dict[str, str]) -> bool:
    """Check a request's timestamp and sign as DingTalk's server does."""
    stamp = query["timestamp"]
    digest = hmac.new(SECRET.encode(), f"{stamp}\n{SECRET}".encode(), hashlib.sha256).digest()
    return query["sign"] == base64.b64encode(digest).decode() and query["access_token"] == "duty"


def test_a_warning_reaches_the_inbox_and_the_robot_in_one_tick_within_scope(
    notify_app, receiver
) -> None:
    hub = notify_app.server.extensions["cockpit_hub"]
    store = get_store(hub)
    make_user(notify_app, "lucheng", "county_staff", [LUCHENG])
    make_user(notify_app, "luzhou", "county_staff", [LUZHOU])
    # 潞城区's user: orange and red 社会稳定 warnings of 潞城区, to the duty robot.
    subscribe(
        store, "lucheng", levels=[1, 2], domains=["社会稳定"], counties=[LUCHENG], channels=["duty"]
    )
    # 潞州区's user asks for 潞城区's warnings (outside their scope) and the city's: nothing.
    subscribe(store, "luzhou", counties=[LUCHENG, hub.settings.city.code], channels=["other"])

    with notify_app.server.app_context():
        frame = warnings_in_force(hub, DEMO_END)
    wanted = frame[
        (frame["county_code"] == LUCHENG) & (frame["level"] <= 2) & (frame["domain"] == "社会稳定")
    ]
    assert len(wanted) >= 1 and set(wanted["origin"]) <= {"threshold", "anomaly", "source"}
    assert (wanted["origin"] != "source").any()  # the cockpit's own rules raised one

    done = runner.tick(notify_app, today=DEMO_END)

    assert done["messages"] == len(frame)
    got = inbox.items(store, "lucheng")
    assert sorted(i.title for i in got) == sorted(wanted["title"])
    assert inbox.unread_count(store, "lucheng") == len(wanted)
    assert inbox.items(store, "luzhou") == []
    assert inbox.unread_count(store, "luzhou") == 0

    posts = receiver.on("/robot/send")
    assert len(posts) == len(wanted)
    assert receiver.on("/other/send") == []
    for post in posts:
        assert dingtalk_signature_ok(post.query)
        body = post.json()
        assert body["msgtype"] == "markdown"
        assert body["markdown"]["title"].startswith(("【红色预警】", "【橙色预警】"))
    titles = sorted(p.json()["markdown"]["title"].split("】", 1)[1] for p in posts)
    assert titles == sorted(wanted["title"])
    assert outbox.counts(store)[SENT] == len(wanted)

    sends = audit.entries(store, action=outbox.NOTIFY_SEND)
    assert len(sends) == len(wanted)
    assert {e.result for e in sends} == {"ok"}
    assert {e.detail["channel"] for e in sends} == {"duty"}
    made = audit.entries(store, action=outbox.NOTIFY, limit=500)
    assert len(made) == len(frame)
    told = [e for e in made if e.detail["inbox"]]
    assert sorted(e.object for e in told) == sorted(f"warning:{w}" for w in wanted["warning_id"])
    assert audit.verify(store, runner.seal_of(notify_app)).ok

    # The next tick tells nobody again: the warnings are the same ones.
    again = runner.tick(notify_app, today=DEMO_END)
    assert again["messages"] == 0 and len(receiver.on("/robot/send")) == len(wanted)


def test_personal_data_is_masked_in_the_push_and_the_inbox(notify_app, receiver) -> None:
    hub = notify_app.server.extensions["cockpit_hub"]
    store = get_store(hub)
    make_user(notify_app, "lucheng", "county_staff", [LUCHENG])
    subscribe(store, "lucheng", channels=["duty"])
    import pandas as pd

    from cockpit.notify.warnings import drafts, principals_of

    frame = pd.DataFrame(
        [
            {
                "warning_id": "FX-personal",
                "level": 2,
                "domain": "社会稳定",
                "county_code": LUCHENG,
                "title": "潞城区群众来电反映燃气泄漏",
                "reason": "来电人我叫王小明，电话13812345678，身份证140402199001011234",
                "link": "/risk?warning=FX-personal",
                "responsible_unit": "",
            }
        ]
    )
    (draft,) = drafts(frame)
    cfg = runner.notify_config(hub.settings)
    with notify_app.server.app_context():
        seal = runner.seal_of(notify_app)
        outbox.publish(store, seal, cfg, draft, principals_of(store, {"lucheng"}), "140400")
    for row_id in outbox.due(store):
        assert runner.deliver(notify_app, row_id) == "sent"
    (post,) = receiver.on("/robot/send")
    text = post.body.decode()
    for secret_bit in ("13812345678", "140402199001011234", "王小明"):
        assert secret_bit not in text
        assert secret_bit not in inbox.items(store, "lucheng")[0].body
    assert "138****5678" in post.json()["markdown"]["text"]


def test_a_failing_robot_is_retried_with_backoff_then_dead(notify_app, receiver) -> None:
    hub = notify_app.server.extensions["cockpit_hub"]
    store = get_store(hub)
    make_user(notify_app, "lucheng", "county_staff", [LUCHENG])
    subscribe(store, "lucheng", levels=[2], counties=[LUCHENG], channels=["duty"])
    receiver.answers["/robot/send"] = (200, {"errcode": 310000, "errmsg": "sign not match"})
    runner.tick(notify_app, today=DEMO_END)
    rows = outbox.rows(store, ("queued",))
    assert rows and all(r.attempts == 1 and "310000" in r.last_error for r in rows)
    assert outbox.due(store) == []  # backing off: not due again yet
    cfg = runner.notify_config(hub.settings)
    import datetime as dt

    import sqlalchemy as sa

    from cockpit.notify.tables import notify_outbox

    for attempt in range(2, cfg.max_attempts + 1):
        with store.writing("test") as conn:  # the backoff has passed
            conn.execute(notify_outbox.update().values(next_at=dt.datetime.now(dt.UTC)))
        outcomes = {runner.deliver(notify_app, r) for r in outbox.due(store)}
        assert outcomes == ({"dead"} if attempt == cfg.max_attempts else {"retry"})
    assert outbox.counts(store)[DEAD] == len(rows)
    assert len(receiver.on("/robot/send")) == len(rows) * cfg.max_attempts
    results = [e.result for e in audit.entries(store, action=outbox.NOTIFY_SEND, limit=500)]
    assert results.count("dead") == len(rows) and "ok" not in results
    _ = sa


def test_a_stale_dataset_is_told_to_data_staff_only(notify_app, receiver) -> None:
    from cockpit.health import report
    from cockpit.notify.stale import check_stale

    hub = notify_app.server.extensions["cockpit_hub"]
    store = get_store(hub)
    make_user(notify_app, "datastaff", "city_staff")
    make_user(notify_app, "lucheng", "county_staff", [LUCHENG])
    subscribe(store, "datastaff", topic="stale", channels=["duty"])
    make_user(notify_app, "sysadmin", "admin")  # sees no county, but opens 数据质量
    subscribe(store, "sysadmin", topic="stale")
    subscribe(store, "lucheng", topic="stale")  # (the page would refuse it) told nothing
    with notify_app.server.app_context():
        late = sorted(
            name for name, d in report(hub)["datasets"].items() if d["late_by_hours"] is not None
        )
        assert late  # the test demo data end on 2026-11-20, weeks before today
        cfg = runner.notify_config(hub.settings)
        made = check_stale(hub, cfg, runner.seal_of(notify_app))
        assert check_stale(hub, cfg, runner.seal_of(notify_app)) == []  # told once
    titles = sorted(i.title for i in inbox.items(store, "datastaff"))
    assert [t for t in titles if t.endswith("数据过期")] == sorted(
        f"数据集 {n} 数据过期" for n in late
    )
    assert len(made) == len(titles)
    assert inbox.items(store, "lucheng") == []
    assert sorted(i.title for i in inbox.items(store, "sysadmin")) == titles
    runner.sweep(notify_app)
    assert len(receiver.on("/robot/send")) == len(made)
