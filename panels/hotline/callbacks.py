"""The 12345 page's callbacks: thin wrappers over one builder per panel.

Each builder fetches through the hub (data.py), hands the frames to pure functions
(kpis.py, transform.py, keywords.py, masking.py) and renders them (figures.py). Builders are
plain functions of (hub, filters), so tests call them directly as well as over HTTP.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from typing import Any, TypeGuard

import pandas as pd
from dash import Dash, Input, Output, State, ctx, html, no_update

from cockpit import clicks, ids, links, maps, phone, theme, townships
from cockpit.domains.hotline import data, kpis
from cockpit.domains.hotline.config import HotlineConfig, module_config
from cockpit.domains.hotline.drill import (
    Context,
    caller_variant,
    resolve_or_default,
    sla_label,
)
from cockpit.domains.hotline.hot_words import hot_keywords
from cockpit.domains.hotline.masking import caller_labels, mask_frame, masked_caller_labels
from cockpit.domains.hotline.transform import (
    GRANULARITIES,
    category_tree,
    county_ranking,
    last_complete_week,
    period_windows,
    repeat_callers,
    repeat_groups,
    shares,
    unit_board,
    volume_range,
    volume_series,
    weekday_hour_matrix,
    weekly_ratios,
    weekly_spikes,
)
from cockpit.domains.hotline.unmask import reveal
from cockpit.hub import DataHub, Result
from cockpit.maps import county_map, county_outlines
from cockpit.outputs import cached_output, call_cached
from cockpit.scope import DENIED_TEXT, SEE_PERSONAL, current_principal, redact_peers
from cockpit.shell import screen_county
from data_sources.query import BucketUnit
from panels.hotline import figures
from panels.hotline.layout import layout

_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
Section = tuple[Any, str, list]  # (body, period text, foot)


# -- shared helpers ------------------------------------------------------------------------------
def valid_period(period: object) -> TypeGuard[str]:
    """A YYYY-MM month (anything else from the browser is ignored)."""
    return isinstance(period, str) and bool(_PERIOD.match(period))


def context(hub: DataHub, period: str) -> Context:
    """What drills and windows are resolved against: config, the period's window, the data's now."""
    now = data.now_of(hub)
    return Context(
        config=module_config(hub),
        window=period_windows(period, now)["current"],
        now=now,
        counties=dict(hub.settings.city.county_names),
        hot_week=last_complete_week(now),
    )


def _foot(*results: Result) -> list:
    """数据截至 of the first answer, and the first error among them."""
    failed = next((r for r in results if r.error), None)
    as_of = next((r.as_of for r in results if r.as_of is not None), None)
    if failed is not None:
        return figures.foot(as_of or failed.as_of, failed.error, failed.stale)
    return figures.foot(as_of)


def _place(hub: DataHub, county: str | None) -> str:
    return hub.settings.city.county_names.get(county, "全市") if county else "全市"


# -- KPI cards -----------------------------------------------------------------------------------
def kpi_values(
    hub: DataHub, config: HotlineConfig, period: str, county: str | None
) -> tuple[dict[str, dict[str, float | None]], dict[str, kpis.Window], list[Result], dict]:
    """KPI values of the period, the period before and last year's, with the answers behind them."""
    now = data.now_of(hub)
    windows = period_windows(period, now)
    values: dict[str, dict[str, float | None]] = {}
    results: list[Result] = []
    channels: dict[str, float] = {}
    for name, window in windows.items():
        if window.empty:
            values[name] = {}
            continue
        counts = data.kpi_counts(hub, config, window, now, county)
        hist = data.handling(hub, config, window, county)
        results += [counts, hist]
        values[name] = kpis.kpi_values(counts.frame, hist.frame)
        if name == "current":
            channels = kpis.channel_counts(counts.frame, config.definitions)
    return values, windows, results, channels


