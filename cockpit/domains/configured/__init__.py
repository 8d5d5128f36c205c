"""Domains defined in configuration (config/domains/<key>.yaml): one generic domain package.

Each file becomes a registered module (cockpit.modules asks `spec`), with the same dataset
contracts, page rights, demo data, overview card, wall view and 要情专报 paragraph as a module
written in Python; its screens are the generic panel panels/configured/. docs/domains.md.
"""

from __future__ import annotations

from cockpit.contracts import Contract, Limit
from cockpit.domains.configured import loader as loader  # configured.loader, for the registry
from cockpit.domains.configured.schema import Domain
from cockpit.modules import WALL_ROLE, ModuleSpec
from data_sources.query import ColumnSpec


def dataset_name(domain: Domain, key: str) -> str:
    """The contract name of a domain's dataset: <domain>.<dataset>."""
    return f"{domain.key}.{key}"


def table_name(domain: Domain, key: str) -> str:
    """The table a dataset is read from unless config/datasets.yaml says otherwise."""
    found = next(d for d in domain.datasets if d.key == key)
    return found.table or f"{domain.key}_{key}"


def contracts(domain: Domain) -> tuple[Contract, ...]:
    """The domain's datasets as contracts: the same checks as a built-in module's datasets."""
    out = []
    for d in domain.datasets:
        columns = tuple(
            ColumnSpec(
                c.name, c.type, c.title + (f"（{c.unit}）" if c.unit else ""), not c.required
            )
            for c in d.columns
        )
        limits = {
            c.name: Limit(minimum=0 if c.non_negative else None, values=c.values)
            for c in d.columns
            if c.non_negative or c.values
        }
        out.append(
            Contract(
                dataset_name(domain, d.key),
                d.title,
                columns,
                county_column=d.county,
                freshness_column=d.time,
                key=d.key_columns,
                limits=limits,
            )
        )
    return tuple(out)


def spec(domain: Domain) -> ModuleSpec:
    """The domain as the registry sees it."""
    roles = frozenset(domain.roles) | ({WALL_ROLE} if domain.wall_seconds else set())
    return ModuleSpec(key=domain.key, title=domain.title, roles=roles, contracts=contracts(domain))
