"""One validation in every mode (#18 items 5, 6, 7): economy rows read live from a city's own
database (direct mode, the README's example), dropped as files or synced are checked by the
same function before a screen shows them.

Real-shaped data: 长治's published 2023 GDP (2806.2 亿元, +5.6%, shared/domain/city.md) with a
county split that adds up to it (the county figures are synthetic shares, 上党区 353.2).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from cockpit.contracts import CONTRACTS
from cockpit.health import lines, report
from cockpit.settings import DatasetBinding
from data_sources.files import FileConfig
from data_sources.query import DatasetQuery, Filter
from data_sources.sql import SqlConfig

ECONOMY = "economy.indicator_values"
CITY = "140400"
COUNTY_GDP_2023 = {  # 亿元; adds up to the city's 2806.2
    "140403": 780.5,
    "140404": 353.2,  # 上党区
    "140405": 180.3,
    "140406": 236.4,
    "140423": 268.9,
    "140425": 52.6,
    "140426": 88.7,
    "140427": 95.1,
    "140428": 150.2,
    "140429": 120.8,
    "140430": 60.4,
    "140431": 419.1,
}
COLUMNS = (
    "indicator_id",
    "county_code",
    "period",
    "period_type",
    "value",
    "growth",
    "unit",
    "release_date",
)


def gdp_rows() -> pd.DataFrame:
    """2023 GDP of the city and its twelve counties, as the statistics bureau releases it."""
    rows = [
        {
            "indicator_id": "gdp",
            "county_code": code,
            "period": "2023-12",
            "period_type": "cumulative",
            "value": value,
            "growth": 5.6 if code == CITY else 5.0,
            "unit": "亿元",
            "release_date": "2024-01-25",
        }
        for code, value in {CITY: 2806.2, **COUNTY_GDP_2023}.items()
    ]
    return pd.DataFrame(rows)


@contextlib.contextmanager
def direct_hub(settings, tmp_path: Path, rows: pd.DataFrame) -> Iterator:
    """The cockpit reading economy.indicator_values live from a SQLite database (direct mode)."""
    from tests.apps import app_as, close_app

    db = tmp_path / "city_stats.db"
    with sqlite3.connect(db) as con:
        rows.to_sql("economy_indicator_values", con, index=False, if_exists="replace")
    changed = settings.model_copy(
        update={
            "sources": {**settings.sources, "stats": SqlConfig(kind="sql", url=f"sqlite:///{db}")},
            "datasets": {
                **settings.datasets,
                ECONOMY: DatasetBinding(source="stats", table="economy_indicator_values"),
            },
        }
    )
    app = app_as(changed)
    hub = app.server.extensions["cockpit_hub"]
    try:
        with app.server.test_request_context("/"):
            yield hub
    finally:
        close_app(app)


def gdp(hub) -> pd.DataFrame:
    """What the screens are given of 2023's GDP."""
    answer = hub.query(
        ECONOMY,
        DatasetQuery(filters=(Filter("indicator_id", "eq", "gdp"),), columns=COLUMNS),
    )
    assert answer.ok, answer.error
    return answer.frame


def value_of(frame: pd.DataFrame, code: str) -> list[float]:
    return sorted(frame.loc[frame.county_code == code, "value"].round(4).tolist())


def held(hub) -> str:
    """The dataset's line of `python -m cockpit check`."""
    data = report(hub)
    line = next(x for x in lines(data) if ECONOMY in x)
    assert line.lstrip().startswith("✗"), line
    return line


# -- item 5: direct mode ------------------------------------------------------------------------
def test_a_county_row_in_wan_yuan_is_converted_to_yi_yuan(settings, tmp_path) -> None:
    """上党区 sent in 万元: shown as 353.2 亿元, not 3532000 "亿元" ranked first."""
    rows = gdp_rows()
    shangdang = rows.county_code == "140404"
    rows.loc[shangdang, "value"] = 3532000.0
    rows.loc[shangdang, "unit"] = "万元"
    with direct_hub(settings, tmp_path, rows) as hub:
        frame = gdp(hub)
        assert value_of(frame, "140404") == [353.2]
        assert set(frame.unit) == {"亿元"}


