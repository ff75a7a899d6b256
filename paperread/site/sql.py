"""Every read the site makes, as portable SQL with :named parameters (SQLite and PostgreSQL).

Papers are streamed in catalog order (category, then position), and the citation history
beside them in the same order: a build holds one page of rows at a time. Videos and their
links to papers are small beside them (one video per 15 papers) and are read whole.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from paperread import queries
from paperread.db import Reader


def paper_count(reader: Reader) -> int:
    return int(reader.rows("SELECT COUNT(*) AS n FROM paper")[0]["n"])


def categories(reader: Reader) -> list[dict[str, Any]]:
    """Categories in catalog order, with their papers and recorded papers (the figures the
    database keeps: ``category_figures``, no count of the papers here)."""
    rows = reader.rows(
        """SELECT c.id, c.slug, c.name, COALESCE(f.papers, 0) AS papers, COALESCE(f.recorded, 0) AS recorded
           FROM category c LEFT JOIN category_figures f ON f.category_id = c.id ORDER BY c.position, c.id"""
    )
    for row in rows:
        row["papers"], row["recorded"] = int(row["papers"]), int(row["recorded"])
    return rows


def categories_with_citations(reader: Reader) -> set[int]:
    """The categories holding a paper with a citation count (their pages show the column): each
    found at its first such paper."""
    return {
        int(r["id"])
        for r in reader.rows(
            """SELECT c.id FROM category c WHERE EXISTS
               (SELECT 1 FROM paper p WHERE p.category_id = c.id AND p.citation_count IS NOT NULL)"""
        )
    }


def papers(reader: Reader) -> Iterator[dict[str, Any]]:
    """Every paper in catalog order, streamed; ``marked`` is the recorded-without-a-video mark."""
    return reader.stream(
        """SELECT p.id, p.key, p.title, p.year, p.category_id, p.url, p.description, p.s2_id, p.arxiv_id,
                  p.doi, p.authors, p.venue, p.publication_date, p.marked_recorded AS marked,
                  p.citation_count AS citations, p.citations_fetched_at AS fetched_at
           FROM paper p JOIN category c ON c.id = p.category_id
           ORDER BY c.position, c.id, p.position, p.id"""
    )


def videos(reader: Reader) -> list[dict[str, Any]]:
    """Every video, newest first, with its view counts on bilibili and YouTube (None when
    ``sync-views`` has not stored one): each a join on ``video_views``' key, so one pass."""
    rows = reader.rows(
        f"""SELECT v.id, v.date, v.title, v.duration_seconds, v.bilibili, v.youtube, v.zhihu, v.link,
                   {queries.VIEW_COLUMNS}
            FROM video v {queries.VIEW_JOINS} ORDER BY v.date DESC, v.id DESC"""
    )
    for row in rows:
        row["date"] = queries.iso_date(row["date"])
    return rows


def video_papers(reader: Reader) -> list[dict[str, Any]]:
    """Which papers each video covers, in the video's own order."""
    return reader.rows(
        """SELECT vp.video_id, vp.paper_id, p.key, p.title FROM video_paper vp JOIN paper p ON p.id = vp.paper_id
           ORDER BY vp.video_id, vp.position, vp.paper_id"""
    )


def citation_history(reader: Reader) -> Iterator[dict[str, Any]]:
    """Every recorded citation count, streamed in the order of ``papers`` (then by time), so a
    build takes each paper's points as it comes to the paper and never holds them all."""
    return reader.stream(
        """SELECT h.paper_id, h.citations, h.fetched_at
           FROM paper p JOIN category c ON c.id = p.category_id JOIN citation_history h ON h.paper_id = p.id
           ORDER BY c.position, c.id, p.position, p.id, h.fetched_at, h.id"""
    )


def reading(reader: Reader, user: str) -> list[dict[str, Any]]:
    """One user's reading state and notes (only read for ``--with-notes``)."""
    return reader.rows(
        "SELECT paper_id, status, note, read_at FROM reading WHERE user_name = :user",
        {"user": user},
    )


def trending(reader: Reader, *, since: dt.datetime, limit: int) -> list[dict[str, Any]]:
    """The papers gaining most citations since ``since`` (as ``paperread trending`` ranks them)."""
    return queries.trending(reader, since=since, limit=limit)
