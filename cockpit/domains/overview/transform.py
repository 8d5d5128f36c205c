"""Pure functions that turn the hub's answers into the overview's headlines and attention list."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from cockpit.domains.economy.transform import indicator_figure
from cockpit.domains.hotline.transform import weekly_spikes
from cockpit.domains.key_work.transform import LightRules, with_lights
from cockpit.formatting import change_text, month_label, number, percent
from cockpit.hub import Result
from cockpit.links import item_link
from cockpit.settings import Indicator

HEADLINE_INDICATORS = ("gdp", "industry_va", "fai", "retail", "budget_revenue")
LEVEL_NAMES = {1: "红色", 2: "橙色", 3: "黄色", 4: "蓝色"}
EVENT_LEVELS = {1: "Ⅰ级", 2: "Ⅱ级", 3: "Ⅲ级", 4: "Ⅳ级"}


@dataclass(frozen=True)
class Stat:
    """One headline figure: label, value with its unit, a note, and a status colour."""

    label: str
    value: str
    unit: str = ""
    note: str = ""
    status: str = "none"  # green | yellow | red | none


@dataclass
class ModuleCard:
    """A module's headline block on the overview."""

    key: str
    title: str
    period: str
    stats: list[Stat] = field(default_factory=list)
    as_of: dt.datetime | None = None
    error: str | None = None
    stale: bool = False
    # Sentences for the attention list, each with the indicator it is about.
    alerts: list[tuple[str, str]] = field(default_factory=list)
    late_by: dt.timedelta | None = None  # past the dataset's allowed age


@dataclass(frozen=True)
class Attention:
    """Something that needs a leader's attention now; severity 1 is the most urgent.

    `href` opens its screen with the item selected (cockpit.links), None where there is
    nothing to open (a module not connected)."""

    severity: int
    module: str
    text: str
    href: str | None = None


# Severity as the list's colours say it: 红 (1), 橙 (2), 黄 (3).
SEVERITY_NAMES = {1: "红", 2: "橙", 3: "黄"}


def severity_counts(items: list[Attention]) -> dict[int, int]:
    """How many items of each severity (红/橙/黄), every severity present, zeros included."""
    return {s: sum(1 for a in items if a.severity == s) for s in SEVERITY_NAMES}


def _card(key: str, title: str, period: str, result: Result) -> ModuleCard:
    return ModuleCard(
        key,
        title,
        period,
        as_of=result.as_of,
        error=result.error,
        stale=result.stale,
        late_by=result.late_by(),
    )


def economy_card(
    result: Result,
    catalog: dict[str, Indicator],
    period: str,
    place: str,
    counties: list[str] | None = None,
    today: dt.date | None = None,
) -> ModuleCard:
    """GDP and the main monthly indicators, cumulative with growth and a light against target."""
    card = _card("economy", "经济运行", "", result)
    if result.frame.empty and not result.ok:
        return card  # the source failed: the card says so, not 暂无数据
    frame = result.frame
    if frame.empty:  # nothing for this place: each figure still says why (absent_note)
        from cockpit.domains.economy.data import COLUMNS

        frame = pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
    labels = set()
    for ind_id in HEADLINE_INDICATORS:
        indicator = catalog.get(ind_id)
        if indicator is None:
            continue
        fig = indicator_figure(frame, indicator, period, place, counties=counties, today=today)
        labels.add(fig.label)
        if fig.value is None and fig.growth is None:
            # The economy page's words for it (不分县区发布 / 尚未发布 / 暂无数据), not a bare —.
            card.stats.append(Stat(indicator.name, "—", "", fig.note))
            continue
        growth = percent(fig.growth, signed=True) + ("（测算）" if fig.growth_computed else "")
        if fig.value is not None and indicator.unit != "%":
            value, unit, note = number(fig.value, 2), indicator.unit, f"{fig.label} 同比 {growth}"
        else:
            value, unit, note = percent(fig.growth, signed=True), "", f"{fig.label} 同比增速"
        if fig.target_growth is not None:
            note += f" · 目标{fig.target_growth:g}%"
        card.stats.append(Stat(indicator.name, value, unit, note, fig.status))
        if fig.status == "red" and fig.growth is not None and fig.target_growth is not None:
            word = "增长" if fig.growth >= 0 else "下降"
            card.alerts.append(
                (
                    f"{indicator.name}{fig.label}同比{word}{abs(fig.growth):.1f}%，"
                    f"低于目标{fig.target_growth:g}%，差{fig.target_growth - fig.growth:.1f}个百分点",
                    ind_id,
                )
            )
    card.period = f"{period[:4]}年累计"
    return card


