"""Migrations: in step with the models and the code, and upgrades keep user data."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel

from paperread.config import resolve_target
from paperread.db import KNOWN_REVISIONS, SCHEMA_HEAD
from paperread.engine import alembic_config, make_engine, upgrade
from tests.conftest import Cli


def test_known_revisions_match_the_migrations() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    chain = [rev.revision for rev in script.walk_revisions()][::-1]
    assert tuple(chain) == KNOWN_REVISIONS
    assert script.get_current_head() == SCHEMA_HEAD


def test_models_and_migrations_agree(empty_url: str) -> None:
    engine = make_engine(resolve_target(empty_url))
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"include_object": _not_search, "compare_type": True}),
            SQLModel.metadata,
        )
    engine.dispose()
    assert diff == []


def _not_search(obj, name, type_, reflected, compare_to) -> bool:
    """The hand-made search indexes: SQLite's FTS5 table, PostgreSQL's trigram indexes."""
    if type_ == "table" and name and name.startswith(("paper_fts", "reading_note_fts", "video_note_fts")):
        return False
    return not (type_ == "index" and name and name.startswith("ix_paper_trgm_"))


def test_downgrade_to_nothing_and_back(db_path: Path) -> None:
    from alembic import command

    target = resolve_target(str(db_path))
    engine = make_engine(target)
    with engine.begin() as conn:
        upgrade(conn)
        command.downgrade(alembic_config(conn), "base")
        tables = {r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='table'")}
        assert tables <= {"alembic_version"}
        upgrade(conn)
    engine.dispose()
    assert Cli(db_path).ok("stats", "--json")


@pytest.mark.parametrize("old", KNOWN_REVISIONS[:-1])
def test_upgrade_from_an_older_schema_keeps_user_data(db_path: Path, old: str) -> None:
    """A database left at an older revision, with a user's notes, is upgraded on first use."""
    target = resolve_target(str(db_path))
    engine = make_engine(target)
    with engine.begin() as conn:
        upgrade(conn, old)
        conn.exec_driver_sql("INSERT INTO category (slug, name, position) VALUES ('mine', 'Mine', 0)")
        conn.exec_driver_sql(
            "INSERT INTO paper (key, title, year, category_id, marked_recorded, position, created_at, updated_at, version)"
            " VALUES ('p1', 'My | paper `x` 🚀', 2020, 1, 0, 0, '2024-01-01 00:00:00', '2024-01-01 00:00:00', 1)"
        )
        conn.exec_driver_sql(
            "INSERT INTO reading (user_name, paper_id, status, note, updated_at)"
            " VALUES ('tester', 1, 'read', 'my *note*', '2024-01-01 00:00:00')"
        )
    engine.dispose()
    cli = Cli(db_path)
    shown = cli.ok("show", "p1", "--json")
    import json

    paper = json.loads(shown.stdout)
    assert paper["title"] == "My | paper `x` 🚀"
    assert paper["note"] == "my *note*"
    assert paper["read_status"] == "read"
    # The search index is rebuilt by the upgrade (0003 replaced SQLite's): the old row is found.
    for words in ("paper `x", "My |", "🚀"):
        assert [r["key"] for r in json.loads(cli.ok("search", words, "--json").stdout)] == ["p1"], words
    # The notes' indexes are built by the upgrade (0008) from the notes already there.
    for words in ("*note*", "my *NOTE"):
        assert [r["key"] for r in json.loads(cli.ok("search", words, "--json").stdout)] == ["p1"], words
    cli.ok("db", "check")
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] == SCHEMA_HEAD


def test_behind_database_is_upgraded_implicitly_on_sqlite(db_path: Path) -> None:
    Cli(db_path).ok("init", "--empty")
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] == SCHEMA_HEAD
    assert Cli(db_path).ok("db", "current").stdout.strip() == SCHEMA_HEAD
    assert Cli(db_path).ok("db", "check")
    assert Cli(db_path).ok("db", "upgrade")
