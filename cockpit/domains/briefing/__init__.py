"""要情专报: the leaders' briefing, built from the figures the screens show."""

from cockpit.domains.briefing.config import BriefingConfig
from cockpit.modules import DATA_ROLES, ModuleSpec

MODULE = ModuleSpec(
    key="briefing",
    title="要情专报",
    roles=DATA_ROLES,
    config_model=BriefingConfig,
)
