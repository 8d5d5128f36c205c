"""Secrets at rest (#21 item 14, 国密): the cockpit's own SQLite file is owner-only, and
second-factor secrets are sealed with AES-256-GCM or, by configuration, SM4-GCM.

The tests read the database file's bytes and the users table as they are on disk, and sign in
through `accounts`, the path the login form takes.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pyotp
import pytest
import sqlalchemy as sa

from cockpit.security import accounts, crypto
from cockpit.settings import Settings, key_problems, load_settings
from cockpit.store import Store
from cockpit.store.schema import users
from tests.conftest import demo_environ

KEY = "k9$Lw2!vQz7#Tn4@Xp8&Hs5^Rb3*Mc6("
PASSWORD = "Chang-Zhi-2026-ok"


def _settings(tmp_path: Path, **extra: str) -> Settings:
    """Settings whose store is tmp_path/store/cockpit.db (the demo file is never opened)."""
    environ = demo_environ(tmp_path / "demo.duckdb", tmp_path / "cache", **extra)
    environ["COCKPIT_STORE__URL"] = f"sqlite:///{tmp_path / 'store' / 'cockpit.db'}"
    environ.setdefault("COCKPIT_SECRET_KEY", KEY)
    return load_settings(environ=environ)


def _store(settings: Settings) -> Store:
    store = Store.from_settings(settings)
    store.ensure_ready()
    return store


def _admin(store: Store, settings: Settings, name: str = "admin1") -> None:
    accounts.create_user(
        store,
        username=name,
        role="admin",
        password=PASSWORD,
        policy=settings.security.password,
        known_counties=[],
        must_change=False,
    )


def _raw(store: Store, name: str) -> sa.Row:
    with store.reading() as conn:
        return conn.execute(
            sa.select(users.c.totp_secret, users.c.totp_sealed).where(users.c.username == name)
        ).one()


def _file_bytes(store: Store) -> bytes:
    path = Path(store.url.database)
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*") if p.is_file())


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# -- the file ----------------------------------------------------------------------------------


def test_sqlite_store_is_created_owner_only(tmp_path: Path) -> None:
    """The database, its -wal and -shm files and the folder made for it: nobody else reads
    password hashes and second-factor secrets (was 0644 under the usual umask 022)."""
    old = os.umask(0o022)
    try:
        settings = _settings(tmp_path)
        store = _store(settings)
        _admin(store, settings)
        path = Path(store.url.database)
        companions = [p for p in path.parent.glob("cockpit.db*") if not p.name.endswith(".lock")]
        assert {p.name for p in companions} >= {"cockpit.db", "cockpit.db-wal", "cockpit.db-shm"}
        assert {p.name: _mode(p) for p in companions} == {p.name: 0o600 for p in companions}
        assert _mode(path.parent) == 0o700
        store.dispose()
    finally:
        os.umask(old)


def test_a_world_readable_store_from_before_is_tightened(tmp_path: Path) -> None:
    """A file an earlier version left 0644 becomes 0600 when the store opens it."""
    settings = _settings(tmp_path)
    store = _store(settings)
    path = Path(store.url.database)
    store.dispose()
    path.chmod(0o644)
    store = _store(settings)
    assert _mode(path) == 0o600
    store.dispose()


# -- second-factor secrets ---------------------------------------------------------------------


def test_totp_secret_is_sealed_in_the_database(tmp_path: Path) -> None:
    """What the database holds is a versioned, tagged AES-GCM value: the secret is nowhere in
    the file; the sign-in reads the secret back."""
    settings = _settings(tmp_path)
    store = _store(settings)
    _admin(store, settings)
    secret = pyotp.random_base32()
    accounts.set_totp(store, "admin1", secret)
    raw = _raw(store, "admin1")
    assert raw.totp_secret is None
    assert raw.totp_sealed.startswith("enc1:aes-256-gcm:")
    assert secret.encode() not in _file_bytes(store)
    assert accounts.get_user(store, "admin1").totp_secret == secret
    signed = accounts.sign_in(store, "admin1", PASSWORD, attempts=5, lock_minutes=15)
    assert signed.outcome == "ok" and signed.user.totp_secret == secret
    store.dispose()


def test_sm4_is_chosen_by_configuration(tmp_path: Path) -> None:
    """security.at_rest.algorithm: sm4-gcm seals with SM4 (商用密码) and reads it back."""
    settings = _settings(tmp_path, COCKPIT_SECURITY__AT_REST__ALGORITHM="sm4-gcm")
    store = _store(settings)
    _admin(store, settings)
    secret = pyotp.random_base32()
    accounts.set_totp(store, "admin1", secret)
    assert _raw(store, "admin1").totp_sealed.startswith("enc1:sm4-gcm:")
    assert secret.encode() not in _file_bytes(store)
    assert accounts.get_user(store, "admin1").totp_secret == secret
    store.dispose()


def test_a_city_switching_to_sm4_keeps_its_secrets_and_reseals_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Values sealed with AES stay readable after the switch; `users reseal` seals them with
    SM4, and a sign-in does the same for its own user."""
    from cockpit.__main__ import main

    aes = _settings(tmp_path)
    store = _store(aes)
    _admin(store, aes, "admin1")
    _admin(store, aes, "admin2")
    secrets = {name: pyotp.random_base32() for name in ("admin1", "admin2")}
    for name, secret in secrets.items():
        accounts.set_totp(store, name, secret)
    store.dispose()

    sm4 = _settings(tmp_path, COCKPIT_SECURITY__AT_REST__ALGORITHM="sm4-gcm")
    store = _store(sm4)
    assert accounts.get_user(store, "admin1").totp_secret == secrets["admin1"]
    accounts.sign_in(store, "admin1", PASSWORD, attempts=5, lock_minutes=15)
    assert _raw(store, "admin1").totp_sealed.startswith("enc1:sm4-gcm:")
    assert _raw(store, "admin2").totp_sealed.startswith("enc1:aes-256-gcm:")

    monkeypatch.setenv("COCKPIT_STORE__URL", str(store.url))
    monkeypatch.setenv("COCKPIT_SECRET_KEY", KEY)
    monkeypatch.setenv("COCKPIT_SECURITY__AT_REST__ALGORITHM", "sm4-gcm")
    assert main(["users", "reseal"]) == 0
    assert "重新加密 1 个" in capsys.readouterr().out
    from cockpit import audit

    (record,) = audit.entries(store, limit=1)
    assert record.detail["command"] == "reseal"  # the switch is in the audit log
    assert _raw(store, "admin2").totp_sealed.startswith("enc1:sm4-gcm:")
    for name, secret in secrets.items():
        assert accounts.get_user(store, name).totp_secret == secret
    store.dispose()


