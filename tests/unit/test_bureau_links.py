"""A unit's name is a link to its 市局直通 page only for a user who may open that page: a
承办单位 account (unit_staff) sees the name as text, not a link to a 无权访问 page."""

from dash import dcc
from flask import Flask

from cockpit.links import bureau_link
from cockpit.scope import Principal, acting_as

BUREAU = "市住建局"  # a 牵头单位 of the demo data's 重点工作 tasks


def _link_as(role: str) -> object:
    with Flask(__name__).app_context(), acting_as(Principal(user_id="u", role=role)):
        return bureau_link(BUREAU)


def test_a_leader_gets_the_bureau_page_link() -> None:
    link = _link_as("city_leader")
    assert isinstance(link, dcc.Link)
    assert "/bureaus" in link.href


def test_a_unit_account_gets_the_name_as_text() -> None:
    assert _link_as("unit_staff") == BUREAU
