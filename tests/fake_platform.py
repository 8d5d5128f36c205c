"""A fake data-sharing platform for tests: a signed, paged JSON API on loopback.

Tests tell it to be slow, to fail, to page oddly or to return bad data, and read what it saw.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from flask import Flask, jsonify, request
from werkzeug.serving import make_server

from data_sources.rest import sign


@dataclass
class Behaviour:
    """What the fake does next; tests change these fields between calls."""

    key: str = "test-app"
    secret: str = "test-secret"
    algorithm: str = "sha256"
    delay: float = 0.0  # seconds before answering
    fail_next: int = 0  # answer this many requests with `fail_status`
    fail_status: int = 503
    retry_after: str | None = None
    bad_json: bool = False
    bad_shape: bool = False  # data is not a list of records
    short_pages: bool = False  # pages smaller than asked, total tells the truth
    style: str = "page"  # page | cursor
    requests: list[dict[str, Any]] = field(default_factory=list)


class FakePlatform:
    """The server; `url` is its base URL, `tables` the resources it serves."""

    def __init__(self, tables: dict[str, pd.DataFrame]) -> None:
        self.tables = tables
        self.behaviour = Behaviour()
        app = Flask("fake_platform")
        app.add_url_rule("/api/<resource>", view_func=self._serve)
        app.add_url_rule("/api/", view_func=lambda: jsonify({"ok": True}))
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}/api"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FakePlatform:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()

    def _verify(self) -> bool:
        b = self.behaviour
        headers = request.headers
        if headers.get("X-App-Key") != b.key:
            return False
        expected = sign(
            b.secret,
            request.method,
            request.path,
            headers.get("X-Timestamp", ""),
            headers.get("X-Nonce", ""),
            b.algorithm,
        )
        return headers.get("X-Signature") == expected

    def _serve(self, resource: str):
        b = self.behaviour
        b.requests.append({"path": request.path, "args": dict(request.args)})
        if b.delay:
            time.sleep(b.delay)
        if not self._verify():
            return jsonify({"error": "bad signature"}), 401
        if b.fail_next > 0:
            b.fail_next -= 1
            headers = {"Retry-After": b.retry_after} if b.retry_after else {}
            return jsonify({"error": "down"}), b.fail_status, headers
        if b.bad_json:
            return "<html>gateway error</html>", 200, {"Content-Type": "application/json"}
        if resource not in self.tables:
            return jsonify({"error": "no such resource"}), 404
        records = self.tables[resource].to_dict("records")
        size = int(request.args.get("size", 500))
        served = max(1, size // 2) if b.short_pages else size
        if b.style == "cursor":
            start = int(request.args.get("cursor", 0))
            batch = records[start : start + served]
            nxt = start + served if start + served < len(records) else None
            body = {"data": batch, "next_cursor": nxt}
        else:
            page = int(request.args.get("page", 1))
            start = (page - 1) * served
            body = {"data": records[start : start + served], "total": len(records)}
        if b.bad_shape:
            body["data"] = {"rows": body["data"]}
        return jsonify(body)
