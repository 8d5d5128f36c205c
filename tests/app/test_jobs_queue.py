"""Jobs on the real queue (RQ on the Redis at 127.0.0.1:6379): a worker killed with SIGKILL in
the middle of a delivery, and each message still delivered exactly once after a restart.

How: the outbox row is claimed (committed) before the send and carries one idempotency key for
every attempt; the receiver holds the first request unanswered while the worker is killed; a
second worker delivers the rest, and the sweep hands the dead worker's row over once its lease
has run out. The receiver accepts each key once (and sees the held one resent with its key).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import yaml

from cockpit.jobs import runner
from cockpit.notify import outbox
from cockpit.notify.outbox import Draft
from cockpit.notify.subscriptions import subscribe
from cockpit.notify.tables import SENT
from cockpit.notify.warnings import principals_of
from cockpit.settings import PROJECT_ROOT, load_settings
from cockpit.store import get_store
from tests.apps import app_as, close_app
from tests.conftest import demo_environ
from tests.notify_support import make_user, start_receiver

REDIS = os.environ.get("COCKPIT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def redis_url() -> str:
    from redis import Redis

    try:
        Redis.from_url(REDIS, socket_connect_timeout=2).ping()
    except Exception as exc:
        pytest.skip(f"Redis not reachable at {REDIS}: {type(exc).__name__}")
    return REDIS


def _config_dir(tmp_path: Path, notify: dict) -> Path:
    folder = tmp_path / "config"
    shutil.copytree(PROJECT_ROOT / "config", folder)
    (folder / "notify.yaml").write_text(
        yaml.safe_dump({"notify": notify}, allow_unicode=True), encoding="utf-8"
    )
    return folder


def _worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("ab") as out:  # a file, not a pipe nobody reads (a full pipe blocks RQ's log)
        return subprocess.Popen(
            [sys.executable, "-m", "cockpit.jobs", "worker"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _wait(condition, seconds: float, what: str) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.redis
def test_a_worker_killed_mid_delivery_delivers_each_message_once(
    demo_db, tmp_path, redis_url, monkeypatch
) -> None:
    receiver = start_receiver()
    receiver.hold = threading.Event()
    queue_name = f"cockpit-test-{uuid.uuid4().hex[:8]}"
    folder = _config_dir(
        tmp_path,
        {
            "queue": "rq",
            "queue_name": queue_name,
            "lease_seconds": 4,
            "send_timeout": 2,
            "channels": {
                "province": {
                    "kind": "webhook",
                    "url": f"{receiver.url}/hook",
                    "secret_env": "TEST_HOOK_SECRET",
                }
            },
        },
    )
    env = {
        **os.environ,
        **demo_environ(demo_db, tmp_path / "cache"),
        "COCKPIT_CONFIG_DIR": str(folder),
        "COCKPIT_REDIS_URL": redis_url,
        "TEST_HOOK_SECRET": "s3cret",
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    monkeypatch.setenv("TEST_HOOK_SECRET", "s3cret")
    monkeypatch.setenv("COCKPIT_REDIS_URL", redis_url)
    log = tmp_path / "workers.log"
    app = app_as(load_settings(folder, environ=demo_environ(demo_db, tmp_path / "cache")))
    workers: list[subprocess.Popen] = []
    try:
        hub = app.server.extensions["cockpit_hub"]
        store = get_store(hub)
        cfg = runner.notify_config(hub.settings)
        assert cfg.queue == "rq"
        make_user(app, "leader", "city_leader")
        subscribe(store, "leader", channels=["province"])
        with app.server.app_context():
            seal = runner.seal_of(app)
            for n in range(3):
                draft = Draft(f"test:{n}", 2, "社会稳定", "140406", f"测试预警{n}", "正文")
                outbox.publish(store, seal, cfg, draft, principals_of(store, {"leader"}), "140400")
        keys = sorted(r.idem_key for r in outbox.rows(store, ("queued",)))
        assert len(keys) == 3

        runner.sweep(app)  # enqueues the three deliveries on RQ
        workers.append(_worker(env, log))
        _wait(receiver.held.is_set, 90, "the first request to reach the receiver")
        workers[0].send_signal(signal.SIGKILL)  # mid-delivery: the request is unanswered
        assert workers[0].wait(10) == -signal.SIGKILL
        assert outbox.counts(store)["claimed"] == 1

        workers.append(_worker(env, log))  # the restart
        _wait(lambda: outbox.counts(store)[SENT] == 2, 90, "the two other messages")
        time.sleep(cfg.lease_seconds + 0.5)  # the dead worker's lease runs out
        assert runner.sweep(app)["due"] == 1
        _wait(lambda: outbox.counts(store)[SENT] == 3, 60, "the killed delivery's resend")
        time.sleep(1)  # anything sent twice would have arrived by now

        accepted = sorted(r.headers["x-idempotency-key"] for r in receiver.on("/hook"))
        assert accepted == keys  # each message accepted exactly once
        assert outbox.counts(store)["claimed"] == 0
        attempts = sorted(r.attempts for r in outbox.rows(store, (SENT,)))
        assert attempts == [1, 1, 2]  # the killed one was claimed twice, sent once
        from cockpit import audit

        sends = audit.entries(store, action=outbox.NOTIFY_SEND)
        assert sorted(e.detail["idem_key"] for e in sends if e.result == "ok") == keys
    finally:
        receiver.hold.set()
        for w in workers:
            if w.poll() is None:
                w.kill()  # our own worker, by its process (SIGTERM would wait for RQ's poll)
                w.wait(10)
        receiver.close()
        close_app(app)
        from redis import Redis

        r = Redis.from_url(redis_url)
        for key in r.scan_iter(f"rq:*{queue_name}*"):
            r.delete(key)
