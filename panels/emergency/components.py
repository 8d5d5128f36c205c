"""Pure renderers of the emergency screen's side panels: frames and Results in, Dash components out.

Nothing here reads the clock: what a refresh renders depends only on the data, so an
unchanged panel renders identically and the refresh can leave it out (see callbacks.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from dash import html

from cockpit import ids
from cockpit.calls import call_link, contact_link
from cockpit.components import attrs, source_state
from cockpit.domains.emergency.transform import (
    CATEGORIES,
    LEVEL_NAMES,
    LEVEL_WORDS,
    RESOURCE_KINDS,
    WARNING_NAMES,
    CountRow,
    TimelineEntry,
    casualties,
)
from cockpit.domains.risk.data import SOURCE_ONLY_LABEL, SOURCE_ONLY_NOTE
from cockpit.formatting import as_of as as_of_text
from cockpit.hub import Result

EVENT_ITEM = "emergency-event"  # the pattern-matching id type of an event in the list
KIND_UNITS_NOTE = "距离为直线（大圆）距离，公里；实际路程以导航为准"


def _time(value: Any, fmt: str = "%m-%d %H:%M") -> str:
    """A timestamp as text, — when missing."""
    return "—" if value is None or pd.isna(value) else pd.Timestamp(value).strftime(fmt)


def _count(value: Any) -> str:
    """A count as text, — when missing (missing is never 0)."""
    return "—" if value is None or pd.isna(value) else str(int(value))


def _amount(value: Any) -> str:
    """A stock figure without decimals, — when missing."""
    return "—" if value is None or pd.isna(value) else f"{float(value):,.0f}"


def _text(value: Any) -> str:
    """A text cell, empty when missing."""
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def source_note(result: Result, what: str = "") -> html.P:
    """The panel's foot: 数据截至, or the source's own error (and that the data shown is old)."""
    if result.error:
        return source_state(result)
    prefix = f"{what} · " if what else ""
    return html.P(f"{prefix}数据截至 {as_of_text(result.as_of)}", className="panel-as-of")


# -- the strip above the map ----------------------------------------------------------------
def response_badge(level: int | None, title: str | None) -> html.Div:
    """The emergency response level in force, or that none is started."""
    if level is None:
        return html.Div(
            [html.Span("应急响应", className="em-response-label"), html.Strong("未启动")],
            className="em-response level-none",
        )
    return html.Div(
        [
            html.Span("应急响应", className="em-response-label"),
            html.Strong(f"{LEVEL_NAMES.get(level, '')}响应"),
            html.Span(title or "", className="em-response-event"),
        ],
        className=f"em-response level-{level}",
    )


def summary(active: Result, warnings: Result) -> list:
    """Headline figures: events being handled, their casualties, warnings in force."""
    frame = active.frame
    deaths, injuries = casualties(frame) if active.ok or active.stale else (None, None)
    n_active = str(len(frame)) if active.ok or active.stale else "—"
    n_warn = str(len(warnings.frame)) if warnings.ok or warnings.stale else "—"

    def stat(label: str, value: str, unit: str, cls: str = "") -> html.Div:
        return html.Div(
            [
                html.Span(label, className="em-sum-label"),
                html.Span(value, className="em-sum-value"),
                html.Span(unit, className="em-sum-unit"),
            ],
            className=f"em-sum {cls}",
        )

    return [
        stat("正在处置", n_active, "起", "is-alert" if len(frame) else ""),
        stat("死亡", _count(deaths), "人", "is-alert" if deaths else ""),
        stat("受伤", _count(injuries), "人"),
        # Only the warnings system's own: labelled so, never read as all warnings in force.
        stat(SOURCE_ONLY_LABEL, n_warn, "条"),
    ]


def banner_text(events: pd.DataFrame) -> str:
    """The announcement of newly reported events."""
    parts = [
        f"{LEVEL_NAMES.get(int(e.level), '')} {e.title}（{e.place}，接报 {_time(e.reported_at)}）"
        for e in events.itertuples()
    ]
    return "新接报事件：" + "；".join(parts)


# -- the left column ------------------------------------------------------------------------
def event_list(active: Result, selected: str | None) -> list:
    """Active events as buttons (tap to select), most severe first."""
    out: list = []
    if active.error:
        out.append(source_note(active))
    if active.frame.empty:
        if not active.error:
            out.append(html.P("当前没有正在处置的突发事件", className="em-empty"))
        return out
    for e in active.frame.itertuples():
        level = int(e.level)
        chosen = str(e.event_id) == selected
        out.append(
            html.Button(
                id=ids.pattern_id(EVENT_ITEM, index=str(e.event_id)),
                className=f"em-event level-{level}" + (" is-selected" if chosen else ""),
                n_clicks=0,
                **attrs({"aria-pressed": "true" if chosen else "false"}),
                children=[
                    html.Span(
                        [
                            html.Span(LEVEL_NAMES.get(level, ""), className="em-level"),
                            html.Span(e.title, className="em-event-name"),
                            html.Span(e.status, className=f"em-status status-{e.status}"),
                        ],
                        className="em-event-title",
                    ),
                    html.Span(
                        f"{e.place} · 接报 {_time(e.reported_at)}", className="em-event-meta"
                    ),
                    html.Span(
                        f"死亡 {_count(e.deaths)} · 受伤 {_count(e.injuries)}"
                        + (
                            f" · {LEVEL_NAMES.get(int(e.response_level), '')}响应"
                            if pd.notna(e.response_level)
                            else ""
                        ),
                        className="em-event-meta",
                    ),
                ],
            )
        )
    return out


def count_tables(
    result: Result, by_level: list[CountRow], by_category: list[CountRow], now: dt.datetime
) -> list:
    """Events today and this year, by level and by category (with the types under each)."""
    if result.error and result.frame.empty:
        return [source_note(result)]

    def group(title: str, rows: list[CountRow]) -> list:
        head = html.Tr(
            [html.Th(title), html.Th("今日"), html.Th(f"{now.year}年")], className="em-group-head"
        )
        body = [
            html.Tr(
                [
                    html.Td(
                        [
                            r.label,
                            html.Div(r.detail, className="em-count-detail", title=r.detail)
                            if r.detail
                            else None,
                        ]
                    ),
                    html.Td(_count(r.today), className="num"),
                    html.Td(_count(r.year), className="num"),
                ]
            )
            for r in rows
        ]
        return [head, *body]

    return [
        html.Table(
            html.Tbody([*group("按级别", by_level), *group("按类别", by_category)]),
            className="em-table em-counts",
        ),
        html.P(f"单位：起 · 按发生时间计，今日为{now:%m月%d日}", className="panel-note"),
        source_note(result),
    ]


def level_labels() -> dict[int, str]:
    """Level -> 'Ⅰ级 特别重大' for the count table."""
    return {lv: f"{LEVEL_NAMES[lv]} {LEVEL_WORDS[lv]}" for lv in LEVEL_NAMES}


def category_labels() -> dict[str, str]:
    """Category -> its label (the category itself)."""
    return {c: c for c in CATEGORIES}


# -- the selected event ---------------------------------------------------------------------
def event_detail(
    event: dict | None,
    names: dict[str, str],
    timeline: list[TimelineEntry],
    tl: Result,
    events: Result | None = None,
) -> list:
    """The selected event's facts and its timeline of reports and instructions."""
    if event is None and events is not None and events.error and not events.stale:
        return [
            html.P(
                "事件数据源无法连接，无法确认当前是否有正在处置的突发事件；连接恢复后本屏自动刷新。",
                className="panel-error",
                role="alert",
            )
        ]
    if event is None:
        return [
            html.P(
                "当前没有正在处置的突发事件；有新事件接报时，本屏自动刷新。", className="em-empty"
            )
        ]
    level = int(event["level"])
    facts = [
        ("级别", f"{LEVEL_NAMES.get(level, '')}（{LEVEL_WORDS.get(level, '')}）"),
        ("类别", f"{_text(event.get('category'))} · {_text(event.get('event_type'))}"),
        ("状态", _text(event.get("status"))),
        (
            "应急响应",
            f"{LEVEL_NAMES.get(int(event['response_level']), '')}响应"
            if pd.notna(event.get("response_level"))
            else "未启动",
        ),
        ("发生时间", _time(event.get("occurred_at"), "%Y-%m-%d %H:%M")),
        ("接报时间", _time(event.get("reported_at"), "%Y-%m-%d %H:%M")),
        ("地点", _place(names.get(str(event.get("county_code")), ""), _text(event.get("place")))),
        ("坐标", _coords(event.get("lon"), event.get("lat"))),
        (
            "伤亡",
            f"死亡 {_count(event.get('deaths'))} 人 · 受伤 {_count(event.get('injuries'))} 人",
        ),
    ]
    items: list = [
        html.H3(
            [
                html.Span(LEVEL_NAMES.get(level, ""), className=f"em-level level-{level}"),
                event["title"],
            ],
            className="em-detail-title",
        ),
        contact_link(f"event:{event.get('event_id')}"),
        html.Dl(
            [part for k, v in facts for part in (html.Dt(k), html.Dd(v))], className="em-facts"
        ),
        html.H3("处置时间线", className="em-subtitle"),
    ]
    if tl.error:
        items.append(source_note(tl))
    if timeline:
        items.append(
            html.Ol(
                [
                    html.Li(
                        [
                            html.Span(t.kind, className=f"em-kind kind-{t.kind}"),
                            html.Span(
                                [
                                    html.Time(f"{t.at:%m-%d %H:%M}"),
                                    html.Span(t.offset, className="em-offset"),
                                ],
                                className="em-tl-time",
                            ),
                            html.Span(t.text, className="em-tl-text"),
                            html.Span(t.by, className="em-tl-by") if t.by else None,
                        ],
                        className="em-tl-item",
                    )
                    for t in timeline
                ],
                className="em-timeline",
            )
        )
    elif not tl.error:
        items.append(html.P("暂无报送记录", className="em-empty"))
    if not tl.error:
        items.append(source_note(tl, "时间相对接报时间"))
    return items


