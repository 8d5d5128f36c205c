"""The 12345 module's configuration (config/hotline.yaml, section `hotline`), validated at start-up.

Where no national standard fixes a KPI's definition, the city chooses it here; the hover text
and docs/hotline-kpis.md describe each choice. Unknown keys are errors (one line per problem).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from cockpit.domains.hotline.kpis import KPI_BY_KEY


class Strict(BaseModel):
    """Unknown keys are errors: a typo must not silently fall back to a default."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Definitions(Strict):
    """The working definitions of the KPIs that no standard fixes."""

    satisfied_values: tuple[str, ...] = Field(("满意", "基本满意"), min_length=1)
    on_time_cohort: Literal["due", "received"] = "due"
    on_time_includes_direct: bool = False
    reopened_counts_on_time: bool = False
    extended_counts_on_time: bool = True
    satisfaction_cohort: Literal["closed", "received"] = "closed"
    handling_from: Literal["received_at", "dispatched_at"] = "received_at"
    handling_includes_direct: bool = False
    repeat_key: Literal["citizen_phone", "address"] = "citizen_phone"
    lookback_days: int = Field(120, ge=7, le=730)
    channels: tuple[str, ...] = Field(("电话", "微信", "网站", "APP", "短信", "邮件"), min_length=1)


class Target(Strict):
    """Thresholds of a KPI's light: at `good` or better green, at `warn` or better yellow."""

    good: float
    warn: float


DEFAULT_TARGETS: dict[str, Target] = {
    "sign_on_time": Target(good=98, warn=95),
    "on_time": Target(good=95, warn=90),
    "closure": Target(good=98, warn=95),
    "followup": Target(good=90, warn=80),
    "satisfaction": Target(good=90, warn=85),
    "return_rate": Target(good=3, warn=5),
    "reopen_rate": Target(good=2, warn=4),
    "extension_rate": Target(good=5, warn=8),
    "repeat_rate": Target(good=10, warn=20),
}


class HotTopics(Strict):
    """What makes a category or a keyword 'hot' this week, and how much text is read."""

    baseline_weeks: int = Field(8, ge=2, le=52)
    ratio: float = Field(1.8, gt=1)
    min_count: int = Field(20, ge=1)
    sample_rows: int = Field(2000, ge=50, le=5000)
    keywords: int = Field(10, ge=1, le=50)
    stopwords: tuple[str, ...] = (
        "反映",
        "要求",
        "尽快",
        "问题",
        "处理",
        "小区",
        "号楼",
        "附近",
        "相关",
        "进行",
        "没有",
        "存在",
        "影响",
        "多次",
        "只有",
        "工作人员",
        "街道",
        "单位",
    )


class Ranking(Strict):
    """The responsible-unit 红黑榜."""

    min_tickets: int = Field(10, ge=1)
    size: int = Field(5, ge=1, le=20)


class Sla(Strict):
    """The deadline clocks: how near a deadline counts as 'soon'."""

    soon_hours: int = Field(24, ge=1, le=720)
    warn_hours: int = Field(72, ge=1, le=720)
    list_rows: int = Field(8, ge=1, le=30)

    @model_validator(mode="after")
    def _ordered(self) -> Sla:
        if self.warn_hours < self.soon_hours:
            raise ValueError("warn_hours must be at least soon_hours")
        return self


class Lists(Strict):
    """The ticket list behind a number."""

    page_size: int = Field(20, ge=5, le=100)
    repeat_rows: int = Field(8, ge=1, le=30)


class HotlineConfig(Strict):
    """The whole `hotline` section."""

    definitions: Definitions = Definitions()
    targets: dict[str, Target] = Field(default_factory=lambda: dict(DEFAULT_TARGETS))
    hot_topics: HotTopics = HotTopics()
    ranking: Ranking = Ranking()
    sla: Sla = Sla()
    lists: Lists = Lists()

    @field_validator("targets")
    @classmethod
    def _known_kpis(cls, value: dict[str, Target]) -> dict[str, Target]:
        for key, target in value.items():
            kpi = KPI_BY_KEY.get(key)
            if kpi is None or kpi.good == "none":
                known = ", ".join(k for k, v in KPI_BY_KEY.items() if v.good != "none")
                raise ValueError(f"no target can be set for {key!r}; expected one of {known}")
            if kpi.good == "up" and target.good < target.warn:
                raise ValueError(f"{key}: higher is better, so good must be >= warn")
            if kpi.good == "down" and target.good > target.warn:
                raise ValueError(f"{key}: lower is better, so good must be <= warn")
        return value

    def target(self, key: str) -> tuple[float, float] | None:
        """(good, warn) of a KPI, if the city set one."""
        t = self.targets.get(key)
        return None if t is None else (t.good, t.warn)


def module_config(hub: Any) -> HotlineConfig:
    """The validated section from the hub (the factory fills it), or the defaults."""
    config = getattr(hub, "module_config", {}).get("hotline")
    return config if isinstance(config, HotlineConfig) else HotlineConfig()
