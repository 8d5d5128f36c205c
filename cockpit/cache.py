"""The query-result cache: Flask-Caching on files (default) or Redis, and never a point of failure.

A cache outage is a cache miss, not an error page: every call here catches the backend's
errors, logs them once in a while, and carries on without the cache.

Nothing read back is ever unpickled. Flask-Caching's backends pickle by default, and a pickle
runs code as it loads: whoever could write to Redis or the cache folder would run code on
every app host. So the backends only move bytes (_BytesOnly), and the bytes are signed,
versioned JSON (cockpit.cache_codec); an entry that fails its HMAC or version is a miss.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cachelib.serializers import BaseSerializer
from flask import Flask
from flask_caching import Cache
from flask_caching.backends import FileSystemCache, RedisCache
from redis.backoff import NoBackoff
from redis.exceptions import LockNotOwnedError, RedisError
from redis.lock import Lock
from redis.retry import Retry

from cockpit.cache_codec import Rejected, cache_key_from_secret, open_sealed, seal
from cockpit.settings import CacheSettings

log = logging.getLogger(__name__)
_MISS = object()


def cache_config(settings: CacheSettings, base_dir: Any) -> dict[str, Any]:
    """Flask-Caching's configuration for our settings."""
    if settings.type == "redis":
        return {
            "CACHE_TYPE": "cockpit.cache.RedisBytesCache",
            "CACHE_REDIS_URL": settings.redis_url,
            "CACHE_KEY_PREFIX": "cockpit:",
            "CACHE_DEFAULT_TIMEOUT": settings.timeout,
            # A Redis that hangs must not hang the screen: short timeouts, and no retries
            # (redis-py retries three times with backoff by default, which made a page of a
            # hundred cache calls take two minutes); SafeCache's circuit does the rest.
            "CACHE_OPTIONS": {
                "socket_connect_timeout": settings.connect_timeout,
                "socket_timeout": settings.socket_timeout,
                "retry": Retry(NoBackoff(), 0),
            },
        }
    if settings.type == "filesystem":
        return {
            "CACHE_TYPE": "cockpit.cache.FileBytesCache",
            "CACHE_DIR": str(cache_dir(settings, base_dir)),
            "CACHE_DEFAULT_TIMEOUT": settings.timeout,
            "CACHE_THRESHOLD": 5000,
        }
    return {"CACHE_TYPE": "NullCache"}


def cache_dir(settings: CacheSettings, base_dir: Any) -> Path:
    """The file cache's folder (relative paths are under the project)."""
    folder = Path(settings.dir)
    return folder if folder.is_absolute() else Path(base_dir) / folder


def make_key(*parts: Any) -> str:
    """A stable key (same in every worker and host) from JSON-able parts."""
    text = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return "q:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


class _BytesOnly(BaseSerializer):
    """The backends' serializer: our sealed entries go in and come out as bytes, never pickled.

    Integers are kept as digits: FileSystemCache stores its own file count through it."""

    def dumps(self, value: Any, protocol: int | None = None) -> Any:
        """Redis: the bytes as they are."""
        return value

    def loads(self, bvalue: Any) -> Any:
        """Redis: the bytes as they are (None for an absent key)."""
        return bvalue

    def dump(self, value: Any, f: Any, protocol: int | None = None) -> None:
        """The file cache: the bytes (or the digits of its file count) into the file."""
        f.write(str(value).encode("ascii") if type(value) is int else value)

    def load(self, f: Any) -> Any:
        """The file cache: the file's bytes; digits only (its file count) as an int."""
        data = f.read()
        return int(data) if data.isdigit() else data


class RedisBytesCache(RedisCache):
    """Flask-Caching's Redis backend, moving bytes only (never pickle)."""

    # Not a RedisSerializer subclass: the backend only calls dumps and loads.
    serializer = _BytesOnly()  # type: ignore[assignment]


class FileBytesCache(FileSystemCache):
    """Flask-Caching's file backend, moving bytes only (never pickle)."""

    # Not a FileSystemSerializer subclass: the backend only calls dump and load.
    serializer = _BytesOnly()  # type: ignore[assignment]

    @property
    def _file_count(self) -> int:
        # Its count of files is kept in the folder too: one that is not a number (planted, or
        # pickled by an older release) counts as zero rather than breaking every write.
        count = super()._file_count
        return count if isinstance(count, int) else 0


