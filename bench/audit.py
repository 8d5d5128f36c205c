"""Audit the cockpit with Lighthouse (the overview) and axe-core (every page); print the scores.

Lighthouse comes from the npm registry, installed locally (`npm install --prefix bench`);
axe-core is vendored (vendor/axe-core). Both run against Debian's own Chromium
(/usr/bin/chromium): nothing is downloaded at run time.

    python -m bench.audit                 # starts the cockpit on a free port, audits it
    python -m bench.audit --url http://127.0.0.1:8050   # audits a server already running
    python -m bench.audit --skip-axe --runs 5   # Lighthouse only, medians of 5 runs per page

It signs in first (the pages are behind the login): as the demo account `leader` whose
password development mode writes to instance/demo-accounts.txt, or as --user with the
password in the environment variable named by --password-env.

Lighthouse runs as a phone (its default mobile emulation, a 412x823 screen on a throttled
network and CPU) on the overview (/) and the 12345 page (/hotline), checked against the
phone's goals (PHONE_GOALS), and as a desktop (--preset=desktop) on the overview. axe-core
runs on every page each role can reach (the demo accounts staff, admin and auditor, whose
passwords and second-factor keys are in the same file) and on the login page, in the light and
the dark theme, at 1920x1080 and 390x844. Reports go to artifacts/audit/ (Lighthouse HTML and
JSON, axe JSON). The same pages and themes are checked in CI by tests/browser/test_a11y_browser.py.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from cockpit.panels import paths_for

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
LIGHTHOUSE = BENCH / "node_modules" / ".bin" / "lighthouse"
AXE = ROOT / "vendor" / "axe-core" / "axe.min.js"
OUT = ROOT / "artifacts" / "audit"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
THEMES = ("light", "dark")
AXE_SIZES = ((1920, 1080), (390, 844))
# Demo accounts and their roles; each visits the pages its role may open; "" is the login page.
DEMO_ROLES = (("staff", "city_staff"), ("admin", "admin"), ("auditor", "auditor"))
AXE_VISITS = (
    *((account, paths_for(role)) for account, role in DEMO_ROLES),
    ("", ("/login",)),
)
# The pages Lighthouse audits: (report name, path, desktop preset?).
LIGHTHOUSE_PAGES = (
    ("phone", "/", False),
    ("phone-hotline", "/hotline", False),
    ("overview-desktop", "/", True),
)
# The phone's goals (issue #20 item 7), checked on every phone page above: Lighthouse mobile
# performance at least 60, cumulative layout shift at most 0.1; the audit exits with status 1
# when one is missed. Figures depend on the machine's load (Lighthouse scales the CPU time it
# measures): audit on a quiet machine, and take the median of several runs.
PHONE_GOALS = {"performance": 60, "cls": 0.1}


def chromium() -> str:
    """The system Chromium, or a clear error."""
    path = (
        os.environ.get("CHROME_PATH")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )
    if not path:
        sys.exit("audit: no Chromium found (apt-get install chromium chromium-driver)")
    return path


def free_port() -> int:
    """A free loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_live(url: str, process: subprocess.Popen | None, timeout: float = 600) -> None:
    """Wait until the cockpit answers /livez (the first start may generate the demo data)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url + "/livez", timeout=2):
                return
        except OSError:
            pass
        if process is not None and process.poll() is not None:
            sys.exit("audit: the cockpit exited at start-up (try: python -m cockpit run)")
        if time.monotonic() > deadline:
            sys.exit(f"audit: {url} did not answer within {timeout:.0f} s")
        time.sleep(0.5)


def demo_password(username: str) -> str:
    """A demo account's password from the file development mode writes."""
    return demo_account(username)[0]


def demo_account(username: str) -> tuple[str, str]:
    """A demo account's password and second-factor key ("" if none) from that file."""
    from cockpit.settings import load_settings

    settings = load_settings()
    path = settings.path(settings.security.demo_accounts_file)
    if not path.exists():
        sys.exit(f"audit: {path} not found: give --user and --password-env")
    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.split("\t")
        if not line.startswith("#") and len(fields) > 1 and fields[0] == username:
            return fields[1], fields[4] if len(fields) > 4 else ""
    sys.exit(f"audit: no demo account {username!r} in {path}")


def sign_in(url: str, username: str, password: str, totp_secret: str = "") -> str:
    """POST the login form (and the second factor, if given); the session cookie
    ("name=value") for the audits."""
    import http.cookiejar
    from urllib.parse import urlencode

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    form = urlencode({"username": username, "password": password, "next": "/"}).encode()
    request = urllib.request.Request(url + "/login", data=form, headers={"Origin": url})
    try:
        opener.open(request, timeout=30)
        if totp_secret:
            import pyotp

            code = urlencode({"code": pyotp.TOTP(totp_secret).now()}).encode()
            step = urllib.request.Request(url + "/login/totp", data=code, headers={"Origin": url})
            opener.open(step, timeout=30)
    except OSError as exc:
        sys.exit(f"audit: signing in as {username} failed: {exc}")
    cookies = [c for c in jar if c.name == "cockpit_session"]
    if not cookies:
        sys.exit(f"audit: signing in as {username} gave no session (wrong password?)")
    return f"{cookies[0].name}={cookies[0].value}"


