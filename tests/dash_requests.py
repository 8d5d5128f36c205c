"""Dash callback requests built by hand, as the renderer (or an attacker) would send them.

One builder for every test that goes through /_dash-update-component, so the request shape
(outputs, pattern-matching inputs, the Origin header the gate requires) lives in one place.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

ORIGIN = {"Origin": "http://localhost"}  # what a browser on the same site sends


def callback_key(app: Any, output: str, prefer: Callable[[dict], bool] | None = None) -> str:
    """The callback_map key of the callback with this output ('id.prop').

    A duplicate output (allow_duplicate) carries an '@hash' in the key; `prefer` picks among
    several callbacks by their callback_map entry (e.g. the one whose inputs are economy's).
    """
    keys = [
        k
        for k in app.callback_map
        if output in (part.split("@")[0] for part in k.strip(".").split("..."))
    ]
    if len(keys) > 1 and prefer is not None:
        keys = [k for k in keys if prefer(app.callback_map[k])]
    elif len(keys) > 1:  # the callback that owns the output, not one that also writes it
        keys = [k for k in keys if output in k.strip(".").split("...")]
    if not keys:
        raise KeyError(output)
    assert len(keys) == 1, keys
    return keys[0]


def callback_body(
    app: Any,
    output: str,
    values: dict[str, Any],
    changed: list[str] | None = None,
    prefer: Callable[[dict], bool] | None = None,
) -> dict[str, Any]:
    """The JSON body of the callback with this output; values by 'id.prop' (None when absent).

    A pattern-matching input (ALL) takes its value from `values` as the list the renderer
    sends: one {id, property, value} per matching component (empty when absent).
    """
    key = callback_key(app, output, prefer)
    entry = app.callback_map[key]
    outputs = []
    for part in key.strip(".").split("..."):
        cid, prop = part.split("@")[0].rsplit(".", 1)
        outputs.append({"id": cid, "property": prop})

    def with_value(item: dict[str, Any]) -> Any:
        cid = item["id"] if isinstance(item["id"], str) else json.dumps(item["id"])
        name = f"{cid}.{item['property']}"
        if cid.startswith("{"):
            parsed = json.loads(cid)
            # ALL / MATCH / ALLSMALLER come as ["ALL"] ...: the matching components and their
            # values. A dict id without one names one component (a phone fold's seen store),
            # which the browser sends as itself, the id as an object.
            if any(isinstance(v, list) for v in parsed.values()):
                return values.get(name, [])
            return {**item, "id": parsed, "value": values.get(name)}
        return {**item, "value": values.get(name)}

    return {
        "output": key,
        "outputs": outputs if len(outputs) > 1 else outputs[0],
        "inputs": [with_value(i) for i in entry["inputs"]],
        "state": [with_value(s) for s in entry["state"]],
        "changedPropIds": changed if changed is not None else [],
    }


def post(
    client: Any, body: dict[str, Any], path: str = "/_dash-update-component", **kw: Any
) -> Any:
    """POST a callback body as JSON from this site's origin."""
    headers = {**ORIGIN, **kw.pop("headers", {})}
    return client.post(
        path, data=json.dumps(body), content_type="application/json", headers=headers, **kw
    )


def answer(app: Any, body: dict[str, Any]) -> dict[str, Any]:
    """POST with a fresh client; the JSON answer ({} for 204 no-update). Fails on other codes."""
    response = post(app.server.test_client(), body)
    assert response.status_code in (200, 204), response.get_data(as_text=True)[:500]
    return response.get_json() if response.status_code == 200 else {}
