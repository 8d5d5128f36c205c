"""The 重点工作 module's settings (config/key_work.yaml), validated when the app is built."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cockpit.domains.key_work.transform import (
    BEHIND_MARGIN,
    MILESTONE_RED_DAYS,
    MILESTONE_YELLOW_DAYS,
    STALE_DAYS,
    STALLED_DAYS,
    LightRules,
)
from cockpit.security.roles import RoleKeys


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Lights(_Strict):
    """When a task's light turns yellow or red."""

    behind_margin: float = Field(BEHIND_MARGIN, ge=0, le=100, description="percentage points")
    stale_days: int = Field(STALE_DAYS, ge=1, description="feedback older than this: yellow")
    stalled_days: int = Field(STALLED_DAYS, ge=1, description="feedback older than this: red")
    milestone_yellow_days: int = Field(
        MILESTONE_YELLOW_DAYS, ge=0, description="a milestone overdue by more days: yellow"
    )
    milestone_red_days: int = Field(
        MILESTONE_RED_DAYS, ge=0, description="a milestone overdue by more days: red"
    )

    @model_validator(mode="after")
    def _stalled_after_stale(self) -> Lights:
        if self.stalled_days < self.stale_days:
            raise ValueError("stalled_days must not be shorter than stale_days")
        if self.milestone_red_days < self.milestone_yellow_days:
            raise ValueError("milestone_red_days must not be shorter than milestone_yellow_days")
        return self

    def rules(self) -> LightRules:
        """The rules as the pure light functions take them."""
        return LightRules(
            self.behind_margin,
            self.stale_days,
            self.stalled_days,
            self.milestone_yellow_days,
            self.milestone_red_days,
        )


class Supervision(_Strict):
    """Who may record supervision actions, and the escalation ladder."""

    roles: RoleKeys = Field(("city_leader", "city_staff"), min_length=1)
    # 提级督办 climbs this ladder; the first rung is where a case starts.
    levels: tuple[str, ...] = Field(("督查室督办", "分管领导督办", "主要领导督办"), min_length=2)
    # Roles of the 承办单位 that reply (进展反馈, 办结申请, 申请延期) to their own unit's items.
    unit_roles: RoleKeys = Field(("unit_staff",), min_length=1)
    # Days the unit has to answer each action (立项督办, 催办, 约谈, 提级督办, 退回); an action
    # not answered in time escalates 催办 -> 约谈 -> 提级督办 (the escalation job).
    deadline_days: dict[str, int] = Field(
        default_factory=lambda: {"立项督办": 3, "催办": 3, "约谈": 3, "提级督办": 5, "退回": 3}
    )
    default_deadline_days: int = Field(3, ge=1, le=365)
    # 申请延期 moves the deadline on by this many days (once per action awaited).
    extension_days: int = Field(7, ge=1, le=90)

    def deadline(self, action: str) -> int:
        """Days the unit has to answer this action."""
        return self.deadline_days.get(action, self.default_deadline_days)


class Signals(_Strict):
    """Which signals the 督办线索 list offers."""

    warning_levels: tuple[int, ...] = Field((1, 2), min_length=1)  # 1 红, 2 橙
    hotline_spikes: int = Field(5, ge=0, le=50, description="at most this many 12345 spikes")

    @model_validator(mode="after")
    def _levels(self) -> Signals:
        bad = [lv for lv in self.warning_levels if lv not in (1, 2, 3, 4)]
        if bad:
            raise ValueError(f"warning levels are 1-4 (红橙黄蓝), got {bad}")
        return self


class KeyWorkConfig(_Strict):
    """config/key_work.yaml: the key_work section."""

    lights: Lights = Lights()
    supervision: Supervision = Supervision()
    signals: Signals = Signals()
