"""要情专报: the leaders' briefing, built from the figures the screens show."""

from cockpit.modules import DATA_ROLES, ModuleSpec
from panels.briefing.config import BriefingConfig  # moves to cockpit.domains.briefing.config (#17)

MODULE = ModuleSpec(
    key="briefing",
    title="要情专报",
    roles=DATA_ROLES,
    config_model=BriefingConfig,
)
