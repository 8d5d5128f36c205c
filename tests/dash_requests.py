"""Dash callback requests built by hand, as the renderer (or an attacker) would send them."""

from __future__ import annotations

import json
from typing import Any

ORIGIN = {"Origin": "http://localhost"}  # what a browser on the same site sends


def callback_key(app: Any, output: str) -> str:
    """The callback_map key of the callback that has this output ('id.prop')."""
    for key in app.callback_map:
        if output in key.strip(".").split("..."):
            return key
    raise KeyError(output)


def callback_body(
    app: Any, output: str, values: dict[str, Any], changed: list[str] | None = None
) -> dict[str, Any]:
    """The JSON body of the callback with this output; values by 'id.prop' (None when absent)."""
    key = callback_key(app, output)
    entry = app.callback_map[key]
    outputs = []
    for part in key.strip(".").split("..."):
        cid, prop = part.split("@")[0].rsplit(".", 1)
        outputs.append({"id": cid, "property": prop})

    def with_value(item: dict[str, Any]) -> dict[str, Any]:
        return {**item, "value": values.get(f"{item['id']}.{item['property']}")}

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
