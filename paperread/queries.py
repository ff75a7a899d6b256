"""Every read of the catalog, as portable SQL with :named parameters.

The same SQL text runs on a ``sqlite3`` connection (the light road that read commands
take on SQLite), on a psycopg connection (``paperread.pgread``: PostgreSQL) and through
SQLAlchemy ``text()`` (inside a write's transaction, and parity tests), via the small
``Reader`` protocol in ``paperread.db``. Full-text search differs by dialect, and so does
how the statements travel: SQLite walks the category order one category at a time, and
resolves a name one way after another, where each statement is nearly free; a server gets
one sorted statement, and independent statements together (``Reader.many``: one round
trip). Functions return plain dicts with JSON-ready values; rendering is elsewhere.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from paperread.db import Reader
from paperread.errors import AmbiguousError, InputError, NotFoundError

# A paper is recorded when a video covers it, or when the list marks it done without one.
RECORDED = "(p.marked_recorded OR EXISTS (SELECT 1 FROM video_paper vp WHERE vp.paper_id = p.id))"

SORTS = {
    "category": "c.position, c.id, p.position, p.id",
    "year": "p.year IS NULL, p.year, c.position, p.position, p.id",
    "title": "lower(p.title){binary}, p.id",
    "citations": "p.citation_count IS NULL, p.citation_count DESC, p.id",
    # Within one category (see _iter_by_category): the order of ix_paper_category_id_position.
    "position": "p.position, p.id",
}


def binary_order(reader: Reader) -> str:
    """Appended to a text ORDER BY term: code-point order, as SQLite's BINARY sorts, on
    PostgreSQL too, whatever the server's locale (en_US would put 'a-c' before 'ab')."""
    return ' COLLATE "C"' if reader.dialect == "postgresql" else ""


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


_CATEGORIES_SQL = "SELECT id, slug, name, position FROM category ORDER BY position, id"


def categories(reader: Reader) -> list[dict[str, Any]]:
    return reader.rows(_CATEGORIES_SQL)


def category_slugs(reader: Reader) -> list[str]:
    """Every slug a --category may name: each category's and each parent's."""
    return _slugs(categories(reader))


def _slugs(cats: list[dict[str, Any]]) -> list[str]:
    slugs: list[str] = []
    for cat in cats:
        parts = cat["slug"].split("/")
        for depth in range(1, len(parts) + 1):
            slug = "/".join(parts[:depth])
            if slug not in slugs:
                slugs.append(slug)
    return slugs


def _group_name(name: str) -> str | None:
    """The group a "Group - Child" name implies ('计算机视觉' of '计算机视觉 - CNN'), if any."""
    group, sep, _ = name.partition(" - ")
    return group if sep else None


def resolve_category(reader: Reader, name: str) -> str:
    """A slug, a parent slug (``vision``) or a category's name, to the slug it selects.

    Slugs come first (case aside, a trailing '/' ignored): a category's slug, then a group's
    (the prefix of its sub-categories' slugs); then names: a category's own, then a group's
    ('计算机视觉', from '计算机视觉 - CNN'). ``category_clashes`` keeps the writes from making
    one text name two different things, so the order only matters in a catalog made before.
    """
    return _resolve_category(categories(reader), name)


def _resolve_category(cats: list[dict[str, Any]], name: str) -> str:
    wanted = name.strip()
    folded = wanted.lower().rstrip("/")
    if folded:
        for cat in cats:
            if cat["slug"] == folded:
                return folded
        for cat in cats:
            if cat["slug"].startswith(folded + "/"):
                return folded
    for cat in cats:
        if wanted == cat["name"]:
            return cat["slug"]
    for cat in cats:
        if wanted == _group_name(cat["name"]):
            return cat["slug"].split("/")[0]
    known = ", ".join(_slugs(cats)) or "none yet"
    raise NotFoundError(f"unknown category '{name}'", hint=f"known categories: {known}")


def category_clashes(cats: Iterable[tuple[str, str]]) -> dict[str, tuple[frozenset[str], str]]:
    """Texts that would name two different things, given categories as (slug, name) pairs.

    ``resolve_category`` reads a text as a slug (a category's or a group's, case aside), else
    as a name (a category's, or a group's from "Group - Child" names). A text is ambiguous
    when it selects different slugs in two of those ways: a name that is another category's
    slug or a group's (``vision``), or that lower-cased is one (``Vision``); a name that is
    also a group name implying another slug; a group name two groups imply. Returns, for each
    such text, the slugs it could select and one line saying what they are.
    """
    pairs = list(cats)
    slug_space: dict[str, str] = {}  # slug or group prefix -> what it is
    for slug, _ in pairs:
        slug_space[slug] = f"category '{slug}' by its slug"
    for slug, _ in pairs:
        parts = slug.split("/")
        for depth in range(1, len(parts)):
            prefix = "/".join(parts[:depth])
            if prefix not in slug_space:
                under = [s for s, _ in pairs if s.startswith(prefix + "/")]
                shown = ", ".join(under[:3]) + (", ..." if len(under) > 3 else "")
                slug_space[prefix] = f"the group '{prefix}' ({shown})"
    meanings: dict[str, dict[str, str]] = {}  # name text -> selected slug -> what it is
    for slug, name in pairs:
        meanings.setdefault(name, {})[slug] = f"category '{slug}' by its name"
    for slug, name in pairs:
        group = _group_name(name)
        if group is not None:
            top = slug.split("/")[0]
            meanings.setdefault(group, {}).setdefault(top, f"the group '{top}' (from the name '{name}')")
    clashes: dict[str, tuple[frozenset[str], str]] = {}
    for text, targets in meanings.items():
        folded = text.lower().rstrip("/")
        if folded in slug_space and folded not in targets:
            targets = {folded: slug_space[folded], **targets}
        if len(targets) > 1:
            what = list(targets.values())
            clashes[text] = (frozenset(targets), f"'{text}' would name both {what[0]} and {what[1]}")
    return clashes


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
    binary: str = "",
    category_id: int | None = None,
) -> tuple[str, dict[str, Any]]:
    where, params = category_filter(category)
    params["user"] = user
    if category_id is not None:
        where += " AND p.category_id = :category_id"
        params["category_id"] = category_id
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
    sql = f"SELECT {_PAPER_COLUMNS} {_PAPER_FROM} WHERE 1=1{where} ORDER BY {SORTS[sort].format(binary=binary)}"
    if limit is not None:
        sql += " LIMIT :limit"
        params["limit"] = limit
    return sql, params


