"""The SQL adapter: any database SQLAlchemy reaches (SQLite, PostgreSQL, DuckDB, ...).

Queries are built with SQLAlchemy Core and bound parameters, and filters, grouping, time
buckets and aggregates are pushed down to the engine: only aggregates, or the one page of
rows a user asked for, ever leave the database. The cockpit only reads from a source.
What differs between engines (time buckets, timeouts, file or server) is looked up in the
table of data_sources/dialects.py, never branched on here.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import os
import threading
from collections.abc import Iterator
from dataclasses import replace
from typing import Any, ClassVar, Literal

import pandas as pd
import sqlalchemy as sa
from pandas.api.types import is_numeric_dtype
from pydantic import Field, model_validator
from sqlalchemy.engine import make_url

from data_sources.base import DataSourceError, Health, SourceConfig, remaining_budget
from data_sources.dialects import dialect_for
from data_sources.query import BoundDataset, Col, DatasetQuery, Filter, Measure, TimeBucket

log = logging.getLogger(__name__)

_SA_TYPES: dict[str, sa.types.TypeEngine] = {
    "string": sa.String(),
    "int": sa.Integer(),
    "float": sa.Float(),
    "bool": sa.Boolean(),
    "date": sa.Date(),
    "datetime": sa.DateTime(),
}


class SqlConfig(SourceConfig):
    """A database reached through a SQLAlchemy URL."""

    kind: Literal["sql"]
    url: str | None = Field(None, description="SQLAlchemy URL without a password")
    url_env: str | None = Field(None, description="environment variable holding the full URL")
    db_schema: str | None = Field(None, alias="schema")
    pool_size: int = Field(5, ge=1, le=100)
    connect_timeout: int = Field(10, ge=1, le=300, description="seconds")
    # Below the server's callback timeout (settings check it), so a slow query fails here with
    # the cockpit's own message rather than the proxy cutting the screen off.
    query_timeout: int = Field(20, ge=1, le=3600, description="seconds one query may run")
    # DuckDB only (the embedded default and sync copies), per worker process.
    duckdb_memory_limit: str = Field(
        "64MB", pattern=r"^\d+(\.\d+)?\s*[KMGT]i?B$", description="DuckDB buffer memory"
    )
    duckdb_threads: int = Field(2, ge=1, le=64, description="DuckDB threads per worker")
    # The platform's own aggregates (materialized views) in the shape of a cockpit rollup
    # (the rollups docs/datasets.md lists, with their columns): rollup name ->
    # table. Queries they answer exactly are read from them (the frame decides).
    aggregate_tables: dict[str, str] = Field(
        default_factory=dict, description="rollup name -> the platform's aggregate table"
    )

    @model_validator(mode="after")
    def _one_url_no_secret(self) -> SqlConfig:
        if (self.url is None) == (self.url_env is None):
            raise ValueError("give exactly one of url or url_env")
        if self.url is not None:
            try:
                parsed = make_url(self.url)
            except Exception as exc:
                raise ValueError(f"not a SQLAlchemy URL: {exc}") from None
            if parsed.password:
                raise ValueError("passwords may not be written in config: put the URL in url_env")
        return self


class SqlSource:
    """Reads datasets from tables of one database."""

    kind: ClassVar[str] = "sql"
    is_demo: ClassVar[bool] = False

    def __init__(self, name: str, config: SqlConfig, *, read_only_file: bool = False) -> None:
        self.name = name
        self.config = config
        self._read_only_file = read_only_file
        self._engine: sa.Engine | None = None
        self._engine_pid: int | None = None
        self._lock = threading.Lock()
        self._identity: tuple[str, str | None] | None = None  # see version()

    # -- the engine -----------------------------------------------------------------------
    def _url(self) -> str:
        if self.config.url is not None:
            return self.config.url
        value = os.environ.get(self.config.url_env or "")
        if not value:
            raise DataSourceError(f"数据源 {self.name} 未配置：环境变量 {self.config.url_env} 为空")
        return value

    def engine(self) -> sa.Engine:
        """The engine of this process, made on first use (an engine must not cross fork())."""
        with self._lock:
            if self._engine is None or self._engine_pid != os.getpid():
                url = make_url(self._url())
                row = dialect_for(url.get_backend_name())
                connect_args = row.connect_args(
                    self.config, url.get_driver_name(), self._read_only_file
                )
                # hide_parameters: a failed query is logged without its bound values (a drill
                # to a caller filters on the raw phone number).
                kwargs: dict[str, Any] = {"hide_parameters": True, **row.engine_args(self.config)}
                engine = sa.create_engine(url, connect_args=connect_args, **kwargs)
                config = self.config
                sa.event.listen(
                    engine, "connect", lambda conn, _record: row.on_connect(conn, config)
                )
                self._engine = engine
                self._engine_pid = os.getpid()
            return self._engine

    # -- the interface --------------------------------------------------------------------
    def fetch(self, dataset: BoundDataset, query: DatasetQuery) -> pd.DataFrame:
        """Run the query on the engine and return a frame with contract column names."""
        dialect = self.engine().dialect.name
        frame = self._rows(build_select(dataset, query, dialect, self.config.db_schema), dataset)
        return coerce_types(frame, dataset, query)

    def fetch_joined(
        self, parts: list[tuple[BoundDataset, DatasetQuery]], keys: list[str]
    ) -> pd.DataFrame:
        """Several aggregate queries answered by one statement (see build_joined)."""
        dialect = self.engine().dialect.name
        stmt = build_joined(parts, keys, dialect, self.config.db_schema)
        return coerce_joined(self._rows(stmt, parts[0][0]), parts, keys)

    def _rows(self, stmt: sa.Select, dataset: BoundDataset) -> pd.DataFrame:
        """The statement's rows, or DataSourceError naming the source (never the values).

        Within a time budget (data_sources.base.time_budget: a web request's deadline) that
        is shorter than query_timeout, a watchdog cancels the statement when it runs out.
        """
        budget = remaining_budget()
        if budget is not None and budget <= 0:
            raise DataSourceError(f"数据源 {self.name} 查询超时：本次刷新的时限已用完")
        limit = budget if budget is not None and budget < self.config.query_timeout else None
        watchdog = Watchdog(limit)
        try:
            with self.engine().connect() as conn, watchdog.guard(conn):
                return rows_frame(conn.execute(stmt))
        except sa.exc.SQLAlchemyError as exc:
            if watchdog.fired:
                log.warning(
                    "source %s: %s stopped at the request's deadline", self.name, dataset.name
                )
                raise DataSourceError(
                    f"数据源 {self.name} 查询超时：本次刷新的时限内未完成"
                ) from exc
            log.warning("source %s failed on %s: %s", self.name, dataset.name, exc)
            raise DataSourceError(
                f"数据源 {self.name} 查询失败", detail=self._explain(exc, dataset)
            ) from exc

    def _explain(self, exc: sa.exc.SQLAlchemyError, dataset: BoundDataset) -> str:
        """A failed query in plain words: the dataset, and what of its table is wrong where the
        engine's catalog can tell (a missing table or column, a text column where the contract
        wants a number or a date); never the engine's own message, nor the SQL."""
        head = f"数据源 {self.name} 查询失败：数据集 {dataset.name}"
        if isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated:
            return f"{head} 无法连接数据库"
        try:
            problems = table_problems(self.engine(), dataset, self.config.db_schema)
        except Exception:
            log.warning("source %s: could not read the catalog of %s", self.name, dataset.table)
            problems = []
        if problems:
            return f"{head}：{'；'.join(problems)}"
        if isinstance(exc, sa.exc.OperationalError):
            return f"{head} 未能执行（数据库连接或超时）"
        return f"{head} 未能执行（{type(getattr(exc, 'orig', None) or exc).__name__}）"

    def aggregate_tables(self) -> dict[str, str]:
        """The platform's aggregate tables configured for this source (`aggregate_tables`):
        rollup name -> table. The frame checks the names and decides what they answer."""
        return dict(self.config.aggregate_tables)

    def health(self) -> Health:
        """Check with SELECT 1."""
        now = dt.datetime.now()
        try:
            with self.engine().connect() as conn:
                conn.execute(sa.text("SELECT 1"))
        except (sa.exc.SQLAlchemyError, DataSourceError) as exc:
            return Health(False, f"{type(exc).__name__}", now)
        return Health(True, "ok", now)

    def version(self) -> str:
        """What cache keys hold of this source: its name, the database it really reaches (the
        URL, from config or from the environment, without the password), and for a database
        file (SQLite, DuckDB) the file's change time, so that a restart against other data
        (another URL behind the same variable, a replaced file) never serves old entries."""
        if self._identity is None:  # the URL is fixed for the life of the process
            self._identity = self._where()
        version, path = self._identity
        if path is None:
            return version
        try:
            stat = os.stat(path)
        except OSError:
            return version + ":missing"
        return f"{version}:{stat.st_mtime_ns}:{stat.st_size}"

    def _where(self) -> tuple[str, str | None]:
        """A digest of the URL without its password, and the database file if there is one."""
        try:
            url = make_url(self._url())
        except DataSourceError:
            return f"sql:{self.name}:unconfigured", None
        except Exception:
            return f"sql:{self.name}:bad-url", None
        # (URL.set ignores password=None; _replace is how SQLAlchemy itself drops it)
        where = url._replace(password=None).render_as_string(hide_password=False)
        version = f"sql:{self.name}:{hashlib.sha256(where.encode()).hexdigest()[:16]}"
        is_file = dialect_for(url.get_backend_name()).file_backed
        path = url.database if is_file and url.database not in (None, "", ":memory:") else None
        return version, path

    def close(self) -> None:
        """Dispose of the pool."""
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()
            self._engine = None


