"""The layer rules of docs/architecture.md ("Layers") hold, and a break of them is reported.

The rules are import-linter contracts in pyproject.toml [tool.importlinter]: no panel imports
another panel, the frame and the domains never import panels, data_sources imports nothing of
ours, nothing imports app, and no domain imports dash or plotly. CI runs `lint-imports` too;
this test keeps the rule in the README's test command, and proves each contract can fail by
adding one offending file to a copy of the code.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("cockpit", "panels", "data_sources")


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """import-linter's CLI on the code under root, with root's pyproject.toml."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from importlinter.cli import lint_imports_command; "
            "sys.exit(lint_imports_command())",
            "--no-cache",
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_layer_contracts_hold() -> None:
    """Every contract is kept on the code as it is."""
    run = lint_imports(ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout


@pytest.fixture(scope="module")
def copy_of_code(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The three packages, app.py and pyproject.toml, copied (each case adds one file)."""
    root = tmp_path_factory.mktemp("layers")
    for name in PACKAGES:
        shutil.copytree(
            ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
    for name in ("app.py", "pyproject.toml"):
        shutil.copy2(ROOT / name, root / name)
    return root


@pytest.mark.parametrize(
    ("path", "code", "reported"),
    [
        (
            "panels/overview/layer_probe.py",
            "from panels.economy import layout\n",
            "panels.overview is not allowed to import panels.economy",
        ),
        (
            "cockpit/layer_probe.py",
            "import panels.hotline.callbacks\n",
            "cockpit is not allowed to import panels",
        ),
        (
            "data_sources/layer_probe.py",
            "from cockpit import settings\n",
            "data_sources is not allowed to import cockpit",
        ),
        (
            "cockpit/domains/hotline/layer_probe.py",
            "from dash import html\n",
            "cockpit.domains is not allowed to import dash",
        ),
        (
            "panels/hotline/layer_probe.py",
            "import app\n",
            "panels is not allowed to import app",
        ),
    ],
    ids=["panel-to-panel", "cockpit-to-panels", "adapter-to-frame", "domain-to-dash", "to-app"],
)
def test_a_broken_layer_rule_is_reported(
    copy_of_code: Path, path: str, code: str, reported: str
) -> None:
    """One offending import in a copy of the code breaks its contract, named in the output."""
    probe = copy_of_code / path
    probe.write_text(f'"""A deliberate layer violation (tests/unit/test_layers.py)."""\n\n{code}')
    try:
        run = lint_imports(copy_of_code)
    finally:
        probe.unlink()
    assert run.returncode != 0, run.stdout
    assert reported in run.stdout, run.stdout + run.stderr
