"""Tests for cockpit.settings: config/*.yaml validation, one readable line per problem, and
COCKPIT_* environment overrides.

Each case copies the shipped config/ folder into tmp_path and breaks exactly one thing, so a
line that names the wrong file, the wrong field or a vague expectation shows up here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from cockpit.settings import ConfigError, load_settings

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config"


# -- helpers -------------------------------------------------------------------------------------
@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    """A private copy of the shipped config folder, free to break."""
    target = tmp_path / "config"
    shutil.copytree(CONFIG, target)
    return target


def rewrite(folder: Path, name: str, change: Callable[[dict[str, Any]], None]) -> Path:
    """Load one YAML file of the folder, let `change` edit it in place, and write it back."""
    path = folder / name
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def problems_of(folder: Path, environ: dict[str, str] | None = None) -> list[str]:
    """The ConfigError lines load_settings gives for the folder (fails if it loads)."""
    with pytest.raises(ConfigError) as info:
        load_settings(config_dir=folder, environ=environ or {})
    assert info.value.problems, "ConfigError without problems"
    assert str(info.value) == "\n".join(info.value.problems)
    return info.value.problems


def only_problem(folder: Path, environ: dict[str, str] | None = None) -> str:
    """The single problem line for a folder with one thing broken."""
    lines = problems_of(folder, environ)
    assert len(lines) == 1, lines
    return lines[0]


def shipped(name: str) -> dict[str, Any]:
    """A shipped YAML file, parsed independently of cockpit.settings."""
    return yaml.safe_load((CONFIG / name).read_text(encoding="utf-8"))


def clean_env() -> dict[str, str]:
    """This process's environment without COCKPIT_* variables (for subprocesses)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("COCKPIT_")}


# -- one broken thing at a time ------------------------------------------------------------------
def test_county_code_not_six_digits_names_file_field_and_pattern(config_dir: Path) -> None:
    """A 5-digit county code is reported against city.yaml, its list index and the 6-digit rule."""
    path = rewrite(config_dir, "city.yaml", lambda d: d["city"]["counties"][1].update(code="14040"))
    line = only_problem(config_dir)
    assert line.startswith(f"{path}: city.counties.1.code: ")
    assert r"^\d{6}$" in line
    assert "'14040'" in line


def test_former_code_mapping_to_a_non_current_county_is_refused(config_dir: Path) -> None:
    """A former code that maps to a code not among the counties is reported with both codes."""

    def change(d: dict[str, Any]) -> None:
        old = next(iter(d["city"]["former_codes"]))
        d["city"]["former_codes"][old] = "140499"

    path = rewrite(config_dir, "city.yaml", change)
    old = next(iter(shipped("city.yaml")["city"]["former_codes"]))
    line = only_problem(config_dir)
    assert line.startswith(f"{path}: city")
    assert f"former code {old} maps to 140499" in line
    assert "not a current county" in line


@pytest.mark.parametrize("source", ["demo", "warehouse"])
def test_unknown_key_in_a_source_names_the_source_and_the_key(
    config_dir: Path, source: str
) -> None:
    """An unknown key in a source is an error at sources.<name>.<key>, whatever the source's name."""

    def change(d: dict[str, Any]) -> None:
        if source != "demo":
            d["sources"][source] = {"kind": "sql", "url": "sqlite:///instance/x.db"}
        d["sources"][source]["seeed"] = 1

    path = rewrite(config_dir, "sources.yaml", change)
    line = only_problem(config_dir)
    assert line == f"{path}: sources.{source}.seeed: Extra inputs are not permitted (got 1)"


def test_unknown_source_kind_names_the_source_and_the_known_kinds(config_dir: Path) -> None:
    """A kind no adapter provides is reported at sources.<name>, listing the registered kinds."""
    from data_sources.registry import ADAPTERS

    path = rewrite(config_dir, "sources.yaml", lambda d: d["sources"]["demo"].update(kind="oracle"))
    line = only_problem(config_dir)
    assert line.startswith(f"{path}: sources.demo: ")
    assert "'oracle'" in line
    for kind in ADAPTERS:
        assert f"'{kind}'" in line