@dataclass(frozen=True)
class CacheHealth:
    """What /healthz says of the cache."""

    type: str  # filesystem | redis | null
    name: str  # where it is (a Redis URL without its password)
    ok: bool
    message: str


class SafeCache:
    """Flask-Caching wrapped so that any backend failure, or any entry that is not ours and
    intact, reads as a miss.

    A circuit keeps a failing backend from costing every request its timeout: after a failure
    the backend is not asked for `retry_seconds` (every read is a miss, every write dropped),
    then the next call tries it again.
    """

    def __init__(
        self, server: Flask, settings: CacheSettings, base_dir: Any, secret: str | None = None
    ) -> None:
        secret = secret or server.config.get("SECRET_KEY")
        if not secret:
            raise ValueError("SafeCache needs the app's SECRET_KEY: it keys the entries' HMAC")
        self._mac_key = cache_key_from_secret(secret)
        self.cache = Cache(server, config=cache_config(settings, base_dir))
        self.timeout = settings.timeout
        self.type = settings.type
        self.name = _cache_name(settings, base_dir)
        self.retry_seconds = settings.retry_seconds
        self._skip_until = 0.0  # time.monotonic() before which the backend is not asked
        self._last_error = ""
        self._last_warning = 0.0
        # Where single-flight leases live (SingleFlight): files beside a file cache, keys in
        # the same Redis for a Redis cache; none without a shared cache.
        self.lease_dir: Path | None = None
        self.redis: Any = None
        if settings.type == "filesystem":
            # Beside the cache folder, not in it: Flask-Caching counts and prunes its files.
            folder = cache_dir(settings, base_dir)
            self.lease_dir = folder.with_name(folder.name + "-leases")
            with contextlib.suppress(OSError):  # an unwritable folder: computed, not shared
                self.lease_dir.mkdir(parents=True, exist_ok=True)
        elif settings.type == "redis":
            # The RedisBytesCache's client (typed by Flask-Caching as its base cache).
            self.redis = self.cache.cache._write_client  # type: ignore[attr-defined]

    @property
    def available(self) -> bool:
        """False while the circuit is open (the backend failed under retry_seconds ago)."""
        return time.monotonic() >= self._skip_until

    def failed(self, op: str, exc: Exception) -> None:
        """A backend call failed: skip the backend for retry_seconds, and say so (now and then)."""
        self._skip_until = time.monotonic() + self.retry_seconds
        self._last_error = f"{type(exc).__name__}: {exc}"
        self._warn(op, exc)

    def health(self) -> CacheHealth:
        """Is the cache answering? (A ping with the short timeouts; no ping while skipped.)"""
        if self.type == "null":
            return CacheHealth(self.type, self.name, True, "未启用缓存")
        if self.available:
            try:
                self._ping()
            except Exception as exc:
                self.failed("health check", exc)
        if not self.available:
            return CacheHealth(
                self.type,
                self.name,
                False,
                f"缓存不可用，直接计算（{self._last_error}）",
            )
        return CacheHealth(self.type, self.name, True, "ok")

    def _ping(self) -> None:
        if self.redis is not None:
            self.redis.ping()
        elif self.type == "filesystem" and not os.access(self.name, os.W_OK):
            raise PermissionError(f"缓存目录不可写：{self.name}")

    def get(self, key: str) -> Any:
        """The cached value, or the module's _MISS marker."""
        if not self.available:
            return _MISS
        try:
            entry = self.cache.get(key)
        except Exception as exc:
            self.failed("get", exc)
            return _MISS
        if entry is None:
            return _MISS
        try:
            return open_sealed(self._mac_key, key, entry)
        except Exception as exc:
            reason = exc if isinstance(exc, Rejected) else f"unreadable ({type(exc).__name__})"
            # Each one: a forged or moved entry is a security event, and it is overwritten
            # by the fresh answer computed now, so it is not logged again and again.
            log.warning("cache entry %s rejected, treated as a miss: %s", key, reason)
            return _MISS

    def set(self, key: str, value: Any, timeout: int | None = None) -> None:
        """Store a value; failures (and values the format cannot hold) are logged and ignored."""
        timeout = self.timeout if timeout is None else timeout
        try:
            entry = seal(self._mac_key, key, value, timeout)
        except TypeError as exc:  # a bug in the caller, but not worth an error page
            log.warning("not cached: %s: %s", key, exc)
            return
        if not self.available:
            return
        try:
            self.cache.set(key, entry, timeout=timeout)
        except Exception as exc:
            self.failed("set", exc)

    def delete(self, key: str) -> None:
        """Remove a key; failures are ignored."""
        if not self.available:
            return
        try:
            self.cache.delete(key)
        except Exception as exc:
            self.failed("delete", exc)

    def _warn(self, op: str, exc: Exception) -> None:
        now = time.monotonic()
        if now - self._last_warning > 60:  # once a minute is enough for an outage
            log.warning("cache %s failed, serving without cache: %s", op, exc)
            self._last_warning = now


