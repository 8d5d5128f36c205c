"""The economy module's callbacks: thin, they fetch through the hub and hand over to pure functions.

build_page (grid, table, briefing) and build_indicator (trend, ranking, map for the chosen
indicator) are plain functions of (hub, period, county, ...), so tests call them directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import pandas as pd
from dash import ALL, Dash, Input, Output, State, ctx, dcc, no_update

from cockpit import clicks, clock, ids, links, maps, theme
from cockpit.cache import is_miss, make_key
from cockpit.domains.economy import data
from cockpit.domains.economy.forecast import Projection, project
from cockpit.domains.economy.readings import (
    Readings,
    build_readings,
    chosen_indicator,
    config_of,
    indicator_reading,
    place_name,
    place_of,
    rows_of,
)
from cockpit.domains.economy.transform import (
    CITY_ONLY,
    Reading,
    absent_note,
    county_ranking,
    growth_status,
    jan_released,
    monthly_derivable,
    monthly_values,
    place_series,
    rank_metric,
    sentence,
    shown_period,
    with_growth,
    year_path,
)
from cockpit.exports import audit_export
from cockpit.formatting import freshness, month_label, number, percent
from cockpit.hub import DataHub
from cockpit.maps import county_map, county_outlines
from cockpit.outputs import cached_output
from cockpit.scope import DENIED_TEXT, EXPORT, current_principal, redact_peers
from cockpit.settings import Indicator
from panels.economy import export, figures


@dataclass
class Page(Readings):
    """What the grid, table and briefing show: the readings, and the table built from them."""

    table: pd.DataFrame = field(default_factory=pd.DataFrame)


def build_page(hub: DataHub, period: str, county: str | None) -> Page:
    """Every indicator's reading for the place (the domain's), the table and the lines."""
    readings = build_readings(hub, period, county)
    page = Page(**{f.name: getattr(readings, f.name) for f in fields(readings)})
    departments = {i.id: i.department for i in hub.settings.indicators}
    page.table = export.indicator_table(page.readings, departments)
    return page


@dataclass
class IndicatorView:
    """The chosen indicator's trend, ranking and map, with their titles and notes."""

    indicator: Indicator
    reading: Reading
    sentence: str
    trend: object
    trend_title: str
    trend_note: str
    ranking: object
    ranking_title: str
    ranking_note: str
    map: object
    map_title: str
    map_note: str
    monthly_available: bool
    projection: Projection | None = None
    ranking_table: pd.DataFrame | None = None


