"""The command line's security: keys it refuses, the first administrator's second factor, and
no debugger in production (#21 items 4, 8, 15).

Each test runs the real entry point (`cockpit.__main__.main`, or `python -m cockpit` in a
child process where the command would serve), with its own SQLite store in tmp_path.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyotp
import pytest
import sqlalchemy as sa

from cockpit.settings import PROJECT_ROOT
from cockpit.store import Store

STRONG_KEY = "k9$Lw2!vQz7#Tn4@Xp8&Hs5^Rb3*Mc6("

# Keys an operator might type or copy from a tutorial: long enough, but patterned.
PATTERNED_KEYS = [
    "a" * 32,
    "abcd" * 8,
    "0123456789" * 3 + "01",
    "0123456789abcdefghijklmnopqrstuv",
    "abcdefghijklmnopqrstuvwxyzABCDEF",
    "qwertyuiopasdfghjklzxcvbnm123456",
    "abc123" * 6,
    "Password1" * 4,
    "9876543210zyxwvutsrqponmlkjihgfe",
]


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A production environment of this test's own: store in tmp_path, no keys set."""
    for name in ("COCKPIT_SECRET_KEY", "COCKPIT_AUDIT_KEY", "COCKPIT_DATA_KEY", "COCKPIT_APP__ENV"):
        monkeypatch.delenv(name, raising=False)
    db = tmp_path / "cli.db"
    monkeypatch.setenv("COCKPIT_STORE__URL", f"sqlite:///{db}")
    return db


def _user_rows(db: Path) -> list[Any]:
    store = Store(f"sqlite:///{db}")
    try:
        with store.engine().connect() as conn:
            if not sa.inspect(conn).has_table("users"):
                return []
            return list(conn.exec_driver_sql("SELECT username, totp_secret FROM users"))
    finally:
        store.dispose()


@pytest.mark.parametrize("key", [None, "changeme", *PATTERNED_KEYS[:4]])
def test_users_command_in_production_refuses_a_missing_or_weak_secret_key(
    cli_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    key: str | None,
) -> None:
    """Without a good COCKPIT_SECRET_KEY a production `users` command would sign the audit
    chain with another key (breaking it for good): it refuses, in one line, before acting."""
    from cockpit.__main__ import main

    if key is not None:
        monkeypatch.setenv("COCKPIT_SECRET_KEY", key)
    code = main(["users", "add", "ops", "--role", "admin"])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert "COCKPIT_SECRET_KEY" in err
    assert len(err.splitlines()) == 1, err
    assert "Traceback" not in err
    assert _user_rows(cli_env) == []  # nothing was made, nothing was audited


