"""The 12345 KPI definitions on hand-made tickets, and the module's other pure functions.

Fifteen tickets, each there for a reason (a reopened ticket, an extended deadline, a returned
ticket, tickets without evaluation, a 即办 ticket, an open overdue one, a ticket received
before the period but due in it ...), are loaded into SQLite, DuckDB and PostgreSQL. The
module's queries run on each engine through a real DataHub and its pure functions turn the
counts into KPIs; the expected values are counted by hand (default definitions) and by an
independent pandas reading of the definitions (every configurable variant).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from cockpit.domains.hotline import kpis
from cockpit.domains.hotline.config import Definitions, HotlineConfig
from cockpit.domains.hotline.drill import Context, parse_key, resolve
from cockpit.domains.hotline.keywords import keyword_spikes
from cockpit.domains.hotline.kpis import Window
from cockpit.domains.hotline.masking import mask_frame, mask_name, mask_phone, mask_text
from cockpit.domains.hotline.transform import (
    bucket_range,
    county_ranking,
    last_complete_week,
    period_windows,
    unit_board,
    volume_series,
    weekly_ratios,
    weekly_spikes,
)
from cockpit.factory import module_configs
from cockpit.hub import DataHub
from cockpit.panels import PanelSpec
from cockpit.settings import ConfigError, DatasetBinding, load_settings
from data_sources.query import Filter
from data_sources.sql import SqlConfig, SqlSource

T = pd.Timestamp
OCTOBER = Window(dt.datetime(2026, 10, 1), dt.datetime(2026, 11, 1), "2026年10月")
NOW = dt.datetime(2026, 11, 20)


# -- the hand-made tickets -----------------------------------------------------------------------
def ticket(tid: str, received: str, **kw: Any) -> dict[str, Any]:
    """A dispatched ticket closed on time, unless told otherwise."""
    rec = T(received)
    direct = kw.get("direct_answer", False)
    dispatched = kw.get("dispatched_at", None if direct else rec + pd.Timedelta(hours=1))
    row = {
        "ticket_id": tid,
        "received_at": rec,
        "channel": "电话",
        "appeal_type": "投诉",
        "category_l1": "城乡建设",
        "category_l2": "供热",
        "county_code": "140403",
        "township": "城关街道",
        "address": f"潞州区城关街道某小区{tid}号楼",
        "content": "反映暖气不热",
        "direct_answer": direct,
        "responsible_unit": None if direct else "市住建局",
        "dispatched_at": dispatched,
        "sign_deadline": None if dispatched is None else dispatched + pd.Timedelta(hours=4),
        "signed_at": None if dispatched is None else dispatched + pd.Timedelta(hours=1),
        "deadline": rec + pd.Timedelta(days=3),
        "extended": False,
        "returned_count": 0,
        "reopened": False,
        "closed_at": rec + pd.Timedelta(days=2),
        "status": "已办结",
        "followed_up": True,
        "evaluation": "满意",
        "citizen_name": "张三",
        "citizen_phone": "13800000009",
        "updated_at": rec + pd.Timedelta(days=2),
    }
    row.update(kw)
    return row


P1, P2, P3 = "13800000001", "13800000002", "13800000003"
TICKETS = pd.DataFrame(
    [
        # On time, satisfied; P1 calls about 供热 three times in October (T01, T02, T07).
        ticket("T01", "2026-10-02 09:00", citizen_phone=P1),
        # Closed two days late, unsatisfied.
        ticket(
            "T02",
            "2026-10-03 10:00",
            closed_at=T("2026-10-08 10:00"),
            evaluation="不满意",
            citizen_phone=P1,
            address="潞州区城关街道某小区T01号楼",  # same address and category as T01
        ),
        # Reopened after closing; its final closing is before the deadline.
        ticket("T03", "2026-10-05 08:00", reopened=True, evaluation="基本满意", citizen_phone=P2),
        # Extended by 7 days: late against the first deadline, on time against the extended one.
        # Not followed up, not evaluated; P2 again, but another category (no repeat).
        ticket(
            "T04",
            "2026-10-06 08:00",
            extended=True,
            deadline=T("2026-10-16 08:00"),
            closed_at=T("2026-10-12 08:00"),
            followed_up=False,
            evaluation=None,
            category_l2="供水",
            category_l1="公共服务",
            citizen_phone=P2,
        ),
        # Returned twice by units before it was done.
        ticket("T05", "2026-10-10 08:00", returned_count=2, citizen_phone=P3),
        # Followed up without an evaluation; an anonymous caller.
        ticket("T06", "2026-10-11 08:00", evaluation=None, citizen_phone=None, citizen_name=None),
        # 即办: answered at first contact (no unit, no dispatch).
        ticket(
            "T07",
            "2026-10-12 09:00",
            direct_answer=True,
            closed_at=T("2026-10-12 09:20"),
            citizen_phone=P1,
        ),
        # Still open, past its deadline.
        ticket(
            "T08",
            "2026-10-20 08:00",
            closed_at=None,
            status="办理中",
            followed_up=False,
            evaluation=None,
            citizen_phone="13800000004",
        ),
        # Received in October, due and closed in November: not in October's due or closed cohort.
        ticket(
            "T09",
            "2026-10-29 10:00",
            deadline=T("2026-11-08 10:00"),
            closed_at=T("2026-11-05 10:00"),
            citizen_phone="13800000005",
        ),
        # Received in September, due and closed (late) in October.
        ticket(
            "T10",
            "2026-09-28 10:00",
            deadline=T("2026-10-01 10:00"),
            closed_at=T("2026-10-02 10:00"),
            citizen_phone=P1,
        ),
        # Signed after its signing deadline (closed on time).
        ticket(
            "T11",
            "2026-10-15 08:00",
            signed_at=T("2026-10-15 15:00"),
            channel="微信",
            citizen_phone="13800000006",
        ),
        # Never signed, signing deadline passed; open and overdue.
        ticket(
            "T12",
            "2026-10-25 08:00",
            signed_at=None,
            closed_at=None,
            status="待签收",
            followed_up=False,
            evaluation=None,
            channel="APP",
            citizen_phone="13800000007",
        ),
        # Received on the last evening of October, dispatched in November.
        ticket(
            "T13",
            "2026-10-31 23:00",
            dispatched_at=T("2026-11-01 01:00"),
            citizen_phone="13800000008",
        ),
        # Closed exactly at its deadline: on time.
        ticket(
            "T14",
            "2026-10-16 10:00",
            closed_at=T("2026-10-19 10:00"),
            citizen_phone="13800000010",
        ),
        # Last year's October, for comparisons: one ticket, on time and satisfied.
        ticket("T15", "2025-10-08 08:00", citizen_phone="13800000011"),
    ]
)
for _column in ("closed_at", "dispatched_at", "signed_at", "sign_deadline"):
    TICKETS[_column] = pd.to_datetime(TICKETS[_column])

# October, default definitions, counted by hand from the comments above.
EXPECTED_DEFAULT = {
    "received": 13,  # T01-T09, T11-T14
    "direct_rate": 7.7,  # T07 / 13
    "dispatched": 11,  # all October non-direct but T13 (Nov); T10 was dispatched in September
    "sign_on_time": 81.8,  # 9 / (9 + T11 late + T12 never signed)
    "on_time": 54.5,  # 6 / 11 due: T02, T10 late, T03 reopened, T08, T12 open
    "closure": 81.8,  # 9 closed / 11 due (T08, T12 open)
    "followup": 90.0,  # 9 / 10 closed in October (T04 not followed up)
    "satisfaction": 87.5,  # 7 / 8 evaluated (T04, T06 not evaluated; T02 unsatisfied)
    "return_rate": 9.1,  # T05 / 11
    "reopen_rate": 10.0,  # T03 / 10 closed
    "extension_rate": 9.1,  # T04 / 11
    "repeat_rate": 15.4,  # T02 and T07 repeat T01 (P1, 供热) / 13
    "handling_avg": 3.1,  # days of T01..T06, T10, T11, T14: 2,5,2,6,2,2,4,2,3 -> 28 / 9
    "handling_p90": 6.0,  # 9 tickets: the 9th smallest (nearest rank of 90%) is 6
}


# -- engines -------------------------------------------------------------------------------------
def _hub(source: SqlSource, table: str) -> DataHub:
    """A real DataHub over one loaded table (no cache, the default whole-city principal)."""
    settings = load_settings().model_copy(
        update={
            "sources": {"t": source.config},
            "datasets": {"hotline.tickets": DatasetBinding(source="t", table=table)},
        }
    )
    return DataHub(settings, {"t": source}, cache=None)


@pytest.fixture(scope="module")
def sqlite_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DataHub]:
    """The tickets in a SQLite file."""
    path = tmp_path_factory.mktemp("hotline-sqlite") / "t.sqlite"
    loader = sa.create_engine(f"sqlite:///{path}")
    TICKETS.to_sql("tickets", loader, index=False)
    loader.dispose()
    source = SqlSource("t", SqlConfig(kind="sql", url=f"sqlite:///{path}"))
    yield _hub(source, "tickets")
    source.close()


@pytest.fixture(scope="module")
def duckdb_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DataHub]:
    """The tickets in a DuckDB file."""
    import duckdb

    path = tmp_path_factory.mktemp("hotline-duckdb") / "t.duckdb"
    con = duckdb.connect(str(path))
    try:
        con.register("frame_view", TICKETS)
        con.execute("CREATE TABLE tickets AS SELECT * FROM frame_view")
    finally:
        con.close()
    source = SqlSource("t", SqlConfig(kind="sql", url=f"duckdb:///{path}"))
    yield _hub(source, "tickets")
    source.close()


@pytest.fixture(scope="module")
def postgresql_hub(pg_url: str) -> Iterator[DataHub]:
    """The tickets in a uniquely named PostgreSQL table, dropped afterwards."""
    table = f"cockpit_test_hotline_{uuid.uuid4().hex[:10]}"
    loader = sa.create_engine(pg_url)
    TICKETS.to_sql(table, loader, index=False)
    source = SqlSource("t", SqlConfig(kind="sql", url=pg_url, connect_timeout=3))
    try:
        yield _hub(source, table)
    finally:
        source.close()
        with loader.begin() as conn:
            conn.execute(sa.text(f'DROP TABLE IF EXISTS "{table}"'))
        loader.dispose()


@pytest.fixture(
    scope="module",
    params=["sqlite", "duckdb", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def engine_hub(request: pytest.FixtureRequest) -> DataHub:
    """Each engine in turn."""
    return request.getfixturevalue(f"{request.param}_hub")


def _kpis(hub: DataHub, defs: Definitions, window: Window = OCTOBER) -> dict[str, float | None]:
    """The module's KPIs of a window, computed as the page computes them (engine + pure)."""
    counts = hub.query("hotline.tickets", kpis.counts_query(defs, window, NOW))
    hist = hub.query("hotline.tickets", kpis.handling_query(defs, window))
    assert counts.ok and hist.ok, (counts.error, hist.error)
    return kpis.kpi_values(counts.frame, hist.frame)


