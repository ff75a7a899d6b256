"""Field-by-field differences between a file's row and the catalog's (pure functions).

Only what the file carries changes (``Carried``): a README carries no authors, venue,
citations or notes, so those stay. Identifiers (S2 id, arXiv id, DOI) are filled or replaced
by a file but never cleared. Citation counts from a JSON document apply only when they were
fetched no earlier than the stored ones. An arXiv id or DOI is never given to two papers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from operator import itemgetter
from typing import Any

from paperread import values
from paperread.exchange.clean import ID_NAMES, Problem
from paperread.exchange.document import day_text, stamp_text, utc
from paperread.exchange.match import spaced
from paperread.exchange.plan import Carried
from paperread.exchange.snapshot import Row, Snapshot

VIDEO_FIELDS = ("date", "title", "duration_seconds", "bilibili", "youtube", "zhihu", "link")


def same_text(a: Any, b: Any) -> bool:
    return (a or None) == (b or None)


def same_link(a: str | None, b: str | None) -> bool:
    """The same address, written alike or with other percent-escapes (``values.readable_url``:
    a README's link is read back encoded)."""
    return a == b or (a is not None and b is not None and values.readable_url(a) == values.readable_url(b))


def _differs(name: str, new: Any, old: Any, carried: Carried) -> bool:
    if name == "title" and not carried.exact_spacing:
        return spaced(new) != spaced(old)
    if name == "url":
        return not same_link(new, old)
    return (new != old) if name == "year" else not same_text(new, old)


def _citations(row: Row, p: Mapping[str, Any], mode: str) -> dict[str, Any]:
    new_at, old_at = p["citations_fetched_at"], stamp_text(row["citations_fetched_at"])
    if mode == "seed":
        take = row["citation_count"] is None
    else:  # newest: a count fetched no earlier than the stored one (or the first one)
        take = old_at is None if new_at is None else (old_at is None or utc(new_at) >= utc(old_at))  # type: ignore[operator]
    if not take or (p["citations"] == row["citation_count"] and (new_at is None or new_at == old_at)):
        return {}
    return {"citation_count": p["citations"], **({"citations_fetched_at": new_at} if new_at is not None else {})}


_COMPARED: dict[int, tuple[Carried, Callable[[Any], Any]]] = {}


def _compared(carried: Carried) -> Callable[[Any], Any]:
    """The fields of a carried paper compared as they are (dates, citations and the rest aside),
    as one getter (kept by the ``Carried`` it is for: a handful of them per process)."""
    held = _COMPARED.get(id(carried))
    if held is None or held[0] is not carried:
        skip = ("recorded", "category", "citations", "publication_date")
        names = [name for name in carried.papers if name not in skip]
        held = _COMPARED[id(carried)] = (carried, itemgetter(*names) if names else lambda _: ())
    return held[1]


def _unchanged(row: Row, p: Mapping[str, Any], carried: Carried) -> bool:
    """Whether every field the file carries equals the catalog's, value for value: then no rule
    of ``paper_diff`` changes anything (each is a no-op on equal values), so a re-imported paper
    costs a few lookups instead of a comparison per field."""
    fields = _compared(carried)
    try:
        if fields(p) != fields(row):
            return False
    except KeyError:  # a paper or a row made by hand, without some field: compared one by one
        return False
    if "publication_date" in carried.papers and p.get("publication_date") != day_text(row["publication_date"]):
        return False
    if "citations" not in carried.papers or p["citations"] is None:
        return True
    at = p["citations_fetched_at"]
    return p["citations"] == row["citation_count"] and (at is None or at == stamp_text(row["citations_fetched_at"]))


def paper_diff(row: Row, p: Mapping[str, Any], carried: Carried, category: int) -> dict[str, Any]:
    """The columns of the catalog's paper ``row`` that the file's paper ``p`` changes, with their
    new values (``category_id``: the ref of its category after the import, ``category``)."""
    if _unchanged(row, p, carried):
        return {} if category == row["category_id"] else {"category_id": category}
    return _field_by_field(row, p, carried, category)


def _field_by_field(row: Row, p: Mapping[str, Any], carried: Carried, category: int) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for name, mode in carried.papers.items():
        if name in ("recorded", "category", "citations"):
            continue
        new = p.get(name)  # (a document or a snapshot made by hand may lack cite_key)
        old: Any = day_text(row[name]) if name == "publication_date" else row.get(name)
        if (mode == "fill" and new is None) or (mode == "seed" and old is not None):
            continue
        if _differs(name, new, old, carried):
            changes[name] = new
    citations = carried.papers.get("citations")
    if citations is not None and p["citations"] is not None:
        changes.update(_citations(row, p, citations))
    if category != row["category_id"]:
        changes["category_id"] = category  # a negative (new) ref is resolved when written
    return changes


def video_diff(
    row: Row, v: Mapping[str, Any], carried: Carried, tie_link: Callable[[str | None], bool]
) -> dict[str, Any]:
    """The columns of the catalog's video ``row`` that the file's video ``v`` changes.

    ``tie_link(link)``: whether a link is only a README title's tie to a paper it covers (a
    README writes such a video with no link of its own)."""
    changes: dict[str, Any] = {}
    for name in VIDEO_FIELDS:
        old: Any = day_text(row["date"]) if name == "date" else row[name]
        if name == "title" and not carried.exact_spacing and spaced(old) == spaced(v[name]):
            continue
        if name == "link" and not carried.video_ties_exact and tie_link(v["link"]) and (old is None or tie_link(old)):
            continue
        if v[name] != old and not (name == "link" and same_link(v[name], old)):
            changes[name] = v[name]
    return changes


def keep_ids_unique(
    snapshot: Snapshot, updates: Mapping[int, Mapping[str, Any]], new: list[dict[str, Any]]
) -> tuple[dict[int, dict[str, Any]], list[dict[str, Any]], list[Problem]]:
    """The updates and new papers with every arXiv id or DOI left off a paper when another
    paper of the catalog keeps it (``add`` and ``edit`` refuse a taken one too), and a warning
    for each. (S2 ids cannot collide: a paper with one is matched by it first.) Updates left
    with no change are dropped."""
    kept = {pid: dict(update) for pid, update in updates.items()}
    papers = list(new)
    problems: list[Problem] = []
    for name in ("arxiv_id", "doi"):
        if all(update.get(name) is None for update in kept.values()) and all(p[name] is None for p in papers):
            continue  # nothing gives this id to any paper: nothing to check
        holder: dict[str, str] = {}  # id -> key of the paper that has it after the import
        for row in snapshot.papers.values():
            if row[name] and name not in kept.get(row["id"], {}):
                holder[row[name]] = row["key"]
        for pid, update in kept.items():
            value = update.get(name)
            key = snapshot.papers[pid]["key"]
            if value is not None and holder.setdefault(value, key) != key:
                del update[name]
                problems.append(_taken(key, name, value, holder[value]))
        for i, p in enumerate(papers):
            if p[name] is not None and holder.setdefault(p[name], p["key"]) != p["key"]:
                problems.append(_taken(p["key"], name, p[name], holder[p[name]]))
                papers[i] = {**p, name: None}
    return {pid: update for pid, update in kept.items() if update}, papers, problems


def _taken(key: str, name: str, value: str, holder: str) -> Problem:
    message = f"{ID_NAMES[name]} {value} left off: paper '{holder}' has it"
    return Problem("paper", f"paper '{key}'", message, skipped=False, left_off=True)
