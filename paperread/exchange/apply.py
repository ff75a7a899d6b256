"""Writing a plan: exactly its changes, set-based, in the caller's transaction.

Every change of the plan is written and nothing else; rows the plan names by a negative ref
(new ones) get their ids as they are inserted, and the fields pointing at them (a paper's
category, a video's papers) are resolved then. Categories first (a name passed from one to
another goes through a placeholder), then the removals (their ties go with them), papers,
videos and their ties, reading state, citation history and watched marks, and last the
categories a prune removes.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from paperread.exchange import sql
from paperread.exchange.plan import Change, Plan, RowRef

if TYPE_CHECKING:
    from sqlalchemy import Connection

Ids = Callable[[int], int]


def _ids(new: list[int]) -> Ids:
    """An existing row's id as it is; the n-th new row's (ref -n) from the ids inserted."""
    return lambda ref: ref if ref > 0 else new[-ref - 1]


def _new(changes: list[Change]) -> list[dict[str, Any]]:
    """The values of added rows, in ref order (-1, -2, ...)."""
    return [{name: new for name, (_, new) in c.fields.items()} for c in sorted(changes, key=lambda c: -c.ref)]


def _categories(conn: Connection, table: Any, changes: Mapping[str, list[Change]]) -> Ids:
    renamed = [c for c in changes["update"] if "name" in c.fields]
    if renamed:  # a name passed from one category to another: through a placeholder first
        sql.update_many(conn, table, {c.ref: {"name": f"~import/{c.ref}"} for c in renamed})
    sql.update_many(conn, table, {c.ref: {k: new for k, (_, new) in c.fields.items()} for c in changes["update"]})
    sql.more_cache(conn)
    return _ids(sql.insert_returning_ids(conn, table, _new(changes["add"])))


def _paper_columns(fields: Mapping[str, tuple[Any, Any]], category: Ids) -> dict[str, Any]:
    columns: dict[str, Any] = {}
    for name, (_, new) in fields.items():
        if name == "category":
            columns["category_id"] = category(new.ref)
        elif name != "videos":  # ties are the videos' changes
            columns[name] = new
    return columns


def _papers(
    conn: Connection,
    table: Any,
    changes: Mapping[str, list[Change]],
    category: Ids,
    at: dt.datetime,
    phase: Callable[[str], None] | None = None,
) -> Ids:
    bumped = {c.ref: _paper_columns(c.fields, category) for c in changes["update"] if not c.moved_only}
    moved = {c.ref: _paper_columns(c.fields, category) for c in changes["update"] if c.moved_only}
    searched = [ref for ref, columns in bumped.items() if not sql.SEARCHED.isdisjoint(columns)]
    with sql.fts_updates_deferred(conn, searched):
        sql.update_many(conn, table, bumped, also={"updated_at": at, "version": table.c.version + 1})
    sql.update_many(conn, table, moved)
    rows = [
        {
            **_paper_columns(c.fields, category),
            "created_at": at,
            "updated_at": at,
            "version": 1,
        }
        for c in sorted(changes["add"], key=lambda c: -c.ref)
    ]
    if not rows:
        return _ids([])
    with sql.fts_deferred(conn, phase):
        return _ids(sql.insert_returning_ids(conn, table, rows))


def _videos(conn: Connection, table: Any, changes: Mapping[str, list[Change]], at: dt.datetime) -> Ids:
    def columns(c: Change) -> dict[str, Any]:
        return {k: new for k, (_, new) in c.fields.items() if k != "papers"}

    sql.update_many(conn, table, {c.ref: columns(c) for c in changes["update"] if columns(c)})
    added = sorted(changes["add"], key=lambda c: -c.ref)
    return _ids(sql.insert_returning_ids(conn, table, [{**columns(c), "created_at": at} for c in added]))


def _ties(conn: Connection, tables: Mapping[str, Any], changes: list[Change], paper: Ids, video: Ids) -> None:
    tied = [c for c in changes if "papers" in c.fields]
    sql.delete_ids(conn, tables["video_paper"], [c.ref for c in tied if c.ref > 0], column="video_id")
    links = [
        {"video_id": video(c.ref), "paper_id": paper(p.ref), "position": i}
        for c in tied
        for i, p in enumerate(c.fields["papers"][1])
    ]
    sql.insert_rows(conn, tables["video_paper"], links)


def _state(conn: Connection, tables: Mapping[str, Any], by: Any, paper: Ids, video: Ids, at: dt.datetime) -> None:
    def row(c: Change, **resolved: Any) -> dict[str, Any]:
        values = {k: new for k, (_, new) in c.fields.items() if not isinstance(new, RowRef)}
        return {**values, **resolved}

    updates = {c.ref: {k: new for k, (_, new) in c.fields.items()} for c in by["reading"]["update"]}
    sql.update_many(conn, tables["reading"], updates)
    reading = [row(c, paper_id=paper(c.fields["paper"][1].ref)) for c in by["reading"]["add"]]
    for r in reading:
        r["updated_at"] = r["updated_at"] or at
    sql.insert_rows(conn, tables["reading"], reading)
    history = [row(c, paper_id=paper(c.fields["paper"][1].ref)) for c in by["history"]["add"]]
    sql.insert_rows(conn, tables["citation_history"], history)
    watched = [row(c, video_id=video(c.fields["video"][1].ref)) for c in by["watched"]["add"]]
    for w in watched:
        w["watched_at"] = w["watched_at"] or at
    sql.insert_rows(conn, tables["watched"], watched)
    video_notes = [row(c, video_id=video(c.fields["video"][1].ref)) for c in by["video_note"]["add"]]
    for n in video_notes:
        n["updated_at"] = n["updated_at"] or at
    sql.insert_rows(conn, tables["video_note"], video_notes)


def apply_plan(conn: Connection, plan: Plan, *, phase: Callable[[str], None] | None = None) -> None:
    """Write every change of ``plan`` (not a bulk load: see ``bulk.load_document``). ``phase``
    (``run.Phase``) is told "index" while the new papers' search index is built."""
    assert plan.load is None
    by: dict[str, dict[str, list[Change]]] = defaultdict(lambda: defaultdict(list))
    for change in plan.changes:
        by[change.kind][change.action].append(change)
    tables, at = sql.tables(), sql.now()
    category = _categories(conn, tables["category"], by["category"])
    # Removals first: they free nothing the rest needs, and their ties go with them.
    sql.delete_ids(conn, tables["video"], [c.ref for c in by["video"]["remove"]])
    sql.delete_ids(conn, tables["paper"], [c.ref for c in by["paper"]["remove"]])
    paper = _papers(conn, tables["paper"], by["paper"], category, at, phase)
    video = _videos(conn, tables["video"], by["video"], at)
    _ties(conn, tables, [*by["video"]["update"], *by["video"]["add"]], paper, video)
    _state(conn, tables, by, paper, video, at)
    sql.delete_ids(conn, tables["category"], [c.ref for c in by["category"]["remove"]])
