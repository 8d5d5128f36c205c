"""系统管理: users, roles, scopes and sessions; the audit log."""

from cockpit.modules import ModuleSpec

MODULE = ModuleSpec(
    key="admin",
    title="系统管理",
    # The 三员: users and sessions (admin), authorization (security_admin), the audit log (auditor).
    roles=frozenset({"admin", "security_admin", "auditor"}),
)