def kpi_section(hub: DataHub, period: str, county: str | None) -> Section:
    """The KPI cards, their period line and their foot."""
    config = module_config(hub)
    values, windows, results, channels = kpi_values(hub, config, period, county)
    current, before, last_year = (values.get(k, {}) for k in ("current", "previous", "last_year"))
    cards = []
    for kpi in kpis.KPIS:
        value = current.get(kpi.key)
        cards.append(
            figures.kpi_card(
                kpi,
                value,
                kpis.change(kpi, value, before.get(kpi.key)),
                kpis.change(kpi, value, last_year.get(kpi.key)),
                kpis.definition(kpi.key, config.definitions),
                kpis.status(kpi, value, config.target(kpi.key)),
                figures.channel_note(channels) if kpi.key == "received" else "",
            )
        )
    w = windows
    period_text = (
        f"{w['current'].label} · {_place(hub, county)} · 环比{w['previous'].label} · "
        f"同比{w['last_year'].label}"
    )
    if w["current"].empty:
        return figures.empty("所选统计期尚未开始"), period_text, _foot(*results)
    return cards, period_text, _foot(*results)


# -- charts --------------------------------------------------------------------------------------
def volume_section(
    hub: DataHub, period: str, county: str | None, granularity: str
) -> tuple[Any, str, list]:
    """Tickets received per day (the period), week (26 weeks) or month (24 months)."""
    # One of GRANULARITIES (typed as bucket units), anything else: day.
    unit: BucketUnit = next((g for g in GRANULARITIES if g == granularity), "day")
    window = period_windows(period, data.now_of(hub))["current"]
    start, end = volume_range(unit, window)
    if end <= start:
        return figures.blank(), "所选统计期尚未开始", figures.foot(None)
    result = data.volume(hub, unit, start, end, county)
    series = volume_series(result.frame, unit, start, end)
    if result.error and result.frame.empty:
        return figures.blank(), "", _foot(result)
    text = f"{series['bucket'].iloc[0]} 至 {series['bucket'].iloc[-1]} · {_place(hub, county)}"
    return figures.volume_figure(series, unit), text, _foot(result)


def pattern_section(hub: DataHub, period: str, county: str | None) -> tuple[Any, str, list]:
    """Tickets of the period by weekday and hour."""
    window = period_windows(period, data.now_of(hub))["current"]
    if window.empty:
        return figures.blank(), "所选统计期尚未开始", figures.foot(None)
    result = data.weekday_hours(hub, window, county)
    if result.frame.empty:
        return figures.blank(), window.label, _foot(result)
    figure = figures.pattern_figure(weekday_hour_matrix(result.frame))
    return figure, f"{window.label} · {_place(hub, county)}", _foot(result)


def category_section(
    hub: DataHub, period: str, county: str | None
) -> tuple[Any, Any, Any, str, list]:
    """The category tree, 诉求类型 and 受理渠道 of the period."""
    config = module_config(hub)
    now = data.now_of(hub)
    window = period_windows(period, now)["current"]
    if window.empty:
        return (
            figures.blank(),
            figures.blank(),
            figures.blank(),
            "所选统计期尚未开始",
            figures.foot(None),
        )
    result = data.categories(hub, window, county)
    counts = data.kpi_counts(hub, config, window, now, county)  # the KPI cards' query: cached
    frame = result.frame
    channels = kpis.channel_counts(counts.frame, config.definitions)
    channel_frame = pd.DataFrame({"channel": list(channels), "tickets": list(channels.values())})
    tree = category_figure_or_blank(frame)
    appeals = (
        figures.share_bars(shares(frame, "appeal_type"), theme.ACCENT)
        if not frame.empty
        else figures.blank()
    )
    chans = (
        figures.share_bars(shares(channel_frame, "channel"), "#2fd28a")
        if channels
        else figures.blank()
    )
    return tree, appeals, chans, f"{window.label} · {_place(hub, county)}", _foot(result, counts)


def category_figure_or_blank(frame: pd.DataFrame) -> Any:
    """The treemap, or an empty figure when there are no tickets."""
    return figures.category_figure(category_tree(frame)) if not frame.empty else figures.blank()


# -- counties and units --------------------------------------------------------------------------
def map_section(
    hub: DataHub,
    period: str,
    county: str | None,
    metric: str,
    measure: str | None = None,
    below: bool = False,
) -> tuple[Any, Any, str, list]:
    """The county map coloured by a metric (受理量 also per 10,000 residents), and the county
    ranking table; with `below`, a chosen county's townships where the city has them."""
    return map_view(hub, period, county, metric, measure, below)[1:]