# -- stopping a statement at the request's deadline ----------------------------------------
class Watchdog:
    """Cancels the statement running on a connection when `seconds` pass.

    psycopg's cancel() and the interrupt() of DuckDB and SQLite stop a statement from another
    thread, and leave the connection usable. Drivers with neither (the MySQL family's pymysql)
    rely on their session's server-side statement limit and read timeout (dialects.py).
    """

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.fired = False

    @contextlib.contextmanager
    def guard(self, conn: sa.Connection) -> Iterator[None]:
        """Arm the watchdog for the statements run inside the block."""
        if self.seconds is None:
            yield
            return
        driver = conn.connection.driver_connection
        stop = getattr(driver, "cancel", None) or getattr(driver, "interrupt", None)
        if stop is None:
            yield
            return

        def fire() -> None:
            self.fired = True
            with contextlib.suppress(Exception):  # the statement may have just ended
                stop()

        timer = threading.Timer(max(self.seconds, 0.01), fire)
        timer.daemon = True
        timer.start()
        try:
            yield
        finally:
            timer.cancel()


# -- explaining a failure -----------------------------------------------------------------
_TEXT_TYPES = (sa.types.String, sa.types.Text, sa.types.Enum)
_EXPECTED = {"int": "数值", "float": "数值", "date": "日期", "datetime": "日期时间"}


