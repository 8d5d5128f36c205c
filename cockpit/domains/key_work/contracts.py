"""The datasets of 重点工作: the columns the module expects, whatever source serves them
(bound to a source in config/datasets.yaml; docs/datasets.md is generated from them)."""

from __future__ import annotations

from cockpit.contracts import Contract, Limit
from data_sources.query import ColumnSpec as C

CONTRACTS = (
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
        limits={
            "progress": Limit(minimum=0, maximum=100),
            "last_feedback": Limit(max_length=5000),
        },
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
        limits={"planned_progress": Limit(minimum=0, maximum=100), "seq": Limit(minimum=1)},
    ),
)
