"""Read commands on a PostgreSQL catalog: the light road (psycopg, no SQLAlchemy), and the
round trips each one costs, counted by a proxy between paperread and the server
(tests/pgproxy.py) from the client's own bytes.

Connecting costs its own round trips (libpq's SSL request when the URL does not say
sslmode, then the startup); what is held here is what paperread adds after them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from paperread import queries
from paperread.config import resolve_target
from paperread.db import SCHEMA_HEAD
from paperread.engine import open_server_reader
from paperread.pgread import PgReader, open_pg_reader, psycopg_sql
from tests.conftest import Cli
from tests.pgproxy import LatencyProxy
from tests.test_read_paths import HEAVY, PROBE


@pytest.fixture
def proxy(pg_server) -> Iterator[LatencyProxy]:
    host = pg_server._make_url(pg_server.url)
    # A small delay: bytes the client sends together are never taken for two round trips.
    running = LatencyProxy((host.host or "127.0.0.1", host.port or 5432), delay=0.002)
    yield running
    running.close()


def _query_trips(proxy: LatencyProxy) -> int:
    """The round trips after connecting (each SSL request and the startup are the connection's)."""
    connecting = sum(1 for m in proxy.counts.messages if m in ("ssl", "startup"))
    return proxy.counts.round_trips - connecting


# (command, round trips it may take after connecting): one when it names nothing or names a
# paper by its key or a category by its slug (the usual case), two when a name must be
# resolved first (a title fragment, a category's name); the schema check rides along.
READS = [
    (["list", "--category", "vision", "--limit", "50"], 1),
    (["list", "--category", "计算机视觉", "--limit", "50"], 2),
    (["list", "--category", "vision"], 2),
    (["list"], 1),
    (["list", "--json", "--sort", "title"], 1),
    (["show", "resnet"], 1),
    (["show", "resnet", "--json"], 1),
    (["show", "Swin Transf"], 2),
    (["stats"], 1),
    (["stats", "--json"], 1),
    (["search", "transformer"], 1),
    (["search", "transformer", "--category", "nlp", "--limit", "5"], 1),
    (["videos"], 1),
    (["videos", "--category", "vision"], 2),
    (["trending"], 1),
    # an export: the tables besides the papers in one round trip, then the papers' cursor
    # (declared and its first batch fetched together; one more per 1,000 papers)
    (["export", "json"], 2),
    (["export", "markdown"], 2),
    (["export", "csv"], 1),
    (["export", "bibtex"], 1),
]


@pytest.mark.parametrize(("args", "most"), READS, ids=[" ".join(a) for a, _ in READS])
def test_read_commands_take_few_round_trips(pg_catalog_url: str, proxy: LatencyProxy, args, most) -> None:
    want = Cli(pg_catalog_url).ok(*args).stdout
    proxy.counts.reset()
    got = Cli(proxy.url_for(pg_catalog_url)).ok(*args).stdout
    assert got == want
    assert proxy.counts.statements >= 1
    assert 1 <= _query_trips(proxy) <= most, proxy.counts.messages


def test_schema_check_rides_along_with_the_first_query(pg_catalog_url: str, proxy: LatencyProxy) -> None:
    """A catalog behind this code is refused (nothing shown) in that same round trip."""
    Cli(pg_catalog_url).ok("list", "-n", "1")
    with _raw(pg_catalog_url) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0002'")
    for args in (["list"], ["show", "resnet"], ["stats"], ["search", "gan"], ["list", "-c", "vision", "-n", "5"]):
        proxy.counts.reset()
        result = Cli(proxy.url_for(pg_catalog_url))(*args)
        assert result.exit_code == 1, result.output
        assert result.stdout == ""
        assert "behind this paperread" in result.stderr
        assert _query_trips(proxy) == 1, (args, proxy.counts.messages)


# (command, what it says, round trips it may take after connecting): the numbers README.md's
# group section gives. A single-paper write is one transaction: BEGIN, the schema-version
# check and the lookup of the paper (or video) by key (or id), with the user's own row on it,
# go in one round trip; then each statement that writes; then COMMIT.
WRITES = [
    (["read", "resnet"], "'resnet' is read", 3),
    (["read", "resnet", "--date", "2024-05-01"], "'resnet' is read", 3),
    (["reading", "vgg"], "'vgg' is being read", 3),
    (["note", "resnet", "--append", "see section 4"], "saved your note on 'resnet'", 3),
    (["note", "resnet", "--text", "a new note"], "saved your note on 'resnet'", 3),
    (["note", "--video", "1", "--append", "good"], "saved your note on video 1", 3),
    (["watched", "1"], "video 1 ", 3),
    (["edit", "resnet", "--description", "Residual nets"], "changed 'resnet': description", 4),
    (["mark-recorded", "vit", "--title", "ViT read", "--date", "2026-01-01"], "covering vit", 6),
    # a paper named by something other than its key: the ways of naming it, in one more round
    # trip, then the paper locked by its id
    (["read", "1512.03385"], "'resnet' is read", 5),
]


@pytest.mark.parametrize(("args", "says", "most"), WRITES, ids=[" ".join(a) for a, _, _ in WRITES])
def test_single_paper_writes_take_few_round_trips(pg_catalog_url: str, proxy: LatencyProxy, args, says, most) -> None:
    proxy.counts.reset()
    result = Cli(proxy.url_for(pg_catalog_url)).ok(*args)
    assert says in result.stdout + result.stderr
    assert 1 <= _query_trips(proxy) <= most, proxy.counts.messages
    assert proxy.counts.commits == 1, proxy.counts.messages  # one transaction


def test_unread_and_unwatched_take_as_few(pg_catalog_url: str, proxy: LatencyProxy) -> None:
    cli = Cli(proxy.url_for(pg_catalog_url))
    cli.ok("read", "resnet")
    cli.ok("watched", "2")
    for args, says in ((["unread", "resnet"], "'resnet' is unread"), (["watched", "2", "--undo"], "is not watched")):
        proxy.counts.reset()
        result = cli.ok(*args)
        assert says in result.stdout + result.stderr
        assert _query_trips(proxy) <= 3, proxy.counts.messages
    cli.ok("read", "resnet")
    proxy.counts.reset()  # nothing to change: the lookup, then the COMMIT of nothing
    result = cli.ok("read", "resnet")
    assert "was already read" in result.stdout + result.stderr
    assert _query_trips(proxy) == 2, proxy.counts.messages


def test_a_write_to_a_catalog_behind_is_refused_in_its_first_round_trip(
    pg_catalog_url: str, proxy: LatencyProxy
) -> None:
    """The version check rides with the write's first statement; nothing is written."""
    with _raw(pg_catalog_url) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0002'")
    for args in (
        ["read", "resnet"],
        ["watched", "1"],
        ["note", "vgg", "--append", "x"],
        ["edit", "vgg", "--year", "1999"],
    ):
        proxy.counts.reset()
        result = Cli(proxy.url_for(pg_catalog_url))(*args)
        assert result.exit_code == 1, result.output
        assert "behind this paperread" in result.stderr
        assert _query_trips(proxy) <= 2, (args, proxy.counts.messages)  # the check, then ROLLBACK
    with _raw(pg_catalog_url) as conn:
        conn.execute("UPDATE alembic_version SET version_num = %s", (SCHEMA_HEAD,))
        assert conn.execute("SELECT count(*) FROM reading").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM watched").fetchone()[0] == 0
        assert conn.execute("SELECT year FROM paper WHERE key = 'vgg'").fetchone()[0] != 1999


def test_a_write_to_a_database_without_a_catalog_is_named(pg_url: str) -> None:
    result = Cli(pg_url)("read", "resnet")
    assert result.exit_code == 1
    assert "holds no paperread catalog yet" in result.stderr


def test_a_database_without_a_catalog_is_named(pg_url: str) -> None:
    result = Cli(pg_url)("stats")
    assert result.exit_code == 1
    assert "holds no paperread catalog yet" in result.stderr
    assert "paperread init" in result.stderr


def test_tab_completes_keys_and_slugs_on_postgresql(pg_catalog_url: str, proxy: LatencyProxy) -> None:
    url = proxy.url_for(pg_catalog_url)
    for words, cword, want in (
        (f"paperread --db {url} show res", "4", "resnet"),
        (f"paperread --db {url} list --category vis", "5", "vision"),
    ):
        proxy.counts.reset()
        result = subprocess.run(
            [sys.executable, "-c", PROBE.format(heavy=HEAVY, args=[])],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "_PAPERREAD_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": cword},
        )
        assert want in result.stdout.split(), result.stdout
        assert result.stderr.strip().splitlines()[-1] == "HEAVY=", result.stderr
        assert _query_trips(proxy) == 1, proxy.counts.messages


