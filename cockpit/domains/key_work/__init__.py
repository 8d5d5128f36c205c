"""重点工作: key tasks with computed status lights, 督办 actions, and signals turned into items."""

from cockpit.domains.key_work.config import KeyWorkConfig
from cockpit.domains.key_work.contracts import CONTRACTS
from cockpit.modules import DATA_ROLES, WALL_ROLE, ModuleSpec

MODULE = ModuleSpec(
    key="key_work",
    title="重点工作",
    roles=DATA_ROLES | {WALL_ROLE},
    contracts=CONTRACTS,
    config_model=KeyWorkConfig,
)
