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
import logging
import os
import re
from pathlib import Path
from typing import Any

from dash import Dash
from flask import Response, abort, has_request_context, request

from cockpit.first_paint import to_html
from cockpit.settings import Settings
from cockpit.wall import WALL_QUERY

LOG = logging.getLogger(__name__)

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
# <head> script, the wall's frame, the login page's stylesheet, and plotly.js (vendor/),
# fetched when a chart is about to be seen (assets/plotly_on_demand.js).
NOT_AUTOLOADED = ["head", "wall-frame", "login", "notify", "vendor"]
PLOTLY_BUNDLE = "vendor/plotly-cockpit.min.js"
# Dash links each stylesheet of assets/ on its own; they are served as one instead (styles):
# 13 render-blocking requests cost a phone on a slow network seconds before its first paint.
NOT_AUTOLOADED_FILES = r"\.css$"
STYLES_URL = "/assets/cockpit-styles/{version}.css"
# The renderer's first two requests, for the page's layout and its callbacks, go out only once
# every deferred script has run; preloaded from <head>, the server draws the layout (a page's
# first screen comes with its data: PanelSpec.first_layout) while the scripts download, and the
# renderer's fetch takes the answer (issue #20 item 7). The link must match that fetch for the
# browser to reuse the response: as="fetch", `crossorigin` (CORS mode, credentials
# "same-origin": Dash's default config.fetch), the same URL; the Referer, from which the
# layout reads the page's path, is the page's URL in both.
FIRST_REQUESTS = ("/_dash-layout", "/_dash-dependencies")
# Dash's external page scripts as it writes them (its URLs are already HTML-escaped).
EXTERNAL_SCRIPT = re.compile(r'<script src="([^"]+)"></script>')
# Their type while they wait for the first paint, and the event assets/head/screens.js sends
# when all have run.
WAITING_SCRIPT = "cockpit/after-first-paint"
SCRIPTS_RUN = "cockpit:scripts-run"
ICON_SIZES = (192, 512)
DARK_GROUND = "#06162e"


class CockpitDash(Dash):
    """Dash whose page paints before its scripts run (issue #20 item 7).

    Dash puts its scripts (React, its renderer, the components: ~300 KB compressed) at the
    end of <body>, each blocking the parser until fetched and run, so a phone painted nothing,
    not even the loading text, until all had arrived (Lighthouse counted them as render-blocking:
    5 s of /hotline's first paint). Deferring them was not enough: a deferred script that has
    arrived runs before the browser's first frame, so on a fast network the page's first paint
    (cockpit/first_paint.py) waited for all of React's work. Now each is preloaded at once
    (downloads start as before) and assets/head/screens.js runs them in their order once the
    first paint is on screen; the renderer starts when the last has run (SCRIPTS_RUN). The
    inline scripts (clientside callbacks) only define functions: they stay.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The renderer is an inline script: its hash goes into the CSP (Dash.csp_hashes).
        start = self.renderer.removeprefix("var renderer = ")
        assert start != self.renderer, self.renderer  # Dash changed its renderer line
        self.renderer = (
            f"document.addEventListener('{SCRIPTS_RUN}', function () {{"
            f" window.renderer = {start} }});"
        )

    def interpolate_index(
        self,
        metas: str = "",
        title: str = "",
        css: str = "",
        config: str = "",
        scripts: str = "",
        app_entry: str = "",
        favicon: str = "",
        renderer: str = "",
    ) -> str:
        """Dash's page, its external scripts deferred, the page drawn for its first paint."""
        return super().interpolate_index(
            metas=metas,
            title=title,
            css=css,
            config=config,
            scripts=after_first_paint(scripts),
            app_entry=self.first_paint() + app_entry,
            favicon=favicon,
            renderer=renderer,
        )

    def first_paint(self) -> str:
        """The page's first layout as HTML, shown until the renderer has drawn it
        (cockpit/first_paint.py); "" on a wall page (the wall shows a screen only once it has
        drawn) and outside a page request. A layout that cannot be drawn as HTML is logged
        and the page goes without: the renderer draws it as before."""
        if not has_request_context() or WALL_QUERY in request.args:
            return ""
        try:
            drawn = to_html(self.get_layout())
        except Exception:
            LOG.exception("first paint of %s not drawn", request.path)
            return ""
        return f'<div id="first-paint" class="first-paint">{drawn}</div>'


def after_first_paint(scripts: str) -> str:
    """Dash's page scripts, to be run once the first paint is on screen: each external one
    preloaded, and its tag given a type no browser runs (WAITING_SCRIPT), for
    assets/head/screens.js to run them in their order; the inline ones as they are."""
    urls = EXTERNAL_SCRIPT.findall(scripts)
    # Low priority, as deferred scripts are: the stylesheet and the first layout come first.
    preloads = "".join(
        f'<link rel="preload" as="script" href="{url}" fetchpriority="low">' for url in urls
    )
    waiting = EXTERNAL_SCRIPT.sub(rf'<script type="{WAITING_SCRIPT}" src="\1"></script>', scripts)
    return preloads + waiting


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


def plotly_url(app: Dash) -> str:
    """The cockpit's plotly.js bundle, its URL fingerprinted by its content (?m=, kept by
    browsers for a year: cockpit.serving.keep_fingerprinted_assets)."""
    path = Path(app.config.assets_folder) / PLOTLY_BUNDLE
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    return f"{app.get_asset_url(PLOTLY_BUNDLE)}?m={digest}"


def index_string(app: Dash, theme: str, description: str = "", styles_url: str = "") -> str:
    """Dash's page template with our <head>: language, theme default, manifest, icons, the
    pages' stylesheets as one file (styles), where plotly.js is when a chart needs it, and the
    renderer's first requests preloaded (FIRST_REQUESTS)."""
    script = app.get_asset_url("head/screens.js")
    sheet = f'<link rel="stylesheet" href="{styles_url}">' if styles_url else ""
    icon = app.get_asset_url("icons/icon-192.png")
    manifest = app.get_relative_path("/manifest.webmanifest")
    preloads = "".join(
        f'<link rel="preload" href="{app.get_relative_path(path)}" as="fetch" crossorigin>'
        for path in FIRST_REQUESTS
    )
    return f"""<!DOCTYPE html>
<html lang="zh-CN" data-theme-default="{theme}" data-plotly-src="{plotly_url(app)}">
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
        {preloads}
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
