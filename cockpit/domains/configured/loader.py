"""Finding and reading the domains defined in configuration: <config dir>/domains/*.yaml.

The config dir is the one the cockpit runs with (COCKPIT_CONFIG_DIR, else config/). The files
are read again only when one changes (their names, sizes and times), so the registry
(cockpit.modules), which asks at every page request, costs a directory listing. A file with a
mistake is left out of the registry and reported by `problems` (check-config, start-up), one
line each: file, path, what is wrong.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from cockpit.domains.configured.schema import Domain, cross_problems

FOLDER = "domains"


@dataclass(frozen=True)
class Loaded:
    """The valid domains of a folder, and one line per mistake in its files."""

    signature: tuple
    domains: tuple[Domain, ...]
    problems: tuple[str, ...]


# A derived value (the same in every worker): the files' parse, kept while they do not change.
_cache: dict[Path, Loaded] = {}
_lock = threading.Lock()


def config_dir() -> Path:
    """The config folder the cockpit runs with."""
    from cockpit.settings import DEFAULT_CONFIG_DIR

    return Path(os.environ.get("COCKPIT_CONFIG_DIR") or DEFAULT_CONFIG_DIR)


def _signature(folder: Path) -> tuple:
    if not folder.is_dir():
        return ()
    out = []
    for path in sorted(folder.glob("*.yaml")):
        stat = path.stat()
        out.append((path.name, stat.st_size, stat.st_mtime_ns))
    return tuple(out)


def load(config: Path | None = None) -> Loaded:
    """The domains of a config folder (default: the running one's), parsed once per change."""
    folder = (config or config_dir()) / FOLDER
    signature = _signature(folder)
    with _lock:
        found = _cache.get(folder)
        if found is not None and found.signature == signature:
            return found
    domains: list[Domain] = []
    problems: list[str] = []
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        domain, lines = read(path)
        problems += lines
        if domain is not None and not lines:
            domains.append(domain)
    keys = [d.key for d in domains]
    for d in domains:
        if keys.count(d.key) > 1:
            problems.append(f"{_rel(folder)}: key {d.key!r} is declared by more than one file")
    domains.sort(key=lambda d: (d.order, d.key))
    loaded = Loaded(signature, tuple(domains), tuple(problems))
    with _lock:
        _cache[folder] = loaded
    return loaded


def domains() -> tuple[Domain, ...]:
    """The valid domains of the running config, in file order."""
    return load().domains


def domain(key: str) -> Domain | None:
    """The configured domain of this key, if there is one."""
    return next((d for d in domains() if d.key == key), None)


def read(path: Path) -> tuple[Domain | None, list[str]]:
    """A domain file parsed, and one line per mistake in it ("file: path: what is wrong")."""
    from cockpit import modules

    where = _rel(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        return None, [f"{where}: not UTF-8; save the file as UTF-8"]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark else ""
        return None, [f"{where}{line}: not valid YAML ({getattr(exc, 'problem', exc)})"]
    if not isinstance(data, dict):
        return None, [f"{where}: expected a mapping (key, title, datasets, indicators, screen)"]
    try:
        domain = Domain.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        # A bad item also fails its list's min_length: the item's line says it all.
        deeper = [e["loc"] for e in errors]
        kept = [
            e
            for e in errors
            if not (
                e["type"] == "too_short"
                and any(len(d) > len(e["loc"]) and d[: len(e["loc"])] == e["loc"] for d in deeper)
            )
        ]
        return None, [_line(where, err) for err in kept]
    lines = [f"{where}: {loc}: {msg}" for loc, msg in cross_problems(domain)]
    if domain.key != path.stem:
        lines.append(f"{where}: key: {domain.key!r} must be the file's name ({path.stem})")
    if domain.key in modules.MODULES:
        lines.append(f"{where}: key: {domain.key!r} is a built-in module")
    return domain, lines


def problems(config: Path | None = None) -> list[str]:
    """Every mistake in the domain files of a config folder, one line each."""
    return list(load(config).problems)


def _line(where: str, err: Any) -> str:
    loc = ".".join(str(p) for p in err["loc"]) or "(top)"
    message = err["msg"].removeprefix("Value error, ")
    if err["type"] == "missing":
        return f"{where}: {loc}: required, missing"
    got = err.get("input")
    shown = "" if isinstance(got, (dict, list)) or got is None else f" (got {got!r})"
    return f"{where}: {loc}: {message}{shown}"


def _rel(path: Path) -> str:
    from cockpit.settings import PROJECT_ROOT

    try:
        return str(path.relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)
