"""Invariants of the generated demo data: contracts, economy, 12345 tickets, places, determinism.

Every expectation is computed from the generated DuckDB file itself (or from the configuration),
never copied from a previous run.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from shapely.geometry import Point, shape
from shapely.prepared import prep

from cockpit.contracts import CONTRACTS
from cockpit.demo_data import demo_source, generate
from cockpit.domains.economy.demo import PUBLISHED
from cockpit.settings import Settings, load_settings
from data_sources.demo import DemoSource
from data_sources.query import BoundDataset, DatasetQuery, Measure

SMALL_TICKETS = 2000
SMALL_START_YEAR = 2025
SMALL_END = dt.date(2026, 11, 20)


# -- helpers -----------------------------------------------------------------------------------
def _read(db: Path, sql: str, *params: object) -> pd.DataFrame:
    """Run one query on the demo file, read-only, and return its frame.

    DuckDB refuses a second in-process connection to a file that an app's SQL engine (left by
    another test) holds with another configuration; the file is complete on disk, so a copy
    answers the same.
    """
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.ConnectionException:
        with tempfile.TemporaryDirectory() as folder:
            copy = Path(folder) / db.name
            shutil.copyfile(db, copy)
            return _read(copy, sql, *params)
    try:
        return con.execute(sql, list(params)).df()
    finally:
        con.close()


def _table(settings: Settings, dataset: str) -> str:
    """The table configured for a dataset."""
    return settings.datasets[dataset].table


def _end_date(settings: Settings) -> dt.date:
    """The last day of the generated data, as configured for the test run."""
    end = settings.sources["demo"].end_date
    assert end is not None, "the test configuration fixes the demo end date"
    return end


def _economy(settings: Settings, demo_db: Path) -> pd.DataFrame:
    """All economic indicator rows."""
    return _read(demo_db, f"SELECT * FROM {_table(settings, 'economy.indicator_values')}")


def _latest(frame: pd.DataFrame) -> pd.DataFrame:
    """The latest release of each (indicator, county, period, period_type)."""
    keys = ["indicator_id", "county_code", "period", "period_type"]
    newest = frame.groupby(keys)["release_date"].transform("max")
    return frame[frame["release_date"] == newest]


def _tickets(settings: Settings, demo_db: Path) -> pd.DataFrame:
    """All 12345 tickets."""
    return _read(demo_db, f"SELECT * FROM {_table(settings, 'hotline.tickets')}")


def _county_shapes(settings: Settings) -> dict[str, object]:
    """County code -> prepared shape from the city's map file (buffered by 0.002 degrees)."""
    data = json.loads(Path(settings.city.map_path()).read_text(encoding="utf-8"))
    return {
        str(f.get("id") or f["properties"]["code"]): prep(shape(f["geometry"]).buffer(0.002))
        for f in data["features"]
    }


def _small_generate(path: Path, settings: Settings, seed: int) -> None:
    """Generate a small demo file with fixed parameters."""
    generate(
        path,
        city=settings.city,
        seed=seed,
        tickets=SMALL_TICKETS,
        start_year=SMALL_START_YEAR,
        end_date=_end_date(settings),
    )


# -- contracts ---------------------------------------------------------------------------------
def test_every_contract_table_exists_with_exactly_the_contract_columns(settings, demo_db):
    """Each configured dataset's table exists and has the contract's columns, no more, no less."""
    tables = set(_read(demo_db, "SELECT table_name FROM information_schema.tables").table_name)
    for name, binding in settings.datasets.items():
        assert binding.table in tables, f"{name}: table {binding.table} missing"
        columns = list(_read(demo_db, f"SELECT * FROM {binding.table} LIMIT 0").columns)
        expected = [binding.columns.get(c.name, c.name) for c in CONTRACTS[name].columns]
        assert len(columns) == len(set(columns))
        assert sorted(columns) == sorted(expected), name


def test_non_nullable_contract_columns_have_no_nulls(settings, demo_db):
    """No NULL in a column the contract declares non-nullable."""
    for name, binding in settings.datasets.items():
        required = [
            binding.columns.get(c.name, c.name) for c in CONTRACTS[name].columns if not c.nullable
        ]
        checks = ", ".join(f'count(*) FILTER (WHERE "{c}" IS NULL) AS "{c}"' for c in required)
        nulls = _read(demo_db, f"SELECT {checks} FROM {binding.table}").iloc[0]
        assert not nulls.any(), f"{name}: NULLs in {list(nulls[nulls > 0].index)}"