# -- an independent reading of the definitions ---------------------------------------------------
def reference(frame: pd.DataFrame, defs: Definitions, w: Window, now: dt.datetime) -> dict:
    """Every KPI of a window computed row by row with pandas, straight from the definitions."""
    f = frame

    def within(col: str) -> pd.Series:
        return (f[col] >= w.start) & (f[col] < w.end)

    def pct(num: int, den: int) -> float | None:
        return None if not den else round(num / den * 100, 1)

    rec, disp = within("received_at"), within("dispatched_at")
    scanned = f["received_at"] >= w.start - dt.timedelta(days=defs.lookback_days)
    dispatched_only = (
        pd.Series(True, index=f.index) if defs.on_time_includes_direct else ~f.direct_answer
    )
    if defs.on_time_cohort == "due":
        due = (f.deadline >= w.start) & (f.deadline < min(w.end, now)) & dispatched_only & scanned
        counted = due
    else:
        due = rec & dispatched_only
        counted = due & (f.closed_at.notna() | (f.deadline < now))
    on_time = counted & (f.closed_at <= f.deadline)
    if not defs.reopened_counts_on_time:
        on_time &= ~f.reopened
    if not defs.extended_counts_on_time:
        on_time &= ~f.extended
    if defs.satisfaction_cohort == "closed":
        closed = within("closed_at") & scanned
    else:
        closed = rec & f.closed_at.notna()
    evaluated = closed & f.evaluation.notna()
    key = defs.repeat_key
    keyed = f[rec & f[key].notna()]
    repeats = int((keyed.groupby([key, "category_l2"]).size() - 1).sum())
    handled = within("closed_at") & scanned
    if not defs.handling_includes_direct:
        handled &= ~f.direct_answer
    start = f[defs.handling_from]
    handled &= start.notna()
    days = (f.closed_at[handled].dt.normalize() - start[handled].dt.normalize()).dt.days
    signed_due = disp & (f.signed_at.notna() | (f.sign_deadline < now))
    return {
        "received": int(rec.sum()),
        "direct_rate": pct(int((rec & f.direct_answer).sum()), int(rec.sum())),
        "dispatched": int(disp.sum()),
        "sign_on_time": pct(
            int((disp & (f.signed_at <= f.sign_deadline)).sum()), int(signed_due.sum())
        ),
        "on_time": pct(int(on_time.sum()), int(counted.sum())),
        "closure": pct(int((counted & f.closed_at.notna()).sum()), int(counted.sum())),
        "followup": pct(int((closed & f.followed_up).sum()), int(closed.sum())),
        "satisfaction": pct(
            int((evaluated & f.evaluation.isin(defs.satisfied_values)).sum()), int(evaluated.sum())
        ),
        "return_rate": pct(int((disp & (f.returned_count > 0)).sum()), int(disp.sum())),
        "reopen_rate": pct(int((closed & f.reopened).sum()), int(closed.sum())),
        "extension_rate": pct(int((disp & f.extended).sum()), int(disp.sum())),
        "repeat_rate": pct(repeats, int(rec.sum())),
        "handling_avg": round(float(days.mean()), 1) if len(days) else None,
        "handling_p90": float(days.sort_values().iloc[max(0, -(-9 * len(days) // 10) - 1)])
        if len(days)
        else None,
    }


VARIANTS = {
    "default": {},
    "reopened on time": {"reopened_counts_on_time": True},
    "extended never on time": {"extended_counts_on_time": False},
    "direct included": {"on_time_includes_direct": True, "handling_includes_direct": True},
    "received cohort": {"on_time_cohort": "received", "satisfaction_cohort": "received"},
    "from dispatch": {"handling_from": "dispatched_at"},
    "repeat by address": {"repeat_key": "address"},
    "only 满意": {"satisfied_values": ("满意",)},
}


# -- the KPI definitions on every engine ---------------------------------------------------------
def test_default_definitions_match_the_hand_count(engine_hub: DataHub) -> None:
    """Every KPI of October equals the value counted by hand from the tickets' comments."""
    assert _kpis(engine_hub, Definitions()) == EXPECTED_DEFAULT


def test_reference_reading_agrees_with_the_hand_count() -> None:
    """The pandas reading used for the variants gives the hand count too (so it can be trusted)."""
    assert reference(TICKETS, Definitions(), OCTOBER, NOW) == EXPECTED_DEFAULT


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_each_configurable_definition_matches_the_reference(
    engine_hub: DataHub, variant: str
) -> None:
    """Each configurable definition changes the KPIs exactly as its reading says."""
    defs = Definitions(**VARIANTS[variant])
    assert _kpis(engine_hub, defs) == reference(TICKETS, defs, OCTOBER, NOW)


def test_edge_cases_move_the_kpis_they_should(duckdb_hub: DataHub) -> None:
    """Reopened, extended and 即办 tickets and the satisfied values each change their KPI."""
    base = _kpis(duckdb_hub, Definitions())
    reopened = _kpis(duckdb_hub, Definitions(reopened_counts_on_time=True))
    assert reopened["on_time"] == 63.6 > base["on_time"]  # T03 now on time: 7 / 11
    strict = _kpis(duckdb_hub, Definitions(extended_counts_on_time=False))
    assert strict["on_time"] == 45.5  # T04 no longer on time: 5 / 11
    direct = _kpis(
        duckdb_hub, Definitions(on_time_includes_direct=True, handling_includes_direct=True)
    )
    assert direct["closure"] == 83.3  # T07 joins the due tickets: 10 / 12
    assert direct["handling_avg"] == 2.8  # a 0-day ticket joins: 28 / 10
    only = _kpis(duckdb_hub, Definitions(satisfied_values=("满意",)))
    assert only["satisfaction"] == 75.0  # 基本满意 (T03) no longer counts: 6 / 8
    by_address = _kpis(duckdb_hub, Definitions(repeat_key="address"))
    assert by_address["repeat_rate"] == 7.7  # only T02 repeats T01's address and category


def test_a_window_without_tickets_gives_missing_kpis_not_zeros(duckdb_hub: DataHub) -> None:
    """A month with no tickets has no KPI values at all: '—' on screen, never 0."""
    empty = Window(dt.datetime(2024, 2, 1), dt.datetime(2024, 3, 1), "2024年2月")
    values = _kpis(duckdb_hub, Definitions(), empty)
    assert set(values) == {k.key for k in kpis.KPIS}
    assert all(v is None for v in values.values())


def test_last_years_month_is_counted_in_its_own_window(duckdb_hub: DataHub) -> None:
    """The comparison window of last year sees only its own ticket."""
    windows = period_windows("2026-10", NOW)
    values = _kpis(duckdb_hub, Definitions(), windows["last_year"])
    assert values["received"] == 1 and values["on_time"] == 100.0
    assert values["satisfaction"] == 100.0 and values["handling_avg"] == 2.0


def test_kpi_queries_return_aggregates_only(duckdb_hub: DataHub) -> None:
    """The KPI queries ask for measures, never for ticket columns: no rows leave the engine."""
    defs = Definitions()
    for query in (kpis.counts_query(defs, OCTOBER, NOW), kpis.handling_query(defs, OCTOBER)):
        assert query.measures and not query.columns
    counts = duckdb_hub.query("hotline.tickets", kpis.counts_query(defs, OCTOBER, NOW)).frame
    assert len(counts) == 2  # one row per category (供热, 供水)


# -- pure arithmetic -----------------------------------------------------------------------------
def test_rates_with_nothing_to_divide_are_missing() -> None:
    """Zero denominators give None, zero numerators give 0."""
    values = kpis.rates({"received": 5, "direct": 0, "dispatched": 0, "closed": 0})
    assert values["direct_rate"] == 0.0
    assert values["return_rate"] is None and values["on_time"] is None
    assert values["satisfaction"] is None and values["repeat_rate"] is None


def test_repeats_are_counted_per_category_and_never_negative() -> None:
    """Σ (tickets - distinct callers) per category; a group cannot repeat less than zero."""
    frame = pd.DataFrame(
        {
            "category_l2": ["供热", "供水", "燃气"],
            "received": [5, 3, 2],
            "repeat_tickets": [5, 3, 0],
            "repeat_distinct": [3, 3, 1],
        }
    )
    assert kpis.totals(frame)["repeats"] == 2.0
    assert kpis.rates(kpis.totals(frame))["repeat_rate"] == 20.0


def test_handling_days_average_and_nearest_rank_percentile() -> None:
    """Days are end day minus start day; P90 is the smallest day count covering 90%."""
    hist = pd.DataFrame(
        {
            "start_day": ["2026-10-01", "2026-10-01", "2026-10-02", "2026-10-03"],
            "end_day": ["2026-10-01", "2026-10-03", "2026-10-12", "2026-10-04"],
            "tickets": [5, 3, 1, 1],
        }
    )
    average, p90 = kpis.handling_days(hist)
    assert average == round((0 * 5 + 2 * 3 + 10 + 1) / 10, 1)
    assert p90 == 2.0  # 9 of 10 tickets within 2 days
    assert kpis.handling_days(pd.DataFrame(columns=["start_day", "end_day", "tickets"])) == (
        None,
        None,
    )


def test_change_is_points_for_rates_days_for_times_and_percent_for_counts() -> None:
    """Comparisons speak each KPI's language; a missing side gives no change."""
    k = kpis.KPI_BY_KEY
    assert kpis.change(k["received"], 110, 100) == 10.0
    assert kpis.change(k["on_time"], 91.5, 90.0) == 1.5
    assert kpis.change(k["handling_avg"], 3.1, 3.5) == -0.4
    assert kpis.change(k["received"], 10, 0) is None
    assert kpis.change(k["on_time"], None, 90.0) is None


def test_status_follows_direction_and_thresholds() -> None:
    """Higher is better for 按时办结率, lower for 退单率; no target, no light."""
    k = kpis.KPI_BY_KEY
    assert kpis.status(k["on_time"], 96, (95, 90)) == "green"
    assert kpis.status(k["on_time"], 92, (95, 90)) == "yellow"
    assert kpis.status(k["on_time"], 80, (95, 90)) == "red"
    assert kpis.status(k["return_rate"], 2, (3, 5)) == "green"
    assert kpis.status(k["return_rate"], 6, (3, 5)) == "red"
    assert kpis.status(k["received"], 100, None) == "none"
    assert kpis.status(k["on_time"], None, (95, 90)) == "none"


def test_every_kpi_has_a_definition_that_follows_the_configuration() -> None:
    """Hover texts exist for every KPI and say what the configuration chose."""
    default, other = (
        Definitions(),
        Definitions(
            reopened_counts_on_time=True, repeat_key="address", handling_from="dispatched_at"
        ),
    )
    for kpi in kpis.KPIS:
        assert kpis.definition(kpi.key, default)
    assert "重办工单一律不计按时" in kpis.definition("on_time", default)
    assert "重办工单按最终办结时间判断" in kpis.definition("on_time", other)
    assert "诉求地址" in kpis.definition("repeat_rate", other)
    assert "从派单到办结" in kpis.definition("handling_avg", other)


def test_channel_counts_add_other_channels() -> None:
    """Channels the configuration does not name are counted as 其他."""
    defs = Definitions(channels=("电话", "微信"))
    frame = pd.DataFrame({"received": [10], "channel_0": [6], "channel_1": [3]})
    assert kpis.channel_counts(frame, defs) == {"电话": 6.0, "微信": 3.0, "其他": 1.0}


# -- windows -------------------------------------------------------------------------------------
def test_a_complete_month_compares_with_whole_months() -> None:
    """October after it ended: whole October, September and last October."""
    w = period_windows("2026-10", NOW)
    assert (w["current"].start, w["current"].end) == (
        dt.datetime(2026, 10, 1),
        dt.datetime(2026, 11, 1),
    )
    assert (w["previous"].start, w["previous"].end) == (
        dt.datetime(2026, 9, 1),
        dt.datetime(2026, 10, 1),
    )
    assert w["last_year"].start == dt.datetime(2025, 10, 1) and w["last_year"].label == "2025年10月"


def test_a_month_in_progress_compares_like_for_like() -> None:
    """November up to the 19th 23:07 compares with October and last November to the same point."""
    now = dt.datetime(2026, 11, 19, 23, 7)
    w = period_windows("2026-11", now)
    assert w["current"].end == now and w["current"].label == "2026年11月1日—19日"
    assert w["previous"].end == dt.datetime(2026, 10, 19, 23, 7)
    assert w["last_year"].end == dt.datetime(2025, 11, 19, 23, 7)


def test_january_compares_with_december_and_a_short_month_is_capped() -> None:
    """The month before January is December; 30 days into March reach no further than February."""
    assert period_windows("2026-01", NOW)["previous"].start == dt.datetime(2025, 12, 1)
    w = period_windows("2026-03", dt.datetime(2026, 3, 31, 12))
    assert w["previous"].end == dt.datetime(2026, 3, 1) and w["previous"].label == "2026年2月"


def test_a_period_not_begun_is_empty() -> None:
    """A month after the data's now has an empty window."""
    assert period_windows("2026-12", NOW)["current"].empty


def test_last_complete_week_is_the_week_before_nows_week() -> None:
    """Thursday 19 November: the hot week is Monday 9 - Sunday 15 November."""
    assert last_complete_week(dt.datetime(2026, 11, 19, 23, 7)) == dt.datetime(2026, 11, 9)


def test_volume_series_fills_days_without_tickets_with_zero() -> None:
    """Within the data, a day without tickets received had none: 0."""
    frame = pd.DataFrame({"bucket": ["2026-10-01", "2026-10-03"], "tickets": [4, 2]})
    series = volume_series(frame, "day", dt.datetime(2026, 10, 1), dt.datetime(2026, 10, 4))
    assert series.to_dict("list") == {
        "bucket": ["2026-10-01", "2026-10-02", "2026-10-03"],
        "tickets": [4, 0, 2],
    }


def test_bucket_range_reads_each_granularity_and_refuses_junk() -> None:
    """A clicked bar's label becomes its [start, end); anything else is refused."""
    assert bucket_range("day", "2026-10-05") == (dt.datetime(2026, 10, 5), dt.datetime(2026, 10, 6))
    assert bucket_range("week", "2026-11-09")[1] == dt.datetime(2026, 11, 16)
    assert bucket_range("month", "2026-12") == (dt.datetime(2026, 12, 1), dt.datetime(2027, 1, 1))
    assert bucket_range("month", "2026-13") is None
    assert bucket_range("day", "'; drop table") is None


# -- hot topics ----------------------------------------------------------------------------------
def _weekly(series: dict[str, list[int]], last: str) -> pd.DataFrame:
    end = T(last)
    rows = []
    for category, counts in series.items():
        for k, n in enumerate(counts):
            week = end - pd.Timedelta(weeks=len(counts) - 1 - k)
            rows.append({"category": category, "week": week.strftime("%Y-%m-%d"), "tickets": n})
    return pd.DataFrame(rows)


def test_a_planted_category_spike_is_found_with_configured_thresholds() -> None:
    """A category at 3x its baseline is hot; a flat one is not; thresholds come from config."""
    weekly = _weekly(
        {"燃气": [10, 12, 11, 9, 10, 12, 8, 8, 30], "物业管理": [40] * 9}, "2026-11-09"
    )
    spikes = weekly_spikes(weekly, "2026-11-09", ratio=1.8, min_count=20, baseline_weeks=8)
    assert list(spikes["category"]) == ["燃气"]
    assert spikes.iloc[0]["baseline"] == 10.0 and spikes.iloc[0]["ratio"] == 3.0
    stricter = weekly_spikes(weekly, "2026-11-09", ratio=3.5, min_count=20, baseline_weeks=8)
    assert stricter.empty
    ratios = weekly_ratios(weekly, "2026-11-09", 8)
    assert list(ratios["category"]) == ["燃气", "物业管理"]  # all categories, hottest first


def test_a_series_without_a_spike_has_no_hot_category() -> None:
    """Ordinary week-to-week noise is not a spike."""
    weekly = _weekly({"燃气": [20, 22, 19, 21, 20, 23, 18, 20, 24], "供水": [30] * 9}, "2026-11-09")
    assert weekly_spikes(weekly, "2026-11-09").empty


def test_keywords_with_a_planted_spike_stand_out() -> None:
    """A word used by many tickets this week and few before is hot; the usual words are not."""
    current = ["反映燃气泄漏，闻到异味"] * 30 + ["反映暖气不热"] * 20
    baseline = ["反映暖气不热"] * 90 + ["反映燃气泄漏"] * 10
    words = keyword_spikes(
        current, baseline, current_total=50, baseline_weekly=50, ratio=1.8, min_count=10, top=10
    )
    hot = set(words.loc[words["hot"], "word"])
    assert {"燃气", "泄漏"} <= hot
    assert "暖气" not in hot  # 20 this week against 45 a week before
    leak = words.set_index("word").loc["泄漏"]
    assert leak["tickets"] == 30 and leak["baseline"] == 5.0 and leak["ratio"] == 6.0


def test_keywords_without_a_spike_are_listed_but_not_hot() -> None:
    """The same words at the same share every week are shown as frequent, none hot."""
    texts = ["反映暖气不热，室温只有12度"] * 40
    words = keyword_spikes(texts, texts, 40, 40, ratio=1.8, min_count=10, top=5)
    assert not words.empty and not words["hot"].any()
    assert "12" not in set(words["word"])  # numbers are not keywords
    assert keyword_spikes([], texts, 0, 40, ratio=1.8, min_count=10, top=5).empty


# -- masking -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "masked"),
    [("张三丰", "张**"), ("李四", "李**"), ("欧阳娜娜", "欧**"), ("", ""), (None, "")],
)
def test_mask_name_keeps_only_the_surname(raw: object, masked: str) -> None:
    """A name keeps its first character; its length is not revealed."""
    assert mask_name(raw) == masked


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("13812341234", "138****1234"),
        ("+86 138-1234-1234", "138****1234"),
        ("03552123456", "035****3456"),
        ("2123456", "*****56"),
        ("110", "***"),
        (None, ""),
        (float("nan"), ""),
    ],
)
def test_mask_phone_hides_the_middle(raw: object, masked: str) -> None:
    """Mobile numbers keep 3 + 4 digits; short numbers their last two."""
    assert mask_phone(raw) == masked


def test_mask_text_masks_numbers_in_free_text_and_leaves_the_rest() -> None:
    """Phones and ID numbers typed into the complaint are masked; dates and room numbers stay."""
    text = "联系电话13812341234，身份证14040219900101123X，2026-11-19在23号楼，室温12度"
    masked = mask_text(text)
    assert "13812341234" not in masked and "138****1234" in masked
    assert "14040219900101123X" not in masked and "140**************X" in masked
    assert "2026-11-19" in masked and "23号楼" in masked and "12度" in masked


def test_mask_frame_masks_every_personal_column() -> None:
    """Names, phones and numbers in text are masked; the input frame is left alone."""
    frame = TICKETS.head(3).copy()
    frame.loc[0, "content"] = "请回电13812341234"
    masked = mask_frame(frame)
    assert list(masked["citizen_name"]) == ["张**"] * 3
    assert masked["citizen_phone"].iloc[0] == "138****0001"
    assert masked["content"].iloc[0] == "请回电138****1234"
    assert frame["citizen_phone"].iloc[0] == P1  # the original is untouched


# -- drills --------------------------------------------------------------------------------------
def _context(**config: Any) -> Context:
    return Context(
        config=HotlineConfig(**config),
        window=OCTOBER,
        now=NOW,
        counties={"140403": "潞州区", "140404": "上党区"},
        hot_week=dt.datetime(2026, 11, 9),
    )


@pytest.mark.parametrize(
    "key",
    [
        None,
        5,
        "",
        "kpi",
        "kpi|",
        "kpi|nope",
        "county|999999",
        "sla|later",
        "bucket|day:x",
        "x|y",
        "a" * 300,
    ],
)
def test_unknown_or_malformed_drill_keys_resolve_to_nothing(key: object) -> None:
    """Only keys the page issues are honoured; anything else is refused."""
    assert resolve(key, _context()) is None


def test_drill_keys_turn_into_server_side_filters() -> None:
    """A KPI's drill lists its problem tickets first; a county drill names its county."""
    on_time = resolve("kpi|on_time", _context())
    assert [v.key for v in on_time.variants] == ["late", "open", "all"]
    assert Filter("direct_answer", "eq", False) in on_time.variant("late").filters
    county = resolve("county|140404", _context())
    assert county.county == "140404" and county.title == "上党区"
    unit = resolve("unit|市住建局", _context())
    assert Filter("responsible_unit", "eq", "市住建局") in unit.variant("all").filters
    caller = resolve("caller|T01", _context())
    assert caller.caller_ticket == "T01"  # the phone is looked up on the server
    assert parse_key("address|潞州区某小区|1号楼|供热") == ("address", "潞州区某小区|1号楼|供热")


def test_drill_lists_match_the_kpi_counts(duckdb_hub: DataHub) -> None:
    """The tickets a KPI's drill lists are the ones its counts counted."""
    from data_sources.query import DatasetQuery, Measure

    ctx = _context()

    def count(key: str, variant: str) -> int:
        filters = resolve(key, ctx).variant(variant).filters
        query = DatasetQuery(filters=filters, measures=(Measure("n", "count"),))
        return int(duckdb_hub.query("hotline.tickets", query).frame["n"].iloc[0])

    assert count("kpi|received", "all") == 13
    assert count("kpi|on_time", "late") == 2  # T02, T10 closed after the deadline
    assert count("kpi|on_time", "open") == 2  # T08, T12
    assert count("kpi|on_time", "all") == 11
    assert count("kpi|satisfaction", "unsatisfied") == 1  # T02
    assert count("kpi|sign_on_time", "missing") == 1  # T12
    assert count("kpi|reopen_rate", "reopened") == 1  # T03
    assert count("kpi|return_rate", "returned") == 1  # T05
    assert count("sla|overdue", "all") == 2  # T08, T12 still open past their deadline


# -- rankings ------------------------------------------------------------------------------------
def _group(
    key: str,
    name: str,
    due_closed: int,
    due_open: int,
    on_time: int,
    evaluated: int,
    satisfied: int,
) -> dict:
    return {
        key: name,
        "received": due_closed + due_open,
        "due_closed": due_closed,
        "due_open": due_open,
        "due_on_time": on_time,
        "evaluated": evaluated,
        "satisfied": satisfied,
    }


def test_unit_board_ranks_by_both_rates_and_skips_small_units() -> None:
    """Best and worst by the mean of 按时办结率 and 满意率; units below the minimum are left out."""
    frame = pd.DataFrame(
        [
            _group("responsible_unit", "甲", 20, 0, 20, 10, 10),  # 100 / 100
            _group("responsible_unit", "乙", 18, 2, 10, 10, 5),  # 50 / 50
            _group("responsible_unit", "丙", 20, 0, 18, 10, 9),  # 90 / 90
            _group("responsible_unit", "丁", 3, 0, 0, 1, 0),  # too few tickets
            _group("responsible_unit", "戊", 20, 0, 16, 0, 0),  # 80, never evaluated
        ]
    )
    red, black = unit_board(frame, min_tickets=10, size=2)
    assert list(red["responsible_unit"]) == ["甲", "丙"]
    assert list(black["responsible_unit"]) == ["乙", "戊"]
    assert black.set_index("responsible_unit").loc["戊", "score"] == 80.0
    assert not set(red["responsible_unit"]) & set(black["responsible_unit"])


def test_county_ranking_lists_every_county_and_leaves_missing_figures_unranked() -> None:
    """A county without tickets is listed last, with no rank and no rate."""
    frame = pd.DataFrame(
        [
            _group("county_code", "140403", 10, 0, 9, 4, 4),
            _group("county_code", "140405", 10, 0, 5, 2, 1),
        ]
    )
    names = {"140403": "潞州区", "140404": "上党区", "140405": "屯留区"}
    ranking = county_ranking(frame, names, "on_time")
    assert list(ranking["county_code"]) == ["140403", "140405", "140404"]
    assert list(ranking["rank"][:2]) == [1, 2] and ranking["rank"].iloc[2] is None
    assert pd.isna(ranking["on_time"].iloc[2]) and ranking["received"].iloc[2] == 0


# -- configuration -------------------------------------------------------------------------------
def _validate(section: dict) -> HotlineConfig:
    panel = PanelSpec(
        "hotline", "12345热线", "/hotline", 5, lambda: None, lambda a, h: None, HotlineConfig
    )
    settings = load_settings().model_copy(update={"hotline": section})
    return module_configs(settings, [panel])["hotline"]


def test_the_shipped_configuration_is_valid_and_matches_the_defaults() -> None:
    """config/hotline.yaml validates, and says what the defaults say."""
    shipped = _validate(load_settings().module_section("hotline"))
    assert shipped == HotlineConfig()


@pytest.mark.parametrize(
    ("section", "line"),
    [
        (
            {"definitions": {"on_time_cohrt": "due"}},
            "config/hotline.yaml: hotline.definitions.on_time_cohrt: Extra inputs are not permitted",
        ),
        (
            {"targets": {"on_time": {"good": 90, "warn": 95}}},
            "config/hotline.yaml: hotline.targets: on_time: higher is better, so good must be >= warn",
        ),
        (
            {"sla": {"soon_hours": 48, "warn_hours": 24}},
            "config/hotline.yaml: hotline.sla: warn_hours must be at least soon_hours",
        ),
    ],
)
def test_a_wrong_configuration_stops_start_up_with_one_line(section: dict, line: str) -> None:
    """A typo or an inconsistent threshold names the file, the field and what is expected."""
    with pytest.raises(ConfigError) as info:
        _validate(section)
    assert info.value.problems == [line]
