"""Pre-flight checks: what valid settings still need from the machine before the cockpit runs.

Settings can be valid and the cockpit still fail at its first query or its first write: a
source's `url_env` names a variable nobody set, or `instance/` is read-only. These are checked
here, all at once, each as one line naming the setting or the folder, so `check-config` and the
start-up say everything that is wrong instead of a traceback after the first problem.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from cockpit.settings import Settings


def environment_problems(settings: Settings, environ: Mapping[str, str]) -> list[str]:
    """One line per `*_env` setting whose environment variable is not set (or empty)."""
    problems = []
    for name, source in settings.sources.items():
        for field in sorted(type(source).model_fields):
            variable = getattr(source, field)
            if field.endswith("_env") and variable and not environ.get(variable):
                problems.append(
                    f"config/sources.yaml: sources.{name}.{field}: "
                    f"environment variable {variable} is not set"
                )
    if settings.store.url_env and not environ.get(settings.store.url_env):
        problems.append(
            f"config/cockpit.yaml: store.url_env: "
            f"environment variable {settings.store.url_env} is not set"
        )
    return problems


def folders_to_write(settings: Settings) -> dict[Path, str]:
    """The folders this configuration writes to, each with the setting that puts it there."""
    folders: dict[Path, str] = {}

    def add(path: str | Path, setting: str) -> None:
        folders.setdefault(settings.path(str(path)), setting)

    if not settings.secret_key:
        add("instance", "COCKPIT_SECRET_KEY (unset: a development key is kept in instance/)")
    if settings.cache.type == "filesystem":
        add(settings.cache.dir, "cache.dir")
    url = settings.store.url if not settings.store.url_env else None
    if url and url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        add(Path(url.removeprefix("sqlite:///")).parent, "store.url")
    if settings.app.env == "development" and settings.security.demo_accounts:
        add(Path(settings.security.demo_accounts_file).parent, "security.demo_accounts_file")
    for name, source in settings.sources.items():
        path = getattr(source, "path", None)
        if source.kind == "demo" and path:
            add(Path(path).parent, f"sources.{name}.path")
    if any(binding.mode == "sync" for binding in settings.datasets.values()):
        add(Path(settings.sync.path).parent, "sync.path")
        add(settings.sync.quarantine_dir, "sync.quarantine_dir")
    return folders


def multi_host_problems(settings: Settings, environ: Mapping[str, str] | None = None) -> list[str]:
    """With server.hosts > 1, what the hosts would not share: one line each.

    Each host has its own disk, so a file cache is a cache per host (no single flight across
    hosts, one host's answers never reach another) and an embedded SQLite store is a database
    per host (a session revoked or a 督办 action written on one host unknown to the others)."""
    hosts = settings.server.hosts
    if hosts <= 1:
        return []
    environ = os.environ if environ is None else environ
    problems = []
    if settings.cache.type != "redis":
        problems.append(
            f"config/cockpit.yaml: cache.type: {settings.cache.type} with server.hosts={hosts}; "
            "several hosts need the shared cache: redis (COCKPIT_CACHE__TYPE=redis)"
        )
    url = (environ.get(settings.store.url_env) if settings.store.url_env else None) or (
        settings.store.url or ""
    )
    if url.startswith("sqlite"):
        problems.append(
            f"config/cockpit.yaml: store: the embedded SQLite store with server.hosts={hosts}; "
            "several hosts need one shared database: PostgreSQL through store.url_env"
        )
    return problems


def folder_problems(settings: Settings) -> list[str]:
    """One line per folder the cockpit must write to but cannot (read-only, not a folder)."""
    problems = []
    for folder, setting in folders_to_write(settings).items():
        reason = _cannot_write(folder)
        if reason:
            problems.append(f"{folder}: 无法写入 (cannot write: {reason}); set by {setting}")
    return problems


def township_file_problems(settings: Settings) -> list[str]:
    """The configured township boundary file, if any, missing or unreadable: one line."""
    path = settings.city.township_path()
    if path is None:
        return []
    if not path.is_file():
        return [f"config/city.yaml: city.township_file: 文件不存在 (no such file): {path}"]
    from cockpit.townships import read_townships

    try:
        read_townships(str(path))
    except (OSError, ValueError) as exc:
        return [f"config/city.yaml: city.township_file: {' '.join(str(exc).split())}"]
    return []


def preflight_problems(settings: Settings, environ: Mapping[str, str] | None = None) -> list[str]:
    """Everything the machine lacks for these settings, one line each (empty when ready)."""
    environ = os.environ if environ is None else environ
    return (
        environment_problems(settings, environ)
        + multi_host_problems(settings, environ)
        + folder_problems(settings)
        + township_file_problems(settings)
    )


def _cannot_write(folder: Path) -> str | None:
    """Why a file cannot be created in `folder` (made if missing), or None when it can."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        return exc.strerror or type(exc).__name__
    return None
