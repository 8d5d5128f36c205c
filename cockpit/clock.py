"""The cockpit's one clock: Beijing time, whatever timezone the server (or a browser) runs in.

Every Chinese city keeps 北京时间, and "today" decides task lights, duty rosters and what is
overdue: two screens must never disagree because one asked the server's UTC clock.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

CITY_TZ = ZoneInfo("Asia/Shanghai")


def now() -> dt.datetime:
    """The current Beijing time, naive (as the data's timestamps are)."""
    return dt.datetime.now(CITY_TZ).replace(tzinfo=None, microsecond=0)


def today() -> dt.date:
    """Today's date in Beijing."""
    return now().date()


def local_time(value: dt.datetime) -> dt.datetime:
    """An aware time (as the store keeps them) as naive Beijing time, for display."""
    return value.astimezone(CITY_TZ).replace(tzinfo=None)


# The city's time on every Dash callback answer, so that a screen can say when it last heard
# from the server in the server's (Beijing) time: a browser's own clock may be set to another
# timezone, or simply be wrong (assets/emergency.js shows it as 「… 已更新」).
TIME_HEADER = "X-City-Time"


def stamp_time(response):
    """Flask after_request hook: the city's time (HH:MM:SS) on callback answers, 204s too."""
    from flask import request

    if request.path.endswith("/_dash-update-component"):
        response.headers[TIME_HEADER] = now().strftime("%H:%M:%S")
    return response