def build_indicator(
    hub: DataHub, period: str, county: str | None, indicator_id: str | None, mode: str
) -> IndicatorView:
    """Trend (with 趋势研判), county ranking and county map of the chosen indicator."""
    settings = hub.settings
    config = config_of(hub)
    indicator = chosen_indicator(hub, indicator_id)
    extras = config.extras(indicator.id)
    short = config.short_name(indicator)
    place = place_of(hub, county)
    name = place_name(hub, place)
    city = settings.city.code
    counties = [c.code for c in settings.city.counties]
    year_result = data.year_rows(hub, period)
    rows = rows_of(year_result)
    r = indicator_reading(rows, hub, indicator, period, place)
    line = sentence(r, name, extras.rise_word, extras.fall_word)
    places = (place,) if place == city else (place, city)
    history_result = data.history_rows(hub, indicator.id, places, period)
    raw_history = rows_of(history_result)
    history = with_growth(raw_history, indicator)  # once: every step below reuses it
    stamped = history_result if history_result.as_of else year_result
    stamp = freshness(stamped.as_of, stamped.late_by())
    shown = r.period or shown_period(with_growth(rows, indicator), indicator, period)
    year = int((shown or period)[:4])
    merged = not jan_released(history, indicator.id)
    has_months = monthly_derivable(indicator) or (history.period_type == "month").any()
    projection = cached_projection(hub, raw_history, indicator, place, period) if shown else None

    # The trend: cumulative growth this year and last (or 当月 values), target, projection.
    if shown is None or (not (history.county_code == place).any() and r.note):
        trend = figures.message_figure(r.note or "暂无数据")
        trend_title = f"{name}{short}走势"
    elif mode == "monthly":
        trend_title = f"{name}{short}当月值走势（{indicator.unit}）"
        if not has_months:
            trend = figures.message_figure("本指标只发布累计数，不能推算当月值")
        else:
            months = monthly_values(raw_history, indicator, place, until=shown)
            trend = figures.monthly_figure(
                year_path(months, year),
                year_path(months, year - 1),
                year=year,
                unit=indicator.unit,
                projection=projection,
                merged=merged,
                derived=bool(months["derived"].any()) if not months.empty else True,
            )
    else:
        trend_title = f"{name}{short}累计增速走势（%）"
        series = place_series(history, indicator, place, until=shown)
        reference = None
        if place != city:
            reference = year_path(place_series(history, indicator, city, until=shown), year)
        trend = figures.trend_figure(
            year_path(series, year),
            year_path(series, year - 1),
            year=year,
            target=r.target_growth,
            projection=projection,
            merged=merged,
            quarterly=indicator.frequency == "quarterly",
            reference=reference,
        )
    trend_note = stamp
    if projection is not None and projection.available:
        trend_note += f" · 虚线为趋势研判（{projection.note}），非统计数据"
    elif projection is not None:
        trend_note += f" · 趋势研判：{projection.note}"
    if mode == "monthly" and has_months and not (history.period_type == "month").any():
        trend_note += " · 当月值由相邻累计值相减推算"

    # The ranking and the map: every county at the period shown.
    by = rank_metric(indicator, extras.rank_by)
    data_rows = with_growth(rows, indicator)
    has_counties = data_rows.county_code.isin(counties).any()
    label = r.label if shown else ""
    what = "增速" if by == "growth" else "总量"
    ranking_title = f"各县区{short}{what}排名（{label}）" if shown else f"各县区{short}排名"
    map_title = f"各县区{short}{what}（{label}）" if shown else f"各县区{short}"
    selected = place if place != city else None
    table = None
    outlines = county_outlines(str(settings.city.map_path()))
    if shown is None or not has_counties:
        # Why no county has a figure, by the one rule of the cards (absent_note): the catalog
        # publishes it for the city only, it is not due yet, or it was not delivered.
        why = absent_note(
            indicator,
            shown or period,
            True,
            clock.today(),
            jan_released(data_rows, indicator.id),
        )
        message = f"本指标{why}" if why == CITY_ONLY else f"各县区{why}"
        ranking = figures.message_figure(message)
        county_values: dict[str, float | None] = {}
        county_texts: dict[str, str] = {}
    else:
        table = county_ranking(data_rows, indicator, shown, counties, extras.rank_by)
        # Ranked over every county; each county the user may not see keeps only its code.
        table = redact_peers(table, hub.visible_places(data.DATASET, hub.principal()))
        colours = {
            code: theme.STATUS_COLOURS.get(
                growth_status(g, indicator, int(shown[:4]), code), theme.ACCENT
            )
            if r.target_growth is not None
            else theme.ACCENT
            for code, g in zip(table.county_code, table.growth, strict=True)
        }
        colours = {
            c: (theme.ACCENT if v == theme.STATUS_COLOURS["none"] else v)
            for c, v in colours.items()
        }
        city_row = data_rows[(data_rows.county_code == city) & (data_rows.period == shown)]
        city_value = None if city_row.empty else city_row.iloc[0][by]
        ranking = figures.ranking_figure(
            table,
            settings.city.county_names,
            metric=by,
            unit=indicator.unit,
            colours=colours,
            selected=selected,
            city_value=None if city_value is None or pd.isna(city_value) else float(city_value),
        )
        county_values = {
            c: (None if pd.isna(v) else float(v))
            for c, v in zip(table.county_code, table.metric, strict=True)
        }
        denied = dict(zip(table.county_code, table.denied, strict=True))
        # Shown at the precision the ranking was published with (a denied row has none).
        fallback = 1 if by == "growth" else 2
        digits = {
            c: fallback if d is None or pd.isna(d) else int(d)
            for c, d in zip(table.county_code, table.decimals, strict=True)
        }
        county_texts = {
            c: (
                DENIED_TEXT
                if denied[c]
                else "未报"
                if v is None
                else (
                    percent(v, digits[c], signed=True) if by == "growth" else number(v, digits[c])
                )
            )
            for c, v in county_values.items()
        }
    the_map = county_map(
        outlines,
        county_values,
        county_texts,
        selected,
        unit="%" if by == "growth" else indicator.unit,
        title=f"{short}{what}",
    )
    ranking_note = stamp + " · 并列同名次；灰色为未报送（不计为零）；点击县区查看详情"
    if table is not None and r.target_growth is not None:
        ranking_note = (
            stamp
            + " · 绿：达到目标 黄：预警 红：落后；并列同名次；未报送不计为零；点击县区查看详情"
        )
    map_note = stamp + " · 颜色越深数值越高；灰色为无数据；点击县区查看详情"
    if shown is None or not has_counties:
        map_note = f"{stamp} · {message}"
    return IndicatorView(
        indicator,
        r,
        line,
        trend,
        trend_title,
        trend_note,
        ranking,
        ranking_title,
        ranking_note,
        the_map,
        map_title,
        map_note,
        bool(has_months),
        projection,
        table,
    )


