"""The emergency screen's own settings (config/emergency.yaml), checked at start-up."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class EmergencyConfig(BaseModel):
    """How often the screen refreshes and how many nearby resources it lists."""

    model_config = ConfigDict(extra="forbid")

    # While any event is being handled, the screen refreshes this often (seconds).
    refresh_seconds: int = Field(10, ge=2, le=600)
    # With nothing active, one cheap count of active events this often (seconds), so a new
    # event wakes the screen up; 0 turns the check off (then only a reload shows new events).
    idle_check_seconds: int = Field(60, ge=0, le=3600)
    # Nearest resources listed for the selected event, per kind (rescue teams, warehouses, ...).
    nearest_per_kind: int = Field(3, ge=1, le=10)
