"""Platform text inside plotly figures is text, never markup.

Plotly draws a subset of HTML in every string of a figure (trace text, hover text, category
axis labels, annotations, titles, legend names): `<a href=…>` becomes a live link, `<b>` bold,
`<br>` a line break. Text that comes from a platform or from configuration (an event title,
a department, a category, a county name) must show as it was typed, so every figure passes it
through `plain()` before it goes in; plotly turns the entities back into the characters on
screen, so "A&B <总>" still reads "A&B <总>" exactly.

Our own markup (the `<br>` between the parts of a hover text) is added around escaped parts.
Values that callbacks read back from a click (customdata ids) are never drawn and stay raw.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any


def plain(value: Any) -> str:
    """`value` as text plotly shows literally: & < > as entities (quotes need none)."""
    return html.escape(str(value), quote=False)


def plain_all(values: Iterable[Any]) -> list[str]:
    """plain() of each value (a column of labels)."""
    return [plain(v) for v in values]
