"""A read on a server catalog connects while the rest of paperread is imported (``prefetch``):
the console entry (``start``) opens the connection in a thread, the read takes it. The output,
the errors and the round trips are the same as when the command connects itself."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from paperread.argv import command_name, db_option, word_completed, words_before_cursor
from tests.conftest import Cli

# The console entry, with a record of which thread opened each connection to the server
# (the read road's and the write road's engine both open theirs through psycopg.connect).
PROBE = """
import atexit, sys, threading
import psycopg
opened = []
_connect = psycopg.connect
def watched(*args, **kwargs):
    opened.append(threading.current_thread().name)
    return _connect(*args, **kwargs)
psycopg.connect = watched
atexit.register(lambda: sys.stderr.write("\\nOPENED=" + ",".join(opened) + "\\n"))
sys.argv = ["paperread", *{args!r}]
from paperread.start import main
main()
"""
# The same without looking: whether the driver was imported at all.
PLAIN = """
import atexit, sys
atexit.register(lambda: sys.stderr.write("\\nOPENED= PSYCOPG=" + str("psycopg" in sys.modules) + "\\n"))
sys.argv = ["paperread", *{args!r}]
from paperread.start import main
main()
"""


def _entry(
    args: list[str], env: dict[str, str] | None = None, probe: str = PROBE
) -> tuple[subprocess.CompletedProcess[str], str]:
    """paperread's console entry run on ``args``; the run and its last line of record."""
    result = subprocess.run(
        [sys.executable, "-c", probe.format(args=args)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )
    record = result.stderr.strip().splitlines()[-1]
    result.stderr = result.stderr.rsplit("\nOPENED=", 1)[0]
    return result, record


READS = [
    ["list", "--category", "vision", "--limit", "5"],
    ["show", "resnet"],
    ["stats", "--json"],
    ["search", "transformer"],
    ["videos"],
    ["trending"],
    ["export", "csv"],
]


@pytest.mark.parametrize("args", READS, ids=[" ".join(a) for a in READS])
def test_a_read_on_a_server_takes_the_connection_opened_early(pg_catalog_url: str, args: list[str]) -> None:
    result, record = _entry(["--db", pg_catalog_url, *args])
    assert result.returncode == 0, result.stderr
    assert record == "OPENED=paperread-connect"
    assert result.stdout == Cli(pg_catalog_url).ok(*args).stdout


def test_tab_on_a_server_takes_it_too_but_not_for_an_option(pg_catalog_url: str) -> None:
    def complete(words: str, cword: int) -> tuple[str, str]:
        env = {"_PAPERREAD_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(cword)}
        result, record = _entry([], env)
        return result.stdout, record

    found, record = complete(f"paperread --db {pg_catalog_url} show res", 4)
    assert "resnet" in found.split()
    assert record == "OPENED=paperread-connect"
    found, record = complete(f"paperread --db {pg_catalog_url} mark-recorded vg", 4)  # a write's argument
    assert "vgg" in found.split()
    assert record == "OPENED=paperread-connect"
    found, record = complete(f"paperread --db {pg_catalog_url} show --js", 4)
    assert "--json" in found.split()
    assert record == "OPENED="


WRITES = [
    (["read", "resnet"], ["show", "resnet", "--json"], '"read_status": "read"'),
    (["reading", "vgg"], ["show", "vgg", "--json"], '"read_status": "reading"'),
    (["edit", "alexnet", "--description", "edited early"], ["show", "alexnet"], "edited early"),
    (["note", "bert", "--append", "a line written early"], ["show", "bert"], "a line written early"),
    (["mark-recorded", "adam", "--title", "A video made early", "--date", "2024-05-01"], ["videos"], "made early"),
]


@pytest.mark.parametrize(("args", "look", "says"), WRITES, ids=[" ".join(a[:2]) for a, _, _ in WRITES])
def test_a_write_on_a_server_takes_the_connection_opened_early(
    pg_catalog_url: str, args: list[str], look: list[str], says: str
) -> None:
    result, record = _entry(["--db", pg_catalog_url, *args])
    assert result.returncode == 0, result.stderr
    assert record == "OPENED=paperread-connect"  # one connection, opened during the imports, and written through
    assert says in Cli(pg_catalog_url).ok(*look).stdout


def test_writes_that_read_first_and_help_and_files_open_nothing_early(pg_catalog_url: str, builtin_db: Path) -> None:
    result, record = _entry(["--db", pg_catalog_url, "remove", "resnet"])  # reads first, refuses without --yes
    assert result.returncode == 1 and "--yes" in result.stderr
    assert record == "OPENED=MainThread"
    result, record = _entry(["--db", pg_catalog_url, "list", "--help"], probe=PLAIN)
    assert result.returncode == 0 and "--category" in result.stdout
    assert record == "OPENED= PSYCOPG=False"
    result, record = _entry(["--db", str(builtin_db), "list", "-n", "1"], probe=PLAIN)
    assert result.returncode == 0 and "resnet" in Cli(builtin_db).ok("show", "resnet").stdout
    assert record == "OPENED= PSYCOPG=False"  # a file: no driver imported at all


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens there once this socket is closed


def test_a_server_that_does_not_answer_is_said_as_before() -> None:
    url = f"postgresql+psycopg://nobody@127.0.0.1:{_closed_port()}/nothing"
    result, record = _entry(["--db", url, "stats"])
    assert result.returncode == 1
    assert record == "OPENED=paperread-connect"
    assert "Traceback" not in result.stderr
    assert result.stderr.strip() == Cli(url)("stats").stderr.strip()
    assert result.stderr.startswith(f"error: cannot connect to '{url}'")


def test_a_write_to_a_server_that_does_not_answer_is_said_as_before() -> None:
    url = f"postgresql+psycopg://nobody@127.0.0.1:{_closed_port()}/nothing"
    result, record = _entry(["--db", url, "read", "resnet"])
    assert result.returncode == 1
    assert record == "OPENED=paperread-connect"
    assert "Traceback" not in result.stderr
    assert result.stderr.strip() == Cli(url)("read", "resnet").stderr.strip()
    assert result.stderr.startswith(f"error: cannot write to '{url}'")


def test_the_write_engine_takes_only_a_connection_made_for_it(
    pg_catalog_url: str, request: pytest.FixtureRequest
) -> None:
    """Opened with the engine's own settings: taken; with others (another database): closed and
    not used; a read's connection is not a write's, nor the other way round."""
    from psycopg.conninfo import conninfo_to_dict

    from paperread import pgread
    from paperread.config import resolve_target
    from paperread.engine import session_on

    request.addfinalizer(pgread._close_untaken)  # (a failed step leaves no early connection to later tests)
    target = resolve_target(pg_catalog_url, {})
    pgread.connect_early(target, write=True)
    early = pgread._early
    assert early is not None
    assert pgread._take_early(pgread.conninfo(target)) is None and pgread._early is early  # left for the write
    with session_on(target) as session:
        assert session.connection().connection.dbapi_connection is early.conn
    assert pgread._early is None

    pgread.connect_early(target, write=True)
    early = pgread._early
    assert early is not None
    settings = conninfo_to_dict(early.info)
    assert pgread.take_early_write({**settings, "dbname": "another"}) is None
    assert early.conn is not None and early.conn.closed and pgread._early is None

    pgread.connect_early(target)  # a read's
    early = pgread._early
    assert early is not None
    assert pgread.take_early_write(settings) is None and pgread._early is early


def test_a_bad_database_option_is_the_commands_to_say() -> None:
    for db, says in (("", "is empty"), ("mysql://x@y/z", "scheme 'mysql' is not supported")):
        result, record = _entry(["--db", db, "list"])
        assert result.returncode in (1, 2), result.stderr
        assert says in result.stderr
        assert record == "OPENED="


@pytest.mark.parametrize(
    ("args", "name", "db"),
    [
        (["list"], "list", None),
        (["--db", "x.db", "show", "resnet"], "show", "x.db"),
        (["--db=pg://h/d", "--no-pager", "stats"], "stats", "pg://h/d"),
        (["--no-pager", "--db", "a", "--db", "b", "list", "--db", "c"], "list", "b"),
        (["--version"], None, None),
        ([], None, None),
        (["--db"], None, None),
    ],
)
def test_the_words_before_typer(args: list[str], name: str | None, db: str | None) -> None:
    assert command_name(args) == name
    assert db_option(args) == db


def test_the_words_a_shell_completes() -> None:
    bash = {
        "_PAPERREAD_COMPLETE": "complete_bash",
        "COMP_WORDS": "paperread --db 'my file.db' show res",
        "COMP_CWORD": "4",
    }
    assert words_before_cursor(["ignored"], bash) == ["--db", "my file.db", "show"]
    assert word_completed(bash) == "res"
    assert word_completed({**bash, "COMP_CWORD": "5"}) == ""  # a new word after the last
    zsh = {"_PAPERREAD_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "paperread list --category vis"}
    assert words_before_cursor([], zsh) == ["list", "--category"]
    assert word_completed(zsh) == "vis"
    assert word_completed({**zsh, "_TYPER_COMPLETE_ARGS": "paperread list "}) == ""
    assert words_before_cursor([], {**bash, "COMP_WORDS": "paperread 'unbalanced"}) == []
    assert word_completed({}) is None and words_before_cursor(["a"], {}) == ["a"]
