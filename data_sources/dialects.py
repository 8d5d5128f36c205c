"""What differs between SQL engines, as a table: one small class per engine, looked up by the
SQLAlchemy dialect name of the URL (the idea of Superset's `db_engine_specs`).

SQLAlchemy already writes each engine's quoting, LIMIT/OFFSET (TOP, FETCH FIRST, ROWNUM) and
NULL-safe comparisons; what it does not know is the cockpit's own vocabulary, so each row
says:

- `buckets`: the text label of a time bucket ('2026-10', '2026-Q4', the Monday '2026-10-19')
  or its number (weekday 1 = Monday ... 7, hour of day 0-23), the same on every engine;
- `connect_args` / `on_connect`: the connect and statement timeouts the engine's driver takes,
  so a slow query fails with the cockpit's message before the proxy cuts the screen off;
- `file_backed`: a database file opened in this process (no pre-ping; its change time is part
  of cache keys), rather than a server;
- `compile_with`: where the engine's own SQLAlchemy dialect is not installed (tests, and a
  reader checking what SQL a city's engine will get), the built-in dialect whose SQL it reads.

Rows are SQLAlchemy Core expressions rather than sqlglot transpilation: the statements are
built with Core and bound parameters already, so a row only supplies a few expressions, and
no SQL text is parsed or rewritten on the way to the engine.

Engines that speak another's protocol share its row: Doris, StarRocks, TiDB, OceanBase (MySQL
mode) the MySQL row; 人大金仓 Kingbase the PostgreSQL row; 达梦 DM the Oracle row. An engine
with no row answers every query but time buckets, and says so plainly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, ClassVar, Protocol

import sqlalchemy as sa
from sqlalchemy.dialects import registry as _registry

from data_sources.base import DataSourceError
from data_sources.query import BucketUnit

log = logging.getLogger(__name__)

Expr = sa.ColumnElement[Any]
BucketFn = Callable[[Expr], Expr]


class TimeoutConfig(Protocol):
    """The parts of a SQL source's configuration a row reads (data_sources.sql.SqlConfig)."""

    connect_timeout: int
    query_timeout: int
    pool_size: int
    duckdb_memory_limit: str
    duckdb_threads: int


def text(value: str) -> Expr:
    """A constant rendered into the SQL text, not bound: the same bucket expression then reads
    the same in SELECT and GROUP BY, which PostgreSQL, Oracle and SQL Server require (a bound
    value there is a different placeholder each time). Only our own constants pass here."""
    return sa.literal_column("'" + value.replace("'", "''") + "'", sa.String())


def number(value: int) -> Expr:
    """An integer constant in the SQL text (bound in GROUP BY it would break as text() says)."""
    return sa.literal_column(str(int(value)), sa.Integer())


def keyword(word: str) -> Expr:
    """A bare SQL word as a function argument: DATEPART(hour, ...), VARCHAR(7)."""
    return sa.literal_column(word)


class Dialect:
    """The behaviour every engine shares; an engine's row overrides what differs."""

    label: ClassVar[str] = "other"  # shown in docs and errors
    names: ClassVar[tuple[str, ...]] = ()  # SQLAlchemy dialect names served by this row
    file_backed: ClassVar[bool] = False
    compile_with: ClassVar[str] = "default"  # see compile_dialect()
    buckets: ClassVar[dict[str, BucketFn]] = {}

    @classmethod
    def bucket(cls, expr: Expr, unit: BucketUnit) -> Expr:
        """The bucket of `expr` as text (or a number for weekday and hour_of_day)."""
        build = cls.buckets.get(unit)
        if build is None:
            raise DataSourceError(f"数据库 {cls.label} 暂不支持按 {unit} 分组")
        return build(expr)

    @classmethod
    def connect_args(cls, config: TimeoutConfig, driver: str, read_only: bool) -> dict[str, Any]:
        """Keyword arguments for the driver's connect()."""
        return {}

    @classmethod
    def engine_args(cls, config: TimeoutConfig) -> dict[str, Any]:
        """Keyword arguments for create_engine()."""
        if cls.file_backed:
            # A file opened in this process cannot have been dropped: pinging it would be one
            # more statement per query.
            return {"pool_pre_ping": False}
        # A pooled connection to a server may have been dropped while idle.
        return {"pool_pre_ping": True, "pool_size": config.pool_size}

    @classmethod
    def on_connect(cls, dbapi_connection: Any, config: TimeoutConfig) -> None:
        """Settings made on each new connection (after the driver's connect())."""