def lighthouse(url: str, name: str, desktop: bool, cookie: str) -> dict[str, int]:
    """Run Lighthouse on url; its category scores (0-100)."""
    if not LIGHTHOUSE.exists():
        sys.exit("audit: Lighthouse not installed: run `npm install --prefix bench`")
    OUT.mkdir(parents=True, exist_ok=True)
    base = OUT / f"lighthouse-{name}"
    command = [
        str(LIGHTHOUSE),
        url,
        "--quiet",
        "--output=json",
        "--output=html",
        f"--output-path={base}",
        "--only-categories=" + ",".join(CATEGORIES),
        "--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage",
        "--max-wait-for-load=60000",
        "--extra-headers=" + json.dumps({"Cookie": cookie}),
    ]
    if desktop:
        command.append("--preset=desktop")
    env = dict(os.environ, CHROME_PATH=chromium())
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    report_path = Path(f"{base}.report.json")
    if done.returncode != 0 or not report_path.exists():
        sys.exit(f"audit: Lighthouse failed ({done.returncode}):\n{done.stderr[-2000:]}")
    report = json.loads(report_path.read_text(encoding="utf-8"))
    failed = [
        f"{audit_id}: {report['audits'][audit_id]['title']}"
        for category in ("accessibility", "best-practices")
        for ref in report["categories"][category]["auditRefs"]
        if ref["weight"] > 0
        and (audit_id := ref["id"])
        and report["audits"][audit_id]["score"] is not None
        and report["audits"][audit_id]["score"] < 1
    ]
    for line in failed:
        print(f"    not passed: {line}")
    scores = {c: round(report["categories"][c]["score"] * 100) for c in CATEGORIES}
    audits = report["audits"]
    scores["cls"] = round(audits["cumulative-layout-shift"]["numericValue"], 3)
    scores["lcp"] = round(audits["largest-contentful-paint"]["numericValue"] / 1000, 1)
    scores["tbt"] = round(audits["total-blocking-time"]["numericValue"] / 1000, 1)
    return scores


def medians(runs: list[dict[str, float]]) -> dict[str, float]:
    """Each figure's median over the runs (the middle run's for an odd count)."""
    import statistics

    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


# A Dash page is drawn once its content is in, no callback is pending (Dash titles the page
# "Updating..." meanwhile) and every chart has its SVG, but for a phone's charts out of sight,
# which wait for plotly.js (as in tests/browser/test_a11y_browser.py and browser_support).
DRAWN = (
    "const c = document.getElementById('page-content');"
    "return Boolean(c && c.children.length && !document.title.startsWith('Updating')"
    " && !document.querySelector('._dash-loading, [data-dash-is-loading=\"true\"]')"
    " && [...document.querySelectorAll('.dash-graph')].every((g) => g.querySelector('.main-svg')"
    " || (g.classList.contains('dash-graph--pending') && innerWidth < 768"
    " && typeof window.Plotly.react !== 'function'"
    " && (!g.offsetParent || g.getBoundingClientRect().top > innerHeight * 1.5))))"
)


