"""/inbox and /admin/jobs wear the shell's header as every Dash page does: city and title,
演示数据, 数据截至, the role's navigation, the theme button and the account box; they load the
pages' stylesheet (both themes) and the theme script (#23 follow-up item 7)."""

from __future__ import annotations

import re

import pytest

from cockpit.panels import paths_for
from cockpit.scope import Principal
from cockpit.security.roles import ROLES
from tests.apps import app_as, close_app
from tests.notify_support import make_user

LUCHENG = "140406"
COUNTY_USER = Principal(
    "lucheng", "county_staff", frozenset({LUCHENG}), ROLES["county_staff"].permissions, "潞城"
)
ADMIN = Principal("sysadmin", "admin", frozenset(), ROLES["admin"].permissions, "管理员")


@pytest.fixture
def make_app(settings):
    made = []

    def build(principal: Principal):
        app = app_as(settings, principal)
        made.append(app)
        return app

    yield build
    for app in made:
        close_app(app)


def _nav_hrefs(page: str) -> set[str]:
    nav = page.split('id="shell-nav"')[1].split("</nav>")[0]
    return set(re.findall(r'href="([^"]+)"', nav))


@pytest.mark.parametrize(
    ("principal", "path"), [(COUNTY_USER, "/inbox"), (ADMIN, "/admin/jobs"), (ADMIN, "/inbox")]
)
def test_the_page_has_the_shell_header(make_app, principal, path) -> None:
    app = make_app(principal)
    make_user(app, principal.user_id, principal.role, sorted(principal.counties or ()) or None)
    hub = app.server.extensions["cockpit_hub"]
    answer = app.server.test_client().get(path)
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert 'class="shell-header"' in page
    assert hub.settings.city.name in page and hub.settings.app.title in page
    assert "演示数据" in page and hub.is_demo()
    assert "数据截至" in page
    assert 'id="shell-theme"' in page  # the theme button
    assert 'data-theme-default="' in page and "/assets/head/screens.js" in page
    assert re.search(r'href="/assets/cockpit-styles/[0-9a-f]{16}\.css"', page)
    # The navigation is the role's own, as on its Dash pages.
    wanted = set(paths_for(principal.role))
    assert wanted and wanted <= _nav_hrefs(page)
    assert "站内消息" in page and "/logout" in page  # the account box
