"""Test isolation and shared fixtures.

Every test gets its own HOME and data dir, no PAPERREAD_* settings from the
developer's shell, and an S2 base URL that points nowhere, so nothing touches a
real user database or the network.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from paperread.cli import app
from tests.fake_s2 import fake_s2  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    for name in list(os.environ):
        if name.startswith("PAPERREAD_") and name != "PAPERREAD_TEST_PG_URL" or name == "S2_API_KEY":
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("PAPERREAD_USER", "tester")
    monkeypatch.setenv("PAPERREAD_S2_URL", "http://127.0.0.1:9/graph/v1")  # discard port: never answers
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
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

    def __call__(self, *args: str, input: str | None = None, env: dict[str, str] | None = None):
        return self.runner.invoke(app, ["--db", self.db, *args], input=input, env=env, catch_exceptions=False)

    def ok(self, *args: str, **kwargs):
        result = self(*args, **kwargs)
        assert result.exit_code == 0, f"exit {result.exit_code}\nstdout: {result.stdout}\nstderr: {result.stderr}"
        return result


@pytest.fixture
def cli(builtin_db: Path) -> Cli:
    return Cli(builtin_db)


@pytest.fixture
def empty_cli(db_path: Path) -> Cli:
    Cli(db_path).ok("init", "--empty")
    return Cli(db_path)


def run_paperread(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """paperread in a real subprocess, as a shell runs it."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "paperread", *args],
        capture_output=True, text=True, env=full_env, timeout=timeout, cwd=ROOT,
    )


@pytest.fixture
def run() -> Callable[..., subprocess.CompletedProcess[str]]:
    return run_paperread
