"""What production serving adds to the app: compressed responses, static files compressed once.

Compression is done here with Flask-Compress (brotli, else gzip) rather than left to the proxy
alone, so the cockpit is as small on the wire behind any proxy, behind none (a county's single
host), and in the benchmarks. Dash's scripts (plotly.js is several megabytes) have
fingerprinted URLs that never change content, so each is compressed once per worker and kept;
callback answers are compressed per distinct answer: a cached answer that many screens ask for
is compressed once per worker, found again by a digest of its bytes (brotli at level 5 was a
fifth of a cached callback's time in a profile; compressing once took the workers' CPU per
cached callback from 1.95 to 1.60 ms: #22, B2, docs/performance.md).
Where nginx compresses instead, set server.compress: false (docs/deployment.md).

Fast JSON: Dash serialises callback answers with plotly's encoder, which uses orjson whenever
it is installed (requirements.txt), several times faster than the standard library.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, Request, Response, g, request
from flask_compress import Compress

from cockpit.settings import ServerSettings

# URL prefixes whose content never changes for a given URL: Dash puts a fingerprint in its
# scripts' paths and the file's mtime (?m=...) in the URLs of assets; the vendored plotly.js
# (assets/vendor/, a megabyte) changes only with a release, so it too is compressed once.
_IMMUTABLE = ("/_dash-component-suites/", "/assets/vendor/", "/assets/cockpit-map-geometry/")


_ANSWER = "answer:"  # key prefix of a callback answer's compressed copy: its bytes' digest
ANSWERS_KEPT = 256  # compressed answers kept per worker (a few KB each: about a megabyte)


def _static_key(request: Request) -> str:
    """The cache key of a response that can be compressed once: an immutable file's URL, or
    a callback answer's digest (set by _digest_answer); '' for everything else."""
    if request.method == "GET" and request.path.startswith(_IMMUTABLE):
        return request.full_path
    digest = g.get("cockpit_answer_digest")
    return _ANSWER + digest if digest else ""


class _StaticCompressed:
    """Compressed copies of immutable files (a few megabytes), and of the latest callback
    answers (ANSWERS_KEPT, least recently used dropped), in this worker's memory.

    An answer's copy is found by the digest of its uncompressed bytes, so it is only ever
    sent as the very bytes it was made from: nothing passes between users or data versions."""

    def __init__(self) -> None:
        self._items: dict[str, bytes] = {}
        self._answers: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        """A compressed copy, or None."""
        if _ANSWER not in key:
            return self._items.get(key)
        with self._lock:
            found = self._answers.get(key)
            if found is not None:
                self._answers.move_to_end(key)
            return found

    def set(self, key: str, value: bytes) -> None:
        """Keep a copy (keys of responses that are not kept end in ';' and are skipped)."""
        if key.endswith(";"):
            return
        with self._lock:
            if _ANSWER not in key:
                self._items[key] = value
                return
            self._answers[key] = value
            self._answers.move_to_end(key)
            while len(self._answers) > ANSWERS_KEPT:
                self._answers.popitem(last=False)


def _digest_answer(response: Response) -> Response:
    """Note a callback answer's digest for _static_key (runs before Flask-Compress's hook)."""
    if (
        request.method == "POST"
        and request.path.endswith("/_dash-update-component")
        and response.status_code == 200
        and not response.is_streamed
    ):
        g.cockpit_answer_digest = hashlib.sha256(response.get_data()).hexdigest()
    return response


# Flask-Compress marks the ETag of a compressed answer with its encoding ("abc" -> "abc:br") so
# a cache never mixes encodings. The browser sends that tag back in If-None-Match, but the
# handlers that answer 304 (Flask's static files, Dash's component suites) compare it with their
# own tag, "abc", so every reload re-downloaded every script (#22: ~500 KB a page). Stripping
# the suffix before the handler runs lets each answer 304 by its own rules; Vary:
# Accept-Encoding keeps caches from mixing the encodings.
_ENCODING_SUFFIX = re.compile(r':(?:br|gzip|deflate|zstd)"')


class _EncodedEtags:
    """WSGI middleware: If-None-Match tags lose the encoding suffix Flask-Compress added."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]):
        tags = environ.get("HTTP_IF_NONE_MATCH")
        if tags:
            environ["HTTP_IF_NONE_MATCH"] = _ENCODING_SUFFIX.sub('"', tags)
        return self.app(environ, start_response)


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
    # Registered after Compress's own hook, so Flask runs it first (hooks run in reverse).
    server.after_request(_digest_answer)
    # Flask's documented way to wrap its WSGI app in middleware.
    server.wsgi_app = _EncodedEtags(server.wsgi_app)  # type: ignore[method-assign]


def keep_fingerprinted_assets(server: Flask) -> None:
    """Let browsers keep an asset whose URL carries Dash's fingerprint (?m=<mtime>) for a year.

    Dash writes each file's modification time into its asset URLs, so new content always comes
    under a new URL: such a response never needs revalidating. Without this, Flask serves
    assets with no-cache and a reload asks again for each of the page's 15 stylesheets and
    scripts (plotly.js among them). Assets without the fingerprint keep no-cache and their ETag.
    """

    @server.after_request
    def _immutable(response: Response) -> Response:
        if (
            request.method == "GET"
            and request.path.startswith("/assets/")
            and request.args.get("m")
            and response.status_code in (200, 304)
        ):
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response
