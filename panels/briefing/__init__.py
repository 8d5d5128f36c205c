"""要情专报: the leaders' briefing (daily or weekly), built from the figures the screens show.

sentences.py writes the official sentences (pure), build.py gathers the figures through each
module's own queries, documents.py writes the .docx and .pdf, layout.py and callbacks.py the
page. `python -m cockpit briefing` writes the files for a scheduled job.
"""

from cockpit.panels import PanelSpec
from panels.briefing.callbacks import register_callbacks
from panels.briefing.layout import layout

PANEL = PanelSpec(
    key="briefing",
    title="要情专报",
    path="/briefing",
    order=6,
    layout=layout,
    register_callbacks=register_callbacks,
)
