"""Set-based statements for the import: one ``executemany`` per table and set of columns.

Shared by the bulk load into an empty catalog (``bulk``) and the application of a plan
(``apply``). Values may be document text (ISO dates and timestamps) or Python objects; they
are converted to what the column stores here. On SQLite, when our text for a timestamp and a
date is exactly what SQLAlchemy's own column types would store (``sqlite_raw``), rows go
straight to the sqlite3 driver as tuples, skipping SQLAlchemy's per-value work.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NamedTuple

from paperread.exchange.document import stamp_text, utc

if TYPE_CHECKING:
    from sqlalchemy import Connection

CHUNK = 5_000  # ids per IN (...) list: far below SQLite's and PostgreSQL's parameter limits


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def tables() -> dict[str, Any]:
    """The catalog's tables by name (SQLAlchemy Table objects of the models)."""
    from paperread.models import Category, CitationHistory, Paper, Reading, Video, VideoNote, VideoPaper, Watched

    models = (Category, Paper, CitationHistory, Reading, Video, VideoPaper, Watched, VideoNote)
    return {t.name: t for t in (m.__table__ for m in models)}  # type: ignore[union-attr]


def more_cache(conn: Connection) -> None:
    """A bigger page cache (64 MB) for this connection, on SQLite: a big load rewrites the
    same index pages over and over (twice as fast on 100,000 papers)."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA cache_size = -65536")


# ---------------------------------------------------------------------------- values


def sqlite_stamp(value: Any) -> str | None:
    """A timestamp (document text or a datetime) as SQLAlchemy stores it on SQLite."""
    if value is None:
        return None
    if type(value) is str and value.endswith("+00:00") and len(value) in (25, 32):  # stamp_text's form
        return f"{value[:10]} {value[11:19]}.{value[20:26] if len(value) == 32 else '000000'}"
    stamp = utc(value)
    assert stamp is not None
    return f"{stamp:%Y-%m-%d %H:%M:%S}.{stamp.microsecond:06d}"


def _sqlite_day(value: Any) -> str | None:
    return value if value is None or isinstance(value, str) else value.isoformat()


def _object_day(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def sqlite_raw(conn: Connection) -> bool:
    """Whether inserts on this connection may go straight to the sqlite3 driver.

    They may when it is SQLite and our text for a timestamp and a date is exactly what
    SQLAlchemy's own column types would store (checked here on a sample), so rows written
    either way read back the same. It saves building two datetimes a row for 100,000 rows.
    """
    if conn.dialect.name != "sqlite":
        return False
    columns = tables()["paper"].c
    sample = dt.datetime(2024, 2, 3, 4, 5, 6, 7, tzinfo=dt.UTC)
    whole = sample.replace(microsecond=0)
    try:
        stamp = columns.created_at.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
        day = columns.publication_date.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
        return (
            stamp is not None
            and day is not None
            and stamp(sample) == sqlite_stamp(stamp_text(sample)) == sqlite_stamp(sample)
            and stamp(whole) == sqlite_stamp(stamp_text(whole))
            and day(sample.date()) == _sqlite_day(sample.date().isoformat())
        )
    except Exception:  # noqa: BLE001 (any surprise: take the portable road)
        return False


def converter(column: Any, raw: bool) -> Callable[[Any], Any] | None:
    """How a value of the document (timestamps and dates as ISO text) becomes a column value."""
    from sqlalchemy import Date, DateTime

    kind = getattr(column.type, "impl", column.type)
    if isinstance(kind, DateTime):
        if not raw:
            return utc
        last: list[Any] = [object(), None]

        def stamp(value: Any) -> Any:  # the same `now` on every row: formatted once
            if value is not last[0]:
                last[0], last[1] = value, sqlite_stamp(value)
            return last[1]

        return stamp
    if isinstance(kind, Date):
        return _sqlite_day if raw else _object_day
    return None


# ---------------------------------------------------------------------------- statements


class Tuples(NamedTuple):
    """Rows already as the sqlite3 driver takes them (``sqlite_raw``): values in ``names`` order,
    dates and timestamps as SQLite's text."""

    names: tuple[str, ...]
    rows: Iterable[tuple[Any, ...]]


