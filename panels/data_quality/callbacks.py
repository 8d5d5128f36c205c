"""数据质量: the table, built on page load from the health report (whole city, timestamps and
counts only) and sync mode's status file."""

from __future__ import annotations

from dash import Dash, Input, Output, html

from cockpit import clock
from cockpit.contracts import CONTRACTS
from cockpit.domains.data_quality.transform import QualityRow, quality_rows
from cockpit.formatting import as_of as as_of_text
from cockpit.hub import DataHub


def build_table(hub: DataHub) -> tuple[html.Table, str]:
    """The page's table and its note (when it was checked)."""
    from cockpit.health import report
    from cockpit.sync import read_status, status_path

    data = report(hub)
    modes: dict[str, str] = {name: binding.mode for name, binding in hub.settings.datasets.items()}
    titles = {name: CONTRACTS[name].title for name in hub.settings.datasets if name in CONTRACTS}
    status = read_status(status_path(hub.settings))
    rows = quality_rows(data, titles, modes, status)
    head = html.Tr(
        [
            html.Th(h)
            for h in (
                "数据集",
                "数据源",
                "方式",
                "状态",
                "数据截至",
                "上次同步",
                "行数",
                "被隔离或拒收",
            )
        ]
    )
    body = [_row(r) for r in rows]
    table = html.Table([html.Thead(head), html.Tbody(body)], className="hotline-table compact")
    note = f"检查于 {as_of_text(clock.now())}；命令行：python -m cockpit check"
    return table, note


def _row(r: QualityRow) -> html.Tr:
    state = "正常" if r.ok else "异常"
    return html.Tr(
        [
            html.Td([html.Div(r.title), html.Small(r.dataset)]),
            html.Td(r.source),
            html.Td(r.mode),
            html.Td(state, className="dq-ok" if r.ok else "dq-bad"),
            html.Td([r.as_of, html.Br(), r.late] if r.late else r.as_of),
            html.Td(r.last_sync or "—"),
            html.Td(r.rows or "—"),
            html.Td(r.held_back or "—"),
        ],
        className=None if r.ok else "row-alert",
    )


def register_callbacks(app: Dash, hub: DataHub) -> None:
    """Fill the table when the page opens."""

    @app.callback(
        Output("data_quality-table", "children"),
        Output("data_quality-note", "children"),
        Input("url", "pathname"),
    )
    def show(pathname):
        """The table, for whoever may open the page (the gate checks the page right)."""
        return build_table(hub)
