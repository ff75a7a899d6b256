"""Loading a whole document into an empty catalog: the bulk road.

Every row gets its id here (``next_ids``), so all rows are made before the first insert,
while SQLite's search index of the papers builds in a background thread (``SearchFill``);
each table then takes one ``INSERT ... executemany`` (not one ORM object per row), and the
paper table's indexes are built once at the end (``indexes_deferred``). So a 100,000-paper
catalog loads in seconds. The first run seeds the built-in catalog this way too.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from paperread import figures
from paperread.exchange import sql
from paperread.exchange.document import UNCATEGORIZED, check_document

if TYPE_CHECKING:
    import datetime as dt

    from sqlalchemy import Connection

_ID_TABLES = ("category", "paper", "video")  # the tables a bulk load gives ids to


def next_ids(conn: Connection) -> dict[str, int]:
    """The first free id of each of ``_ID_TABLES`` (the largest + 1). A bulk load gives its rows
    these ids itself, so all its rows can be made before any is inserted; they stay free
    while the caller's transaction holds SQLite's write lock, or on PostgreSQL the table
    lock that ``load_document`` takes."""
    columns = ", ".join(f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table})" for table in _ID_TABLES)
    return dict(zip(_ID_TABLES, conn.exec_driver_sql(f"SELECT {columns}").one()))


def raw_bodies(papers: Any) -> list[str] | None:
    """``search_body`` of each paper of a document not yet cleaned; None if some paper is not
    shaped for it (the fill then waits for the cleaned document)."""
    if not isinstance(papers, list):
        return None
    bodies = []
    for p in papers:
        if not isinstance(p, dict):
            return None
        if type(p.get("key")) is not str or type(p.get("title")) is not str:
            return None
        if not all(p.get(name) is None or type(p.get(name)) is str for name in ("description", "authors")):
            return None
        bodies.append(sql.search_body(p))
    return bodies


class SearchFill:
    """SQLite's search index for papers about to be inserted, built in a background thread while
    the caller does other work (for loading a whole catalog; a no-op elsewhere).

    The index is fed from the papers' text (``sql.search_body``) under the ids the caller
    gives them: ``first``, ``first`` + 1, ... (``ids``: the next free id of each table, see
    ``next_ids``). FTS5 builds the index inside one statement, which releases the GIL, so the
    caller's Python work runs beside it on the other core. The insert trigger is dropped
    meanwhile and re-created from its own SQL, all in the caller's transaction.

        fill = SearchFill(conn, bodies)    # starts; the connection is the fill's until wait()
        ...Python work (no SQL)...
        fill.wait()
        ...insert the papers, with ids fill.first, fill.first + 1, ...
        fill.finish()

    A fill started from a file before it is cleaned (``run.import_parsed``) is kept only if
    the cleaned papers have the same text (``covers``); else ``discard`` takes its rows out.
    (The one class here with state: a running thread and the trigger it must put back.)
    """

    def __init__(self, conn: Connection, bodies: list[str]) -> None:
        self.ids = next_ids(conn)
        # What ``covers`` compares with, without holding every body for the whole load.
        self._count, self._digest = len(bodies), _digest(bodies)
        self._conn = conn
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._trigger = sql.drop_insert_trigger(conn) if bodies else None
        if self._trigger is None:
            return
        # No merging of the index's segments while it is built (a fifth of the time); the
        # default (4) is back in _close, and later writes merge them as they go.
        conn.exec_driver_sql("INSERT INTO paper_fts (paper_fts, rank) VALUES ('automerge', 0)")
        conn.exec_driver_sql("CREATE TEMP TABLE paper_fts_stage (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
        conn.exec_driver_sql(
            "INSERT INTO paper_fts_stage (id, body) VALUES (?, ?)", list(enumerate(bodies, self.first))
        )
        self._dbapi: Any = conn.connection.dbapi_connection
        self._thread = threading.Thread(target=self._run, name="paperread-search-index", daemon=True)
        self._thread.start()

    @property
    def first(self) -> int:
        """The id of the first paper."""
        return self.ids["paper"]

    def _run(self) -> None:
        try:
            self._dbapi.execute("INSERT INTO paper_fts (rowid, body) SELECT id, body FROM temp.paper_fts_stage")
        except BaseException as error:  # noqa: BLE001 (handed to the caller's thread by wait())
            self._error = error

    def covers(self, papers: list[dict[str, Any]]) -> bool:
        """Whether these are the papers the fill indexes (same text, same order)."""
        return len(papers) == self._count and _digest(map(sql.search_body, papers)) == self._digest

    def wait(self) -> None:
        """Block until the index is built; its error, if any, is raised here."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def abort(self) -> None:
        """On the caller's failure: stop the build and wait for it (the transaction rolls back)."""
        if self._thread is not None:
            self._dbapi.interrupt()
            self._thread.join()
            self._thread = None

    def discard(self) -> None:
        """Take the fill's rows out of the index again (it indexed text the papers do not have)."""
        self.wait()
        if self._trigger is not None:
            if self._conn.exec_driver_sql("SELECT EXISTS (SELECT 1 FROM paper)").scalar():
                self._conn.exec_driver_sql(
                    "INSERT INTO paper_fts (paper_fts, rowid, body) SELECT 'delete', id, body FROM temp.paper_fts_stage"
                )
            else:  # no paper: the index holds nothing but the fill's rows
                self._conn.exec_driver_sql("INSERT INTO paper_fts (paper_fts) VALUES ('delete-all')")
            self._close()

    def finish(self) -> None:
        """After the papers' insert (with the ids ``first``, ...): the trigger is back."""
        self.wait()
        if self._trigger is not None:
            self._close()

    def _close(self) -> None:
        self._conn.exec_driver_sql("INSERT INTO paper_fts (paper_fts, rank) VALUES ('automerge', 4)")
        self._conn.exec_driver_sql("DROP TABLE temp.paper_fts_stage")
        self._conn.exec_driver_sql(str(self._trigger))
        self._trigger = None