def table_problems(engine: sa.Engine, dataset: BoundDataset, schema: str | None) -> list[str]:
    """What the source's table lacks against the contract, in words for the people who fix
    it with the platform: a missing table, missing columns (source name and contract field),
    text columns where the contract wants numbers or dates. Empty when the table looks right."""
    table_schema, _, table_name = dataset.table.rpartition(".")
    found = _source_columns(engine, table_name, table_schema or schema)
    if found is None:
        return [f"数据源中没有表 {dataset.table}"]
    problems = []
    for column in dataset.columns:
        name = dataset.source_column(column.name)
        kind = found.get(name.lower())
        if name.lower() not in found:
            problems.append(f"表 {dataset.table} 没有列 {name}（字段 {column.name}）")
        elif column.type in _EXPECTED and isinstance(kind, _TEXT_TYPES):
            problems.append(
                f"表 {dataset.table} 的列 {name} 是文本类型，字段 {column.name} 应为"
                f"{_EXPECTED[column.type]}（请在前置库中转换类型）"
            )
    return problems


def _source_columns(
    engine: sa.Engine, table: str, schema: str | None
) -> dict[str, sa.types.TypeEngine | None] | None:
    """The table's columns (lower-case name -> type, None where unknown); None: no such table.

    The catalog (SQLAlchemy's inspector) gives the types; where a dialect's inspector fails
    (duckdb-engine's reads pg_catalog), an empty SELECT still gives the names."""
    try:
        columns = sa.inspect(engine).get_columns(table, schema=schema)
        return {c["name"].lower(): c["type"] for c in columns}
    except sa.exc.NoSuchTableError:
        return None
    except Exception:
        pass
    try:
        with engine.connect() as conn:
            stmt = sa.select(sa.text("*")).select_from(sa.table(table, schema=schema)).limit(0)
            # (a Result, not a dict: iterating it gives rows, keys() the column names)
            return {name.lower(): None for name in conn.execute(stmt).keys()}  # noqa: SIM118
    except sa.exc.SQLAlchemyError:
        return None


