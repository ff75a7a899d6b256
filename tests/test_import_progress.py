"""An import's progress: its phases on stderr when that is a terminal (seen through a
pseudo-terminal at 80 columns), nothing when piped, nothing but errors with --quiet."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bench.synth import make_document
from paperread.terminal import cell_width
from tests.conftest import ROOT
from tests.ptyrun import ANSI, run_in_pty

PHASES = ("reading", "planning", "writing", "building the search index")
PROGRESS = re.compile(r"\d+:\d\d:\d\d (reading|planning|writing|building the search index) \(")  # time, phase, (file
NO_PAGER = {"PAGER": "cat", "NO_COLOR": "1"}


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A catalog document of 3,000 papers none of which the built-in catalog holds."""
    path = tmp_path_factory.mktemp("progress") / "big.json"
    path.write_text(json.dumps(make_document(3000, seed=15)), encoding="utf-8")
    return path


def _papers(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT count(*) FROM paper").fetchone()[0]


def _shown(raw: str) -> list[str]:
    """Every state the terminal's line went through (rich redraws it after a carriage return)."""
    return [ANSI.sub("", part) for part in re.split(r"\r|\n", raw) if ANSI.sub("", part).strip()]


def test_a_terminal_sees_each_phase_of_a_long_import_at_80_columns(builtin_db: Path, big: Path) -> None:
    result = run_in_pty("--db", str(builtin_db), "import", str(big), columns=80, env=NO_PAGER)
    assert result.returncode == 0, result.text
    shown = _shown(result.raw)
    progress = [line for line in shown if PROGRESS.search(line)]
    phases = [m.group(1) for line in progress for m in [PROGRESS.search(line)] if m]
    assert set(phases) == set(PHASES), progress[-5:]
    # in the order the import goes through them
    assert [phases.index(phase) for phase in PHASES] == sorted(phases.index(phase) for phase in PHASES)
    assert max(cell_width(line) for line in progress) <= 80, [line for line in progress if cell_width(line) > 80]
    # the progress is gone when the report comes: its first line starts a line of its own
    assert any(line.startswith(f"imported {big} (json)") for line in shown)
    assert _papers(builtin_db) == 90 + 3000


def test_piped_stderr_holds_no_progress_and_rich_progress_is_not_imported(builtin_db: Path, big: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "paperread", "--db", str(builtin_db), "import", str(big)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith(f"imported {big} (json)")
    assert "\x1b" not in done.stderr and "\r" not in done.stderr
    assert not PROGRESS.search(done.stderr) and f"({big})" not in done.stderr
    assert _papers(builtin_db) == 90 + 3000
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from paperread.cli import app\n"
        f"r = CliRunner().invoke(app, ['--db', {str(builtin_db)!r}, 'import', {str(big)!r}])\n"
        "assert r.exit_code == 0, r.output\n"
        "print('rich.progress' in sys.modules)\n"
    )
    imported = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert imported.stdout.strip() == "False", imported.stderr


def test_quiet_prints_nothing_but_errors(builtin_db: Path, big: Path, tmp_path: Path) -> None:
    result = run_in_pty("--db", str(builtin_db), "import", "--quiet", str(big), columns=80, env=NO_PAGER)
    assert result.returncode == 0, result.text
    assert result.text.strip() == ""
    assert _papers(builtin_db) == 90 + 3000
    # piped, a file with an unreadable row: its warning is not printed, the rest is imported
    csv = tmp_path / "papers.csv"
    csv.write_text("key,title,year\nfresh-one,A Fresh Paper,2020\nbad-year,Bad Year,not-a-year\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "paperread", "--db", str(builtin_db), "import", "-q", str(csv)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode == 0 and done.stderr == "" and done.stdout == "", done.stderr
    # an error is still shown, on the terminal too
    result = run_in_pty("--db", str(tmp_path / "none.db"), "import", "-q", str(big), columns=80, env=NO_PAGER)
    assert result.returncode == 1
    assert result.text.strip().startswith("error: database") and "does not exist" in result.text
    assert not PROGRESS.search(result.text)
