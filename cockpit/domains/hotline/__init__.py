"""12345 热线: ticket KPIs, breakdowns, rankings, deadline clocks and hot topics."""

from cockpit.domains.hotline.config import HotlineConfig
from cockpit.domains.hotline.contracts import CONTRACTS
from cockpit.domains.hotline.rollups import ROLLUPS
from cockpit.modules import DATA_ROLES, WALL_ROLE, ModuleSpec

MODULE = ModuleSpec(
    key="hotline",
    title="12345热线",
    roles=DATA_ROLES | {WALL_ROLE},
    contracts=CONTRACTS,
    rollups=ROLLUPS,
    config_model=HotlineConfig,
)
