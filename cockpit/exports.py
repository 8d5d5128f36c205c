"""Exports shared by every module: tables as CSV and Excel, with the audit of every download.

A file carries what a figure needs to be read: above the table, its title, place, period,
units and 数据截至 (and that the data are demo data, where they are); column names carry their
units (受理量（件）). A missing figure is written '—', never 0.

Modules declare their tables once, in their PanelSpec (`tables=`): a key, a title and a
builder `(hub, params) -> Table`. One route serves them all, /export/<key>.<csv|xlsx>?period=
&county=&..., so every download passes the same checks on the server:
  * the principal (cockpit.scope) must have EXPORT; scope is applied by the hub underneath, as
    on screen, whatever the link's parameters say;
  * the request must not come from another site (Sec-Fetch-Site, Origin, Referer): the
    session cookie (SameSite=Lax) rides along on a top-level link from anywhere;
  * personal columns a table declares are masked (cockpit/domains/hotline/masking.py) for everyone;
  * an unmasked file is a separate right (EXPORT_UNMASKED, or a grant in config/security.yaml),
    asked for by POST with a stated reason, limited in rows and per day, watermarked;
  * every file names who downloaded it and when (导出), in CSV and Excel;
  * every download, and every refusal, is recorded in the audit log, with the row count.
Links on the pages are kept in step with the filters by one callback per table.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, overload
from urllib.parse import quote, unquote, urlencode, urlsplit

import pandas as pd

from cockpit.scope import EXPORT, EXPORT_UNMASKED, Principal, current_principal
from cockpit.store import StoreError

MISSING = "—"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv"
FORMATS = {"csv": CSV_TYPE, "xlsx": XLSX_TYPE}


class ExportError(Exception):
    """A table that cannot be built now (its source failed); the message says why."""


def audit_export(obj: str, result: str = "ok", detail: dict | None = None) -> None:
    """Record one export (or a refused one) in the audit log; StoreError if it cannot be."""
    from cockpit import audit

    audit.record(audit.EXPORT, obj, result, detail)


# -- the file ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Header:
    """The lines above an exported table."""

    title: str
    place: str  # 全市 or the county's name
    period: str  # 2026年10月, 2026年11月19日, 截至2026-11-20 (a snapshot)
    as_of: str  # 数据截至 text
    units: str  # what the numbers are in (columns say their own unit too)
    is_demo: bool = False
    notes: tuple[str, ...] = ()
    watermark: str = ""  # who downloaded it and when (set by serve)

    def lines(self) -> list[list[str]]:
        """Title, then (label, text) lines: 区域, 统计期, 数据截至, 单位, 说明, 导出."""
        out = [
            [self.title],
            ["区域", self.place],
            ["统计期", self.period],
            ["数据截至", self.as_of],
            ["单位", self.units],
        ]
        out += [["说明", note] for note in self.notes]
        if self.is_demo:
            out.append(["说明", "演示数据，非真实统计"])
        if self.watermark:
            out.append(["导出", self.watermark])
        return out


@dataclass
class Table:
    """A table to export: its rows (column names with units) and its header."""

    frame: pd.DataFrame
    header: Header
    stem: str  # file name without extension
    personal: dict[str, str] = field(default_factory=dict)  # column -> name | phone | text


# A text cell starting with one of these is a formula to Excel, WPS and LibreOffice, in xlsx and
# in CSV alike (OWASP "CSV injection"): =HYPERLINK(...) typed into a ticket would run.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# Control characters (\x0b from a text pasted out of Word): a worksheet may not hold them, and
# one in front would hide a formula from the rule below. Tab, LF and CR are text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@overload
def neutralise(value: str) -> str: ...
@overload
def neutralise(value: object) -> object: ...
def neutralise(value: object) -> object:
    """A text cell without control characters and, if it would start a formula, prefixed with a
    quote (OWASP); numbers as they are: a negative number in a numeric column stays a number."""
    if not isinstance(value, str):
        return value
    value = _CONTROL.sub("", value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def cells(frame: pd.DataFrame) -> list[list[object]]:
    """The rows, with missing values written '—' (missing is never zero) and no live formula."""
    return [
        [MISSING if _missing(v) else neutralise(_plain(v)) for v in row]
        for row in frame.itertuples(index=False, name=None)
    ]


def _text_lines(lines: list[list[str]]) -> list[list[str]]:
    """Header lines and column names pass the same rule: titles and notes carry source text."""
    return [[neutralise(v) for v in line] for line in lines]


def to_csv(frame: pd.DataFrame, header: Header) -> bytes:
    """The table as CSV in UTF-8 with a byte-order mark (Excel then reads the Chinese right)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(_text_lines(header.lines()))
    writer.writerow([])
    writer.writerows(_text_lines([[str(c) for c in frame.columns]]))
    writer.writerows(cells(frame))
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(
    frame: pd.DataFrame, header: Header, sheet_title: str = "数据", first_width: int = 16
) -> bytes:
    """The table as an Excel workbook: the header lines, then the table with bold column names."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = sheet_title[:31]  # Excel's limit
    lines = _text_lines(header.lines())
    for line in lines:
        sheet.append(line)
    sheet["A1"].font = Font(bold=True, size=14)
    columns = _text_lines([[str(c) for c in frame.columns]])[0]
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=max(len(columns), 2))
    sheet.append([])
    header_row = len(lines) + 2
    sheet.append(columns)
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
    for row in cells(frame):
        sheet.append(row)
    for index, name in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(10, len(name) * 2 + 2)
    sheet.column_dimensions["A"].width = max(first_width, 10)
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=2)
    if header.watermark:  # on every printed page as well as above the table
        sheet.oddHeader.center.text = header.watermark
        sheet.oddFooter.center.text = header.watermark
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def render(table: Table, fmt: str) -> bytes:
    """The table's file in a format: 'csv' or 'xlsx'."""
    if fmt == "xlsx":
        return to_xlsx(table.frame, table.header)
    return to_csv(table.frame, table.header)


