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
from flask import Flask, Response
from plotly.io.json import to_json_plotly

from cockpit import clock
from cockpit.cache import Busy, FlightTimeout, is_miss, make_key
from cockpit.hub import DataHub, Reads

_loads: Callable[[str], Any]
try:  # orjson parses a cached answer several times faster; json is the fallback
    import orjson

    _loads = orjson.loads
except ImportError:  # pragma: no cover - orjson is in requirements.txt
    _loads = json.loads

_CODE_FOLDERS = ("cockpit", "panels", "data_sources")
RETRY_AFTER_SECONDS = 5  # a personal computation takes about a second; a few have gone by then


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
    """Code and configuration (settings and module sections, hashed by the hub) of this hub."""
    return code_fingerprint() + hub.config_digest


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


def _lifetime(timeout: int, reads: Reads) -> int:
    """Seconds the output may be kept: what is left of its oldest data's cache timeout."""
    if reads.oldest is None:
        return timeout
    return int(timeout - (time.time() - reads.oldest))


def call_cached(hub: DataHub, name: str, func: Callable, args: tuple, kwargs: dict) -> Any:
    """func(*args, **kwargs), answered from the cache when the same call was answered before."""
    if hub.cache is None:
        return func(*args, **kwargs)
    key = output_key(hub, name, args, kwargs)
    entry = hub.cache.get(key)
    if _still_valid(hub, entry):
        return _loads(entry["json"])
    if _personal(entry):
        return _build_personal(hub, func, args, kwargs)
    # Single flight: when a meeting starts, one worker builds the output and the others wait
    # for it, rather than every screen building the same figures at once.
    # An entry built from since-replaced data counts as a miss for the waiters too, so a new
    # data version is built once, not by every screen that sees the old entry.
    # A third of the callback timeout: after it, building here and waiting for the hub's own
    # flights still ends within the worker's timeout.
    wait = hub.settings.server.callback_timeout / 3
    try:
        valid = lambda e: _still_valid(hub, e) or _personal(e)  # noqa: E731
        with hub.flights.flight(key, valid, wait) as answered:
            if answered is None:
                return _build(hub, key, func, args, kwargs)
            if not _personal(answered):
                return _loads(answered["json"])
    except FlightTimeout:
        # The holder is stuck: build it here (the hub's own queries are single-flight too,
        # and fall back to their last good answers).
        return _build(hub, key, func, args, kwargs)
    # The holder found the output personal: there is nothing to wait for, build our own.
    return _build_personal(hub, func, args, kwargs)


def _personal(entry: Any) -> bool:
    """Is a cache entry the marker of an output that is never cached (see _build)?"""
    return isinstance(entry, dict) and entry.get("personal") is True


def _build_personal(hub: DataHub, func: Callable, args: tuple, kwargs: dict) -> Any:
    """Build an output known to be personal: no cache, no waiting on others, a few at a time
    per worker (raises cockpit.cache.Busy when the worker is saturated)."""
    with hub.personal.slot():
        return func(*args, **kwargs)


def _build(hub: DataHub, key: str, func: Callable, args: tuple, kwargs: dict) -> Any:
    """Run the callback and cache its output when it may be cached."""
    cache = hub.cache
    assert cache is not None  # call_cached only builds through the cache when the hub has one
    with hub.recording() as reads:
        value = func(*args, **kwargs)
    lifetime = _lifetime(cache.timeout, reads)
    if lifetime >= 1 and _cacheable(value, reads):
        text = to_json_plotly(value)  # the encoder Dash itself uses for the response
        cache.set(key, {"json": text, "versions": reads.versions}, timeout=lifetime)
    elif reads.private and not reads.failed:
        # Not the output (it shows personal data) but a marker saying so: screens waiting for
        # this key stop waiting and build their own, and later ones skip the wait altogether.
        cache.set(key, {"personal": True}, timeout=cache.timeout)
    return value


def cached_output(hub: DataHub, name: str) -> Callable[[Callable], Callable]:
    """Decorator: cache a read-only callback's output (see the module's docstring for when)."""

    def decorate(func: Callable) -> Callable:
        @functools.wraps(func)
        def callback(*args: Any, **kwargs: Any) -> Any:
            return call_cached(hub, name, func, args, kwargs)

        return callback

    return decorate


def answer_busy(server: Flask) -> None:
    """A callback refused for want of a personal slot answers 503 with Retry-After: the
    browser's renderer leaves the panel as it was, and nothing waits on a growing queue."""

    @server.errorhandler(Busy)
    def busy(_exc: Busy) -> Response:
        return Response(
            Busy.MESSAGE,
            status=503,
            mimetype="text/plain",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