def _cache_name(settings: CacheSettings, base_dir: Any) -> str:
    """Where the cache is, for humans: never a password from the Redis URL."""
    if settings.type == "redis":
        url = urllib.parse.urlsplit(settings.redis_url)
        port = f":{url.port}" if url.port else ""
        return f"{url.scheme}://{url.hostname}{port}{url.path}"
    if settings.type == "filesystem":
        return str(cache_dir(settings, base_dir))
    return "null"


def is_miss(value: Any) -> bool:
    """True for the marker SafeCache.get returns on a miss."""
    return value is _MISS


class FlightTimeout(Exception):
    """Another worker has been computing this key for longer than a caller may wait."""


class SingleFlight:
    """At most one computation per cache key at a time, across threads, workers and hosts.

    The one who computes holds a lease on the key; everybody else polls the cache for the answer.

    - File cache (the workers of one host): the lease is an flock() on a file per key, so it is
      atomic, and the kernel drops it the moment its holder dies: a crashed worker blocks nobody.
    - Redis (several hosts): the lease is redis-py's Lock on `cockpit:lease:<key>`, extended by
      the holder while it computes, so a live holder keeps it however long the source takes
      and a dead one loses it within `lease_seconds`.
    - No shared cache: no lease (there is nothing to share an answer through).

    A waiter that sees no answer within `wait_seconds` raises FlightTimeout: the caller answers
    with the last good value (or a clear error) rather than asking a source that is already
    busy with the very same question.
    """

    POLL_SECONDS = 0.05

    def __init__(
        self, cache: SafeCache | None, wait_seconds: float = 30, lease_seconds: float = 10
    ) -> None:
        self.cache = cache
        self.wait_seconds = wait_seconds  # below the callback timeout (settings.server)
        self.lease_seconds = lease_seconds  # how soon a dead Redis holder's lease runs out

    @contextlib.contextmanager
    def flight(
        self, key: str, valid: Callable[[Any], bool] = lambda value: True, wait: float | None = None
    ) -> Iterator[Any]:
        """Yields the answer if another flight produced it, else None: then you compute and
        put the answer in the cache inside the block. `valid` says whether a cached value
        answers the question (an entry built from replaced data does not).

        Raises FlightTimeout when another holder is still computing after `wait` seconds
        (default `wait_seconds`).
        """
        cache = self.cache
        lease = None if cache is None else self._lease(cache)
        if cache is None or lease is None:  # no shared cache: nothing to wait for
            yield None
            return
        deadline = time.monotonic() + (self.wait_seconds if wait is None else wait)
        while True:
            value = cache.get(key)
            if not is_miss(value) and valid(value):
                yield value
                return
            if not cache.available:  # it went down while we waited: nothing will come
                yield None
                return
            if lease.acquire(key):
                break
            if time.monotonic() >= deadline:
                raise FlightTimeout(key)
            time.sleep(self.POLL_SECONDS)
        try:
            # The previous holder may have finished between our look and our lease.
            value = cache.get(key)
            yield value if not is_miss(value) and valid(value) else None
        finally:
            lease.release()

    def _lease(self, cache: SafeCache) -> _FileLease | _RedisLease | None:
        if not cache.available:  # the cache is down: nobody could share an answer
            return None
        if cache.lease_dir is not None:
            return _FileLease(cache.lease_dir)
        if cache.redis is not None:
            return _RedisLease(cache, self.lease_seconds)
        return None


