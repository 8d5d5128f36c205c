"""Schema migrations of the cockpit store (Alembic, configured in code: no alembic.ini).

Several gunicorn workers may start at once and each upgrade on first use, so an upgrade runs
under a lock that spans processes (and hosts, for PostgreSQL), inside one transaction:
  PostgreSQL  pg_advisory_xact_lock, released when the migration transaction ends;
  SQLite      an exclusive flock on a file beside the database (a SQLite file is local);
and, after the lock, Alembic applies only the revisions the version table does not have,
so the second worker finds the schema at head and does nothing.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import threading
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Alembic's command API keeps its context in module globals: one upgrade at a time per process.
_ALEMBIC_LOCK = threading.Lock()


def alembic_config(connection: sa.Connection | None = None) -> Config:
    """Alembic's configuration, in code; the connection is handed to migrations/env.py."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision the code knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None  # the migrations folder ships with the code
    return head


def current_revision(engine: sa.Engine) -> str | None:
    """The revision the database is at (None before the first upgrade)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: sa.Engine, schema: str | None = None, revision: str = "head") -> str | None:
    """Bring the database to `revision` under a cross-process lock; return where it is now."""
    with _ALEMBIC_LOCK, _file_lock(engine), engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_lock_key(schema))))
            if schema:
                # After the lock: two workers creating the schema at once would collide.
                conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        command.upgrade(alembic_config(conn), revision)
        return MigrationContext.configure(conn).get_current_revision()


def downgrade(engine: sa.Engine, revision: str, schema: str | None = None) -> None:
    """Step the schema back (for development and tests of migrations)."""
    with _ALEMBIC_LOCK, _file_lock(engine), engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_lock_key(schema))))
        command.downgrade(alembic_config(conn), revision)


def _lock_key(schema: str | None) -> int:
    """A stable signed 64-bit advisory-lock key for this store (one per schema)."""
    digest = hashlib.sha256(f"cockpit-store-migrate:{schema or ''}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextlib.contextmanager
def _file_lock(engine: sa.Engine) -> Iterator[None]:
    """For a SQLite file, an exclusive lock on <file>.migrate.lock; otherwise nothing."""
    database = engine.url.database if engine.url.get_backend_name() == "sqlite" else None
    if not database or database == ":memory:" or database.startswith("file:"):
        yield
        return
    path = Path(database).with_name(Path(database).name + ".migrate.lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