def _place(county: str, place: str) -> str:
    """County and place, without the county twice when the place already names it."""
    if not county or place.startswith(county):
        return place or county or "—"
    return f"{county} {place}".strip()


def _coords(lon: Any, lat: Any) -> str:
    """E 113.163° N 36.464°, or — without a position."""
    if lon is None or lat is None or pd.isna(lon) or pd.isna(lat):
        return "—"
    return f"E {float(lon):.4f}° N {float(lat):.4f}°"


def nearest_panel(
    event: dict | None, nearest: pd.DataFrame, result: Result, names: dict[str, str]
) -> list:
    """The nearest resources of each kind to the selected event: distance, stock, whom to call."""
    if event is None:
        return [html.P("选择一起事件后显示就近应急资源", className="em-empty")]
    if result.error and result.frame.empty:
        return [source_note(result)]
    context = f"event:{event.get('event_id')}"  # recorded with each call started here
    groups = []
    for kind in RESOURCE_KINDS:
        rows = nearest[nearest["kind"] == kind] if not nearest.empty else nearest
        body = (
            [
                html.Tr(
                    [
                        html.Td(
                            [
                                r.name,
                                html.Div(
                                    names.get(str(r.county_code), ""), className="em-count-detail"
                                ),
                            ]
                        ),
                        html.Td(f"{r.distance_km:.1f}", className="num"),
                        html.Td(
                            [
                                html.Span(_amount(r.available), className="em-avail"),
                                f"/{_amount(r.capacity)} {r.unit}",
                            ],
                            className="num",
                        ),
                        html.Td(
                            call_link(
                                f"resource:{r.resource_id}",
                                "phone",
                                r.phone,  # a mobile only for roles that may see it (data.py)
                                _text(r.contact) or None,
                                context,
                            )
                        ),
                    ]
                )
                for r in rows.itertuples()
            ]
            if not rows.empty
            else [html.Tr(html.Td("无此类资源", colSpan=4, className="em-empty"))]
        )
        groups.append(
            html.Div(
                className="em-near-group",
                children=[
                    html.H3(kind, className=f"em-subtitle kind-{kind}"),
                    html.Table(
                        className="em-table",
                        children=[
                            html.Thead(
                                html.Tr(
                                    [
                                        html.Th("名称"),
                                        html.Th("公里"),
                                        html.Th("可用/容量"),
                                        html.Th("联系"),
                                    ]
                                )
                            ),
                            html.Tbody(body),
                        ],
                    ),
                ],
            )
        )
    return [
        html.Div(groups, className="em-near-grid"),
        html.P(KIND_UNITS_NOTE, className="panel-note"),
        source_note(result),
    ]