def test_contract_key_columns_are_unique(settings, demo_db):
    """The contract key identifies one row in every table."""
    for name, binding in settings.datasets.items():
        key = [binding.columns.get(k, k) for k in CONTRACTS[name].key]
        if not key:
            continue
        cols = ", ".join(f'"{k}"' for k in key)
        dupes = _read(
            demo_db,
            f"SELECT {cols}, count(*) AS n FROM {binding.table} "
            f"GROUP BY {cols} HAVING count(*) > 1",
        )
        assert dupes.empty, f"{name}: duplicate keys {dupes.head().to_dict('records')}"


# -- economy -----------------------------------------------------------------------------------
def test_additive_indicators_counties_add_up_to_the_city(settings, demo_db):
    """For additive indicators, the counties' latest values sum to the city's, where all report."""
    frame = _latest(_economy(settings, demo_db))
    city = settings.city.code
    counties = {c.code for c in settings.city.counties}
    additive = [i.id for i in settings.indicators if i.additive]
    checked = 0
    for (ind, period), group in frame[frame.indicator_id.isin(additive)].groupby(
        ["indicator_id", "period"]
    ):
        city_rows = group[group.county_code == city]
        county_rows = group[group.county_code.isin(counties)]
        assert len(city_rows) == 1, (ind, period)
        if set(county_rows.county_code) != counties:
            continue  # a county's month is missing: nothing to add up (checked below)
        assert county_rows["value"].sum() == pytest.approx(city_rows["value"].iloc[0], abs=0.01), (
            ind,
            period,
        )
        checked += 1
    assert checked > 100


def test_city_december_values_reproduce_the_published_figures(settings, demo_db):
    """Every published annual value and growth appears exactly in the city's December figure."""
    frame = _latest(_economy(settings, demo_db))
    city = frame[frame.county_code == settings.city.code]
    start_year = settings.sources["demo"].start_year
    compared = 0
    for ind, years in PUBLISHED.items():
        for year, figures in years.items():
            if year < start_year:
                continue  # before the generated history: only used as a base level
            row = city[(city.indicator_id == ind) & (city.period == f"{year}-12")]
            assert len(row) == 1, (ind, year)
            for field, published in figures.items():
                assert row[field].iloc[0] == published, (ind, year, field)
                compared += 1
    assert compared >= 10


def test_monthly_indicators_never_show_january_alone(settings, demo_db):
    """January and February are released together: no monthly period ends in -01."""
    frame = _economy(settings, demo_db)
    monthly = [i.id for i in settings.indicators if i.frequency == "monthly"]
    rows = frame[frame.indicator_id.isin(monthly)]
    assert not rows.empty
    assert not rows.period.str.endswith("-01").any()


def test_quarterly_indicators_only_at_quarter_ends(settings, demo_db):
    """Quarterly indicators have periods ending in March, June, September or December only."""
    frame = _economy(settings, demo_db)
    quarterly = [i.id for i in settings.indicators if i.frequency == "quarterly"]
    rows = frame[frame.indicator_id.isin(quarterly)]
    assert not rows.empty
    assert set(rows.period.str[5:7]) <= {"03", "06", "09", "12"}


def test_no_release_date_after_the_end_date(settings, demo_db):
    """Nothing is released after the data's last day."""
    frame = _economy(settings, demo_db)
    assert frame.release_date.max() <= pd.Timestamp(_end_date(settings))


def test_one_gdp_period_is_revised_and_the_revision_is_later(settings, demo_db):
    """Exactly one GDP period has two releases for every place; the revision comes later."""
    frame = _economy(settings, demo_db)
    gdp = frame[frame.indicator_id == "gdp"]
    releases = gdp.groupby(["period", "county_code"])["release_date"].agg(["nunique", "min", "max"])
    revised = releases[releases["nunique"] > 1]
    periods = set(revised.index.get_level_values("period"))
    assert len(periods) == 1
    places = {settings.city.code} | {c.code for c in settings.city.counties}
    assert set(revised.index.get_level_values("county_code")) == places
    assert (revised["nunique"] == 2).all()
    assert (revised["max"] > revised["min"]).all()
    period = periods.pop()
    city = gdp[(gdp.period == period) & (gdp.county_code == settings.city.code)]
    latest = _latest(city)
    assert len(latest) == 1
    assert latest.release_date.iloc[0] == city.release_date.max()