def cached_projection(
    hub: DataHub, history: pd.DataFrame, indicator: Indicator, place: str, period: str
) -> Projection:
    """The projection, from the shared cache when the same series was projected before.

    Fitting a model takes a moment; the key holds the series itself (hashed), so new or
    revised figures give a new projection, in every worker alike.
    """
    settings = config_of(hub).forecast
    mine = history[history.indicator_id == indicator.id].sort_values(
        ["county_code", "period", "period_type", "release_date"]
    )
    digest = int(pd.util.hash_pandas_object(mine.astype(str), index=False).sum())
    key = make_key(
        "economy-projection", indicator.model_dump(), place, period, settings.model_dump(), digest
    )
    cached = hub.cache.get(key) if hub.cache else None
    if hub.cache and not is_miss(cached) and isinstance(cached, Projection):
        return cached
    result = project(history, indicator, place, period, settings)
    if hub.cache:
        hub.cache.set(key, result)
    return result


def export_file(hub: DataHub, period: str, county: str | None, kind: str) -> dict:
    """The indicator table as a dcc.Download payload: 'csv' (UTF-8 with BOM) or 'xlsx'.

    PermissionError without the export permission; every download is audited."""
    if not current_principal().can(EXPORT):
        audit_export(f"economy.indicators.{kind}", "denied")
        raise PermissionError("当前账号没有导出权限")
    page = build_page(hub, period, county)
    audit_export(f"economy.indicators.{kind}", detail={"period": period, "place": page.place_name})
    meta = export.TableMeta(
        city=hub.settings.city.name,
        place=page.place_name,
        period_text=month_label(period),
        as_of=page.as_of,
        is_demo=page.is_demo,
    )
    stem = f"{hub.settings.city.name}经济运行主要指标_{page.place_name}_{period}"
    if kind == "xlsx":
        return dcc.send_bytes(
            export.to_xlsx(page.table, meta),
            f"{stem}.xlsx",
            type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    return dcc.send_bytes(export.to_csv(page.table, meta), f"{stem}.csv", type="text/csv")


def register_callbacks(app: Dash, hub: DataHub) -> None:
    """Wire the economy page: filters -> grid, table, briefing; choice -> trend, ranking, map."""
    # A wrong entry (an unknown indicator, a target for a county the city lacks) stops start-up.
    counties = [c.code for c in hub.settings.city.counties]
    config_of(hub).check_catalog(hub.settings.indicator_map, counties)
    maps.register_map(app, "economy-map")
    links.select_from_link(app, "indicator", "economy-indicator")  # /economy?indicator=<id>

    @app.callback(
        Output("economy-grid", "children"),
        Output("economy-table", "children"),
        Output("economy-table-title", "children"),
        Output("economy-table-note", "children"),
        Output("economy-briefing", "children"),
        Output("economy-briefing-title", "children"),
        Output("economy-back", "children"),
        Output("economy-back", "className"),
        Output("economy-crumb-county", "children"),
        Output("economy-period-note", "children"),
        Output("economy-error", "children"),
        Input("filter-period", "value"),
        Input("filter-county", "value"),
        State("economy-indicator", "data"),
    )
    @cached_output(hub, "economy-page")
    def update_page(period, county, indicator_id):
        """Indicator grid, table and briefing for the period and place."""
        if not period:
            return (no_update,) * 11
        page = build_page(hub, period, county)
        chosen = chosen_indicator(hub, indicator_id).id
        grid = [figures.card(r, r.indicator_id == chosen) for r in page.readings]
        county_view = page.place != hub.settings.city.code
        whole_city = current_principal().whole_city
        back_class = "economy-crumb-city" + (" is-link" if county_view and whole_city else "")
        if not whole_city:
            back_class += " hidden"
        crumb = f" › {page.place_name}（县区详情）" if county_view else " › 全市"
        period_note = f"统计期 {month_label(period)} · {page.freshness}"
        return (
            grid,
            figures.indicator_table(page.table, county_view),
            f"{page.place_name}主要经济指标",
            f"{page.freshness} · 季度指标显示最近一季 · “—”为缺失，不按零计 · 导出含单位、统计期和数据截至",
            figures.briefing(page.sentences),
            f"运行简报（{page.place_name}）",
            hub.settings.city.name,
            back_class,
            crumb,
            period_note,
            page.error or None,
        )

    # A card's click chooses its indicator, in the browser (cockpit.clicks): redrawn cards,
    # with no click, ask the server nothing.
    clicks.key_on_click(app, "economy-card", "index", "economy-indicator")

    @app.callback(
        Output({"type": "economy-card", "index": ALL}, "className"),
        Input("economy-indicator", "data"),
        State({"type": "economy-card", "index": ALL}, "id"),
        State({"type": "economy-card", "index": ALL}, "className"),
        prevent_initial_call=True,
    )
    def mark_chosen(indicator_id, card_ids, classes):
        """Outline the chosen indicator's card."""
        chosen = chosen_indicator(hub, indicator_id).id
        out = []
        for cid, cls in zip(card_ids, classes, strict=True):
            base = " ".join(c for c in (cls or "").split() if c != "selected")
            out.append(base + (" selected" if ids.decode_key(cid["index"]) == chosen else ""))
        return out

    @app.callback(
        Output("economy-trend", "figure"),
        Output("economy-trend-title", "children"),
        Output("economy-sentence", "children"),
        Output("economy-trend-note", "children"),
        Output("economy-trend-mode", "options"),
        Output("economy-ranking", "figure"),
        Output("economy-ranking-title", "children"),
        Output("economy-ranking-note", "children"),
        Output("economy-map-values", "data"),
        Output("economy-map-title", "children"),
        Output("economy-map-note", "children"),
        Input("filter-period", "value"),
        Input("filter-county", "value"),
        Input("economy-indicator", "data"),
        Input("economy-trend-mode", "value"),
    )
    @cached_output(hub, "economy-indicator")
    def update_indicator(period, county, indicator_id, mode):
        """Trend, ranking and map of the chosen indicator."""
        if not period:
            return (no_update,) * 11
        view = build_indicator(hub, period, county, indicator_id, mode or "cumulative")
        options = [
            {"label": "累计增速", "value": "cumulative"},
            {"label": "当月值", "value": "monthly", "disabled": not view.monthly_available},
        ]
        return (
            view.trend,
            view.trend_title,
            view.sentence,
            view.trend_note,
            options,
            view.ranking,
            view.ranking_title,
            view.ranking_note,
            maps.map_values(view.map, str(hub.settings.city.map_path())),
            view.map_title,
            view.map_note,
        )

    # A click on the map or the ranking opens that county; the breadcrumb returns to 全市.
    clicks.county_on_click(app, "economy-map", "economy-ranking", back="economy-back")

    @app.callback(
        Output("economy-download", "data"),
        Input("economy-export-csv", "n_clicks"),
        Input("economy-export-xlsx", "n_clicks"),
        State("filter-period", "value"),
        State("filter-county", "value"),
        prevent_initial_call=True,
    )
    def export_table(csv_clicks, xlsx_clicks, period, county):
        """Download the indicator table as CSV or Excel."""
        if not period or not (csv_clicks or xlsx_clicks):
            return no_update
        kind = "xlsx" if ctx.triggered_id == "economy-export-xlsx" else "csv"
        try:
            return export_file(hub, period, county, kind)
        except PermissionError:
            return no_update
