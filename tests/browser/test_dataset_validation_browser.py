"""The data check seen in the browser (#18 items 5, 7): a county figure that does not add up
to the city's is marked on 经济运行 itself, in the page's red notice strip (marked `browser`)."""

from __future__ import annotations

import sqlite3

import pytest

from cockpit.settings import DatasetBinding
from data_sources.sql import SqlConfig
from tests.browser_support import SHOTS, skip_without_chromium, start
from tests.unit.test_dataset_validation import ECONOMY, gdp_rows

pytestmark = pytest.mark.browser
skip_without_chromium()


def test_counties_not_adding_up_are_marked_on_the_economy_page(
    dash_duo, settings, tmp_path
) -> None:
    from tests.apps import app_as

    rows = gdp_rows()
    rows.loc[rows.county_code == "140403", "value"] = 880.5  # 100 亿元 too many
    db = tmp_path / "city_stats.db"
    with sqlite3.connect(db) as con:
        rows.to_sql("economy_indicator_values", con, index=False)
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
    dash_duo.driver.set_window_size(1920, 1080)
    start(dash_duo, app)
    dash_duo.driver.get(dash_duo.server_url + "/economy?period=2023-12")
    dash_duo.wait_for_contains_text("#economy-error", "县区合计", timeout=30)
    text = dash_duo.find_element("#economy-error").text
    assert "数据核查" in text and "2906.2" in text and "2806.2" in text
    assert str(tmp_path) not in dash_duo.driver.page_source
    SHOTS.mkdir(parents=True, exist_ok=True)
    dash_duo.driver.save_screenshot(str(SHOTS / "economy-data-check-1920x1080.png"))
