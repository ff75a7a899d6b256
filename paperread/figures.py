"""The per-category figures the database keeps (``category_figures``, migration 0007).

Triggers on ``category``, ``paper`` and ``video_paper`` keep each category's papers and
recorded papers in the transaction of every write; nothing in paperread writes them by hand,
except here: ``recount`` stores them counted from the rows (``db reindex``, and a bulk load,
which counts once at its end rather than row by row: ``deferred``), and ``drift`` compares
them with a recount (``db check``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from paperread.queries import RECORDED

if TYPE_CHECKING:
    from sqlalchemy import Connection

# Each category's figures counted from the rows, in three grouped passes (no per-paper EXISTS:
# marked papers by a scan, covered ones from video_paper; ``category_id + 0`` keeps SQLite from
# walking the category index for the marked count, a random row lookup per paper).
COUNTED = """
SELECT c.id AS category_id, COALESCE(n.n, 0) AS papers, COALESCE(m.n, 0) + COALESCE(v.n, 0) AS recorded
FROM category c
LEFT JOIN (SELECT category_id, COUNT(*) AS n FROM paper GROUP BY category_id) n ON n.category_id = c.id
LEFT JOIN (SELECT category_id + 0 AS category_id, COUNT(*) AS n FROM paper WHERE marked_recorded
           GROUP BY category_id + 0) m ON m.category_id = c.id
LEFT JOIN (SELECT p.category_id, COUNT(*) AS n FROM paper p
           WHERE NOT p.marked_recorded AND p.id IN (SELECT vp.paper_id FROM video_paper vp)
           GROUP BY p.category_id) v ON v.category_id = c.id
"""

# What ``RECORDED`` says, row by row: the tests hold COUNTED to it.
COUNTED_PLAINLY = f"""
SELECT c.id AS category_id, COUNT(p.id) AS papers,
       COALESCE(SUM(CASE WHEN {RECORDED} THEN 1 ELSE 0 END), 0) AS recorded
FROM category c LEFT JOIN paper p ON p.category_id = c.id GROUP BY c.id
"""

# The SQLite triggers a bulk load suspends (its rows are counted once at its end).
_INSERT_TRIGGERS = ("paper_figures_ai", "video_paper_figures_ai")


def recount(conn: Connection) -> None:
    """Store every category's figures counted from the rows, in the caller's transaction."""
    conn.exec_driver_sql("DELETE FROM category_figures")
    conn.exec_driver_sql(f"INSERT INTO category_figures (category_id, papers, recorded) {COUNTED}")


def drift(conn: Connection) -> list[dict[str, Any]]:
    """The categories whose stored figures differ from a recount (slug, stored, counted)."""
    counted = {row[0]: (int(row[1]), int(row[2])) for row in conn.exec_driver_sql(COUNTED)}
    stored = {
        row[0]: (row[1], int(row[2]), int(row[3]))
        for row in conn.exec_driver_sql(
            "SELECT c.id, c.slug, f.papers, f.recorded FROM category c"
            " LEFT JOIN category_figures f ON f.category_id = c.id"
        )
        if row[2] is not None
    }
    slugs: dict[int, str] = {int(r[0]): r[1] for r in conn.exec_driver_sql("SELECT id, slug FROM category")}
    out = []
    for cat_id, slug in sorted(slugs.items(), key=lambda item: item[1]):
        kept = stored.get(cat_id)
        if kept is None or kept[1:] != counted[cat_id]:
            out.append({"slug": slug, "stored": kept[1:] if kept else None, "counted": counted[cat_id]})
    return out


@contextmanager
def deferred(conn: Connection) -> Iterator[None]:
    """On SQLite, rows inserted inside the block are counted once at its end (``recount``) rather
    than by the insert triggers row by row (5 us a paper); the triggers are dropped for the block
    and re-created from their own SQL, all in the caller's transaction. PostgreSQL's insert
    triggers already count a whole statement at once: there the block changes nothing."""
    if conn.dialect.name != "sqlite":
        yield
        return
    found = conn.exec_driver_sql(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name IN {_INSERT_TRIGGERS!r}"
    ).all()
    for name, _ in found:
        conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
    yield
    for _, statement in found:
        conn.exec_driver_sql(statement)
    if found:
        recount(conn)
