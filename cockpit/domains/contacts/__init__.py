"""一键直联 / 市局直通: the directory, today's duty roster, who answers for a thing."""

from cockpit.domains.contacts.contracts import CONTRACTS
from cockpit.modules import DATA_ROLES, ModuleSpec

MODULE = ModuleSpec(
    key="contacts",
    title="一键直联",
    roles=DATA_ROLES,
    contracts=CONTRACTS,
)
