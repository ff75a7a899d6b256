"""Importing a file: read, clean, plan, write, in the caller's transaction.

``import_parsed`` takes what ``formats.parse`` read; on PostgreSQL it first takes the locks
every writer of papers' ids takes (``locks.hold_paper_ids``) and a share lock on the
catalog's tables, so other writers wait for the import and its plan stays true. An empty
catalog takes the bulk road (``bulk.load_document``); any other gets a snapshot, a plan
(``planning.plan_import``) and exactly that plan written (``apply.apply_plan``). With
``dry_run`` the plan is made and nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from paperread.errors import InputError
from paperread.exchange.plan import Plan

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from paperread.exchange.bulk import SearchFill

Phase = Callable[[str], None]
"""Told each phase as the import enters it: "plan", "write", "index" (the search index), in
that order ("write" again after "index" on the bulk road); a plain callable, so this layer
knows nothing of how (or whether) it is shown."""


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


def reader_on(conn: Connection) -> Any:
    """The read queries on the import's own connection and transaction. On SQLite, straight
    on the sqlite3 connection (the light road's reader: 100,000 rows without SQLAlchemy's
    per-row work); elsewhere through SQLAlchemy."""
    if conn.dialect.name == "sqlite":
        from paperread.db import SqliteReader

        return SqliteReader(conn.connection.dbapi_connection)  # type: ignore[arg-type]  # never closed here
    from paperread.engine import ConnectionReader

    return ConnectionReader(conn)


def _lock(conn: Connection) -> None:
    if conn.dialect.name != "postgresql":
        return  # SQLite: the write transaction (BEGIN IMMEDIATE) holds the database already
    from sqlalchemy import text

    from paperread.locks import hold_paper_ids

    hold_paper_ids(conn)  # first, as every writer giving papers arXiv ids and DOIs does
    # Other writers wait for the import (readers do not), so the plan stays true.
    conn.execute(
        text(
            "LOCK TABLE category, paper, video, video_paper, citation_history, reading, watched, video_note "
            "IN SHARE ROW EXCLUSIVE MODE"
        )
    )


def _start_fill(conn: Connection, parsed: Any, dry_run: bool) -> SearchFill | None:
    """For a JSON document going into an empty SQLite catalog: its search index, built in the
    background from the papers as the file has them while they are cleaned."""
    from paperread import queries
    from paperread.exchange.bulk import SearchFill, raw_bodies

    if dry_run or conn.dialect.name != "sqlite" or not queries.catalog_is_empty(reader_on(conn)):
        return None  # (first: the bodies of 100,000 papers cost a fifth of a second)
    bodies = raw_bodies(parsed.raw_papers)
    return SearchFill(conn, bodies) if bodies else None


def import_parsed(
    conn: Connection, parsed: Any, *, dry_run: bool = False, prune: bool = False, phase: Phase | None = None
) -> Plan:
    """Import a file read by ``formats.parse``: its plan, written unless ``dry_run``."""
    fill = _start_fill(conn, parsed, dry_run)
    try:
        doc, problems = parsed.doc, parsed.problems  # the cleaning, beside the fill
        plan = import_document(
            conn, doc, carried=parsed.carried, problems=problems, dry_run=dry_run, prune=prune, fill=fill, phase=phase
        )
    except BaseException:
        if fill is not None:
            fill.abort()
        raise
    if fill is not None:
        fill.discard()  # a no-op once the papers took it
    return plan


def import_document(
    conn: Connection,
    doc: dict[str, Any],
    *,
    carried: Any = None,
    problems: Any = (),
    dry_run: bool = False,
    prune: bool = False,
    fill: SearchFill | None = None,
    phase: Phase | None = None,
) -> Plan:
    """Plan importing a cleaned document (``clean.clean_document``) and write the plan, in the
    caller's transaction; with ``dry_run`` nothing is written.

    ``problems``: the rows the reader and the cleaning skipped. ``prune`` is refused when
    there are any: an unreadable row must not delete the paper it was meant to be.
    ``fill``: a ``SearchFill`` started on this (empty) catalog in this transaction.
    """
    from paperread.exchange.plan import JSON_CARRIES
    from paperread.exchange.planning import plan_import
    from paperread.exchange.snapshot import Snapshot, read_snapshot

    problems = tuple(problems)
    if prune and problems:
        raise InputError(
            f"not pruning: {len(problems)} row(s) of the file could not be read, and pruning "
            "would remove what they were meant to keep",
            hint="fix those rows (see the list above) or import without --prune",
        )
    if not dry_run:
        _lock(conn)
    carried = carried or JSON_CARRIES
    if phase is not None:
        phase("plan")
    if fill is not None:  # started on an empty catalog in this transaction: it still is
        snapshot = Snapshot.of()
    else:
        history = carried.user_state and any(p["citation_history"] for p in doc["papers"])
        share = {p["key"]: p for p in doc["papers"]}
        snapshot = read_snapshot(reader_on(conn), history=history, share=share)
        del share
    plan = plan_import(snapshot, doc, carried, problems, prune=prune)
    del snapshot  # (the plan holds all it needs: the write has the memory)
    if not dry_run and plan.changed:
        if phase is not None:
            phase("write")
        _write(conn, plan, fill, phase)
    return plan


def _write(conn: Connection, plan: Plan, fill: SearchFill | None, phase: Phase | None) -> None:
    if plan.load is not None:
        from paperread.exchange.bulk import load_document

        load_document(conn, dict(plan.load), fill=fill, phase=phase)
    else:
        from paperread.exchange.apply import apply_plan

        apply_plan(conn, plan, phase=phase)
