"""Writes to the catalog, as plain functions over a SQLModel ``Session``.

Each function does one logical change. It validates everything it is given first
(with ``paperread.values``), resolves names with the same SQL the read commands use
(``queries`` over the session's own connection), and only then writes; the caller's
``with writer(ctx) as session:`` makes it one transaction, rolled back on any error.
Failures are PaperreadError subclasses with one line naming the bad value.

Rules kept here:

- Every write to a paper row, and every change to the videos that cover a paper (which
  decides whether it is recorded), sets ``updated_at`` and increments ``version``.
  Functions that change papers take ``expected_version`` (or ``expected_versions``) and
  raise ConflictError when the row has moved on. A reader's own state (status, note,
  watched videos) lives in other tables and leaves the paper's version alone.
- A video that covers no paper is a talk (``video add``). ``unmark`` and ``remove`` of
  a paper delete the videos they leave covering no paper at all (they were about that
  paper); talks are never touched by them. ``video remove`` deletes one video and keeps
  its papers (a paper it alone covered is no longer recorded, unless marked so).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import delete, func, text
from sqlmodel import Session, col, select

from paperread import gate, locks, queries, values
from paperread.engine import lock_ahead, session_reader
from paperread.errors import ConflictError, InputError
from paperread.models import Category, Paper, Video, VideoPaper, utcnow

CATEGORY_NAME_MAX = gate.LIMITS["category name"]
_UNSET: Any = object()


# ---------------------------------------------------------------------------- values


def _one_line(value: str, what: str, *, max_length: int | None = None) -> str:
    """Non-empty one-line text, stripped at the ends, through the gate (``gate.line``)."""
    return gate.line(value, what, limit=max_length)


def _optional(value: str | None, parse: Any) -> Any:
    """None stays None (not given); '' means clear (None); anything else is parsed."""
    if value is None:
        return _UNSET
    if not value.strip():
        return None
    return parse(value)


def parse_video_date(value: str | None, *, today: dt.date | None = None) -> dt.date:
    """A video's date: ISO or the README's M/D/YY; today when not given."""
    if value is None:
        return today or dt.date.today()
    return values.parse_date(value)


def parse_read_date(value: str | None) -> dt.datetime:
    """When a paper was read: now, or midnight UTC of a given day that is not in the future."""
    if value is None:
        return utcnow()
    day = values.parse_date(value)
    if day > dt.date.today():
        raise InputError(f"date '{value}' is in the future: give the day you read it (today or earlier)")
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


class VideoFields:
    """A video's fields, parsed and checked; ``None`` for a field means "not given"."""

    def __init__(
        self,
        *,
        title: str | None = None,
        date: str | None = None,
        duration: str | None = None,
        bilibili: str | None = None,
        youtube: str | None = None,
        zhihu: str | None = None,
        url: str | None = None,
    ) -> None:
        self.title = _one_line(title, "title") if title is not None else _UNSET
        self.date = values.parse_date(date) if date is not None else _UNSET
        self.duration_seconds = _optional(duration, values.parse_duration)
        self.bilibili = _optional(bilibili, values.parse_bilibili)
        self.youtube = _optional(youtube, values.parse_youtube)
        self.zhihu = _optional(zhihu, values.parse_zhihu)
        self.link = _optional(url, values.check_http_url)

    def changes(self) -> dict[str, Any]:
        names = ("title", "date", "duration_seconds", "bilibili", "youtube", "zhihu", "link")
        return {n: getattr(self, n) for n in names if getattr(self, n) is not _UNSET}


# ---------------------------------------------------------------------------- lookups


def _paper(session: Session, name: str) -> Paper:
    return _paper_with(session, name)[0]


def _paper_with(session: Session, name: str, joined: Any = None, on: Any = None) -> tuple[Paper, Any]:
    """The paper ``name`` names, locked (PostgreSQL) until the transaction ends, with the row
    of the model ``joined`` that ``on`` matches (None: none; ``joined`` None: no such row).

    A paper named by its key (the usual case) takes one statement, its row included; any
    other name is resolved first as the read commands resolve it (``queries.resolve_paper``,
    which tries the key first too, so the answer is the same)."""
    key = name.strip().lower()
    found = _locked(session, Paper, Paper.key == key, joined, on) if key else None
    if found is None:
        paper_id = queries.resolve_paper(session_reader(session), name)["id"]
        found = _locked(session, Paper, Paper.id == paper_id, joined, on)
    assert found is not None
    return found


