"""Two ClickHouse servers of the tests' own, one shard each, and a Distributed table over both.

The servers are started from Debian's `clickhouse-server` package (.ci/run installs it) as
this test run's own processes: a config folder, data folder and free ports in a temporary
directory, never the system service; they stop when the fixture ends. Each config names
the same two-shard cluster (`remote_servers`), so a Distributed table on either server
reads both shards, as a platform's cluster does. Starting and stopping them is
bench/clickhouse_cluster.py's, shared with the scale benchmark (bench/clickhouse_scale.py).

`load(cluster, table, frame)` creates a local MergeTree table on each shard and a Distributed
table over them, and puts alternate rows on each shard (written straight to the local
tables, so where each row lives is known and the test can count per shard).

Where no clickhouse-server binary is found the tests skip with the reason; under CI=true
they fail instead (a contract suite that silently does not run is worse than none).
"""

from __future__ import annotations

import datetime as dt
import math
import os
from typing import Any

import pandas as pd
import pytest

# The servers themselves are started by code the scale benchmark shares.
from bench.clickhouse_cluster import (  # noqa: F401 - re-exported for the tests
    BY_CONTRACT,
    CLUSTER,
    Cluster,
    Server,
    server_command,
    start_cluster,
    stop_cluster,
)


def clickhouse_or_skip() -> list[str]:
    """The server command; a skip with the reason (a failure under CI=true) where it is missing."""
    command = server_command()
    reason = None
    if command is None:
        reason = "clickhouse-server not installed (apt-get install clickhouse-server; .ci/run does)"
    else:
        try:
            import clickhouse_driver  # noqa: F401 - the driver of data_sources/clickhouse.py
        except ImportError:
            reason = "clickhouse-driver not installed (requirements.txt)"
    if reason is not None:
        if os.environ.get("CI", "").lower() in ("true", "1"):
            pytest.fail(f"{reason}: the ClickHouse contract suite must run in CI")
        pytest.skip(f"{reason}: ClickHouse tests skipped")
    return command


# -- loading a frame ------------------------------------------------------------------------
_BY_CONTRACT = BY_CONTRACT


def column_types(frame: pd.DataFrame, contract: dict[str, str] | None = None) -> dict[str, str]:
    """A Nullable ClickHouse type per column: the contract's type where it has the column,
    else the pandas type's."""
    contract = contract or {}
    types = {}
    for name in frame.columns:
        kind = contract.get(name)
        if kind is None:
            dtype = frame[name].dtype
            if pd.api.types.is_bool_dtype(dtype):
                kind = "bool"
            elif pd.api.types.is_integer_dtype(dtype):
                kind = "int"
            elif pd.api.types.is_float_dtype(dtype):
                kind = "float"
            elif pd.api.types.is_datetime64_any_dtype(dtype):
                kind = "datetime"
            else:
                kind = "string"
        types[name] = f"Nullable({_BY_CONTRACT[kind]})"
    return types


def _value(value: Any, kind: str) -> Any:
    """A cell as clickhouse-driver takes it (None for every missing value)."""
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    if value is pd.NA:
        return None
    if "UInt8" in kind:
        return int(bool(value))
    if "Int64" in kind:
        return int(value)
    if "Float64" in kind:
        return float(value)
    if "DateTime" in kind:
        return pd.Timestamp(value).to_pydatetime().replace(microsecond=0)
    if "Date" in kind:
        return pd.Timestamp(value).date() if not isinstance(value, dt.date) else value
    return str(value)


def load(
    cluster: Cluster,
    table: str,
    frame: pd.DataFrame,
    contract: dict[str, str] | None = None,
    views: dict[str, str] | None = None,
) -> None:
    """`table` (Distributed, on every server) over `table`_local (MergeTree, one per shard),
    alternate rows on each shard. `views`: materialized views the platform keeps, name ->
    the CREATE statement's `ENGINE ... AS SELECT ... FROM {local}` part; each is made on
    every shard before the rows arrive (so it sees them), with a Distributed table `name`
    over the shards' `name`_local."""
    types = column_types(frame, contract)
    columns = ", ".join(f"`{name}` {kind}" for name, kind in types.items())
    local = f"{table}_local"
    rows = [
        tuple(_value(v, types[name]) for name, v in zip(frame.columns, row, strict=True))
        for row in frame.itertuples(index=False, name=None)
    ]
    names = ", ".join(f"`{name}`" for name in frame.columns)
    for index, server in enumerate(cluster.shards):
        client = server.client()
        try:
            client.execute(f"DROP TABLE IF EXISTS {table}")
            client.execute(f"DROP TABLE IF EXISTS {local}")
            client.execute(
                f"CREATE TABLE {local} ({columns}) ENGINE = MergeTree() ORDER BY tuple()"
            )
            client.execute(
                f"CREATE TABLE {table} AS {local} "
                f"ENGINE = Distributed({CLUSTER}, default, {local}, rand())"
            )
            for view, body in (views or {}).items():
                client.execute(f"DROP TABLE IF EXISTS {view}")
                client.execute(f"DROP TABLE IF EXISTS {view}_local")
                client.execute(f"CREATE MATERIALIZED VIEW {view}_local {body.format(local=local)}")
                client.execute(
                    f"CREATE TABLE {view} AS {view}_local "
                    f"ENGINE = Distributed({CLUSTER}, default, {view}_local, rand())"
                )
            client.execute(
                f"INSERT INTO {local} ({names}) VALUES", rows[index :: len(cluster.shards)]
            )
        finally:
            client.disconnect()
    cluster.tables.append(table)


def count(server: Server, table: str) -> int:
    """The rows of `table` on one server."""
    client = server.client()
    try:
        return client.execute(f"SELECT count() FROM {table}")[0][0]
    finally:
        client.disconnect()
