"""Cached callback outputs: a panel's finished answer, as the JSON Dash sends, shared by workers.

The hub caches query results, but a callback still spends tens to hundreds of milliseconds
turning them into tables and figures. For a read-only callback whose output depends only on
its inputs, the user's scope and hub data, the finished output is cached too:

    @app.callback(Output(...), Input(...))
    @cached_output(hub, "overview-cards")
    def update(period, county): ...

What is stored is the output serialised exactly as Dash would send it (plotly's JSON encoder),
never a go.Figure or a component object: unpickling those costs more than building them.

The key holds the callback's name, its inputs, the principal's scope and permissions, today's
date (in the city's time), and a fingerprint of the code and the configuration. Each entry
also records the version of every dataset the callback read (the hub reports them while it
runs); an entry whose data has since been replaced is a miss. An entry never outlives the
oldest data it was built from (its lifetime is what is left of that data's cache timeout).

Never cached: outputs built from answers with personal data or citizens' words (the hub flags
such reads), outputs built while a source failed (the error would outlive the fault), and
answers that leave an output unchanged (no_update). A cache outage is a miss: the callback runs.
Only decorate callbacks that read nothing but the hub: not ones that read the cockpit's own
database (acknowledgements, supervision cases) or show the user's own name.
"""

from __future__ import annotations

import functools
import hashlib
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dash._no_update import NoUpdate
from plotly.io.json import to_json_plotly

from cockpit import clock
from cockpit.cache import is_miss, make_key
from cockpit.hub import DataHub, Reads

try:  # orjson parses a cached answer several times faster; json is the fallback
    from orjson import loads as _loads
except ImportError:  # pragma: no cover - orjson is in requirements.txt
    _loads = json.loads

_CODE_FOLDERS = ("cockpit", "panels", "data_sources")


@functools.cache
def code_fingerprint() -> str:
    """A hash of the cockpit's Python code, so that a new release never serves old outputs."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for folder in _CODE_FOLDERS:
        for path in sorted((root / folder).rglob("*.py")):
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _fingerprint(hub: DataHub) -> str:
    """Code and configuration (settings and module sections) of this hub, hashed once."""
    cached = getattr(hub, "_output_fingerprint", None)
    if cached is None:
        config = hub.settings.model_dump_json() + repr(sorted(hub.module_config.items()))
        cached = code_fingerprint() + hashlib.sha256(config.encode()).hexdigest()[:16]
        hub._output_fingerprint = cached  # set once, never changed: not shared mutable state
    return cached


def output_key(hub: DataHub, name: str, args: tuple, kwargs: dict) -> str:
    """The cache key of one callback call for the current principal."""
    principal = hub.principal()
    return make_key(
        "out",
        _fingerprint(hub),
        name,
        list(args),
        kwargs,
        principal.scope_key,
        sorted(principal.permissions),
        clock.today().isoformat(),
    )


def _still_valid(hub: DataHub, entry: Any) -> bool:
    """Is a cached entry one of ours, built from the data the sources hold now?"""
    if is_miss(entry) or not isinstance(entry, dict) or "json" not in entry:
        return False
    return all(hub.data_version(d) == v for d, v in entry["versions"].items())


def _cacheable(value: Any, reads: Reads) -> bool:
    if reads.private or reads.failed:
        return False
    values = value if isinstance(value, (list, tuple)) else [value]
    return not any(NoUpdate.is_no_update(v) for v in values)


def _lifetime(hub: DataHub, reads: Reads) -> int:
    """Seconds the output may be kept: what is left of its oldest data's cache timeout."""
    if reads.oldest is None:
        return hub.cache.timeout
    return int(hub.cache.timeout - (time.time() - reads.oldest))


def call_cached(hub: DataHub, name: str, func: Callable, args: tuple, kwargs: dict) -> Any:
    """func(*args, **kwargs), answered from the cache when the same call was answered before."""
    if hub.cache is None:
        return func(*args, **kwargs)
    key = output_key(hub, name, args, kwargs)
    entry = hub.cache.get(key)
    if _still_valid(hub, entry):
        return _loads(entry["json"])
    # Single flight: when a meeting starts, one worker builds the output and the others wait
    # for it, rather than every screen building the same figures at once.
    with hub._flights.flight(key) as answered:
        if _still_valid(hub, answered):
            return _loads(answered["json"])
        with hub.recording() as reads:
            value = func(*args, **kwargs)
        lifetime = _lifetime(hub, reads)
        if lifetime >= 1 and _cacheable(value, reads):
            text = to_json_plotly(value)  # the encoder Dash itself uses for the response
            hub.cache.set(key, {"json": text, "versions": reads.versions}, timeout=lifetime)
        return value


def cached_output(hub: DataHub, name: str) -> Callable[[Callable], Callable]:
    """Decorator: cache a read-only callback's output (see the module's docstring for when)."""

    def decorate(func: Callable) -> Callable:
        @functools.wraps(func)
        def callback(*args: Any, **kwargs: Any) -> Any:
            return call_cached(hub, name, func, args, kwargs)

        return callback

    return decorate