def _locked(session: Session, model: Any, where: Any, joined: Any = None, on: Any = None) -> tuple[Any, Any] | None:
    """(the ``model`` row ``where`` finds, locked FOR UPDATE, and its ``joined`` row or None),
    read afresh; None when there is no such row. One statement, and with ``joined`` on
    PostgreSQL the lock taken just before it, in the same round trip: a joined row another
    writer of the locked row committed meanwhile (the same user's note, appended by another
    command) is seen, not the one from before the wait."""
    if joined is not None:
        lock_ahead(session, select(col(model.id)).where(where).with_for_update())
    stmt = select(model) if joined is None else select(model, joined).outerjoin(joined, on)
    stmt = stmt.where(where).with_for_update(of=model).execution_options(populate_existing=True)
    row = session.exec(stmt).first()
    if row is None:
        return None
    return (row, None) if joined is None else (row[0], row[1])


def _papers(session: Session, names: Sequence[str]) -> list[Paper]:
    """Papers in the order named, each once."""
    papers: list[Paper] = []
    for name in names:
        paper = _paper(session, name)
        if all(p.id != paper.id for p in papers):
            papers.append(paper)
    return papers


def _video(session: Session, name: str) -> Video:
    return _video_with(session, name)[0]


def _video_with(session: Session, name: str, joined: Any = None, on: Any = None) -> tuple[Video, Any]:
    """The video ``name`` names (its id, or its bilibili BV id), locked (PostgreSQL) like a paper,
    so that edits of one video by two people queue up; with ``joined`` as ``_paper_with``. One
    statement."""
    column, value = queries.video_name(name)
    found = _locked(session, Video, getattr(Video, column) == value, joined, on)
    if found is None:
        raise queries.no_video(name)
    return found


def row_id(row: Any) -> int:
    """The id of a row the session has flushed (SQLModel types it ``int | None``)."""
    assert row.id is not None
    return int(row.id)


def _category_rows(session: Session) -> list[Category]:
    return list(session.exec(select(Category).order_by(col(Category.position), col(Category.id))))


def _category(session: Session, name: str, *, what: str = "category", to_file: bool = False) -> Category:
    """One category row, named by slug or name (a group such as 'vision' is refused).

    ``to_file``: papers are to go in it, so a parent of other categories is refused too (it
    holds no papers: see ``_check_categories``). The row is then locked (PostgreSQL) until
    the end of the transaction, so that no sub-category is added under it meanwhile.
    """
    slug = queries.resolve_category(session_reader(session), name)
    stmt = select(Category).where(Category.slug == slug)
    row = session.exec(stmt.with_for_update(read=True) if to_file else stmt).first()
    under = [c.slug for c in _category_rows(session) if c.slug.startswith(slug + "/")]
    if row is None:
        raise InputError(
            f"{what} '{name}' is a group of categories, not one category: choose one of {', '.join(under)}"
        )
    if to_file and under:
        raise InputError(
            f"{what} '{name}' is the parent of other categories and holds no papers itself: "
            f"choose one of {', '.join(under)}"
        )
    return row


def _check_version(paper: Paper, expected_version: int | None) -> None:
    if expected_version is not None and paper.version != expected_version:
        raise ConflictError(
            f"paper '{paper.key}' changed since it was read (version {paper.version}, expected {expected_version})",
            hint="look at it again ('paperread show') and retry",
        )


def _touch(paper: Paper) -> None:
    paper.updated_at = utcnow()
    paper.version = (paper.version or 0) + 1


def _taken(session: Session, column: Any, value: Any, *, other_than: int | None = None) -> Paper | None:
    stmt = select(Paper).where(column == value)
    if other_than is not None:
        stmt = stmt.where(Paper.id != other_than)
    return session.exec(stmt).first()


