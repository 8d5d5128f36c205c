"""Nothing read back from the cache is ever unpickled: entries are signed, versioned JSON (#21).

Whoever can write to Redis (or to the cache folder) must not run code on the app hosts, nor
make the cockpit show figures it did not compute. These tests plant what an attacker would
plant, a pickle whose loading creates a marker file, under the exact keys the cockpit uses,
in a real Redis and in the file cache, and read through the cockpit.
"""

from __future__ import annotations

import datetime as dt
import decimal
import logging
import struct
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from flask import Flask

from cockpit.cache import SafeCache, is_miss
from cockpit.hub import DataHub, Result
from cockpit.settings import CacheSettings, Settings
from tests.app.test_outputs import Panel
from tests.apps import app_as, close_app
from tests.dash_requests import callback_body, post
from tests.unit.test_hub import (  # noqa: F401 - redis_cache_settings is a fixture
    TICKETS,
    FakeSource,
    Who,
    make_cache,
    redis_cache_settings,
)


class Planted:
    """What an attacker plants: unpickling it creates `marker` (harmless, but proof of code run)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return (open, (str(self.marker), "w"))


def recording(cache: SafeCache) -> list[str]:
    """Every key the cockpit writes through this cache, in order."""
    written: list[str] = []
    original = cache.set

    def record(key: str, value: Any, timeout: int | None = None) -> None:
        written.append(key)
        original(key, value, timeout)

    cache.set = record  # type: ignore[method-assign]
    return written


@pytest.fixture
def redis_settings(request: pytest.FixtureRequest) -> CacheSettings:
    """The test Redis at 127.0.0.1:6379 (skipped with the reason when it does not answer)."""
    return request.getfixturevalue("redis_cache_settings")


@pytest.mark.redis
def test_a_pickle_planted_in_redis_never_runs_and_reads_as_a_miss(
    settings: Settings, redis_settings: CacheSettings, tmp_path: Path, caplog
) -> None:
    """A pickle under every key the hub and the output cache wrote: no code runs, each entry
    is a miss (logged), and the callback answers with figures computed afresh."""
    import redis
    from cachelib import RedisCache

    token = f"planted-{uuid.uuid4().hex}"  # this test's own key space in the shared Redis
    cache = make_cache(settings, redis_settings)
    keys = recording(cache)
    first = DataHub(settings, {"demo": FakeSource(version=token)}, cache, principal=Who())
    assert Panel(first).call()[1] == "办理中3件"
    assert len(keys) >= 3  # the query, its last good copy and the callback's output

    # The attacker writes pickles as cachelib's own serializer would, under the same names.
    client = redis.Redis.from_url(redis_settings.redis_url)
    attacker = RedisCache(client, key_prefix="cockpit:")
    marker = tmp_path / "pwned"
    for key in keys:
        attacker.set(key, Planted(marker), timeout=60)
    try:
        source = FakeSource(version=token)
        later = DataHub(
            settings, {"demo": source}, make_cache(settings, redis_settings), principal=Who()
        )
        panel = Panel(later)
        with caplog.at_level(logging.WARNING, logger="cockpit.cache"):
            assert panel.call()[1] == "办理中3件"
        assert not marker.exists(), "a planted pickle was loaded"
        assert panel.runs == 1 and len(source.data_calls()) == 1  # every entry was a miss
        assert "rejected" in caplog.text
    finally:
        client.delete(*("cockpit:" + k for k in keys))


def test_a_pickle_planted_in_the_file_cache_never_runs_and_the_page_answers(
    settings: Settings, tmp_path: Path
) -> None:
    """Every file of the file cache replaced by a pickle in cachelib's own file format: the
    overview's callback answers 200 with its cards, and nothing was unpickled."""
    body_values = {"filter-period.value": "2026-10", "filter-county.value": "all"}
    app = app_as(settings)
    try:
        body = callback_body(
            app, "overview-cards-left.children", body_values, ["filter-period.value"]
        )
        assert post(app.server.test_client(), body).status_code == 200
    finally:
        close_app(app)
    folder = Path(settings.cache.dir)
    entries = [p for p in folder.iterdir() if p.is_file() and not p.name.startswith("__")]
    assert entries
    marker = tmp_path / "pwned"
    import pickle

    for path in entries:  # cachelib's layout: 4 bytes of expiry (0: never), then the pickle
        path.write_bytes(struct.pack("I", 0) + pickle.dumps(Planted(marker)))
    again = app_as(settings)
    try:
        response = post(again.server.test_client(), body)
        assert response.status_code == 200
        assert "overview-cards-left" in response.get_json()["response"]
    finally:
        close_app(again)
    assert not marker.exists(), "a planted pickle was loaded"


def _cache(settings: Settings, secret: str) -> SafeCache:
    server = Flask(__name__)
    server.secret_key = secret
    return SafeCache(server, settings.cache, settings.base_dir)


def test_an_entry_signed_with_another_key_is_a_miss_and_logged(settings: Settings, caplog) -> None:
    """A well-formed entry whose HMAC was made with another secret key reads as a miss."""
    _cache(settings, "another-secret-key-" + "x" * 20).set("q:forged", {"json": "[]"})
    ours = _cache(settings, "our-secret-key-" + "y" * 20)
    with caplog.at_level(logging.WARNING, logger="cockpit.cache"):
        assert is_miss(ours.get("q:forged"))
    assert "rejected" in caplog.text and "q:forged" in caplog.text


