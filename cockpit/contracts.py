"""Dataset contracts: the columns each module expects, whatever source serves them.

A city's source is bound to a contract in config/datasets.yaml (table, renamed columns).
docs/datasets.md is the human-readable form of this file; a test keeps the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from data_sources.query import Col, Filter, Measure
from data_sources.query import ColumnSpec as C

# Text longer than this is cut by validation (cockpit.validation) with a mark: a title of two
# million characters must not reach a wall screen. Free-text columns get more (Contract.limits).
DEFAULT_MAX_LENGTH = 500


@dataclass(frozen=True)
class Limit:
    """What values a column may hold beyond its type: checked row by row before data is trusted."""

    max_length: int | None = None  # text: longer values are truncated with a mark (keys: refused)
    minimum: float | None = None  # numbers: a value outside [minimum, maximum] is refused
    maximum: float | None = None
    values: tuple[str, ...] = ()  # text: the only values allowed (an enum), empty = any


@dataclass(frozen=True)
class Contract:
    """What a dataset holds, and which of its columns carry county and freshness."""

    name: str
    title: str
    columns: tuple[C, ...]
    county_column: str | None  # scope (which counties a user sees) is applied on this column
    freshness_column: str | None  # max() of it is the dataset's "数据截至"
    key: tuple[str, ...] = ()
    # Rows whose county column holds the city's own code are published city totals (统计公报):
    # every user of the city may see them, county users included.
    public_city_rows: bool = False
    limits: dict[str, Limit] = field(default_factory=dict)  # column -> Limit, beyond the defaults
    # A statistics period (YYYY-MM) that sources write in many forms (2023年1-12月, 2023, an
    # Excel date): validation reads each form as its month, or rejects the row.
    period_column: str | None = None
    # A small published dataset (a few thousand rows): the hub reads it whole and checks it in
    # every mode, as sync and file drops do, before any screen sees a row of it (cockpit.hub).
    read_whole: bool = False

    def limit(self, column: str) -> Limit:
        """The column's limit, with the default text length where none is declared."""
        declared = self.limits.get(column, Limit())
        if declared.max_length is None and self.column_type(column) == "string":
            return Limit(DEFAULT_MAX_LENGTH, declared.minimum, declared.maximum, declared.values)
        return declared

    def column_type(self, column: str) -> str | None:
        """The contract type of a column (None for a name not in the contract)."""
        return next((c.type for c in self.columns if c.name == column), None)


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
            public_city_rows=True,
            limits={"period_type": Limit(values=("cumulative", "month"))},
            period_column="period",
            read_whole=True,
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
            limits={
                "content": Limit(max_length=5000),
                "address": Limit(max_length=1000),
                "returned_count": Limit(minimum=0),
            },
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


# -- rollups -------------------------------------------------------------------------------------
class _Now:
    """Stands for the data's "now" in a rollup measure: the dataset's latest freshness value
    when the rollup was built. A query matches such a measure only if its own "now" is that
    same instant (cockpit.rollups compares them)."""

    def __repr__(self) -> str:
        return "NOW"


NOW = _Now()


@dataclass(frozen=True)
class Rollup:
    """A pre-aggregated table of a dataset: an exact GROUP BY of its rows, kept beside them.

    Rows are grouped by `time` truncated to `grain` (plus `days`, other timestamps truncated
    to the day) and by `dims`; each measure is a count (or max) of the group's rows, under its
    own conditions. `lookback` (column, days) keeps that column's day only where it matters
    for a filter "received no more than `days` before the cohort window" (see rollups.py), so
    a cohort table is not multiplied by every receipt day. cockpit.rollups answers a query
    from a rollup only when the answer is exactly the raw one; otherwise the raw rows answer.
    """

    name: str  # table name in the source: rollup__<name>
    dataset: str
    time: str | None
    grain: str  # "day" | "hour"
    dims: tuple[str, ...]
    measures: tuple[Measure, ...]
    days: tuple[str, ...] = ()
    lookback: tuple[str, int] | None = None
    # (column, groups): distinct values of the column per group, as a count of each value's
    # first row in a window (see rollups.py); measures are then not used.
    distinct: tuple[str, tuple[str, ...]] | None = None


def _count(name: str, *where: Filter) -> Measure:
    return Measure(name, "count", where=tuple(where))


# The 12345 KPI counts (cockpit/domains/hotline/kpis.py) with the default working definitions
# (config/hotline.yaml): each cohort (received, dispatched, due, closed in a window) is a table
# by its own day, and each KPI condition a count column. Other definitions are still answered,
# from the raw rows. A ticket received more than `lookback_days` before a window is outside
# every KPI of it; the cohort tables keep enough of received_at to say so exactly.
_LOOKBACK = ("received_at", 120)
_TICKET_DIMS = ("county_code", "category_l1", "category_l2", "responsible_unit", "direct_answer")
_CHANNELS = ("电话", "微信", "网站", "APP", "短信", "邮件")
_ON_TIME = Filter("closed_at", "le", Col("deadline"))
_NOT_REOPENED = Filter("reopened", "eq", False)
_NOT_EXTENDED = Filter("extended", "eq", False)
_DEADLINE_PASSED = Filter("deadline", "lt", NOW)


