"""The documentation that is generated from code stays in step with it."""

from pathlib import Path

from cockpit.contracts import contracts_markdown

ROOT = Path(__file__).resolve().parents[2]


def test_datasets_doc_matches_the_contracts() -> None:
    """docs/datasets.md is what `python -m cockpit docs` writes from the contracts now."""
    assert (ROOT / "docs" / "datasets.md").read_text(encoding="utf-8") == contracts_markdown()
