"""Warnings in force are a fact of now (#18): /risk at any 统计期, the overview, /emergency and
要情专报 count the same warnings on the same data at the same moment; a screen that shows a
narrower set says so in its label."""

from __future__ import annotations

import datetime as dt
import re

from cockpit.domains.briefing.build import build_briefing
from cockpit.domains.emergency.config import EmergencyConfig
from cockpit.domains.risk.data import SOURCE_ONLY_LABEL
from panels.emergency.callbacks import build_view
from panels.overview.callbacks import build_overview
from panels.risk.callbacks import build_screen

DAY = dt.date(2026, 11, 20)  # the day after the test demo data end (tests/conftest.py)
PERIODS = ("2026-06", "2026-09", "2026-10", "2026-11")


def _overview_count(built: dict) -> int:
    card = next(c for c in built["right"] if c.key == "risk")
    return sum(int(s.value) for s in card.stats)


def _briefing_count(hub) -> int:
    b = build_briefing(hub, "daily", None, DAY)
    risk = next(s for s in b.sections if s.key == "risk")
    found = re.search(r"在发布风险预警(\d+)条", risk.lines[0])
    return int(found.group(1)) if found else 0


def test_risk_overview_and_briefing_count_the_same_warnings_whatever_the_period(hub) -> None:
    briefing = _briefing_count(hub)
    counts = {}
    for period in PERIODS:
        screen = build_screen(hub, period, None, DAY)
        counts[f"risk {period}"] = len(screen["frame"])
        counts[f"overview {period}"] = _overview_count(build_overview(hub, period, None, DAY))
    counts["briefing"] = briefing
    assert len(set(counts.values())) == 1, counts
    assert briefing > 0


def test_emergency_counts_the_source_warnings_and_its_label_says_so(hub) -> None:
    screen = build_screen(hub, "2026-09", None, DAY)
    frame = screen["frame"]
    view = build_view(hub, EmergencyConfig(), None, None, None, dt.datetime(2026, 11, 19, 23, 30))
    stats = {
        s.children[0].children: s.children[1].children
        for s in view.sections["summary"]
        if len(s.children) == 3
    }
    # The narrower set is named, not called 在发布预警 (which /risk counts with the cockpit's own).
    assert "在发布预警" not in stats, stats
    assert int(stats[SOURCE_ONLY_LABEL]) == int((frame["origin"] == "source").sum())
    assert (frame["origin"] != "source").any()  # the two sets really differ on this data
