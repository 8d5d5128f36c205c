"""The 要情专报 module's settings (config/briefing.yaml), validated at start-up."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class BriefingConfig(BaseModel):
    """config/briefing.yaml, section `briefing`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Indicators of the economy paragraph, in order (ids of config/indicators.yaml); empty: all.
    indicators: list[str] = Field(default_factory=list)
    topics: int = Field(3, ge=1, le=10, description="main 12345 categories named")
    spikes: int = Field(3, ge=0, le=10, description="12345 categories that rose, named")
    keywords: int = Field(5, ge=0, le=20, description="hot words of those categories; 0: none")
    named_warning_levels: int = Field(
        2, ge=0, le=4, description="warnings at this level or more severe are named (1 红 2 橙)"
    )