def test_a_unit_that_cannot_be_converted_is_rejected_and_reported(settings, tmp_path) -> None:
    rows = gdp_rows()
    rows.loc[rows.county_code == "140404", "unit"] = "美元"
    with direct_hub(settings, tmp_path, rows) as hub:
        assert value_of(gdp(hub), "140404") == []
        line = held(hub)
        assert "单位" in line and "美元" in line and "140404" in line


def test_a_duplicate_key_is_rejected_not_summed_or_picked(settings, tmp_path) -> None:
    """The city's 2023 GDP twice in one release (2806.2 and a mistyped 2906.2)."""
    rows = gdp_rows()
    twin = rows[rows.county_code == CITY].assign(value=2906.2)
    rows = pd.concat([rows, twin], ignore_index=True)
    with direct_hub(settings, tmp_path, rows) as hub:
        frame = gdp(hub)
        assert 2906.2 not in value_of(frame, CITY)
        assert value_of(frame, CITY) == []  # which one is right is for the data office to say
        line = held(hub)
        assert "主键" in line and "重复" in line
        answer = hub.query(ECONOMY, DatasetQuery(columns=COLUMNS))
        assert answer.notice and "主键" in answer.notice  # the screen is told too


def test_a_later_release_is_a_revision_not_a_duplicate(settings, tmp_path) -> None:
    rows = gdp_rows()
    revised = rows[rows.county_code == CITY].assign(value=2806.5, release_date="2024-03-01")
    rows = pd.concat([rows, revised], ignore_index=True)
    with direct_hub(settings, tmp_path, rows) as hub:
        assert value_of(gdp(hub), CITY) == [2806.2, 2806.5]  # the screen shows the latest (修订)
        assert report(hub)["datasets"][ECONOMY]["held_back"] is None


def test_a_negative_gdp_is_rejected(settings, tmp_path) -> None:
    rows = gdp_rows()
    rows.loc[rows.county_code == "140404", "value"] = -353.2
    with direct_hub(settings, tmp_path, rows) as hub:
        assert value_of(gdp(hub), "140404") == []
        assert "负数" in held(hub)


@pytest.mark.parametrize(
    "written",
    ["2023", "2023年", "2023-12", "2023年12月", "2023年1-12月", "2023.12", "202312", "2023/12"],
)
def test_periods_as_statistics_offices_write_them(settings, tmp_path, written: str) -> None:
    rows = gdp_rows()
    rows.loc[rows.county_code == "140404", "period"] = written
    with direct_hub(settings, tmp_path, rows) as hub:
        frame = gdp(hub)
        assert value_of(frame, "140404") == [353.2]
        assert set(frame.period) == {"2023-12"}


def test_excel_date_cells_in_period_read_as_their_month(settings, tmp_path) -> None:
    """A period column typed as dates (Excel, or a DATE column): every 2023 figure stays."""
    rows = gdp_rows()
    rows["period"] = pd.Timestamp("2023-12-01")
    with direct_hub(settings, tmp_path, rows) as hub:
        frame = gdp(hub)
        assert len(frame) == 13 and set(frame.period) == {"2023-12"}


def test_a_period_that_is_no_period_is_rejected(settings, tmp_path) -> None:
    rows = gdp_rows()
    rows.loc[rows.county_code == "140404", "period"] = "去年"
    with direct_hub(settings, tmp_path, rows) as hub:
        assert value_of(gdp(hub), "140404") == []
        assert "period" in held(hub)


