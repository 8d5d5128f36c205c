"""Freshness and health: late data is flagged, never shown as today's; /healthz tells monitoring."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from cockpit.formatting import freshness
from cockpit.health import lines, report
from cockpit.hub import Result


def result(as_of: dt.datetime | None, max_hours: float | None) -> Result:
    """A result with a given as-of time and allowed age."""
    age = None if max_hours is None else dt.timedelta(hours=max_hours)
    return Result("hotline.tickets", pd.DataFrame(), "s", False, as_of=as_of, max_age=age)


def test_late_by_counts_past_the_allowed_age() -> None:
    """Within the age: on time; past it: late by the difference; undeclared: never late."""
    stamp = dt.datetime(2026, 10, 20, 8, 0)
    assert result(stamp, 36).late_by(stamp + dt.timedelta(hours=36)) is None
    assert result(stamp, 36).late_by(stamp + dt.timedelta(hours=84)) == dt.timedelta(hours=48)
    assert result(stamp, None).late_by(stamp + dt.timedelta(days=400)) is None
    assert result(None, 36).late_by() is None


def test_freshness_text_says_how_late() -> None:
    """'数据截至 … · 已超期2天' in days, or hours under a day."""
    stamp = dt.datetime(2026, 10, 20, 8, 0)
    assert freshness(stamp) == "数据截至 2026-10-20 08:00"
    assert freshness(stamp, dt.timedelta(days=2, hours=3)).endswith("· 已超期2天")
    assert freshness(stamp, dt.timedelta(hours=5)).endswith("· 已超期5小时")


def test_report_flags_exactly_the_late_datasets(hub) -> None:
    """Just after the tickets' as-of all is well; two days later tickets (36 h) are late."""
    stamp = hub.as_of("hotline.tickets")
    fresh = report(hub, now=stamp + dt.timedelta(hours=1))
    assert fresh["sources"]["demo"]["ok"] and fresh["sources"]["demo"]["demo"]
    assert fresh["datasets"]["hotline.tickets"]["ok"]
    assert fresh["datasets"]["hotline.tickets"]["as_of"] == stamp.isoformat(timespec="minutes")
    late = report(hub, now=stamp + dt.timedelta(hours=36 + 48))
    assert late["datasets"]["hotline.tickets"]["late_by_hours"] == 48
    assert late["ok"] is False
    assert any("已超期48小时" in line for line in lines(late))


def test_healthz_serves_the_report_as_json(app) -> None:
    """GET /healthz answers JSON whose status code agrees with its `ok`."""
    response = app.server.test_client().get("/healthz")
    data = response.get_json()
    assert set(data) == {"ok", "status", "checked_at", "cache", "sources", "datasets"}
    assert response.status_code == (200 if data["ok"] else 503)
    assert set(data["datasets"]) == set(app.server.extensions["cockpit_hub"].settings.datasets)


def test_healthz_without_a_session_reports_the_whole_city_s_freshness(settings, demo_sql) -> None:
    """Monitoring has no login: /healthz still reads every dataset's 数据截至 for the whole city
    (timestamps only). Read as the anonymous visitor, every dataset looked stale (503)."""
    from cockpit.factory import create_app
    from tests.apps import close_app

    app = create_app(settings)  # the real security layer: no test principal
    try:
        response = app.server.test_client().get("/healthz")
    finally:
        close_app(app)
    data = response.get_json()
    from cockpit.contracts import CONTRACTS

    column = CONTRACTS["hotline.tickets"].freshness_column
    latest = demo_sql(f"SELECT max({column}) AS m FROM hotline_tickets").m.iloc[0]
    assert data["datasets"]["hotline.tickets"]["as_of"] == (
        pd.Timestamp(latest).isoformat(timespec="minutes")
    )
    # Late or not is then the data's age (the test data ends on a fixed day), not the caller's.
    assert all(d["as_of"] for n, d in data["datasets"].items() if CONTRACTS[n].freshness_column)
