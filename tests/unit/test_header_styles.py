"""The header's pieces are styled on every Dash page: their rules are in the stylesheet the
pages link (cockpit.screens.styles), not only in a plain page's own sheet."""

import re
from pathlib import Path

from cockpit.screens import styles

ASSETS = Path(__file__).resolve().parents[2] / "assets"


def test_the_unread_count_in_the_header_is_styled_on_dash_pages() -> None:
    # 站内消息 N: the count is a badge (cockpit.notify.views.inbox_link), on every page's header.
    _url, text = styles(ASSETS)
    rule = re.search(r"\.shell-inbox-count\s*\{([^}]*)\}", text)
    assert rule, "the pages' stylesheet has no rule for the header's unread count"
    assert "background" in rule.group(1)