def test_parse_period_forms() -> None:
    from cockpit.validation import parse_period

    assert parse_period("2023年1-12月") == "2023-12"
    assert parse_period("2023年1-9月") == "2023-09"
    assert parse_period("2023年前三季度") == "2023-09"
    assert parse_period("2023Q2") == "2023-06"
    assert parse_period(45261) == "2023-12"  # an Excel serial date (2023-12-01)
    assert parse_period("45261") == "2023-12"
    assert parse_period(dt.date(2023, 6, 30)) == "2023-06"
    assert parse_period("２０２３年１～１２月") == "2023-12"  # full-width, as typed in Word
    assert parse_period("2023年1-2月") == "2023-02"
    assert parse_period("45261.0") == "2023-12"
    assert parse_period("1-12月") is None  # no year: which year is not for us to guess
    assert parse_period("2023-13") is None


# -- item 7: county figures that do not add up --------------------------------------------------
def test_counties_that_do_not_add_up_to_the_city_are_flagged(settings, tmp_path) -> None:
    rows = gdp_rows()
    rows.loc[rows.county_code == "140403", "value"] = 880.5  # 100 亿元 too many
    with direct_hub(settings, tmp_path, rows) as hub:
        assert value_of(gdp(hub), CITY) == [2806.2]  # shown, but not silently
        line = held(hub)
        assert "县区合计" in line and "2906.2" in line and "2806.2" in line
        answer = hub.query(ECONOMY, DatasetQuery(columns=COLUMNS))
        assert answer.notice and "县区合计" in answer.notice


def test_rounding_and_non_additive_indicators_are_not_flagged(settings, tmp_path) -> None:
    rows = gdp_rows()
    rows.loc[rows.county_code == "140403", "value"] = 780.54  # rounding in the last place
    cpi = gdp_rows().assign(indicator_id="cpi", unit="上年同期=100", growth=None, value=100.4)
    cpi.loc[cpi.county_code == CITY, "value"] = 100.2  # an index is never summed
    with direct_hub(settings, tmp_path, pd.concat([rows, cpi], ignore_index=True)) as hub:
        assert report(hub)["datasets"][ECONOMY]["held_back"] is None


def test_the_same_check_runs_on_a_sync_batch() -> None:
    """Sync mode calls the very same function: a 万元 row is converted there too."""
    from cockpit.validation import check_batch, economy_catalog

    rows = gdp_rows()
    rows.loc[rows.county_code == "140404", ["value", "unit"]] = (3532000.0, "万元")
    rows.loc[rows.county_code == "140405", "period"] = "2023年12月"
    found = check_batch(
        rows,
        CONTRACTS[ECONOMY],
        county_codes=set(COUNTY_GDP_2023) | {CITY},
        now=dt.datetime(2024, 2, 1),
        catalog=economy_catalog(_indicators()),
    )
    good = found.good(rows)
    assert not found.rejected
    assert good.loc[good.county_code == "140404", "value"].tolist() == [353.2]
    assert set(good.unit) == {"亿元"} and set(good.period) == {"2023-12"}


def _indicators():
    from cockpit.settings import load_settings

    return load_settings(environ={}).indicators


# -- file drops: the same checks, and a bad file keeps the last good one (item 6) ---------------
@contextlib.contextmanager
def drop_hub(settings, tmp_path: Path) -> Iterator:
    """economy.indicator_values from a drop folder (files economy_<date>.csv/.xlsx)."""
    from tests.apps import app_as, close_app

    folder = tmp_path / "drop"
    folder.mkdir()
    changed = settings.model_copy(
        update={
            "sources": {
                **settings.sources,
                "drop": FileConfig(
                    kind="file", folder=str(folder), quarantine_dir=str(tmp_path / "quarantine")
                ),
            },
            "datasets": {
                **settings.datasets,
                ECONOMY: DatasetBinding(source="drop", table="economy"),
            },
        }
    )
    app = app_as(changed)
    hub = app.server.extensions["cockpit_hub"]
    try:
        with app.server.test_request_context("/"):
            yield folder, hub
    finally:
        close_app(app)


def test_an_excel_drop_with_date_cells_in_period_keeps_2023(settings, tmp_path) -> None:
    with drop_hub(settings, tmp_path) as (folder, hub):
        rows = gdp_rows()
        rows["period"] = pd.Timestamp("2023-12-01")  # Excel writes a date cell
        rows.to_excel(folder / "economy_20240125.xlsx", index=False)
        frame = gdp(hub)
        assert len(frame) == 13 and set(frame.period) == {"2023-12"}


