"""The catalog document: paperread's lossless JSON form of a whole catalog.

``export json`` writes it, ``import`` reads it, and data/catalog.json (the built-in
catalog) is one. The README, CSV and BibTeX readers (``paperread.formats``) produce one too,
so every import is: read the file into a document, clean it, then upsert it. Format version 1::

    {"format": "paperread", "version": 1,
     "categories": [{"slug", "name"}],
     "papers": [{"key", "title", "year", "category", "url", "description", "s2_id",
                 "arxiv_id", "doi", "authors", "venue", "publication_date", "recorded",
                 "citations", "citations_fetched_at",
                 "citation_history": [{"count", "fetched_at"}],
                 "reading": [{"user", "status", "started_at", "read_at", "note", "updated_at"}]}],
     "videos": [{"date", "title", "duration_seconds", "bilibili", "youtube", "zhihu",
                 "link", "papers": [key, ...], "watched_by": [{"user", "watched_at"}]}]}

Dates are ISO ``YYYY-MM-DD``; timestamps ISO 8601 in UTC (microseconds kept when there are
any); ``recorded`` is true when a video covers the paper or the list marks it done.

Importing (``import_document``), the rules:

- Identity. A paper is the one in the database with the same Semantic Scholar id, else the
  same link (``values.normalize_url_for_match``), arXiv id or DOI, else the same key, never
  one whose S2 id differs. A category is the one with the same slug, else the same name. A
  video is the one with the same bilibili id, else the same (date, title).
- A paper's key never changes on import; a new paper whose key is taken gets ``key-2``...
- Only what the file carries changes (``Carried``): a README carries no authors, venue,
  citations or notes, so those stay. Identifiers (S2 id, arXiv id, DOI) are filled or
  replaced by a file but never cleared. Citation counts from a JSON document apply only when
  they were fetched no earlier than the stored ones; history points are added, never removed.
- Reading state and notes (every user's) and watched videos come from JSON documents only:
  the document's rows are restored for the (user, paper) pairs it holds, where the database
  has none or the document's was changed no earlier (its ``updated_at``; a row without one
  only fills in a pair the database lacks); other users' rows and rows it does not hold stay.
- Papers, videos and categories in the database but not in the file are kept and reported;
  with ``prune`` they are removed, except papers someone has reading state or notes on and
  videos someone watched (kept and reported), and never when the file had unreadable rows.
- A paper the file marks recorded that no video covers stays recorded (``marked_recorded``).
- All of it in the caller's transaction, set-based: the existing rows are read in one query
  per table, new rows inserted with one ``executemany``, changed rows updated likewise.
  An empty catalog takes the bulk road (``load_document``).

This module imports SQLAlchemy only inside the functions that write, so ``export json`` (a
read on the light ``sqlite3`` road) does not pay for it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

from paperread import limits, values
from paperread.errors import InputError
from paperread.resources import shipped_dir

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from paperread.db import Reader

FORMAT = "paperread"
FORMAT_VERSION = 1

PAPER_FIELDS = (
    "key", "title", "year", "category", "url", "description", "s2_id", "arxiv_id", "doi",
    "authors", "venue", "publication_date", "recorded", "citations", "citations_fetched_at",
    "citation_history", "reading",
)  # fmt: skip
VIDEO_FIELDS = (
    "date", "title", "duration_seconds", "bilibili", "youtube", "zhihu", "link", "papers", "watched_by",
)  # fmt: skip

# Where papers go that a file names no category for (CSV rows with an empty cell, BibTeX).
UNCATEGORIZED = {"slug": "uncategorized", "name": "Uncategorized"}
CATEGORY_NAME_MAX = 200
ARXIV_MAX = 40  # the columns' sizes (models.py)
DOI_MAX = 200
READ_STATUSES = ("read", "reading")
_CHUNK = 5_000  # ids per IN (...) list: far below SQLite's and PostgreSQL's parameter limits


@contextmanager
def paused_gc() -> Iterator[None]:
    """Python's cycle collector off for the block: reading a big catalog makes millions of
    dicts and lists, and each collection walks all of them again (a third of the time of
    parsing and cleaning 100,000 papers). Documents hold no reference cycles to collect."""
    import gc

    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def builtin_document() -> dict[str, Any]:
    """The paper-reading catalog shipped in data/catalog.json."""
    with (shipped_dir("data") / "catalog.json").open(encoding="utf-8") as fh:
        return json.load(fh)


def check_document(doc: Any, source: str = "document") -> None:
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


def parse_timestamp(value: str | None) -> dt.datetime | None:
    """ISO timestamps from a document; naive ones are taken as UTC."""
    if value is None:
        return None
    stamp = dt.datetime.fromisoformat(value)
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)


def _utc(value: Any) -> dt.datetime | None:
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
    stamp = _utc(value)
    return None if stamp is None else stamp.isoformat()


def _db_stamp(value: Any) -> dt.datetime | None:
    """A timestamp as the models store it: an aware datetime in UTC."""
    return _utc(value)


def day_text(value: Any) -> str | None:
    """A date (text from sqlite3, a date from PostgreSQL) as ISO ``YYYY-MM-DD``."""
    if value is None:
        return None
    return value[:10] if isinstance(value, str) else value.isoformat()


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


# ---------------------------------------------------------------------------- dumping


def _paper_out(row: dict[str, Any], history: dict[int, list], reading: dict[int, list]) -> dict[str, Any]:
    return {
        "key": row["key"],
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
        "citation_history": history.get(row["id"], []),
        "reading": reading.get(row["id"], []),
    }


def document_parts(reader: Reader) -> tuple[list[dict[str, Any]], Iterator[dict[str, Any]], list[dict[str, Any]]]:
    """(categories, papers streamed, videos) of the whole catalog, in document order.

    Everything but the papers is read first, so the papers' cursor is the last one open.
    """
    from paperread import queries

    categories = [{"slug": c["slug"], "name": c["name"]} for c in queries.export_categories(reader)]
    history: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for h in queries.export_citation_history(reader):
        history[h["paper_id"]].append({"count": h["citations"], "fetched_at": stamp_text(h["fetched_at"])})
    reading: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in queries.export_reading(reader):
        reading[r["paper_id"]].append(
            {
                "user": r["user_name"],
                "status": r["status"],
                "started_at": stamp_text(r["started_at"]),
                "read_at": stamp_text(r["read_at"]),
                "note": r["note"],
                "updated_at": stamp_text(r["updated_at"]),
            }
        )
    covers: dict[int, list[str]] = defaultdict(list)
    for link in queries.export_video_papers(reader):
        covers[link["video_id"]].append(link["key"])
    watched: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for w in queries.export_watched(reader):
        watched[w["video_id"]].append({"user": w["user_name"], "watched_at": stamp_text(w["watched_at"])})
    videos = [
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
        }
        for v in queries.export_videos(reader)
    ]
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


def write_json(reader: Reader, out: IO[str]) -> dict[str, int]:
    """Write the whole catalog as a document, one category, paper or video a line, streaming
    the papers; returns how many of each were written."""
    categories, papers, videos = document_parts(reader)
    encode = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode
    counts = {}
    out.write(f'{{"format": "{FORMAT}", "version": {FORMAT_VERSION},\n')
    for name, items, last in (("categories", categories, False), ("papers", papers, False), ("videos", videos, True)):
        out.write(f' "{name}": [')
        n = 0
        chunk: list[str] = []
        for item in items:
            chunk.append(("\n  " if n == 0 else ",\n  ") + encode(item))
            n += 1
            if len(chunk) >= 1000:
                out.write("".join(chunk))
                chunk.clear()
        out.write("".join(chunk))
        out.write(("\n ]" if n else "]") + ("}\n" if last else ",\n"))
        counts[name] = n
    return counts


# ---------------------------------------------------------------------------- cleaning


@dataclass(frozen=True)
class Problem:
    """A row that was skipped (or part of one that was dropped), and where it was."""

    kind: str  # "category", "paper", "video" or "file"
    where: int | str  # a line number, or words such as "paper #3 'resnet'"
    message: str
    skipped: bool = True  # False: the row was kept, only part of it (a tie) was dropped

    def text(self) -> str:
        return f"line {self.where}: {self.message}" if isinstance(self.where, int) else f"{self.where}: {self.message}"


Locate = Callable[[str, int, Any], "int | str"]


def _default_locate(kind: str, index: int, item: Any) -> str:
    name = None
    if isinstance(item, dict):
        name = item.get("key") or item.get("slug") or item.get("title")
    shown = f" '{name}'" if isinstance(name, str) and name else ""
    return f"{kind} #{index + 1}{shown}"


# Values already in canonical form pass these cheap checks; anything else takes the slow road
# through ``values`` (which normalises it, or says what is wrong with it).
_S2_RE = re.compile(r"[0-9a-f]{40}", re.ASCII)
_URL_FAST_RE = re.compile(r"https?://[A-Za-z0-9][A-Za-z0-9.\-]*(?::\d{1,5})?(?:[/?#][!-~]*)?", re.ASCII)
_STAMP_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.(?!000000)\d{6})?\+00:00", re.ASCII)
_DAY_RE = re.compile(r"\d{4}-\d\d-\d\d", re.ASCII)
_ARXIV_FAST_RE = re.compile(r"\d{2}(?:0[1-9]|1[0-2])\.\d{4,5}", re.ASCII)
_DOI_FAST_RE = re.compile(r"10\.\d{4,9}/[!-~]+", re.ASCII)
_LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


def _str(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise InputError(f"{what} {json.dumps(value, ensure_ascii=False)[:40]} is not text")
    return value


def _list(value: Any, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InputError(f'"{what}" is not a list')
    return value


def _title(value: Any, what: str = "title") -> str:
    """Non-empty one-line text: line breaks and control characters become spaces."""
    if type(value) is str and value and value.isprintable() and not value[0].isspace() and not value[-1].isspace():
        return value
    text = _str(value, what).strip()
    if not text.isprintable() and any(ch in _LINE_BREAKS or unicodedata.category(ch) == "Cc" for ch in text):
        text = " ".join(
            "".join(" " if ch in _LINE_BREAKS or unicodedata.category(ch) == "Cc" else ch for ch in text).split()
        )
    if not text:
        raise InputError(f"{what} is empty")
    return text


def _text(value: Any, what: str) -> str | None:
    """Optional free text (may span lines), stripped; empty is None."""
    if value is None:
        return None
    if type(value) is str and value and not value[0].isspace() and not value[-1].isspace() and "\x00" not in value:
        return value
    text = _str(value, what).strip() or None
    values.refuse_nul(text, what)
    return text


def _url(value: Any, what: str = "link") -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and _URL_FAST_RE.fullmatch(value):
        return value
    return values.check_http_url(_str(value, what))


def _s2(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and _S2_RE.fullmatch(value):
        return value
    return values.normalize_s2_id(_str(value, "Semantic Scholar id"))


def _optional(value: Any, parse: Callable[[str], Any], what: str) -> Any:
    if value is None or value == "":
        return None
    return parse(_str(value, what))


def _arxiv(value: Any) -> str | None:
    if type(value) is str and _ARXIV_FAST_RE.fullmatch(value):
        return value
    return _at_most(_optional(value, values.normalize_arxiv_id, "arXiv id"), ARXIV_MAX, "arXiv id")


def _doi(value: Any) -> str | None:
    if type(value) is str and _DOI_FAST_RE.fullmatch(value) and value == value.lower() and len(value) <= DOI_MAX:
        return value
    return _at_most(_optional(value, values.normalize_doi, "DOI"), DOI_MAX, "DOI")


def _at_most(value: str | None, limit: int, what: str) -> str | None:
    if value is not None and len(value) > limit:
        raise InputError(f"{what} '{value[:40]}...' is longer than {limit} characters")
    return value


def _arxiv_of(url: str | None) -> str | None:
    return values.arxiv_id_from_url(url) if url is not None and "arxiv" in url else None


def _year(value: Any, latest: int | None = None) -> int | None:
    if value is None or value == "":
        return None
    if type(value) is int and latest is not None and values.EARLIEST_YEAR <= value <= latest:
        return value
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise InputError(f"year {value!r} is not a year")
    return values.parse_year(value)


def _count(value: Any, what: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= limits.COUNT_MAX:
        raise InputError(f"{what} {str(value)[:40]!r} is not a count (a whole number from 0 to {limits.COUNT_MAX:,})")
    return value


def _flag(value: Any, what: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise InputError(f"{what} {value!r} is not true or false")


def _stamp(value: Any, what: str) -> str | None:
    if value is None:
        return None
    try:
        if type(value) is str and _STAMP_RE.fullmatch(value):
            dt.datetime.fromisoformat(value)  # a real moment?
            return value
        return stamp_text(_str(value, what))
    except ValueError:
        raise InputError(f"{what} '{value}' is not an ISO 8601 timestamp") from None


def _day(value: Any, what: str) -> str | None:
    if value is None or value == "":
        return None
    try:
        day = dt.date.fromisoformat(_str(value, what))
        return value if _DAY_RE.fullmatch(value) else day.isoformat()
    except ValueError:
        raise InputError(f"{what} '{value}' is not an ISO date (YYYY-MM-DD)") from None


def _user(value: Any) -> str:
    user = _title(value, "user")
    if len(user) > limits.USER_MAX:
        raise InputError(f"user '{user[:40]}...' is longer than {limits.USER_MAX} characters")
    return user


def clean_key(value: Any) -> str:
    if type(value) is str and values.KEY_RE.fullmatch(value):
        return value
    return values.parse_key(_str(value, "key"))


def clean_slug(value: Any) -> str:
    return values.parse_category_slug(_str(value, "category slug"))


def derive_key(paper: Mapping[str, Any], position: int, taken: set[str]) -> str:
    """A key for a paper that has none, as the README reader makes them: from the name
    (or a known name), else the arXiv id, the S2 id, or the position; made unique."""
    from paperread.readme import KNOWN_PAPER_KEYS

    base = (
        KNOWN_PAPER_KEYS.get(paper["title"])
        or values.slugify_key(paper["title"])
        or (paper.get("arxiv_id") and values.slugify_key("arxiv-" + paper["arxiv_id"].replace("/", "-")))
        or (paper.get("s2_id") and "s2-" + paper["s2_id"][:8])
        or f"paper-{position}"
    )
    return values.unique_key(base, taken)


def _clean_category(c: Any) -> dict[str, str]:
    if not isinstance(c, dict):
        raise InputError("not an object")
    name = _title(c.get("name"), "name")
    if len(name) > CATEGORY_NAME_MAX:
        raise InputError(f"name '{name[:40]}...' is longer than {CATEGORY_NAME_MAX} characters")
    return {"slug": clean_slug(c.get("slug")), "name": name}


def _clean_paper(p: Any, slugs: set[str], latest: int) -> dict[str, Any]:
    if not isinstance(p, dict):
        raise InputError("not an object")
    category = p.get("category")
    if category is not None and (not isinstance(category, str) or category not in slugs):
        raise InputError(
            f"category {json.dumps(category, ensure_ascii=False)[:60]} is not one of the document's categories"
        )
    key = p.get("key")
    reading: list[dict[str, Any]] = []
    users: set[str] = set()
    for r in _list(p.get("reading"), "reading"):
        if not isinstance(r, dict):
            raise InputError("a reading entry is not an object")
        user = _user(r.get("user"))
        if user in users:
            raise InputError(f"user '{user}' has two reading entries")
        users.add(user)
        status = r.get("status")
        if status is not None and status not in READ_STATUSES:
            raise InputError(f"reading status {status!r} is not 'read', 'reading' or null")
        note = r.get("note")
        if note is not None:
            values.refuse_nul(_str(note, "note"), "note")
        if status is None and not note:
            continue  # nothing to keep: the database holds no empty reading rows either
        reading.append(
            {
                "user": user,
                "status": status,
                "started_at": _stamp(r.get("started_at"), "started_at"),
                "read_at": _stamp(r.get("read_at"), "read_at"),
                "note": note or None,
                "updated_at": _stamp(r.get("updated_at"), "updated_at"),
            }
        )
    history = []
    for h in _list(p.get("citation_history"), "citation_history"):
        if not isinstance(h, dict):
            raise InputError("a citation_history entry is not an object")
        stamp = _stamp(h.get("fetched_at"), "fetched_at")
        if stamp is None:
            raise InputError("a citation_history entry has no fetched_at")
        history.append({"count": _count(h.get("count"), "citation count"), "fetched_at": stamp})
    url = _url(p.get("url"))
    return {
        "key": clean_key(key) if key not in (None, "") else None,
        "title": _title(p.get("title")),
        "year": _year(p.get("year"), latest),
        "category": category,
        "url": url,
        "description": _text(p.get("description"), "description"),
        "s2_id": _s2(p.get("s2_id")),
        # As ``add`` does: an arXiv link gives the arXiv id when none is given.
        "arxiv_id": _arxiv(p.get("arxiv_id")) or _arxiv_of(url),
        "doi": _doi(p.get("doi")),
        "authors": _text(p.get("authors"), "authors"),
        "venue": _text(p.get("venue"), "venue"),
        "publication_date": _day(p.get("publication_date"), "publication_date"),
        "recorded": _flag(p.get("recorded"), "recorded"),
        "citations": _count(p.get("citations"), "citations"),
        "citations_fetched_at": _stamp(p.get("citations_fetched_at"), "citations_fetched_at"),
        "citation_history": history,
        "reading": reading,
    }


def _clean_video(v: Any) -> dict[str, Any]:
    if not isinstance(v, dict):
        raise InputError("not an object")
    covered = v.get("papers") or []
    if not isinstance(covered, list) or not all(isinstance(k, str) for k in covered):
        raise InputError('"papers" is not a list of paper keys')
    watched: dict[str, str | None] = {}
    for w in _list(v.get("watched_by"), "watched_by"):
        if not isinstance(w, dict):
            raise InputError("a watched_by entry is not an object")
        watched.setdefault(_user(w.get("user")), _stamp(w.get("watched_at"), "watched_at"))
    return {
        "date": _day(v["date"], "date")
        if _DAY_RE.fullmatch(str(v.get("date")))
        else (values.parse_date(_str(v.get("date"), "date")).isoformat()),
        "title": _title(v.get("title")),
        "duration_seconds": _count(v.get("duration_seconds"), "duration_seconds"),
        "bilibili": _optional(v.get("bilibili"), values.parse_bilibili, "bilibili id"),
        "youtube": _optional(v.get("youtube"), values.parse_youtube, "YouTube id"),
        "zhihu": _optional(v.get("zhihu"), values.parse_zhihu, "zhihu id"),
        "link": _url(v.get("link")),
        "papers": list(dict.fromkeys(covered)),
        "watched_by": [{"user": user, "watched_at": stamp} for user, stamp in watched.items()],
    }


_ID_NAMES = {"s2_id": "Semantic Scholar id", "arxiv_id": "arXiv id", "doi": "DOI"}


def _slug_space(slugs: Iterable[str]) -> set[str]:
    """The slugs and the group prefixes of the slugs (``vision`` of ``vision/cnn``)."""
    space = set()
    for slug in slugs:
        parts = slug.split("/")
        space.update("/".join(parts[:depth]) for depth in range(1, len(parts) + 1))
    return space


def _names_a_slug(name: str, slug: str, space: set[str]) -> bool:
    """Whether a category's name reads as another category's or group's slug (case aside)."""
    folded = name.strip().lower().rstrip("/")
    return folded != slug and folded in space


