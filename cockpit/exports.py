"""Exports shared by every module: tables as CSV and Excel, with the audit of every download.

A file carries what a figure needs to be read: above the table, its title, place, period,
units and 数据截至 (and that the data are demo data, where they are); column names carry their
units (受理量（件）). A missing figure is written '—', never 0.

Modules declare their tables once, in their PanelSpec (`tables=`): a key, a title and a
builder `(hub, params) -> Table`. One route serves them all, /export/<key>.<csv|xlsx>?period=
&county=&..., so every download passes the same checks on the server:
  * the principal (cockpit.scope) must have EXPORT; scope is applied by the hub underneath, as
    on screen, whatever the link's parameters say;
  * personal columns a table declares are masked (panels/hotline/masking.py) unless the
    principal can(UNMASK);
  * every download, and every refusal, is recorded in the audit log.
Links on the pages are kept in step with the filters by one callback per table.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import pandas as pd

from cockpit.scope import EXPORT, UNMASK, Principal, current_principal
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

    def lines(self) -> list[list[str]]:
        """Title, then (label, text) lines: 区域, 统计期, 数据截至, 单位, 说明."""
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


def neutralise(value: object) -> object:
    """A text cell that would start a formula, prefixed with a quote (OWASP); numbers as they are.

    Only str is touched: a negative number in a numeric column stays a number."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def cells(frame: pd.DataFrame) -> list[list[object]]:
    """The rows, with missing values written '—' (missing is never zero) and no live formula."""
    return [
        [MISSING if _missing(v) else neutralise(_plain(v)) for v in row]
        for row in frame.itertuples(index=False, name=None)
    ]


def _text_lines(lines: list[list[str]]) -> list[list[object]]:
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
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def render(table: Table, fmt: str) -> bytes:
    """The table's file in a format: 'csv' or 'xlsx'."""
    if fmt == "xlsx":
        return to_xlsx(table.frame, table.header)
    return to_csv(table.frame, table.header)


def mask_personal(table: Table, principal: Principal) -> Table:
    """The table with its personal columns masked, unless the principal may unmask."""
    if principal.can(UNMASK) or not table.personal:
        return table
    from panels.hotline.masking import mask_name, mask_phone, mask_text

    maskers = {"name": mask_name, "phone": mask_phone, "text": mask_text}
    frame = table.frame.copy()
    for column, kind in table.personal.items():
        if column in frame.columns:
            frame[column] = [maskers[kind](v) for v in frame[column]]
    notes = (*table.header.notes, "个人信息已脱敏")
    header = Header(**{**table.header.__dict__, "notes": notes})
    return Table(frame, header, table.stem, table.personal)


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


def link_id(key: str, fmt: str) -> str:
    """The component id of a table's link: hotline-export-tickets-csv.

    It starts with the panel's key, as every id of a page does: the security gate lets a role
    touch only ids of the pages it may open (and Dash ids may not hold dots)."""
    panel, _, table = key.partition(".")
    return f"{panel}-export-{table}-{fmt}"


def links(key: str) -> Any:
    """The CSV and Excel links of a table, for a panel's layout."""
    from dash import html

    return html.Span(
        [
            html.A(
                label,
                id=link_id(key, fmt),
                href=f"/export/{key}.{fmt}",
                className="export-link",
                title=f"下载{label}（含单位、统计期和数据截至）",
            )
            for fmt, label in (("csv", "导出CSV"), ("xlsx", "导出Excel"))
        ],
        className="export-links",
    )


def href(key: str, fmt: str, params: dict[str, Any]) -> str:
    """The download link of a table with the page's parameters."""
    kept = {k: str(v) for k, v in params.items() if v not in (None, "")}
    return f"/export/{key}.{fmt}" + (f"?{urlencode(kept)}" if kept else "")


def serve(hub: Any, tables: dict[str, ExportTable], key: str, fmt: str, params: dict) -> tuple:
    """(body, status, headers) of one download: checks, scope, masking, audit."""
    table_spec = tables.get(key)
    if table_spec is None or fmt not in FORMATS:
        return "没有这个导出表格", 404, {"Content-Type": "text/plain; charset=utf-8"}
    principal = current_principal()
    if not principal.can(EXPORT):
        audit_export(f"{key}.{fmt}", "denied", {"params": params})
        return "当前账号没有导出权限", 403, {"Content-Type": "text/plain; charset=utf-8"}
    try:
        table = mask_personal(table_spec.build(hub, params), principal)
    except ExportError as exc:  # a source down: say so rather than hand out an empty file
        audit_export(f"{key}.{fmt}", "failed", {"params": params, "error": str(exc)[:200]})
        return str(exc), 503, {"Content-Type": "text/plain; charset=utf-8"}
    body = render(table, fmt)
    try:
        audit_export(
            f"{key}.{fmt}",
            detail={
                "params": params,
                "rows": len(table.frame),
                "masked": not principal.can(UNMASK),
            },
        )
    except StoreError:  # an export that cannot be audited does not happen
        return (
            "审计记录写入失败，未导出，请稍后再试",
            503,
            {"Content-Type": "text/plain; charset=utf-8"},
        )
    name = f"{table.stem}.{fmt}"
    headers = {
        "Content-Type": FORMATS[fmt],
        # RFC 6266: a Chinese file name needs filename*; the ASCII one is for old clients.
        "Content-Disposition": f"attachment; filename=export.{fmt}; filename*=UTF-8''{quote(name)}",
        "Cache-Control": "no-store",
    }
    return body, 200, headers


def register(app: Any, hub: Any, tables: list[ExportTable]) -> None:
    """The /export route and, per table, the callback that keeps its links in step."""
    from flask import request

    by_key = {t.key: t for t in tables}
    if len(by_key) != len(tables):
        raise ValueError("two export tables share a key")

    @app.server.route("/export/<key>.<fmt>")
    def export_table(key: str, fmt: str):  # noqa: ANN202
        """Download one table (CSV or Excel)."""
        return serve(hub, by_key, key, fmt, dict(request.args))

    for spec in tables:
        _link_callback(app, spec)


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
    def update(period, county, *values):  # noqa: ANN001, ANN202
        """The links' parameters: period, county and the table's own."""
        params = {"period": period, "county": county}
        for (param, _cid, _prop), value in zip(spec.inputs, values, strict=True):
            params[param] = value if isinstance(value, str) else None
        return href(spec.key, "csv", params), href(spec.key, "xlsx", params)