def test_a_csv_drop_in_wan_yuan_is_converted(settings, tmp_path) -> None:
    with drop_hub(settings, tmp_path) as (folder, hub):
        rows = gdp_rows()
        rows.loc[rows.county_code == "140404", ["value", "unit"]] = (3532000.0, "万元")
        rows.to_csv(folder / "economy_20240125.csv", index=False, encoding="utf-8")
        assert value_of(gdp(hub), "140404") == [353.2]


def test_a_malformed_utf8_drop_keeps_the_last_good_file_named_with_its_line(
    settings,
    tmp_path,
) -> None:
    with drop_hub(settings, tmp_path) as (folder, hub):
        gdp_rows().to_csv(folder / "economy_20240125.csv", index=False, encoding="utf-8")
        assert value_of(gdp(hub), CITY) == [2806.2]
        bad = gdp_rows().assign(value=lambda f: f.value + 1).to_csv(index=False).encode("utf-8")
        lines_ = bad.split(b"\n")
        lines_[6] = lines_[6].replace("亿元".encode(), "亿元".encode()[:-1])  # a cut character
        (folder / "economy_20240220.csv").write_bytes(b"\n".join(lines_))
        answer = hub.query(ECONOMY, DatasetQuery(columns=COLUMNS))
        assert answer.ok  # the page stays: the last good file's figures
        assert value_of(answer.frame[answer.frame.indicator_id == "gdp"], CITY) == [2806.2]
        shown = answer.notice or ""
        assert "economy_20240220.csv" in shown and "第 7 行" in shown
        assert str(tmp_path) not in shown and str(folder) not in shown
        line = held(hub)
        assert "economy_20240220.csv" in line and "第 7 行" in line


# -- where a person sees it: the economy page and 数据质量 --------------------------------------
def test_the_economy_page_marks_figures_the_check_flagged(settings, tmp_path) -> None:
    from panels.economy.callbacks import build_page

    rows = gdp_rows()
    rows.loc[rows.county_code == "140403", "value"] = 880.5
    with direct_hub(settings, tmp_path, rows) as hub:
        page = build_page(hub, "2023-12", None)
        assert "县区合计" in page.error and "地区生产总值" in page.error


def test_data_quality_shows_rows_read_rejected_and_why(settings, tmp_path) -> None:
    import json

    from panels.data_quality.callbacks import build_table

    rows = gdp_rows()
    rows.loc[rows.county_code == "140404", "value"] = -353.2
    with direct_hub(settings, tmp_path, rows) as hub:
        table, _ = build_table(hub)
        shown = json.dumps(
            table.to_plotly_json(), default=lambda c: c.to_plotly_json(), ensure_ascii=False
        )
        assert "读取 13 行" in shown and "拒收 1 行" in shown
        assert "负数" in shown and "gdp|140404|2023-12" in shown  # why, and which row (its key)
        assert str(tmp_path) not in shown


def test_a_newer_file_whose_every_row_fails_keeps_the_last_good_one(settings, tmp_path) -> None:
    """Not a blank page and a jump of the period: the figures before it, with a warning."""
    with drop_hub(settings, tmp_path) as (folder, hub):
        gdp_rows().to_csv(folder / "economy_20240125.csv", index=False, encoding="utf-8")
        assert value_of(gdp(hub), CITY) == [2806.2]
        gdp_rows().assign(period="去年").to_csv(
            folder / "economy_20240220.csv", index=False, encoding="utf-8"
        )
        answer = hub.query(ECONOMY, DatasetQuery(columns=COLUMNS))
        assert value_of(answer.frame[answer.frame.indicator_id == "gdp"], CITY) == [2806.2]
        assert "economy_20240220.csv" in (answer.notice or "")
        assert "仍显示 economy_20240125.csv" in (answer.notice or "")


