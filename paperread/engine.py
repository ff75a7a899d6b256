"""The write road: SQLAlchemy engines, one-transaction sessions and Alembic upgrades.

Imported only by commands that write, by first-run preparation, and by server
(PostgreSQL) databases, where reads also go through SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlmodel import Session

from paperread.config import Target
from paperread.db import (
    BUSY_TIMEOUT_MS,
    SCHEMA_HEAD,
    check_sqlite_file,
    classify_revision,
    newer_error,
    schema_revision,
)
from paperread.errors import DatabaseError
from paperread.resources import shipped_dir


def make_engine(target: Target) -> Engine:
    """An engine with paperread's connection rules.

    SQLite: WAL, foreign keys, a busy timeout, and ``BEGIN IMMEDIATE`` for every
    transaction, so two writers queue on the lock instead of one failing half-way.
    """
    if target.sqlite_path is None:
        try:
            engine = create_engine(target.url, pool_pre_ping=True)
        except ImportError as exc:
            raise DatabaseError(
                f"no driver for '{target.display}' ({exc.name} is not installed)",
                hint="pip install 'paperread[postgres]'",
            ) from None
        return engine
    engine = create_engine(target.url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """One write = one transaction: committed on success, rolled back on any error."""
    with Session(engine) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def alembic_config(connection: Connection | None = None):  # -> alembic.config.Config
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(shipped_dir("migrations")))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(connection: Connection, revision: str = "head") -> None:
    """Apply migrations on a connection, inside the caller's transaction."""
    from alembic import command

    command.upgrade(alembic_config(connection), revision)


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head() or ""


def prepare_sqlite(target: Target, *, load_builtin: bool) -> None:
    """Bring a new or older SQLite file to the head schema (implicit on SQLite only).

    A new file gets the schema and (unless ``load_builtin`` is False) the built-in
    catalog in ONE transaction: a killed first run leaves no half-loaded catalog.
    """
    assert target.sqlite_path is not None
    check_sqlite_file(target.sqlite_path)
    with _transaction(target) as conn:
        revision = _revision_on(conn)
        state = classify_revision(revision)
        if state == "newer":
            raise newer_error(target, str(revision))
        if state != "current":
            upgrade(conn)
        if state == "empty" and load_builtin:
            _load_builtin(conn)


def _load_builtin(conn: Connection) -> dict[str, int]:
    from paperread.exchange import builtin_document, load_document

    return load_document(conn, builtin_document())


@contextmanager
def _transaction(target: Target) -> Iterator[Connection]:
    """One transaction on a short-lived engine, with connection failures made readable."""
    if target.sqlite_path is not None:
        check_sqlite_file(target.sqlite_path)
    engine = make_engine(target)
    try:
        with engine.begin() as conn:
            yield conn
    except OperationalError as exc:
        raise DatabaseError(f"cannot use database '{target.display}': {_first_line(exc.orig)}") from None
    finally:
        engine.dispose()


def init_database(target: Target, *, load_builtin: bool) -> dict[str, int] | None:
    """Create the schema (and the built-in catalog); None when a catalog is already there."""
    if target.is_default and target.sqlite_path is not None:
        target.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    with _transaction(target) as conn:
        revision = _revision_on(conn)
        if revision is not None:
            if classify_revision(revision) == "newer":
                raise newer_error(target, revision)
            return None
        upgrade(conn)
        return _load_builtin(conn) if load_builtin else {}


def database_revision(target: Target) -> tuple[str | None, str]:
    """(the database's revision, this code's head); creates nothing."""
    if target.sqlite_path is not None and not check_sqlite_file(target.sqlite_path):
        return None, SCHEMA_HEAD
    with _transaction(target) as conn:
        return _revision_on(conn), SCHEMA_HEAD


def upgrade_database(target: Target) -> tuple[str | None, str]:
    """Apply pending migrations in one transaction; (revision before, revision after)."""
    if target.is_default and target.sqlite_path is not None:
        target.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    with _transaction(target) as conn:
        before = _revision_on(conn)
        if classify_revision(before) == "newer":
            raise newer_error(target, str(before))
        if before != SCHEMA_HEAD:
            upgrade(conn)
        return before, SCHEMA_HEAD


def check_database(target: Target) -> None:
    """Raise DatabaseError unless the schema is current and SQLite's checks pass."""
    revision, head = database_revision(target)
    state = classify_revision(revision)
    if state == "newer":
        raise newer_error(target, str(revision))
    if state != "current":
        raise DatabaseError(
            f"database '{target.display}' schema is {revision or 'missing'}, this paperread needs {head}",
            hint="run 'paperread db upgrade'",
        )
    if target.sqlite_path is not None:
        with _transaction(target) as conn:
            result = conn.exec_driver_sql("PRAGMA quick_check").scalar()
            if result != "ok":
                raise DatabaseError(f"database '{target.display}' failed SQLite's quick_check: {result}")
            broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise DatabaseError(f"database '{target.display}' has {len(broken)} rows with broken references")


def _revision_on(conn: Connection) -> str | None:
    return schema_revision(ConnectionReader(conn))


class ConnectionReader:
    """The Reader protocol over a SQLAlchemy connection (PostgreSQL, or tests on SQLite)."""

    def __init__(self, conn: Connection, owner: Engine | None = None) -> None:
        self.conn = conn
        self.dialect = conn.dialect.name
        self._owner = owner

    def rows(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        try:
            result = self.conn.execute(text(sql), dict(params or {}))
        except SQLAlchemyError:
            if self.conn.in_transaction() and self.dialect == "postgresql":
                self.conn.rollback()
            raise
        return [dict(row._mapping) for row in result] if result.returns_rows else []

    def stream(self, sql: str, params: Mapping[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        result = self.conn.execution_options(stream_results=True, yield_per=1000).execute(
            text(sql), dict(params or {})
        )
        for row in result:
            yield dict(row._mapping)

    def close(self) -> None:
        self.conn.close()
        if self._owner is not None:
            self._owner.dispose()


def open_server_reader(target: Target) -> ConnectionReader:
    """Reads on a server database. Migrations there are never applied implicitly."""
    engine = make_engine(target)
    try:
        conn = engine.connect()
    except OperationalError as exc:
        engine.dispose()
        raise DatabaseError(f"cannot connect to '{target.display}': {_first_line(exc.orig)}") from None
    reader = ConnectionReader(conn, owner=engine)
    revision = schema_revision(reader)
    state = classify_revision(revision)
    if state != "current":
        reader.close()
        if state == "newer":
            raise newer_error(target, str(revision))
        raise DatabaseError(
            f"database '{target.display}' is {'empty' if state == 'empty' else 'behind this paperread'}"
            f" (schema {revision or 'none'}, code {SCHEMA_HEAD})",
            hint="run 'paperread init' for a new catalog or 'paperread db upgrade'",
        )
    return reader


def _first_line(exc: object) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