def test_a_plain_secret_from_before_is_read_then_sealed_at_sign_in(tmp_path: Path) -> None:
    """A database written before encryption at rest keeps working, and is sealed as it goes."""
    settings = _settings(tmp_path)
    store = _store(settings)
    _admin(store, settings)
    secret = pyotp.random_base32()
    with store.writing("test") as conn:
        conn.execute(users.update().values(totp_secret=secret))  # as version 0003 stored it
    assert accounts.get_user(store, "admin1").totp_secret == secret
    accounts.sign_in(store, "admin1", PASSWORD, attempts=5, lock_minutes=15)
    raw = _raw(store, "admin1")
    assert raw.totp_secret is None and raw.totp_sealed.startswith("enc1:")
    assert accounts.get_user(store, "admin1").totp_secret == secret
    store.dispose()


def test_a_sealed_secret_copied_into_another_row_does_not_open(tmp_path: Path) -> None:
    """Whoever can write the table cannot give the administrator their own authenticator's
    secret: the value is bound to its user, and the second factor stays on (fails closed)."""
    settings = _settings(tmp_path)
    store = _store(settings)
    _admin(store, settings, "admin1")
    _admin(store, settings, "mallory")
    mine = pyotp.random_base32()
    accounts.set_totp(store, "mallory", mine)
    accounts.set_totp(store, "admin1", pyotp.random_base32())
    with store.writing("test") as conn:
        conn.execute(
            users.update()
            .where(users.c.username == "admin1")
            .values(totp_sealed=_raw(store, "mallory").totp_sealed)
        )
    admin = accounts.get_user(store, "admin1")
    assert admin.totp_secret  # still asked for a code
    assert not pyotp.TOTP(admin.totp_secret).verify(pyotp.TOTP(mine).now())
    store.dispose()


def test_another_data_key_cannot_open_secrets(tmp_path: Path) -> None:
    """The key lives in the environment, not in the database: with another COCKPIT_DATA_KEY
    the stored value does not open, and no code is accepted."""
    settings = _settings(tmp_path)
    store = _store(settings)
    _admin(store, settings)
    secret = pyotp.random_base32()
    accounts.set_totp(store, "admin1", secret)
    store.dispose()
    other = _store(_settings(tmp_path, COCKPIT_DATA_KEY="Vq7#mZ2!pL9$wX4@tR8&kN3^hB6*jC5("))
    seen = accounts.get_user(other, "admin1").totp_secret
    assert seen and seen != secret
    assert not pyotp.TOTP(seen).verify(pyotp.TOTP(secret).now())
    assert accounts.reseal_secrets(other) == (0, [])  # same algorithm: nothing to do
    other.dispose()


# -- the crypto module -------------------------------------------------------------------------


def _box(settings: Settings) -> crypto.AtRest:
    return crypto.at_rest(settings)


