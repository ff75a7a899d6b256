"""trigram indexes of the users' notes on SQLite

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04

``search`` matches a user's own notes (on a paper in ``reading``, on a video in ``video_note``)
as well as the papers' text. On SQLite the notes were scanned with LIKE: at 50,000 notes of one
user, 45 ms of each search, more than the papers' indexed search of 1,000,000 papers. This
revision keeps an FTS5 trigram index of each table's notes (``reading_note_fts`` and
``video_note_fts``: external content, the table's own rows, ``detail=none``, no column sizes,
as 0003's ``paper_fts``), kept in step by triggers on the table, whatever writes. A search
asks the index for the notes holding the text's trigrams and checks each candidate with the
same LIKE as before (``queries.search_ids_sql``), so the matches are the same. ``db check``
runs FTS5's integrity check on them and ``db reindex`` rebuilds them (``engine``).

Notes are indexed for every user (a row's ``user_name`` is checked with the text). A NULL note
(``reading`` keeps status without a note) is not indexed. On PostgreSQL this revision does
nothing: notes are few per user and matched with LIKE there, as before.
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# The indexed table of each index (its ``note`` column, by its ``id``).
NOTE_INDEXES = {"reading_note_fts": "reading", "video_note_fts": "video_note"}


def note_index_sql(fts: str, table: str) -> tuple[str, ...]:
    """The FTS5 table over ``table``'s notes and the triggers that keep it in step (the insert
    trigger is named ``{fts}_ai``: ``exchange.sql.note_fts_deferred`` drops it for a bulk load)."""
    return (
        f"CREATE VIRTUAL TABLE {fts} USING fts5(note, content='{table}', content_rowid='id',"
        " tokenize='trigram', detail='none', columnsize=0)",
        f"""CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} WHEN new.note IS NOT NULL BEGIN
            INSERT INTO {fts}(rowid, note) VALUES (new.id, new.note);
        END""",
        f"""CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} WHEN old.note IS NOT NULL BEGIN
            INSERT INTO {fts}({fts}, rowid, note) VALUES ('delete', old.id, old.note);
        END""",
        f"""CREATE TRIGGER {fts}_au AFTER UPDATE OF id, note ON {table}
            WHEN old.id IS NOT new.id OR old.note IS NOT new.note BEGIN
            INSERT INTO {fts}({fts}, rowid, note) SELECT 'delete', old.id, old.note WHERE old.note IS NOT NULL;
            INSERT INTO {fts}(rowid, note) SELECT new.id, new.note WHERE new.note IS NOT NULL;
        END""",
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
    )


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for fts, table in NOTE_INDEXES.items():
        for statement in note_index_sql(fts, table):
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for fts in NOTE_INDEXES:
        for suffix in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER IF EXISTS {fts}_{suffix}")
        op.execute(f"DROP TABLE IF EXISTS {fts}")
