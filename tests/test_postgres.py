"""A shared catalog on PostgreSQL: creating it, upgrades that are never implicit,
search without pg_trgm, and error paths that never print a password.

The backend-neutral tests (``cli`` and friends) already run every command on PostgreSQL;
these are the things only a server database has.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from sqlalchemy import text

from paperread.config import resolve_target
from paperread.db import SCHEMA_HEAD
from paperread.engine import alembic_config, make_engine
from tests.conftest import ROOT, Cli
from tests.pgserver import PgServer

SECRET = "s3cr3t-Pa55"


def _one_error_line(result, *, secret: str = SECRET) -> str:
    """A failure is `error: ...` (+ an optional `hint: ...`), exit 1, no traceback, no password."""
    assert result.exit_code == 1, (result.exit_code, result.output)
    lines = result.stderr.strip().splitlines()
    assert 1 <= len(lines) <= 2, lines
    assert lines[0].startswith("error: ")
    assert len(lines) == 1 or lines[1].startswith("hint: ")
    assert secret not in result.output
    assert "Traceback" not in result.output
    return lines[0]


# ---------------------------------------------------------------------------- error paths (no server needed)


@pytest.mark.parametrize(
    ("url", "says"),
    [
        (f"postgresql://alice:{SECRET}@127.0.0.1:1/catalog", "cannot connect to"),  # refused
        (f"postgresql+psycopg://alice:{SECRET}@no-such-host.invalid/catalog", "cannot connect to"),
        (f"postgresql://alice:{SECRET}@127.0.0.1:99999/catalog", "cannot connect to"),  # port out of range
        (f"postgresql://alice:{SECRET}@127.0.0.1:port/catalog", "invalid database URL"),  # not a number
        (f"postgresql://alice@127.0.0.1:1/catalog?password={SECRET}", "cannot connect to"),
    ],
)
@pytest.mark.parametrize("command", [["list"], ["stats", "--json"], ["init"], ["db", "upgrade"], ["db", "current"]])
def test_unreachable_server_is_one_masked_line(url: str, says: str, command: list[str]) -> None:
    result = Cli(url)(*command)
    line = _one_error_line(result)
    assert says in line
    assert "***" in line
    assert result.stdout == ""


def test_password_with_at_sign_is_masked() -> None:
    result = Cli("postgresql://alice:p@ss-w0rd@127.0.0.1:1/catalog")("list")
    _one_error_line(result, secret="ss-w0rd")


def test_missing_driver_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m == "psycopg" or m.startswith("psycopg.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg -> ImportError
    result = Cli(f"postgresql://alice:{SECRET}@127.0.0.1:5432/catalog")("list")
    line = _one_error_line(result)
    assert "no driver" in line and "psycopg is not installed" in line
    assert "paperread[postgres]" in result.stderr


def test_missing_driver_in_a_real_process(tmp_path) -> None:
    """Without psycopg installed (simulated by a module that fails to import)."""
    fake = tmp_path / "psycopg"
    fake.mkdir()
    (fake / "__init__.py").write_text("raise ImportError('No module named psycopg', name='psycopg')\n")
    result = subprocess.run(
        [sys.executable, "-m", "paperread", "--db", f"postgresql://u:{SECRET}@127.0.0.1/x", "stats"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        env={**__import__("os").environ, "PYTHONPATH": f"{tmp_path}:{ROOT}"},
    )
    assert result.returncode == 1
    assert result.stderr.startswith("error: no driver for 'postgresql+psycopg://u:***@127.0.0.1/x'")
    assert SECRET not in result.stderr


# ---------------------------------------------------------------------------- a new shared catalog


def test_commands_on_an_empty_server_database_say_init(pg_url: str) -> None:
    cli = Cli(pg_url)
    line = _one_error_line(cli("list"))
    assert "holds no paperread catalog yet" in line
    assert "paperread init" in cli("list").stderr
    assert cli.ok("db", "current").stdout == "none\n"
    assert "schema is missing" in _one_error_line(cli("db", "check"))


def test_init_creates_schema_and_builtin_catalog(pg_url: str) -> None:
    cli = Cli(pg_url)
    created = cli.ok("init")
    assert "90 papers in 12 categories, 59 videos" in created.stderr
    assert cli.ok("db", "current").stdout.strip() == SCHEMA_HEAD
    cli.ok("db", "check")
    assert json.loads(cli.ok("stats", "--json").stdout)["papers"] == 90
    assert "already holds" in cli.ok("init").stderr
    engine = make_engine(resolve_target(pg_url))
    with engine.connect() as conn:
        indexes = set(conn.execute(text("SELECT indexname FROM pg_indexes WHERE tablename = 'paper'")).scalars())
    engine.dispose()
    assert {"ix_paper_trgm_key", "ix_paper_trgm_title", "ix_paper_trgm_description"} <= indexes
    assert "keeps its search indexes in step itself" in cli.ok("db", "reindex").stderr


def test_two_people_running_init_at_once(pg_url: str) -> None:
    """The schema lock makes the second wait, then find the catalog there."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "paperread", "--db", pg_url, "init"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        for _ in range(3)
    ]
    outcomes = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    for p in procs:
        p.stdout.close()
        p.stderr.close()
    assert [code for code, _ in outcomes] == [0, 0, 0], outcomes
    assert sum("created" in err for _, err in outcomes) == 1
    assert sum("already holds" in err for _, err in outcomes) == 2
    assert json.loads(Cli(pg_url).ok("stats", "--json").stdout)["papers"] == 90


