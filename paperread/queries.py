"""Every read of the catalog, as portable SQL with :named parameters.

The same SQL text runs on a ``sqlite3`` connection (the light road that read commands
take on SQLite) and through SQLAlchemy ``text()`` (PostgreSQL, and parity tests), via
the small ``Reader`` protocol in ``paperread.db``. Only full-text search differs by
dialect. Functions return plain dicts with JSON-ready values; rendering is elsewhere.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from paperread.db import Reader
from paperread.errors import AmbiguousError, NotFoundError

# A paper is recorded when a video covers it, or when the list marks it done without one.
RECORDED = "(p.marked_recorded OR EXISTS (SELECT 1 FROM video_paper vp WHERE vp.paper_id = p.id))"

SORTS = {
    "category": "c.position, p.position, p.id",
    "year": "p.year IS NULL, p.year, c.position, p.position, p.id",
    "title": "lower(p.title), p.id",
    "citations": "p.citation_count IS NULL, p.citation_count DESC, p.id",
}

_PAPER_COLUMNS = f"""
    p.id, p.key, p.title, p.year, c.slug AS category, c.name AS category_name,
    CASE WHEN {RECORDED} THEN 1 ELSE 0 END AS recorded,
    p.citation_count AS citations, p.s2_id, p.arxiv_id, p.doi, p.url, p.description,
    r.status AS read_status
"""

_PAPER_FROM = """
    FROM paper p
    JOIN category c ON c.id = p.category_id
    LEFT JOIN reading r ON r.paper_id = p.id AND r.user_name = :user
"""


# ---------------------------------------------------------------------------- values


def iso_timestamp(value: Any) -> str | None:
    """Timestamps come back as text from sqlite3 and as datetimes from PostgreSQL."""
    if value is None:
        return None
    stamp = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.UTC)
    return stamp.astimezone(dt.UTC).isoformat(timespec="seconds")


def iso_date(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else value.isoformat()


def _paper(row: dict[str, Any]) -> dict[str, Any]:
    row["recorded"] = bool(row["recorded"])
    return row


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# ---------------------------------------------------------------------------- categories


def categories(reader: Reader) -> list[dict[str, Any]]:
    return reader.rows("SELECT id, slug, name, position FROM category ORDER BY position, id")


def category_slugs(reader: Reader) -> list[str]:
    """Every slug a --category may name: each category's and each parent's."""
    slugs: list[str] = []
    for cat in categories(reader):
        parts = cat["slug"].split("/")
        for depth in range(1, len(parts) + 1):
            slug = "/".join(parts[:depth])
            if slug not in slugs:
                slugs.append(slug)
    return slugs


def resolve_category(reader: Reader, name: str) -> str:
    """A slug, a parent slug (``vision``) or a category's name, to the slug it selects."""
    wanted = name.strip()
    cats = categories(reader)
    for cat in cats:
        if wanted.lower() == cat["slug"] or wanted == cat["name"]:
            return cat["slug"]
    for cat in cats:
        if cat["slug"].startswith(wanted.lower().rstrip("/") + "/"):
            return wanted.lower().rstrip("/")
        parent_name, sep, _ = cat["name"].partition(" - ")
        if sep and wanted == parent_name:
            return cat["slug"].split("/")[0]
    known = ", ".join(category_slugs(reader)) or "none yet"
    raise NotFoundError(f"unknown category '{name}'", hint=f"known categories: {known}")


def category_filter(slug: str | None) -> tuple[str, dict[str, Any]]:
    """SQL selecting a category and everything under it."""
    if slug is None:
        return "", {}
    return " AND (c.slug = :cat OR c.slug LIKE :cat_under)", {"cat": slug, "cat_under": slug + "/%"}


# ---------------------------------------------------------------------------- papers


def _paper_query(
    *,
    user: str,
    category: str | None = None,
    recorded: bool | None = None,
    year: int | None = None,
    since: int | None = None,
    search_ids: str | None = None,
    read_status: str | None = None,
    sort: str = "category",
    limit: int | None = None,
) -> tuple[str, dict[str, Any]]:
    where, params = category_filter(category)
    params["user"] = user
    if recorded is not None:
        where += f" AND {'' if recorded else 'NOT '}{RECORDED}"
    if year is not None:
        where += " AND p.year = :year"
        params["year"] = year
    if since is not None:
        where += " AND p.year >= :since"
        params["since"] = since
    if read_status == "unread":
        where += " AND (r.status IS NULL OR r.status <> 'read')"
    elif read_status is not None:
        where += " AND r.status = :read_status"
        params["read_status"] = read_status
    if search_ids is not None:
        where += f" AND p.id IN ({search_ids})"
    sql = f"SELECT {_PAPER_COLUMNS} {_PAPER_FROM} WHERE 1=1{where} ORDER BY {SORTS[sort]}"
    if limit is not None:
        sql += " LIMIT :limit"
        params["limit"] = limit
    return sql, params


