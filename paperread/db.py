"""The light read road: SQLite connections, the Reader protocol, schema revisions.

On an up-to-date SQLite file, read commands use the standard ``sqlite3`` module only:
this module must not import SQLAlchemy, pydantic or Alembic, now or later (it knows
nothing of the write road). ``opening`` decides which road a command takes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Protocol

from paperread.config import Target
from paperread.errors import DatabaseError

# The Alembic revisions this code knows, oldest first; the last is the head.
# tests/test_migrations.py keeps this in step with migrations/versions.
KNOWN_REVISIONS: tuple[str, ...] = ("0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008", "0009")
SCHEMA_HEAD = KNOWN_REVISIONS[-1]
REVISION_SQL = "SELECT version_num FROM alembic_version"  # a catalog's schema revision

BUSY_TIMEOUT_MS = 10_000
_SQLITE_MAGIC = b"SQLite format 3\x00"


class Reader(Protocol):
    """What the read queries need: portable SQL with :named parameters, rows as dicts."""

    dialect: str  # "sqlite" or "postgresql"
    # True when ``many`` sends its statements together (one round trip): a caller may then ask
    # for more than it will need rather than wait for one answer before the next question.
    pipelines: bool

    def rows(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]: ...

    def many(self, statements: Sequence[tuple[str, Mapping[str, Any] | None]]) -> list[list[dict[str, Any]]]:
        """The rows of several statements that do not depend on each other (on a server: one round trip)."""
        ...

    def stream(self, sql: str, params: Mapping[str, Any] | None = None) -> Iterator[dict[str, Any]]: ...

    def snapshot(self) -> AbstractContextManager[None]:
        """Every statement inside sees the catalog as of one moment (an export of several
        statements never holds half of a write that commits meanwhile)."""
        ...

    def close(self) -> None: ...


class SqliteReader:
    dialect = "sqlite"
    pipelines = False

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def rows(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        cur = self.conn.execute(sql, params or {})
        names = [d[0] for d in cur.description or ()]
        return [dict(zip(names, row)) for row in cur.fetchall()]

    def many(self, statements: Sequence[tuple[str, Mapping[str, Any] | None]]) -> list[list[dict[str, Any]]]:
        return [self.rows(sql, params) for sql, params in statements]

    def stream(self, sql: str, params: Mapping[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        cur = self.conn.execute(sql, params or {})
        names = [d[0] for d in cur.description or ()]
        while batch := cur.fetchmany(1000):
            for row in batch:
                yield dict(zip(names, row))

    def batches(self, sql: str, params: Mapping[str, Any] | None = None) -> Iterator[list[tuple[Any, ...]]]:
        """The rows as tuples, a thousand at a time (``queries.value_batches``)."""
        cur = self.conn.execute(sql, params or {})
        while batch := cur.fetchmany(1000):
            yield batch

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """One read transaction (WAL: its snapshot is taken at its first read; writers go on)."""
        if self.conn.in_transaction:
            yield
            return
        self.conn.execute("BEGIN")
        try:
            yield
        finally:
            if self.conn.in_transaction:
                self.conn.execute("COMMIT")

    def close(self) -> None:
        self.conn.close()


def lower(value: Any) -> Any:
    """Unicode lowercase, as PostgreSQL's lower() does (SQLite's folds ASCII letters only)."""
    return value.lower() if isinstance(value, str) else value


def add_functions(conn: sqlite3.Connection) -> None:
    """The SQL functions paperread's queries use on SQLite (``queries.search_ids_sql``)."""
    conn.create_function("paperread_lower", 1, lower, deterministic=True)


def connect_sqlite(path: Path) -> sqlite3.Connection:
    """A connection with the pragmas every paperread connection uses.

    WAL lets readers go on while a sync writes; the busy timeout makes two writers
    wait for each other instead of failing with "database is locked".
    """
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    add_functions(conn)
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise sqlite_failure(path, exc) from None
    return conn


def sqlite_failure(path: Path, exc: sqlite3.Error) -> DatabaseError:
    """One line naming the file and what is wrong with it, from SQLite's error."""
    text = str(exc)
    lowered = text.lower()
    check = f"run 'paperread --db {path} db check' to see what is wrong, or restore the file from a backup"
    if "readonly" in lowered or "read-only" in lowered:
        return DatabaseError(
            f"database '{path}' is on read-only storage or not writable by you ({text})",
            hint="check the file's and its folder's permissions, or copy it somewhere writable",
        )
    if "disk is full" in lowered or "disk full" in lowered:
        return DatabaseError(f"the disk holding database '{path}' is full ({text})", hint="free some space and retry")
    if "unable to open" in lowered:
        return DatabaseError(
            f"cannot open database '{path}' ({text}): its folder may be read-only or not accessible",
            hint="check the folder's permissions",
        )
    if "locked" in lowered or "busy" in lowered:
        return DatabaseError(f"database '{path}' is locked by another process ({text})", hint="try again")
    if "not a database" in lowered or "malformed" in lowered or "corrupt" in lowered or "disk i/o" in lowered:
        return DatabaseError(f"database '{path}' is damaged or truncated ({text})", hint=check)
    return DatabaseError(f"cannot use database '{path}' ({text})", hint=check)


