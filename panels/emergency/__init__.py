"""应急指挥: the emergency-command screen (一张图) — events, warnings, resources, duty, live."""

from cockpit.panels import PanelSpec
from panels.emergency.callbacks import register_callbacks
from panels.emergency.exports import TABLES
from panels.emergency.layout import layout

PANEL = PanelSpec(
    key="emergency",
    title="应急指挥",
    path="/emergency",
    order=4,
    layout=layout,
    register_callbacks=register_callbacks,
    tables=TABLES,
)
