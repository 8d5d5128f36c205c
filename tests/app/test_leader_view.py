"""我的驾驶舱 and 市局直通 (issue #24 items 3 and 4), through the real login form and gate.

A leader account linked to 经济运行 and two counties lands on its own view, those first; an
account without links sees the usual overview; a link to a county outside the account's scope
shows nothing of it. The bureau page shows the tasks a bureau leads exactly as the data has
them, and a county account cannot see another county through it, whatever the callback says.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from cockpit import clock, directory, leaders
from cockpit.domains.economy.transform import indicator_figure
from cockpit.domains.overview import data as overview_data
from cockpit.domains.overview.transform import HEADLINE_INDICATORS, LEVEL_NAMES
from cockpit.factory import create_app
from cockpit.leaders import LinkError, Links
from cockpit.modules import module_keys
from cockpit.scope import EXPORT, SEE_PERSONAL, Principal, acting_as
from cockpit.security import accounts
from cockpit.settings import ConfigError, load_settings
from cockpit.shell import CITY_WIDE
from tests.app.test_overview_first_layout import _find, _hrefs, _texts
from tests.app.test_security import _counties, _login_with_totp, _store, login, make_user
from tests.apps import close_app, running_app
from tests.conftest import demo_environ
from tests.dash_requests import ORIGIN, callback_body, post

LUZHOU, SHANGDANG = "140403", "140404"
CITY = "140400"
BUREAU = "市住建局"


@pytest.fixture
def secure_app(settings):
    """The cockpit as deployed: login required."""
    app = create_app(settings)
    yield app
    close_app(app)


def link(app: Any, username: str, links: Links) -> None:
    """Link an account as an administrator would (the admin form and the CLI call this)."""
    leaders.save(
        _store(app), username, links, modules=leaders.known_modules(), counties=_counties(app)
    )


def landing(client: Any) -> dict:
    """The first layout of / for the signed-in client (what the renderer fetches first)."""
    answer = client.get("/_dash-layout", headers={"Referer": "http://localhost/"})
    assert answer.status_code == 200
    return json.loads(answer.data)


def group_items(layout: dict, key: str) -> list[str]:
    """The item texts of one group of 我的驾驶舱 (red, warnings, overdue, tasks)."""
    group = _find(layout, f"overview-mine-{key}")
    assert group is not None, key
    items = [t for t in _texts(group) if t not in ("当前没有需要特别关注的事项",)]
    return items


def test_leader_linked_to_economy_and_two_counties_lands_on_own_view(secure_app) -> None:
    """Linked to economy, 潞州区 and 上党区: the landing page opens with 我的驾驶舱 before the
    overview, whose red lights are the economy's red indicators of those two counties (as the
    economy rules read them from the data), whose warnings are those two counties' warnings in
    force, and whose chips lead to /economy and to each county."""
    make_user(secure_app, "leader-econ", "city_leader")
    link(secure_app, "leader-econ", Links(modules=("economy",), counties=(LUZHOU, SHANGDANG)))
    client = login(secure_app, "leader-econ")
    layout = landing(client)

    overview = _find(layout, "overview-mine")
    assert overview is not None and not overview["props"]["hidden"]
    texts = _texts(layout)
    # 我的驾驶舱 comes before the overview's own panels (需要关注 and the cards).
    assert texts.index("需要关注") > next(i for i, t in enumerate(texts) if "我的驾驶舱" in t)

    hub = secure_app.server.extensions["cockpit_hub"]
    hrefs = _hrefs(overview)
    period = next(h for h in hrefs if h.startswith("/economy")).split("period=")[1][:7]
    assert f"/?period={period}&county={LUZHOU}" in hrefs
    assert f"/?period={period}&county={SHANGDANG}" in hrefs

    # The red lights: each red economy indicator of the two counties, named with its county.
    names = hub.settings.city.county_names
    counties = [c.code for c in hub.settings.city.counties]
    headline = [i for i in hub.settings.indicators if i.id in HEADLINE_INDICATORS]
    expected_red = []
    leader = accounts.get_user(_store(secure_app), "leader-econ").principal()
    with secure_app.server.test_request_context(), acting_as(leader):
        for code in (LUZHOU, SHANGDANG):
            rows = overview_data.economy_rows(hub, period, code).frame
            for indicator in headline:
                fig = indicator_figure(
                    rows, indicator, period, code, counties=counties, today=clock.today()
                )
                if fig.status == "red" and fig.growth is not None:
                    expected_red.append((names[code], indicator.name))
        warnings = overview_data.warnings_in_force(hub, None, clock.today()).frame
    red = [t for t in group_items(layout, "red") if t.startswith("【")]
    shown_red = [
        (
            t[1:].split("】")[0],
            next(i.name for i in headline if t.split("】")[1].startswith(i.name)),
        )
        for t in red
    ]
    assert sorted(shown_red) == sorted(expected_red)
    assert all(h.startswith("/economy") for h in _hrefs(_find(layout, "overview-mine-red")))

    # The warnings in force: those of the two counties (red, orange, yellow), none other.
    mine = warnings[warnings.county_code.isin([LUZHOU, SHANGDANG]) & (warnings.level <= 3)]
    shown = [t for t in group_items(layout, "warnings") if "预警：" in t]
    assert len(mine) > 0
    assert sorted(shown) == sorted(
        f"【{names[w.county_code]}】{LEVEL_NAMES[w.level]}预警：{w.title}（{w.stage}，{w.responsible_unit}）"
        for w in mine.itertuples()
    )
    other = set(names.values()) - {names[LUZHOU], names[SHANGDANG]}
    assert not any(f"【{n}】" in t for t in shown + red for n in other)


def test_account_without_links_sees_the_usual_overview(secure_app) -> None:
    """No link, no 我的驾驶舱: the section is hidden and empty; the overview is as before."""
    make_user(secure_app, "leader-plain", "city_leader")
    layout = landing(login(secure_app, "leader-plain"))
    mine = _find(layout, "overview-mine")
    assert mine["props"]["hidden"] is True and not mine["props"].get("children")
    assert _find(layout, "overview-attention") is not None


def test_county_link_outside_scope_never_widens(secure_app) -> None:
    """A county account linked (by mistake) to another county is shown nothing of it first."""
    make_user(secure_app, "county-led", "county_staff", [LUZHOU])
    link(secure_app, "county-led", Links(modules=("economy", "risk"), counties=(SHANGDANG,)))
    layout = landing(login(secure_app, "county-led"))
    mine = _find(layout, "overview-mine")
    texts = " ".join(_texts(mine))
    assert "不在本账号的查看范围内" in texts
    assert "上党区" not in texts and _find(layout, "overview-mine-warnings") is None


def test_links_are_registry_keys_checked_where_they_are_made(secure_app, tmp_path) -> None:
    """The store refuses a module key the registry does not know, and an unknown county; the
    config file's links are checked at start-up with one line naming the field."""
    make_user(secure_app, "leader-bad", "city_leader")
    with pytest.raises(LinkError, match="未知模块"):
        link(secure_app, "leader-bad", Links(modules=("no_such_domain",)))
    with pytest.raises(LinkError, match="未知县区"):
        link(secure_app, "leader-bad", Links(counties=("999999",)))
    assert leaders.stored(_store(secure_app), "leader-bad") is None
    # Every registry key may be linked (a module added later included): no list to keep.
    assert set(leaders.known_modules()) <= set(module_keys())
    link(secure_app, "leader-bad", Links(modules=leaders.known_modules()))
    assert leaders.stored(_store(secure_app), "leader-bad").modules == leaders.known_modules()

    env = demo_environ(tmp_path / "x.duckdb", tmp_path / "cache")
    env["COCKPIT_LEADERS__LEADER1__MODULES"] = '["economy", "nope"]'
    with pytest.raises(ConfigError) as caught:
        load_settings(environ=env)
    assert any("leaders" in line and "nope" in line for line in caught.value.problems)


