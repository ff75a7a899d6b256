"""The values one planning step hands the next: the file's categories, papers and videos, settled.

Each is frozen and complete when its step returns; ``assemble`` turns the three into a ``Plan``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from paperread.exchange.clean import Problem

Doc = Mapping[str, Any]


@dataclass(frozen=True)
class Categories:
    """The file's categories: their refs, renames and new ones (ref -1, -2, ... in order)."""

    refs: Mapping[str, int]  # document slug (and UNCATEGORIZED's, when needed) -> ref
    renamed: Mapping[int, str]  # id -> new name
    new: tuple[tuple[str, str], ...]  # (slug, name)
    claimed: frozenset[int]  # the catalog's categories the file names


@dataclass(frozen=True)
class Papers:
    """The file's papers: refs, field changes, new ones, and where each goes."""

    refs: Mapping[str, int]  # document key -> ref
    doc_of: Mapping[int, Doc]  # ref -> the document's paper (new ones with their final key)
    updates: Mapping[int, Mapping[str, Any]]  # id -> {column: new value}, in the file's order
    new: tuple[Doc, ...]  # the new papers, with their final keys
    category: Mapping[int, int]  # ref of a paper in the file -> ref of its category after
    claimed: frozenset[int]  # the catalog's papers the file holds
    removed: tuple[int, ...]  # pruned
    problems: tuple[Problem, ...]


@dataclass(frozen=True)
class Videos:
    """The file's videos (refs by document index), their changes, and the ties that change."""

    refs: Mapping[int, int]
    updates: Mapping[int, Mapping[str, Any]]
    new: tuple[Doc, ...]
    ties: Mapping[int, tuple[int, ...]]  # video ref -> paper refs, for new videos and changed ties
    claimed: frozenset[int]
    removed: tuple[int, ...]
    kept: tuple[int, ...]  # not in the file, kept