def map_view(
    hub: DataHub,
    period: str,
    county: str | None,
    metric: str,
    measure: str | None = None,
    below: bool = True,
) -> tuple[str, Any, Any, str, list]:
    """(boundary file, map, ranking, heading, foot): the townships of a chosen county where
    it drills down (township_section), else the counties."""
    path = str(hub.settings.city.map_path())
    metric = metric if metric in figures.RANK_METRICS else "received"
    config = module_config(hub)
    now = data.now_of(hub)
    window = period_windows(period, now)["current"]
    if window.empty:
        return path, figures.blank(), figures.empty("所选统计期尚未开始"), "", figures.foot(None)
    if county and below:
        townships_view = township_section(hub, config, window, now, county, metric, measure)
        if townships_view is not None:
            return (str(townships.township_path(hub.settings)), *townships_view)
    # Every county is counted and ranked on the server (a county user's rank is the city's
    # truth); what the user may not see is blanked before it is drawn.
    result = data.by_group(hub, config, window, now, "county_code", peers=True)
    names = dict(hub.settings.city.county_names)
    ranking = county_ranking(result.frame, names, metric)
    ranking = redact_peers(
        ranking, hub.visible_places(data.TICKETS, hub.principal()), keep=("name",)
    )
    denied = dict(zip(ranking.county_code, ranking.denied, strict=True))
    values = {
        r.county_code: (
            None if r.denied or pd.isna(getattr(r, metric)) else float(getattr(r, metric))
        )
        for r in ranking.itertuples()
    }
    label, unit = figures.RANK_METRICS[metric]
    texts = {
        code: DENIED_TEXT
        if denied[code]
        else figures.metric_text(metric, value)
        + ("件" if metric == "received" and value is not None else "")
        for code, value in values.items()
    }
    outlines = county_outlines(path)
    # A rate per resident is for counts (受理量), not for rates already (办结率, 满意率).
    people = maps.population(hub.settings) if measure == maps.PER_10K and unit != "%" else None
    figure = county_map(outlines, values, texts, county, unit=unit, title=label, people=people)
    table = figures.county_table(ranking, metric, county)
    heading = f"{window.label} · {label}（{unit}）"
    if people is not None:
        heading = f"{window.label} · {label} 每万人（{unit}/万人）"
    return path, figure, table, heading, _foot(result)


def township_section(
    hub: DataHub,
    config: HotlineConfig,
    window: Any,
    now: dt.datetime,
    county: str,
    metric: str,
    measure: str | None = None,
) -> tuple[Any, Any, str, list] | None:
    """A chosen county's townships on the map and in the ranking (cockpit.townships); None
    where the city has no township file, the county none in it, or the data no township codes
    for it: the county then stays the lowest level.

    Only a county of the user's own scope drills down; its townships are counted within it
    (the hub adds the scope from the session again), so a forged county shows nothing more."""
    names = townships.townships_of(hub.settings, county)
    if not names or county not in hub.visible_places(data.TICKETS, hub.principal()):
        return None
    result = data.by_group(hub, config, window, now, townships.TOWNSHIP_COLUMN, county)
    counts = townships.township_counts(result.frame, names)
    if counts.empty:
        return None
    ranking = county_ranking(counts, names, metric)
    values = {
        r.county_code: None if pd.isna(getattr(r, metric)) else float(getattr(r, metric))
        for r in ranking.itertuples()
    }
    label, unit = figures.RANK_METRICS[metric]
    texts = {
        code: figures.metric_text(metric, value)
        + ("件" if metric == "received" and value is not None else "")
        for code, value in values.items()
    }
    path = str(townships.township_path(hub.settings))
    figure = county_map(
        county_outlines(path), values, texts, unit=unit, title=label, codes=set(names)
    )
    table = figures.county_table(ranking, metric, None, level="乡镇（街道）")
    heading = f"{window.label} · {_place(hub, county)}各乡镇（街道）{label}（{unit}）"
    if measure == maps.PER_10K and unit != "%":  # no residents per township are configured
        heading += " · 乡镇（街道）无常住人口数据，显示总量"
    return figure, table, heading, _foot(result)


def unit_section(hub: DataHub, period: str, county: str | None) -> Section:
    """The responsible units' 红黑榜 of the period."""
    config = module_config(hub)
    now = data.now_of(hub)
    window = period_windows(period, now)["current"]
    if window.empty:
        return figures.empty("所选统计期尚未开始"), "", figures.foot(None)
    result = data.by_group(hub, config, window, now, "responsible_unit", county)
    red, black = unit_board(result.frame, config.ranking.min_tickets, config.ranking.size)
    text = (
        f"{window.label} · {_place(hub, county)} · 应办结≥{config.ranking.min_tickets}件的单位，"
        "按按时办结率与满意率均值排名"
    )
    return figures.unit_board(red, black), text, _foot(result)


