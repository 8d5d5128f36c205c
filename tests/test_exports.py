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
from cockpit.scope import EXPORT, SEE_PERSONAL, UNMASK, Principal

PERIOD = "2026-10"
COUNTY = "140404"  # 上党区
OTHER = "140403"  # 潞州区
TABLE_KEYS = {t.key for p in all_panels() for t in p.tables}


def _app(settings, principal: Principal):  # noqa: ANN001, ANN202
    from cockpit.factory import create_app

    return create_app(settings, principal_provider=lambda: principal)


def _close(app) -> None:  # noqa: ANN001
    for source in app.server.extensions["cockpit_hub"].sources.values():
        source.close()


def _rows(body: bytes) -> tuple[dict[str, str], list[dict[str, str]]]:
    """(header fields, table rows) of an exported CSV."""
    lines = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    blank = lines.index([])
    fields = {line[0]: line[1] for line in lines[1:blank] if len(line) == 2}
    names = lines[blank + 1]
    return fields, [dict(zip(names, row, strict=True)) for row in lines[blank + 2 :]]


def _exports_audited(app) -> list[tuple[str, str, str]]:  # noqa: ANN001
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


def test_personal_columns_are_masked_unless_the_principal_may_unmask() -> None:
    frame = pd.DataFrame(
        {"来电人": ["张三丰"], "来电号码": ["13812341234"], "内容": ["请回电13912345678"]}
    )
    table = Table(frame, HEADER, "t", {"来电人": "name", "来电号码": "phone", "内容": "text"})
    masked = mask_personal(table, Principal("a", "leader", None, frozenset({EXPORT})))
    assert masked.frame.iloc[0].tolist() == ["张**", "138****1234", "请回电139****5678"]
    assert "个人信息已脱敏" in masked.header.notes
    kept = mask_personal(table, Principal("b", "admin", None, frozenset({EXPORT, UNMASK})))
    assert kept.frame.iloc[0].tolist() == ["张三丰", "13812341234", "请回电13912345678"]


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
        _, rows = _rows(client.get("/export/key_work.tasks.csv").data)
        assert rows and {r["县区"] for r in rows} == {names[COUNTY]}
        for key, column in (("risk.warnings", "地点"), ("emergency.events", "县区")):
            _, rows = _rows(client.get(f"/export/{key}.csv?county={OTHER}").data)
            assert not any(names[OTHER] in r[column] for r in rows), key
    finally:
        _close(app)


def test_ticket_export_holds_no_raw_name_or_phone(settings, demo_sql) -> None:
    """The raw names and phones of the exported tickets are nowhere in the file; with UNMASK
    they are (so the check can fail)."""
    raw = demo_sql(
        "SELECT ticket_id, citizen_name, citizen_phone FROM hotline_tickets "
        "WHERE county_code='140404' AND received_at >= '2026-10-01' "
        "AND received_at < '2026-11-01' AND citizen_phone IS NOT NULL"
    )
    assert len(raw) > 10
    url = f"/export/hotline.tickets.csv?period={PERIOD}&county={COUNTY}"
    masked_app = _app(settings, Principal("a", "leader", None, frozenset({EXPORT, SEE_PERSONAL})))
    open_app = _app(settings, Principal("b", "admin", None, frozenset({EXPORT, UNMASK})))
    try:
        text = masked_app.server.test_client().get(url).data.decode("utf-8-sig")
        unmasked = open_app.server.test_client().get(url).data.decode("utf-8-sig")
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
