"""The panel registry: every module listed is either a page or shown as planned."""

import importlib

from cockpit.modules import MODULES, all_modules
from cockpit.panels import all_panels, planned


def test_every_listed_module_is_a_package_and_either_built_or_planned() -> None:
    """Each MODULES entry imports; built and planned split the list (with the domains of
    config/domains/, drawn by the generic panel) with nothing lost."""
    from cockpit.modules import module_keys

    for key in MODULES:
        importlib.import_module(f"panels.{key}")
    built = [p.key for p in all_panels()]
    assert sorted(built + [k for k, _ in planned()]) == sorted(module_keys())


def test_a_page_is_titled_as_its_module() -> None:
    """A panel's title in the navigation is its module's (cockpit/domains/<key>/MODULE)."""
    titles = {m.key: m.title for m in all_modules()}
    assert {p.key: p.title for p in all_panels()} == {p.key: titles[p.key] for p in all_panels()}


def test_panel_paths_and_ids_are_unique() -> None:
    """No two pages share a path or a key (the router would lose one)."""
    panels = all_panels()
    assert len({p.path for p in panels}) == len(panels)
    assert len({p.key for p in panels}) == len(panels)


def test_a_module_config_section_is_validated_by_its_model(settings) -> None:
    """A wrong key in config/<module>.yaml stops start-up with a line naming file and field."""
    import pytest
    from pydantic import BaseModel, ConfigDict

    from cockpit.factory import module_configs
    from cockpit.modules import ModuleSpec
    from cockpit.settings import ConfigError

    class Model(BaseModel):
        model_config = ConfigDict(extra="forbid")
        margin: float = 10.0

    panel = ModuleSpec("risk", "风险", frozenset(), config_model=Model)
    good = settings.model_copy(update={"risk": {"margin": 5}})
    assert module_configs(good, [panel])["risk"].margin == 5
    bad = settings.model_copy(update={"risk": {"margn": 5}})
    with pytest.raises(ConfigError) as info:
        module_configs(bad, [panel])
    assert info.value.problems == ["config/risk.yaml: risk.margn: Extra inputs are not permitted"]
