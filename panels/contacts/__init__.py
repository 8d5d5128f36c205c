"""一键直联 / 市局直通: the directory, today's duty roster, and who answers for a thing on screen.

The directory is the cockpit's own (cockpit/directory.py, kept on the admin page); every call
link records the call in the audit log (cockpit/calls.py). Other pages link here with
?for=task:<id> | warning:<id> | event:<id> | county:<code> (subjects.py) to show the
responsible people first.
"""

from cockpit.panels import PanelSpec
from panels.contacts.callbacks import register_callbacks
from panels.contacts.layout import layout

PANEL = PanelSpec(
    key="contacts",
    title="一键直联",
    path="/contacts",
    order=7,
    layout=layout,
    register_callbacks=register_callbacks,
)
