"""Values a reviewer threw at the CLI: numbers past what a column holds, empty strings where
a path, a name or some text belongs, and an edited note whose save fails.

Each is refused with one line naming the value and what is accepted, writes nothing (no
database is made either), and the text typed in the editor survives a failed save.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shlex
import sys
import tempfile
from pathlib import Path

import pytest

from paperread import values
from paperread.cli import app
from paperread.commands import COUNT_MAX
from paperread.limits import USER_MAX
from tests.conftest import ROOT, Cli
from tests.test_curate import assert_refused, dump

NEXT_YEAR = dt.date.today().year + 1
HUGE = "99999999999999999999"  # beyond 64 bits: SQLite's OverflowError before the fix


def refused(result, fragment: str, exit_code: int = 1) -> list[str]:
    """One 'error: ...' line holding ``fragment`` (maybe a hint), no traceback; the lines."""
    assert result.exit_code == exit_code, (result.exit_code, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert lines and lines[0].startswith("error: ") and fragment in lines[0], result.stderr
    assert all(line.startswith(("error: ", "hint: ")) for line in lines), result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.output
    return lines


# ---------------------------------------------------------------------------- whole numbers

YEAR_RANGE = f"is not a year between 1 and {NEXT_YEAR}"
OUT_OF_RANGE = [
    (["list", "--year", HUGE], f"year '{HUGE}' {YEAR_RANGE}", 2),
    (["list", "--since", HUGE], f"year '{HUGE}' {YEAR_RANGE}", 2),
    (["list", "--year", "-5"], f"year '-5' {YEAR_RANGE}", 2),
    (["list", "--year", "0"], f"year '0' {YEAR_RANGE}", 2),
    (["list", "--since", "10000"], f"year '10000' {YEAR_RANGE}", 2),
    (["list", "--year", str(NEXT_YEAR + 1)], f"year '{NEXT_YEAR + 1}' {YEAR_RANGE}", 2),
    (["list", "--year", ""], f"year '' {YEAR_RANGE}", 2),
    (["list", "--limit", HUGE], f"{HUGE} is not in the range 1<=x<={COUNT_MAX}", 2),
    (["list", "--limit", str(COUNT_MAX + 1)], f"{COUNT_MAX + 1} is not in the range 1<=x<={COUNT_MAX}", 2),
    (["list", "--limit", "-3"], "-3 is not in the range 1<=x<=", 2),
    (["search", "net", "--limit", HUGE], f"{HUGE} is not in the range 1<=x<={COUNT_MAX}", 2),
    (["trending", "--limit", HUGE], f"{HUGE} is not in the range 1<=x<={COUNT_MAX}", 2),
    (["watched", HUGE], f"video '{HUGE}' is neither a video id (a whole number up to {COUNT_MAX})", 2),
    (["watched", str(COUNT_MAX + 1)], f"video '{COUNT_MAX + 1}' is neither a video id", 2),
    (["watched", "9" * 5000], "is neither a video id", 2),  # past int()'s 4,300 digits
    (["video", "edit", HUGE, "--title", "x"], f"video '{HUGE}' is neither a video id", 2),
    (["video", "remove", HUGE], f"video '{HUGE}' is neither a video id", 2),
    (["sync-citations", "--dry-run", "--stale-after", "999999w"], "period '999999w' is longer than 36500d", 2),
    (["trending", "--since", "999999w"], "'999999w' is neither a period", 2),
]


@pytest.mark.parametrize(
    ("args", "fragment", "exit_code"), OUT_OF_RANGE, ids=[" ".join(a)[:50] for a, _, _ in OUT_OF_RANGE]
)
def test_numbers_out_of_range_are_refused(cli: Cli, args: list[str], fragment: str, exit_code: int) -> None:
    before = dump(cli)
    refused(cli(*args), fragment, exit_code)
    assert dump(cli) == before


def test_the_largest_numbers_are_taken(cli: Cli) -> None:
    assert len(json.loads(cli.ok("list", "--limit", str(COUNT_MAX), "--json").stdout)) == 90
    assert len(json.loads(cli.ok("search", "net", "--limit", str(COUNT_MAX), "--json").stdout)) > 1
    cli.ok("trending", "--limit", str(COUNT_MAX))
    assert {p["year"] for p in json.loads(cli.ok("list", "--year", "2014", "--json").stdout)} == {2014}
    refused(cli("watched", str(COUNT_MAX)), f"no video matches '{COUNT_MAX}'")
    assert "is watched" in cli.ok("watched", "0001").stderr  # leading zeros: video 1
    cli.ok("sync-citations", "--dry-run", "--stale-after", f"{values.PERIOD_MAX_DAYS}d")


def _params(command, path: str = "paperread"):
    for param in command.params:
        yield path, param
    for name, sub in (getattr(command, "commands", None) or {}).items():
        yield from _params(sub, f"{path} {name}")


def test_every_whole_number_of_every_command_is_bounded() -> None:
    """A new integer option or argument anywhere gets the same ceiling (or this fails)."""
    from typer.main import get_command

    ints = [
        (path, param)
        for path, param in _params(get_command(app))
        if any(c.__name__ == "IntParamType" for c in type(param.type).__mro__)
    ]
    assert {(path, param.name) for path, param in ints} >= {
        ("paperread list", "limit"),
        ("paperread search", "limit"),
        ("paperread trending", "limit"),
    }
    for path, param in ints:  # a plain int (no min= nor max=) has no bounds at all
        assert getattr(param.type, "max", None) is not None and param.type.max <= COUNT_MAX, (path, param.name)
        assert getattr(param.type, "min", None) is not None and param.type.min >= 0, (path, param.name)


# ---------------------------------------------------------------------------- empty values


def test_empty_db_is_refused_and_the_default_database_is_not_made(isolated_env: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    runner = CliRunner()
    data_dir = isolated_env / ".local" / "share"
    for args, env, fragment in [
        (["--db", "", "list"], {}, "database path '' given with --db is empty"),
        (["--db", "  ", "init"], {}, "database path '  ' given with --db is empty"),
        (["--db=", "note", "vit", "--text", "x"], {}, "given with --db is empty"),
        (["list"], {"PAPERREAD_DB": ""}, "database path '' in PAPERREAD_DB is empty"),
        (["init"], {"PAPERREAD_DB": " "}, "in PAPERREAD_DB is empty"),
        (["--db", "", "stats"], {"PAPERREAD_DB": str(tmp_path / "other.db")}, "given with --db is empty"),
    ]:
        refused(runner.invoke(app, args, env=env, catch_exceptions=False), fragment)
    assert not data_dir.exists() or not any(data_dir.rglob("*.db"))
    assert not (tmp_path / "other.db").exists()


def test_blank_user_name_is_refused_before_a_database_is_made(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERREAD_USER", "")
    refused(Cli(db_path)("list"), "user name '' in PAPERREAD_USER is empty")
    refused(Cli(db_path)("read", "vit"), "user name '' in PAPERREAD_USER is empty")
    monkeypatch.setenv("PAPERREAD_USER", "u" * (USER_MAX + 1))
    refused(Cli(db_path)("stats"), f"is longer than {USER_MAX} characters")
    assert not db_path.exists()


EMPTY = [
    (["list", "--category", ""], "category '' is empty: give a category slug"),
    (["list", "-c", "  "], "category '  ' is empty"),
    (["search", "net", "--category", ""], "category '' is empty"),
    (["videos", "--category", ""], "category '' is empty"),
    (["trending", "--category", ""], "category '' is empty"),
    (["sync-citations", "--dry-run", "--category", ""], "category '' is empty"),
    (["list", "--search", ""], "search text '' is empty"),
    (["list", "-s", " "], "search text ' ' is empty"),
    (["show", ""], "paper '' is empty: give its key"),
    (["read", " "], "paper ' ' is empty"),
    (["note", "", "--text", "x"], "paper '' is empty"),
    (["open", ""], "paper '' is empty"),
    (["edit", "", "--title", "x"], "paper '' is empty"),
    (["remove", "", "--yes"], "paper '' is empty"),
    (["watched", ""], "video '' is empty"),
    (["video", "remove", " "], "video ' ' is empty"),
    (["export", "json", "-o", ""], "output path '' is empty"),
    (["export", "csv", "--output", "  "], "output path '  ' is empty"),
    (["import", ""], "file name '' is empty"),
    (["note", "vit", "--file", ""], "note file name '' is empty"),
]


@pytest.mark.parametrize(("args", "fragment"), EMPTY, ids=[" ".join(a)[:50] for a, _ in EMPTY])
def test_empty_values_are_refused(cli: Cli, args: list[str], fragment: str) -> None:
    assert_refused(cli, args, fragment, 2)  # a bad value on the command line: a usage error


@pytest.mark.parametrize(("args", "fragment"), EMPTY, ids=[" ".join(a)[:50] for a, _ in EMPTY])
def test_empty_values_make_no_database(db_path: Path, tmp_path: Path, args: list[str], fragment: str) -> None:
    refused(Cli(db_path)(*args), fragment, 2)
    assert not db_path.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home"]  # no export file either


def test_search_needs_text_and_empty_text_still_clears_a_note(cli: Cli) -> None:
    assert_refused(cli, ["search", ""], "search needs some text", 2)
    cli.ok("note", "vit", "--text", "keep me")
    assert "cleared your note on 'vit'" in cli.ok("note", "vit", "--text", "").stderr  # documented
    assert json.loads(cli.ok("show", "vit", "--json").stdout)["note"] is None


# ---------------------------------------------------------------------------- note --file


def test_note_from_a_file_and_from_stdin(cli: Cli, tmp_path: Path) -> None:
    note = tmp_path / "n.md"
    note.write_text("# Mine\n\nline 🎉\n", encoding="utf-8")
    assert "saved your note on 'vit'" in cli.ok("note", "vit", "--file", str(note)).stderr
    assert json.loads(cli.ok("show", "vit", "--json").stdout)["note"] == "# Mine\n\nline 🎉\n"
    cli.ok("note", "vit", "--file", "-", input="from stdin\n")
    assert json.loads(cli.ok("show", "vit", "--json").stdout)["note"] == "from stdin\n"
    note.write_text("", encoding="utf-8")
    assert "cleared your note" in cli.ok("note", "vit", "--file", str(note)).stderr


def test_note_file_problems(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "latin1.md"
    bad.write_bytes("café".encode("latin-1"))
    nul = tmp_path / "nul.md"
    nul.write_bytes(b"a\x00b")
    assert_refused(cli, ["note", "vit", "--file", str(tmp_path / "missing.md")], "does not exist")
    assert_refused(cli, ["note", "vit", "--file", str(tmp_path)], "is a folder, not a file")
    assert_refused(cli, ["note", "vit", "--file", str(bad)], "is not UTF-8 text")
    assert_refused(cli, ["note", "vit", "--file", str(nul)], "holds a NUL character (\\x00)")
    assert_refused(cli, ["note", "vit", "--text", "x", "--file", str(bad)], "--text and --file do not go together", 2)


# ---------------------------------------------------------------------------- the editor's text survives


@pytest.fixture
def kept_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The temporary folder the note command edits in (and keeps a failed edit in)."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def editor_running(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Cli, *, before: list[str] | None, text: str, status: int = 0
) -> None:
    """EDITOR = a script that runs ``paperread --db DB <before>`` (a change made elsewhere
    meanwhile), then writes ``text`` into the file it was given and exits with ``status``."""
    script = tmp_path / "ed.py"
    other = [sys.executable, "-m", "paperread", "--db", cli.db, *before] if before else None
    script.write_text(
        "import pathlib, subprocess, sys\n"
        f"other = {other!r}\n"
        f"if other: subprocess.run(other, check=True, cwd={str(ROOT)!r})\n"
        f"pathlib.Path(sys.argv[-1]).write_text({text!r}, encoding='utf-8')\n"
        f"sys.exit({status})\n",
        encoding="utf-8",
    )
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}")


def kept_file(lines: list[str]) -> Path:
    """The file the hint names as holding what was typed."""
    hint = next(line for line in lines if line.startswith("hint: "))
    path = Path(hint.split("what you wrote is kept in ", 1)[1].split(";", 1)[0])
    assert path.is_file(), hint
    return path


def retry_command(lines: list[str]) -> list[str]:
    """The arguments of the last command the hint gives ('paperread ARGS')."""
    hint = next(line for line in lines if line.startswith("hint: "))
    return shlex.split(hint.rsplit("'paperread ", 1)[1].removesuffix("'"))


def test_edit_kept_when_the_note_changed_meanwhile(
    cli: Cli, tmp_path: Path, kept_in: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor_running(tmp_path, monkeypatch, cli, before=["note", "vit", "--append", "x"], text="my long thought\n")
    lines = refused(cli("note", "vit"), "your note on 'vit' changed while it was being edited; nothing was written")
    assert json.loads(cli.ok("show", "vit", "--json").stdout)["note"] == "x"
    path = kept_file(lines)
    assert path.parent.parent == kept_in
    assert path.read_text(encoding="utf-8") == "my long thought\n"
    db = cli.db if cli.backend == "postgresql" else str(Path(cli.db).absolute())
    assert f"see the note as it is now with '{shlex.join(['paperread', '--db', db, 'show', 'vit'])}'" in lines[1]
    # The command the hint gives saves it.
    command = retry_command(lines)
    assert command == ["--db", db, "note", "vit", "--file", str(path)]
    assert "saved your note on 'vit'" in Cli(command[1]).ok(*command[2:]).stderr
    assert json.loads(cli.ok("show", "vit", "--json").stdout)["note"] == "my long thought\n"


def test_edit_kept_when_the_paper_is_gone_or_the_text_is_refused(
    cli: Cli, tmp_path: Path, kept_in: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Once 'vit' is removed, the name 'vit' is a title fragment of 'groupvit': not a paper to write on.
    editor_running(tmp_path, monkeypatch, cli, before=["remove", "vit", "--yes"], text="about vit\n")
    lines = refused(cli("note", "vit"), "paper 'vit' was removed or renamed while its note was being edited")
    assert kept_file(lines).read_text(encoding="utf-8") == "about vit\n"
    assert retry_command(lines)[-4:] == ["note", "KEY", "--file", str(kept_file(lines))]
    assert json.loads(cli.ok("show", "groupvit", "--json").stdout)["note"] is None
    editor_running(tmp_path, monkeypatch, cli, before=["edit", "clip", "--key", "clip-2021"], text="about clip\n")
    lines = refused(cli("note", "clip"), "paper 'clip' was removed or renamed")
    assert kept_file(lines).read_text(encoding="utf-8") == "about clip\n"
    assert json.loads(cli.ok("show", "clip-2021", "--json").stdout)["note"] is None
    editor_running(tmp_path, monkeypatch, cli, before=None, text="bad \x00 byte")
    lines = refused(cli("note", "resnet"), "holds a NUL character (\\x00)")
    assert kept_file(lines).read_text(encoding="utf-8") == "bad \x00 byte"
    assert json.loads(cli.ok("show", "resnet", "--json").stdout)["note"] is None


def test_edit_kept_when_the_editor_fails_after_writing(
    cli: Cli, tmp_path: Path, kept_in: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli.ok("note", "vit", "--text", "precious")
    editor_running(tmp_path, monkeypatch, cli, before=None, text="half done", status=3)
    lines = refused(cli("note", "vit"), "exited with status 3; your note was left as it was")
    assert kept_file(lines).read_text(encoding="utf-8") == "half done"
    assert json.loads(cli.ok("show", "vit", "--json").stdout)["note"] == "precious"


def test_nothing_kept_when_all_goes_well_or_nothing_was_typed(
    cli: Cli, tmp_path: Path, kept_in: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor_running(tmp_path, monkeypatch, cli, before=None, text="fine\n")
    assert "saved your note on 'vit'" in cli.ok("note", "vit").stderr
    editor_running(tmp_path, monkeypatch, cli, before=None, text="fine\n")
    assert "unchanged" in cli.ok("note", "vit").stderr
    editor_running(tmp_path, monkeypatch, cli, before=None, text="fine\n", status=1)  # wrote the same text
    lines = refused(cli("note", "vit"), "exited with status 1")
    assert not any("kept in" in line for line in lines)
    assert os.listdir(kept_in) == []
