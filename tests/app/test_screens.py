"""Wall, phone and theme: configuration, the /wall page, liveness, manifest, icons, themes.

The browser side (scaling, carousel, recovery, phone layout) is in test_screens_browser.py.
"""

from __future__ import annotations

import json
import re
import shutil
import struct
from pathlib import Path

import pytest
import yaml

from cockpit import theme
from cockpit.panels import all_panels
from cockpit.settings import ConfigError, load_settings
from cockpit.shell import is_wall, make_search, parse_search
from cockpit.wall import wall_config

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    """A private copy of the shipped config folder, free to break."""
    target = tmp_path / "config"
    shutil.copytree(ROOT / "config", target)
    return target


def with_wall(folder: Path, **changes) -> None:
    """Change keys of the wall section of config/cockpit.yaml."""
    path = folder / "cockpit.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["wall"].update(changes)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def problems(folder: Path) -> list[str]:
    """The ConfigError lines for a config folder."""
    with pytest.raises(ConfigError) as info:
        load_settings(config_dir=folder, environ={})
    return info.value.problems


# -- configuration -------------------------------------------------------------------------
def test_shipped_wall_rotates_through_every_module_with_a_wall_view() -> None:
    """The shipped carousel: the overview longest, then each module's own wall view."""
    wall = load_settings(environ={}).wall
    keys = [s.panel for s in wall.screens]
    assert keys == ["overview", "economy", "key_work", "risk", "emergency", "hotline"]
    assert wall.screens[0].panel == "overview"
    assert wall.screens[0].seconds == max(s.seconds for s in wall.screens)
    assert (wall.design_width, wall.design_height, wall.fit) == (1920, 1080, "contain")


def test_each_bad_wall_field_gets_its_own_line(config_dir: Path) -> None:
    """A wrong fit, a too-short screen time and a typo in a module name: three lines."""
    with_wall(
        config_dir,
        fit="cover",
        screens=[{"panel": "overview", "seconds": 2}, {"panel": "econmy", "seconds": 30}],
    )
    lines = problems(config_dir)
    assert len(lines) == 3, lines
    fit, seconds, panel = sorted(lines)
    assert fit.startswith(f"{config_dir}/cockpit.yaml: wall.fit: ")
    assert "'contain', 'width', 'height' or 'fill'" in fit and "'cover'" in fit
    assert seconds.startswith(f"{config_dir}/cockpit.yaml: wall.screens.0.seconds: ")
    assert "greater than or equal to 5" in seconds
    assert panel.startswith(
        f"{config_dir}/cockpit.yaml: wall.screens.1.panel: unknown module 'econmy'"
    )
    assert "economy" in panel


def test_a_wall_screen_for_a_county_outside_the_city_is_refused(config_dir: Path) -> None:
    """A county code that is not one of the city's counties is named with the city."""
    with_wall(config_dir, screens=[{"panel": "economy", "county": "999999"}])
    (line,) = problems(config_dir)
    assert line == (
        f"{config_dir}/cockpit.yaml: wall: screens.0.county: 999999 is not a county of 长治市"
    )


def test_unknown_wall_key_is_an_error_not_ignored(config_dir: Path) -> None:
    """A misspelt key (refresh_second) is refused rather than silently ignored."""
    with_wall(config_dir, refresh_second=30)
    (line,) = problems(config_dir)
    assert line.startswith(f"{config_dir}/cockpit.yaml: wall.refresh_second: Extra inputs")


def test_wall_config_points_each_screen_at_its_page_in_wall_mode(settings) -> None:
    """Screens become page URLs with ?wall=1 (and the county when one is configured)."""
    county = settings.city.counties[2].code
    wall = settings.wall.model_copy(
        update={
            "screens": (
                settings.wall.screens[0],
                settings.wall.screens[1].model_copy(update={"county": county}),
            ),
            "tiles": 2,
        }
    )
    config = wall_config(settings.model_copy(update={"wall": wall}), all_panels())
    # The domains of config/domains/ join after the listed screens (docs/domains.md).
    from cockpit.domains.configured import loader

    domains = [d for d in loader.domains() if d.wall_seconds]
    assert [s["src"] for s in config["screens"]] == [
        "/?wall=1",
        f"/economy?wall=1&county={county}",
        *(f"/{d.key.replace('_', '-')}?wall=1" for d in domains),
    ]
    assert [s["title"] for s in config["screens"]] == ["一屏知全市", "经济运行"] + [
        d.title for d in domains
    ]
    assert config["tiles"] == 2 and config["liveUrl"] == "/livez"


