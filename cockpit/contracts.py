"""Dataset contracts: the columns each module expects, whatever source serves them.

A city's source is bound to a contract in config/datasets.yaml (table, renamed columns).
docs/datasets.md is the human-readable form of this file; a test keeps the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass

from data_sources.base import ColumnSpec as C


@dataclass(frozen=True)
class Contract:
    """What a dataset holds, and which of its columns carry county and freshness."""

    name: str
    title: str
    columns: tuple[C, ...]
    county_column: str | None  # scope (which counties a user sees) is applied on this column
    freshness_column: str | None  # max() of it is the dataset's "数据截至"
    key: tuple[str, ...] = ()


CONTRACTS: dict[str, Contract] = {
    c.name: c
    for c in (
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
        ),
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
        ),
        Contract(
            "key_work.tasks",
            "重点工作任务",
            (
                C("task_id", "string", "任务编号", False),
                C("title", "string", "任务名称", False),
                C("source", "string", "来源：政府工作报告、重点项目、领导批示", False),
                C("lead_leader", "string", "分管（牵头）领导", False),
                C("lead_unit", "string", "牵头单位", False),
                C("co_units", "string", "配合单位（顿号分隔）"),
                C("county_code", "string", "所在县区；全市性任务为市代码", False),
                C("start_date", "date", "开始日期", False),
                C("deadline", "date", "完成时限", False),
                C("progress", "float", "进度 0-100", False),
                C("last_feedback", "string", "最新反馈"),
                C("last_feedback_date", "date", "最新反馈日期"),
                C("completed_at", "date", "办结日期；未办结为空"),
            ),
            county_column="county_code",
            freshness_column="last_feedback_date",
            key=("task_id",),
        ),
        Contract(
            "key_work.milestones",
            "重点工作任务节点（里程碑）",
            (
                C("task_id", "string", "任务编号（key_work.tasks 的 task_id）", False),
                C("seq", "int", "节点序号，从 1 起按计划先后", False),
                C("name", "string", "节点名称", False),
                C("due_date", "date", "计划完成日期", False),
                C("done_at", "date", "实际完成日期；未完成为空"),
                C("planned_progress", "float", "完成该节点时任务应达到的进度 0-100"),
                C("county_code", "string", "任务所在县区（同任务）；全市性任务为市代码", False),
                C("updated_at", "datetime", "最后更新时间", False),
            ),
            county_column="county_code",
            freshness_column="updated_at",
            key=("task_id", "seq"),
        ),
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
        ),
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
        ),
        Contract(
            "contacts.duty_roster",
            "值班表",
            (
                C("duty_date", "date", "值班日期", False),
                C("role", "string", "值班领导、带班领导、值班员", False),
                C("name", "string", "姓名", False),
                C("post", "string", "职务", False),
                C("phone", "string", "电话", False),
            ),
            county_column=None,
            freshness_column=None,
            key=("duty_date", "role"),
        ),
        Contract(
            "contacts.directory",
            "通讯录",
            (
                C("contact_id", "string", "编号", False),
                C("name", "string", "姓名", False),
                C("post", "string", "职务", False),
                C("org", "string", "单位", False),
                C("county_code", "string", "所属县区；市级单位为市代码", False),
                C("office_phone", "string", "办公电话"),
                C("mobile", "string", "手机"),
            ),
            county_column=None,
            freshness_column=None,
            key=("contact_id",),
        ),
    )
}


def contracts_markdown() -> str:
    """docs/datasets.md, generated from CONTRACTS (python -m cockpit docs writes it)."""
    lines = [
        "# Dataset contracts",
        "",
        "Generated from `cockpit/contracts.py` by `python -m cockpit docs`; a test keeps it in step.",
        "Each dataset is bound to a table of a source in `config/datasets.yaml`; a source whose",
        "columns have other names maps them there (`columns: {contract_name: source_name}`).",
        "`county` is the column the user's scope (which counties they may see) is applied to;",
        "`as of` is the column whose latest value is shown as 数据截至.",
        "",
    ]
    for c in CONTRACTS.values():
        lines += [
            f"## `{c.name}` — {c.title}",
            "",
            f"county: `{c.county_column or '—'}` · as of: `{c.freshness_column or '—'}` · "
            f"key: `{', '.join(c.key) or '—'}`",
            "",
            "| column | type | required | meaning |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| `{col.name}` | {col.type} | {'yes' if not col.nullable else ''} | "
            f"{_cell(col.description)}{' (private: never cached)' if col.private else ''} |"
            for col in c.columns
        ]
        lines.append("")
    return "\n".join(lines)


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|")