# -- building the statement ---------------------------------------------------------------
def build_select(
    dataset: BoundDataset, query: DatasetQuery, dialect: str, schema: str | None = None
) -> sa.Select:
    """Translate a DatasetQuery into one SELECT over the dataset's table."""
    # "schema.table" names the schema in the table itself; the source's `schema` is the default.
    table_schema, _, table_name = dataset.table.rpartition(".")
    table = sa.table(
        table_name,
        *(sa.column(dataset.source_column(c.name), _SA_TYPES[c.type]) for c in dataset.columns),
        schema=table_schema or schema,
    )

    def col(name: str) -> sa.ColumnElement:
        expr: sa.ColumnElement = table.c[dataset.source_column(dataset.spec(name).name)]
        if name == dataset.county_column and dataset.county_code_map:
            # Old division codes count under the division that absorbed them. The codes are
            # written into the SQL (config's digits, rendered by the engine's own quoting):
            # bound, the CASE in SELECT and in GROUP BY would differ by their placeholders,
            # which Oracle and SQL Server refuse.
            mapping = {
                sa.literal(old, literal_execute=True): sa.literal(new, literal_execute=True)
                for old, new in dataset.county_code_map.items()
            }
            expr = sa.case(mapping, value=expr, else_=expr)
        return expr

    conditions = [_condition(col, f) for f in query.filters]
    aggregate = bool(query.measures or query.group_by or query.buckets)
    labelled: dict[str, sa.ColumnElement] = {}
    if aggregate:
        groups = [col(name).label(name) for name in query.group_by]
        groups += [_bucket(col(b.column), b, dialect).label(b.name) for b in query.buckets]
        measures = [_measure(col, m).label(m.name) for m in query.measures]
        for element in groups + measures:
            labelled[element.name] = element
        stmt = sa.select(*groups, *measures).select_from(table)
        if groups:
            stmt = stmt.group_by(*(g.element for g in groups))
    else:
        names = query.columns or tuple(c.name for c in dataset.columns)
        selected = [col(name).label(name) for name in names]
        labelled = {s.name: s for s in selected}
        stmt = sa.select(*selected)
    if conditions:
        stmt = stmt.where(*conditions)
    for name, descending in query.order_by:
        if name not in labelled:
            raise DataSourceError(f"不能按 {name} 排序：它不在查询结果中")
        # Order by the expression, not its bare label: a label such as `at` is a keyword in
        # some engines (DuckDB), and an expression reads the same everywhere.
        expr = labelled[name].element
        stmt = stmt.order_by(expr.desc() if descending else expr.asc())
    if query.limit is not None:
        stmt = stmt.limit(query.limit)
    if query.offset:
        stmt = stmt.offset(query.offset)
    return stmt


def rows_frame(result: Any) -> pd.DataFrame:
    """A result's rows as a frame (plain tuples: pandas builds them twice as fast as Rows)."""
    return pd.DataFrame([tuple(row) for row in result.fetchall()], columns=list(result.keys()))


def build_joined(
    parts: list[tuple[BoundDataset, DatasetQuery]],
    keys: list[str],
    dialect: str,
    schema: str | None = None,
) -> sa.Select:
    """Aggregate queries of one database (a rollup plan's parts) as one SELECT.

    With group keys, the answer has the first part's groups, each other part's measures
    joined to them on the keys (a missing group gives NULLs, a NULL key matches a NULL key:
    what a left merge of the parts' answers gives). Without keys every part is one row, and
    the rows are put side by side. One statement instead of one per part: on small rollup
    tables the round trip of each statement costs more than the query itself."""
    subs = [
        build_select(b, q, dialect, schema).subquery(f"part{i}") for i, (b, q) in enumerate(parts)
    ]
    first = subs[0]
    joined: sa.FromClause = first
    for sub in subs[1:]:
        on = (
            sa.and_(*(first.c[k].is_not_distinct_from(sub.c[k]) for k in keys))
            if keys
            else sa.true()
        )
        joined = joined.outerjoin(sub, on) if keys else joined.join(sub, on)
    columns = [first.c[k] for k in keys]
    for sub, (_, query) in zip(subs, parts, strict=True):
        columns += [sub.c[m.name] for m in query.measures]
    return sa.select(*columns).select_from(joined)


