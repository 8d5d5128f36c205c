"""风险管控: warnings in force by level and domain, where they are, their trend, and 签收."""

from cockpit.domains.risk.contracts import CONTRACTS
from cockpit.modules import DATA_ROLES, WALL_ROLE, ModuleSpec
from panels.risk.config import RiskConfig  # moves to cockpit.domains.risk.config (#17)

MODULE = ModuleSpec(
    key="risk",
    title="风险管控",
    roles=DATA_ROLES | {WALL_ROLE},
    contracts=CONTRACTS,
    config_model=RiskConfig,
)
