"""Tests for cockpit.hub: scope, cache keys, failures and freshness between panels and adapters.

Cache and failure behaviour use a small fake source that counts its calls; scope, freshness and
the demo flag use the demo database of the session (conftest's demo_db) through the real adapter.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd
import pytest
from flask import Flask

from cockpit.cache import SafeCache
from cockpit.demo_data import services as demo_services
from cockpit.hub import DataHub, Result
from cockpit.scope import CITY_LEADER, Principal
from cockpit.settings import CacheSettings, Settings
from data_sources.base import DataSourceError, Health
from data_sources.query import BoundDataset, DatasetQuery, Filter, Measure, TimeBucket
from data_sources.registry import build_source

TICKETS = "hotline.tickets"
REDIS_URL = os.environ.get("COCKPIT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


# -- a fake source -------------------------------------------------------------------------------
def small_tickets() -> pd.DataFrame:
    """Nine tickets in three counties, one updated later than the others."""
    return pd.DataFrame(
        {
            "ticket_id": [f"T{i}" for i in range(9)],
            "county_code": ["140403", "140404", "140405"] * 3,
            "status": ["办理中", "已办结", "待签收"] * 3,
            "updated_at": pd.to_datetime(["2026-11-01 00:00"] * 8 + ["2026-11-19 08:30"]),
        }
    )


class FakeSource:
    """Answers eq/in filters and max/count measures over a frame, counting every call."""

    kind: ClassVar[str] = "fake"
    is_demo: ClassVar[bool] = False

    def __init__(self, frame: pd.DataFrame | None = None, version: str = "v1") -> None:
        self.frame = small_tickets() if frame is None else frame
        self.token = version
        self.calls: list[DatasetQuery] = []
        self.error: BaseException | None = None
        self.closed = False

    def fetch(self, dataset: BoundDataset, query: DatasetQuery) -> pd.DataFrame:
        """The rows (or max/count measures) under the query's eq/in filters."""
        self.calls.append(query)
        if self.error is not None:
            raise self.error
        frame = self.frame
        for f in query.filters:
            if f.op == "eq":
                frame = frame[frame[f.column] == f.value]
            elif f.op == "in":
                frame = frame[frame[f.column].isin(list(f.value))]
        if query.group_by:
            counts = frame.groupby(list(query.group_by)).size().reset_index(name="_n")
            for m in query.measures:
                counts[m.name] = counts["_n"]
            return counts.drop(columns="_n")
        if query.measures:
            return pd.DataFrame(
                {
                    m.name: [frame[m.column].max() if m.agg == "max" else len(frame)]
                    for m in query.measures
                }
            )
        # Raw rows carry the contract's columns (the ones this fake lacks are empty), as the
        # hub checks every answer against the contract.
        names = list(query.columns) or [c.name for c in dataset.columns]
        return frame.reindex(columns=names).reset_index(drop=True)

    def health(self) -> Health:
        """Always fine."""
        return Health(True, "ok", dt.datetime.now())

    def version(self) -> str:
        """The token the test sets."""
        return self.token

    def close(self) -> None:
        """Remember being closed."""
        self.closed = True

    def data_calls(self) -> list[DatasetQuery]:
        """Calls other than the hub's own as_of query."""
        return [q for q in self.calls if not any(m.name == "as_of" for m in q.measures)]


# Rows without personal columns: such answers are cached (rows with them never are).
PUBLIC_ROWS = DatasetQuery(columns=("ticket_id", "county_code", "status", "updated_at"))


class Who:
    """A principal the test can switch between queries."""

    def __init__(self, principal: Principal = CITY_LEADER) -> None:
        self.principal = principal

    def __call__(self) -> Principal:
        """The current principal."""
        return self.principal


def county_user(*codes: str) -> Principal:
    """A principal limited to the given counties."""
    return Principal(
        user_id=f"user-{'-'.join(codes) or 'none'}", role="county", counties=frozenset(codes)
    )


