"""12345 热线: ticket KPIs, breakdowns, rankings, deadline clocks, hot topics and the ticket list."""

from cockpit.panels import PanelSpec
from panels.hotline.callbacks import first_layout, register_callbacks
from panels.hotline.exports import TABLES
from panels.hotline.layout import layout

PANEL = PanelSpec(
    key="hotline",
    title="12345热线",
    path="/hotline",
    order=50,
    layout=layout,
    register_callbacks=register_callbacks,
    periods_from=("hotline.tickets",),
    tables=TABLES,
    first_layout=first_layout,
)
