"""The module registry: every module of the cockpit, listed once, in navigation order.

A module is two folders and one entry in MODULES below (docs/architecture.md, "Adding a
module"): its domain, cockpit/domains/<key>/, whose __init__ defines MODULE (a ModuleSpec: its
title, datasets and their rollups, config model, page rights, data checks), and its screens,
panels/<key>/, whose __init__ defines PANEL (a cockpit.panels.PanelSpec). Everything that used to be kept in step
by hand reads the registry: the dataset contracts (cockpit.contracts.CONTRACTS), the roles'
page rights (cockpit.security.roles.may_open), the module sections of the settings
(cockpit.settings), the module-specific data checks (cockpit.validation), docs/datasets.md and
the CLI. No Dash here: the CLI, the settings and the data checks load the registry without
building a page.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from cockpit.contracts import Contract, Rollup
    from cockpit.validation import Catalog, Report

# Every module, in navigation order: the package under cockpit/domains/ (and panels/).
MODULES: tuple[str, ...] = (
    "overview",
    "economy",
    "key_work",
    "risk",
    "emergency",
    "hotline",
    "briefing",
    "contacts",
    "bureaus",
    "data_quality",
    "admin",
)

# The built-in roles (cockpit/security/roles.py), as modules grant them their pages.
# The three that work with the city's data: the leaders, city staff, county staff.
DATA_ROLES = frozenset({"city_leader", "city_staff", "county_staff"})
# The wall screens' account: the modules that have a wall view, nothing personal.
WALL_ROLE = "wall_display"


@dataclass(frozen=True)
class DatasetCheck:
    """A module's own rules for one of its datasets, beyond its contract: run by
    cockpit.validation.check_batch, given the indicator catalog (config/indicators.yaml)."""

    dataset: str
    # Before the contract's checks: values read into the form the screens show (e.g. 万元 to
    # the catalog's 亿元), so that every later check sees them so.
    normalise: Callable[[Report, pd.DataFrame, Catalog], None] | None = None
    # After them, on the normalised rows: rows the module's own rules refuse.
    check: Callable[[Report, pd.DataFrame, Catalog], None] | None = None


@dataclass(frozen=True)
class ModuleSpec:
    """A module's domain as the frame sees it: what it is called, what data it reads, how it
    is configured, who may open it, and what its data must satisfy. No Dash."""

    key: str
    title: str  # in the navigation, the docs and the CLI
    # The built-in roles that may open the module's page (a role a city defines lists its
    # pages itself: cockpit/security/roles.py).
    roles: frozenset[str]
    # The datasets it reads (cockpit/domains/<key>/contracts.py).
    contracts: tuple[Contract, ...] = ()
    # Pre-aggregated tables of its datasets (cockpit.rollups), smallest first.
    rollups: tuple[Rollup, ...] = ()
    # The pydantic model of its own config section (config/<key>.yaml), if it has one.
    config_model: type | None = None
    checks: tuple[DatasetCheck, ...] = ()
    # Its demo data is not a field: it is the `tables` function of cockpit/domains/<key>/demo.py,
    # found by key (cockpit.demo_data.slices), so the registry loads without pandas work.


def _configured() -> tuple:
    """The domains defined in configuration (config/domains/*.yaml, docs/domains.md)."""
    from cockpit.domains.configured import loader

    return loader.domains()


def module_keys() -> tuple[str, ...]:
    """Every module key in navigation order: MODULES, with the domains defined in
    configuration after the data modules (before 要情专报)."""
    extra = tuple(d.key for d in _configured() if d.key not in MODULES)
    at = MODULES.index("briefing") if "briefing" in MODULES else len(MODULES)
    return (*MODULES[:at], *extra, *MODULES[at:])


def configured(key: str) -> bool:
    """Is this module a domain defined in configuration (no Python package of its own)?"""
    return key not in MODULES and any(d.key == key for d in _configured())


def module(key: str) -> ModuleSpec:
    """The ModuleSpec of a module key (cockpit.domains.<key>.MODULE, or the domain defined
    in config/domains/<key>.yaml)."""
    if key not in MODULES:
        from cockpit.domains import configured

        domain = configured.loader.domain(key)
        if domain is not None:
            return configured.spec(domain)
    spec = importlib.import_module(f"cockpit.domains.{key}").MODULE
    if spec.key != key:
        raise ValueError(f"cockpit.domains.{key}.MODULE has key {spec.key!r}")
    return spec


@dataclass(frozen=True)
class _Registry:
    """The registry as built from MODULES, with what the frame looks up in it."""

    keys: tuple[str, ...]  # the MODULES it was built from
    configured: tuple  # the configured domains it was built from
    modules: tuple[ModuleSpec, ...]
    contracts: dict[str, Contract]
    rollups: dict[str, Rollup]
    rights: dict[str, frozenset[str]]
    checks: dict[str, DatasetCheck]


# Built once per process, and again only when MODULES is another tuple (a test adds a
# module) or a file of config/domains/ changed: a derived value, the same in every worker, read at every data check and page request.
_built: _Registry | None = None


def _registry() -> _Registry:
    global _built
    configured = _configured()
    if _built is None or _built.keys is not MODULES or _built.configured is not configured:
        specs = tuple(module(key) for key in module_keys())
        _built = _Registry(
            keys=MODULES,
            configured=configured,
            modules=specs,
            contracts={c.name: c for m in specs for c in m.contracts},
            rollups={r.name: r for m in specs for r in m.rollups},
            rights={m.key: m.roles for m in specs},
            checks={c.dataset: c for m in specs for c in m.checks},
        )
    return _built


def all_modules() -> tuple[ModuleSpec, ...]:
    """Every registered module, in navigation order."""
    return _registry().modules


def contracts() -> dict[str, Contract]:
    """Dataset name -> its contract, for every registered module (cockpit.contracts.CONTRACTS)."""
    return _registry().contracts


def rollups() -> dict[str, Rollup]:
    """Rollup name -> its declaration, for every registered module (cockpit.contracts.ROLLUPS)."""
    return _registry().rollups


def page_rights() -> dict[str, frozenset[str]]:
    """Module key -> the built-in roles that may open its page."""
    return _registry().rights


def dataset_checks() -> dict[str, DatasetCheck]:
    """Dataset name -> its module's own rules (only datasets that have some)."""
    return _registry().checks