def search_ids_sql(reader: Reader, text: str) -> tuple[str, dict[str, Any]]:
    """A subquery of paper ids matching ``text`` in key, title, description or authors.

    SQLite: the FTS5 trigram index (substrings of 3+ characters); shorter words fall
    back to LIKE. PostgreSQL: case-insensitive substring match.
    """
    if reader.dialect == "sqlite" and len(text.strip()) >= 3:
        phrase = '"' + text.strip().replace('"', '""') + '"'
        return "SELECT rowid FROM paper_fts WHERE paper_fts MATCH :q", {"q": phrase}
    sql = """SELECT p2.id FROM paper p2 WHERE lower(p2.key) LIKE :q ESCAPE '\\'
             OR lower(p2.title) LIKE :q ESCAPE '\\' OR lower(coalesce(p2.description, '')) LIKE :q ESCAPE '\\'
             OR lower(coalesce(p2.authors, '')) LIKE :q ESCAPE '\\'"""
    return sql, {"q": _like(text.strip())}


def papers(reader: Reader, *, search: str | None = None, **filters: Any) -> list[dict[str, Any]]:
    return list(iter_papers(reader, search=search, **filters))


def iter_papers(reader: Reader, *, search: str | None = None, **filters: Any) -> Iterator[dict[str, Any]]:
    """Papers matching the filters, streamed (``list --json`` of 100,000 rows stays small)."""
    params: dict[str, Any] = {}
    if search is not None:
        sub, params = search_ids_sql(reader, search)
        filters["search_ids"] = sub
    sql, more = _paper_query(**filters)
    params.update(more)
    for row in reader.stream(sql, params):
        yield _paper(row)


def resolve_paper(reader: Reader, name: str) -> dict[str, Any]:
    """A paper named by key, Semantic Scholar id, arXiv id, or a title fragment matching one."""
    wanted = name.strip()
    base = "SELECT p.id, p.key, p.title FROM paper p WHERE "
    for sql, value in (
        ("p.key = :v", wanted.lower()),
        ("p.s2_id = :v", wanted.lower()),
        ("lower(p.title) = :v", wanted.lower()),
    ):
        rows = reader.rows(base + sql, {"v": value})
        if len(rows) == 1:
            return rows[0]
    arxiv = _as_arxiv(wanted)
    if arxiv:
        rows = reader.rows(base + "p.arxiv_id = :v", {"v": arxiv})
        if len(rows) == 1:
            return rows[0]
    rows = reader.rows(base + "lower(p.title) LIKE :v ESCAPE '\\' ORDER BY p.key LIMIT 11", {"v": _like(wanted)})
    if len(rows) == 1:
        return rows[0]
    if not rows:
        raise NotFoundError(
            f"no paper matches '{name}'",
            hint="name a paper by key, S2 id, arXiv id or a title fragment; 'paperread list' shows keys",
        )
    shown = ", ".join(f"{r['key']} ({r['title']})" for r in rows[:10])
    more = " ..." if len(rows) > 10 else ""
    raise AmbiguousError(f"'{name}' matches several papers: {shown}{more}", hint="name one by its key")


def _as_arxiv(text: str) -> str | None:
    from paperread.values import normalize_arxiv_id

    try:
        return normalize_arxiv_id(text)
    except Exception:
        return None


