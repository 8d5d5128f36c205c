"""The audit log's hash chain: intact chains verify; edits, removals and truncation do not.

Run against SQLite and the PostgreSQL server. The tamperer here has the database (they drop
the append-only trigger first) but not the audit key.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from cockpit import audit
from cockpit.store.store import Store, StoreError

KEY = audit.audit_key("test-secret-key-for-the-audit-chain")


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path) -> Iterator[Store]:
    """A fresh store at head on each engine (PostgreSQL in a schema of its own)."""
    if request.param == "sqlite":
        made = Store(f"sqlite:///{tmp_path / 'audit.db'}")
        schema = None
    else:
        pg_url = request.getfixturevalue("pg_url")
        schema = f"audit_{uuid.uuid4().hex[:8]}"
        made = Store(pg_url, schema=schema)
    made.upgrade()
    yield made
    made.dispose()
    if schema:
        engine = sa.create_engine(request.getfixturevalue("pg_url"))
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        engine.dispose()


def _write(store: Store, n: int) -> None:
    for i in range(n):
        audit.append(
            store,
            KEY,
            user_id=f"user{i}",
            role="city_staff",
            address="10.0.0.1",
            action=audit.EXPORT,
            obj=f"hotline.tickets:{i}",
            detail={"rows": i, "note": "导出工单"},
        )


def _drop_guard(store: Store) -> None:
    """What a tamperer with the database would do first: remove the append-only trigger."""
    with store.engine().begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("DROP TRIGGER audit_log_append_only ON audit_log")
        else:
            conn.exec_driver_sql("DROP TRIGGER audit_log_no_update")
            conn.exec_driver_sql("DROP TRIGGER audit_log_no_delete")


def test_an_intact_chain_verifies(store: Store) -> None:
    """Records written one after another verify, and read back with their fields."""
    _write(store, 5)
    verdict = audit.verify(store, KEY)
    assert verdict.ok and verdict.records == 5
    newest = audit.entries(store, limit=1)[0]
    assert (newest.seq, newest.user_id, newest.detail) == (
        5,
        "user4",
        {"note": "导出工单", "rows": 4},
    )


def test_the_database_refuses_edits_and_deletes(store: Store) -> None:
    """Append-only in the database itself, not only in the app."""
    _write(store, 2)
    for statement in (
        "UPDATE audit_log SET result = 'ok' WHERE seq = 1",
        "DELETE FROM audit_log WHERE seq = 1",
    ):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), store.engine().begin() as c:
            c.exec_driver_sql(statement)
    assert audit.verify(store, KEY).ok


@pytest.mark.parametrize(
    ("tamper", "problem", "seq"),
    [
        ("UPDATE audit_log SET object = 'nothing to see' WHERE seq = 3", "内容被改动", 3),
        ("UPDATE audit_log SET at = at - INTERVAL '1 hour' WHERE seq = 2", "内容被改动", 2),
        ("DELETE FROM audit_log WHERE seq = 3", "缺失", 3),
        ("DELETE FROM audit_log WHERE seq = 5", "链尾不符", 5),
    ],
)
def test_tampering_is_detected(store: Store, tamper: str, problem: str, seq: int) -> None:
    """Edit a field, shift a time, remove a record or the newest one: verify says where."""
    _write(store, 5)
    _drop_guard(store)
    if store.engine().dialect.name == "sqlite":
        tamper = tamper.replace("at - INTERVAL '1 hour'", "datetime(at, '-1 hour')")
    with store.engine().begin() as conn:
        conn.exec_driver_sql(tamper)
    verdict = audit.verify(store, KEY)
    assert not verdict.ok
    assert problem in verdict.problem and verdict.seq == seq


def test_a_forged_record_needs_the_key(store: Store) -> None:
    """Rewriting a record and recomputing its hash without the key still fails."""
    _write(store, 3)
    _drop_guard(store)
    wrong_key = audit.audit_key("someone-elses-key")
    with store.engine().begin() as conn:
        conn.exec_driver_sql("DELETE FROM audit_log")
        conn.exec_driver_sql("UPDATE audit_head SET seq = 0, hash = '" + audit.GENESIS + "'")
    audit.append(store, wrong_key, user_id="x", role="", address="", action="login")
    assert not audit.verify(store, KEY).ok


def test_concurrent_writers_keep_one_chain(store: Store) -> None:
    """Eight threads appending at once: every record links to the one before it."""
    errors: list[Exception] = []

    def worker(n: int) -> None:
        try:
            for i in range(5):
                audit.append(
                    store, KEY, user_id=f"t{n}", role="", address="", action="login", obj=str(i)
                )
        except StoreError as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    verdict = audit.verify(store, KEY)
    assert verdict.ok and verdict.records == 40


def test_command_line_manages_users_and_verifies_the_chain(
    tmp_path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """users add / list / unlock and audit verify, as an operator runs them."""
    from cockpit.__main__ import main

    monkeypatch.setenv("COCKPIT_STORE__URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("COCKPIT_APP__ENV", "development")
    assert main(["users", "add", "ops1", "--role", "county_staff"]) == 2
    assert "须指定所属县区" in capsys.readouterr().err
    assert main(["users", "add", "ops1", "--role", "county_staff", "--county", "140403"]) == 0
    # A data account from the console waits for the security administrator (三员分立).
    assert "待安全管理员" in capsys.readouterr().out
    assert main(["users", "list"]) == 0
    assert "ops1\tcounty_staff\t140403\t停用" in capsys.readouterr().out
    assert main(["users", "unlock", "ops1"]) == 0
    assert main(["audit", "verify"]) == 0
    assert "2 条记录" in capsys.readouterr().out
    store = Store(f"sqlite:///{tmp_path / 'cli.db'}")
    with store.engine().begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER audit_log_no_update")
        conn.exec_driver_sql("UPDATE audit_log SET object = 'someone' WHERE seq = 1")
    store.dispose()
    assert main(["audit", "verify"]) == 1
    assert "记录 #1 内容被改动" in capsys.readouterr().err
