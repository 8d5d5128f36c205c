"""A virtual browser for the benchmarks: opens a cockpit page the way Dash's renderer does.

It reads the layout and the callback list, puts the page's path in the URL component, then
fires every callback whose inputs are on the page (not clientside; not prevent_initial_call
unless a phone fold's seen store fires it; not pattern-matching but for those seen stores,
which a desktop sets at once), applies the answers (new children bring new components, changed
values fire the callbacks that listen to them) and repeats until nothing is left to fire.
A page is complete when its last callback has answered: that is what a user waits for.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import requests

ROUNDS = 6  # enough for the cockpit's chains (URL -> filters -> panels)


@dataclass
class Visit:
    """One page opened: how long it took, what was sent and received, what failed."""

    path: str
    seconds: float = 0.0
    callbacks: int = 0
    errors: list[str] = field(default_factory=list)
    wire_bytes: dict[str, int] = field(default_factory=dict)  # callback output -> bytes sent
    fetches: set[str] = field(default_factory=set)  # what the page then GETs (map borders)


def _outputs(spec: str) -> list[tuple[str, str]]:
    """'..a.children...b.figure..' -> [('a', 'children'), ('b', 'figure')]."""
    text = spec[2:-2] if spec.startswith("..") else spec
    return [tuple(part.rsplit(".", 1)) for part in text.split("...")]  # type: ignore[misc]


# A phone fold's "seen" store (cockpit.phone.SEEN): a desktop browser's clientside callback sets
# it True at once, so the folded sections draw; the virtual browser is a desktop and does the same.
SEEN_TYPE = "phone-fold-seen"


def _id(cid: Any) -> Any:
    """An id as the page has it: Dash's callback list writes a dict id as its JSON string."""
    return json.loads(cid) if isinstance(cid, str) and cid.startswith("{") else cid


def _key(cid: Any) -> str:
    """A component's id as a dict key: a string id itself, a dict id (one component, no
    wildcard) as sorted JSON, however it came."""
    cid = _id(cid)
    return cid if isinstance(cid, str) else json.dumps(cid, sort_keys=True, separators=(",", ":"))


def _plain(cid: Any) -> bool:
    """An id the virtual browser follows: a string, or a phone fold's seen store (a dict id
    naming one component). Other pattern-matching ids (the click-to-open items) are left out,
    as before: their callbacks answer clicks, not the page's first load."""
    cid = _id(cid)
    return isinstance(cid, str) or (isinstance(cid, dict) and cid.get("type") == SEEN_TYPE)


def _walk(node: Any, props: dict[str, dict]) -> None:
    """Record every component with an id naming it, and its props, from a layout tree."""
    if isinstance(node, list):
        for item in node:
            _walk(item, props)
        return
    if not isinstance(node, dict) or "props" not in node:
        return
    p = node["props"]
    if p.get("id") is not None and _plain(p["id"]):
        if isinstance(p["id"], dict) and p["id"].get("type") == SEEN_TYPE:
            p = {**p, "data": True}  # what the desktop's clientside callback does at once
        props[_key(p["id"])] = p
    for value in p.values():
        if isinstance(value, (dict, list)):
            _walk(value, props)


def _fired_by_seen(dep: dict) -> bool:
    """A callback kept from the first load (prevent_initial_call) that a phone fold's seen
    store fires: on a desktop that store turns True at once after load (a change), so the
    folded section is asked for then; the virtual browser, a desktop, asks for it too."""
    return any(
        isinstance(_id(i["id"]), dict) and _id(i["id"]).get("type") == SEEN_TYPE
        for i in dep["inputs"]
    )


