"""应急指挥: events, warnings, resources and the duty roster on one map."""

from cockpit.domains.emergency.config import (
    EmergencyConfig,
)
from cockpit.domains.emergency.contracts import CONTRACTS
from cockpit.modules import DATA_ROLES, WALL_ROLE, ModuleSpec

MODULE = ModuleSpec(
    key="emergency",
    title="应急指挥",
    roles=DATA_ROLES | {WALL_ROLE},
    contracts=CONTRACTS,
    config_model=EmergencyConfig,
)
