"""Throwaway PostgreSQL databases for the tests, on the server PAPERREAD_TEST_PG_URL names.

A session prepares each kind of catalog once, as a *template* database (schema through
the real migrations, the built-in catalog through the real ``init``), and each test gets
its own copy with ``CREATE DATABASE x TEMPLATE t``: no migrations per test.

Speed, measured on 2 cores and a slow disk (PostgreSQL 15):

- a copy costs ~0.1 s of server I/O, so a background thread keeps the next copies of each
  kind ready while the current test runs (``AHEAD``);
- a DROP DATABASE forces a checkpoint on PostgreSQL 15, which also flushes the pages of
  every copy made since; dropping after each test made the suite three times slower.
  So drops wait for the end of the session and then run a few at a time.

Every database is named ``<prefix>_...`` with a prefix unique to the session
(``prt_<pid>_<random>``), the session remembers each one it made, and it drops exactly
those (and the roles it made): nothing else on the server is touched.
"""

from __future__ import annotations

import os
import queue
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from itertools import count

PG_URL_ENV = "PAPERREAD_TEST_PG_URL"
AHEAD = 2  # copies of each kind kept ready
DROP_THREADS = 4


def _conninfo(url: str, dbname: str | None = None) -> str:
    """A libpq connection string for psycopg from an SQLAlchemy URL."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if dbname is not None:
        parsed = parsed.set(database=dbname)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


class PgServer:
    """Creates, copies and drops this session's databases (admin connections in autocommit)."""

    def __init__(self, url: str) -> None:
        import psycopg
        from sqlalchemy.engine import make_url

        self.url = url
        self.prefix = f"prt_{os.getpid()}_{secrets.token_hex(3)}"
        self._make_url = make_url
        self._admin = psycopg.connect(_conninfo(url), autocommit=True)
        self.version = self._admin.info.server_version
        self._names = count(1)
        self._lock = threading.Lock()
        self._made: list[str] = []
        self._roles: list[str] = []
        self._templates: dict[str, str] = {}
        self._ready: dict[str, queue.Queue[str]] = {}
        self._orders: queue.Queue[str | None] = queue.Queue()
        self._maker = threading.Thread(target=self._make_ahead, daemon=True)
        self._maker.start()

    # ------------------------------------------------------------------ naming

    def url_of(self, name: str) -> str:
        """The SQLAlchemy URL of one of this session's databases (user, host, options kept)."""
        return self._make_url(self.url).set(database=name).render_as_string(hide_password=False)

    def url_as(self, url: str, role: str, password: str) -> str:
        """``url`` with another user and password."""
        return self._make_url(url).set(username=role, password=password).render_as_string(hide_password=False)

    def _new_name(self, kind: str) -> str:
        with self._lock:
            name = f"{self.prefix}_{kind}_{next(self._names)}"
            self._made.append(name)
        return name

    # ------------------------------------------------------------------ databases

    def create(self, kind: str = "db", template: str | None = None, options: str = "", *, conn=None) -> str:
        """A new database (a copy of ``template`` when given); returns its name.

        ``options``: more of CREATE DATABASE, e.g. a locale (with template ``template0``).
        """
        name = self._new_name(kind)
        sql = f'CREATE DATABASE "{name}"'
        if template is not None:
            sql += f' TEMPLATE "{template}"'
        (conn or self._admin).execute(f"{sql} {options}".strip())
        return name

    def template(self, kind: str, prepare: Callable[[str], None]) -> str:
        """The session's template database of one kind, prepared on first use by ``prepare(url)``."""
        if kind not in self._templates:
            name = self.create(f"tmpl_{kind}")
            prepare(self.url_of(name))
            self._ready[kind] = queue.Queue()
            self._templates[kind] = name
        return self._templates[kind]

    def copy(self, kind: str, prepare: Callable[[str], None]) -> str:
        """A fresh database copied from the template of ``kind``; returns its URL."""
        template = self.template(kind, prepare)
        ready = self._ready[kind]
        try:
            name = ready.get_nowait()
        except queue.Empty:
            name = self.create(kind, template=template)
            for _ in range(AHEAD):
                self._orders.put(kind)
        else:
            self._orders.put(kind)
        return self.url_of(name)

    def _make_ahead(self) -> None:
        import psycopg

        conn = psycopg.connect(_conninfo(self.url), autocommit=True)
        try:
            while (kind := self._orders.get()) is not None:
                try:
                    self._ready[kind].put(self.create(kind, template=self._templates[kind], conn=conn))
                except psycopg.Error:
                    pass  # copy() makes one itself next time
        finally:
            conn.close()

    def execute_in(self, url: str, sql: str) -> None:
        """Run one statement as the admin user inside one of this session's databases."""
        import psycopg

        name = self._make_url(url).database
        assert name in self._made, name
        with psycopg.connect(_conninfo(self.url, name), autocommit=True) as conn:
            conn.execute(sql)

    def create_role(self, password: str) -> str:
        """A login role of this session (no superuser, no CREATEDB); dropped by close()."""
        with self._lock:
            name = f"{self.prefix}_role_{next(self._names)}"
        self._admin.execute(f"CREATE ROLE \"{name}\" LOGIN PASSWORD '{password}'")
        self._roles.append(name)
        return name

    def close(self) -> None:
        """Drop every database and role this session made (and only those)."""
        import psycopg

        self._orders.put(None)
        self._maker.join(timeout=120)

        def drop(name: str) -> None:
            with psycopg.connect(_conninfo(self.url), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

        with ThreadPoolExecutor(DROP_THREADS) as pool:
            list(pool.map(drop, self._made))
        self._made.clear()
        for role in self._roles:
            self._admin.execute(f'DROP ROLE IF EXISTS "{role}"')
        self._admin.close()