# -- the right column -----------------------------------------------------------------------
def warnings_list(result: Result, names: dict[str, str]) -> list:
    """Warnings in force, most severe first, with colour, domain, stage and time."""
    out: list = []
    if result.error:
        out.append(source_note(result))
    frame = result.frame
    if frame.empty:
        if not result.error:
            out.append(html.P(f"当前没有在发布的{SOURCE_ONLY_LABEL}", className="em-empty"))
        return out
    counts = frame["level"].value_counts()
    out.append(
        html.Div(
            [
                html.Span(
                    f"{WARNING_NAMES[lv]} {int(counts.get(lv, 0))}",
                    className=f"em-chip level-{lv}",
                )
                for lv in (1, 2, 3, 4)
            ],
            className="em-chips",
        )
    )
    out.append(
        html.Ul(
            [
                html.Li(
                    [
                        html.Span(
                            WARNING_NAMES.get(int(w.level), ""),
                            className=f"em-chip level-{int(w.level)}",
                        ),
                        html.Span(w.title, className="em-warn-title"),
                        html.Span(w.stage, className="em-warn-stage"),
                        html.Span(_time(w.issued_at), className="em-warn-time"),
                    ],
                    className="em-warn",
                    title=f"{w.domain} · {names.get(str(w.county_code), '')} · {w.responsible_unit}",
                )
                for w in frame.itertuples()
            ],
            className="em-warnings",
        )
    )
    if not result.error:
        out.append(source_note(result, f"单位：条；{SOURCE_ONLY_NOTE}"))
    return out


