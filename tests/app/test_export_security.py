"""Exports and unmasking against bulk leaks (#21 item 1, item 15's label), through real sign-in.

Every export is masked, whoever asks; an unmasked export is a separate right granted in
config/security.yaml, needs a real reason, is limited in rows and per day, is audited with its
row count and carries a watermark. Unmasking one ticket is rate-limited per user, and hitting
the limit is an alert in the audit log. Exports are refused cross-site.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from cockpit import audit
from cockpit.factory import create_app
from cockpit.settings import Settings
from tests.app.test_security import audit_entries, login, make_user
from tests.apps import close_app
from tests.dash_requests import callback_body, post

PERIOD = "2026-10"
COUNTY = "140404"  # 上党区
SAME_SITE = {"Sec-Fetch-Site": "same-origin", "Referer": "http://localhost/hotline"}
POST_HEADERS = {"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"}
TICKETS = f"/export/hotline.tickets.csv?period={PERIOD}"
REPEATS = "2024-06"  # a month in which the demo data has repeat callers in 上党区


def _with_security(settings: Settings, **changes: Any) -> Settings:
    """The settings with some security keys (exports.*, unmask.*) changed, as config would."""
    security = settings.security
    for section, values in changes.items():
        part = getattr(security, section).model_copy(update=values)
        security = security.model_copy(update={section: part})
    return settings.model_copy(update={"security": security})


def _app(settings: Settings) -> Any:
    return create_app(settings)


def _csv_text(body: bytes) -> str:
    return body.decode("utf-8-sig")


def _csv_fields(body: bytes) -> tuple[dict[str, str], list[dict[str, str]]]:
    lines = list(csv.reader(io.StringIO(_csv_text(body))))
    blank = lines.index([])
    fields = {line[0]: line[1] for line in lines[1:blank] if len(line) == 2}
    names = lines[blank + 1]
    return fields, [dict(zip(names, row, strict=True)) for row in lines[blank + 2 :]]


def _xlsx_cells(body: bytes) -> list[str]:
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(body)).active
    return [str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None]


def _raw_people(demo_sql: Any, county: str | None = COUNTY) -> Any:
    where = f"AND county_code = '{county}'" if county else ""
    return demo_sql(
        "SELECT ticket_id, citizen_name, citizen_phone FROM hotline_tickets "
        "WHERE received_at >= '2026-10-01' AND received_at < '2026-11-01' "
        f"AND citizen_phone IS NOT NULL {where}"
    )


def _exports(app: Any) -> list[audit.Entry]:
    return [e for e in audit_entries(app, audit.EXPORT)]


# -- masked for every role ------------------------------------------------------------------------
def test_the_county_accounts_exports_hold_no_full_name_and_no_raw_mobile(
    settings: Settings, demo_sql: Any
) -> None:
    """county_staff holds UNMASK (one ticket, with a reason), yet every file it downloads is
    masked: tickets as CSV and Excel, and the repeat callers; labelled with its own county."""
    app = _app(settings)
    try:
        make_user(app, "county9", "county_staff", [COUNTY])
        client = login(app, "county9")
        raw = _raw_people(demo_sql)
        assert len(raw) > 50
        text = client.get(TICKETS, headers=SAME_SITE)
        book = client.get(TICKETS.replace(".csv", ".xlsx"), headers=SAME_SITE)
        repeats = client.get(f"/export/hotline.repeats.csv?period={REPEATS}", headers=SAME_SITE)
        assert text.status_code == book.status_code == repeats.status_code == 200
        fields, rows = _csv_fields(text.data)
        assert len(rows) >= len(raw) and {r["县区"] for r in rows} == {"上党区"}
        assert fields["区域"] == "上党区"  # not 全市 (#21 item 15)
        assert "county9" in fields["导出"]  # the watermark: who, and when
        cells = set(_xlsx_cells(book.data))
        all_text = _csv_text(text.data) + "\n".join(cells) + _csv_text(repeats.data)
        for row in raw.itertuples():
            assert row.citizen_phone not in all_text
            assert row.citizen_name not in {r["来电人"] for r in rows}
            assert row.citizen_name not in cells
        callers = demo_sql(
            "SELECT citizen_phone, max(citizen_name) AS name FROM hotline_tickets "
            f"WHERE county_code = '{COUNTY}' AND strftime(received_at, '%Y-%m') = '{REPEATS}' "
            "GROUP BY citizen_phone, category_l2 HAVING count(*) >= 2"
        )
        _, repeat_rows = _csv_fields(repeats.data)
        assert len(repeat_rows) == len(callers) > 0  # the county's own repeat callers
        for caller in callers.itertuples():
            assert caller.citizen_phone not in _csv_text(repeats.data)
            assert caller.name not in {r["来电人"] for r in repeat_rows}
        assert {r["来电号码"][3:7] for r in repeat_rows} == {"****"}
        records = [e for e in _exports(app) if e.user_id == "county9"]
        assert {e.detail["masked"] for e in records} == {True}
        assert {e.object for e in records} == {
            "hotline.tickets.csv",
            "hotline.tickets.xlsx",
            "hotline.repeats.csv",
        }
    finally:
        close_app(app)


def test_city_staff_exports_are_masked_too(settings: Settings, demo_sql: Any) -> None:
    app = _app(settings)
    try:
        make_user(app, "citystaff9", "city_staff")
        body = login(app, "citystaff9").get(TICKETS, headers=SAME_SITE).data
        text = _csv_text(body)
        assert "个人信息已脱敏" in text
        assert not any(p in text for p in _raw_people(demo_sql, None).citizen_phone)
    finally:
        close_app(app)


# -- the unmasked export: a right of its own -----------------------------------------------------
def test_unmasked_export_needs_the_granted_right_and_a_real_reason_and_is_audited(
    settings: Settings, demo_sql: Any
) -> None:
    """Granted by config to one user: refused to others, refused without a reason or with
    'aaaa'; with a reason the file holds the real numbers, a watermark with the user and the
    time (CSV and Excel), and the audit record holds the row count and the reason."""
    granted = _with_security(settings, exports={"unmasked_users": ("analyst9",)})
    app = _app(granted)
    try:
        make_user(app, "analyst9", "county_staff", [COUNTY])
        make_user(app, "county8", "county_staff", [COUNTY])
        reason = "核实重复来电并回访当事人"
        other = login(app, "county8").post(TICKETS, json={"reason": reason}, headers=POST_HEADERS)
        assert other.status_code == 403 and "未脱敏" in other.get_data(as_text=True)
        client = login(app, "analyst9")
        for junk in ("", "aaaa", "啊啊啊啊啊", "abab", "1234", "   "):
            answer = client.post(TICKETS, json={"reason": junk}, headers=POST_HEADERS)
            assert answer.status_code == 400, junk
            assert "事由" in answer.get_data(as_text=True)
        answer = client.post(TICKETS, json={"reason": reason}, headers=POST_HEADERS)
        assert answer.status_code == 200
        fields, rows = _csv_fields(answer.data)
        raw = _raw_people(demo_sql)
        assert set(raw.citizen_phone) <= {r["来电号码"] for r in rows}
        assert "analyst9" in fields["导出"] and "未脱敏" in fields["导出"]
        assert reason in fields["导出"]
        book = client.post(
            TICKETS.replace(".csv", ".xlsx"), json={"reason": reason}, headers=POST_HEADERS
        )
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(book.data)).active
        assert any("analyst9" in c and "未脱敏" in c for c in _xlsx_cells(book.data))
        assert "analyst9" in sheet.oddHeader.center.text  # printed on every page too
        records = [(e.object, e.result, e.user_id, e.detail) for e in _exports(app)]
        ok = [r for r in records if r[2] == "analyst9" and r[1] == "unmasked"]
        assert len(ok) == 2 and ok[-1][3]["rows"] == len(rows) and ok[-1][3]["reason"] == reason
        assert ok[-1][3]["masked"] is False
        assert any(r[2] == "county8" and r[1] == "denied" for r in records)
        assert sum(r[2] == "analyst9" and r[1] == "refused" for r in records) == 6
    finally:
        close_app(app)


def test_unmasked_export_is_limited_in_rows_and_per_day(settings: Settings) -> None:
    limited = _with_security(
        settings,
        exports={"unmasked_roles": ("county_staff",), "unmasked_max_rows": 50},
    )
    app = _app(limited)
    try:
        make_user(app, "analyst8", "county_staff", [COUNTY])
        client = login(app, "analyst8")
        body = {"reason": "核实重复来电并回访当事人"}
        too_many = client.post(TICKETS, json=body, headers=POST_HEADERS)
        assert too_many.status_code == 413 and "50" in too_many.get_data(as_text=True)
        small = "/export/hotline.repeats.csv?period=2026-10"
        assert client.post(small, json=body, headers=POST_HEADERS).status_code == 200
        assert client.post(small, json=body, headers=POST_HEADERS).status_code == 200
        assert client.post(small, json=body, headers=POST_HEADERS).status_code == 200
        fourth = client.post(small, json=body, headers=POST_HEADERS)  # 3 a day by default
        assert fourth.status_code == 429
        results = [e.result for e in _exports(app) if e.user_id == "analyst8"]
        assert results.count("unmasked") == 3 and results.count("rate_limited") == 1
        assert any(e.detail.get("rows", 0) > 50 for e in _exports(app) if e.result == "refused")
        alerts = audit_entries(app, "alert")
        assert [(a.user_id, a.object) for a in alerts] == [("analyst8", "export_rate_limit")]
    finally:
        close_app(app)


# -- cross-site ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Referer": "http://evil.example/page"},
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
    ],
)
def test_exports_are_refused_cross_site(settings: Settings, headers: dict[str, str]) -> None:
    """A link on another site downloads nothing in the victim's name (SameSite=Lax sends the
    cookie on a top-level GET); a typed URL or a link on our own page works."""
    app = _app(settings)
    try:
        make_user(app, "county7", "county_staff", [COUNTY])
        client = login(app, "county7")
        refused = client.get(TICKETS, headers=headers)
        assert refused.status_code == 403 and "CZ" not in refused.get_data(as_text=True)
        assert client.get(TICKETS, headers=SAME_SITE).status_code == 200
        assert client.get(TICKETS, headers={"Sec-Fetch-Site": "none"}).status_code == 200
        denied = [e for e in _exports(app) if e.result == "denied"]
        assert [(e.user_id, e.detail.get("why")) for e in denied] == [("county7", "cross_site")]
    finally:
        close_app(app)


# -- one ticket at a time: rate limit and alert --------------------------------------------------
def _reveal(app: Any, client: Any, ticket: str, reason: str) -> str:
    body = callback_body(
        app,
        "hotline-unmask-result.children",
        {
            "hotline-unmask-go.n_clicks": 1,
            "hotline-unmask-ticket.value": ticket,
            "hotline-unmask-reason.value": reason,
        },
        ["hotline-unmask-go.n_clicks"],
    )
    return post(client, body).get_data(as_text=True)


def test_unmasking_is_rate_limited_per_user_with_an_alert(
    settings: Settings, demo_sql: Any
) -> None:
    """Three reveals in ten minutes (configured), then refused; the limit writes one alert,
    shown as an alert in the auditor's view; a junk reason reveals nothing."""
    limited = _with_security(settings, unmask={"per_window": 3, "window_minutes": 10})
    raw = _raw_people(demo_sql).head(5)
    app = _app(limited)
    try:
        make_user(app, "county6", "county_staff", [COUNTY])
        make_user(app, "county5", "county_staff", [COUNTY])
        client = login(app, "county6")
        first = raw.iloc[0]
        assert first.citizen_phone not in _reveal(app, client, first.ticket_id, "aaaa")
        for row in raw.head(3).itertuples():
            assert row.citizen_phone in _reveal(app, client, row.ticket_id, "回访核实诉求")
        for row in raw.tail(2).itertuples():
            shown = _reveal(app, client, row.ticket_id, "回访核实诉求")
            assert row.citizen_phone not in shown and "频繁" in shown
        # The limit is per user: another county user is not held back.
        other = login(app, "county5")
        assert first.citizen_phone in _reveal(app, other, first.ticket_id, "回访核实诉求")
        alerts = audit_entries(app, "alert")
        assert [(a.user_id, a.object, a.result) for a in alerts] == [
            ("county6", "unmask_rate_limit", "limit")
        ]
        results = [e.result for e in audit_entries(app, audit.UNMASK) if e.user_id == "county6"]
        assert results.count("ok") == 3 and results.count("rate_limited") == 2
        from flask import g

        from cockpit.scope import READ_AUDIT, Principal
        from panels.admin.callbacks import audit_table

        with app.server.test_request_context("/admin"):
            g.cockpit_principal = Principal("auditor1", "auditor", None, frozenset({READ_AUDIT}))
            table = audit_table(app.server.extensions["cockpit_hub"], "alert", None)
        row = table.children[1].children[0]
        assert row.className == "audit-alert"
        assert "告警" in str(row.children[-1].children)
    finally:
        close_app(app)