def test_password_in_a_sql_url_is_refused_without_echoing_it(config_dir: Path) -> None:
    """A SQL url holding a password says to use url_env, and the password is not printed."""
    secret = "s3cret-Pa55"
    path = rewrite(
        config_dir,
        "sources.yaml",
        lambda d: d["sources"].update(
            warehouse={"kind": "sql", "url": f"postgresql://cockpit:{secret}@db.example/city"}
        ),
    )
    line = only_problem(config_dir)
    assert line.startswith(f"{path}: sources.warehouse: ")
    assert "url_env" in line
    assert secret not in line


def test_dataset_naming_an_unknown_source_names_datasets_file(config_dir: Path) -> None:
    """A dataset bound to a source that does not exist is reported against datasets.yaml."""
    path = rewrite(
        config_dir,
        "datasets.yaml",
        lambda d: d["datasets"]["hotline.tickets"].update(source="nowhere"),
    )
    line = only_problem(config_dir)
    assert line.startswith(f"{path}: datasets")
    assert "hotline.tickets" in line
    assert "'nowhere'" in line


def test_unknown_dataset_name_lists_the_known_ones(config_dir: Path) -> None:
    """A dataset name without a contract is reported with the names that exist."""
    from cockpit.contracts import CONTRACTS

    path = rewrite(
        config_dir,
        "datasets.yaml",
        lambda d: d["datasets"].update({"hotline.ticketz": {"source": "demo", "table": "t"}}),
    )
    line = only_problem(config_dir)
    assert line.startswith(f"{path}: datasets: ")
    assert "unknown dataset hotline.ticketz" in line
    for name in CONTRACTS:
        assert name in line


def test_column_map_naming_a_column_outside_the_contract_is_refused(config_dir: Path) -> None:
    """A column map whose key is not a contract column is reported with the dataset and column."""
    path = rewrite(
        config_dir,
        "datasets.yaml",
        lambda d: d["datasets"]["hotline.tickets"].update(columns={"ticket_no": "id"}),
    )
    line = only_problem(config_dir)
    assert line.startswith(f"{path}: datasets: ")
    assert "hotline.tickets.columns maps ticket_no" in line
    assert "not in the dataset contract" in line


def test_indicator_with_bad_frequency_lists_allowed_values(config_dir: Path) -> None:
    """A frequency outside monthly/quarterly/annual is reported at indicators.<i>.frequency."""
    index = 2
    path = rewrite(
        config_dir, "indicators.yaml", lambda d: d["indicators"][index].update(frequency="weekly")
    )
    line = only_problem(config_dir)
    assert line.startswith(f"{path}: indicators.{index}.frequency: ")
    assert "'monthly', 'quarterly' or 'annual'" in line
    assert "(got 'weekly')" in line


def test_repeated_indicator_id_names_indicators_file(config_dir: Path) -> None:
    """Two indicators with one id are reported against indicators.yaml, naming the id."""
    first = shipped("indicators.yaml")["indicators"][0]["id"]
    path = rewrite(config_dir, "indicators.yaml", lambda d: d["indicators"][2].update(id=first))
    line = only_problem(config_dir)
    assert line.startswith(f"{path}: indicators")
    assert "repeated" in line
    assert first in line


def test_invalid_yaml_reports_file_and_line(config_dir: Path) -> None:
    """A YAML syntax error is reported with the file and the 1-based line of the fault."""
    path = config_dir / "indicators.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    bad_line = next(i for i, text in enumerate(lines) if text.startswith("  - id:")) + 2
    lines.insert(bad_line - 1, "\tname: a tab cannot indent YAML")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    line = only_problem(config_dir)
    assert line.startswith(f"{path} line {bad_line}: not valid YAML")


