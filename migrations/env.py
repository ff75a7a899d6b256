"""Alembic environment: the SQLModel models are the schema's one authority.

paperread passes its own connection (config.attributes["connection"]) so a migration
runs inside the caller's transaction. Run by hand from a checkout, it reads the
database from PAPERREAD_DB (or -x db=URL): ``alembic upgrade head`` or
``alembic revision --autogenerate -m "..."`` (configured in pyproject.toml).
"""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import paperread.models  # noqa: F401  (registers the tables)

target_metadata = SQLModel.metadata


def _include_object(obj, name, type_, reflected, compare_to) -> bool:
    """The search indexes are managed by hand in the migrations, not by autogenerate:
    SQLite's FTS5 table (0001) and PostgreSQL's trigram indexes (0002)."""
    if name is None:
        return True
    if type_ == "table" and name.startswith("paper_fts"):
        return False
    return not (type_ == "index" and name.startswith("ix_paper_trgm_"))


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=_include_object,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from paperread.config import resolve_target
    from paperread.engine import make_engine

    target = resolve_target(context.get_x_argument(as_dictionary=True).get("db"))
    engine = make_engine(target)
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("paperread migrations run online only")
run_migrations_online()
