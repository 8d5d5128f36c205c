"""The data hub: the only way panels get data.

A panel asks for a dataset by name with a DatasetQuery. The hub adds the user's scope (from the
server-side principal), looks in the cache (keys hold dataset, source version, normalised query
and scope), asks the adapter on a miss, and returns the frame with its "数据截至" and source.
A failing source fails only the panels that need it, and they keep their last good result.

A small published dataset (Contract.read_whole: the economy figures) is read whole and
checked by cockpit.validation, the same check as sync and file drops, in every mode: a figure
read live from the city's database is normalised (periods, units) or set aside (quarantined)
before any screen sees it, and county figures that do not add up to the city's are flagged.
What the check found travels with every answer (Result.notice) and shows in `cockpit check`.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import datetime as dt
import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import pandas as pd

from cockpit import rollups
from cockpit.cache import (
    Busy,
    FlightTimeout,
    PersonalGate,
    SafeCache,
    SingleFlight,
    is_miss,
    make_key,
)
from cockpit.cache_codec import cacheable
from cockpit.contracts import CONTRACTS, Contract
from cockpit.scope import SEE_SOURCE_DETAIL, Principal, current_principal
from cockpit.settings import Settings
from data_sources.base import (
    DataSource,
    DataSourceError,
    KeepsAggregateTables,
    KeepsCopies,
    ReportsDataChecks,
    SupportsJoinedFetch,
    SupportsRollups,
    time_budget,
)
from data_sources.query import BoundDataset, DatasetQuery, Filter, Measure

if TYPE_CHECKING:  # cockpit.store imports the frame's settings; made lazily here
    from cockpit.store.store import Store


class LocalCopies(DataSource, KeepsCopies, SupportsRollups, SupportsJoinedFetch, Protocol):
    """What the hub reads sync-mode datasets from (cockpit.sync.LocalStore): a source that
    keeps copies of other sources' datasets, with their rollups."""


log = logging.getLogger(__name__)
BUSY = "数据源繁忙：同一查询正在进行，请稍后刷新"
LAST_GOOD_SECONDS = 7 * 24 * 3600  # how long a last good result may stand in for a failed source


@cacheable  # cached as signed JSON (cockpit.cache_codec), never pickled
@dataclass
class Result:
    """A dataset's answer, with what a screen must say about it."""

    dataset: str
    frame: pd.DataFrame
    source: str
    is_demo: bool
    as_of: dt.datetime | None = None
    error: str | None = None  # shown to the user; set when the source failed
    stale: bool = False  # True when the frame is the last good one, shown because of `error`
    from_cache: bool = field(default=False, compare=False)
    max_age: dt.timedelta | None = None  # how fresh the dataset must be (config)
    fetched_at: float = field(default=0.0, compare=False)  # time.time() the source answered
    # What the data check held back or flagged (rows set aside, a refused file, counties that
    # do not add up): shown with the figures, never a server path.
    notice: str | None = None

    @property
    def ok(self) -> bool:
        """The source answered (now or from the cache)."""
        return self.error is None

    def late_by(self, now: dt.datetime | None = None) -> dt.timedelta | None:
        """How far past its allowed age the data is; None when on time or not declared."""
        if self.max_age is None or self.as_of is None:
            return None
        overdue = (now or dt.datetime.now()) - self.as_of - self.max_age
        return overdue if overdue > dt.timedelta(0) else None


@dataclass
class Reads:
    """What a piece of work read through the hub: what a cached callback output depends on."""

    versions: dict[str, str] = field(default_factory=dict)  # dataset -> its source's version
    oldest: float | None = None  # when the oldest answer used was fetched from its source
    private: bool = False  # an answer carried personal data or citizens' words
    failed: bool = False  # an answer was an error or a stale last good copy


# The Reads of the work under way in this thread/context (None when nobody records).
_READS: contextvars.ContextVar[Reads | None] = contextvars.ContextVar("cockpit_reads", default=None)


