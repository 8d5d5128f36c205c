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


def test_a_module_config_section_is_validated_by_its_model(settings) -> None:
    """A wrong key in config/<module>.yaml stops start-up with a line naming file and field."""
    import pytest
    from pydantic import BaseModel, ConfigDict

    from cockpit.factory import module_configs
    from cockpit.panels import PanelSpec
    from cockpit.settings import ConfigError

    class Model(BaseModel):
        model_config = ConfigDict(extra="forbid")
        margin: float = 10.0

    panel = PanelSpec("risk", "风险", "/risk", 1, lambda: None, lambda a, h: None, Model)
    good = settings.model_copy(update={"risk": {"margin": 5}})
    assert module_configs(good, [panel])["risk"].margin == 5
    bad = settings.model_copy(update={"risk": {"margn": 5}})
    with pytest.raises(ConfigError) as info:
        module_configs(bad, [panel])
    assert info.value.problems == ["config/risk.yaml: risk.margn: Extra inputs are not permitted"]