def mask_personal(table: Table) -> Table:
    """The table with its personal columns masked (every export, whoever asks)."""
    if not table.personal:
        return table
    from cockpit.domains.hotline.masking import mask_name, mask_phone, mask_text

    maskers = {"name": mask_name, "phone": mask_phone, "text": mask_text}
    frame = table.frame.copy()
    for column, kind in table.personal.items():
        if column in frame.columns:
            frame[column] = [maskers[kind](v) for v in frame[column]]
    notes = (*table.header.notes, "个人信息已脱敏")
    return Table(frame, replace(table.header, notes=notes), table.stem, table.personal)


def place_label(hub: Any, county: str | None) -> str:
    """What 区域 says: the chosen county, else the user's own counties, else 全市.

    A county user's file holds only their counties (the hub's scope), so it says so."""
    names = hub.settings.city.county_names
    principal = current_principal()
    if county and principal.allows(county):
        return names.get(county, county)
    if principal.whole_city:
        return "全市"
    return "、".join(names.get(c, c) for c in sorted(principal.counties or ())) or "无"


def watermark(principal: Principal, unmasked_reason: str | None = None) -> str:
    """Who downloaded the file and when; an unmasked file says so, and what for."""
    from cockpit import clock

    name = principal.display_name
    who = (
        f"{name}（{principal.user_id}）"
        if name and name != principal.user_id
        else principal.user_id
    )
    text = f"{who}于{clock.now():%Y-%m-%d %H:%M}导出"
    if unmasked_reason is not None:
        text += f"；含未脱敏个人信息，仅限“{unmasked_reason}”使用，不得转发或留存"
    return text


def _missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _plain(value: object) -> object:
    """Numbers stay numbers; timestamps become text Excel and CSV both read."""
    if isinstance(value, pd.Timestamp):
        return (
            value.strftime("%Y-%m-%d %H:%M")
            if (value.hour or value.minute)
            else f"{value:%Y-%m-%d}"
        )
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        return value.item()
    return value