def search_ids_sql(reader: Reader, text: str, *, user: str | None = None) -> tuple[str, dict[str, Any]]:
    """A subquery of paper ids matching ``text`` in key, title, description or authors,
    and, given a ``user``, in that user's own notes (on the paper, or on a video covering it).

    Case-insensitive in the Unicode sense on both back ends (``École`` finds ``école``).
    SQLite: the FTS5 trigram index of migration 0003 (one text per paper, its fields joined
    by line breaks) finds the papers holding every trigram of the text, then each is checked
    for the whole text (with LIKE, or in ``paperread_lower`` of the text when the words hold
    letters beyond ASCII with a case: ``db.add_functions``); words shorter than 3
    characters, and text holding a line break, are matched by the scan below instead. PostgreSQL: the same match with LIKE on
    ``lower(col)``, served by migration 0002's GIN trigram indexes on exactly those
    expressions (keep them in step; a NULL column matches nothing). Notes are matched with
    LIKE on both; on SQLite the candidates come from migration 0008's trigram indexes of the
    notes when they answer alike (``note_index_serves``).
    """
    needle = text.strip()
    sqlite = reader.dialect == "sqlite"
    # SQLite's LIKE and lower() fold ASCII letters only: enough unless the text has other
    # letters with a case (É, ß, Ж); then the Python function, which is slower.
    unicode_case = sqlite and any(not ch.isascii() and ch.lower() != ch.upper() for ch in needle)
    lower = "paperread_lower" if unicode_case else "lower"
    if sqlite and len(needle) >= 3 and "\n" not in needle:
        if unicode_case:
            sql = "SELECT rowid FROM paper_fts WHERE paper_fts MATCH :q AND instr(paperread_lower(body), :folded) > 0"
        else:
            # Each candidate checked field by field in the paper's own row, not in its text as the
            # index's view makes it (the same match: the text holds no line break, the fields'
            # separator; a quarter less time at 1,000,000 papers, 'transformer').
            sql = """SELECT p1.id FROM paper p1 WHERE p1.id IN (SELECT rowid FROM paper_fts WHERE paper_fts MATCH :q)
                 AND (p1.key LIKE :folded ESCAPE '\\' OR p1.title LIKE :folded ESCAPE '\\'
                      OR p1.description LIKE :folded ESCAPE '\\' OR p1.authors LIKE :folded ESCAPE '\\')"""
        params = {
            "q": _trigram_query(needle),
            "folded": needle.lower() if unicode_case else _like(needle),
        }
    else:
        sql = f"""SELECT p2.id FROM paper p2 WHERE {lower}(p2.key) LIKE :q ESCAPE '\\'
             OR {lower}(p2.title) LIKE :q ESCAPE '\\' OR {lower}(p2.description) LIKE :q ESCAPE '\\'
             OR {lower}(p2.authors) LIKE :q ESCAPE '\\'"""
        params = {"q": _like(needle)}
    if user is not None:
        sql += " UNION " + _note_ids_sql(needle, sqlite=sqlite, unicode_case=unicode_case)
        params.update(note_user=user, note_q=_like(needle))
        if note_index_serves(needle, sqlite=sqlite, unicode_case=unicode_case):
            params["note_fts"] = _trigram_query(needle)
    return sql, params


def note_index_serves(needle: str, *, sqlite: bool, unicode_case: bool) -> bool:
    """Whether the notes' trigram indexes (migration 0008) answer for ``needle``: on SQLite, for
    text of 3 characters or more whose letters with a case are ASCII ones (the notes are then
    checked with LIKE, which folds ASCII letters only; FTS5 folds those alike, so every note
    LIKE would match holds the text's trigrams). Other text scans the notes, as before: FTS5's
    case folding follows SQLite's Unicode tables, not Python's ``lower`` that such text is
    matched with (İ, ς, letters newer than SQLite's tables)."""
    return sqlite and not unicode_case and len(needle) >= 3


def _note_ids_sql(needle: str, *, sqlite: bool, unicode_case: bool, indexed: bool | None = None) -> str:
    """The ids of the papers whose notes (``:note_user``'s, on the paper or on a video covering
    it) match ``:note_q``; with ``indexed`` (by default ``note_index_serves``), the candidates
    come from the trigram indexes (``:note_fts``), each checked with the same LIKE."""
    if indexed is None:
        indexed = note_index_serves(needle, sqlite=sqlite, unicode_case=unicode_case)
    # SQLite's LIKE folds ASCII letters itself, as its lower() does: no copy of each note is
    # made lower first (a fifth of the time of matching 50,000 notes).
    folded = "{}" if sqlite and not unicode_case else f"{'paperread_lower' if unicode_case else 'lower'}({{}})"
    # Indexed, the rows are looked up by the ids the index gives, not walked through the user's
    # (the unary + keeps SQLite from taking the user_name index and testing each row's id).
    user = "+" if indexed else ""
    reading = video = ""
    if indexed:
        reading = " AND r2.id IN (SELECT rowid FROM reading_note_fts WHERE reading_note_fts MATCH :note_fts)"
        video = " AND vn2.id IN (SELECT rowid FROM video_note_fts WHERE video_note_fts MATCH :note_fts)"
    return f"""SELECT r2.paper_id FROM reading r2
             WHERE {user}r2.user_name = :note_user AND {folded.format("r2.note")} LIKE :note_q ESCAPE '\\'{reading}
             UNION SELECT vp2.paper_id FROM video_note vn2 JOIN video_paper vp2 ON vp2.video_id = vn2.video_id
             WHERE {user}vn2.user_name = :note_user AND {folded.format("vn2.note")} LIKE :note_q ESCAPE '\\'{video}"""


def _trigram_query(needle: str) -> str:
    """An FTS5 query for the rows holding every trigram of ``needle`` (3 characters or more):
    the trigrams side by side and the last one, not every overlapping one (each candidate is
    checked for the whole text: FTS5 reads every trigram's list of rows; at 1,000,000 papers,
    'transformer': 4 lists instead of 9, a sixth less time)."""
    trigrams = dict.fromkeys([*(needle[i : i + 3] for i in range(0, len(needle) - 2, 3)), needle[-3:]])
    return " AND ".join('"' + t.replace('"', '""') + '"' for t in trigrams)


def papers(reader: Reader, *, search: str | None = None, **filters: Any) -> list[dict[str, Any]]:
    return list(iter_papers(reader, search=search, **filters))


def iter_papers(reader: Reader, *, search: str | None = None, **filters: Any) -> Iterator[dict[str, Any]]:
    """Papers matching the filters, streamed (``list --json`` of 100,000 rows stays small).

    In the category order SQLite walks one category at a time (``_iter_by_category``); a
    server sorts in one statement (one round trip), as it does every other order."""
    if search is None and filters.get("sort", "category") == "category" and reader.dialect == "sqlite":
        yield from _iter_by_category(reader, **filters)
        return
    sql, params = _papers_sql(reader, search=search, **filters)
    for row in reader.stream(sql, params):
        yield _paper(row)


def _papers_sql(reader: Reader, *, search: str | None = None, **filters: Any) -> tuple[str, dict[str, Any]]:
    params: dict[str, Any] = {}
    if search is not None:
        sub, params = search_ids_sql(reader, search, user=filters.get("user"))
        filters["search_ids"] = sub
    sql, more = _paper_query(binary=binary_order(reader), **filters)
    params.update(more)
    return sql, params


