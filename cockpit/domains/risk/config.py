"""The 风险管控 module's settings (config/risk.yaml), validated when the app is built."""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from cockpit.security.roles import RoleKeys

# The risk domains a city watches (see docs/datasets.md, risk.warnings.domain).
DOMAINS = ("安全生产", "自然灾害", "生态环境", "公共卫生", "金融", "社会稳定", "城市运行")
Domain = Literal["安全生产", "自然灾害", "生态环境", "公共卫生", "金融", "社会稳定", "城市运行"]
Colour = Literal["red", "orange", "yellow", "blue"]
SEVERITY = {"red": 1, "orange": 2, "yellow": 3, "blue": 4}
# The metrics a threshold rule may watch (cockpit/domains/risk/data.py computes them per place).
HOTLINE_METRICS = {
    "hotline.satisfaction": ("12345满意率", "%"),
    "hotline.on_time": ("12345按时办结率", "%"),
    "hotline.received": ("12345受理量", "件"),
}
KEY_WORK_METRICS = {
    "key_work.red": ("重点工作红灯任务", "项"),
    "key_work.red_share": ("重点工作红灯占比", "%"),
}
_ECONOMY_METRIC = re.compile(r"^economy\.([a-z][a-z0-9_]*)\.(growth|value)$")
_ID = r"^[a-z][a-z0-9_]*$"

# 春节: 除夕 and the six days after (the statutory holiday), 2016-2035. The festival moves
# through late January and February, so a 52-week season cannot hold it; see early_warning.py.
SPRING_FESTIVAL_EVES = (
    "2016-02-07", "2017-01-27", "2018-02-15", "2019-02-04", "2020-01-24", "2021-02-11",
    "2022-01-31", "2023-01-21", "2024-02-09", "2025-01-28", "2026-02-16", "2027-02-05",
    "2028-01-25", "2029-02-12", "2030-02-02", "2031-01-22", "2032-02-10", "2033-01-30",
    "2034-02-18", "2035-02-07",
)  # fmt: skip


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _ordered(lines: dict[Colour, float], worse: Literal["above", "below"]) -> None:
    """Lines must get more severe in the direction of `worse` (red beyond orange beyond ...)."""
    ordered = sorted(lines.items(), key=lambda kv: SEVERITY[kv[0]])  # red first
    for (a, va), (b, vb) in zip(ordered, ordered[1:], strict=False):
        if (worse == "below" and not va < vb) or (worse == "above" and not va > vb):
            word = "below" if worse == "below" else "above"
            raise ValueError(f"the {a} line must lie strictly {word} the {b} line")


class ThresholdRule(_Strict):
    """A four-colour line on an indicator or KPI: a value strictly beyond it is a warning."""

    id: str = Field(pattern=_ID)
    metric: str
    direction: Literal["above", "below"]  # which side of the lines is bad
    lines: dict[Colour, float] = Field(min_length=1)
    domain: Domain
    name: str | None = None  # default: the metric's own name
    places: Literal["city", "counties", "all"] = "all"
    # Who answers for it; default: the indicator's department, the hotline centre, 督查室.
    responsible_unit: str | None = None

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, value: str) -> str:
        if value in HOTLINE_METRICS or value in KEY_WORK_METRICS or _ECONOMY_METRIC.match(value):
            return value
        known = ", ".join([*HOTLINE_METRICS, *KEY_WORK_METRICS, "economy.<indicator>.growth|value"])
        raise ValueError(f"unknown metric {value!r}; expected one of {known}")

    @model_validator(mode="after")
    def _lines_in_order(self) -> ThresholdRule:
        _ordered(self.lines, self.direction)
        return self

    @property
    def levels(self) -> dict[int, float]:
        """Level (1 red ... 4 blue) -> line."""
        return {SEVERITY[c]: v for c, v in self.lines.items()}

    @property
    def economy_indicator(self) -> tuple[str, str] | None:
        """(indicator id, growth|value) for an economy metric, else None."""
        match = _ECONOMY_METRIC.match(self.metric)
        return (match.group(1), match.group(2)) if match else None


_DEFAULT_Z_LINES: dict[Colour, float] = {"yellow": 3.5, "orange": 6.0}


class AnomalySeries(_Strict):
    """Weekly 12345 counts judged against their own history (seasonal, robust)."""

    id: str = Field(pattern=_ID)
    by: Literal["category_l2", "county_code"]  # one series per category, or per county
    direction: Literal["up", "down", "both"] = "up"
    # Lines on the robust z-score (sigmas from the seasonal expectation).
    lines: dict[Colour, float] = Field(default_factory=lambda: _DEFAULT_Z_LINES.copy())
    min_count: int = Field(20, ge=0, description="a week with fewer tickets is not flagged up")
    history_weeks: int = Field(156, ge=60, le=520)
    domain: Domain = "社会稳定"
    domains: dict[str, Domain] = Field(default_factory=dict)  # per category, where it differs
    responsible_unit: str = "市12345政务服务便民热线中心"

    @model_validator(mode="after")
    def _lines_in_order(self) -> AnomalySeries:
        _ordered(self.lines, "above")
        if min(self.lines.values()) <= 0:
            raise ValueError("z lines must be positive")
        return self

    @property
    def levels(self) -> dict[int, float]:
        """Level (1 red ... 4 blue) -> line on |z|."""
        return {SEVERITY[c]: v for c, v in self.lines.items()}


class Holiday(_Strict):
    """A holiday that moves from year to year (春节): its first day and length."""

    name: str = "春节"
    first_day: dt.date
    days: int = Field(7, ge=1, le=31)


def _spring_festivals() -> tuple[Holiday, ...]:
    return tuple(Holiday(first_day=dt.date.fromisoformat(d)) for d in SPRING_FESTIVAL_EVES)


class RiskConfig(_Strict):
    """config/risk.yaml: the risk section."""

    acknowledge_roles: RoleKeys = Field(("city_leader", "city_staff", "county_staff"), min_length=1)
    trend_months: int = Field(12, ge=3, le=60)
    thresholds: tuple[ThresholdRule, ...] = ()
    anomalies: tuple[AnomalySeries, ...] = ()
    holidays: tuple[Holiday, ...] = Field(default_factory=_spring_festivals)

    @model_validator(mode="after")
    def _unique_ids(self) -> RiskConfig:
        ids = [r.id for r in self.thresholds] + [a.id for a in self.anomalies]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"rule ids repeated: {', '.join(repeated)}")
        return self
