"""The 要情专报 page: the kind (日报/周报), the briefing as it will be printed, and its files."""

from __future__ import annotations

from dash import dcc, html

KIND_OPTIONS = [{"label": "日报", "value": "daily"}, {"label": "周报", "value": "weekly"}]


def layout() -> html.Div:
    """Empty frames with stable ids; the briefing callback fills them."""
    return html.Div(
        className="briefing",
        children=[
            html.Div(
                className="briefing-bar",
                children=[
                    dcc.RadioItems(
                        id="briefing-kind",
                        options=KIND_OPTIONS,
                        value="daily",
                        inline=True,
                        className="briefing-kind",
                    ),
                    html.Div(
                        className="briefing-export",
                        children=[
                            html.Button(
                                "导出Word",
                                id="briefing-export-docx",
                                n_clicks=0,
                                className="export-button",
                            ),
                            html.Button(
                                "导出PDF",
                                id="briefing-export-pdf",
                                n_clicks=0,
                                className="export-button",
                            ),
                        ],
                    ),
                    dcc.Download(id="briefing-download"),
                ],
            ),
            html.Div(id="briefing-message", role="alert", className="briefing-message"),
            html.Article(
                className="panel briefing-paper",
                children=[
                    html.H2(id="briefing-title", className="briefing-title"),
                    html.P(id="briefing-meta", className="briefing-meta"),
                    html.P(id="briefing-demo", className="briefing-demo"),
                    html.Div(id="briefing-body", className="briefing-body"),
                ],
            ),
        ],
    )