def test_an_entry_copied_under_another_key_is_a_miss(settings: Settings) -> None:
    """The HMAC covers the key: a city-wide answer copied under a county's key is refused."""
    cache = make_cache(settings)
    cache.set("q:city", {"json": "[1]"})
    src = Path(cache.cache.cache._get_filename("q:city"))
    dst = Path(cache.cache.cache._get_filename("q:county"))
    dst.write_bytes(src.read_bytes())
    assert cache.get("q:city") == {"json": "[1]"}
    assert is_miss(cache.get("q:county"))


def test_an_entry_of_another_format_version_is_a_miss(settings: Settings) -> None:
    """An entry written by another version of the format is a miss, not an error."""
    from cockpit import cache_codec

    cache = make_cache(settings)
    cache.set("q:old", {"json": "[1]"})
    path = Path(cache.cache.cache._get_filename("q:old"))
    data = path.read_bytes()
    path.write_bytes(data.replace(cache_codec.MAGIC, cache_codec.MAGIC[:-2] + b"0\n", 1))
    assert is_miss(cache.get("q:old"))


def test_an_expired_signed_entry_is_a_miss(settings: Settings) -> None:
    """The expiry is inside the signed entry: an old entry replayed without a TTL is a miss."""
    from cockpit import cache_codec

    key = b"k" * 32
    blob = cache_codec.seal(key, "q:x", {"a": 1}, timeout=1, now=1000.0)
    assert cache_codec.open_sealed(key, "q:x", blob, now=1000.5) == {"a": 1}
    with pytest.raises(cache_codec.Rejected, match="expired"):
        cache_codec.open_sealed(key, "q:x", blob, now=1002.0)


def test_results_with_frames_of_every_kind_come_back_equal() -> None:
    """A hub Result (a frame of numbers, text, dates, gaps, decimals) survives the round trip."""
    from cockpit import cache_codec

    frame = pd.DataFrame(
        {
            "n": np.array([1, 2, 3], dtype="int64"),
            "x": [1.5, float("nan"), 3.0],
            "name": pd.array(["甲", None, "<a href=x>"], dtype="str"),
            "when": pd.to_datetime(["2026-10-01 08:00", None, "2026-10-03 00:00"]),
            "day": [dt.date(2026, 10, 1), None, dt.date(2026, 10, 3)],
            "amount": [decimal.Decimal("1.10"), None, decimal.Decimal("3")],
            "flag": [True, False, True],
            "maybe": pd.array([1, None, 3], dtype="Int64"),
            "kind": pd.Categorical(["a", "b", "a"], categories=["b", "a"], ordered=True),
            "zone": pd.to_datetime(["2026-10-01", "2026-10-02", None]).tz_localize("Asia/Shanghai"),
            "dst": pd.to_datetime(
                ["2026-03-29 01:30", "2026-10-25 02:30", "2026-07-01 00:00"]
            ).tz_localize("Europe/Berlin", ambiguous=[True, False, False]),
        }
    )
    result = Result(
        TICKETS,
        frame,
        "demo",
        False,
        as_of=dt.datetime(2026, 10, 3, 12, 30),
        max_age=dt.timedelta(hours=26),
        fetched_at=1_760_000_000.25,
    )
    key = b"k" * 32
    back = cache_codec.open_sealed(key, "q:r", cache_codec.seal(key, "q:r", result, 60))
    assert isinstance(back, Result)
    pd.testing.assert_frame_equal(back.frame, frame)
    assert (back.as_of, back.max_age, back.fetched_at) == (
        result.as_of,
        result.max_age,
        result.fetched_at,
    )
    assert (back.dataset, back.source, back.is_demo, back.error) == (TICKETS, "demo", False, None)


def test_an_unknown_class_is_never_built() -> None:
    """Only registered data classes come back: a value naming any other class is refused."""
    from cockpit import cache_codec

    for name in ("subprocess.Popen", "builtins.open", "cockpit.hub.DataHub"):
        with pytest.raises(cache_codec.Rejected, match="not a cacheable class"):
            cache_codec.decode({"$": "dc", "n": name, "f": {"args": ["id"]}})


def test_a_value_the_format_cannot_hold_is_not_cached(settings: Settings) -> None:
    """An object outside the data-only format is not stored (and not an error)."""
    cache = make_cache(settings)
    cache.set("q:object", object())
    assert is_miss(cache.get("q:object"))


def test_an_economy_projection_comes_back_from_the_cache(settings: Settings) -> None:
    """The other kind of value the cockpit caches (趋势研判 projections) round-trips too."""
    from cockpit.domains.economy.forecast import Projection

    projection = Projection(True, "预测", ("2026-11", "2026-12"), (5.1, 5.3), (4.0, 4.2))
    cache = make_cache(settings)
    cache.set("q:projection", projection)
    assert cache.get("q:projection") == projection


def test_a_file_cache_left_by_an_older_release_is_read_as_misses_and_reused(
    settings: Settings,
) -> None:
    """The folder of a release that pickled (entries and cachelib's own file count), still
    written by its workers during a rolling upgrade: its entries are misses, and new entries
    are written and read back as before."""
    from cachelib import FileSystemCache

    old = FileSystemCache(settings.cache.dir, threshold=5000)  # pickles, as releases before did
    old.set("q:old", {"json": "[1]"})
    cache = make_cache(settings)
    old.set("q:older", {"json": "[0]"})  # an old worker, after ours started: a pickled count
    assert is_miss(cache.get("q:old"))
    cache.set("q:new", {"json": "[2]"})
    assert cache.get("q:new") == {"json": "[2]"}
