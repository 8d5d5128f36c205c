"""Several app hosts on one machine, each in a network namespace of its own, behind nginx.

    sudo python -m bench.multihost --hosts 3          # start, print the address, Ctrl-C ends
    sudo python -m bench.multihost --hosts 3 --account leader   # and a city leader account
    sudo python -m bench.multihost --throughput       # pages/s with 1, 2, 3 hosts; then stop

What it builds (and removes again, also after a failure, Ctrl-C or SIGTERM; a run killed
outright takes its processes with it (PR_SET_PDEATHSIG) and the next run, or `--reap`,
removes the namespaces, bridge and database it left, from a record under /tmp):

- a bridge with one veth pair per host, each host's end moved into a namespace of its own
  (`ip netns`): every host has its own network stack, so all of them listen on the same
  address and port (:8050) as real machines do, and each is its own gunicorn (master and
  workers, their own memory and sockets). They share only what real hosts share: the code and
  configuration on disk, and the services on the network;
- PostgreSQL and Redis as those services. They listen on 127.0.0.1 only, which a namespace
  cannot reach (it has a loopback of its own), so a `socat` relay listens on the bridge's
  address (the "database server" as the hosts see it) and forwards to them. Nothing in the
  services' own configuration changes. The cockpit's database is a fresh PostgreSQL database
  made for the run and dropped after it; the cache is a Redis logical database of its own,
  emptied before and after;
- nginx (Debian's package) in the root namespace as the load balancer, with the proxy rules of
  `deploy/nginx/cockpit-proxy.conf` (the same file production includes) and an upstream of the
  hosts' addresses.

Needs root (namespaces, nginx), `ip`, `nginx`, `socat`, and PostgreSQL and Redis on loopback.
The multi-host test (tests/app/test_multihost.py) uses the same Cluster.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
PROXY_RULES = ROOT / "deploy" / "nginx" / "cockpit-proxy.conf"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REDIS_DB = 13  # a logical database no other test uses; emptied before and after a run
PREFIX = "cockpit-mh-"  # namespaces of this tool: cockpit-mh-<run>-<host>
TICKETS = 20_000  # demo tickets: small, the test is about hosts, not data volume
APP_PORT = 8050
# One file per live run (its owner's pid and what it made), so a later run or `--reap` can
# remove what a run killed outright (SIGKILL, a CI timeout) left behind.
RUNS = Path(tempfile.gettempdir()) / "cockpit-multihost-runs"
PR_SET_PDEATHSIG = 1


def say(text: str) -> None:
    """Progress on stderr (the address goes to stdout)."""
    print(text, file=sys.stderr, flush=True)


def missing() -> str | None:
    """Why a cluster cannot be built on this machine (None: it can)."""
    if os.geteuid() != 0:
        return "needs root (network namespaces, nginx)"
    for tool in ("ip", "nginx", "socat"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (Debian: apt-get install -y iproute2 nginx socat)"
    for port, name in ((5432, "PostgreSQL"), (6379, "Redis")):
        with socket.socket() as s:
            s.settimeout(1)
            if s.connect_ex(("127.0.0.1", port)) != 0:
                return f"{name} is not listening on 127.0.0.1:{port}"
    return None


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], check=check, capture_output=True, text=True)


def _die_with_parent() -> None:
    """In the child, before exec: SIGKILL it when the process that started it dies, so a
    run killed outright takes its gunicorns, nginx and relays with it (Linux prctl)."""
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(address: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex((address, port)) == 0


def _free_subnet() -> str:
    """A 10.213.N.0/24 not used on this machine (its first three octets)."""
    used = _ip("-4", "addr").stdout + _ip("-4", "route").stdout
    for n in random.sample(range(1, 255), 254):
        if f"10.213.{n}." not in used:
            return f"10.213.{n}"
    raise RuntimeError("no free 10.213.N.0/24 subnet")


@dataclass
class Host:
    """One app host: its namespace, address and gunicorn."""

    index: int
    namespace: str
    address: str
    log: Path
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        """The host's own address (reachable from the root namespace, bypassing nginx)."""
        return f"http://{self.address}:{APP_PORT}"


