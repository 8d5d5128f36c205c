"""站内消息 in the header and on /inbox (read, subscribe within scope, unsubscribe), and the
administrators' 任务与推送 page: job runs, queued and dead messages; others are refused."""

from __future__ import annotations

import datetime as dt

import pytest

from cockpit import shell
from cockpit.jobs import runner
from cockpit.notify import inbox, outbox
from cockpit.notify.outbox import Draft
from cockpit.notify.subscriptions import subscribe
from cockpit.notify.tables import notify_outbox, notify_subscriptions
from cockpit.notify.warnings import principals_of
from cockpit.scope import Principal
from cockpit.security.roles import ROLES
from cockpit.store import get_store
from tests.apps import app_as, close_app
from tests.notify_support import make_user, with_notify

ORIGIN = {"Origin": "http://localhost"}
LUCHENG = "140406"
COUNTY_USER = Principal(
    "lucheng", "county_staff", frozenset({LUCHENG}), ROLES["county_staff"].permissions, "潞城"
)
ADMIN = Principal("sysadmin", "admin", frozenset(), ROLES["admin"].permissions, "管理员")


@pytest.fixture
def make_app(settings):
    made = []

    def build(principal: Principal, **notify):
        app = app_as(with_notify(settings, **notify), principal)
        made.append(app)
        return app

    yield build
    for app in made:
        close_app(app)


def _publish(app, n: int, channels=None) -> None:
    hub = app.server.extensions["cockpit_hub"]
    store = get_store(hub)
    cfg = runner.notify_config(hub.settings)
    with app.server.app_context():
        seal = runner.seal_of(app)
        for i in range(n):
            draft = Draft(f"t:{i}", 2, "社会稳定", LUCHENG, f"测试预警{i}", "正文", "/risk")
            outbox.publish(store, seal, cfg, draft, principals_of(store, {"lucheng"}), "140400")


def _texts(component) -> str:
    """All the text of a Dash component tree."""
    if component is None:
        return ""
    if isinstance(component, str | int):
        return str(component)
    children = getattr(component, "children", None)
    if isinstance(children, list | tuple):
        return "".join(_texts(c) for c in children)
    return _texts(children)


def test_header_shows_the_unread_count_and_inbox_lists_and_marks_read(make_app) -> None:
    app = make_app(COUNTY_USER)
    make_user(app, "lucheng", "county_staff", [LUCHENG])
    store = get_store(app.server.extensions["cockpit_hub"])
    subscribe(store, "lucheng")
    _publish(app, 2)
    with app.server.test_request_context("/"):
        assert "站内消息2" in _texts(shell.user_box(COUNTY_USER))
    client = app.server.test_client()
    page = client.get("/inbox").get_data(as_text=True)
    assert "测试预警0" in page and "测试预警1" in page and '未读 <span id="notify-unread">2' in page
    assert client.post("/inbox/read", json={}, headers=ORIGIN).get_json() == {"read": 2}
    assert inbox.unread_count(store, "lucheng") == 0
    with app.server.test_request_context("/"):
        assert _texts(shell.user_box(COUNTY_USER)).count("站内消息") == 1
        assert "站内消息0" not in _texts(shell.user_box(COUNTY_USER))


def test_subscribing_is_limited_to_the_users_own_counties(make_app) -> None:
    app = make_app(COUNTY_USER)
    store = get_store(app.server.extensions["cockpit_hub"])
    client = app.server.test_client()
    refused = client.post("/inbox/subscribe", json={"counties": ["140403"]}, headers=ORIGIN)
    assert refused.status_code == 403
    city_only = client.post("/inbox/subscribe", json={"topic": "briefing"}, headers=ORIGIN)
    assert city_only.status_code == 403
    ok = client.post(
        "/inbox/subscribe",
        json={"counties": [LUCHENG], "levels": [1, 2], "domains": ["社会稳定"]},
        headers=ORIGIN,
    )
    assert ok.status_code == 200
    with store.reading() as conn:
        rows = conn.execute(notify_subscriptions.select()).all()
    assert [(r.username, r.counties, r.levels) for r in rows] == [("lucheng", LUCHENG, "1,2")]
    assert (
        client.post("/inbox/subscribe", json={"channels": ["nope"]}, headers=ORIGIN).status_code
        == 400
    )
    page = client.get("/inbox").get_data(as_text=True)
    assert "潞城区" in page and "潞州区" not in page  # only their own county is offered
    gone = client.post("/inbox/unsubscribe", json={"id": rows[0].id}, headers=ORIGIN)
    assert gone.status_code == 200


def test_admin_page_lists_runs_queued_and_dead_and_others_are_refused(
    make_app, receiver_url=None
) -> None:
    notify = {
        "channels": {
            "hook": {"kind": "webhook", "url": "http://127.0.0.1:9/x", "secret_env": "NO_SUCH_ENV"}
        }
    }
    app = make_app(ADMIN, **notify)
    make_user(app, "lucheng", "county_staff", [LUCHENG])
    store = get_store(app.server.extensions["cockpit_hub"])
    subscribe(store, "lucheng", channels=["hook"])
    _publish(app, 2)
    with store.writing("test") as conn:  # one row has used up its attempts already
        first = min(r.id for r in conn.execute(notify_outbox.select()))
        conn.execute(notify_outbox.update().where(notify_outbox.c.id == first).values(attempts=4))
    runner.sweep(app)  # both fail (the secret is not set): one dead, one back off
    page = app.server.test_client().get("/admin/jobs").get_data(as_text=True)
    assert "失败停发 1" in page and "待发 1" in page
    assert "NO_SUCH_ENV" in page  # the reason, as the admin needs it
    dead_table = page.split('id="jobs-dead"')[1].split("</table>")[0]
    assert "测试预警0" in dead_table
    with runner.run_recorded(app, "warning_tick") as detail:
        detail["messages"] = 0
    page = app.server.test_client().get("/admin/jobs").get_data(as_text=True)
    assert "warning_tick" in page and "成功" in page
    county = make_app(COUNTY_USER, **notify)
    assert county.server.test_client().get("/admin/jobs").status_code == 403
    _ = dt