def test_configured_links_apply_until_an_administrator_sets_others(settings, tmp_path) -> None:
    """config/leaders.yaml links an account; links stored from the admin page win over them."""
    from cockpit.settings import LeaderLinks

    configured = settings.model_copy(
        update={"leaders": {"leader-cfg": LeaderLinks(modules=("risk",), counties=(LUZHOU,))}}
    )
    app = create_app(configured)
    try:
        make_user(app, "leader-cfg", "city_leader")
        client = login(app, "leader-cfg")
        layout = landing(client)
        assert not _find(layout, "overview-mine")["props"]["hidden"]
        assert any(h.startswith("/risk") for h in _hrefs(_find(layout, "overview-mine")))
        link(app, "leader-cfg", Links(modules=("hotline",)))
        layout = landing(client)
        hrefs = _hrefs(_find(layout, "overview-mine"))
        assert any(h.startswith("/hotline") for h in hrefs)
        assert not any(h.startswith("/risk?") and "county" not in h for h in hrefs[:1])
    finally:
        close_app(app)


# -- 市局直通 ------------------------------------------------------------------------------------
COUNTY_USER = Principal(
    "luzhou-bureau",
    "county_staff",
    frozenset({LUZHOU}),
    frozenset({SEE_PERSONAL, EXPORT}),
    "潞州区",
)


