"""docs/actions.md is generated from the registry and must be kept current."""

from pathlib import Path

from pbxd.manager.docs import render

DOCS = Path(__file__).resolve().parents[2] / "docs" / "actions.md"


def test_actions_doc_is_current() -> None:
    assert DOCS.read_text() == render(), "run: python -m pbxd.manager.docs > docs/actions.md"
