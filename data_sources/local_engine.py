"""Answer a DatasetQuery over rows already in hand (from a REST API or a file), with DuckDB.

Sources that cannot aggregate for us (a REST service, a CSV drop) hand their rows to an
in-memory DuckDB and run the very statement the SQL adapter would build, so every kind of
source gives the same answer to the same query. Large sources belong in sync mode.
"""

from __future__ import annotations

import logging

import duckdb
import pandas as pd
import sqlalchemy as sa

from data_sources.base import DataSourceError, remaining_budget
from data_sources.query import BoundDataset, DatasetQuery
from data_sources.sql import Watchdog, build_select, coerce_types

log = logging.getLogger(__name__)


def query_rows(
    rows: pd.DataFrame | str, dataset: BoundDataset, query: DatasetQuery, source: str
) -> pd.DataFrame:
    """Run the query over `rows`: a frame (in source column names), or a DuckDB SQL relation
    text such as "read_parquet('x.parquet')" that DuckDB reads without loading it whole."""
    engine = sa.create_engine("duckdb:///:memory:")
    budget = remaining_budget()
    if budget is not None and budget <= 0:
        raise DataSourceError(f"数据源 {source} 查询超时：本次刷新的时限已用完")
    watchdog = Watchdog(budget)  # a web request's deadline: DuckDB is interrupted there
    try:
        with engine.connect() as conn, watchdog.guard(conn):
            duck = conn.connection.driver_connection
            assert duck is not None  # an open connection has its driver's (DuckDB's)
            if isinstance(rows, pd.DataFrame):
                duck.register("_rows", typed_rows(rows, dataset, source))
                duck.execute(f'CREATE VIEW "{_name(dataset)}" AS SELECT * FROM _rows')
            else:
                duck.execute(f'CREATE VIEW "{_name(dataset)}" AS SELECT * FROM {rows}')
            local = BoundDataset(
                name=dataset.name,
                table=_name(dataset),
                columns=dataset.columns,
                column_map=dataset.column_map,
                county_column=dataset.county_column,
                county_code_map=dataset.county_code_map,
            )
            result = conn.execute(build_select(local, query, "duckdb"))
            frame = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
    except (sa.exc.SQLAlchemyError, duckdb.Error) as exc:
        if watchdog.fired:
            raise DataSourceError(f"数据源 {source} 查询超时：本次刷新的时限内未完成") from exc
        # The engine's own words stay in the server's log, never on a screen.
        log.warning("source %s: %s not answered: %s", source, dataset.name, _first_line(exc))
        raise DataSourceError(
            f"数据源 {source} 的数据无法按口径查询",
            detail=f"数据源 {source} 查询失败：数据集 {dataset.name} 的数据与字段口径不符"
            "（列名或类型），详见服务器日志",
        ) from exc
    finally:
        engine.dispose()
    return coerce_types(frame, dataset, query)


def typed_rows(rows: pd.DataFrame, dataset: BoundDataset, source: str) -> pd.DataFrame:
    """The rows with each contract column in its contract type (JSON and CSV carry text).

    A missing contract column is an error naming it; extra columns are kept (and ignored)."""
    out = rows.copy()
    require_columns(set(out.columns), dataset, source)
    for col in dataset.columns:
        name = dataset.source_column(col.name)
        values = out[name]
        try:
            if col.type in ("datetime", "date"):
                out[name] = pd.to_datetime(values, errors="raise", format="mixed")
            elif col.type in ("int", "float"):
                out[name] = pd.to_numeric(values, errors="raise")
            elif col.type == "bool":
                out[name] = values.map(_as_bool).astype("boolean")
            else:
                out[name] = values.astype("string")
        except (ValueError, TypeError) as exc:
            raise DataSourceError(
                f"数据源 {source} 的 {dataset.name}.{col.name} 不是 {col.type}：{str(exc)[:120]}"
            ) from exc
    return out


def require_columns(present: set[str], dataset: BoundDataset, source: str) -> None:
    """DataSourceError naming every contract column the rows (`present`: their source column
    names) lack: in plain words, where the engine's binder error would quote its SQL."""
    missing = [c.name for c in dataset.columns if dataset.source_column(c.name) not in present]
    if missing:
        raise DataSourceError(f"数据源 {source} 的 {dataset.name} 缺少字段：{'、'.join(missing)}")


_TRUE = {"1", "true", "t", "yes", "y", "是", "True"}
_FALSE = {"0", "false", "f", "no", "n", "否", "False"}


def _as_bool(value: object) -> object:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return pd.NA
    if isinstance(value, bool):
        return value
    text = str(value).strip()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"not a yes/no value: {text!r}")


def _name(dataset: BoundDataset) -> str:
    return dataset.name.replace(".", "_")


def _first_line(exc: Exception) -> str:
    text = str(getattr(exc, "orig", exc))
    return text.splitlines()[0][:200]
