"""The 12345 page skeleton: empty panels with stable ids that the callbacks fill."""

from __future__ import annotations

from typing import Any

from dash import dcc, html

from cockpit.domains.hotline.drill import DEFAULT_KEY
from cockpit.domains.hotline.transform import GRANULARITIES
from cockpit.exports import links
from cockpit.maps import map_block
from cockpit.phone import fold
from panels.hotline.figures import GRAPH_CONFIG, RANK_METRICS


def panel(
    key: str,
    title: str,
    body: list[Any],
    controls: Any = None,
    wide: str = "",
    folds: bool = True,
    period: Any = None,
    foot: Any = None,
) -> html.Section:
    """A titled panel: head (title, period, optional controls), body, foot (数据截至, errors).

    On a phone the body is folded under its title until tapped (cockpit/phone.py): the page
    opens on its KPI cards (folds=False)."""
    head = html.Div(
        [
            html.H2(title, className="panel-title"),
            html.Span(period, id=f"hotline-{key}-period", className="panel-period"),
            controls,
        ],
        className="panel-head",
    )
    if folds:
        body = fold(key, *body)
    return html.Section(
        [head, *body, html.Div(foot, id=f"hotline-{key}-foot", className="panel-foot")],
        className=f"panel hotline-panel hotline-{key}-panel {wide}".strip(),
        id=f"hotline-{key}-panel",
    )


def _graph(id_: str, class_name: str) -> dcc.Loading:
    return dcc.Loading(
        dcc.Graph(id=id_, className=class_name, config=GRAPH_CONFIG),
        type="dot",
        color="#35c2ff",
    )


def layout(kpis_filled: tuple | None = None) -> html.Div:
    """The page: KPI cards, charts, rankings, clocks, hot topics, repeats and the ticket list.

    kpis_filled: the KPI callback's three outputs (cards, period line, foot), to draw the
    page's first screen with its data at once (callbacks.first_layout)."""
    cards, period, foot = kpis_filled or (None,) * 3
    kpis = panel(
        "kpis",
        "核心指标",
        [html.Div(cards, id="hotline-kpis", className="hotline-kpis")],
        wide="span-all",
        folds=False,
        period=period,
        foot=foot,
    )
    volume = panel(
        "volume",
        "受理量走势（件）",
        [_graph("hotline-volume", "hotline-chart")],
        controls=dcc.RadioItems(
            id="hotline-volume-granularity",
            options=[{"label": f"按{v}", "value": k} for k, v in GRANULARITIES.items()],
            value="day",
            inline=True,
            className="hotline-radio",
        ),
    )
    pattern = panel("pattern", "受理时段分布（件）", [_graph("hotline-pattern", "hotline-chart")])
    counties = panel(
        "map",
        "县区分布与排名",
        [
            html.Div(
                [
                    # drawn from its values store by assets/maps.js; 总量/每万人, 返回全市
                    map_block(_graph("hotline-map", "hotline-map"), "hotline-map", per_capita=True),
                    html.Div(id="hotline-county-rank", className="hotline-scroll"),
                    links("hotline.counties"),
                ],
                className="hotline-map-body",
            )
        ],
        controls=dcc.RadioItems(
            id="hotline-map-metric",
            options=[{"label": v[0], "value": k} for k, v in RANK_METRICS.items()],
            value="received",
            inline=True,
            className="hotline-radio",
        ),
    )
    categories = panel(
        "categories",
        "诉求分类（件）",
        [
            _graph("hotline-categories", "hotline-chart tall"),
            html.Div(
                [
                    html.Div(
                        [
                            html.H3("诉求类型", className="sub-title"),
                            _graph("hotline-appeals", "hotline-chart short"),
                        ]
                    ),
                    html.Div(
                        [
                            html.H3("受理渠道", className="sub-title"),
                            _graph("hotline-channels", "hotline-chart short"),
                        ]
                    ),
                ],
                className="hotline-pair",
            ),
        ],
    )
    units = panel("units", "承办单位红黑榜", [html.Div(id="hotline-units"), links("hotline.units")])
    sla = panel("sla", "办理时限预警", [html.Div(id="hotline-sla"), links("hotline.deadlines")])
    hot = panel("hot", "本周热点", [html.Div(id="hotline-hot")])
    repeat = panel(
        "repeat",
        "重复诉求",
        [html.Div(id="hotline-repeat"), links("hotline.repeats", unmasked=True)],
    )
    tickets = panel(
        "list",
        "工单明细",
        [
            html.Div(id="hotline-list-title", className="hotline-list-title"),
            dcc.RadioItems(id="hotline-list-variant", inline=True, className="hotline-radio"),
            html.Div(id="hotline-list-table", className="hotline-scroll"),
            html.Div(
                [
                    html.Button(
                        "上一页", id="hotline-list-prev", n_clicks=0, className="pager-button"
                    ),
                    html.Span(id="hotline-list-pager", className="pager-text"),
                    html.Button(
                        "下一页", id="hotline-list-next", n_clicks=0, className="pager-button"
                    ),
                    links("hotline.tickets", unmasked=True),
                ],
                className="hotline-pager",
            ),
            # 查看完整信息: shown to everyone, answered by the server only for users with the
            # permission; every request is recorded with its reason.
            html.Details(
                [
                    html.Summary("查看完整信息（需授权，须填写事由，将记入审计日志）"),
                    html.Div(
                        [
                            dcc.Input(
                                id="hotline-unmask-ticket",
                                placeholder="工单编号",
                                maxLength=40,
                                className="hotline-unmask-input",
                            ),
                            dcc.Input(
                                id="hotline-unmask-reason",
                                placeholder="查看事由，如：回访核实诉求",
                                maxLength=200,
                                className="hotline-unmask-input",
                            ),
                            html.Button(
                                "查看", id="hotline-unmask-go", n_clicks=0, className="pager-button"
                            ),
                        ],
                        className="hotline-unmask-form",
                    ),
                    html.Div(id="hotline-unmask-result", className="hotline-unmask-result"),
                ],
                className="hotline-unmask",
            ),
            # 工单督办: a ticket past its deadline, or handled again (重办), put under 督办
            # with one click; the item carries the ticket and its masked summary.
            html.Div(
                [
                    dcc.Input(
                        id="hotline-duban-ticket",
                        placeholder="超期或重复诉求的工单编号",
                        maxLength=40,
                        className="hotline-unmask-input",
                    ),
                    html.Button(
                        "转督办", id="hotline-duban-go", n_clicks=0, className="pager-button"
                    ),
                    html.Div(id="hotline-duban-result", className="hotline-unmask-result"),
                ],
                className="hotline-unmask-form hotline-duban",
            ),
        ],
        wide="span-all",
    )
    return html.Div(
        [
            dcc.Store(id="hotline-drill", data=DEFAULT_KEY),
            dcc.Store(id="hotline-list-page", data=0),
            dcc.Store(id="hotline-duban-key"),  # the 转督办 clicked on a row: {"key", "at"}
            dcc.Store(id="hotline-scroll"),
            kpis,
            html.Div(
                [html.Div([volume, pattern], className="hotline-column"), counties, categories],
                className="hotline-grid",
            ),
            html.Div([units, sla, hot, repeat], className="hotline-grid four"),
            tickets,
        ],
        className="hotline",
    )