def bureau_answer(app: Any, name: str, county: str, period: str = "2026-10") -> dict:
    """The bureau page's callback answer for ?name=<name> and the county selector's value."""
    from urllib.parse import urlencode

    body = callback_body(
        app,
        "bureaus-body.children",
        {
            "url.search": "?" + urlencode({"name": name}),
            "filter-period.value": period,
            "filter-county.value": county,
        },
        ["url.search"],
    )
    response = post(app.server.test_client(), body)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.get_json()["response"]


def task_ids(node: Any) -> list[str]:
    """The task ids of the bureau page's task rows (data-task), in order."""
    found: list[str] = []

    def walk(n: Any) -> None:
        if isinstance(n, dict):
            props = n.get("props", {})
            if "data-task" in props:
                found.append(props["data-task"])
            walk(props.get("children"))
        elif isinstance(n, list):
            for c in n:
                walk(c)

    walk(node)
    return found


def with_directory(app: Any) -> Any:
    """The demo's 通讯录 imported into the app's directory (as on a demo server)."""
    hub = app.server.extensions["cockpit_hub"]
    with app.server.test_request_context():
        directory.import_from_platform(hub, by="test")
    return app


@pytest.fixture
def leader_app(settings):
    for app in running_app(settings):
        yield with_directory(app)


@pytest.fixture
def county_app(settings):
    for app in running_app(settings, COUNTY_USER):
        yield with_directory(app)


def test_bureau_page_shows_the_tasks_it_leads_equal_to_the_data(leader_app, demo_sql) -> None:
    """市住建局's page lists exactly the tasks whose 牵头单位 is 市住建局 in key_work.tasks."""
    answer = bureau_answer(leader_app, BUREAU, CITY_WIDE)
    body = answer["bureaus-body"]["children"]
    led = _find(body, "bureaus-tasks")
    truth = demo_sql(f"SELECT task_id FROM key_work_tasks WHERE lead_unit = '{BUREAU}'")
    assert sorted(task_ids(led)) == sorted(truth.task_id)
    assert len(truth) > 0
    assert f"牵头 {len(truth)} 项" in " ".join(_texts(led))
    # Its people, each with a one-tap call (the shared call link, recorded when tapped).
    people = json.dumps(body, ensure_ascii=False)
    assert "call-link" in people and BUREAU in people
    # The index lists it among the bureaus the data names.
    index = answer["bureaus-index"]["children"]
    assert BUREAU in _texts(index) and "市应急管理局" in _texts(index)


def test_county_account_cannot_see_another_county_through_the_bureau_page(
    county_app, demo_sql
) -> None:
    """A 潞州区 account forging the county selector as 上党区 (and as 全市) sees no task,
    warning or county office of 上党区: the hub and the directory keep the session's scope."""
    truth = demo_sql(
        f"SELECT task_id, county_code FROM key_work_tasks WHERE lead_unit = '{BUREAU}'"
    )
    theirs = set(truth[truth.county_code == SHANGDANG].task_id)
    ours = set(truth[truth.county_code == LUZHOU].task_id)
    assert theirs and ours
    forged = bureau_answer(county_app, BUREAU, SHANGDANG)["bureaus-body"]["children"]
    assert task_ids(forged) == []
    text = json.dumps(forged, ensure_ascii=False)
    assert "上党区" not in text
    whole = bureau_answer(county_app, BUREAU, CITY_WIDE)["bureaus-body"]["children"]
    assert set(task_ids(_find(whole, "bureaus-tasks"))) == ours
    assert "上党区住建局" not in json.dumps(whole, ensure_ascii=False)