def _check_unique_ids(
    session: Session,
    *,
    key: Any = _UNSET,
    s2_id: Any = _UNSET,
    arxiv_id: Any = _UNSET,
    doi: Any = _UNSET,
    other_than: int | None = None,
) -> None:
    if any(value not in (_UNSET, None) for value in (arxiv_id, doi)):
        locks.hold_paper_ids(session.connection())  # (a no-op when this transaction holds it already)
    for column, value, label in (
        (Paper.key, key, "key"),
        (Paper.s2_id, s2_id, "Semantic Scholar id"),
        (Paper.arxiv_id, arxiv_id, "arXiv id"),
        (Paper.doi, doi, "DOI"),
    ):
        if value is _UNSET or value is None:
            continue
        other = _taken(session, column, value, other_than=other_than)
        if other is not None:
            raise ConflictError(
                f"{label} '{value}' is already taken by paper '{other.key}' ({other.title})",
                hint="each paper is in the catalog once; 'paperread edit' changes the one there",
            )


def _next_position(session: Session, column: Any, where: Any = None) -> int:
    stmt = select(func.max(column))
    if where is not None:
        stmt = stmt.where(where)
    top = session.exec(stmt).one()
    return 0 if top is None else int(top) + 1


# ---------------------------------------------------------------------------- papers


def add_paper(
    session: Session,
    title: str,
    *,
    category: str,
    key: str | None = None,
    year: str | int | None = None,
    url: str | None = None,
    s2_id: str | None = None,
    arxiv: str | None = None,
    doi: str | None = None,
    description: str | None = None,
) -> Paper:
    """Add a paper at the end of its category. Without a key, one is derived from the
    title (or, for a title with no ASCII letters, the arXiv id) and made unique."""
    clean_title = _one_line(title, "title")
    clean_year = values.parse_year(year) if year not in (None, "") else None
    clean_url = values.check_http_url(url) if url else None
    clean_s2 = values.normalize_s2_id(s2_id) if s2_id else None
    clean_arxiv = values.normalize_arxiv_id(arxiv) if arxiv else None
    if clean_arxiv is None and clean_url is not None:
        clean_arxiv = values.arxiv_id_from_url(clean_url)
    clean_doi = values.normalize_doi(doi) if doi else None
    clean_description = _one_line(description, "description") if description and description.strip() else None
    cat = _category(session, category, to_file=True)
    if key is not None:
        clean_key = values.parse_key(key)
        _check_unique_ids(session, key=clean_key)
    else:
        base = values.slugify_key(clean_title)
        if not base and clean_arxiv:
            base = clean_arxiv if values.is_valid_key(clean_arxiv) else values.slugify_key(clean_arxiv)
        if not base:
            raise InputError(
                f"title '{clean_title}' gives no key (it has no ASCII letters or digits): pass --key",
            )
        prefix = base[: values.KEY_MAX_LENGTH - 8]
        taken = set(session.exec(select(Paper.key).where(Paper.key.like(prefix + "%"))))  # type: ignore[attr-defined]
        clean_key = values.unique_key(base, taken)
    _check_unique_ids(session, s2_id=clean_s2, arxiv_id=clean_arxiv, doi=clean_doi)

    now = utcnow()
    paper = Paper(
        key=clean_key,
        title=clean_title,
        year=clean_year,
        category_id=row_id(cat),
        url=clean_url,
        description=clean_description,
        s2_id=clean_s2,
        arxiv_id=clean_arxiv,
        doi=clean_doi,
        position=_next_position(session, Paper.position, Paper.category_id == cat.id),
        created_at=now,
        updated_at=now,
        version=1,
    )
    session.add(paper)
    session.flush()
    return paper