# -- deadline clocks -----------------------------------------------------------------------------
def sla_section(hub: DataHub, period: str, county: str | None) -> Section:
    """Open tickets near or past their deadline, now (not the period: clocks run in the present)."""
    c = context(hub, period)
    counts = data.sla_counts(hub, c, county)
    urgent = data.sla_urgent(hub, c, county)
    row = counts.frame.iloc[0].to_dict() if not counts.frame.empty else {}
    values = {
        k: (None if pd.isna(row.get(k)) else float(row[k]))
        for k in ("overdue", "soon", "warn", "sign")
        if k in row
    }
    labels = {b: sla_label(b, c) for b in ("overdue", "soon", "warn", "sign")}
    body = figures.sla_view(values, labels, urgent.frame, c.counties, c.now)
    text = f"截至 {c.now:%Y-%m-%d %H:%M} · {_place(hub, county)} · 在办工单"
    return body, text, _foot(counts, urgent)


# -- hot topics ----------------------------------------------------------------------------------
def hot_section(hub: DataHub, period: str, county: str | None) -> Section:
    """Categories and keywords of the last complete week against their own baseline weeks."""
    c = context(hub, period)
    hot = c.config.hot_topics
    week = c.hot_week
    result = data.weekly(hub, c.config, week, county)
    weekly = result.frame.rename(columns={"category_l2": "category"})
    this_week = week.strftime("%Y-%m-%d")
    ratios = weekly_ratios(weekly, this_week, hot.baseline_weeks)
    spikes = weekly_spikes(
        weekly,
        this_week,
        ratio=hot.ratio,
        min_count=hot.min_count,
        baseline_weeks=hot.baseline_weeks,
    )
    chosen = tuple(spikes["category"].head(3)) if not spikes.empty else ()
    words, note = pd.DataFrame(), ""
    samples: list[Result] = []
    if not ratios.empty:
        words, note, samples = hot_keywords(hub, c, weekly, this_week, chosen, county)
    end = week + dt.timedelta(days=6)
    text = (
        f"{week:%m月%d日}—{end:%m月%d日} · {_place(hub, county)} · 对比前{hot.baseline_weeks}周均值"
    )
    body = figures.hot_view(ratios, set(chosen), words, note, hot.baseline_weeks)
    return body, text, _foot(result, *samples)


# -- repeat complaints ---------------------------------------------------------------------------
REPEAT_GROUPS_PER_ROW = 6  # (caller, category) groups read per caller row shown


def shown_callers(callers: pd.DataFrame) -> pd.DataFrame:
    """Callers as the page shows them: a distinct masked label each, the raw number dropped."""
    from flask import current_app

    labels = caller_labels(
        list(callers["citizen_name"]),
        list(callers["citizen_phone"]),
        key=str(current_app.config.get("SECRET_KEY") or ""),
    )
    return callers.drop(columns=["citizen_phone", "citizen_name"]).assign(caller=labels)


KEPT = ("name_masked", "phone_masked")  # what the rollup keeps of a caller besides the hash


def rollup_callers(callers: pd.DataFrame) -> pd.DataFrame:
    """Callers from the rollup as the page shows them: the same labels as shown_callers."""
    labels = masked_caller_labels(
        list(callers["name_masked"]), list(callers["phone_masked"]), list(callers["caller_key"])
    )
    return callers.drop(columns=["caller_key", *KEPT]).assign(caller=labels)