class DataHub:
    """Scope, cache, freshness and errors, between panels and adapters."""

    def __init__(
        self,
        settings: Settings,
        sources: dict[str, DataSource],
        cache: SafeCache | None = None,
        principal: Callable[[], Principal] = current_principal,
        *,
        module_config: dict[str, Any] | None = None,
        store: Store | None = None,
        local_store: LocalCopies | None = None,
    ) -> None:
        """`module_config`: each module's validated config section, by module key (the
        factory's module_configs); `store`: the cockpit's own database, when not the one
        settings.store names (made on first use); `local_store`: where sync-mode datasets
        are read (cockpit.sync.open_local_store; required when a dataset is in sync mode)."""
        self.settings = settings
        self.sources = sources
        self.cache = cache
        self._principal = principal
        # Any: every module has its own pydantic model, which its readers name (`... or RiskConfig()`).
        self.module_config: dict[str, Any] = dict(module_config or {})
        self._store = store
        self._store_lock = threading.Lock()  # two first requests must not make two stores
        # Where each dataset lives at its source, and where panels read it (the local store
        # for datasets in sync mode).
        self._origin = {name: self._bind(name) for name in settings.datasets}
        synced = sorted(n for n, b in settings.datasets.items() if b.mode == "sync")
        if synced and local_store is None:
            raise ValueError(f"datasets in sync mode need a local store to read: {synced}")
        self.local_store = local_store
        self._bound = {name: self._reading_binding(name) for name in settings.datasets}
        # Single flight over the cache: one worker computes a missed key, the others wait
        # for its answer (the hub's queries, and cockpit.outputs' finished callback outputs).
        self.flights = SingleFlight(cache, settings.server.callback_timeout)
        server = settings.server  # the wait ends well inside the callback's own timeout
        wait = min(server.personal_wait, server.callback_timeout / 2)
        self.personal = PersonalGate(server.personal_queries, wait)
        # What the configuration is, hashed once: part of cached outputs' keys (cockpit.outputs),
        # so that a changed setting or module section never serves an output built under another.
        config = settings.model_dump_json() + repr(sorted(self.module_config.items()))
        self.config_digest = hashlib.sha256(config.encode()).hexdigest()[:16]
        self._checked: dict[str, Checked] = {}  # read_whole datasets, checked (per process)
        self._check_lock = threading.Lock()

    # -- what the hub holds -------------------------------------------------------------------
    @property
    def store(self) -> Store:
        """The cockpit's own database (supervision, acknowledgements, accounts), made from
        settings on first use; cockpit.store.get_store(hub) also brings its schema up to date."""
        if self._store is None:
            with self._store_lock:
                if self._store is None:
                    from cockpit.store.store import Store

                    self._store = Store.from_settings(self.settings)
        return self._store

    def use_store(self, store: Store) -> None:
        """Serve from another database of the cockpit's own (tests, or a special app)."""
        with self._store_lock:
            self._store = store

    def close(self) -> None:
        """Close every source, the local store and the cockpit's own database: their
        connections and files (at an app's teardown, a worker's exit). Each opens again on
        its next use, so closing a hub that still serves is safe, and closing twice too."""
        closing: list[Callable[[], None]] = [s.close for s in self.sources.values()]
        if self.local_store is not None:
            closing.append(self.local_store.close)
        if self._store is not None:
            closing.append(self._store.dispose)
        for close in closing:
            try:
                close()
            except Exception:  # one source failing to close must not keep the others open
                log.exception("could not close %r", close)

    # -- what is configured -----------------------------------------------------------------
    def _bind(self, name: str) -> BoundDataset:
        contract = CONTRACTS[name]
        binding = self.settings.datasets[name]
        return BoundDataset(
            name=name,
            table=binding.table,
            columns=contract.columns_for(self.settings.city.township_file is not None),
            column_map=dict(binding.columns),
            county_column=contract.county_column,
            county_code_map=dict(self.settings.city.former_codes),
        )

    def _reading_binding(self, name: str) -> BoundDataset:
        if self.settings.datasets[name].mode != "sync":
            return self._origin[name]
        return self._local().copy_of(self._origin[name])

    def origin_binding(self, dataset: str) -> BoundDataset:
        """Where the dataset lives at its source (what sync reads from)."""
        return self._origin[dataset]

    def origin_source(self, dataset: str) -> DataSource:
        """The configured source of a dataset, whatever its mode."""
        return self.sources[self.settings.datasets[dataset].source]

    def has(self, dataset: str) -> bool:
        """Is this dataset configured?"""
        return dataset in self._bound

    def contract(self, dataset: str) -> Contract:
        """The dataset's contract."""
        return CONTRACTS[dataset]

    def source_of(self, dataset: str) -> DataSource:
        """The adapter panels read a dataset from (the local store in sync mode)."""
        if self.settings.datasets[dataset].mode == "sync":
            return self._local()
        return self.origin_source(dataset)

    def _local(self) -> LocalCopies:
        """The local copies a sync-mode dataset is read from (__init__ refuses sync mode
        without them, so the error below is a programming error, not a configuration one)."""
        if self.local_store is None:
            raise RuntimeError("a sync-mode dataset is read but the hub has no local store")
        return self.local_store

    def is_demo(self, dataset: str | None = None) -> bool:
        """Is this dataset (or, with no name, any dataset) served from demo data?"""
        names = [dataset] if dataset else list(self._bound)
        return any(self.origin_source(n).is_demo for n in names)

    def principal(self) -> Principal:
        """Who the current request is (from the server, never from callback inputs)."""
        return self._principal()

    def data_version(self, dataset: str) -> str:
        """The version of the data a dataset is read from (changes when that data is replaced)."""
        if dataset not in self._bound:
            return "?"
        return self._version(self.source_of(dataset))

    @contextlib.contextmanager
    def recording(self) -> Iterator[Reads]:
        """Record every dataset read inside the block (see cockpit.outputs)."""
        reads = Reads()
        token = _READS.set(reads)
        try:
            yield reads
        finally:
            _READS.reset(token)

    # -- asking -----------------------------------------------------------------------------
    def query(
        self,
        dataset: str,
        query: DatasetQuery | None = None,
        *,
        with_as_of: bool = True,
        live_column: str | None = None,
        peers: bool = False,
    ) -> Result:
        """The dataset's answer to a query, within the current user's scope.

        `peers=True` asks for every county, whoever asks: for comparisons computed on the
        server (ranks, city averages) that a county user's screen shows only for their own
        county. The caller must pass what it derives through `cockpit.scope.redact_peers`
        before it reaches a screen; personal data is never asked this way.

        `live_column` names a column whose filters are a live screen's moving window ("up to
        the end of this refresh"): such a query is new at every refresh, so its last good
        copy, shown when the source fails, is kept for any value of those filters.
        """
        query = query or DatasetQuery()
        result = self._query(dataset, query, with_as_of, live_column, peers)
        reads = _READS.get()
        if reads is not None:
            reads.versions[dataset] = self.data_version(dataset)
            fetched = result.fetched_at or time.time()
            reads.oldest = fetched if reads.oldest is None else min(reads.oldest, fetched)
            reads.failed |= not result.ok or result.stale
            reads.private |= dataset in self._bound and _touches_private(
                self._bound[dataset], query
            )
        return result

    def query_rollup(self, dataset: str, name: str, query: DatasetQuery) -> Result | None:
        """A query on one of the dataset's personal rollups (cockpit.rollups.PERSONAL), phrased
        on the rollup's own columns, within the user's scope, never cached.

        None when the source keeps no current such rollup or the query's window is not exact
        on it: the caller then asks the raw rows, as it did before there were rollups."""
        bound = self._bound.get(dataset)
        if bound is None or bound.column_map:
            return None
        source = self.source_of(dataset)
        kept = source.rollups(bound) if isinstance(source, SupportsRollups) else []
        built = next(
            (b for b in kept if b.rollup.name == name and b.table == bound.table),
            None,
        )
        if built is None:
            return None
        source_name = self.settings.datasets[dataset].source
        is_demo = self.is_demo(dataset)
        scoped = self.scoped(dataset, query, self._principal())
        if scoped is None:
            return Result(
                dataset, pd.DataFrame(), source_name, is_demo, error="当前账号没有可查看的县区"
            )
        exact = rollups.personal_query(scoped, built)
        if exact is None:
            return None
        try:
            # Masked forms and keyed hashes, not personal data as such; still per caller, so
            # not cached and asked a few at a time, as the rows were.
            with self.personal.slot():
                frame = source.fetch(rollups.binding(built, bound), exact)
        except Busy:
            return Result(dataset, pd.DataFrame(), source_name, is_demo, error=Busy.MESSAGE)
        except DataSourceError as exc:
            message = self.error_for_reader(dataset, exc)
            return Result(dataset, pd.DataFrame(), source_name, is_demo, error=message)
        reads = _READS.get()
        if reads is not None:
            reads.versions[dataset] = self.data_version(dataset)
            reads.private = True
        return Result(dataset, frame, source_name, is_demo, fetched_at=time.time())

    def _query(
        self,
        dataset: str,
        query: DatasetQuery,
        with_as_of: bool,
        live_column: str | None,
        peers: bool = False,
    ) -> Result:
        principal = self._principal()
        source_name = self.settings.datasets[dataset].source if dataset in self._bound else "?"
        if dataset not in self._bound:
            return Result(
                dataset, pd.DataFrame(), source_name, False, error=f"数据集 {dataset} 未配置"
            )
        source = self.source_of(dataset)
        is_demo = self.is_demo(dataset)
        if peers and _touches_private(self._bound[dataset], query):
            raise ValueError(f"{dataset}: personal data is never read across counties")
        if peers and principal.counties is not None and not principal.counties:
            peers = False  # a user with no county at all compares nothing
        if peers:
            principal = dataclasses.replace(principal, counties=None)  # the key: city-wide
        scoped = query if peers else self.scoped(dataset, query, principal)
        if scoped is None:  # a user with no counties sees nothing
            return Result(
                dataset, pd.DataFrame(), source_name, is_demo, error="当前账号没有可查看的县区"
            )
        key = make_key(
            "v1", dataset, self._version(source), principal.scope_key, scoped.normalized()
        )
        # Not versioned (it stands in when the source fails), but it names the source: a
        # dataset moved to another source never shows the old source's figures.
        last_good_key = make_key(
            "last-good",
            dataset,
            source_name,
            principal.scope_key,
            _without_window(scoped, live_column).normalized(),
        )
        if _touches_private(self._bound[dataset], scoped):
            # Personal data and citizens' own words never go to the cache (nor to its keys'
            # neighbours, the last-good copies): ask the source each time, a few at a time.
            try:
                with self.personal.slot():
                    return self._answer(
                        dataset, scoped, source, source_name, is_demo, None, None, with_as_of
                    )
            except Busy:
                return Result(dataset, pd.DataFrame(), source_name, is_demo, error=Busy.MESSAGE)
        if self.cache:
            cached = self.cache.get(key)
            if not is_miss(cached):
                cached.from_cache = True
                return cached
        # Single flight: when many screens miss the same key at once (a meeting starts), one
        # asks the source and the others wait for its answer in the cache.
        try:
            with self.flights.flight(key) as answered:
                if answered is not None:
                    answered.from_cache = True
                    return answered
                return self._answer(
                    dataset, scoped, source, source_name, is_demo, key, last_good_key, with_as_of
                )
        except FlightTimeout:
            # Another worker has been asking the source this very question for too long:
            # asking it again would only add to its load. Last good figures, or a clear error.
            return self._failed(dataset, source_name, is_demo, BUSY, last_good_key)

    def _answer(
        self,
        dataset: str,
        scoped: DatasetQuery,
        source: DataSource,
        source_name: str,
        is_demo: bool,
        key: str | None,
        last_good_key: str | None,
        with_as_of: bool,
    ) -> Result:
        """Ask the source, check the answer against the contract, cache it."""
        left = self._request_time_left()
        if left is not None and left <= 0:
            # The request's deadline is spent: asking a source now would only outlive it.
            message = f"数据源 {source_name} 查询超时：本次刷新已用完 {self.settings.server.callback_timeout} 秒时限"
            return self._failed(dataset, source_name, is_demo, message, last_good_key)
        try:
            with time_budget(left):
                frame = self._fetch(source, self._bound[dataset], scoped)
        except DataSourceError as exc:
            message = self.error_for_reader(dataset, exc)
            return self._failed(dataset, source_name, is_demo, message, last_good_key)
        except Exception as exc:
            log.exception("adapter %s failed on %s", source_name, dataset)
            message = f"数据源 {source_name} 出错（{type(exc).__name__}）"
            return self._failed(dataset, source_name, is_demo, message, last_good_key)
        missing = sorted(set(_expected_columns(self._bound[dataset], scoped)) - set(frame.columns))
        if missing:  # an adapter that breaks the contract must not reach a chart
            log.warning("source %s answered %s without %s", source_name, dataset, missing)
            return self._failed(
                dataset,
                source_name,
                is_demo,
                f"数据源 {source_name} 返回的数据缺少字段 {'、'.join(missing)}",
                last_good_key,
            )
        as_of = self.as_of(dataset) if with_as_of else None
        result = Result(
            dataset,
            frame,
            source_name,
            is_demo,
            as_of=as_of,
            max_age=self.max_age(dataset),
            fetched_at=time.time(),
            notice=self.data_notice(dataset, check=False),
        )
        # The two keys are None together (personal data is not cached, see _query).
        if self.cache and key is not None and last_good_key is not None:
            self.cache.set(key, result)
            self.cache.set(last_good_key, result, timeout=LAST_GOOD_SECONDS)
        return result

    def _fetch(self, source: DataSource, bound: BoundDataset, query: DatasetQuery) -> pd.DataFrame:
        """The source's answer: from its rollup tables where they give the exact answer (the
        source builds and keeps them; cockpit.rollups decides), else from the raw rows."""
        if CONTRACTS[bound.name].read_whole and bound is self._bound.get(bound.name):
            from data_sources.local_engine import query_rows

            checked = self.checked(bound.name)
            plain = BoundDataset(bound.name, bound.table, bound.columns, {}, bound.county_column)
            return query_rows(
                checked.frame, plain, query, self.settings.datasets[bound.name].source
            )
        built = list(source.rollups(bound)) if isinstance(source, SupportsRollups) else []
        if isinstance(source, KeepsAggregateTables):  # the platform's materialized views
            built += rollups.platform_built(bound, source.aggregate_tables())
        joined = source.fetch_joined if isinstance(source, SupportsJoinedFetch) else None
        frame = rollups.answer(query, bound, built, source.fetch, joined) if built else None
        return frame if frame is not None else source.fetch(bound, query)

    # -- the data check of small published datasets (read whole) --------------------------------
    def checked(self, dataset: str) -> Checked:
        """The dataset's rows as the check left them (normalised, bad rows set aside), read
        again when its source's version changes or cache.timeout seconds have passed (a live
        database gives no version that follows its rows). Raises DataSourceError when it cannot be read."""
        from cockpit.validation import (
            check_batch,
            city_now,
            county_sum_flags,
            economy_catalog,
            quarantine,
        )

        source = self.source_of(dataset)
        version = self._version(source)
        with self._check_lock:
            known = self._checked.get(dataset)
        # The answers' own cache lifetime (cache.timeout): a figure changed in a live database
        # shows no later than it did before the check.
        fresh_for = self.settings.cache.timeout
        if known and known.version == version and time.monotonic() - known.at < fresh_for:
            return known
        bound = self._bound[dataset]
        contract = CONTRACTS[dataset]
        raw = source.fetch(bound, DatasetQuery(columns=tuple(c.name for c in bound.columns)))
        city = self.settings.city
        catalog = economy_catalog(self.settings.indicators)
        codes = {c.code for c in city.counties} | set(city.former_codes) | {city.code}
        report = check_batch(
            raw, contract, county_codes=codes, now=city_now(city.timezone), catalog=catalog
        )
        if report.refused:
            raise DataSourceError(f"数据集 {dataset} 整批校验未通过：{'；'.join(report.errors)}")
        good = report.good(raw).reset_index(drop=True)
        notes, details = [], []  # for screens; for data staff (cockpit check, 数据质量)
        if report.rejected:
            key = list(contract.key)
            named = raw.reset_index(drop=True)
            where = lambda i: "键 " + "|".join(_key_text(named.at[i, k]) for k in key)  # noqa: E731
            kept = quarantine(
                self.settings.path(self.settings.sync.quarantine_dir),
                dataset,
                report.bad(raw, where),
                report.text(),
            )
            said = f"{len(report.rejected)} 行校验未通过未显示：{'；'.join(report.errors)}"
            notes.append(said)
            # Which rows, by key: for data staff only (a county user's screen names no other
            # county's rows).
            first = [where(i) for i in sorted(report.rejected)[:3]]
            more = "等" if len(report.rejected) > 3 else ""
            details.append(f"{said}（{'；'.join(first)}{more}；见 {kept.name}）")
        if county_sum_flags_wanted(contract):
            flags = county_sum_flags(good, catalog, city.code, [c.code for c in city.counties])
            if flags:
                notes.append("县区数据与全市不符：" + "；".join(flags))
                details.append(notes[-1])
        checked = Checked(
            good,
            len(raw),
            len(report.rejected),
            "；".join(notes) or None,
            "；".join(details) or None,
        )
        checked.version, checked.at = version, time.monotonic()
        with self._check_lock:
            self._checked[dataset] = checked
        return checked

    def data_notice(self, dataset: str, *, check: bool = True, detail: bool = False) -> str | None:
        """What the data check of a dataset held back or flagged, in one line without server
        paths: the hub's own check (read_whole datasets) and the source's (a file drop's
        refused file or set-aside rows). `check=False` only reports checks already made;
        `detail` names the rows set aside by their keys (for data staff, not for screens)."""
        from cockpit.validation import without_paths

        if dataset not in self._bound:
            return None
        parts = []
        if CONTRACTS[dataset].read_whole:
            if check:
                with contextlib.suppress(DataSourceError):
                    self.checked(dataset)
            with self._check_lock:
                known = self._checked.get(dataset)
            said = None if known is None else (known.detail if detail else known.notice)
            if said:
                parts.append(said)
        source = self.source_of(dataset)
        noted = source.problems(dataset) if isinstance(source, ReportsDataChecks) else None
        if noted:
            parts.append(noted)
        return without_paths("；".join(parts)) or None

    def row_counts(self, dataset: str) -> dict[str, int]:
        """Rows read and rows set aside at the last check the hub made of a dataset (read_whole
        datasets; a file drop's own check counted in; {} for others, whose counts the sync
        status keeps)."""
        with self._check_lock:
            known = self._checked.get(dataset)
        if known is None:
            return {}
        read, rejected = known.rows, known.rejected
        source = self.source_of(dataset)
        in_files = source.counts(dataset) if isinstance(source, ReportsDataChecks) else None
        if in_files is not None:  # a file drop: its rows as the files hold them
            read, rejected = in_files[0], in_files[1] + rejected
        return {"rows_read": read, "rows_rejected": rejected}

    def freshness(self, dataset: str) -> Result | None:
        """The answer behind the dataset's "数据截至" (its error when the source is down);
        None for a dataset without a freshness column."""
        column = CONTRACTS[dataset].freshness_column
        if column is None:
            return None
        return self.query(
            dataset, DatasetQuery(measures=(Measure("as_of", "max", column),)), with_as_of=False
        )

    def as_of(self, dataset: str) -> dt.datetime | None:
        """The dataset's "数据截至": the latest value of its freshness column, in scope."""
        answer = self.freshness(dataset)
        if answer is None or not answer.ok or answer.frame.empty:
            return None
        value = answer.frame["as_of"].iloc[0]
        if value is None or pd.isna(value):
            return None
        return pd.Timestamp(value).to_pydatetime()

    def max_age(self, dataset: str) -> dt.timedelta | None:
        """The dataset's declared maximum age, if any."""
        hours = self.settings.datasets[dataset].max_age_hours
        return None if hours is None else dt.timedelta(hours=hours)

    def scoped(
        self, dataset: str, query: DatasetQuery, principal: Principal
    ) -> DatasetQuery | None:
        """The query limited to the principal's counties; None when they may see none."""
        contract = CONTRACTS[dataset]
        column = contract.county_column
        if principal.whole_city or column is None:
            return query
        if not principal.counties:
            return None
        visible = self.visible_places(dataset, principal)
        outside = _asked_outside(query, column, visible)
        if outside:
            _record_out_of_scope(dataset, outside)
        return query.with_filters(Filter(column, "in", tuple(sorted(visible))))

    def visible_places(self, dataset: str, principal: Principal) -> frozenset[str]:
        """The county codes (and the city's own, for published city totals) whose rows of
        `dataset` the principal may see; every code of the city for the whole city."""
        if principal.counties is None:
            return frozenset({c.code for c in self.settings.city.counties}) | {
                self.settings.city.code
            }
        extra = {self.settings.city.code} if CONTRACTS[dataset].public_city_rows else set()
        return frozenset(principal.counties) | extra

    def record_out_of_scope(self, dataset: str, counties: list[str]) -> None:
        """Audit a request for counties outside the user's scope (a forged or stale link)."""
        _record_out_of_scope(dataset, counties)

    def _request_time_left(self) -> float | None:
        """Seconds left of this web request's one deadline (server.callback_timeout from its
        first query), which every source query inside it shares; None outside a request."""
        from flask import g, has_request_context

        if not has_request_context():
            return None
        deadline = g.setdefault(
            "cockpit_deadline", time.monotonic() + self.settings.server.callback_timeout
        )
        return deadline - time.monotonic()

    def error_for_reader(self, dataset: str, exc: DataSourceError) -> str:
        """A failed source as this reader is told it: data staff read what to fix (the
        adapter's detail: dataset, table, column); others the general message and what
        cannot be shown."""
        if exc.detail is None:
            return str(exc)
        if self._principal().can(SEE_SOURCE_DETAIL):
            return exc.detail
        title = CONTRACTS[dataset].title if dataset in CONTRACTS else dataset
        return f"{exc}：「{title}」暂时无法显示"

    def _version(self, source: DataSource) -> str:
        try:
            return source.version()
        except Exception:
            return "unknown"

    def _failed(
        self, dataset: str, source: str, is_demo: bool, message: str, last_good_key: str | None
    ) -> Result:
        if self.cache and last_good_key:
            last = self.cache.get(last_good_key)
            if not is_miss(last):
                return Result(
                    dataset,
                    last.frame,
                    source,
                    is_demo,
                    as_of=last.as_of,
                    error=message,
                    stale=True,
                    max_age=last.max_age,
                )
        return Result(dataset, pd.DataFrame(), source, is_demo, error=message)


