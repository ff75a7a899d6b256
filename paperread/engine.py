"""The write road: SQLAlchemy engines, one-transaction sessions and Alembic upgrades.

Imported only by commands that write and by first-run preparation (``opening``); read
commands on a server (PostgreSQL) take ``pgread`` instead. It knows the light road (``db``)
below it, and nothing above: creating and seeding a catalog is ``opening``'s.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, make_url, text
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, OperationalError, ProgrammingError
from sqlmodel import Session

from paperread import figures
from paperread.config import Target
from paperread.db import (
    BUSY_TIMEOUT_MS,
    REVISION_SQL,
    SCHEMA_HEAD,
    add_functions,
    check_server_revision,
    check_sqlite_file,
    classify_revision,
    newer_error,
    schema_revision,
)
from paperread.errors import ConflictError, DatabaseError
from paperread.locks import hold_schema
from paperread.resources import shipped_dir

PG_CONNECT_TIMEOUT_S = 10

# SQLAlchemy's pool logs a failure to close a connection (with its traceback) through logging's
# last resort, straight onto stderr: after Ctrl-C lands while a connection is being returned,
# that is a page of traceback under paperread's own one-line "interrupted". The command's
# own error handling says what happened; the pool's log is shown only when debugging.
if not os.environ.get("PAPERREAD_DEBUG"):
    logging.getLogger("sqlalchemy.pool").addHandler(logging.NullHandler())


# How many transactions this process has committed: an interrupt (Ctrl-C) after one says what
# was kept instead of "nothing was changed" (``cli``).
COMMITS = 0


def _count_commit(_conn: Connection) -> None:
    global COMMITS
    COMMITS += 1


# The catalog's generation (migration 0009): one more in the COMMIT of every transaction that
# changed a row, whatever wrote it, so a re-import can tell that nothing has changed the catalog
# since its import (``paperread.reimport``). A transaction that changed nothing (a read, a
# write that found nothing to do) leaves it. ``tests/test_generation.py`` runs every writing
# command and holds each to it.
BUMP_SQL = "UPDATE catalog_state SET generation = generation + 1"
# PostgreSQL: only when the transaction changed a row (its own statistics count the rows it
# inserted, updated and deleted, triggers' included; a row it only locked took a transaction id
# but changed nothing) and the table is there (a transaction on an older schema reads only);
# sent with the COMMIT, in one round trip. Without ``track_counts``, whenever it has an id.
_PG_BUMP_SQL = (
    "DO $$ BEGIN IF txid_current_if_assigned() IS NOT NULL AND to_regclass('catalog_state') IS NOT NULL "
    "AND (NOT current_setting('track_counts')::boolean OR EXISTS (SELECT 1 FROM pg_stat_xact_user_tables "
    f"WHERE n_tup_ins + n_tup_upd + n_tup_del > 0)) THEN {BUMP_SQL}; END IF; END $$"
)


def _bump_sqlite_on_commit(conn: Connection) -> None:
    raw: Any = conn.connection.dbapi_connection
    if raw is None or raw.total_changes == conn.info.pop("changes_at_begin", None):
        return
    import sqlite3

    try:
        raw.execute(BUMP_SQL)
    except sqlite3.OperationalError as exc:
        if "no such table" not in str(exc):  # a catalog behind 0009 (or a downgrade): no generation
            raise


def _bump_postgresql_on_commit(conn: Connection) -> None:
    """The bump and the COMMIT in one pipeline (one round trip, as the COMMIT alone was); psycopg's
    own commit then finds the transaction ended and sends nothing."""
    raw: Any = conn.connection.dbapi_connection
    from psycopg.pq import TransactionStatus

    if raw.info.transaction_status != TransactionStatus.INTRANS:
        return  # nothing was sent (a lean session that wrote nothing), or it failed: psycopg's road
    with raw.pipeline():
        raw.execute(_PG_BUMP_SQL)
        raw.execute("COMMIT")


def make_engine(target: Target, *, ping: bool = False, lean: bool = False) -> Engine:
    """An engine with paperread's connection rules. ``ping``: test a pooled connection before
    each use (one round trip each; for a job that holds its engine for minutes).

    SQLite: WAL, foreign keys, a busy timeout, and ``BEGIN IMMEDIATE`` for every
    transaction, so two writers queue on the lock instead of one failing half-way.

    PostgreSQL with ``lean`` (a single write's session, ``session_on``): no round trip of its
    own before the write's first statement (see ``_lean_postgresql``).
    """
    if target.sqlite_path is None:
        try:
            # A wrong host fails in seconds, and the server can tell who is connected;
            # the same settings in the URL's query win.
            defaults = {"connect_timeout": PG_CONNECT_TIMEOUT_S, "application_name": "paperread"}
            given = make_url(target.url).query
            engine = create_engine(
                target.url,
                pool_pre_ping=ping,
                use_native_hstore=False,  # paperread has no hstore column: no type lookup on connecting
                connect_args={k: v for k, v in defaults.items() if k not in given},
            )
        except ImportError as exc:
            raise DatabaseError(
                f"no driver for '{target.display}' ({exc.name} is not installed)",
                hint="pip install 'paperread[postgres]'",
            ) from None
        except (ValueError, ArgumentError) as exc:
            raise DatabaseError(
                f"invalid database URL '{target.display}': {target.scrub(_first_line(exc))}",
                hint="use postgresql+psycopg://user:password@host:port/database",
            ) from None
        event.listen(engine, "commit", _count_commit)
        if lean:
            _lean_postgresql(engine)
        event.listen(engine, "commit", _bump_postgresql_on_commit)  # after the lean engine's own listener
        return engine
    # check_same_thread=False: a bulk load hands its connection to a background thread for
    # one statement while it waits (exchange.bulk.SearchFill); never two threads at once.
    engine = create_engine(target.url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        add_functions(dbapi_conn)
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
        conn.info["changes_at_begin"] = conn.connection.dbapi_connection.total_changes  # type: ignore[union-attr]

    event.listen(engine, "commit", _bump_sqlite_on_commit)
    event.listen(engine, "commit", _count_commit)
    return engine


def _lean_postgresql(engine: Engine) -> None:
    """Cut a PostgreSQL write's round trips before its first statement (from 8 to 0).

    - SQLAlchemy's first connect asks the server four questions, one round trip each, in a
      transaction of their own (BEGIN ... ROLLBACK: six trips): the server's version, the
      default schema, the isolation level and ``standard_conforming_strings``. The server
      already reported its version and ``standard_conforming_strings`` at startup (libpq
      keeps them: ``ConnectionInfo.parameter_status``); a write session reflects nothing, so
      the default schema is not needed, and it never changes the isolation level, so the
      server's default (READ COMMITTED) is only recorded. The dialect's own ``initialize``
      still runs, with those four answered from the startup.
    - psycopg sends ``BEGIN`` on its own before a transaction's first statement (one more
      trip), and the schema-version check was one more. Here the connection is in autocommit
      and paperread begins the transaction itself, as on SQLite: ``BEGIN``, the version check
      (when ``session_on`` asks for it: ``info["check_revision"]``) and the transaction's first
      statement go in one pipeline, one round trip; the version is looked at before that
      statement's result is. COMMIT and ROLLBACK are psycopg's (they look at the server's
      transaction status, not at autocommit).

    ``tests/test_round_trips.py`` counts the trips each write sends, so a SQLAlchemy that
    asks again is noticed.
    """
    dialect: Any = engine.dialect
    dialect.paperread_lean = True  # (lock_ahead)

    def startup(connection: Connection) -> Any:
        return connection.connection.dbapi_connection.info  # type: ignore[union-attr]

    def server_version(connection: Connection) -> tuple[int, ...]:
        number = startup(connection).server_version  # e.g. 150020 (15.20), 90624 (9.6.24)
        return (number // 10000, number % 10000) if number >= 100000 else (number // 10000, number // 100 % 100)

    def backslash_escapes(connection: Connection) -> None:
        dialect._backslash_escapes = startup(connection).parameter_status("standard_conforming_strings") == b"off"

    dialect._get_server_version_info = server_version
    dialect._get_default_schema_name = lambda _connection: None
    dialect.get_default_isolation_level = lambda _dbapi_conn: "READ COMMITTED"
    dialect._set_backslash_escapes = backslash_escapes

    @event.listens_for(engine, "do_connect")
    def _early(dialect: Any, _record: Any, cargs: Any, cparams: dict[str, Any]) -> Any:
        """The connection ``prefetch`` opened while the command was imported, when it is the one
        psycopg.connect would open here: the same settings, and the dialect's adapters psycopg's
        own (no JSON or inet hooks configured). None: connect as ever."""
        hooks = getattr(dialect, "_native_inet_types", None) is False or any(
            getattr(dialect, name, None) for name in ("_json_serializer", "_json_deserializer")
        )
        if cargs or hooks:
            return None
        from paperread.pgread import take_early_write

        return take_early_write({k: v for k, v in cparams.items() if k != "context"})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.autocommit = True  # we issue BEGIN ourselves

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.info["begin_pending"] = True

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _ended(conn: Connection) -> None:
        for name in ("begin_pending", "check_revision", "ahead"):
            conn.info.pop(name, None)

    def ride(cursor: Any, context: Any, execute: Any) -> bool | None:
        info = context.root_connection.info
        begin = info.pop("begin_pending", False)
        target = info.pop("check_revision", None)
        ahead = info.pop("ahead", [])
        if not begin and target is None and not ahead:
            return None  # SQLAlchemy executes it as usual
        import psycopg

        raw = cursor.connection
        revision = raw.cursor()
        failure: psycopg.Error | None = None
        try:
            with raw.pipeline():  # one Sync at its end: one round trip
                if begin:
                    raw.execute("BEGIN")
                if target is not None:
                    revision.execute(REVISION_SQL)
                for sql, params in ahead:  # run, in order, before the statement: e.g. a row lock
                    raw.cursor().execute(sql, params)
                execute()
        except psycopg.Error as exc:  # the first that failed; those after it did not run
            failure = exc
        if target is not None:
            try:
                rows = revision.fetchall()
            except psycopg.Error:
                rows = None
            if rows is None and not isinstance(failure, psycopg.errors.UndefinedTable):
                raise failure or DatabaseError(f"cannot read the schema version of '{target.display}'")
            check_server_revision(target, rows[0][0] if rows else None)  # none: no paperread schema
        if failure is not None:
            raise failure
        return True

    @event.listens_for(engine, "do_execute")
    def _do_execute(cursor: Any, statement: str, parameters: Any, context: Any) -> bool | None:
        return ride(cursor, context, lambda: cursor.execute(statement, parameters))

    @event.listens_for(engine, "do_execute_no_params")
    def _do_execute_no_params(cursor: Any, statement: str, context: Any) -> bool | None:
        return ride(cursor, context, lambda: cursor.execute(statement))

    @event.listens_for(engine, "do_executemany")
    def _do_executemany(cursor: Any, statement: str, parameters: Any, context: Any) -> bool | None:
        return ride(cursor, context, lambda: cursor.executemany(statement, parameters))


def lock_ahead(session: Session, statement: Any) -> None:
    """Run ``statement`` (a SELECT ... FOR UPDATE) before the session's next statement, so that
    the next one reads what the lock's holder committed (in READ COMMITTED each statement sees
    the data committed when it starts; the rows a statement locks are read afresh, the others
    it joins are not). On a lean PostgreSQL engine both go in one round trip; on another
    PostgreSQL engine the lock is taken now; SQLite's BEGIN IMMEDIATE already serialises writers."""
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        return
    if not getattr(conn.dialect, "paperread_lean", False):  # not a lean engine: a round trip of its own
        conn.execute(statement)
        return
    compiled = statement.compile(dialect=conn.dialect)
    conn.info.setdefault("ahead", []).append((str(compiled), compiled.params))


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