def repeat_section(hub: DataHub, period: str, county: str | None) -> Section:
    """The repeat share of the period and the callers (masked) or addresses that repeat most."""
    config = module_config(hub)
    now = data.now_of(hub)
    window = period_windows(period, now)["current"]
    if window.empty:
        return figures.empty("所选统计期尚未开始"), "", figures.foot(None)
    key = config.definitions.repeat_key
    rows = config.lists.repeat_rows
    by_caller = key == "citizen_phone"
    # By caller, one row per person: a caller's groups in several categories are gathered, so
    # more groups are read than rows shown (the list is the callers with most repeats among
    # the largest groups).
    # By caller, the groups come from the repeat-callers rollup where the source keeps one
    # (masked labels and keyed hashes, no citizen's row read); else from the rows, by phone.
    limit = rows * REPEAT_GROUPS_PER_ROW
    groups = data.repeat_callers_rollup(hub, window, county, limit) if by_caller else None
    from_rollup = groups is not None
    if groups is None:
        groups = data.repeat_groups(hub, config, window, county, limit=limit if by_caller else None)
    counts = data.kpi_counts(hub, config, window, now, county)  # cached: the KPI cards' query
    share = kpis.rates(kpis.totals(counts.frame)).get("repeat_rate")
    if groups.frame.empty:
        masked = groups.frame
    elif from_rollup:
        masked = rollup_callers(repeat_callers(groups.frame, rows, "caller_key", KEPT))
    elif by_caller:
        masked = shown_callers(repeat_callers(groups.frame, rows))
    else:
        masked = repeat_groups(mask_frame(groups.frame))
    by = "同一来电人" if key == "citizen_phone" else "同一地址"
    head = html.P(
        [
            html.Span("重复诉求率 ", className="kpi-label"),
            html.Span(
                figures.value_text(kpis.KPI_BY_KEY["repeat_rate"], share), className="repeat-share"
            ),
            html.Span(f"（{by}同类诉求，统计期内第二次起）", className="panel-note"),
        ],
        className="repeat-head",
    )
    body = html.Div([head, figures.repeat_view(masked, key)])
    most = f"重复最多的前{rows}位来电人" if by_caller else f"诉求最多的前{rows}组"
    text = f"{window.label} · {_place(hub, county)} · {most}"
    return body, text, _foot(counts, groups)


# -- the ticket list -----------------------------------------------------------------------------
def variant_options(hub: DataHub, key: object, period: str) -> tuple[list[dict], str]:
    """The lists a drill offers, as radio options, and the first one."""
    drill = resolve_or_default(key, context(hub, period))
    options = [{"label": v.label, "value": v.key} for v in drill.variants]
    return options, drill.variants[0].key


def list_section(
    hub: DataHub,
    key: object,
    variant_key: str | None,
    period: str,
    county: str | None,
    page: int,
) -> tuple[str, Any, str, int, list]:
    """(title, table, pager text, page, foot): one page of masked tickets behind a number."""
    if not current_principal().can(SEE_PERSONAL):
        # Wall screens and other display accounts: figures only, never rows about citizens.
        return "工单明细", figures.empty("当前账号无权查看工单明细"), "", 0, figures.foot(None)
    c = context(hub, period)
    drill = resolve_or_default(key, c)
    variant = drill.variant(variant_key)
    personal = False
    if drill.caller_ticket:
        found = data.caller_of(hub, drill.caller_ticket)
        if found is None:
            return drill.title, figures.empty("未找到该来电人的工单"), "", 0, figures.foot(None)
        variant = caller_variant(found[0], found[1], c.window)
        personal = True
    place = drill.county or county
    filters = (*variant.filters, *data.county_filter(place))
    size = c.config.lists.page_size
    count = data.list_count(hub, filters, personal)
    total = int(count.frame["tickets"].iloc[0]) if not count.frame.empty else 0
    pages = max(1, math.ceil(total / size))
    page = min(max(int(page or 0), 0), pages - 1)
    when = c.window.label if drill.period_bound else ""
    where = "" if drill.county else _place(hub, place)  # a county drill is titled by its county
    title = " · ".join(t for t in (drill.title, variant.label, when, where) if t)
    if count.error:
        return title, figures.empty("工单明细暂不可用"), "", 0, _foot(count)
    rows = data.list_page(hub, filters, variant.order_by, page, size)
    if rows.error:
        return title, figures.empty("工单明细暂不可用"), "", page, _foot(rows)
    masked = mask_frame(rows.frame)  # before anything is rendered: raw values stay here
    table = (
        figures.ticket_table(masked, c.counties, _supervisable(hub, rows.frame))
        if total
        else figures.empty("没有符合条件的工单")
    )
    pager = f"第 {page + 1} / {pages} 页 · 共 {total:,} 件"
    as_of = hub.as_of(data.TICKETS)
    return title, table, pager, page, figures.foot(as_of)


