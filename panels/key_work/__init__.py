"""重点工作: key tasks with computed status lights, 督办 actions, and signals turned into items."""

from cockpit.panels import PanelSpec
from panels.key_work.callbacks import register_callbacks
from panels.key_work.exports import TABLES
from panels.key_work.layout import layout

PANEL = PanelSpec(
    key="key_work",
    title="重点工作",
    path="/key-work",
    order=2,
    layout=layout,
    register_callbacks=register_callbacks,
    tables=TABLES,
)
