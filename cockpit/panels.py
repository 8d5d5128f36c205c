"""The panel registry: every module of the cockpit is listed here, once, in navigation order.

A module is a package panels/<key>/ whose __init__ defines PANEL (a PanelSpec). A listed
module that does not define PANEL yet is shown in the navigation as 建设中, not linked.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PanelSpec:
    """A module page: where it lives, how it looks, and how it wires its callbacks."""

    key: str
    title: str
    path: str
    order: int
    layout: Callable[[], Any]  # a skeleton; callbacks fill it with data
    register_callbacks: Callable[[Any, Any], None]  # (app, hub)
    # The pydantic model of the module's own config section (config/<key>.yaml), if any.
    config_model: type | None = None
    # Tables offered for download as CSV and Excel (cockpit.exports.ExportTable), if any.
    tables: tuple = ()
    # The datasets whose range gives the module's 统计期 choices (cockpit.periods); empty:
    # every dataset with periods (a module showing several, like the overview).
    periods_from: tuple[str, ...] = ()
    # The page drawn with its data, (hub, period, county) -> layout, for the period and
    # county the frame opens on: the frame serves it in the page's first layout, so the
    # first paint waits for no callback (issue #20 item 7). None: the skeleton, which the
    # router puts in and callbacks fill.
    first_layout: Callable[[Any, str, str], Any] | None = None


# Every module, in navigation order: (package under panels/, title in the navigation).
MODULES: tuple[tuple[str, str], ...] = (
    ("overview", "一屏知全市"),
    ("economy", "经济运行"),
    ("key_work", "重点工作"),
    ("risk", "风险管控"),
    ("emergency", "应急指挥"),
    ("hotline", "12345热线"),
    ("briefing", "要情专报"),
    ("contacts", "一键直联"),
    ("data_quality", "数据质量"),  # administrators and city staff
    ("admin", "系统管理"),  # administrators and auditors only (cockpit/security/roles.py)
)


def all_panels() -> list[PanelSpec]:
    """Every module that defines its PANEL, in navigation order."""
    panels = []
    for key, _title in MODULES:
        module = importlib.import_module(f"panels.{key}")
        panel = getattr(module, "PANEL", None)
        if panel is not None:
            if panel.key != key:
                raise ValueError(f"panels.{key}.PANEL has key {panel.key!r}")
            panels.append(panel)
    return panels


def paths_for(role_key: str) -> tuple[str, ...]:
    """The pages a role may open (cockpit/security/roles.py), in navigation order: what the
    audits visit, so a page or a right added later is audited without a list to keep."""
    from cockpit.security.roles import may_open

    return tuple(p.path for p in all_panels() if may_open(role_key, p.key))


def planned() -> list[tuple[str, str]]:
    """Modules listed but without a page yet: (key, title)."""
    built = {p.key for p in all_panels()}
    return [(key, title) for key, title in MODULES if key not in built]