def make_cache(settings: Settings, cache: CacheSettings | None = None) -> SafeCache:
    """A SafeCache on a fresh Flask server (the test's own cache folder by default)."""
    server = Flask(__name__)
    server.secret_key = "test-secret-key-for-cache-entries"  # the same in every test worker
    return SafeCache(server, cache or settings.cache, settings.base_dir)


@pytest.fixture
def fake() -> FakeSource:
    """A fresh fake source."""
    return FakeSource()


@pytest.fixture
def who() -> Who:
    """The principal of the fake hub (the city leader until a test switches it)."""
    return Who()


@pytest.fixture
def fake_hub(settings: Settings, fake: FakeSource, who: Who) -> DataHub:
    """A hub whose every dataset is served by the fake source, with a file cache of this test."""
    return DataHub(settings, {"demo": fake}, make_cache(settings), principal=who)


# -- a hub over the real demo source, with a principal the test controls --------------------------
class CountingSource:
    """Wraps a real source and counts its fetches."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.kind = inner.kind
        self.is_demo = inner.is_demo
        self.calls: list[DatasetQuery] = []

    def fetch(self, dataset: BoundDataset, query: DatasetQuery) -> pd.DataFrame:
        """Count, then ask the real source."""
        self.calls.append(query)
        return self.inner.fetch(dataset, query)

    def health(self) -> Health:
        """The real source's health."""
        return self.inner.health()

    def version(self) -> str:
        """The real source's version."""
        return self.inner.version()

    def close(self) -> None:
        """Close the real source."""
        self.inner.close()


@pytest.fixture
def demo_sources(settings: Settings) -> Iterator[dict[str, CountingSource]]:
    """The configured demo source(s), opened before the test and closed after it."""
    sources = {
        name: CountingSource(
            build_source(
                name, cfg, city=settings.city, base_dir=settings.base_dir, demo=demo_services()
            )
        )
        for name, cfg in settings.sources.items()
    }
    for source in sources.values():
        # Open now, so that the file (and so the version in cache keys) is settled before the test.
        assert source.health().ok
    yield sources
    for source in sources.values():
        source.close()


@pytest.fixture
def demo_hub(settings: Settings, demo_sources: dict[str, CountingSource], who: Who) -> DataHub:
    """A hub over the demo database whose principal the test sets through `who`."""
    return DataHub(settings, demo_sources, make_cache(settings), principal=who)


@pytest.fixture
def demo_tickets(settings: Settings, demo_sql) -> pd.DataFrame:
    """The demo tickets' county (former codes mapped) and updated_at, read with duckdb directly."""
    frame = demo_sql(f"SELECT county_code, updated_at FROM {settings.datasets[TICKETS].table}")
    frame["county_code"] = frame["county_code"].replace(dict(settings.city.former_codes))
    return frame


# -- cache keys ----------------------------------------------------------------------------------
BASE = DatasetQuery(
    filters=(
        Filter("county_code", "in", ("140403", "140404", "140405")),
        Filter("status", "eq", "办理中"),
        Filter("updated_at", "between", (dt.datetime(2026, 1, 1), dt.datetime(2026, 12, 31))),
    ),
    group_by=("county_code",),
    measures=(Measure("n", "count"),),
)
SAME_MEANING = {
    "filters-reordered": DatasetQuery(
        filters=(BASE.filters[2], BASE.filters[0], BASE.filters[1]),
        group_by=BASE.group_by,
        measures=BASE.measures,
    ),
    "in-values-reordered": DatasetQuery(
        filters=(Filter("county_code", "in", ("140405", "140403", "140404")), *BASE.filters[1:]),
        group_by=BASE.group_by,
        measures=BASE.measures,
    ),
    "in-values-as-list": DatasetQuery(
        filters=(Filter("county_code", "in", ["140404", "140405", "140403"]), *BASE.filters[1:]),
        group_by=BASE.group_by,
        measures=BASE.measures,
    ),
}