@contextmanager
def transaction(target: Target, *, schema_lock: bool = False, read_only: bool = False) -> Iterator[Connection]:
    """One transaction on a short-lived engine, with connection failures made readable.

    ``schema_lock``: on PostgreSQL, wait for anyone else creating or upgrading the schema
    (SQLite's BEGIN IMMEDIATE already serialises writers). ``read_only``: rolled back at the
    end (a check that asks the search index with a command, as ``db check`` does, keeps nothing).
    """
    if target.sqlite_path is not None:
        check_sqlite_file(target.sqlite_path)
    engine = make_engine(target)
    try:
        with _connect(engine, target) as conn, conn.begin() as begun:
            if schema_lock:
                hold_schema(conn)
            yield conn
            if read_only:
                begun.rollback()
    except OperationalError as exc:
        raise DatabaseError(f"cannot use database '{target.display}': {target.scrub(_first_line(exc.orig))}") from None
    finally:
        engine.dispose()


@contextmanager
def session_on(target: Target) -> Iterator[Session]:
    """A Session for one write: one transaction, committed only if all went well, with
    failures made readable. The catalog must be current (``opening.open_write_session``
    prepares a SQLite file first); a server database's version is checked here, in the
    same round trip as the transaction's BEGIN."""
    engine = make_engine(target, lean=True)
    try:
        with write_session(engine) as session:
            if target.sqlite_path is None:  # the version: with the write's first statement
                conn = session.connection()
                conn.info["check_revision"] = target
            yield session
            if target.sqlite_path is None and conn.info.pop("check_revision", None) is not None:
                check_server_revision(target, _server_revision(conn))  # the write sent nothing
    except OperationalError as exc:
        raise DatabaseError(f"cannot write to '{target.display}': {target.scrub(_first_line(exc.orig))}") from None
    except IntegrityError as exc:
        # On PostgreSQL two writers can pass the same "is it free?" check at once; the second
        # insert then meets the first on a unique constraint. (SQLite serialises writers, so
        # there it is a bug, reported as one.)
        if target.sqlite_path is not None or getattr(exc.orig, "sqlstate", None) != "23505":
            raise
        raise ConflictError(
            f"another write took the same value at the same time ({_constraint_name(exc)}); nothing was written",
            hint="look at the catalog again and retry",
        ) from None
    finally:
        engine.dispose()