def check_sqlite_file(path: Path) -> bool:
    """Validate a database path before touching it; True when the file already holds data.

    Nothing is created or written here, so a bad --db leaves no trace.
    """
    if path.is_dir():
        raise DatabaseError(f"database path '{path}' is a folder", hint="give a file path, e.g. catalog.db")
    if not path.parent.is_dir():
        raise DatabaseError(
            f"database folder '{path.parent}' does not exist",
            hint="create the folder first or pass another --db",
        )
    if not path.exists():
        return False
    try:
        with path.open("rb") as fh:
            head = fh.read(len(_SQLITE_MAGIC))
    except OSError as exc:
        raise DatabaseError(f"cannot read database '{path}': {exc.strerror}") from None
    if not head:
        return False
    if head != _SQLITE_MAGIC:
        raise DatabaseError(f"'{path}' is not an SQLite database", hint="pass a paperread database with --db")
    return _holds_catalog(path)


def _holds_catalog(path: Path) -> bool:
    """Read-only look at an SQLite file's tables before anything is written to it: True when it
    holds a paperread catalog (or the start of one), False when it has no tables at all; an
    application's own database is refused, left exactly as it was (no table, no WAL switch)."""
    try:
        conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    except sqlite3.Error as exc:
        raise sqlite_failure(path, exc) from None
    try:
        names = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    except sqlite3.Error as exc:
        raise sqlite_failure(path, exc) from None
    finally:
        conn.close()
    if not names or "alembic_version" in names:
        return bool(names)
    shown = ", ".join(sorted(names)[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    raise DatabaseError(
        f"'{path}' is an SQLite database of another application (tables {shown}), not a paperread catalog; "
        "it was left untouched",
        hint="pass a paperread catalog with --db, or a new file name: paperread --db NEW.db init",
    )


def schema_revision(reader: Reader) -> str | None:
    """The Alembic revision of the database, None when it has no paperread schema."""
    if reader.dialect != "sqlite":
        # Asking first: on PostgreSQL a failed statement would abort the caller's transaction.
        if not reader.rows("SELECT to_regclass('alembic_version') IS NOT NULL AS present")[0]["present"]:
            return None
        rows = reader.rows("SELECT version_num FROM alembic_version")
        return rows[0]["version_num"] if rows else None
    try:
        rows = reader.rows("SELECT version_num FROM alembic_version")
    except Exception as exc:  # sqlite3.OperationalError or SQLAlchemy's ProgrammingError
        if "alembic_version" in str(exc):
            return None
        raise
    return rows[0]["version_num"] if rows else None


def classify_revision(revision: str | None) -> str:
    """'empty', 'current', 'behind' or 'newer' against the head this code knows."""
    if revision is None:
        return "empty"
    if revision == SCHEMA_HEAD:
        return "current"
    if revision in KNOWN_REVISIONS:
        return "behind"
    return "newer"


def newer_error(target: Target, revision: str) -> DatabaseError:
    return DatabaseError(
        f"database '{target.display}' has schema revision {revision}, newer than this paperread knows ({SCHEMA_HEAD})",
        hint="upgrade paperread (pip install -U paperread)",
    )


def check_server_revision(target: Target, revision: str | None) -> None:
    """Raise DatabaseError unless a server catalog's schema (``revision``, None: no paperread
    schema) is this code's head: migrations on a shared server are never applied implicitly."""
    state = classify_revision(revision)
    if state == "current":
        return
    if state == "newer":
        raise newer_error(target, str(revision))
    if state == "empty":
        raise DatabaseError(
            f"database '{target.display}' holds no paperread catalog yet",
            hint="run 'paperread init' to create one (or 'paperread init --empty')",
        )
    raise DatabaseError(
        f"database '{target.display}' has schema {revision}, behind this paperread ({SCHEMA_HEAD});"
        " on a shared server migrations are never applied implicitly",
        hint="run 'paperread db upgrade' (once, for everyone using this database)",
    )


def open_sqlite_reader(target: Target) -> SqliteReader | None:
    """A reader on an up-to-date SQLite catalog; None when the file is new, empty or behind
    (``opening.open_reader`` prepares it then). Nothing is created or written here."""
    path = target.sqlite_path
    assert path is not None
    if not check_sqlite_file(path):
        return None
    reader = SqliteReader(connect_sqlite(path))
    try:
        revision = schema_revision(reader)
    except sqlite3.DatabaseError as exc:
        reader.close()
        raise sqlite_failure(path, exc) from None
    state = classify_revision(revision)
    if state == "current":
        return reader
    reader.close()
    if state == "newer":
        raise newer_error(target, str(revision))
    return None