def _due_measures() -> tuple[Measure, ...]:
    """Due-cohort counts, for a window that ended (deadline < window end, a day) and for the
    month in progress (deadline < now)."""
    out = []
    for suffix, now in (("", ()), ("_now", (_DEADLINE_PASSED,))):
        out += [
            _count("n" + suffix, *now),
            _count("closed" + suffix, Filter("closed_at", "not_null"), *now),
            _count("on_time" + suffix, _ON_TIME, _NOT_REOPENED, *now),
            _count("on_time_reopened" + suffix, _ON_TIME, *now),
            _count("on_time_strict" + suffix, _ON_TIME, _NOT_REOPENED, _NOT_EXTENDED, *now),
            _count("on_time_reopened_strict" + suffix, _ON_TIME, _NOT_EXTENDED, *now),
        ]
    out.append(_count("open_passed", Filter("closed_at", "is_null"), _DEADLINE_PASSED))
    return tuple(out)


ROLLUPS: dict[str, Rollup] = {
    r.name: r
    for r in (
        # Smallest first: a query is answered by the first rollup that can answer it exactly.
        Rollup(
            "hotline_freshness",
            "hotline.tickets",
            None,
            "day",
            ("county_code",),
            (Measure("updated_at", "max", "updated_at"),),
        ),
        Rollup(
            "hotline_hourly",
            "hotline.tickets",
            "received_at",
            "hour",
            ("county_code",),
            (_count("n"),),
        ),
        Rollup(
            "hotline_handling",
            "hotline.tickets",
            "closed_at",
            "day",
            ("county_code", "direct_answer"),
            (_count("n"),),
            days=("received_at",),
        ),
        Rollup(
            "hotline_received",
            "hotline.tickets",
            "received_at",
            "day",
            (*_TICKET_DIMS, "appeal_type"),
            (
                _count("n"),
                *(
                    _count(f"channel_{i}", Filter("channel", "eq", c))
                    for i, c in enumerate(_CHANNELS)
                ),
                _count("direct", Filter("direct_answer", "eq", True)),
                _count("with_phone", Filter("citizen_phone", "not_null")),
                _count("with_address", Filter("address", "not_null")),
            ),
        ),
        # 重复诉求率: distinct callers per second-level category, city-wide or in one county.
        Rollup(
            "hotline_callers",
            "hotline.tickets",
            "received_at",
            "day",
            ("county_code", "category_l2"),
            (),
            distinct=("citizen_phone", ("category_l2",)),
        ),
        Rollup(
            "hotline_dispatched",
            "hotline.tickets",
            "dispatched_at",
            "day",
            _TICKET_DIMS,
            (
                _count("n"),
                _count("returned", Filter("returned_count", "gt", 0)),
                _count("extended", Filter("extended", "eq", True)),
                _count("sign_on_time", Filter("signed_at", "le", Col("sign_deadline"))),
                _count("sign_late", Filter("signed_at", "gt", Col("sign_deadline"))),
                _count(
                    "sign_missing",
                    Filter("signed_at", "is_null"),
                    Filter("sign_deadline", "lt", NOW),
                ),
            ),
            lookback=_LOOKBACK,
        ),
        Rollup(
            "hotline_due",
            "hotline.tickets",
            "deadline",
            "day",
            _TICKET_DIMS,
            _due_measures(),
            lookback=_LOOKBACK,
        ),
        Rollup(
            "hotline_closed",
            "hotline.tickets",
            "closed_at",
            "day",
            _TICKET_DIMS,
            (
                _count("n"),
                _count("followed", Filter("followed_up", "eq", True)),
                _count("evaluated", Filter("evaluation", "not_null")),
                _count("satisfied", Filter("evaluation", "in", ("满意", "基本满意"))),
                _count("reopened", Filter("reopened", "eq", True)),
            ),
            lookback=_LOOKBACK,
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
    lines += [
        "## Rollup tables",
        "",
        "Built beside the rows where the cockpit owns the file (demo, sync mode) and used only",
        "where they give exactly the raw answer (`cockpit/rollups.py`). Each is a GROUP BY of",
        "the dataset by its time column truncated to the grain and by its dimensions.",
        "",
        "| table | dataset | time (grain) | dimensions | columns |",
        "|---|---|---|---|---|",
    ]
    for r in ROLLUPS.values():
        time = f"`{r.time}` ({r.grain})" if r.time else "—"
        if r.days:
            time += ", " + ", ".join(f"`{d}` (day)" for d in r.days)
        if r.lookback:
            time += f", `{r.lookback[0]}` (within {r.lookback[1]} days)"
        lines.append(
            f"| `rollup__{r.name}` | `{r.dataset}` | {time} | "
            f"{', '.join(f'`{d}`' for d in r.dims)} | {', '.join(m.name for m in r.measures)} |"
        )
    lines.append("")
    return "\n".join(lines)


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|")
