"""The light read road on PostgreSQL: the read queries over psycopg 3 directly.

Read commands on a server catalog run the SQL of ``queries`` through this module, as they
run it through ``sqlite3`` on a file: no SQLAlchemy, SQLModel or pydantic is imported
(``tests/test_read_paths.py`` checks it). A server is seldom on loopback, so round trips
are counted, not only statements:

- connecting is one round trip after TCP (the startup message; trust or a cached session);
  no statement is sent on connecting (SQLAlchemy sent four, and a ping);
- the connection is in autocommit: no BEGIN of its own (each statement sees the committed
  data, as READ COMMITTED did statement by statement inside a transaction), but for an
  export's snapshot (``PgReader.snapshot``), whose BEGIN rides along with its first statements;
- the schema-version check rides along with the first query, pipelined with it in one
  round trip, and is looked at before that query's rows;
- statements that do not depend on each other go together (``many``: one pipeline, one
  round trip).

Writes still take the write road (``engine``): SQLModel sessions.
"""

from __future__ import annotations

import atexit
import re
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, unquote

import psycopg
from psycopg.rows import dict_row

from paperread.config import Target
from paperread.db import REVISION_SQL, check_server_revision
from paperread.errors import DatabaseError

CONNECT_TIMEOUT_S = 10
_SWITCH_S = 0.0002  # the GIL's switch interval while a connection is opened early
STREAM_ROWS = 1000  # rows a streamed statement fetches at a time

# ``:name`` as SQLAlchemy's text() reads it (not ``::type``, not ``\:``), for psycopg's ``%(name)s``.
_PARAM_RE = re.compile(r"(?<![:\w\\]):(\w+)(?!:)")


@lru_cache(maxsize=256)
def psycopg_sql(sql: str) -> str:
    """Portable SQL with ``:named`` parameters in psycopg's ``%(named)s`` style."""
    return _PARAM_RE.sub(r"%(\1)s", sql.replace("%", "%%"))


def conninfo(target: Target) -> str:
    """The libpq connection string of a ``postgresql+psycopg://`` URL, read as SQLAlchemy
    reads it (user, password, host, port and database percent-decoded; the query's settings
    passed on), with paperread's connect timeout and application name unless it sets them."""
    rest = target.url.split("://", 1)[1]
    rest, _, query = rest.partition("?")
    netloc, _, path = rest.partition("/")
    userinfo, at, hostport = netloc.rpartition("@")
    if not at:
        userinfo, hostport = "", netloc
    user, colon, password = userinfo.partition(":")
    host, port = hostport, ""
    if hostport.startswith("["):  # [IPv6]:port
        host, _, after = hostport[1:].partition("]")
        port = after.removeprefix(":")
    elif ":" in hostport:
        host, _, port = hostport.rpartition(":")
    if port and not port.isdigit():
        raise DatabaseError(
            f"invalid database URL '{target.display}': port '{target.scrub(port)}' is not a number",
            hint="use postgresql+psycopg://user:password@host:port/database",
        )
    settings: dict[str, Any] = {"connect_timeout": CONNECT_TIMEOUT_S, "application_name": "paperread"}
    settings.update(parse_qsl(query, keep_blank_values=True))
    given = {
        "host": unquote(host),
        "port": port,
        "user": unquote(user),
        "password": unquote(password) if colon else "",
        "dbname": unquote(path),
    }
    settings.update({k: v for k, v in given.items() if v})
    return psycopg.conninfo.make_conninfo(**settings)


def connect(target: Target) -> psycopg.Connection[dict[str, Any]]:
    """An autocommit connection with rows as dicts, or one line saying why there is none."""
    info = conninfo(target)
    try:
        early = _take_early(info)  # opened while the commands were imported (``connect_early``)
        return early if early is not None else _open(info)
    except psycopg.OperationalError as exc:
        raise DatabaseError(
            f"cannot connect to '{target.display}': {target.scrub(_first_line(exc))}",
            hint="check the host, port, database name and that the server is running",
        ) from None
    except psycopg.ProgrammingError as exc:  # a setting libpq does not know, a malformed value
        raise DatabaseError(
            f"invalid database URL '{target.display}': {target.scrub(_first_line(exc))}",
            hint="use postgresql+psycopg://user:password@host:port/database",
        ) from None


def _open(info: str) -> psycopg.Connection[dict[str, Any]]:
    return psycopg.connect(info, autocommit=True, row_factory=dict_row)


class _Connecting:
    """A connection being opened in a thread: the connection, or what stopped it. ``write``: a
    plain connection, as the write road's engine opens it (``take_early_write``)."""

    def __init__(self, info: str, *, write: bool = False) -> None:
        self.info, self.write = info, write
        self.conn: psycopg.Connection[Any] | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="paperread-connect", daemon=True)
        self.interval = 0.005

    def _run(self) -> None:
        try:
            self.conn = psycopg.connect(self.info) if self.write else _open(self.info)
        except BaseException as exc:  # noqa: BLE001 (raised again by ``connect``, in the main thread)
            self.error = exc
        finally:
            sys.setswitchinterval(self.interval)  # (the imports' own pace again, taken or not)

    def join(self) -> None:
        self.thread.join()

    def close(self) -> None:
        self.join()
        if self.conn is not None:
            self.conn.close()


_early: _Connecting | None = None


def connect_early(target: Target, *, write: bool = False) -> None:
    """Start opening ``connect(target)``'s connection (``write``: the write road's) in a thread
    (``prefetch``): connecting costs a round trip and the server's own start of a session,
    which need not wait for the rest of the imports. A connection no one took is closed at exit."""
    global _early
    if _early is None:
        _early = _Connecting(conninfo(target), write=write)
        # Connecting takes a few dozen short steps, each needing the GIL the imports hold: at
        # the default 5 ms switch interval it would wait for them (a convoy), not overlap.
        _early.interval = sys.getswitchinterval()
        sys.setswitchinterval(_SWITCH_S)
        _early.thread.start()
        atexit.register(_close_untaken)


