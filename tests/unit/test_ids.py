"""Pattern-matching ids carry ASCII keys only (#20): the key codec, and a guard for the class.

A Chinese value in a pattern-matching id made its button do nothing (the browser sends the id
raw, Dash rebuilds it escaped). These tests pin the codec, render every screen part that
builds pattern ids on the demo data (where the keys are Chinese) and check that each id is
ASCII and decodes back, and refuse an id written as a dict literal anywhere in the code.
"""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dash.development.base_component import Component

from cockpit.ids import MAX_KEY, decode_key, encode_key, pattern_id, triggered_key

ROOT = Path(__file__).resolve().parents[2]
PERIOD = "2026-10"


# -- the codec -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "EW-A-hotline_category-燃气-140400-2026-11-09",
        "unit|市住建局",
        "duty:2026-11-20:带班领导",
        "case:12",
        "",
        "a|b:c/d e+f=g",
        "𠮷野家",  # outside the Basic Multilingual Plane
    ],
)
def test_a_key_is_ascii_and_decodes_to_its_text(text: str) -> None:
    """Any text round-trips through an ASCII key that JSON writes the same escaped or raw."""
    key = encode_key(text)
    assert key.isascii() and "=" not in key
    assert json.dumps(key) == json.dumps(key, ensure_ascii=False)
    assert decode_key(key) == text


@pytest.mark.parametrize(
    "key",
    [
        None,
        12,
        ["dW5pdA"],
        "unit|市住建局",  # a raw value, as the old ids carried: not a key
        "kpi|on_time",  # ASCII, but not base64
        "dW5pdA==",  # padded: not the spelling encode_key makes
        "dW5pdB",  # stray low bits: decodes, but is not the canonical key of anything
        "dW5p dA",
        "_w",  # base64 of the byte 0xFF: not UTF-8
        "QQ" * MAX_KEY,  # longer than any reference the cockpit puts in an id
    ],
)
def test_anything_but_a_key_decodes_to_none(key: Any) -> None:
    """Malformed, padded, non-canonical, non-UTF-8 or oversized input is refused, not guessed."""
    assert decode_key(key) is None


def test_a_pattern_id_encodes_every_field_but_its_type() -> None:
    """pattern_id keeps the type readable (the gate reads it) and encodes the data fields."""
    made = pattern_id("call-link", ref="duty:2026-11-20:带班领导", via="phone", ctx="")
    assert made["type"] == "call-link"
    assert {name: decode_key(value) for name, value in made.items() if name != "type"} == {
        "ref": "duty:2026-11-20:带班领导",
        "via": "phone",
        "ctx": "",
    }
    assert triggered_key(made, "ref") == "duty:2026-11-20:带班领导"
    assert triggered_key(made, "missing") is None
    assert triggered_key("call-link", "ref") is None


