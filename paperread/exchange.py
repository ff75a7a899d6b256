"""The catalog document: paperread's lossless JSON form of a whole catalog.

``export json`` writes it, ``import`` reads it, and data/catalog.json (the built-in
catalog) is one. Format version 1::

    {"format": "paperread", "version": 1,
     "categories": [{"slug", "name"}],
     "papers": [{"key", "title", "year", "category", "url", "description", "s2_id",
                 "arxiv_id", "doi", "authors", "venue", "publication_date", "recorded",
                 "citations", "citations_fetched_at",
                 "citation_history": [{"count", "fetched_at"}],
                 "reading": [{"user", "status", "started_at", "read_at", "note"}]}],
     "videos": [{"date", "title", "duration_seconds", "bilibili", "youtube", "zhihu",
                 "link", "papers": [key, ...], "watched_by": [{"user", "watched_at"}]}]}
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import Connection, insert, select

from paperread.errors import InputError
from paperread.models import CitationHistory, Category, Paper, Reading, Video, VideoPaper, Watched, utcnow
from paperread.resources import shipped_dir

FORMAT = "paperread"
FORMAT_VERSION = 1


def builtin_document() -> dict[str, Any]:
    """The paper-reading catalog shipped in data/catalog.json."""
    with (shipped_dir("data") / "catalog.json").open(encoding="utf-8") as fh:
        return json.load(fh)


def check_document(doc: Any, source: str = "document") -> None:
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise InputError(f"{source} is not a paperread catalog document (no \"format\": \"paperread\")")
    version = doc.get("version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise InputError(
            f"{source} has format version {version!r}; this paperread reads versions 1 to {FORMAT_VERSION}",
            hint="upgrade paperread",
        )


def parse_timestamp(value: str | None) -> dt.datetime | None:
    """ISO timestamps from a document; naive ones are taken as UTC."""
    if value is None:
        return None
    stamp = dt.datetime.fromisoformat(value)
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def load_document(conn: Connection, doc: dict[str, Any]) -> dict[str, int]:
    """Bulk-insert a whole document into an empty catalog, inside the caller's transaction.

    Uses Core ``INSERT ... executemany`` (not one ORM object per row) so that a
    100,000-paper catalog loads in seconds. Returns the number of rows per kind.
    """
    check_document(doc)
    now = utcnow()
    cat_rows = [{"slug": c["slug"], "name": c["name"], "position": i} for i, c in enumerate(doc["categories"])]
    if cat_rows:
        conn.execute(insert(Category.__table__), cat_rows)
    cat_ids = dict(conn.execute(select(Category.__table__.c.slug, Category.__table__.c.id)).all())

    covered = {key for video in doc.get("videos", []) for key in video.get("papers", [])}
    positions: dict[str, int] = {}
    paper_rows = []
    for p in doc["papers"]:
        position = positions[p["category"]] = positions.get(p["category"], -1) + 1
        paper_rows.append(
            {
                "key": p["key"],
                "title": p["title"],
                "year": p.get("year"),
                "category_id": cat_ids[p["category"]],
                "url": p.get("url"),
                "description": p.get("description"),
                "s2_id": p.get("s2_id"),
                "arxiv_id": p.get("arxiv_id"),
                "doi": p.get("doi"),
                "authors": p.get("authors"),
                "venue": p.get("venue"),
                "publication_date": _date(p.get("publication_date")),
                # Recorded with no video we can name: the list says so, no video row shows it.
                "marked_recorded": bool(p.get("recorded")) and p["key"] not in covered,
                "citation_count": p.get("citations"),
                "citations_fetched_at": parse_timestamp(p.get("citations_fetched_at")),
                "position": position,
                "created_at": now,
                "updated_at": now,
                "version": 1,
            }
        )
    if paper_rows:
        conn.execute(insert(Paper.__table__), paper_rows)
    paper_ids = dict(conn.execute(select(Paper.__table__.c.key, Paper.__table__.c.id)).all())

    history = [
        {"paper_id": paper_ids[p["key"]], "citations": h["count"], "fetched_at": parse_timestamp(h["fetched_at"])}
        for p in doc["papers"]
        for h in p.get("citation_history", [])
    ]
    if history:
        conn.execute(insert(CitationHistory.__table__), history)
    reading = [
        {
            "user_name": r["user"],
            "paper_id": paper_ids[p["key"]],
            "status": r.get("status"),
            "started_at": parse_timestamp(r.get("started_at")),
            "read_at": parse_timestamp(r.get("read_at")),
            "note": r.get("note"),
            "updated_at": now,
        }
        for p in doc["papers"]
        for r in p.get("reading", [])
    ]
    if reading:
        conn.execute(insert(Reading.__table__), reading)

    links: list[dict[str, Any]] = []
    watched: list[dict[str, Any]] = []
    videos = doc.get("videos", [])
    for v in videos:
        video_id = conn.execute(
            insert(Video.__table__).returning(Video.__table__.c.id),
            {
                "title": v["title"],
                "date": _date(v["date"]),
                "duration_seconds": v.get("duration_seconds"),
                "bilibili": v.get("bilibili"),
                "youtube": v.get("youtube"),
                "zhihu": v.get("zhihu"),
                "link": v.get("link"),
                "created_at": now,
            },
        ).scalar_one()
        links += [
            {"video_id": video_id, "paper_id": paper_ids[key], "position": i}
            for i, key in enumerate(v.get("papers", []))
        ]
        watched += [
            {"user_name": w["user"], "video_id": video_id, "watched_at": parse_timestamp(w["watched_at"])}
            for w in v.get("watched_by", [])
        ]
    if links:
        conn.execute(insert(VideoPaper.__table__), links)
    if watched:
        conn.execute(insert(Watched.__table__), watched)
    return {"categories": len(cat_rows), "papers": len(paper_rows), "videos": len(videos)}