def insert_plan(table: Any, rows: Iterable[dict[str, Any]] | Tuples, *, raw: bool) -> tuple[Any, list[Any]] | None:
    """The statement and parameters inserting ``rows`` (dicts with the same keys, or ``Tuples``
    on the raw road), made without touching the database (so they can be made while the
    connection is busy, see ``bulk.SearchFill``); None for no rows. ``rows`` may be an
    iterator: on the raw road each dict is dropped as soon as its tuple is made."""
    if isinstance(rows, Tuples):
        assert raw
        made = list(rows.rows)
        if not made:
            return None
        columns = ", ".join(f'"{name}"' for name in rows.names)
        return f'INSERT INTO "{table.name}" ({columns}) VALUES ({", ".join("?" * len(rows.names))})', made
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return None
    from itertools import chain
    from operator import itemgetter

    from sqlalchemy import insert

    names = list(first)
    convert = [(i, f) for i, name in enumerate(names) if (f := converter(table.c[name], raw)) is not None]
    if not raw:
        everything = chain((first,), rows)
        if convert:
            return insert(table), [{**r, **{names[i]: f(r[names[i]]) for i, f in convert}} for r in everything]
        return insert(table), list(everything)
    pick = itemgetter(*names)
    data: list[Any] = []
    for r in chain((first,), rows):
        row = pick(r) if len(names) > 1 else (pick(r),)
        if convert:
            row = list(row)
            for i, f in convert:
                row[i] = f(row[i])
            row = tuple(row)
        data.append(row)
    columns = ", ".join(f'"{name}"' for name in names)
    return f'INSERT INTO "{table.name}" ({columns}) VALUES ({", ".join("?" * len(names))})', data


def run_insert(conn: Connection, plan: tuple[Any, list[Any]] | None) -> None:
    if plan is None:
        return
    statement, data = plan
    if isinstance(statement, str):
        conn.exec_driver_sql(statement, data)
    else:
        conn.execute(statement, data)


def insert_rows(conn: Connection, table: Any, rows: list[dict[str, Any]], *, raw: bool | None = None) -> None:
    """INSERT rows (dicts with the same keys) with one executemany."""
    run_insert(conn, insert_plan(table, rows, raw=sqlite_raw(conn) if raw is None else raw))


def insert_returning_ids(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Insert rows with one executemany; their new ids, in the rows' order.

    PostgreSQL: batched ``INSERT ... RETURNING`` in parameter order. SQLite (where SQLAlchemy
    would send ordered RETURNING one row at a time): a plain executemany, then the ids above
    the largest one before it. The writer holds SQLite's write lock (BEGIN IMMEDIATE) and
    each new row of an INTEGER PRIMARY KEY table takes the largest id + 1, so those are
    exactly the new rows, in order; the count is checked all the same.
    """
    if not rows:
        return []
    from sqlalchemy import func, insert, select

    if conn.dialect.name != "sqlite":
        names = list(rows[0])
        convert = [(name, f) for name in names if (f := converter(table.c[name], False)) is not None]
        if convert:
            rows = [{**r, **{name: f(r[name]) for name, f in convert}} for r in rows]
        stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        return list(conn.execute(stmt, rows).scalars())
    before = conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()
    insert_rows(conn, table, rows)
    ids = list(conn.execute(select(table.c.id).where(table.c.id > before).order_by(table.c.id)).scalars())
    if len(ids) != len(rows):
        raise RuntimeError(f"inserted {len(rows)} rows into {table.name} but found {len(ids)} new ids")
    return ids


def chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def delete_ids(conn: Connection, table: Any, ids: list[int], column: str = "id") -> None:
    from sqlalchemy import delete

    for chunk in chunks(ids):
        conn.execute(delete(table).where(table.c[column].in_(chunk)))


def update_many(
    conn: Connection, table: Any, updates: Mapping[int, Mapping[str, Any]], also: Mapping[str, Any] | None = None
) -> None:
    """UPDATE rows by id: one executemany per set of columns changed; document text for
    dates and timestamps is converted to what the columns take. ``also``: more column values
    (or SQL expressions such as ``version + 1``) set on every row."""
    from sqlalchemy import bindparam, update

    groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for row_id, changes in updates.items():
        if changes or also:
            groups[tuple(sorted(changes))].append({"row_id": row_id, **{f"new_{k}": v for k, v in changes.items()}})
    for columns, rows in groups.items():
        convert = [(name, f) for name in columns if (f := converter(table.c[name], False)) is not None]
        for row in rows:
            for name, f in convert:
                row[f"new_{name}"] = f(row[f"new_{name}"])
        stmt = (
            update(table)
            .where(table.c.id == bindparam("row_id"))
            .values({name: bindparam(f"new_{name}") for name in columns})
            .values(dict(also or {}))
        )
        conn.execute(stmt, rows)


# ---------------------------------------------------------------------------- the search index


def drop_insert_trigger(conn: Connection) -> str | None:
    """On SQLite, drop the trigger that adds each new paper to the search index (migration
    0003) and return its SQL, to re-create it with; None where there is none. Inside the
    caller's transaction, so a failure rolls the drop back too."""
    if conn.dialect.name != "sqlite":
        return None
    found = conn.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'paper_fts_ai'"
    ).first()
    if found:
        conn.exec_driver_sql("DROP TRIGGER paper_fts_ai")
    return found[0] if found else None