def clean_document(
    doc: Any, *, source: str = "document", locate: Locate | None = None
) -> tuple[dict[str, Any], list[Problem]]:
    """A document with every value checked and in canonical form, and the rows skipped.

    Raises InputError when ``doc`` is no catalog document at all. A row with a bad value is
    skipped and reported (with ``locate(kind, index, row)`` saying where, e.g. a line number);
    so are later rows repeating an earlier one's key, S2 id, arXiv id, DOI, category slug or
    name, or bilibili id. A paper without a key gets one (``derive_key``); a ``category`` of None means the file
    names none. A video's tie to a paper that is not in the document is dropped and reported.
    """
    check_document(doc, source)
    where = locate or _default_locate
    problems: list[Problem] = []
    latest = dt.date.today().year + 1

    categories: list[dict[str, str]] = []
    slugs: set[str] = set()
    names: set[str] = set()
    for i, raw in enumerate(doc.get("categories") or []):
        try:
            cat = _clean_category(raw)
            if cat["slug"] in slugs:
                raise InputError(f"slug '{cat['slug']}' is listed twice")
            if cat["name"] in names:
                raise InputError(f"name '{cat['name']}' is listed twice")
        except InputError as error:
            problems.append(Problem("category", where("category", i, raw), f"category skipped: {error.message}"))
            continue
        slugs.add(cat["slug"])
        names.add(cat["name"])
        categories.append(cat)
    space = _slug_space(slugs)
    for i, cat in enumerate(categories):
        if _names_a_slug(cat["name"], cat["slug"], space):
            name = f"{cat['name']} ({cat['slug']})"
            problems.append(
                Problem(
                    "category", f"category '{cat['slug']}'", f"named '{name}': '{cat['name']}' is a slug", skipped=False
                )
            )
            categories[i] = {**cat, "name": name}

    papers: list[dict[str, Any]] = []
    keys: set[str] = set()
    # A paper's ids are its own, as in the catalog (``add`` refuses a taken one).
    taken: dict[str, set[str]] = {"s2_id": set(), "arxiv_id": set(), "doi": set()}
    for i, raw in enumerate(doc.get("papers") or []):
        try:
            paper = _clean_paper(raw, slugs, latest)
            if paper["key"] is not None and paper["key"] in keys:
                raise InputError(f"key '{paper['key']}' is used by an earlier paper")
            for name, seen in taken.items():
                if paper[name] is not None and paper[name] in seen:
                    raise InputError(f"{_ID_NAMES[name]} {paper[name]} is used by an earlier paper")
        except InputError as error:
            problems.append(Problem("paper", where("paper", i, raw), f"paper skipped: {error.message}"))
            continue
        if paper["key"] is not None:
            keys.add(paper["key"])
        for name, seen in taken.items():
            if paper[name] is not None:
                seen.add(paper[name])
        papers.append(paper)
    for position, paper in enumerate(papers, start=1):
        if paper["key"] is None:
            paper["key"] = derive_key(paper, position, keys)
            keys.add(paper["key"])

    videos: list[dict[str, Any]] = []
    bilibili: set[str] = set()
    for i, raw in enumerate(doc.get("videos") or []):
        try:
            video = _clean_video(raw)
            if video["bilibili"] is not None and video["bilibili"] in bilibili:
                raise InputError(f"bilibili id {video['bilibili']} is used by an earlier video")
        except InputError as error:
            problems.append(Problem("video", where("video", i, raw), f"video skipped: {error.message}"))
            continue
        missing = [key for key in video["papers"] if key not in keys]
        if missing:
            video["papers"] = [key for key in video["papers"] if key in keys]
            problems.append(
                Problem(
                    "video",
                    where("video", i, raw),
                    f"tie to paper {', '.join(repr(k) for k in missing)} dropped: no such paper in the file",
                    skipped=False,
                )
            )
        if video["bilibili"] is not None:
            bilibili.add(video["bilibili"])
        videos.append(video)

    clean = {"format": FORMAT, "version": FORMAT_VERSION, "categories": categories, "papers": papers, "videos": videos}
    return clean, problems


