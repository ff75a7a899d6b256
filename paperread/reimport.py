"""Re-importing a file the catalog already holds as it is, without reading the file again.

Each import that finishes (changed or not, not a dry run) leaves in ``catalog_state``
(migration 0009), in its own transaction, a fingerprint of what it imported (``file_key``: the
file's SHA-256 and size, the format asked for, the options that change the outcome), the
catalog's generation its transaction leaves (``engine`` adds one to it in the COMMIT of every
transaction that changes a row) and the report importing that file again would then give
(``after_import``). ``paperread import`` first asks for them with one plain read (on SQLite
through ``sqlite3``: no SQLAlchemy); when the fingerprint is the file's and the generation is
still the one the import left, nothing has written to the catalog since, so importing the file
would change nothing and say exactly that report: it is printed, and the file is not parsed.
Anything else (other bytes, options, a later write, a schema not current, an unreadable
catalog) takes the full road.

This module is light (hashlib and json): the write road's pieces are imported inside
``remember``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from paperread.config import Target

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from paperread.exchange.plan import Plan

STATE_SQL = "SELECT generation, import_generation, import_key, import_report FROM catalog_state"


def file_key(data: bytes, *, fmt: str | None, name: str | None, prune: bool, strict: bool) -> str:
    """What makes two imports the same: the bytes, the format asked for (none: the file's name
    decides it by its extension, else its content), the options that change the outcome, this
    paperread (another may read the same file otherwise) and the year (values are checked
    against next year)."""
    from paperread import __version__

    how = fmt or "auto" + (Path(name).suffix.lower() if name else "")
    return (
        f"paperread {__version__}; {how}; prune={int(prune)} strict={int(strict)}; year {dt.date.today().year}; "
        f"{len(data)} bytes sha256 {hashlib.sha256(data).hexdigest()}"
    )


def known(target: Target, key: str) -> tuple[str, Plan] | None:
    """(the format, the plan) importing the file of ``key`` again would give, when the catalog is
    as its last import of that file left it; None otherwise (or when that cannot be told)."""
    try:
        row = _state(target)
        if row is None or row["import_key"] != key or row["import_generation"] != row["generation"]:
            return None
        report = json.loads(row["import_report"])
        return report["format"], plan_of(report)
    except Exception:  # noqa: BLE001 (the full road says what is wrong, in its words)
        return None


def _state(target: Target) -> dict[str, Any] | None:
    if target.sqlite_path is not None:
        from paperread.db import open_sqlite_reader

        reader: Any = open_sqlite_reader(target)  # None: new, empty or behind (the full road prepares it)
        if reader is None:
            return None
    else:
        from paperread.pgread import open_pg_reader

        reader = open_pg_reader(target)
    try:
        rows = reader.rows(STATE_SQL)
    finally:
        reader.close()
    return rows[0] if rows else None


def plan_of(report: dict[str, Any]) -> Plan:
    from paperread.exchange.plan import Kept, Plan, Problem

    return Plan(
        matched=report["matched"],
        kept=tuple(Kept(*k) for k in report["kept"]),
        problems=tuple(Problem(*p) for p in report["problems"]),
    )


def report_of(fmt: str, plan: Plan) -> str:
    return json.dumps(
        {
            "format": fmt,
            "matched": dict(plan.matched),
            "kept": [[k.kind, k.name, k.reason] for k in plan.kept],
            "problems": [[p.kind, p.where, p.message, p.skipped, p.left_off, p.merged] for p in plan.problems],
        },
        ensure_ascii=False,
    )


def after_import(plan: Plan, doc: dict[str, Any], file_problems: int) -> Plan | None:
    """The plan importing the same file again gives once ``plan`` is written (an import changes
    nothing the second time): every row of the file found, the same rows of the catalog kept,
    the same rows of the file skipped. None where that depends on more than the plan says: a
    problem of the plan's own (an id another paper holds, a reading state kept), a row removed,
    a category the file does not name added (papers that name none go to "uncategorized")."""
    if len(plan.problems) != file_problems:
        return None
    slugs = {c["slug"] for c in doc["categories"]}
    if plan.load is not None:
        load = plan.load
        if not plan.changed or any(c["slug"] not in slugs for c in load["categories"]):
            return None
        from paperread.exchange.plan import Plan

        found = {"category": len(load["categories"]), "paper": len(load["papers"]), "video": len(load["videos"])}
        return Plan(matched=found, problems=plan.problems)
    if not plan.changed:
        return plan
    for change in plan.changes:
        if change.action == "remove" or (
            change.kind == "category" and change.action == "add" and change.name not in slugs
        ):
            return None
    from paperread.exchange.plan import Plan

    found = {kind: plan.matched.get(kind, 0) + plan.count(kind, "add") for kind in ("category", "paper", "video")}
    return Plan(matched=found, kept=plan.kept, problems=plan.problems)


def remember(conn: Connection, key: str, fmt: str, again: Plan | None) -> None:
    """Keep the fingerprint of this import and the report of importing it again, in the import's
    transaction, with the generation its COMMIT leaves (the row is locked from here on); with no
    report (``after_import`` could not tell), forget the last one."""
    from sqlalchemy import text

    if again is None:
        conn.execute(text("UPDATE catalog_state SET import_key = NULL, import_generation = NULL, import_report = NULL"))
        return
    conn.execute(
        text("UPDATE catalog_state SET import_key = :key, import_generation = generation + 1, import_report = :report"),
        {"key": key, "report": report_of(fmt, again)},
    )