@pytest.mark.parametrize(
    "args",
    [
        ["list", "--category", "vision", "--limit", "50"],
        ["list", "--json"],
        ["show", "resnet"],
        ["stats", "--json"],
        ["search", "transformer"],
        ["videos"],
        ["trending"],
        ["export", "json"],
    ],
)
def test_read_commands_on_postgresql_stay_light(pg_catalog_url: str, args: list[str]) -> None:
    """No SQLAlchemy, SQLModel, pydantic (or the other heavy ones) on a server's read road either."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY, args=["--db", pg_catalog_url, *args])],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().splitlines()[-1] == "HEAVY=", result.stderr


# ---------------------------------------------------------------------------- the two roads on PostgreSQL


def _typed(value):
    """A value with its type, so that 3 and 3.0, or a str and a datetime, do not pass as equal."""
    if isinstance(value, dict):
        return {k: _typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_typed(v) for v in value]
    return (type(value).__name__, value)


def test_psycopg_road_returns_what_sqlalchemy_returned(pg_catalog_url: str) -> None:
    """Every read query, value for value and type for type, on both roads over one catalog."""
    from tests.test_read_paths import _add_tricky

    _add_tricky(pg_catalog_url)
    target = resolve_target(pg_catalog_url)
    old = open_server_reader(target)
    new = open_pg_reader(target)
    try:
        for filters in ({}, {"category": "vision"}, {"sort": "title"}, {"sort": "citations", "limit": 5}):
            for search in (None, "net", "对比"):
                want = queries.papers(old, user="alice", search=search, **filters)
                assert _typed(queries.papers(new, user="alice", search=search, **filters)) == _typed(want)
        assert _typed(queries.stats(new, user="alice")) == _typed(queries.stats(old, user="alice"))
        assert _typed(queries.videos(new, category="vision")) == _typed(queries.videos(old, category="vision"))
        for paper in queries.papers(old, user="alice"):
            want = queries.paper_detail(old, paper["id"], user="alice")
            assert _typed(queries.show_paper(new, paper["key"], user="alice")) == _typed(want)
        for name in ("resnet", "swin transf", "1512.03385", "RESNET"):
            assert queries.resolve_paper(new, name) == queries.resolve_paper(old, name)

        def export(reader):  # the export's raw values: each driver's own types, the same on both roads
            return _typed(
                [
                    list(queries.export_papers(reader)),
                    queries.export_tables(reader),
                ]
            )

        assert export(new) == export(old)
    finally:
        old.close()
        new.close()


def test_a_stream_longer_than_a_batch(pg_catalog_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from paperread import pgread

    monkeypatch.setattr(pgread, "STREAM_ROWS", 7)
    reader = open_pg_reader(resolve_target(pg_catalog_url))
    try:
        keys = [r["key"] for r in queries.iter_papers(reader, user="u", sort="title")]
        again = [r["key"] for r in queries.iter_papers(reader, user="u", sort="title")]  # a second cursor
        assert len(keys) == 90 and keys == again
    finally:
        reader.close()


def test_named_parameters_become_psycopg_ones() -> None:
    sql = "SELECT x::text FROM t WHERE a = :a AND b LIKE :b ESCAPE '\\' AND c = '100%' AND d = :a"
    assert psycopg_sql(sql) == (
        "SELECT x::text FROM t WHERE a = %(a)s AND b LIKE %(b)s ESCAPE '\\' AND c = '100%%' AND d = %(a)s"
    )
    assert PgReader.dialect == "postgresql"


def _raw(url: str):
    import psycopg

    from paperread.pgread import conninfo

    return psycopg.connect(conninfo(resolve_target(url)), autocommit=True)