def _server_revision(conn: Connection) -> str | None:
    """The schema revision of a server database in one statement (None: no paperread schema);
    a missing table aborts the transaction, which the caller then ends with an error."""
    try:
        return conn.exec_driver_sql(REVISION_SQL).scalar()
    except ProgrammingError as exc:
        if getattr(exc.orig, "sqlstate", None) == "42P01":  # undefined_table
            return None
        raise


def _constraint_name(exc: IntegrityError) -> str:
    diag = getattr(exc.orig, "diag", None)
    return getattr(diag, "constraint_name", None) or _first_line(exc.orig)


def session_reader(session: Session) -> ConnectionReader:
    """The read queries over a write session's own connection and transaction,
    so a write command resolves names with exactly the SQL the read commands use."""
    return ConnectionReader(session.connection())


def create_schema(conn: Connection, target: Target) -> bool:
    """Bring the database on ``conn`` to the head schema, in the caller's transaction; True
    when it held no paperread schema before (it is new: ``opening`` seeds it)."""
    revision = revision_on(conn)
    state = classify_revision(revision)
    if state == "newer":
        raise newer_error(target, str(revision))
    if state != "current":
        upgrade(conn)
    return state == "empty"


def database_revision(target: Target) -> tuple[str | None, str]:
    """(the database's revision, this code's head); creates nothing."""
    if target.sqlite_path is not None and not check_sqlite_file(target.sqlite_path):
        return None, SCHEMA_HEAD
    with transaction(target, read_only=True) as conn:
        return revision_on(conn), SCHEMA_HEAD


