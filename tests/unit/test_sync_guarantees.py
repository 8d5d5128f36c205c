"""Sync cannot miss what the source committed: late rows, same-second rows, long transactions,
a batch stamped a minute ago, updates and deletes all end with the source and the store
equal, against a real PostgreSQL front-end database (issue #19).

Each test has a table of its own (a unique name) in the `test` database; the tests skip with
the reason when no PostgreSQL answers at 127.0.0.1:5432.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
import sqlalchemy as sa

from cockpit.contracts import CONTRACTS
from cockpit.settings import DatasetBinding, SyncSettings
from cockpit.sync import run_sync
from data_sources.query import BoundDataset, DatasetQuery
from data_sources.sql import SqlConfig
from tests.contract.test_adapter_contract import reference_tickets

TICKETS = CONTRACTS["hotline.tickets"]
COLUMNS = tuple(c.name for c in TICKETS.columns)


def beijing_now() -> dt.datetime:
    """The wall clock of the city's data (the default config's Asia/Shanghai)."""
    return dt.datetime.now(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None, microsecond=0)


class Platform:
    """A front-end PostgreSQL table of 12345 tickets and a cockpit syncing it."""

    def __init__(self, settings, pg_url: str, tmp_path, **sync) -> None:
        from tests.apps import app_as

        self.table = f"sync_guard_{uuid.uuid4().hex[:10]}"
        self.engine = sa.create_engine(pg_url)
        reference_tickets(240).to_sql(self.table, self.engine, index=False)
        changed = settings.model_copy(
            update={
                "sources": {**settings.sources, "frontdb": SqlConfig(kind="sql", url=pg_url)},
                "datasets": {
                    **settings.datasets,
                    "hotline.tickets": DatasetBinding(
                        source="frontdb", table=self.table, mode="sync"
                    ),
                },
                "sync": SyncSettings(
                    path=str(tmp_path / "sync" / "store.duckdb"),
                    quarantine_dir=str(tmp_path / "quarantine"),
                    **sync,
                ),
            }
        )
        self.app = app_as(changed)
        self.hub = self.app.server.extensions["cockpit_hub"]

    def add(self, rows: pd.DataFrame, conn: sa.Connection | None = None) -> None:
        """Insert rows (in `conn`'s transaction, if given)."""
        rows.to_sql(self.table, conn or self.engine, index=False, if_exists="append")

    def execute(self, sql: str, **params: object) -> None:
        """One statement at the source, committed."""
        with self.engine.begin() as conn:
            conn.execute(sa.text(sql.replace("{t}", self.table)), params)

    def sync(self) -> dict[str, object]:
        """One run of `python -m cockpit sync` for the tickets."""
        with self.app.server.app_context():
            return run_sync(self.hub, ["hotline.tickets"])[0]

    def source_rows(self) -> pd.DataFrame:
        """Every ticket at the source, as the cockpit reads it (former county codes mapped)."""
        origin = self.hub.origin_source("hotline.tickets")
        return origin.fetch(
            self.hub.origin_binding("hotline.tickets"), DatasetQuery(columns=COLUMNS)
        )

    def store_rows(self) -> pd.DataFrame:
        """Every ticket in the local store."""
        local = BoundDataset("hotline.tickets", "hotline__tickets", TICKETS.columns)
        return self.hub.local_store.fetch(local, DatasetQuery(columns=COLUMNS))

    def assert_equal(self) -> None:
        """Source and store hold the same keys, and the same values (a checksum of every column)."""
        there, here = self.source_rows(), self.store_rows()
        assert set(there["ticket_id"]) == set(here["ticket_id"])
        assert len(here) == len(there)
        assert checksum(there) == checksum(here)

    def close(self) -> None:
        """Drop the table and let go of everything."""
        from tests.apps import close_app

        close_app(self.app)
        self.hub.local_store.close()
        with self.engine.begin() as conn:
            conn.execute(sa.text(f'DROP TABLE IF EXISTS "{self.table}"'))
        self.engine.dispose()


def checksum(rows: pd.DataFrame) -> str:
    """sha256 of every row's values as text, in key order (times to the microsecond)."""
    frame = rows[list(COLUMNS)].sort_values("ticket_id").reset_index(drop=True)
    text = pd.DataFrame(
        {
            c.name: (
                pd.to_datetime(frame[c.name]).dt.strftime("%Y-%m-%d %H:%M:%S.%f")
                if c.type in ("datetime", "date")
                else frame[c.name]
                .astype(object)
                .map(
                    lambda v: "" if pd.isna(v) else str(bool(v)) if isinstance(v, bool) else str(v)
                )
                if c.type == "bool"
                else frame[c.name].astype("string")
            ).fillna("∅")
            for c in TICKETS.columns
        }
    )
    return hashlib.sha256(text.to_csv(index=False).encode("utf-8")).hexdigest()


@pytest.fixture
def platform(settings, pg_url, tmp_path):
    """A PostgreSQL source synced once (the store then equals the source)."""
    made = Platform(settings, pg_url, tmp_path)
    first = made.sync()
    assert first["ok"] and first["rows"] == 240, first
    made.assert_equal()
    yield made
    made.close()


def new_tickets(first: int, count: int, stamp: dt.datetime) -> pd.DataFrame:
    """Tickets numbered from `first` on, last updated at `stamp` (received a day before)."""
    rows = reference_tickets(first + count).iloc[first:].copy()
    rows["ticket_id"] = [f"N{i:06d}" for i in range(first, first + count)]
    return rows.assign(updated_at=pd.Timestamp(stamp))


def watermark(platform: Platform) -> dt.datetime:
    """The newest stamp the store has seen."""
    return pd.Timestamp(platform.hub.local_store.state("hotline.tickets")["watermark"])


def test_a_late_row_stamped_before_the_watermark_is_copied(platform) -> None:
    """A T+1 delivery: a row stamped a day before the newest stamp already synced."""
    late = new_tickets(0, 1, watermark(platform) - dt.timedelta(days=1))
    platform.add(late)
    result = platform.sync()
    assert result["ok"] and result["rows"] == 1
    platform.assert_equal()


def test_a_row_stamped_in_the_same_second_as_the_watermark_is_copied(platform) -> None:
    """A row committed after the sync read its neighbour of the same second."""
    platform.add(new_tickets(0, 3, watermark(platform)))
    assert platform.sync()["rows"] == 3
    platform.assert_equal()


def test_a_long_transaction_committed_after_a_later_stamp_was_synced(platform) -> None:
    """A transaction stamps its row, a second one stamps a later row and commits, the sync
    reads the later row; the first commits afterwards: its row is still copied."""
    early = beijing_now() - dt.timedelta(minutes=30)
    with platform.engine.connect() as slow:
        transaction = slow.begin()
        platform.add(new_tickets(0, 4, early), conn=slow)  # stamped, not yet committed
        platform.add(new_tickets(4, 2, early + dt.timedelta(minutes=5)))  # committed
        assert platform.sync()["rows"] == 2
        assert watermark(platform) == pd.Timestamp(early + dt.timedelta(minutes=5))
        transaction.commit()
    assert platform.sync()["rows"] == 4
    platform.assert_equal()


def test_a_batch_stamped_a_minute_ago_after_a_newer_row_was_synced(platform) -> None:
    """A routine batch (2,000 new tickets and 10 updates) stamped one minute ago lands just
    after a sync read a row stamped now: every row of it is copied."""
    now = beijing_now()
    platform.add(new_tickets(0, 1, now))
    assert platform.sync()["rows"] == 1
    minute_ago = now - dt.timedelta(minutes=1)
    platform.add(new_tickets(1, 2000, minute_ago))
    platform.execute(
        "UPDATE \"{t}\" SET status = '已办结', updated_at = :t WHERE ticket_id IN "
        "(SELECT ticket_id FROM \"{t}\" WHERE ticket_id LIKE 'R%' ORDER BY ticket_id LIMIT 10)",
        t=minute_ago,
    )
    result = platform.sync()
    assert (result["ok"], result["rows"]) == (True, 2010)
    platform.assert_equal()


def test_an_update_is_copied(platform) -> None:
    """Changed rows replace their old versions by key; nothing doubles."""
    platform.execute(
        "UPDATE \"{t}\" SET status = '办理中', closed_at = NULL, updated_at = :t "
        "WHERE ticket_id IN ('R00001', 'R00002')",
        t=watermark(platform) + dt.timedelta(hours=1),
    )
    assert platform.sync()["rows"] == 2
    platform.assert_equal()


def test_nothing_new_writes_nothing(platform) -> None:
    """The look-back re-reads rows the store already has: no write, 没有新数据."""
    said: list[str] = []
    with platform.app.server.app_context():
        result = run_sync(platform.hub, ["hotline.tickets"], progress=said.append)[0]
    assert result["rows"] == 0 and "hotline.tickets: 没有新数据" in said


@pytest.fixture
def reconciling(settings, pg_url, tmp_path):
    """A platform whose every sync also reconciles (reconcile_every_syncs: 1), synced once."""
    made = Platform(settings, pg_url, tmp_path, reconcile_every_syncs=1)
    assert made.sync()["rows"] == 240
    yield made
    made.close()


def test_a_row_deleted_at_the_source_is_removed_by_reconciliation(reconciling) -> None:
    """Deletes leave no stamp: the reconciliation finds the month pages whose count and
    checksum differ and re-pulls them."""
    reconciling.execute("DELETE FROM \"{t}\" WHERE ticket_id IN ('R00003', 'R00100', 'R00200')")
    result = reconciling.sync()
    assert result["ok"] and result.get("repulled"), result
    reconciling.assert_equal()


def test_a_row_older_than_the_look_back_is_found_by_reconciliation(reconciling) -> None:
    """A row delivered a month late is beyond the look-back: the reconciliation copies it."""
    old = watermark(reconciling) - dt.timedelta(days=30)
    reconciling.add(new_tickets(0, 2, old))
    assert reconciling.sync()["repulled"]
    reconciling.assert_equal()


def test_reconciliation_runs_on_its_schedule(settings, pg_url, tmp_path) -> None:
    """Every third sync here (1st, 4th, ...): a delete stays until then, and is gone after it."""
    made = Platform(settings, pg_url, tmp_path, reconcile_every_syncs=3)
    try:
        assert made.sync().get("reconciled")  # the first sync read everything
        made.execute("DELETE FROM \"{t}\" WHERE ticket_id = 'R00005'")
        assert not made.sync().get("reconciled")
        assert not made.sync().get("reconciled")
        assert "R00005" in set(made.store_rows()["ticket_id"])
        assert made.sync().get("reconciled")
        made.assert_equal()
    finally:
        made.close()


def test_a_full_resync_replaces_the_local_copy(platform) -> None:
    """`python -m cockpit sync --full hotline.tickets`: the store becomes the source again,
    deletes and rows beyond the look-back included."""
    from cockpit.__main__ import parser

    args = parser().parse_args(["sync", "--full", "hotline.tickets"])
    assert args.full == ["hotline.tickets"]
    platform.execute("DELETE FROM \"{t}\" WHERE ticket_id LIKE 'R000%'")
    platform.add(new_tickets(0, 5, watermark(platform) - dt.timedelta(days=90)))
    with platform.app.server.app_context():
        result = run_sync(platform.hub, args.full, full=True)[0]
    assert result["ok"] and result["total"] == 240 - 100 + 5
    platform.assert_equal()
