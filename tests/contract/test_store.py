"""The cockpit's own database: migrations, writes in one transaction, and failures mid-write.

Every store test runs twice: on a SQLite file of its own and on the PostgreSQL server (a
schema made for the test and dropped after it). A failure injected after the first insert of
a write must leave nothing behind, and the caller must get a message to show.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from cockpit.settings import load_settings
from cockpit.store import Actor, Conflict, Signal, Store, StoreError, get_store, set_store
from cockpit.store import store as store_module
from cockpit.store.migrate import head_revision
from cockpit.store.schema import (
    CASE_CLOSED,
    metadata,
    supervision_actions,
    supervision_cases,
    warning_acks,
)

LEADER = Actor("leader-1", "city_leader")
SIGNAL = Signal(
    key="economy:fai:2026-10:140400",
    kind="economy",
    title="长治市固定资产投资1-10月同比+4.0%，低于目标9.5%",
    reason="增速低于年度目标5.5个百分点",
    link="/economy?period=2026-10&indicator=fai",
    county_code="140400",
)


def _pg_schema(pg_url: str) -> str:
    """A fresh schema name for one test."""
    return f"cockpit_test_{uuid.uuid4().hex[:10]}"


def _drop_schema(pg_url: str, schema: str) -> None:
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_store(request: pytest.FixtureRequest, tmp_path: Path):
    """A store with no schema yet: a SQLite file, or a new PostgreSQL schema (dropped after)."""
    if request.param == "sqlite":
        store = Store(f"sqlite:///{tmp_path / 'store' / 'cockpit.db'}")
        yield store
        store.dispose()
        return
    pg_url = request.getfixturevalue("pg_url")
    schema = _pg_schema(pg_url)
    store = Store(pg_url, schema=schema)
    yield store
    store.dispose()
    _drop_schema(pg_url, schema)


@pytest.fixture
def store(fresh_store: Store) -> Store:
    """A store upgraded to head."""
    fresh_store.ensure_ready()
    return fresh_store


def _count(store: Store, table: sa.Table) -> int:
    with store.engine().connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def _counts(store: Store) -> tuple[int, int, int]:
    return tuple(_count(store, t) for t in (supervision_cases, supervision_actions, warning_acks))


# -- migrations ------------------------------------------------------------------------------
def test_upgrade_reaches_head_and_is_idempotent(fresh_store: Store) -> None:
    """The first upgrade creates the schema at head; a second one changes nothing."""
    assert fresh_store.revision() is None
    assert fresh_store.upgrade() == head_revision()
    assert fresh_store.upgrade() == head_revision()
    assert fresh_store.revision() == head_revision()
    assert _counts(fresh_store) == (0, 0, 0)


def test_migrations_match_the_models(store: Store) -> None:
    """The tables the migrations made are the tables the code queries (no autogenerate diff)."""
    with store.engine().connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = [
            d
            for d in compare_metadata(context, metadata)
            # SQLite reports no CHECK constraints back; both engines agree on everything else.
            if not (isinstance(d, tuple) and d[0] in ("add_constraint", "remove_constraint"))
        ]
    assert diff == []


def test_postgres_tables_live_in_the_stores_own_schema(pg_url: str) -> None:
    """With a schema, tables and the version table are created there, not in public."""
    schema = _pg_schema(pg_url)
    store = Store(pg_url, schema=schema)
    try:
        store.upgrade()
        inspector = sa.inspect(sa.create_engine(pg_url))
        assert {
            "supervision_cases",
            "supervision_actions",
            "warning_acks",
            "alembic_version",
        } <= set(inspector.get_table_names(schema=schema))
    finally:
        store.dispose()
        _drop_schema(pg_url, schema)


def _start_worker(store: Store, queue: multiprocessing.Queue) -> None:
    """A gunicorn-like worker: forked with the parent's store, upgrades, then writes."""
    try:
        store.ensure_ready()
        store.act_on_task(f"T{os.getpid()}", "任务", "140403", "催办", "", LEADER, 3)
        queue.put(("ok", store.revision()))
    except Exception as exc:
        queue.put(("error", repr(exc)))


def test_workers_starting_together_upgrade_once_and_all_write(fresh_store: Store) -> None:
    """Four forked workers upgrading at once: all succeed, one version row, four cases.

    The parent made its engine before forking, as an app imported by gunicorn may: each child
    must make its own (a pool must not cross fork()).
    """
    fresh_store.engine()
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    workers = [ctx.Process(target=_start_worker, args=(fresh_store, queue)) for _ in range(4)]
    for w in workers:
        w.start()
    results = [queue.get(timeout=60) for _ in workers]
    for w in workers:
        w.join(timeout=60)
    assert results == [("ok", head_revision())] * 4
    with fresh_store.engine().connect() as conn:
        versions = conn.execute(sa.text("SELECT version_num FROM alembic_version")).all()
    assert versions == [(head_revision(),)]
    assert _count(fresh_store, supervision_cases) == 4


