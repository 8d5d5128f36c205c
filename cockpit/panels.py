"""The pages of the registered modules: panels/<key>/ whose __init__ defines PANEL (a PanelSpec).

The modules are listed once, in navigation order, in cockpit/modules.py (MODULES); each one's
screens are the package panels/<key>/. A registered module whose package does not define
PANEL yet is shown in the navigation as 建设中, not linked. Panels are loaded by key through
importlib: the frame never imports a panel.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cockpit import modules
from cockpit.modules import all_modules, module


@dataclass(frozen=True)
class PanelSpec:
    """A module page: where it lives, how it looks, and how it wires its callbacks."""

    key: str
    title: str
    path: str
    order: int
    layout: Callable[[], Any]  # a skeleton; callbacks fill it with data
    register_callbacks: Callable[[Any, Any], None]  # (app, hub)
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

    @property
    def config_model(self) -> type | None:
        """The pydantic model of the module's own config section (its ModuleSpec's)."""
        return module(self.key).config_model


def all_panels() -> list[PanelSpec]:
    """Every registered module that defines its PANEL, in navigation order."""
    panels = []
    for key in modules.module_keys():
        if modules.configured(key):
            # A domain defined in config/domains/: the generic panel draws it.
            panel = importlib.import_module("panels.configured").panel_for(key)
        else:
            panel = getattr(importlib.import_module(f"panels.{key}"), "PANEL", None)
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
    return [(m.key, m.title) for m in all_modules() if m.key not in built]
