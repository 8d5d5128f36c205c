"""Tests for data_sources.registry: every adapter in the package is registered once, under its
kind, with a strict configuration model (the lesson of redash#6669: adapters registered in two
places get lost).

Adapters are discovered by importing every module of the data_sources package, not from a list
of names, so a new adapter module that is not registered fails here.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import types
import typing
from pathlib import Path
from typing import Any, ClassVar, Literal

import pytest
from pydantic import ValidationError

import data_sources
from data_sources.registry import ADAPTERS, build_source, config_models

ROOT = Path(__file__).resolve().parents[2]


def package_modules() -> list[types.ModuleType]:
    """Every module of the data_sources package, imported."""
    return [
        importlib.import_module(f"{data_sources.__name__}.{info.name}")
        for info in pkgutil.walk_packages(data_sources.__path__)
        if not info.ispkg
    ]


def is_adapter(cls: type) -> bool:
    """A class with a `kind` ClassVar (a str on the class) and a `fetch` method."""
    # The modules use `from __future__ import annotations`: the annotation may be text.
    annotation = cls.__dict__.get("__annotations__", {}).get("kind")
    declared_classvar = typing.get_origin(annotation) is ClassVar or (
        isinstance(annotation, str) and annotation.replace("typing.", "").startswith("ClassVar[")
    )
    kind = cls.__dict__.get("kind")
    return (
        declared_classvar
        and isinstance(kind, str)
        and callable(getattr(cls, "fetch", None))
        and not getattr(cls, "_is_protocol", False)  # the DataSource interface itself
    )


def adapter_classes(modules: list[types.ModuleType]) -> dict[type, str]:
    """Adapter classes defined in the given modules -> the kind they declare."""
    found: dict[type, str] = {}
    for module in modules:
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and is_adapter(cls):
                found[cls] = cls.__dict__["kind"]
    return found


@pytest.fixture(scope="module")
def discovered() -> dict[type, str]:
    """The adapter classes of the data_sources package."""
    return adapter_classes(package_modules())


def test_discovery_sees_every_module_file() -> None:
    """The discovery imports one module per .py file of data_sources/ (so none is skipped)."""
    files = {p.stem for p in (ROOT / "data_sources").glob("*.py") if p.stem != "__init__"}
    assert {m.__name__.rsplit(".", 1)[1] for m in package_modules()} == files


def test_discovery_catches_an_unregistered_adapter() -> None:
    """A module defining an adapter class that the registry lacks is found by the discovery."""
    module = types.ModuleType("data_sources.fake_new_kind")

    class NewKindSource:
        kind: ClassVar[str] = "new_kind"

        def fetch(self, dataset: Any, query: Any) -> Any:
            """Never called."""

    NewKindSource.__module__ = module.__name__
    module.NewKindSource = NewKindSource
    found = adapter_classes([module])
    assert found == {NewKindSource: "new_kind"}
    assert "new_kind" not in ADAPTERS


def test_every_adapter_class_is_registered_under_its_kind(discovered: dict[type, str]) -> None:
    """Each adapter class in data_sources/ is ADAPTERS[its kind].source_class."""
    assert discovered, "no adapter class found in data_sources/"
    for cls, kind in discovered.items():
        assert kind in ADAPTERS, (
            f"{cls.__module__}.{cls.__name__} (kind {kind!r}) is not registered"
        )
        assert ADAPTERS[kind].source_class is cls


def test_registry_holds_only_adapters_of_the_package(discovered: dict[type, str]) -> None:
    """Every registered kind is one of the package's adapter classes, each registered once."""
    assert sorted(ADAPTERS) == sorted(discovered.values())
    assert len({spec.source_class for spec in ADAPTERS.values()}) == len(ADAPTERS)


def test_registry_keys_match_spec_and_class_kinds() -> None:
    """ADAPTERS[key].kind and its source class's kind are both the key."""
    for key, spec in ADAPTERS.items():
        assert spec.kind == key
        assert spec.source_class.kind == key


@pytest.mark.parametrize("kind", sorted(ADAPTERS))
def test_config_model_forbids_extra_keys(kind: str) -> None:
    """An unknown key in any adapter's configuration is a validation error at that key."""
    model = ADAPTERS[kind].config_model
    assert model.model_config.get("extra") == "forbid"
    with pytest.raises(ValidationError) as info:
        model.model_validate({"kind": kind, "no_such_option": 1})
    assert ("no_such_option",) in [
        e["loc"] for e in info.value.errors() if e["type"] == "extra_forbidden"
    ]


@pytest.mark.parametrize("kind", sorted(ADAPTERS))
def test_config_model_kind_is_a_literal_of_its_key(kind: str) -> None:
    """The config model's `kind` field is Literal[<registry key>] and is required."""
    field = ADAPTERS[kind].config_model.model_fields["kind"]
    assert typing.get_origin(field.annotation) is Literal
    assert typing.get_args(field.annotation) == (kind,)
    assert field.is_required()


def test_config_models_feed_the_settings_union() -> None:
    """config_models() gives every registered model, in registry order."""
    assert config_models() == tuple(spec.config_model for spec in ADAPTERS.values())


# A minimal valid configuration of each kind; a new adapter must add one here.
EXAMPLES: dict[str, dict[str, Any]] = {
    "sql": {"kind": "sql", "url": "sqlite://"},
    "demo": {"kind": "demo", "path": "instance/demo/never-generated.duckdb"},
    "rest": {"kind": "rest", "base_url": "http://127.0.0.1:9/api"},
    "file": {"kind": "file", "folder": "instance/never-created-drop"},
}


def test_every_kind_has_an_example_config() -> None:
    """Each registered kind has a sample configuration below (so build_source is tested for it)."""
    assert set(EXAMPLES) == set(ADAPTERS)


@pytest.mark.parametrize("kind", sorted(ADAPTERS))
def test_build_source_returns_the_registered_class(kind: str, tmp_path: Path) -> None:
    """build_source makes an instance of ADAPTERS[kind].source_class, with its name and config."""
    from cockpit.demo_data import services as demo_services
    from cockpit.settings import load_settings

    city = load_settings(environ={}).city
    config = ADAPTERS[kind].config_model.model_validate(EXAMPLES[kind])
    source = build_source(
        f"{kind}-test", config, city=city, base_dir=tmp_path, demo=demo_services()
    )
    try:
        assert type(source) is ADAPTERS[kind].source_class
        assert source.name == f"{kind}-test"
        assert source.config is config
        for method in ("fetch", "health", "version", "close"):
            assert callable(getattr(source, method))
    finally:
        source.close()
    # Building must not create anything (no demo file generated, no database touched).
    assert list(tmp_path.iterdir()) == []
