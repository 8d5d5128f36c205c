"""The generic panel of the domains defined in configuration (config/domains/<key>.yaml).

One PanelSpec per domain, made from its declaration: the page at /<key>, its sections (KPI
cards, trend, county ranking with map, table with export, threshold warnings), its callbacks
(ids <key>-..., so the security gate applies the domain's page rights) and its wall view.
"""

from __future__ import annotations

from cockpit.domains.configured import dataset_name, loader
from cockpit.exports import ExportTable
from cockpit.panels import PanelSpec
from panels.configured.callbacks import callbacks_for
from panels.configured.export import builder
from panels.configured.layout import layout_for

ORDER = 50  # after the built-in data modules


def panel_for(key: str) -> PanelSpec | None:
    """The page of the configured domain `key` (None if it has gone from the config)."""
    domain = loader.domain(key)
    if domain is None:
        return None
    tables = tuple(
        ExportTable(f"{key}.s{i}", s.title or domain.title, builder(key, i))
        for i, s in enumerate(domain.screen)
        if s.kind == "table"
    )
    return PanelSpec(
        key=key,
        title=domain.title,
        path="/" + key.replace("_", "-"),
        order=ORDER,
        layout=layout_for(key),
        register_callbacks=callbacks_for(key),
        tables=tables,
        periods_from=tuple(dataset_name(domain, d.key) for d in domain.datasets),
    )
