"""The 12345 tables offered as CSV and Excel: the ticket list behind a number, the counties,
the units' 红黑榜, repeat complaints and the tickets past or near their deadline.

Builders take the link's parameters (period, county, the open drill and its list) and ask the
hub as the screen does, so scope applies. Citizens' names, phones and free text are declared
personal: cockpit.exports masks them unless the user may unmask.
"""

from __future__ import annotations

import pandas as pd

from cockpit.domains.hotline import data
from cockpit.domains.hotline.config import module_config
from cockpit.domains.hotline.drill import caller_variant, resolve_or_default
from cockpit.domains.hotline.transform import (
    clock_text,
    county_ranking,
    period_windows,
    repeat_groups,
    unit_board,
)
from cockpit.exports import ExportTable, Header, Table, place_label
from cockpit.formatting import as_of as as_of_text
from cockpit.hub import DataHub
from cockpit.scope import current_principal
from panels.hotline.callbacks import context, screen_county, valid_period

MAX_ROWS = 50_000  # a list beyond this is a query for the data office, not a download
TICKET_COLUMNS = {
    "ticket_id": "工单编号",
    "received_at": "受理时间",
    "channel": "受理渠道",
    "appeal_type": "诉求类型",
    "category_l1": "一级分类",
    "category_l2": "二级分类",
    "county": "县区",
    "address": "诉求地址",
    "content": "诉求内容",
    "responsible_unit": "承办单位",
    "deadline": "办结时限",
    "closed_at": "办结时间",
    "status": "状态",
    "evaluation": "评价",
    "citizen_name": "来电人",
    "citizen_phone": "来电号码",
}
PERSONAL = {"来电人": "name", "来电号码": "phone", "诉求内容": "text", "诉求地址": "text"}


def _period(hub: DataHub, params: dict[str, str]) -> str:
    period = params.get("period")
    if valid_period(period):
        return period
    return f"{data.now_of(hub):%Y-%m}"


def _place(hub: DataHub, county: str | None) -> str:
    """区域: the county chosen, else the user's own counties, else 全市."""
    return place_label(hub, county)


def tickets(hub: DataHub, params: dict[str, str]) -> Table:
    """The tickets behind the open number (the list under the 12345 page), all pages."""
    period = _period(hub, params)
    county = screen_county(params.get("county"))
    c = context(hub, period)
    drill = resolve_or_default(params.get("drill"), c)
    variant = drill.variant(params.get("variant"))
    if drill.caller_ticket:
        found = data.caller_of(hub, drill.caller_ticket)
        if found is not None:
            variant = caller_variant(found[0], found[1], c.window)
    place = drill.county or county
    filters = (*variant.filters, *data.county_filter(place))
    rows = data.list_page(hub, filters, variant.order_by, 0, MAX_ROWS).frame
    names = hub.settings.city.county_names
    frame = pd.DataFrame(
        {
            label: (
                [names.get(code, code) for code in rows.get("county_code", [])]
                if column == "county"
                else rows.get(column, pd.Series(dtype=object))
            )
            for column, label in TICKET_COLUMNS.items()
        }
    )
    when = c.window.label if drill.period_bound else "当前"
    title = " · ".join(t for t in (drill.title, variant.label) if t)
    notes = (f"超过{MAX_ROWS}件时只导出前{MAX_ROWS}件",) if len(rows) >= MAX_ROWS else ()
    header = Header(
        title=f"{hub.settings.city.name}12345工单明细：{title}",
        place=_place(hub, place),
        period=when,
        as_of=as_of_text(hub.as_of(data.TICKETS)),
        units="每行一件工单；时间为北京时间",
        is_demo=hub.is_demo(data.TICKETS),
        notes=notes,
    )
    stem = f"{hub.settings.city.name}12345工单明细_{_place(hub, place)}_{period}"
    return Table(frame, header, stem, dict(PERSONAL))


def counties(hub: DataHub, params: dict[str, str]) -> Table:
    """Every county's 受理量 and rates of the period (the county ranking under the map)."""
    period = _period(hub, params)
    config = module_config(hub)
    now = data.now_of(hub)
    window = period_windows(period, now)["current"]
    result = data.by_group(hub, config, window, now, "county_code")
    names = dict(hub.settings.city.county_names)
    ranking = county_ranking(result.frame, names, "received") if not window.empty else None
    columns = {
        "rank": "排名（按受理量）",
        "name": "县区",
        "received": "受理量（件）",
        "due": "应办结（件）",
        "on_time": "按时办结率（%）",
        "closure": "综合办结率（%）",
        "evaluated": "已评价（件）",
        "satisfaction": "满意率（%）",
    }
    if ranking is not None:  # counts are whole numbers, written 12 not 12.0
        for column in ("rank", "received", "due", "evaluated"):
            ranking[column] = pd.array(ranking[column], dtype="Int64")
    frame = (
        ranking[list(columns)].rename(columns=columns)
        if ranking is not None
        else pd.DataFrame(columns=list(columns.values()))
    )
    # A county outside the user's scope has no figures here: it is left out, not shown as zero.
    if ranking is not None:
        principal = current_principal()
        frame = frame[[principal.allows(code) for code in ranking["county_code"]]]
    header = Header(
        title=f"{hub.settings.city.name}12345热线各县区办理情况",
        place="各县区" if current_principal().whole_city else place_label(hub, None),
        period=window.label,
        as_of=as_of_text(result.as_of),
        units="件；率为%（口径见 docs/hotline-kpis.md）",
        is_demo=result.is_demo,
    )
    return Table(frame, header, f"{hub.settings.city.name}12345各县区办理情况_{period}")


