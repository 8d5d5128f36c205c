"""The datasets of 应急指挥: the columns the module expects, whatever source serves them
(bound to a source in config/datasets.yaml; docs/datasets.md is generated from them)."""

from __future__ import annotations

from cockpit.contracts import Contract, Limit
from data_sources.query import ColumnSpec as C

CONTRACTS = (
    Contract(
        "emergency.events",
        "突发事件",
        (
            C("event_id", "string", "事件编号", False),
            C("title", "string", "事件名称", False),
            C(
                "category",
                "string",
                "类别：自然灾害、事故灾难、公共卫生事件、社会安全事件",
                False,
            ),
            C("event_type", "string", "事件类型（如 火灾、道路交通事故）", False),
            C("level", "int", "级别：1 Ⅰ级特别重大 … 4 Ⅳ级一般", False),
            C("occurred_at", "datetime", "发生时间", False),
            C("reported_at", "datetime", "接报时间", False),
            C("county_code", "string", "县区代码", False),
            C("place", "string", "地点", False),
            C("lon", "float", "经度", False),
            C("lat", "float", "纬度", False),
            C("deaths", "int", "死亡人数", False),
            C("injuries", "int", "受伤人数", False),
            C("status", "string", "状态：接报、处置中、已结束", False),
            C("closed_at", "datetime", "结束时间"),
            C("response_level", "int", "启动的应急响应级别 1-4；未启动为空"),
            C("updated_at", "datetime", "最后更新时间", False),
        ),
        county_column="county_code",
        freshness_column="updated_at",
        key=("event_id",),
        limits={
            "level": Limit(minimum=1, maximum=4),
            "response_level": Limit(minimum=1, maximum=4),
            "lon": Limit(minimum=73, maximum=136),
            "lat": Limit(minimum=3, maximum=54),
            "deaths": Limit(minimum=0),
            "injuries": Limit(minimum=0),
        },
    ),
    Contract(
        "emergency.resources",
        "应急资源",
        (
            C("resource_id", "string", "资源编号", False),
            C("kind", "string", "种类：救援队伍、物资仓库、避难场所、医疗床位", False),
            C("name", "string", "名称", False),
            C("county_code", "string", "县区代码", False),
            C("lon", "float", "经度", False),
            C("lat", "float", "纬度", False),
            C("capacity", "float", "容量（人数、床位、物资件数）", False),
            C("available", "float", "当前可用", False),
            C("unit", "string", "单位", False),
            C("contact", "string", "联系人"),
            C("phone", "string", "联系电话"),
            C("updated_at", "datetime", "最后更新时间", False),
        ),
        county_column="county_code",
        freshness_column="updated_at",
        key=("resource_id",),
        limits={
            "lon": Limit(minimum=73, maximum=136),
            "lat": Limit(minimum=3, maximum=54),
            "capacity": Limit(minimum=0),
            "available": Limit(minimum=0),
        },
    ),
    Contract(
        "emergency.timeline",
        "事件处置时间线",
        (
            C("event_id", "string", "事件编号", False),
            C("at", "datetime", "时间", False),
            C("entry_kind", "string", "类型：接报、指令、处置、续报", False),
            C("text", "string", "内容", False),
            C("by", "string", "报送或下达单位（人）"),
            C("county_code", "string", "事件所在县区", False),
        ),
        county_column="county_code",
        freshness_column="at",
        key=("event_id", "at", "entry_kind"),
        limits={"text": Limit(max_length=5000)},
    ),
)
