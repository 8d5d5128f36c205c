"""What every browser test needs: the Chromium check, console errors, device emulation, screenshots."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest

SHOTS = Path(__file__).resolve().parent.parent / "artifacts" / "screenshots"
# A graph (a `.dash-graph` element, `g` in the expression) has drawn its SVG, or it is one a
# phone does not draw yet: plotly.js is fetched only when a chart is about to be seen
# (assets/plotly_on_demand.js), so until then a graph folded away or more than half a screen
# below stays pending (`.dash-graph--pending`).
GRAPH_DRAWN = (
    "(g.querySelector('.main-svg') || (g.classList.contains('dash-graph--pending')"
    " && innerWidth < 768 && typeof window.Plotly.react !== 'function'"
    " && (!g.offsetParent || g.getBoundingClientRect().top > innerHeight * 1.5)))"
)


def skip_without_chromium() -> None:
    """Skip the calling test module, with the reason, where Debian's Chromium is not installed."""
    if not (shutil.which("chromium") or shutil.which("chromium-browser")) or not shutil.which(
        "chromedriver"
    ):
        pytest.skip(
            "headless Chromium not installed (apt-get install chromium chromium-driver)",
            allow_module_level=True,
        )


def console_errors(dash_duo, allowed: tuple[str, ...] = ()) -> list[dict]:
    """SEVERE browser-console entries, except those containing an `allowed` text."""
    return [
        entry
        for entry in dash_duo.get_logs() or []
        if entry.get("level") == "SEVERE"
        and not any(a in entry.get("message", "") for a in allowed)
    ]


def emulate(dash_duo, width: int, height: int, mobile: bool | None = None) -> None:
    """Give the page a device of this size (headless windows cannot go below 500 px wide)."""
    dash_duo.driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {
            "width": width,
            "height": height,
            "deviceScaleFactor": 1,
            "mobile": width < 768 if mobile is None else mobile,
        },
    )


def shot(dash_duo, name: str) -> Path:
    """Save a screenshot into artifacts/screenshots/ for people to look at."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    dash_duo.driver.save_screenshot(str(path))
    return path


def free_port() -> int:
    """A loopback port nobody is using, so parallel test runs do not fight over Dash's 8050."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(dash_duo, app) -> None:
    """Serve the app for the browser on a free port."""
    dash_duo.start_server(app, port=free_port())
