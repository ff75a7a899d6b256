"""Planning an import: pure functions from a ``Snapshot`` and a cleaned document to a ``Plan``.

Each step takes what it needs as arguments and returns a value the next steps read; nothing
is kept between them and nothing touches the database. The rules:

- Identity: see ``match``. A paper's key never changes on import; a new paper whose key is
  taken gets ``key-2``... Category names stay unique ("name (slug)" when one is taken) and
  never read as a slug.
- Only what the file carries changes: see ``diff``.
- Papers, videos and categories in the catalog but not in the file, or whose row the file
  had but could not read, are kept as they are and reported: their fields, their videos,
  their recorded mark, their notes and their place in their list. With ``prune`` they are
  removed instead, except papers someone has reading state or notes on and videos someone
  watched (kept and reported), and never when the file had unreadable rows (``run``).
- A paper the file marks recorded that no video covers stays recorded (``marked_recorded``).
- Reading state and notes (every user's) and watched videos come from JSON documents only:
  the document's rows are restored for the (user, paper) pairs it holds, where the catalog
  has none or the document's was changed no earlier; other rows stay.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import partial
from typing import Any

from paperread import values
from paperread.exchange import order
from paperread.exchange.assemble import assemble
from paperread.exchange.bulk import with_uncategorized
from paperread.exchange.clean import Problem, names_a_slug, slug_space
from paperread.exchange.diff import keep_ids_unique, paper_diff, video_diff
from paperread.exchange.document import UNCATEGORIZED
from paperread.exchange.match import match_categories, match_papers, match_videos, spaced
from paperread.exchange.plan import Carried, Plan
from paperread.exchange.snapshot import Snapshot
from paperread.exchange.steps import Categories, Doc, Papers, Videos


def plan_import(
    snapshot: Snapshot, doc: Doc, carried: Carried, problems: Iterable[Problem] = (), *, prune: bool = False
) -> Plan:
    """Everything importing the cleaned document ``doc`` into the catalog ``snapshot`` changes."""
    problems = tuple(problems)
    if snapshot.empty:
        return Plan(load=with_uncategorized(dict(doc)), problems=problems)
    found = match_categories(snapshot, doc)
    matches = match_papers(snapshot, doc, found)
    loose = any(pid is None and p["category"] is None for p, pid in zip(doc["papers"], matches))
    categories = plan_categories(snapshot, doc, carried, found, uncategorized=loose)
    papers = plan_papers(snapshot, doc, carried, categories, matches, prune=prune)
    videos = plan_videos(snapshot, doc, carried, papers, prune=prune)
    return assemble(snapshot, doc, carried, categories, papers, videos, problems, prune=prune)


# ---------------------------------------------------------------------------- categories


def plan_categories(
    snapshot: Snapshot, doc: Doc, carried: Carried, found: Mapping[str, int], *, uncategorized: bool
) -> Categories:
    """Settle every category's ref and name. Names are unique: a name the file gives that a
    category not in the file holds (or that an earlier one took) gets the slug after it,
    "name (slug)"; and a name may not be a slug (``-c vision`` must mean one thing)."""
    claimed = set(found.values())
    names_taken = {spaced(c["name"]) for cid, c in snapshot.categories.items() if cid not in claimed}
    slugs_taken = {c["slug"] for c in snapshot.categories.values()}
    space = slug_space([*slugs_taken, *(c["slug"] for c in doc["categories"])])
    same = (lambda a, b: a == b) if carried.exact_spacing else (lambda a, b: spaced(a) == spaced(b))

    def free_name(name: str, slug: str) -> str:
        candidate, n = name, 1
        while spaced(candidate) in names_taken or names_a_slug(candidate, slug, space):
            n += 1
            candidate = f"{name} ({slug})" if n == 2 else f"{name} ({slug}) {n - 1}"
        names_taken.add(spaced(candidate))
        return candidate

    refs: dict[str, int] = {}
    renamed: dict[int, str] = {}
    new: list[tuple[str, str]] = []

    def add(slug: str, name: str) -> int:
        slug = values.unique_key(slug, slugs_taken) if slug in slugs_taken else slug
        slugs_taken.add(slug)
        space.update(slug_space([slug]))
        new.append((slug, free_name(name, slug)))
        return -len(new)

    for c in doc["categories"]:
        cid = found.get(c["slug"])
        if cid is None:
            continue
        refs[c["slug"]] = cid
        row = snapshot.categories[cid]
        if not carried.category_names or same(row["name"], c["name"]):
            names_taken.add(spaced(row["name"]))
            continue
        name = free_name(c["name"], row["slug"])
        if name != row["name"]:
            renamed[cid] = name
    for c in doc["categories"]:
        if c["slug"] not in found:
            refs[c["slug"]] = add(c["slug"], c["name"])
    if uncategorized and UNCATEGORIZED["slug"] not in refs:
        there = next((c["id"] for c in snapshot.categories.values() if c["slug"] == UNCATEGORIZED["slug"]), None)
        refs[UNCATEGORIZED["slug"]] = there if there is not None else add(UNCATEGORIZED["slug"], UNCATEGORIZED["name"])
    return Categories(refs, renamed, tuple(new), frozenset(found.values()))


# ---------------------------------------------------------------------------- papers


def plan_papers(
    snapshot: Snapshot,
    doc: Doc,
    carried: Carried,
    categories: Categories,
    matches: list[int | None],
    *,
    prune: bool,
) -> Papers:
    """Field changes of the papers the file holds, the new ones (unique keys), where each goes,
    and the papers a prune removes."""
    keys_taken = {row["key"] for row in snapshot.papers.values()}
    refs: dict[str, int] = {}
    doc_of: dict[int, Doc] = {}
    updates: dict[int, dict[str, Any]] = {}
    new: list[dict[str, Any]] = []
    placed: dict[int, int] = {}
    for p, pid in zip(doc["papers"], matches):
        slug = p["category"] if p["category"] is not None else None
        if pid is None:
            key = p["key"] if p["key"] not in keys_taken else values.unique_key(p["key"], keys_taken)
            keys_taken.add(key)
            new.append({**p, "key": key})
            ref = -len(new)
            placed[ref] = categories.refs[slug if slug is not None else UNCATEGORIZED["slug"]]
        else:
            ref, row = pid, snapshot.papers[pid]
            placed[ref] = categories.refs[slug] if slug is not None else row["category_id"]
            change = paper_diff(row, p, carried, placed[ref])
            if change:
                updates[ref] = change
        refs[p["key"]] = ref
        doc_of[ref] = p
    kept_updates, new, problems = keep_ids_unique(snapshot, updates, new)
    for i, p in enumerate(new):
        doc_of[-(i + 1)] = p
    claimed = frozenset(pid for pid in matches if pid is not None)
    readers = {pid for _, pid in snapshot.reading}
    removed = tuple(pid for pid in snapshot.papers if prune and pid not in claimed and pid not in readers)
    return Papers(refs, doc_of, kept_updates, tuple(new), placed, claimed, removed, tuple(problems))


# ---------------------------------------------------------------------------- videos


def _tie_link(targets: list[Mapping[str, Any]], link: str | None) -> bool:
    """Whether a link of a README video is just its tie to a paper it covers (``targets``:
    the papers of the file it ties to)."""
    if link is None:
        return False
    form = values.normalize_url_for_match(link)
    for p in targets:
        pages = [p["url"], f"https://www.semanticscholar.org/paper/{p['s2_id']}" if p["s2_id"] else None]
        if any(page and values.normalize_url_for_match(page) == form for page in pages):
            return True
    return False


def _linkable(snapshot: Snapshot, papers: Papers, pid: int) -> bool:
    """Whether a README can tie a video to the paper: it has a link or an S2 id (after the import)."""
    row, update = snapshot.papers[pid], papers.updates.get(pid, {})
    return bool(update.get("url", row["url"]) or update.get("s2_id", row["s2_id"]))


def _ties(snapshot: Snapshot, carried: Carried, papers: Papers, vid: int, wanted: list[int]) -> tuple[int, ...] | None:
    """The papers a catalog video covers after the import, or None when they stay as they are.

    The file decides the ties to the papers it holds (a README only those it can link); every
    other paper the video covers keeps its tie, in its place, unless a prune removes it."""
    current = snapshot.links.get(vid, ())
    gone = set(papers.removed)

    def governed(pid: int) -> bool:
        held = pid in papers.claimed or pid in gone
        return held and (carried.video_ties_exact or pid in gone or _linkable(snapshot, papers, pid))

    after = order.merge(current, wanted, governed)
    same = after == list(current) if carried.video_ties_exact else set(after) == set(current)
    return None if same else tuple(after)


def plan_videos(snapshot: Snapshot, doc: Doc, carried: Carried, papers: Papers, *, prune: bool) -> Videos:
    """Videos the file lists (matched or new), their ties to papers, and those it does not list."""
    refs: dict[int, int] = {}
    updates: dict[int, dict[str, Any]] = {}
    new: list[Doc] = []
    ties: dict[int, tuple[int, ...]] = {}
    if carried.videos:
        # (a README's ties are judged by the papers' links; a file with exact ties needs none)
        doc_by_key = {p["key"]: p for p in doc["papers"]} if not carried.video_ties_exact else {}
        for index, (v, vid) in enumerate(zip(doc["videos"], match_videos(snapshot, doc))):
            wanted = [papers.refs[key] for key in v["papers"] if key in papers.refs]
            if vid is None:
                new.append(v)
                refs[index] = ref = -len(new)
                ties[ref] = tuple(wanted)
                continue
            refs[index] = vid
            targets = [doc_by_key[key] for key in v["papers"] if key in doc_by_key]
            change = video_diff(snapshot.videos[vid], v, carried, partial(_tie_link, targets))
            if change:
                updates[vid] = change
            after = _ties(snapshot, carried, papers, vid, wanted)
            if after is not None:
                ties[vid] = after
    claimed = frozenset(ref for ref in refs.values() if ref > 0)
    removed, kept = _videos_not_in_file(snapshot, carried, papers, claimed, prune=prune)
    gone, settled = set(papers.removed), claimed | set(removed)
    for vid, covered in snapshot.links.items():  # a pruned paper leaves the videos the file does not list too
        if vid not in settled and gone.intersection(covered):
            ties[vid] = tuple(pid for pid in covered if pid not in gone)
    return Videos(refs, updates, tuple(new), ties, claimed, removed, kept)


def _videos_not_in_file(
    snapshot: Snapshot, carried: Carried, papers: Papers, claimed: frozenset[int], *, prune: bool
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(removed, kept) of the catalog's videos the file does not list. As ``remove`` does, a
    prune also takes a video it leaves covering no paper (unless someone watched it); talks,
    which never covered one, stay."""
    watched = {vid for _, vid in snapshot.watched}
    removed: list[int] = []
    kept: list[int] = []
    if carried.videos:
        for vid in snapshot.videos:
            if vid not in claimed:
                (removed if prune and vid not in watched else kept).append(vid)
    if papers.removed:
        gone, settled = set(papers.removed), claimed | set(removed) | set(kept)
        for vid, covered in snapshot.links.items():
            if vid not in settled and covered and gone.issuperset(covered):
                (kept if vid in watched else removed).append(vid)
    return tuple(removed), tuple(kept)