def hotline_card(current: Result, previous: Result, period: str) -> ModuleCard:
    """受理量, 按时办结率 and 满意率 of the month against the month before (12345 definitions)."""
    from cockpit.domains.hotline.kpis import rates, totals

    card = _card("hotline", "12345热线", month_label(period), current)
    if not current.ok and current.frame.empty:
        return card
    now = rates(totals(current.frame))
    before = rates(totals(previous.frame)) if previous.ok else {}
    received, received_before = now.get("received") or 0, before.get("received")
    change = None if not received_before else (received / received_before - 1) * 100
    card.stats.append(
        Stat("受理量", number(received, 1), "件", f"环比 {change_text(change, 'percent')}")
    )
    for label, key in (("按时办结率", "on_time"), ("满意率", "satisfaction")):
        value, prev = now.get(key), before.get(key)
        diff = None if value is None or prev is None else value - prev
        status = (
            "none"
            if value is None
            else ("green" if value >= 90 else "yellow" if value >= 80 else "red")
        )
        card.stats.append(
            Stat(label, percent(value), "", f"比上月 {change_text(diff, 'rate')}", status)
        )
    return card


def key_work_card(
    result: Result,
    today: dt.date,
    rules: LightRules | None = None,
    milestones: pd.DataFrame | None = None,
) -> tuple[ModuleCard, pd.DataFrame]:
    """Counts of tasks by light (with the 重点工作 module's configured rules), and the tasks."""
    card = _card("key_work", "重点工作", f"截至{today:%m月%d日}", result)
    if result.frame.empty:
        return card, result.frame
    lit = with_lights(result.frame, today, rules, milestones)
    counts = lit["light"].value_counts()
    card.stats = [
        Stat("任务总数", str(len(lit)), "项"),
        Stat("红灯", str(int(counts.get("red", 0))), "项", "逾期、停滞、里程碑久拖", "red"),
        Stat(
            "黄灯",
            str(int(counts.get("yellow", 0))),
            "项",
            "滞后序时、里程碑逾期、反馈不及时",
            "yellow",
        ),
        Stat("已完成", str(int(counts.get("done", 0))), "项", "", "green"),
    ]
    return card, lit


def risk_card(result: Result) -> ModuleCard:
    """Warnings in force by level."""
    card = _card("risk", "风险管控", "在发布预警", result)
    if not result.ok and result.frame.empty:
        return card
    counts = (
        result.frame["level"].value_counts() if not result.frame.empty else pd.Series(dtype=int)
    )
    card.stats = [
        Stat(
            f"{LEVEL_NAMES[lv]}预警",
            str(int(counts.get(lv, 0))),
            "条",
            "",
            {1: "red", 2: "red", 3: "yellow", 4: "none"}[lv],
        )
        for lv in (1, 2, 3, 4)
    ]
    return card


def emergency_card(active: Result, year: Result, this_year: int) -> ModuleCard:
    """Events being handled now, and this year's events by level."""
    card = _card("emergency", "应急指挥", f"{this_year}年", active)
    if active.error and active.frame.empty:
        return card
    card.stats.append(
        Stat("正在处置", str(len(active.frame)), "起", "", "red" if len(active.frame) else "green")
    )
    if year.ok and not year.frame.empty:
        by_level = dict(zip(year.frame["level"], year.frame["events"], strict=True))
        card.stats.append(
            Stat(
                "本年事件",
                str(int(sum(by_level.values()))),
                "起",
                " ".join(f"{EVENT_LEVELS[k]}{int(v)}" for k, v in sorted(by_level.items())),
            )
        )
    return card


