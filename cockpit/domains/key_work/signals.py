"""督办线索: signals that can become supervision items in one step (the "12345热线+督查" way).

Three kinds, each carrying a link back to the figure it came from:
  economy  an indicator whose growth is red against its annual target;
  hotline  a 12345 category whose last complete week stands out from its last 8 weeks;
  risk     a warning in force at the configured levels (红/橙), the sources' or the cockpit's.
The builders are pure; collect() asks the hub. A signal is recomputed on the server when a
user turns it into a case, so what is written never comes from the browser.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pandas as pd

from cockpit.domains.economy.transform import indicator_figure
from cockpit.domains.hotline.transform import BASELINE_WEEKS, weekly_spikes
from cockpit.domains.key_work import data
from cockpit.domains.risk.early_warning import LEVEL_NAMES, EarlyWarning, week_label
from cockpit.formatting import as_of as as_of_text
from cockpit.formatting import percent
from cockpit.hub import DataHub
from cockpit.settings import Indicator
from cockpit.store import Signal

KIND_NAMES = {"economy": "经济运行", "hotline": "12345热线", "risk": "风险管控"}


def link(path: str, **params: str | None) -> str:
    """A link back to a figure: path and query string (empty values left out)."""
    query = urlencode({k: v for k, v in params.items() if v})
    return f"{path}?{query}" if query else path


def economy_signals(
    frame: pd.DataFrame,
    indicators: tuple[Indicator, ...],
    period: str,
    place_code: str,
    place_name: str,
    county: str | None,
) -> list[Signal]:
    """The indicators whose cumulative growth is red against target, for one place."""
    out: list[Signal] = []
    if frame.empty:
        return out
    for indicator in indicators:
        fig = indicator_figure(frame, indicator, period, place_code)
        red = fig.status == "red"  # a red figure has its period, growth and target
        if not red or fig.period is None or fig.growth is None or fig.target_growth is None:
            continue
        gap = abs(fig.growth - fig.target_growth)
        side = "低于" if indicator.good == "up" else "高于"
        out.append(
            Signal(
                key=f"economy:{indicator.id}:{fig.period}:{place_code}",
                kind="economy",
                title=(
                    f"{place_name}{indicator.name}{fig.label}同比{percent(fig.growth, signed=True)}，"
                    f"{side}目标{fig.target_growth:g}%"
                ),
                reason=(
                    f"{fig.period[:4]}年{fig.label}{indicator.name}增速{side}年度目标"
                    f"{gap:.1f}个百分点（预警幅度{indicator.warn_margin:g}个百分点），"
                    f"责任部门{indicator.department}"
                ),
                link=link("/economy", period=period, indicator=indicator.id, county=county),
                county_code=place_code,
            )
        )
    return out


def hotline_signals(
    weekly: pd.DataFrame,
    this_week: str,
    place_code: str,
    place_name: str,
    county: str | None,
    limit: int,
) -> list[Signal]:
    """12345 categories whose last complete week is a spike against their last 8 weeks."""
    if weekly.empty or limit <= 0:
        return []
    frame = weekly.rename(columns={"category_l2": "category"})
    monday = pd.Timestamp(this_week)
    out = []
    for s in weekly_spikes(frame, this_week).head(limit).itertuples():
        out.append(
            Signal(
                key=f"hotline:{s.category}:{this_week}:{place_code}",
                kind="hotline",
                title=f"{place_name}12345{s.category}类诉求激增",
                reason=(
                    f"上周（{week_label(monday)}）{s.category}类诉求 {int(s.tickets)} 件，"
                    f"为近{BASELINE_WEEKS}周均值（{s.baseline:g} 件）的 {s.ratio:g} 倍"
                ),
                link=link(
                    "/hotline",
                    period=monday.strftime("%Y-%m"),
                    county=county,
                    category=s.category,
                    week=this_week,
                ),
                county_code=place_code,
            )
        )
    return out


def warning_signals(
    warnings: pd.DataFrame,
    made: list[EarlyWarning],
    levels: tuple[int, ...],
    names: dict[str, str],
    covered_topics: set[str],
) -> list[tuple[int, Signal]]:
    """Warnings in force at the given levels (the sources' and the cockpit's own).

    A cockpit anomaly about a topic already offered as a 12345 spike is left out: one
    thing, one signal. Returns (level, signal) pairs, most severe first.
    """
    if warnings.empty:
        return []
    topics = {w.warning_id: w.topic for w in made}
    out = []
    for w in warnings[warnings["level"].isin(levels)].itertuples():
        if topics.get(w.warning_id) and topics[w.warning_id] in covered_topics:
            continue
        if w.reason:
            reason = w.reason
        else:
            issued = (
                ""
                if pd.isna(w.issued_at)
                else f"，{as_of_text(pd.Timestamp(w.issued_at).to_pydatetime())}发布"
            )
            place = (
                w.place if isinstance(w.place, str) and w.place else names.get(w.county_code, "")
            )
            reason = f"{place}，责任单位{w.responsible_unit}，当前阶段：{w.stage}{issued}"
        out.append(
            (
                int(w.level),
                Signal(
                    key=f"risk:{w.warning_id}",
                    kind="risk",
                    title=f"{LEVEL_NAMES.get(int(w.level), '')}预警：{w.title}",
                    reason=reason,
                    link=w.link,
                    county_code=w.county_code,
                ),
            )
        )
    return sorted(out, key=lambda pair: pair[0])


@dataclass
class Collected:
    """The signals for a screen, and what could not be read."""

    signals: list[Signal] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    as_of: dict[str, dt.datetime | None] = field(default_factory=dict)


def collect(hub: DataHub, period: str, county: str | None, today: dt.date) -> Collected:
    """Every current signal for the period and county (None = the whole city)."""
    from cockpit.domains.key_work.config import KeyWorkConfig
    from cockpit.domains.risk.config import RiskConfig
    from cockpit.domains.risk.warnings import in_force, last_complete_week, place_names

    cfg = hub.module_config.get("key_work") or KeyWorkConfig()
    risk_cfg = hub.module_config.get("risk") or RiskConfig()
    names = place_names(hub)
    place = county or hub.settings.city.code
    out = Collected()

    economy = data.economy_rows(hub, period, place)
    out.as_of["economy"] = economy.as_of
    if economy.error:
        out.errors.append(f"经济运行：{economy.error}")
    out.signals += economy_signals(
        economy.frame, hub.settings.indicators, period, place, names.get(place, place), county
    )

    monday = last_complete_week(hub.as_of("hotline.tickets"), today)
    weekly = data.hotline_weekly(hub, monday, county)
    out.as_of["hotline"] = weekly.as_of
    if weekly.error:
        out.errors.append(f"12345热线：{weekly.error}")
    hotline = hotline_signals(
        weekly.frame,
        f"{monday:%Y-%m-%d}",
        place,
        names.get(place, place),
        county,
        cfg.signals.hotline_spikes,
    )
    out.signals += hotline

    view = in_force(hub, risk_cfg, county, today, cfg.lights.rules())
    out.as_of["risk"] = view.source.as_of
    if view.source.error:
        out.errors.append(f"风险管控：{view.source.error}")
    covered = {f"hotline:{s.key.split(':')[1]}:{s.key.split(':')[2]}" for s in hotline}
    risk = warning_signals(view.frame, view.made, cfg.signals.warning_levels, names, covered)
    # Most urgent first: red warnings, then indicators and spikes, then the other warnings.
    red = [s for level, s in risk if level == 1]
    out.signals = red + out.signals + [s for level, s in risk if level != 1]
    return out