def test_a_forked_process_gets_its_own_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The engine is remade when the process id changes (after a fork)."""
    store = Store(f"sqlite:///{tmp_path / 'c.db'}")
    first = store.engine()
    assert store.engine() is first
    monkeypatch.setattr(store_module.os, "getpid", lambda: -1)
    assert store.engine() is not first


# -- supervision -------------------------------------------------------------------------------
def test_first_action_on_a_task_opens_its_case(store: Store) -> None:
    """催办 on a task opens its case and records who, when, what and the comment."""
    before = dt.datetime.now(dt.UTC)
    action = store.act_on_task("ZD2026001", "修路", "140403", "催办", "请本周报进展", LEADER, 3)
    case = store.case_for_task("ZD2026001")
    assert case is not None and case.is_open and case.level == 1
    assert (case.title, case.county_code, case.opened_by) == ("修路", "140403", "leader-1")
    [saved] = store.actions(case.id)
    assert saved == action
    assert (saved.action, saved.comment, saved.actor_id, saved.actor_role) == (
        "催办",
        "请本周报进展",
        "leader-1",
        "city_leader",
    )
    assert saved.acted_at.tzinfo is not None
    assert before - dt.timedelta(seconds=5) <= saved.acted_at <= dt.datetime.now(dt.UTC)


def test_escalation_climbs_the_ladder_and_stops_at_the_top(store: Store) -> None:
    """提级督办 raises the level by one up to the top; beyond it is refused, nothing written."""
    store.act_on_task("ZD1", "任务", "140403", "提级督办", "两次催办无果", LEADER, 3)
    store.act_on_task("ZD1", "任务", "140403", "提级督办", "仍无进展", LEADER, 3)
    assert store.case_for_task("ZD1").level == 3
    with pytest.raises(Conflict, match="最高督办级别"):
        store.act_on_task("ZD1", "任务", "140403", "提级督办", "再提", LEADER, 3)
    assert [a.level_after for a in store.actions(store.case_for_task("ZD1").id)] == [2, 3]


def test_confirmed_done_closes_the_case_and_refuses_more(store: Store) -> None:
    """办结确认 closes the case; a later action is refused and not recorded."""
    store.act_on_task("ZD2", "任务", "140404", "办结确认", "", LEADER, 3)
    case = store.case_for_task("ZD2")
    assert case.status == CASE_CLOSED and case.closed_by == "leader-1" and case.closed_at
    with pytest.raises(Conflict, match="已办结确认"):
        store.act_on_task("ZD2", "任务", "140404", "催办", "", LEADER, 3)
    assert len(store.actions(case.id)) == 1


def test_a_signal_opens_one_case_with_its_link(store: Store) -> None:
    """转督办 writes the case with its link back and a 立项督办 action; twice is refused."""
    case = store.open_from_signal(SIGNAL, "", LEADER)
    assert (case.signal_key, case.link, case.county_code) == (SIGNAL.key, SIGNAL.link, "140400")
    [opened] = store.actions(case.id)
    assert (opened.action, opened.comment) == ("立项督办", SIGNAL.reason)
    with pytest.raises(Conflict) as info:
        store.open_from_signal(SIGNAL, "", LEADER)
    assert info.value.case_id == case.id
    assert store.cases_for_signals([SIGNAL.key])[SIGNAL.key].id == case.id
    assert _counts(store)[:2] == (1, 1)


def test_unknown_action_and_long_comment_are_refused(store: Store) -> None:
    """Only the four actions, and comments up to the limit."""
    with pytest.raises(StoreError, match="未知的督办动作"):
        store.act_on_task("ZD3", "任务", "140403", "删除", "", LEADER, 3)
    with pytest.raises(StoreError, match="意见过长"):
        store.act_on_task("ZD3", "任务", "140403", "催办", "字" * 2001, LEADER, 3)
    assert _counts(store) == (0, 0, 0)


def test_acknowledgement_once_per_user(store: Store) -> None:
    """签收 is recorded with who and when; the same user twice is refused; another user may."""
    ack = store.acknowledge("FX1", "燃气管网压力异常", 2, "140403", LEADER)
    assert (ack.warning_id, ack.actor_id, ack.warning_level) == ("FX1", "leader-1", 2)
    with pytest.raises(Conflict, match="已签收"):
        store.acknowledge("FX1", "燃气管网压力异常", 2, "140403", LEADER)
    store.acknowledge("FX1", "燃气管网压力异常", 2, "140403", Actor("duty-2", "emergency_office"))
    assert [a.actor_id for a in store.acks(["FX1", "FX2"])["FX1"]] == ["leader-1", "duty-2"]


# -- failures in the middle of a write ---------------------------------------------------------
def _boom(*_args: object, **_kwargs: object) -> None:
    raise RuntimeError("disk unplugged")


def test_failure_after_the_case_insert_leaves_nothing(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first action on a task inserts the case, then the action: if that fails, no case."""
    monkeypatch.setattr(store_module, "_insert_action", _boom)
    with pytest.raises(StoreError) as info:
        store.act_on_task("ZD9", "任务", "140403", "催办", "快", LEADER, 3)
    assert "未能保存" in str(info.value) and "已全部撤销" in str(info.value)
    assert _counts(store) == (0, 0, 0)
    assert store.case_for_task("ZD9") is None