@dataclass
class Checked:
    """A read_whole dataset after its check: the good rows (contract names) and what was found."""

    frame: pd.DataFrame
    rows: int  # rows read
    rejected: int  # rows set aside
    notice: str | None  # what a screen says (counts, reasons, flags)
    detail: str | None  # and which rows, by key, and the quarantine file (data staff)
    version: str = ""
    at: float = 0.0


def _key_text(value: object) -> str:
    """A key part as written: a date without its midnight time."""
    if isinstance(value, dt.datetime) and pd.Timestamp(value) == pd.Timestamp(value).normalize():
        return f"{value:%Y-%m-%d}"
    return str(value)


def county_sum_flags_wanted(contract: Contract) -> bool:
    """Does the dataset carry county and city figures of catalog indicators?"""
    names = {c.name for c in contract.columns}
    return {"indicator_id", "value", "release_date"} <= names and contract.county_column is not None


def _without_window(query: DatasetQuery, live_column: str | None) -> DatasetQuery:
    """The query without its moving window: filters on `live_column`, and the row limit (a
    live screen sets it from a count that moves with the window)."""
    if live_column is None:
        return query
    kept = tuple(f for f in query.filters if f.column != live_column)
    return dataclasses.replace(query, filters=kept, limit=None)


def _expected_columns(dataset: BoundDataset, query: DatasetQuery) -> list[str]:
    """The columns an answer to this query must have."""
    if query.measures or query.group_by or query.buckets:
        return [
            *query.group_by,
            *(b.name for b in query.buckets),
            *(m.name for m in query.measures),
        ]
    return list(query.columns or (c.name for c in dataset.columns))


