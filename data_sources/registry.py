"""The one place where adapters are registered (a kind name -> its class and config model).

Registering in two places silently loses adapters (as Redash learned); tests check that every
adapter module in this package is registered here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from data_sources.base import DataSource, SourceConfig
from data_sources.demo import DemoConfig, DemoServices, DemoSource
from data_sources.files import FileConfig, FileSource, RowChecks
from data_sources.rest import RestConfig, RestSource
from data_sources.sql import SqlConfig, SqlSource


@dataclass(frozen=True)
class AdapterSpec:
    """An adapter kind: its class and the pydantic model of its configuration."""

    kind: str
    source_class: type
    config_model: type[SourceConfig]


ADAPTERS: dict[str, AdapterSpec] = {
    spec.kind: spec
    for spec in (
        AdapterSpec("sql", SqlSource, SqlConfig),
        AdapterSpec("demo", DemoSource, DemoConfig),
        AdapterSpec("rest", RestSource, RestConfig),
        AdapterSpec("file", FileSource, FileConfig),
    )
}


def config_models() -> tuple[type[SourceConfig], ...]:
    """Every adapter's config model, for the settings' discriminated union."""
    return tuple(spec.config_model for spec in ADAPTERS.values())


def build_source(
    name: str,
    config: Any,
    *,
    city: Any,
    base_dir: Path,
    checks: RowChecks | None = None,
    demo: DemoServices | None = None,
) -> DataSource:
    """Make the adapter a validated source config names. `checks`: what the frame lends a
    file drop to check its rows (cockpit.drop_checks; None: whole files only); `demo`: what
    the frame lends the demo adapter (today, the generator, the rollups), demo sources only."""
    spec = ADAPTERS[config.kind]
    if spec.source_class is DemoSource:
        if demo is None:
            raise TypeError(f"source {name}: a demo source needs the frame's DemoServices")
        return DemoSource(name, config, city=city, base_dir=base_dir, services=demo)
    if spec.source_class is FileSource:
        return FileSource(name, config, base_dir=base_dir, checks=checks)
    return spec.source_class(name, config)