def edit_paper(
    session: Session,
    name: str,
    *,
    title: str | None = None,
    key: str | None = None,
    year: str | None = None,
    url: str | None = None,
    description: str | None = None,
    category: str | None = None,
    s2_id: str | None = None,
    arxiv: str | None = None,
    doi: str | None = None,
    expected_version: int | None = None,
) -> tuple[Paper, list[str]]:
    """Change some of a paper's fields; None leaves a field alone, '' clears an optional one.

    Returns the paper and the names of the fields that really changed (none: no write).
    """
    wanted: dict[str, Any] = {}
    if title is not None:
        wanted["title"] = _one_line(title, "title")
    if key is not None:
        wanted["key"] = values.parse_key(key)
    for field, raw, parse in (
        ("year", year, values.parse_year),
        ("url", url, values.check_http_url),
        ("description", description, lambda v: _one_line(v, "description")),
        ("s2_id", s2_id, values.normalize_s2_id),
        ("arxiv_id", arxiv, values.normalize_arxiv_id),
        ("doi", doi, values.normalize_doi),
    ):
        parsed = _optional(raw, parse)
        if parsed is not _UNSET:
            wanted[field] = parsed
    new_category = _category(session, category, to_file=True) if category is not None else None
    if wanted.get("arxiv_id") or wanted.get("doi"):
        locks.hold_paper_ids(session.connection())  # before the paper's row lock (see hold_paper_ids)
    paper = _paper(session, name)
    _check_version(paper, expected_version)
    if new_category is not None:
        wanted["category_id"] = new_category.id
    changed = [f for f, v in wanted.items() if getattr(paper, f) != v]
    if not changed:
        return paper, []
    _check_unique_ids(
        session, **{f: wanted[f] for f in changed if f in ("key", "s2_id", "arxiv_id", "doi")}, other_than=paper.id
    )
    for field in changed:
        setattr(paper, field, wanted[field])
    if "category_id" in changed:
        paper.position = _next_position(session, Paper.position, Paper.category_id == paper.category_id)
    _touch(paper)
    session.add(paper)
    session.flush()
    return paper, ["category" if f == "category_id" else f for f in changed]


def _orphaned_videos(session: Session, paper_id: int) -> list[Video]:
    """Videos covering this paper and no other."""
    vp = VideoPaper.__table__  # type: ignore[attr-defined]
    other = vp.alias("other")
    stmt = (
        select(Video)
        .join(vp, vp.c.video_id == Video.id)
        .where(vp.c.paper_id == paper_id)
        .where(~select(other.c.video_id).where(other.c.video_id == Video.id, other.c.paper_id != paper_id).exists())
        .order_by(col(Video.date), col(Video.id))
    )
    return list(session.exec(stmt))


def remove_paper(session: Session, name: str, *, expected_version: int | None = None) -> dict[str, Any]:
    """Delete a paper, its reading state and notes, and the videos that covered it alone."""
    paper = _paper(session, name)
    _check_version(paper, expected_version)
    orphans = _orphaned_videos(session, paper.id)  # type: ignore[arg-type]
    summary = {"key": paper.key, "title": paper.title, "videos_deleted": [_video_summary(v) for v in orphans]}
    if orphans:
        session.exec(delete(Video).where(Video.id.in_([v.id for v in orphans])))  # type: ignore[union-attr]
    session.exec(delete(Paper).where(col(Paper.id) == paper.id))
    session.expunge(paper)
    session.flush()
    return summary


# ---------------------------------------------------------------------------- videos


def _video_summary(video: Video) -> dict[str, Any]:
    return {"id": video.id, "title": video.title, "date": video.date.isoformat(), "bilibili": video.bilibili}


def _check_bilibili(session: Session, bilibili: Any, *, other_than: int | None = None) -> None:
    if bilibili is _UNSET or bilibili is None:
        return
    stmt = select(Video).where(Video.bilibili == bilibili)
    if other_than is not None:
        stmt = stmt.where(Video.id != other_than)
    other = session.exec(stmt).first()
    if other is not None:
        raise ConflictError(
            f"bilibili video {bilibili} is already video {other.id} ({other.title})",
            hint="one video covering several papers is recorded once: name all its papers, "
            "or add one with 'paperread video edit VIDEO --add-paper PAPER'",
        )


def _link(session: Session, video: Video, papers: Sequence[Paper], *, new: bool = False) -> None:
    """``papers`` covered by ``video`` after those it covers (``new``: none; nothing to ask)."""
    start = 0 if new else _next_position(session, VideoPaper.position, VideoPaper.video_id == video.id)
    for i, paper in enumerate(papers):
        session.add(VideoPaper(video_id=video.id, paper_id=paper.id, position=start + i))  # type: ignore[arg-type]
        _touch(paper)
        session.add(paper)


