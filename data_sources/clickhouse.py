"""A small SQLAlchemy dialect for ClickHouse over its native protocol (clickhouse-driver).

URL: ``clickhouse+native://user@host:9000/database`` (the form clickhouse-sqlalchemy uses, so
a city's URL reads the same whichever is installed). The password goes in the URL held by
the source's ``url_env``, as for every SQL source.

Why a dialect of our own rather than a package's:

- clickhouse-sqlalchemy (the native-protocol dialect) requires SQLAlchemy < 2.1; the cockpit
  runs 2.1, and pip cannot install both.
- clickhouse-connect's dialect (HTTP) accepts SQLAlchemy 2.1, but its client reads
  ``system.settings.readonly`` when it connects, a column ClickHouse servers before 20.x lack,
  so it cannot reach the Debian package's server (18.16) nor the older servers platforms run.
- clickhouse-driver (maintained, the native protocol of every ClickHouse since 2016) has a
  DB-API 2.0 module; SQLAlchemy's generic compiler writes the SQL ClickHouse reads, and the
  ClickHouse row of data_sources/dialects.py supplies its functions (formatDateTime,
  toMonday ...). What is left is this: connecting, booleans as 0/1, reading the catalog,
  and the one difference of ClickHouse's SQL that breaks the cockpit's statements (below).

The cockpit only reads, so there is no DDL, no INSERT and no transaction here (ClickHouse has
none; the driver's commit and rollback do nothing).

Aliases: in ClickHouse an alias of the SELECT list is visible in the whole statement and
wins over a column of the same name. The cockpit labels each answer column with its
contract name, which is usually the table's column name too, so
``CASE county_code WHEN '140402' THEN '140403' ELSE county_code END AS county_code`` (former
division codes counted under the current one) refers to itself there and fails ("not under
aggregate function and not in GROUP BY"). The compiler therefore writes such a label under
a private alias (``county_code__out``); SQLAlchemy matches a compiled statement's columns to
the answer by position, so the frame's columns keep their contract names.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from sqlalchemy.engine import default
from sqlalchemy.sql import compiler

PRIVATE_SUFFIX = "__out"


class ClickHouseCompiler(compiler.SQLCompiler):
    """The generic compiler, with labels that collide with a column written privately."""

    def visit_label(  # type: ignore[override]  # SQLAlchemy 2.1 added within_tstring; passed on in **kw
        self,
        label: Any,
        add_to_result_map: Any = None,
        within_label_clause: bool = False,
        within_columns_clause: bool = False,
        render_label_as_label: Any = None,
        result_map_targets: tuple = (),
        **kw: Any,
    ) -> str:
        """A label of the outermost SELECT named like one of its table's columns is written
        under a private alias (see the module docstring); any other label as usual.

        Only the outermost SELECT: a subquery's label is what its outer query refers to by
        name. The SQL adapter sends ClickHouse single SELECTs (build_select); the joined
        statements of rollup plans are only made for sources that keep rollup tables."""
        if (
            within_columns_clause
            and not within_label_clause
            and len(self.stack) == 1
            and isinstance(label.name, str)
            and label.name in self._column_names()
            and not _is_bare_column(label.element, label.name)
        ):
            if add_to_result_map is not None:
                add_to_result_map(
                    label.name,
                    label.name,
                    (label, label.name) + label._alt_names + result_map_targets,
                    label.type,
                )
            inner = label.element._compiler_dispatch(
                self, within_columns_clause=True, within_label_clause=True, **kw
            )
            return f"{inner} AS {self.preparer.quote(label.name + PRIVATE_SUFFIX)}"
        return super().visit_label(
            label,
            add_to_result_map=add_to_result_map,
            within_label_clause=within_label_clause,
            within_columns_clause=within_columns_clause,
            render_label_as_label=render_label_as_label,
            result_map_targets=result_map_targets,
            **kw,
        )

    def _column_names(self) -> set[str]:
        """The names of the columns of the outermost SELECT's tables."""
        select = self.stack[0].get("selectable")
        froms = select.get_final_froms() if select is not None else []  # type: ignore[attr-defined]  # a Select here
        return {c.name for table in froms for c in getattr(table, "c", ())}


def _is_bare_column(element: Any, name: str) -> bool:
    """`t.x AS x`: a label that names its own column, harmless in ClickHouse."""
    return isinstance(element, sa.ColumnClause) and element.name == name


# ClickHouse type names (without Nullable/LowCardinality) -> SQLAlchemy types, for the catalog
# checks of data_sources.sql.table_problems (a text column where the contract wants a date).
_TYPES: list[tuple[str, type[sa.types.TypeEngine]]] = [
    (r"^(Int|UInt)\d+$", sa.Integer),
    (r"^(Float\d+|Decimal.*)$", sa.Float),
    (r"^Date(32)?$", sa.Date),
    (r"^DateTime(64)?(\(.*\))?$", sa.DateTime),
    (r"^(String|FixedString\(\d+\)|Enum\d*\(.*\)|UUID)$", sa.String),
    (r"^Bool$", sa.Boolean),
]