class _FileLease:
    """A lease held as an flock() on <lease_dir>/<key>: released by the kernel if we die.

    Not the filelock package: it keeps each lock file in place on release (so that waiters
    share one inode), and with a file per cache key (keys hold the day, the inputs and the
    data versions) the folder would grow without end. Ours unlinks its file on release and
    checks, after flock(), that the file it locked is still the one at the path.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._fd: int | None = None
        self._path: Path | None = None

    def acquire(self, key: str) -> bool:
        path = self.folder / key.replace(":", "_")
        try:
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            except FileNotFoundError:  # the folder went away (cache cleared): make it again
                self.folder.mkdir(parents=True, exist_ok=True)
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:  # an unwritable cache folder must not block the screen
            log.warning("single-flight lease unavailable, computing: %s", exc)
            self._fd, self._path = None, None
            return True
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            # A holder finishing unlinks its file: if ours was unlinked between open() and
            # flock(), we hold a lock nobody else will look at. Take a fresh file next time.
            if os.fstat(fd).st_ino != os.stat(path).st_ino:
                raise BlockingIOError
        except (BlockingIOError, FileNotFoundError):
            os.close(fd)
            return False
        self._fd, self._path = fd, path
        return True

    def release(self) -> None:
        if self._fd is None or self._path is None:  # not held (both are set together)
            return
        with contextlib.suppress(OSError):
            os.unlink(self._path)  # before unlocking, so no one locks a file about to vanish
        os.close(self._fd)
        self._fd = None


class _RedisLease:
    """A lease held as redis-py's Lock (a key with an expiry and our token), extended by a
    thread while its holder works, so a live holder keeps it and a dead one loses it."""

    def __init__(self, cache: SafeCache, lease_seconds: float) -> None:
        self.cache = cache
        self.lease_seconds = max(0.1, lease_seconds)
        self._lock: Lock | None = None
        self._done = threading.Event()

    def acquire(self, key: str) -> bool:
        # thread_local=False: the renewal thread extends the lease with the holder's token.
        lock = Lock(
            self.cache.redis,
            "cockpit:lease:" + key,
            timeout=self.lease_seconds,
            blocking=False,
            thread_local=False,
        )
        try:
            if not lock.acquire(blocking=False):
                return False
        except RedisError as exc:  # Redis down: compute, as on any cache miss
            self.cache.failed("single-flight lease", exc)
            return True
        self._lock = lock
        threading.Thread(target=self._renew, args=(lock,), daemon=True, name="lease").start()
        return True

    def _renew(self, lock: Lock) -> None:
        while not self._done.wait(self.lease_seconds / 3):
            try:
                lock.reacquire()  # the full lease time again, only while the token is ours
            except LockNotOwnedError:
                return  # lost it (expired while Redis was away): nothing left to renew
            except RedisError:
                continue  # try again at the next beat

    def release(self) -> None:
        self._done.set()
        if self._lock is None:
            return
        with contextlib.suppress(RedisError):  # expired and taken by another: nothing to drop
            self._lock.release()
        self._lock = None


class Busy(Exception):
    """This worker is already running as many personal (uncacheable) queries as it may."""

    MESSAGE = "系统繁忙，请稍后刷新"


class PersonalGate:
    """At most `slots` personal (per-user, never cached) computations at once in this worker.

    Cached answers are shared, so a rush costs one computation per key; personal ones (lists
    with names, repeat callers, keyword samples of citizens' words) are computed for every
    screen. Bounding them keeps the worker's threads free for everything else, and a request
    that waits longer than `wait` seconds gets Busy (a clear "系统繁忙") instead of a queue
    that grows for as long as users keep coming. Re-entrant per thread: a personal callback
    that makes personal queries holds one slot, not one per query.
    """

    def __init__(self, slots: int, wait: float) -> None:
        self.wait = wait
        self._slots = threading.BoundedSemaphore(slots)
        self._held = threading.local()

    @contextlib.contextmanager
    def slot(self) -> Iterator[None]:
        """Hold a slot for the block; raises Busy if none frees up within `wait` seconds."""
        if getattr(self._held, "depth", 0):
            self._held.depth += 1
            try:
                yield
            finally:
                self._held.depth -= 1
            return
        if not self._slots.acquire(timeout=self.wait):
            raise Busy(Busy.MESSAGE)
        self._held.depth = 1
        try:
            yield
        finally:
            self._held.depth = 0
            self._slots.release()
