"""The catalog as an import sees it: one read per table, held as plain data.

Planning (``plan``) is a pure function of a ``Snapshot`` and a cleaned document, so it can be
tested without a database: a test builds a Snapshot by hand (``Snapshot.of``). Rows are dicts
of column values as the read queries return them (dates and timestamps as the back end gives
them: text on SQLite, objects on PostgreSQL); planning never changes them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from paperread.exchange.document import stamp_text

if TYPE_CHECKING:
    from paperread.db import Reader

Row = Mapping[str, Any]


@dataclass(frozen=True)
class Snapshot:
    """Every row an import compares a file with, by id (and the ties between them)."""

    categories: Mapping[int, Row]  # id -> {id, slug, name, position}
    papers: Mapping[int, Row]  # id -> ``queries.import_paper_state`` row
    videos: Mapping[int, Row]  # id -> {id, date, title, duration_seconds, bilibili, youtube, zhihu, link}
    links: Mapping[int, tuple[int, ...]]  # video id -> the ids of the papers it covers, in order
    reading: Mapping[tuple[str, int], Row]  # (user, paper id) -> reading row
    watched: frozenset[tuple[str, int]]  # (user, video id)
    history: Mapping[int, frozenset[tuple[int, str | None]]] = field(default_factory=dict)  # paper id -> points
    video_notes: frozenset[tuple[str, int]] = frozenset()  # (user, video id) with a note

    @classmethod
    def of(
        cls,
        *,
        categories: Iterable[Row] = (),
        papers: Iterable[Row] = (),
        videos: Iterable[Row] = (),
        links: Iterable[Row] = (),
        reading: Iterable[Row] = (),
        watched: Iterable[Row] = (),
        history: Iterable[Row] = (),
        video_notes: Iterable[Row] = (),
    ) -> Snapshot:
        """A snapshot from rows as the queries return them (``links``: {video_id, paper_id} in
        order; ``history``: {paper_id, citations, fetched_at})."""
        tied: dict[int, list[int]] = defaultdict(list)
        for link in links:
            tied[link["video_id"]].append(link["paper_id"])
        points: dict[int, set[tuple[int, str | None]]] = defaultdict(set)
        for h in history:
            points[h["paper_id"]].add((h["citations"], stamp_text(h["fetched_at"])))
        return cls(
            categories={c["id"]: c for c in categories},
            papers={p["id"]: p for p in papers},
            videos={v["id"]: v for v in videos},
            links={video: tuple(papers) for video, papers in tied.items()},
            reading={(r["user_name"], r["paper_id"]): r for r in reading},
            watched=frozenset((w["user_name"], w["video_id"]) for w in watched),
            history={paper: frozenset(p) for paper, p in points.items()},
            video_notes=frozenset((n["user_name"], n["video_id"]) for n in video_notes),
        )

    @property
    def empty(self) -> bool:
        return not (self.categories or self.papers or self.videos)


_SHARED = ("key", "title", "url", "description", "s2_id", "authors")  # the long texts of a paper
_shared = itemgetter(*_SHARED)


def _lean(rows: Iterable[dict[str, Any]], share: Mapping[str, Mapping[str, Any]]) -> Iterator[dict[str, Any]]:
    """The paper rows holding no text twice: a value equal to the file's paper of the same key
    is that paper's own object, and a venue or a date many rows have is one object.
    (Re-importing a 100,000-paper file held each title, link and description twice: a fifth of
    the import's memory.) The rows' values are unchanged; only which object holds each."""
    venues: dict[Any, Any] = {}
    days: dict[Any, Any] = {}
    shared, find, names = _shared, share.get, _SHARED
    for row in rows:
        p = find(row["key"])
        if p is not None:
            try:
                theirs = shared(p)
            except KeyError:  # a paper made by hand
                theirs = tuple(p.get(name) for name in names)
            if shared(row) == theirs:  # the usual case, at once
                row.update(zip(names, theirs))
            else:
                for name, value in zip(names, theirs):
                    if value is not None and value == row[name]:
                        row[name] = value
        venue, day = row["venue"], row["publication_date"]
        row["venue"], row["publication_date"] = venues.setdefault(venue, venue), days.setdefault(day, day)
        yield row


def read_snapshot(
    reader: Reader, *, history: bool = False, share: Mapping[str, Mapping[str, Any]] | None = None
) -> Snapshot:
    """The catalog's rows, one query per table, in the caller's transaction. ``history``:
    read the citation history too (only a file that carries some needs it). ``share``: the
    file's papers by key, whose values the rows may hold instead of copies (``_lean``)."""
    from paperread import queries

    # The papers and the history are streams (generators: each runs its query when ``of`` reads
    # it, after the other queries, and is read to its end before the next starts).
    papers = queries.import_paper_state(reader, stream=True)
    return Snapshot.of(
        categories=queries.import_category_state(reader),
        papers=_lean(papers, share) if share else papers,
        videos=queries.import_video_state(reader),
        links=queries.import_video_links(reader),
        reading=queries.import_reading_state(reader),
        watched=queries.import_watched_state(reader),
        history=queries.import_history_state(reader, stream=True) if history else (),
        video_notes=queries.import_video_note_state(reader),
    )
