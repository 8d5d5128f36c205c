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