def _digest(bodies: Iterable[str]) -> bytes:
    """One hash of the bodies in their order (each with its length: no two lists share one)."""
    import hashlib

    h = hashlib.blake2b(digest_size=32)
    for body in bodies:
        data = body.encode("utf-8", "surrogatepass")
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.digest()


@contextmanager
def indexes_deferred(conn: Connection, table: str) -> Iterator[None]:
    """On SQLite, the table's own indexes (not those of its UNIQUE constraints) are dropped for
    the block and re-created from their own SQL at its end, inside the caller's transaction:
    building an index once from sorted rows is several times faster than 100,000 inserts
    into it. For loading into an empty table; a no-op elsewhere."""
    if conn.dialect.name != "sqlite":
        yield
        return
    found = conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL", (table,)
    ).all()
    for name, _ in found:
        conn.exec_driver_sql(f'DROP INDEX "{name}"')
    yield
    for _, statement in found:
        conn.exec_driver_sql(statement)


def with_uncategorized(doc: dict[str, Any]) -> dict[str, Any]:
    """The document with its papers that name no category in ``UNCATEGORIZED`` (added to the
    categories when missing); the document itself when every paper names one."""
    if all(p["category"] is not None for p in doc["papers"]):
        return doc
    categories = doc["categories"]
    if UNCATEGORIZED["slug"] not in {c["slug"] for c in categories}:
        categories = [*categories, dict(UNCATEGORIZED)]
    papers = [p if p["category"] is not None else {**p, "category": UNCATEGORIZED["slug"]} for p in doc["papers"]]
    return {**doc, "categories": categories, "papers": papers}


def _paper_rows(doc: dict[str, Any], ids: dict[str, int], cat_ids: dict[str, int], at: dt.datetime) -> Iterator[dict]:
    covered = {key for video in doc.get("videos", []) for key in video.get("papers", [])}
    positions: dict[str, int] = {}
    for i, p in enumerate(doc["papers"], ids["paper"]):
        position = positions[p["category"]] = positions.get(p["category"], -1) + 1
        # Recorded with no video we can name: the list says so, no video row shows it.
        marked = bool(p.get("recorded")) and p["key"] not in covered
        row = sql.paper_row(p, cat_ids[p["category"]], position, marked, at)
        row["id"] = i
        yield row


def _paper_tuples(doc: dict[str, Any], ids: dict[str, int], cat_ids: dict[str, int], at: dt.datetime) -> sql.Tuples:
    """``_paper_rows`` as the sqlite3 driver takes them (``sql.sqlite_raw``): tuples in
    ``sql.PAPER_COLUMNS`` order with SQLite's text for dates and times, made straight from the
    document (no dict a paper: a third of the time of making 100,000 rows)."""
    covered = {key for video in doc.get("videos", []) for key in video.get("papers", [])}
    stamp, now = sql.sqlite_stamp, sql.sqlite_stamp(at)

    def made() -> Iterator[tuple[Any, ...]]:
        positions: dict[str, int] = {}
        for i, p in enumerate(doc["papers"], ids["paper"]):
            category = p["category"]
            position = positions[category] = positions.get(category, -1) + 1
            day = p.get("publication_date")
            yield (
                i, p["key"], p.get("cite_key"), p["title"], p.get("year"), cat_ids[category], p.get("url"),
                p.get("description"), p.get("s2_id"), p.get("arxiv_id"), p.get("doi"), p.get("authors"),
                p.get("venue"), day if day is None or isinstance(day, str) else day.isoformat(),
                bool(p.get("recorded")) and p["key"] not in covered, p.get("citations"),
                stamp(p.get("citations_fetched_at")), position, now, now, 1,
            )  # fmt: skip

    return sql.Tuples(("id", *sql.PAPER_COLUMNS), made())


