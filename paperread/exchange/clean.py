"""Cleaning a catalog document: every value checked and put in canonical form.

``clean_document`` takes a document as a file gave it (the JSON reader's, or one the README,
CSV and BibTeX readers built) and returns the rows it keeps, cleaned, with the rows it had to
skip (``Problem``: what, where, why). A bad row never stops the others; a document that is no
catalog document at all is refused (InputError).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Container, Iterable, Mapping
from operator import itemgetter
from typing import Any

from paperread import gate, limits, values
from paperread.errors import InputError
from paperread.exchange.document import FORMAT, FORMAT_VERSION, check_document, stamp_text
from paperread.exchange.plan import Problem
from paperread.values import READ_STATUSES

CATEGORY_NAME_MAX = gate.LIMITS["category name"]
ARXIV_MAX = 40  # the columns' sizes (models.py)
DOI_MAX = 200
_TITLE_MAX = gate.LIMITS["title"]
_LINK_MAX = gate.LIMITS["link"]
ID_NAMES = {"s2_id": "Semantic Scholar id", "arxiv_id": "arXiv id", "doi": "DOI"}


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


def _title(value: Any, what: str = "title", limit: int = gate.LIMITS["title"]) -> str:
    """Non-empty one-line text through the gate: line breaks and tabs become spaces; any
    other control character, a bidirectional override or an unpaired surrogate is refused."""
    if (
        type(value) is str
        and value
        and len(value) <= limit
        and value.isprintable()
        and not value[0].isspace()
        and not value[-1].isspace()
    ):
        return value
    text = _str(value, what)
    if not text.strip():
        raise InputError(f"{what} is empty")
    return gate.line(text, what, fold=True, limit=limit)


def _text(value: Any, what: str) -> str | None:
    """Optional free text (may span lines), stripped; empty is None."""
    if value is None:
        return None
    if (
        type(value) is str
        and value
        and value.isprintable()
        and len(value) <= gate.LIMITS[what]
        and not value[0].isspace()
        and not value[-1].isspace()
    ):
        return value
    return gate.text(_str(value, what), what)


def _url(value: Any, what: str = "link") -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and len(value) <= gate.LIMITS["link"] and _URL_FAST_RE.fullmatch(value):
        return value
    return gate.check_length(values.check_http_url(_str(value, what)), what, gate.LIMITS["link"])


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


def _at_most(value: str | None, limit: int, what: str) -> str | None:
    if value is not None and len(value) > limit:
        raise InputError(f"{what} '{value[:40]}...' is longer than {limit} characters")
    return value


def _arxiv(value: Any) -> str | None:
    if type(value) is str and _ARXIV_FAST_RE.fullmatch(value):
        return value
    return _at_most(_optional(value, values.normalize_arxiv_id, "arXiv id"), ARXIV_MAX, "arXiv id")


def _doi(value: Any) -> str | None:
    if type(value) is str and _DOI_FAST_RE.fullmatch(value) and value == value.lower() and len(value) <= DOI_MAX:
        return value
    return _at_most(_optional(value, values.normalize_doi, "DOI"), DOI_MAX, "DOI")


CITE_KEY_MAX = 200
_CITE_KEY_RE = re.compile(r"[^\s,{}()\"#%'=\\]{1,200}")


def clean_cite_key(value: Any) -> str | None:
    """A citation key as a file gives it (case, ':', '_', '/', '.' kept): one BibTeX word."""
    if value is None or value == "":
        return None
    text = _str(value, "citation key").strip()
    if not _CITE_KEY_RE.fullmatch(text):
        raise InputError(
            f"citation key {values.shown(text)} is not a BibTeX key (no spaces, commas, braces or quotes; "
            f"at most {CITE_KEY_MAX} characters)"
        )
    return text


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
    return gate.user(_str(value, "user"))


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


# ---------------------------------------------------------------------------- rows


def _clean_category(c: Any) -> dict[str, str]:
    if not isinstance(c, dict):
        raise InputError("not an object")
    gate.duplicated_fields(c)
    name = _title(c.get("name"), "name", CATEGORY_NAME_MAX)
    return {"slug": clean_slug(c.get("slug")), "name": name}


def _clean_reading(entries: Any) -> list[dict[str, Any]]:
    reading: list[dict[str, Any]] = []
    users: set[str] = set()
    for r in _list(entries, "reading"):
        if not isinstance(r, dict):
            raise InputError("a reading entry is not an object")
        gate.duplicated_fields(r)
        user = _user(r.get("user"))
        if user in users:
            raise InputError(f"user '{user}' has two reading entries")
        users.add(user)
        status = r.get("status")
        if status is not None and status not in READ_STATUSES:
            raise InputError(f"reading status {status!r} is not 'read', 'reading' or null")
        note = r.get("note")
        if note is not None:
            note = gate.note(_str(note, "note"))
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
    return reading


def _clean_history(entries: Any) -> list[dict[str, Any]]:
    history = []
    for h in _list(entries, "citation_history"):
        if type(h) is dict:  # a point as an export writes it: taken as it is (a real moment, checked)
            count, stamp = h.get("count"), h.get("fetched_at")
            if (
                (count is None or (type(count) is int and 0 <= count <= limits.COUNT_MAX))
                and type(stamp) is str
                and _STAMP_RE.fullmatch(stamp)
            ):
                try:
                    dt.datetime.fromisoformat(stamp)
                except ValueError:
                    pass
                else:
                    history.append({"count": count, "fetched_at": stamp})
                    continue
        if not isinstance(h, dict):
            raise InputError("a citation_history entry is not an object")
        stamp = _stamp(h.get("fetched_at"), "fetched_at")
        if stamp is None:
            raise InputError("a citation_history entry has no fetched_at")
        history.append({"count": _count(h.get("count"), "citation count"), "fetched_at": stamp})
    return history


_PAPER_FIELDS = itemgetter(
    "key", "title", "year", "category", "url", "description", "s2_id", "arxiv_id", "doi", "authors", "venue",
    "publication_date", "recorded", "citations", "citations_fetched_at", "citation_history", "reading",
)  # fmt: skip
_DESCRIPTION_MAX, _AUTHORS_MAX, _VENUE_MAX = (gate.LIMITS[name] for name in ("description", "authors", "venue"))


def _fast_paper(p: dict[str, Any], slugs: set[str], latest: int, optionals: bool = False) -> dict[str, Any] | None:
    """``_clean_paper`` of a paper whose every value is already canonical (as an export writes
    them), with the same checks in one place; None when any value needs the full road (which
    then says what is wrong with it, or makes it canonical). Reading state and citation history
    take their own cleaning, as there. ``optionals``: the optional values other than the key
    passed ``fast_optionals`` (none of them empty) and are not checked again here."""
    try:
        (key, title, year, category, url, description, s2, arxiv, doi, authors, venue, day, recorded, citations,
         fetched, history, reading) = _PAPER_FIELDS(p)  # fmt: skip
    except KeyError:
        return None
    cite = p.get("cite_key")
    if not (
        (category is None or (type(category) is str and category in slugs))
        and type(key) is str
        and values.KEY_RE.fullmatch(key)
        and type(title) is str
        and title
        and len(title) <= _TITLE_MAX
        and title.isprintable()
        and not title[0].isspace()
        and not title[-1].isspace()
        and (recorded is None or type(recorded) is bool)
        and (fetched is None or (type(fetched) is str and _STAMP_RE.fullmatch(fetched)))
    ):
        return None
    if not optionals and not (
        (cite is None or (type(cite) is str and _CITE_KEY_RE.fullmatch(cite)))
        and (year is None or (type(year) is int and values.EARLIEST_YEAR <= year <= latest))
        and (url is None or (type(url) is str and len(url) <= _LINK_MAX and _URL_FAST_RE.fullmatch(url)))
        and (
            description is None
            or (
                type(description) is str
                and description
                and len(description) <= _DESCRIPTION_MAX
                and description.isprintable()
                and not description[0].isspace()
                and not description[-1].isspace()
            )
        )
        and (
            authors is None
            or (
                type(authors) is str
                and authors
                and len(authors) <= _AUTHORS_MAX
                and authors.isprintable()
                and not authors[0].isspace()
                and not authors[-1].isspace()
            )
        )
        and (
            venue is None
            or (
                type(venue) is str
                and venue
                and len(venue) <= _VENUE_MAX
                and venue.isprintable()
                and not venue[0].isspace()
                and not venue[-1].isspace()
            )
        )
        and (s2 is None or (type(s2) is str and _S2_RE.fullmatch(s2)))
        and (arxiv is None or (type(arxiv) is str and _ARXIV_FAST_RE.fullmatch(arxiv)))
        and (
            doi is None
            or (type(doi) is str and len(doi) <= DOI_MAX and _DOI_FAST_RE.fullmatch(doi) and doi == doi.lower())
        )
        and (day is None or (type(day) is str and _DAY_RE.fullmatch(day)))
        and (citations is None or (type(citations) is int and 0 <= citations <= limits.COUNT_MAX))
    ):
        return None
    try:  # real dates and moments?
        if day is not None:
            dt.date.fromisoformat(day)
        if fetched is not None:
            dt.datetime.fromisoformat(fetched)
    except ValueError:
        return None
    # (in the full road's order, so a bad entry is reported as it is there)
    cleaned_reading = [] if reading is None or reading == [] else _clean_reading(reading)
    cleaned_history = [] if history is None or history == [] else _clean_history(history)
    return {
        "key": key,
        "cite_key": cite,
        "title": title,
        "year": year,
        "category": category,
        "url": url,
        "description": description,
        "s2_id": s2,
        "arxiv_id": arxiv if arxiv is not None else _arxiv_of(url),
        "doi": doi,
        "authors": authors,
        "venue": venue,
        "publication_date": day,
        "recorded": recorded,
        "citations": citations,
        "citations_fetched_at": fetched,
        "citation_history": cleaned_history,
        "reading": cleaned_reading,
    }


def _clean_paper(p: Any, slugs: set[str], latest: int, optionals: bool = False) -> dict[str, Any]:
    if type(p) is dict:  # (not a ``gate.Duplicated``: that one is refused below)
        fast = _fast_paper(p, slugs, latest, optionals)
        if fast is not None:
            return fast
    if not isinstance(p, dict):
        raise InputError("not an object")
    gate.duplicated_fields(p)
    category = p.get("category")
    if category is not None and (not isinstance(category, str) or category not in slugs):
        shown = json.dumps(category, ensure_ascii=False)[:60]
        raise InputError(f"category {shown} is not one of the document's categories")
    key = p.get("key")
    reading = _clean_reading(p.get("reading"))
    history = _clean_history(p.get("citation_history"))
    url = _url(p.get("url"))
    return {
        "key": clean_key(key) if key not in (None, "") else None,
        "cite_key": clean_cite_key(p.get("cite_key")),
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


def optional_cleaners(latest: int) -> dict[str, Callable[[Any], Any]]:
    """The cleaning of each optional field of a paper, by name (``exchange.lenient`` tries each
    on its own, so that one bad value costs that value, not the paper)."""
    return {
        "key": lambda v: clean_key(v) if v not in (None, "") else None,
        "cite_key": clean_cite_key,
        "year": lambda v: _year(v, latest),
        "url": _url,
        "description": lambda v: _text(v, "description"),
        "s2_id": _s2,
        "arxiv_id": _arxiv,
        "doi": _doi,
        "authors": lambda v: _text(v, "authors"),
        "venue": lambda v: _text(v, "venue"),
        "publication_date": lambda v: _day(v, "publication_date"),
        "citations": lambda v: _count(v, "citations"),
    }


_OPTIONAL_TEXT = (("description", _DESCRIPTION_MAX), ("authors", _AUTHORS_MAX), ("venue", _VENUE_MAX))


def fast_optionals(p: dict[str, Any], latest: int) -> bool:
    """Whether ``optional_cleaners`` would leave every optional value of ``p`` (each field
    present) as it is: each None, empty (which the lenient reader passes over) or already
    canonical, by the same checks as their own fast roads (and ``_fast_paper``'s). A year
    written as four digits counts, and is made the number its cleaner makes of it (the only
    change, and only when True). The lenient reader's road for the papers of a paperread export."""
    key, cite, year, url, s2, arxiv, doi, day, citations = (
        p["key"], p["cite_key"], p["year"], p["url"], p["s2_id"], p["arxiv_id"], p["doi"], p["publication_date"],
        p["citations"],
    )  # fmt: skip
    if not (
        (key is None or key == "" or (type(key) is str and values.KEY_RE.fullmatch(key)))
        and (cite is None or cite == "" or (type(cite) is str and _CITE_KEY_RE.fullmatch(cite)))
        and (url is None or url == "" or (type(url) is str and len(url) <= _LINK_MAX and _URL_FAST_RE.fullmatch(url)))
        and (s2 is None or s2 == "" or (type(s2) is str and _S2_RE.fullmatch(s2)))
        and (arxiv is None or arxiv == "" or (type(arxiv) is str and _ARXIV_FAST_RE.fullmatch(arxiv)))
        and (
            doi is None
            or doi == ""
            or (type(doi) is str and len(doi) <= DOI_MAX and _DOI_FAST_RE.fullmatch(doi) and doi == doi.lower())
        )
        and (day is None or day == "")
        and (citations is None or (type(citations) is int and 0 <= citations <= limits.COUNT_MAX))
    ):
        return False
    for name, limit in _OPTIONAL_TEXT:
        text = p[name]
        if not (
            text is None
            or text == ""
            or (
                type(text) is str
                and len(text) <= limit
                and text.isprintable()
                and not text[0].isspace()
                and not text[-1].isspace()
            )
        ):
            return False
    if year is None or year == "":
        return True
    if type(year) is str and len(year) == 4 and year.isascii() and year.isdigit():
        number = int(year)
        if values.EARLIEST_YEAR <= number <= latest:
            p["year"] = number
            return True
        return False
    return type(year) is int and values.EARLIEST_YEAR <= year <= latest


def _video_day(value: Any) -> str:
    if _DAY_RE.fullmatch(str(value)):
        return str(_day(value, "date"))
    return values.parse_date(_str(value, "date")).isoformat()


def _clean_video(v: Any) -> dict[str, Any]:
    if not isinstance(v, dict):
        raise InputError("not an object")
    gate.duplicated_fields(v)
    covered = v.get("papers") or []
    if not isinstance(covered, list) or not all(isinstance(k, str) for k in covered):
        raise InputError('"papers" is not a list of paper keys')
    watched: dict[str, str | None] = {}
    for w in _list(v.get("watched_by"), "watched_by"):
        if not isinstance(w, dict):
            raise InputError("a watched_by entry is not an object")
        watched.setdefault(_user(w.get("user")), _stamp(w.get("watched_at"), "watched_at"))
    notes: dict[str, dict[str, Any]] = {}
    for n in _list(v.get("notes"), "notes"):
        if not isinstance(n, dict):
            raise InputError("a notes entry is not an object")
        text = n.get("note")
        if text is not None:
            text = _str(text, "note")  # as written: a note keeps its spaces and line breaks
        if text is not None and text.strip():
            gate.note(text)
            notes.setdefault(
                _user(n.get("user")), {"note": text, "updated_at": _stamp(n.get("updated_at"), "updated_at")}
            )
    cleaned_notes = [{"user": user, **n} for user, n in notes.items()]
    return {
        "date": _video_day(v.get("date")),
        "title": _title(v.get("title")),
        "duration_seconds": _count(v.get("duration_seconds"), "duration_seconds"),
        "bilibili": _optional(v.get("bilibili"), values.parse_bilibili, "bilibili id"),
        "youtube": _optional(v.get("youtube"), values.parse_youtube, "YouTube id"),
        "zhihu": _optional(v.get("zhihu"), values.parse_zhihu, "zhihu id"),
        "link": _url(v.get("link")),
        "papers": list(dict.fromkeys(covered)),
        "watched_by": [{"user": user, "watched_at": stamp} for user, stamp in watched.items()],
        **({"notes": cleaned_notes} if cleaned_notes else {}),
    }


# ---------------------------------------------------------------------------- the document


def slug_space(slugs: Iterable[str]) -> set[str]:
    """The slugs and the group prefixes of the slugs (``vision`` of ``vision/cnn``)."""
    space: set[str] = set()
    for slug in slugs:
        parts = slug.split("/")
        space.update("/".join(parts[:depth]) for depth in range(1, len(parts) + 1))
    return space


def names_a_slug(name: str, slug: str, space: set[str]) -> bool:
    """Whether a category's name reads as another category's or group's slug (case aside)."""
    folded = name.strip().lower().rstrip("/")
    return folded != slug and folded in space


def _clean_categories(raw: list[Any], where: Locate, problems: list[Problem]) -> list[dict[str, str]]:
    categories: list[dict[str, str]] = []
    slugs: set[str] = set()
    names: set[str] = set()
    for i, item in enumerate(raw):
        try:
            cat = _clean_category(item)
            if cat["slug"] in slugs:
                raise InputError(f"slug '{cat['slug']}' is listed twice")
            if cat["name"] in names:
                raise InputError(f"name '{cat['name']}' is listed twice")
        except InputError as error:
            problems.append(Problem("category", where("category", i, item), f"category skipped: {error.message}"))
            continue
        slugs.add(cat["slug"])
        names.add(cat["name"])
        categories.append(cat)
    space = slug_space(slugs)
    for i, cat in enumerate(categories):
        if names_a_slug(cat["name"], cat["slug"], space):
            name = f"{cat['name']} ({cat['slug']})"
            message = f"named '{name}': '{cat['name']}' is a slug"
            problems.append(Problem("category", f"category '{cat['slug']}'", message, skipped=False))
            categories[i] = {**cat, "name": name}
    return categories


def _clean_papers(
    raw: list[Any],
    slugs: set[str],
    where: Locate,
    problems: list[Problem],
    consume: bool = False,
    canonical: Container[int] = (),
) -> list[dict[str, Any]]:
    latest = dt.date.today().year + 1
    papers: list[dict[str, Any]] = []
    keys: set[str] = set()
    # A paper's ids are its own, as in the catalog (``add`` refuses a taken one).
    taken: dict[str, set[str]] = {"s2_id": set(), "arxiv_id": set(), "doi": set()}
    for i, item in enumerate(raw):
        if consume:
            raw[i] = None
        try:
            paper = _clean_paper(item, slugs, latest, i in canonical)
            if paper["key"] is not None and paper["key"] in keys:
                raise InputError(f"key '{paper['key']}' is used by an earlier paper")
            for name, seen in taken.items():
                if paper[name] is not None and paper[name] in seen:
                    raise InputError(f"{ID_NAMES[name]} {paper[name]} is used by an earlier paper")
        except InputError as error:
            problems.append(Problem("paper", where("paper", i, item), f"paper skipped: {error.message}"))
            continue
        if paper["key"] is not None:
            keys.add(paper["key"])
        for name, seen in taken.items():
            if paper[name] is not None:
                seen.add(paper[name])
        papers.append(paper)
    for position, paper in enumerate(papers, start=1):
        if paper["key"] is None:
            key = paper["key"] = derive_key(paper, position, keys)
            keys.add(key)
    return papers


def _clean_videos(
    raw: list[Any], keys: set[str], where: Locate, problems: list[Problem], consume: bool = False
) -> list[dict[str, Any]]:
    videos: list[dict[str, Any]] = []
    bilibili: set[str] = set()
    for i, item in enumerate(raw):
        if consume:
            raw[i] = None
        try:
            video = _clean_video(item)
            if video["bilibili"] is not None and video["bilibili"] in bilibili:
                raise InputError(f"bilibili id {video['bilibili']} is used by an earlier video")
        except InputError as error:
            problems.append(Problem("video", where("video", i, item), f"video skipped: {error.message}"))
            continue
        missing = [key for key in video["papers"] if key not in keys]
        if missing:
            video["papers"] = [key for key in video["papers"] if key in keys]
            names = ", ".join(repr(k) for k in missing)
            message = f"tie to paper {names} dropped: no such paper in the file"
            problems.append(Problem("video", where("video", i, item), message, skipped=False))
        if video["bilibili"] is not None:
            bilibili.add(video["bilibili"])
        videos.append(video)
    return videos


def clean_document(
    doc: Any,
    *,
    source: str = "document",
    locate: Locate | None = None,
    consume: bool = False,
    canonical: Container[int] = (),
) -> tuple[dict[str, Any], list[Problem]]:
    """A document with every value checked and in canonical form, and the rows skipped.

    Raises InputError when ``doc`` is no catalog document at all. A row with a bad value is
    skipped and reported (with ``locate(kind, index, row)`` saying where, e.g. a line number);
    so are later rows repeating an earlier one's key, S2 id, arXiv id, DOI, category slug or
    name, or bilibili id. A paper without a key gets one (``derive_key``); a ``category`` of
    None means the file names none. A video's tie to a paper that is not in the document is
    dropped and reported. ``consume``: the document is the caller's to give up (a file just
    read): each paper and video leaves its list once cleaned, so a big file is not held twice.
    ``canonical``: the positions of papers whose optional values ``fast_optionals`` found
    canonical, none empty (``lenient.lenient_papers`` says which): not checked again.
    """
    check_document(doc, source)
    where = locate or _default_locate
    problems: list[Problem] = []
    categories = _clean_categories(doc.get("categories") or [], where, problems)
    slugs = {c["slug"] for c in categories}
    papers = _clean_papers(doc.get("papers") or [], slugs, where, problems, consume, canonical)
    videos = _clean_videos(doc.get("videos") or [], {p["key"] for p in papers}, where, problems, consume)
    clean = {"format": FORMAT, "version": FORMAT_VERSION, "categories": categories, "papers": papers, "videos": videos}
    return clean, problems