# -- the guard for the class ---------------------------------------------------------------------
def _components(value: Any) -> Iterator[Component]:
    """Every Dash component inside a builder's answer (lists, dicts, dataclasses, props)."""
    if isinstance(value, Component):
        yield value
        for name in value._prop_names:
            yield from _components(getattr(value, name, None))
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _components(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _components(item)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from _components(getattr(value, f.name))


def _rendered(app, settings) -> list[Any]:
    """What the screens that build pattern ids render on the demo data, as the city leader."""
    from cockpit.clock import now as clock_now
    from cockpit.domains.emergency.config import EmergencyConfig
    from panels.contacts.callbacks import duty_section
    from panels.economy.callbacks import build_page
    from panels.economy.figures import card
    from panels.emergency.callbacks import build_view
    from panels.hotline import callbacks as hotline
    from panels.key_work.callbacks import build_cases, build_signals, build_tasks
    from panels.risk.callbacks import build_screen

    hub = app.server.extensions["cockpit_hub"]
    today = settings.sources["demo"].end_date
    emergency = hub.module_config.get("emergency") or EmergencyConfig()
    readings = build_page(hub, PERIOD, None).readings
    return [
        build_screen(hub, PERIOD, None, today),
        *(
            section(hub, PERIOD, None)
            for section in (
                hotline.kpi_section,
                hotline.unit_section,
                hotline.sla_section,
                hotline.hot_section,
                hotline.repeat_section,
            )
        ),
        hotline.map_section(hub, PERIOD, None, "received"),
        build_tasks(hub, None, "all", today),
        build_signals(hub, PERIOD, None, today),
        build_cases(hub, None),
        build_view(hub, emergency, None, None, None, clock_now()),
        duty_section(hub, dt.date.today()),
        [card(r, False) for r in readings],
    ]


def test_every_rendered_pattern_id_carries_ascii_keys_only(app, settings) -> None:
    """On the demo data (Chinese warnings, units, categories, duty roles), each pattern id of
    each screen is ASCII and each of its fields decodes back to the value it names."""
    with app.server.test_request_context("/"):
        rendered = _rendered(app, settings)
    found: dict[str, list[str]] = {}
    for component in _components(rendered):
        cid = getattr(component, "id", None)
        if not isinstance(cid, dict):
            continue
        assert json.dumps(cid).isascii() and json.dumps(cid, ensure_ascii=False).isascii(), cid
        for name, value in cid.items():
            if name != "type":
                decoded = decode_key(value)
                assert decoded is not None, (cid, name)
                found.setdefault(cid["type"], []).append(decoded)
    # Every kind of pattern id was rendered (the guard cannot pass on an empty screen) ...
    assert set(found) == {
        "risk-ack",
        "hotline-drill",
        "key_work-open",
        "key_work-promote",
        "emergency-event",
        "call-link",
        "economy-card",
    }
    # ... and the exact values of the issue were among them, Chinese and all.
    assert any("燃气" in v for v in found["risk-ack"])
    assert any(v.startswith("unit|") and not v.isascii() for v in found["hotline-drill"])
    assert any(v.startswith("hot|") and not v.isascii() for v in found["hotline-drill"])
    assert any(v.startswith("hotline:") and not v.isascii() for v in found["key_work-promote"])
    assert any(v.startswith("duty:") and not v.isascii() for v in found["call-link"])


def _dict_literal_ids(path: Path) -> list[str]:
    """`id={...}` or `id=dict(...)` keyword arguments in one source file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        f"{path.relative_to(ROOT)}:{node.value.lineno}"
        for node in ast.walk(tree)
        if isinstance(node, ast.keyword)
        and node.arg == "id"
        and (
            isinstance(node.value, ast.Dict)
            or (isinstance(node.value, ast.Call) and getattr(node.value.func, "id", "") == "dict")
        )
    ]


def test_no_component_writes_its_pattern_id_by_hand() -> None:
    """Pattern ids are made by cockpit.ids.pattern_id only, so no data value goes in raw."""
    sources = [*ROOT.joinpath("panels").rglob("*.py"), *ROOT.joinpath("cockpit").rglob("*.py")]
    assert len(sources) > 50
    assert [hit for path in sources for hit in _dict_literal_ids(path)] == []


def test_a_click_posted_as_the_browser_sends_it_reaches_its_callback(app, settings) -> None:
    """签收 of the red gas warning, POSTed with its rendered id written raw in changedPropIds
    (the renderer does not escape non-ASCII, unlike json.dumps), is recorded."""
    from cockpit.store import get_store
    from panels.risk.callbacks import build_screen
    from tests.dash_requests import answer, callback_body

    hub = app.server.extensions["cockpit_hub"]
    today = settings.sources["demo"].end_date
    with app.server.test_request_context("/"):
        rows = build_screen(hub, PERIOD, None, today)["rows"]
    ids = [getattr(c, "id", None) for c in _components(rows)]
    [button] = [
        cid
        for cid in ids
        if isinstance(cid, dict)
        # (a raw warning id, as before #20, is found too: the test then fails on the click)
        and "燃气" in (decode_key(cid.get("warning")) or cid.get("warning", ""))
    ]
    changed = json.dumps(button, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    body = callback_body(
        app,
        "risk-ack-message.children",
        {"filter-period.value": PERIOD, "filter-county.value": "city", "risk-refresh.data": 0},
        [changed + ".n_clicks"],
    )
    body["inputs"][0] = [{"id": button, "property": "n_clicks", "value": 1}]
    message = json.dumps(answer(app, body), ensure_ascii=False)
    assert "已签收「长治市燃气类诉求异常增多」" in message
    warning_id = decode_key(button["warning"])
    with app.server.test_request_context("/"):
        assert [a.actor_id for a in get_store(hub).acks([warning_id])[warning_id]] == ["default"]
