"""The sentences of 要情专报, in the official register: every one built from figures, none invented.

Pure functions of small hand-fillable records (no hub, no Dash), so each rule is tested on
hand-made data. A figure that is missing is said to be missing, never written as zero. The
economy's own sentence (cockpit.domains.economy.transform.sentence) is reused as the screen writes it;
what is added here is the overview of the indicators and the other modules' paragraphs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from cockpit.domains.economy.transform import NO_DATA, NOT_YET, Reading, sentence
from cockpit.formatting import change, count, percent, rate_change, span_label

LIGHT_ORDER = ("red", "yellow", "green", "done")
LIGHT_WORDS = {"red": "红灯", "yellow": "黄灯", "green": "绿灯", "done": "已完成"}
WARNING_WORDS = {1: "红色", 2: "橙色", 3: "黄色", 4: "蓝色"}
EVENT_LEVELS = {1: "特别重大", 2: "重大", 3: "较大", 4: "一般"}
RESPONSE_NAMES = {1: "Ⅰ级", 2: "Ⅱ级", 3: "Ⅲ级", 4: "Ⅳ级"}


# -- 经济运行 ---------------------------------------------------------------------------------------
def economy_lines(
    readings: list[Reading], place: str, words: dict[str, tuple[str, str]] | None = None
) -> list[str]:
    """The overview of the main indicators, then one bulletin sentence per indicator.

    `words` gives an indicator's (rise, fall) words where they are not 增长/下降 (CPI 上涨).
    """
    if not readings:
        return ["经济运行：暂无指标数据。"]
    words = words or {}
    lines = [economy_summary(readings, place)]
    for r in readings:
        rise, fall = words.get(r.indicator_id, ("增长", "下降"))
        lines.append(sentence(r, place, rise, fall))
    return [line for line in lines if line]


def economy_summary(readings: list[Reading], place: str) -> str:
    """'全市8项主要指标中，4项增速达到年度目标，2项低于目标（固定资产投资、社会消费品零售总额），1项数据未报送。'"""
    met = [r for r in readings if r.target_gap is not None and r.status == "green"]
    missed = [r for r in readings if r.target_gap is not None and r.status in ("yellow", "red")]
    missing = [r for r in readings if r.missing]
    # Without a figure for the whole place, for the reason every screen gives (absent_note).
    absent = [r for r in readings if not r.missing and r.value is None and r.growth is None]
    undelivered = [r for r in absent if NO_DATA in r.note]
    not_yet = [r for r in absent if NOT_YET in r.note]
    parts = []
    if met:
        parts.append(f"{len(met)}项增速达到年度目标")
    if missed:
        names = "、".join(r.short_name for r in missed)
        parts.append(f"{len(missed)}项低于目标（{names}）")
    if missing:
        parts.append(f"{len(missing)}项数据未报送")
    if undelivered:
        parts.append(
            f"{len(undelivered)}项暂无数据（{'、'.join(r.short_name for r in undelivered)}）"
        )
    if not_yet:
        parts.append(f"{len(not_yet)}项尚未发布")
    if not parts:
        return ""
    return f"{place}{len(readings)}项主要指标中，" + "，".join(parts) + "。"


# -- 12345热线 --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Topic:
    """A category of 诉求 and its number of tickets."""

    name: str
    tickets: float


@dataclass(frozen=True)
class Spike:
    """A category whose week stands out from its own baseline weeks."""

    name: str
    tickets: float
    baseline: float
    ratio: float


@dataclass(frozen=True)
class HotlineFigures:
    """What the 12345 paragraph says: volume, two rates, the main topics and what changed."""

    span: str  # 11月19日 / 11月13日—19日
    before_label: str  # 前一日 / 前一周
    received: float | None
    received_before: float | None
    on_time: float | None = None  # 按时办结率 %
    on_time_before: float | None = None
    satisfaction: float | None = None  # 满意率 %
    satisfaction_before: float | None = None
    topics: tuple[Topic, ...] = ()
    hot_week: str = ""  # the week the spikes are about (11月9日—15日)
    baseline_weeks: int = 8
    spikes: tuple[Spike, ...] = ()
    keywords: tuple[str, ...] = ()


def hotline_lines(f: HotlineFigures, place: str) -> list[str]:
    """Volume and its change, the two rates, the main topics, and the categories that rose."""
    if f.received is None:
        return [f"{f.span}，{place}12345热线受理量暂无数据。"]
    moved = change(f.received, f.received_before)
    line = f"{f.span}，{place}12345热线受理群众诉求{count(f.received, '件')}"
    line += f"，较{f.before_label}{moved}。" if moved else "。"
    lines = [line]
    rates = []
    for name, now, before in (
        ("按时办结率", f.on_time, f.on_time_before),
        ("满意率", f.satisfaction, f.satisfaction_before),
    ):
        if now is None:
            continue
        text = f"{name}{percent(now)}"
        moved = rate_change(now, before)
        if moved:
            text += (
                f"，较{f.before_label}{moved}" if moved != "持平" else f"，与{f.before_label}持平"
            )
        rates.append(text)
    if rates:
        lines.append("；".join(rates) + "。")
    if f.topics:
        shown = "、".join(f"{t.name}（{count(t.tickets, '件')}）" for t in f.topics)
        lines.append(f"诉求主要集中在{shown}。")
    lines.append(spike_line(f))
    return lines


def spike_line(f: HotlineFigures) -> str:
    """The categories that rose in the hot week against their baseline, or that none did."""
    if not f.hot_week:
        return ""
    if not f.spikes:
        return f"{f.hot_week}未发现诉求量明显异常增长的类别。"
    parts = [
        f"{s.name}类诉求{count(s.tickets, '件')}，为前{f.baseline_weeks}周周均"
        f"（{count(round(s.baseline, 1), '件')}）的{s.ratio:.1f}倍"
        for s in f.spikes
    ]
    text = f"{f.hot_week}诉求明显增多的类别：" + "；".join(parts) + "。"
    if f.keywords:
        text += f"热点词：{'、'.join(f.keywords)}。"
    return text


# -- 重点工作督办 -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class RedTask:
    """A key task whose light turned red in the span."""

    title: str
    lead_unit: str
    reason: str  # 逾期3天 / 停滞：35天未反馈


def key_work_lines(
    counts: dict[str, int], turned_red: list[RedTask], since: str, place: str, limit: int = 5
) -> list[str]:
    """Tasks by light, then the tasks that turned red since `since` (前一日, 前一周)."""
    total = sum(counts.get(light, 0) for light in LIGHT_ORDER)
    if total == 0:
        return [f"{place}暂无列入督办的重点工作。"]
    by_light = "、".join(f"{LIGHT_WORDS[light]}{counts.get(light, 0)}项" for light in LIGHT_ORDER)
    lines = [f"{place}重点工作共{total}项，其中{by_light}。"]
    if not turned_red:
        lines.append(f"较{since}无新转为红灯的事项。")
        return lines
    shown = "；".join(
        f"《{t.title}》（牵头单位：{t.lead_unit}，{t.reason}）" for t in turned_red[:limit]
    )
    more = f"等{len(turned_red)}项" if len(turned_red) > limit else ""
    lines.append(f"较{since}新转为红灯{len(turned_red)}项：{shown}{more}。")
    return lines


# -- 风险预警与突发事件 -----------------------------------------------------------------------------
@dataclass(frozen=True)
class WarningItem:
    """A warning in force."""

    level: int  # 1 红 .. 4 蓝
    title: str
    place: str
    unit: str  # responsible unit
    stage: str  # 发布 | 响应 | 处置


def warning_lines(warnings: list[WarningItem], place: str, named_levels: int = 2) -> list[str]:
    """How many warnings are in force by level, and the most severe ones by name."""
    if not warnings:
        return [f"{place}当前无在发布的风险预警。"]
    levels = sorted({w.level for w in warnings})
    by_level = "、".join(
        f"{WARNING_WORDS.get(lv, '')}{sum(w.level == lv for w in warnings)}条" for lv in levels
    )
    lines = [f"{place}当前在发布风险预警{len(warnings)}条，其中{by_level}。"]
    for w in sorted((w for w in warnings if w.level <= named_levels), key=lambda w: w.level):
        lines.append(
            f"{WARNING_WORDS.get(w.level, '')}预警：{w.title}（{w.place or place}，"
            f"责任单位{w.unit or '未明确'}，{w.stage}阶段）。"
        )
    return lines


@dataclass(frozen=True)
class EventItem:
    """An emergency event not yet ended."""

    level: int  # 1 特别重大 .. 4 一般
    title: str
    place: str
    status: str  # 接报 | 处置中
    response_level: int | None = None
    deaths: int | None = None
    injuries: int | None = None


def event_lines(events: list[EventItem], place: str) -> list[str]:
    """Events being handled, most severe first, with response and casualties where known."""
    if not events:
        return [f"{place}当前无正在处置的突发事件。"]
    events = sorted(events, key=lambda e: e.level)
    by_level = "、".join(
        f"{EVENT_LEVELS.get(lv, '')}{sum(e.level == lv for e in events)}起"
        for lv in sorted({e.level for e in events})
    )
    lines = [f"{place}当前正在处置突发事件{len(events)}起，其中{by_level}。"]
    for e in events:
        parts = [f"{EVENT_LEVELS.get(e.level, '')}事件", e.status]
        if e.response_level is not None:
            parts.append(f"已启动{RESPONSE_NAMES.get(e.response_level, '')}应急响应")
        if e.deaths is not None and e.injuries is not None:
            parts.append(
                "暂无人员伤亡"
                if e.deaths == 0 and e.injuries == 0
                else f"死亡{e.deaths}人、受伤{e.injuries}人"
            )
        else:
            parts.append("伤亡情况待核实")
        lines.append(f"{e.title}（{e.place or place}，{'，'.join(parts)}）。")
    return lines


# -- the whole briefing --------------------------------------------------------------------------
KIND_NAMES = {"daily": "日报", "weekly": "周报"}


@dataclass
class Section:
    """One part of the briefing: its heading, its sentences and where its figures come from."""

    key: str
    title: str
    lines: list[str] = field(default_factory=list)
    as_of: dt.datetime | None = None
    error: str = ""  # the source failed: said in the briefing, never hidden


@dataclass
class Briefing:
    """要情专报 of one day (or week) for the whole city or one county."""

    city: str
    place: str  # 全市 or the county's name
    county: str | None  # None: the whole city
    kind: str  # daily | weekly
    day: dt.date  # the date of issue; the figures cover the span before it
    first: dt.date  # first day covered
    last: dt.date  # last day covered
    sections: list[Section] = field(default_factory=list)
    is_demo: bool = False

    @property
    def title(self) -> str:
        """长治市要情专报（日报）; a county's briefing names the county too."""
        where = self.city if self.county is None else f"{self.city}{self.place}"
        return f"{where}要情专报（{KIND_NAMES[self.kind]}）"

    @property
    def span(self) -> str:
        """The days the figures cover: 11月19日 / 11月13日—19日."""
        return span_label(self.first, self.last)

    @property
    def as_of(self) -> dt.datetime | None:
        """The newest 数据截至 among the sections."""
        stamps = [s.as_of for s in self.sections if s.as_of is not None]
        return max(stamps) if stamps else None

    def text(self) -> str:
        """The briefing as plain text (what the page, the files and tests read)."""
        out = [self.title, f"{self.span} · {self.place}"]
        for s in self.sections:
            out.append(s.title)
            out += s.lines
        return "\n".join(out)