@contextmanager
def fts_deferred(conn: Connection, phase: Callable[[str], None] | None = None) -> Iterator[None]:
    """Papers inserted inside the block are added to SQLite's search index in one statement at
    its end (from the view ``paper_search``), instead of by the insert trigger one row at a
    time (ten times faster on a big load). A no-op where there is no such trigger.
    ``phase`` (``run.Phase``) is told "index" while that statement runs, then "write" again."""
    before = conn.exec_driver_sql("SELECT COALESCE(MAX(id), 0) FROM paper").scalar()
    trigger = drop_insert_trigger(conn)
    yield
    if trigger is not None:
        if phase is not None:
            phase("index")
        conn.exec_driver_sql(
            "INSERT INTO paper_fts(rowid, body) SELECT id, body FROM paper_search WHERE id > ?", (before,)
        )
        conn.exec_driver_sql(trigger)
        if phase is not None:
            phase("write")


SEARCHED = frozenset({"key", "title", "description", "authors"})  # the columns of a paper's search text
FTS_ONE_BY_ONE = 100  # fewer updated papers than this: the update trigger, row by row, as ever


@contextmanager
def fts_updates_deferred(conn: Connection, ids: list[int]) -> Iterator[None]:
    """Papers ``ids`` updated inside the block (their search text may change) are taken out of
    SQLite's search index in one statement before it and put back in one at its end, instead
    of by the update trigger a row at a time: FTS5 ends each trigger's statement by writing its
    changes out, so 10,000 updated titles took 2.6 s of CPU, and take a tenth of that this way.
    A no-op where there is no such trigger, or for a few papers."""
    if conn.dialect.name != "sqlite" or len(ids) < FTS_ONE_BY_ONE:
        yield
        return
    found = conn.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'paper_fts_au'"
    ).first()
    if not found:
        yield
        return
    conn.exec_driver_sql("CREATE TEMP TABLE paper_fts_changed (id INTEGER PRIMARY KEY)")
    conn.exec_driver_sql("INSERT INTO temp.paper_fts_changed (id) VALUES (?)", [(i,) for i in ids])
    changed = "SELECT id, body FROM paper_search WHERE id IN (SELECT id FROM temp.paper_fts_changed)"
    conn.exec_driver_sql(f"INSERT INTO paper_fts (paper_fts, rowid, body) SELECT 'delete', id, body FROM ({changed})")
    conn.exec_driver_sql("DROP TRIGGER paper_fts_au")
    yield
    conn.exec_driver_sql(f"INSERT INTO paper_fts (rowid, body) {changed}")
    conn.exec_driver_sql(found[0])
    conn.exec_driver_sql("DROP TABLE temp.paper_fts_changed")


def search_body(paper: Mapping[str, Any]) -> str:
    """A paper's text in the search index: what migration 0003's view ``paper_search`` gives."""
    return f"{paper['key']}\n{paper['title']}\n{paper.get('description') or ''}\n{paper.get('authors') or ''}"


# ---------------------------------------------------------------------------- rows of a document


PAPER_COLUMNS = (
    "key",
    "cite_key",
    "title",
    "year",
    "category_id",
    "url",
    "description",
    "s2_id",
    "arxiv_id",
    "doi",
    "authors",
    "venue",
    "publication_date",
    "marked_recorded",
    "citation_count",
    "citations_fetched_at",
    "position",
    "created_at",
    "updated_at",
    "version",
)  # fmt: skip  (``paper_row``'s keys, in order)


def paper_row(p: Mapping[str, Any], category_id: int, position: int, marked: bool, at: dt.datetime) -> dict[str, Any]:
    """A document's paper as the paper table's columns (a new row: version 1)."""
    return {
        "key": p["key"],
        "cite_key": p.get("cite_key"),
        "title": p["title"],
        "year": p.get("year"),
        "category_id": category_id,
        "url": p.get("url"),
        "description": p.get("description"),
        "s2_id": p.get("s2_id"),
        "arxiv_id": p.get("arxiv_id"),
        "doi": p.get("doi"),
        "authors": p.get("authors"),
        "venue": p.get("venue"),
        "publication_date": p.get("publication_date"),
        "marked_recorded": marked,
        "citation_count": p.get("citations"),
        "citations_fetched_at": p.get("citations_fetched_at"),
        "position": position,
        "created_at": at,
        "updated_at": at,
        "version": 1,
    }


VIDEO_COLUMNS = ("date", "title", "duration_seconds", "bilibili", "youtube", "zhihu", "link")


def video_row(v: Mapping[str, Any], at: dt.datetime) -> dict[str, Any]:
    """A document's video as the video table's columns."""
    return {**{name: v.get(name) for name in VIDEO_COLUMNS}, "created_at": at}


def reading_row(r: Mapping[str, Any], paper_id: int, at: dt.datetime) -> dict[str, Any]:
    """A document's reading entry as the reading table's columns."""
    return {
        "user_name": r["user"],
        "paper_id": paper_id,
        "status": r.get("status"),
        "started_at": r.get("started_at"),
        "read_at": r.get("read_at"),
        "note": r.get("note"),
        "updated_at": r.get("updated_at") or at,
    }
