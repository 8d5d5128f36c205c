"""The wall (大屏): /wall opens the command centre's screen straight into wall mode.

/wall is a small page of its own (not a Dash page): a canvas of the configured design size,
scaled to whatever screen shows it, holding one frame per screen of the carousel. Each frame
is a cockpit page opened with ?wall=1, so inside it the page lays out exactly as on a screen
of the design size (its CSS media queries see the design width, not the wall's 3840 or 5760
pixels), and keeps its own Dash callbacks running. The frame script (assets/wall-frame/) rotates
the screens, refreshes nothing itself (each page refreshes its panels in place), watches
/livez and swaps in freshly loaded pages once the server is back after an outage or restart,
and every few hours, so the wall never shows a white page or a stuck spinner.
"""

from __future__ import annotations

import html
import json
from typing import Any
from urllib.parse import urlencode

from dash import Dash

from cockpit import wall_views
from cockpit.panels import PanelSpec
from cockpit.settings import ConfigError, Settings

WALL_PATH = "/wall"
WALL_QUERY = "wall"  # ?wall=1 puts a cockpit page into wall mode (assets/head/screens.js)
# Liveness: is this server answering? Cheap, always 200, touches no data source. (/healthz
# reports sources and freshness, answers 503 when data is late, and is for monitoring.)
LIVE_PATH = "/livez"


def wall_config(settings: Settings, panels: list[PanelSpec], prefix: str = "/") -> dict:
    """What the frame script needs: canvas, fit, tiles, timings and each screen's page."""
    by_key = {p.key: p for p in panels}
    missing = [s.panel for s in settings.wall.screens if s.panel not in by_key]
    if missing:
        raise ConfigError(
            [f"config/cockpit.yaml: wall.screens: module {key} has no page yet" for key in missing]
        )
    wall = settings.wall
    screens = []
    for screen in (*wall.screens, *_configured_screens(wall, by_key)):
        panel = by_key[screen.panel]
        params = {WALL_QUERY: "1"}
        if screen.county:
            params["county"] = screen.county
        screens.append(
            {
                "key": screen.panel,
                "title": panel.title,
                "seconds": screen.seconds,
                "src": prefix.rstrip("/") + panel.path + "?" + urlencode(params),
            }
        )
    return {
        "width": wall.design_width,
        "height": wall.design_height,
        "fit": wall.fit,
        "tiles": wall.tiles,
        "screens": screens,
        "liveUrl": prefix.rstrip("/") + LIVE_PATH,
        "pollSeconds": wall.health_poll_seconds,
        "reloadHours": wall.reload_hours,
    }


def _configured_screens(wall: Any, by_key: dict[str, PanelSpec]) -> list[Any]:
    """The domains defined in config/domains/ join the carousel after the listed screens,
    for their own `wall_seconds` (null: not on the wall), unless the list names them."""
    from cockpit.domains.configured import loader
    from cockpit.settings import WallScreen

    listed = {s.panel for s in wall.screens}
    return [
        WallScreen(panel=d.key, seconds=d.wall_seconds)
        for d in loader.domains()
        if d.wall_seconds and d.key not in listed and d.key in by_key
    ]


def page(app: Dash, config: dict) -> str:
    """The wall's HTML: dark from the first byte, the config inline, the frame script."""
    title = html.escape(app.title or "")
    assets = app.get_asset_url("wall-frame/")
    data = json.dumps(config, ensure_ascii=False).replace("</", "<\\/")
    return f"""<!DOCTYPE html>
<html lang="zh-CN" class="wall-frame">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="theme-color" content="#06162e">
<title>{title} · 大屏</title>
<link rel="stylesheet" href="{assets}frame.css">
</head>
<body>
<div id="wall-stage" aria-live="off"></div>
<div id="wall-status" class="wall-status" role="status"></div>
<script id="wall-config" type="application/json">{data}</script>
<script src="{assets}frame.js"></script>
</body>
</html>"""


def register(app: Dash, settings: Settings, panels: list[PanelSpec]) -> None:
    """Serve /wall (checked at start-up: every screen must name a module that has a page)."""
    config = wall_config(settings, panels, app.config.requests_pathname_prefix or "/")
    # The modules' wall views (cockpit/wall_views.py) read through the factory's data hub.
    wall_views.register(app, app.server.extensions["cockpit_hub"], panels)

    @app.server.route(WALL_PATH)
    def wall():
        return page(app, config), 200, {"Content-Type": "text/html; charset=utf-8"}

    @app.server.route(LIVE_PATH)
    def live():
        return {"live": True}, 200, {"Cache-Control": "no-store"}
