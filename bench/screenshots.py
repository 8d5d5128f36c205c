"""Retake the README's screenshots: every desk page at 1920x1080 (light theme, as leader).

    python -m bench.screenshots                 # starts the cockpit on a free port
    python -m bench.screenshots --url http://127.0.0.1:8050 --out docs/screenshots

It signs in as the demo account `leader` (password from instance/demo-accounts.txt, written
by development mode), opens each page in Debian's Chromium, waits until the page has drawn
(bench/audit.py's test), and writes docs/screenshots/<page>-1920x1080.png. The phone's and
the wall's pictures are taken by their browser tests' figures (docs/screens.md).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from bench.audit import DRAWN, ROOT, chromium, demo_password, free_port, sign_in, wait_live

PAGES = {
    "overview": "/",
    "economy": "/economy",
    "key_work": "/key-work",
    "risk": "/risk",
    "emergency": "/emergency",
    "hotline": "/hotline",
    "contacts": "/contacts",
}


def pages() -> dict[str, str]:
    """PAGES, the domains defined in config/domains/ (desk page and wall view) after them."""
    from cockpit.domains.configured import loader

    found = dict(PAGES)
    for domain in loader.domains():
        path = "/" + domain.key.replace("_", "-")
        found[domain.key] = path
        found[f"wall-{domain.key}"] = f"{path}?wall=1"
    return found


def shoot(url: str, cookie: str, out: Path, theme: str, only: tuple[str, ...] = ()) -> list[Path]:
    """Each page of `pages()` (or those named in `only`) as a PNG in `out`; the paths written."""
    todo = {k: v for k, v in pages().items() if not only or k in only}
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options

    options = Options()
    options.binary_location = chromium()
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--hide-scrollbars",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options)
    # The page's own 1920x1080 (a window of that size leaves less to the page).
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 1920, "height": 1080, "deviceScaleFactor": 1, "mobile": False},
    )
    written = []
    try:
        driver.get(url + "/robots.txt")  # a page of the site, for its cookie
        driver.execute_script("localStorage.setItem('cockpit-theme', arguments[0])", theme)
        name, _, value = cookie.partition("=")
        driver.add_cookie({"name": name, "value": value, "path": "/"})
        for n, (page, path) in enumerate(todo.items(), 1):
            print(f"[{n}/{len(todo)}] {path} ...", file=sys.stderr, flush=True)
            driver.get(url + path)
            deadline = time.monotonic() + 90
            while not driver.execute_script(DRAWN):
                if time.monotonic() > deadline:
                    sys.exit(f"screenshots: {path} did not finish drawing within 90 s")
                time.sleep(0.3)
            time.sleep(2)  # late callbacks (clock, 数据截至) and chart transitions settle
            target = out / f"{page}-1920x1080.png"
            driver.save_screenshot(str(target))
            written.append(target)
    finally:
        driver.quit()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="use this running cockpit instead of starting one")
    parser.add_argument("--out", default="docs/screenshots", help="folder for the PNG files")
    parser.add_argument("--theme", choices=("light", "dark"), default="light")
    parser.add_argument("--only", nargs="*", default=(), help="page keys (default: all)")
    args = parser.parse_args(argv)
    out = (ROOT / args.out) if not Path(args.out).is_absolute() else Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    process = None
    url = (args.url or "").rstrip("/")
    if not url:
        url = f"http://127.0.0.1:{free_port()}"
        print(f"starting the cockpit on {url} ...", file=sys.stderr, flush=True)
        process = subprocess.Popen(
            [sys.executable, "-m", "cockpit", "run", "--port", url.rsplit(":", 1)[1]],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    try:
        wait_live(url, process)
        cookie = sign_in(url, "leader", demo_password("leader"))
        for path in shoot(url, cookie, out, args.theme, tuple(args.only)):
            print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=20)
    return 0


if __name__ == "__main__":
    sys.exit(main())
