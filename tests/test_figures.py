"""The per-category figures the database keeps (migration 0007): in step with the rows after
every kind of write, on both back ends; ``db check`` finds drift and ``db reindex`` mends it."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection

from paperread import figures
from paperread.config import resolve_target
from paperread.engine import make_engine, upgrade
from tests.conftest import Cli

_TRIGGERS = {
    "category_figures_ai",
    "paper_figures_ai",
    "paper_figures_bd",
    "paper_figures_au",
    "video_paper_figures_ai",
    "video_paper_figures_ad",
    "video_paper_figures_au",
}


def _plain(conn: Connection) -> dict[int, tuple[int, int]]:
    return {r[0]: (int(r[1]), int(r[2])) for r in conn.exec_driver_sql(figures.COUNTED_PLAINLY)}


def _stored(conn: Connection) -> dict[int, tuple[int, int]]:
    return {
        r[0]: (r[1], r[2]) for r in conn.exec_driver_sql("SELECT category_id, papers, recorded FROM category_figures")
    }


def _assert_in_step(conn: Connection, step: str) -> None:
    assert _stored(conn) == _plain(conn), step
    assert {r[0]: (int(r[1]), int(r[2])) for r in conn.exec_driver_sql(figures.COUNTED)} == _plain(conn), step
    assert figures.drift(conn) == [], step


def _one(conn: Connection, sql: str, params: dict[str, Any] | None = None) -> Any:
    return conn.exec_driver_sql(sql, params or {}).scalar()


def _new_paper(conn: Connection, key: str, category_id: int, marked: bool) -> int:
    conn.exec_driver_sql(
        "INSERT INTO paper (key, title, category_id, marked_recorded, position, created_at, updated_at, version)"
        " VALUES (%(key)s, %(title)s, %(cat)s, %(marked)s, 99, '2024-01-01 00:00:00', '2024-01-01 00:00:00', 1)"
        if conn.dialect.name == "postgresql"
        else "INSERT INTO paper (key, title, category_id, marked_recorded, position, created_at, updated_at, version)"
        " VALUES (:key, :title, :cat, :marked, 99, '2024-01-01 00:00:00', '2024-01-01 00:00:00', 1)",
        {"key": key, "title": f"Title {key}", "cat": category_id, "marked": marked},
    )
    return int(_one(conn, f"SELECT id FROM paper WHERE key = '{key}'"))


def _new_video(conn: Connection, title: str) -> int:
    conn.exec_driver_sql(
        f"INSERT INTO video (title, date, created_at) VALUES ('{title}', '2024-01-01', '2024-01-01 00:00:00')"
    )
    return int(_one(conn, f"SELECT id FROM video WHERE title = '{title}'"))


def test_figures_follow_every_kind_of_write(backend_url: str) -> None:
    engine = make_engine(resolve_target(backend_url))
    true, false = ("true", "false") if engine.dialect.name == "postgresql" else ("1", "0")
    try:
        with engine.begin() as conn:
            _assert_in_step(conn, "the built-in catalog (a bulk load)")
            a, b = (int(r[0]) for r in conn.exec_driver_sql("SELECT id FROM category ORDER BY id LIMIT 2"))
            plain = _new_paper(conn, "fig-plain", a, False)
            marked = _new_paper(conn, "fig-marked", a, True)
            _assert_in_step(conn, "papers inserted")
            v1, v2 = _new_video(conn, "fig-v1"), _new_video(conn, "fig-v2")
            conn.exec_driver_sql(f"INSERT INTO video_paper (video_id, paper_id, position) VALUES ({v1}, {plain}, 0)")
            _assert_in_step(conn, "a first video link")
            conn.exec_driver_sql(
                f"INSERT INTO video_paper (video_id, paper_id, position) VALUES ({v2}, {plain}, 0), ({v2}, {marked}, 1)"
            )
            _assert_in_step(conn, "a second link of the same paper, a link of a marked paper, in one statement")
            conn.exec_driver_sql(f"UPDATE paper SET category_id = {b} WHERE id IN ({plain}, {marked})")
            _assert_in_step(conn, "papers moved")
            conn.exec_driver_sql(f"UPDATE paper SET marked_recorded = {false} WHERE id = {marked}")
            conn.exec_driver_sql(f"UPDATE paper SET marked_recorded = {true} WHERE id = {plain}")
            _assert_in_step(conn, "marks changed")
            conn.exec_driver_sql(f"UPDATE paper SET title = 'Other', citation_count = 5 WHERE id = {plain}")
            _assert_in_step(conn, "other columns changed")
            conn.exec_driver_sql(f"UPDATE paper SET marked_recorded = {false} WHERE id = {plain}")
            conn.exec_driver_sql(f"DELETE FROM video_paper WHERE video_id = {v1}")
            _assert_in_step(conn, "a link deleted, another left")
            conn.exec_driver_sql(f"DELETE FROM video_paper WHERE video_id = {v2} AND paper_id = {plain}")
            _assert_in_step(conn, "the last link of a paper deleted")
            conn.exec_driver_sql(
                f"UPDATE video_paper SET paper_id = {plain} WHERE video_id = {v2} AND paper_id = {marked}"
            )
            _assert_in_step(conn, "a link moved to another paper")
            conn.exec_driver_sql(f"DELETE FROM video WHERE id = {v2}")
            _assert_in_step(conn, "a video deleted (its links cascade)")
            covered = int(_one(conn, "SELECT paper_id FROM video_paper ORDER BY video_id, paper_id LIMIT 1"))
            conn.exec_driver_sql(f"DELETE FROM paper WHERE id IN ({covered}, {plain})")
            _assert_in_step(conn, "a covered paper deleted (its links cascade)")
            conn.exec_driver_sql("INSERT INTO category (slug, name, position) VALUES ('fig-empty', 'Fig empty', 50)")
            _assert_in_step(conn, "a category added")
            conn.exec_driver_sql("DELETE FROM category WHERE slug = 'fig-empty'")
            _assert_in_step(conn, "a category removed")
            conn.exec_driver_sql("DELETE FROM paper")
            _assert_in_step(conn, "every paper deleted")
            assert set(_stored(conn).values()) == {(0, 0)}
    finally:
        engine.dispose()


def test_commands_keep_the_figures_and_stats_show_them(cli: Cli, backend_url: str) -> None:
    papers = json.loads(cli.ok("list", "--json").stdout)
    covered = [p["key"] for p in papers if p["recorded"]]
    unrecorded = [p["key"] for p in papers if not p["recorded"]]
    before = json.loads(cli.ok("stats", "--json").stdout)
    cli.ok("mark-recorded", unrecorded[0], "--title", "A video", "--date", "2026-01-01")
    cli.ok("remove", covered[0], "--yes")
    cli.ok("category", "remove", "optimization", "--move-to", "applications")
    after = json.loads(cli.ok("stats", "--json").stdout)
    assert (after["papers"], after["recorded"]) == (before["papers"] - 1, before["recorded"])
    engine = make_engine(resolve_target(backend_url))
    try:
        with engine.begin() as conn:
            _assert_in_step(conn, "after commands")
            assert after["papers"] == _one(conn, "SELECT COUNT(*) FROM paper")
    finally:
        engine.dispose()
    assert cli.ok("db", "check")


def test_db_check_finds_drift_and_reindex_mends_it(cli: Cli, backend_url: str) -> None:
    engine = make_engine(resolve_target(backend_url))
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "UPDATE category_figures SET papers = papers + 1"
                " WHERE category_id = (SELECT id FROM category WHERE slug = 'gnn')"
            )
    finally:
        engine.dispose()
    failed = cli("db", "check")
    assert failed.exit_code == 1
    assert "figures kept for category gnn" in failed.stderr
    assert "paperread db reindex" in failed.stderr
    assert "recounted the category figures" in cli.ok("db", "reindex").stderr
    assert cli.ok("db", "check")


def test_upgrade_from_0006_counts_the_figures_and_keeps_them(empty_url: str, backend: str) -> None:
    """A catalog at 0006 with papers and links gets its figures on upgrade; the triggers run after."""
    from alembic import command

    from paperread.engine import alembic_config

    engine = make_engine(resolve_target(empty_url))
    try:
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0006")
            assert "category_figures" not in _tables(conn)
            cat = _new_category(conn)
            plain, _marked = _new_paper(conn, "up-plain", cat, False), _new_paper(conn, "up-marked", cat, True)
            _new_paper(conn, "up-none", cat, False)
            video = _new_video(conn, "up-v")
            conn.exec_driver_sql(f"INSERT INTO video_paper (video_id, paper_id, position) VALUES ({video}, {plain}, 0)")
        with engine.begin() as conn:
            upgrade(conn)
            assert _stored(conn) == {cat: (3, 2)}
            _assert_in_step(conn, "upgraded")
            if conn.dialect.name == "sqlite":
                names = {r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
                assert names >= _TRIGGERS
            conn.exec_driver_sql(f"DELETE FROM video WHERE id = {video}")
            assert _stored(conn) == {cat: (3, 1)}
    finally:
        engine.dispose()


def test_a_bulk_load_puts_the_sqlite_triggers_back(builtin_db) -> None:  # type: ignore[no-untyped-def]
    import sqlite3

    with sqlite3.connect(builtin_db) as conn:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    assert names >= _TRIGGERS


def _tables(conn: Connection) -> set[str]:
    from sqlalchemy import inspect

    return set(inspect(conn).get_table_names())


def _new_category(conn: Connection) -> int:
    conn.exec_driver_sql("INSERT INTO category (slug, name, position) VALUES ('up', 'Up', 0)")
    return int(_one(conn, "SELECT id FROM category WHERE slug = 'up'"))
