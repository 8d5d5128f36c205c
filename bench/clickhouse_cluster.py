"""Two ClickHouse servers of a run's own, one shard each, named as one two-shard cluster.

Shared by the tests (tests/clickhouse_support.py: the contract suite on a Distributed table)
and the scale benchmark (bench/clickhouse_scale.py: 100M tickets over both shards). The
servers are started from Debian's `clickhouse-server` package as this run's own processes: a
config folder, data folder and free ports under a given directory, never the system service.
Each config names the same two-shard cluster (`remote_servers`), so a Distributed table on
either server reads both shards, as a platform's cluster does.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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


# A contract's column type -> ClickHouse's (the tests' loader and the scale bench's table).
BY_CONTRACT = {
    "string": "String",
    "int": "Int64",
    "float": "Float64",
    "bool": "UInt8",  # ClickHouse before 21.12 has no Bool type
    "date": "Date",
    "datetime": "DateTime",
}
