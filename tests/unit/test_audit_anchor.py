"""The audit chain's head outside the database: truncation and wiping are found (#21 item 4).

The tamperer has the database (they drop the append-only triggers, delete the newest records
and set the head back to the last remaining row, so the chain in the database is consistent)
but neither the audit key nor the append-only anchor file. Also: SM3 as the chain's HMAC, the
head sent to syslog, and `audit tail` printing a planted newline as text.
"""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from cockpit import audit
from cockpit.store.store import Store

KEY = audit.audit_key("test-secret-key-for-the-anchored-chain")


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A fresh store at head on each engine (PostgreSQL in a schema of its own)."""
    if request.param == "sqlite":
        made, schema = Store(f"sqlite:///{tmp_path / 'anchored.db'}"), None
    else:
        schema = f"anchor_{uuid.uuid4().hex[:8]}"
        made = Store(request.getfixturevalue("pg_url"), schema=schema)
    made.upgrade()
    yield made
    made.dispose()
    if schema:
        engine = sa.create_engine(request.getfixturevalue("pg_url"))
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        engine.dispose()


def _seal(tmp_path: Path, algorithm: str = "sha256") -> audit.Seal:
    return audit.Seal(KEY, algorithm, tmp_path / "audit-anchor.log")


def _write(store: Store, seal: audit.Seal | bytes, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        audit.append(
            store,
            seal,
            user_id=f"user{i}",
            role="city_staff",
            address="10.0.0.1",
            action=audit.EXPORT,
            obj=f"hotline.tickets:{i}",
            detail={"rows": i},
        )


def _truncate(engine: sa.Engine, keep: int | None) -> None:
    """Drop the guard, delete every record after `keep` (None: all), rewrite the head from
    the last remaining row: what verify used to accept."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        else:
            conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_log_no_delete")
        conn.execute(sa.text("DELETE FROM audit_log WHERE seq > :keep"), {"keep": keep or 0})
        last = conn.execute(
            sa.text("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
        ).first()
        seq, digest = last if last is not None else (0, audit.GENESIS)
        conn.execute(
            sa.text("UPDATE audit_head SET seq = :seq, hash = :hash"), {"seq": seq, "hash": digest}
        )


def test_normal_use_verifies_with_the_anchor(store: Store, tmp_path: Path) -> None:
    """Records written through the seal: the chain and every anchored head agree."""
    seal = _seal(tmp_path)
    _write(store, seal, 30)
    verdict = audit.verify(store, seal)
    assert verdict.ok and verdict.anchored and verdict.records == 30
    lines = seal.anchor.read_text().splitlines()
    assert [json.loads(line)["seq"] for line in lines] == list(range(1, 31))


def test_deleting_the_newest_twenty_and_rewriting_the_head_is_detected(
    store: Store, tmp_path: Path
) -> None:
    """The database alone looks consistent; the anchor remembers record #50."""
    seal = _seal(tmp_path)
    _write(store, seal, 50)
    _truncate(store.engine(), keep=30)
    assert audit.verify(store, KEY).ok  # the database alone: what verify used to say
    verdict = audit.verify(store, seal)
    assert not verdict.ok and "截断" in verdict.problem and verdict.seq == 31


def test_wiping_the_log_is_detected(store: Store, tmp_path: Path) -> None:
    """Every record deleted and the head set back to the start: verify fails."""
    seal = _seal(tmp_path)
    _write(store, seal, 5)
    _truncate(store.engine(), keep=None)
    verdict = audit.verify(store, seal)
    assert not verdict.ok and verdict.records == 0 and "截断" in verdict.problem


def test_truncation_then_new_records_is_still_detected(store: Store, tmp_path: Path) -> None:
    """Records written after a truncation reuse sequence numbers with other hashes."""
    seal = _seal(tmp_path)
    _write(store, seal, 10)
    _truncate(store.engine(), keep=4)
    _write(store, seal, 8, start=100)  # the app carries on: seq 5..12 again
    verdict = audit.verify(store, seal)
    assert not verdict.ok and verdict.seq == 5


def test_a_record_appended_while_verify_runs_is_not_a_truncation(tmp_path: Path) -> None:
    """The anchor check looks heads up in the database as it goes: a record committed (and
    anchored) after the chain walk counted N records is found, not reported as cut off."""
    store = Store(f"sqlite:///{tmp_path / 'live.db'}")
    store.upgrade()
    seal = _seal(tmp_path)
    _write(store, seal, 4)
    walked = audit.verify(store, seal).records
    _write(store, seal, 1, start=4)  # another worker appends between the walk and the check
    assert audit._check_anchors(store, seal, walked, 5000) == ("", None)
    _truncate(store.engine(), keep=3)
    problem, seq = audit._check_anchors(store, seal, 3, 5000)
    assert "截断" in problem and seq == 4
    store.dispose()


def test_a_forged_anchor_line_is_refused(tmp_path: Path) -> None:
    """A line appended without the key (to hide or fake a head) makes verify fail."""
    store = Store(f"sqlite:///{tmp_path / 'forged.db'}")
    store.upgrade()
    seal = _seal(tmp_path)
    _write(store, seal, 3)
    forged = {"seq": 3, "hash": "0" * 64, "alg": "sha256", "at": "x", "mac": "0" * 64}
    with seal.anchor.open("a") as handle:
        handle.write(json.dumps(forged) + "\n")
    verdict = audit.verify(store, seal)
    assert not verdict.ok and "第 4 行无效" in verdict.problem
    # A removed anchor file, with records in the database, is not a pass either.
    seal.anchor.unlink()
    assert "不存在" in audit.verify(store, seal).problem
    store.dispose()


def test_sm3_seals_the_chain_and_each_record_names_its_algorithm(
    store: Store, tmp_path: Path
) -> None:
    """Configured SM3: records carry alg=sm3 and an HMAC-SM3; a chain that changed from
    SHA-256 to SM3 verifies, and an edited SM3 record does not."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives import hmac as crypto_hmac

    _write(store, _seal(tmp_path), 2)
    sm3 = _seal(tmp_path, "sm3")
    _write(store, sm3, 3, start=2)
    with store.reading() as conn:
        rows = conn.execute(sa.text("SELECT seq, alg, hash FROM audit_log ORDER BY seq")).all()
    assert [r.alg for r in rows] == ["sha256", "sha256", "sm3", "sm3", "sm3"]
    assert audit.verify(store, sm3).ok
    # The stored hash is HMAC-SM3 over the canonical record, computed here independently.
    newest = audit.entries(store, limit=1)[0]
    payload = json.dumps(
        [
            newest.prev_hash,
            newest.seq,
            newest.at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            newest.user_id,
            newest.role,
            newest.address,
            newest.action,
            newest.object,
            newest.result,
            json.dumps(newest.detail, ensure_ascii=False, sort_keys=True),
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()
    mac = crypto_hmac.HMAC(KEY, hashes.SM3())
    mac.update(payload)
    assert newest.hash == mac.finalize().hex()
    # GB/T 32905 test vector: the SM3 this OpenSSL computes is the standard's.
    digest = hashes.Hash(hashes.SM3())
    digest.update(b"abc")
    assert digest.finalize().hex().startswith("66c7f0f462eeedd9d1f2d46bdc10e4e2")
    with store.engine().begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("DROP TRIGGER audit_log_append_only ON audit_log")
        else:
            conn.exec_driver_sql("DROP TRIGGER audit_log_no_update")
        conn.exec_driver_sql("UPDATE audit_log SET object = 'x' WHERE seq = 4")
    verdict = audit.verify(store, sm3)
    assert not verdict.ok and verdict.seq == 4


def test_the_head_also_goes_to_syslog(tmp_path: Path) -> None:
    """With audit_syslog set, each new head is sent to the syslog server as a sealed line."""
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(5)
    port = receiver.getsockname()[1]
    store = Store(f"sqlite:///{tmp_path / 'syslog.db'}")
    store.upgrade()
    seal = audit.Seal(KEY, "sha256", tmp_path / "anchor.log", f"127.0.0.1:{port}")
    _write(store, seal, 1)
    message = receiver.recv(4096).decode()
    receiver.close()
    line = message[message.index("{") :].rstrip("\x00")
    assert json.loads(line)["seq"] == 1 and "cockpit-audit" in message
    assert audit._read_anchor(seal, line + "\n")[0] == 1
    store.dispose()


def _cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    db = tmp_path / "cli.db"
    monkeypatch.setenv("COCKPIT_STORE__URL", f"sqlite:///{db}")
    monkeypatch.setenv("COCKPIT_APP__ENV", "development")
    monkeypatch.setenv("COCKPIT_AUDIT_KEY", "cli-test-audit-key-0123456789abcdef")
    return db


def test_command_line_verify_fails_on_truncation_and_wiping(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """`python -m cockpit audit verify` passes in normal use and exits 1 once the newest
    records are cut off and the head rewritten, and when the log is wiped."""
    from cockpit.__main__ import main
    from cockpit.settings import load_settings

    db = _cli_env(monkeypatch, tmp_path)
    settings = load_settings()
    store = Store(f"sqlite:///{db}")
    store.upgrade()
    _write(store, audit.seal_for(settings, store), 25)
    assert main(["audit", "verify"]) == 0
    assert "25 条记录" in capsys.readouterr().out
    _truncate(store.engine(), keep=5)
    assert main(["audit", "verify"]) == 1
    assert "截断" in capsys.readouterr().err
    _truncate(store.engine(), keep=None)
    assert main(["audit", "verify"]) == 1
    assert "截断" in capsys.readouterr().err
    store.dispose()


def test_tail_prints_a_planted_newline_as_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """A user name with a newline and tabs cannot fake a second line in `audit tail`."""
    from cockpit.__main__ import main
    from cockpit.settings import load_settings

    db = _cli_env(monkeypatch, tmp_path)
    store = Store(f"sqlite:///{db}")
    store.upgrade()
    fake = "mallory\n999\t2026-01-01 00:00:00\tadmin\t127.0.0.1\tlogin\tsession\tok"
    audit.append(
        store,
        audit.seal_for(load_settings(), store),
        user_id=fake,
        role="",
        address="10.0.0.9",
        action=audit.LOGIN_FAILED,
        obj="x\x1b[2Ky",
    )
    assert main(["audit", "tail", "-n", "5"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1
    assert "mallory\\n999\\t2026" in out[0] and "x\\x1b[2Ky" in out[0]
    store.dispose()
