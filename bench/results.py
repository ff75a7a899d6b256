"""bench/RESULTS.md is written by several scripts: each owns one marked section.

    <!-- bench:io -->
    ...what bench/io_bench.py wrote...
    <!-- /bench:io -->

``bench/run.py`` writes the file's main part and keeps every marked section it finds;
``write_section`` replaces (or appends) one section and leaves the rest of the file as it is.
"""

from __future__ import annotations

import re
from pathlib import Path

_SECTION_RE = re.compile(r"<!-- bench:(?P<name>[\w-]+) -->\n.*?<!-- /bench:(?P=name) -->\n?", re.DOTALL)


def sections(text: str) -> dict[str, str]:
    """The marked sections of a report, by name (each with its markers)."""
    return {m.group("name"): m.group(0).rstrip("\n") + "\n" for m in _SECTION_RE.finditer(text)}


def marked(name: str, body: str) -> str:
    return f"<!-- bench:{name} -->\n{body.rstrip()}\n<!-- /bench:{name} -->\n"


def write_section(path: Path, name: str, body: str) -> None:
    """Put ``body`` in section ``name`` of the report at ``path`` (the rest kept as it is)."""
    old = path.read_text(encoding="utf-8") if path.exists() else "# paperread benchmark results\n"
    new = marked(name, body)
    found = sections(old).get(name)
    if found is not None:
        text = old.replace(found, new, 1)
    else:
        text = old.rstrip("\n") + "\n\n" + new
    path.write_text(text, encoding="utf-8")


def keep_sections(old: str, new: str) -> str:
    """``new`` (a whole report) with the marked sections of ``old`` it does not write itself."""
    mine = sections(new)
    kept = [body for name, body in sections(old).items() if name not in mine]
    if not kept:
        return new
    return new.rstrip("\n") + "\n\n" + "\n".join(kept)