def units(hub: DataHub, params: dict[str, str]) -> Table:
    """The responsible units' 红黑榜 of the period, as the 12345 page ranks them."""
    period = _period(hub, params)
    county = screen_county(params.get("county"))
    config = module_config(hub)
    now = data.now_of(hub)
    window = period_windows(period, now)["current"]
    result = data.by_group(hub, config, window, now, "responsible_unit", county)
    red, black = (
        unit_board(result.frame, config.ranking.min_tickets, config.ranking.size)
        if not window.empty
        else (pd.DataFrame(), pd.DataFrame())
    )
    columns = {
        "board": "榜单",
        "rank": "名次",
        "responsible_unit": "承办单位",
        "due": "应办结（件）",
        "on_time": "按时办结率（%）",
        "satisfaction": "满意率（%）",
        "score": "综合得分",
    }
    parts = []
    for board, table in (("红榜", red), ("黑榜", black)):
        if not table.empty:
            table = table.assign(board=board, rank=range(1, len(table) + 1))
            table["due"] = pd.array(table["due"], dtype="Int64")
            parts.append(table)
    frame = (
        pd.concat(parts)[list(columns)].rename(columns=columns)
        if parts
        else pd.DataFrame(columns=list(columns.values()))
    )
    header = Header(
        title=f"{hub.settings.city.name}12345承办单位红黑榜",
        place=_place(hub, county),
        period=window.label,
        as_of=as_of_text(result.as_of),
        units="件；率为%；得分为按时办结率与满意率的均值",
        is_demo=result.is_demo,
        notes=(f"应办结不少于{config.ranking.min_tickets}件的单位参与排名",),
    )
    return Table(
        frame, header, f"{hub.settings.city.name}12345红黑榜_{_place(hub, county)}_{period}"
    )


def repeats(hub: DataHub, params: dict[str, str]) -> Table:
    """The repeat complaints of the period: callers (or addresses) with most tickets of one kind."""
    period = _period(hub, params)
    county = screen_county(params.get("county"))
    config = module_config(hub)
    window = period_windows(period, data.now_of(hub))["current"]
    result = data.repeat_groups(hub, config, window, county)
    key = config.definitions.repeat_key
    by = "来电号码" if key == "citizen_phone" else "诉求地址"
    columns = {
        key: by,
        "category_l2": "二级分类",
        "tickets": "工单数（件）",
        "last_ticket": "最近工单",
    }
    if "citizen_name" in result.frame.columns:
        columns["citizen_name"] = "来电人"
    groups = repeat_groups(result.frame) if not window.empty else pd.DataFrame()
    frame = (
        groups[list(columns)].rename(columns=columns)
        if not groups.empty
        else pd.DataFrame(columns=list(columns.values()))
    )
    header = Header(
        title=f"{hub.settings.city.name}12345重复诉求",
        place=_place(hub, county),
        period=window.label,
        as_of=as_of_text(hub.as_of(data.TICKETS)),
        units="件",
        is_demo=hub.is_demo(data.TICKETS),
        notes=(f"同一{by[-2:]}同类诉求两件及以上，按件数取前{config.lists.repeat_rows}组",),
    )
    personal = {by: "phone" if key == "citizen_phone" else "text", "来电人": "name"}
    return Table(frame, header, f"{hub.settings.city.name}12345重复诉求_{period}", personal)


def deadlines(hub: DataHub, params: dict[str, str]) -> Table:
    """Open tickets past or near their deadline now (the deadline clocks' list, whole)."""
    period = _period(hub, params)
    county = screen_county(params.get("county"))
    c = context(hub, period)
    result = data.sla_urgent(hub, c, county, rows=MAX_ROWS)
    names = hub.settings.city.county_names
    rows = result.frame
    columns = {
        "ticket_id": "工单编号",
        "category_l2": "二级分类",
        "county": "县区",
        "responsible_unit": "承办单位",
        "deadline": "办结时限",
        "clock": "剩余或超期",
        "status": "状态",
    }
    if rows.empty:
        frame = pd.DataFrame(columns=list(columns.values()))
    else:
        frame = rows.assign(
            county=[names.get(code, code) for code in rows["county_code"]],
            clock=[clock_text(d, c.now) for d in rows["deadline"]],
        )[list(columns)].rename(columns=columns)
    header = Header(
        title=f"{hub.settings.city.name}12345超期及临期工单",
        place=_place(hub, county),
        period=f"截至{c.now:%Y-%m-%d %H:%M}在办",
        as_of=as_of_text(result.as_of),
        units=f"每行一件工单；时限在{c.config.sla.warn_hours}小时内或已超期；时间为北京时间",
        is_demo=result.is_demo,
        notes=(f"超过{MAX_ROWS}件时只导出最紧迫的{MAX_ROWS}件",) if len(rows) >= MAX_ROWS else (),
    )
    return Table(frame, header, f"{hub.settings.city.name}12345超期临期工单_{c.now:%Y%m%d}")


TABLES = (
    ExportTable(
        "hotline.tickets",
        "12345工单明细",
        tickets,
        inputs=(
            ("drill", "hotline-drill", "data"),
            ("variant", "hotline-list-variant", "value"),
        ),
        unmasked=True,
    ),
    ExportTable("hotline.counties", "12345各县区办理情况", counties),
    ExportTable("hotline.units", "12345承办单位红黑榜", units),
    ExportTable("hotline.repeats", "12345重复诉求", repeats, unmasked=True),
    ExportTable("hotline.deadlines", "12345超期及临期工单", deadlines),
)
