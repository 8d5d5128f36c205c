"""The panel registry: every module's page is listed here, once.

The factory reads this list to build the navigation, the page router and the callbacks.
A module under construction is listed in PLANNED so the navigation shows where it will be.
"""

from __future__ import annotations

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


# Modules whose pages are still being built: shown in the navigation, not yet linked.
PLANNED: tuple[tuple[str, str], ...] = (
    ("economy", "经济运行"),
    ("key_work", "重点工作"),
    ("risk", "风险管控"),
    ("emergency", "应急指挥"),
    ("hotline", "12345热线"),
)


def all_panels() -> list[PanelSpec]:
    """Every registered panel, in navigation order."""
    from panels.overview import PANEL as overview

    return sorted([overview], key=lambda p: p.order)
