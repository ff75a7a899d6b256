"""What keeps paperread fast, checked without timing anything (bench/run.py times it).

- start-up: ``--version`` imports nothing heavy, and only the command being run is built;
- SQL shapes: the plans that make 100,000 papers cost about what 90 do (EXPLAIN QUERY PLAN),
  with results equal to the plain shapes they replace;
- the synthetic catalogs of the benchmark load through the real schema.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from paperread import queries
from paperread.cli import app, app_for
from paperread.db import SqliteReader, connect_sqlite
from tests.conftest import ROOT, Cli

# ---------------------------------------------------------------------------- start-up


def test_version_answers_before_typer_is_imported() -> None:
    probe = (
        "import sys; sys.argv = ['paperread', '--version']\n"
        "from paperread.start import main; main()\n"
        "print(sorted(m for m in ('typer', 'rich', 'sqlite3', 'paperread.cli') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["paperread 0.1.0", "[]"]


def _names(typer_app) -> list[str]:
    from typer.main import get_command_name

    return [c.name or get_command_name(c.callback.__name__) for c in typer_app.registered_commands] + [
        g.name for g in typer_app.registered_groups
    ]


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (["--db", "x.db", "list", "--json"], {}, ["list"]),
        (["--db=x.db", "show", "resnet"], {}, ["show"]),
        (["db", "current"], {}, ["db"]),
        (["mark-recorded", "--help"], {}, ["mark-recorded"]),
        (
            [],
            {
                "_PAPERREAD_COMPLETE": "complete_bash",
                "COMP_WORDS": "paperread --db 'a b.db' show res",
                "COMP_CWORD": "4",
            },
            ["show"],
        ),
        ([], {"_PAPERREAD_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "paperread list --category vi"}, ["list"]),
        ([], {"_PAPERREAD_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "paperread show "}, ["show"]),
    ],
)
def test_only_the_command_being_run_is_built(args: list[str], env: dict[str, str], expected: list[str]) -> None:
    trimmed = app_for(args, env)
    assert trimmed is not app
    assert _names(trimmed) == expected
    assert len(_names(app)) > 10  # the app itself is left whole


@pytest.mark.parametrize(
    ("args", "env"),
    [
        ([], {}),
        (["--help"], {}),
        (["--db", "x.db", "--version"], {}),
        (["lst"], {}),  # unknown: the whole app, for "Did you mean 'list'?"
        ([], {"_PAPERREAD_COMPLETE": "complete_bash", "COMP_WORDS": "paperread --db x sh", "COMP_CWORD": "3"}),
        ([], {"_PAPERREAD_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "paperread sh"}),
        ([], {"_PAPERREAD_COMPLETE": "complete_bash", "COMP_WORDS": "paperread 'unbalanced", "COMP_CWORD": "2"}),
    ],
)
def test_the_whole_app_where_every_command_matters(args: list[str], env: dict[str, str]) -> None:
    assert app_for(args, env) is app


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "paperread", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )


def test_the_real_entry_point_runs_commands_groups_and_completion(builtin_db: Path) -> None:
    db = str(builtin_db)
    assert _run("--version").stdout == "paperread 0.1.0\n"
    assert _run("--db", db, "--version").stdout == "paperread 0.1.0\n"
    listed = _run("--db", db, "list", "--category", "vision/cnn", "--limit", "2")
    assert [line.split("\t")[0] for line in listed.stdout.splitlines()] == ["alexnet", "vgg"]
    assert _run("--db", db, "db", "current").stdout.strip() == _run("--db", db, "db", "current").stdout.strip() != ""
    wrong = _run("--db", db, "lst")
    assert wrong.returncode == 2 and "list" in wrong.stderr
    bash = {"_PAPERREAD_COMPLETE": "complete_bash"}
    names = _run(env={**bash, "COMP_WORDS": f"paperread --db {db} sh", "COMP_CWORD": "3"}).stdout.split()
    assert "show" in names
    keys = _run(env={**bash, "COMP_WORDS": f"paperread --db {db} show res", "COMP_CWORD": "4"}).stdout.split()
    assert keys == ["resnet"]


# ---------------------------------------------------------------------------- SQL shapes


@pytest.fixture
def lite(builtin_db: Path):
    reader = SqliteReader(connect_sqlite(builtin_db))
    yield reader
    reader.close()


def _plan(reader: SqliteReader, sql: str, params: dict) -> str:
    return "\n".join(row[3] for row in reader.conn.execute("EXPLAIN QUERY PLAN " + sql, params))


def _one_statement(reader: SqliteReader, **filters) -> list[dict]:
    """The listing as a single ORDER BY c.position, p.position, p.id statement."""
    sql, params = queries._paper_query(**filters)
    return [queries._paper(row) for row in reader.stream(sql, params)]


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"category": "vision"},
        {"category": "vision", "limit": 50},
        {"category": "vision", "limit": 7},  # stops inside the first category
        {"limit": 8},  # crosses into the second
        {"limit": 1},
        {"recorded": False, "limit": 20},
        {"recorded": True, "category": "generative"},
        {"read_status": "unread", "since": 2018, "limit": 30},
    ],
)
def test_listing_category_by_category_equals_one_sorted_statement(lite: SqliteReader, filters: dict) -> None:
    assert queries.papers(lite, user="tester", **filters) == _one_statement(lite, user="tester", **filters)


def test_a_category_is_read_in_index_order_without_a_sort(lite: SqliteReader) -> None:
    sql, params = queries._paper_query(user="u", category_id=1, sort="position", limit=50)
    plan = _plan(lite, sql, params)
    assert "USING INDEX ix_paper_category_id_position (category_id=?)" in plan
    assert "TEMP B-TREE" not in plan


@pytest.mark.parametrize("prefix", ["", "r", "res", "RES", "resnet", "z", "zz", "a_", "%", "x\\", "视", "moco-v"])
def test_key_completion_by_range_equals_a_prefix_match(lite: SqliteReader, prefix: str) -> None:
    keys = [r[0] for r in lite.conn.execute("SELECT key FROM paper ORDER BY key")]
    want = [k for k in keys if k.startswith(prefix.lower())][:200]
    seen: list[tuple[str, dict]] = []
    rows = lite.rows

    def spy(sql: str, params: dict | None = None) -> list[dict]:
        seen.append((sql, dict(params or {})))
        return rows(sql, params)

    lite.rows = spy  # type: ignore[method-assign]
    assert [r["key"] for r in queries.paper_keys(lite, prefix)] == want
    plan = _plan(lite, *seen[0])
    assert ("SEARCH paper USING" if prefix else "SCAN paper USING") in plan  # the key index, never the table
    assert "TEMP B-TREE" not in plan


def _stats_by_exists(reader: SqliteReader) -> list[dict]:
    """The per-category figures the plain way: every paper, with an EXISTS each."""
    rows = reader.rows(
        f"""SELECT c.slug, c.name, COUNT(p.id) AS papers,
                   COALESCE(SUM(CASE WHEN {queries.RECORDED} THEN 1 ELSE 0 END), 0) AS recorded
            FROM category c LEFT JOIN paper p ON p.category_id = c.id
            GROUP BY c.id, c.slug, c.name, c.position ORDER BY c.position, c.id"""
    )
    return rows


def test_stats_count_a_paper_marked_and_covered_once(builtin_db: Path) -> None:
    conn = sqlite3.connect(builtin_db)
    with conn:  # resnet has videos; mark it too, and mark one paper no video covers
        conn.execute("UPDATE paper SET marked_recorded = 1 WHERE key IN ('resnet', 'vgg')")
        conn.execute("INSERT INTO category (slug, name, position) VALUES ('empty', 'Empty', 99)")
    conn.close()
    reader = SqliteReader(connect_sqlite(builtin_db))
    try:
        got = queries.stats(reader, user="tester")
        assert got["categories"] == _stats_by_exists(reader)
        assert got["categories"][-1] == {"slug": "empty", "name": "Empty", "papers": 0, "recorded": 0}
        assert got["recorded"] == 59 + 1
        plan = _plan(
            reader,
            "SELECT p.category_id + 0 AS c, COUNT(*) FROM paper p WHERE p.marked_recorded GROUP BY p.category_id + 0",
            {},
        )
        assert "ix_paper_category_id_position" not in plan  # a scan, not a random lookup per paper
    finally:
        reader.close()


# ---------------------------------------------------------------------------- synthetic catalogs


def test_synthetic_catalogs_are_deterministic_and_load(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT))
    from bench.synth import RARE_WORD, make_document
    from paperread.config import resolve_target
    from paperread.engine import make_engine, upgrade
    from paperread.exchange.bulk import load_document

    doc = make_document(300, seed=3)
    assert doc == make_document(300, seed=3) != make_document(300, seed=4)
    assert len({p["key"] for p in doc["papers"]}) == len({p["s2_id"] for p in doc["papers"]}) == 300
    path = tmp_path / "synth.db"
    engine = make_engine(resolve_target(str(path)))
    with engine.begin() as conn:
        upgrade(conn)
        loaded = load_document(conn, doc)
    engine.dispose()
    assert loaded == {"categories": 12, "papers": 300, "videos": 20}
    cli = Cli(path)
    assert cli.ok("stats", "--json").stdout.count('"slug"') == 12
    titles = [p["title"].lower() for p in doc["papers"]]
    found = cli.ok("search", RARE_WORD, "--json", env={"PAPERREAD_USER": "bench"}).stdout
    assert found.count('"key"') >= sum(RARE_WORD in t for t in titles)
