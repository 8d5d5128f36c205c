"""市局直通: a page per bureau (市局): its indicators, the 重点工作 it leads, the warnings it
answers for, and its people with one-tap calls. No datasets of its own: it reads the other
modules' (cockpit/domains/bureaus/data.py)."""

from cockpit.modules import DATA_ROLES, ModuleSpec

MODULE = ModuleSpec(key="bureaus", title="市局直通", roles=DATA_ROLES)