def test_a_wall_screen_for_a_module_without_a_page_stops_start_up(settings) -> None:
    """Naming a module that is not built yet fails at start-up, not on the wall."""
    panels = [p for p in all_panels() if p.key != "economy"]
    with pytest.raises(ConfigError, match="wall.screens: module economy has no page yet"):
        wall_config(settings, panels)


# -- the URL -------------------------------------------------------------------------------
def test_wall_mode_survives_a_change_of_period_in_the_url() -> None:
    """The refresh re-sets the period; the query string it writes keeps ?wall=1."""
    search = make_search("2026-10", "140403", wall=is_wall("?wall=1&period=2026-09"))
    assert is_wall(search)
    assert parse_search(search, ["2026-10"], ["city", "140403"], "2026-10") == ("2026-10", "140403")
    assert not is_wall(make_search("2026-10", "city"))


# -- served pages --------------------------------------------------------------------------
def test_wall_page_carries_its_config_and_frame_script(app) -> None:
    """/wall is a dark page with the canvas config inline and the frame script."""
    answer = app.server.test_client().get("/wall")
    assert answer.status_code == 200
    text = answer.get_data(as_text=True)
    assert 'lang="zh-CN"' in text and "/assets/wall-frame/frame.js" in text
    config = json.loads(re.search(r'id="wall-config"[^>]*>(.*?)</script>', text, re.S).group(1))
    assert config["width"] == 1920 and config["height"] == 1080
    assert [s["key"] for s in config["screens"]][0] == "overview"


def test_livez_answers_without_touching_the_data(app) -> None:
    """The wall's liveness check is 200 even when /healthz would say data is late."""
    answer = app.server.test_client().get("/livez")
    assert answer.status_code == 200
    assert answer.get_json() == {"live": True}
    assert answer.headers["Cache-Control"] == "no-store"


def test_pages_have_language_manifest_theme_script_and_no_autoloaded_frame(app) -> None:
    """The Dash page: zh-CN, manifest, theme-color, the head script; the wall frame not loaded."""
    text = app.server.test_client().get("/").get_data(as_text=True)
    assert '<html lang="zh-CN" data-theme-default="auto" ' in text
    assert '<link rel="manifest" href="/manifest.webmanifest">' in text
    assert 'name="theme-color"' in text
    head = text.split("</head>")[0]
    assert "/assets/head/screens.js" in head
    assert "wall-frame" not in text
    assert text.count("head/screens.js") == 1  # not loaded a second time by Dash