def _take_early(info: str) -> psycopg.Connection[dict[str, Any]] | None:
    return _take(write=False, same=lambda early: early.info == info)


def take_early_write(settings: Mapping[str, Any]) -> psycopg.Connection[Any] | None:
    """The connection opened early for a write, if it has exactly these connection settings
    (what the write road's engine would pass to ``psycopg.connect``); else None, and the
    engine connects as ever. Its failure to connect is raised here."""
    from psycopg.conninfo import conninfo_to_dict

    wanted = {k: str(v) for k, v in settings.items() if v is not None}
    return _take(write=True, same=lambda early: conninfo_to_dict(early.info) == wanted)


def _take(*, write: bool, same: Callable[[_Connecting], bool]) -> Any:
    """The early connection, when it was opened for a ``write`` or a read as asked (one for the
    other road is left for its taker) and with the ``same`` settings (else closed)."""
    global _early
    early = _early
    if early is None or early.write != write:
        return None
    _early = None
    if not same(early):
        early.close()
        return None
    early.join()
    if early.error is not None:
        raise early.error
    return early.conn


def _close_untaken() -> None:
    global _early
    early, _early = _early, None
    if early is not None:
        early.close()


class PgReader:
    """The Reader protocol over a psycopg connection; with a ``target``, the schema version is
    checked along with the first statement (``schema_error``)."""

    dialect = "postgresql"
    pipelines = True

    def __init__(self, conn: psycopg.Connection[dict[str, Any]], target: Target | None = None) -> None:
        self.conn = conn
        self._unchecked = target
        self._cursors = 0  # the server-side cursors ``stream`` has declared
        self._in_transaction = False
        # The BEGIN to send with the next statements (``snapshot``'s, or a cursor's): ``many`` sends it.
        self._begin: str | None = None

    def rows(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        return self.many([(sql, params)])[0]

    def many(self, statements: Sequence[tuple[str, Mapping[str, Any] | None]]) -> list[list[dict[str, Any]]]:
        """The rows of several independent statements, sent together: one round trip."""
        batch = list(statements)
        target, self._unchecked = self._unchecked, None
        if target is not None:
            batch.insert(0, (REVISION_SQL, None))
        if not batch:
            return []
        begin, self._begin = self._begin, None
        if begin is not None:  # (the revision is read inside it too: the same snapshot)
            batch.insert(0, (begin, None))
            self._in_transaction = True
        if target is None and begin is None and len(batch) == 1:
            return [self._fetch(self.conn.execute(psycopg_sql(batch[0][0]), batch[0][1] or {}))]
        results, failure = together(self.conn, batch)
        if begin is not None:
            results.pop(0)
        if target is not None:
            revision = results.pop(0)
            if revision is None and not isinstance(failure, psycopg.errors.UndefinedTable):
                raise failure or DatabaseError(f"cannot read the schema version of '{target.display}'")
            check_server_revision(target, revision[0]["version_num"] if revision else None)  # none: no paperread schema
        if failure is not None:
            raise failure
        return [rows or [] for rows in results]

    def stream(self, sql: str, params: Mapping[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Rows a batch at a time (100,000 rows never sit in memory), through a cursor on the
        server: it is declared and its first batch fetched in one round trip (with the schema
        check, when this is the reader's first statement), and a result smaller than a batch
        costs no more. The cursor lives in a transaction left open until ``close``."""
        self._cursors += 1
        name = f"paperread_rows_{self._cursors}"
        fetch = (f"FETCH {STREAM_ROWS} FROM {name}", None)
        if not self._in_transaction and self._begin is None:  # (a cursor lives in a transaction)
            self._begin = "BEGIN"
        rows = self.many([(f"DECLARE {name} NO SCROLL CURSOR FOR {sql}", params), fetch])[-1]
        yield from rows
        while len(rows) == STREAM_ROWS:
            rows = self.rows(*fetch)
            yield from rows

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """One REPEATABLE READ transaction: its BEGIN goes with the next statements (no round
        trip of its own); it ends (rolled back: it wrote nothing) when the reader closes."""
        if not self._in_transaction:
            self._begin = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
        yield

    def close(self) -> None:
        self.conn.close()

    @staticmethod
    def _fetch(cur: psycopg.Cursor[dict[str, Any]]) -> list[dict[str, Any]]:
        return cur.fetchall() if cur.description is not None else []


def together(
    conn: psycopg.Connection[Any], batch: Sequence[tuple[str, Mapping[str, Any] | None]]
) -> tuple[list[list[dict[str, Any]] | None], psycopg.Error | None]:
    """Statements sent in one pipeline (one Sync at its end: one round trip): the rows of each
    (as dicts; None for one that did not run) and the first error (those after it did not run).
    Also used by the write road on its own connection (``engine.ConnectionReader``)."""
    cursors: list[psycopg.Cursor[dict[str, Any]]] = []
    failure: psycopg.Error | None = None
    try:
        with conn.pipeline():
            for sql, params in batch:
                cursors.append(conn.cursor(row_factory=dict_row))
                cursors[-1].execute(psycopg_sql(sql), params or {})
    except psycopg.Error as exc:
        failure = exc
    results: list[list[dict[str, Any]] | None] = []
    for cur in cursors:
        try:
            results.append(PgReader._fetch(cur))
        except psycopg.Error:
            results.append(None)
    return results, failure


def open_pg_reader(target: Target) -> PgReader:
    """A reader on a server catalog; its schema version is checked with the first statement."""
    return PgReader(connect(target), target)


def _first_line(exc: object) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
