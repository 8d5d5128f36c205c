"""The embedded default: `python -m cockpit run`'s in-process loop ticks (warnings checked,
deliveries made) and writes the morning briefing as a recorded job, with no Redis or worker."""

from __future__ import annotations

import datetime as dt
import threading
import time

import sqlalchemy as sa

from cockpit.jobs import runner
from cockpit.notify.tables import job_runs
from cockpit.store import get_store
from tests.apps import app_as, close_app
from tests.notify_support import with_notify


def _runs(app) -> list[sa.Row]:
    with get_store(runner.hub_of(app)).reading() as conn:
        return conn.execute(sa.select(job_runs).order_by(job_runs.c.id)).all()


def test_the_embedded_loop_ticks_and_writes_the_briefing(settings, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # the briefing job writes to instance/briefings here
    app = app_as(with_notify(settings, tick_seconds=5, briefing_at="00:00"))
    stop = threading.Event()
    thread = None
    try:
        thread = runner.start_embedded(app, stop)
        assert thread is not None
        end = time.monotonic() + 120
        while time.monotonic() < end and {r.job for r in _runs(app) if r.finished_at} != {
            runner.TICK,
            runner.BRIEFING,
        }:
            time.sleep(0.5)
        runs = _runs(app)
        assert [(r.job, r.state) for r in runs][:2] == [
            (runner.TICK, "ok"),
            (runner.BRIEFING, "ok"),
        ], runs
        written = sorted(p.suffix for p in (tmp_path / "instance" / "briefings").iterdir())
        assert written == [".docx", ".pdf"]
        assert not runner.briefing_due(app)  # once a day
    finally:
        stop.set()
        if thread is not None:
            thread.join(60)  # let a tick in progress finish before the app is closed
        close_app(app)


def test_briefing_waits_for_its_time(settings) -> None:
    app = app_as(with_notify(settings, briefing_at="07:30"))
    try:
        assert not runner.briefing_due(app, dt.datetime(2026, 11, 20, 7, 29))
        assert runner.briefing_due(app, dt.datetime(2026, 11, 20, 7, 30))
    finally:
        close_app(app)


def test_rq_mode_starts_no_thread(settings) -> None:
    app = app_as(with_notify(settings, queue="rq"))
    try:
        assert runner.start_embedded(app) is None
    finally:
        close_app(app)


def test_the_briefing_job_tells_its_subscribers_whole_city_only(
    settings, tmp_path, monkeypatch
) -> None:
    from cockpit.notify import inbox
    from cockpit.notify.subscriptions import subscribe
    from tests.notify_support import make_user, start_receiver

    monkeypatch.chdir(tmp_path)
    receiver = start_receiver()
    monkeypatch.setenv("T_WX", f"{receiver.url}/wx?key=k")
    app = app_as(with_notify(settings, channels={"wx": {"kind": "wecom", "webhook_env": "T_WX"}}))
    try:
        store = get_store(runner.hub_of(app))
        make_user(app, "leader", "city_leader")
        make_user(app, "lucheng", "county_staff", ["140406"])
        subscribe(store, "leader", topic="briefing", channels=["wx"])
        subscribe(store, "lucheng", topic="briefing")
        subscribe(store, "leader")  # warnings: not told of the briefing
        done = runner.briefing(app, out_dir=str(tmp_path / "out"))
        assert done["message"] is not None
        (item,) = inbox.items(store, "leader")
        assert "要情专报" in item.title and item.link == "/briefing"
        assert inbox.items(store, "lucheng") == []  # the city's briefing: not a county user's
        (post,) = receiver.on("/wx")
        assert "要情专报" in post.json()["markdown"]["content"]
        again = runner.briefing(app, out_dir=str(tmp_path / "out"))
        assert "message" not in again and len(receiver.on("/wx")) == 1  # told once a day
    finally:
        receiver.close()
        close_app(app)
