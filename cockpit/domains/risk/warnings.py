"""Warnings in force: the sources' own (risk.warnings) and the cockpit's (thresholds, anomalies).

The cockpit's warnings are computed on every view from the current figures, never stored:
they are in force while their condition holds. Warnings in force are a fact of now, not of the
统计期 on screen: `in_force` judges every rule on the current month (`now_period`), so /risk
at any period, the overview, /emergency and 要情专报 count the same warnings. Their ids are stable (rule, place, period),
so an acknowledgement recorded in the store stays attached to them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pandas as pd

from cockpit.cache import is_miss, make_key
from cockpit.domains.configured import summary as configured_summary
from cockpit.domains.economy.transform import indicator_figure
from cockpit.domains.key_work import data as key_work_data
from cockpit.domains.key_work.transform import LightRules, with_lights
from cockpit.domains.risk import data
from cockpit.domains.risk.config import HOTLINE_METRICS, KEY_WORK_METRICS, AnomalySeries, RiskConfig
from cockpit.domains.risk.early_warning import (
    EarlyWarning,
    Judgement,
    anomaly_level,
    anomaly_reason,
    judge_latest,
    threshold_level,
    threshold_reason,
    week_label,
    weekly_matrix,
)
from cockpit.formatting import month_label
from cockpit.hub import DataHub, Result
from cockpit.scope import current_principal

log = logging.getLogger(__name__)
HOTLINE_UNIT = "市12345政务服务便民热线中心"
SUPERVISION_UNIT = "市政府督查室"
COLUMNS = (*data.WARNING_COLUMNS, "reason", "origin", "link")
ORIGIN_NAMES = {"source": "预警发布", "threshold": "驾驶舱阈值预警", "anomaly": "驾驶舱异常检测"}


@dataclass
class WarningsView:
    """Everything in force for a place: one frame, the source's answer, and notes."""

    frame: pd.DataFrame  # COLUMNS; origin: source | threshold | anomaly
    source: Result  # the risk.warnings answer (its 数据截至 and error)
    made: list[EarlyWarning] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # why some early warning could not be made


def place_names(hub: DataHub) -> dict[str, str]:
    """Division code -> name, the city included."""
    city = hub.settings.city
    return {city.code: city.name, **city.county_names}


def last_complete_week(as_of: dt.datetime | None, today: dt.date) -> pd.Timestamp:
    """The Monday of the last complete week before the data's as-of time (or today)."""
    stamp = pd.Timestamp(as_of or dt.datetime.combine(today, dt.time()))
    return stamp.normalize() - pd.Timedelta(days=stamp.weekday() + 7)


def _places(rule_places: str, county: str | None, city_code: str, counties: list[str]) -> list[str]:
    """Which places a rule is evaluated for, given the screen's county (None = whole city)."""
    if county:
        return [county]
    out = []
    # A city total is only meaningful to a user who sees the whole city.
    if rule_places in ("city", "all") and current_principal().whole_city:
        out.append(city_code)
    if rule_places in ("counties", "all"):
        out += counties
    return out


def _link(path: str, **params: str | None) -> str:
    """A link back to a figure: path and query (empty values left out)."""
    query = urlencode({k: v for k, v in params.items() if v})
    return f"{path}?{query}" if query else path


# -- threshold rules ---------------------------------------------------------------------------
def threshold_warnings(
    hub: DataHub,
    cfg: RiskConfig,
    period: str,
    county: str | None,
    today: dt.date,
    lights: LightRules,
) -> tuple[list[EarlyWarning], list[str]]:
    """Every rule of config/risk.yaml evaluated for the places on screen."""
    settings = hub.settings
    city = settings.city.code
    counties = [c.code for c in settings.city.counties]
    names = place_names(hub)
    county_param = county
    warnings: list[EarlyWarning] = []
    notes: list[str] = []
    metrics = _MetricReader(hub, cfg, period, today, lights)
    for rule in cfg.thresholds:
        reading = metrics.read(rule.metric)
        if reading.error:
            notes.append(f"阈值规则 {rule.id}：{reading.error}")
            continue
        name = rule.name or reading.name
        for place in _places(rule.places, county, city, counties):
            value = reading.values.get(place)
            level = threshold_level(value, rule.direction, rule.levels)
            if level is None:
                continue
            line = rule.levels[level]
            where = f"{names.get(place, place)}"
            reason = threshold_reason(
                name,
                _value_text(value, reading.unit),
                rule.direction,
                level,
                _value_text(line, reading.unit),
                f"{where}（{reading.label}）",
            )
            word = "低于" if rule.direction == "below" else "高于"
            warnings.append(
                EarlyWarning(
                    warning_id=f"EW-T-{rule.id}-{place}-{reading.period}",
                    origin="threshold",
                    domain=rule.domain,
                    level=level,
                    title=f"{where}{name}{word}预警线",
                    reason=reason,
                    county_code=place,
                    responsible_unit=rule.responsible_unit or reading.unit_in_charge,
                    source=ORIGIN_NAMES["threshold"],
                    issued_at=reading.as_of,
                    link=reading.link(place if place != city else None, county_param),
                )
            )
    return warnings, notes