def test_failure_after_the_action_insert_leaves_the_case_as_it_was(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An escalation inserts the action, then raises the level: if that fails, neither stays."""
    store.act_on_task("ZD8", "任务", "140403", "催办", "", LEADER, 3)
    monkeypatch.setattr(store_module, "_update_case", _boom)
    with pytest.raises(StoreError, match="未能保存"):
        store.act_on_task("ZD8", "任务", "140403", "提级督办", "理由", LEADER, 3)
    case = store.case_for_task("ZD8")
    assert case.level == 1
    assert [a.action for a in store.actions(case.id)] == ["催办"]


def test_failure_after_the_signal_case_insert_leaves_nothing(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """转督办 inserts the case, then its 立项督办 action: if that fails, no case either."""
    monkeypatch.setattr(store_module, "_insert_action", _boom)
    with pytest.raises(StoreError, match="转督办未能保存"):
        store.open_from_signal(SIGNAL, "", LEADER)
    assert _counts(store) == (0, 0, 0)


def test_database_error_mid_transaction_rolls_back(store: Store) -> None:
    """The database itself refusing the second statement (the UPDATE) rolls back the first."""
    store.act_on_task("ZD7", "任务", "140403", "催办", "", LEADER, 3)
    engine = store.engine()

    def refuse_update(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("UPDATE"):
            raise sa.exc.OperationalError(statement, {}, Exception("server closed the connection"))

    sa.event.listen(engine, "before_cursor_execute", refuse_update)
    try:
        with pytest.raises(StoreError, match="未能保存"):
            store.act_on_task("ZD7", "任务", "140403", "办结确认", "", LEADER, 3)
    finally:
        sa.event.remove(engine, "before_cursor_execute", refuse_update)
    case = store.case_for_task("ZD7")
    assert case.is_open
    assert [a.action for a in store.actions(case.id)] == ["催办"]


def test_an_unreachable_database_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    """A store whose database cannot be opened says so in words the user can read."""
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    store = Store(f"sqlite:///{blocker / 'cockpit.db'}")
    with pytest.raises(StoreError, match="督办数据库"):
        store.ensure_ready()


# -- configuration and the app -------------------------------------------------------------
@pytest.fixture
def settings():
    """The default configuration (no demo database needed here)."""
    return load_settings(environ={})


def test_relative_sqlite_path_is_taken_from_the_project_root(settings) -> None:
    """sqlite:///instance/cockpit.db means <base_dir>/instance/cockpit.db."""
    store = Store.from_settings(settings, environ={})
    assert Path(store.url.database) == settings.base_dir / "instance" / "cockpit.db"


def test_url_env_wins_over_url(settings, tmp_path: Path) -> None:
    """With url_env set and present, the URL comes from the environment."""
    from cockpit.settings import StoreSettings

    custom = settings.model_copy(update={"store": StoreSettings(url_env="COCKPIT_STORE_URL")})
    url = f"sqlite:///{tmp_path / 'x.db'}"
    assert str(Store.from_settings(custom, environ={"COCKPIT_STORE_URL": url}).url) == url
    bare = settings.model_copy(update={"store": StoreSettings(url=None, url_env="NOPE_X")})
    with pytest.raises(StoreError, match="NOPE_X"):
        Store.from_settings(bare, environ={})


def test_get_store_caches_on_the_hub_and_upgrades(settings, tmp_path: Path) -> None:
    """get_store makes the store once per hub, upgraded; set_store replaces it."""
    from cockpit.hub import DataHub
    from cockpit.settings import StoreSettings

    hub = DataHub(
        settings.model_copy(update={"store": StoreSettings(url=f"sqlite:///{tmp_path / 'h.db'}")}),
        {},
    )
    first = get_store(hub)
    assert get_store(hub) is first and first.revision() == head_revision()
    other = Store(f"sqlite:///{tmp_path / 'o.db'}")
    set_store(hub, other)
    assert get_store(hub) is other and other.revision() == head_revision()


def test_db_upgrade_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    """python -m cockpit db upgrade brings the configured database to head, and says so."""
    from cockpit.__main__ import main

    path = tmp_path / "cli" / "cockpit.db"
    monkeypatch.setenv("COCKPIT_STORE__URL", f"sqlite:///{path}")
    assert main(["db", "current"]) == 0
    assert "未初始化" in capsys.readouterr().out
    assert main(["db", "upgrade"]) == 0
    assert head_revision() in capsys.readouterr().out
    assert Store(f"sqlite:///{path}").revision() == head_revision()