def test_a_sync_of_the_economy_figures_checks_them_the_same_way(settings, tmp_path) -> None:
    """Sync mode: 上党区 in 万元 converted, 屯留区's negative GDP held back, period 2023年12月
    read as 2023-12, and the screens read the same figures as in direct mode."""
    from cockpit.sync import run_sync
    from tests.unit.test_sync_quarantine import synced_app

    rows = gdp_rows()
    rows.loc[rows.county_code == "140404", ["value", "unit"]] = (3532000.0, "万元")
    rows.loc[rows.county_code == "140405", "value"] = -180.3
    rows.loc[rows.county_code == "140406", "period"] = "2023年12月"
    app = synced_app(settings, rows, tmp_path, dataset=ECONOMY)
    hub = app.server.extensions["cockpit_hub"]
    with app.server.test_request_context("/"):
        result = run_sync(hub)[0]
        assert result["quarantined"] == 1 and "负数" in result["report"]
        frame = gdp(hub)
        assert value_of(frame, "140404") == [353.2]
        assert value_of(frame, "140405") == []
        assert value_of(frame, "140406") == [236.4] and set(frame.period) == {"2023-12"}
        assert "负数" in held(hub)


def test_a_missing_drop_folder_is_named_without_its_server_path(settings, tmp_path) -> None:
    import shutil

    with drop_hub(settings, tmp_path) as (folder, hub):
        shutil.rmtree(folder)
        answer = hub.query(ECONOMY, DatasetQuery(columns=COLUMNS))
        assert answer.error and "drop" in answer.error
        assert str(tmp_path) not in answer.error
        data = report(hub)
        assert str(tmp_path) not in json_of([data["sources"], data["datasets"]])


def json_of(data: object) -> str:
    import json

    return json.dumps(data, ensure_ascii=False, default=str)


def test_data_quality_counts_a_file_drops_rows_and_lines(settings, tmp_path) -> None:
    """The rows read are the file's, the rows rejected include those the file check set
    aside, and the reason names the file and line."""
    from panels.data_quality.callbacks import build_table

    with drop_hub(settings, tmp_path) as (folder, hub):
        rows = gdp_rows()
        rows.loc[rows.county_code == "140404", "value"] = -353.2  # line 3 of the file
        rows.to_csv(folder / "economy_20240125.csv", index=False, encoding="utf-8")
        gdp(hub)
        table, _ = build_table(hub)
        shown = json_of(table.to_plotly_json())
        assert "读取 13 行，拒收 1 行" in shown
        assert "economy_20240125.csv" in shown and "负数" in shown


def test_budget_revenue_with_a_city_level_part_is_not_flagged(settings, tmp_path) -> None:
    """一般公共预算收入: the city's 315.08 亿元 holds 市本级 revenue of its own, so the
    counties' figures add up to less, legitimately (config: county_sum: false)."""
    rows = gdp_rows().assign(indicator_id="budget_revenue", growth=None)
    rows["value"] = [315.08, *[round(v / 12, 2) for v in COUNTY_GDP_2023.values()]]
    with direct_hub(settings, tmp_path, rows) as hub:
        assert report(hub)["datasets"][ECONOMY]["held_back"] is None


def test_a_county_user_is_told_of_rows_held_back_but_not_whose(settings, tmp_path) -> None:
    """潞州区's user: 上党区's rejected row is counted on their screen, not named by its key."""
    from cockpit.scope import Principal

    rows = gdp_rows()
    rows.loc[rows.county_code == "140404", "value"] = -353.2
    with direct_hub(settings, tmp_path, rows) as hub:
        hub._principal = lambda: Principal("luzhou", "county_staff", frozenset({"140403"}))
        answer = hub.query(ECONOMY, DatasetQuery(columns=COLUMNS))
        assert answer.notice and "1 行校验未通过" in answer.notice
        assert "140404" not in answer.notice
        assert "gdp|140404|2023-12|cumulative|2024-01-25" in held(hub)  # data staff: which row