# Up to this --limit, a server is asked for the papers of the category a name would be if it
# were a slug along with the categories (one round trip): the rows are bounded by it.
GUESS_LIMIT = 1000


def papers_in(reader: Reader, category: str | None, **filters: Any) -> Iterator[dict[str, Any]]:
    """``iter_papers`` of the category ``category`` names (``resolve_category``), None for all.

    The name is resolved before this returns (an unknown one raises here, before any row is
    shown). On a reader that pipelines, with a small --limit, the papers of the category the name names as a
    slug (``vision``: the usual case) are asked for with the categories themselves, and used
    when it is one: one round trip instead of two."""
    if category is None:
        return iter_papers(reader, **filters)
    limit = filters.get("limit")
    if not reader.pipelines or limit is None or limit > GUESS_LIMIT:
        return iter_papers(reader, category=resolve_category(reader, category), **filters)
    guess = category.strip().lower().rstrip("/")
    sql, params = _papers_sql(reader, category=guess, **filters)
    cats, rows = reader.many([(_CATEGORIES_SQL, None), (sql, params)])
    slug = _resolve_category(cats, category)
    if slug == guess:
        return (_paper(row) for row in rows)
    return iter_papers(reader, category=slug, **filters)


def _iter_by_category(
    reader: Reader, *, category: str | None = None, limit: int | None = None, sort: str = "category", **filters: Any
) -> Iterator[dict[str, Any]]:
    """The category order, one category at a time: each query walks ix_paper_category_id_position
    in order (no sort of every row) and a LIMIT ends the walk as soon as it is reached, so
    ``list -c vision -n 50`` reads 50 rows of 100,000. One SQL statement cannot do this: the
    order starts with category.position, which no index on paper holds, so SQLite would sort
    every matching row first. Categories are few (one query each)."""
    remaining = limit
    for cat in categories(reader):
        if category is not None and cat["slug"] != category and not cat["slug"].startswith(category + "/"):
            continue
        sql, params = _paper_query(category_id=cat["id"], sort="position", limit=remaining, **filters)
        for row in reader.stream(sql, params):
            if remaining is not None:
                remaining -= 1
            yield _paper(row)
        if remaining == 0:
            return


def resolve_paper(reader: Reader, name: str) -> dict[str, Any]:
    """A paper named by key, Semantic Scholar id, arXiv id, DOI, or a title fragment matching one.

    Each way of naming is tried in that order; the first that finds exactly one paper wins:
    one statement at a time, stopping at the first found, unless the reader sends statements
    together (``Reader.pipelines``): then all of them at once, in one round trip."""
    tiers = _name_tiers(reader, name)
    if reader.pipelines:
        return _resolved(name, reader.many(tiers))
    done: list[list[dict[str, Any]]] = []
    for sql, params in tiers:
        done.append(reader.rows(sql, params))
        if len(done[-1]) == 1:
            break
    return _resolved(name, done)


def _name_tiers(reader: Reader, name: str) -> list[tuple[str, dict[str, Any] | None]]:
    """The statements ``resolve_paper`` tries, in order; the last lists up to 11 title matches."""
    wanted = name.strip()
    if not wanted:
        raise InputError(
            "the paper name is empty", hint="name a paper by its key, S2 id, arXiv id, DOI or part of its title"
        )
    base = "SELECT p.id, p.key, p.title FROM paper p WHERE "
    tiers: list[tuple[str, dict[str, Any] | None]] = [
        (base + "p.key = :v", {"v": wanted.lower()}),
        (base + "p.s2_id = :v", {"v": wanted.lower()}),
        (base + "lower(p.title) = :v", {"v": wanted.lower()}),
    ]
    for column, parsed in (
        ("arxiv_id", _as_id(wanted, "normalize_arxiv_id")),
        ("doi", _as_id(wanted, "normalize_doi")),
    ):
        if parsed:
            tiers.append((base + f"p.{column} = :v", {"v": parsed}))
    tiers.append(
        (
            base + f"lower(p.title) LIKE :v ESCAPE '\\' ORDER BY p.key{binary_order(reader)} LIMIT 11",
            {"v": _like(wanted)},
        )
    )
    return tiers


def _resolved(name: str, results: list[list[dict[str, Any]]]) -> dict[str, Any]:
    """The paper of the first tier that found exactly one; else why none was chosen (the last
    tier's rows are the title matches)."""
    for rows in results:
        if len(rows) == 1:
            return rows[0]
    rows = results[-1]
    if not rows:
        raise NotFoundError(
            f"no paper matches '{name}'",
            hint="name a paper by key, S2 id, arXiv id, DOI or a title fragment; 'paperread list' shows keys",
        )
    shown = ", ".join(f"{r['key']} ({r['title']})" for r in rows[:10])
    more = " ..." if len(rows) > 10 else ""
    raise AmbiguousError(f"'{name}' matches several papers: {shown}{more}", hint="name one by its key")


def _as_id(text: str, parser: str) -> str | None:
    """``text`` as an arXiv id or a DOI (``values.<parser>``), or None: the name is something else."""
    from paperread import values

    try:
        return getattr(values, parser)(text)
    except InputError:
        return None


def paper_detail(reader: Reader, paper_id: int, *, user: str) -> dict[str, Any]:
    """Everything about one paper: row, videos, citation history and the user's reading."""
    return _detail(reader.many(_detail_statements(":id", {"id": paper_id, "user": user})))


# A paper for ``paper_detail``: by its id, or by its key (``show``'s guess on a server).
_BY_KEY = "(SELECT k.id FROM paper k WHERE k.key = :key)"


def _detail_statements(which: str, params: dict[str, Any]) -> list[tuple[str, dict[str, Any] | None]]:
    """The three statements of a paper's detail, ``which`` (an SQL expression) naming its id."""
    return [
        (
            f"""SELECT {_PAPER_COLUMNS}, p.authors, p.venue, p.publication_date, p.citations_fetched_at,
                       p.marked_recorded, p.created_at, p.updated_at, p.version,
                       r.note, r.started_at, r.read_at
                {_PAPER_FROM} WHERE p.id = {which}""",
            params,
        ),
        (
            f"""SELECT v.id, v.date, v.title, v.duration_seconds, v.bilibili, v.youtube, v.zhihu, v.link,
                      vn.note, {VIEW_COLUMNS}
               FROM video v JOIN video_paper vp ON vp.video_id = v.id
               LEFT JOIN video_note vn ON vn.video_id = v.id AND vn.user_name = :user
               {VIEW_JOINS}
               WHERE vp.paper_id = {which} ORDER BY v.date, v.id""",
            params,
        ),
        (
            f"""SELECT citations, fetched_at FROM citation_history WHERE paper_id = {which}
                ORDER BY fetched_at, id""",
            params,
        ),
    ]


