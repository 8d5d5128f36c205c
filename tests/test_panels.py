"""The panel registry: every module listed is either a page or shown as planned."""

import importlib

from cockpit.panels import MODULES, all_panels, planned


def test_every_listed_module_is_a_package_and_either_built_or_planned() -> None:
    """Each MODULES entry imports; built and planned split the list with nothing lost."""
    for key, _ in MODULES:
        importlib.import_module(f"panels.{key}")
    built = [p.key for p in all_panels()]
    assert sorted(built + [k for k, _ in planned()]) == sorted(k for k, _ in MODULES)


def test_panel_paths_and_ids_are_unique() -> None:
    """No two pages share a path or a key (the router would lose one)."""
    panels = all_panels()
    assert len({p.path for p in panels}) == len(panels)
    assert len({p.key for p in panels}) == len(panels)