def test_same_section_in_two_files_names_both(config_dir: Path) -> None:
    """A section defined in two files is reported against the later file, naming the first."""
    extra = config_dir / "zz_extra.yaml"
    extra.write_text("cache:\n  type: redis\n", encoding="utf-8")
    line = only_problem(config_dir)
    assert line == f"{extra}: section 'cache' is also defined in {config_dir / 'cockpit.yaml'}"


def test_several_problems_give_one_line_each(config_dir: Path) -> None:
    """Problems in different files are all reported, one line each, each with its own file."""
    city = rewrite(config_dir, "city.yaml", lambda d: d["city"]["counties"][0].update(code="1404"))
    ind = rewrite(
        config_dir, "indicators.yaml", lambda d: d["indicators"][0].update(frequency="weekly")
    )
    cockpit = rewrite(config_dir, "cockpit.yaml", lambda d: d["cache"].update(timeout=0))
    lines = problems_of(config_dir)
    assert len(lines) == 3, lines
    assert sum(line.startswith(f"{city}: city.counties.0.code: ") for line in lines) == 1
    assert sum(line.startswith(f"{ind}: indicators.0.frequency: ") for line in lines) == 1
    assert sum(line.startswith(f"{cockpit}: cache.timeout: ") for line in lines) == 1


# -- environment overrides -----------------------------------------------------------------------
def test_env_override_changes_the_cache_type() -> None:
    """COCKPIT_CACHE__TYPE=redis replaces the file's cache type."""
    assert shipped("cockpit.yaml")["cache"]["type"] != "redis"
    settings = load_settings(config_dir=CONFIG, environ={"COCKPIT_CACHE__TYPE": "redis"})
    assert settings.cache.type == "redis"


def test_env_override_reaches_the_built_source() -> None:
    """COCKPIT_SOURCES__DEMO__TICKETS=5000 changes the demo source's configuration."""
    from cockpit.demo_data import services as demo_services
    from data_sources.registry import build_source

    assert shipped("sources.yaml")["sources"]["demo"]["tickets"] != 5000
    settings = load_settings(config_dir=CONFIG, environ={"COCKPIT_SOURCES__DEMO__TICKETS": "5000"})
    assert settings.sources["demo"].tickets == 5000
    source = build_source(
        "demo",
        settings.sources["demo"],
        city=settings.city,
        base_dir=settings.base_dir,
        demo=demo_services(),
    )
    try:
        assert source.config.tickets == 5000
    finally:
        source.close()


@pytest.mark.parametrize(
    ("variable", "value", "field", "expected"),
    [
        ("COCKPIT_CACHE__TIMEOUT", "abc", "cache.timeout", "valid integer"),
        (
            "COCKPIT_SOURCES__DEMO__TICKETS",
            "5",
            "sources.demo.tickets",
            "greater than or equal to 1000",
        ),
    ],
)
def test_bad_env_override_names_the_variable(
    variable: str, value: str, field: str, expected: str
) -> None:
    """A bad override is reported against $VARIABLE (not a YAML file) with the field it sets."""
    line = only_problem(CONFIG, {variable: value})
    assert line.startswith(f"${variable}: {field}: ")
    assert expected in line


@pytest.mark.parametrize(
    ("variable", "value", "read"),
    [
        ("COCKPIT_CACHE__TYPE", "null", lambda s: s.cache.type),  # a documented cache type
        ("COCKPIT_CITY__CODE", "140400", lambda s: s.city.code),  # codes are text
    ],
)
def test_env_override_value_is_taken_as_written(variable: str, value: str, read: Callable) -> None:
    """An override's text reaches a text field unchanged (not turned into None or a number)."""
    settings = load_settings(config_dir=CONFIG, environ={variable: value})
    assert read(settings) == value


