"""The catalog document: paperread's lossless JSON form of a whole catalog.

``export json`` writes it, ``import`` reads it, and data/catalog.json (the built-in
catalog) is one. The README, CSV and BibTeX readers (``paperread.formats``) produce one too.
Format version 2 (version 1, which has no notes on videos, is read as well)::

    {"format": "paperread", "version": 2,
     "categories": [{"slug", "name"}],
     "papers": [{"key", "cite_key", "title", "year", "category", "url", "description", "s2_id",
                 "arxiv_id", "doi", "authors", "venue", "publication_date", "recorded",
                 "citations", "citations_fetched_at",
                 "citation_history": [{"count", "fetched_at"}],
                 "reading": [{"user", "status", "started_at", "read_at", "note", "updated_at"}]}],
     "videos": [{"date", "title", "duration_seconds", "bilibili", "youtube", "zhihu",
                 "link", "papers": [key, ...], "watched_by": [{"user", "watched_at"}],
                 "notes": [{"user", "note", "updated_at"}]}]}

``notes`` (every user's note on the video, version 2) is left out of a video nobody has a note on.

Dates are ISO ``YYYY-MM-DD``; timestamps ISO 8601 in UTC (microseconds kept when there are
any); ``recorded`` is true when a video covers the paper or the list marks it done.

Writing runs on the read road (a ``Reader``): ``export json`` never imports SQLAlchemy.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from itertools import groupby
from operator import itemgetter
from typing import IO, TYPE_CHECKING, Any

from paperread.errors import InputError
from paperread.resources import shipped_dir

if TYPE_CHECKING:
    from paperread.db import Reader

FORMAT = "paperread"
FORMAT_VERSION = 2

# Where papers go that a file names no category for (CSV rows with an empty cell, BibTeX).
UNCATEGORIZED = {"slug": "uncategorized", "name": "Uncategorized"}


def builtin_document() -> dict[str, Any]:
    """The paper-reading catalog shipped in data/catalog.json."""
    with (shipped_dir("data") / "catalog.json").open(encoding="utf-8") as fh:
        return json.load(fh)


def check_document(doc: Any, source: str = "document") -> None:
    """InputError unless ``doc`` is a catalog document of a version this code reads."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise InputError(f'{source} is not a paperread catalog document (no "format": "paperread")')
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version <= FORMAT_VERSION:
        raise InputError(
            f"{source} has format version {version!r}; this paperread reads versions 1 to {FORMAT_VERSION}",
            hint="upgrade paperread" if isinstance(version, int) and version > FORMAT_VERSION else None,
        )
    for name in ("categories", "papers", "videos"):
        if not isinstance(doc.get(name, []), list):
            raise InputError(f'{source} is not a paperread catalog document ("{name}" is not a list)')


# ---------------------------------------------------------------------------- dates and times


def utc(value: Any) -> dt.datetime | None:
    """A timestamp (ISO text or a datetime; naive means UTC) as an aware datetime in UTC."""
    if value is None:
        return None
    stamp = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    return stamp.replace(tzinfo=dt.UTC) if stamp.tzinfo is None else stamp.astimezone(dt.UTC)


def stamp_text(value: Any) -> str | None:
    """A timestamp (text from sqlite3, a datetime from PostgreSQL or a document) as a document
    writes it: ISO 8601 in UTC, microseconds kept when there are any."""
    if type(value) is str and len(value) == 26 and value[10] == " " and value[19] == ".":
        # SQLAlchemy's text on SQLite, always UTC ("2024-05-01 10:00:00.000000"): no parsing.
        micro = value[20:]
        return f"{value[:10]}T{value[11:19]}{'' if micro == '000000' else '.' + micro}+00:00"
    stamp = utc(value)
    return None if stamp is None else stamp.isoformat()


def day_text(value: Any) -> str | None:
    """A date (text from sqlite3, a date from PostgreSQL) as ISO ``YYYY-MM-DD``."""
    if value is None:
        return None
    return value[:10] if isinstance(value, str) else value.isoformat()


