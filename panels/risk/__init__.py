"""风险管控: warnings in force by level and domain, where they are, their trend, and 签收;
early warning made by the cockpit (threshold rules and seasonal anomaly detection)."""

from cockpit.panels import PanelSpec
from panels.risk.callbacks import register_callbacks
from panels.risk.exports import TABLES
from panels.risk.layout import layout

PANEL = PanelSpec(
    key="risk",
    title="风险管控",
    path="/risk",
    order=3,
    layout=layout,
    register_callbacks=register_callbacks,
    tables=TABLES,
)
