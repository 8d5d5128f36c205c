"""The page around the app for each kind of screen: wall, desktop, phone.

- The HTML page Dash serves: Chinese language, the theme script in <head> (so the first paint
  already has the right theme and, on a wall, no desktop controls), the web app manifest and
  icons (leaders add the phone view to their home screen), theme-color.
- /manifest.webmanifest, from the city's settings; /robots.txt (no indexing).
- Short navigation labels for the phone's bottom bar.

Everything is served by this server: the intranet has no CDN.
"""

from __future__ import annotations

import html
import json

from dash import Dash

from cockpit.settings import Settings

# The bottom bar of a phone has room for two characters per module.
SHORT_TITLES = {
    "overview": "总览",
    "economy": "经济",
    "key_work": "督办",
    "risk": "风险",
    "emergency": "应急",
    "hotline": "热线",
    "briefing": "专报",
    "contacts": "直联",
    "admin": "管理",
}
# Folders of assets/ that Dash must not load into every page (loaded where needed): the
# <head> script, the wall's frame, and the login page's stylesheet.
NOT_AUTOLOADED = ["head", "wall-frame", "login", "notify"]
ICON_SIZES = (192, 512)
DARK_GROUND = "#06162e"


def index_string(app: Dash, theme: str, description: str = "") -> str:
    """Dash's page template with our <head>: language, theme default, manifest, icons."""
    script = app.get_asset_url("head/screens.js")
    icon = app.get_asset_url("icons/icon-192.png")
    manifest = app.get_relative_path("/manifest.webmanifest")
    return f"""<!DOCTYPE html>
<html lang="zh-CN" data-theme-default="{theme}">
    <head>
        {{%metas%}}
        <meta name="description" content="{description}">
        <meta name="theme-color" content="{DARK_GROUND}">
        <meta name="mobile-web-app-capable" content="yes">
        <meta name="apple-mobile-web-app-capable" content="yes">
        <meta name="apple-mobile-web-app-status-bar-style" content="black-translucent">
        <link rel="manifest" href="{manifest}">
        <link rel="apple-touch-icon" href="{icon}">
        <title>{{%title%}}</title>
        {{%favicon%}}
        {{%css%}}
        <script src="{script}"></script>
    </head>
    <body>
        {{%app_entry%}}
        <footer>
            {{%config%}}
            {{%scripts%}}
            {{%renderer%}}
        </footer>
    </body>
</html>"""


def manifest(app: Dash, settings: Settings) -> dict:
    """The web app manifest: name, start page, colours and the icons in assets/icons/."""
    return {
        "name": f"{settings.city.name}{settings.app.title}",
        "short_name": settings.app.title,
        "lang": "zh-CN",
        "start_url": app.get_relative_path("/"),
        "scope": app.get_relative_path("/"),
        "display": "standalone",
        "background_color": DARK_GROUND,
        "theme_color": DARK_GROUND,
        "icons": [
            {
                "src": app.get_asset_url(f"icons/icon-{size}.png"),
                "sizes": f"{size}x{size}",
                "type": "image/png",
                "purpose": "any maskable",
            }
            for size in ICON_SIZES
        ],
    }


def register(app: Dash, settings: Settings) -> None:
    """Install the page template and serve the manifest."""
    description = html.escape(
        f"{settings.city.name}{settings.app.title}：经济运行、重点工作、风险管控、应急指挥、12345热线"
    )
    app.index_string = index_string(app, settings.app.theme, description)
    body = json.dumps(manifest(app, settings), ensure_ascii=False)

    @app.server.route("/manifest.webmanifest")
    def web_manifest():
        return body, 200, {"Content-Type": "application/manifest+json; charset=utf-8"}

    @app.server.route("/robots.txt")
    def robots():
        # An intranet cockpit is for its users, never for a search engine's index.
        return "User-agent: *\nDisallow: /\n", 200, {"Content-Type": "text/plain; charset=utf-8"}