def test_task_detail_links_its_lead_unit_to_the_bureau_page(leader_app, demo_sql) -> None:
    """A 重点工作 task names its 牵头单位 as a link to that bureau's 市局直通 page."""
    from cockpit.links import bureau_href

    task = demo_sql(f"SELECT task_id FROM key_work_tasks WHERE lead_unit = '{BUREAU}' LIMIT 1")
    body = callback_body(
        leader_app,
        "key_work-detail.children",
        {
            "key_work-selected.data": f"task:{task.task_id[0]}",
            "filter-period.value": "2026-10",
            "filter-county.value": CITY_WIDE,
        },
        ["key_work-selected.data"],
    )
    response = post(leader_app.server.test_client(), body)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    detail = response.get_json()["response"]["key_work-detail"]["children"]
    assert bureau_href(BUREAU) in _hrefs(detail)


def test_admin_form_links_a_leader_in_its_own_order(secure_app) -> None:
    """The system administrator links an account from the account form (audited); the order
    chosen is the order kept."""
    from cockpit import audit

    make_user(secure_app, "leader-form", "city_leader")
    hub = secure_app.server.extensions["cockpit_hub"]
    client = _login_with_totp(secure_app, "sysadmin", "admin")  # the 三员 sign in with TOTP
    body = callback_body(
        secure_app,
        "admin-links-message.children",
        {
            "admin-links-save.n_clicks": 1,
            "admin-username.value": "leader-form",
            "admin-link-modules.value": ["risk", "economy"],
            "admin-link-tasks.value": "ZD2026001",
            "admin-link-bureaus.value": BUREAU,
            "admin-link-counties.value": [SHANGDANG, LUZHOU],
        },
        ["admin-links-save.n_clicks"],
    )
    response = client.post("/_dash-update-component", json=body, headers=ORIGIN)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    kept = leaders.stored(_store(secure_app), "leader-form")
    assert kept == Links(("risk", "economy"), ("ZD2026001",), (BUREAU,), (SHANGDANG, LUZHOU))
    entries = audit.entries(_store(secure_app), action=audit.USER_CHANGE, limit=5)
    assert any(e.object == "leader-form" and "links" in str(e.detail) for e in entries)
    assert hub is not None


