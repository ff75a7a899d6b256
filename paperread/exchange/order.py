"""Where rows go in their lists: categories in the catalog, papers in a category, the papers a
video covers. Pure functions over ids (> 0: rows of the catalog; < 0: new rows).

The file decides the order of what it holds; a row the file does not hold keeps its place:
it stays right after the row it followed (its anchor), or first when it led the list.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence


def merge(current: Sequence[int], wanted: Sequence[int], governed: Callable[[int], bool]) -> list[int]:
    """The list after an import: ``wanted`` (the file's rows of it, in the file's order), with
    each row of ``current`` the file does not govern put back right after the governed row it
    followed in ``current`` (the last one before it that is still in the list), or at the start.
    When the file moved that anchor ahead of an earlier kept row's anchor, the row goes after the
    earlier one instead, so the kept rows keep their own order too.

    A governed row of ``current`` that is not in ``wanted`` leaves the list.
    """
    ordered = list(dict.fromkeys(wanted))
    index = {ref: i for i, ref in enumerate(ordered)}
    after: dict[int, list[int]] = defaultdict(list)
    anchor = -1  # the index in ``ordered`` of the last governed row seen that stays
    slot = -1  # where the last kept row went: a later one never goes before it
    for ref in current:
        if governed(ref):
            anchor = index.get(ref, anchor)
        elif ref not in index:
            slot = max(slot, anchor)
            after[slot].append(ref)
    merged = list(after.get(-1, []))
    for i, ref in enumerate(ordered):
        merged.append(ref)
        merged.extend(after.get(i, []))
    return merged


def positions(merged: Sequence[int], current: Sequence[int], position: Mapping[int, int]) -> dict[int, int]:
    """The positions that give a list the order ``merged``, touching as few rows as can be:
    when the rows already there keep their order, only the new ones get positions (after the
    last); otherwise the list is numbered again from 0. ``position``: the current positions."""
    present = set(merged)
    staying = [ref for ref in current if ref in present]
    start = max((position[ref] for ref in staying), default=-1) + 1
    if list(merged[: len(staying)]) == staying:
        return {ref: start + i for i, ref in enumerate(merged[len(staying) :])}
    return {ref: i for i, ref in enumerate(merged) if ref < 0 or position.get(ref) != i}


def appended(wanted: Sequence[int], current: Sequence[int], position: Mapping[int, int]) -> dict[int, int]:
    """For a file that carries no order: rows new to the list go after the last, in the file's
    order; the others stay where they are."""
    there = set(current)
    start = max((position[ref] for ref in current), default=-1) + 1
    new = [ref for ref in dict.fromkeys(wanted) if ref not in there]
    return {ref: start + i for i, ref in enumerate(new)}