def roster(result: Result, rows: list[dict], day: dt.date) -> list:
    """Today's duty roster, each with a one-tap call."""
    if result.error:
        return [source_note(result)]
    if not rows:
        return [html.P(f"{day:%Y年%m月%d日} 的值班表未报送", className="em-empty")]
    return [
        html.Ul(
            [
                html.Li(
                    [
                        html.Span(r["role"], className="em-duty-role"),
                        html.Span(
                            [
                                html.Strong(_text(r["name"])),
                                html.Span(_text(r["post"]), className="em-duty-post"),
                            ],
                            className="em-duty-person",
                        ),
                        _duty_call(day, r),
                    ],
                    className="em-duty",
                )
                for r in rows
            ],
            className="em-roster",
        ),
        html.P(f"值班日期 {day:%Y年%m月%d日}", className="panel-as-of"),
    ]


def _duty_call(day: dt.date, row: dict) -> Any:
    """The duty officer's number as the viewer may see it (emptied by data.duty_roster when
    it is a personal mobile and the role may not see it): "—" then, not a call link."""
    number = _text(row["phone"])
    label = f"拨打 {number}" if number else "—"
    return call_link(f"duty:{day.isoformat()}:{row['role']}", "phone", number, label)


def live_state(
    active: bool, refresh_seconds: int, idle_seconds: int, events: Result | None = None
) -> str:
    """What the screen does now: refreshing, waiting for a new event, or retrying a source
    that does not answer (an outage must never read as "no events")."""
    if events is not None and events.error:
        shown = (
            f" · 显示{as_of_text(events.as_of)}的最近一次成功数据"
            if events.stale and events.as_of
            else (" · 显示最近一次成功数据" if events.stale else "")
        )
        return f"事件数据源无法连接{shown} · 每{refresh_seconds}秒重试"
    if active:
        return f"实时刷新 · 每{refresh_seconds}秒"
    if idle_seconds:
        return f"无正在处置事件 · 每{idle_seconds}秒检查新事件"
    return "无正在处置事件 · 自动刷新已停止"
