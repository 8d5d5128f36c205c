"""A 督办 action and its audit record are saved together, and a retried submission once (#19 item 5).

On PostgreSQL, after 4 worker kills, 4 actions had no audit record (action and audit entry in
separate transactions), and a retry recorded the action twice. Both stores are run here: the
default SQLite file and a PostgreSQL schema of the test's own.
"""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from cockpit import audit
from cockpit.domains.key_work import supervision
from cockpit.store import get_store
from cockpit.store.schema import supervision_actions, supervision_cases
from tests.apps import running_app_on_store


@pytest.fixture(params=["sqlite", "postgresql"])
def kw_app(request, settings, tmp_path):
    """The cockpit (as the city leader) on a SQLite store, or on a PostgreSQL schema."""
    yield from running_app_on_store(request, settings, tmp_path, "atomic")


def _hub(app):
    return app.server.extensions["cockpit_hub"]


def _task(app) -> str:
    from data_sources.query import DatasetQuery

    with app.server.test_request_context("/"):
        frame = _hub(app).query("key_work.tasks", DatasetQuery(columns=("task_id",))).frame
    return str(frame["task_id"].iloc[0])


def _count(app, table: sa.Table) -> int:
    with get_store(_hub(app)).reading() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def _supervision_records(app) -> list:
    return audit.entries(get_store(_hub(app)), action=audit.SUPERVISION)


def test_a_worker_killed_between_the_action_and_its_audit_saves_neither(
    kw_app,
    monkeypatch,
) -> None:
    """The worker dies while the audit record is being sealed: nothing of the action remains."""
    task = _task(kw_app)
    get_store(_hub(kw_app))  # made (and migrated) before the kill is armed

    def killed(*args, **kwargs):
        raise SystemExit("worker killed")

    monkeypatch.setattr(audit, "_digest", killed)
    with kw_app.server.test_request_context("/"), pytest.raises(SystemExit):
        supervision.act(_hub(kw_app), f"task:{task}", "催办", "请本周内报送进展")
    monkeypatch.undo()
    assert _count(kw_app, supervision_actions) == 0
    assert _count(kw_app, supervision_cases) == 0


def test_an_audit_write_that_fails_leaves_no_unaudited_action(kw_app, monkeypatch) -> None:
    """The user is told it was not saved, and it was not."""
    task = _task(kw_app)
    get_store(_hub(kw_app))

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(audit, "_digest", broken)
    with kw_app.server.test_request_context("/"):
        outcome = supervision.act(_hub(kw_app), f"task:{task}", "催办", "请本周内报送进展")
    monkeypatch.undo()
    assert not outcome.ok and "撤销" in outcome.message
    assert _count(kw_app, supervision_actions) == 0


def test_each_recorded_action_has_its_audit_record_and_the_chain_verifies(kw_app) -> None:
    task = _task(kw_app)
    with kw_app.server.test_request_context("/"):
        for action in ("催办", "约谈"):
            outcome = supervision.act(
                _hub(kw_app), f"task:{task}", action, "请说明进展", uuid.uuid4().hex
            )
            assert outcome.ok, outcome.message
    records = [r for r in _supervision_records(kw_app) if r.result == "ok"]
    assert _count(kw_app, supervision_actions) == len(records) == 2
    assert {r.detail["action"] for r in records} == {"催办", "约谈"}
    store = get_store(_hub(kw_app))
    seal = audit.seal_for(_hub(kw_app).settings, store, kw_app.server.config["COCKPIT_AUDIT_KEY"])
    assert audit.verify(store, seal).ok


def test_a_retried_submission_is_recorded_once(kw_app) -> None:
    """The same submission sent again (its answer was lost): one action, one audit record,
    and the user told it was already recorded. A new submission is a new action."""
    task = _task(kw_app)
    key = uuid.uuid4().hex
    with kw_app.server.test_request_context("/"):
        first = supervision.act(_hub(kw_app), f"task:{task}", "催办", "请本周内报送进展", key)
        again = supervision.act(_hub(kw_app), f"task:{task}", "催办", "请本周内报送进展", key)
        other = supervision.act(
            _hub(kw_app), f"task:{task}", "催办", "请本周内报送进展", uuid.uuid4().hex
        )
    assert first.ok and again.ok and other.ok
    assert "重复提交" in again.message and first.case_id == again.case_id
    assert _count(kw_app, supervision_actions) == 2
    assert len([r for r in _supervision_records(kw_app) if r.result == "ok"]) == 2
