"""In rq mode the tick only enqueues deliveries; /admin/jobs still shows how that batch goes:
queued, sent and failed counts and the run's progress, read from the outbox rows the run
enqueued, as workers deliver them (#23 follow-up item 6). Needs Redis (skipped without)."""

from __future__ import annotations

import os
import uuid

import pytest

from cockpit.jobs import runner
from cockpit.notify import outbox
from cockpit.notify.outbox import Draft
from cockpit.notify.subscriptions import subscribe
from cockpit.notify.warnings import principals_of
from cockpit.scope import Principal
from cockpit.security.roles import ROLES
from cockpit.store import get_store
from tests.apps import app_as, close_app
from tests.notify_support import make_user, start_receiver, with_notify

REDIS = os.environ.get("COCKPIT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
ADMIN = Principal("sysadmin", "admin", frozenset(), ROLES["admin"].permissions, "管理员")


@pytest.fixture
def redis_url() -> str:
    from redis import Redis

    try:
        Redis.from_url(REDIS, socket_connect_timeout=2).ping()
    except Exception as exc:
        pytest.skip(f"Redis not reachable at {REDIS}: {type(exc).__name__}")
    return REDIS


@pytest.mark.redis
def test_admin_jobs_shows_an_rq_batch_delivering(settings, redis_url, monkeypatch) -> None:
    receiver = start_receiver()
    queue_name = f"cockpit-test-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("COCKPIT_REDIS_URL", redis_url)
    monkeypatch.setenv("T_SECRET", "s")
    hook = {"kind": "webhook", "url": f"{receiver.url}/hook", "secret_env": "T_SECRET"}
    broken = {"kind": "webhook", "url": f"{receiver.url}/down", "secret_env": "NO_SUCH_ENV"}
    notify = {"queue": "rq", "queue_name": queue_name, "max_attempts": 1}
    app = app_as(with_notify(settings, channels={"hook": hook, "broken": broken}, **notify), ADMIN)
    try:
        hub = app.server.extensions["cockpit_hub"]
        store = get_store(hub)
        cfg = runner.notify_config(hub.settings)
        make_user(app, "leader", "city_leader")
        # Only the test's own messages (a domain no real warning has): the tick publishes the
        # demo data's warnings too.
        subscribe(store, "leader", channels=["hook"], domains=["测试领域"])
        subscribe(store, "leader", channels=["broken"], domains=["测试领域"], levels=[1])
        with app.server.app_context():
            seal = runner.seal_of(app)
            for n, level in enumerate((2, 2, 1)):
                draft = Draft(f"t:{n}", level, "测试领域", "140406", f"测试预警{n}", "正文")
                outbox.publish(store, seal, cfg, draft, principals_of(store, {"leader"}), "140400")
        ids = sorted(r.id for r in outbox.rows(store, ("queued",)))
        assert len(ids) == 4  # three on the hook, one on the broken channel

        done = runner.tick(app)  # enqueued, not delivered: no worker runs yet
        assert done["deliveries"] == {"enqueued": 4}
        page = app.server.test_client().get("/admin/jobs").get_data(as_text=True)
        runs = page.split('id="jobs-runs"')[1].split("</table>")[0]
        assert "推送 4 条" in runs and "待发 4" in runs and "进度 0%" in runs

        # Workers deliver (the same body RQ runs): two sent, the broken one dead.
        hooked = [r.id for r in outbox.rows(store, ("queued",)) if r.channel == "hook"]
        dead = [r.id for r in outbox.rows(store, ("queued",)) if r.channel == "broken"]
        for outbox_id in (*hooked[:2], *dead):
            runner.deliver(app, outbox_id)
        page = app.server.test_client().get("/admin/jobs").get_data(as_text=True)
        runs = page.split('id="jobs-runs"')[1].split("</table>")[0]
        assert "已发 2" in runs and "待发 1" in runs and "失败 1" in runs
        assert "进度 75%" in runs
        assert "&#34;batch&#34;" not in runs  # the row ids the run keeps are not shown
    finally:
        receiver.close()
        close_app(app)
        from redis import Redis

        r = Redis.from_url(redis_url)
        for key in r.scan_iter(f"rq:*{queue_name}*"):
            r.delete(key)
