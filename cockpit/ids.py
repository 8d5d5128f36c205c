"""ASCII keys for the data carried in pattern-matching component ids.

A pattern-matching id ({"type": ..., "key": ...}) travels twice: the browser sends it back
raw in `changedPropIds`, while Dash rebuilds the same id on the server with `json.dumps`,
which escapes every non-ASCII character (\\uXXXX). The two strings differ as soon as a value
carries Chinese, so `ctx.triggered[...]["value"]` is None and the click looks like no click:
the button silently does nothing. So a data value (a warning id, a unit's name, a category,
a duty role...) never goes into an id as it is: ids are built with `pattern_id`, which puts
`encode_key(value)` in every field, and callbacks read a field back with `triggered_key`
(or `decode_key`).

The key is URL-safe base64 of the UTF-8 text without padding: ASCII, reversible, and
stateless (any gunicorn worker can decode it). It is only a name: a decoded value is never
trusted for scope; the server looks the item up again within the user's scope.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

MAX_KEY = 2000  # a key longer than this is not one of ours (ids carry short references)


def encode_key(text: str) -> str:
    """An ASCII key standing for `text` in a component id (URL-safe base64, no padding)."""
    return base64.urlsafe_b64encode(str(text).encode("utf-8")).decode("ascii").rstrip("=")


def decode_key(key: Any) -> str | None:
    """The text an `encode_key` key stands for; None for anything that is not such a key."""
    if not isinstance(key, str) or len(key) > MAX_KEY or not key.isascii():
        return None
    try:
        raw = base64.b64decode(key + "=" * (-len(key) % 4), altchars=b"-_", validate=True)
        text = raw.decode("utf-8")
    except (binascii.Error, ValueError):  # not base64, or not UTF-8 (UnicodeDecodeError)
        return None
    # Only the one spelling encode_key makes (no padding, no stray low bits) is a key.
    return text if encode_key(text) == key else None


def pattern_id(type_: str, **fields: Any) -> dict[str, str]:
    """A pattern-matching id whose every field (but its type) carries an ASCII key."""
    return {"type": type_, **{name: encode_key(value) for name, value in fields.items()}}


def triggered_key(triggered_id: Any, field: str) -> str | None:
    """The decoded `field` of a pattern-matching id that fired a callback (ctx.triggered_id)."""
    if not isinstance(triggered_id, dict):
        return None
    return decode_key(triggered_id.get(field))
