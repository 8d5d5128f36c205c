"""The adapter interface: what every data source offers, and what some offer besides.

Every adapter implements `DataSource` (fetch, health, version, close). Optional capabilities
are declared here as runtime-checkable protocols, and the hub asks for them with isinstance:
`SupportsRollups` (keeps rollup tables), `SupportsJoinedFetch` (answers several aggregate
queries in one statement), `ReportsDataChecks` (a file drop's refused files and set-aside rows).
What a source is asked (the query vocabulary: DatasetQuery, BoundDataset, ...) is in
data_sources/query.py. Nothing here imports the frame (cockpit) or the panels: what an adapter
needs of the frame is handed to it when the frame builds it.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

import pandas as pd
from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:  # query.py imports DataSourceError from here
    from data_sources.query import BoundDataset, DatasetQuery

# -- the time a query may take ------------------------------------------------------------
# One deadline per request (the caller's: a web request has its callback timeout) that every
# query inside it shares, so that several slow queries cannot add up past the proxy's timeout.
# Adapters read what is left with remaining_budget() and stop their work by then.
_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "data_source_deadline", default=None
)


@contextlib.contextmanager
def time_budget(seconds: float | None) -> Iterator[None]:
    """Queries inside the block must end within `seconds` (None: only their own timeouts)."""
    token = _DEADLINE.set(None if seconds is None else time.monotonic() + seconds)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def remaining_budget() -> float | None:
    """Seconds left of the current time budget (may be <= 0), or None when there is none."""
    deadline = _DEADLINE.get()
    return None if deadline is None else deadline - time.monotonic()


class DataSourceError(Exception):
    """A source could not answer; the message is safe to show to a user.

    `detail`, where given, says what to fix in words for data staff (the dataset, the table,
    the column); the message then stays general, for everyone else.
    """

    def __init__(self, message: str, detail: str | None = None) -> None:
        super().__init__(message)
        self.detail = detail


@dataclass(frozen=True)
class Health:
    """What a source says of itself."""

    ok: bool
    message: str
    checked_at: dt.datetime


class SourceConfig(BaseModel):
    """Base of every adapter's configuration: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")


class DataSource(Protocol):
    """What every adapter implements.

    `close()` releases the source's connections and files; the source stays usable, and opens
    them again on its next query (as it does after a fork): a hub closed at a worker's exit
    never leaves a source that fails for whoever still holds it.
    """

    kind: ClassVar[str]
    # Serves made-up demonstration data (screens say so). Every adapter declares it; only the
    # demo adapter sets it True.
    is_demo: ClassVar[bool]

    def fetch(self, dataset: BoundDataset, query: DatasetQuery) -> pd.DataFrame:
        """Run the query; raise DataSourceError (never return an error value)."""

    def health(self) -> Health:
        """Check the source can answer now."""

    def version(self) -> str:
        """A token that changes when the source's data is replaced (part of cache keys)."""

    def close(self) -> None:
        """Release connections and files (the next query opens them again)."""


@runtime_checkable
class SupportsRollups(Protocol):
    """A source that keeps rollup tables beside the raw rows (the demo file, the local store).

    The records are the frame's (cockpit.rollups.Built, read from the rollups' metadata
    table); the source keeps and returns them without reading them.
    """

    def rollups(self, dataset: BoundDataset) -> Sequence[Any]:
        """The dataset's rollups present in the source now ([] when none)."""


@runtime_checkable
class KeepsAggregateTables(Protocol):
    """A source whose platform keeps aggregate tables (materialized views) in the shape of the
    cockpit's rollups: rollup name -> table, as configured. The frame decides which queries
    they answer (cockpit.rollups); the source only says where they are."""

    def aggregate_tables(self) -> Mapping[str, str]:
        """Rollup name -> the platform's table ({} when none is configured)."""


@runtime_checkable
class SupportsJoinedFetch(Protocol):
    """A source that answers several aggregate queries in one statement (SQL engines)."""

    def fetch_joined(
        self, parts: list[tuple[BoundDataset, DatasetQuery]], keys: list[str]
    ) -> pd.DataFrame:
        """The parts' measures joined on `keys` (raises DataSourceError)."""


@runtime_checkable
class ReportsDataChecks(Protocol):
    """A source that checks its rows itself (a file drop) and says what it held back."""

    def problems(self, dataset: str) -> str | None:
        """What was refused or set aside at the last read (None: nothing)."""

    def counts(self, dataset: str) -> tuple[int, int] | None:
        """Rows read and rows set aside at the last read (None: not read yet)."""


@runtime_checkable
class KeepsCopies(Protocol):
    """A store that keeps copies of other sources' datasets and answers from them (sync
    mode's local store): the hub reads a sync-mode dataset there, at the copy's binding."""

    def copy_of(self, origin: BoundDataset) -> BoundDataset:
        """Where the store keeps its copy of a dataset (same contract, its own table)."""