def _detail(results: list[list[dict[str, Any]]]) -> dict[str, Any]:
    rows, videos, history = results
    paper = _paper(rows[0])
    paper["marked_recorded"] = bool(paper["marked_recorded"])
    for key in ("citations_fetched_at", "created_at", "updated_at", "started_at", "read_at"):
        paper[key] = iso_timestamp(paper[key])
    paper["publication_date"] = iso_date(paper["publication_date"])
    paper["videos"] = [_video(v) for v in videos]
    paper["citation_history"] = [
        {"count": h["citations"], "fetched_at": iso_timestamp(h["fetched_at"])} for h in history
    ]
    return paper


def show_paper(reader: Reader, name: str, *, user: str) -> dict[str, Any]:
    """``resolve_paper`` then ``paper_detail``. On a reader that pipelines, the detail of the
    paper whose key is ``name`` (what Tab completes) is asked for along with the resolving:
    one round trip when the name is a key, two otherwise."""
    if not reader.pipelines:
        return paper_detail(reader, resolve_paper(reader, name)["id"], user=user)
    guess = _detail_statements(_BY_KEY, {"key": name.strip().lower(), "user": user})
    tiers = _name_tiers(reader, name)
    results = reader.many([*tiers, *guess])
    found = _resolved(name, results[: len(tiers)])
    if found["key"] == name.strip().lower() and results[len(tiers)]:
        return _detail(results[len(tiers) :])
    return paper_detail(reader, found["id"], user=user)


def paper_keys(reader: Reader, prefix: str = "", limit: int = 200) -> list[dict[str, Any]]:
    """Keys for Tab completion, with titles as help text.

    On SQLite the prefix is also given as a key range, so the unique index on key is
    searched instead of scanned (LIKE alone cannot use it: it ignores case). Keys are
    compared bytewise there, so the range holds exactly the keys that start with the prefix.
    """
    prefix = prefix.lower()
    params: dict[str, Any] = {
        "p": prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%",
        "n": limit,
    }
    where = "key LIKE :p ESCAPE '\\'"
    if reader.dialect == "sqlite" and prefix and ord(prefix[-1]) < 0x10FFFF:
        where += " AND key >= :lo AND key < :hi"
        params.update(lo=prefix, hi=prefix[:-1] + chr(ord(prefix[-1]) + 1))
    return reader.rows(f"SELECT key, title FROM paper WHERE {where} ORDER BY key LIMIT :n", params)


# ---------------------------------------------------------------------------- videos


# A video's view counts (``sync-views``), kept per platform and the platform's own id.
VIEW_COLUMNS = """bv.views AS bilibili_views, bv.fetched_at AS bilibili_fetched_at,
                  yv.views AS youtube_views, yv.fetched_at AS youtube_fetched_at"""
VIEW_JOINS = """LEFT JOIN video_views bv ON bv.platform = 'bilibili' AND bv.external_id = v.bilibili
                LEFT JOIN video_views yv ON yv.platform = 'youtube' AND yv.external_id = v.youtube"""


def _video(row: dict[str, Any]) -> dict[str, Any]:
    row["date"] = iso_date(row["date"])
    for key in ("bilibili_fetched_at", "youtube_fetched_at"):
        if key in row:
            row[key] = iso_timestamp(row[key])
    return row


def videos(reader: Reader, *, category: str | None = None, user: str | None = None) -> list[dict[str, Any]]:
    """Videos by date with the papers each covers; with a category, those covering one of its papers.
    Given a ``user``, each row says whether that user has a note on the video (``noted``)."""
    where, params = category_filter(category)
    if category is not None:
        where = f"""WHERE v.id IN (SELECT vp.video_id FROM video_paper vp JOIN paper p ON p.id = vp.paper_id
                    JOIN category c ON c.id = p.category_id WHERE 1=1{where})"""
    statements: list[tuple[str, dict[str, Any] | None]] = [
        (
            f"""SELECT v.id, v.date, v.title, v.duration_seconds, v.bilibili, v.youtube, v.zhihu, v.link,
                       {VIEW_COLUMNS}
                FROM video v {VIEW_JOINS} {where} ORDER BY v.date, v.id""",
            params,
        ),
        (
            f"""SELECT vp.video_id, p.key, p.title FROM video_paper vp JOIN paper p ON p.id = vp.paper_id
                JOIN video v ON v.id = vp.video_id {where}
                ORDER BY vp.video_id, vp.position, p.key{binary_order(reader)}""",
            params,
        ),
    ]
    if user is not None:
        statements.append(("SELECT video_id FROM video_note WHERE user_name = :u", {"u": user}))
    found, links, *notes = reader.many(statements)
    rows = [_video(v) for v in found]
    covered: dict[int, list[dict[str, Any]]] = {}
    for link in links:
        covered.setdefault(link["video_id"], []).append({"key": link["key"], "title": link["title"]})
    noted = {r["video_id"] for r in notes[0]} if notes else set()
    for v in rows:
        v["papers"] = covered.get(v["id"], [])
        if user is not None:
            v["noted"] = v["id"] in noted
    return rows


def video(reader: Reader, video_id: int) -> dict[str, Any]:
    """One video, shaped like a row of ``videos``, with the papers it covers."""
    found, papers = reader.many(
        [
            (
                f"""SELECT v.id, v.date, v.title, v.duration_seconds, v.bilibili, v.youtube, v.zhihu, v.link,
                           {VIEW_COLUMNS}
                   FROM video v {VIEW_JOINS} WHERE v.id = :id""",
                {"id": video_id},
            ),
            (
                """SELECT p.key, p.title FROM video_paper vp JOIN paper p ON p.id = vp.paper_id
                   WHERE vp.video_id = :id ORDER BY vp.position, p.key""",
                {"id": video_id},
            ),
        ]
    )
    row = _video(found[0])
    row["papers"] = papers
    return row


_VIDEO_HINT = "name a video by the id 'paperread videos' shows, or by its bilibili BV id"


def video_name(name: str) -> tuple[str, Any]:
    """How ``name`` names a video: ("id", its id) or ("bilibili", its BV id); InputError if neither."""
    from paperread.values import parse_bilibili

    wanted = name.strip()
    if wanted.isascii() and wanted.isdigit():
        return "id", int(wanted)
    try:
        return "bilibili", parse_bilibili(wanted)
    except InputError:
        raise InputError(f"video '{name}' is neither a video id nor a bilibili BV id", hint=_VIDEO_HINT) from None


def no_video(name: str) -> NotFoundError:
    return NotFoundError(f"no video matches '{name}'", hint=_VIDEO_HINT)


def resolve_video(reader: Reader, name: str) -> dict[str, Any]:
    """A video named by its id (as ``videos`` shows it) or its bilibili BV id or link."""
    column, value = video_name(name)
    rows = reader.rows(f"SELECT id, title FROM video WHERE {column} = :v", {"v": value})
    if not rows:
        raise no_video(name)
    return rows[0]


# ---------------------------------------------------------------------------- stats


# Papers and recorded papers per category, as the database keeps them (``category_figures``,
# maintained by migration 0007's triggers in the transaction of every write, checked against a
# recount by ``db check``): twelve rows however large the catalog, no scan of the papers.
_FIGURES = """SELECT c.slug, c.name, COALESCE(f.papers, 0) AS papers, COALESCE(f.recorded, 0) AS recorded
               FROM category c LEFT JOIN category_figures f ON f.category_id = c.id
               ORDER BY c.position, c.id"""