def add_video(
    session: Session,
    papers: Sequence[str] = (),
    *,
    title: str,
    date: str | None = None,
    duration: str | None = None,
    bilibili: str | None = None,
    youtube: str | None = None,
    zhihu: str | None = None,
    url: str | None = None,
    expected_versions: Mapping[str, int] | None = None,
    today: dt.date | None = None,
) -> Video:
    """Record one video covering ``papers`` (none: a talk). A paper already recorded gets
    a second video. ``expected_versions`` maps paper keys to the versions last seen."""
    fields = VideoFields(title=title, duration=duration, bilibili=bilibili, youtube=youtube, zhihu=zhihu, url=url)
    day = parse_video_date(date, today=today)
    covered = _papers(session, papers)
    for paper in covered:
        _check_version(paper, (expected_versions or {}).get(paper.key))
    _check_bilibili(session, fields.bilibili)
    video = Video(date=day, created_at=utcnow(), **fields.changes())
    session.add(video)
    session.flush()
    _link(session, video, covered, new=True)
    session.flush()
    return video


def mark_recorded(session: Session, papers: Sequence[str], **video: Any) -> Video:
    """Record a video covering one or more papers (see ``add_video``)."""
    if not papers:
        raise InputError("no paper named: mark-recorded needs at least one paper")
    return add_video(session, papers, **video)


def edit_video(
    session: Session,
    name: str,
    *,
    title: str | None = None,
    date: str | None = None,
    duration: str | None = None,
    bilibili: str | None = None,
    youtube: str | None = None,
    zhihu: str | None = None,
    url: str | None = None,
    add_papers: Sequence[str] = (),
    remove_papers: Sequence[str] = (),
) -> tuple[Video, list[str]]:
    """Change a video's fields and the papers it covers; returns what changed."""
    fields = VideoFields(
        title=title, date=date, duration=duration, bilibili=bilibili, youtube=youtube, zhihu=zhihu, url=url
    )
    video = _video(session, name)
    adding = _papers(session, add_papers)
    removing = _papers(session, remove_papers)
    both = {p.key for p in adding} & {p.key for p in removing}
    if both:
        raise InputError(f"paper '{sorted(both)[0]}' is both added to and removed from the video: choose one")
    linked = set(session.exec(select(VideoPaper.paper_id).where(VideoPaper.video_id == video.id)))
    for paper in removing:
        if paper.id not in linked:
            raise InputError(f"video {video.id} does not cover paper '{paper.key}': nothing to remove")
    adding = [p for p in adding if p.id not in linked]
    _check_bilibili(session, fields.bilibili, other_than=video.id)
    changes = {f: v for f, v in fields.changes().items() if getattr(video, f) != v}
    for f, v in changes.items():
        setattr(video, f, v)
    session.add(video)
    if removing:
        session.exec(
            delete(VideoPaper).where(
                VideoPaper.video_id == video.id,  # type: ignore[arg-type]
                VideoPaper.paper_id.in_([p.id for p in removing]),  # type: ignore[attr-defined]
            )
        )
        for paper in removing:
            _touch(paper)
            session.add(paper)
    _link(session, video, adding)
    session.flush()
    changed = list(changes) + [f"+{p.key}" for p in adding] + [f"-{p.key}" for p in removing]
    return video, changed


def remove_video(session: Session, name: str) -> dict[str, Any]:
    """Delete one video (and who watched it); the papers it covered stay."""
    video = _video(session, name)
    summary = _video_summary(video)
    paper_ids = sorted(session.exec(select(VideoPaper.paper_id).where(VideoPaper.video_id == video.id)))
    for paper in (session.get(Paper, pid, with_for_update=True) for pid in paper_ids):  # version bumps: locked
        assert paper is not None
        _touch(paper)
        session.add(paper)
    summary["papers"] = [session.get(Paper, pid).key for pid in paper_ids]  # type: ignore[union-attr]
    session.flush()
    session.exec(delete(Video).where(col(Video.id) == video.id))
    session.expunge(video)
    session.flush()
    return summary


def unmark_paper(session: Session, name: str, *, expected_version: int | None = None) -> dict[str, Any]:
    """Make a paper not recorded: unlink its videos, delete those left covering no paper,
    clear ``marked_recorded``. A paper that was not recorded is left as it is."""
    paper = _paper(session, name)
    _check_version(paper, expected_version)
    orphans = _orphaned_videos(session, paper.id)  # type: ignore[arg-type]
    linked = list(session.exec(select(VideoPaper.video_id).where(VideoPaper.paper_id == paper.id)))
    summary = {
        "key": paper.key,
        "title": paper.title,
        "was_recorded": bool(linked) or paper.marked_recorded,
        "videos_unlinked": len(linked) - len(orphans),
        "videos_deleted": [_video_summary(v) for v in orphans],
    }
    if not summary["was_recorded"]:
        return summary
    session.exec(delete(VideoPaper).where(VideoPaper.paper_id == paper.id))  # type: ignore[arg-type]
    if orphans:
        session.exec(delete(Video).where(Video.id.in_([v.id for v in orphans])))  # type: ignore[union-attr]
        for v in orphans:
            session.expunge(v)
    paper.marked_recorded = False
    _touch(paper)
    session.add(paper)
    session.flush()
    return summary


