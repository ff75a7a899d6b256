"""Files that ship with the package: migrations/ and data/ live at the top of the
source tree and are installed as paperread.migrations and paperread.data."""

from __future__ import annotations

import importlib.util
from pathlib import Path


def shipped_dir(name: str) -> Path:
    """``migrations`` or ``data``, as installed or in a source checkout."""
    spec = importlib.util.find_spec(f"paperread.{name}")
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return Path(__file__).resolve().parent.parent / name
