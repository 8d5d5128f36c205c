"""Single flight: many concurrent misses for one key cause one source query, in one worker and across workers."""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from cockpit.hub import DataHub
from cockpit.settings import CacheSettings
from data_sources.base import DatasetQuery, Filter, Measure
from tests.test_hub import TICKETS, FakeSource, Who, make_cache

QUERY = DatasetQuery(
    filters=(Filter("county_code", "eq", "140403"),), measures=(Measure("n", "count"),)
)


class SlowSource(FakeSource):
    """A source that takes a while to answer, as a front-end database does under load."""

    def __init__(self, delay: float = 0.3, **kwargs) -> None:  # noqa: ANN003
        super().__init__(**kwargs)
        self.delay = delay
        self._count_lock = threading.Lock()

    def fetch(self, dataset, query):  # noqa: ANN001, ANN201
        """Answer after `delay` seconds."""
        time.sleep(self.delay)
        with self._count_lock:
            return super().fetch(dataset, query)


def rush(hubs: list[DataHub], n: int) -> list:
    """n concurrent identical queries, spread over the hubs (as over gunicorn workers)."""
    barrier = threading.Barrier(n)

    def one(i: int):  # noqa: ANN202
        barrier.wait()
        return hubs[i % len(hubs)].query(TICKETS, QUERY, with_as_of=False)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(one, range(n)))


def test_concurrent_misses_in_one_worker_query_the_source_once(settings) -> None:  # noqa: ANN001
    """Twelve screens asking at once: the source answers once, everyone gets the same figure."""
    source = SlowSource()
    hub = DataHub(settings, {"demo": source}, make_cache(settings), principal=Who())
    results = rush([hub], 12)
    assert len(source.data_calls()) == 1
    assert {int(r.frame["n"].iloc[0]) for r in results} == {3}
    assert sum(not r.from_cache for r in results) == 1


def test_different_keys_do_not_wait_for_each_other(settings) -> None:  # noqa: ANN001
    """Single flight is per key: two different queries each reach the source."""
    source = SlowSource(delay=0.1)
    hub = DataHub(settings, {"demo": source}, make_cache(settings), principal=Who())
    other = QUERY.with_filters(Filter("status", "eq", "办理中"))
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda q: hub.query(TICKETS, q, with_as_of=False), [QUERY, other]))
    assert len(source.data_calls()) == 2


def test_workers_sharing_redis_query_the_source_once(settings) -> None:  # noqa: ANN001
    """Three workers (hubs with their own source objects) sharing Redis: one query in all."""
    import redis

    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis not reachable at 127.0.0.1:6379: {exc}")
    shared = CacheSettings(type="redis", redis_url="redis://127.0.0.1:6379/0")
    version = f"flight-{uuid.uuid4().hex}"  # a key space of this test's own
    sources = [SlowSource(version=version) for _ in range(3)]
    hubs = [
        DataHub(settings, {"demo": s}, make_cache(settings, shared), principal=Who())
        for s in sources
    ]
    results = rush(hubs, 9)
    assert sum(len(s.data_calls()) for s in sources) == 1
    assert {int(r.frame["n"].iloc[0]) for r in results} == {3}
