"""BibTeX field values read into paper values: author lists."""

from __future__ import annotations

import re

from paperread.formats.latex import latex_to_text


def _bib_split(value: str, separator: str) -> list[str]:
    """``value`` split at each match of the regex ``separator`` outside braces."""
    parts, depth, start = [], 0, 0
    for match in re.finditer(r"\\.|[{}]|" + separator, value, re.IGNORECASE | re.DOTALL):
        token = match.group(0)
        if token == "{":
            depth += 1
        elif token == "}":
            depth -= 1
        elif depth == 0 and not token.startswith("\\"):
            parts.append(value[start : match.start()])
            start = match.end()
    parts.append(value[start:])
    return parts


def bib_authors(value: str) -> str | None:
    """The names of an author field (split at each ``and`` outside braces), as "First Last"."""
    names = []
    for name in _bib_split(value.strip(), r"\s+and\s+"):
        parts = _bib_split(name, ",")  # "Last, First" or "Last, Jr, First" (a comma in braces is part of a name)
        plain = latex_to_text(" ".join([parts[-1], parts[0], *parts[1:-1]]) if len(parts) > 1 else name)
        if plain:
            names.append(plain)
    return ", ".join(names) or None