# -- the rows -----------------------------------------------------------------------------
def _strftime_formats(fmt: Callable[[Expr, str], Expr]) -> dict[str, BucketFn]:
    """hour/day/month/year buckets of an engine whose date formatting takes %Y-%m-%d %H."""
    patterns = {"hour": "%Y-%m-%d %H", "day": "%Y-%m-%d", "month": "%Y-%m", "year": "%Y"}

    def bucket(pattern: str) -> BucketFn:
        return lambda e: fmt(e, pattern)

    return {unit: bucket(p) for unit, p in patterns.items()}


def _to_char_formats() -> dict[str, BucketFn]:
    """hour/day/month/year/quarter/week buckets of an engine with TO_CHAR and TRUNC-like
    format models (PostgreSQL and Oracle families)."""
    patterns = {
        "hour": "YYYY-MM-DD HH24",
        "day": "YYYY-MM-DD",
        "month": "YYYY-MM",
        "year": "YYYY",
        "quarter": 'YYYY-"Q"Q',
    }

    def bucket(pattern: str) -> BucketFn:
        return lambda e: sa.func.to_char(e, text(pattern))

    return {unit: bucket(p) for unit, p in patterns.items()}


def _sqlite_weekday0(e: Expr) -> Expr:
    return sa.cast(sa.func.strftime("%w", e), sa.Integer)  # 0 = Sunday


class SQLite(Dialect):
    """SQLite: dates are text; strftime() formats them."""

    label = "SQLite"
    names = ("sqlite",)
    file_backed = True
    compile_with = "sqlite"
    buckets = {
        **_strftime_formats(lambda e, p: sa.func.strftime(text(p), e)),
        "weekday": lambda e: (_sqlite_weekday0(e) + 6) % 7 + 1,
        "hour_of_day": lambda e: sa.cast(sa.func.strftime("%H", e), sa.Integer),
        # the Monday that starts the week
        "week": lambda e: sa.func.date(
            e, text("-") + sa.cast((_sqlite_weekday0(e) + 6) % 7, sa.String) + text(" days")
        ),
        "quarter": lambda e: (
            sa.func.strftime(text("%Y"), e)
            + text("-Q")
            + sa.cast(
                sa.cast((sa.cast(sa.func.strftime("%m", e), sa.Integer) + 2) / 3, sa.Integer),
                sa.String,
            )
        ),
    }

    @classmethod
    def connect_args(cls, config: TimeoutConfig, driver: str, read_only: bool) -> dict[str, Any]:
        """How long to wait for a lock on the file."""
        return {"timeout": config.connect_timeout}


class DuckDB(Dialect):
    """DuckDB: the embedded demo file and sync mode's local store."""

    label = "DuckDB"
    names = ("duckdb",)
    file_backed = True
    compile_with = "duckdb"
    buckets = {
        **_strftime_formats(lambda e, p: sa.func.strftime(e, text(p))),
        "weekday": lambda e: sa.func.isodow(e),
        "hour_of_day": lambda e: sa.func.hour(e),
        "week": lambda e: sa.func.strftime(sa.func.date_trunc(text("week"), e), text("%Y-%m-%d")),
        "quarter": lambda e: (
            sa.func.strftime(e, text("%Y")) + text("-Q") + sa.cast(sa.func.quarter(e), sa.String)
        ),
    }

    @classmethod
    def connect_args(cls, config: TimeoutConfig, driver: str, read_only: bool) -> dict[str, Any]:
        """DuckDB's defaults suit one analyst on a whole machine (80% of RAM for its buffers, a
        thread per core); here it is one of several workers' engines, and its cached blocks
        are most of a worker's memory."""
        args: dict[str, Any] = {
            "config": {"memory_limit": config.duckdb_memory_limit, "threads": config.duckdb_threads}
        }
        if read_only:
            args["read_only"] = True
        return args


class PostgreSQL(Dialect):
    """PostgreSQL, and 人大金仓 KingbaseES (PostgreSQL-compatible, driver ksycopg2 on libpq)."""

    label = "PostgreSQL"
    names: ClassVar[tuple[str, ...]] = ("postgresql",)  # Kingbase adds its own
    compile_with = "postgresql"
    buckets = {
        **_to_char_formats(),
        "weekday": lambda e: sa.cast(sa.extract("isodow", e), sa.Integer),
        "hour_of_day": lambda e: sa.cast(sa.extract("hour", e), sa.Integer),
        "week": lambda e: sa.func.to_char(sa.func.date_trunc(text("week"), e), text("YYYY-MM-DD")),
    }

    @classmethod
    def connect_args(cls, config: TimeoutConfig, driver: str, read_only: bool) -> dict[str, Any]:
        """libpq's connect timeout, and a statement timeout set for the whole session."""
        return {
            "connect_timeout": config.connect_timeout,
            "options": f"-c statement_timeout={config.query_timeout * 1000}",
        }


class Kingbase(PostgreSQL):
    """人大金仓 KingbaseES: the PostgreSQL row (its SQLAlchemy dialect derives from it)."""

    label = "Kingbase"
    names = ("kingbase", "kingbasees")


