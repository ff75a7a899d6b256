"""one search text per paper on SQLite (trigram, no position lists)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29

`search` is a case-insensitive substring match on a paper's key, title, description and
authors. 0001 answered it on SQLite from an FTS5 table with those four columns and full
position lists, queried as a phrase. This revision replaces it by an FTS5 table over one
text per paper (the view ``paper_search``: the four fields joined by line breaks) with
``detail=none`` and no column sizes, queried with LIKE: FTS5 narrows the rows by the
pattern's trigrams and SQLite checks each candidate against the text. The matches are
the same (a query never spans two fields: queries holding a line break do not use the
index), the index is half the size and builds twice as fast, which is most of the time
of importing a large catalog.

Keep ``queries.search_ids_sql`` and ``exchange.fts_deferred`` in step with these names.
On PostgreSQL this revision does nothing (0002's trigram indexes serve the same query).
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def search_text(row: str = "") -> str:
    """The text indexed for a paper, from the paper table's columns (``row`` is "new." or "old."
    in a trigger). NULL fields count as empty; a line break separates the fields."""
    return (
        f"{row}key || char(10) || {row}title || char(10) || coalesce({row}description, '')"
        f" || char(10) || coalesce({row}authors, '')"
    )


SQLITE_SEARCH = (
    f"CREATE VIEW paper_search AS SELECT id, {search_text()} AS body FROM paper",
    "CREATE VIRTUAL TABLE paper_fts USING fts5(body, content='paper_search', content_rowid='id',"
    " tokenize='trigram', detail='none', columnsize=0)",
    f"""CREATE TRIGGER paper_fts_ai AFTER INSERT ON paper BEGIN
        INSERT INTO paper_fts(rowid, body) VALUES (new.id, {search_text("new.")});
    END""",
    f"""CREATE TRIGGER paper_fts_ad AFTER DELETE ON paper BEGIN
        INSERT INTO paper_fts(paper_fts, rowid, body) VALUES ('delete', old.id, {search_text("old.")});
    END""",
    f"""CREATE TRIGGER paper_fts_au AFTER UPDATE OF key, title, description, authors ON paper BEGIN
        INSERT INTO paper_fts(paper_fts, rowid, body) VALUES ('delete', old.id, {search_text("old.")});
        INSERT INTO paper_fts(rowid, body) VALUES (new.id, {search_text("new.")});
    END""",
    "INSERT INTO paper_fts(paper_fts) VALUES ('rebuild')",
)

# 0001's index, to go back to.
_OLD_COLUMNS = "key, title, description, authors"
SQLITE_OLD = (
    f"CREATE VIRTUAL TABLE paper_fts USING fts5({_OLD_COLUMNS}, content='paper', content_rowid='id', tokenize='trigram')",
    f"""CREATE TRIGGER paper_fts_ai AFTER INSERT ON paper BEGIN
        INSERT INTO paper_fts(rowid, {_OLD_COLUMNS}) VALUES (new.id, new.key, new.title, new.description, new.authors);
    END""",
    f"""CREATE TRIGGER paper_fts_ad AFTER DELETE ON paper BEGIN
        INSERT INTO paper_fts(paper_fts, rowid, {_OLD_COLUMNS}) VALUES ('delete', old.id, old.key, old.title, old.description, old.authors);
    END""",
    f"""CREATE TRIGGER paper_fts_au AFTER UPDATE OF key, title, description, authors ON paper BEGIN
        INSERT INTO paper_fts(paper_fts, rowid, {_OLD_COLUMNS}) VALUES ('delete', old.id, old.key, old.title, old.description, old.authors);
        INSERT INTO paper_fts(rowid, {_OLD_COLUMNS}) VALUES (new.id, new.key, new.title, new.description, new.authors);
    END""",
    "INSERT INTO paper_fts(paper_fts) VALUES ('rebuild')",
)


def _drop_search() -> None:
    for name in ("paper_fts_ai", "paper_fts_ad", "paper_fts_au"):
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS paper_fts")
    op.execute("DROP VIEW IF EXISTS paper_search")


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    _drop_search()
    for statement in SQLITE_SEARCH:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    _drop_search()
    for statement in SQLITE_OLD:
        op.execute(statement)