# ---------------------------------------------------------------------------- upgrades are explicit


def _downgrade(url: str, revision: str) -> None:
    from alembic import command

    engine = make_engine(resolve_target(url))
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), revision)
    engine.dispose()


def test_behind_database_is_never_upgraded_implicitly(pg_catalog_url: str) -> None:
    backend_url = pg_catalog_url
    cli = Cli(backend_url)
    engine = make_engine(resolve_target(backend_url))
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO reading (user_name, paper_id, status, note, updated_at)"
                " SELECT 'tester', id, 'read', 'residual *connections*', now() FROM paper WHERE key = 'resnet'"
            )
        )
    engine.dispose()
    _downgrade(backend_url, "0001")
    for command in (["list"], ["show", "resnet"], ["stats"], ["search", "transformer"]):
        line = _one_error_line(cli(*command))
        assert "has schema 0001, behind this paperread" in line
        assert "paperread db upgrade" in cli(*command).stderr
    assert cli.ok("db", "current").stdout.strip() == "0001"
    assert f"needs {SCHEMA_HEAD}" in _one_error_line(cli("db", "check"))
    upgraded = cli.ok("db", "upgrade")
    assert f"from 0001 to {SCHEMA_HEAD}" in upgraded.stderr
    assert "up to date" in cli.ok("db", "upgrade").stderr
    cli.ok("db", "check")
    assert {"resnet"} <= {r["key"] for r in json.loads(cli.ok("search", "resnet", "--json").stdout)}
    paper = json.loads(cli.ok("show", "resnet", "--json").stdout)
    assert (paper["read_status"], paper["note"]) == ("read", "residual *connections*")


def test_newer_database_is_refused(pg_catalog_url: str) -> None:
    backend_url = pg_catalog_url
    engine = make_engine(resolve_target(backend_url))
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    for command in (["list"], ["db", "upgrade"], ["db", "check"], ["init"]):
        assert "newer than this paperread knows" in _one_error_line(Cli(backend_url)(*command))


# ---------------------------------------------------------------------------- without pg_trgm


@pytest.fixture
def unprivileged_url(pg_server: PgServer, pg_url: str) -> str:
    """A bare database and a role that may create tables in it but not extensions."""
    import psycopg

    try:
        role = pg_server.create_role(SECRET)
    except psycopg.errors.InsufficientPrivilege as exc:
        pytest.skip(f"the test user may not create roles: {exc}")
    pg_server.execute_in(pg_url, f'GRANT USAGE, CREATE ON SCHEMA public TO "{role}"')
    return pg_server.url_as(pg_url, role, SECRET)


def test_search_without_pg_trgm_falls_back_cleanly(unprivileged_url: str, backend_url: str) -> None:
    cli = Cli(unprivileged_url)
    created = cli.ok("init")
    assert "pg_trgm extension is not available" in created.stderr
    assert SECRET not in created.output
    cli.ok("db", "check")
    assert cli.ok("db", "current").stdout.strip() == SCHEMA_HEAD
    reference = Cli(backend_url)  # the same catalog, indexed (SQLite or PostgreSQL with pg_trgm)
    for words in ("transformer", "gan", "3D", "对比学习", "Net", "zzzz"):
        got = [r["key"] for r in json.loads(cli.ok("search", words, "--json").stdout)]
        want = [r["key"] for r in json.loads(reference.ok("search", words, "--json").stdout)]
        assert got == want, words