def coerce_joined(
    frame: pd.DataFrame, parts: list[tuple[BoundDataset, DatasetQuery]], keys: list[str]
) -> pd.DataFrame:
    """Each part's columns of a build_joined answer typed as that part's own answer would be."""
    dataset, query = parts[0]
    coerce_types(frame, dataset, replace(query, measures=()), only=set(keys))
    for dataset, query in parts:
        coerce_types(frame, dataset, query, only={m.name for m in query.measures})
    return frame


def _condition(col: Any, f: Filter) -> sa.ColumnElement:
    expr = col(f.column)
    if isinstance(f.value, Col):  # compare two columns of the same row
        f = Filter(f.column, f.op, col(f.value.name))
    match f.op:
        case "eq":
            return expr == f.value
        case "ne":
            return expr != f.value
        case "in":
            return expr.in_(list(f.value))
        case "not_in":
            return expr.not_in(list(f.value))
        case "gt":
            return expr > f.value
        case "ge":
            return expr >= f.value
        case "lt":
            return expr < f.value
        case "le":
            return expr <= f.value
        case "between":
            low, high = f.value
            return expr.between(low, high)
        case "is_null":
            return expr.is_(None)
        case "not_null":
            return expr.is_not(None)
    raise DataSourceError(f"不支持的条件 {f.op}")


def _measure(col: Any, m: Measure) -> sa.ColumnElement:
    where = sa.and_(*(_condition(col, f) for f in m.where)) if m.where else None
    if m.agg == "count" and m.column is None:
        if where is None:
            return sa.func.count()
        return sa.func.coalesce(sa.func.sum(sa.case((where, 1), else_=0)), 0)
    if m.column is None:
        raise DataSourceError(f"指标 {m.name} 需要字段")
    value = col(m.column)
    if where is not None:
        value = sa.case((where, value), else_=None)
    match m.agg:
        case "count":
            return sa.func.count(value)
        case "count_distinct":
            return sa.func.count(sa.distinct(value))
        case "sum":
            return sa.func.sum(value)
        case "avg":
            return sa.func.avg(value)
        case "min":
            return sa.func.min(value)
        case "max":
            return sa.func.max(value)
    raise DataSourceError(f"不支持的聚合 {m.agg}")


def _bucket(expr: sa.ColumnElement, bucket: TimeBucket, dialect: str) -> sa.ColumnElement:
    """A calendar bucket as text (or an integer for weekday 1-7 and hour_of_day 0-23), written
    by the engine's row of data_sources.dialects."""
    return dialect_for(dialect).bucket(expr, bucket.unit)


def coerce_types(
    frame: pd.DataFrame,
    dataset: BoundDataset,
    query: DatasetQuery,
    only: set[str] | None = None,
) -> pd.DataFrame:
    """Give every engine's answer the same pandas types, so the panels see one shape (in
    place; `only` limits it to some columns)."""
    contract = {c.name: c for c in dataset.columns}
    # A min or max has the type of its column (the latest date, the last period); other
    # aggregates are numbers.
    typed_as = {
        m.name: contract[m.column]
        for m in query.measures
        if m.agg in ("min", "max") and m.column in contract
    }
    numeric = {m.name for m in query.measures} - set(typed_as)
    names = [c for c in frame.columns if only is None or c in only]
    dtypes = frame.dtypes
    # Engines mostly answer numbers already (int64 or float64 columns): only the others
    # (Decimal, text, all None) are converted, in one block assignment.
    measured = [c for c in names if c in numeric and not is_numeric_dtype(dtypes[c])]
    if measured and frame.empty:  # column by column, as DataFrame.apply keeps no type here
        for name in measured:
            frame[name] = pd.to_numeric(frame[name], errors="coerce")
    elif measured:
        frame[measured] = frame[measured].apply(pd.to_numeric, errors="coerce")
    for name in names:
        if name in numeric:
            continue
        spec = typed_as.get(name) or contract.get(name)
        if spec is None:
            continue  # a bucket label: text already
        if spec.type in ("datetime", "date"):
            frame[name] = pd.to_datetime(frame[name], errors="coerce")
            if getattr(frame[name].dt, "tz", None) is not None:
                frame[name] = frame[name].dt.tz_localize(None)
        elif spec.type in ("int", "float"):
            frame[name] = pd.to_numeric(frame[name], errors="coerce")
        elif spec.type == "bool":
            frame[name] = frame[name].astype("boolean")
        else:
            frame[name] = frame[name].astype("string")
    return frame
