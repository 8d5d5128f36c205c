"""The 要情专报 page's callbacks: thin; view() and export_file() are plain functions tests call."""

from __future__ import annotations

import re

from dash import Dash, Input, Output, State, ctx, dcc, html, no_update

from cockpit import exports
from cockpit.domains.briefing import documents
from cockpit.domains.briefing.build import KINDS, ScopeRefused, build_briefing, config_of
from cockpit.domains.briefing.sentences import Briefing
from cockpit.formatting import as_of as as_of_text
from cockpit.formatting import date_label
from cockpit.hub import DataHub
from cockpit.scope import EXPORT, current_principal
from cockpit.settings import ConfigError
from cockpit.shell import screen_county

PERIOD = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


def _kind(value: object) -> str:
    return value if value in KINDS else "daily"


def body(b: Briefing) -> list:
    """The sections as the page shows them (the same lines the files carry)."""
    out = []
    for s in b.sections:
        children = [html.H3(s.title), *(html.P(line) for line in s.lines)]
        if s.error:
            children.append(html.P(f"数据源异常：{s.error}", className="briefing-error"))
        children.append(html.P(f"数据截至 {as_of_text(s.as_of)}", className="briefing-note"))
        out.append(html.Section(children, className="briefing-section"))
    return out


def _period(value: object) -> str | None:
    """The screens' 统计期 (YYYY-MM), or None when the selector sends nothing usable."""
    return value if isinstance(value, str) and PERIOD.fullmatch(value) else None


def view(hub: DataHub, kind: object, county: object, period: object = None) -> dict:
    """What the page shows for a kind, the screen's county and 统计期 (refusals as a message)."""
    try:
        b = build_briefing(hub, _kind(kind), screen_county(county), period=_period(period))
    except ScopeRefused as exc:
        return {"title": "要情专报", "meta": "", "demo": "", "body": [], "message": str(exc)}
    meta = f"{date_label(b.day)} · {b.place} · 数据覆盖 {b.span} · 数据截至 {as_of_text(b.as_of)}"
    demo = "演示数据 · 非真实统计" if b.is_demo else ""
    return {"title": b.title, "meta": meta, "demo": demo, "body": body(b), "message": ""}


def export_file(
    hub: DataHub, kind: object, county: object, fmt: str, period: object = None
) -> dict:
    """The briefing as a dcc.Download payload ('docx' or 'pdf'); PermissionError without EXPORT."""
    principal = current_principal()
    if not principal.can(EXPORT):
        exports.audit_export(f"briefing.{fmt}", result="denied")
        raise PermissionError("当前账号没有导出权限")
    b = build_briefing(
        hub, _kind(kind), screen_county(county), principal=principal, period=_period(period)
    )
    content = documents.to_pdf(b) if fmt == "pdf" else documents.to_docx(b)
    name = documents.filename(b, "pdf" if fmt == "pdf" else "docx")
    exports.audit_export(
        f"briefing.{fmt}",
        detail={"kind": b.kind, "county": b.county, "day": b.day.isoformat(), "file": name},
    )
    kind_type = documents.PDF_TYPE if fmt == "pdf" else documents.DOCX_TYPE
    return dcc.send_bytes(content, name, type=kind_type)


def check_config(hub: DataHub) -> None:
    """Refuse briefing settings that name indicators the catalog does not have."""
    catalog = hub.settings.indicator_map
    problems = [
        f"config/briefing.yaml: briefing.indicators: {key!r} is not in the indicator catalog "
        f"(config/indicators.yaml)"
        for key in config_of(hub).indicators
        if key not in catalog
    ]
    if problems:
        raise ConfigError(problems)


def register_callbacks(app: Dash, hub: DataHub) -> None:
    """Wire the page: kind and county -> the briefing; the buttons -> its files."""
    check_config(hub)

    @app.callback(
        Output("briefing-title", "children"),
        Output("briefing-meta", "children"),
        Output("briefing-demo", "children"),
        Output("briefing-body", "children"),
        Output("briefing-message", "children"),
        Input("briefing-kind", "value"),
        Input("filter-county", "value"),
        Input("filter-period", "value"),
    )
    def update(kind, county, period):
        """The briefing for the kind, county and 统计期 chosen."""
        v = view(hub, kind, county, period)
        return v["title"], v["meta"], v["demo"], v["body"], v["message"]

    @app.callback(
        Output("briefing-download", "data"),
        Output("briefing-message", "children", allow_duplicate=True),
        Input("briefing-export-docx", "n_clicks"),
        Input("briefing-export-pdf", "n_clicks"),
        State("briefing-kind", "value"),
        State("filter-county", "value"),
        State("filter-period", "value"),
        prevent_initial_call=True,
    )
    def download(docx_clicks, pdf_clicks, kind, county, period):
        """Download the briefing as Word or PDF."""
        if not (docx_clicks or pdf_clicks):
            return no_update, no_update
        fmt = "pdf" if ctx.triggered_id == "briefing-export-pdf" else "docx"
        try:
            return export_file(hub, kind, county, fmt, period), ""
        except (PermissionError, ScopeRefused) as exc:
            return no_update, str(exc)
