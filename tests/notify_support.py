"""Real local receivers for the notification tests: an HTTP server that records what robots,
webhooks and gateways are sent and answers as the platform does, and helpers to configure a
test app's notify section and accounts."""

from __future__ import annotations

import json
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cockpit.security import accounts
from cockpit.store import get_store

PASSWORD = "Cockpit-Test-Pass-2026!"


@dataclass
class Received:
    """One request as the receiver got it."""

    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body.decode())


@dataclass
class Receiver:
    """A running HTTP receiver; `answer(path)` gives (status, JSON) per request path."""

    server: ThreadingHTTPServer
    got: list[Received] = field(default_factory=list)
    hold: threading.Event | None = None  # while set, the first request waits (mid-delivery)
    held: threading.Event = field(default_factory=threading.Event)
    answers: dict[str, tuple[int, Any]] = field(default_factory=dict)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def on(self, path: str) -> list[Received]:
        return [r for r in self.got if r.path == path]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start_receiver() -> Receiver:
    """Start an HTTP server on a free local port, in a thread."""
    receiver: Receiver

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            url = urllib.parse.urlsplit(self.path)
            item = Received(
                url.path,
                dict(urllib.parse.parse_qsl(url.query)),
                {k.lower(): v for k, v in self.headers.items()},
                body,
            )
            if receiver.hold is not None and not receiver.held.is_set():
                receiver.held.set()  # the first request: hold it, unanswered, until told
                receiver.hold.wait(60)
                return
            receiver.got.append(item)
            status, answer = receiver.answers.get(url.path, (200, {"errcode": 0, "errmsg": "ok"}))
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver = Receiver(server)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return receiver


def with_notify(settings: Any, **section: Any) -> Any:
    """The settings with a notify section."""
    return settings.model_copy(update={"notify": section})


def make_user(app: Any, username: str, role: str, counties: list[str] | None = None) -> None:
    """An account of the app's store (a county user is limited to `counties`)."""
    hub = app.server.extensions["cockpit_hub"]
    accounts.create_user(
        get_store(hub),
        username=username,
        role=role,
        password=PASSWORD,
        policy=hub.settings.security.password,
        known_counties=[c.code for c in hub.settings.city.counties],
        counties=counties,
        must_change=False,
    )