def _rows(
    doc: dict[str, Any], ids: dict[str, int], at: dt.datetime, raw: bool = False
) -> dict[str, Iterable[dict[str, Any]] | sql.Tuples]:
    """Every row of the document by table, with the ids they will have: made one at a time as
    each table's are taken (a big document's rows are never all held as dicts at once)."""
    categories, papers, videos = doc["categories"], doc["papers"], doc.get("videos", [])
    cat_ids = {c["slug"]: i for i, c in enumerate(categories, ids["category"])}
    paper_ids = {p["key"]: i for i, p in enumerate(papers, ids["paper"])}
    video_ids = range(ids["video"], ids["video"] + len(videos))
    return {
        "category": (
            {"id": cat_ids[c["slug"]], "slug": c["slug"], "name": c["name"], "position": i}
            for i, c in enumerate(categories)
        ),
        "paper": _paper_tuples(doc, ids, cat_ids, at) if raw else _paper_rows(doc, ids, cat_ids, at),
        "citation_history": (
            sql.Tuples(
                ("paper_id", "citations", "fetched_at"),
                (
                    (paper_ids[p["key"]], h["count"], sql.sqlite_stamp(h["fetched_at"]))
                    for p in papers
                    for h in p.get("citation_history") or []
                ),
            )
            if raw
            else (
                {"paper_id": paper_ids[p["key"]], "citations": h["count"], "fetched_at": h["fetched_at"]}
                for p in papers
                for h in p.get("citation_history") or []
            )
        ),
        "reading": (sql.reading_row(r, paper_ids[p["key"]], at) for p in papers for r in p.get("reading") or []),
        "video": ({"id": video_id, **sql.video_row(v, at)} for video_id, v in zip(video_ids, videos)),
        "video_paper": (
            {"video_id": video_id, "paper_id": paper_ids[key], "position": i}
            for video_id, v in zip(video_ids, videos)
            for i, key in enumerate(v.get("papers", []))
        ),
        "watched": (
            {"user_name": w["user"], "video_id": video_id, "watched_at": w.get("watched_at") or at}
            for video_id, v in zip(video_ids, videos)
            for w in v.get("watched_by", [])
        ),
        "video_note": (
            {"user_name": n["user"], "video_id": video_id, "note": n["note"], "updated_at": n.get("updated_at") or at}
            for video_id, v in zip(video_ids, videos)
            for n in v.get("notes", [])
        ),
    }


def load_document(
    conn: Connection, doc: dict[str, Any], *, fill: SearchFill | None = None, phase: Callable[[str], None] | None = None
) -> dict[str, int]:
    """Bulk-insert a whole document into an empty catalog, inside the caller's transaction.

    ``fill``: a ``SearchFill`` started earlier for these papers (else one starts here). The
    document must be valid (the built-in one, or ``clean.clean_document``'s output; papers
    naming no category go to ``UNCATEGORIZED``). Returns the number of rows per kind.
    ``phase`` (``run.Phase``) is told "index" while the search index is waited for, then "write".
    """
    check_document(doc)
    doc = with_uncategorized(doc)
    if conn.dialect.name == "postgresql":  # the ids below stay free until the commit
        conn.exec_driver_sql(f"LOCK TABLE {', '.join(_ID_TABLES)} IN SHARE ROW EXCLUSIVE MODE")
    if fill is not None and not fill.covers(doc["papers"]):
        fill.discard()
        fill = None
    if fill is None:
        fill = SearchFill(conn, [sql.search_body(p) for p in doc["papers"]] if conn.dialect.name == "sqlite" else [])
    raw, table = sql.sqlite_raw(conn), sql.tables()
    try:  # no SQL in this block: the connection is the fill's
        rows = _rows(doc, fill.ids, sql.now(), raw=raw)
        prepared = {name: sql.insert_plan(table[name], batch, raw=raw) for name, batch in rows.items()}
        del rows
        if phase is not None:  # built beside the cleaning and planning: what is left of it, waited for
            phase("index")
        fill.wait()
        if phase is not None:
            phase("write")
    except BaseException:
        fill.abort()
        raise
    sql.more_cache(conn)
    with figures.deferred(conn):  # the per-category figures counted once, at the end
        for name, plan in prepared.items():
            if name == "paper":
                with indexes_deferred(conn, name):
                    sql.run_insert(conn, plan)
                fill.finish()
            else:
                sql.run_insert(conn, plan)
    if conn.dialect.name == "postgresql":  # the next id a sequence gives is a free one
        for name in _ID_TABLES:
            conn.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM {name}"
            )
    return {"categories": len(doc["categories"]), "papers": len(doc["papers"]), "videos": len(doc.get("videos", []))}
