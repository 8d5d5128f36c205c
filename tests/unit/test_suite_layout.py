"""The test files' own layout: pytest imports each test file by its base name (the kind
folders have no __init__.py), so two files of one name in two kind folders stop the whole
run at collection ("import file mismatch") although either runs alone."""

from collections import defaultdict
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def test_no_two_test_files_share_a_name() -> None:
    found: dict[str, list[str]] = defaultdict(list)
    for path in TESTS.rglob("test_*.py"):
        found[path.name].append(str(path.relative_to(TESTS)))
    shared = {name: paths for name, paths in found.items() if len(paths) > 1}
    assert shared == {}
