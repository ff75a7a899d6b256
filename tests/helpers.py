"""Small helpers shared by test modules."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# The published list: on the team's machines at /work/shared, on CI in a copy of shared/
# beside the clone. Tests that need it skip when neither is there.
SHARED_README_CANDIDATES = (
    Path("/work/shared/catalog/paper-reading-README.md"),
    ROOT.parent / "shared" / "catalog" / "paper-reading-README.md",
)


def shared_readme_path() -> Path:
    for path in SHARED_README_CANDIDATES:
        if path.is_file():
            return path
    pytest.skip("the published paper-reading README (shared/catalog/paper-reading-README.md) is not on this machine")


def shared_readme_text() -> str:
    return shared_readme_path().read_text(encoding="utf-8")