class Browser:
    """One user's browser: a session, Dash's callback list, and the page's components."""

    def __init__(self, base: str, deps: list[dict] | None = None, parallel: int = 4) -> None:
        self.base = base
        self.session = requests.Session()
        self.session.headers["Accept-Encoding"] = "br, gzip"
        self.session.headers["Origin"] = base  # callbacks are refused from other sites
        self._deps = deps
        self.parallel = parallel

    def deps(self) -> list[dict]:
        """The app's callbacks (fetched once per browser, as the renderer does)."""
        if self._deps is None:
            self._deps = self.session.get(self.base + "/_dash-dependencies", timeout=60).json()
        return self._deps

    def open(self, path: str, first_visit: bool = True, search: str = "") -> Visit:
        """Open a page (with a query string, as a link gives it: "?period=...&county=..."); on
        a first visit also fetch the HTML and the layout, as a browser does."""
        visit = Visit(path)
        started = time.perf_counter()
        try:
            if first_visit or not hasattr(self, "_layout"):
                self.session.get(self.base + path + search, timeout=60).raise_for_status()
                self._layout = self.session.get(self.base + "/_dash-layout", timeout=60).json()
            self._run(path, visit, search)
        except requests.RequestException as exc:
            visit.errors.append(f"{type(exc).__name__}: {exc}"[:200])
        visit.seconds = time.perf_counter() - started
        return visit

    def _run(self, path: str, visit: Visit, search: str = "") -> None:
        props: dict[str, dict] = {}
        _walk(self._layout, props)
        props.setdefault("url", {})
        props["url"].update({"pathname": path, "search": search, "href": self.base + path + search})
        fired: set[tuple] = set()
        eligible = [
            d
            for d in self.deps()
            if not d.get("clientside_function")
            and (not d.get("prevent_initial_call") or _fired_by_seen(d))
            and "{" not in d["output"]
            and "@" not in d["output"]
            and all(_plain(i["id"]) for i in d["inputs"] + d["state"])
        ]
        for _ in range(ROUNDS):
            batch = []
            for dep in eligible:
                if not all(_key(i["id"]) in props for i in dep["inputs"]):
                    continue
                if not all(o[0] in props for o in _outputs(dep["output"])):
                    continue
                values = tuple(repr(props[_key(i["id"])].get(i["property"])) for i in dep["inputs"])
                if (dep["output"], values) in fired:
                    continue
                fired.add((dep["output"], values))
                batch.append(dep)
            if not batch:
                return
            with ThreadPoolExecutor(self.parallel) as pool:
                answers = list(pool.map(lambda d: self._fire(d, props, visit), batch))
            for answer in answers:
                for cid, changed in (answer or {}).items():
                    props.setdefault(cid, {}).update(changed)
                    for value in changed.values():
                        if isinstance(value, (dict, list)):
                            _walk(value, props)

    def _fire(self, dep: dict, props: dict[str, dict], visit: Visit) -> dict | None:
        outputs = [{"id": i, "property": p} for i, p in _outputs(dep["output"])]
        body = {
            "output": dep["output"],
            "outputs": outputs
            if len(outputs) > 1 or dep["output"].startswith("..")
            else outputs[0],
            "inputs": [
                {**i, "id": _id(i["id"]), "value": props[_key(i["id"])].get(i["property"])}
                for i in dep["inputs"]
            ],
            "state": [
                {**s, "id": _id(s["id"]), "value": props.get(_key(s["id"]), {}).get(s["property"])}
                for s in dep["state"]
            ],
            "changedPropIds": [],
        }
        response = self.session.post(
            self.base + "/_dash-update-component", json=body, timeout=120, stream=True
        )
        raw = response.raw.read(decode_content=False)
        visit.callbacks += 1
        visit.wire_bytes[dep["output"]] = len(raw)
        if response.status_code == 204:
            return None
        if response.status_code != 200:
            visit.errors.append(f"{response.status_code} {dep['output'][:60]}")
            return None
        encoding = response.headers.get("Content-Encoding", "")
        answer = json.loads(_decode(raw, encoding)).get("response", {})
        for changed in answer.values():  # a map's values name the borders the browser fetches
            for value in changed.values():
                if isinstance(value, dict) and isinstance(value.get("geometry"), str):
                    visit.fetches.add(value["geometry"])
        return answer


def _decode(raw: bytes, encoding: str) -> bytes:
    """The body of a response read without decoding."""
    if encoding == "br":
        import brotli

        return brotli.decompress(raw)
    if encoding == "gzip":
        import gzip

        return gzip.decompress(raw)
    return raw
