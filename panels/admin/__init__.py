"""系统管理: users, roles, scopes and sessions (administrator); the audit log (auditor)."""

from cockpit.panels import PanelSpec
from panels.admin.callbacks import register_callbacks
from panels.admin.layout import layout

PANEL = PanelSpec(
    key="admin",
    title="系统管理",
    path="/admin",
    order=90,
    layout=layout,
    register_callbacks=register_callbacks,
)