def _touches_private(dataset: BoundDataset, query: DatasetQuery) -> bool:
    """Would the answer, or a filter value, carry a private column (name, phone, free text)?"""
    private = {c.name for c in dataset.columns if c.private}
    if not private:
        return False
    aggregate = bool(query.measures or query.group_by or query.buckets)
    shown = set(query.group_by) if aggregate else set(query.columns or private)
    filtered = {f.column for f in query.filters}
    return bool((shown | filtered) & private)


def _asked_outside(query: DatasetQuery, column: str, visible: frozenset[str]) -> list[str]:
    """Counties this query names (eq / in on the scope column) that the principal may not see.

    The scope filter added after it answers such a query with nothing; this only says that
    someone asked (a forged callback, or a stale link), so it can be recorded.
    """
    asked: list[str] = []
    for f in query.filters:
        if f.column != column:
            continue
        values = f.value if isinstance(f.value, (list, tuple, set, frozenset)) else [f.value]
        if f.op in ("eq", "in"):
            asked += [str(v) for v in values if str(v) not in visible]
    return sorted(set(asked))


def _record_out_of_scope(dataset: str, counties: list[str]) -> None:
    """Audit an out-of-scope request, once per request and dataset (a page asks many times)."""
    from flask import g, has_request_context

    from cockpit import audit

    if not has_request_context():
        log.warning("out-of-scope query on %s for %s outside a request", dataset, counties)
        return
    seen = g.setdefault("cockpit_scope_denials", set())
    key = (dataset, tuple(counties))
    if key in seen:
        return
    seen.add(key)
    try:
        audit.record(audit.DENIED, f"{dataset}:{','.join(counties)}"[:300], "out_of_scope")
    except Exception:
        log.exception("could not audit an out-of-scope query")