def test_a_county_month_is_missing_not_zero(settings, demo_db):
    """At least one (indicator, county, period) the city has is absent for a county, not zero."""
    frame = _economy(settings, demo_db)
    city_keys = set(
        map(
            tuple,
            frame.loc[frame.county_code == settings.city.code, ["indicator_id", "period"]]
            .drop_duplicates()
            .values,
        )
    )
    counties = [c.code for c in settings.city.counties]
    reported = frame[frame.county_code.isin(counties)]
    county_indicators = set(reported.indicator_id)
    have = set(map(tuple, reported[["indicator_id", "county_code", "period"]].values))
    missing = [
        (ind, c, p)
        for ind, p in city_keys
        if ind in county_indicators
        for c in counties
        if (ind, c, p) not in have
    ]
    assert missing
    # A late report is absent, never a stand-in row of zero.
    assert not (frame["value"] == 0).any()


# -- 12345 tickets -----------------------------------------------------------------------------
def test_tickets_belong_to_current_counties(settings, demo_db):
    """Every ticket's county is a current county of the city."""
    codes = set(
        _read(
            demo_db, f"SELECT DISTINCT county_code FROM {_table(settings, 'hotline.tickets')}"
        ).county_code
    )
    assert codes <= {c.code for c in settings.city.counties}


def test_tickets_received_within_three_calendar_years_up_to_the_end(settings, demo_db):
    """received_at lies between 1 January two years before the end and the end date."""
    end = _end_date(settings)
    span = _read(
        demo_db,
        f"SELECT min(received_at) AS lo, max(received_at) AS hi "
        f"FROM {_table(settings, 'hotline.tickets')}",
    ).iloc[0]
    assert span.lo >= pd.Timestamp(end.year - 2, 1, 1)
    assert span.hi < pd.Timestamp(end)


def test_ticket_lifecycle_is_consistent(settings, demo_db):
    """Closed after received; 已办结 iff closed; evaluated only if followed up; 即办 has no unit."""
    t = _tickets(settings, demo_db)
    closed = t.closed_at.notna()
    assert (t.loc[closed, "closed_at"] >= t.loc[closed, "received_at"]).all()
    assert ((t.status == "已办结") == closed).all()
    assert not (t.evaluation.notna() & ~t.followed_up).any()
    assert t.loc[t.direct_answer, "responsible_unit"].isna().all()
    assert closed.any() and (~closed).any() and t.evaluation.notna().any()


def test_weekly_rhythm_more_tickets_on_monday_than_sunday(settings, demo_db):
    """Mondays get more calls than Sundays."""
    t = _tickets(settings, demo_db)
    by_day = t.received_at.dt.day_of_week.value_counts()
    assert by_day[0] > by_day[6]


def test_heating_complaints_are_seasonal(settings, demo_db):
    """供热 tickets are far more frequent in January than in July."""
    t = _tickets(settings, demo_db)
    heating = t[t.category_l2 == "供热"].received_at.dt.month.value_counts()
    assert heating.get(1, 0) > 5 * max(heating.get(7, 0), 1)


def test_counties_differ_in_on_time_closing_rate(settings, demo_db):
    """The counties' on-time closing rates span more than 3 percentage points."""
    t = _tickets(settings, demo_db)
    closed = t[t.closed_at.notna()]
    on_time = (closed.closed_at <= closed.deadline).groupby(closed.county_code).mean() * 100
    assert len(on_time) == len(settings.city.counties)
    assert on_time.max() - on_time.min() > 3


