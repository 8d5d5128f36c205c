"""The emergency screen's state: fingerprints of what the browser holds, so a refresh sends
only the parts that changed.

Screen-side (it hashes Dash components and Plotly figures), so it lives with the screens,
not in the emergency domain.
"""

from __future__ import annotations

import hashlib
import json

from plotly.utils import PlotlyJSONEncoder


def fingerprint(value: object) -> str:
    """A short stable hash of anything Dash can send (components, figures, plain data)."""
    text = json.dumps(value, cls=PlotlyJSONEncoder, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def changed(previous: dict | None, current: dict[str, str]) -> set[str]:
    """Names whose fingerprint differs from the previous one (all of them without a previous)."""
    if not previous:
        return set(current)
    return {name for name, value in current.items() if previous.get(name) != value}
