"""A configured domain's indicators, computed from its datasets' monthly aggregates (pure).

The aggregates by county and month (cockpit.domains.configured.data) become rows in the shape
of economy.indicator_values (indicator_id, county_code, period, period_type, value, growth ...)
so that the economy module's own rules apply unchanged: growth computed from last year's same
period (economy.transform.with_growth), targets by year and 序时进度 (growth_status,
completion, progress_status), county ranking with ties and the previous rank (county_ranking).
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cockpit.domains.configured.schema import LEVELS, Domain
from cockpit.domains.configured.schema import Indicator as Declared
from cockpit.domains.economy.data import COLUMNS as ECONOMY_COLUMNS
from cockpit.domains.economy.transform import (
    completion,
    county_ranking,
    growth_status,
    progress_status,
    row_kind,
    time_progress,
    with_growth,
)
from cockpit.formatting import month_label, number, percent, period_label
from cockpit.settings import Decimals, Indicator

# The economy module's indicator rows: the shape its growth, target and ranking rules read.
ROW_COLUMNS = ECONOMY_COLUMNS


def catalog_entry(domain: Domain, ind: Declared) -> Indicator:
    """The indicator as the economy module's rules read it (settings.Indicator)."""
    return Indicator(
        id=ind.id,
        name=ind.name,
        unit=ind.unit or "—",
        definition=ind.definition or ind.name,
        department=ind.department or domain.department or domain.title,
        frequency="monthly",
        form="cumulative" if ind.form == "cumulative" else "monthly",
        growth=ind.growth,
        good=ind.good,
        additive=flow(ind),
        target=ind.target,
        warn_margin=ind.warn_margin,
        decimals=Decimals(value=ind.decimals, growth=1),
    )


def flow(ind: Declared) -> bool:
    """A quantity that adds up over months and counties (a sum or a count, not a ratio)."""
    return ind.per is None and ind.measure.agg in ("sum", "count")


def measure_names(ind: Declared) -> tuple[str, str | None]:
    """The names of the indicator's numerator and denominator in the aggregate frame."""
    den = ind.per is not None or ind.measure.agg == "mean"
    return f"{ind.id}__num", (f"{ind.id}__den" if den else None)


def indicator_rows(
    frame: pd.DataFrame, domain: Domain, dataset: str, county_column: str, city_code: str
) -> pd.DataFrame:
    """Rows in the shape of economy.indicator_values for the dataset's indicators, counties
    and the city (the counties' aggregates added up), each month and cumulative from January."""
    parts = []
    for ind in (i for i in domain.indicators if i.dataset == dataset):
        num, den = measure_names(ind)
        if frame.empty or num not in frame:
            continue
        keep = [county_column, "bucket_month", num] + ([den] if den else [])
        g = frame[keep].rename(
            columns={county_column: "county_code", "bucket_month": "month", num: "num"}
        )
        g["month"] = g["month"].astype(str).str[:7]
        if den:
            g = g.rename(columns={den: "den"})
        g = g.astype({"num": "float64", **({"den": "float64"} if den else {})})
        how = {"max": "max", "min": "min"}.get(ind.measure.agg, "sum")
        city = g.groupby("month", as_index=False).agg(
            {"num": how, **({"den": "sum"} if den else {})}
        )
        g = pd.concat([g, city.assign(county_code=city_code)], ignore_index=True)
        g = g.sort_values(["county_code", "month"]).reset_index(drop=True)
        if ind.form == "cumulative":
            years = g["month"].str[:4]
            grouped = g.groupby([g["county_code"], years])
            g["num"] = (
                grouped["num"].cummax()
                if how == "max"
                else (grouped["num"].cummin() if how == "min" else grouped["num"].cumsum())
            )
            if den:
                g["den"] = grouped["den"].cumsum()
        scale = ind.scale if ind.scale is not None else (100.0 if ind.per is not None else 1.0)
        # A ratio or a mean: a month without rows to divide by has no value (missing, not 0).
        value = g["num"] / g["den"].replace(0, np.nan) * scale if den else g["num"] * scale
        parts.append(
            pd.DataFrame(
                {
                    "indicator_id": ind.id,
                    "county_code": g["county_code"],
                    "period": g["month"],
                    "period_type": "cumulative" if ind.form == "cumulative" else "month",
                    "value": value.round(ind.decimals + 2),
                    "growth": np.nan,
                    "unit": ind.unit,
                    "release_date": [_month_end(p) for p in g["month"]],
                }
            )
        )
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in ROW_COLUMNS})
    return pd.concat(parts, ignore_index=True)