# ---------------------------------------------------------------------------- loading (empty catalog)


def _drop_insert_trigger(conn: Connection) -> str | None:
    """On SQLite, drop the trigger that adds each new paper to the search index (migration
    0003) and return its SQL, to re-create it with; None where there is none. Inside the
    caller's transaction, so a failure rolls the drop back too."""
    if conn.dialect.name != "sqlite":
        return None
    found = conn.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'paper_fts_ai'"
    ).first()
    if found:
        conn.exec_driver_sql("DROP TRIGGER paper_fts_ai")
    return found[0] if found else None


@contextmanager
def fts_deferred(conn: Connection) -> Iterator[None]:
    """Papers inserted inside the block are added to SQLite's search index in one statement at
    its end (from the view ``paper_search``), instead of by the insert trigger one row at a
    time (ten times faster on a big load). A no-op where there is no such trigger."""
    before = conn.exec_driver_sql("SELECT COALESCE(MAX(id), 0) FROM paper").scalar()
    trigger = _drop_insert_trigger(conn)
    yield
    if trigger is not None:
        conn.exec_driver_sql(
            "INSERT INTO paper_fts(rowid, body) SELECT id, body FROM paper_search WHERE id > ?", (before,)
        )
        conn.exec_driver_sql(trigger)


_ID_TABLES = ("category", "paper", "video")  # the tables a bulk load gives ids to


def next_ids(conn: Connection) -> dict[str, int]:
    """The first free id of each of ``_ID_TABLES`` (the largest + 1). A bulk load gives its rows
    these ids itself, so all its rows can be made before any is inserted; they stay free
    while the caller's transaction holds SQLite's write lock, or on PostgreSQL the table
    lock that ``load_document`` takes."""
    sql = ", ".join(f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table})" for table in _ID_TABLES)
    return dict(zip(_ID_TABLES, conn.exec_driver_sql(f"SELECT {sql}").one()))


def search_body(paper: Mapping[str, Any]) -> str:
    """A paper's text in the search index: what migration 0003's view ``paper_search`` gives."""
    return f"{paper['key']}\n{paper['title']}\n{paper.get('description') or ''}\n{paper.get('authors') or ''}"


def _raw_bodies(papers: Any) -> list[str] | None:
    """``search_body`` of each paper of a document not yet cleaned; None if some paper is not
    shaped for it (the fill then waits for the cleaned document)."""
    if not isinstance(papers, list):
        return None
    bodies = []
    for p in papers:
        if not isinstance(p, dict):
            return None
        if type(p.get("key")) is not str or type(p.get("title")) is not str:
            return None
        if not all(p.get(name) is None or type(p.get(name)) is str for name in ("description", "authors")):
            return None
        bodies.append(search_body(p))
    return bodies


class SearchFill:
    """SQLite's search index for papers about to be inserted, built in a background thread while
    the caller does other work (for loading a whole catalog; a no-op elsewhere).

    The index is fed from the papers' text (``search_body``) under the ids the caller gives
    them: ``first``, ``first`` + 1, ... (``ids``: the next free id of each table, see
    ``next_ids``). FTS5 builds the index inside one statement, which releases
    the GIL, so the caller's Python work runs beside it on the other core. The insert trigger
    is dropped meanwhile and re-created from its own SQL, all in the caller's transaction.

        fill = SearchFill(conn, bodies)    # starts; the connection is the fill's until wait()
        ...Python work (no SQL)...
        fill.wait()
        ...insert the papers, with ids fill.first, fill.first + 1, ...
        fill.finish()

    A fill started from a file before it is cleaned (``import_parsed``) is kept only if the
    cleaned papers have the same text (``covers``); else ``discard`` takes its rows out.
    """

    def __init__(self, conn: Connection, bodies: list[str]) -> None:
        self.ids = next_ids(conn)
        self.bodies = bodies
        self._conn = conn
        self._thread: Any = None
        self._error: BaseException | None = None
        self._trigger = _drop_insert_trigger(conn) if bodies else None
        if self._trigger is None:
            return
        import threading

        # No merging of the index's segments while it is built (a fifth of the time); the
        # default (4) is back in _close, and later writes merge them as they go.
        conn.exec_driver_sql("INSERT INTO paper_fts (paper_fts, rank) VALUES ('automerge', 0)")
        conn.exec_driver_sql("CREATE TEMP TABLE paper_fts_stage (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
        conn.exec_driver_sql(
            "INSERT INTO paper_fts_stage (id, body) VALUES (?, ?)", list(enumerate(bodies, self.first))
        )
        self._dbapi = conn.connection.dbapi_connection
        self._thread = threading.Thread(target=self._run, name="paperread-search-index", daemon=True)
        self._thread.start()

    @property
    def first(self) -> int:
        """The id of the first paper."""
        return self.ids["paper"]

    def _run(self) -> None:
        try:
            self._dbapi.execute("INSERT INTO paper_fts (rowid, body) SELECT id, body FROM temp.paper_fts_stage")
        except BaseException as error:  # noqa: BLE001 (handed to the caller's thread by wait())
            self._error = error

    def covers(self, papers: list[dict[str, Any]]) -> bool:
        """Whether these are the papers the fill indexes (same text, same order)."""
        return len(papers) == len(self.bodies) and all(map(str.__eq__, map(search_body, papers), self.bodies))

    def wait(self) -> None:
        """Block until the index is built; its error, if any, is raised here."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def abort(self) -> None:
        """On the caller's failure: stop the build and wait for it (the transaction rolls back)."""
        if self._thread is not None:
            self._dbapi.interrupt()
            self._thread.join()
            self._thread = None

    def discard(self) -> None:
        """Take the fill's rows out of the index again (it indexed text the papers do not have)."""
        self.wait()
        if self._trigger is not None:
            if self._conn.exec_driver_sql("SELECT EXISTS (SELECT 1 FROM paper)").scalar():
                self._conn.exec_driver_sql(
                    "INSERT INTO paper_fts (paper_fts, rowid, body) SELECT 'delete', id, body FROM temp.paper_fts_stage"
                )
            else:  # no paper: the index holds nothing but the fill's rows
                self._conn.exec_driver_sql("INSERT INTO paper_fts (paper_fts) VALUES ('delete-all')")
            self._close()

    def finish(self) -> None:
        """After the papers' insert (with the ids ``first``, ...): the trigger is back."""
        self.wait()
        if self._trigger is not None:
            self._close()

    def _close(self) -> None:
        self._conn.exec_driver_sql("INSERT INTO paper_fts (paper_fts, rank) VALUES ('automerge', 4)")
        self._conn.exec_driver_sql("DROP TABLE temp.paper_fts_stage")
        self._conn.exec_driver_sql(str(self._trigger))
        self._trigger = None


@contextmanager
def indexes_deferred(conn: Connection, table: str) -> Iterator[None]:
    """On SQLite, the table's own indexes (not those of its UNIQUE constraints) are dropped for
    the block and re-created from their own SQL at its end, inside the caller's transaction:
    building an index once from sorted rows is several times faster than 100,000 inserts
    into it. For loading into an empty table; a no-op elsewhere."""
    if conn.dialect.name != "sqlite":
        yield
        return
    found = conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL", (table,)
    ).all()
    for name, _ in found:
        conn.exec_driver_sql(f'DROP INDEX "{name}"')
    yield
    for _, sql in found:
        conn.exec_driver_sql(sql)


def _sqlite_raw(conn: Connection) -> bool:
    """Whether inserts on this connection may go straight to the sqlite3 driver.

    They may when it is SQLite and our text for a timestamp and a date is exactly what
    SQLAlchemy's own column types would store (checked here on a sample), so rows written
    either way read back the same. It saves building two datetimes a row for 100,000 rows.
    """
    if conn.dialect.name != "sqlite":
        return False
    from paperread.models import Paper

    columns = Paper.__table__.c
    sample = dt.datetime(2024, 2, 3, 4, 5, 6, 7, tzinfo=dt.UTC)
    try:
        stamp = columns.created_at.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
        day = columns.publication_date.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
        return (
            stamp is not None
            and day is not None
            and stamp(sample) == _sqlite_stamp(stamp_text(sample)) == _sqlite_stamp(sample)
            and stamp(sample.replace(microsecond=0)) == _sqlite_stamp(stamp_text(sample.replace(microsecond=0)))
            and day(sample.date()) == _sqlite_day(sample.date().isoformat())
        )
    except Exception:  # noqa: BLE001 (any surprise: take the portable road)
        return False