@pytest.mark.parametrize("algorithm", crypto.ALGORITHMS)
def test_sealed_values_are_tagged_random_and_tamper_evident(tmp_path: Path, algorithm: str) -> None:
    """Each value names its format and algorithm, differs each time (random nonce), and any
    change to it or to its context is refused."""
    box = _box(_settings(tmp_path, COCKPIT_SECURITY__AT_REST__ALGORITHM=algorithm))
    one = box.encrypt("JBSWY3DPEHPK3PXP", context="users.totp_secret:a")
    two = box.encrypt("JBSWY3DPEHPK3PXP", context="users.totp_secret:a")
    assert one.startswith(f"enc1:{algorithm}:") and one != two
    assert box.decrypt(one, context="users.totp_secret:a") == "JBSWY3DPEHPK3PXP"
    with pytest.raises(crypto.CryptoError):
        box.decrypt(one, context="users.totp_secret:b")
    flipped = one[:-3] + ("A" if one[-3] != "A" else "B") + one[-2:]
    with pytest.raises(crypto.CryptoError):
        box.decrypt(flipped, context="users.totp_secret:a")
    assert "k9$" not in repr(box)


def test_sm4_gcm_matches_the_published_test_vector() -> None:
    """SM4-GCM as OpenSSL does it for us matches RFC 8998 appendix A.1 (GB/T 32907 SM4)."""
    key = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
    nonce = bytes.fromhex("00001234567800000000ABCD")
    aad = bytes.fromhex("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2")
    plain = bytes.fromhex(
        "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD"
        "EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA"
    )
    expected = bytes.fromhex(
        "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735"
        "D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D"
        "83DE3541E4C2B58177E065A9BF7B62EC"  # the tag
    )
    assert crypto._sm4_gcm_seal(key, nonce, aad, plain) == expected
    assert crypto._sm4_gcm_open(key, nonce, aad, expected) == plain


def test_production_never_seals_with_the_development_key(tmp_path: Path) -> None:
    """Without COCKPIT_SECRET_KEY (or COCKPIT_DATA_KEY) in production there is no key to seal
    with: a refusal, not the development key from instance/."""
    environ = demo_environ(tmp_path / "demo.duckdb", tmp_path / "cache")
    environ["COCKPIT_APP__ENV"] = "production"
    box = crypto.at_rest(load_settings(environ=environ))
    with pytest.raises(crypto.CryptoError, match="COCKPIT_SECRET_KEY"):
        box.encrypt("x", context="t")


def test_a_weak_data_key_is_refused_in_production(tmp_path: Path) -> None:
    """COCKPIT_DATA_KEY, when given, is held to the secret key's standard."""
    settings = _settings(tmp_path, COCKPIT_DATA_KEY="abcd" * 8)
    assert [p.split(":")[0] for p in key_problems(settings)] == ["COCKPIT_DATA_KEY"]


def test_this_openssl_offers_the_national_algorithms() -> None:
    """The SM4 and SM3 offered by configuration are real here (the check start-up uses)."""
    assert crypto.available("sm4-gcm") and crypto.available("sm3")
    assert not crypto.available("des")


def test_the_instance_folder_made_for_the_development_key_is_owner_only(tmp_path: Path) -> None:
    """In development instance/ is first made for the kept secret key; the store's database
    goes there too, so the folder is 0700 and the key 0600."""
    from cockpit.factory import secret_key

    old = os.umask(0o022)
    try:
        settings = _settings(tmp_path).model_copy(update={"base_dir": tmp_path / "app"})
        settings = settings.model_copy(update={"secret_key": None})
        assert len(secret_key(settings)) == 64
    finally:
        os.umask(old)
    assert _mode(tmp_path / "app" / "instance") == 0o700
    assert _mode(tmp_path / "app" / "instance" / "secret_key") == 0o600


@pytest.mark.postgres
@pytest.mark.parametrize("algorithm", crypto.ALGORITHMS)
def test_sealed_secrets_fit_and_open_on_postgresql(
    tmp_path: Path, pg_url: str, algorithm: str
) -> None:
    """On PostgreSQL (where column lengths are enforced) a sealed secret is stored whole and
    a plain one from before is sealed at sign-in."""
    import uuid

    settings = _settings(tmp_path, COCKPIT_SECURITY__AT_REST__ALGORITHM=algorithm)
    schema = f"cockpit_secrets_{uuid.uuid4().hex[:10]}"
    store = Store(pg_url, schema=schema, at_rest=crypto.at_rest(settings))
    try:
        store.ensure_ready()
        _admin(store, settings, "admin1")
        _admin(store, settings, "admin2")
        secret = pyotp.random_base32()
        accounts.set_totp(store, "admin1", secret)
        assert _raw(store, "admin1").totp_sealed.startswith(f"enc1:{algorithm}:")
        assert accounts.get_user(store, "admin1").totp_secret == secret
        with store.writing("test") as conn:
            conn.execute(
                users.update().where(users.c.username == "admin2").values(totp_secret=secret)
            )
        accounts.sign_in(store, "admin2", PASSWORD, attempts=5, lock_minutes=15)
        assert _raw(store, "admin2").totp_secret is None
        assert accounts.get_user(store, "admin2").totp_secret == secret
    finally:
        store.dispose()
        engine = sa.create_engine(pg_url)
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        engine.dispose()