class MySQL(Dialect):
    """MySQL and MariaDB, and what speaks their protocol: Doris, StarRocks, TiDB, OceanBase."""

    label = "MySQL"
    names = ("mysql", "mariadb", "doris", "starrocks", "tidb", "oceanbase")
    compile_with = "mysql"
    buckets = {
        **_strftime_formats(lambda e, p: sa.func.date_format(e, text(p))),
        # WEEKDAY(): 0 = Monday, whatever the server's locale
        "weekday": lambda e: sa.func.weekday(e) + number(1),
        "hour_of_day": lambda e: sa.func.hour(e),
        # day numbers rather than INTERVAL arithmetic: TO_DAYS/FROM_DAYS exist in every
        # engine of the family (Doris and StarRocks lack SUBDATE)
        "week": lambda e: sa.func.date_format(
            sa.func.from_days(sa.func.to_days(e) - sa.func.weekday(e)), text("%Y-%m-%d")
        ),
        "quarter": lambda e: sa.func.concat(
            sa.func.date_format(e, text("%Y")), text("-Q"), sa.cast(sa.func.quarter(e), sa.String)
        ),
    }

    @classmethod
    def connect_args(cls, config: TimeoutConfig, driver: str, read_only: bool) -> dict[str, Any]:
        """The connect timeout, and the driver's read timeout as the backstop of the statement
        limit (PyMySQL and mysqlclient both take these)."""
        return {"connect_timeout": config.connect_timeout, "read_timeout": config.query_timeout}

    @classmethod
    def on_connect(cls, dbapi_connection: Any, config: TimeoutConfig) -> None:
        """A server-side statement limit, so the server stops the query too (a read timeout
        only stops the wait). MariaDB calls it max_statement_time (seconds), MySQL and TiDB
        max_execution_time (ms); an engine of the family without either keeps the backstop."""
        version = str(getattr(dbapi_connection, "get_server_info", lambda: "")())
        if "mariadb" in version.lower():
            statement = f"SET SESSION max_statement_time = {int(config.query_timeout)}"
        else:
            statement = f"SET SESSION max_execution_time = {int(config.query_timeout) * 1000}"
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(statement)
        except Exception as exc:
            log.info("statement limit not set (%s): %s", statement, exc)
        finally:
            cursor.close()


def _oracle_weekday(e: Expr) -> Expr:
    # days since the ISO week's Monday, + 1; TO_CHAR(e, 'D') would depend on NLS_TERRITORY
    return sa.func.trunc(e) - sa.func.trunc(e, text("IW")) + number(1)


class Oracle(Dialect):
    """Oracle Database."""

    label = "Oracle"
    names = ("oracle",)
    compile_with = "oracle"
    buckets = {
        **_to_char_formats(),
        "weekday": _oracle_weekday,
        # EXTRACT(HOUR ...) refuses a DATE column (only TIMESTAMP has hours for it)
        "hour_of_day": lambda e: sa.func.to_number(sa.func.to_char(e, text("HH24"))),
        "week": lambda e: sa.func.to_char(sa.func.trunc(e, text("IW")), text("YYYY-MM-DD")),
    }

    @classmethod
    def connect_args(cls, config: TimeoutConfig, driver: str, read_only: bool) -> dict[str, Any]:
        """python-oracledb's connect timeout (cx_Oracle has none)."""
        return {"tcp_connect_timeout": config.connect_timeout} if driver == "oracledb" else {}

    @classmethod
    def on_connect(cls, dbapi_connection: Any, config: TimeoutConfig) -> None:
        """A limit on each round trip (ms): oracledb and cx_Oracle's call_timeout."""
        dbapi_connection.call_timeout = config.query_timeout * 1000


class Dameng(Oracle):
    """达梦 DM: Oracle-compatible SQL (TO_CHAR, TRUNC(d, 'IW')); dmPython takes no timeout
    arguments the cockpit knows of, so the server's own limits apply."""

    label = "达梦"
    names = ("dm",)

    @classmethod
    def connect_args(cls, config: TimeoutConfig, driver: str, read_only: bool) -> dict[str, Any]:
        """None (see the class)."""
        return {}

    @classmethod
    def on_connect(cls, dbapi_connection: Any, config: TimeoutConfig) -> None:
        """Nothing (see the class)."""


def _mssql_days(e: Expr) -> Expr:
    # days since 1900-01-01, a Monday: independent of the session's DATEFIRST and language
    return sa.func.datediff(keyword("day"), number(0), e)


def _mssql_text(e: Expr, length: int) -> Expr:
    # style 120 is ODBC canonical 'yyyy-mm-dd hh:mi:ss'; the length cuts it to the bucket
    return sa.func.convert(keyword(f"VARCHAR({length})"), e, number(120))


