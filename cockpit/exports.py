"""Exports shared by every module: tables as CSV and Excel, and the audit of every download.

Every file the cockpit hands out is recorded in the audit log (who, when, from where come
from the request and the principal; what and with which parameters from here).
"""

from __future__ import annotations


def audit_export(obj: str, result: str = "ok", detail: dict | None = None) -> None:
    """Record one export (or a refused one) in the audit log."""
    try:
        from cockpit import audit
    except ImportError:  # the audit log lands with the security work; until then, nothing
        return
    audit.record("export", obj, result, detail)