def test_users_command_in_production_works_with_a_strong_key(
    cli_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The control case: the same command with a strong key makes the account and audits it."""
    from cockpit.__main__ import main

    monkeypatch.setenv("COCKPIT_SECRET_KEY", STRONG_KEY)
    assert main(["users", "add", "ops", "--role", "admin"]) == 0
    assert "临时口令" in capsys.readouterr().out
    assert main(["audit", "verify"]) == 0
    assert "1 条记录" in capsys.readouterr().out


def test_users_totp_prints_the_secret_and_an_otpauth_uri(
    cli_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The README's first-administrator step: `users totp <name>` shows the secret and an
    otpauth:// link for the authenticator app; a code from that secret is the stored one."""
    from cockpit.__main__ import main
    from cockpit.security import accounts
    from cockpit.settings import load_settings

    monkeypatch.setenv("COCKPIT_SECRET_KEY", STRONG_KEY)
    assert main(["users", "add", "ops", "--role", "admin"]) == 0
    capsys.readouterr()
    assert main(["users", "totp", "ops"]) == 0
    out = capsys.readouterr().out
    shown = re.search(r"动态口令密钥：([A-Z2-7]{32})", out)
    assert shown, out
    uri = re.search(r"(otpauth://totp/\S+)", out)
    assert uri, out
    parsed = pyotp.parse_uri(uri.group(1))
    assert parsed.secret == shown.group(1)
    assert parsed.name == "ops"
    # What the sign-in reads back is the secret the operator was shown.
    store = Store.from_settings(load_settings())
    try:
        user = accounts.get_user(store, "ops")
        assert user is not None and user.totp_secret == shown.group(1)
        assert pyotp.TOTP(user.totp_secret).verify(pyotp.TOTP(shown.group(1)).now())
    finally:
        store.dispose()
    assert main(["audit", "verify"]) == 0


def test_users_totp_for_an_unknown_user_shows_no_secret(
    cli_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A refused `users totp` prints one error line and no secret."""
    from cockpit.__main__ import main

    monkeypatch.setenv("COCKPIT_SECRET_KEY", STRONG_KEY)
    assert main(["users", "totp", "nobody"]) == 2
    captured = capsys.readouterr()
    assert "otpauth://" not in captured.out and "动态口令密钥" not in captured.out
    assert "nobody" in captured.err and len(captured.err.strip().splitlines()) == 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_run_refuses_debug_in_production(demo_db: Path, tmp_path: Path) -> None:
    """`python -m cockpit run --production --debug` would serve the Werkzeug debugger to any
    signed-in user: it exits non-zero with one line instead of serving."""
    env = {
        **os.environ,
        "COCKPIT_SECRET_KEY": STRONG_KEY,
        "COCKPIT_SOURCES__DEMO__PATH": str(demo_db),
        "COCKPIT_CACHE__DIR": str(tmp_path / "cache"),
        "COCKPIT_STORE__URL": f"sqlite:///{tmp_path / 'run.db'}",
    }
    env.pop("COCKPIT_APP__ENV", None)
    command = [sys.executable, "-m", "cockpit", "run", "--production", "--debug"]
    command += ["--port", str(_free_port())]
    # Its own process group: on a cockpit that does serve, the debugger's reloader child is
    # stopped with it.
    child = subprocess.Popen(
        command,
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = child.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        child.communicate()
        pytest.fail("run --production --debug started serving")
    assert child.returncode != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "debug" in lines[0] and "Traceback" not in err


@pytest.mark.parametrize("key", PATTERNED_KEYS)
def test_patterned_secret_keys_are_refused(key: str) -> None:
    """Repeated blocks, runs of the alphabet or the keyboard: long, but guessable."""
    from cockpit.settings import secret_key_problem

    assert len(key) >= 32
    problem = secret_key_problem(key)
    assert problem is not None and "COCKPIT_SECRET_KEY" in problem


def test_patterned_secret_key_stops_a_production_app(demo_db: Path, tmp_path: Path) -> None:
    """The check is the one the app factory runs at start-up."""
    from cockpit.factory import create_app
    from cockpit.settings import ConfigError, load_settings, secret_key_problem
    from tests.conftest import demo_environ

    environ = {
        **demo_environ(demo_db, tmp_path / "cache"),
        "COCKPIT_APP__ENV": "production",
        "COCKPIT_SECRET_KEY": "0123456789abcdefghijklmnopqrstuv",
    }
    with pytest.raises(ConfigError) as caught:
        create_app(load_settings(environ=environ))
    assert caught.value.problems == [secret_key_problem("0123456789abcdefghijklmnopqrstuv")]


def test_random_secret_keys_are_accepted() -> None:
    """Keys made the way the docs say (secrets.token_hex / token_urlsafe) always pass."""
    from cockpit.settings import secret_key_problem

    keys = [secrets.token_hex(16) for _ in range(400)]
    keys += [secrets.token_urlsafe(32) for _ in range(400)]
    keys += [secrets.token_hex(32) for _ in range(100)]
    keys += [STRONG_KEY]
    refused = [k for k in keys if secret_key_problem(k) is not None]
    assert refused == []


def test_users_add_binds_a_unit_account_to_its_unit(
    cli_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 承办单位 account needs its unit (--unit); with it, the account row carries it."""
    from cockpit.__main__ import main
    from cockpit.settings import load_settings

    monkeypatch.setenv("COCKPIT_SECRET_KEY", STRONG_KEY)
    county = load_settings().city.counties[0].code
    args = ["users", "add", "zj1", "--role", "unit_staff", "--county", county]
    assert main(args) != 0
    assert "所属单位" in capsys.readouterr().err
    assert main([*args, "--unit", "市住建局"]) == 0
    store = Store(f"sqlite:///{cli_env}")
    try:
        with store.engine().connect() as conn:
            rows = list(conn.exec_driver_sql("SELECT username, unit FROM users"))
    finally:
        store.dispose()
    assert rows == [("zj1", "市住建局")]
