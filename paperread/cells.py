"""Spreadsheet cells that cannot run: the CSV export's guard against formula injection.

A spreadsheet opening a CSV file runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a
formula (``=HYPERLINK(...)``, ``@SUM(...)``), and some also one starting with a tab or a carriage
return (OWASP, "CSV Injection"). ``guard`` puts a single quote before such a cell, which a
spreadsheet shows as text and does not display; ``unguard`` takes it off again on import. A cell
that already starts with a quote gets one more, so the round trip is exact for every text:
``unguard(guard(s)) == s``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

# What makes a spreadsheet run a cell, and the quote that stops it.
TRIGGERS = frozenset("=+-@\t\r")
QUOTE = "'"
_MARKED = TRIGGERS | {QUOTE}


def guard(cell: Any) -> Any:
    """The cell as a spreadsheet shows it without running it; anything but text is as it was."""
    if type(cell) is str and cell and cell[0] in _MARKED:
        return QUOTE + cell
    return cell


def unguard(cell: str) -> str:
    """The text ``guard`` was given: a leading quote before a trigger (or a quote) taken off."""
    if len(cell) > 1 and cell[0] == QUOTE and cell[1] in _MARKED:
        return cell[1:]
    return cell


def guard_row(row: Iterable[Any]) -> list[Any]:
    """``guard`` of each cell (written out: one call a row, not one a cell)."""
    return [QUOTE + cell if type(cell) is str and cell and cell[0] in _MARKED else cell for cell in row]


def unguard_rows(rows: Iterator[list[str]]) -> Iterator[list[str]]:
    for row in rows:
        yield [unguard(cell) for cell in row]
