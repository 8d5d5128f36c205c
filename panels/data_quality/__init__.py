"""数据质量: per dataset, how fresh it is, what the last sync or file drop read, and what was
held back and why (administrators and city staff, who fix the data with the platform)."""

from cockpit.panels import PanelSpec
from panels.data_quality.callbacks import register_callbacks
from panels.data_quality.layout import layout

PANEL = PanelSpec(
    key="data_quality",
    title="数据质量",
    path="/data-quality",
    order=85,
    layout=layout,
    register_callbacks=register_callbacks,
)