def test_the_page_scripts_wait_for_the_first_paint_and_the_renderer_for_them(app) -> None:
    """No script at the end of the page holds its first paint (issue #20 item 7: Lighthouse
    counted Dash's scripts as render-blocking, 5 s of /hotline's first paint on a phone; and a
    deferred script that has arrived still runs before the browser's first frame): each
    external script is preloaded at low priority and waits, in a type no browser runs, for
    assets/head/screens.js to run it once the first paint is on screen; Dash's renderer, which
    needs them all, starts when they have run, with its inline script in the CSP."""
    import base64
    import hashlib

    from cockpit.screens import SCRIPTS_RUN, WAITING_SCRIPT

    response = app.server.test_client().get("/")
    body = response.get_data(as_text=True).split("<body>")[1]
    external = re.findall(r"<script [^>]*src=\"([^\"]+)\"[^>]*>", body)
    assert len(external) > 5
    waiting = re.findall(rf'<script type="{WAITING_SCRIPT}" src="([^"]+)"></script>', body)
    assert waiting == external
    preloaded = re.findall(
        r'<link rel="preload" as="script" href="([^"]+)" fetchpriority="low">', body
    )
    assert preloaded == external
    renderer = re.search(r'<script id="_dash-renderer"[^>]*>(.*?)</script>', body).group(1)
    assert renderer.startswith(f"document.addEventListener('{SCRIPTS_RUN}'")
    assert "window.renderer = new DashRenderer(" in renderer
    digest = base64.b64encode(hashlib.sha256(renderer.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in response.headers["Content-Security-Policy"]
    runner = (ROOT / "assets" / "head" / "screens.js").read_text(encoding="utf-8")
    assert WAITING_SCRIPT in runner and SCRIPTS_RUN in runner


def test_pages_link_one_stylesheet_holding_every_autoloaded_css_file(app) -> None:
    """The page's stylesheets are one request, not one per file (a phone on a slow network
    waited seconds for 13 render-blocking stylesheets, issue #20 item 7): it holds every CSS
    file of assets/ that Dash would load, in Dash's order (alphabetical), and no other."""
    client = app.server.test_client()
    head = client.get("/").get_data(as_text=True).split("</head>")[0]
    links = re.findall(r'<link rel="stylesheet" href="([^"]+)"', head)
    assert len(links) == 1, links
    answer = client.get(links[0])
    assert answer.status_code == 200 and answer.content_type.startswith("text/css")
    assert "immutable" in answer.headers["Cache-Control"]  # the URL carries the content's hash
    bundle = answer.get_data(as_text=True)
    files = sorted((ROOT / "assets").glob("*.css"))
    assert len(files) > 5
    at = [bundle.index(f.read_text(encoding="utf-8")) for f in files]
    assert at == sorted(at)
    # Not the login page's own stylesheet (a folder Dash does not load either).
    assert (ROOT / "assets" / "login" / "auth.css").read_text(encoding="utf-8") not in bundle


def test_manifest_icons_are_real_pngs_of_their_stated_size(app) -> None:
    """Every icon the manifest names is served, a PNG, and as large as it says."""
    client = app.server.test_client()
    answer = client.get("/manifest.webmanifest")
    assert answer.content_type.startswith("application/manifest+json")
    manifest = json.loads(answer.get_data(as_text=True))
    assert manifest["name"] == "长治市领导驾驶舱" and manifest["display"] == "standalone"
    assert {i["sizes"] for i in manifest["icons"]} == {"192x192", "512x512"}
    for icon in manifest["icons"]:
        png = client.get(icon["src"]).get_data()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", png[16:24])
        assert f"{width}x{height}" == icon["sizes"]


# -- themes --------------------------------------------------------------------------------
def test_light_chart_css_is_generated_from_the_two_palettes() -> None:
    """assets/theme-light.css is what theme.light_css() makes (regenerate it if this fails)."""
    assert (ROOT / "assets" / "theme-light.css").read_text(encoding="utf-8") == theme.light_css()


def test_both_templates_are_registered_with_their_palettes() -> None:
    """Dark and light templates: text and grid colours from their own palette."""
    import plotly.io as pio

    theme.register_template()
    dark = pio.templates[theme.TEMPLATE_NAME].layout
    light = pio.templates[theme.LIGHT_TEMPLATE_NAME].layout
    assert dark.font.color == theme.TEXT and light.font.color == theme.LIGHT[theme.TEXT]
    assert light.xaxis.gridcolor == theme.LIGHT[theme.GRID]


def test_css_defines_every_variable_in_both_themes() -> None:
    """Each variable the light theme sets, the dark one sets too, and the reverse."""
    css = (ROOT / "assets" / "cockpit.css").read_text(encoding="utf-8")
    dark = re.search(r':root, \[data-theme="dark"\] \{(.*?)\}', css, re.S).group(1)
    light = re.search(r'\[data-theme="light"\] \{(.*?)\}', css, re.S).group(1)
    names = lambda block: set(re.findall(r"(--[a-z-]+):", block))  # noqa: E731
    assert names(light) - {"--font"} == names(dark) - {"--font"}


def test_robots_forbid_indexing_and_pages_describe_themselves(app) -> None:
    """An intranet tool is not for search engines; pages carry a description in Chinese."""
    client = app.server.test_client()
    robots = client.get("/robots.txt")
    assert robots.status_code == 200 and robots.content_type.startswith("text/plain")
    assert robots.get_data(as_text=True) == "User-agent: *\nDisallow: /\n"
    text = client.get("/").get_data(as_text=True)
    assert '<meta name="description" content="长治市领导驾驶舱：经济运行' in text


def test_wall_pages_may_be_framed_by_this_site_only(app) -> None:
    """/wall frames pages opened with ?wall=1: those allow same-site framing, others none."""
    client = app.server.test_client()
    wall_page = client.get("/?wall=1")
    assert "frame-ancestors 'self'" in wall_page.headers["Content-Security-Policy"]
    assert wall_page.headers["X-Frame-Options"] == "SAMEORIGIN"
    page = client.get("/")
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY"


def test_liveness_manifest_and_robots_need_no_session_but_the_wall_does(settings) -> None:
    """Signed out: /livez, the manifest and robots.txt answer; /wall asks to sign in."""
    from cockpit.factory import create_app

    client = create_app(settings).server.test_client()
    for path in ("/livez", "/manifest.webmanifest", "/robots.txt"):
        assert client.get(path).status_code == 200, path
    wall = client.get("/wall")
    assert wall.status_code == 302 and wall.headers["Location"].startswith("/login?next=/wall")
