"""风险管控: warnings in force by level and domain, where they are, their trend, and 签收."""

from cockpit.domains.risk.config import RiskConfig
from cockpit.domains.risk.contracts import CONTRACTS
from cockpit.modules import DATA_ROLES, WALL_ROLE, ModuleSpec

MODULE = ModuleSpec(
    key="risk",
    title="风险管控",
    roles=DATA_ROLES | {WALL_ROLE},
    contracts=CONTRACTS,
    config_model=RiskConfig,
)