@dataclass
class _Reading:
    """A metric's values per place, and what a sentence about it needs."""

    name: str = ""
    unit: str = ""
    label: str = ""
    period: str = ""
    values: dict[str, float | None] = field(default_factory=dict)
    as_of: dt.datetime | None = None
    unit_in_charge: str = ""
    error: str | None = None
    path: str = "/"
    extra: dict[str, str] = field(default_factory=dict)

    def link(self, place: str | None, county: str | None) -> str:
        """Back to the figure, for the place concerned (or the screen's county)."""
        return _link(
            self.path,
            period=self.extra.get("period"),
            county=place or county,
            **{k: v for k, v in self.extra.items() if k != "period"},
        )


class _MetricReader:
    """Reads each metric once per evaluation, whichever rules use it."""

    def __init__(
        self, hub: DataHub, cfg: RiskConfig, period: str, today: dt.date, lights: LightRules
    ) -> None:
        self.hub, self.cfg, self.period, self.today, self.lights = hub, cfg, period, today, lights
        self._cache: dict[str, _Reading] = {}
        self._economy: Result | None = None

    def read(self, metric: str) -> _Reading:
        """The reading of one metric (computed on first use)."""
        if metric not in self._cache:
            if metric.startswith("economy."):
                self._cache[metric] = self._economy_metric(metric)
            elif metric in HOTLINE_METRICS:
                self._cache[metric] = self._hotline_metric(metric)
            else:
                self._cache[metric] = self._key_work_metric(metric)
        return self._cache[metric]

    def _economy_metric(self, metric: str) -> _Reading:
        _, indicator_id, what = metric.split(".")
        indicator = self.hub.settings.indicator_map.get(indicator_id)
        if indicator is None:
            return _Reading(error=f"指标 {indicator_id} 不在指标目录（config/indicators.yaml）中")
        if self._economy is None:
            wanted = tuple(
                sorted(
                    {
                        r.metric.split(".")[1]
                        for r in self.cfg.thresholds
                        if r.metric.startswith("economy.")
                    }
                )
            )
            self._economy = data.economy_rows(self.hub, self.period, wanted)
        result = self._economy
        if not result.ok:
            return _Reading(error=result.error)
        values: dict[str, float | None] = {}
        shown = None
        for place in {self.hub.settings.city.code, *self.hub.settings.city.county_names}:
            fig = indicator_figure(result.frame, indicator, self.period, place)
            values[place] = fig.growth if what == "growth" else fig.value
            if fig.period and place == self.hub.settings.city.code:
                shown = fig
        # A shown figure has its period (it was picked for one).
        label_period = (shown.period if shown else None) or self.period
        label = f"{label_period[:4]}年{shown.label}" if shown else month_label(self.period)
        return _Reading(
            name=f"{indicator.name}{'增速' if what == 'growth' else ''}",
            unit="%" if what == "growth" else indicator.unit,
            label=label,
            period=label_period,
            values=values,
            as_of=result.as_of,
            unit_in_charge=indicator.department,
            path="/economy",
            extra={"period": self.period, "indicator": indicator.id},
        )

    def _hotline_metric(self, metric: str) -> _Reading:
        name, unit = HOTLINE_METRICS[metric]
        # The 12345 module's own counts and definitions (config/hotline.yaml), so a warning
        # says what the 12345 page shows.
        from cockpit.domains.hotline import data as hotline_data
        from cockpit.domains.hotline.config import HotlineConfig
        from cockpit.domains.hotline.kpis import rates, totals
        from cockpit.domains.hotline.transform import period_windows

        config = self.hub.module_config.get("hotline") or HotlineConfig()
        now = hotline_data.now_of(self.hub)
        window = period_windows(self.period, now)["current"]
        result = hotline_data.by_group(self.hub, config, window, now, "county_code")
        if not result.ok:
            return _Reading(error=result.error)
        frame = result.frame
        key = {"hotline.satisfaction": "satisfaction", "hotline.on_time": "on_time"}.get(
            metric, "received"
        )
        values: dict[str, float | None] = {}
        if not frame.empty:
            groups = {c: g for c, g in frame.groupby("county_code")}
            groups[self.hub.settings.city.code] = frame
            for place, group in groups.items():
                value = rates(totals(group)).get(key)
                values[place] = None if value is None else float(value)
        return _Reading(
            name=name,
            unit=unit,
            label=month_label(self.period),
            period=self.period,
            values=values,
            as_of=result.as_of,
            unit_in_charge=HOTLINE_UNIT,
            path="/hotline",
            extra={"period": self.period},
        )

    def _key_work_metric(self, metric: str) -> _Reading:
        name, unit = KEY_WORK_METRICS[metric]
        result = data.tasks(self.hub)
        if not result.ok:
            return _Reading(error=result.error)
        # The same lights as the 重点工作 page: milestones count where they can be read.
        milestones, _ = key_work_data.usable_milestones(key_work_data.milestones(self.hub, None))
        lit = with_lights(result.frame, self.today, self.lights, milestones)
        values: dict[str, float | None] = {}
        if not lit.empty:
            groups = {c: g for c, g in lit.groupby("county_code")}
            groups[self.hub.settings.city.code] = lit
            for place, g in groups.items():
                red = float((g["light"] == "red").sum())
                values[place] = red if metric == "key_work.red" else round(red / len(g) * 100, 1)
        return _Reading(
            name=name,
            unit=unit,
            label=f"截至{self.today.month}月{self.today.day}日",
            period=self.today.isoformat(),
            values=values,
            as_of=result.as_of,
            unit_in_charge=SUPERVISION_UNIT,
            path="/key-work",
        )


