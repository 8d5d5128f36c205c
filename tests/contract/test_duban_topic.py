"""督办 as a subscription topic (#23 item 1): an item's events reach the subscribed people on
their own channels, within scope (a unit account its unit's items, a leader those they opened,
a county account its county's), and personal data in them is masked."""

from __future__ import annotations

import datetime as dt

import pytest

from cockpit import clock
from cockpit.domains.key_work import duban, supervision
from cockpit.jobs import runner
from cockpit.notify.subscriptions import subscribe
from cockpit.scope import Principal, acting_as
from cockpit.security import accounts
from cockpit.store import get_store
from data_sources.query import DatasetQuery
from tests.apps import app_as, close_app
from tests.notify_support import PASSWORD, start_receiver, with_notify

HOOKS = ("unit1", "unit2", "leader1", "county1", "county2")


@pytest.fixture
def receiver():
    r = start_receiver()
    yield r
    r.close()


@pytest.fixture
def duban_app(settings, receiver, monkeypatch):
    """The cockpit with one signed webhook per person, all on the local receiver."""
    channels = {}
    for name in HOOKS:
        channels[name] = {"kind": "webhook", "url": f"{receiver.url}/{name}", "secret_env": "T_S"}
    monkeypatch.setenv("T_S", "webhook-secret")
    app = app_as(with_notify(settings, channels=channels))
    yield app
    close_app(app)


def _hub(app):
    return app.server.extensions["cockpit_hub"]


def _account(app, username: str, role: str, unit: str | None, county: str | None) -> Principal:
    hub = _hub(app)
    return accounts.create_user(
        get_store(hub),
        username=username,
        role=role,
        password=PASSWORD,
        policy=hub.settings.security.password,
        known_counties=list(hub.settings.city.county_names),
        counties=[county] if county else None,
        must_change=False,
        unit=unit,
    ).principal()


def run_as(app, who, fn, *args, **kwargs):
    with app.server.test_request_context("/"), acting_as(who):
        return fn(_hub(app), *args, **kwargs)


def test_a_unit_subscribed_to_duban_gets_its_items_escalation_on_its_webhook(
    duban_app, receiver, monkeypatch
) -> None:
    hub = _hub(duban_app)
    store = get_store(hub)
    with duban_app.server.test_request_context("/"):
        task = hub.query("key_work.tasks", DatasetQuery()).frame.iloc[0].to_dict()
    county = task["county_code"]
    elsewhere = next(c for c in hub.settings.city.county_names if c != county)
    leader = _account(duban_app, "leader1", "city_leader", None, None)
    unit = _account(duban_app, "unit1", "unit_staff", task["lead_unit"], county)
    _account(duban_app, "unit2", "unit_staff", "别的单位", county)
    _account(duban_app, "county1", "county_staff", None, county)
    _account(duban_app, "county2", "county_staff", None, elsewhere)
    for name in HOOKS:
        subscribe(store, name, topic="duban", channels=[name])

    start = dt.datetime(2026, 12, 1, 9, 0)
    monkeypatch.setattr(clock, "now", lambda: start)
    first = run_as(duban_app, leader, supervision.act, f"task:{task['task_id']}", "催办", "请反馈")
    assert first.ok, first.message
    # The new item (催办) reaches its unit and county after one tick; not the opener himself.
    assert runner.tick(duban_app)["escalated"] == 0
    assert {r.path.strip("/") for r in receiver.got} == {"unit1", "county1"}
    receiver.got.clear()
    monkeypatch.setattr(clock, "now", lambda: start + dt.timedelta(days=3, minutes=1))
    assert runner.tick(duban_app)["escalated"] == 1

    told = {r.path.strip("/") for r in receiver.got}
    # Its unit, the leader who opened it and its county hear; another unit and county do not.
    assert told == {"unit1", "leader1", "county1"}
    (got,) = receiver.on("/unit1")
    assert "逾期升级" in got.json()["title"] and "约谈" in got.json()["title"]

    # The unit's reply reaches the leader (not the unit itself), masked: no phone in clear.
    receiver.got.clear()
    done = run_as(duban_app, unit, duban.reply, first.case_id, "进展反馈", "联系人13812345678")
    assert done.ok, done.message
    runner.tick(duban_app)
    assert {r.path.strip("/") for r in receiver.got} == {"leader1", "county1"}
    body = receiver.on("/leader1")[0].json()["body"]
    assert "13812345678" not in body and "138****5678" in body