def upgrade_database(target: Target) -> tuple[str | None, str]:
    """Apply pending migrations in one transaction; (revision before, revision after)."""
    if target.is_default and target.sqlite_path is not None:
        target.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    elif target.sqlite_path is not None and not target.sqlite_path.exists():
        raise DatabaseError(
            f"database '{target.sqlite_path}' does not exist: there is nothing to upgrade",
            hint=f"check the path, or create it: paperread --db {target.sqlite_path} init",
        )
    with transaction(target, schema_lock=True) as conn:
        before = revision_on(conn)
        if classify_revision(before) == "newer":
            raise newer_error(target, str(before))
        if before != SCHEMA_HEAD:
            upgrade(conn)
        return before, SCHEMA_HEAD


def _require_current(target: Target) -> None:
    """Raise DatabaseError unless the database's schema is this code's."""
    revision, head = database_revision(target)
    state = classify_revision(revision)
    if state == "newer":
        raise newer_error(target, str(revision))
    if state != "current":
        raise DatabaseError(
            f"database '{target.display}' schema is {revision or 'missing'}, this paperread needs {head}",
            hint="run 'paperread db upgrade'",
        )


# SQLite's FTS5 search indexes (migrations 0003 and 0008), each with what it indexes.
SEARCH_INDEXES = {"paper_fts": "papers", "reading_note_fts": "notes on papers", "video_note_fts": "notes on videos"}


