"""What production serving adds to the app: compressed responses, static files compressed once.

Compression is done here with Flask-Compress (brotli, else gzip) rather than left to the proxy
alone, so the cockpit is as small on the wire behind any proxy, behind none (a county's single
host), and in the benchmarks. Dash's scripts (plotly.js is several megabytes) have
fingerprinted URLs that never change content, so each is compressed once per worker and kept;
callback answers are compressed per response (a few kilobytes: well under a millisecond).
Where nginx compresses instead, set server.compress: false (docs/deployment.md).

Fast JSON: Dash serialises callback answers with plotly's encoder, which uses orjson whenever
it is installed (requirements.txt), several times faster than the standard library.
"""

from __future__ import annotations

import threading

from flask import Flask, Request
from flask_compress import Compress

from cockpit.settings import ServerSettings

# URL prefixes whose content never changes for a given URL: Dash puts a fingerprint in its
# scripts' paths and the file's mtime (?m=...) in the URLs of assets; the vendored plotly.js
# (assets/vendor/, a megabyte) changes only with a release, so it too is compressed once.
_IMMUTABLE = ("/_dash-component-suites/", "/assets/vendor/", "/assets/cockpit-map-geometry/")


def _static_key(request: Request) -> str:
    """The cache key of a response that can be compressed once; '' for everything else."""
    if request.method == "GET" and request.path.startswith(_IMMUTABLE):
        return request.full_path
    return ""


class _StaticCompressed:
    """Compressed copies of immutable files, in this worker's memory (a few megabytes)."""

    def __init__(self) -> None:
        self._items: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        """A compressed copy, or None."""
        return self._items.get(key)

    def set(self, key: str, value: bytes) -> None:
        """Keep a copy of an immutable file (keys of other responses end in ';' and are skipped)."""
        if key.endswith(";"):
            return
        with self._lock:
            self._items[key] = value


def enable_compression(server: Flask, settings: ServerSettings) -> None:
    """Compress responses (brotli for browsers that take it, else gzip) when configured."""
    if not settings.compress:
        return
    server.config.update(
        COMPRESS_ALGORITHM=["br", "gzip"],  # every browser in use takes one of these
        COMPRESS_BR_LEVEL=5,
        COMPRESS_LEVEL=6,
        COMPRESS_MIN_SIZE=500,
        COMPRESS_CACHE_KEY=_static_key,
        COMPRESS_CACHE_BACKEND=_StaticCompressed,
    )
    server.extensions["cockpit_compress"] = Compress(server)
