"""Every lock paperread takes, and its key: the one home for them.

- ``hold_schema`` (PostgreSQL, per transaction): whoever creates or upgrades the schema,
  so two people running ``init`` or ``db upgrade`` at once queue instead of colliding.
  (SQLite's ``BEGIN IMMEDIATE`` already serialises writers.)
- ``hold_paper_ids`` (PostgreSQL, per transaction): whoever gives papers arXiv ids or DOIs
  (add, edit, import, sync), which no unique constraint protects.
- ``run_lock`` (for a whole run, per database and per job): one ``sync-citations`` (job
  "sync") at a time, and one ``sync-views`` (job "views"); the two jobs do not wait for
  each other. An OS file lock next to an SQLite file, a session advisory lock on
  PostgreSQL; both are released by the OS or the server when the process dies, so a killed
  run's lock is simply taken over by the next one.

The advisory lock keys are four ASCII letters read as one number, so that ``pg_locks``
shows something a person can decode.
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from paperread.config import Target
from paperread.errors import PaperreadError

PG_SCHEMA_LOCK = 0x70617065  # "pape"
PG_PAPER_IDS_LOCK = 0x69647321  # "ids!"
# Whole-run locks, one per job (advisory locks are per database on the server).
PG_RUN_LOCKS = {"sync": 0x73796E63, "views": 0x76696577}  # "sync", "view"


class BusyError(PaperreadError):
    """Another run of the same job holds the lock for this database."""


def _advisory_xact_lock(conn: Any, key: int) -> None:
    from sqlalchemy import text

    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


def hold_schema(conn: Any) -> None:
    """On PostgreSQL, wait for anyone else creating or upgrading the schema; held until the
    transaction ends."""
    if conn.dialect.name == "postgresql":
        _advisory_xact_lock(conn, PG_SCHEMA_LOCK)


def hold_paper_ids(conn: Any) -> None:
    """On PostgreSQL, make this transaction the only one giving papers arXiv ids and DOIs until
    it ends: unlike keys and S2 ids, those two have no unique constraint, so two writers could
    each find one free and both take it. An advisory lock, so no other write waits for it.

    Lock order: every writer that assigns those ids (add, edit, import, sync) takes this one
    before it locks a paper row or the paper table, so no two of them wait for each other in
    a cycle (the lock on a category row that add and edit take first is shared, and no holder
    of this one waits for a category)."""
    if conn.dialect.name == "postgresql":
        _advisory_xact_lock(conn, PG_PAPER_IDS_LOCK)


def lock_path(target: Target, job: str = "sync") -> Path:
    """The lock file of ``job`` next to an SQLite catalog."""
    assert target.sqlite_path is not None
    return target.sqlite_path.with_name(f"{target.sqlite_path.name}.{job}.lock")


@contextmanager
def run_lock(target: Target, engine: Any, job: str = "sync") -> Iterator[int | None]:
    """Hold the database's lock for ``job`` for the block, or raise BusyError at once.

    Yields the pid of a run that died holding it (its lock was taken over), else None.
    ``engine``: a SQLAlchemy engine on the database (PostgreSQL only; unused on SQLite).
    """
    if target.sqlite_path is None:
        with _pg_lock(target, engine, job) as stale:
            yield stale
    else:
        with _file_lock(target, job) as stale:
            yield stale


def _busy(target: Target, job: str, holder: str | None) -> BusyError:
    who = f" ({holder})" if holder else ""
    return BusyError(
        f"another {job} is running on {target.display}{who}",
        hint="wait for it to finish; if it was killed, its lock is free again and the next run takes it over",
    )


@contextmanager
def _file_lock(target: Target, job: str) -> Iterator[int | None]:
    """fcntl.flock on ``<db>.<job>.lock``, which holds the holder's pid. The OS drops a
    flock when its process dies, so a killed run's lock is simply taken over."""
    fd = os.open(lock_path(target, job), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if not _try_flock(fd):
            pid = _read_pid(fd)
            raise _busy(target, job, f"pid {pid}" if pid else None)
        stale = _read_pid(fd)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        try:
            yield stale
        finally:
            os.ftruncate(fd, 0)  # a clean end leaves no pid: a pid found later means a killed run
            _unflock(fd)
    finally:
        os.close(fd)


def _try_flock(fd: int) -> bool:
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined,unused-ignore]
            return True
        except OSError:
            return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


def _unflock(fd: int) -> None:
    try:
        import fcntl
    except ImportError:
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined,unused-ignore]
        return
    fcntl.flock(fd, fcntl.LOCK_UN)


def _read_pid(fd: int) -> int | None:
    raw = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    return int(raw) if raw.isdigit() else None


@contextmanager
def _pg_lock(target: Target, engine: Any, job: str) -> Iterator[int | None]:
    """pg_try_advisory_lock on a connection of its own, held for the run; the server
    releases it when that connection ends, killed process included."""
    from sqlalchemy import text

    key = PG_RUN_LOCKS[job]
    conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        if not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar():
            holder = conn.execute(
                text(
                    """SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                       WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
                         AND l.classid::bigint = 0 AND l.objid::bigint = :k
                         AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"""
                ),
                {"k": key},
            ).scalar()
            found = re.search(r"pid \d+(?: on \S+)?", holder or "")
            raise _busy(target, job, found.group(0) if found else None)
        name = f"paperread {job} pid {os.getpid()} on {socket.gethostname()}"[:63]
        conn.execute(text("SELECT set_config('application_name', :n, false)"), {"n": name})
        try:
            yield None
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
    finally:
        conn.close()