# ---------------------------------------------------------------------------- writing


def _paper_out(row: dict[str, Any], history: _PerPaper, reading: _PerPaper) -> dict[str, Any]:
    return {
        "key": row["key"],
        "cite_key": row["cite_key"],
        "title": row["title"],
        "year": row["year"],
        "category": row["category"],
        "url": row["url"],
        "description": row["description"],
        "s2_id": row["s2_id"],
        "arxiv_id": row["arxiv_id"],
        "doi": row["doi"],
        "authors": row["authors"],
        "venue": row["venue"],
        "publication_date": day_text(row["publication_date"]),
        "recorded": bool(row["recorded"]),
        "citations": row["citations"],
        "citations_fetched_at": stamp_text(row["citations_fetched_at"]),
        "citation_history": history.of(row["id"]),
        "reading": reading.of(row["id"]),
    }


def _reading_out(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "user": r["user_name"],
        "status": r["status"],
        "started_at": stamp_text(r["started_at"]),
        "read_at": stamp_text(r["read_at"]),
        "note": r["note"],
        "updated_at": stamp_text(r["updated_at"]),
    }


def _history_out(h: dict[str, Any]) -> dict[str, Any]:
    return {"count": h["citations"], "fetched_at": stamp_text(h["fetched_at"])}


class _PerPaper:
    """Rows of a table about papers (``queries.export_tables``' history or reading), in the papers'
    order, given out a paper at a time: ``of(paper_id)`` is that paper's rows, made by ``make``, when
    papers are asked for in that same order. Over a stream (``queries.export_beside``) an export
    holds one paper's rows, never the table's."""

    def __init__(self, rows: Iterable[dict[str, Any]], make: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
        self._groups = groupby(rows, key=itemgetter("paper_id"))
        self._make = make
        self._next: tuple[Any, Iterator[dict[str, Any]]] | None = None
        self._started = False

    def of(self, paper_id: int) -> list[dict[str, Any]]:
        if not self._started:
            self._started, self._next = True, next(self._groups, None)
        if self._next is None or self._next[0] != paper_id:
            return []
        out = [self._make(row) for row in self._next[1]]
        self._next = next(self._groups, None)
        return out


def document_videos(tables: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The videos of the whole catalog as the document has them, from ``queries.export_tables``'
    video tables (``export markdown`` needs no more of the document than these, the categories
    and the papers' rows)."""
    covers: dict[int, list[str]] = defaultdict(list)
    for link in tables["video_papers"]:
        covers[link["video_id"]].append(link["key"])
    watched: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for w in tables["watched"]:
        watched[w["video_id"]].append({"user": w["user_name"], "watched_at": stamp_text(w["watched_at"])})
    notes: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for n in tables["video_notes"]:
        notes[n["video_id"]].append(
            {"user": n["user_name"], "note": n["note"], "updated_at": stamp_text(n["updated_at"])}
        )
    return [
        {
            "date": day_text(v["date"]),
            "title": v["title"],
            "duration_seconds": v["duration_seconds"],
            "bilibili": v["bilibili"],
            "youtube": v["youtube"],
            "zhihu": v["zhihu"],
            "link": v["link"],
            "papers": covers.get(v["id"], []),
            "watched_by": watched.get(v["id"], []),
            **({"notes": notes[v["id"]]} if v["id"] in notes else {}),
        }
        for v in tables["videos"]
    ]


def document_parts(reader: Reader) -> tuple[list[dict[str, Any]], Iterator[dict[str, Any]], list[dict[str, Any]]]:
    """(categories, papers streamed, videos) of the whole catalog, in document order.

    On a server every table but the papers is read in one round trip, then the papers' cursor
    (a second). On SQLite, where a round trip costs nothing, each paper's citation history and
    reading state stream beside the papers instead: an export of a million papers does not hold
    800,000 history points and every note at once.
    """
    from paperread import queries

    if reader.pipelines:
        tables = queries.export_tables(reader)
        history = _PerPaper(tables.pop("citation_history"), _history_out)
        reading = _PerPaper(tables.pop("reading"), _reading_out)
    else:
        tables = queries.export_tables(reader, ("categories", *queries.VIDEO_TABLES))
        history = _PerPaper(queries.export_beside(reader, "citation_history"), _history_out)
        reading = _PerPaper(queries.export_beside(reader, "reading"), _reading_out)
    categories = [{"slug": c["slug"], "name": c["name"]} for c in tables["categories"]]
    videos = document_videos(tables)
    papers = (_paper_out(row, history, reading) for row in queries.export_papers(reader))
    return categories, papers, videos


def dump_document(reader: Reader) -> dict[str, Any]:
    """The whole catalog as a document (in memory: ``write_json`` streams instead)."""
    categories, papers, videos = document_parts(reader)
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "categories": categories,
        "papers": list(papers),
        "videos": videos,
    }


def write_json(reader: Reader, out: IO[str], *, fast: bool = True) -> dict[str, int]:
    """Write the whole catalog as a document, one category, paper or video a line, streaming
    the papers; returns how many of each were written.

    On SQLite (``fast``) each paper's text is made by SQLite (``queries.export_papers_json``),
    byte for byte what encoding its dict writes; the papers whose text it does not make (a value
    stored in another form) are read and encoded here."""
    if fast and reader.dialect == "sqlite":
        from paperread import queries

        tables = queries.export_tables(reader, ("categories", *queries.VIDEO_TABLES))
        categories = [{"slug": c["slug"], "name": c["name"]} for c in tables["categories"]]
        videos = document_videos(tables)
        papers: Iterable[list[str]] = _paper_chunks(reader, [c["id"] for c in tables["categories"]])
    else:
        categories, paper_dicts, videos = document_parts(reader)
        papers = _chunks(map(_ENCODE, paper_dicts))
    counts = {}
    out.write(f'{{"format": "{FORMAT}", "version": {FORMAT_VERSION},\n')
    parts: tuple[tuple[str, Iterable[list[str]], bool], ...] = (
        ("categories", _chunks(map(_ENCODE, categories)), False),
        ("papers", papers, False),
        ("videos", _chunks(map(_ENCODE, videos)), True),
    )
    for name, chunks, last in parts:
        out.write(f' "{name}": [')
        n = 0
        for chunk in chunks:
            out.write(("\n  " if n == 0 else ",\n  ") + ",\n  ".join(chunk))
            n += len(chunk)
        out.write(("\n ]" if n else "]") + ("}\n" if last else ",\n"))
        counts[name] = n
    return counts


_ENCODE = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode


def _chunks(items: Iterable[str]) -> Iterator[list[str]]:
    """``items`` a thousand at a time (never an empty list)."""
    chunk: list[str] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= 1000:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _paper_chunks(reader: Reader, category_ids: list[int]) -> Iterator[list[str]]:
    """The papers' texts in the document, in order, a batch at a time: SQLite's, the texts of a
    paper's reading states (streamed beside) put in its empty list; a paper with a value SQLite's
    text is not made for is read and encoded here."""
    from paperread import queries

    readings = (state for batch in queries.export_reading_json(reader) for state in batch)
    reading_id, reading = next(readings, (None, None))
    for batch in queries.export_papers_json(reader, category_ids):
        texts = []
        for paper_id, text in batch:
            if paper_id != reading_id:
                texts.append(text if text is not None else _paper_json(reader, paper_id))
                continue
            states = []
            while reading_id == paper_id:
                states.append(reading)
                reading_id, reading = next(readings, (None, None))
            if text is None or None in states:
                texts.append(_paper_json(reader, paper_id))
            else:  # ('... "reading": []}': the states go between the brackets)
                texts.append(text[:-2] + ", ".join(states) + "]}")  # type: ignore[arg-type]
        yield texts


def _paper_json(reader: Reader, paper_id: int) -> str:
    from paperread import queries

    row, history, reading = queries.export_paper(reader, paper_id)
    return _ENCODE(_paper_out(row, _PerPaper(history, _history_out), _PerPaper(reading, _reading_out)))
