"""trigram search indexes on PostgreSQL

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29

`search` is a case-insensitive substring match. SQLite answers it from the FTS5 trigram
index made in 0001; on PostgreSQL the same ``lower(col) LIKE '%text%'`` query is served by
GIN trigram indexes on the very expressions it filters on (pg_trgm).

pg_trgm is a trusted extension (PostgreSQL 13+): a database owner may create it. Where
CREATE EXTENSION is refused anyway (no privilege, extension not installed on the server),
the migration still succeeds without the indexes: search then scans the table, with the
same results. README.md ("A shared catalog for a study group") shows how to add the indexes later by hand, once an
administrator has created the extension.

On SQLite this revision does nothing; it exists on both back ends so that the schema
revision means the same everywhere.
"""

from __future__ import annotations

from alembic import op
from sqlalchemy.exc import DBAPIError

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Index name -> the expression queries.search_ids_sql filters on (keep the two in step).
TRGM_INDEXES = {
    "ix_paper_trgm_key": "lower(key)",
    "ix_paper_trgm_title": "lower(title)",
    "ix_paper_trgm_description": "lower(description)",
    "ix_paper_trgm_authors": "lower(authors)",
}


def _pg_trgm_schema(bind) -> str | None:
    """The schema pg_trgm lives in, creating the extension when allowed; None when refused."""
    sql = """SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
             WHERE e.extname = 'pg_trgm'"""
    schema = bind.exec_driver_sql(sql).scalar()
    if schema is not None:
        return schema
    available = bind.exec_driver_sql("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'").scalar()
    if not available:
        return None
    try:
        with bind.begin_nested():  # a SAVEPOINT: a refusal must not abort the migration's transaction
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DBAPIError:
        return None
    return bind.exec_driver_sql(sql).scalar()


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    schema = _pg_trgm_schema(bind)
    if schema is None:
        from paperread import output

        output.message(
            "note: the pg_trgm extension is not available here, so search runs without an index"
            " (same results, slower on large catalogs); see 'A shared catalog for a study group' in the README"
        )
        return
    opclass = f'"{schema}".gin_trgm_ops'
    for name, expression in TRGM_INDEXES.items():
        op.execute(f"CREATE INDEX IF NOT EXISTS {name} ON paper USING gin (({expression}) {opclass})")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in TRGM_INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    # The extension stays: other schemas on the server may use it.
