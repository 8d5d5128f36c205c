"""Single flight: many concurrent misses for one key cause one source query, in one worker and across workers."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from cockpit.hub import BUSY, DataHub
from cockpit.settings import CacheSettings, Settings
from data_sources.query import DatasetQuery, Filter, Measure
from tests.unit.test_hub import (  # noqa: F401 - redis_cache_settings is a fixture
    TICKETS,
    FakeSource,
    Who,
    make_cache,
    redis_cache_settings,
)

QUERY = DatasetQuery(
    filters=(Filter("county_code", "eq", "140403"),), measures=(Measure("n", "count"),)
)


class SlowSource(FakeSource):
    """A source that takes a while to answer, as a front-end database does under load."""

    def __init__(self, delay: float = 0.3, **kwargs) -> None:
        super().__init__(**kwargs)
        self.delay = delay
        self._count_lock = threading.Lock()

    def fetch(self, dataset, query):
        """Answer after `delay` seconds."""
        time.sleep(self.delay)
        with self._count_lock:
            return super().fetch(dataset, query)


def rush(hubs: list[DataHub], n: int) -> list:
    """n concurrent identical queries, spread over the hubs (as over gunicorn workers)."""
    barrier = threading.Barrier(n)

    def one(i: int):
        barrier.wait()
        return hubs[i % len(hubs)].query(TICKETS, QUERY, with_as_of=False)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(one, range(n)))


def test_concurrent_misses_in_one_worker_query_the_source_once(settings) -> None:
    """Twelve screens asking at once: the source answers once, everyone gets the same figure."""
    source = SlowSource()
    hub = DataHub(settings, {"demo": source}, make_cache(settings), principal=Who())
    results = rush([hub], 12)
    assert len(source.data_calls()) == 1
    assert {int(r.frame["n"].iloc[0]) for r in results} == {3}
    assert sum(not r.from_cache for r in results) == 1


def test_different_keys_do_not_wait_for_each_other(settings) -> None:
    """Single flight is per key: two different queries each reach the source."""
    source = SlowSource(delay=0.1)
    hub = DataHub(settings, {"demo": source}, make_cache(settings), principal=Who())
    other = QUERY.with_filters(Filter("status", "eq", "办理中"))
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda q: hub.query(TICKETS, q, with_as_of=False), [QUERY, other]))
    assert len(source.data_calls()) == 2


def test_workers_sharing_redis_query_the_source_once(settings) -> None:
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


# -- across processes, against the real backends ------------------------------------------------
class CountingSource(FakeSource):
    """A slow source that appends a line to a shared file per data query: a count that every
    process (gunicorn worker) adds to. With `crash`, the process dies while computing."""

    def __init__(self, counter: Path, delay: float = 0.3, crash: bool = False, **kw) -> None:
        super().__init__(**kw)
        self.counter = counter
        self.delay = delay
        self.crash = crash
        self.release = threading.Event()  # a test may hold a query until it sets this
        self.release.set()

    def fetch(self, dataset, query):
        """Count the call (O_APPEND: whole lines), take a while, then answer."""
        with open(self.counter, "a", encoding="utf-8") as out:
            out.write(f"{os.getpid()}\n")
        if self.crash:
            os.kill(os.getpid(), signal.SIGKILL)  # no finally, no clean-up: a real crash
        self.release.wait(30)
        time.sleep(self.delay)
        return super().fetch(dataset, query)


def runs(counter: Path) -> int:
    """How many source queries ran, in all processes."""
    return len(counter.read_text().split()) if counter.exists() else 0


@pytest.fixture(params=["filesystem", "redis"])
def shared(request, settings: Settings) -> CacheSettings:
    """The cache workers share: the file cache of one host, or Redis (skipped if absent)."""
    if request.param == "filesystem":
        return settings.cache
    return request.getfixturevalue("redis_cache_settings")


def _worker(settings, shared, version, counter, barrier, threads, answers) -> None:
    """One gunicorn worker: its own hub, cache client and source; `threads` screens at once."""
    hub = DataHub(
        settings,
        {"demo": CountingSource(counter, version=version)},
        make_cache(settings, shared),
        principal=Who(),
    )

    def one(_: int) -> int:
        barrier.wait()
        return int(hub.query(TICKETS, QUERY, with_as_of=False).frame["n"].iloc[0])

    with ThreadPoolExecutor(threads) as pool:
        answers.put(list(pool.map(one, range(threads))))


def test_many_processes_and_threads_missing_one_key_query_the_source_once(
    settings: Settings, shared: CacheSettings, tmp_path: Path
) -> None:
    """Four worker processes x six threads miss the same key at the same instant: one query."""
    ctx = mp.get_context("fork")  # as gunicorn makes its workers
    procs, threads = 4, 6
    barrier = ctx.Barrier(procs * threads)
    answers = ctx.Queue()
    counter = tmp_path / "runs"
    version = f"flight-{uuid.uuid4().hex}"  # a key space of this test's own (Redis is shared)
    workers = [
        ctx.Process(
            target=_worker,
            args=(settings, shared, version, counter, barrier, threads, answers),
        )
        for _ in range(procs)
    ]
    for w in workers:
        w.start()
    got = [n for _ in workers for n in answers.get(timeout=60)]
    for w in workers:
        w.join(10)
        assert w.exitcode == 0
    assert runs(counter) == 1
    assert got == [3] * (procs * threads)  # everyone got the one answer


def test_a_waiter_that_times_out_shows_the_last_good_answer(
    settings: Settings, shared: CacheSettings, tmp_path: Path
) -> None:
    """A holder stuck on its source: a waiter gives up after the callback timeout with the last
    good figures, marked stale with a clear message, and without asking the source again."""
    counter = tmp_path / "runs"
    impatient = settings.model_copy(
        update={"server": settings.server.model_copy(update={"callback_timeout": 1})}
    )
    first = CountingSource(counter, version=f"old-{uuid.uuid4().hex}", delay=0)
    query = QUERY.with_filters(Filter("ticket_id", "ne", uuid.uuid4().hex))  # own last-good key
    before = DataHub(settings, {"demo": first}, make_cache(settings, shared), principal=Who())
    assert int(before.query(TICKETS, query, with_as_of=False).frame["n"].iloc[0]) == 3

    # New data arrives (a new version: a new key); a worker starts asking and gets stuck.
    version = f"new-{uuid.uuid4().hex}"
    stuck = CountingSource(counter, version=version, delay=0)
    stuck.release.clear()
    holder = DataHub(settings, {"demo": stuck}, make_cache(settings, shared), principal=Who())
    waiter_source = CountingSource(counter, version=version, delay=0)
    waiter = DataHub(
        impatient, {"demo": waiter_source}, make_cache(settings, shared), principal=Who()
    )
    with ThreadPoolExecutor(1) as pool:
        held = pool.submit(holder.query, TICKETS, query, with_as_of=False)
        while runs(counter) < 2:  # the holder is inside its source query
            time.sleep(0.01)
        started = time.monotonic()
        answer = waiter.query(TICKETS, query, with_as_of=False)
        waited = time.monotonic() - started
        # With no last good copy (another query), the answer is the same clear error.
        other = query.with_filters(Filter("ticket_id", "ne", uuid.uuid4().hex))
        with ThreadPoolExecutor(1) as pool2:
            held2 = pool2.submit(holder.query, TICKETS, other, with_as_of=False)
            while runs(counter) < 3:
                time.sleep(0.01)
            nothing = waiter.query(TICKETS, other, with_as_of=False)
            stuck.release.set()
            assert held2.result(10).ok
        assert held.result(10).ok
    assert waiter_source.calls == []  # the waiter never asked its own source
    assert 1 <= waited < 5
    assert answer.stale and answer.error == BUSY
    assert int(answer.frame["n"].iloc[0]) == 3
    assert not nothing.ok and nothing.frame.empty and nothing.error == BUSY
    assert runs(counter) == 3


def _crashing_holder(settings, shared, version, counter) -> None:
    """A worker that takes the lease and dies (SIGKILL) in the middle of its source query."""
    hub = DataHub(
        settings,
        {"demo": CountingSource(counter, version=version, crash=True)},
        make_cache(settings, shared),
        principal=Who(),
    )
    hub.flights.lease_seconds = 1  # a short Redis lease, so the test need not wait 10 s
    hub.query(TICKETS, QUERY, with_as_of=False)


def test_a_holder_that_dies_does_not_block_the_others(
    settings: Settings, shared: CacheSettings, tmp_path: Path
) -> None:
    """The holder's process is killed mid-query: its lease goes (at once for a file, within
    the lease time on Redis) and another worker asks the source and answers."""
    ctx = mp.get_context("fork")
    counter = tmp_path / "runs"
    version = f"crash-{uuid.uuid4().hex}"
    dead = ctx.Process(target=_crashing_holder, args=(settings, shared, version, counter))
    dead.start()
    dead.join(30)
    assert dead.exitcode == -signal.SIGKILL and runs(counter) == 1
    survivor = CountingSource(counter, version=version, delay=0)
    hub = DataHub(settings, {"demo": survivor}, make_cache(settings, shared), principal=Who())
    started = time.monotonic()
    answer = hub.query(TICKETS, QUERY, with_as_of=False)
    assert answer.ok and not answer.stale and int(answer.frame["n"].iloc[0]) == 3
    assert runs(counter) == 2 and len(survivor.data_calls()) == 1
    assert time.monotonic() - started < 5  # well within the 30 s wait: the lease was freed


def test_an_unusable_lease_folder_means_computing_not_waiting(
    settings: Settings, tmp_path: Path
) -> None:
    """A file cache whose lease folder cannot be made (here: a file is in the way) serves the
    screen at once by computing, like any cache outage, instead of waiting for a lease."""
    from cockpit.cache import SingleFlight

    cache = make_cache(settings)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    cache.lease_dir = blocker / "leases"
    flights = SingleFlight(cache, wait_seconds=5)
    started = time.monotonic()
    with flights.flight("q:unusable") as answered:
        assert answered is None  # ours to compute
    assert time.monotonic() - started < 1


def test_a_live_holder_keeps_its_lease_however_long_the_source_takes(
    settings: Settings, shared: CacheSettings, tmp_path: Path
) -> None:
    """A holder whose source takes five times the Redis lease time keeps the lease (renewed
    while it works): a second worker waits for its answer instead of asking the source too."""
    counter = tmp_path / "runs"
    version = f"long-{uuid.uuid4().hex}"
    slow = CountingSource(counter, version=version, delay=1.5)
    holder = DataHub(settings, {"demo": slow}, make_cache(settings, shared), principal=Who())
    holder.flights.lease_seconds = 0.3
    other = CountingSource(counter, version=version, delay=0)
    waiter = DataHub(settings, {"demo": other}, make_cache(settings, shared), principal=Who())
    with ThreadPoolExecutor(1) as pool:
        held = pool.submit(holder.query, TICKETS, QUERY, with_as_of=False)
        while runs(counter) < 1:
            time.sleep(0.01)
        answer = waiter.query(TICKETS, QUERY, with_as_of=False)
        assert held.result(10).ok
    assert answer.ok and int(answer.frame["n"].iloc[0]) == 3
    assert other.calls == [] and runs(counter) == 1