def stats(reader: Reader, *, user: str) -> dict[str, Any]:
    """Figures of the catalog: each category's from ``category_figures`` (kept by the database in
    the same transaction as the rows, verified by ``db check``), the rest counted from indexes.

    Every statement reads an index or a table of videos, never the papers: videos and their length
    from ``ix_video_duration_seconds``; the user's counts from ``ix_reading_user_name_status`` and
    the primary key of ``watched`` (unwatched = all videos less those watched); the view figures
    from ``video_views``, each row matched to the videos carrying its id (both ids are indexed).
    """
    cats, video_rows, read_rows, seen_rows, bili_rows, yt_rows = reader.many(
        [
            (_FIGURES, None),
            ("SELECT COUNT(*) AS n, COALESCE(SUM(duration_seconds), 0) AS seconds FROM video", None),
            (
                """SELECT COUNT(*) FILTER (WHERE status = 'read') AS read,
                          COUNT(*) FILTER (WHERE status = 'reading') AS reading
                   FROM reading WHERE user_name = :user AND status IN ('read', 'reading')""",
                {"user": user},
            ),
            (
                """SELECT COUNT(*) AS n, COALESCE(SUM(v.duration_seconds), 0) AS seconds
                   FROM watched w JOIN video v ON v.id = w.video_id WHERE w.user_name = :user""",
                {"user": user},
            ),
            (
                """SELECT COALESCE(SUM(bv.views), 0) AS views, COUNT(*) AS counted, MAX(bv.fetched_at) AS at
                   FROM video_views bv JOIN video v ON v.bilibili = bv.external_id WHERE bv.platform = 'bilibili'""",
                None,
            ),
            (
                """SELECT COALESCE(SUM(yv.views), 0) AS views, COUNT(*) AS counted, MAX(yv.fetched_at) AS at
                   FROM video_views yv JOIN video v ON v.youtube = yv.external_id WHERE yv.platform = 'youtube'""",
                None,
            ),
        ]
    )
    video, mine, seen, bili, yt = video_rows[0], read_rows[0], seen_rows[0], bili_rows[0], yt_rows[0]
    fetched = [iso_timestamp(t) for t in (bili["at"], yt["at"]) if t is not None]
    figures = [
        {k: (int(c[k]) if k in ("papers", "recorded") else c[k]) for k in ("slug", "name", "papers", "recorded")}
        for c in cats
    ]
    return {
        "papers": sum(c["papers"] for c in figures),
        "recorded": sum(c["recorded"] for c in figures),
        "videos": video["n"],
        "video_seconds": video["seconds"],
        "read": mine["read"],
        "reading": mine["reading"],
        "videos_unwatched": video["n"] - seen["n"],
        "video_seconds_left": video["seconds"] - seen["seconds"],
        "views": int(bili["views"]) + int(yt["views"]),
        "bilibili_views": int(bili["views"]),
        "youtube_views": int(yt["views"]),
        "bilibili_counted": int(bili["counted"]),
        "youtube_counted": int(yt["counted"]),
        "views_fetched_at": max((t for t in fetched if t), default=None),
        "categories": figures,
    }


# ---------------------------------------------------------------------------- citations (sync, trending)


def timestamp_param(reader: Reader, value: dt.datetime) -> Any:
    """A UTC timestamp as a parameter compared with stored ones.

    SQLite holds timestamps as text in SQLAlchemy's layout (``YYYY-MM-DD HH:MM:SS.ffffff``,
    UTC), so the parameter is that text and compares as text; PostgreSQL gets the datetime.
    """
    utc = value.astimezone(dt.UTC)
    return utc.strftime("%Y-%m-%d %H:%M:%S.%f") if reader.dialect == "sqlite" else utc


def sync_plan(
    reader: Reader,
    *,
    paper_ids: list[int] | None = None,
    category: str | None = None,
    fresh_after: dt.datetime | None = None,
    with_unidentified: bool = False,
    only_unidentified: bool = False,
) -> Iterator[dict[str, Any]]:
    """The papers a citation sync looks at, by id, streamed (100,000 rows stay small).

    Papers with an S2 id, and with ``with_unidentified`` those without one too; a list of
    ``paper_ids`` (papers named by the user) are taken whether they have an id or not.
    ``only_unidentified`` keeps to papers without one (unless named). ``fresh`` is 1 for
    papers fetched after ``fresh_after``; ``title`` is only read for papers without an S2
    id (a title match may need it).
    """
    params: dict[str, Any] = {}
    where, params = category_filter(category)
    if paper_ids is not None:
        names = [f":pid{i}" for i in range(len(paper_ids))]
        params.update({f"pid{i}": pid for i, pid in enumerate(paper_ids)})
        where += f" AND p.id IN ({', '.join(names) or 'NULL'})"
    elif only_unidentified:
        where += " AND p.s2_id IS NULL"
    elif not with_unidentified:
        where += " AND p.s2_id IS NOT NULL"
    if fresh_after is not None:
        fresh = "CASE WHEN p.citations_fetched_at > :fresh_after THEN 1 ELSE 0 END"
        params["fresh_after"] = timestamp_param(reader, fresh_after)
    else:
        fresh = "0"
    sql = f"""SELECT p.id, p.key, p.s2_id, p.arxiv_id, p.doi,
                     CASE WHEN p.s2_id IS NULL THEN p.title END AS title, {fresh} AS fresh
              FROM paper p JOIN category c ON c.id = p.category_id
              WHERE 1=1{where} ORDER BY p.id"""
    return reader.stream(sql, params)


def trending(
    reader: Reader, *, since: dt.datetime, category: str | None = None, limit: int | None = 20
) -> list[dict[str, Any]]:
    """Papers ranked by how many citations they gained since ``since``, growing ones only.

    A paper's start is its last count seen at or before ``since`` (else its first count
    after it: the growth seen since it was first fetched); its end is its latest count.
    Only papers whose count changed after ``since`` are candidates (history has a row per
    change), and each count is one index lookup on (paper_id, fetched_at).
    """
    where, params = category_filter(category)
    params["since"] = timestamp_param(reader, since)
    last = "SELECT {col} FROM citation_history h WHERE h.paper_id = p.id{cond} ORDER BY h.fetched_at {order}, h.id {order} LIMIT 1"
    before = last.format(col="{col}", cond=" AND h.fetched_at <= :since", order="DESC")
    after = last.format(col="{col}", cond=" AND h.fetched_at > :since", order="ASC")
    newest = last.format(col="{col}", cond="", order="DESC")
    sql = f"""
        SELECT * FROM (
            SELECT p.key, p.title, c.slug AS category, p.s2_id,
                   COALESCE(({before.format(col="h.citations")}), ({after.format(col="h.citations")})) AS start_count,
                   COALESCE(({before.format(col="h.fetched_at")}), ({after.format(col="h.fetched_at")})) AS start_at,
                   ({newest.format(col="h.citations")}) AS end_count,
                   ({newest.format(col="h.fetched_at")}) AS end_at
            FROM paper p JOIN category c ON c.id = p.category_id
            WHERE p.id IN (SELECT h2.paper_id FROM citation_history h2 WHERE h2.fetched_at > :since){where}
        ) t
        WHERE t.end_count > t.start_count
        ORDER BY t.end_count - t.start_count DESC, t.key{binary_order(reader)}"""
    if limit is not None:
        sql += " LIMIT :limit"
        params["limit"] = limit
    rows = reader.rows(sql, params)
    for row in rows:
        row["growth"] = row["end_count"] - row["start_count"]
        row["growth_percent"] = round(100 * row["growth"] / row["start_count"], 1) if row["start_count"] else None
        row["start_at"] = iso_timestamp(row["start_at"])
        row["end_at"] = iso_timestamp(row["end_at"])
    return rows


