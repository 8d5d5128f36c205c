"""The page around the app for each kind of screen: wall, desktop, phone.

- The HTML page Dash serves: Chinese language, the theme script in <head> (so the first paint
  already has the right theme and, on a wall, no desktop controls), the web app manifest and
  icons (leaders add the phone view to their home screen), theme-color.
- /manifest.webmanifest, from the city's settings; /robots.txt (no indexing).
- Short navigation labels for the phone's bottom bar.

Everything is served by this server: the intranet has no CDN.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
from pathlib import Path

from dash import Dash
from flask import Response, abort

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
# Dash links each stylesheet of assets/ on its own; they are served as one instead (styles):
# 13 render-blocking requests cost a phone on a slow network seconds before its first paint.
NOT_AUTOLOADED_FILES = r"\.css$"
STYLES_URL = "/assets/cockpit-styles/{version}.css"
ICON_SIZES = (192, 512)
DARK_GROUND = "#06162e"


def stylesheets(folder: Path) -> list[Path]:
    """The stylesheets Dash would link into every page, in its order: the folders walked
    top-down and sorted, each folder's files sorted, the NOT_AUTOLOADED folders left out."""
    found = []
    for current, _dirs, files in sorted(os.walk(folder)):
        parts = Path(current).relative_to(folder).parts
        if any(part in NOT_AUTOLOADED for part in parts):
            continue
        found += [Path(current) / f for f in sorted(files) if f.endswith(".css")]
    return found


def styles(folder: Path) -> tuple[str, str]:
    """(URL, text) of every stylesheet of the pages as one file; the URL holds its hash."""
    text = "\n".join(
        f"/* {path.relative_to(folder).as_posix()} */\n{path.read_text(encoding='utf-8')}"
        for path in stylesheets(folder)
    )
    version = hashlib.sha256(text.encode()).hexdigest()[:16]
    return STYLES_URL.format(version=version), text


def index_string(app: Dash, theme: str, description: str = "", styles_url: str = "") -> str:
    """Dash's page template with our <head>: language, theme default, manifest, icons, and
    the pages' stylesheets as one file (styles)."""
    script = app.get_asset_url("head/screens.js")
    sheet = f'<link rel="stylesheet" href="{styles_url}">' if styles_url else ""
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
        {sheet}
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
    styles_url, styles_text = styles(Path(app.config.assets_folder))
    app.index_string = index_string(app, settings.app.theme, description, styles_url)
    app.server.config["COCKPIT_STYLES_URL"] = styles_url  # the plain Flask pages link it too
    body = json.dumps(manifest(app, settings), ensure_ascii=False)

    @app.server.route(STYLES_URL.format(version="<version>"))
    def stylesheet(version: str) -> Response:
        # Read at start-up: an edited stylesheet shows after a restart, under a new URL.
        if STYLES_URL.format(version=version) != styles_url:
            abort(404)
        response = Response(styles_text, mimetype="text/css")
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response

    @app.server.route("/manifest.webmanifest")
    def web_manifest():
        return body, 200, {"Content-Type": "application/manifest+json; charset=utf-8"}

    @app.server.route("/robots.txt")
    def robots():
        # An intranet cockpit is for its users, never for a search engine's index.
        return "User-agent: *\nDisallow: /\n", 200, {"Content-Type": "text/plain; charset=utf-8"}