def _month_end(period: str) -> dt.date:
    year, month = int(period[:4]), int(period[5:7])
    return dt.date(year, month, calendar.monthrange(year, month)[1])


@dataclass(frozen=True)
class Figure:
    """An indicator's figure for one place and period, with its light and target."""

    id: str
    name: str
    short_name: str
    unit: str
    decimals: int
    place: str
    period: str
    label: str  # 1-10月 or 2026年10月
    value: float | None
    growth: float | None
    growth_computed: bool
    status: str  # green | yellow | red | none
    target: float | None
    target_kind: str | None  # growth | level
    done: float | None  # % of a level target reached (flows)
    elapsed: float | None  # 序时进度 in % (flows against a level target)

    @property
    def value_text(self) -> str:
        """The value as the screens write it, without its unit."""
        return number(self.value, self.decimals, exact=True) if self.value is not None else "—"

    @property
    def note(self) -> str:
        """Growth and target, in a card's words."""
        bits = []
        if self.growth is not None:
            bits.append(f"同比 {percent(self.growth, signed=True)}（测算）")
        if self.target_kind == "growth" and self.target is not None:
            bits.append(f"目标增长{self.target:g}%")
        elif self.done is not None and self.elapsed is not None:
            bits.append(f"完成目标{self.done:.1f}% · 序时进度{self.elapsed:.1f}%")
        elif self.target is not None:
            bits.append(f"目标{self.target:g}{self.unit}")
        return " · ".join(bits)


def prepared(rows: pd.DataFrame, domain: Domain) -> dict[str, pd.DataFrame]:
    """Each indicator's rows with growth computed where its declaration allows."""
    return {ind.id: with_growth(rows, catalog_entry(domain, ind)) for ind in domain.indicators}


def figure(
    domain: Domain,
    ind: Declared,
    rows: pd.DataFrame,
    period: str,
    place: str,
    *,
    whole_city: bool = False,
) -> Figure:
    """The indicator's figure at `period` for a place (a county code or the city's code).

    whole_city: the place is the whole city (not a county, nor the total of a county
    account's scope, which is drawn under the city's code too). A level target of a quantity
    that adds up (完成投资 310亿元) is the city's: only the city's total is judged against it;
    a county only against a target of its own (target.counties)."""
    entry = catalog_entry(domain, ind)
    kind = row_kind(entry)
    at = rows[(rows.county_code == place) & (rows.period == period) & (rows.period_type == kind)]
    label = period_label(period) if ind.form == "cumulative" else month_label(period)
    year = int(period[:4])
    value = growth = None
    computed = False
    if not at.empty:
        row = at.iloc[-1]
        value = None if pd.isna(row["value"]) else float(row["value"])
        growth = None if pd.isna(row["growth"]) else float(row["growth"])
        computed = bool(row.get("growth_computed", False))
    target = ind.target.for_year(year, place) if ind.target else None
    kind_of_target = ind.target.kind if ind.target else None
    if (
        ind.target is not None
        and kind_of_target == "level"
        and flow(ind)
        and not whole_city
        and place not in ind.target.counties
    ):
        target = kind_of_target = None  # the city's target, not this place's
    done = elapsed = None
    status = "none"
    if kind_of_target == "growth":
        status = growth_status(growth, entry, year, place)
    elif kind_of_target == "level" and target is not None and value is not None:
        if flow(ind) and ind.form == "cumulative":
            done = completion(value, target)
            elapsed = time_progress(period)
            status = progress_status(done, elapsed, ind.warn_margin, ind.good)
        else:
            gap = value - target if ind.good == "up" else target - value
            status = "green" if gap >= 0 else ("yellow" if gap >= -ind.warn_margin else "red")
    return Figure(
        ind.id,
        ind.name,
        ind.short_name or ind.name,
        ind.unit,
        ind.decimals,
        place,
        period,
        label,
        value,
        growth,
        computed,
        status,
        target,
        kind_of_target,
        done,
        elapsed,
    )


