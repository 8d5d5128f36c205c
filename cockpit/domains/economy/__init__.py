"""经济运行: the economic-operation module, as a city's statistics office reports it."""

from cockpit.domains.economy.checks import CHECKS
from cockpit.domains.economy.config import EconomyConfig
from cockpit.domains.economy.contracts import CONTRACTS
from cockpit.modules import DATA_ROLES, WALL_ROLE, ModuleSpec

MODULE = ModuleSpec(
    key="economy",
    title="经济运行",
    roles=DATA_ROLES | {WALL_ROLE},
    contracts=CONTRACTS,
    config_model=EconomyConfig,
    checks=CHECKS,
)
