"""Two ClickHouse servers of the tests' own, one shard each, and a Distributed table over both.

The servers are started from Debian's `clickhouse-server` package (.ci/run installs it) as
this test run's own processes: a config folder, data folder and free ports in a temporary
directory, never the system service; they stop when the fixture ends. Each config names
the same two-shard cluster (`remote_servers`), so a Distributed table on either server
reads both shards, as a platform's cluster does.

`load(cluster, table, frame)` creates a local MergeTree table on each shard and a Distributed
table over them, and puts alternate rows on each shard (written straight to the local
tables, so where each row lives is known and the test can count per shard).

Where no clickhouse-server binary is found the tests skip with the reason; under CI=true
they fail instead (a contract suite that silently does not run is worse than none).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

CLUSTER = "cockpit_two_shards"
START_TIMEOUT = 30.0  # seconds; both servers are usually up in under one


def server_command() -> list[str] | None:
    """How to start a ClickHouse server here: Debian's `clickhouse-server`, or the single
    `clickhouse` binary of newer packages (`clickhouse server`); None where neither exists."""
    binary = shutil.which("clickhouse-server") or shutil.which(
        "clickhouse-server", path="/usr/sbin:/usr/bin"
    )
    if binary:
        return [binary]
    single = shutil.which("clickhouse")
    return [single, "server"] if single else None


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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """One server of the cluster: its folder, ports and process."""

    folder: Path
    tcp_port: int
    http_port: int
    interserver_port: int
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        """The SQLAlchemy URL of this server (the cockpit's native-protocol dialect)."""
        return f"clickhouse+native://default@127.0.0.1:{self.tcp_port}/default"

    def client(self) -> Any:
        """A clickhouse-driver client of this server (loading data, counting per shard)."""
        from clickhouse_driver import Client

        return Client("127.0.0.1", port=self.tcp_port, connect_timeout=5)

    def answers(self) -> bool:
        """True once the server answers its HTTP ping."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}/ping", timeout=1) as r:
                return r.read().strip() == b"Ok."
        except OSError:
            return False


@dataclass
class Cluster:
    """Two servers, one shard each; `started_in` is how long starting both took (seconds)."""

    shards: list[Server]
    started_in: float = 0.0
    tables: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        """Where the cockpit connects: the first server, whose Distributed tables read both."""
        return self.shards[0].url


def _config(server: Server, shards: list[Server]) -> str:
    """A minimal server config: its own folders and ports, and the two-shard cluster."""
    d = server.folder
    replicas = "".join(
        f"<shard><replica><host>127.0.0.1</host><port>{s.tcp_port}</port></replica></shard>"
        for s in shards
    )
    return f"""<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>{d}/server.log</log><errorlog>{d}/server.err.log</errorlog>
    <size>10M</size><count>1</count></logger>
  <listen_host>127.0.0.1</listen_host>
  <tcp_port>{server.tcp_port}</tcp_port>
  <http_port>{server.http_port}</http_port>
  <interserver_http_port>{server.interserver_port}</interserver_http_port>
  <path>{d}/data/</path>
  <tmp_path>{d}/tmp/</tmp_path>
  <user_files_path>{d}/user_files/</user_files_path>
  <format_schema_path>{d}/format_schemas/</format_schema_path>
  <users_config>{d}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mark_cache_size>67108864</mark_cache_size>
  <uncompressed_cache_size>67108864</uncompressed_cache_size>
  <max_concurrent_queries>20</max_concurrent_queries>
  <remote_servers><{CLUSTER}>{replicas}</{CLUSTER}></remote_servers>
</yandex>
"""


USERS = """<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>1000000000</max_memory_usage></default></profiles>
  <users><default><password></password>
    <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
    <profile>default</profile><quota>default</quota></default></users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors>
    <result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time>
  </interval></default></quotas>
</yandex>
"""


def start_cluster(command: list[str], root: Path) -> Cluster:
    """Start two servers under `root` and wait until both answer (or raise, having stopped them)."""
    shards = [Server(root / f"shard{i}", _free_port(), _free_port(), _free_port()) for i in (1, 2)]
    cluster = Cluster(shards)
    began = time.perf_counter()
    try:
        for server in shards:
            server.folder.mkdir(parents=True)
            (server.folder / "users.xml").write_text(USERS)
            config = server.folder / "config.xml"
            config.write_text(_config(server, shards))
            log = (server.folder / "stdout.log").open("wb")
            server.process = subprocess.Popen(
                [*command, f"--config-file={config}"],
                cwd=server.folder,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
            log.close()
        deadline = time.monotonic() + START_TIMEOUT
        waiting = list(shards)
        while waiting:
            for server in list(waiting):
                if server.process.poll() is not None:
                    raise RuntimeError(
                        f"clickhouse-server exited with {server.process.returncode}: "
                        f"{_tail(server.folder)}"
                    )
                if server.answers():
                    waiting.remove(server)
            if waiting and time.monotonic() > deadline:
                raise RuntimeError(f"clickhouse-server did not answer in {START_TIMEOUT:.0f} s")
            if waiting:
                time.sleep(0.05)
    except BaseException:
        stop_cluster(cluster)
        raise
    cluster.started_in = time.perf_counter() - began
    return cluster


def _tail(folder: Path) -> str:
    """The last lines a server wrote, for the error of one that did not start."""
    lines = []
    for name in ("stdout.log", "server.err.log"):
        with contextlib.suppress(OSError):
            lines += (folder / name).read_text(errors="replace").splitlines()[-5:]
    return " | ".join(lines)


def stop_cluster(cluster: Cluster) -> None:
    """Stop both servers (SIGTERM, then SIGKILL after 10 s)."""
    for server in cluster.shards:
        if server.process is not None and server.process.poll() is None:
            server.process.terminate()
    for server in cluster.shards:
        if server.process is None:
            continue
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=10)


# -- loading a frame ------------------------------------------------------------------------
_BY_CONTRACT = {
    "string": "String",
    "int": "Int64",
    "float": "Float64",
    "bool": "UInt8",  # ClickHouse before 21.12 has no Bool type
    "date": "Date",
    "datetime": "DateTime",
}


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