def test_planted_gas_spike_in_the_last_complete_week(settings, demo_db):
    """燃气 tickets in the last complete week are > 1.8x their mean over the 8 weeks before."""
    end = pd.Timestamp(_end_date(settings))
    # The data runs up to the minute before end; the last Monday-to-Sunday week inside it.
    last_sunday = (end - pd.Timedelta(minutes=1)).normalize()
    last_sunday -= pd.Timedelta(days=(last_sunday.weekday() + 1) % 7)
    if last_sunday + pd.Timedelta(days=1) > end - pd.Timedelta(minutes=1):
        last_sunday -= pd.Timedelta(days=7)  # that Sunday is not over yet
    monday = last_sunday - pd.Timedelta(days=6)
    t = _tickets(settings, demo_db)
    gas = t[t.category_l2 == "燃气"]
    week_start = gas.received_at.dt.normalize() - pd.to_timedelta(
        gas.received_at.dt.day_of_week, unit="D"
    )
    counts = week_start.value_counts()
    this_week = counts.get(monday, 0)
    baseline = [counts.get(monday - pd.Timedelta(weeks=k), 0) for k in range(1, 9)]
    assert this_week > 1.8 * (sum(baseline) / len(baseline))


# -- places and levels -------------------------------------------------------------------------
@pytest.mark.parametrize("dataset", ["risk.warnings", "emergency.events", "emergency.resources"])
def test_every_point_lies_inside_its_own_county(settings, demo_db, dataset):
    """Each warning, event and resource sits inside its own county's polygon."""
    shapes = _county_shapes(settings)
    rows = _read(demo_db, f"SELECT county_code, lon, lat FROM {_table(settings, dataset)}")
    assert not rows.empty
    outside = [
        r for r in rows.itertuples() if not shapes[r.county_code].contains(Point(r.lon, r.lat))
    ]
    assert not outside, outside[:5]


@pytest.mark.parametrize("dataset", ["risk.warnings", "emergency.events"])
def test_levels_are_one_to_four(settings, demo_db, dataset):
    """Warning and event levels follow the four-level national scale."""
    levels = set(_read(demo_db, f"SELECT DISTINCT level FROM {_table(settings, dataset)}").level)
    assert levels and levels <= {1, 2, 3, 4}


def test_some_emergency_event_is_still_active(settings, demo_db):
    """At least one event is not 已结束, so the command screen has something live."""
    active = _read(
        demo_db,
        f"SELECT count(*) AS n FROM {_table(settings, 'emergency.events')} "
        "WHERE status <> '已结束'",
    ).n.iloc[0]
    assert active >= 1