# -- the tables modules declare, and the one route that serves them ------------------------------
Builder = Callable[[Any, dict[str, str]], Table]


@dataclass(frozen=True)
class ExportTable:
    """A table a module offers for download.

    `inputs` are the page's components (id, property) whose values go into the link as
    parameters beside period and county (e.g. which 12345 list is open).
    """

    key: str  # <panel>.<table>
    title: str
    build: Builder
    inputs: tuple[tuple[str, str, str], ...] = ()  # (param, component id, property)
    # Offers 未脱敏导出 beside its links (the page places links(key, unmasked=True)).
    unmasked: bool = False


def link_id(key: str, fmt: str) -> str:
    """The component id of a table's link: hotline-export-tickets-csv.

    It starts with the panel's key, as every id of a page does: the security gate lets a role
    touch only ids of the pages it may open (and Dash ids may not hold dots)."""
    panel, _, table = key.partition(".")
    return f"{panel}-export-{table}-{fmt}"


def links(key: str, unmasked: bool = False) -> Any:
    """The CSV and Excel links of a table, for a panel's layout (and 未脱敏导出 if asked)."""
    from dash import html

    items = [
        html.A(
            label,
            id=link_id(key, fmt),
            href=f"/export/{key}.{fmt}",
            className="export-link",
            title=f"下载{label}（含单位、统计期和数据截至）",
        )
        for fmt, label in (("csv", "导出CSV"), ("xlsx", "导出Excel"))
    ]
    if unmasked:
        items.append(unmasked_form(key))
    return html.Span(items, className="export-links")


def unmasked_id(key: str) -> str:
    """The id prefix of a table's 未脱敏导出 controls: hotline-export-tickets-unmasked."""
    panel, _, table = key.partition(".")
    return f"{panel}-export-{table}-unmasked"


def unmasked_form(key: str) -> Any:
    """未脱敏导出: a reason and two buttons. Shown to everyone, folded; the server serves only
    users granted the right, and records every try."""
    from dash import dcc, html

    base = unmasked_id(key)
    return html.Details(
        [
            html.Summary("未脱敏导出（需单独授权）"),
            dcc.Input(
                id=f"{base}-reason",
                placeholder="导出事由（必填，如：回访核实重复诉求）",
                maxLength=200,
                className="export-reason",
            ),
            html.Button("导出CSV", id=f"{base}-csv", n_clicks=0, className="export-button"),
            html.Button("导出Excel", id=f"{base}-xlsx", n_clicks=0, className="export-button"),
            html.Span(id=f"{base}-message", role="status"),
            dcc.Download(id=f"{base}-file"),
        ],
        className="export-unmasked",
    )


def href(key: str, fmt: str, params: dict[str, Any]) -> str:
    """The download link of a table with the page's parameters."""
    kept = {k: str(v) for k, v in params.items() if v not in (None, "")}
    return f"/export/{key}.{fmt}" + (f"?{urlencode(kept)}" if kept else "")


TEXT = {"Content-Type": "text/plain; charset=utf-8"}
DAY = dt.timedelta(hours=24)
UNMASKED = "unmasked"  # the audit result of an unmasked export (counted for the daily limit)


def cross_site() -> bool:
    """Did a page of another site send this request?

    The session cookie is SameSite=Lax, so a top-level link on any site still carries it: a
    download must come from our own pages. The browser's Sec-Fetch-Site says so directly;
    an Origin or Referer of another host (or Origin "null") says so too. A request with none
    of them (a typed or bookmarked address, an old client) is not refused."""
    from flask import request

    if request.headers.get("Sec-Fetch-Site", "").lower() in ("cross-site", "same-site"):
        return True
    for name in ("Origin", "Referer"):
        value = request.headers.get(name)
        if value is not None and (value == "null" or urlsplit(value).netloc != request.host):
            return True
    return False


def may_export_unmasked(principal: Principal, security: Any) -> bool:
    """Holds the rare right to unmasked files: by permission, or granted by name in config."""
    granted = security.exports
    return (
        principal.can(EXPORT_UNMASKED)
        or principal.role in granted.unmasked_roles
        or principal.user_id in granted.unmasked_users
    )


