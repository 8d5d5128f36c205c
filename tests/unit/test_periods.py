"""Each module's periods come from its own data (issue #18 item 8).

With 长治's real 2021-2023 economy figures and current 12345 tickets (to 2026-12-05), /economy
must open on 2023年12月 and reach 2021; /hotline opens on 11月 (complete) and says that 12月 has
five days of data; a period in the URL that the module's data do not cover is said on screen,
and the URL is corrected to what is shown.
"""

from __future__ import annotations

from typing import Any

import pytest

from cockpit import shell
from tests.dash_requests import answer, callback_body
from tests.real_changzhi import real_settings


@pytest.fixture
def real_app(settings, tmp_path):
    from tests.apps import running_app

    yield from running_app(real_settings(settings, tmp_path))


def _sync(app: Any, pathname: str, search: str, changed: str = "url.search", **values: Any) -> dict:
    """The URL <-> selectors callback over HTTP, as the renderer calls it when `changed` moves."""
    with app.server.test_request_context("/"):
        page = app.layout()
    state = {
        "url.pathname": pathname,
        "url.search": search,
        "filter-period.value": page["filter-period"].value,
        "filter-county.value": shell.CITY_WIDE,
        "filter-period.options": page["filter-period"].options,
        "filter-county.options": page["filter-county"].options,
        "shell-defaults.data": page["shell-defaults"].data,
        **values,
    }
    body = callback_body(app, "url.search", state, [changed])
    response = answer(app, body)["response"]
    # The shell leaves a selector alone when it already shows the right value (no update): the
    # period the user sees is then the one it had.
    response.setdefault("filter-period", {}).setdefault("value", state["filter-period.value"])
    return response


def _offered(response: dict) -> list[str]:
    return [o["value"] for o in response["filter-period"]["options"]]


def test_economy_opens_on_its_latest_published_period_and_reaches_2021(real_app) -> None:
    """Not 2026年11月 with 尚未发布 everywhere: the economy's own data end at 2023-12."""
    response = _sync(real_app, "/economy", "")
    assert response["filter-period"]["value"] == "2023-12"
    offered = _offered(response)
    # 2021's 全年 is the data's first period; nothing before it or after 2023 is offered.
    assert offered[0] == "2023-12" and offered[-1] == "2021-12"
    assert "2026-11" not in offered


def test_a_period_in_the_url_within_the_data_is_kept(real_app) -> None:
    """?period=2023-12 on /economy shows 2023-12 (it was silently replaced by 2026-11)."""
    response = _sync(real_app, "/economy", "?period=2023-12")
    assert response["filter-period"]["value"] == "2023-12"
    assert "url" not in response or response["url"]["search"] == "?period=2023-12"


def test_a_period_outside_the_data_is_said_and_the_url_corrected(real_app) -> None:
    """?period=2019-01: a visible notice naming what was asked and what is shown instead."""
    response = _sync(real_app, "/economy", "?period=2019-01&county=140403")
    assert response["filter-period"]["value"] == "2023-12"
    assert response["filter-county"]["value"] == "140403"
    assert response["url"]["search"] == "?period=2023-12&county=140403"
    notice = str(response["filter-period-note"]["children"])
    assert "2019年1月" in notice and "2023年12月" in notice


def test_hotline_opens_on_the_latest_complete_month(real_app) -> None:
    """Tickets run to 2026-12-05: November is complete, so 12345 opens on November."""
    response = _sync(real_app, "/hotline", "")
    assert response["filter-period"]["value"] == "2026-11"
    offered = _offered(response)
    assert offered[0] == "2026-12" and "2024-01" in offered


def test_a_partial_month_says_how_far_its_data_go(real_app) -> None:
    """12月 with five days of tickets says so on screen, from the URL or from the selector."""
    from_url = _sync(real_app, "/hotline", "?period=2026-12")
    assert from_url["filter-period"]["value"] == "2026-12"
    note = str(from_url["filter-period-note"]["children"])
    assert "12月5日" in note and "不是整月" in note
    picked = _sync(
        real_app,
        "/hotline",
        "?period=2026-11",
        changed="filter-period.value",
        **{"filter-period.value": "2026-12"},
    )
    assert picked["url"]["search"] == "?period=2026-12"
    assert "12月5日" in str(picked["filter-period-note"]["children"])
    whole = _sync(real_app, "/hotline", "?period=2026-11")
    assert not whole["filter-period-note"]["children"]


def test_config_adds_months_to_a_modules_periods(settings, tmp_path) -> None:
    """periods.economy.first: 2020-01 reaches back before the data; the default stays theirs."""
    from cockpit.settings import PeriodBounds
    from tests.apps import running_app

    wider = real_settings(settings, tmp_path).model_copy(
        update={"periods": {"economy": PeriodBounds(first="2020-01")}}
    )
    for app in running_app(wider):
        response = _sync(app, "/economy", "")
        assert _offered(response)[-1] == "2020-01"
        assert response["filter-period"]["value"] == "2023-12"


def test_periods_for_an_unknown_module_stop_start_up_in_one_line(tmp_path) -> None:
    """A typo in a module key is one line naming it, not a silently ignored setting."""
    import shutil
    from pathlib import Path

    from cockpit.settings import ConfigError, load_settings

    config = tmp_path / "config"
    shutil.copytree(Path(__file__).resolve().parents[2] / "config", config)
    with (config / "cockpit.yaml").open("a", encoding="utf-8") as f:
        f.write('periods:\n  econmy: {first: "2020-01"}\n')
    with pytest.raises(ConfigError) as error:
        load_settings(config, environ={})
    lines = [p for p in error.value.problems if "periods" in p]
    assert len(lines) == 1 and "econmy" in lines[0]


def test_the_page_frame_starts_on_the_pages_own_periods(real_app) -> None:
    """The frame is fetched by the page at its URL (the Referer): /economy?period=2022-12 gets
    the economy's months and 2022-12 from the start, not the whole cockpit's newest month first
    (which drew every economy figure as missing until the URL was read)."""
    headers = {"Referer": "http://localhost/economy?period=2022-12"}
    with real_app.server.test_request_context("/_dash-layout", headers=headers):
        page = real_app.layout()
    assert page["filter-period"].value == "2022-12"
    assert page["filter-period"].options[0]["value"] == "2023-12"
    with real_app.server.test_request_context("/_dash-layout", headers={}):
        page = real_app.layout()
    assert page["filter-period"].value == "2026-11"  # no page known: every module's newest