# ---------------------------------------------------------------------------- the whole catalog (export, import)
#
# Raw column values (text or datetimes, 0/1 or booleans, as each driver gives them): the
# catalog document code in ``exchange`` puts them in canonical form. Papers and videos come
# in the order a document lists them: by category, then position; videos by date.


def export_papers(reader: Reader) -> Iterator[dict[str, Any]]:
    """Every paper with its category slug and recorded state, streamed (100,000 rows stay small)."""
    if reader.dialect == "sqlite":
        return _by_category(reader, _EXPORT_PAPERS_SQL, reader.stream)
    return reader.stream(_EXPORT_PAPERS_SQL.format(where="", order=_CATALOG_ORDER))


_EXPORT_PAPERS_SQL = f"""
    SELECT p.id, p.key, p.cite_key, p.title, p.year, c.slug AS category, c.name AS category_name, p.url,
           p.description, p.s2_id, p.arxiv_id, p.doi, p.authors, p.venue, p.publication_date,
           CASE WHEN {RECORDED} THEN 1 ELSE 0 END AS recorded,
           p.citation_count AS citations, p.citations_fetched_at
    FROM paper p JOIN category c ON c.id = p.category_id {{where}}
    ORDER BY {{order}}"""
_CATALOG_ORDER = "c.position, c.id, p.position, p.id"


def _by_category(reader: Reader, sql: str, read: Callable[[str, dict[str, Any]], Iterator[Any]]) -> Iterator[Any]:
    """SQLite: what ``read`` gives of ``sql`` (``{where}`` and ``{order}`` to fill) for each category
    in turn, in catalog order: each category's papers come in the order of
    ix_paper_category_id_position, where the whole catalog in one statement is sorted first."""
    sql = sql.format(where="WHERE p.category_id = :category", order="p.position, p.id")
    for category in reader.rows("SELECT id FROM category ORDER BY position, id"):
        yield from read(sql, {"category": category["id"]})


_EXPORT_MARKDOWN_SQL = f"""
    SELECT p.key, p.title, p.year, c.slug AS category, p.url, p.description, p.s2_id,
           CASE WHEN {RECORDED} THEN 1 ELSE 0 END AS recorded
    FROM paper p JOIN category c ON c.id = p.category_id {{where}}
    ORDER BY {{order}}"""


def export_markdown_rows(reader: Reader) -> Iterator[dict[str, Any]]:
    """``export_papers`` with only the columns the README writes, streamed in catalog order."""
    if reader.dialect == "sqlite":
        return _by_category(reader, _EXPORT_MARKDOWN_SQL, reader.stream)
    return reader.stream(_EXPORT_MARKDOWN_SQL.format(where="", order=_CATALOG_ORDER))


_EXPORT_CSV_SQL = f"""
    SELECT p.key, p.title, p.year, c.slug, CASE WHEN {RECORDED} THEN 'true' ELSE 'false' END, p.citation_count,
           p.s2_id, p.arxiv_id, p.doi, p.url, p.description, p.authors, p.venue, p.cite_key
    FROM paper p JOIN category c ON c.id = p.category_id {{where}}
    ORDER BY {{order}}"""


def export_csv_rows(reader: Reader) -> Iterator[list[tuple[Any, ...]]]:
    """Every paper as ``export csv`` writes it, in catalog order, a batch of tuples at a time: the
    values of ``formats.CSV_COLUMNS`` in order (recorded as 'true' or 'false')."""
    if reader.dialect == "sqlite":
        return _by_category(reader, _EXPORT_CSV_SQL, lambda sql, params: value_batches(reader, sql, params))
    return value_batches(reader, _EXPORT_CSV_SQL.format(where="", order=_CATALOG_ORDER))


_EXPORT_BIBTEX_SQL = """
    SELECT p.key, p.cite_key, p.title, p.authors, p.year, p.url, p.arxiv_id, p.doi, p.venue, p.s2_id, c.name
    FROM paper p JOIN category c ON c.id = p.category_id {where}
    ORDER BY {order}"""


def export_bibtex_rows(reader: Reader) -> Iterator[list[tuple[Any, ...]]]:
    """Every paper as ``export bibtex`` needs it, in catalog order, a batch of tuples at a time:
    (key, cite_key, title, authors, year, url, arxiv_id, doi, venue, s2_id, category name)."""
    if reader.dialect == "sqlite":
        return _by_category(reader, _EXPORT_BIBTEX_SQL, lambda sql, params: value_batches(reader, sql, params))
    return value_batches(reader, _EXPORT_BIBTEX_SQL.format(where="", order=_CATALOG_ORDER))


def _export_statements(reader: Reader) -> dict[str, str]:
    order = binary_order(reader)
    return {
        "categories": "SELECT id, slug, name FROM category ORDER BY position, id",
        # each paper's citation counts and every user's reading state on it, in the papers' order
        # (``export_papers``'), so that they can also stream beside the papers (``export_beside``)
        "citation_history": f"""SELECT h.paper_id, h.citations, h.fetched_at FROM citation_history h
                                {_PAPERS_ORDER.format(t="h")}, h.fetched_at, h.id""",
        "reading": f"""SELECT r.paper_id, r.user_name, r.status, r.started_at, r.read_at, r.note, r.updated_at
                       FROM reading r {_PAPERS_ORDER.format(t="r")}, r.user_name{order}""",
        # every user's notes on videos: each video's users in code-point order
        "videos": "SELECT id, date, title, duration_seconds, bilibili, youtube, zhihu, link FROM video ORDER BY date, id",
        "video_papers": f"""SELECT vp.video_id, p.key FROM video_paper vp JOIN paper p ON p.id = vp.paper_id
                            ORDER BY vp.video_id, vp.position, p.key{order}""",
        "watched": f"SELECT video_id, user_name, watched_at FROM watched ORDER BY video_id, user_name{order}",
        "video_notes": f"""SELECT video_id, user_name, note, updated_at FROM video_note
                           ORDER BY video_id, user_name{order}""",
    }