def _value_text(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    text = f"{value:.0f}" if unit in ("件", "项") else f"{value:.1f}".rstrip("0").rstrip(".")
    return f"{text}{unit}" if unit == "%" else f"{text}{unit}"


# -- anomalies ---------------------------------------------------------------------------------
def anomaly_warnings(
    hub: DataHub, cfg: RiskConfig, county: str | None, today: dt.date
) -> tuple[list[EarlyWarning], list[str]]:
    """Each configured weekly series judged on its last complete week."""
    warnings: list[EarlyWarning] = []
    notes: list[str] = []
    if not cfg.anomalies:
        return warnings, notes
    monday = last_complete_week(hub.as_of("hotline.tickets"), today)
    names = place_names(hub)
    city = hub.settings.city.code
    for series in cfg.anomalies:
        start = monday - pd.Timedelta(weeks=series.history_weeks)
        result = data.hotline_weekly(
            hub,
            series.by,
            start.to_pydatetime(),
            (monday + pd.Timedelta(days=7)).to_pydatetime(),
            county,
        )
        if not result.ok:
            notes.append(f"异常检测 {series.id}：{result.error}")
            continue
        judged = _judged(hub, cfg, series, result.frame, monday, county)
        if judged is None:
            notes.append(f"异常检测 {series.id}：历史数据不足两年，暂不判断")
            continue
        for key, judgement in judged:
            level = anomaly_level(judgement, series.direction, series.levels)
            if level is None or judgement.z is None:  # a level comes only with a z-score
                continue
            place = key if series.by == "county_code" else (county or city)
            if series.by == "county_code":
                subject = f"{names.get(key, key)}12345诉求"
                title = (
                    f"{names.get(key, key)}12345诉求量异常{'增多' if judgement.z > 0 else '减少'}"
                )
                domain = series.domain
                link = _link(
                    "/hotline",
                    period=monday.strftime("%Y-%m"),
                    county=key,
                    week=f"{monday:%Y-%m-%d}",
                )
            else:
                subject = f"{key}类诉求"
                where = names.get(place, place)
                title = f"{where}{key}类诉求异常{'增多' if judgement.z > 0 else '减少'}"
                domain = series.domains.get(key, series.domain)
                link = _link(
                    "/hotline",
                    period=monday.strftime("%Y-%m"),
                    county=county,
                    category=key,
                    week=f"{monday:%Y-%m-%d}",
                )
            warnings.append(
                EarlyWarning(
                    warning_id=f"EW-A-{series.id}-{key}-{place}-{monday:%Y-%m-%d}",
                    origin="anomaly",
                    domain=domain,
                    level=level,
                    title=title,
                    reason=anomaly_reason(subject, f"上周（{week_label(monday)}）", judgement),
                    county_code=place,
                    responsible_unit=series.responsible_unit,
                    source=ORIGIN_NAMES["anomaly"],
                    issued_at=(monday + pd.Timedelta(days=7)).to_pydatetime(),
                    link=link,
                    topic=f"hotline:{key}:{monday:%Y-%m-%d}" if series.by == "category_l2" else "",
                )
            )
    return warnings, notes


def _judged(
    hub: DataHub,
    cfg: RiskConfig,
    series: AnomalySeries,
    frame: pd.DataFrame,
    monday: pd.Timestamp,
    county: str | None,
) -> list[tuple[str, Judgement]] | None:
    """(key, judgement) per series key, cached across workers; None when history is short."""
    if frame.empty:
        return None
    frame = frame.rename(columns={series.by: "key"})
    # Weeks before the first with data are not zeros but unknown; the first week with data may
    # be partial, so history starts the week after.
    first = pd.Timestamp(frame["week"].min()) + pd.Timedelta(weeks=1)
    matrix = weekly_matrix(frame, "key", f"{first:%Y-%m-%d}", f"{monday:%Y-%m-%d}")
    if matrix.empty or matrix.index[-1] != monday:
        return None
    holidays = tuple((h.first_day, h.days) for h in cfg.holidays)
    digest = hashlib.sha256(matrix.to_csv().encode("utf-8")).hexdigest()
    key = make_key(
        "risk-anomaly-v1", series.model_dump(mode="json"), [str(h) for h in holidays], digest
    )
    cache = hub.cache
    if cache is not None:
        cached = cache.get(key)
        if not is_miss(cached):
            return cached
    k = min(series.levels.values())
    judged = []
    for name in matrix.columns:
        if series.by == "county_code" and county and name != county:
            continue
        judgement = judge_latest(
            matrix[name],
            k=k,
            direction=series.direction,
            holidays=holidays,
            counts=True,
            min_value=series.min_count,
        )
        if judgement.status == "too_short":
            return None
        judged.append((str(name), judgement))
    if cache is not None:
        cache.set(key, judged)
    return judged


# -- everything in force ---------------------------------------------------------------------
def now_period(today: dt.date) -> str:
    """The month the cockpit's threshold rules are judged on: the current one, whatever
    统计期 a screen shows (a warning in force is a fact of now)."""
    return f"{today:%Y-%m}"


def in_force(
    hub: DataHub,
    cfg: RiskConfig,
    county: str | None,
    today: dt.date,
    lights: LightRules | None = None,
) -> WarningsView:
    """The sources' warnings not yet lifted, and the cockpit's own judged now, in one frame."""
    period = now_period(today)
    source = data.warnings_in_force(hub, county)
    frame = (
        source.frame.copy()
        if not source.frame.empty
        else pd.DataFrame(columns=data.WARNING_COLUMNS)
    )
    frame["reason"] = ""
    frame["origin"] = "source"
    frame["link"] = [_link("/risk", warning=w) for w in frame["warning_id"]]
    made_t, notes_t = threshold_warnings(hub, cfg, period, county, today, lights or LightRules())
    made_a, notes_a = anomaly_warnings(hub, cfg, county, today)
    # The threshold warnings of the domains defined in config/domains/ (docs/domains.md).
    made_d, notes_d = configured_summary.early_warnings(hub, period, county)
    made = made_t + made_a + made_d
    notes_a = notes_a + notes_d
    rows = [
        {
            "warning_id": w.warning_id,
            "domain": w.domain,
            "level": w.level,
            "title": w.title,
            "county_code": w.county_code,
            "place": place_names(hub).get(w.county_code, ""),
            "lon": None,
            "lat": None,
            "responsible_unit": w.responsible_unit,
            "source": w.source,
            "issued_at": w.issued_at,
            "stage": "发布",
            "lifted_at": None,
            "reason": w.reason,
            "origin": w.origin,
            "link": w.link,
        }
        for w in made
    ]
    combined = (
        pd.concat(
            [frame[list(COLUMNS)], pd.DataFrame(rows, columns=list(COLUMNS))], ignore_index=True
        )
        if rows
        else frame[list(COLUMNS)]
    )
    combined["level"] = combined["level"].astype(int)
    combined["issued_at"] = pd.to_datetime(combined["issued_at"])
    combined = combined.sort_values(
        ["level", "issued_at"], ascending=[True, False], na_position="last"
    )
    return WarningsView(combined.reset_index(drop=True), source, made, notes_t + notes_a)
