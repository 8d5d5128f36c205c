"""Which phone numbers a user is shown (#21 item 13), through real sign-ins and callback POSTs.

Office and duty-room lines go to everyone who sees the person; personal mobile numbers only to
roles with SEE_MOBILES (city leaders, city staff) and to the directory's keepers. The wall
account's 应急 screen and a county user's 一键直联 page carry no personal mobile at all.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from cockpit import directory
from cockpit.factory import create_app
from cockpit.settings import Settings
from tests.app.test_emergency_live import _refresh_values
from tests.app.test_security import login, make_user
from tests.apps import close_app
from tests.dash_requests import callback_body, post

MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
OFFICE = re.compile(r"0355-\d{7}")


@pytest.fixture
def secure_app(settings: Settings):
    """The cockpit as deployed (development: the demo directory is filled on start)."""
    app = create_app(settings)
    yield app
    close_app(app)


def _emergency_screen(app: Any, client: Any, demo_sql: Any) -> str:
    """The 应急 screen's refresh, with the newest event selected: roster and nearest resources."""
    event = demo_sql("SELECT event_id FROM emergency_events ORDER BY occurred_at DESC LIMIT 1")
    values = {**_refresh_values(), "emergency-selected.data": event.event_id[0]}
    body = callback_body(app, "emergency-roster.children", values)
    answer = post(client, body)
    assert answer.status_code == 200, answer.status_code
    return json.dumps(answer.get_json(), ensure_ascii=False)


def _contacts_page(app: Any, client: Any) -> str:
    body = callback_body(
        app,
        "contacts-list.children",
        {"url.search": "", "contacts-search.value": "", "filter-county.value": "city"},
    )
    answer = post(client, body)
    assert answer.status_code == 200, answer.status_code
    return json.dumps(answer.get_json(), ensure_ascii=False)


def test_the_wall_account_gets_no_personal_mobile_on_the_emergency_screen(
    secure_app: Any, demo_sql: Any
) -> None:
    """The wall's 应急 screen: duty roster and resource contacts without mobile numbers; the
    same screen for a city leader does carry them (so the check can fail)."""
    make_user(secure_app, "wall8", "wall_display")
    make_user(secure_app, "leader8", "city_leader")
    leader = _emergency_screen(secure_app, login(secure_app, "leader8"), demo_sql)
    assert MOBILE.search(leader), "the control: a leader's screen shows the roster's mobiles"
    wall = _emergency_screen(secure_app, login(secure_app, "wall8"), demo_sql)
    found = MOBILE.search(wall)
    assert "emergency-roster" in wall and found is None, wall[
        max(0, found.start() - 400) : found.end() + 100
    ]

    # The roster still names who is on duty, with "—" where the leader's screen has a call.
    def roster(screen: str) -> str:
        return json.dumps(json.loads(screen)["response"]["emergency-roster"], ensure_ascii=False)

    assert "值班领导" in roster(wall) and "call-link-none" in roster(wall)
    assert MOBILE.search(roster(leader)) and "call-link-none" not in roster(leader)


def test_a_county_user_sees_office_lines_but_no_leaders_mobiles(
    secure_app: Any, demo_sql: Any
) -> None:
    """一键直联 for county staff: the 市领导 with their office numbers, no personal mobile;
    city staff see the mobiles (a permission of their role)."""
    leaders = demo_sql("SELECT name, office_phone, mobile FROM contacts WHERE post LIKE '%市长%'")
    county = demo_sql("SELECT DISTINCT county_code FROM contacts WHERE county_code <> '140400'")
    make_user(secure_app, "county8", "county_staff", [county.county_code[0]])
    make_user(secure_app, "staff8", "city_staff")
    shown = _contacts_page(secure_app, login(secure_app, "county8"))
    assert all(name in shown for name in leaders.name)
    assert all(office in shown for office in leaders.office_phone)
    assert not any(mobile in shown for mobile in leaders.mobile) and not MOBILE.search(shown)
    staff = _contacts_page(secure_app, login(secure_app, "staff8"))
    assert all(mobile in staff for mobile in leaders.mobile)


def test_a_forged_call_to_a_hidden_mobile_is_refused(secure_app: Any, demo_sql: Any) -> None:
    """A county user's callback naming a leader's mobile: refused, as the card offers none."""
    from tests.app.test_contacts import call_body

    make_user(secure_app, "county9", "county_staff", ["140403"])
    client = login(secure_app, "county9")
    hub = secure_app.server.extensions["cockpit_hub"]
    from cockpit.store import get_store

    leader = next(c for c in directory.listing(get_store(hub)) if "市长" in c.post)
    post(client, call_body(secure_app, f"contact:{leader.id}", "mobile"))
    post(client, call_body(secure_app, f"contact:{leader.id}", "office"))
    from cockpit import audit

    calls = sorted(audit.entries(get_store(hub), action=audit.CALL), key=lambda e: e.seq)
    assert [(e.object, e.result) for e in calls] == [
        (f"contact:{leader.id}", "refused"),
        (f"contact:{leader.id}", "ok"),
    ]
    assert calls[1].detail["number"] == leader.office_phone


def test_numbers_are_classified_however_written() -> None:
    """Mobiles with +86, spaces or dashes are personal; landlines and short duty lines are not."""
    for number in ("13912345678", "+86 139 1234 5678", "139-1234-5678", "008613912345678"):
        assert directory.is_mobile(number), number
    for number in ("0355-2021234", "(0355)2021234", "12345", "110", ""):
        assert not directory.is_mobile(number), number
