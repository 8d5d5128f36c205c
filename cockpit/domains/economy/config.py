"""The economy module's own settings (config/economy.yaml), validated at start-up.

The indicator catalog (config/indicators.yaml, cockpit.settings.Indicator) holds what every
module needs to know about an indicator. What only this screen needs lives here, per indicator:
a short name for tight spaces, the words of its growth sentence, what counties are ranked by,
and yearly level targets (e.g. the 年度预算数 of budget revenue) for 目标完成 and 序时进度.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from cockpit.settings import ConfigError, Indicator


class _Strict(BaseModel):
    """Unknown keys are errors: a typo must not be silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ForecastSettings(_Strict):
    """趋势研判: the short-term projection of monthly indicators."""

    enabled: bool = True
    horizon: int = Field(3, ge=1, le=6, description="months ahead, never past December")
    min_years: float = Field(
        3.0, ge=2.0, le=10.0, description="years of unbroken monthly history needed"
    )
    interval: float = Field(0.8, gt=0.5, lt=1.0, description="coverage of the uncertainty band")
    simulations: int = Field(1000, ge=100, le=20_000)
    seed: int = 20261121  # fixed, so that the same data always draws the same band


class IndicatorExtras(_Strict):
    """Per-indicator settings of this screen (everything else is in the catalog)."""

    short_name: str | None = Field(None, min_length=1, description="name for cards and charts")
    rise_word: str = Field("增长", min_length=1, description="增长, or 上涨 for prices")
    fall_word: str = Field("下降", min_length=1)
    rank_by: Literal["growth", "value"] | None = Field(
        None, description="what counties are ranked by; default growth where there is one"
    )
    # Level targets by year (in the indicator's unit), next to the catalog's target: e.g. the
    # budget (预算数) of 一般公共预算收入. They give 目标完成 and 序时进度.
    level_targets: dict[int, float] = Field(default_factory=dict)
    progress_margin: float | None = Field(
        None, ge=0, description="points behind 序时进度 that turn the light red"
    )


class EconomyConfig(_Strict):
    """config/economy.yaml, section `economy`."""

    default_indicator: str | None = None
    progress_margin: float = Field(
        5.0, ge=0, description="points behind 序时进度 that turn a level target's light red"
    )
    forecast: ForecastSettings = ForecastSettings()
    indicators: dict[str, IndicatorExtras] = Field(default_factory=dict)

    def extras(self, indicator_id: str) -> IndicatorExtras:
        """The extras of an indicator (defaults where none are configured)."""
        return self.indicators.get(indicator_id) or IndicatorExtras()

    def short_name(self, indicator: Indicator) -> str:
        """The indicator's short name, or its catalog name."""
        return self.extras(indicator.id).short_name or indicator.name

    def margin(self, indicator_id: str) -> float:
        """Points behind 序时进度 that turn the indicator's light red."""
        own = self.extras(indicator_id).progress_margin
        return self.progress_margin if own is None else own

    def check_catalog(
        self, catalog: dict[str, Indicator], counties: Collection[str] | None = None
    ) -> None:
        """Refuse settings that name indicators the catalog does not have, and targets for
        counties the city does not have (ConfigError, one line each)."""
        problems = [
            f"config/indicators.yaml: indicators.{position}.target.counties.{code}: "
            f"not a county of the city (config/city.yaml)"
            for position, indicator in enumerate(catalog.values())
            if indicator.target is not None and counties is not None
            for code in indicator.target.counties
            if code not in counties
        ]
        problems += [
            f"config/economy.yaml: economy.indicators.{key}: not in the indicator catalog "
            f"(config/indicators.yaml); expected one of {', '.join(catalog)}"
            for key in self.indicators
            if key not in catalog
        ]
        if self.default_indicator is not None and self.default_indicator not in catalog:
            problems.append(
                f"config/economy.yaml: economy.default_indicator: {self.default_indicator!r} "
                f"is not in the indicator catalog (config/indicators.yaml)"
            )
        if problems:
            raise ConfigError(problems)
