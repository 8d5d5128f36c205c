"""Cached callback outputs (cockpit.outputs): what hits, what misses, and what is never cached."""

from __future__ import annotations

import json

import plotly.graph_objects as go
import pytest
from dash import no_update

from cockpit.cache import make_key
from cockpit.hub import DataHub
from cockpit.ids import pattern_id
from cockpit.outputs import call_cached, output_key
from cockpit.phone import SEEN
from cockpit.scope import CITY_LEADER, install_principal_provider
from cockpit.settings import CacheSettings
from data_sources.query import DatasetQuery, Filter, Measure
from tests.unit.test_hub import TICKETS, FakeSource, Who, county_user, make_cache

ORIGIN = {"Origin": "http://localhost"}  # as a browser on the same site sends
COUNT = DatasetQuery(measures=(Measure("n", "count"),))


class Panel:
    """A callback body that reads the hub and builds a figure, counting its runs."""

    def __init__(self, hub: DataHub, query: DatasetQuery = COUNT) -> None:
        self.hub = hub
        self.query = query
        self.runs = 0

    def __call__(self, status: str) -> tuple:
        """A figure and a text from the tickets of one status."""
        self.runs += 1
        answer = self.hub.query(TICKETS, self.query.with_filters(Filter("status", "eq", status)))
        n = int(answer.frame["n"].iloc[0]) if "n" in answer.frame else len(answer.frame)
        return go.Figure(go.Bar(x=[status], y=[n])), f"{status}{n}件"

    def call(self, status: str = "办理中") -> tuple:
        """The callback through the output cache."""
        return call_cached(self.hub, "test-panel", self, (status,), {})


@pytest.fixture
def who() -> Who:
    """The principal of the hub: the city leader until a test switches it."""
    return Who()


@pytest.fixture
def fake() -> FakeSource:
    """A fake source with nine tickets in three counties."""
    return FakeSource()


@pytest.fixture
def hub(settings, fake: FakeSource, who: Who) -> DataHub:
    """A hub over the fake source with this test's own file cache."""
    return DataHub(settings, {"demo": fake}, make_cache(settings), principal=who)


def test_same_inputs_scope_and_data_answer_from_the_cache_as_json(hub: DataHub) -> None:
    """The second identical call does not run the callback; it gets the JSON Dash would send."""
    panel = Panel(hub)
    first = panel.call()
    second = panel.call()
    assert panel.runs == 1
    assert second == json.loads(json.dumps([first[0].to_plotly_json(), first[1]], default=list))
    assert second[1] == "办理中3件"
    assert second[0]["data"][0]["y"] == [3]
    stored = hub.cache.get(output_key(hub, "test-panel", ("办理中",), {}))
    assert isinstance(stored["json"], str)  # plain JSON text, never a figure object
    assert stored["versions"] == {TICKETS: "v1"}


def test_other_inputs_miss(hub: DataHub) -> None:
    """Another input value is another entry."""
    panel = Panel(hub)
    panel.call("办理中")
    assert panel.call("已办结")[1] == "已办结3件"
    assert panel.runs == 2


def test_a_county_principal_never_gets_the_city_output(hub: DataHub, who: Who) -> None:
    """The city's cached answer is not served to a county user, whose own answer is scoped."""
    panel = Panel(hub)
    assert panel.call()[1] == "办理中3件"
    who.principal = county_user("140404")  # every 办理中 ticket of the fake is in 140403
    assert panel.call()[1] == "办理中0件"
    assert panel.runs == 2
    assert panel.call()[1] == "办理中0件"  # and the county's own answer is cached in turn
    assert panel.runs == 2
    who.principal = CITY_LEADER
    assert panel.call()[1] == "办理中3件"
    assert panel.runs == 2


def test_new_data_version_misses(hub: DataHub, fake: FakeSource) -> None:
    """When the source's data is replaced, the output is built again from the new data."""
    panel = Panel(hub)
    panel.call()
    fake.token = "v2"
    fake.frame = fake.frame.assign(status="办理中")
    assert panel.call()[1] == "办理中9件"
    assert panel.runs == 2


def test_cache_outage_is_a_miss_not_an_error(settings, fake: FakeSource, who: Who) -> None:
    """With Redis unreachable every call runs the callback and answers normally."""
    broken = CacheSettings(type="redis", redis_url="redis://127.0.0.1:1/0")
    hub = DataHub(settings, {"demo": fake}, make_cache(settings, broken), principal=who)
    panel = Panel(hub)
    assert panel.call()[1] == "办理中3件"
    assert panel.call()[1] == "办理中3件"
    assert panel.runs == 2


def test_outputs_with_personal_data_are_never_cached(hub: DataHub) -> None:
    """A callback that read citizens' names is run every time, and nothing is stored."""
    rows = DatasetQuery(columns=("ticket_id", "citizen_name"))
    panel = Panel(hub, rows)
    panel.call()
    panel.call()
    assert panel.runs == 2
    # Only the marker that says so is stored under the key (so waiters stop waiting).
    assert hub.cache.get(output_key(hub, "test-panel", ("办理中",), {})) == {"personal": True}


