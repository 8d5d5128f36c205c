"""一屏知全市: the overview of the whole city on one screen."""

from cockpit.panels import PanelSpec
from panels.overview.callbacks import first_layout, register_callbacks
from panels.overview.layout import layout

PANEL = PanelSpec(
    key="overview",
    title="一屏知全市",
    path="/",
    order=0,
    layout=layout,
    register_callbacks=register_callbacks,
    first_layout=first_layout,
)
