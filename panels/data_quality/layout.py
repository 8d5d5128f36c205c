"""The 数据质量 page's skeleton: one table, filled by its callback."""

from __future__ import annotations

from dash import html

from cockpit.components import panel


def layout() -> html.Div:
    """A table of every configured dataset, and a note on where the details are kept."""
    return html.Div(
        className="page data-quality",
        children=[
            panel(
                "数据质量",
                html.P(
                    "各数据集的数据截至、上次同步、文件读取或直连核查的行数、被隔离或拒收的数据及原因"
                    "（文件与行号，或数据的键）；县区数据与全市不符的也在此列出。"
                    "被隔离的行保存在服务器的隔离目录中（不在页面显示，其中可能有个人信息）。",
                    className="panel-note",
                ),
                html.Div(id="data_quality-table"),
                html.P(id="data_quality-note", className="panel-as-of"),
            )
        ],
    )
