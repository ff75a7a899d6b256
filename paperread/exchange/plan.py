"""An import's plan: every change it makes, as a value.

An import reads the file into a cleaned document, takes a ``Snapshot`` of the catalog, and
computes a ``Plan`` with pure functions (``planning``): no database, no clock, no state kept
between steps. ``--dry-run`` prints the plan; the write (``apply``) carries out exactly the
plan and nothing else; the report, in text and ``--json``, is the plan. So what an import
says it did is what it did.

A change names its row by ``ref``: an existing row's id (> 0), or ``-n`` for the n-th new row
of its kind (-1 is the first). ``fields`` maps each column that changes to (old, new), in the
document's terms: dates and timestamps as ISO text, a paper's category as its slug, a video's
papers as their keys, a paper's videos as video refs. An added row lists every column it is
given (old is None). Bookkeeping columns are implied, not listed: an added row's
``created_at``; an updated paper's ``updated_at`` and ``version`` (bumped by any change but a
move within its list); the time of the import where a reading row or a watched mark has none.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any


@dataclass(frozen=True)
class Problem:
    """A row that was skipped (or part of one that was dropped), and where it was."""

    kind: str  # "category", "paper", "video" or "file"
    where: int | str  # a line number, or words such as "paper #3 'resnet'"
    message: str
    skipped: bool = True  # False: the row was kept, only part of it (a tie, a field) was dropped
    left_off: bool = False  # a field of a kept paper was left off (unreadable, or another paper's id)
    merged: bool = False  # the row was the same paper as an earlier one, and merged into it

    def text(self) -> str:
        return f"line {self.where}: {self.message}" if isinstance(self.where, int) else f"{self.where}: {self.message}"


KINDS = ("category", "paper", "video", "reading", "history", "watched", "video_note")


@dataclass(frozen=True)
class Carried:
    """What a file format carries, which decides what importing it may change.

    ``papers`` maps a paper field to how the file's value applies to a paper already there:
    "set" (the file is the authority: an empty value clears the field), "fill" (a value in
    the file replaces the stored one; an empty one leaves it), "seed" (used only where the
    database has none), "newest" (citations: used when fetched no earlier than the stored
    count). Fields it does not name are never touched. ``category`` is always "fill"-like:
    a paper the file names no category for stays where it is.
    """

    papers: Mapping[str, str]
    category_names: bool = False  # the file lists its categories by name (not slugs only)
    order: bool = False  # the order of categories and of papers in them is the file's
    videos: bool = False  # the file lists the videos
    video_ties_exact: bool = False  # False for a README: it cannot tie a video to a paper with no link
    user_state: bool = False  # reading state, notes, citation history and watched videos
    exact_spacing: bool = True  # False for a README: its titles and names have single spaces


JSON_CARRIES = Carried(
    papers={
        "title": "set", "year": "set", "category": "set", "url": "set", "description": "set",
        "authors": "set", "venue": "set", "publication_date": "set", "recorded": "set",
        "s2_id": "fill", "arxiv_id": "fill", "doi": "fill", "citations": "newest", "cite_key": "fill",
    },
    category_names=True, order=True, videos=True, video_ties_exact=True, user_state=True,
)  # fmt: skip
MARKDOWN_CARRIES = Carried(
    papers={
        "title": "set", "year": "set", "category": "set", "url": "set", "description": "set",
        "recorded": "set", "s2_id": "fill", "arxiv_id": "fill", "doi": "fill",
    },
    category_names=True, order=True, videos=True, exact_spacing=False,
)  # fmt: skip


@dataclass(frozen=True)
class RowRef:
    """Another row a field points at (a paper's category, a video's papers): its ref, for the
    write, and its name, for people."""

    kind: str
    ref: int
    name: str

    def __str__(self) -> str:
        return self.name


def plain(value: Any) -> Any:
    """A field value as JSON data: a row it points at by its name."""
    if isinstance(value, RowRef):
        return value.name
    if isinstance(value, tuple):
        return [plain(v) for v in value]
    return value


@dataclass(frozen=True)
class Change:
    """One row added, updated or removed."""

    kind: str  # one of KINDS
    action: str  # "add", "update" or "remove"
    ref: int  # the row: an existing id (> 0) or -n, the n-th new row of its kind
    name: str  # how a person knows it: a slug, a key, "date title", "key (user)"
    fields: Mapping[str, tuple[Any, Any]] = field(default_factory=dict)  # column -> (old, new)

    @property
    def moved_only(self) -> bool:
        """An update that only moves the row within its list."""
        return self.action == "update" and set(self.fields) == {"position"}


@dataclass(frozen=True)
class Kept:
    """A row of the catalog that is not in the file, kept, and why."""

    kind: str
    name: str
    reason: str


@dataclass(frozen=True)
class Plan:
    """Everything an import changes, keeps and skips.

    ``load``: the bulk road, a whole cleaned document for an empty catalog (its rows are the
    changes: all adds). ``matched``: per kind, the rows of the file found in the catalog.
    """

    changes: tuple[Change, ...] = ()
    matched: Mapping[str, int] = field(default_factory=dict)
    kept: tuple[Kept, ...] = ()
    problems: tuple[Problem, ...] = ()
    load: Mapping[str, Any] | None = None

    def count(self, kind: str, action: str) -> int:
        if self.load is not None:
            return self._bulk_counts.get(kind, 0) if action == "add" else 0
        return sum(1 for c in self.changes if c.kind == kind and c.action == action and not c.moved_only)

    @property
    def reordered(self) -> int:
        return sum(1 for c in self.changes if c.moved_only)

    @property
    def changed(self) -> bool:
        if self.load is not None:
            return any(self._bulk_counts.values())
        return bool(self.changes)

    @cached_property
    def _bulk_counts(self) -> dict[str, int]:  # asked a dozen times by a report: counted once
        return _load_counts(self.load) if self.load is not None else {}

    def tally(self, kind: str) -> dict[str, int]:
        """added, updated, unchanged, skipped, left_off (rows taken with some field left off),
        merged (rows of the file that repeat an earlier one), not_in_file and removed rows of a kind."""
        updated = self.count(kind, "update")
        return {
            "added": self.count(kind, "add"),
            "updated": updated,
            "unchanged": self.matched.get(kind, 0) - updated,
            "skipped": sum(1 for p in self.problems if p.kind == kind and p.skipped),
            "left_off": len({p.where for p in self.problems if p.kind == kind and p.left_off}),
            "merged": sum(1 for p in self.problems if p.kind == kind and p.merged),
            "not_in_file": sum(1 for k in self.kept if k.kind == kind),
            "removed": self.count(kind, "remove"),
        }

    def as_dict(self) -> dict[str, Any]:
        """The plan as JSON data (``import --json``)."""
        return {
            "changed": self.changed,
            "bulk": self.load is not None,
            **{f"{kind}s" if kind != "category" else "categories": self.tally(kind) for kind in KINDS[:3]},
            "reordered": self.reordered,
            "reading_restored": self.count("reading", "add") + self.count("reading", "update"),
            "citation_history_added": self.count("history", "add"),
            "watched_added": self.count("watched", "add"),
            "video_notes_added": self.count("video_note", "add"),
            "changes": [
                {
                    "kind": c.kind,
                    "action": c.action,
                    "name": c.name,
                    "fields": {name: {"old": plain(old), "new": plain(new)} for name, (old, new) in c.fields.items()},
                }
                for c in self.changes
            ],
            "kept": [{"kind": k.kind, "name": k.name, "reason": k.reason} for k in self.kept],
            "problems": [
                {"kind": p.kind, "line" if isinstance(p.where, int) else "where": p.where, "message": p.message}
                for p in self.problems
            ],
        }


def _load_counts(doc: Mapping[str, Any]) -> dict[str, int]:
    papers, videos = doc["papers"], doc["videos"]
    return {
        "category": len(doc["categories"]),
        "paper": len(papers),
        "video": len(videos),
        "reading": sum(len(p.get("reading") or []) for p in papers),
        "history": sum(len(p.get("citation_history") or []) for p in papers),
        "watched": sum(len(v.get("watched_by") or []) for v in videos),
        "video_note": sum(len(v.get("notes") or []) for v in videos),
    }
