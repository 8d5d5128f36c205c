"""Gathering 要情专报 from the same data the screens show: each module's own queries and rules.

Every figure comes through the data hub (so the user's scope applies) and through the module
that shows it on screen: economy readings, 12345 KPI counts and hot topics, task lights,
warnings in force, active events. The sentences are written by sentences.py.

Which place a briefing is about comes from the server-side principal: a county user gets
their county's briefing, and a county outside their scope is refused (ScopeRefused), never
silently replaced.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pandas as pd

from cockpit import clock
from cockpit.domains.briefing.config import BriefingConfig
from cockpit.domains.briefing.sentences import (
    Briefing,
    EventItem,
    HotlineFigures,
    RedTask,
    Section,
    Spike,
    Topic,
    WarningItem,
    economy_lines,
    event_lines,
    hotline_lines,
    key_work_lines,
    warning_lines,
)
from cockpit.domains.economy.transform import Reading
from cockpit.formatting import freshness, span_label
from cockpit.hub import DataHub, Result
from cockpit.scope import Principal, current_principal
from data_sources.query import DatasetQuery, Filter, Measure

KINDS = ("daily", "weekly")
# The dataset each section stands on: one not configured is said to be 未接入 (never "none").
SECTION_DATASETS = {
    "economy": "economy.indicator_values",
    "hotline": "hotline.tickets",
    "key_work": "key_work.tasks",
    "risk": "risk.warnings",
    "emergency": "emergency.events",
}
SPAN_DAYS = {"daily": 1, "weekly": 7}
BEFORE_LABELS = {"daily": "前一日", "weekly": "前一周"}


class ScopeRefused(Exception):
    """The principal may not read the briefing of the place asked for."""


def config_of(hub: DataHub) -> BriefingConfig:
    """The module's validated settings (defaults when config/briefing.yaml has none)."""
    config = hub.module_config.get("briefing")
    return config if isinstance(config, BriefingConfig) else BriefingConfig()


def resolve_county(principal: Principal, county: str | None, counties: list[str]) -> str | None:
    """The county the briefing is about (None: the whole city), as the principal may see it.

    A whole-city user gets what they ask for; a county user gets their county when they ask
    for nothing, and a refusal when they ask for the city or a county outside their scope.
    """
    if county is not None and county not in counties:
        raise ScopeRefused(f"没有编码为 {county} 的县区")
    if principal.whole_city:
        return county
    allowed = [c for c in counties if principal.allows(c)]
    if not allowed:
        raise ScopeRefused("当前账号没有可查看的县区")
    if county is None:
        if len(allowed) == 1:
            return allowed[0]
        raise ScopeRefused("当前账号只能查看所辖县区的要情专报，请选择县区")
    if county not in allowed:
        raise ScopeRefused("无权查看该县区的要情专报")
    return county


def default_day(hub: DataHub) -> dt.date:
    """The date of issue: today, or the day after the newest 12345 data when the feed lags.

    A daily briefing issued on D covers D-1, so its figures are complete by the morning.
    """
    today = clock.today()
    stamp = hub.as_of("hotline.tickets") if hub.has("hotline.tickets") else None
    if stamp is None:
        return today
    return min(today, stamp.date() + dt.timedelta(days=1))


def span_end(day: dt.date, period: str | None) -> dt.date:
    """The day after the span a briefing covers: `day`, or the day after the selected 统计期
    (YYYY-MM) when that month ended before `day`, so the briefing follows the screens."""
    if not period:
        return day
    try:
        start = dt.date(int(period[:4]), int(period[5:7]), 1)
    except ValueError:
        return day  # not a month: the screens' selector never sends one; issue as of `day`
    after = (pd.Timestamp(start) + pd.offsets.MonthBegin(1)).date()
    return min(day, after)


def dated_span(first: dt.date, last: dt.date) -> str:
    """The days covered, with their year: 2026年11月19日 / 2026年12月28日—2027年1月3日."""
    if first.year == last.year:
        return f"{first.year}年{span_label(first, last)}"
    return f"{first.year}年{first.month}月{first.day}日—{last.year}年{last.month}月{last.day}日"