class SQLServer(Dialect):
    """Microsoft SQL Server."""

    label = "SQL Server"
    names = ("mssql",)
    compile_with = "mssql"
    buckets = {
        "hour": lambda e: _mssql_text(e, 13),
        "day": lambda e: _mssql_text(e, 10),
        "month": lambda e: _mssql_text(e, 7),
        "year": lambda e: _mssql_text(e, 4),
        "weekday": lambda e: _mssql_days(e) % number(7) + number(1),
        "hour_of_day": lambda e: sa.func.datepart(keyword("hour"), e),
        "week": lambda e: _mssql_text(
            sa.func.dateadd(keyword("day"), _mssql_days(e) // number(7) * number(7), number(0)),
            10,
        ),
        "quarter": lambda e: sa.func.concat(
            _mssql_text(e, 4), text("-Q"), sa.func.datepart(keyword("quarter"), e)
        ),
    }

    @classmethod
    def connect_args(cls, config: TimeoutConfig, driver: str, read_only: bool) -> dict[str, Any]:
        """pyodbc's login timeout; pymssql's login and query timeouts."""
        if driver == "pymssql":
            return {"login_timeout": config.connect_timeout, "timeout": config.query_timeout}
        if driver == "pyodbc":
            return {"timeout": config.connect_timeout}
        return {}

    @classmethod
    def on_connect(cls, dbapi_connection: Any, config: TimeoutConfig) -> None:
        """pyodbc's query timeout is an attribute of the connection, set after connect()."""
        if type(dbapi_connection).__module__.startswith("pyodbc"):
            dbapi_connection.timeout = config.query_timeout


class ClickHouse(Dialect):
    """ClickHouse: `clickhouse+native://` (the cockpit's own dialect over clickhouse-driver,
    data_sources/clickhouse.py, tested on a two-shard cluster), clickhouse-connect's
    `clickhousedb`. Function names are case-sensitive there and written as ClickHouse spells
    them."""

    label = "ClickHouse"
    names = ("clickhouse", "clickhousedb")
    compile_with = "default"  # both ClickHouse dialects build on SQLAlchemy's generic compiler
    buckets = {
        **_strftime_formats(lambda e, p: sa.func.formatDateTime(e, text(p))),
        "weekday": lambda e: sa.func.toDayOfWeek(e),  # 1 = Monday
        "hour_of_day": lambda e: sa.func.toHour(e),
        "week": lambda e: sa.func.formatDateTime(sa.func.toMonday(e), text("%Y-%m-%d")),
        "quarter": lambda e: sa.func.concat(
            sa.func.formatDateTime(e, text("%Y")),
            text("-Q"),
            sa.func.toString(sa.func.toQuarter(e)),
        ),
    }

    @classmethod
    def connect_args(cls, config: TimeoutConfig, driver: str, read_only: bool) -> dict[str, Any]:
        """clickhouse-driver's connect and socket timeouts, and the server's own statement
        limit (max_execution_time, seconds) sent with every query; other drivers take theirs
        in the URL's query string."""
        if driver != "native":
            return {}
        return {
            "connect_timeout": config.connect_timeout,
            "send_receive_timeout": config.query_timeout + 5,  # the server's limit goes first
            "settings": {"max_execution_time": config.query_timeout},
        }


ROWS: tuple[type[Dialect], ...] = (
    SQLite,
    DuckDB,
    PostgreSQL,
    Kingbase,
    MySQL,
    Oracle,
    Dameng,
    SQLServer,
    ClickHouse,
)
_BY_NAME: dict[str, type[Dialect]] = {name: row for row in ROWS for name in row.names}

# `clickhouse+native://` URLs open the cockpit's own ClickHouse dialect (registered by name:
# nothing is imported until an engine is made; see data_sources/clickhouse.py for why).
_registry.register("clickhouse.native", "data_sources.clickhouse", "ClickHouseDialect")
_registry.register("clickhouse", "data_sources.clickhouse", "ClickHouseDialect")


def dialect_for(name: str) -> type[Dialect]:
    """The row of a SQLAlchemy dialect name; a bare `Dialect` (no buckets) for an unknown one."""
    row = _BY_NAME.get(name)
    if row is not None:
        return row
    return type("Unknown", (Dialect,), {"label": name})


def compile_dialect(row: type[Dialect]) -> sa.Dialect:
    """The SQLAlchemy dialect to write this row's SQL with when the engine's own is not
    installed: the built-in one whose SQL the engine reads (`default` is SQLAlchemy's generic
    compiler, which third-party dialects such as ClickHouse's extend)."""
    if row.compile_with == "default":
        return sa.engine.default.DefaultDialect()
    from sqlalchemy.dialects import registry

    return registry.load(row.compile_with)()