def axe_pages(url: str, cookies: dict[str, str]) -> dict[str, dict[str, int]]:
    """axe-core on every page of every account, both themes, both sizes, in one Chromium.

    cookies: account -> session cookie ("name=value"; "" for the login page). Returns, per
    "theme widthxheight", the violating nodes per page ("account path")."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options

    if not AXE.exists():
        sys.exit(f"audit: axe-core not found at {AXE} (see vendor/axe-core/README.md)")
    source = AXE.read_text(encoding="utf-8")
    options = Options()
    options.binary_location = chromium()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options)
    driver.set_script_timeout(120)
    table: dict[str, dict[str, int]] = {}
    reports: dict[str, list] = {}
    try:
        for width, height in AXE_SIZES:
            driver.execute_cdp_cmd(
                "Emulation.setDeviceMetricsOverride",
                {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 768},
            )
            for theme in THEMES:
                column = table.setdefault(f"{theme} {width}x{height}", {})
                print(f"  axe-core ({theme}, {width}x{height}) ...", flush=True)
                for account, paths in AXE_VISITS:
                    driver.get(url + "/robots.txt")  # a page of the site, for its cookie
                    driver.delete_all_cookies()
                    # The user's theme choice, as the header's button stores it.
                    driver.execute_script(
                        "localStorage.setItem('cockpit-theme', arguments[0])", theme
                    )
                    if cookies.get(account):
                        name, _, value = cookies[account].partition("=")
                        driver.add_cookie({"name": name, "value": value, "path": "/"})
                    for path in paths:
                        driver.get(url + path)
                        deadline = time.monotonic() + 60
                        while account and not driver.execute_script(DRAWN):
                            if time.monotonic() > deadline:
                                sys.exit(f"audit: {path} did not finish drawing within 60 s")
                            time.sleep(0.3)
                        time.sleep(1)
                        driver.execute_script(source)
                        found = driver.execute_async_script(
                            "const done = arguments[arguments.length - 1];"
                            "axe.run(document, {resultTypes: ['violations']})"
                            ".then((r) => done(r.violations));"
                        )
                        page = f"{account or '-'} {path}"
                        column[page] = sum(len(v["nodes"]) for v in found)
                        reports[f"{theme} {width}x{height} {page}"] = found
                        for v in found:
                            print(
                                f"    {page}: {v['impact']} {v['id']} ({len(v['nodes'])}) {v['help']}"
                            )
    finally:
        driver.quit()
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "axe.json").write_text(json.dumps(reports, ensure_ascii=False, indent=1))
    return table


def main(argv: list[str] | None = None) -> int:
    """Start (or use) a cockpit, run the audits, print the scores."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="audit this running cockpit instead of starting one")
    parser.add_argument("--skip-axe", action="store_true", help="Lighthouse only")
    parser.add_argument("--skip-lighthouse", action="store_true", help="axe-core only")
    parser.add_argument(
        "--runs",
        type=int,
        default=1,
        help="Lighthouse runs per page, interleaved; the median of each figure is reported and"
        " checked against the phone's goals (scores vary from run to run: take 3 or 5)",
    )
    parser.add_argument("--user", default="leader", help="account to sign in as (demo: leader)")
    parser.add_argument(
        "--password-env", help="environment variable holding --user's password (else demo file)"
    )
    args = parser.parse_args(argv)

    process = None
    url = (args.url or "").rstrip("/")
    if not url:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        print(f"starting the cockpit on {url} (python -m cockpit run) ...", flush=True)
        process = subprocess.Popen(
            [sys.executable, "-m", "cockpit", "run", "--port", str(port)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    try:
        wait_live(url, process)
        if args.password_env:
            password = os.environ.get(args.password_env) or sys.exit(
                f"audit: ${args.password_env} is not set"
            )
        else:
            password = demo_password(args.user)
        cookie = sign_in(url, args.user, password)
        if args.runs < 1:
            sys.exit("audit: --runs must be at least 1")
        runs: dict[str, list[dict[str, float]]] = {}
        for run in range(args.runs if not args.skip_lighthouse else 0):
            for name, path, desktop in LIGHTHOUSE_PAGES:
                suffix = f" (run {run + 1} of {args.runs})" if args.runs > 1 else ""
                print(f"  Lighthouse {name}{suffix} ...", flush=True)
                runs.setdefault(name, []).append(lighthouse(url + path, name, desktop, cookie))
        rows = [(f"Lighthouse {name}", medians(scores)) for name, scores in runs.items()]
        if args.runs > 1:
            for name, scores in runs.items():
                each = ", ".join(str(s["performance"]) for s in scores)
                print(f"  Lighthouse {name}: performance by run {each}")
        axe_table: dict[str, dict[str, int]] = {}
        if not args.skip_axe:
            cookies = {"": ""}
            for account, _ in AXE_VISITS:
                if account:
                    cookies[account] = sign_in(url, account, *demo_account(account))
            axe_table = axe_pages(url, cookies)
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=20)

    print()
    if rows:
        print(f"{'':28}" + "".join(f"{c:>16}" for c in CATEGORIES))
    for label, scores in rows:
        print(f"{label:28}" + "".join(f"{scores[c]:>16}" for c in CATEGORIES))
        print(f"{'':28}  LCP {scores['lcp']} s, TBT {scores['tbt']} s, CLS {scores['cls']}")
    missed = []
    for label, scores in rows:
        if label.startswith("Lighthouse phone"):
            perf, cls = scores["performance"], scores["cls"]
            met = perf >= PHONE_GOALS["performance"] and cls <= PHONE_GOALS["cls"]
            missed += [] if met else [label]
            print(
                f"{label:28}  goal performance >= {PHONE_GOALS['performance']}: {perf}, "
                f"CLS <= {PHONE_GOALS['cls']}: {cls}  {'met' if met else 'NOT MET'}"
            )
    if axe_table:
        columns = list(axe_table)
        print(f"\naxe-core violations (nodes){'':6}" + "".join(f"{c:>18}" for c in columns))
        for page in axe_table[columns[0]]:
            print(f"{page:34}" + "".join(f"{axe_table[c].get(page, 0):>18}" for c in columns))
    print(f"\nreports: {OUT.relative_to(ROOT)}/")
    # A phone goal missed is a failed audit (exit status 1), not only a line of the report.
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
