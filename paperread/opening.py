"""Opening a catalog: which road a command takes, and creating and seeding a new one.

Above both roads: a read on an up-to-date SQLite file takes the light road (``db``, the
standard ``sqlite3`` module only), a read on a server takes ``pgread`` (psycopg only); a
new or older SQLite file is first brought to the head schema and, when new, seeded with
the built-in catalog through the write road (``engine``) and the bulk load
(``exchange.bulk``), in ONE transaction, so a killed first run leaves no half-loaded
catalog. A server (PostgreSQL) database is never changed implicitly.

Everything beyond ``db`` is imported inside the function that needs it: ``list`` on a
current file never pays for SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from paperread.config import Target
from paperread.db import Reader, SqliteReader, connect_sqlite, open_sqlite_reader
from paperread.errors import DatabaseError

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlmodel import Session


def open_reader(target: Target, *, load_builtin: bool = True) -> Reader:
    """A reader on an up-to-date catalog, preparing a new SQLite file on first use."""
    if target.sqlite_path is None:
        try:
            import psycopg  # noqa: F401  (the driver, named if it is missing)

            from paperread.pgread import open_pg_reader
        except ImportError as exc:
            raise DatabaseError(
                f"no driver for '{target.display}' ({exc.name} is not installed)",
                hint="pip install 'paperread[postgres]'",
            ) from None
        return open_pg_reader(target)
    if target.is_default:
        target.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    else:
        refuse_missing(target)
    reader = open_sqlite_reader(target)
    if reader is not None:
        return reader
    prepare_sqlite(target, load_builtin=load_builtin)
    return SqliteReader(connect_sqlite(target.sqlite_path))


def refuse_missing(target: Target) -> None:
    """A catalog named with --db or PAPERREAD_DB must exist (a typo must not make a new one
    somewhere); ``paperread init`` creates it. The default location is created on first use."""
    from paperread.errors import DatabaseError

    path = target.sqlite_path
    if path is None or target.is_default or not path.parent.is_dir():
        return  # (a missing folder is named by db.check_sqlite_file)
    if not path.exists() and not path.is_symlink():
        raise DatabaseError(
            f"database '{path}' does not exist",
            hint=f"check the path given with --db or PAPERREAD_DB, or create it: paperread --db {path} init",
        )


@contextmanager
def open_write_session(target: Target) -> Iterator[Session]:
    """A Session for one write command: one transaction, committed only if all went well.

    SQLite files are created or upgraded first (as for reads); a server database must
    already be current.
    """
    from paperread.engine import session_on

    if target.sqlite_path is not None:
        open_reader(target).close()  # creates, migrates and seeds when needed
    with session_on(target) as session:
        yield session


def prepare_sqlite(target: Target, *, load_builtin: bool) -> None:
    """Bring a new or older SQLite file to the head schema (implicit on SQLite only); a new
    one gets the built-in catalog too, unless ``load_builtin`` is False."""
    from paperread.engine import create_schema, transaction

    with transaction(target) as conn:
        if create_schema(conn, target) and load_builtin:
            seed_builtin(conn)


def init_catalog(target: Target, *, load_builtin: bool) -> dict[str, int] | None:
    """``paperread init``: create the schema (and the built-in catalog); None when a catalog
    is already there (it is left as it is, even when behind: ``db upgrade`` says so)."""
    from paperread.db import classify_revision, newer_error
    from paperread.engine import create_schema, revision_on, transaction

    if target.is_default and target.sqlite_path is not None:
        target.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    with transaction(target, schema_lock=True) as conn:
        revision = revision_on(conn)
        if revision is not None:
            if classify_revision(revision) == "newer":
                raise newer_error(target, revision)
            return None
        create_schema(conn, target)
        return seed_builtin(conn) if load_builtin else {}


def seed_builtin(conn: Connection) -> dict[str, int]:
    """Load the built-in catalog (data/catalog.json) into the empty catalog on ``conn``."""
    from paperread.exchange.bulk import load_document
    from paperread.exchange.document import builtin_document

    return load_document(conn, builtin_document())