def check_database(target: Target) -> None:
    """Raise DatabaseError unless the schema is current, SQLite's checks pass and no arXiv id
    or DOI is on two papers; one transaction."""
    _require_current(target)
    with transaction(target, read_only=True) as conn:
        _check_schema_objects(conn, target)
        if target.sqlite_path is not None:
            result = conn.exec_driver_sql("PRAGMA quick_check").scalar()
            if result != "ok":
                raise DatabaseError(f"database '{target.display}' failed SQLite's quick_check: {result}")
            broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise DatabaseError(f"database '{target.display}' has {len(broken)} rows with broken references")
            # The search indexes against the text they index (migrations 0003 and 0008).
            for fts, what in SEARCH_INDEXES.items():
                try:
                    conn.exec_driver_sql(f"INSERT INTO {fts}({fts}, rank) VALUES ('integrity-check', 1)")
                except DBAPIError as exc:
                    raise DatabaseError(
                        f"database '{target.display}': the search index does not match the {what} ({_first_line(exc.orig)})",
                        hint="rebuild it: paperread db reindex",
                    ) from None
        drifted = figures.drift(conn)  # the figures the triggers keep (migration 0007), against a recount
        if drifted:
            first = drifted[0]
            kept = "none" if first["stored"] is None else "{} papers, {} recorded".format(*first["stored"])
            more = f" (and {len(drifted) - 1} more categories)" if len(drifted) > 1 else ""
            raise DatabaseError(
                f"database '{target.display}': the figures kept for category {first['slug']} ({kept}) differ from"
                " the rows ({} papers, {} recorded){}".format(*first["counted"], more),
                hint="count them again: paperread db reindex",
            )
        for column, label, option in (("arxiv_id", "arXiv id", "--arxiv"), ("doi", "DOI", "--doi")):
            twice = conn.exec_driver_sql(
                f"SELECT {column}, MIN(key), MAX(key), COUNT(*) FROM paper WHERE {column} IS NOT NULL "
                f"GROUP BY {column} HAVING COUNT(*) > 1 ORDER BY {column}"
            ).all()
            if twice:
                value, first, last, count = twice[0]
                more = f" (and {len(twice) - 1} more {label}s)" if len(twice) > 1 else ""
                raise DatabaseError(
                    f"database '{target.display}': {label} {value} is on {count} papers ({first}, {last}){more}",
                    hint=f"keep it on one: paperread edit {last} {option} ''",
                )


def _check_schema_objects(conn: Connection, target: Target) -> None:
    """DatabaseError naming the first table or index of the schema that is not there."""
    from sqlalchemy import inspect
    from sqlmodel import SQLModel

    import paperread.models  # noqa: F401 (the tables, on SQLModel.metadata)

    metadata = SQLModel.metadata
    inspector = inspect(conn)
    tables = set(inspector.get_table_names())
    wanted = [table.name for table in metadata.sorted_tables]
    if target.sqlite_path is not None:
        wanted += SEARCH_INDEXES  # the search indexes (migrations 0003 and 0008)
    missing = [name for name in wanted if name not in tables]
    if missing:
        raise DatabaseError(
            f"database '{target.display}' is incomplete: table {', '.join(missing)} is missing",
            hint="restore it from a backup, or export what is readable and import it into a new catalog",
        )
    for table in metadata.sorted_tables:
        present = {ix["name"] for ix in inspector.get_indexes(table.name)}
        for index in sorted(table.indexes, key=lambda ix: str(ix.name)):
            if index.name not in present:
                raise DatabaseError(
                    f"database '{target.display}' is incomplete: index {index.name} on {table.name} is missing",
                    hint="restore it from a backup, or export what is readable and import it into a new catalog",
                )


