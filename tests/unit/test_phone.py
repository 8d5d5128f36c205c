"""The phone's navigation and folds, without a browser (the browser checks are in
test_phone_browser.py): every role's bottom bar has at most five tabs, and 更多 holds the rest."""

from __future__ import annotations

import pytest
from dash import dcc, html

from cockpit.ids import decode_key
from cockpit.panels import all_panels
from cockpit.phone import fold
from cockpit.security.roles import ROLES, may_open
from cockpit.shell import PHONE_TABS, navigation


@pytest.mark.parametrize("role", sorted(ROLES))
def test_every_role_gets_at_most_five_tabs_and_the_rest_under_more(role: str) -> None:
    """Each role's modules: four tabs and 更多 when there are more than five, else all of them;
    every module the role may open has its link, once."""
    visible = [p for p in all_panels() if may_open(role, p.key)]
    nav = navigation(visible, None)
    links = [c for c in nav if isinstance(c, dcc.Link)]
    assert [link.href for link in links] == [p.path for p in visible]
    tabs = [link for link in links if "nav-overflow" not in link.className]
    more = [c for c in nav if isinstance(c, html.Button) and c.id == "shell-more"]
    assert len(tabs) + len(more) <= PHONE_TABS
    if len(visible) > PHONE_TABS:
        assert more and more[0].children == "更多"
        assert len(tabs) == PHONE_TABS - 1
    else:
        assert not more and len(tabs) == len(visible)


def test_fold_ids_are_pattern_ids_with_encoded_keys() -> None:
    """A fold's ids carry its key encoded (cockpit.ids), so any key is matched by Dash."""
    toggle, body = fold("任务", html.P("x"))
    assert toggle.id["type"] == "phone-fold-toggle" and body.id["type"] == "phone-fold"
    assert toggle.id["key"] == body.id["key"] and decode_key(toggle.id["key"]) == "任务"
    assert toggle.id["key"].isascii()
    assert toggle.to_plotly_json()["props"]["aria-expanded"] == "false"
    assert body.className == "phone-fold"
