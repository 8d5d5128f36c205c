"""The 风险管控 page skeleton: warnings in force by level and domain, map, trend, list."""

from __future__ import annotations

from dash import dcc, html

from cockpit.components import FIT_GRAPH, SIZED_GRAPH, panel
from cockpit.domains.risk.config import DOMAINS
from cockpit.domains.risk.early_warning import LEVEL_NAMES
from cockpit.exports import links
from cockpit.maps import map_block

# Heights come from the figures (they grow with the number of bars), so not responsive.
GRAPH_CONFIG = SIZED_GRAPH
# The map fills its box (its height is set in assets/risk.css, per screen size).
MAP_CONFIG = FIT_GRAPH


def layout() -> html.Div:
    """Empty frames with stable ids; the module's callbacks fill them."""
    return html.Div(
        className="rk-page",
        children=[
            dcc.Store(id="risk-refresh", data=0),
            dcc.Store(id="risk-scroll"),
            html.Div(
                className="rk-top",
                children=[
                    html.Section(id="risk-summary", className="panel rk-summary"),
                    panel(
                        "按领域和级别（条）",
                        dcc.Graph(id="risk-by-domain", config=GRAPH_CONFIG, className="rk-graph"),
                        html.P("在发布预警，含驾驶舱阈值预警和异常检测", className="panel-note"),
                    ),
                    panel(
                        "预警新发布与解除（条/月）",
                        dcc.Graph(id="risk-trend", config=GRAPH_CONFIG, className="rk-graph"),
                        html.P(id="risk-trend-note", className="panel-note"),
                    ),
                ],
            ),
            html.Div(
                className="rk-main",
                children=[
                    panel(
                        "预警分布（条）",
                        # The box has the height (per screen size, assets/risk.css); the
                        # responsive graph fills it (Dash gives it an inline height of 100%).
                        html.Div(
                            # drawn from its values store by assets/maps.js; 总量/每万人, 返回全市
                            map_block(
                                dcc.Graph(id="risk-map", config=MAP_CONFIG, className="rk-map"),
                                per_capita=True,
                            ),
                            className="rk-map-box",
                        ),
                        html.P(id="risk-map-note", className="panel-note"),
                        className="rk-map-panel",
                    ),
                    panel(
                        "预警清单",
                        links("risk.warnings"),
                        html.Div(
                            className="rk-filters",
                            children=[
                                dcc.Checklist(
                                    id="risk-levels",
                                    options=[
                                        {"label": LEVEL_NAMES[lv], "value": lv}
                                        for lv in (1, 2, 3, 4)
                                    ],
                                    value=[1, 2, 3, 4],
                                    inline=True,
                                    className="kw-filter",
                                ),
                                dcc.Dropdown(
                                    id="risk-domain",
                                    options=[{"label": "全部领域", "value": "all"}]
                                    + [{"label": d, "value": d} for d in DOMAINS],
                                    value="all",
                                    clearable=False,
                                    searchable=False,
                                    className="filter-dropdown rk-domain",
                                ),
                            ],
                        ),
                        html.Div(id="risk-ack-message", className="kw-message"),
                        html.P(id="risk-list-note", className="panel-note"),
                        html.Div(id="risk-list", className="rk-list"),
                        html.Ul(id="risk-notes", className="rk-notes"),
                        className="rk-list-panel",
                    ),
                ],
            ),
        ],
    )
