"""The query-result cache: Flask-Caching on files (default) or Redis, and never a point of failure.

A cache outage is a cache miss, not an error page: every call here catches the backend's
errors, logs them once in a while, and carries on without the cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from typing import Any

from flask import Flask
from flask_caching import Cache

from cockpit.settings import CacheSettings

log = logging.getLogger(__name__)
_MISS = object()


def cache_config(settings: CacheSettings, base_dir: Any) -> dict[str, Any]:
    """Flask-Caching's configuration for our settings."""
    if settings.type == "redis":
        return {
            "CACHE_TYPE": "RedisCache",
            "CACHE_REDIS_URL": settings.redis_url,
            "CACHE_KEY_PREFIX": "cockpit:",
            "CACHE_DEFAULT_TIMEOUT": settings.timeout,
            # Short socket timeouts: a Redis that hangs must not hang the screen.
            "CACHE_OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    if settings.type == "filesystem":
        from pathlib import Path

        folder = Path(settings.dir)
        folder = folder if folder.is_absolute() else Path(base_dir) / folder
        return {
            "CACHE_TYPE": "FileSystemCache",
            "CACHE_DIR": str(folder),
            "CACHE_DEFAULT_TIMEOUT": settings.timeout,
            "CACHE_THRESHOLD": 5000,
        }
    return {"CACHE_TYPE": "NullCache"}


def make_key(*parts: Any) -> str:
    """A stable key (same in every worker and host) from JSON-able parts."""
    text = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return "q:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


class SafeCache:
    """Flask-Caching wrapped so that any backend failure reads as a miss."""

    def __init__(self, server: Flask, settings: CacheSettings, base_dir: Any) -> None:
        self.cache = Cache(server, config=cache_config(settings, base_dir))
        self.timeout = settings.timeout
        self._last_warning = 0.0

    def get(self, key: str) -> Any:
        """The cached value, or the module's _MISS marker."""
        try:
            value = self.cache.get(key)
        except Exception as exc:  # noqa: BLE001 - any backend error is a miss
            self._warn("get", exc)
            return _MISS
        return _MISS if value is None else value

    def set(self, key: str, value: Any, timeout: int | None = None) -> None:
        """Store a value; failures are logged and ignored."""
        try:
            self.cache.set(key, value, timeout=self.timeout if timeout is None else timeout)
        except Exception as exc:  # noqa: BLE001
            self._warn("set", exc)

    def add(self, key: str, value: Any, timeout: int) -> bool:
        """Set only if absent (atomic on Redis); False when present. A failure reads as 'taken'
        by nobody: True, so the caller goes ahead rather than waiting on a broken cache."""
        try:
            return bool(self.cache.add(key, value, timeout=timeout))
        except Exception as exc:  # noqa: BLE001
            self._warn("add", exc)
            return True

    def delete(self, key: str) -> None:
        """Remove a key; failures are ignored."""
        try:
            self.cache.delete(key)
        except Exception as exc:  # noqa: BLE001
            self._warn("delete", exc)

    def _warn(self, op: str, exc: Exception) -> None:
        now = time.monotonic()
        if now - self._last_warning > 60:  # once a minute is enough for an outage
            log.warning("cache %s failed, serving without cache: %s", op, exc)
            self._last_warning = now


def is_miss(value: Any) -> bool:
    """True for the marker SafeCache.get returns on a miss."""
    return value is _MISS


class SingleFlight:
    """At most one source query per cache key at a time, across threads and across workers.

    Threads of one worker queue on a lock per key. Workers (and hosts) sharing the cache take a
    short lease with an atomic add; the others wait for the answer to appear in the cache, and
    go ahead themselves if the lease runs out (a worker that died must not block the screen).
    """

    POLL_SECONDS = 0.05

    def __init__(self, cache: SafeCache | None, lease_seconds: int = 30) -> None:
        self.cache = cache
        self.lease_seconds = lease_seconds  # the callback timeout (settings.server)
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    @contextlib.contextmanager
    def flight(self, key: str) -> Iterator[Any]:
        """Yields the answer if another flight produced it meanwhile, else None (then you fly)."""
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            try:
                if self.cache is None:
                    yield None
                    return
                value = self.cache.get(key)
                if not is_miss(value):
                    yield value
                    return
                lease = "lease:" + key
                if not self.cache.add(lease, os.getpid(), timeout=self.lease_seconds):
                    value = self._wait(key)
                    if value is not None:
                        yield value
                        return
                try:
                    yield None
                finally:
                    self.cache.delete(lease)
            finally:
                with self._guard:  # forget the lock; late arrivals find the answer cached
                    if self._locks.get(key) is lock:
                        del self._locks[key]

    def _wait(self, key: str) -> Any:
        deadline = time.monotonic() + self.lease_seconds
        while time.monotonic() < deadline:
            value = self.cache.get(key)
            if not is_miss(value):
                return value
            time.sleep(self.POLL_SECONDS)
        return None
