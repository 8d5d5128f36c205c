"""The datasets of 12345 热线: the columns the module expects, whatever source serves them
(bound to a source in config/datasets.yaml; docs/datasets.md is generated from them)."""

from __future__ import annotations

from cockpit.contracts import Contract, Limit
from data_sources.query import ColumnSpec as C

CONTRACTS = (
    Contract(
        "hotline.tickets",
        "12345 工单",
        (
            C("ticket_id", "string", "工单编号", False),
            C("received_at", "datetime", "受理时间", False),
            C("channel", "string", "受理渠道：电话、网站、APP、微信、短信、邮件", False),
            C(
                "appeal_type",
                "string",
                "诉求类型：咨询、求助、投诉、举报、建议、表扬、其他",
                False,
            ),
            C("category_l1", "string", "一级分类（GB/T 39666 政府热线服务分类）", False),
            C("category_l2", "string", "二级分类", False),
            C("county_code", "string", "诉求所在县区代码", False),
            C("township", "string", "乡镇（街道）"),
            C("address", "string", "详细地址", private=True),
            C("content", "string", "诉求内容", private=True),
            C("direct_answer", "bool", "是否直接答复办结（即办）", False),
            C("responsible_unit", "string", "承办单位；即办为空"),
            C("dispatched_at", "datetime", "派单时间"),
            C("sign_deadline", "datetime", "签收时限"),
            C("signed_at", "datetime", "签收时间"),
            C("deadline", "datetime", "办结时限（延期后为延期后的时限）"),
            C("extended", "bool", "是否延期", False),
            C("returned_count", "int", "退单次数", False),
            C("reopened", "bool", "是否重办（办结后重新办理）", False),
            C("closed_at", "datetime", "办结时间；未办结为空"),
            C("status", "string", "状态：待派单、待签收、办理中、已办结", False),
            C("followed_up", "bool", "是否已回访", False),
            C("evaluation", "string", "评价：满意、基本满意、不满意；未评价为空"),
            C("citizen_name", "string", "诉求人姓名（个人信息，服务端脱敏）", private=True),
            C("citizen_phone", "string", "诉求人电话（个人信息，服务端脱敏）", private=True),
            C("updated_at", "datetime", "最后更新时间", False),
        ),
        county_column="county_code",
        freshness_column="updated_at",
        key=("ticket_id",),
        township_column=C(
            "township_code",
            "string",
            "诉求所在乡镇（街道）代码，9位统计用区划代码（可选）",
        ),
        limits={
            "content": Limit(max_length=5000),
            "address": Limit(max_length=1000),
            "returned_count": Limit(minimum=0),
        },
    ),
)
