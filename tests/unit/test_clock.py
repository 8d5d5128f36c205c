"""One clock for the whole cockpit: Beijing time, whatever the server's timezone."""

import datetime as dt
import os
import time

from cockpit import clock


def test_today_is_beijings_date_on_a_utc_server(monkeypatch) -> None:
    """At 23:30 UTC it is already the next day in Beijing, and the cockpit says so."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        utc = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        beijing = clock.now()
        assert abs((beijing - utc) - dt.timedelta(hours=8)) < dt.timedelta(seconds=5)
        assert clock.today() == beijing.date()
    finally:
        os.environ.pop("TZ", None)
        time.tzset()


def test_stored_aware_times_are_shown_in_beijing_time() -> None:
    """An action stored at 23:30 UTC reads 07:30 the next day."""
    stored = dt.datetime(2026, 11, 21, 23, 30, tzinfo=dt.UTC)
    assert clock.local_time(stored) == dt.datetime(2026, 11, 22, 7, 30)