def _supervisable(hub: DataHub, frame: pd.DataFrame) -> frozenset[str]:
    """The tickets of this page a 督办 button is offered on: past their deadline or 重办,
    for users who may 督办 (the server checks again on the click)."""
    from cockpit.domains.key_work.duban import ticket_reason
    from cockpit.domains.key_work.supervision import config, may_act

    if not may_act(current_principal(), config(hub)) or "deadline" not in frame:
        return frozenset()
    now = data.now_of(hub)
    return frozenset(
        str(t["ticket_id"]) for t in frame.to_dict("records") if ticket_reason(t, now) is not None
    )


def drill_key_for(trigger: Any, value: Any, granularity: str | None) -> str | None:
    """The drill key a click stands for; None when nothing was clicked."""
    if isinstance(trigger, dict):
        return ids.triggered_key(trigger, "key") if value else None
    if not value or not isinstance(value, dict) or not value.get("points"):
        return None
    point = value["points"][0]
    custom = point.get("customdata")
    if isinstance(custom, list):
        custom = custom[0] if custom else None
    if custom in (None, ""):
        return None
    custom = str(custom)
    if trigger == "hotline-map":
        # A township of a drilled-down county (9 digits) is no county: the list stays as it is.
        return f"county|{custom}" if len(custom) == 6 else None
    if trigger == "hotline-categories":
        return f"category|{custom}"
    if trigger == "hotline-volume":
        return f"bucket|{granularity or 'day'}:{custom}"
    if trigger == "hotline-appeals":
        return f"appeal|{custom}"
    if trigger == "hotline-channels":
        return f"channel|{custom}"
    return None


def when_seen(shown: bool | None, answer: Any, body: int) -> tuple:
    """A folded panel's answer with its first `body` outputs (charts, tables) held back while
    its fold is unseen (shown is False: folded on a phone, cockpit.phone.seen); its period and
    数据截至 lines are sent (on a change of period or county). None (no fold on the page)
    counts as seen."""
    answer = tuple(answer) if isinstance(answer, (list, tuple)) else (answer,)
    if shown is not False:
        return answer
    return (no_update,) * body + answer[body:]


def first_layout(hub: DataHub, period: str, county: str) -> Any:
    """The page drawn with its KPI cards for the period and county it opens on, in the
    user's scope (the hub reads it from the session): the first screen of a phone, and its
    largest paint, arrive with the page's layout instead of after the router's and the KPI
    callbacks (issue #20 item 7). The same cache entry as the KPI callback's."""

    def answer(period: str, county: str) -> Any:
        return kpi_section(hub, period, screen_county(county))

    filled = call_cached(hub, "hotline-kpis", answer, (period, county), {})
    return layout(tuple(filled))