def test_the_unmasked_export_form_on_the_page_serves_only_the_granted_user(
    settings: Settings, demo_sql: Any
) -> None:
    """The 未脱敏导出 buttons beside the ticket list: the same checks as the route."""
    import base64

    from cockpit.exports import unmasked_id

    granted = _with_security(settings, exports={"unmasked_users": ("analyst7",)})
    app = _app(granted)
    base = unmasked_id("hotline.tickets")
    try:
        make_user(app, "analyst7", "county_staff", [COUNTY])
        make_user(app, "county4", "county_staff", [COUNTY])

        def click(client: Any, reason: str) -> dict[str, Any]:
            body = callback_body(
                app,
                f"{base}-file.data",
                {
                    f"{base}-csv.n_clicks": 1,
                    f"{base}-reason.value": reason,
                    "filter-period.value": PERIOD,
                    "filter-county.value": None,
                    "hotline-drill.data": None,
                    "hotline-list-variant.value": None,
                },
                [f"{base}-csv.n_clicks"],
            )
            answer = post(client, body)
            assert answer.status_code == 200
            return answer.get_json()["response"]

        refused = click(login(app, "county4"), "核实重复来电并回访当事人")
        assert "未脱敏导出权限" in str(refused[f"{base}-message"])
        assert f"{base}-file" not in refused
        client = login(app, "analyst7")
        assert "事由" in str(click(client, "aaaa")[f"{base}-message"])
        served = click(client, "核实重复来电并回访当事人")[f"{base}-file"]["data"]
        text = base64.b64decode(served["content"]).decode("utf-8-sig")
        assert set(_raw_people(demo_sql).citizen_phone) <= set(text.replace(",", "\n").split())
        assert "analyst7" in text and "未脱敏" in text
        results = [(e.user_id, e.result) for e in _exports(app)]
        assert ("analyst7", "unmasked") in results and ("county4", "denied") in results
    finally:
        close_app(app)