@dataclass
class Cluster:
    """n gunicorn hosts in namespaces, PostgreSQL and Redis shared, nginx in front."""

    hosts: int = 3
    workers: int = 1
    workdir: Path | None = None
    pg_admin_url: str = field(
        default_factory=lambda: os.environ.get("COCKPIT_TEST_PG_URL", DEFAULT_PG)
    )
    redis_db: int = REDIS_DB
    extra_env: dict[str, str] = field(default_factory=dict)
    # Called once the database exists and before the hosts start (e.g. to load a table).
    setup: Callable[[Cluster], None] | None = None

    def __post_init__(self) -> None:
        self.run = secrets.token_hex(3)
        self.subnet = ""
        self.bridge = f"mhb{self.run}"
        self.members: list[Host] = []
        self.relays: list[subprocess.Popen] = []
        self.nginx: subprocess.Popen | None = None  # the front of all hosts (self.url)
        self.fronts: list[subprocess.Popen] = []  # every nginx started, that one included
        self.port = 0
        self.database = f"cockpit_mh_{self.run}"
        self.env: dict[str, str] = {}
        self._own_workdir = self.workdir is None
        self._made: list[str] = []  # what to undo, in order: "bridge", "ns:<name>", "db"
        self._old_sigterm: object = None

    # -- addresses ------------------------------------------------------------------------
    @property
    def gateway(self) -> str:
        """The bridge's address: where the hosts find PostgreSQL, Redis and test services."""
        return f"{self.subnet}.1"

    @property
    def url(self) -> str:
        """nginx: the one address users open."""
        return f"http://127.0.0.1:{self.port}"

    def store_url(self, host_side: bool = False) -> str:
        """The run's database: as the hosts reach it (through the relay) or from here."""
        from sqlalchemy.engine import make_url

        url = make_url(self.pg_admin_url).set(database=self.database)
        if host_side:
            url = url.set(host=self.gateway, port=5432)
        return url.render_as_string(hide_password=False)

    # -- life -----------------------------------------------------------------------------
    def start(self) -> Cluster:
        """Build everything; on any failure, undo what was built and raise."""
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        if self.workdir is None:
            self.workdir = Path(tempfile.mkdtemp(prefix="cockpit-multihost-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        reap_stale()
        self._record()
        self._catch_sigterm()
        self._network()
        self._relays()
        self._database_and_cache()
        self._demo_data()
        self._env()
        if self.setup is not None:
            self.setup(self)
        self._migrate()
        for host in self.members:
            self.start_host(host)
        for host in self.members:
            self.wait_ready(host)
        self._nginx()

    def _record(self, **more: object) -> None:
        """Write (or update) this run's record: who owns it and what it made."""
        import json

        RUNS.mkdir(parents=True, exist_ok=True)
        path = RUNS / f"{self.run}.json"
        record = json.loads(path.read_text()) if path.exists() else {}
        record |= {
            "owner": os.getpid(),
            "bridge": self.bridge,
            "database": self.database,
            "pg_admin_url": self.pg_admin_url,
            "workdir": str(self.workdir),
            "own_workdir": self._own_workdir,
            "gateway": self.gateway if self.subnet else None,
        } | more
        path.write_text(json.dumps(record))

    def _catch_sigterm(self) -> None:
        """SIGTERM (a CI timeout, `kill`) ends the run as Ctrl-C does, so its teardown runs
        (pytest finalises the fixture; the operator's tool stops the cluster)."""
        import threading

        if threading.current_thread() is not threading.main_thread():
            return
        if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
            self._old_sigterm = signal.signal(signal.SIGTERM, _interrupt)

    def _network(self) -> None:
        self.subnet = _free_subnet()
        say(f"network {self.subnet}.0/24 on bridge {self.bridge}")
        _ip("link", "add", self.bridge, "type", "bridge")
        self._made.append("bridge")
        _ip("addr", "add", f"{self.gateway}/24", "dev", self.bridge)
        _ip("link", "set", self.bridge, "up")
        for i in range(self.hosts):
            ns = f"{PREFIX}{self.run}-{i}"
            outside, inside = f"mh{self.run}h{i}", f"mh{self.run}n{i}"
            _ip("netns", "add", ns)
            self._made.append(f"ns:{ns}")
            _ip("link", "add", outside, "type", "veth", "peer", "name", inside)
            _ip("link", "set", inside, "netns", ns)
            _ip("link", "set", outside, "master", self.bridge)
            _ip("link", "set", outside, "up")
            address = f"{self.subnet}.{11 + i}"
            _ip("-n", ns, "link", "set", "lo", "up")
            _ip("-n", ns, "link", "set", inside, "name", "eth0")
            _ip("-n", ns, "addr", "add", f"{address}/24", "dev", "eth0")
            _ip("-n", ns, "link", "set", "eth0", "up")
            self.members.append(Host(i, ns, address, self.workdir / f"host-{i}.log"))

    def _relays(self) -> None:
        """socat on the bridge's address, forwarding to the loopback-only services."""
        for port in (5432, 6379):
            self.relays.append(
                subprocess.Popen(
                    [
                        "socat",
                        f"TCP-LISTEN:{port},bind={self.gateway},reuseaddr,fork",
                        f"TCP:127.0.0.1:{port}",
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    preexec_fn=_die_with_parent,
                )
            )
        deadline = time.monotonic() + 5
        for port in (5432, 6379):
            while not _answers(self.gateway, port):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"socat relay on {self.gateway}:{port} did not start")
                time.sleep(0.05)

    def _database_and_cache(self) -> None:
        import redis
        import sqlalchemy as sa

        engine = sa.create_engine(self.pg_admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{self.database}"')
        engine.dispose()
        self._made.append("db")
        self._record(relays=[r.pid for r in self.relays])
        redis.Redis(host="127.0.0.1", port=6379, db=self.redis_db).flushdb()

    def _demo_data(self) -> None:
        """One small demo database, read by every host (as each would read its sync copy)."""
        self.demo = self.workdir / "demo.duckdb"
        self.end_date = time.strftime("%Y-%m-%d")
        if self.demo.exists():
            return
        say(f"demo data ({TICKETS} tickets)")
        subprocess.run(
            [
                sys.executable,
                "-m",
                "cockpit",
                "demo-data",
                "--out",
                str(self.demo),
                "--tickets",
                str(TICKETS),
                "--end-date",
                self.end_date,
            ],
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def _env(self) -> None:
        """What every host is started with (docs/deployment.md), the same on all of them."""
        self.env = (
            {k: v for k, v in os.environ.items() if not k.startswith("COCKPIT_")}
            | {
                "COCKPIT_SECRET_KEY": secrets.token_hex(32),
                "COCKPIT_AUDIT_KEY": secrets.token_hex(32),
                "COCKPIT_DATA_KEY": secrets.token_hex(32),
                "COCKPIT_SERVER__HOSTS": str(self.hosts),
                "COCKPIT_SERVER__WORKERS": str(self.workers),
                "COCKPIT_CACHE__TYPE": "redis",
                "COCKPIT_CACHE__REDIS_URL": f"redis://{self.gateway}:6379/{self.redis_db}",
                "COCKPIT_STORE__URL_ENV": "COCKPIT_STORE_URL",
                "COCKPIT_STORE_URL": self.store_url(host_side=True),
                "COCKPIT_SOURCES__DEMO__PATH": str(self.demo),
                "COCKPIT_SOURCES__DEMO__TICKETS": str(TICKETS),
                "COCKPIT_SOURCES__DEMO__END_DATE": self.end_date,
                # nginx reaches the hosts from the bridge's address: believe its X-Forwarded-For.
                "COCKPIT_SECURITY__TRUSTED_PROXIES": "1",
                "COCKPIT_SECURITY__PROXY_ADDRESSES": f"[{self.gateway}/32]",
                "COCKPIT_SECURITY__AUDIT_ANCHOR": str(self.workdir / "audit-anchor.log"),
                "COCKPIT_BIND": f"0.0.0.0:{APP_PORT}",  # the namespace's own addresses only
            }
            | self.extra_env
        )

    def _migrate(self) -> None:
        """`python -m cockpit db upgrade`, once, before the hosts start (as in a deployment)."""
        env = self.env | {"COCKPIT_STORE_URL": self.store_url()}
        subprocess.run(
            [sys.executable, "-m", "cockpit", "db", "upgrade"],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def start_host(self, host: Host) -> None:
        """gunicorn -c gunicorn.conf.py app:server, inside the host's namespace."""
        host.proc = subprocess.Popen(
            ["ip", "netns", "exec", host.namespace, sys.executable, "-m", "gunicorn"]
            + ["-c", "gunicorn.conf.py", "app:server"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=host.log.open("ab"),
            start_new_session=True,  # its own process group: killed as one machine
            preexec_fn=_die_with_parent,
        )

    def wait_ready(self, host: Host, seconds: float = 90) -> None:
        """Until the host answers /livez (or its gunicorn has died)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if host.proc is not None and host.proc.poll() is not None:
                raise RuntimeError(f"host {host.index} exited: {host.log.read_text()[-2000:]}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(host.url + "/livez", timeout=2).ok:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"host {host.index} did not start: {host.log.read_text()[-2000:]}")

    def kill_host(self, host: Host) -> None:
        """SIGKILL the host's gunicorn, master and workers at once (a machine that dies)."""
        if host.proc is not None and host.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(host.proc.pid, signal.SIGKILL)
            host.proc.wait(10)

    def _nginx(self) -> None:
        self.nginx, self.port = self.front(self.members)

    def front(self, hosts: list[Host], name: str = "nginx") -> tuple[subprocess.Popen, int]:
        """An nginx on a free port of its own with these hosts as its upstream (the cluster's
        own front is all of them; the throughput benchmark puts one before 1, 2 and 3);
        returned once it answers. Stopped with the cluster."""
        port = _free_port()
        conf = self.workdir / f"{name}.conf"
        conf.write_text(nginx_conf(self.workdir, port, [h.address for h in hosts], name))
        proc = subprocess.Popen(
            [
                "nginx",
                "-c",
                str(conf),
                "-p",
                str(self.workdir),
                "-e",
                str(self.workdir / f"{name}-error.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        self.fronts.append(proc)
        self._record(fronts=[f.pid for f in self.fronts])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError("nginx exited: " + (proc.stderr.read() or b"").decode())
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"http://127.0.0.1:{port}/livez", timeout=2).ok:
                    return proc, port
            time.sleep(0.1)
        raise RuntimeError("nginx did not answer")

    def stop(self) -> None:
        """Undo everything, whatever state it is in."""
        for front in self.fronts:
            if front.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(front.pid, signal.SIGKILL)
                front.wait(10)
        for host in self.members:
            self.kill_host(host)
        for relay in self.relays:
            relay.kill()
            relay.wait(10)
        for item in reversed(self._made):
            if item.startswith("ns:"):
                _kill_namespace(item[3:])
            elif item == "bridge":
                _ip("link", "del", self.bridge, check=False)
            elif item == "db":
                self._drop_database()
        self._made.clear()
        with contextlib.suppress(Exception):
            import redis

            redis.Redis(host="127.0.0.1", port=6379, db=self.redis_db).flushdb()
        if self._own_workdir and self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
        (RUNS / f"{self.run}.json").unlink(missing_ok=True)
        if self._old_sigterm is not None:
            signal.signal(signal.SIGTERM, self._old_sigterm)  # type: ignore[arg-type]
            self._old_sigterm = None

    def _drop_database(self) -> None:
        _drop(self.pg_admin_url, self.database)

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _kill_namespace(ns: str) -> None:
    """Kill whatever still runs in the namespace, then delete it (its veth goes with it)."""
    pids = _ip("netns", "pids", ns, check=False).stdout.split()
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(pid), signal.SIGKILL)
    _ip("netns", "del", ns, check=False)


def reap_stale() -> list[str]:
    """Remove what runs killed outright left behind (their owner process is gone): the
    namespaces and whatever still runs in them, the bridge, nginx, the relays, the database,
    the work folder. Live runs (another session's, CI's) are left alone. What was removed."""
    import json

    removed = []
    for path in sorted(RUNS.glob("*.json")) if RUNS.is_dir() else []:
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if _alive(int(record.get("owner", 0))):
            continue
        run = path.stem
        # Each nginx ran in a group of its own: its master (gone with the run), its workers.
        for pid in [p for front in record.get("fronts", []) for p in _group(front)]:
            if _command_has(pid, "nginx"):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        for relay in record.get("relays", []):
            if record.get("gateway") and _command_has(relay, f"bind={record['gateway']}"):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(relay, signal.SIGKILL)
        for ns in _namespaces(f"{PREFIX}{run}-"):
            _kill_namespace(ns)
        _ip("link", "del", record.get("bridge", f"mhb{run}"), check=False)
        _drop(record.get("pg_admin_url", DEFAULT_PG), record.get("database", f"cockpit_mh_{run}"))
        if record.get("own_workdir"):
            shutil.rmtree(record["workdir"], ignore_errors=True)
        path.unlink(missing_ok=True)
        removed.append(run)
    # Namespaces of a run with no record (older code) and nothing running in them.
    for ns in _namespaces(PREFIX):
        run = ns[len(PREFIX) :].split("-")[0]
        if (RUNS / f"{run}.json").exists() or _ip("netns", "pids", ns, check=False).stdout.strip():
            continue
        _ip("netns", "del", ns, check=False)
        _ip("link", "del", f"mhb{run}", check=False)
        removed.append(run)
    return sorted(set(removed))


def _namespaces(prefix: str) -> list[str]:
    lines = _ip("netns", "list", check=False).stdout.splitlines()
    return [line.split()[0] for line in lines if line.strip().startswith(prefix)]


def _group(pgid: int) -> list[int]:
    """The processes of process group `pgid` (from /proc)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid:  # after "pid (comm)": state, ppid, pgrp
                members.append(int(stat.parent.name))
    return members


def _command_has(pid: int, text: str) -> bool:
    """Does process `pid` still run with `text` in its command line (not a pid since reused
    by another program)?"""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return False
    return text in command


def _drop(admin_url: str, database: str) -> None:
    """DROP DATABASE ... WITH (FORCE), if it is there."""
    import sqlalchemy as sa

    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with contextlib.suppress(Exception), engine.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    engine.dispose()


def nginx_conf(workdir: Path, port: int, addresses: list[str], name: str = "nginx") -> str:
    """A whole nginx configuration: the test's upstream and listener, production's rules;
    its files in `workdir` named after `name` (nginx.pid, nginx-access.log ...)."""
    servers = "\n".join(
        f"        server {a}:{APP_PORT} max_fails=1 fail_timeout=10s;" for a in addresses
    )
    temp = "\n".join(
        f"    {kind}_temp_path {workdir}/{name}-{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""# Written by bench/multihost.py for one run; the proxy rules are deploy/'s.
daemon off;
user root;  # the run is root's; its temporary folders are too
worker_processes 1;
pid {workdir}/{name}.pid;
error_log {workdir}/{name}-error.log warn;
events {{ worker_connections 1024; }}
http {{
{temp}
    log_format up '$status $request_method $uri upstream=$upstream_addr:$upstream_status';
    access_log {workdir}/{name}-access.log up;
    upstream cockpit {{
{servers}
        keepalive 32;
        keepalive_timeout 60s;
    }}
    server {{
        listen 127.0.0.1:{port};
        include {PROXY_RULES};
    }}
}}
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.multihost",
        description="Start N cockpit hosts, each in a network namespace of its own, sharing "
        "PostgreSQL and Redis, behind nginx; print nginx's address; Ctrl-C removes it all. "
        "Needs root, nginx, socat, iproute2, and PostgreSQL and Redis on 127.0.0.1.",
    )
    parser.add_argument("--hosts", type=int, default=3, help="app hosts (default 3)")
    parser.add_argument("--workers", type=int, default=1, help="gunicorn workers per host")
    parser.add_argument(
        "--account", metavar="NAME", help="also make a city leader account; prints its password"
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        help="keep logs, nginx.conf and the demo data here (default: a temporary folder, removed)",
    )
    parser.add_argument(
        "--reap",
        action="store_true",
        help="only remove what runs killed outright left behind (namespaces, bridge, nginx, "
        "database), then exit; live runs are left alone",
    )
    parser.add_argument(
        "--throughput",
        action="store_true",
        help="measure pages/s at p95 <= 1 s through fronts of 1..N hosts, print the table, "
        "and stop (bench/multihost_throughput.py)",
    )
    parser.add_argument(
        "--seconds", type=float, default=12, help="--throughput: window per step (default 12)"
    )
    parser.add_argument(
        "--turns", type=int, default=2, help="--throughput: the whole ladder so many times"
    )
    parser.add_argument(
        "--users",
        default="2,4,8,16,32",
        help="--throughput: the ladder of concurrent users (default 2,4,8,16,32)",
    )
    args = parser.parse_args(argv)
    if args.reap:
        if os.geteuid() != 0:
            print("cannot reap: needs root (network namespaces)", file=sys.stderr)
            return 2
        say(f"removed runs: {', '.join(reap_stale()) or 'none'}")
        return 0
    if args.hosts < 1:
        parser.error("--hosts must be at least 1")
    reason = missing()
    if reason:
        print(f"cannot start: {reason}", file=sys.stderr)
        return 2
    extra = {}
    if args.throughput:
        # gunicorn replaces a worker after max_requests (5,000): the benchmark sends that many
        # to a host within a minute, and a host of one worker then answers nothing while the
        # new one boots (connections wait in the backlog: nginx cannot fail over). That
        # measures restarts, not throughput, so the benchmark's hosts never recycle.
        extra["GUNICORN_CMD_ARGS"] = "--max-requests 0"
    cluster = Cluster(hosts=args.hosts, workers=args.workers, workdir=args.workdir, extra_env=extra)
    try:
        cluster.start()
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        print(f"cannot start: {exc}", file=sys.stderr)
        return 1
    if args.throughput:
        from bench import multihost_throughput

        try:
            ladder = [int(n) for n in args.users.split(",")]
            results = multihost_throughput.run(
                cluster, args.seconds, ladder, f"Mh#{secrets.token_hex(6)}Zz9", args.turns
            )
            print(multihost_throughput.report(results, args.workers), flush=True)
        except KeyboardInterrupt:
            pass
        finally:
            cluster.stop()
        return 0
    try:
        if args.account:
            password = f"Mh#{secrets.token_hex(6)}Zz9"
            make_account(cluster, args.account, password)
            say(f"account {args.account} / {password}")
        for host in cluster.members:
            say(f"host {host.index}: {host.url} (namespace {host.namespace}, log {host.log})")
        print(cluster.url, flush=True)
        say("Ctrl-C to stop")
        signal.signal(signal.SIGTERM, _interrupt)  # systemctl stop, kill: clean up as on Ctrl-C
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        cluster.stop()
    return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def make_account(cluster: Cluster, username: str, password: str, role: str = "city_leader") -> None:
    """An account in the cluster's database, as `python -m cockpit users add` makes one."""
    from cockpit.security import accounts
    from cockpit.settings import load_settings
    from cockpit.store.store import Store

    env = cluster.env | {"COCKPIT_STORE_URL": cluster.store_url()}
    settings = load_settings(environ=env)
    store = Store.from_settings(settings, environ=env)
    try:
        accounts.create_user(
            store,
            username=username,
            role=role,
            password=password,
            policy=settings.security.password,
            known_counties=[c.code for c in settings.city.counties],
            must_change=False,
        )
    finally:
        store.dispose()


if __name__ == "__main__":
    raise SystemExit(main())