def _replace(**changes: Any) -> DatasetQuery:
    fields = {
        "filters": BASE.filters,
        "group_by": BASE.group_by,
        "buckets": BASE.buckets,
        "measures": BASE.measures,
        "columns": BASE.columns,
        "order_by": BASE.order_by,
        "limit": BASE.limit,
        "offset": BASE.offset,
    }
    fields.update(changes)
    return DatasetQuery(**fields)


OTHER_MEANING = {
    "in-value-changed": _replace(
        filters=(Filter("county_code", "in", ("140403", "140404")), *BASE.filters[1:])
    ),
    "eq-value-changed": _replace(
        filters=(BASE.filters[0], Filter("status", "eq", "已办结"), BASE.filters[2])
    ),
    "op-changed": _replace(
        filters=(BASE.filters[0], Filter("status", "ne", "办理中"), BASE.filters[2])
    ),
    "between-bounds-swapped": _replace(
        filters=(
            *BASE.filters[:2],
            Filter("updated_at", "between", (dt.datetime(2026, 12, 31), dt.datetime(2026, 1, 1))),
        )
    ),
    "filter-dropped": _replace(filters=BASE.filters[:2]),
    "group-by": _replace(group_by=("status",)),
    "bucket": _replace(buckets=(TimeBucket("updated_at", "month", "month"),)),
    "measure-agg": _replace(measures=(Measure("n", "count_distinct", "ticket_id"),)),
    "measure-where": _replace(
        measures=(Measure("n", "count", where=(Filter("status", "eq", "已办结"),)),)
    ),
    "measure-name": _replace(measures=(Measure("m", "count"),)),
    "columns": _replace(group_by=(), measures=(), columns=("ticket_id",)),
    "order-by": _replace(order_by=(("n", True),)),
    "order-direction": _replace(order_by=(("n", False),)),
    "limit": _replace(limit=10),
    "offset": _replace(offset=10),
}


@pytest.mark.parametrize("variant", list(SAME_MEANING))
def test_same_query_written_differently_shares_the_cache_entry(
    fake_hub: DataHub, fake: FakeSource, variant: str
) -> None:
    """Filter order and the order of `in` values do not change the cache key."""
    first = fake_hub.query(TICKETS, BASE, with_as_of=False)
    second = fake_hub.query(TICKETS, SAME_MEANING[variant], with_as_of=False)
    assert len(fake.calls) == 1
    assert not first.from_cache
    assert second.from_cache
    pd.testing.assert_frame_equal(second.frame, first.frame)


@pytest.mark.parametrize("variant", list(OTHER_MEANING))
def test_any_query_part_changes_the_cache_key(
    fake_hub: DataHub, fake: FakeSource, variant: str
) -> None:
    """A query differing in any part is asked of the source, not served from the cache."""
    fake_hub.query(TICKETS, BASE, with_as_of=False)
    answer = fake_hub.query(TICKETS, OTHER_MEANING[variant], with_as_of=False)
    assert len(fake.calls) == 2
    assert fake.calls[1] == OTHER_MEANING[variant]
    assert not answer.from_cache


def test_other_dataset_changes_the_cache_key(fake_hub: DataHub, fake: FakeSource) -> None:
    """The same query on another dataset is a different entry."""
    fake_hub.query(TICKETS, BASE, with_as_of=False)
    answer = fake_hub.query("risk.warnings", BASE, with_as_of=False)
    assert len(fake.calls) == 2
    assert not answer.from_cache


def test_other_scope_changes_the_cache_key(fake_hub: DataHub, fake: FakeSource, who: Who) -> None:
    """The same query by a principal with another scope is a different entry."""
    fake_hub.query(TICKETS, BASE, with_as_of=False)
    who.principal = county_user("140403")
    answer = fake_hub.query(TICKETS, BASE, with_as_of=False)
    assert len(fake.calls) == 2
    assert not answer.from_cache