# -- wiring --------------------------------------------------------------------------------------
def register_callbacks(app: Dash, hub: DataHub) -> None:
    """Wire every panel to the global filters, and every number to the ticket list."""
    filters = (Input("filter-period", "value"), Input("filter-county", "value"))

    def section(key: str, builder: Any, *extra: Any, folded: bool = True) -> None:
        @cached_output(hub, f"hotline-{key}")  # sections that read personal data never are
        def answer(period, county, *args):
            """The panel for the selected period and county."""
            if not valid_period(period):
                return no_update, no_update, no_update
            return builder(hub, period, screen_county(county), *args)

        outputs = (
            Output(f"hotline-{key}", "children"),
            Output(f"hotline-{key}-period", "children"),
            Output(f"hotline-{key}-foot", "children"),
        )
        if not folded:
            # The page comes drawn with this section for the selectors' first values
            # (first_layout): only a change of period or county is answered here.
            app.callback(*outputs, *filters, *extra, prevent_initial_call=True)(answer)
            return

        # Not at load: a folded section is answered when its fold is seen (at once on a wider
        # screen, when tapped on a phone); its period and 数据截至 lines are hidden while it is
        # folded, and each answer at load cost the phone's first render (issue #20 item 7).
        @app.callback(*outputs, *filters, *extra, phone.seen(key), prevent_initial_call=True)
        def update(period, county, *args):
            """The panel, its body drawn once its fold is seen."""
            *args, shown = args
            return when_seen(shown, answer(period, county, *args), 1)

    section("kpis", kpi_section, folded=False)
    section("units", unit_section)
    section("sla", sla_section)
    section("hot", hot_section)
    section("repeat", repeat_section)

    @app.callback(
        Output("hotline-volume", "figure"),
        Output("hotline-volume-period", "children"),
        Output("hotline-volume-foot", "children"),
        *filters,
        Input("hotline-volume-granularity", "value"),
        phone.seen("volume"),
        prevent_initial_call=True,
    )
    def update_volume(period, county, granularity, shown):
        """Tickets over time at the chosen granularity, drawn once seen."""
        return when_seen(shown, volume_answer(period, county, granularity), 1)

    @cached_output(hub, "hotline-volume")
    def volume_answer(period, county, granularity):
        if not valid_period(period):
            return no_update, no_update, no_update
        return volume_section(hub, period, screen_county(county), granularity)

    @app.callback(
        Output("hotline-pattern", "figure"),
        Output("hotline-pattern-period", "children"),
        Output("hotline-pattern-foot", "children"),
        *filters,
        phone.seen("pattern"),
        prevent_initial_call=True,
    )
    def update_pattern(period, county, shown):
        """Weekday and hour pattern, drawn once seen."""
        return when_seen(shown, pattern_answer(period, county), 1)

    @cached_output(hub, "hotline-pattern")
    def pattern_answer(period, county):
        if not valid_period(period):
            return no_update, no_update, no_update
        return pattern_section(hub, period, screen_county(county))

    @app.callback(
        Output("hotline-categories", "figure"),
        Output("hotline-appeals", "figure"),
        Output("hotline-channels", "figure"),
        Output("hotline-categories-period", "children"),
        Output("hotline-categories-foot", "children"),
        *filters,
        phone.seen("categories"),
        prevent_initial_call=True,
    )
    def update_categories(period, county, shown):
        """Category tree, appeal types and channels, drawn once seen."""
        return when_seen(shown, category_answer(period, county), 3)

    @cached_output(hub, "hotline-categories")
    def category_answer(period, county):
        if not valid_period(period):
            return (no_update,) * 5
        return category_section(hub, period, screen_county(county))

    maps.register_map(app, "hotline-map")
    if townships.township_path(hub.settings) is not None:
        # Where the city has townships, a county clicked on the map also becomes the screen's
        # 区域, so the map and ranking drill down to its townships (a township's code is no
        # option of the selector: a click on it changes nothing there).
        clicks.county_on_click(app, "hotline-map")
    links.select_from_link(app, "drill", "hotline-drill")  # /hotline?drill=hot|燃气

    @app.callback(
        Output("hotline-map-values", "data"),
        Output("hotline-county-rank", "children"),
        Output("hotline-map-period", "children"),
        Output("hotline-map-foot", "children"),
        *filters,
        Input("hotline-map-metric", "value"),
        Input("hotline-map-measure", "value"),
        phone.seen("map"),
        prevent_initial_call=True,
    )
    def update_map(period, county, metric, measure, shown):
        """County map and ranking, drawn once seen."""
        return when_seen(shown, map_answer(period, county, metric, measure), 2)

    @cached_output(hub, "hotline-map")
    def map_answer(period, county, metric, measure):
        if not valid_period(period):
            return (no_update,) * 4
        path, figure, *rest = map_view(hub, period, screen_county(county), metric, measure)
        return (maps.map_values(figure, path), *rest)

    # A number's button: in the browser (cockpit.clicks), so drawing the buttons asks nothing.
    clicks.key_on_click(app, figures.DRILL_TYPE, "key", "hotline-drill")

    @app.callback(
        Output("hotline-drill", "data"),
        Input("hotline-map", "clickData"),
        Input("hotline-categories", "clickData"),
        Input("hotline-volume", "clickData"),
        Input("hotline-appeals", "clickData"),
        Input("hotline-channels", "clickData"),
        State("hotline-volume-granularity", "value"),
        prevent_initial_call=True,
    )
    def set_drill(_map, _categories, _volume, _appeals, _channels, granularity):
        """A click on a chart makes what it shows the list's subject."""
        for item in ctx.triggered:
            prop = item["prop_id"].rsplit(".", 1)[0]
            trigger = json.loads(prop) if prop.startswith("{") else prop
            key = drill_key_for(trigger, item.get("value"), granularity)
            if key:
                return key
        return no_update

    # The list is folded on a phone too: its variants are asked for once it is seen, or when
    # a number is chosen (its drill store), not at load.
    @app.callback(
        Output("hotline-list-variant", "options"),
        Output("hotline-list-variant", "value"),
        Input("hotline-drill", "data"),
        phone.seen("list"),
        State("filter-period", "value"),
        prevent_initial_call=True,
    )
    def update_variants(key, _shown, period):
        """The lists the chosen number offers (逾期办结, 超期未办结, ...)."""
        if not valid_period(period):
            return no_update, no_update
        return variant_options(hub, key, period)

    @app.callback(
        Output("hotline-list-title", "children"),
        Output("hotline-list-table", "children"),
        Output("hotline-list-pager", "children"),
        Output("hotline-list-page", "data"),
        Output("hotline-list-foot", "children"),
        Input("hotline-drill", "data"),
        Input("hotline-list-variant", "value"),
        *filters,
        Input("hotline-list-prev", "n_clicks"),
        Input("hotline-list-next", "n_clicks"),
        phone.seen("list"),
        State("hotline-list-page", "data"),
        prevent_initial_call=True,
    )
    def update_list(key, variant, period, county, _prev, _next, shown, page):
        """One page of the tickets behind the chosen number, masked on the server; the rows
        drawn once seen."""
        if not valid_period(period):
            return (no_update,) * 5
        trigger = ctx.triggered_id if isinstance(ctx.triggered_id, str) else None  # not a fold
        step = {"hotline-list-prev": -1, "hotline-list-next": 1}.get(trigger)
        page = int(page or 0) + step if step else 0
        answer = list_section(hub, key, variant, period, screen_county(county), page)
        return when_seen(shown, answer, 3)

    # 转督办 on a row names its ticket in a store (cockpit.clicks, stamped so that a second
    # click is a click too); the form below the list does the same with a typed number.
    clicks.key_on_click(app, "hotline-duban", "ticket", "hotline-duban-key", stamped=True)

    @app.callback(
        Output("hotline-duban-result", "children"),
        Input("hotline-duban-go", "n_clicks"),
        Input("hotline-duban-key", "data"),
        State("hotline-duban-ticket", "value"),
        prevent_initial_call=True,
    )
    def supervise(_clicks, clicked, typed):
        """转督办 of one ticket (past its deadline, or 重办): the server reads it again."""
        from cockpit.domains.key_work.duban import supervise_ticket

        if ctx.triggered_id == "hotline-duban-key":
            ticket_id = clicked.get("key") if isinstance(clicked, dict) else None
        else:
            ticket_id = typed
        if not isinstance(ticket_id, str) or not ticket_id:
            return no_update
        outcome = supervise_ticket(hub, ticket_id)
        return html.P(
            outcome.message,
            role="alert",
            className="hotline-duban-ok" if outcome.ok else "panel-error",
        )

    @app.callback(
        Output("hotline-unmask-result", "children"),
        Input("hotline-unmask-go", "n_clicks"),
        State("hotline-unmask-ticket", "value"),
        State("hotline-unmask-reason", "value"),
        prevent_initial_call=True,
    )
    def unmask(_clicks, ticket_id, reason):
        """One ticket's personal information, if the server allows it (and records it)."""
        outcome = reveal(hub, ticket_id, reason)
        if outcome.fields is None:
            return html.P(outcome.message, className="panel-error", role="alert")
        labels = {
            "ticket_id": "工单编号",
            "received_at": "受理时间",
            "county_code": "县区",
            "citizen_name": "来电人",
            "citizen_phone": "联系电话",
            "address": "地址",
            "content": "诉求内容",
        }
        fields = dict(outcome.fields)
        code = fields["county_code"]
        fields["county_code"] = hub.settings.city.county_names.get(code, code)
        return html.Dl(
            [
                item
                for key, label in labels.items()
                for item in (html.Dt(label), html.Dd(fields[key]))
            ],
            className="hotline-unmask-fields",
        )

    app.clientside_callback(
        """
        function(key) {
            const el = document.getElementById('hotline-list-panel');
            if (el && el.scrollIntoView) { el.scrollIntoView({behavior: 'smooth', block: 'start'}); }
            return key;
        }
        """,
        Output("hotline-scroll", "data"),
        Input("hotline-drill", "data"),
        prevent_initial_call=True,
    )