def test_outputs_built_while_a_source_failed_are_not_cached(hub: DataHub, fake: FakeSource) -> None:
    """An error shown during an outage must not outlive it."""
    from data_sources.base import DataSourceError

    panel = Panel(hub)
    fake.error = DataSourceError("库连接超时")
    panel.call()
    fake.error = None
    assert panel.call()[1] == "办理中3件"
    assert panel.runs == 2


def test_no_update_answers_are_not_cached(hub: DataHub) -> None:
    """A call that changes nothing is not remembered as an answer."""
    runs = []

    def nothing(period: str | None) -> tuple:
        runs.append(period)
        return no_update, no_update

    call_cached(hub, "test-nothing", nothing, (None,), {})
    call_cached(hub, "test-nothing", nothing, (None,), {})
    assert len(runs) == 2


def test_the_key_holds_scope_permissions_and_inputs(hub: DataHub, who: Who) -> None:
    """Keys differ by input, by counties and by permissions; never by who within a scope."""
    city = output_key(hub, "p", ("2026-10",), {})
    assert output_key(hub, "p", ("2026-09",), {}) != city
    who.principal = county_user("140403")
    assert output_key(hub, "p", ("2026-10",), {}) != city
    who.principal = CITY_LEADER.__class__(
        user_id="another", role="city_leader", permissions=CITY_LEADER.permissions
    )
    assert output_key(hub, "p", ("2026-10",), {}) == city
    assert city != make_key("p", "2026-10")


def test_overview_callback_through_dash_is_cached_per_scope(app) -> None:
    """Over HTTP: the same answer twice from the cache; a county user gets their own."""
    from bench.run import overview_body

    client = app.server.test_client()
    principal = {"who": CITY_LEADER}
    install_principal_provider(app.server, lambda: principal["who"])
    body = overview_body("2026-10", "city")
    first = client.post("/_dash-update-component", json=body, headers=ORIGIN)
    second = client.post("/_dash-update-component", json=body, headers=ORIGIN)
    assert first.status_code == second.status_code == 200
    assert first.get_json() == second.get_json()
    hub = app.server.extensions["cockpit_hub"]
    with app.server.test_request_context("/"):
        install_principal_provider(app.server, lambda: principal["who"])
        stored = hub.cache.get(output_key(hub, "overview-cards", ("2026-10", "city"), {}))
    sent = first.get_json()["response"]
    assert json.loads(stored["json"]) == [
        sent[i]["children"]
        for i in (
            "overview-cards-left",
            "overview-cards-right",
            "overview-attention",
            "overview-attention-counts",
            "overview-contact",
        )
    ]
    principal["who"] = county_user("140403")
    county = client.post("/_dash-update-component", json=body, headers=ORIGIN)
    assert county.status_code == 200
    assert county.get_json() != first.get_json()


def section_body(key: str, period: str = "2026-10", county: str = "city") -> dict:
    """The POST of one 12345 section's callback, as the browser sends it."""
    outputs = [
        {"id": f"hotline-{key}", "property": "children"},
        {"id": f"hotline-{key}-period", "property": "children"},
        {"id": f"hotline-{key}-foot", "property": "children"},
    ]
    return {
        "output": ".." + "...".join(f"{o['id']}.{o['property']}" for o in outputs) + "..",
        "outputs": outputs,
        "inputs": [
            {"id": "filter-period", "property": "value", "value": period},
            {"id": "filter-county", "property": "value", "value": county},
            # Every section but the KPI cards is folded on a phone: the browser sends whether its
            # fold has been seen (True on a wide screen), cockpit.phone.seen.
            *(
                []
                if key == "kpis"
                else [{"id": pattern_id(SEEN, key=key), "property": "data", "value": True}]
            ),
        ],
        "changedPropIds": ["filter-period.value"],
        "state": [],
    }


@pytest.mark.parametrize(("key", "cached"), [("kpis", True), ("repeat", False), ("hot", False)])
def test_hotline_sections_with_personal_data_are_not_cached(app, key: str, cached: bool) -> None:
    """The KPI cards are cached; repeat callers (phones) and hot words (citizens' text) never."""
    client = app.server.test_client()
    answers = [
        client.post("/_dash-update-component", json=section_body(key), headers=ORIGIN)
        for _ in range(2)
    ]
    assert [a.status_code for a in answers] == [200, 200]
    assert answers[0].get_json() == answers[1].get_json()
    hub = app.server.extensions["cockpit_hub"]
    with app.server.test_request_context("/"):
        stored = hub.cache.get(output_key(hub, f"hotline-{key}", ("2026-10", "city"), {}))
    if cached:
        assert "json" in stored
    else:  # nothing of the answer: only the marker saying it is personal
        assert stored == {"personal": True}