def test_new_source_version_changes_the_cache_key(fake_hub: DataHub, fake: FakeSource) -> None:
    """When the source's version changes (data replaced), the cached answer is not reused."""
    fake_hub.query(TICKETS, BASE, with_as_of=False)
    fake.token = "v2"
    answer = fake_hub.query(TICKETS, BASE, with_as_of=False)
    assert len(fake.calls) == 2
    assert not answer.from_cache


def test_identical_query_is_served_from_the_cache(fake_hub: DataHub, fake: FakeSource) -> None:
    """A repeated query (with its as_of) does not reach the source again, and says it came from the cache."""
    first = fake_hub.query(TICKETS, PUBLIC_ROWS)
    calls = len(fake.calls)
    second = fake_hub.query(TICKETS, PUBLIC_ROWS)
    assert calls >= 1
    assert len(fake.calls) == calls
    assert len(fake.data_calls()) == 1
    assert not first.from_cache
    assert second.from_cache
    assert second.ok
    pd.testing.assert_frame_equal(second.frame, first.frame)
    assert second.as_of == first.as_of == small_tickets()["updated_at"].max().to_pydatetime()


# -- scope ---------------------------------------------------------------------------------------
def test_scopes_never_share_an_entry_and_see_only_their_counties(
    demo_hub: DataHub, demo_sources: dict[str, CountingSource], who: Who, demo_tickets: pd.DataFrame
) -> None:
    """Two county principals asking the same query each get their own counties' counts, never the other's."""
    source = demo_hub.source_of(TICKETS)
    query = DatasetQuery(group_by=("county_code",), measures=(Measure("n", "count"),))
    expected_all = demo_tickets.groupby("county_code").size()

    def counts(result: Result) -> dict[str, int]:
        assert result.ok, result.error
        return dict(zip(result.frame["county_code"], result.frame["n"].astype(int), strict=True))

    a, b = ("140403", "140404"), ("140405",)
    who.principal = county_user(*a)
    first_a = counts(demo_hub.query(TICKETS, query, with_as_of=False))
    who.principal = county_user(*b)
    calls = len(source.calls)
    answer_b = demo_hub.query(TICKETS, query, with_as_of=False)
    assert len(source.calls) == calls + 1  # asked the source: not A's entry
    assert not answer_b.from_cache
    who.principal = county_user(*a)
    again_a = demo_hub.query(TICKETS, query, with_as_of=False)
    assert again_a.from_cache

    assert first_a == {c: int(expected_all[c]) for c in a}
    assert counts(answer_b) == {c: int(expected_all[c]) for c in b}
    assert counts(again_a) == first_a


def test_principal_with_no_counties_gets_an_error_and_no_query(
    fake_hub: DataHub, fake: FakeSource, who: Who
) -> None:
    """An empty county set is an error result; the source is never asked (not even for as_of)."""
    who.principal = county_user()
    result = fake_hub.query(TICKETS, DatasetQuery())
    assert not result.ok
    assert result.error
    assert result.frame.empty
    assert fake.calls == []


def test_scope_filter_is_anded_with_the_panels_county_filter(
    demo_hub: DataHub, who: Who, demo_tickets: pd.DataFrame
) -> None:
    """A county user asking for another county's rows gets nothing; asking for their own gets them."""
    query = DatasetQuery(
        filters=(Filter("county_code", "eq", "140403"),), measures=(Measure("n", "count"),)
    )
    who.principal = county_user("140404")
    other = demo_hub.query(TICKETS, query, with_as_of=False)
    who.principal = county_user("140403")
    own = demo_hub.query(TICKETS, query, with_as_of=False)
    assert other.ok and own.ok
    assert int(other.frame["n"].iloc[0]) == 0
    assert int(own.frame["n"].iloc[0]) == int((demo_tickets["county_code"] == "140403").sum()) > 0


