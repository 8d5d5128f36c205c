"""The 重点工作 page skeleton: headline counts, charts, 督办线索, the task list and the 督办 panel."""

from __future__ import annotations

from dash import dcc, html

from cockpit.components import SIZED_GRAPH, panel
from cockpit.exports import links
from cockpit.phone import fold
from cockpit.store.schema import LEADER_ACTIONS, UNIT_ACTIONS

LIGHT_FILTERS = [
    {"label": "需关注（红黄灯）", "value": "attention"},
    {"label": "红灯", "value": "red"},
    {"label": "黄灯", "value": "yellow"},
    {"label": "绿灯", "value": "green"},
    {"label": "已完成", "value": "done"},
    {"label": "全部", "value": "all"},
]
# Heights come from the figures (they grow with the number of bars), so not responsive.
PAGE = 30  # tasks shown at first, and added by 显示更多
GRAPH_CONFIG = SIZED_GRAPH


def layout() -> html.Div:
    """Empty frames with stable ids; the module's callbacks fill them."""
    return html.Div(
        className="kw-page",
        children=[
            dcc.Store(id="key_work-selected"),
            dcc.Store(id="key_work-refresh", data=0),
            dcc.Store(id="key_work-promote-key"),  # the 转督办 clicked: {"key", "at"}
            dcc.Store(id="key_work-scroll"),
            dcc.Store(id="key_work-limit", data=PAGE),
            # This submission's key, made in the browser (a new one for each new action): a
            # retry of the same submission is recognised by the server and recorded once.
            dcc.Store(id="key_work-request-key"),
            # The version of the item as shown: a write made on an older one is refused
            # (someone else acted meanwhile) instead of overwriting it.
            dcc.Store(id="key_work-version"),
            dcc.Store(id="key_work-unit-versions"),  # the unit's items: id -> version shown
            html.Div(
                className="kw-top",
                children=[
                    html.Section(id="key_work-summary", className="panel kw-summary"),
                    panel(
                        "按牵头单位（项）",
                        *fold(
                            "by-unit",
                            dcc.Graph(
                                id="key_work-by-unit", config=GRAPH_CONFIG, className="kw-graph"
                            ),
                        ),
                        className="kw-chart",
                    ),
                    panel(
                        "按县区（项）",
                        *fold(
                            "by-county",
                            dcc.Graph(
                                id="key_work-by-county", config=GRAPH_CONFIG, className="kw-graph"
                            ),
                            html.P(id="key_work-charts-note", className="panel-note"),
                        ),
                        className="kw-chart",
                    ),
                ],
            ),
            html.Div(
                className="kw-main",
                children=[
                    html.Div(
                        className="kw-col",
                        children=[
                            panel(
                                "督办线索",
                                html.P(
                                    "红色经济指标、12345诉求激增和红橙色风险预警，可一键转为督办事项",
                                    className="panel-note kw-lead",
                                ),
                                html.Div(id="key_work-signal-message", className="kw-message"),
                                *fold(
                                    "signals",
                                    html.Ul(id="key_work-signals", className="kw-signals"),
                                    html.P(id="key_work-signals-note", className="panel-note"),
                                ),
                                id="key_work-signals-panel",
                            ),
                            panel(
                                "任务清单",
                                dcc.RadioItems(
                                    id="key_work-light-filter",
                                    options=LIGHT_FILTERS,
                                    value="attention",
                                    inline=True,
                                    className="kw-filter",
                                ),
                                html.P(id="key_work-task-note", className="panel-note"),
                                links("key_work.tasks"),
                                *fold(
                                    "tasks",
                                    html.Div(id="key_work-task-list", className="kw-task-list"),
                                    html.Button(
                                        "显示更多",
                                        id="key_work-more",
                                        className="kw-button kw-more",
                                        n_clicks=0,
                                        style={"display": "none"},
                                    ),
                                ),
                            ),
                            panel(
                                "线索转入的督办事项",
                                *fold("cases", html.Ul(id="key_work-cases", className="kw-cases")),
                            ),
                        ],
                    ),
                    html.Div(
                        className="kw-col kw-side",
                        children=[
                            panel(
                                "督办",
                                html.Div(
                                    id="key_work-detail",
                                    children=html.P(
                                        "在任务清单或督办事项中点“督办”，查看详情并记录督办动作",
                                        className="kw-empty",
                                    ),
                                ),
                                html.Div(
                                    id="key_work-form",
                                    className="kw-form",
                                    children=[
                                        html.Label("督办动作", htmlFor="key_work-action"),
                                        dcc.RadioItems(
                                            id="key_work-action",
                                            options=[
                                                {"label": a, "value": a} for a in LEADER_ACTIONS
                                            ],
                                            value=LEADER_ACTIONS[0],
                                            inline=True,
                                            className="kw-actions",
                                        ),
                                        html.Label("效果评估（1–5分）", htmlFor="key_work-rating"),
                                        dcc.RadioItems(
                                            id="key_work-rating",
                                            options=[
                                                {"label": f"{n}分", "value": n} for n in range(1, 6)
                                            ],
                                            inline=True,
                                            className="kw-actions",
                                        ),
                                        html.Label("意见", htmlFor="key_work-comment"),
                                        dcc.Textarea(
                                            id="key_work-comment",
                                            className="kw-comment",
                                            placeholder="督办意见（提级督办须写明理由）",
                                            maxLength=2000,
                                        ),
                                        html.Button(
                                            "提交",
                                            id="key_work-submit",
                                            className="kw-button kw-button-primary",
                                            n_clicks=0,
                                            disabled=True,
                                        ),
                                        html.Div(id="key_work-message", className="kw-message"),
                                    ],
                                ),
                                id="key_work-detail-panel",
                                className="kw-detail",
                            ),
                            panel(
                                "本单位督办事项",
                                html.P(
                                    "承办单位对督办事项进展反馈、申请办结（附佐证说明）或申请延期",
                                    className="panel-note",
                                ),
                                dcc.RadioItems(id="key_work-unit-case", className="kw-unit-cases"),
                                html.Div(id="key_work-unit-detail"),
                                html.Label("反馈类型", htmlFor="key_work-unit-action"),
                                dcc.RadioItems(
                                    id="key_work-unit-action",
                                    options=[{"label": a, "value": a} for a in UNIT_ACTIONS],
                                    value=UNIT_ACTIONS[0],
                                    inline=True,
                                    className="kw-actions",
                                ),
                                html.Label("反馈内容", htmlFor="key_work-unit-comment"),
                                dcc.Textarea(
                                    id="key_work-unit-comment",
                                    className="kw-comment",
                                    placeholder="进展情况；办结申请请写明佐证材料；延期请写明理由",
                                    maxLength=2000,
                                ),
                                html.Button(
                                    "提交反馈",
                                    id="key_work-unit-submit",
                                    className="kw-button kw-button-primary",
                                    n_clicks=0,
                                ),
                                html.Div(id="key_work-unit-message", className="kw-message"),
                                id="key_work-unit-panel",
                                style={"display": "none"},
                            ),
                            panel(
                                "承办单位督办考核",
                                html.P(
                                    "按时反馈、逾期升级、被退回与效果评估，用于绩效考核",
                                    className="panel-note",
                                ),
                                # Folded on a phone (detail on demand), open on wider screens.
                                *fold(
                                    "scorecard",
                                    links("key_work.scorecard"),
                                    html.Div(id="key_work-scorecard"),
                                ),
                                id="key_work-scorecard-panel",
                            ),
                        ],
                    ),
                ],
            ),
        ],
    )