def test_test_server_variables_are_not_taken_as_overrides() -> None:
    """COCKPIT_TEST_PG_URL / COCKPIT_TEST_REDIS_URL (used by the test markers) do not break loading."""
    environ = {
        "COCKPIT_TEST_PG_URL": "postgresql+psycopg://postgres@127.0.0.1:5432/test",
        "COCKPIT_TEST_REDIS_URL": "redis://127.0.0.1:6379/0",
    }
    settings = load_settings(config_dir=CONFIG, environ=environ)
    assert settings.city.code == shipped("city.yaml")["city"]["code"]


def test_url_env_variable_with_the_cockpit_prefix_is_read_as_a_secret(config_dir: Path) -> None:
    """A SQL source's url_env named COCKPIT_... loads, and its password never appears in an error."""
    secret = "s3cret-Pa55"
    rewrite(
        config_dir,
        "sources.yaml",
        lambda d: d["sources"].update(
            warehouse={"kind": "sql", "url_env": "COCKPIT_WAREHOUSE_URL"}
        ),
    )
    environ = {"COCKPIT_WAREHOUSE_URL": f"postgresql+psycopg://cockpit:{secret}@db.example/city"}
    try:
        settings = load_settings(config_dir=config_dir, environ=environ)
    except ConfigError as exc:
        assert secret not in str(exc), f"a ConfigError printed the database password: {exc}"
        raise
    assert settings.sources["warehouse"].url_env == "COCKPIT_WAREHOUSE_URL"


# -- the shipped configuration and the command line ----------------------------------------------
def test_shipped_config_loads_cleanly() -> None:
    """config/ as committed validates, and what it says arrives in Settings."""
    settings = load_settings(config_dir=CONFIG, environ={})
    city = shipped("city.yaml")["city"]
    assert settings.city.code == city["code"]
    assert [c.code for c in settings.city.counties] == [c["code"] for c in city["counties"]]
    assert settings.city.former_codes == city["former_codes"]
    assert set(settings.sources) == set(shipped("sources.yaml")["sources"])
    datasets = shipped("datasets.yaml")["datasets"]
    # ... and the datasets of config/domains/, bound by their own files (docs/domains.md).
    from cockpit.domains.configured import dataset_name, loader, table_name

    bound = {
        dataset_name(d, t.key): (t.source, table_name(d, t.key))
        for d in loader.load(CONFIG).domains
        for t in d.datasets
    }
    assert bound and {n: (b.source, b.table) for n, b in settings.datasets.items()} == {
        **{n: (b["source"], b["table"]) for n, b in datasets.items()},
        **bound,
    }
    assert [i.id for i in settings.indicators] == [
        i["id"] for i in shipped("indicators.yaml")["indicators"]
    ]
    assert settings.cache.type == shipped("cockpit.yaml")["cache"]["type"]


def test_check_config_command_exits_2_and_prints_each_problem(config_dir: Path) -> None:
    """`python -m cockpit check-config --config-dir BROKEN` exits 2 and prints every problem line."""
    rewrite(config_dir, "city.yaml", lambda d: d["city"]["counties"][0].update(code="1404"))
    rewrite(config_dir, "indicators.yaml", lambda d: d["indicators"][0].update(frequency="weekly"))
    expected = problems_of(config_dir)
    run = subprocess.run(
        [sys.executable, "-m", "cockpit", "check-config", "--config-dir", str(config_dir)],
        cwd=ROOT,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2, run.stderr
    printed = run.stderr.splitlines()
    assert len(expected) == 2
    for line in expected:
        assert f"  {line}" in printed
    assert "Traceback" not in run.stderr


def test_check_config_command_accepts_the_shipped_config() -> None:
    """`python -m cockpit check-config` on config/ exits 0 and says so."""
    run = subprocess.run(
        [sys.executable, "-m", "cockpit", "check-config", "--config-dir", str(CONFIG)],
        cwd=ROOT,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert "配置正确" in run.stdout