def test_scope_is_applied_to_the_query_the_source_receives(
    fake_hub: DataHub, fake: FakeSource, who: Who
) -> None:
    """The source is asked for the panel's filters plus an `in` filter of the principal's counties."""
    who.principal = county_user("140405", "140403")
    panel_filter = Filter("status", "eq", "办理中")
    result = fake_hub.query(TICKETS, DatasetQuery(filters=(panel_filter,)), with_as_of=False)
    assert fake.calls[0].filters == (
        panel_filter,
        Filter("county_code", "in", ("140403", "140405")),
    )
    tickets = small_tickets()
    expected = tickets[
        (tickets["status"] == "办理中") & tickets["county_code"].isin(["140403", "140405"])
    ]
    assert len(expected) > 0
    assert sorted(result.frame["ticket_id"]) == sorted(expected["ticket_id"])


# -- failures ------------------------------------------------------------------------------------
def test_failing_source_gives_an_error_result(fake_hub: DataHub, fake: FakeSource) -> None:
    """A DataSourceError becomes Result.error with an empty frame, not an exception."""
    fake.error = DataSourceError("数据源 demo 查询失败（OperationalError）")
    result = fake_hub.query(TICKETS, BASE)
    assert result.error == "数据源 demo 查询失败（OperationalError）"
    assert not result.ok
    assert result.frame.empty
    assert not result.stale


def test_failure_after_a_good_answer_returns_the_last_good_frame(
    fake_hub: DataHub, fake: FakeSource
) -> None:
    """Once a query has answered, a later failure shows that frame, marked stale, with the error."""
    query = DatasetQuery(
        filters=(Filter("county_code", "eq", "140404"),), columns=PUBLIC_ROWS.columns
    )
    good = fake_hub.query(TICKETS, query)
    assert good.ok and len(good.frame) == 3
    fake.token = "v2"  # the fresh entry no longer applies (new data), so the source is asked again
    fake.error = DataSourceError("数据源 demo 连接超时")
    result = fake_hub.query(TICKETS, query)
    assert fake.calls[-1].filters == (Filter("county_code", "eq", "140404"),)
    assert result.error == "数据源 demo 连接超时"
    assert result.stale
    pd.testing.assert_frame_equal(result.frame, good.frame)
    assert result.as_of == good.as_of


def test_last_good_frame_is_per_query(fake_hub: DataHub, fake: FakeSource) -> None:
    """A failing query never gets another query's last good frame."""
    fake_hub.query(TICKETS, DatasetQuery(filters=(Filter("county_code", "eq", "140404"),)))
    fake.error = DataSourceError("down")
    result = fake_hub.query(TICKETS, DatasetQuery(filters=(Filter("county_code", "eq", "140405"),)))
    assert result.error == "down"
    assert not result.stale
    assert result.frame.empty


def test_unexpected_adapter_exception_becomes_an_error_result(
    fake_hub: DataHub, fake: FakeSource
) -> None:
    """An adapter bug (any exception) is an error Result naming the source, without its details."""
    fake.error = RuntimeError("password=hunter2 in a traceback")
    result = fake_hub.query(TICKETS, BASE)
    assert not result.ok
    assert "demo" in result.error
    assert "hunter2" not in result.error
    assert result.frame.empty


