"""The read roads: sqlite3 on a file, psycopg on PostgreSQL, SQLAlchemy inside writes.

Read commands on an up-to-date SQLite catalog must not import the heavy libraries (on
PostgreSQL: tests/test_round_trips.py), and every road must return the same rows.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from paperread import queries
from paperread.config import resolve_target
from paperread.db import SqliteReader, connect_sqlite
from paperread.engine import ConnectionReader, make_engine

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
        capture_output=True,
        text=True,
        timeout=60,
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
    engine = make_engine(resolve_target(str(builtin_db)))  # SQLAlchemy's road, with paperread's connection setup
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
        {"search": "对比学习"},
        {"search": "ÉCOLE"},
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


# ---------------------------------------------------------------------------- SQLite against PostgreSQL

# Rows added to both back ends, to give search and sorting something to disagree on:
# mixed case, CJK, LIKE wildcards, quotes, backslashes, NULL columns, and titles whose
# order depends on the collation ('a-c' before 'ab' in en_US, after it by code point).
_TRICKY = [
    ("mixed-case", "ResNeXt: Aggregated RESIDUAL Transforms", "Deep *Residual* learning, 100% of it", "Saining Xie"),
    ("cjk", "对比学习综述 MoCo", "自监督 对比学习 contrastive", None),
    ("wild", "Under_score and 50% off", "a\\backslash and 'quotes' and \"double\"", "O'Neil"),
    ("nulls", "Only A Title", None, None),
    ("dash-a", "a-c", None, None),
    ("dash-b", "ab", None, None),
    ("dash-c", "Ab", None, None),
    ("dash-d", "a b", None, None),
    ("dash-e", "_x", None, None),
    ("accent", "École Normale ÉTUDES", "Straße", None),
]

_SEARCHES = [
    "transformer",
    "TRANSFORMER",
    "Residual",
    "resid",
    "100%",
    "50%",
    "_",
    "under_score",
    "%",
    "o'neil",
    "'quotes'",
    '"double"',
    "\\back",
    "对比学习",
    "对比",
    "学",
    "moco",
    "3D",
    "3d",
    "gan",
    "GAN",
    "net",
    "a b",
    "a-",
    "x",
    "ab",
    "école",
    "ÉTUDES",
    "straße",
    "zzzz",
    "Only A",
    " spaced ",
]


def _add_tricky(url: str) -> None:
    from paperread.config import resolve_target
    from paperread.engine import make_engine

    engine = make_engine(resolve_target(url))
    with engine.begin() as conn:
        from sqlalchemy import text

        cat = conn.execute(text("SELECT id FROM category ORDER BY position LIMIT 1")).scalar_one()
        for i, (key, title, description, authors) in enumerate(_TRICKY):
            conn.execute(
                text(
                    "INSERT INTO paper (key, title, year, category_id, description, authors, marked_recorded,"
                    " position, created_at, updated_at, version) VALUES (:key, :title, 2020, :cat, :d, :a, :rec,"
                    " :pos, '2024-01-01 00:00:00+00:00', '2024-01-01 00:00:00+00:00', 1)"
                ),
                {
                    "key": key,
                    "title": title,
                    "cat": cat,
                    "d": description,
                    "a": authors,
                    "rec": i % 2 == 0,
                    "pos": 1000 + i,
                },
            )
        for user, status, note in (("alice", "read", "Alice's NOTE on ResNet"), ("bob", "reading", "bob likes GANs")):
            conn.execute(
                text(
                    "INSERT INTO reading (user_name, paper_id, status, note, updated_at)"
                    " SELECT :u, id, :s, :n, '2024-01-01 00:00:00+00:00' FROM paper WHERE key IN ('resnet', 'gan', 'cjk')"
                ),
                {"u": user, "s": status, "n": note},
            )
    engine.dispose()


@pytest.fixture
def two_backends(builtin_db: Path, pg_catalog_url: str):
    """The same catalog (built-in + tricky rows) on SQLite (sqlite3 road) and PostgreSQL (psycopg road)."""
    from paperread.config import resolve_target
    from paperread.pgread import open_pg_reader

    for url in (str(builtin_db), pg_catalog_url):
        _add_tricky(url)
    sqlite_reader = SqliteReader(connect_sqlite(builtin_db))
    pg_reader = open_pg_reader(resolve_target(pg_catalog_url))
    yield sqlite_reader, pg_reader
    sqlite_reader.close()
    pg_reader.close()


def test_search_agrees_between_sqlite_and_postgresql(two_backends) -> None:
    lite, pg = two_backends
    for words in _SEARCHES:
        for user in ("alice", "bob", "carol"):
            want = queries.papers(lite, user=user, search=words)
            assert queries.papers(pg, user=user, search=words) == want, (words, user)
    assert [r["key"] for r in queries.papers(lite, user="u", search="100%")] == ["mixed-case"]
    assert {r["key"] for r in queries.papers(pg, user="alice", search="alice's note")} == {"resnet", "gan", "cjk"}
    assert queries.papers(pg, user="bob", search="alice's note") == []  # notes are each user's own


def test_listings_sorts_and_stats_agree_between_sqlite_and_postgresql(two_backends) -> None:
    lite, pg = two_backends
    for filters in (
        {},
        {"category": "vision"},
        {"recorded": False, "sort": "year"},
        {"sort": "title"},
        {"sort": "citations"},
        {"read_status": "read"},
        {"read_status": "unread", "sort": "title", "limit": 20},
        {"read_status": "reading"},
        {"since": 2020, "sort": "title", "limit": 7},
    ):
        for user in ("alice", "bob"):
            assert queries.papers(pg, user=user, **filters) == queries.papers(lite, user=user, **filters), filters
    titles = [r["title"] for r in queries.papers(pg, user="u", sort="title") if r["key"].startswith("dash-")]
    assert titles == ["_x", "a b", "a-c", "ab", "Ab"]  # code-point order of lower(title), then id
    for user in ("alice", "bob", "nobody"):
        assert queries.stats(pg, user=user) == queries.stats(lite, user=user)
    assert queries.videos(pg) == queries.videos(lite)
    assert queries.videos(pg, category="vision") == queries.videos(lite, category="vision")
    for paper in queries.papers(lite, user="alice"):
        want = queries.paper_detail(lite, paper["id"], user="alice")
        got = queries.paper_detail(pg, paper["id"], user="alice")
        for stamp in ("created_at", "updated_at"):  # when each database was loaded
            want.pop(stamp), got.pop(stamp)
        assert got == want, paper["key"]


def test_ambiguous_names_list_the_same_candidates(two_backends) -> None:
    from paperread.errors import AmbiguousError

    lite, pg = two_backends
    for name in ("style", "net", "a"):
        with pytest.raises(AmbiguousError) as on_lite:
            queries.resolve_paper(lite, name)
        with pytest.raises(AmbiguousError) as on_pg:
            queries.resolve_paper(pg, name)
        assert on_pg.value.message == on_lite.value.message


def test_sorting_ignores_the_server_locale(builtin_db: Path, pg_server) -> None:
    """A server database made with an en-US locale still sorts text as SQLite does."""
    from tests.conftest import Cli

    try:
        name = pg_server.create(
            "icu", template="template0", options="LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'"
        )
    except Exception as exc:  # a server built without ICU
        pytest.skip(f"cannot create an ICU database here: {exc}")
    url = pg_server.url_of(name)
    Cli(url).ok("init")
    for target in (str(builtin_db), url):
        _add_tricky(target)
    lite = Cli(builtin_db)
    pg = Cli(url)
    for args in (["list", "--sort", "title"], ["search", "a", "--json"], ["videos", "--json"]):
        assert pg.ok(*args).stdout == lite.ok(*args).stdout, args
    assert pg("show", "a").stderr == lite("show", "a").stderr
