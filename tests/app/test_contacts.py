"""一键直联: the directory in the cockpit's own database, its editing, who answers for what,
and the record of every call, all within the user's scope (over HTTP where a user acts)."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import pytest

from cockpit import audit, calls, directory
from cockpit.directory import ContactFields, DirectoryError
from cockpit.domains.contacts.subjects import Subject, responsible, subject_of
from cockpit.ids import encode_key, pattern_id
from cockpit.scope import (
    EXPORT,
    MANAGE_CONTACTS,
    MANAGE_USERS,
    SEE_MOBILES,
    SEE_PERSONAL,
    Principal,
)
from cockpit.store import Store, get_store
from tests.apps import running_app
from tests.dash_requests import answer, callback_body, post

CITY = "140400"
LUZHOU, SHANGDANG = "140403", "140404"
KNOWN = [CITY, LUZHOU, SHANGDANG]
COUNTY_USER = Principal(
    "luzhou1", "county_staff", frozenset({LUZHOU}), frozenset({SEE_PERSONAL, EXPORT}), "潞州区"
)
# County staff whose role was given SEE_MOBILES: the scope tests below call mobiles (which the
# default county_staff role may not see: tests/app/test_directory_phones.py).
COUNTY_CALLER = Principal(
    "luzhou1",
    "county_staff",
    frozenset({LUZHOU}),
    frozenset({SEE_PERSONAL, EXPORT, SEE_MOBILES}),
    "潞州区",
)
ADMIN = Principal("admin1", "admin", frozenset(), frozenset({MANAGE_USERS, MANAGE_CONTACTS}))


@pytest.fixture
def store(tmp_path) -> Store:
    made = Store(f"sqlite:///{tmp_path / 'store.db'}")
    made.ensure_ready()
    yield made
    made.dispose()


def person(
    name: str = "王建国", org: str = "市人民政府", county: str = CITY, **kw: Any
) -> ContactFields:
    return ContactFields(
        name=name,
        post=kw.pop("post", "副市长"),
        org=org,
        county_code=county,
        mobile=kw.pop("mobile", "13912345678"),
        **kw,
    )


# -- the directory -------------------------------------------------------------------------------
def test_add_update_and_take_off(store: Store) -> None:
    added = directory.add(store, person(), by="admin1", known_codes=KNOWN)
    assert (added.name, added.mobile, added.duty_status, added.active) == (
        "王建国",
        "13912345678",
        "在岗",
        True,
    )
    changed = directory.update(
        store,
        added.id,
        person(duty_status="出差", duty_note="至11月25日", office_phone="0355-2023456"),
        by="admin1",
        known_codes=KNOWN,
    )
    assert (changed.duty_status, changed.duty_note, changed.office_phone) == (
        "出差",
        "至11月25日",
        "0355-2023456",
    )
    assert changed.phones() == [("mobile", "13912345678"), ("office", "0355-2023456")]
    directory.set_active(store, added.id, False, by="admin1")
    assert directory.listing(store) == []
    assert [c.active for c in directory.listing(store, include_inactive=True)] == [False]
    with pytest.raises(DirectoryError, match="没有编号"):
        directory.update(store, 999, person(), by="admin1", known_codes=KNOWN)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (person(name=" "), "请填写姓名"),
        (person(org=""), "请填写单位"),
        (person(county="999999"), "不是本市或所辖县区"),
        (person(county=""), "请选择所属区域"),
        (person(mobile="13912345678abc"), "不是可拨打的号码"),
        (person(mobile="", office_phone=""), "至少填写一个"),
        (person(duty_status="失联"), "在岗状态须为"),
        (person(name="名" * 33), "不能超过32个字"),
    ],
)
def test_bad_edits_are_refused_with_a_reason(
    store: Store, fields: ContactFields, message: str
) -> None:
    with pytest.raises(DirectoryError, match=message):
        directory.add(store, fields, by="admin1", known_codes=KNOWN)
    assert directory.count(store) == 0  # nothing half-written


def platform_rows(**changes: Any) -> pd.DataFrame:
    rows = [
        {
            "contact_id": "TX1",
            "name": "王建国",
            "post": "副市长",
            "org": "市人民政府",
            "county_code": CITY,
            "office_phone": "0355-2000001",
            "mobile": "13900000001",
        },
        {
            "contact_id": "TX2",
            "name": "李四",
            "post": "局长",
            "org": "市应急管理局",
            "county_code": CITY,
            "office_phone": "0355-2000002",
            "mobile": None,
        },
        {
            "contact_id": "TX3",
            "name": "赵六",
            "post": "县（区）长",
            "org": "潞州区人民政府",
            "county_code": LUZHOU,
            "office_phone": None,
            "mobile": "13900000003",
        },
    ]
    for row in rows:
        row.update(changes.get(row["contact_id"], {}))
    return pd.DataFrame(rows)


def test_import_adds_updates_and_keeps_local_edits(store: Store) -> None:
    first = directory.import_rows(store, platform_rows(), by="sync", known_codes=KNOWN)
    assert (first.added, first.updated, first.unchanged, first.kept_local) == (3, 0, 0, 0)
    # An administrator corrects 李四's mobile here; the platform later changes both rows.
    li = next(c for c in directory.listing(store) if c.source_id == "TX2")
    directory.update(
        store,
        li.id,
        person("李四", "市应急管理局", post="局长", mobile="13900000022"),
        by="admin1",
        known_codes=KNOWN,
    )
    bad = {
        "contact_id": "TX5",
        "name": "",
        "post": "x",
        "org": "y",
        "county_code": CITY,
        "office_phone": "0355-1",
        "mobile": None,
    }
    changed = platform_rows(TX1={"post": "常务副市长"}, TX2={"mobile": "13900000099"})
    again = directory.import_rows(
        store, pd.concat([changed, pd.DataFrame([bad])]), by="sync", known_codes=KNOWN
    )
    assert (again.added, again.updated, again.unchanged, again.kept_local) == (0, 1, 1, 1)
    assert again.rejected and "TX5" in again.rejected[0] and "姓名" in again.rejected[0]
    by_source = {c.source_id: c for c in directory.listing(store)}
    assert by_source["TX1"].post == "常务副市长"
    assert by_source["TX2"].mobile == "13900000022"  # the local correction is not lost
    assert "TX5" not in by_source


# -- who answers for what ------------------------------------------------------------------------
def contact(i: int, name: str, org: str, county: str = CITY) -> directory.Contact:
    return directory.Contact(name=name, post="p", org=org, county_code=county, mobile="139", id=i)


PEOPLE = [
    contact(1, "王建国", "市人民政府"),
    contact(2, "甲", "市住建局"),
    contact(3, "乙", "市财政局"),
    contact(4, "丙", "潞州区住建局", LUZHOU),
    contact(5, "丁", "潞州区人民政府", LUZHOU),
    contact(6, "戊", "上党区人民政府", SHANGDANG),
    contact(7, "己", "市应急管理局"),
    contact(8, "庚", "潞州区应急管理局", LUZHOU),
]
NAMES = {LUZHOU: "潞州区", SHANGDANG: "上党区"}


def test_a_task_goes_to_its_leader_unit_county_then_co_units() -> None:
    task = Subject(
        "task:ZD1",
        "task",
        "老旧小区改造",
        LUZHOU,
        units=(("市住建局", "牵头单位"), ("市财政局", "配合单位")),
        leaders=("王建国",),
    )
    picks = responsible(task, PEOPLE, NAMES)
    assert [(p.contact.id, p.reason) for p in picks] == [
        (1, "分管领导"),
        (2, "牵头单位"),
        (4, "属地对口部门"),
        (5, "属地政府"),
        (3, "配合单位"),
    ]


def test_an_event_and_a_county() -> None:
    event = Subject(
        "event:E1", "event", "火灾", SHANGDANG, units=(("市应急管理局", "应急管理部门"),)
    )
    assert [(p.contact.id, p.reason) for p in responsible(event, PEOPLE, NAMES)] == [
        (7, "应急管理部门"),
        (6, "属地政府"),
    ]
    county = Subject("county:140403", "county", "潞州区", LUZHOU)
    assert {p.contact.id for p in responsible(county, PEOPLE, NAMES)} == {4, 5, 8}


# -- over HTTP, as users ------------------------------------------------------------------------
@pytest.fixture
def filled(settings) -> Any:
    """Settings whose store holds the demo directory (imported as the platform's)."""
    from tests.apps import app_as, close_app

    app = app_as(settings)
    with app.server.test_request_context("/"):
        hub = app.server.extensions["cockpit_hub"]
        report = directory.import_from_platform(hub, by="test")
        assert report.added > 20 and not report.rejected
    close_app(app)
    return settings


def page(app: Any, search: str = "", text: str = "", county: str = "city") -> str:
    body = callback_body(
        app,
        "contacts-list.children",
        {
            "url.search": search,
            "contacts-search.value": text,
            "filter-county.value": county,
        },
    )
    return json.dumps(answer(app, body), ensure_ascii=False)


def test_a_county_user_sees_city_people_and_their_county_only(filled, demo_sql) -> None:
    people = demo_sql("SELECT name, org, county_code FROM contacts")
    own = people[people.county_code == LUZHOU]
    other = people[people.county_code == SHANGDANG]
    city = people[people.county_code == CITY]
    for app in running_app(filled, COUNTY_USER):
        shown = page(app)
        assert all(org in shown for org in own.org) and all(org in shown for org in city.org)
        assert not any(org in shown for org in other.org)
        assert not any(name in shown for name in set(other.name) - set(own.name) - set(city.name))
        # Another county's task, asked for by id, is not found (the hub scopes the read).
        tasks = demo_sql(f"SELECT task_id FROM key_work_tasks WHERE county_code = '{SHANGDANG}'")
        shown = page(app, f"?for=task:{tasks.task_id[0]}")
        assert "未找到该事项" in shown


def test_a_red_task_shows_its_leader_and_lead_unit(filled, demo_sql) -> None:
    task = demo_sql(
        f"SELECT task_id, lead_leader, lead_unit FROM key_work_tasks WHERE county_code = '{LUZHOU}' LIMIT 1"
    ).iloc[0]
    for app in running_app(filled):
        body = callback_body(
            app,
            "contacts-list.children",
            {
                "url.search": f"?for=task:{task.task_id}",
                "contacts-search.value": "",
                "filter-county.value": "city",
            },
        )
        subject = json.dumps(answer(app, body)["response"]["contacts-subject"], ensure_ascii=False)
        leader = task.lead_leader.split(" ")[0]
        assert leader in subject and "分管领导" in subject
        assert task.lead_unit in subject and "牵头单位" in subject
        assert "潞州区人民政府" in subject and "属地政府" in subject
        # calls from here say where from (an ASCII key in the link's id: cockpit/ids.py)
        assert f'"ctx": "{encode_key(f"task:{task.task_id}")}"' in subject


def call_body(app: Any, ref: str, via: str, context: str = "contacts") -> dict:
    link = pattern_id(calls.LINK_TYPE, ref=ref, via=via, ctx=context)
    key = json.dumps(link, sort_keys=True, separators=(",", ":"))
    body = callback_body(app, "call-recorded.data", {})
    body["inputs"] = [[{"id": link, "property": "n_clicks", "value": 1}]]
    body["changedPropIds"] = [f"{key}.n_clicks"]
    return body


def calls_recorded(settings: Any) -> list[audit.Entry]:
    store = Store.from_settings(settings)
    try:
        return sorted(audit.entries(store, action=audit.CALL), key=lambda e: e.seq)  # oldest first
    finally:
        store.dispose()


def test_every_call_is_recorded_within_scope(filled, demo_sql) -> None:
    for app in running_app(filled, COUNTY_CALLER):
        with app.server.test_request_context("/"):
            people = directory.listing(get_store(app.server.extensions["cockpit_hub"]))
        own = next(c for c in people if c.county_code == LUZHOU and c.mobile)
        other = next(c for c in people if c.county_code == SHANGDANG)
        client = app.server.test_client()
        assert (
            post(client, call_body(app, f"contact:{own.id}", "mobile", "county:140403")).status_code
            == 200
        )
        # Forged: a contact the user cannot see, a number kind the contact lacks, nonsense.
        for ref, via in (
            (f"contact:{other.id}", "mobile"),
            (f"contact:{own.id}", "fax"),
            ("x:1", "mobile"),
        ):
            assert post(client, call_body(app, ref, via)).status_code == 200
        roster = demo_sql(
            "SELECT duty_date, role, name, phone FROM duty_roster ORDER BY duty_date DESC LIMIT 1"
        ).iloc[0]
        day = pd.Timestamp(roster.duty_date).date().isoformat()
        post(client, call_body(app, f"duty:{day}:{roster.role}", "phone"))
    records = calls_recorded(filled)
    ok = [e for e in records if e.result == "ok"]
    assert [
        (e.user_id, e.object, e.detail["name"], e.detail["number"], e.detail["context"]) for e in ok
    ] == [
        ("luzhou1", f"contact:{own.id}", own.name, own.mobile, "county:140403"),
        ("luzhou1", f"duty:{day}:{roster.role}", roster["name"], roster.phone, "contacts"),
    ]
    assert [e.object for e in records if e.result == "refused"] == [
        f"contact:{other.id}",
        f"contact:{own.id}",
        "x:1",
    ]


def test_a_resource_call_outside_scope_is_refused(filled, demo_sql) -> None:
    res = demo_sql(
        f"SELECT resource_id FROM emergency_resources WHERE county_code = '{SHANGDANG}' AND phone IS NOT NULL LIMIT 1"
    ).resource_id[0]
    mine = demo_sql(
        f"SELECT resource_id, phone FROM emergency_resources WHERE county_code = '{LUZHOU}' AND phone IS NOT NULL LIMIT 1"
    ).iloc[0]
    for app in running_app(filled, COUNTY_CALLER):
        client = app.server.test_client()
        post(client, call_body(app, f"resource:{res}", "phone"))
        post(client, call_body(app, f"resource:{mine.resource_id}", "phone", "event:E1"))
    records = calls_recorded(filled)
    assert [(e.object, e.result) for e in records] == [
        (f"resource:{res}", "refused"),
        (f"resource:{mine.resource_id}", "ok"),
    ]
    assert records[1].detail["number"] == mine.phone


def admin_body(app: Any, button: str, pick: int | None, **values: Any) -> dict:
    state = {
        "admin-contact-pick.value": pick,
        "admin-contact-version.data": 0,
        "admin-contact-county.value": values.pop("county", CITY),
        "admin-contact-status.value": values.pop("status", "在岗"),
        "admin-contact-order.value": 100,
    }
    state.update({f"admin-contact-{k}.value": v for k, v in values.items()})
    state[f"admin-contact-{button}.n_clicks"] = 1
    return callback_body(
        app, "admin-contact-message.children", state, changed=[f"admin-contact-{button}.n_clicks"]
    )


def test_an_administrator_edits_the_directory_and_it_is_audited(settings) -> None:
    for app in running_app(settings, ADMIN):
        out = answer(
            app,
            admin_body(
                app, "add", None, name="孙七", post="主任", org="市大数据中心", mobile="13900000077"
            ),
        )
        assert "已新增 孙七" in json.dumps(out, ensure_ascii=False)
        out = answer(
            app,
            admin_body(app, "add", None, name="周八", post="主任", org="市大数据中心", mobile="12"),
        )
        assert "不是可拨打的号码" in json.dumps(out, ensure_ascii=False)
        with app.server.test_request_context("/"):
            added = directory.listing(get_store(app.server.extensions["cockpit_hub"]))
        assert [c.name for c in added] == ["孙七"]
        out = answer(
            app,
            admin_body(
                app,
                "save",
                added[0].id,
                name="孙七",
                post="主任",
                org="市大数据中心",
                mobile="13900000077",
                status="会议",
            ),
        )
        assert "已保存" in json.dumps(out, ensure_ascii=False)
    store = Store.from_settings(settings)
    try:
        changes = audit.entries(store, action=audit.CONTACT_CHANGE)
        assert directory.get(store, added[0].id).duty_status == "会议"
    finally:
        store.dispose()
    assert sorted((e.detail["action"], e.result) for e in changes) == [
        ("add", "ok"),
        ("add", "refused"),
        ("save", "ok"),
    ]


def test_only_administrators_edit_the_directory(settings) -> None:
    leader = Principal("lead", "city_leader", None, frozenset({SEE_PERSONAL, EXPORT}))
    for app in running_app(settings, leader):
        response = post(
            app.server.test_client(),
            admin_body(app, "add", None, name="孙七", post="主任", org="x", mobile="13900000077"),
        )
        assert response.status_code == 403  # the gate: the admin page is not the leader's
    store = Store.from_settings(settings)
    try:
        assert directory.count(store) == 0
    finally:
        store.dispose()


def test_subject_of_reads_through_the_hub(hub, demo_sql) -> None:
    warning = demo_sql(
        "SELECT warning_id, responsible_unit, title FROM risk_warnings LIMIT 1"
    ).iloc[0]
    subject = subject_of(hub, f"warning:{warning.warning_id}")
    assert subject.title == warning.title and subject.units == (
        (warning.responsible_unit, "责任单位"),
    )
    assert subject_of(hub, "warning:nope") is None
    assert subject_of(hub, "task:'; drop table") is None


def test_command_line_lists_and_imports_a_file(
    tmp_path,
    demo_db,
    demo_sql,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
) -> None:
    """`python -m cockpit contacts import --file` adds good rows, names the bad ones (exit 1),
    and the import is in the audit log; `contacts list` shows the result."""
    from cockpit.__main__ import main
    from tests.conftest import demo_environ

    for key, value in demo_environ(demo_db, tmp_path / "cache").items():
        monkeypatch.setenv(key, value)
    assert main(["contacts", "list"]) == 0
    before = [line for line in capsys.readouterr().out.splitlines() if line]
    platform_rows = demo_sql("SELECT count(*) AS n FROM contacts")["n"][0]
    assert len(before) == platform_rows  # development seeds the directory from the demo data

    file = tmp_path / "contacts.csv"
    pd.DataFrame(
        [
            {
                "contact_id": "X1",
                "name": "周新",
                "post": "主任",
                "org": "市应急管理局",
                "county_code": "140400",
                "office_phone": "",
                "mobile": "139 0000 1111",
            },
            {
                "contact_id": "X2",
                "name": "吴错",
                "post": "科长",
                "org": "某局",
                "county_code": "999999",
                "office_phone": "",
                "mobile": "13900002222",
            },
        ]
    ).to_csv(file, index=False, encoding="utf-8-sig")
    assert main(["contacts", "import", "--file", str(file)]) == 1  # one row refused
    out = capsys.readouterr().out
    assert "新增 1 人" in out and "X2" in out and "1 行未导入" in out
    assert main(["contacts", "list"]) == 0
    listed = capsys.readouterr().out
    assert "周新\t主任\t市应急管理局\t140400\t139 0000 1111" in listed and "吴错" not in listed

    assert main(["contacts", "import", "--file", str(tmp_path / "missing.csv")]) == 2
    assert "没有文件" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    bad.write_text("id,name\n1,x\n", encoding="utf-8")
    assert main(["contacts", "import", "--file", str(bad)]) == 2
    assert "缺少列" in capsys.readouterr().err

    store = Store(f"sqlite:///{tmp_path / 'cockpit-store.db'}")
    imports = [e for e in audit.entries(store, limit=50) if e.action == audit.CONTACT_CHANGE]
    store.dispose()
    assert [e.object for e in imports] == ["directory.import"]