# The order of ``export_papers``, for a table of rows per paper.
_PAPERS_ORDER = """JOIN paper p ON p.id = {t}.paper_id JOIN category c ON c.id = p.category_id
                   ORDER BY c.position, c.id, p.position, p.id"""


EXPORT_TABLES = ("categories", "citation_history", "reading", "videos", "video_papers", "watched", "video_notes")
VIDEO_TABLES = ("videos", "video_papers", "watched", "video_notes")


def export_tables(reader: Reader, names: Sequence[str] = EXPORT_TABLES) -> dict[str, list[dict[str, Any]]]:
    """The whole-catalog tables an export needs besides the papers (``EXPORT_TABLES``), each in
    the order a document lists it, all read together: one round trip on a server."""
    statements = _export_statements(reader)
    return dict(zip(names, reader.many([(statements[name], None) for name in names]), strict=True))


def export_beside(reader: Reader, name: str) -> Iterator[dict[str, Any]]:
    """``citation_history`` or ``reading`` streamed in the papers' order: an export on SQLite takes
    each paper's rows as it comes to the paper and never holds the whole table."""
    return reader.stream(_export_statements(reader)[name])


# ---- export json on SQLite: each paper's JSON text made by SQLite (``exchange.document.write_json``)
#
# The text ``json.JSONEncoder(ensure_ascii=False)`` writes for the paper's dict (``document._paper_out``),
# byte for byte: json_quote escapes a text as that encoder does (" and \ and \b \f \n \r \t with a
# backslash, other control characters as \u00xx in lower case, everything else as it is), writes an
# integer as its digits and NULL as null; a timestamp in the one form SQLAlchemy stores on SQLite
# ("2024-05-01 10:00:00.000000") is rewritten as ``document.stamp_text`` rewrites it. A value in
# any other form (a timestamp written otherwise, a REAL, a text or a BLOB where an integer goes)
# makes the paper's text NULL: the caller builds that paper from its rows (``export_paper``).

_DIGIT = "[0-9]"
_STORED_STAMP = f"{_DIGIT * 4}-{_DIGIT * 2}-{_DIGIT * 2} {_DIGIT * 2}:{_DIGIT * 2}:{_DIGIT * 2}.{_DIGIT * 6}"


def _stamp_json(column: str) -> str:
    """SQL: the JSON of a timestamp ``_stamp_ok`` accepts, as ``stamp_text`` writes it
    (microseconds only when there are any); null for NULL."""
    return (
        f"""iif({column} IS NULL, 'null', '"' || substr({column}, 1, 10) || 'T' """
        f"""|| substr({column}, 12, iif(substr({column}, 21) = '000000', 8, 15)) || '+00:00"')"""
    )


def _stamp_ok(column: str) -> str:
    return f"({column} IS NULL OR {column} GLOB '{_STORED_STAMP}')"


def _int_ok(column: str) -> str:
    return f"typeof({column}) IN ('integer', 'null')"


def _json_object(fields: Sequence[tuple[str, str]], *, close: bool = True) -> str:
    """SQL: a JSON object of ``fields`` ((name, SQL of the value's JSON)) as the encoder writes one
    (", " and ": " between); ``close=False`` leaves it open after the last value."""
    text = "{" + ", ".join(f'"{name}": %s' for name, _ in fields) + ("}" if close else "")
    return f"printf('{text}', {', '.join(value for _, value in fields)})"


_POINT_JSON = _json_object([("count", "json_quote(h.citations)"), ("fetched_at", _stamp_json("h.fetched_at"))])
# A paper's citation history, its points in their order (the index's: fetched_at, then id); NULL
# when a point is in another form.
_HISTORY_JSON = f"""(SELECT iif(count(*) = count(t.point), '[' || ifnull(group_concat(t.point, ', '), '') || ']', NULL)
    FROM (SELECT iif(typeof(h.citations) = 'integer' AND {_stamp_ok("h.fetched_at")}, {_POINT_JSON}, NULL) AS point
          FROM citation_history h WHERE h.paper_id = p.id ORDER BY h.fetched_at, h.id) t)"""
_PAPER_JSON_FIELDS = (
    ("key", "json_quote(p.key)"), ("cite_key", "json_quote(p.cite_key)"), ("title", "json_quote(p.title)"),
    ("year", "json_quote(p.year)"), ("category", "json_quote(c.slug)"), ("url", "json_quote(p.url)"),
    ("description", "json_quote(p.description)"), ("s2_id", "json_quote(p.s2_id)"),
    ("arxiv_id", "json_quote(p.arxiv_id)"), ("doi", "json_quote(p.doi)"), ("authors", "json_quote(p.authors)"),
    ("venue", "json_quote(p.venue)"), ("publication_date", "json_quote(substr(p.publication_date, 1, 10))"),
    ("recorded", f"iif({RECORDED}, 'true', 'false')"), ("citations", "json_quote(p.citation_count)"),
    ("citations_fetched_at", _stamp_json("p.citations_fetched_at")),
)  # fmt: skip
_PAPER_JSON_OK = (
    f"{_int_ok('p.year')} AND {_int_ok('p.citation_count')} AND typeof(p.publication_date) IN ('text', 'null') "
    f"AND {_stamp_ok('p.citations_fetched_at')}"
)
# A category's papers in order (ix_paper_category_id_position: no sort), each as its JSON text
# with an empty reading list (``{"key": ..., "citation_history": [...], "reading": []}``).
_PAPERS_JSON_SQL = f"""
    SELECT p.id, iif({_PAPER_JSON_OK}, {_json_object(_PAPER_JSON_FIELDS, close=False)}, NULL)
                 || ', "citation_history": ' || {_HISTORY_JSON} || ', "reading": []}}' AS json
    FROM paper p JOIN category c ON c.id = p.category_id
    WHERE p.category_id = :category ORDER BY p.position, p.id"""
_READING_JSON = _json_object(
    [
        ("user", "json_quote(r.user_name)"), ("status", "json_quote(r.status)"),
        ("started_at", _stamp_json("r.started_at")), ("read_at", _stamp_json("r.read_at")),
        ("note", "json_quote(r.note)"), ("updated_at", _stamp_json("r.updated_at")),
    ]
)  # fmt: skip
_READING_JSON_OK = " AND ".join(
    [*(f"typeof(r.{c}) IN ('text', 'null')" for c in ("user_name", "status", "note")),
     *(_stamp_ok(f"r.{c}") for c in ("started_at", "read_at", "updated_at"))]
)  # fmt: skip


def export_papers_json(reader: Reader, category_ids: Iterable[int]) -> Iterator[list[tuple[int, str | None]]]:
    """SQLite: every paper of the categories (ids in the document's order), a batch of rows at a
    time, as (id, its JSON text in the catalog document with an empty reading list), the
    text None when some value is not in the form it is made for (``export_paper`` reads that
    paper's rows)."""
    for category in category_ids:
        yield from value_batches(reader, _PAPERS_JSON_SQL, {"category": category})


