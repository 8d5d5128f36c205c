"""The MariaDB server of the tests (the MySQL protocol of Doris, StarRocks, TiDB, OceanBase).

Tests that need it call `mariadb_url_or_skip()`: where no server answers they are skipped
with the reason, as the PostgreSQL tests are (tests/conftest.py, pg_url).
"""

from __future__ import annotations

import os
import uuid

import pytest
import sqlalchemy as sa

MARIADB_URL = os.environ.get(
    "COCKPIT_TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/test?charset=utf8mb4"
)


def mariadb_url_or_skip() -> str:
    """The URL of a MariaDB server that answers, or a skip saying why there is none."""
    try:
        import pymysql  # noqa: F401 - the driver the URL names
    except ImportError:
        pytest.skip("pymysql not installed (requirements.txt): MariaDB tests skipped")
    try:
        engine = sa.create_engine(MARIADB_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
    except Exception as exc:
        pytest.skip(f"MariaDB not reachable at {MARIADB_URL}: {type(exc).__name__}")
    return MARIADB_URL


def unique_name(prefix: str) -> str:
    """A table or database name no parallel test run uses."""
    return f"{prefix}_{uuid.uuid4().hex[:10]}"