def rebuild_search_index(target: Target) -> int | None:
    """Count the per-category figures again from the rows and build SQLite's search indexes (of the
    papers, and of the notes) again from their text, in one transaction; the number of papers indexed. None on
    PostgreSQL, whose trigram indexes it keeps itself (the figures are recounted there too)."""
    _require_current(target)
    with transaction(target) as conn:
        figures.recount(conn)
        if target.sqlite_path is None:
            return None
        for fts in SEARCH_INDEXES:
            conn.exec_driver_sql(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")
        return int(conn.exec_driver_sql("SELECT COUNT(*) FROM paper").scalar() or 0)


def revision_on(conn: Connection) -> str | None:
    return schema_revision(ConnectionReader(conn))


class ConnectionReader:
    """The Reader protocol over a SQLAlchemy connection (PostgreSQL, or tests on SQLite). On
    PostgreSQL, ``many`` sends its statements together, in one round trip, as ``pgread`` does
    (on the connection's own psycopg connection, in its transaction)."""

    def __init__(self, conn: Connection, owner: Engine | None = None) -> None:
        self.conn = conn
        self.dialect = conn.dialect.name
        self.pipelines = conn.dialect.driver == "psycopg"
        self._owner = owner

    def rows(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        result = self.conn.execute(text(sql), dict(params or {}))
        return [dict(row._mapping) for row in result] if result.returns_rows else []

    def many(self, statements: Sequence[tuple[str, Mapping[str, Any] | None]]) -> list[list[dict[str, Any]]]:
        batch = list(statements)
        if not self.pipelines or len(batch) < 2:
            return [self.rows(sql, params) for sql, params in batch]
        from paperread.pgread import together

        raw = self.conn.connection.dbapi_connection
        results, failure = together(raw, batch)  # type: ignore[arg-type]
        if failure is not None:  # as SQLAlchemy would have raised it (OperationalError, ...)
            import psycopg

            raise DBAPIError.instance(batch[0][0], None, failure, psycopg.Error) from failure
        return [rows or [] for rows in results]

    def stream(self, sql: str, params: Mapping[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        # The options for this statement alone: ``Connection.execution_options`` would set them on
        # the connection in place (SQLAlchemy 2), and every later statement of the transaction
        # would run as a server-side cursor on PostgreSQL (where ``LOCK TABLE`` cannot).
        options = {"stream_results": True, "yield_per": 1000}
        result = self.conn.execute(text(sql), dict(params or {}), execution_options=options)
        for row in result:
            yield dict(row._mapping)

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """The connection's own transaction holds every statement already (a write's, or SQLite's)."""
        yield

    def close(self) -> None:
        self.conn.close()
        if self._owner is not None:
            self._owner.dispose()


def open_server_reader(target: Target, *, engine: Engine | None = None) -> ConnectionReader:
    """Reads on a server database. Migrations there are never applied implicitly.

    Without ``engine`` the reader makes its own and disposes of it on close().
    """
    owner = make_engine(target) if engine is None else None
    try:
        conn = _connect(engine or owner, target)  # type: ignore[arg-type]
    except BaseException:
        if owner is not None:
            owner.dispose()
        raise
    reader = ConnectionReader(conn, owner=owner)
    try:
        check_server_revision(target, schema_revision(reader))
    except BaseException:
        reader.close()
        raise
    return reader


def _connect(engine: Engine, target: Target) -> Connection:
    """A connection, or one line saying why there is none (password masked)."""
    try:
        return engine.connect()
    except OperationalError as exc:
        raise DatabaseError(
            f"cannot connect to '{target.display}': {target.scrub(_first_line(exc.orig))}",
            hint=None if target.is_sqlite else "check the host, port, database name and that the server is running",
        ) from None


def _first_line(exc: object) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
