"""A Redis that hangs (accepts connections, never answers) costs a page a moment, not minutes (#19).

Every Redis call has a connect and a socket timeout; after a failure the cache is skipped for
a few seconds (a circuit), so each request does not wait again; /healthz names the cache as
down. The hung Redis is a TCP server of the test's own, never the shared one on 6379.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from flask import Flask

from cockpit.cache import SafeCache, SingleFlight, is_miss
from cockpit.settings import CacheSettings, Settings
from tests.apps import app_as, close_app
from tests.dash_requests import callback_body, post

OVERVIEW = {"filter-period.value": "2026-10", "filter-county.value": "all"}


@pytest.fixture
def hung_redis() -> Iterator[str]:
    """redis://… of a server that accepts every connection and never says a word."""
    server = socket.create_server(("127.0.0.1", 0), backlog=128)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            held.append(conn)  # kept open, never read: the client waits for an answer

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    stop.set()
    thread.join(2)
    for conn in held:
        conn.close()
    server.close()


def on_hung_redis(settings: Settings, url: str, **cache: float) -> Settings:
    """The test's settings with the cache on the hung Redis."""
    return settings.model_copy(
        update={"cache": CacheSettings(type="redis", redis_url=url, **cache)}
    )


def test_a_hung_redis_costs_a_page_callback_a_moment_not_minutes(
    settings: Settings, hung_redis: str
) -> None:
    """The overview's cards, twice, with Redis hung: each answer within a few seconds (the
    cache waits at most its timeout once, then is skipped), as they would without a cache."""
    app = app_as(on_hung_redis(settings, hung_redis))
    try:
        body = callback_body(app, "overview-cards-left.children", OVERVIEW, ["filter-period.value"])
        for _ in range(2):
            started = time.monotonic()
            response = post(app.server.test_client(), body)
            took = time.monotonic() - started
            assert response.status_code == 200
            assert "overview-cards-left" in response.get_json()["response"]
            assert took < 10, f"a page callback took {took:.1f} s with Redis hung"
    finally:
        close_app(app)


def test_healthz_answers_at_once_and_names_the_cache_as_down(
    settings: Settings, hung_redis: str
) -> None:
    """/healthz with Redis hung: quick, status degraded, the cache named with its address."""
    app = app_as(on_hung_redis(settings, hung_redis))
    try:
        started = time.monotonic()
        response = app.server.test_client().get("/healthz")
        took = time.monotonic() - started
        data = response.get_json()
    finally:
        close_app(app)
    assert took < 5, f"/healthz took {took:.1f} s with Redis hung"
    assert data["status"] == "degraded"
    assert data["cache"]["ok"] is False
    assert data["cache"]["type"] == "redis"
    assert hung_redis.split("//")[1].split("/")[0] in data["cache"]["name"]


def _cache(settings: Settings, url: str, **options: float) -> SafeCache:
    server = Flask(__name__)
    server.secret_key = "test-secret-key-for-cache-entries"
    return SafeCache(server, on_hung_redis(settings, url, **options).cache, settings.base_dir)


def test_each_redis_call_waits_at_most_its_timeout_and_then_the_cache_is_skipped(
    settings: Settings, hung_redis: str
) -> None:
    """The first call waits its socket timeout (no retries); calls inside the circuit's window
    do not touch Redis at all; a lease is not waited for either."""
    cache = _cache(settings, hung_redis, socket_timeout=0.3, connect_timeout=0.3, retry_seconds=30)
    started = time.monotonic()
    assert is_miss(cache.get("q:first"))
    assert time.monotonic() - started < 1.0  # one timeout, not three retries with backoff
    started = time.monotonic()
    for i in range(20):
        assert is_miss(cache.get(f"q:{i}"))
        cache.set(f"q:{i}", {"n": i})
    with SingleFlight(cache).flight("q:lease") as answered:
        assert answered is None  # ours to compute, at once
    assert time.monotonic() - started < 0.2
    assert cache.health().ok is False


def test_the_cache_is_tried_again_after_the_circuit_window(
    settings: Settings, hung_redis: str
) -> None:
    """After retry_seconds the next call asks Redis again (and, still hung, waits once more)."""
    cache = _cache(settings, hung_redis, socket_timeout=0.2, connect_timeout=0.2, retry_seconds=0.5)
    assert is_miss(cache.get("q:a"))
    started = time.monotonic()
    assert is_miss(cache.get("q:b"))
    assert time.monotonic() - started < 0.05  # skipped
    time.sleep(0.6)
    started = time.monotonic()
    assert is_miss(cache.get("q:c"))
    assert time.monotonic() - started >= 0.15  # asked Redis again


def test_a_working_cache_reports_ok(settings: Settings) -> None:
    """The file cache of the test reports itself as up in /healthz's terms."""
    server = Flask(__name__)
    server.secret_key = "test-secret-key-for-cache-entries"
    files = SafeCache(server, settings.cache, settings.base_dir)
    health = files.health()
    assert health.ok and health.type == "filesystem" and health.name == settings.cache.dir
