"""What the 数据质量 page shows of each dataset: pure, from the health report and sync status.

Nothing a quarantined row holds is shown (its values may be personal); only counts, reasons
and file names. Server paths never reach a browser: a path is cut to its file name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cockpit.validation import without_paths


@dataclass(frozen=True)
class QualityRow:
    """One dataset's line on the page."""

    dataset: str
    title: str
    source: str
    mode: str
    ok: bool
    as_of: str
    late: str
    held_back: str
    last_sync: str
    rows: str


def quality_rows(
    report: dict[str, Any],
    titles: dict[str, str],
    modes: dict[str, str],
    sync_status: dict[str, dict[str, Any]],
) -> list[QualityRow]:
    """Each configured dataset, from /healthz's report and sync mode's status file."""
    rows = []
    for name, d in sorted(report["datasets"].items()):
        status = sync_status.get(name, {}) if modes.get(name) == "sync" else {}
        held = d.get("held_back") or ""
        late = f"已超期{d['late_by_hours']:g}小时" if d.get("late_by_hours") else ""
        count = ""
        if status:
            count = f"本次 {status.get('rows', 0)} 行"
            if status.get("total") is not None:
                count += f"，共 {status['total']} 行"
        elif d.get("rows_read") is not None:  # checked by the hub as it was read (read_whole)
            count = f"读取 {d['rows_read']} 行，拒收 {d.get('rows_rejected', 0)} 行"
        rows.append(
            QualityRow(
                dataset=name,
                title=titles.get(name, name),
                source=d.get("source", ""),
                mode="抽取" if modes.get(name) == "sync" else "直连",
                ok=bool(d.get("ok")),
                as_of=(d.get("as_of") or "未知").replace("T", " "),
                late=late,
                held_back=without_paths(str(held)),
                last_sync=str(status.get("synced_at") or "").replace("T", " "),
                rows=count,
            )
        )
    return rows
