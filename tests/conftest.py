"""Shared fixtures: a small demo database generated once per run, and a fresh app per test."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from cockpit.settings import Settings, load_settings

# A fixed end date keeps the demo data identical on every run and every day.
DEMO_END = dt.date(2026, 11, 20)
DEMO_TICKETS = 30_000


def demo_environ(db_path: Path, cache_dir: Path, **extra: str) -> dict[str, str]:
    """Environment overrides pointing the default config at a test database and cache."""
    env = {
        "COCKPIT_SOURCES__DEMO__PATH": str(db_path),
        "COCKPIT_SOURCES__DEMO__TICKETS": str(DEMO_TICKETS),
        "COCKPIT_SOURCES__DEMO__END_DATE": DEMO_END.isoformat(),
        "COCKPIT_CACHE__DIR": str(cache_dir),
        "COCKPIT_APP__ENV": "development",
        "COCKPIT_SECURITY__DEMO_ACCOUNTS_FILE": str(cache_dir.parent / "demo-accounts.txt"),
        # The cockpit's own database of this test (never instance/cockpit.db in the repo).
        "COCKPIT_STORE__URL": f"sqlite:///{cache_dir.parent / 'cockpit-store.db'}",
    }
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The path of a demo database generated once for the whole test run."""
    from cockpit.demo_data import demo_source

    folder = tmp_path_factory.mktemp("demo")
    settings = load_settings(environ=demo_environ(folder / "demo.duckdb", folder / "cache"))
    source = demo_source(
        "demo", settings.sources["demo"], city=settings.city, base_dir=settings.base_dir
    )
    return source.ensure_generated()


@pytest.fixture(scope="session")
def demo_sql(demo_db: Path, tmp_path_factory: pytest.TempPathFactory):
    """SQL over the demo data, read straight from the file: what tests check the screens against.

    It reads a copy: in one process DuckDB refuses a second connection to a file that an app's
    engine already holds with other settings.
    """
    import shutil

    import duckdb

    copy = tmp_path_factory.mktemp("demo-truth") / "demo.duckdb"
    shutil.copyfile(demo_db, copy)
    con = duckdb.connect(str(copy), read_only=True)
    yield lambda sql: con.execute(sql).df()
    con.close()


@pytest.fixture
def settings(demo_db: Path, tmp_path: Path) -> Settings:
    """Default settings on the shared demo database, with a cache of this test's own."""
    return load_settings(environ=demo_environ(demo_db, tmp_path / "cache"))


@pytest.fixture
def app(settings: Settings):
    """A fresh cockpit app for each test (as the city leader); closed afterwards."""
    from tests.apps import running_app

    yield from running_app(settings)


@pytest.fixture
def hub(app):
    """The app's data hub, used inside a request context."""
    with app.server.test_request_context("/"):
        yield app.server.extensions["cockpit_hub"]


@pytest.fixture(scope="session")
def pg_url() -> str:
    """The PostgreSQL server for tests; skipped with a reason where none answers."""
    import sqlalchemy as sa

    url = os.environ.get("COCKPIT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    try:
        engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
    except Exception as exc:
        pytest.skip(f"PostgreSQL not reachable at {url}: {type(exc).__name__}")
    return url