# -- determinism -------------------------------------------------------------------------------
def _all_tables(path: Path) -> dict[str, pd.DataFrame]:
    """Every table of a demo file, demo_meta without its generation time."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        names = [r[0] for r in con.execute("SHOW TABLES").fetchall()]
        frames = {n: con.execute(f"SELECT * FROM {n}").df() for n in names}
    finally:
        con.close()
    meta = frames["demo_meta"]
    frames["demo_meta"] = meta[meta.key != "generated_at"].reset_index(drop=True)
    return frames


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Settings]:
    """A small demo file generated once for the determinism tests, and the settings it used."""
    settings = load_settings(environ={"COCKPIT_SOURCES__DEMO__END_DATE": SMALL_END.isoformat()})
    path = tmp_path_factory.mktemp("small") / "first.duckdb"
    _small_generate(path, settings, settings.sources["demo"].seed)
    return path, settings


def test_same_parameters_generate_identical_tables(small_demo, tmp_path):
    """Two generations with the same seed, size and end date are equal table by table."""
    first_path, settings = small_demo
    _small_generate(tmp_path / "again.duckdb", settings, settings.sources["demo"].seed)
    first, second = _all_tables(first_path), _all_tables(tmp_path / "again.duckdb")
    assert set(first) == set(second)
    assert {b.table for b in settings.datasets.values()} <= set(first)
    for name in first:
        pd.testing.assert_frame_equal(first[name], second[name], obj=name)


def test_the_duty_roster_reaches_a_week_past_today_and_nothing_else_moves(
    small_demo, tmp_path, monkeypatch
):
    """Data that ends in the past still has today's duty; generated on a later day, every table
    but the roster is the same, and the roster only gains the later days."""
    from cockpit import clock

    first_path, settings = small_demo
    later_today = clock.today() + dt.timedelta(days=40)  # after the first generation's today
    monkeypatch.setattr(clock, "today", lambda: later_today)
    _small_generate(tmp_path / "later.duckdb", settings, settings.sources["demo"].seed)
    first, later = _all_tables(first_path), _all_tables(tmp_path / "later.duckdb")
    roster = _table(settings, "contacts.duty_roster")
    for name in first:
        if name != roster:
            pd.testing.assert_frame_equal(first[name], later[name], obj=name)
    days = later[roster].duty_date.dt.date
    assert days.max() == later_today + dt.timedelta(days=7)
    assert (days == later_today).sum() == 3  # 值班领导, 带班领导, 值班员
    kept = later[roster][days <= first[roster].duty_date.dt.date.max()].reset_index(drop=True)
    pd.testing.assert_frame_equal(first[roster], kept)


def test_a_different_seed_gives_different_tickets(small_demo, tmp_path):
    """Changing the seed changes the tickets."""
    first_path, settings = small_demo
    _small_generate(tmp_path / "other.duckdb", settings, settings.sources["demo"].seed + 1)
    table = _table(settings, "hotline.tickets")
    first = _read(first_path, f"SELECT * FROM {table} ORDER BY ticket_id")
    second = _read(tmp_path / "other.duckdb", f"SELECT * FROM {table} ORDER BY ticket_id")
    assert len(first) == len(second) == SMALL_TICKETS
    assert not first.equals(second)
    assert not first.received_at.equals(second.received_at)


# -- the demo source ---------------------------------------------------------------------------
def _demo_source(settings: Settings, path: Path, **update: object) -> DemoSource:
    """A demo source writing a small file at `path`."""
    config = settings.sources["demo"].model_copy(
        update={
            "path": str(path),
            "tickets": SMALL_TICKETS,
            "start_year": SMALL_START_YEAR,
            **update,
        }
    )
    return demo_source("demo", config, city=settings.city, base_dir=settings.base_dir)


def test_ensure_generated_keeps_the_file_when_parameters_are_unchanged(settings, tmp_path):
    """A second ensure_generated with the same parameters does not rewrite the file."""
    path = tmp_path / "demo.duckdb"
    assert _demo_source(settings, path).ensure_generated() == path
    before = path.stat().st_mtime_ns
    assert _demo_source(settings, path).ensure_generated() == path
    assert path.stat().st_mtime_ns == before


def test_ensure_generated_regenerates_when_ticket_count_changes(settings, tmp_path):
    """Changing `tickets` regenerates the file with the new count."""
    path = tmp_path / "demo.duckdb"
    _demo_source(settings, path).ensure_generated()
    before = path.stat().st_mtime_ns
    _demo_source(settings, path, tickets=SMALL_TICKETS + 500).ensure_generated()
    assert path.stat().st_mtime_ns != before
    table = _table(settings, "hotline.tickets")
    assert _read(path, f"SELECT count(*) AS n FROM {table}").n.iloc[0] == SMALL_TICKETS + 500


def test_ensure_generated_keeps_a_file_another_source_is_serving(settings, tmp_path):
    """A second source on a file already being served in this process does not regenerate it."""
    path = tmp_path / "demo.duckdb"
    serving = _demo_source(settings, path)
    name = "hotline.tickets"
    bound = BoundDataset(name, settings.datasets[name].table, CONTRACTS[name].columns)
    try:
        answer = serving.fetch(bound, DatasetQuery(measures=(Measure("n", "count"),)))
        assert answer["n"].iloc[0] == SMALL_TICKETS
        before = path.stat().st_mtime_ns
        # e.g. a fresh app (a new DemoSource) built in the same process, as every test does
        _demo_source(settings, path).ensure_generated()
        assert path.stat().st_mtime_ns == before, "the demo file was regenerated while in use"
    finally:
        serving.close()


def test_the_demo_adapter_imports_nothing_of_the_app() -> None:
    """data_sources/demo.py imports only the library and its own package: today, the generator
    and the rollups are lent by the frame (#17), so the adapter layer stands on its own."""
    import ast

    import data_sources.demo

    tree = ast.parse(Path(data_sources.demo.__file__).read_text(encoding="utf-8"))
    imported = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            imported.append(node.module or "")
    ours = [n for n in imported if n.split(".")[0] in {"cockpit", "panels", "app", "tests"}]
    assert imported and ours == []
