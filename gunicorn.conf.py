"""gunicorn's settings for the cockpit, read from config/cockpit.yaml (section `server`).

    gunicorn -c gunicorn.conf.py app:server

Every value can be overridden like any setting, e.g. COCKPIT_SERVER__WORKERS=4; the address
to listen on comes from COCKPIT_BIND (default 127.0.0.1:8050: nginx in front, docs/deployment.md).
The timeouts nest (settings.ServerSettings checks it): a source query < a callback < a gunicorn
worker < the proxy, so a slow source ends as the cockpit's own message, not a 502/504.
"""

import os

from cockpit.settings import load_settings

_server = load_settings().server

bind = os.environ.get("COCKPIT_BIND", "127.0.0.1:8050")
workers = _server.workers  # CPU-bound work (pandas, figures): about one per core
worker_class = "gthread"  # threads wait on sources and on each other's answers (single flight)
threads = _server.threads
timeout = _server.worker_timeout  # a worker silent this long is restarted
graceful_timeout = _server.worker_timeout  # on reload, requests under way may finish
keepalive = 5  # seconds; below nginx's upstream keepalive_timeout so gunicorn never cuts first
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
