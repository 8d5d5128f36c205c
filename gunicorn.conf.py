"""gunicorn's settings for the cockpit, read from config/cockpit.yaml (section `server`).

    gunicorn -c gunicorn.conf.py app:server

Every value can be overridden like any setting, e.g. COCKPIT_SERVER__WORKERS=4; the address
to listen on comes from COCKPIT_BIND (default 127.0.0.1:8050: nginx in front, docs/deployment.md).
The timeouts nest (settings.ServerSettings checks it): a source query < a callback < a gunicorn
worker < the proxy, so a slow source ends as the cockpit's own message, not a 502/504.
"""

import ctypes
import ctypes.util
import os

# Before numpy is imported (cockpit.settings imports pandas): each worker already runs
# `threads` requests at once, so a BLAS thread pool per worker only adds threads and their
# buffers to its memory. The workers inherit these from this (master) process.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

from cockpit.settings import load_settings  # noqa: E402 - after the variables above

_server = load_settings().server

bind = os.environ.get("COCKPIT_BIND", "127.0.0.1:8050")
workers = _server.workers  # CPU-bound work (pandas, figures): about one per core
worker_class = "gthread"  # threads wait on sources and on each other's answers (single flight)
threads = _server.threads
timeout = _server.worker_timeout  # a worker silent this long is restarted
graceful_timeout = _server.worker_timeout  # on reload, requests under way may finish
# Seconds an idle connection is kept. Above nginx's upstream keepalive_timeout (60 s): the
# side that reuses a connection (nginx, or a browser between two screens) must be the one
# that drops it first, or it sends a request down a connection gunicorn has just closed and
# gets "connection reset" (B6 browse errors, with 5 s here). Idle connections cost a gthread
# worker a socket in its poller, not a thread.
keepalive = 75
worker_connections = 1000  # per worker, idle keep-alive connections included
# Each worker builds its own app and opens its own connections: engines must not cross fork().
preload_app = False
# A worker is replaced after this many requests (with jitter, not all at once): bounds the
# slow growth of pandas' memory fragmentation.
max_requests = 5000
max_requests_jitter = 500
# Heartbeat files in memory, not on a disk that may stall (containers, busy hosts).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
accesslog = os.environ.get("COCKPIT_ACCESS_LOG")  # e.g. "-" for stdout; off by default
errorlog = "-"
loglevel = os.environ.get("COCKPIT_LOG_LEVEL", "info")

# glibc's malloc gives each thread that allocates its own arena (up to 8 per core) and keeps
# freed memory in each: pandas frames freed after a request stay in the worker's resident
# memory, arena by arena. Two arenas per worker keep it near what it really uses (B5 in
# bench/). (A periodic malloc_trim was tried too: it saved ~10 MB and cost the B6 rush 4x
# in p95, as trimming stalls every thread's allocations.)
_M_ARENA_MAX = -8
_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
if hasattr(_libc, "malloc_trim"):  # glibc only; elsewhere nothing to do
    _libc.mallopt(_M_ARENA_MAX, int(os.environ.get("COCKPIT_MALLOC_ARENAS", "2")))
