"""经济运行: the economic-operation module, as a city's statistics office reports it.

transform.py holds the indicator semantics (also used by the overview), forecast.py the
趋势研判, export.py the indicator table and its files, data.py the hub queries, figures.py the
renderers, layout.py the skeleton and callbacks.py the thin wiring.
"""

from cockpit.panels import PanelSpec
from panels.economy.callbacks import register_callbacks
from panels.economy.layout import layout

PANEL = PanelSpec(
    key="economy",
    title="经济运行",
    path="/economy",
    order=1,
    layout=layout,
    register_callbacks=register_callbacks,
    periods_from=("economy.indicator_values",),
)