def build_briefing(
    hub: DataHub,
    kind: str = "daily",
    county: str | None = None,
    day: dt.date | None = None,
    principal: Principal | None = None,
    period: str | None = None,
) -> Briefing:
    """要情专报 of `kind` issued on `day` for `county` (None: the principal's default place),
    covering the selected 统计期 `period` (YYYY-MM) when given, as the screens show it.

    Warnings in force and events being handled are facts of the day of issue, whatever the
    period; the economy, 12345 and task figures are those of the span the period ends.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    principal = principal or current_principal()
    city = hub.settings.city
    codes = [c.code for c in city.counties]
    county = resolve_county(principal, county, codes)
    issued = day or default_day(hub)
    day = span_end(issued, period)
    first = day - dt.timedelta(days=SPAN_DAYS[kind])
    last = day - dt.timedelta(days=1)
    place = city.county_names.get(county, "全市") if county else "全市"
    briefing = Briefing(
        city=city.name,
        place=place,
        county=county,
        kind=kind,
        day=issued,
        first=first,
        last=last,
        is_demo=hub.is_demo(),
    )
    config = config_of(hub)
    parts: list[tuple[str, str, Callable[[], Section]]] = [
        ("economy", "一、经济运行", lambda: economy_section(hub, config, county, place, last)),
        (
            "hotline",
            "二、12345热线",
            lambda: hotline_section(hub, config, kind, county, place, day),
        ),
        ("key_work", "三、重点工作督办", lambda: key_work_section(hub, kind, county, place, day)),
        ("risk", "四、风险预警", lambda: risk_section(hub, config, county, place, issued)),
        ("emergency", "五、突发事件", lambda: emergency_section(hub, county, place, issued)),
    ]
    now = clock.now()
    for key, title, make in parts:
        dataset = SECTION_DATASETS[key]
        if not hub.has(dataset):
            # Not configured is not "nothing to report": say so, and build nothing from it.
            line = f"{title[2:]}数据未接入（数据集 {dataset} 未配置），本部分无法报告。"
            briefing.sections.append(Section(key, title, lines=[line]))
            continue
        try:
            section = make()
        except Exception as exc:
            section = Section(key, title, error=f"本部分生成失败（{type(exc).__name__}）")
        section.key, section.title = key, title
        if section.error and not section.lines:
            section.lines = [f"{section.error}，请以驾驶舱页面为准。"]
        late = overdue_line(hub, dataset, section.as_of, now)
        # A module may mark its own lateness in its own words (the economy section does):
        # one mark per section.
        if late and not any("已超期" in line for line in section.lines):
            section.lines.append(late)
        briefing.sections.append(section)
    domains = domains_section(hub, county, place, period or latest_month(last))
    if domains is not None:
        briefing.sections.append(domains)
    return briefing


def latest_month(day: dt.date) -> str:
    """The month a day falls in, YYYY-MM (the configured domains' 统计期 without a period)."""
    return day.strftime("%Y-%m")


def domains_section(hub: DataHub, county: str | None, place: str, period: str) -> Section | None:
    """六、其他领域: one paragraph per domain defined in config/domains/ (「生态环境方面，……。」),
    from the same rules as its page; a domain whose source fails says so in its paragraph."""
    from cockpit.domains.configured import loader
    from cockpit.domains.configured.summary import paragraph
    from cockpit.formatting import chinese_numeral

    shown = [d for d in loader.domains() if d.briefing]
    if not shown:
        return None
    number = chinese_numeral(len(SECTION_DATASETS) + 1)
    section = Section("domains", f"{number}、其他领域")
    for domain in shown:
        try:
            section.lines.append(paragraph(hub, domain, period, county, place))
        except Exception as exc:  # one domain failing does not take the briefing with it
            section.lines.append(
                f"{domain.title}方面，本部分生成失败（{type(exc).__name__}），请以驾驶舱页面为准。"
            )
    return section


def overdue_line(
    hub: DataHub, dataset: str, as_of: dt.datetime | None, now: dt.datetime
) -> str | None:
    """'（本部分数据截至 2024-04-15，已超期915天，以上为最近一次的数据。）' when the section's data is
    past the dataset's allowed age (the hub's own rule, Result.late_by), else None."""
    probe = Result(dataset, pd.DataFrame(), "", False, as_of=as_of, max_age=hub.max_age(dataset))
    late = probe.late_by(now)
    if late is None:
        return None
    # freshness() is the overview's wording; its " · " separator has no glyph in the PDF font.
    text = freshness(as_of, late).replace(" · ", "，")
    return f"（本部分{text}，以上为最近一次的数据。）"


# -- each module ---------------------------------------------------------------------------------
def latest_period(hub: DataHub, until: dt.date) -> str | None:
    """The newest month with released economic figures, at or before `until`'s month."""
    answer = hub.query(
        "economy.indicator_values",
        DatasetQuery(
            filters=(Filter("period", "le", f"{until:%Y-%m}"),),
            measures=(Measure("latest", "max", "period"),),
        ),
        with_as_of=False,
    )
    if not answer.ok or answer.frame.empty:
        return None
    value = answer.frame["latest"].iloc[0]
    return value if isinstance(value, str) else None


def economy_section(
    hub: DataHub, config: BriefingConfig, county: str | None, place: str, last: dt.date
) -> Section:
    """The main indicators of the latest released month, read by the economy domain's
    build_readings: the function the economy screen shows its figures from."""
    from cockpit.domains.economy.readings import build_readings
    from cockpit.domains.economy.readings import config_of as economy_config

    section = Section("economy", "")
    period = latest_period(hub, last)
    if period is None:
        section.lines = ["经济运行：暂无已发布的指标数据。"]
        return section
    page = build_readings(hub, period, county)
    section.as_of = hub.as_of("economy.indicator_values")
    section.error = page.error
    wanted = config.indicators or [i.id for i in hub.settings.indicators]
    # Each sentence names its period with the year (2023年全年, 2026年1-10月): a briefing read
    # in 2026 about 2023's figures must not say just 全年.
    readings = [with_year(r) for r in page.readings if r.indicator_id in wanted]
    readings.sort(key=lambda r: wanted.index(r.indicator_id))
    extras = economy_config(hub)
    words = {
        r.indicator_id: (
            extras.extras(r.indicator_id).rise_word,
            extras.extras(r.indicator_id).fall_word,
        )
        for r in readings
    }
    section.lines = economy_lines(readings, place, words)
    if page.late_by is not None:  # the overview's rule and wording (cockpit.formatting.overdue)
        section.lines.insert(0, f"经济运行{page.freshness}，以下为最近一次发布的数据。")
    return section


def with_year(r: Reading) -> Reading:
    """The reading with its period label year-qualified (全年 -> 2023年全年)."""
    if not r.period or not r.label or r.label == "—" or r.label.startswith(r.period[:4]):
        return r
    return replace(r, label=f"{r.period[:4]}年{r.label}")


def dated(lines: list[str], day: dt.date) -> list[str]:
    """The lines with the first one dated '截至2026年11月20日，' (a fact of that day)."""
    if not lines:
        return lines
    return [f"截至{day.year}年{day.month}月{day.day}日，{lines[0]}", *lines[1:]]


def hotline_section(
    hub: DataHub,
    config: BriefingConfig,
    kind: str,
    county: str | None,
    place: str,
    day: dt.date,
) -> Section:
    """受理量 and its change, two rates, the main topics and the week's spikes."""
    from cockpit.domains.hotline import data, kpis
    from cockpit.domains.hotline.config import module_config
    from cockpit.domains.hotline.drill import Context
    from cockpit.domains.hotline.hot_words import hot_keywords
    from cockpit.domains.hotline.transform import last_complete_week, weekly_ratios, weekly_spikes

    hot = module_config(hub)
    section = Section("hotline", "")
    now = data.now_of(hub)
    span = dt.timedelta(days=SPAN_DAYS[kind])
    end = dt.datetime.combine(day, dt.time())
    current = kpis.Window(end - span, end, "")
    before = kpis.Window(end - 2 * span, end - span, "")
    counts = data.kpi_counts(hub, hot, current, now, county)
    counts_before = data.kpi_counts(hub, hot, before, now, county)
    section.as_of = counts.as_of
    section.error = counts.error or ""
    values = kpis.rates(kpis.totals(counts.frame))
    earlier = kpis.rates(kpis.totals(counts_before.frame))
    categories = data.categories(hub, current, county)
    topics: tuple[Topic, ...] = ()
    if not categories.frame.empty:
        top = (
            categories.frame.groupby("category_l2")["tickets"]
            .sum()
            .sort_values(ascending=False, kind="stable")
            .head(config.topics)
        )
        topics = tuple(Topic(str(name), float(n)) for name, n in top.items() if n > 0)
    # The spikes: the last complete week before the date of issue, as the 12345 screen has it.
    week = last_complete_week(min(now, end))
    weekly = data.weekly(hub, hot, week, county).frame.rename(columns={"category_l2": "category"})
    this_week = week.strftime("%Y-%m-%d")
    spikes = weekly_spikes(
        weekly,
        this_week,
        ratio=hot.hot_topics.ratio,
        min_count=hot.hot_topics.min_count,
        baseline_weeks=hot.hot_topics.baseline_weeks,
    ).head(config.spikes)
    words: tuple[str, ...] = ()
    if not spikes.empty and config.keywords:
        context = Context(hot, current, now, dict(hub.settings.city.county_names), week)
        ratios = weekly_ratios(weekly, this_week, hot.hot_topics.baseline_weeks)
        if not ratios.empty:
            found, _note, _samples = hot_keywords(
                hub, context, weekly, this_week, tuple(spikes["category"]), county
            )
            if not found.empty:
                hot_words = found[found["hot"]] if found["hot"].any() else found.head(0)
                words = tuple(hot_words["word"].head(config.keywords))
    figures = HotlineFigures(
        span=dated_span(current.start.date(), (current.end - dt.timedelta(days=1)).date()),
        before_label=BEFORE_LABELS[kind],
        received=values.get("received") if not counts.error else None,
        received_before=earlier.get("received") if not counts_before.error else None,
        on_time=values.get("on_time"),
        on_time_before=earlier.get("on_time"),
        satisfaction=values.get("satisfaction"),
        satisfaction_before=earlier.get("satisfaction"),
        topics=topics,
        hot_week=f"上周（{dated_span(week.date(), (week + dt.timedelta(days=6)).date())}）",
        baseline_weeks=hot.hot_topics.baseline_weeks,
        spikes=tuple(
            Spike(str(s.category), float(s.tickets), float(s.baseline), float(s.ratio))
            for s in spikes.itertuples()
        ),
        keywords=words,
    )
    section.lines = hotline_lines(figures, place)
    return section


def key_work_section(
    hub: DataHub, kind: str, county: str | None, place: str, day: dt.date
) -> Section:
    """Tasks by light on the date of issue, and those that were not red when the span began."""
    from cockpit.domains.key_work import data
    from cockpit.domains.key_work.supervision import config as key_work_config
    from cockpit.domains.key_work.transform import light_counts, light_reason, with_lights

    rules = key_work_config(hub).lights.rules()
    result = data.tasks(hub, county)
    section = Section("key_work", "", as_of=result.as_of, error=result.error or "")
    if result.error and result.frame.empty:
        return section
    start = day - dt.timedelta(days=SPAN_DAYS[kind])
    # The same lights as the 重点工作 page and the overview: milestones count where readable.
    milestones, _ = data.usable_milestones(data.milestones(hub, county))
    now = with_lights(result.frame, day, rules, milestones)
    then = with_lights(result.frame, start, rules, milestones).set_index("task_id")["light"]
    red = now[now["light"] == "red"]
    turned = [
        RedTask(str(row["title"]), str(row["lead_unit"]), light_reason(row, day, rules))
        for row in red.to_dict("records")
        if then.get(row["task_id"]) != "red"
    ]
    lines = key_work_lines(light_counts(now), turned, BEFORE_LABELS[kind], place, limit=5)
    section.lines = dated(lines, day)
    return section


def risk_section(
    hub: DataHub, config: BriefingConfig, county: str | None, place: str, day: dt.date
) -> Section:
    """Warnings in force: the sources' and the cockpit's own, as the risk screen shows them."""
    from cockpit.domains.key_work.supervision import config as key_work_config
    from cockpit.domains.risk.config import RiskConfig
    from cockpit.domains.risk.warnings import in_force, place_names

    risk_config = hub.module_config.get("risk") or RiskConfig()
    lights = key_work_config(hub).lights.rules()
    view = in_force(hub, risk_config, county, day, lights)
    section = Section("risk", "", as_of=view.source.as_of, error=view.source.error or "")
    names = place_names(hub)
    items = [
        WarningItem(
            level=int(w.level),
            title=str(w.title),
            place=w.place if isinstance(w.place, str) and w.place else names.get(w.county_code, ""),
            unit=str(w.responsible_unit) if isinstance(w.responsible_unit, str) else "",
            stage=str(w.stage),
        )
        for w in view.frame.itertuples()
    ]
    if view.source.error and not view.source.stale:
        # The warnings system did not answer: its warnings are unknown, never "none in force"
        # (the error line is written by build_briefing).
        return section
    section.lines = dated(warning_lines(items, place, config.named_warning_levels), day)
    return section


def emergency_section(hub: DataHub, county: str | None, place: str, day: dt.date) -> Section:
    """Events not yet ended, as the emergency screen lists them."""
    from cockpit.domains.emergency import data

    bound = data.window_bound(clock.now(), 60)
    seen = data.events_probe(hub, county, bound)
    result = data.active_events(hub, county, seen, bound)
    section = Section("emergency", "", as_of=result.as_of, error=result.error or "")
    if result.error and result.frame.empty:
        return section
    names = hub.settings.city.county_names
    items = [
        EventItem(
            level=int(e["level"]),
            title=str(e["title"]),
            place=e["place"] if isinstance(e["place"], str) else names.get(e["county_code"], ""),
            status=str(e["status"]),
            response_level=_int(e.get("response_level")),
            deaths=_int(e.get("deaths")),
            injuries=_int(e.get("injuries")),
        )
        for e in result.frame.to_dict("records")
    ]
    section.lines = dated(event_lines(items, place), day)
    return section


def _int(value: Any) -> int | None:
    return None if value is None or pd.isna(value) else int(value)