@pytest.mark.parametrize("how", ["unreachable-redis", "raising-backend"])
def test_broken_cache_is_a_miss_not_an_error(
    settings: Settings, fake: FakeSource, how: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a cache backend that fails on get and set, queries still answer from the source."""
    if how == "unreachable-redis":
        cache = make_cache(settings, CacheSettings(type="redis", redis_url="redis://127.0.0.1:1/0"))
    else:
        cache = make_cache(settings)

        def boom(*args: Any, **kwargs: Any) -> Any:
            raise ConnectionError("cache backend down")

        monkeypatch.setattr(cache.cache, "get", boom)
        monkeypatch.setattr(cache.cache, "set", boom)
    hub = DataHub(settings, {"demo": fake}, cache, principal=Who())
    first = hub.query(TICKETS, DatasetQuery())
    second = hub.query(TICKETS, DatasetQuery())
    for result in (first, second):
        assert result.ok, result.error
        assert not result.from_cache
        pd.testing.assert_frame_equal(result.frame[small_tickets().columns], small_tickets())
    assert len(fake.data_calls()) == 2


# -- freshness, demo flag, the app's hub -----------------------------------------------------------
def test_as_of_is_the_latest_updated_at(hub: DataHub, demo_tickets: pd.DataFrame) -> None:
    """as_of of the demo tickets equals max(updated_at) read from the DuckDB file."""
    try:
        as_of = hub.as_of(TICKETS)
    finally:
        for source in hub.sources.values():
            source.close()
    assert as_of == demo_tickets["updated_at"].max().to_pydatetime()


def test_as_of_is_within_scope(demo_hub: DataHub, who: Who, demo_tickets: pd.DataFrame) -> None:
    """A county user's as_of is the latest update among their counties' rows."""
    county = "140430"
    who.principal = county_user(county)
    expected = demo_tickets.loc[demo_tickets["county_code"] == county, "updated_at"].max()
    assert demo_hub.as_of(TICKETS) == expected.to_pydatetime()


def test_default_config_is_demo(hub: DataHub, settings: Settings) -> None:
    """The shipped configuration serves demo data, and results say so."""
    try:
        assert hub.is_demo()
        assert all(hub.is_demo(name) for name in settings.datasets)
        result = hub.query(TICKETS, DatasetQuery(measures=(Measure("n", "count"),)))
        assert result.ok, result.error
        assert result.is_demo
    finally:
        for source in hub.sources.values():
            source.close()


def test_hub_over_a_real_source_is_not_demo(fake_hub: DataHub) -> None:
    """A hub whose datasets come from a non-demo source says it is not demo data."""
    assert not fake_hub.is_demo()
    assert not fake_hub.query(TICKETS, DatasetQuery()).is_demo


def test_unconfigured_dataset_is_an_error_result(settings: Settings, fake: FakeSource) -> None:
    """Asking for a dataset not in config gives an error Result and asks no source."""
    datasets = {k: v for k, v in settings.datasets.items() if k != "risk.warnings"}
    hub = DataHub(
        settings.model_copy(update={"datasets": datasets}), {"demo": fake}, None, principal=Who()
    )
    result = hub.query("risk.warnings", DatasetQuery())
    assert not result.ok
    assert "risk.warnings" in result.error
    assert fake.calls == []


def test_second_hub_on_the_same_demo_file_does_not_regenerate_it(
    settings: Settings, demo_db: Path, tmp_path: Path
) -> None:
    """A second demo source in the process, while the first holds the file open, reuses the file."""
    first = build_source(
        "demo",
        settings.sources["demo"],
        city=settings.city,
        base_dir=settings.base_dir,
        demo=demo_services(),
    )
    second = build_source(
        "demo",
        settings.sources["demo"],
        city=settings.city,
        base_dir=settings.base_dir,
        demo=demo_services(),
    )
    try:
        assert first.health().ok  # opens the file through the SQL adapter
        before = demo_db.stat().st_mtime_ns
        version = first.version()
        hub = DataHub(settings, {"demo": second}, make_cache(settings), principal=Who())
        result = hub.query(
            TICKETS, DatasetQuery(measures=(Measure("n", "count"),)), with_as_of=False
        )
        assert result.ok, result.error
        assert demo_db.stat().st_mtime_ns == before, "the demo database was generated again"
        assert second.version() == version
    finally:
        first.close()
        second.close()


# -- Redis shared between hubs ---------------------------------------------------------------------
@pytest.fixture
def redis_cache_settings() -> CacheSettings:
    """Cache settings for the test Redis server; skipped with a reason when none answers."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5, socket_timeout=0.5).ping()
    except Exception as exc:
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {type(exc).__name__}")
    return CacheSettings(type="redis", redis_url=REDIS_URL)


@pytest.mark.redis
def test_two_hubs_on_redis_share_entries(
    settings: Settings, redis_cache_settings: CacheSettings
) -> None:
    """Two apps' hubs configured with the same Redis share a cached answer (the second source is not asked)."""
    token = f"test-{uuid.uuid4().hex}"  # in every key: nothing else's entries are touched
    fakes = [FakeSource(version=token), FakeSource(version=token)]
    caches = [make_cache(settings, redis_cache_settings) for _ in fakes]
    written: list[tuple[SafeCache, str]] = []
    for cache in caches:
        original_set = cache.set

        def recording_set(
            key: str,
            value: Any,
            timeout: int | None = None,
            _cache: SafeCache = cache,
            _set: Callable = original_set,
        ) -> None:
            written.append((_cache, key))
            _set(key, value, timeout)

        cache.set = recording_set  # type: ignore[method-assign]
    hubs = [
        DataHub(settings, {"demo": f}, c, principal=Who())
        for f, c in zip(fakes, caches, strict=True)
    ]
    try:
        first = hubs[0].query(TICKETS, BASE)
        second = hubs[1].query(TICKETS, BASE)
        assert first.ok and not first.from_cache
        assert len(fakes[0].calls) >= 1
        assert fakes[1].calls == []
        assert second.from_cache
        pd.testing.assert_frame_equal(second.frame, first.frame)
        assert second.as_of == first.as_of
    finally:
        for cache, key in written:
            cache.cache.delete(key)


def test_answers_with_personal_data_are_never_cached(fake_hub: DataHub, fake: FakeSource) -> None:
    """Rows with names, phones or citizens' words, or a filter on them, reach the source every
    time and leave nothing in the cache; the same query without them is cached."""
    private = [
        DatasetQuery(),
        DatasetQuery(columns=("ticket_id", "citizen_phone")),
        DatasetQuery(
            filters=(Filter("citizen_phone", "eq", "13800000000"),),
            measures=(Measure("n", "count"),),
        ),
    ]
    for query in private:
        before = len(fake.data_calls())
        fake_hub.query(TICKETS, query)
        again = fake_hub.query(TICKETS, query)
        assert len(fake.data_calls()) == before + 2
        assert not again.from_cache
    fake_hub.query(TICKETS, PUBLIC_ROWS)
    assert fake_hub.query(TICKETS, PUBLIC_ROWS).from_cache


# -- the hub's declared interface: built whole, closed whole --------------------------------------
def sqlite_hub(settings: Settings, tmp_path: Path) -> tuple[DataHub, Any]:
    """A hub whose 12345 tickets live in a real SQLite file (the other datasets stay on demo)."""
    import sqlalchemy as sa

    from cockpit.settings import DatasetBinding
    from data_sources.sql import SqlConfig

    url = f"sqlite:///{tmp_path / 'city.sqlite'}"
    engine = sa.create_engine(url)
    small_tickets().to_sql("tickets", engine, index=False)
    engine.dispose()
    changed = settings.model_copy(
        update={
            "sources": {**settings.sources, "city": SqlConfig(kind="sql", url=url)},
            "datasets": {
                **settings.datasets,
                TICKETS: DatasetBinding(source="city", table="tickets"),
            },
        }
    )
    sources = {
        n: build_source(n, c, city=changed.city, base_dir=changed.base_dir, demo=demo_services())
        for n, c in changed.sources.items()
    }
    return DataHub(changed, sources, cache=None, principal=Who()), sources["city"]


COUNT_ALL = DatasetQuery(measures=(Measure("n", "count"),))


def test_close_disposes_every_source_and_the_next_query_opens_anew(
    settings: Settings, tmp_path: Path
) -> None:
    """hub.close() closes its sources: the SQLite source's pooled connection is gone (its
    engine disposed); a query after it opens a new engine and answers the same."""
    hub, city = sqlite_hub(settings, tmp_path)
    first = hub.query(TICKETS, COUNT_ALL, with_as_of=False)
    assert first.ok, first.error
    engine = city.engine()
    assert engine.pool.checkedin() == 1  # the connection the query used, kept in the pool
    demo = hub.sources["demo"]
    demo.health()  # opens the demo file
    assert demo._sql is not None
    hub.close()
    assert engine.pool.checkedin() == 0, "the SQLite connection is still open after close()"
    assert city.engine() is not engine  # disposed and dropped: a new one on next use
    assert demo._sql is None  # the demo file let go too
    again = hub.query(TICKETS, COUNT_ALL, with_as_of=False)
    assert again.ok and int(again.frame["n"].iloc[0]) == int(first.frame["n"].iloc[0]) == 9
    hub.close()
    hub.close()  # closing twice is harmless


def test_close_disposes_the_store_the_hub_made(settings: Settings, tmp_path: Path) -> None:
    """The cockpit's own database, made by the hub on first use, is closed with it."""
    from cockpit.store import get_store

    hub, _ = sqlite_hub(settings, tmp_path)
    store = get_store(hub)
    assert store is hub.store and store._engine is not None
    hub.close()
    assert store._engine is None


def test_nothing_is_hung_on_the_hub_from_outside(settings: Settings) -> None:
    """An app's hub, after serving pages, the store and cached outputs, has only the attributes
    DataHub itself declares (the factory hands it the module configs; nobody sets others)."""
    from cockpit.factory import create_app
    from cockpit.outputs import output_key
    from cockpit.store import get_store

    declared = set(vars(DataHub(settings, {}, principal=Who())))
    app = create_app(settings, principal_provider=lambda: CITY_LEADER)
    hub = app.server.extensions["cockpit_hub"]
    try:
        with app.server.test_request_context("/"):
            get_store(hub)
            output_key(hub, "test", (), {})
            assert hub.query(TICKETS, COUNT_ALL).ok
        client = app.server.test_client()
        assert client.get("/").status_code == 200
        assert hub.module_config, "the factory gives the hub every module's config section"
        assert set(vars(hub)) <= declared, set(vars(hub)) - declared
    finally:
        hub.close()


def test_sync_mode_reads_the_local_store_the_frame_gives(
    settings: Settings, tmp_path: Path
) -> None:
    """The hub does not make the local store: the frame gives it (cockpit.sync.open_local_store
    from settings), and sync-mode datasets are read from it, at its copy's table; a hub with
    sync-mode datasets and no store to read them from refuses to be built."""
    from cockpit.settings import DatasetBinding
    from cockpit.sync import LocalStore, open_local_store
    from data_sources.base import KeepsCopies

    synced = settings.model_copy(
        update={
            "datasets": {
                **settings.datasets,
                TICKETS: DatasetBinding(source="demo", table="tickets", mode="sync"),
            }
        }
    )
    store = open_local_store(synced)
    assert isinstance(store, LocalStore) and isinstance(store, KeepsCopies)
    assert open_local_store(settings) is None  # nothing in sync mode: no store
    hub = DataHub(synced, {"demo": FakeSource()}, principal=Who(), local_store=store)
    assert hub.source_of(TICKETS) is store
    assert hub.source_of("risk.warnings") is hub.sources["demo"]
    result = hub.query(TICKETS, COUNT_ALL, with_as_of=False)
    assert "尚未同步" in result.error  # read from the (empty) store, not from the origin
    with pytest.raises(ValueError, match="local store"):
        DataHub(synced, {"demo": FakeSource()}, principal=Who())