# ---------------------------------------------------------------------------- categories


def add_category(session: Session, slug: str, *, name: str, parent: str | None = None) -> Category:
    """A new category at the end; with ``parent`` (a category or group), its slug is parent/slug.

    Refused when its slug or name would name something else too, or when it would go under
    a category that holds papers (see ``_check_categories``).
    """
    clean = values.parse_category_slug(slug)
    clean_name = _one_line(name, "category name", max_length=CATEGORY_NAME_MAX)
    _lock_categories(session)
    if parent is not None:
        clean = values.parse_category_slug(queries.resolve_category(session_reader(session), parent) + "/" + clean)
    existing = session.exec(select(Category).where(Category.slug == clean)).first()
    if existing is not None:
        raise ConflictError(f"category '{clean}' already exists ({existing.name})")
    _check_category_name(session, clean_name)
    rows = _category_rows(session)
    _check_categories(session, rows, [(c.id, c.slug, c.name) for c in rows] + [(None, clean, clean_name)])
    cat = Category(slug=clean, name=clean_name, position=_next_position(session, Category.position))
    session.add(cat)
    session.flush()
    return cat


def _check_category_name(session: Session, name: str, *, other_than: int | None = None) -> None:
    stmt = select(Category).where(Category.name == name)
    if other_than is not None:
        stmt = stmt.where(Category.id != other_than)
    other = session.exec(stmt).first()
    if other is not None:
        raise ConflictError(f"category name '{name}' is already used by '{other.slug}': names are unique")


def _lock_categories(session: Session) -> None:
    """PostgreSQL: category writes queue up (SQLite's BEGIN IMMEDIATE already serialises
    writers), so the checks of ``_check_categories`` stay true until the commit."""
    if session.get_bind().dialect.name == "postgresql":
        session.connection().execute(text("LOCK TABLE category IN SHARE ROW EXCLUSIVE MODE"))


def _check_categories(
    session: Session, before: Sequence[Category], after: Sequence[tuple[int | None, str, str]]
) -> None:
    """Refuse a change of the categories, ``before`` to ``after`` ((id, slug, name); a new
    one has no id), that would break one of the rules references rely on:

    - One text names one thing. A category is named by its slug, a group by the prefix of
      its sub-categories' slugs, and both by name (``queries.resolve_category``), so a name
      may be no other category's slug or group (case aside) and no group's "Group - ..."
      prefix that means another (``queries.category_clashes``).
    - A category that holds papers has no sub-categories: ``list -c gnn`` would list more
      than ``add -c gnn`` files into. An empty category may be a parent (it names its
      group); papers are not filed in a parent (``_category(to_file=True)``).

    What was already so before the change (a catalog made by an older version) is left alone.
    """
    old = queries.category_clashes((c.slug, c.name) for c in before)
    for ref, (targets, line) in queries.category_clashes((s, n) for _, s, n in after).items():
        if ref not in old or len(targets) > len(old[ref][0]):
            raise ConflictError(
                line,
                hint="categories are named by slug or by name, so a name may not be another category's slug "
                "or a group's (in any case), nor the 'Group - ...' prefix of another group; choose another",
            )

    def parents(rows: Sequence[tuple[int | None, str]]) -> dict[int, tuple[str, str]]:
        found: dict[int, tuple[str, str]] = {}
        for cid, slug in rows:
            child = next((s for _, s in rows if s.startswith(slug + "/")), None)
            if cid is not None and child is not None:
                found[cid] = (slug, child)
        return found

    was = parents([(c.id, c.slug) for c in before])
    for cid, (slug, child) in parents([(cid, s) for cid, s, _ in after]).items():
        if cid in was:
            continue
        session.exec(select(Category.id).where(Category.id == cid).with_for_update()).first()  # no paper comes in now
        held = session.exec(select(func.count()).select_from(Paper).where(Paper.category_id == cid)).one()
        if held:
            raise ConflictError(
                f"category '{slug}' holds {held} paper{'s' if held != 1 else ''}, "
                f"so it cannot have sub-categories such as '{child}'",
                hint="move its papers to another category first ('paperread category remove' with --move-to, "
                "or 'paperread edit PAPER --category'), or choose another slug",
            )


