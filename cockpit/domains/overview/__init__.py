"""一屏知全市: the overview of the whole city on one screen."""

from cockpit.modules import DATA_ROLES, WALL_ROLE, ModuleSpec

MODULE = ModuleSpec(
    key="overview",
    title="一屏知全市",
    roles=DATA_ROLES | {WALL_ROLE},
)
