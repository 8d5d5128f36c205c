"""The datasets of 风险管控: the columns the module expects, whatever source serves them
(bound to a source in config/datasets.yaml; docs/datasets.md is generated from them)."""

from __future__ import annotations

from cockpit.contracts import Contract, Limit
from data_sources.query import ColumnSpec as C

CONTRACTS = (
    Contract(
        "risk.warnings",
        "风险预警",
        (
            C("warning_id", "string", "预警编号", False),
            C(
                "domain",
                "string",
                "领域：安全生产、自然灾害、生态环境、公共卫生、金融、社会稳定、城市运行",
                False,
            ),
            C("level", "int", "级别：1 红、2 橙、3 黄、4 蓝", False),
            C("title", "string", "预警内容", False),
            C("county_code", "string", "县区代码", False),
            C("place", "string", "地点"),
            C("lon", "float", "经度"),
            C("lat", "float", "纬度"),
            C("responsible_unit", "string", "责任单位", False),
            C("source", "string", "预警来源（发布部门或系统）", False),
            C("issued_at", "datetime", "发布时间", False),
            C("stage", "string", "阶段：发布、响应、处置、解除", False),
            C("lifted_at", "datetime", "解除时间；在发布中为空"),
            C("updated_at", "datetime", "最后更新时间", False),
        ),
        county_column="county_code",
        freshness_column="updated_at",
        key=("warning_id",),
        limits={
            "level": Limit(minimum=1, maximum=4),
            "lon": Limit(minimum=73, maximum=136),
            "lat": Limit(minimum=3, maximum=54),
        },
    ),
)
