"""Long jobs show progress (#23 item 5): a running job writes done/total into its job_runs row
as it goes, readable from another connection while it runs, and /admin/jobs shows 进度 N%."""

from __future__ import annotations

import json
import threading

import pytest
import sqlalchemy as sa

from cockpit.jobs import runner
from cockpit.notify.config import notify_config
from cockpit.notify.outbox import Draft, publish
from cockpit.notify.subscriptions import subscribe
from cockpit.notify.tables import job_runs
from cockpit.notify.warnings import principals_of
from cockpit.scope import Principal
from cockpit.security.roles import ROLES
from cockpit.store import get_store
from tests.apps import app_as, close_app
from tests.notify_support import make_user, start_receiver, with_notify

ADMIN = Principal("sysadmin", "admin", frozenset(), ROLES["admin"].permissions, "管理员")
LUCHENG = "140406"


@pytest.fixture
def receiver():
    r = start_receiver()
    yield r
    r.close()


@pytest.fixture
def app(settings, receiver, monkeypatch):
    monkeypatch.setenv("T_SECRET", "s")
    hook = {"kind": "webhook", "url": f"{receiver.url}/hook", "secret_env": "T_SECRET"}
    made = app_as(with_notify(settings, channels={"hook": hook}), ADMIN)
    yield made
    close_app(made)


def _row_elsewhere(app, job: str) -> sa.Row:
    """The newest run of `job`, read on an engine of its own (not the job's connection)."""
    engine = sa.create_engine(get_store(app.server.extensions["cockpit_hub"]).url)
    try:
        with engine.connect() as conn:
            return conn.execute(
                sa.select(job_runs).where(job_runs.c.job == job).order_by(job_runs.c.id.desc())
            ).first()
    finally:
        engine.dispose()


def test_a_held_job_shows_its_progress_in_its_row_and_on_the_page(app) -> None:
    reached, release = threading.Event(), threading.Event()

    def job() -> None:
        with runner.run_recorded(app, "briefing") as detail:
            detail.progress(1, 4)
            reached.set()
            release.wait(30)
            detail.progress(4, 4)

    worker = threading.Thread(target=job)
    worker.start()
    try:
        assert reached.wait(30)
        row = _row_elsewhere(app, "briefing")
        assert row.state == "running"
        assert json.loads(row.detail)["progress"] == {"done": 1, "total": 4}
        page = app.server.test_client().get("/admin/jobs").get_data(as_text=True)
        assert "运行中" in page and "进度 25%" in page
    finally:
        release.set()
        worker.join(30)
    row = _row_elsewhere(app, "briefing")
    assert row.state == "ok" and json.loads(row.detail)["progress"] == {"done": 4, "total": 4}


def test_the_delivery_sweep_counts_its_rows_while_a_send_is_held(app, receiver) -> None:
    store = get_store(app.server.extensions["cockpit_hub"])
    make_user(app, "lucheng", "county_staff", [LUCHENG])
    subscribe(store, "lucheng", channels=["hook"])
    for i in range(2):
        draft = Draft(f"t:{i}", 2, "社会稳定", LUCHENG, f"测试预警{i}", "正文")
        with app.server.app_context():
            seal = runner.seal_of(app)
        cfg = notify_config(app.server.extensions["cockpit_hub"].settings)
        publish(store, seal, cfg, draft, principals_of(store, {"lucheng"}), "140400")
    receiver.hold = threading.Event()
    worker = threading.Thread(target=runner.tick, args=(app,))
    worker.start()
    try:
        assert receiver.held.wait(30)  # the first send is on the wire, unanswered
        row = _row_elsewhere(app, runner.TICK)
        assert row.state == "running"
        assert json.loads(row.detail)["progress"] == {"done": 0, "total": 2}
        page = app.server.test_client().get("/admin/jobs").get_data(as_text=True)
        assert "进度 0%" in page
    finally:
        receiver.hold.set()
        worker.join(60)
    row = _row_elsewhere(app, runner.TICK)
    assert json.loads(row.detail)["progress"] == {"done": 2, "total": 2}


def test_the_sync_is_a_recorded_job_whose_row_counts_datasets_while_it_runs(
    settings, tmp_path, monkeypatch
) -> None:
    """`python -m cockpit sync`: while the dataset is being copied its job_runs row (read on
    another connection) says 0 of 1 done; at the end 1 of 1, ok, with the rows copied."""
    import cockpit.__main__ as cli
    import cockpit.sync as sync
    from tests.contract.test_adapter_contract import reference_tickets
    from tests.unit.test_sync_quarantine import synced_app

    app = synced_app(settings, reference_tickets(30), tmp_path)
    try:
        seen: list[tuple[str, dict]] = []
        real = sync.sync_dataset

        def watched(*args, **kwargs):
            row = _row_elsewhere(app, runner.SYNC)
            seen.append((row.state, json.loads(row.detail)["progress"]))
            return real(*args, **kwargs)

        monkeypatch.setattr(sync, "sync_dataset", watched)
        monkeypatch.setattr(
            cli, "_tool_settings", lambda: app.server.extensions["cockpit_hub"].settings
        )
        assert cli.main(["sync"]) == 0
        assert seen == [("running", {"done": 0, "total": 1})]
        row = _row_elsewhere(app, runner.SYNC)
        detail = json.loads(row.detail)
        assert row.state == "ok" and detail["progress"] == {"done": 1, "total": 1}
        assert detail["rows"] == 30 and detail["failed"] == []
    finally:
        close_app(app)
