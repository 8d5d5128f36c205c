"""The datasets of 经济运行: the columns the module expects, whatever source serves them
(bound to a source in config/datasets.yaml; docs/datasets.md is generated from them)."""

from __future__ import annotations

from cockpit.contracts import Contract, Limit
from data_sources.query import ColumnSpec as C

CONTRACTS = (
    Contract(
        "economy.indicator_values",
        "经济指标数据",
        (
            C("indicator_id", "string", "指标编码（config/indicators.yaml 的 id）", False),
            C("county_code", "string", "县区代码；全市为市代码（如 140400）", False),
            C("period", "string", "统计期末月份 YYYY-MM（累计值即 1 月至该月）", False),
            C("period_type", "string", "cumulative 累计 | month 当月", False),
            C("value", "float", "数值（指标单位）；只发布增速的指标为空"),
            C("growth", "float", "发布的同比增速 %（可比价）；需计算的指标为空"),
            C("unit", "string", "单位", False),
            C("release_date", "date", "发布日期；同一期多次发布时以最新为准（修订）", False),
        ),
        county_column="county_code",
        freshness_column="release_date",
        key=("indicator_id", "county_code", "period", "period_type", "release_date"),
        public_city_rows=True,
        limits={"period_type": Limit(values=("cumulative", "month"))},
        period_column="period",
        read_whole=True,
    ),
)
