"""The demo with its township file switched on (opt-in), for the township tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cockpit.demo_townships import DEMO_FILE
from cockpit.settings import load_settings
from tests.conftest import demo_environ

TOWNSHIP_ENV = {"COCKPIT_CITY__TOWNSHIP_FILE": DEMO_FILE}


def township_settings(db: Path, cache: Path, **extra: str) -> Any:
    """Default settings with the demo township file, on a demo database of their own."""
    return load_settings(environ=demo_environ(db, cache, **TOWNSHIP_ENV, **extra))


def township_demo_db(folder: Path) -> Path:
    """A demo database generated with the township file: its tickets carry township codes."""
    from cockpit.demo_data import demo_source

    settings = township_settings(folder / "demo.duckdb", folder / "cache")
    source = demo_source(
        "demo", settings.sources["demo"], city=settings.city, base_dir=settings.base_dir
    )
    return source.ensure_generated()