def _refuse(obj: str, status: int, message: str, result: str, detail: dict) -> tuple:
    """A refusal: recorded (a failed audit write does not turn it into a download)."""
    with contextlib.suppress(StoreError):  # logged CRITICAL by audit.record; refusal stands
        audit_export(obj, result, detail)
    return message, status, TEXT


def _unmasked_refusal(hub: Any, principal: Principal, obj: str, reason: str, params: dict):
    """Why an unmasked export may not go ahead (a refusal), or None."""
    from cockpit import audit
    from cockpit.personal_access import alert_once, over_limit, reason_problem
    from cockpit.store import get_store

    limits = hub.settings.security.exports
    base = {"params": params, "unmasked": True}
    if not may_export_unmasked(principal, hub.settings.security):
        message = "当前账号没有未脱敏导出权限（需单独授权，见 config/security.yaml）"
        return _refuse(obj, 403, message, "denied", {**base, "why": "no_unmasked_right"})
    problem = reason_problem(reason, limits.min_reason)
    if problem:
        return _refuse(obj, 400, problem, "refused", {**base, "why": "bad_reason"})
    store = get_store(hub)
    if over_limit(store, audit.EXPORT, principal.user_id, [UNMASKED], limits.unmasked_per_day, DAY):
        alert_once(
            store,
            principal.user_id,
            "export_rate_limit",
            DAY,
            {"limit": limits.unmasked_per_day, "hours": 24, "table": obj},
        )
        message = (
            f"24小时内未脱敏导出已达{limits.unmasked_per_day}次上限；此情况已记录并提示审计管理员"
        )
        return _refuse(obj, 429, message, "rate_limited", {**base, "why": "rate_limit"})
    return None


def serve(
    hub: Any,
    tables: dict[str, ExportTable],
    key: str,
    fmt: str,
    params: dict,
    unmasked_reason: str | None = None,
) -> tuple:
    """(body, status, headers) of one download: checks, scope, masking, watermark, audit.

    `unmasked_reason` is given (possibly empty) when the user asked for an unmasked file."""
    table_spec = tables.get(key)
    if table_spec is None or fmt not in FORMATS:
        return "没有这个导出表格", 404, TEXT
    obj = f"{key}.{fmt}"
    principal = current_principal()
    if cross_site():
        message = "已拒绝来自其他网站的导出请求：请在驾驶舱页面上点击导出"
        return _refuse(obj, 403, message, "denied", {"params": params, "why": "cross_site"})
    if not principal.can(EXPORT):
        return _refuse(obj, 403, "当前账号没有导出权限", "denied", {"params": params})
    unmasked = unmasked_reason is not None
    reason = " ".join(str(unmasked_reason or "").split())[:200]
    if unmasked:
        refusal = _unmasked_refusal(hub, principal, obj, reason, params)
        if refusal is not None:
            return refusal
    try:
        table = table_spec.build(hub, params)
    except ExportError as exc:  # a source down: say so rather than hand out an empty file
        return _refuse(obj, 503, str(exc), "failed", {"params": params, "error": str(exc)[:200]})
    rows = len(table.frame)
    most = hub.settings.security.exports.unmasked_max_rows
    if unmasked and rows > most:
        message = f"未脱敏导出每次至多{most}行，本次{rows}行：请缩小范围（县区、月份、清单）后再试"
        detail = {"params": params, "rows": rows, "why": "too_many_rows", "reason": reason}
        return _refuse(obj, 413, message, "refused", detail)
    if not unmasked:
        table = mask_personal(table)
    header = replace(table.header, watermark=watermark(principal, reason if unmasked else None))
    table = Table(table.frame, header, table.stem, table.personal)
    body = render(table, fmt)
    detail = {"params": params, "rows": rows, "masked": not unmasked}
    if unmasked:
        detail["reason"] = reason
    try:
        audit_export(obj, UNMASKED if unmasked else "ok", detail)
    except StoreError:  # an export that cannot be audited does not happen
        return "审计记录写入失败，未导出，请稍后再试", 503, TEXT
    name = f"{table.stem}.{fmt}"
    headers = {
        "Content-Type": FORMATS[fmt],
        # RFC 6266: a Chinese file name needs filename*; the ASCII one is for old clients.
        "Content-Disposition": f"attachment; filename=export.{fmt}; filename*=UTF-8''{quote(name)}",
        "Cache-Control": "no-store",
    }
    return body, 200, headers