def ranking(
    domain: Domain, ind: Declared, rows: pd.DataFrame, period: str, counties: list[str]
) -> pd.DataFrame:
    """Every county's value at `period`, ranked (ties share, missing unranked), with the
    previous month's rank: economy.transform.county_ranking."""
    return county_ranking(rows, catalog_entry(domain, ind), period, counties, rank_by="value")


@dataclass(frozen=True)
class Alert:
    """A threshold crossed: a warning of the domain, in the national four colours."""

    level: int  # 1 红 ... 4 蓝
    place: str  # county code or the city's
    place_name: str
    indicator: str
    text: str
    unit: str = ""


def alerts(
    domain: Domain,
    prepared_rows: dict[str, pd.DataFrame],
    period: str,
    places: dict[str, str],
    city_code: str,
) -> list[Alert]:
    """The domain's threshold warnings at `period` (places: code -> name, counties in scope)."""
    out = []
    by_id = {i.id: i for i in domain.indicators}
    for rule in domain.warnings:
        ind = by_id[rule.indicator]
        codes = {
            "counties": [c for c in places if c != city_code],
            "city": [city_code],
            "both": list(places),
        }[rule.places]
        for code in codes:
            if code not in places:
                continue
            fig = figure(domain, ind, prepared_rows[ind.id], period, code)
            if fig.value is None:
                continue
            above = rule.above is not None and fig.value > rule.above
            below = rule.below is not None and fig.value < rule.below
            if not (above or below):
                continue
            bound = rule.above if above else rule.below
            word = "高于" if above else "低于"
            text = (
                f"{places[code]}{ind.name}（{fig.label}）{fig.value_text}{ind.unit}，"
                f"{word}预警阈值{bound:g}{ind.unit}"
            )
            out.append(Alert(LEVELS[rule.level], code, places[code], ind.id, text, rule.unit))
    return sorted(out, key=lambda a: (a.level, a.place))


def kpi_indicators(domain: Domain) -> list[Declared]:
    """The domain's headline indicators: those of its first KPI section (else the first three)."""
    by_id = {i.id: i for i in domain.indicators}
    for s in domain.screen:
        if s.kind == "kpis":
            return [by_id[i] for i in s.indicators]
    return list(domain.indicators[:3])


def paragraph(domain: Domain, figures: list[Figure], found: list[Alert], place: str) -> str:
    """The domain's paragraph of 要情专报, in the official register:
    「产业经济方面，1-10月，全市重点项目完成投资285.30亿元，同比增长8.2%，……。」"""
    clauses = []
    for f in figures:
        if f.value is None:
            clauses.append(f"{f.short_name}暂无数据")
            continue
        text = f"{f.label}，{place}{f.short_name}{f.value_text}{f.unit}"
        if f.growth is not None:
            text += f"，同比{'增长' if f.growth >= 0 else '下降'}{abs(f.growth):.1f}%"
        if f.done is not None and f.elapsed is not None:
            gap = f.done - f.elapsed
            side = "高于" if gap >= 0 else "低于"
            text += f"，完成年度目标的{f.done:.1f}%，{side}序时进度{abs(gap):.1f}个百分点"
        elif f.target_kind == "level" and f.target is not None:
            reached = f.value >= f.target if _up(domain, f) else f.value <= f.target
            text += f"，{'达到' if reached else '未达到'}年度目标（{f.target:g}{f.unit}）"
        elif f.target_kind == "growth" and f.target is not None:
            text += f"，目标增长{f.target:g}%"
        clauses.append(text)
    if found:
        worst = min(a.level for a in found)
        names = "、".join(dict.fromkeys(a.place_name for a in found))
        clauses.append(
            f"{names}触发{'红橙黄蓝'[worst - 1]}色等{len(found)}条阈值预警，请相关部门关注"
        )
    else:
        clauses.append("未触发阈值预警")
    return f"{domain.title}方面，" + "；".join(clauses) + "。"


def _up(domain: Domain, f: Figure) -> bool:
    return next(i.good for i in domain.indicators if i.id == f.id) == "up"
