"""A panel's data state has one wording on every screen: as of T, last good (from when), or
nothing to show because the source failed (#19 item 6, #17: one foot instead of five)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from cockpit.components import result_state_text, source_state
from cockpit.hub import Result
from panels.emergency.components import source_note
from panels.hotline.figures import foot

T = dt.datetime(2026, 11, 20, 8, 30)


def _result(error: str | None = None, stale: bool = False) -> Result:
    frame = pd.DataFrame({"x": [1]}) if (error is None or stale) else pd.DataFrame()
    return Result("risk.warnings", frame, "platform", False, as_of=T, error=error, stale=stale)


def test_three_states_read_differently() -> None:
    ok = result_state_text(_result())
    stale = result_state_text(_result("数据源 platform 请求失败：HTTP 500", stale=True))
    down = result_state_text(_result("数据源 platform 请求失败：HTTP 500"))
    assert ok.startswith("数据截至 ") and "异常" not in ok
    assert "数据源异常" in stale and "最近一次成功数据" in stale and "08:30" in stale
    assert "数据源异常" in down and "暂无可显示的数据" in down and "最近一次成功数据" not in down


def test_a_failed_source_is_an_alert_on_the_panel() -> None:
    stale = source_state(_result("HTTP 500", stale=True)).to_plotly_json()["props"]
    down = source_state(_result("HTTP 500")).to_plotly_json()["props"]
    ok = source_state(_result()).to_plotly_json()["props"]
    assert stale["role"] == "alert" and "is-stale" in stale["className"]
    assert down["role"] == "alert" and "is-down" in down["className"]
    assert "role" not in ok


def test_panels_use_the_one_wording() -> None:
    result = _result("HTTP 500", stale=True)
    expected = result_state_text(result)
    assert source_note(result).children == expected  # 应急指挥
    assert foot(result.as_of, result.error, result.stale)[0].children == expected  # 12345


def test_risk_screen_shows_a_failed_source_on_the_panel(settings, demo_db, tmp_path) -> None:
    """/risk with its source down: an alert on the summary panel itself, saying whether the
    figures below are last good ones (and from when) or missing; not only a footnote."""
    import json
    import shutil

    import sqlalchemy as sa

    from cockpit.settings import CacheSettings, DatasetBinding
    from data_sources.sql import SqlConfig
    from panels.risk.callbacks import build_screen
    from tests.apps import close_app, running_app

    copy = tmp_path / "platform.duckdb"
    shutil.copyfile(demo_db, copy)
    sources = {**settings.sources, "platform": SqlConfig(kind="sql", url=f"duckdb:///{copy}")}
    table = settings.datasets["risk.warnings"].table
    datasets = {
        **settings.datasets,
        "risk.warnings": DatasetBinding(source="platform", table=table),
    }
    today = settings.sources["demo"].end_date

    def summary(app) -> str:
        hub = app.server.extensions["cockpit_hub"]
        with app.server.test_request_context("/"):
            built = build_screen(hub, "2026-10", None, today)
        return json.dumps(
            built["summary"], default=lambda c: c.to_plotly_json(), ensure_ascii=False
        )

    # No cache: each view asks the source, as the first one after the cache's timeout does.
    changed = settings.model_copy(
        update={"sources": sources, "datasets": datasets, "cache": CacheSettings(type="null")}
    )
    for app in running_app(changed):
        assert "数据源异常" not in summary(app)
        engine = app.server.extensions["cockpit_hub"].sources["platform"].engine()
        with engine.begin() as conn:
            conn.execute(sa.text(f"ALTER TABLE {table} RENAME TO {table}_gone"))
        down = summary(app)
        close_app(app)
    assert "数据源异常" in down and '"role": "alert"' in down
    assert "暂无可显示的数据" in down