def rename_category(
    session: Session, slug: str, *, name: str | None = None, new_slug: str | None = None
) -> list[tuple[str, str]]:
    """Give a category a new name and/or slug. A new slug for a parent (or a group such as
    'vision') moves everything under it too. Returns (old, new) for each slug changed.
    The rules of ``_check_categories`` hold as for ``add_category``."""
    clean_name = _one_line(name, "category name", max_length=CATEGORY_NAME_MAX) if name is not None else None
    target = values.parse_category_slug(new_slug) if new_slug is not None else None
    _lock_categories(session)
    current = queries.resolve_category(session_reader(session), slug)
    rows = _category_rows(session)
    own = next((c for c in rows if c.slug == current), None)
    if clean_name is not None:
        if own is None:
            raise InputError(
                f"category '{slug}' is a group of categories, not one category: --name renames one category"
            )
        _check_category_name(session, clean_name, other_than=own.id)
    moves: list[tuple[Category, str]] = []
    if target is not None and target != current:
        if target.startswith(current + "/"):
            raise InputError(f"category slug '{target}' lies under '{current}' itself: choose another slug")
        moving = [c for c in rows if c.slug == current or c.slug.startswith(current + "/")]
        moves = [(c, target + c.slug[len(current) :]) for c in moving]
        staying = {c.slug for c in rows} - {c.slug for c in moving}
        for _, new in moves:
            if new in staying:
                raise ConflictError(f"category '{new}' already exists: choose another slug")
            if len(new) > values.CATEGORY_SLUG_MAX:
                raise InputError(f"category slug '{new}' is longer than {values.CATEGORY_SLUG_MAX} characters")
    new_slugs = {cat.id: new for cat, new in moves}
    new_name = {own.id: clean_name} if own is not None and clean_name is not None else {}
    _check_categories(session, rows, [(c.id, new_slugs.get(c.id, c.slug), new_name.get(c.id, c.name)) for c in rows])
    if own is not None and clean_name is not None and own.name != clean_name:
        own.name = clean_name
        session.add(own)
    changed = [(cat.slug, new) for cat, new in moves]
    # Two steps, so that no slug is ever held by two rows at once.
    for cat, _ in moves:
        cat.slug = f"~renaming/{cat.id}"
        session.add(cat)
    session.flush()
    for cat, new in moves:
        cat.slug = new
        session.add(cat)
    session.flush()
    return changed


def remove_category(session: Session, slug: str, *, move_to: str | None = None) -> dict[str, Any]:
    """Delete an empty category; with ``move_to``, its papers move there first."""
    cat = _category(session, slug)
    dest = _category(session, move_to, what="--move-to category", to_file=True) if move_to is not None else None
    if dest is not None and dest.id == cat.id:
        raise InputError(f"--move-to '{move_to}' is the category being removed: choose another one")
    papers = list(
        session.exec(
            select(Paper)
            .where(Paper.category_id == cat.id)
            .order_by(col(Paper.position), col(Paper.id))
            .with_for_update()
        )
    )
    if papers and dest is None:
        raise ConflictError(
            f"category '{cat.slug}' still holds {len(papers)} paper{'s' if len(papers) != 1 else ''}",
            hint="move them with --move-to CATEGORY, or remove them first",
        )
    start = _next_position(session, Paper.position, Paper.category_id == dest.id) if dest is not None else 0
    for i, paper in enumerate(papers):
        paper.category_id = dest.id  # type: ignore[union-attr, assignment]
        paper.position = start + i
        _touch(paper)
        session.add(paper)
    session.flush()
    summary = {"slug": cat.slug, "name": cat.name, "moved": len(papers), "to": dest.slug if dest else None}
    session.delete(cat)
    session.flush()
    return summary