def attention_all(
    economy: ModuleCard,
    tasks: pd.DataFrame,
    warnings: Result,
    events: Result,
    weekly: Result,
    this_week: str,
    period: str | None = None,
    county: str | None = None,
) -> list[Attention]:
    """Everything that needs attention now, most urgent first, each linked to its screen and
    item (seen in `period` and `county`)."""

    def link(path: str, param: str, key: object) -> str:
        return item_link(path, param, str(key), period, county)

    items: list[Attention] = []
    if events.ok:
        for e in events.frame.itertuples():
            items.append(
                Attention(
                    1 if e.level <= 2 else 2,
                    "应急指挥",
                    f"{EVENT_LEVELS.get(e.level, '')}{e.title}（{e.status}）",
                    link("/emergency", "event", e.event_id),
                )
            )
    if warnings.ok:
        for w in warnings.frame.itertuples():
            if w.level <= 3:  # 红橙黄; 蓝色 is for the risk page
                items.append(
                    Attention(
                        w.level,
                        "风险管控",
                        f"{LEVEL_NAMES[w.level]}预警：{w.title}（{w.stage}）",
                        link("/risk", "warning", w.warning_id),
                    )
                )
    items += [
        Attention(2, "经济运行", text, link("/economy", "indicator", ind_id))
        for text, ind_id in economy.alerts
    ]
    if not tasks.empty:
        for t in tasks[tasks["light"] == "red"].itertuples():
            late = f"逾期{-t.days_left}天" if t.days_left < 0 else "反馈停滞"
            items.append(
                Attention(
                    2,
                    "重点工作",
                    f"{t.title}（{t.lead_unit}，{late}，进度{int(t.progress)}%）",
                    link("/key-work", "task", t.task_id),
                )
            )
    if weekly.ok and not weekly.frame.empty:
        frame = weekly.frame.rename(columns={"category_l2": "category"})
        for s in weekly_spikes(frame, this_week).itertuples():
            items.append(
                Attention(
                    2,
                    "12345热线",
                    f"上周{s.category}类诉求 {int(s.tickets)} 件，为近8周均值的 {s.ratio:g} 倍",
                    # the spike week's tickets of the category (the 12345 page's drill "hot")
                    link("/hotline", "drill", f"hot|{s.category}"),
                )
            )
    items.sort(key=lambda a: a.severity)
    return items


def not_connected_items(not_connected: tuple[tuple[str, str], ...]) -> list[Attention]:
    """A module whose data is not configured cannot raise anything, so an empty list would
    read as "nothing to attend to": it is listed as 未接入 instead."""
    return [
        Attention(
            3, module, f"{module}数据未接入（数据集 {dataset} 未配置），本屏无法判断该模块情况"
        )
        for module, dataset in not_connected
    ]


def shortlist(items: list[Attention], limit: int = 12, per_module: int = 3) -> list[Attention]:
    """Most urgent first, but no module may crowd out the others: at most `per_module` each,
    taken in rounds (every module's most urgent item, then every module's second, ...) so
    that the limit never drops a whole module while another shows three items."""
    by_module: dict[str, list[Attention]] = {}
    for item in sorted(items, key=lambda a: a.severity):
        by_module.setdefault(item.module, []).append(item)
    kept: list[Attention] = []
    for rank in range(per_module):
        for module_items in by_module.values():
            if rank < len(module_items) and len(kept) < limit:
                kept.append(module_items[rank])
    kept.sort(key=lambda a: a.severity)
    return kept


def attention_list(
    economy: ModuleCard,
    tasks: pd.DataFrame,
    warnings: Result,
    events: Result,
    weekly: Result,
    this_week: str,
    limit: int = 12,
    per_module: int = 3,
    not_connected: tuple[tuple[str, str], ...] = (),
) -> list[Attention]:
    """The shortlist of what needs attention now; then each (module, dataset) not connected,
    whatever the limit."""
    items = attention_all(economy, tasks, warnings, events, weekly, this_week)
    return shortlist(items, limit, per_module) + not_connected_items(not_connected)