def export_reading_json(reader: Reader) -> Iterator[list[tuple[int, str | None]]]:
    """SQLite: every reading state as (paper id, its JSON text in the document or None when some
    value is not in the form it is made for), in the papers' order, users by name; in batches."""
    return value_batches(
        reader,
        f"""SELECT r.paper_id, iif({_READING_JSON_OK}, {_READING_JSON}, NULL) AS json
            FROM reading r {_PAPERS_ORDER.format(t="r")}, r.user_name""",
    )


def value_batches(reader: Reader, sql: str, params: dict[str, Any] | None = None) -> Iterator[list[tuple[Any, ...]]]:
    """The rows of ``sql`` as tuples (its columns in order), a batch at a time: on the light road
    straight from sqlite3 (``SqliteReader.batches``), no dict made for a row."""
    batches = getattr(reader, "batches", None)
    if batches is not None:
        yield from batches(sql, params)
        return
    batch: list[tuple[Any, ...]] = []
    for row in reader.stream(sql, params):
        batch.append(tuple(row.values()))
        if len(batch) >= 1000:
            yield batch
            batch = []
    if batch:
        yield batch


def export_paper(reader: Reader, paper_id: int) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """One paper's row as ``export_papers`` gives it, its citation history and its reading state
    (``export_tables``' rows)."""
    paper, history, reading = reader.many(
        [
            (_EXPORT_PAPERS_SQL.format(where="WHERE p.id = :id", order="p.id"), {"id": paper_id}),
            ("SELECT h.paper_id, h.citations, h.fetched_at FROM citation_history h WHERE h.paper_id = :id "
             "ORDER BY h.fetched_at, h.id", {"id": paper_id}),
            ("SELECT r.paper_id, r.user_name, r.status, r.started_at, r.read_at, r.note, r.updated_at FROM reading r "
             f"WHERE r.paper_id = :id ORDER BY r.user_name{binary_order(reader)}", {"id": paper_id}),
        ]
    )  # fmt: skip
    return paper[0], history, reading


def catalog_is_empty(reader: Reader) -> bool:
    """True when the catalog holds no category, paper or video (``init --empty``)."""
    row = reader.rows(
        """SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM category LIMIT 1) c)
                + (SELECT COUNT(*) FROM (SELECT 1 FROM paper LIMIT 1) p)
                + (SELECT COUNT(*) FROM (SELECT 1 FROM video LIMIT 1) v) AS n"""
    )[0]
    return not row["n"]


def import_category_state(reader: Reader) -> list[dict[str, Any]]:
    return reader.rows("SELECT id, slug, name, position FROM category ORDER BY position, id")


def import_paper_state(reader: Reader, *, stream: bool = False) -> Iterable[dict[str, Any]]:
    """Every paper row as an import compares it, in catalog order; ``stream``: a batch at a time
    (a big catalog's rows are never all held twice)."""
    return (reader.stream if stream else reader.rows)(
        """SELECT p.id, p.key, p.cite_key, p.title, p.year, p.category_id, p.url, p.description, p.s2_id, p.arxiv_id,
                  p.doi, p.authors, p.venue, p.publication_date, p.marked_recorded, p.citation_count,
                  p.citations_fetched_at, p.position, p.version
           FROM paper p ORDER BY p.category_id, p.position, p.id"""
    )


def import_video_state(reader: Reader) -> list[dict[str, Any]]:
    return reader.rows(
        "SELECT id, date, title, duration_seconds, bilibili, youtube, zhihu, link FROM video ORDER BY date, id"
    )


def import_video_links(reader: Reader) -> list[dict[str, Any]]:
    return reader.rows("SELECT video_id, paper_id FROM video_paper ORDER BY video_id, position, paper_id")


def import_reading_state(reader: Reader) -> list[dict[str, Any]]:
    return reader.rows("SELECT id, user_name, paper_id, status, started_at, read_at, note, updated_at FROM reading")


def import_history_state(reader: Reader, *, stream: bool = False) -> Iterable[dict[str, Any]]:
    """Every citation-history point (``stream``: a batch at a time)."""
    return (reader.stream if stream else reader.rows)("SELECT paper_id, citations, fetched_at FROM citation_history")


def import_watched_state(reader: Reader) -> list[dict[str, Any]]:
    return reader.rows("SELECT user_name, video_id FROM watched")


def import_video_note_state(reader: Reader) -> list[dict[str, Any]]:
    return reader.rows("SELECT user_name, video_id FROM video_note")


# ---------------------------------------------------------------------------- notes on videos and the journal


def video_note(reader: Reader, video_id: int, *, user: str) -> str | None:
    """A user's note on one video, None when there is none."""
    rows = reader.rows("SELECT note FROM video_note WHERE video_id = :v AND user_name = :u", {"v": video_id, "u": user})
    return rows[0]["note"] if rows else None


def video_notes(reader: Reader, *, user: str) -> dict[int, str]:
    """Every note of a user on videos, by video id."""
    return {
        r["video_id"]: r["note"]
        for r in reader.rows("SELECT video_id, note FROM video_note WHERE user_name = :u", {"u": user})
    }


def paper_notes(reader: Reader, *, user: str) -> dict[int, str]:
    """Every note of a user on papers, by paper id."""
    return {
        r["paper_id"]: r["note"]
        for r in reader.rows(
            "SELECT paper_id, note FROM reading WHERE user_name = :u AND note IS NOT NULL", {"u": user}
        )
    }


def journal_videos(reader: Reader) -> list[dict[str, Any]]:
    """Every video as the journal needs it (heading, matching), by date, with the papers it covers
    (id, key and title, in the video's order) and the date the user marked it watched."""
    rows = [
        _video(v)
        for v in reader.rows(
            "SELECT id, date, title, duration_seconds, bilibili, youtube, zhihu, link FROM video ORDER BY date, id"
        )
    ]
    covered: dict[int, list[dict[str, Any]]] = {}
    for link in reader.rows(
        """SELECT vp.video_id, p.id, p.key, p.title, p.url FROM video_paper vp JOIN paper p ON p.id = vp.paper_id
           ORDER BY vp.video_id, vp.position, p.id"""
    ):
        covered.setdefault(link.pop("video_id"), []).append(link)
    for v in rows:
        v["papers"] = covered.get(v["id"], [])
    return rows


def journal_papers(reader: Reader, *, user: str) -> list[dict[str, Any]]:
    """Every paper the journal may name, in catalog order, with its category and the user's
    status, note and when it was read or started."""
    return reader.rows(
        f"""SELECT p.id, p.key, p.title, p.year, c.slug AS category, c.name AS category_name,
                   r.status AS read_status, r.note, r.read_at
            {_PAPER_FROM} ORDER BY c.position, c.id, p.position, p.id""",
        {"user": user},
    )


def journal_watched(reader: Reader, *, user: str) -> dict[int, Any]:
    """When the user marked each video watched, by video id."""
    return {
        r["video_id"]: iso_timestamp(r["watched_at"])
        for r in reader.rows("SELECT video_id, watched_at FROM watched WHERE user_name = :u", {"u": user})
    }
