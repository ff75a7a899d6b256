"""The two read roads: sqlite3 for speed, SQLAlchemy for other back ends.

Read commands on an up-to-date SQLite catalog must not import the heavy libraries,
and both roads must return the same rows.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from paperread import queries
from paperread.db import SqliteReader, connect_sqlite
from paperread.engine import ConnectionReader

HEAVY = ("sqlalchemy", "pydantic", "httpx", "alembic", "markdown_it", "sqlmodel", "tenacity")

PROBE = """
import atexit, sys
def _report():
    heavy = [m for m in {heavy!r} if m in sys.modules]
    sys.stderr.write("HEAVY=" + ",".join(heavy) + "\\n")
atexit.register(_report)
sys.argv = ["paperread", *{args!r}]
from paperread.cli import main
main()
"""


@pytest.mark.parametrize(
    "args",
    [
        ["--version"],
        ["--help"],
        ["list", "--category", "vision", "--limit", "50"],
        ["list", "--json"],
        ["show", "resnet"],
        ["show", "resnet", "--json"],
        ["videos"],
        ["stats"],
        ["stats", "--json"],
        ["search", "transformer"],
        ["list", "--help"],
    ],
)
def test_read_commands_stay_light(builtin_db: Path, args: list[str]) -> None:
    full = ["--db", str(builtin_db), *args] if args[0] != "--version" else args
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY, args=full)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().splitlines()[-1] == "HEAVY=", result.stderr


def test_tab_completion_of_paper_keys_stays_light(builtin_db: Path) -> None:
    env_probe = PROBE.format(heavy=HEAVY, args=[])
    result = subprocess.run(
        [sys.executable, "-c", env_probe],
        capture_output=True, text=True, timeout=60,
        env={
            **__import__("os").environ,
            "_PAPERREAD_COMPLETE": "complete_bash",
            "COMP_WORDS": f"paperread --db {builtin_db} show res",
            "COMP_CWORD": "4",
        },
    )
    assert "resnet" in result.stdout
    assert result.stderr.strip().splitlines()[-1] == "HEAVY="


@pytest.fixture
def readers(builtin_db: Path):
    fast = SqliteReader(connect_sqlite(builtin_db))
    engine = create_engine(f"sqlite:///{builtin_db}")
    slow = ConnectionReader(engine.connect())
    yield fast, slow
    fast.close()
    slow.close()
    engine.dispose()


def test_parity_of_listings(readers) -> None:
    fast, slow = readers
    for filters in (
        {},
        {"category": "vision"},
        {"recorded": False, "sort": "year"},
        {"search": "transformer"},
        {"search": "3D"},
        {"since": 2020, "sort": "title", "limit": 7},
    ):
        assert queries.papers(fast, user="u", **filters) == queries.papers(slow, user="u", **filters), filters


def test_parity_of_details_stats_and_videos(readers) -> None:
    fast, slow = readers
    assert queries.stats(fast, user="u") == queries.stats(slow, user="u")
    assert queries.videos(fast) == queries.videos(slow)
    assert queries.videos(fast, category="vision") == queries.videos(slow, category="vision")
    for paper in queries.papers(fast, user="u"):
        assert queries.paper_detail(fast, paper["id"], user="u") == queries.paper_detail(slow, paper["id"], user="u")