def paper_detail(reader: Reader, paper_id: int, *, user: str) -> dict[str, Any]:
    """Everything about one paper: row, videos, citation history and the user's reading."""
    row = reader.rows(
        f"""SELECT {_PAPER_COLUMNS}, p.authors, p.venue, p.publication_date, p.citations_fetched_at,
                   p.marked_recorded, p.created_at, p.updated_at, p.version,
                   r.note, r.started_at, r.read_at
            {_PAPER_FROM} WHERE p.id = :id""",
        {"id": paper_id, "user": user},
    )[0]
    paper = _paper(row)
    paper["marked_recorded"] = bool(paper["marked_recorded"])
    for key in ("citations_fetched_at", "created_at", "updated_at", "started_at", "read_at"):
        paper[key] = iso_timestamp(paper[key])
    paper["publication_date"] = iso_date(paper["publication_date"])
    paper["videos"] = [
        _video(v)
        for v in reader.rows(
            """SELECT v.id, v.date, v.title, v.duration_seconds, v.bilibili, v.youtube, v.zhihu, v.link
               FROM video v JOIN video_paper vp ON vp.video_id = v.id
               WHERE vp.paper_id = :id ORDER BY v.date, v.id""",
            {"id": paper_id},
        )
    ]
    paper["citation_history"] = [
        {"count": h["citations"], "fetched_at": iso_timestamp(h["fetched_at"])}
        for h in reader.rows(
            "SELECT citations, fetched_at FROM citation_history WHERE paper_id = :id ORDER BY fetched_at, id",
            {"id": paper_id},
        )
    ]
    return paper


def paper_keys(reader: Reader, prefix: str = "", limit: int = 200) -> list[dict[str, Any]]:
    """Keys for Tab completion, with titles as help text."""
    return reader.rows(
        "SELECT key, title FROM paper WHERE key LIKE :p ESCAPE '\\' ORDER BY key LIMIT :n",
        {"p": prefix.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%", "n": limit},
    )


# ---------------------------------------------------------------------------- videos


def _video(row: dict[str, Any]) -> dict[str, Any]:
    row["date"] = iso_date(row["date"])
    return row


def videos(reader: Reader, *, category: str | None = None) -> list[dict[str, Any]]:
    """Videos by date with the papers each covers; with a category, those covering one of its papers."""
    where, params = category_filter(category)
    if category is not None:
        where = f"""WHERE v.id IN (SELECT vp.video_id FROM video_paper vp JOIN paper p ON p.id = vp.paper_id
                    JOIN category c ON c.id = p.category_id WHERE 1=1{where})"""
    rows = [
        _video(v)
        for v in reader.rows(
            f"""SELECT v.id, v.date, v.title, v.duration_seconds, v.bilibili, v.youtube, v.zhihu, v.link
                FROM video v {where} ORDER BY v.date, v.id""",
            params,
        )
    ]
    covered: dict[int, list[dict[str, Any]]] = {}
    for link in reader.rows(
        f"""SELECT vp.video_id, p.key, p.title FROM video_paper vp JOIN paper p ON p.id = vp.paper_id
            JOIN video v ON v.id = vp.video_id {where} ORDER BY vp.video_id, vp.position, p.key""",
        params,
    ):
        covered.setdefault(link["video_id"], []).append({"key": link["key"], "title": link["title"]})
    for v in rows:
        v["papers"] = covered.get(v["id"], [])
    return rows


# ---------------------------------------------------------------------------- stats


def stats(reader: Reader, *, user: str) -> dict[str, Any]:
    """Figures computed from the rows: never stored, so they cannot drift."""
    cats = reader.rows(
        f"""SELECT c.slug, c.name, COUNT(p.id) AS papers,
                   COALESCE(SUM(CASE WHEN {RECORDED} THEN 1 ELSE 0 END), 0) AS recorded
            FROM category c LEFT JOIN paper p ON p.category_id = c.id
            GROUP BY c.id, c.slug, c.name, c.position ORDER BY c.position, c.id"""
    )
    video = reader.rows("SELECT COUNT(*) AS n, COALESCE(SUM(duration_seconds), 0) AS seconds FROM video")[0]
    mine = reader.rows(
        """SELECT COALESCE(SUM(CASE WHEN status = 'read' THEN 1 ELSE 0 END), 0) AS read,
                  COALESCE(SUM(CASE WHEN status = 'reading' THEN 1 ELSE 0 END), 0) AS reading
           FROM reading WHERE user_name = :user""",
        {"user": user},
    )[0]
    left = reader.rows(
        """SELECT COUNT(*) AS n, COALESCE(SUM(v.duration_seconds), 0) AS seconds FROM video v
           WHERE NOT EXISTS (SELECT 1 FROM watched w WHERE w.video_id = v.id AND w.user_name = :user)""",
        {"user": user},
    )[0]
    papers = sum(c["papers"] for c in cats)
    return {
        "papers": papers,
        "recorded": sum(c["recorded"] for c in cats),
        "videos": video["n"],
        "video_seconds": video["seconds"],
        "read": mine["read"],
        "reading": mine["reading"],
        "videos_unwatched": left["n"],
        "video_seconds_left": left["seconds"],
        "categories": [{k: c[k] for k in ("slug", "name", "papers", "recorded")} for c in cats],
    }
