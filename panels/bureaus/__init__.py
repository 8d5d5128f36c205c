"""市局直通: a page per bureau (/bureaus?name=市住建局): its indicators, the 重点工作 it leads,
the warnings it answers for, and its people with one-tap calls (recorded like every call)."""

from cockpit.domains.bureaus import MODULE
from cockpit.links import BUREAU_PATH
from cockpit.panels import PanelSpec
from panels.bureaus.callbacks import register_callbacks
from panels.bureaus.layout import layout

PANEL = PanelSpec(
    key=MODULE.key,
    title=MODULE.title,
    path=BUREAU_PATH,
    order=8,
    layout=layout,
    register_callbacks=register_callbacks,
)