def register(app: Any, hub: Any, tables: list[ExportTable]) -> None:
    """The /export route and, per table, the callback that keeps its links in step.

    GET downloads the masked file. POST (JSON {"reason": ...}, same origin: the gate checks)
    asks for the unmasked one."""
    from flask import request

    by_key = {t.key: t for t in tables}
    if len(by_key) != len(tables):
        raise ValueError("two export tables share a key")

    @app.server.route("/export/<key>.<fmt>", methods=["GET", "POST"])
    def export_table(key: str, fmt: str):
        """Download one table (CSV or Excel); POST with a reason for the unmasked file."""
        reason = None
        if request.method == "POST":
            body = request.get_json(silent=True)
            reason = str(body.get("reason") or "") if isinstance(body, dict) else ""
        return serve(hub, by_key, key, fmt, dict(request.args), reason)

    for spec in tables:
        _link_callback(app, spec)
        if spec.unmasked:
            _unmasked_callback(app, hub, by_key, spec)


def _params(spec: ExportTable, period: Any, county: Any, values: tuple) -> dict[str, Any]:
    """A link's parameters: period, county and the table's own page inputs."""
    params = {"period": period, "county": county}
    for (param, _cid, _prop), value in zip(spec.inputs, values, strict=True):
        params[param] = value if isinstance(value, str) else None
    return params


def _link_callback(app: Any, spec: ExportTable) -> None:
    """Keep a table's two links in step with the filters and the page's own inputs."""
    from dash import Input, Output

    @app.callback(
        Output(link_id(spec.key, "csv"), "href"),
        Output(link_id(spec.key, "xlsx"), "href"),
        Input("filter-period", "value"),
        Input("filter-county", "value"),
        *(Input(cid, prop) for _param, cid, prop in spec.inputs),
    )
    def update(period, county, *values):
        """The links' parameters: period, county and the table's own."""
        params = _params(spec, period, county, values)
        return href(spec.key, "csv", params), href(spec.key, "xlsx", params)


def _unmasked_callback(
    app: Any, hub: Any, by_key: dict[str, ExportTable], spec: ExportTable
) -> None:
    """未脱敏导出: the same serve() as the route, asked with the reason typed on the page.

    A Dash callback is a same-origin JSON POST (the gate checks), like the route's POST."""
    from dash import Input, Output, State, ctx, dcc, no_update

    base = unmasked_id(spec.key)

    @app.callback(
        Output(f"{base}-file", "data"),
        Output(f"{base}-message", "children"),
        Input(f"{base}-csv", "n_clicks"),
        Input(f"{base}-xlsx", "n_clicks"),
        State(f"{base}-reason", "value"),
        State("filter-period", "value"),
        State("filter-county", "value"),
        *(State(cid, prop) for _param, cid, prop in spec.inputs),
        prevent_initial_call=True,
    )
    def download(_csv, _xlsx, reason, period, county, *values):
        """The unmasked file, or the server's one-line reason for refusing it."""
        fmt = {f"{base}-csv": "csv", f"{base}-xlsx": "xlsx"}.get(str(ctx.triggered_id))
        if fmt is None:
            return no_update, no_update
        params = _params(spec, period, county, values)
        body, status, headers = serve(hub, by_key, spec.key, fmt, params, str(reason or ""))
        if status != 200:
            return no_update, body
        name = unquote(headers["Content-Disposition"].split("UTF-8''", 1)[1])
        return dcc.send_bytes(body, name, type=FORMATS[fmt]), "已导出（已记录事由和行数）"
