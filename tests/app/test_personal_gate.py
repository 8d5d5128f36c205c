"""Personal (never cached) answers under a rush: a few at a time per worker, a clear 系统繁忙
when the wait is too long, and nobody waiting on a single flight that will never be cached."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from cockpit.cache import Busy, PersonalGate
from cockpit.hub import DataHub
from cockpit.outputs import call_cached
from data_sources.query import DatasetQuery, Filter
from tests.app.test_outputs import ORIGIN, section_body
from tests.unit.test_hub import TICKETS, FakeSource, Who, make_cache

NAMES = DatasetQuery(columns=("ticket_id", "citizen_name"))  # personal: never cached


def test_the_gate_bounds_concurrency_and_refuses_after_its_wait() -> None:
    """Two slots: a third holder waits, and gives up with Busy after `wait` seconds."""
    gate = PersonalGate(2, wait=0.3)
    inside = threading.Barrier(3)
    leave = threading.Event()

    def hold() -> None:
        with gate.slot():
            inside.wait()
            leave.wait(10)

    with ThreadPoolExecutor(2) as pool:
        held = [pool.submit(hold) for _ in range(2)]
        inside.wait(5)
        started = time.monotonic()
        with pytest.raises(Busy), gate.slot():
            pass
        assert 0.25 <= time.monotonic() - started < 2
        leave.set()
        for f in held:
            f.result(5)
    with gate.slot(), gate.slot():  # re-entrant in one thread: a nested query takes no slot
        pass


class SlowFake(FakeSource):
    """A fake source that counts how many of its queries run at once."""

    def __init__(self) -> None:
        super().__init__()
        self.now = self.most = 0
        self._lock = threading.Lock()

    def fetch(self, dataset, query):
        """Answer after 0.1 s, recording the concurrency."""
        with self._lock:
            self.now += 1
            self.most = max(self.most, self.now)
        try:
            time.sleep(0.1)
            return super().fetch(dataset, query)
        finally:
            with self._lock:
                self.now -= 1


def test_personal_callbacks_run_a_few_at_a_time_without_waiting_on_each_other(settings) -> None:
    """Eight screens open a personal panel at once: all answered, at most `personal_queries`
    source queries at a time, and none waits the output single flight's timeout for an answer
    that is never cached (the first build leaves a marker that says so)."""
    source = SlowFake()
    hub = DataHub(settings, {"demo": source}, make_cache(settings), principal=Who())
    runs = []

    def names(status: str) -> int:
        runs.append(status)
        rows = hub.query(TICKETS, NAMES.with_filters(Filter("status", "eq", status)))
        return len(rows.frame)

    assert call_cached(hub, "names", names, ("办理中",), {}) == 3  # learns: personal
    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda _: call_cached(hub, "names", names, ("办理中",), {}), range(8)))
    elapsed = time.monotonic() - started
    assert got == [3] * 8 and len(runs) == 9
    assert source.most == settings.server.personal_queries
    assert elapsed < settings.server.callback_timeout / 3  # nobody sat out the flight's wait


def test_a_personal_query_refused_for_want_of_a_slot_says_so(settings) -> None:
    """A personal query that finds the worker's slots taken for too long answers with the
    panel's own 系统繁忙 error, not an exception and not a hang."""
    hub = DataHub(settings, {"demo": FakeSource()}, make_cache(settings), principal=Who())
    hub.personal = PersonalGate(1, wait=0.2)
    with ThreadPoolExecutor(1) as pool, hub.personal.slot():
        answer = pool.submit(hub.query, TICKETS, NAMES).result(5)
    assert not answer.ok and answer.error == Busy.MESSAGE and answer.frame.empty
    assert hub.query(TICKETS, NAMES).ok  # once a slot is free, it is answered


def test_a_saturated_worker_answers_503_with_retry_after(app) -> None:
    """The repeat-callers section (personal) while every personal slot is taken: 503 with
    Retry-After and the message, rather than a request that hangs; 200 again once free."""
    client = app.server.test_client()
    body = section_body("repeat")
    first = client.post("/_dash-update-component", json=body, headers=ORIGIN)
    assert first.status_code == 200
    hub = app.server.extensions["cockpit_hub"]
    hub.personal = PersonalGate(1, wait=0.2)
    with ThreadPoolExecutor(1) as pool, hub.personal.slot():
        busy = pool.submit(
            client.post, "/_dash-update-component", json=body, headers=ORIGIN
        ).result(10)
    assert busy.status_code == 503
    assert busy.headers["Retry-After"].isdigit()
    assert busy.get_data(as_text=True) == Busy.MESSAGE
    again = client.post("/_dash-update-component", json=body, headers=ORIGIN)
    assert again.status_code == 200 and again.get_json() == first.get_json()