def _sqlite_stamp(value: Any) -> str | None:
    """A timestamp (document text or a datetime) as SQLAlchemy stores it on SQLite."""
    if value is None:
        return None
    if type(value) is str and value.endswith("+00:00") and len(value) in (25, 32):  # stamp_text's form
        return f"{value[:10]} {value[11:19]}.{value[20:26] if len(value) == 32 else '000000'}"
    stamp = _utc(value)
    assert stamp is not None
    return f"{stamp:%Y-%m-%d %H:%M:%S}.{stamp.microsecond:06d}"


def _sqlite_day(value: Any) -> str | None:
    return value if value is None or isinstance(value, str) else value.isoformat()


def _object_day(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def _converter(column: Any, raw: bool) -> Callable[[Any], Any] | None:
    """How a value of the document (timestamps and dates as ISO text) becomes a column value."""
    from sqlalchemy import Date, DateTime

    kind = getattr(column.type, "impl", column.type)
    if isinstance(kind, DateTime):
        if not raw:
            return _db_stamp
        last: list[Any] = [object(), None]

        def stamp(value: Any) -> Any:  # the same `now` on every row: formatted once
            if value is not last[0]:
                last[0], last[1] = value, _sqlite_stamp(value)
            return last[1]

        return stamp
    if isinstance(kind, Date):
        return _sqlite_day if raw else _object_day
    return None


def _insert_rows(conn: Connection, table: Any, rows: list[dict[str, Any]], *, raw: bool | None = None) -> None:
    """INSERT rows (dicts with the same keys) with one executemany.

    Timestamps and dates may be document text or Python objects. With ``raw`` (see
    ``_sqlite_raw``), the rows go to the sqlite3 driver as tuples, skipping SQLAlchemy's
    per-value processing; otherwise through a Core insert.
    """
    _run_insert(conn, _insert_plan(table, rows, raw=_sqlite_raw(conn) if raw is None else raw))


def _insert_plan(table: Any, rows: list[dict[str, Any]], *, raw: bool) -> tuple[Any, list[Any]] | None:
    """The statement and parameters of ``_insert_rows``, made without touching the database
    (so they can be made while the connection is busy, see ``SearchFill``); None for no rows."""
    if not rows:
        return None
    from operator import itemgetter

    from sqlalchemy import insert

    names = list(rows[0])
    convert = [(i, f) for i, name in enumerate(names) if (f := _converter(table.c[name], raw)) is not None]
    if not raw:
        if convert:
            rows = [{**r, **{names[i]: f(r[names[i]]) for i, f in convert}} for r in rows]
        return insert(table), rows
    pick = itemgetter(*names)
    data: list[Any] = []
    for r in rows:
        values_ = pick(r) if len(names) > 1 else (pick(r),)
        if convert:
            values_ = list(values_)
            for i, f in convert:
                values_[i] = f(values_[i])
            values_ = tuple(values_)
        data.append(values_)
    columns = ", ".join(f'"{name}"' for name in names)
    return f'INSERT INTO "{table.name}" ({columns}) VALUES ({", ".join("?" * len(names))})', data


def _run_insert(conn: Connection, plan: tuple[Any, list[Any]] | None) -> None:
    if plan is None:
        return
    statement, data = plan
    if isinstance(statement, str):
        conn.exec_driver_sql(statement, data)
    else:
        conn.execute(statement, data)


def _insert_returning_ids(
    conn: Connection, table: Any, rows: list[dict[str, Any]], *, raw: bool | None = None
) -> list[int]:
    """Insert rows with one executemany; their new ids, in the rows' order.

    PostgreSQL: batched ``INSERT ... RETURNING`` in parameter order. SQLite (where SQLAlchemy
    would send ordered RETURNING one row at a time): a plain executemany, then the ids above
    the largest one before it. The writer holds SQLite's write lock (BEGIN IMMEDIATE) and
    each new row of an INTEGER PRIMARY KEY table takes the largest id + 1, so those are
    exactly the new rows, in order; the count is checked all the same.
    """
    if not rows:
        return []
    from sqlalchemy import func, insert, select

    if conn.dialect.name != "sqlite":
        names = list(rows[0])
        convert = [(name, f) for name in names if (f := _converter(table.c[name], False)) is not None]
        if convert:
            rows = [{**r, **{name: f(r[name]) for name, f in convert}} for r in rows]
        stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        return list(conn.execute(stmt, rows).scalars())
    before = conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()
    _insert_rows(conn, table, rows, raw=raw)
    ids = list(conn.execute(select(table.c.id).where(table.c.id > before).order_by(table.c.id)).scalars())
    if len(ids) != len(rows):
        raise RuntimeError(f"inserted {len(rows)} rows into {table.name} but found {len(ids)} new ids")
    return ids


def _paper_row(p: dict[str, Any], category_id: int, position: int, marked: bool, now: dt.datetime) -> dict[str, Any]:
    return {
        "key": p["key"],
        "title": p["title"],
        "year": p.get("year"),
        "category_id": category_id,
        "url": p.get("url"),
        "description": p.get("description"),
        "s2_id": p.get("s2_id"),
        "arxiv_id": p.get("arxiv_id"),
        "doi": p.get("doi"),
        "authors": p.get("authors"),
        "venue": p.get("venue"),
        "publication_date": p.get("publication_date"),
        "marked_recorded": marked,
        "citation_count": p.get("citations"),
        "citations_fetched_at": p.get("citations_fetched_at"),
        "position": position,
        "created_at": now,
        "updated_at": now,
        "version": 1,
    }


def _video_row(v: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    return {
        "title": v["title"],
        "date": v["date"],
        "duration_seconds": v.get("duration_seconds"),
        "bilibili": v.get("bilibili"),
        "youtube": v.get("youtube"),
        "zhihu": v.get("zhihu"),
        "link": v.get("link"),
        "created_at": now,
    }


def _reading_row(r: dict[str, Any], paper_id: int, now: dt.datetime) -> dict[str, Any]:
    return {
        "user_name": r["user"],
        "paper_id": paper_id,
        "status": r.get("status"),
        "started_at": r.get("started_at"),
        "read_at": r.get("read_at"),
        "note": r.get("note"),
        "updated_at": r.get("updated_at") or now,
    }


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _more_cache(conn: Connection) -> None:
    """A bigger page cache (64 MB) for this connection, on SQLite: a big load rewrites the
    same index pages over and over (twice as fast on 100,000 papers)."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA cache_size = -65536")


def load_document(conn: Connection, doc: dict[str, Any], *, fill: SearchFill | None = None) -> dict[str, int]:
    """Bulk-insert a whole document into an empty catalog, inside the caller's transaction.

    Every row gets its id here (``next_ids``), so all rows are made before the first insert,
    while SQLite's search index of the papers builds in a background thread (``SearchFill``;
    or ``fill``, one started earlier for these papers); each table then takes one Core
    ``INSERT ... executemany`` (not one ORM object per row), and the paper table's indexes
    are built once at the end (``indexes_deferred``). So a 100,000-paper catalog loads in
    seconds. The document must be valid (the built-in one, or ``clean_document``'s output).
    Returns the number of rows per kind.
    """
    from paperread.models import Category, CitationHistory, Paper, Reading, Video, VideoPaper, Watched

    check_document(doc)
    categories, papers, videos = doc["categories"], doc["papers"], doc.get("videos", [])
    if conn.dialect.name == "postgresql":  # the ids below stay free until the commit
        conn.exec_driver_sql(f"LOCK TABLE {', '.join(_ID_TABLES)} IN SHARE ROW EXCLUSIVE MODE")
    if fill is not None and not fill.covers(papers):
        fill.discard()
        fill = None
    if fill is None:
        fill = SearchFill(conn, [search_body(p) for p in papers] if conn.dialect.name == "sqlite" else [])
    ids = fill.ids
    now, raw = _now(), _sqlite_raw(conn)
    try:  # no SQL in this block: the connection is the fill's
        cat_ids = {c["slug"]: i for i, c in enumerate(categories, ids["category"])}
        paper_ids = {p["key"]: i for i, p in enumerate(papers, ids["paper"])}
        covered = {key for video in videos for key in video.get("papers", [])}
        positions: dict[str, int] = {}
        paper_rows = []
        for i, p in enumerate(papers, ids["paper"]):
            position = positions[p["category"]] = positions.get(p["category"], -1) + 1
            # Recorded with no video we can name: the list says so, no video row shows it.
            marked = bool(p.get("recorded")) and p["key"] not in covered
            row = _paper_row(p, cat_ids[p["category"]], position, marked, now)
            row["id"] = i
            paper_rows.append(row)
        video_ids = range(ids["video"], ids["video"] + len(videos))
        plans = {
            "category": [
                {"id": cat_ids[c["slug"]], "slug": c["slug"], "name": c["name"], "position": i}
                for i, c in enumerate(categories)
            ],
            "paper": paper_rows,
            "citation_history": [
                {"paper_id": paper_ids[p["key"]], "citations": h["count"], "fetched_at": h["fetched_at"]}
                for p in papers
                for h in p.get("citation_history") or []
            ],
            "reading": [_reading_row(r, paper_ids[p["key"]], now) for p in papers for r in p.get("reading") or []],
            "video": [{"id": video_id, **_video_row(v, now)} for video_id, v in zip(video_ids, videos)],
            "video_paper": [
                {"video_id": video_id, "paper_id": paper_ids[key], "position": i}
                for video_id, v in zip(video_ids, videos)
                for i, key in enumerate(v.get("papers", []))
            ],
            "watched": [
                {"user_name": w["user"], "video_id": video_id, "watched_at": w.get("watched_at") or now}
                for video_id, v in zip(video_ids, videos)
                for w in v.get("watched_by", [])
            ],
        }
        tables = {
            t.name: t
            for t in (m.__table__ for m in (Category, Paper, CitationHistory, Reading, Video, VideoPaper, Watched))
        }
        prepared = {name: _insert_plan(tables[name], rows, raw=raw) for name, rows in plans.items()}
        fill.wait()
    except BaseException:
        fill.abort()
        raise
    _more_cache(conn)
    for name, plan in prepared.items():
        if name == "paper":
            with indexes_deferred(conn, name):
                _run_insert(conn, plan)
            fill.finish()
        else:
            _run_insert(conn, plan)
    if conn.dialect.name == "postgresql":  # the next id a sequence gives is a free one
        for table in _ID_TABLES:
            conn.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM {table}"
            )
    return {"categories": len(categories), "papers": len(papers), "videos": len(videos)}


# ---------------------------------------------------------------------------- importing


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
        "s2_id": "fill", "arxiv_id": "fill", "doi": "fill", "citations": "newest",
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


@dataclass
class Tally:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    not_in_file: int = 0  # in the database, not in the file: kept
    removed: int = 0  # in the database, not in the file: removed (prune)


@dataclass
class ImportReport:
    """What an import did (or, dry run, would do)."""

    dry_run: bool = False
    bulk: bool = False  # the empty-catalog road
    categories: Tally = field(default_factory=Tally)
    papers: Tally = field(default_factory=Tally)
    videos: Tally = field(default_factory=Tally)
    reordered: int = 0  # papers and categories that only moved within their list
    reading: int = 0  # reading rows (status, notes) restored: added or changed
    history: int = 0  # citation history points added
    watched: int = 0  # watched marks added
    changes: list[dict[str, Any]] = field(default_factory=list)  # {"kind", "action", "name", "fields"}
    kept: list[dict[str, Any]] = field(default_factory=list)  # not in the file: {"kind", "name", "reason"}
    problems: list[Problem] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        tallies = (self.categories, self.papers, self.videos)
        return bool(
            any(t.added or t.updated or t.removed for t in tallies)
            or self.reordered
            or self.reading
            or self.history
            or self.watched
            or self.changes
        )

    def as_dict(self) -> dict[str, Any]:
        def tally(t: Tally) -> dict[str, int]:
            return dict(t.__dict__)

        return {
            "dry_run": self.dry_run,
            "changed": self.changed,
            "categories": tally(self.categories),
            "papers": tally(self.papers),
            "videos": tally(self.videos),
            "reordered": self.reordered,
            "reading_restored": self.reading,
            "citation_history_added": self.history,
            "watched_added": self.watched,
            "changes": self.changes,
            "kept": self.kept,
            "problems": [
                {"kind": p.kind, "line" if isinstance(p.where, int) else "where": p.where, "message": p.message}
                for p in self.problems
            ],
        }


def import_parsed(conn: Connection, parsed: Any, *, dry_run: bool = False, prune: bool = False) -> ImportReport:
    """``import_document`` of a file read by ``formats.parse``, in the caller's transaction.

    A catalog document (JSON) is cleaned here, on first use of its ``doc``: when it goes into
    an empty SQLite catalog, the search index of its papers is built meanwhile in the
    background (``SearchFill``, from the text of the papers as the file has them; kept if
    cleaning left that text as it was).
    """
    from paperread import queries

    fill = None
    bodies = _raw_bodies(parsed.raw_papers)
    if bodies and not dry_run and conn.dialect.name == "sqlite" and queries.catalog_is_empty(_reader_on(conn)):
        fill = SearchFill(conn, bodies)
    try:
        doc, problems = parsed.doc, parsed.problems  # the cleaning, beside the fill
        report = import_document(
            conn, doc, carried=parsed.carried, problems=problems, dry_run=dry_run, prune=prune, fill=fill
        )
    except BaseException:
        if fill is not None:
            fill.abort()
        raise
    if fill is not None:
        fill.discard()  # a no-op once the papers took it
    return report


def import_document(
    conn: Connection,
    doc: dict[str, Any],
    *,
    carried: Carried = JSON_CARRIES,
    problems: Iterable[Problem] = (),
    dry_run: bool = False,
    prune: bool = False,
    fill: SearchFill | None = None,
) -> ImportReport:
    """Upsert a cleaned document (``clean_document``) into the catalog, in the caller's
    transaction; with ``dry_run`` nothing is written. See the module's docstring for the rules.

    ``problems`` are the rows the reader and the cleaning skipped: they are counted in the
    report, and ``prune`` is refused when there are any (an unreadable row must not delete
    the paper it was meant to be). ``fill``: a ``SearchFill`` started on this (empty) catalog
    in this transaction, still running (see ``import_parsed``): SQL waits for it.
    """
    from paperread import queries

    report = ImportReport(dry_run=dry_run, problems=list(problems))
    for p in report.problems:
        tally = {"category": report.categories, "paper": report.papers, "video": report.videos}.get(p.kind)
        if tally is not None and p.skipped:
            tally.skipped += 1
    if prune and report.problems:
        raise InputError(
            f"not pruning: {len(report.problems)} row(s) of the file could not be read, and pruning "
            "would remove what they were meant to keep",
            hint="fix those rows (see the list above) or import without --prune",
        )
    if not dry_run and conn.dialect.name == "postgresql":
        from sqlalchemy import text

        from paperread.locks import hold_paper_ids

        hold_paper_ids(conn)  # first, as every writer giving papers arXiv ids and DOIs does
        # Other writers wait for the import (readers do not), so the plan below stays true.
        conn.execute(
            text(
                "LOCK TABLE category, paper, video, video_paper, citation_history, reading, watched "
                "IN SHARE ROW EXCLUSIVE MODE"
            )
        )
    if fill is not None:  # started on an empty catalog, in this transaction: it still is
        return _load_into_empty(conn, doc, report, dry_run=dry_run, fill=fill)
    reader = _reader_on(conn)
    if queries.catalog_is_empty(reader):
        return _load_into_empty(conn, doc, report, dry_run=dry_run)
    _Upsert(conn, reader, doc, carried, report, prune=prune).run(dry_run=dry_run)
    return report


def _reader_on(conn: Connection) -> Any:
    """The read queries on the import's own connection and transaction. On SQLite, straight
    on the sqlite3 connection (the light road's reader: 100,000 rows without SQLAlchemy's
    per-row work); elsewhere through SQLAlchemy."""
    from paperread.engine import ConnectionReader

    if conn.dialect.name == "sqlite":
        from paperread.db import SqliteReader

        return SqliteReader(conn.connection.dbapi_connection)  # never closed here: the session owns it
    return ConnectionReader(conn)


def _load_into_empty(
    conn: Connection, doc: dict[str, Any], report: ImportReport, *, dry_run: bool, fill: SearchFill | None = None
) -> ImportReport:
    report.bulk = True
    if any(p["category"] is None for p in doc["papers"]):
        doc = dict(doc)
        slugs = {c["slug"] for c in doc["categories"]}
        if UNCATEGORIZED["slug"] not in slugs:
            doc["categories"] = [*doc["categories"], dict(UNCATEGORIZED)]
        doc["papers"] = [
            p if p["category"] is not None else {**p, "category": UNCATEGORIZED["slug"]} for p in doc["papers"]
        ]
    report.categories.added = len(doc["categories"])
    report.papers.added = len(doc["papers"])
    report.videos.added = len(doc["videos"])
    report.reading = sum(len(p.get("reading") or []) for p in doc["papers"])
    report.history = sum(len(p.get("citation_history") or []) for p in doc["papers"])
    report.watched = sum(len(v.get("watched_by") or []) for v in doc["videos"])
    if not dry_run:
        load_document(conn, doc, fill=fill)
    return report


def _same_text(a: Any, b: Any) -> bool:
    return (a or None) == (b or None)


def _same_link(a: str | None, b: str | None) -> bool:
    """The same address, written alike or with other percent-escapes (``values.readable_url``:
    a README's link is read back encoded)."""
    return a == b or (a is not None and b is not None and values.readable_url(a) == values.readable_url(b))


def _spaced(text: str) -> str:
    """Runs of whitespace as one space: how a README shows a title or a name."""
    return " ".join(text.split())


def _title_form(text: str) -> str:
    return _spaced(text).casefold()


def _new_positions(doc_refs: list[int], current: list[int], start: int) -> dict[int, int]:
    """Positions that give a list the file's order, touching as few rows as can be.

    ``doc_refs`` are the file's items in its order (database ids, or negative numbers for
    new items), ``current`` the ids already in the list in their order (items only in the
    database included; an item not in it is new to the list), ``start`` the next free position. When the file keeps the current
    order and only adds at the end, the new items are appended; otherwise the list is
    renumbered: the file's items first, then those only in the database.
    """
    in_doc, in_current = set(doc_refs), set(current)
    matched = [ref for ref in doc_refs if ref in in_current]
    if doc_refs[: len(matched)] == matched and [ref for ref in current if ref in in_doc] == matched:
        return {ref: start + i for i, ref in enumerate(doc_refs[len(matched) :])}
    order = doc_refs + [ref for ref in current if ref not in in_doc]
    return {ref: i for i, ref in enumerate(order)}


class _LinkIndex:
    """Papers by their link's match form (``values.normalize_url_for_match``), built on the
    first look-up: a file whose papers all have S2 ids never pays for it."""

    def __init__(self, rows: Iterable[dict[str, Any]]) -> None:
        self._rows = rows
        self._index: dict[str, list[dict[str, Any]]] | None = None

    def get(self, url: str) -> list[dict[str, Any]]:
        from paperread.values import normalize_url_for_match

        if self._index is None:
            self._index = defaultdict(list)
            for row in sorted(self._rows, key=lambda r: r["id"]):
                if row["url"]:
                    self._index[normalize_url_for_match(row["url"])].append(row)
        return self._index.get(normalize_url_for_match(url), [])


class _Upsert:
    """One import into a catalog that already holds rows: plan everything, then write it."""

    def __init__(
        self,
        conn: Connection,
        reader: Any,
        doc: dict[str, Any],
        carried: Carried,
        report: ImportReport,
        *,
        prune: bool,
    ) -> None:
        self.conn, self.reader, self.doc, self.carried, self.report, self.prune = (
            conn,
            reader,
            doc,
            carried,
            report,
            prune,
        )
        self.now = _now()

    # ------------------------------------------------------------------ planning

    def run(self, *, dry_run: bool) -> None:
        from paperread import queries

        r = self.reader
        self.db_cats = {c["id"]: c for c in queries.import_category_state(r)}
        self.db_papers = {p["id"]: p for p in queries.import_paper_state(r)}
        self.db_videos = {v["id"]: v for v in queries.import_video_state(r)}
        self.db_links: dict[int, list[int]] = defaultdict(list)
        for link in queries.import_video_links(r):
            self.db_links[link["video_id"]].append(link["paper_id"])
        self.db_readers = {(row["user_name"], row["paper_id"]): row for row in queries.import_reading_state(r)}
        self.db_watched = {(w["user_name"], w["video_id"]) for w in queries.import_watched_state(r)}
        self.doc_by_key = {p["key"]: p for p in self.doc["papers"]}
        self._plan_categories()
        self._plan_papers()
        self._plan_videos()
        self._plan_recorded()
        self._plan_positions()
        if self.carried.user_state:
            self._plan_user_state()
        self._plan_leftovers()
        self._tally()
        if not dry_run and self.report.changed:
            self._write()

    def _change(self, kind: str, action: str, name: str, fields: Iterable[str] = ()) -> None:
        self.report.changes.append({"kind": kind, "action": action, "name": name, "fields": list(fields)})

    def _plan_categories(self) -> None:
        """Match the file's categories (slug first, then name) and settle every name.

        Names are unique: a name the file gives that a category not in the file holds (or
        that an earlier one took) gets the slug after it, "name (slug)".
        """
        by_slug = {c["slug"]: c for c in self.db_cats.values()}
        by_name = {_spaced(c["name"]): c for c in self.db_cats.values()}
        same = (lambda a, b: a == b) if self.carried.exact_spacing else (lambda a, b: _spaced(a) == _spaced(b))
        self.cat_ref: dict[str, int] = {}  # document slug -> category id, or -(index + 1) of a new one
        self.cat_updates: dict[int, dict[str, Any]] = {}
        self.new_cats: list[dict[str, Any]] = []
        self.cat_unchanged = 0
        matched: dict[str, dict[str, Any]] = {}
        claimed: set[int] = set()
        for c in self.doc["categories"]:
            row = by_slug.get(c["slug"])
            if row is not None:
                matched[c["slug"]] = row
                claimed.add(row["id"])
        for c in self.doc["categories"]:
            row = by_name.get(_spaced(c["name"])) if c["slug"] not in matched else None
            if row is not None and row["id"] not in claimed:
                matched[c["slug"]] = row
                claimed.add(row["id"])
        self.cats_claimed = claimed
        # Names held by categories the file does not name stay theirs; and a name may not be
        # a slug (a category's or a group's): ``-c vision`` must mean one thing.
        self.names_taken = {_spaced(c["name"]) for cid, c in self.db_cats.items() if cid not in claimed}
        self.slugs_taken = set(by_slug)
        self.slug_space = _slug_space([*by_slug, *(c["slug"] for c in self.doc["categories"])])
        for c in self.doc["categories"]:
            row = matched.get(c["slug"])
            if row is None:
                continue
            self.cat_ref[c["slug"]] = row["id"]
            if not self.carried.category_names or same(row["name"], c["name"]):
                self.names_taken.add(_spaced(row["name"]))
                self.cat_unchanged += 1
                continue
            name = self._free_name(c["name"], row["slug"])
            if name == row["name"]:
                self.cat_unchanged += 1
            else:
                self.cat_updates[row["id"]] = {"name": name}
                self._change("category", "updated", row["slug"], ["name"])
        for c in self.doc["categories"]:
            if c["slug"] not in matched:
                self.cat_ref[c["slug"]] = self._new_category(c["slug"], c["name"])

    def _free_name(self, name: str, slug: str) -> str:
        """``name``, or "name (slug)" (then "name (slug) 2"...) when it is taken; now taken."""
        candidate, n = name, 1
        while _spaced(candidate) in self.names_taken or _names_a_slug(candidate, slug, self.slug_space):
            n += 1
            candidate = f"{name} ({slug})" if n == 2 else f"{name} ({slug}) {n - 1}"
        self.names_taken.add(_spaced(candidate))
        return candidate

    def _new_category(self, slug: str, name: str) -> int:
        slug = values.unique_key(slug, self.slugs_taken) if slug in self.slugs_taken else slug
        self.slugs_taken.add(slug)
        self.slug_space |= _slug_space([slug])
        self.new_cats.append({"slug": slug, "name": self._free_name(name, slug)})
        self._change("category", "added", slug)
        return -len(self.new_cats)

    def _uncategorized(self) -> int:
        if UNCATEGORIZED["slug"] not in self.cat_ref:
            row = next((c for c in self.db_cats.values() if c["slug"] == UNCATEGORIZED["slug"]), None)
            self.cat_ref[UNCATEGORIZED["slug"]] = (
                row["id"] if row is not None else self._new_category(UNCATEGORIZED["slug"], UNCATEGORIZED["name"])
            )
        return self.cat_ref[UNCATEGORIZED["slug"]]

    def _plan_papers(self) -> None:
        by_s2: dict[str, dict] = {}
        by_link = _LinkIndex(self.db_papers.values())
        by_arxiv: dict[str, list[dict]] = defaultdict(list)
        by_doi: dict[str, list[dict]] = defaultdict(list)
        by_key: dict[str, dict] = {}
        by_title: dict[str, list[dict]] = defaultdict(list)
        # Candidates in id order, so that the same file picks the same row every time.
        for row in sorted(self.db_papers.values(), key=lambda r: r["id"]):
            by_title[_title_form(row["title"])].append(row)
            if row["s2_id"]:
                by_s2[row["s2_id"]] = row
            if row["arxiv_id"]:
                by_arxiv[row["arxiv_id"]].append(row)
            if row["doi"]:
                by_doi[row["doi"]].append(row)
            by_key[row["key"]] = row
        claimed: set[int] = set()
        keys_taken = set(by_key)
        self.paper_ref: dict[str, int] = {}  # document key -> paper id, or -(index + 1) of a new one
        self.paper_updates: dict[int, dict[str, Any]] = {}  # id -> column values
        self.paper_fields: dict[int, list[str]] = {}  # id -> field names shown in the report
        self.new_papers: list[dict[str, Any]] = []  # document papers, with their final key
        self.final_cat: dict[int, int] = {}  # paper ref -> category ref
        self.doc_paper_of: dict[int, dict[str, Any]] = {}  # paper ref -> document paper
        modes = self.carried.papers
        # Semantic Scholar ids first, so that no paper matched by link or key takes the row
        # that a later paper of the file names by its S2 id.
        by_id_first = {
            i: by_s2[p["s2_id"]]
            for i, p in enumerate(self.doc["papers"])
            if p["s2_id"] is not None and p["s2_id"] in by_s2
        }
        claimed.update(row["id"] for row in by_id_first.values())
        for i, p in enumerate(self.doc["papers"]):
            cat = self.cat_ref.get(p["category"]) if p["category"] is not None else None
            row = by_id_first.get(i) or self._match(p, cat, by_link, by_arxiv, by_doi, by_key, by_title, claimed)
            if row is None:
                key = p["key"] if p["key"] not in keys_taken else values.unique_key(p["key"], keys_taken)
                keys_taken.add(key)
                self.new_papers.append({**p, "key": key})
                ref = -len(self.new_papers)
                self.final_cat[ref] = (
                    self.cat_ref[p["category"]] if p["category"] is not None else self._uncategorized()
                )
            else:
                claimed.add(row["id"])
                ref = row["id"]
                self._diff_paper(row, p, modes)
            self.paper_ref[p["key"]] = ref
            self.doc_paper_of[ref] = p
        self.papers_claimed = claimed
        self._keep_ids_unique()

    def _keep_ids_unique(self) -> None:
        """An arXiv id or DOI the file gives a paper is left off it when another paper of the
        catalog keeps it (``add`` and ``edit`` refuse a taken one too); a warning says so.
        (S2 ids cannot collide: a paper with one is matched by it first.)"""
        for name in ("arxiv_id", "doi"):
            holder: dict[str, str] = {}  # id -> key of the paper that has it after the import
            for row in self.db_papers.values():
                if row[name] and name not in self.paper_updates.get(row["id"], {}):
                    holder[row[name]] = row["key"]
            for paper_id, update in self.paper_updates.items():
                value = update.get(name)
                if value is None:
                    continue
                key = self.db_papers[paper_id]["key"]
                if holder.setdefault(value, key) != key:
                    del update[name]
                    self.paper_fields[paper_id].remove(name)
                    self._id_taken(key, name, value, holder[value])
            for i, p in enumerate(self.new_papers):
                if p[name] is not None and holder.setdefault(p[name], p["key"]) != p["key"]:
                    self._id_taken(p["key"], name, p[name], holder[p[name]])
                    self.new_papers[i] = {**p, name: None}
        for paper_id in [i for i, update in self.paper_updates.items() if not update]:
            del self.paper_updates[paper_id], self.paper_fields[paper_id]

    def _id_taken(self, key: str, name: str, value: str, holder: str) -> None:
        self.report.problems.append(
            Problem(
                "paper", f"paper '{key}'", f"{_ID_NAMES[name]} {value} left off: paper '{holder}' has it", skipped=False
            )
        )

    @staticmethod
    def _match(p, cat, by_link, by_arxiv, by_doi, by_key, by_title, claimed) -> dict | None:
        """The database paper a file's paper is, by link, arXiv id, DOI or key (its S2 id
        found none), or, for a paper the file gives no id or link at all, by title (a README
        cannot carry keys); never one claimed already or with another S2 id."""
        s2 = p["s2_id"]

        def fits(row: dict) -> bool:
            return row["id"] not in claimed and (s2 is None or row["s2_id"] is None or row["s2_id"] == s2)

        candidates: list[list[dict]] = []
        if p["url"]:
            candidates.append(by_link.get(p["url"]))
        if p["arxiv_id"]:
            candidates.append(by_arxiv.get(p["arxiv_id"], []))
        if p["doi"]:
            candidates.append(by_doi.get(p["doi"], []))
        candidates.append([by_key[p["key"]]] if p["key"] in by_key else [])
        if not (s2 or p["url"] or p["arxiv_id"] or p["doi"]):  # same title: one in the same category first
            same = by_title.get(_title_form(p["title"]), [])
            candidates.append(sorted(same, key=lambda row: row["category_id"] != cat))
        for rows in candidates:
            for row in rows:
                if fits(row):
                    return row
        return None

    def _diff_paper(self, row: dict[str, Any], p: dict[str, Any], modes: Mapping[str, str]) -> None:
        changes: dict[str, Any] = {}
        shown: list[str] = []
        for name, mode in modes.items():
            if name in ("recorded", "category", "citations"):
                continue
            new = p[name]
            old = day_text(row[name]) if name == "publication_date" else row[name]
            if (mode == "fill" and new is None) or (mode == "seed" and old is not None):
                continue
            if name == "title" and not self.carried.exact_spacing:
                differs = _spaced(new) != _spaced(old)
            elif name == "url":
                differs = not _same_link(new, old)
            else:
                differs = (new != old) if name == "year" else not _same_text(new, old)
            if differs:
                changes[name] = _date(new) if name == "publication_date" else new
                shown.append(name)
        mode = modes.get("citations")
        if mode is not None and p["citations"] is not None:
            new_at, old_at = p["citations_fetched_at"], stamp_text(row["citations_fetched_at"])
            if mode == "seed":
                apply = row["citation_count"] is None
            else:  # newest: a count fetched no earlier than the stored one (or the first one)
                apply = old_at is None if new_at is None else (old_at is None or _utc(new_at) >= _utc(old_at))
            if apply and (p["citations"] != row["citation_count"] or (new_at is not None and new_at != old_at)):
                changes["citation_count"] = p["citations"]
                if new_at is not None:
                    changes["citations_fetched_at"] = _db_stamp(new_at)
                shown.append("citations")
        cat = self.cat_ref[p["category"]] if p["category"] is not None else row["category_id"]
        self.final_cat[row["id"]] = cat
        if cat != row["category_id"]:
            changes["category_id"] = cat  # a negative (new) id is resolved when written
            shown.append("category")
        if changes:
            self.paper_updates[row["id"]] = changes
            self.paper_fields[row["id"]] = shown

    def _plan_videos(self) -> None:
        """Videos the file lists (matched or new), their ties to papers, and who covers what."""
        self.video_ref: dict[int, int] = {}  # document index -> video id, or -(index + 1) of a new one
        self.video_updates: dict[int, dict[str, Any]] = {}
        self.new_videos: list[dict[str, Any]] = []
        self.final_links: dict[int, list[int]] = {}  # video ref -> paper refs, for videos whose ties change
        self.videos_claimed: set[int] = set()
        self.video_unchanged = 0
        if not self.carried.videos:
            return
        by_bv = {v["bilibili"]: v for v in self.db_videos.values() if v["bilibili"]}
        by_day_title: dict[tuple[str | None, str], list[dict]] = defaultdict(list)
        for v in self.db_videos.values():
            by_day_title[(day_text(v["date"]), _spaced(v["title"]))].append(v)
        for index, v in enumerate(self.doc["videos"]):
            row = by_bv.get(v["bilibili"]) if v["bilibili"] else None
            if row is not None and row["id"] in self.videos_claimed:
                row = None
            if row is None:
                row = next(
                    (
                        c
                        for c in by_day_title.get((v["date"], _spaced(v["title"])), [])
                        if c["id"] not in self.videos_claimed
                        and (c["bilibili"] is None or c["bilibili"] == v["bilibili"])
                    ),
                    None,
                )
            wanted = [self.paper_ref[key] for key in v["papers"] if key in self.paper_ref]
            if row is None:
                self.new_videos.append(v)
                ref = -len(self.new_videos)
                self.final_links[ref] = wanted
                self._change("video", "added", f"{v['date']} {v['title']}")
            else:
                ref = row["id"]
                self.videos_claimed.add(ref)
                shown = self._diff_video(row, v, wanted)
                if shown:
                    self._change("video", "updated", f"{v['date']} {v['title']}", shown)
                else:
                    self.video_unchanged += 1
            self.video_ref[index] = ref

    def _diff_video(self, row: dict[str, Any], v: dict[str, Any], wanted: list[int]) -> list[str]:
        changes: dict[str, Any] = {}
        for name in ("date", "title", "duration_seconds", "bilibili", "youtube", "zhihu", "link"):
            old = day_text(row["date"]) if name == "date" else row[name]
            if name == "title" and not self.carried.exact_spacing and _spaced(old) == _spaced(v[name]):
                continue
            if (
                name == "link"
                and not self.carried.video_ties_exact
                and self._tie_link(v, v["link"])
                and (old is None or self._tie_link(v, old))
            ):
                continue  # a README's title links the papers it covers: no link of the video's own
            if v[name] != old and not (name == "link" and _same_link(v[name], old)):
                changes[name] = _date(v[name]) if name == "date" else v[name]
        if changes:
            self.video_updates[row["id"]] = changes
        shown = list(changes)
        current = self.db_links.get(row["id"], [])
        if not self.carried.video_ties_exact:
            # A README ties a video to a paper by a link to it: a paper with no link and no S2
            # id cannot be tied there, so its tie is kept rather than taken as removed.
            wanted = list(dict.fromkeys(wanted + [pid for pid in current if not self._linkable(pid)]))
            same = set(wanted) == set(current)
        else:
            same = wanted == current
        if not same:
            self.final_links[row["id"]] = wanted
            shown.append("papers")
        return shown

    def _tie_link(self, v: dict[str, Any], link: str | None) -> bool:
        """Whether a link of a README video is just its tie to a paper it covers."""
        from paperread.values import normalize_url_for_match

        if link is None:
            return False
        link = normalize_url_for_match(link)
        for key in v["papers"]:
            p = self.doc_by_key.get(key)
            if p is None:
                continue
            targets = [p["url"], f"https://www.semanticscholar.org/paper/{p['s2_id']}" if p["s2_id"] else None]
            if any(t and normalize_url_for_match(t) == link for t in targets):
                return True
        return False

    def _linkable(self, paper_id: int) -> bool:
        row = self.db_papers[paper_id]
        update = self.paper_updates.get(paper_id, {})
        return bool(update.get("url", row["url"]) or update.get("s2_id", row["s2_id"]))

    def _plan_recorded(self) -> None:
        """Which papers are covered once the ties change; marked_recorded from the file."""
        self.videos_removed: list[int] = []
        self.videos_kept: list[int] = []
        if self.carried.videos:
            watched = {vid for _, vid in self.db_watched}
            for vid in self.db_videos:
                if vid in self.videos_claimed:
                    continue
                if self.prune and vid not in watched:
                    self.videos_removed.append(vid)
                else:
                    self.videos_kept.append(vid)
        removed = set(self.videos_removed)
        covering_before: dict[int, set[int]] = defaultdict(set)
        for vid, papers in self.db_links.items():
            for pid in papers:
                covering_before[pid].add(vid)
        covering_after: dict[int, set[int]] = defaultdict(set)
        for vid, papers in self.db_links.items():
            if vid not in removed and vid not in self.final_links:
                for pid in papers:
                    covering_after[pid].add(vid)
        for vref, papers in self.final_links.items():
            for pref in papers:
                covering_after[pref].add(vref)
        covered_after = {ref for ref, vids in covering_after.items() if vids}
        # A change in the videos covering a paper is a change to the paper (store.py's rule).
        relinked = {pid for pid in self.db_papers if covering_before.get(pid, set()) != covering_after.get(pid, set())}
        # Marked recorded: the file's ✅ where no video covers the paper. A flag that changes
        # while the paper stays recorded (a video now covers it) is written with the new tie.
        self.new_marked: dict[int, bool] = {}
        if "recorded" in self.carried.papers:
            for ref, p in self.doc_paper_of.items():
                if p["recorded"] is None:
                    continue
                marked = p["recorded"] and ref not in covered_after
                if ref < 0:
                    self.new_marked[ref] = marked
                    continue
                row = self.db_papers[ref]
                if marked == bool(row["marked_recorded"]):
                    continue
                was = bool(row["marked_recorded"]) or bool(covering_before.get(ref))
                if was != (marked or ref in covered_after):
                    self.paper_updates.setdefault(ref, {})["marked_recorded"] = marked
                    self.paper_fields.setdefault(ref, []).append("recorded")
                elif ref in relinked:
                    self.paper_updates.setdefault(ref, {})["marked_recorded"] = marked
        for pid in relinked:
            self.paper_updates.setdefault(pid, {})
            fields = self.paper_fields.setdefault(pid, [])
            if "videos" not in fields:
                fields.append("videos")

    def _plan_positions(self) -> None:
        """Categories and papers in the file's order (when it has one); new ones at the end."""
        self.cat_positions: dict[int, int] = {}
        self.paper_positions: dict[int, int] = {}
        current_cats = [c["id"] for c in sorted(self.db_cats.values(), key=lambda c: (c["position"], c["id"]))]
        cat_start = max((c["position"] for c in self.db_cats.values()), default=-1) + 1
        doc_cats = list(dict.fromkeys(self.cat_ref[c["slug"]] for c in self.doc["categories"]))
        if UNCATEGORIZED["slug"] in self.cat_ref and self.cat_ref[UNCATEGORIZED["slug"]] not in doc_cats:
            doc_cats.append(self.cat_ref[UNCATEGORIZED["slug"]])
        if self.carried.order:
            wanted = _new_positions(doc_cats, current_cats, cat_start)
        else:
            wanted = {ref: cat_start + i for i, ref in enumerate(r for r in doc_cats if r < 0)}
        for ref, position in wanted.items():
            if ref < 0 or self.db_cats[ref]["position"] != position:
                self.cat_positions[ref] = position
        # Papers: per final category, the file's papers in its order.
        members: dict[int, list[int]] = defaultdict(list)  # category id -> current paper ids in order
        for row in sorted(self.db_papers.values(), key=lambda r: (r["position"], r["id"])):
            members[row["category_id"]].append(row["id"])
        doc_order: dict[int, list[int]] = defaultdict(list)
        for p in self.doc["papers"]:
            ref = self.paper_ref[p["key"]]
            doc_order[self.final_cat[ref]].append(ref)
        for cat, refs in doc_order.items():
            # Papers moving in from another category count as new to this one.
            current = [pid for pid in members.get(cat, []) if self.final_cat.get(pid, cat) == cat]
            in_current = set(current)
            start = max((self.db_papers[pid]["position"] for pid in current), default=-1) + 1
            if self.carried.order:
                wanted = _new_positions(refs, current, start)
            else:
                wanted = {ref: start + i for i, ref in enumerate(r for r in refs if r not in in_current)}
            for ref, position in wanted.items():
                if ref < 0 or self.db_papers[ref]["position"] != position:
                    self.paper_positions[ref] = position

    def _plan_user_state(self) -> None:
        from paperread import queries

        self.reading_updates: dict[int, dict[str, Any]] = {}
        self.new_reading: list[tuple[int, dict[str, Any]]] = []
        for ref, p in self.doc_paper_of.items():
            for r in p["reading"]:
                row = self.db_readers.get((r["user"], ref)) if ref > 0 else None
                if row is None:
                    self.new_reading.append((ref, r))
                    continue
                same = (
                    row["status"] == r["status"]
                    and stamp_text(row["started_at"]) == r["started_at"]
                    and stamp_text(row["read_at"]) == r["read_at"]
                    and _same_text(row["note"], r["note"])
                )
                if same:
                    continue
                # Never an older state over a newer one: a note written since the file was
                # made stays (and so does any, when the file cannot say how old its row is).
                file_at, db_at = _utc(r["updated_at"]), _utc(row["updated_at"])
                if file_at is None or (db_at is not None and file_at < db_at):
                    self.report.problems.append(
                        Problem(
                            "paper", f"paper '{p['key']}'",
                            f"{r['user']}'s reading state and note kept: "
                            + ("the file's have no time" if file_at is None else "the catalog's are newer than the file's"),
                            skipped=False,
                        )
                    )  # fmt: skip
                    continue
                self.reading_updates[row["id"]] = {
                    "status": r["status"],
                    "started_at": _db_stamp(r["started_at"]),
                    "read_at": _db_stamp(r["read_at"]),
                    "note": r["note"],
                    "updated_at": _db_stamp(r["updated_at"]),
                }
        history_at: dict[int, set[tuple[int, str | None]]] = defaultdict(set)
        if any(p["citation_history"] for p in self.doc["papers"]):
            for h in queries.import_history_state(self.reader):
                history_at[h["paper_id"]].add((h["citations"], stamp_text(h["fetched_at"])))
        self.new_history = [
            (ref, h)
            for ref, p in self.doc_paper_of.items()
            for h in p["citation_history"]
            if (h["count"], h["fetched_at"]) not in history_at.get(ref, set())
        ]
        watched = self.db_watched
        self.new_watched = [
            (self.video_ref[i], w)
            for i, v in enumerate(self.doc["videos"])
            if i in self.video_ref
            for w in v["watched_by"]
            if (w["user"], self.video_ref[i]) not in watched
        ]

    def _plan_leftovers(self) -> None:
        """Papers, videos and categories in the database but not in the file."""
        report = self.report
        self.papers_removed: list[int] = []
        has_reading = {pid for _, pid in self.db_readers}
        for pid, row in self.db_papers.items():
            if pid in self.papers_claimed:
                continue
            if self.prune and pid not in has_reading:
                self.papers_removed.append(pid)
                self._change("paper", "removed", row["key"])
            else:
                report.papers.not_in_file += 1
                reason = "someone's reading state or notes are on it" if self.prune else "not in the file"
                report.kept.append({"kind": "paper", "name": row["key"], "reason": reason})
        if self.papers_removed:
            # As ``remove`` does: a video left covering no paper goes with its papers (unless
            # someone watched it); talks, which never covered one, stay.
            gone, watched = set(self.papers_removed), {vid for _, vid in self.db_watched}
            settled = self.videos_claimed | set(self.videos_removed) | set(self.videos_kept)
            for vid, papers in self.db_links.items():
                if vid not in settled and papers and gone.issuperset(papers):
                    (self.videos_kept if vid in watched else self.videos_removed).append(vid)
        for vid in self.videos_removed:
            v = self.db_videos[vid]
            self._change("video", "removed", f"{day_text(v['date'])} {v['title']}")
        for vid in self.videos_kept:
            v = self.db_videos[vid]
            report.videos.not_in_file += 1
            reason = "someone watched it" if self.prune else "not in the file"
            report.kept.append({"kind": "video", "name": f"{day_text(v['date'])} {v['title']}", "reason": reason})
        self.cats_removed: list[int] = []
        if self.carried.category_names:
            removed = set(self.papers_removed)
            used = {
                self.final_cat.get(pid, row["category_id"]) for pid, row in self.db_papers.items() if pid not in removed
            }
            used |= {self.final_cat[-(i + 1)] for i in range(len(self.new_papers))}
            for cid, c in self.db_cats.items():
                if cid in self.cats_claimed:
                    continue
                if self.prune and cid not in used:
                    self.cats_removed.append(cid)
                    self._change("category", "removed", c["slug"])
                else:
                    report.categories.not_in_file += 1
                    reason = "it still holds papers" if self.prune else "not in the file"
                    report.kept.append({"kind": "category", "name": c["slug"], "reason": reason})
            for cid in self.cats_removed:
                self.cat_positions.pop(cid, None)
        # Papers pruned away need no other change.
        for pid in self.papers_removed:
            self.paper_updates.pop(pid, None)
            self.paper_fields.pop(pid, None)
            self.paper_positions.pop(pid, None)

    def _tally(self) -> None:
        report = self.report
        report.categories.added = len(self.new_cats)
        report.categories.updated = len(self.cat_updates)
        report.categories.unchanged = self.cat_unchanged
        report.categories.removed = len(self.cats_removed)
        report.papers.added = len(self.new_papers)
        for p in self.new_papers:
            self._change("paper", "added", p["key"])
        in_file = self.papers_claimed
        order = {ref: i for i, ref in enumerate(self.doc_paper_of)}
        for pid in sorted(self.paper_fields, key=lambda pid: (order.get(pid, len(order)), pid)):
            self._change("paper", "updated", self.db_papers[pid]["key"], self.paper_fields[pid])
        report.papers.updated = sum(1 for pid in self.paper_fields if pid in in_file)
        report.papers.unchanged = len(in_file) - report.papers.updated
        report.papers.removed = len(self.papers_removed)
        report.videos.added = len(self.new_videos)
        report.videos.updated = len(self.videos_claimed) - self.video_unchanged
        report.videos.unchanged = self.video_unchanged
        report.videos.removed = len(self.videos_removed)
        report.reordered = sum(1 for ref in self.paper_positions if ref > 0 and ref not in self.paper_fields) + sum(
            1 for ref in self.cat_positions if ref > 0 and ref not in self.cat_updates
        )
        if self.carried.user_state:
            report.reading = len(self.reading_updates) + len(self.new_reading)
            report.history = len(self.new_history)
            report.watched = len(self.new_watched)
            for ref, r in self.new_reading:
                if ref > 0:
                    self._change("reading", "added", f"{self.db_papers[ref]['key']} ({r['user']})")
            by_id = {row["id"]: row for row in self.db_readers.values()}
            for rid in self.reading_updates:
                row = by_id[rid]
                self._change("reading", "updated", f"{self.db_papers[row['paper_id']]['key']} ({row['user_name']})")
        report.changes.sort(
            key=lambda c: (["category", "paper", "video", "reading"].index(c["kind"]), c["action"] != "added")
        )

    # ------------------------------------------------------------------ writing

    def _write(self) -> None:
        from sqlalchemy import delete

        from paperread.models import Category, CitationHistory, Paper, Reading, Video, VideoPaper, Watched

        conn, now = self.conn, self.now
        cats, papers, videos = Category.__table__, Paper.__table__, Video.__table__

        # Categories: a name passed from one to another goes through a placeholder first.
        renamed = {cid: u for cid, u in self.cat_updates.items() if "name" in u}
        if renamed:
            _update_many(conn, cats, {cid: {"name": f"~import/{cid}"} for cid in renamed})
        cat_changes = {cid: dict(u) for cid, u in self.cat_updates.items()}
        for ref, position in self.cat_positions.items():
            if ref > 0:
                cat_changes.setdefault(ref, {})["position"] = position
        _update_many(conn, cats, cat_changes)
        _more_cache(conn)
        new_cat_ids = _insert_returning_ids(
            conn,
            cats,
            [{**c, "position": self.cat_positions.get(-(i + 1), 0)} for i, c in enumerate(self.new_cats)],
        )

        def cat_id(ref: int) -> int:
            return ref if ref > 0 else new_cat_ids[-ref - 1]

        # Prune first: frees nothing the rest needs, and the deletes cascade to ties.
        _delete_ids(conn, videos, self.videos_removed)
        _delete_ids(conn, papers, self.papers_removed)

        paper_changes: dict[int, dict[str, Any]] = {}
        for pid, changes in self.paper_updates.items():
            row = dict(changes)
            if "category_id" in row:
                row["category_id"] = cat_id(row["category_id"])
            row["updated_at"] = now
            row["version"] = (self.db_papers[pid]["version"] or 0) + 1
            paper_changes[pid] = row
        for ref, position in self.paper_positions.items():
            if ref > 0:
                paper_changes.setdefault(ref, {})["position"] = position
        _update_many(conn, papers, paper_changes)
        new_rows = [
            _paper_row(
                p,
                cat_id(self.final_cat[-(i + 1)]),
                self.paper_positions.get(-(i + 1), 0),
                self.new_marked.get(-(i + 1), False),
                now,
            )
            for i, p in enumerate(self.new_papers)
        ]
        new_paper_ids: list[int] = []
        if new_rows:
            with fts_deferred(conn):
                new_paper_ids = _insert_returning_ids(conn, papers, new_rows)

        def paper_id(ref: int) -> int:
            return ref if ref > 0 else new_paper_ids[-ref - 1]

        _update_many(conn, videos, self.video_updates)
        new_video_ids = _insert_returning_ids(conn, videos, [_video_row(v, now) for v in self.new_videos])

        def video_id(ref: int) -> int:
            return ref if ref > 0 else new_video_ids[-ref - 1]

        relinked = [ref for ref in self.final_links if ref > 0]
        if relinked:
            for chunk in _chunks(relinked):
                conn.execute(delete(VideoPaper.__table__).where(VideoPaper.__table__.c.video_id.in_(chunk)))
        links = [
            {"video_id": video_id(vref), "paper_id": paper_id(pref), "position": i}
            for vref, prefs in self.final_links.items()
            for i, pref in enumerate(prefs)
        ]
        _insert_rows(conn, VideoPaper.__table__, links)

        if self.carried.user_state:
            _update_many(conn, Reading.__table__, self.reading_updates)
            _insert_rows(conn, Reading.__table__, [_reading_row(r, paper_id(ref), now) for ref, r in self.new_reading])
            rows = [
                {"paper_id": paper_id(ref), "citations": h["count"], "fetched_at": h["fetched_at"]}
                for ref, h in self.new_history
            ]
            _insert_rows(conn, CitationHistory.__table__, rows)
            rows = [
                {"user_name": w["user"], "video_id": video_id(ref), "watched_at": w["watched_at"] or now}
                for ref, w in self.new_watched
            ]
            _insert_rows(conn, Watched.__table__, rows)
        _delete_ids(conn, cats, self.cats_removed)


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def _delete_ids(conn: Connection, table: Any, ids: list[int]) -> None:
    from sqlalchemy import delete

    for chunk in _chunks(ids):
        conn.execute(delete(table).where(table.c.id.in_(chunk)))


def _update_many(conn: Connection, table: Any, updates: Mapping[int, Mapping[str, Any]]) -> None:
    """UPDATE rows by id: one executemany per set of columns changed."""
    from sqlalchemy import bindparam, update

    groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for row_id, changes in updates.items():
        if changes:
            groups[tuple(sorted(changes))].append({"row_id": row_id, **{f"new_{k}": v for k, v in changes.items()}})
    for columns, rows in groups.items():
        stmt = (
            update(table)
            .where(table.c.id == bindparam("row_id"))
            .values({name: bindparam(f"new_{name}") for name in columns})
        )
        conn.execute(stmt, rows)
