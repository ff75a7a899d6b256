"""Test isolation and shared fixtures.

Every test gets its own HOME and data dir, no PAPERREAD_* settings from the
developer's shell, and an S2 base URL that points nowhere, so nothing touches a
real user database or the network.

Back ends: the backend-neutral fixtures (``backend``, ``backend_url``, ``empty_url``,
``cli``, ``empty_cli``) are parametrized over SQLite and PostgreSQL, so every test using
them runs on both. The PostgreSQL variants run on the server PAPERREAD_TEST_PG_URL names
(e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test), each on a fresh database copied
from a session template (tests/pgserver.py); they are skipped only when it is unset.
Tests about SQLite files as such use ``builtin_db`` / ``db_path``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from paperread.cli import app
from tests.fake_s2 import fake_s2  # noqa: F401  (fixture)
from tests.fake_video_apis import fake_bilibili, fake_youtube  # noqa: F401  (fixtures)
from tests.pgserver import PG_URL_ENV, PgServer

ROOT = Path(__file__).resolve().parent.parent


def _build_the_command_tree_once() -> None:
    """Typer rebuilds the click command tree from the signatures on every invoke (~0.15 s
    for paperread, most of an in-process command). A program builds it once per process;
    the tests, invoking thousands of commands in one process, reuse the first one too."""
    import typer.testing

    build = getattr(typer.testing, "_get_command", None)
    if build is None:  # Typer changed: just run slower
        return
    built: dict[int, object] = {}

    def cached(typer_app):
        key = id(typer_app)
        if key not in built:
            built[key] = build(typer_app)
        return built[key]

    typer.testing._get_command = cached


_build_the_command_tree_once()


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    for name in list(os.environ):
        if (name.startswith("PAPERREAD_") and name != "PAPERREAD_TEST_PG_URL") or name in (
            "S2_API_KEY",
            "YOUTUBE_API_KEY",
        ):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("PAPERREAD_USER", "tester")
    monkeypatch.setenv("PAPERREAD_S2_URL", "http://127.0.0.1:9/graph/v1")  # discard port: never answers
    monkeypatch.setenv("PAPERREAD_BILIBILI_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("PAPERREAD_YOUTUBE_URL", "http://127.0.0.1:9/youtube/v3")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    # Temporary files paperread keeps (an edited note it could not save) stay in the test's folder.
    scratch = home / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    return home


@pytest.fixture(scope="session")
def _builtin_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built-in catalog prepared once; tests get copies."""
    path = tmp_path_factory.mktemp("template") / "builtin.db"
    result = CliRunner().invoke(app, ["--db", str(path), "init"])
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A path for a new database (nothing there yet)."""
    return tmp_path / "catalog.db"


@pytest.fixture
def builtin_db(tmp_path: Path, _builtin_template: Path) -> Path:
    """A database holding the built-in catalog, private to the test."""
    path = tmp_path / "builtin.db"
    shutil.copy(_builtin_template, path)
    return path


class Cli:
    """Runs paperread in-process on one database; returns click's Result."""

    def __init__(self, db: Path | str) -> None:
        self.db = str(db)
        self.runner = CliRunner()

    @property
    def backend(self) -> str:
        return "postgresql" if self.db.startswith("postgresql") else "sqlite"

    def __call__(self, *args: str, input: str | None = None, env: dict[str, str] | None = None):
        return self.runner.invoke(app, ["--db", self.db, *args], input=input, env=env, catch_exceptions=False)

    def ok(self, *args: str, **kwargs):
        result = self(*args, **kwargs)
        assert result.exit_code == 0, f"exit {result.exit_code}\nstdout: {result.stdout}\nstderr: {result.stderr}"
        return result


# ---------------------------------------------------------------------------- back ends

BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def pg_server():
    """This session's databases on the PostgreSQL test server; all dropped at the end."""
    url = os.environ.get(PG_URL_ENV)
    if not url:
        pytest.skip(f"{PG_URL_ENV} is not set: PostgreSQL variants skipped (set it to a postgresql+psycopg:// URL)")
    try:
        server = PgServer(url)
    except Exception as exc:  # set but not answering: every PostgreSQL variant fails with this line
        problem = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    else:
        problem = None
    if problem is not None:
        from paperread.config import mask_password

        pytest.fail(f"{PG_URL_ENV}={mask_password(url)} does not answer: {problem}", pytrace=False)
    yield server
    server.close()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """'sqlite' or 'postgresql': a test asking for it (or for cli...) runs once per back end."""
    return request.param


def _init_with(*args: str) -> Callable[[str], None]:
    def prepare(url: str) -> None:
        result = CliRunner().invoke(app, ["--db", url, "init", *args])
        assert result.exit_code == 0, result.output

    return prepare


def _pg_copy(request: pytest.FixtureRequest, kind: str, prepare: Callable[[str], None]) -> str:
    server: PgServer = request.getfixturevalue("pg_server")
    return server.copy(kind, prepare)  # dropped at the end of the session


@pytest.fixture
def backend_url(backend: str, request: pytest.FixtureRequest) -> str:
    """The built-in catalog, private to the test: a file path, or a PostgreSQL URL."""
    if backend == "sqlite":
        return str(request.getfixturevalue("builtin_db"))
    return _pg_copy(request, "builtin", _init_with())


@pytest.fixture
def empty_url(backend: str, request: pytest.FixtureRequest) -> str:
    """An empty catalog (schema only), private to the test: a file path, or a PostgreSQL URL."""
    if backend == "sqlite":
        path = request.getfixturevalue("db_path")
        Cli(path).ok("init", "--empty")
        return str(path)
    return _pg_copy(request, "empty", _init_with("--empty"))


@pytest.fixture
def pg_catalog_url(request: pytest.FixtureRequest) -> str:
    """The built-in catalog on PostgreSQL only, for tests about server databases as such."""
    return _pg_copy(request, "builtin", _init_with())


@pytest.fixture
def pg_url(request: pytest.FixtureRequest) -> str:
    """A new, EMPTY PostgreSQL database (no schema at all), for init and upgrade tests."""
    server: PgServer = request.getfixturevalue("pg_server")
    return server.url_of(server.create("bare"))


@pytest.fixture
def cli(backend_url: str) -> Cli:
    return Cli(backend_url)


@pytest.fixture
def empty_cli(empty_url: str) -> Cli:
    return Cli(empty_url)


def run_paperread(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """paperread in a real subprocess, as a shell runs it."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "paperread", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
        cwd=ROOT,
    )


@pytest.fixture
def run() -> Callable[..., subprocess.CompletedProcess[str]]:
    return run_paperread