def column_type(name: str) -> sa.types.TypeEngine | None:
    """The SQLAlchemy type of a ClickHouse type name (None where the cockpit has no use)."""
    inner = name
    for wrapper in ("Nullable", "LowCardinality"):
        while inner.startswith(wrapper + "(") and inner.endswith(")"):
            inner = inner[len(wrapper) + 1 : -1]
    for pattern, kind in _TYPES:
        if re.match(pattern, inner):
            return kind()
    return sa.types.NullType()


class ClickHouseDialect(default.DefaultDialect):
    """ClickHouse through clickhouse-driver's DB-API (``clickhouse+native://``)."""

    name = "clickhouse"
    driver = "native"
    default_paramstyle = "pyformat"
    statement_compiler = ClickHouseCompiler
    supports_statement_cache = True
    # Older servers have no boolean type (UInt8 holds 0/1, and `true` is no literal there):
    # SQLAlchemy then binds booleans as 1 and 0.
    supports_native_boolean = False
    supports_native_decimal = True
    supports_sane_rowcount = False
    postfetch_lastrowid = False
    max_identifier_length = 255

    @classmethod
    def import_dbapi(cls) -> Any:
        """clickhouse-driver's DB-API 2.0 module (imported only when an engine is made)."""
        from clickhouse_driver import dbapi

        return dbapi

    def create_connect_args(self, url: sa.URL) -> tuple[list[Any], dict[str, Any]]:
        """Host, port (9000, the native protocol's), database, user and password; the URL's
        query string as clickhouse-driver reads its own URLs (timeouts, `secure`,
        `compression` ... as connection arguments, anything else as a server setting)."""
        from clickhouse_driver.util.helpers import parse_url

        kwargs: dict[str, Any] = {
            "host": url.host or "localhost",
            "port": url.port or 9000,
            "database": url.database or "default",
        }
        if url.username:
            kwargs["user"] = url.username
        if url.password:
            kwargs["password"] = url.password
        if url.query:
            _, extra = parse_url("clickhouse://host/?" + urlencode(url.query, doseq=True))
            kwargs["url_settings"] = extra.pop("settings", {})
            kwargs.update(extra)
        return [], kwargs

    def connect(self, *cargs: Any, **cparams: Any) -> Any:
        """The driver's connection, with the URL's settings and those of the source's row
        (data_sources.dialects: max_execution_time from query_timeout) in one dict."""
        settings = {**cparams.pop("url_settings", {}), **cparams.pop("settings", {})}
        return self.loaded_dbapi.connect(*cargs, settings=settings, **cparams)

    def _get_server_version_info(self, connection: Any) -> tuple[int, ...]:
        version = connection.exec_driver_sql("SELECT version()").scalar() or ""
        return tuple(int(p) for p in re.findall(r"\d+", version)[:3])

    def _get_default_schema_name(self, connection: Any) -> str:
        return connection.exec_driver_sql("SELECT currentDatabase()").scalar()

    def get_isolation_level(self, dbapi_connection: Any) -> Any:
        """ClickHouse has no transactions; SQLAlchemy asks all the same."""
        return "AUTOCOMMIT"

    def set_isolation_level(self, dbapi_connection: Any, level: str) -> None:
        """Nothing to set (no transactions)."""

    def do_ping(self, dbapi_connection: Any) -> bool:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT 1")
        finally:
            cursor.close()
        return True

    # -- the catalog (what data_sources.sql.table_problems reads) --------------------------------
    def _columns(self, connection: Any, table_name: str, schema: str | None) -> list[tuple]:
        # (in table order: system.columns has no `position` before ClickHouse 19)
        stmt = sa.text(
            "SELECT name, type FROM system.columns WHERE database = :database AND table = :table"
        )
        database = schema or self.default_schema_name
        return list(connection.execute(stmt, {"database": database, "table": table_name}))

    def has_table(self, connection: Any, table_name: str, schema: str | None = None, **kw) -> bool:
        return bool(self._columns(connection, table_name, schema))

    def get_columns(  # type: ignore[override]  # plain dicts with ReflectedColumn's keys
        self, connection: Any, table_name: str, schema: str | None = None, **kw: Any
    ) -> list[dict[str, Any]]:
        rows = self._columns(connection, table_name, schema)
        if not rows:
            raise sa.exc.NoSuchTableError(table_name)
        return [
            {
                "name": name,
                "type": column_type(kind),
                "nullable": kind.startswith("Nullable("),
                "default": None,
            }
            for name, kind in rows
        ]

    def get_schema_names(self, connection: Any, **kw: Any) -> list[str]:
        return [r[0] for r in connection.exec_driver_sql("SELECT name FROM system.databases")]

    def get_table_names(self, connection: Any, schema: str | None = None, **kw: Any) -> list[str]:
        stmt = sa.text("SELECT name FROM system.tables WHERE database = :database")
        return [
            r[0] for r in connection.execute(stmt, {"database": schema or self.default_schema_name})
        ]