def test_console_sets_and_shows_a_leaders_links_in_order(
    tmp_path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`python -m cockpit leaders set` links an account in the order given (audited); `show`
    reads it back; an unknown module key is refused with its reason."""
    from cockpit.__main__ import main
    from cockpit.store import Store
    from tests.app.test_cli_security import STRONG_KEY

    for name in ("COCKPIT_AUDIT_KEY", "COCKPIT_DATA_KEY", "COCKPIT_APP__ENV"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COCKPIT_STORE__URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("COCKPIT_SECRET_KEY", STRONG_KEY)
    assert main(["users", "add", "vice1", "--role", "city_leader"]) == 0
    capsys.readouterr()
    argv = ["leaders", "set", "vice1", "--module", "risk", "--module", "economy"]
    argv += ["--bureau", BUREAU, "--county", SHANGDANG, "--county", LUZHOU]
    assert main(argv) == 0
    store = Store(f"sqlite:///{tmp_path / 'cli.db'}")
    try:
        assert leaders.stored(store, "vice1") == Links(
            ("risk", "economy"), (), (BUREAU,), (SHANGDANG, LUZHOU)
        )
    finally:
        store.dispose()
    capsys.readouterr()
    assert main(["leaders", "show", "vice1"]) == 0
    assert (
        capsys.readouterr().out.strip()
        == "领域：风险管控、经济运行；市局：市住建局；县区：上党区、潞州区"
    )
    assert main(["leaders", "set", "vice1", "--module", "nope"]) == 2
    assert "未知模块" in capsys.readouterr().err
    assert main(["audit", "verify"]) == 0


def test_bureau_page_shows_the_indicators_it_is_the_source_of(leader_app) -> None:
    """市统计局 is the source department of catalog indicators: its page shows each of them by
    name, with its unit and the 数据截至 of the figures."""
    hub = leader_app.server.extensions["cockpit_hub"]
    mine = [i for i in hub.settings.indicators if i.department == "市统计局"]
    assert mine
    body = bureau_answer(leader_app, "市统计局", CITY_WIDE)["bureaus-body"]["children"]
    texts = _texts(body)
    for indicator in mine:
        assert indicator.name in texts and indicator.unit in texts
    assert any(t.startswith("数据截至") for t in texts)


def test_a_call_from_the_bureau_page_is_recorded_with_where_it_started(leader_app) -> None:
    """The bureau page's call links are 一键直联's: a tap records the call in the audit log,
    naming the person, the number and the bureau page it was started from."""
    from cockpit import audit
    from cockpit.ids import decode_key
    from tests.app.test_contacts import call_body

    body = bureau_answer(leader_app, BUREAU, CITY_WIDE)["bureaus-body"]["children"]
    ids: list[dict] = []

    def walk(n: Any) -> None:
        if isinstance(n, dict):
            cid = n.get("props", {}).get("id")
            if isinstance(cid, dict) and cid.get("type") == "call-link":
                ids.append(cid)
            walk(n.get("props", {}).get("children"))
        elif isinstance(n, list):
            for c in n:
                walk(c)

    walk(body)
    assert ids
    first = ids[0]
    ref, via, context = (decode_key(first[f]) for f in ("ref", "via", "ctx"))
    assert context == f"bureau:{BUREAU}"
    response = post(leader_app.server.test_client(), call_body(leader_app, ref, via, context))
    assert response.status_code == 200
    [entry] = audit.entries(_store(leader_app), action=audit.CALL, limit=5)
    detail = entry.detail if isinstance(entry.detail, dict) else json.loads(entry.detail)
    assert entry.result == "ok" and detail["context"] == f"bureau:{BUREAU}"
    assert detail["org"] == BUREAU


def test_leader_linked_to_a_configured_domain_and_two_counties(secure_app) -> None:
    """The issue's case: a leader linked to 产业经济 (a domain defined in
    config/domains/industry.yaml, no Python of its own) and two counties lands on its own view,
    whose red lights are that domain's threshold warnings and red lights in those two counties,
    as the domain's own rules find them in the data, each linking to /industry."""
    from cockpit.domains.configured import summary as configured_summary

    luchengqu, zhangzixian = "140406", "140428"
    make_user(secure_app, "leader-ind", "city_leader")
    link(
        secure_app,
        "leader-ind",
        Links(modules=("industry",), counties=(luchengqu, zhangzixian)),
    )
    layout = landing(login(secure_app, "leader-ind"))
    mine = _find(layout, "overview-mine")
    assert mine is not None and not mine["props"]["hidden"]
    hrefs = _hrefs(mine)
    period = next(h for h in hrefs if h.startswith("/industry")).split("period=")[1][:7]

    hub = secure_app.server.extensions["cockpit_hub"]
    names = hub.settings.city.county_names
    leader = accounts.get_user(_store(secure_app), "leader-ind").principal()
    expected = []
    with secure_app.server.test_request_context(), acting_as(leader):
        for code in (luchengqu, zhangzixian):
            _cards, items = configured_summary.overview(hub, period, code)
            expected += [f"【{names[code]}】{a.text}" for a in items if a.module == "产业经济"]
    assert expected, "the demo data raise 产业经济 warnings in these two counties"
    shown = [t for t in group_items(layout, "red") if t.startswith("【")]
    assert sorted(shown) == sorted(expected)
    assert all(h.startswith("/industry") for h in _hrefs(_find(layout, "overview-mine-red")))
    other = set(names.values()) - {names[luchengqu], names[zhangzixian]}
    assert not any(f"【{n}】" in t for t in shown for n in other)
