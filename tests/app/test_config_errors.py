"""Configuration mistakes an operator makes: each is one clear line, all of them at once.

The cases are the ones met setting up a city (#19 item 10, #18 item 14): a config file saved as
GBK, an unset url_env, a YAML error hiding the next problem, a read-only instance/, a list item
or a dotted dataset name set from the shell.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from cockpit.settings import DEFAULT_CONFIG_DIR, PROJECT_ROOT, ConfigError, load_settings


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    """A copy of the default config folder that a test may break."""
    folder = tmp_path / "config"
    shutil.copytree(DEFAULT_CONFIG_DIR, folder)
    return folder


def run_cli(*args: str, env: dict[str, str] | None = None):
    """`python -m cockpit ARGS` in a fresh process, as an operator runs it."""
    command = [sys.executable, "-m", "cockpit", *args]
    environ = {k: v for k, v in os.environ.items() if not k.startswith("COCKPIT_")}
    environ.update(env or {})
    return subprocess.run(
        command, cwd=PROJECT_ROOT, env=environ, capture_output=True, text=True, timeout=120
    )


def test_gbk_config_file_is_one_line_naming_the_file(config_dir: Path) -> None:
    path = config_dir / "city.yaml"
    path.write_bytes(path.read_text(encoding="utf-8").encode("gbk"))
    result = run_cli("check-config", env={"COCKPIT_CONFIG_DIR": str(config_dir)})
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"{path} line 1: not UTF-8" in result.stderr
    assert "save the file as UTF-8" in result.stderr


def test_gbk_file_does_not_hide_the_problems_of_other_files(config_dir: Path) -> None:
    city = config_dir / "city.yaml"
    city.write_bytes(city.read_text(encoding="utf-8").encode("gbk"))
    datasets = yaml.safe_load((config_dir / "datasets.yaml").read_text(encoding="utf-8"))
    datasets["datasets"]["hotline.tickets"]["max_age_hours"] = -1
    (config_dir / "datasets.yaml").write_text(yaml.safe_dump(datasets, allow_unicode=True))
    with pytest.raises(ConfigError) as caught:
        load_settings(config_dir, environ={})
    problems = caught.value.problems
    assert any("city.yaml" in line and "not UTF-8" in line for line in problems)
    assert any("datasets.hotline.tickets.max_age_hours" in line for line in problems)
    # The section the unreadable file holds is not reported a second time as "missing".
    assert not any(line.endswith("city: required, missing") for line in problems)


def test_yaml_error_and_module_error_reported_together(config_dir: Path) -> None:
    (config_dir / "datasets.yaml").write_text("datasets: [unclosed\n", encoding="utf-8")
    hotline = yaml.safe_load((config_dir / "hotline.yaml").read_text(encoding="utf-8"))
    hotline["hotline"]["no_such_key"] = 1
    (config_dir / "hotline.yaml").write_text(yaml.safe_dump(hotline, allow_unicode=True))
    result = run_cli("check-config", env={"COCKPIT_CONFIG_DIR": str(config_dir)})
    assert result.returncode == 2
    assert "datasets.yaml line" in result.stderr and "not valid YAML" in result.stderr
    assert "hotline.no_such_key" in result.stderr
    assert "Traceback" not in result.stderr


def test_unset_url_env_fails_check_config(config_dir: Path) -> None:
    (config_dir / "sources.yaml").write_text(
        (config_dir / "sources.yaml").read_text(encoding="utf-8")
        + "  frontdb:\n    kind: sql\n    url_env: COCKPIT_FRONTDB_URL_UNSET_IN_TEST\n",
        encoding="utf-8",
    )
    result = run_cli("check-config", env={"COCKPIT_CONFIG_DIR": str(config_dir)})
    assert result.returncode == 2, result.stdout
    assert (
        "sources.frontdb.url_env: environment variable COCKPIT_FRONTDB_URL_UNSET_IN_TEST "
        "is not set" in result.stderr
    )
    ok = run_cli(
        "check-config",
        env={
            "COCKPIT_CONFIG_DIR": str(config_dir),
            "COCKPIT_FRONTDB_URL_UNSET_IN_TEST": "sqlite:///x.db",
        },
    )
    assert ok.returncode == 0, ok.stderr


def _read_only(folder: Path, *command: str) -> list[str]:
    """`command` run with `folder` mounted read-only (its own mount namespace, as root)."""
    script = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"'
    return ["unshare", "--mount", "sh", "-c", script, str(folder), *command]


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare"), reason="needs root to mount")
def test_read_only_instance_folder_is_one_line(tmp_path: Path) -> None:
    """instance/ on a read-only file system, as a locked-down server has it."""
    instance = tmp_path / "instance"
    instance.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("COCKPIT_")},
        "COCKPIT_CACHE__DIR": str(instance / "cache"),
        "COCKPIT_STORE__URL": f"sqlite:///{instance / 'cockpit.db'}",
        "COCKPIT_SECURITY__DEMO_ACCOUNTS_FILE": str(instance / "demo-accounts.txt"),
        "COCKPIT_SOURCES__DEMO__PATH": str(instance / "demo" / "demo.duckdb"),
        "COCKPIT_SECRET_KEY": secrets.token_hex(32),
    }
    probe = subprocess.run(_read_only(instance, "true"), capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"cannot mount read-only here: {probe.stderr.strip()[-200:]}")

    def run(*command: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            _read_only(instance, *command),
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    result = run(sys.executable, "-m", "cockpit", "check-config")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = [line.strip() for line in result.stderr.splitlines()]
    reason = "无法写入 (cannot write: Read-only file system)"
    assert f"{instance / 'cache'}: {reason}; set by cache.dir" in lines
    assert any(line.startswith(f"{instance}: {reason}") and "store.url" in line for line in lines)
    # The same lines when the app itself starts (gunicorn imports app.py).
    started = run(sys.executable, "app.py")
    assert started.returncode == 2
    assert "Traceback" not in started.stderr
    assert "无法写入" in started.stderr


# -- overrides a shell accepts ------------------------------------------------------------------


def test_list_item_override_by_index_sets_the_target() -> None:
    settings = load_settings(environ={"COCKPIT_INDICATORS__0__TARGET__VALUE": "7"})
    assert settings.indicators[0].target is not None
    assert settings.indicators[0].target.value == 7.0


def test_list_item_override_by_id() -> None:
    settings = load_settings(environ={"COCKPIT_INDICATORS__GDP__TARGET__VALUE": "7.5"})
    assert settings.indicator_map["gdp"].target.value == 7.5


def test_dotted_dataset_name_has_a_shell_form() -> None:
    settings = load_settings(environ={"COCKPIT_DATASETS__HOTLINE_TICKETS__MAX_AGE_HOURS": "48"})
    assert settings.datasets["hotline.tickets"].max_age_hours == 48


def test_bad_override_values_are_one_line_each() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(
            environ={
                "COCKPIT_INDICATORS__99__TARGET__VALUE": "7",
                "COCKPIT_INDICATORS__NO_SUCH__TARGET__VALUE": "7",
                "COCKPIT_DATASETS__HOTLINE_TICKETS__MAX_AGE_HOURS": "abc",
                "COCKPIT_CITY__NAME__X": "1",
            }
        )
    problems = caught.value.problems
    assert len(problems) == 4, problems
    assert "$COCKPIT_INDICATORS__99__TARGET__VALUE: indicators has no item '99'" in problems[1]
    assert any("$COCKPIT_INDICATORS__NO_SUCH__TARGET__VALUE" in line for line in problems)
    assert any(line.startswith("$COCKPIT_CITY__NAME__X: city.name is a value") for line in problems)
    assert any(
        line.startswith("$COCKPIT_DATASETS__HOTLINE_TICKETS__MAX_AGE_HOURS: ")
        and "max_age_hours" in line
        for line in problems
    )


def test_list_override_through_the_cli_has_no_traceback() -> None:
    result = run_cli("check-config", env={"COCKPIT_INDICATORS__0__TARGET__VALUE": "7"})
    assert result.returncode == 0, result.stderr


def test_overrides_exported_by_a_shell_give_one_line_per_bad_value() -> None:
    """The operator's way (#18 item 14): `export` in bash, then check-config. bash refuses a
    name with a dot, so this runs only because the dataset's form is HOTLINE_TICKETS; each bad
    value is one line naming its variable, and no traceback."""
    script = (
        "export COCKPIT_INDICATORS__0__TARGET__VALUE=abc"
        " COCKPIT_DATASETS__HOTLINE_TICKETS__MAX_AGE_HOURS=x"
        f" && exec {sys.executable} -m cockpit check-config"
    )
    environ = {k: v for k, v in os.environ.items() if not k.startswith("COCKPIT_")}
    result = subprocess.run(
        ["bash", "-c", script],
        cwd=PROJECT_ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = [x.strip() for x in result.stderr.splitlines() if x.strip().startswith("$")]
    assert len(lines) == 2, result.stderr
    assert any(x.startswith("$COCKPIT_INDICATORS__0__TARGET__VALUE: ") for x in lines)
    assert any(x.startswith("$COCKPIT_DATASETS__HOTLINE_TICKETS__MAX_AGE_HOURS: ") for x in lines)
    # A dotted name is no shell name at all: what the old form asked of operators.
    dotted = subprocess.run(
        ["bash", "-c", "export COCKPIT_DATASETS__hotline.tickets__MAX_AGE_HOURS=48"],
        capture_output=True,
        text=True,
    )
    assert dotted.returncode != 0, dotted.stderr  # bash: not a valid identifier
