"""The last planning steps, and the ``Plan`` they make: what follows from the matches.

Recorded marks (a video covering a paper makes it recorded; the file's mark holds where none
does), positions (``order``), reading state and notes, citation history and watched marks
(JSON documents only), the categories the file does not name, and then every change as a
``Change``. Pure functions, as in ``planning``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from paperread.exchange import order
from paperread.exchange.clean import Problem
from paperread.exchange.diff import same_text
from paperread.exchange.document import UNCATEGORIZED, day_text, stamp_text, utc
from paperread.exchange.plan import Carried, Change, Kept, Plan, RowRef
from paperread.exchange.snapshot import Row, Snapshot
from paperread.exchange.steps import Categories, Doc, Papers, Videos

PAPER_COLUMNS = (
    "key", "cite_key", "title", "year", "category", "url", "description", "s2_id", "arxiv_id", "doi", "authors", "venue",
    "publication_date", "marked_recorded", "citation_count", "citations_fetched_at", "position",
)  # fmt: skip
VIDEO_COLUMNS = ("date", "title", "duration_seconds", "bilibili", "youtube", "zhihu", "link")
READING_COLUMNS = ("status", "started_at", "read_at", "note", "updated_at")


@dataclass(frozen=True)
class Recorded:
    marks: Mapping[int, bool]  # paper ref -> marked_recorded: new papers, and catalog papers whose flag changes
    covering: Mapping[int, tuple[tuple[int, ...], tuple[int, ...]]]  # paper id -> video refs (before, after)


@dataclass(frozen=True)
class UserState:
    reading_new: tuple[tuple[int, Doc], ...] = ()  # (paper ref, the document's entry)
    reading_updates: tuple[tuple[Row, Doc], ...] = ()  # (the catalog's row, the document's entry)
    history_new: tuple[tuple[int, Doc], ...] = ()
    watched_new: tuple[tuple[int, Doc], ...] = ()
    problems: tuple[Problem, ...] = field(default_factory=tuple)
    video_notes_new: tuple[tuple[int, Doc], ...] = ()  # (video ref, {user, note, updated_at}): none there yet


def plan_recorded(snapshot: Snapshot, carried: Carried, papers: Papers, videos: Videos) -> Recorded:
    """Which videos cover each paper once the ties change, and the recorded marks from the file."""
    removed = set(videos.removed)
    before: dict[int, set[int]] = defaultdict(set)
    after: dict[int, set[int]] = defaultdict(set)
    for vid, covered in snapshot.links.items():
        for pid in covered:
            before[pid].add(vid)
            if vid not in removed and vid not in videos.ties:
                after[pid].add(vid)
    for vref, covered in videos.ties.items():
        for pref in covered:
            after[pref].add(vref)
    # A change in the videos covering a paper is a change to the paper (store.py's rule).
    covering = {
        pid: (tuple(sorted(before[pid])), tuple(sorted(after[pid])))
        for pid in snapshot.papers
        if before.get(pid, set()) != after.get(pid, set())
    }
    marks: dict[int, bool] = {}
    if "recorded" in carried.papers:
        for ref, p in papers.doc_of.items():
            if p["recorded"] is None:
                continue
            marked = bool(p["recorded"]) and not after.get(ref)
            if ref < 0:
                marks[ref] = marked
                continue
            row = snapshot.papers[ref]
            if marked == bool(row["marked_recorded"]):
                continue
            # A flag that changes while the paper stays recorded (a video now covers it) is
            # written with the new tie.
            was = bool(row["marked_recorded"]) or bool(before.get(ref))
            if was != (marked or bool(after.get(ref))) or ref in covering:
                marks[ref] = marked
    return Recorded(marks, covering)


def plan_positions(
    snapshot: Snapshot, doc: Doc, carried: Carried, categories: Categories, papers: Papers
) -> tuple[dict[int, int], dict[int, int]]:
    """New positions of categories and of papers in their categories (ref -> position)."""
    place = order.merge if carried.order else None
    cat_at = {cid: c["position"] for cid, c in snapshot.categories.items()}
    current = sorted(cat_at, key=lambda cid: (cat_at[cid], cid))
    wanted = list(dict.fromkeys(categories.refs[c["slug"]] for c in doc["categories"]))
    if UNCATEGORIZED["slug"] in categories.refs and categories.refs[UNCATEGORIZED["slug"]] not in wanted:
        wanted.append(categories.refs[UNCATEGORIZED["slug"]])
    if place is not None:
        cats = order.positions(place(current, wanted, categories.claimed.__contains__), current, cat_at)
    else:
        cats = order.appended(wanted, current, cat_at)
    paper_at = {pid: p["position"] for pid, p in snapshot.papers.items()}
    members: dict[int, list[int]] = defaultdict(list)
    for pid in sorted(paper_at, key=lambda pid: (paper_at[pid], pid)):
        members[snapshot.papers[pid]["category_id"]].append(pid)
    in_file: dict[int, list[int]] = defaultdict(list)
    for p in doc["papers"]:
        ref = papers.refs[p["key"]]
        in_file[papers.category[ref]].append(ref)
    moved: dict[int, int] = {}
    for cat, refs in in_file.items():
        here = members.get(cat, [])
        if refs == here:  # the file lists this category's papers as they are: nothing moves
            continue
        if place is not None:
            moved.update(order.positions(place(here, refs, papers.claimed.__contains__), here, paper_at))
        else:
            moved.update(order.appended(refs, here, paper_at))
    return cats, moved


def _reading_update(row: Row, r: Doc, key: str) -> tuple[bool, Problem | None]:
    """Whether the document's reading entry replaces the catalog's row; or why not."""
    same = (
        row["status"] == r["status"]
        and stamp_text(row["started_at"]) == r["started_at"]
        and stamp_text(row["read_at"]) == r["read_at"]
        and same_text(row["note"], r["note"])
    )
    if same:
        return False, None
    # Never an older state over a newer one: a note written since the file was made stays
    # (and so does any, when the file cannot say how old its row is).
    file_at, db_at = utc(r["updated_at"]), utc(row["updated_at"])
    if file_at is None or (db_at is not None and file_at < db_at):
        why = "the file's have no time" if file_at is None else "the catalog's are newer than the file's"
        message = f"{r['user']}'s reading state and note kept: {why}"
        return False, Problem("paper", f"paper '{key}'", message, skipped=False)
    return True, None


def plan_user_state(snapshot: Snapshot, doc: Doc, papers: Papers, videos: Videos) -> UserState:
    """Reading state and notes restored, citation history points and watched marks added."""
    new: list[tuple[int, Doc]] = []
    updates: list[tuple[Row, Doc]] = []
    problems: list[Problem] = []
    for ref, p in papers.doc_of.items():
        for r in p["reading"]:
            row = snapshot.reading.get((r["user"], ref)) if ref > 0 else None
            if row is None:
                new.append((ref, r))
                continue
            take, problem = _reading_update(row, r, p["key"])
            if take:
                updates.append((row, r))
            if problem is not None:
                problems.append(problem)
    history = [
        (ref, h)
        for ref, p in papers.doc_of.items()
        for h in p["citation_history"]
        if (h["count"], h["fetched_at"]) not in snapshot.history.get(ref, frozenset())
    ]
    watched = [
        (videos.refs[i], w)
        for i, v in enumerate(doc["videos"])
        if i in videos.refs
        for w in v["watched_by"]
        if (w["user"], videos.refs[i]) not in snapshot.watched
    ]
    video_notes = [
        (videos.refs[i], n)
        for i, v in enumerate(doc["videos"])
        if i in videos.refs
        for n in v.get("notes") or ()
        if (n["user"], videos.refs[i]) not in snapshot.video_notes
    ]
    return UserState(tuple(new), tuple(updates), tuple(history), tuple(watched), tuple(problems), tuple(video_notes))


def _categories_not_in_file(
    snapshot: Snapshot, carried: Carried, categories: Categories, papers: Papers, *, prune: bool
) -> tuple[list[int], list[Kept]]:
    """(removed, kept) of the categories the file does not name (only a file that lists its
    categories by name can say one is gone)."""
    if not carried.category_names:
        return [], []
    gone = set(papers.removed)
    used = {papers.category.get(pid, row["category_id"]) for pid, row in snapshot.papers.items() if pid not in gone}
    used |= {papers.category[ref] for ref in papers.doc_of if ref < 0}
    removed: list[int] = []
    kept: list[Kept] = []
    for cid, c in snapshot.categories.items():
        if cid in categories.claimed:
            continue
        if prune and cid not in used:
            removed.append(cid)
        else:
            kept.append(Kept("category", c["slug"], "it still holds papers" if prune else "not in the file"))
    return removed, kept


class _Names:
    """How each row is named in the plan, and the RowRef of a ref (a lookup over the steps'
    values, filled once)."""

    def __init__(self, snapshot: Snapshot, categories: Categories, papers: Papers, videos: Videos) -> None:
        self.category = {cid: c["slug"] for cid, c in snapshot.categories.items()}
        self.category.update({-(i + 1): slug for i, (slug, _) in enumerate(categories.new)})
        self.paper = {pid: p["key"] for pid, p in snapshot.papers.items()}
        self.paper.update({-(i + 1): p["key"] for i, p in enumerate(papers.new)})
        self.video = {vid: f"{day_text(v['date'])} {v['title']}" for vid, v in snapshot.videos.items()}
        self.video.update({-(i + 1): f"{v['date']} {v['title']}" for i, v in enumerate(videos.new)})

    def ref(self, kind: str, ref: int) -> RowRef:
        return RowRef(kind, ref, getattr(self, kind)[ref])

    def refs(self, kind: str, refs: tuple[int, ...]) -> tuple[RowRef, ...]:
        return tuple(self.ref(kind, r) for r in refs)


def _category_changes(
    snapshot: Snapshot, categories: Categories, at: Mapping[int, int], removed: list[int]
) -> list[Change]:
    adds = [
        Change(
            "category",
            "add",
            -(i + 1),
            slug,
            {"slug": (None, slug), "name": (None, name), "position": (None, at.get(-(i + 1), 0))},
        )
        for i, (slug, name) in enumerate(categories.new)
    ]
    updates = []
    for cid, c in snapshot.categories.items():
        fields: dict[str, tuple[Any, Any]] = {}
        if cid in categories.renamed:
            fields["name"] = (c["name"], categories.renamed[cid])
        if cid in at and cid not in removed:
            fields["position"] = (c["position"], at[cid])
        if fields:
            updates.append(Change("category", "update", cid, c["slug"], fields))
    removes = [Change("category", "remove", cid, snapshot.categories[cid]["slug"]) for cid in removed]
    return adds + updates + removes


def _old(row: Row, column: str) -> Any:
    if column == "publication_date":
        return day_text(row[column])
    if column == "citations_fetched_at":
        return stamp_text(row[column])
    return row[column]


def _paper_fields(
    row: Row, update: Mapping[str, Any], names: _Names, mark: bool | None, at: int | None, covering: Any
) -> dict[str, tuple[Any, Any]]:
    fields: dict[str, tuple[Any, Any]] = {}
    for column, new in update.items():
        if column == "category_id":
            fields["category"] = (names.ref("category", row["category_id"]), names.ref("category", new))
        else:
            fields[column] = (_old(row, column), new)
    if mark is not None:
        fields["marked_recorded"] = (bool(row["marked_recorded"]), mark)
    if at is not None and at != row["position"]:
        fields["position"] = (row["position"], at)
    if covering is not None:
        fields["videos"] = (names.refs("video", covering[0]), names.refs("video", covering[1]))
    return fields


def _paper_changes(
    snapshot: Snapshot, papers: Papers, recorded: Recorded, at: Mapping[int, int], names: _Names
) -> list[Change]:
    changes = []
    for i, p in enumerate(papers.new):
        ref = -(i + 1)
        values = {
            **{column: p.get(column) for column in PAPER_COLUMNS},
            "category": names.ref("category", papers.category[ref]),
            "marked_recorded": recorded.marks.get(ref, False),
            "citation_count": p.get("citations"),
            "position": at.get(ref, 0),
        }
        changes.append(Change("paper", "add", ref, p["key"], {c: (None, v) for c, v in values.items()}))
    gone = set(papers.removed)
    in_file = [ref for ref in papers.doc_of if ref > 0]
    held = set(in_file)
    others = sorted(r for r in {*recorded.marks, *at, *recorded.covering} if r > 0 and r not in held)
    for pid in [*in_file, *others]:
        if pid in gone:
            continue
        row = snapshot.papers[pid]
        fields = _paper_fields(
            row, papers.updates.get(pid, {}), names, recorded.marks.get(pid), at.get(pid), recorded.covering.get(pid)
        )
        if fields:
            changes.append(Change("paper", "update", pid, row["key"], fields))
    changes += [Change("paper", "remove", pid, snapshot.papers[pid]["key"]) for pid in papers.removed]
    return changes


def _video_changes(snapshot: Snapshot, videos: Videos, names: _Names) -> list[Change]:
    changes = []
    for i, v in enumerate(videos.new):
        ref = -(i + 1)
        added: dict[str, tuple[Any, Any]] = {c: (None, v[c]) for c in VIDEO_COLUMNS}
        added["papers"] = (None, names.refs("paper", videos.ties[ref]))
        changes.append(Change("video", "add", ref, names.video[ref], added))
    gone = set(videos.removed)
    for vid in [*dict.fromkeys([*videos.updates, *(r for r in videos.ties if r > 0)])]:
        if vid in gone:
            continue
        row = snapshot.videos[vid]
        fields: dict[str, tuple[Any, Any]] = {
            c: (day_text(row[c]) if c == "date" else row[c], new) for c, new in videos.updates.get(vid, {}).items()
        }
        if vid in videos.ties:
            fields["papers"] = (names.refs("paper", snapshot.links.get(vid, ())), names.refs("paper", videos.ties[vid]))
        changes.append(Change("video", "update", vid, names.video[vid], fields))
    changes += [Change("video", "remove", vid, names.video[vid]) for vid in videos.removed]
    return changes


def _state_changes(state: UserState, names: _Names) -> list[Change]:
    changes = []
    for i, (ref, r) in enumerate(state.reading_new):
        key = names.paper[ref]
        fields = {"paper": names.ref("paper", ref), "user_name": r["user"], **{c: r[c] for c in READING_COLUMNS}}
        changes.append(
            Change("reading", "add", -(i + 1), f"{key} ({r['user']})", {c: (None, v) for c, v in fields.items()})
        )
    for row, r in state.reading_updates:
        old = {c: stamp_text(row[c]) if c.endswith("_at") else row[c] for c in READING_COLUMNS}
        fields = {c: (old[c], r[c]) for c in READING_COLUMNS if old[c] != r[c]}
        name = f"{names.paper[row['paper_id']]} ({row['user_name']})"
        changes.append(Change("reading", "update", row["id"], name, fields))
    for i, (ref, h) in enumerate(state.history_new):
        fields = {"paper": names.ref("paper", ref), "citations": h["count"], "fetched_at": h["fetched_at"]}
        name = f"{names.paper[ref]} {h['fetched_at']}"
        changes.append(Change("history", "add", -(i + 1), name, {c: (None, v) for c, v in fields.items()}))
    for i, (ref, w) in enumerate(state.watched_new):
        fields = {"video": names.ref("video", ref), "user_name": w["user"], "watched_at": w["watched_at"]}
        name = f"{names.video[ref]} ({w['user']})"
        changes.append(Change("watched", "add", -(i + 1), name, {c: (None, v) for c, v in fields.items()}))
    for i, (ref, n) in enumerate(state.video_notes_new):
        fields = {
            "video": names.ref("video", ref),
            "user_name": n["user"],
            "note": n["note"],
            "updated_at": n["updated_at"],
        }
        name = f"{names.video[ref]} ({n['user']})"
        changes.append(Change("video_note", "add", -(i + 1), name, {c: (None, v) for c, v in fields.items()}))
    return changes


def _kept(snapshot: Snapshot, papers: Papers, videos: Videos, names: _Names, *, prune: bool) -> list[Kept]:
    gone = set(papers.removed)
    kept = [
        Kept("paper", row["key"], "someone's reading state or notes are on it" if prune else "not in the file")
        for pid, row in snapshot.papers.items()
        if pid not in papers.claimed and pid not in gone
    ]
    kept += [
        Kept("video", names.video[vid], "someone watched it" if prune else "not in the file") for vid in videos.kept
    ]
    return kept


def assemble(
    snapshot: Snapshot,
    doc: Doc,
    carried: Carried,
    categories: Categories,
    papers: Papers,
    videos: Videos,
    problems: tuple[Problem, ...],
    *,
    prune: bool,
) -> Plan:
    """The plan: the steps' values as changes, in the order the report lists them."""
    recorded = plan_recorded(snapshot, carried, papers, videos)
    cat_at, paper_at = plan_positions(snapshot, doc, carried, categories, papers)
    state = plan_user_state(snapshot, doc, papers, videos) if carried.user_state else UserState()
    cats_removed, cats_kept = _categories_not_in_file(snapshot, carried, categories, papers, prune=prune)
    names = _Names(snapshot, categories, papers, videos)
    changes = [
        *_category_changes(snapshot, categories, cat_at, cats_removed),
        *_paper_changes(snapshot, papers, recorded, paper_at, names),
        *_video_changes(snapshot, videos, names),
        *_state_changes(state, names),
    ]
    matched = {"category": len(categories.claimed), "paper": len(papers.claimed), "video": len(videos.claimed)}
    kept = [*_kept(snapshot, papers, videos, names, prune=prune), *cats_kept]
    return Plan(tuple(changes), matched, tuple(kept), (*problems, *papers.problems, *state.problems))
