"""Notes on videos, per user: ``note --video`` (every way in), and where they show (show, videos, search)."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import pytest

from tests.conftest import Cli

RESNET_VIDEO = "BV1P3411y7nn"  # 'ResNet 论文逐段精读', covering resnet
SURVEY = "BV19S4y1M7hm"  # '对比学习论文综述', a survey covering no paper of its own


def show(cli: Cli, paper: str, **kwargs) -> dict:
    return json.loads(cli.ok("show", paper, "--json", **kwargs).stdout)


def noted(cli: Cli, **kwargs) -> dict[str, bool]:
    rows = json.loads(cli.ok("videos", "--json", **kwargs).stdout)["videos"]
    return {v["bilibili"]: v["noted"] for v in rows}


def video_note(cli: Cli, bv: str, **kwargs) -> str | None:
    videos = show(cli, "resnet", **kwargs)["videos"]
    return {v["bilibili"]: v["note"] for v in videos}.get(bv)


def test_note_on_a_video_text_append_clear(cli: Cli) -> None:
    assert "saved your note on video" in cli.ok("note", "--video", RESNET_VIDEO, "--text", "残差 | `x`").stderr
    assert video_note(cli, RESNET_VIDEO) == "残差 | `x`"
    cli.ok("note", "--video", RESNET_VIDEO, "--append", "more")
    assert video_note(cli, RESNET_VIDEO) == "残差 | `x`\nmore"
    assert "unchanged" in cli.ok("note", "--video", RESNET_VIDEO, "--text", "残差 | `x`\nmore").stderr
    out = cli.ok("show", "resnet").stdout
    assert "note on video" in out and "残差 | `x`\nmore\n" in out
    assert noted(cli)[RESNET_VIDEO] is True
    assert noted(cli)[SURVEY] is False
    # the video's id works as well as its BV id
    vid = next(v["id"] for v in json.loads(cli.ok("videos", "--json").stdout)["videos"] if v["bilibili"] == SURVEY)
    cli.ok("note", "--video", str(vid), "--text", "InstDisc, CPC, MoCo")
    assert noted(cli)[SURVEY] is True
    assert "cleared your note on video" in cli.ok("note", "--video", RESNET_VIDEO, "--text", "").stderr
    assert video_note(cli, RESNET_VIDEO) is None
    assert noted(cli)[RESNET_VIDEO] is False


def test_video_notes_are_per_user_and_searchable(cli: Cli) -> None:
    cli.ok("note", "--video", RESNET_VIDEO, "--text", "梯度保持的很好 zqxj")
    cli.ok("note", "--video", RESNET_VIDEO, "--text", "alice's", env={"PAPERREAD_USER": "alice"})
    assert video_note(cli, RESNET_VIDEO) == "梯度保持的很好 zqxj"
    assert video_note(cli, RESNET_VIDEO, env={"PAPERREAD_USER": "alice"}) == "alice's"
    assert noted(cli, env={"PAPERREAD_USER": "bob"})[RESNET_VIDEO] is False
    found = [r["key"] for r in json.loads(cli.ok("search", "zqxj", "--json").stdout)]
    assert found == ["resnet"]
    assert json.loads(cli.ok("search", "梯度", "--json").stdout)[0]["key"] == "resnet"
    assert json.loads(cli.ok("search", "zqxj", "--json", env={"PAPERREAD_USER": "alice"}).stdout) == []


def test_note_on_a_video_from_a_file_and_stdin(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "n.md"
    path.write_text("from a file\n", encoding="utf-8")
    cli.ok("note", "--video", RESNET_VIDEO, "--file", str(path))
    assert video_note(cli, RESNET_VIDEO) == "from a file\n"
    cli.ok("note", "--video", RESNET_VIDEO, "--file", "-", input="from stdin\n")
    assert video_note(cli, RESNET_VIDEO) == "from stdin\n"


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (("note",), 2, "name a paper, or a video with --video"),
        (("note", "resnet", "--video", RESNET_VIDEO, "--text", "x"), 2, "do not go together"),
        (("note", "--video", RESNET_VIDEO, "--text", "x", "--append", "y"), 2, "do not go together"),
        (("note", "--video", "BV1xxxxxxxxx", "--text", "x"), 1, "no video matches"),
        (("note", "--video", "", "--text", "x"), 2, "is empty"),
        (("note", "--video", "not a video", "--text", "x"), 1, "neither a video id nor a bilibili BV id"),
        (("note", "--video", RESNET_VIDEO, "--text", "a\x00b"), 1, "NUL"),
    ],
)
def test_note_on_a_video_refuses_bad_input(builtin_db: Path, args: tuple[str, ...], code: int, words: str) -> None:
    cli = Cli(builtin_db)
    result = cli(*args)
    assert result.exit_code == code, result.output
    assert words in result.stderr
    assert "Traceback" not in result.stderr
    assert not any(json.loads(cli.ok("videos", "--json").stdout)["videos"][i]["noted"] for i in range(3))


def _editor(tmp_path: Path, body: str) -> str:
    script = tmp_path / "ed.py"
    script.write_text("import pathlib, sys\npath = pathlib.Path(sys.argv[-1])\n" + body + "\n", encoding="utf-8")
    return f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}"


def test_note_on_a_video_in_the_editor(builtin_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cli = Cli(builtin_db)
    cli.ok("note", "--video", RESNET_VIDEO, "--text", "before")
    monkeypatch.setenv("VISUAL", _editor(tmp_path, "path.write_text(path.read_text() + '\\nedited', encoding='utf-8')"))
    assert "saved your note on video" in cli.ok("note", "--video", RESNET_VIDEO).stderr
    assert video_note(cli, RESNET_VIDEO) == "before\nedited"


def test_a_failing_editor_or_a_changed_note_loses_nothing(
    builtin_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = Cli(builtin_db)
    cli.ok("note", "--video", RESNET_VIDEO, "--text", "before")
    monkeypatch.setenv(
        "VISUAL", _editor(tmp_path, "path.write_text('typed, then crash', encoding='utf-8')\nsys.exit(3)")
    )
    result = cli("note", "--video", RESNET_VIDEO)
    assert result.exit_code == 1 and "exited with status 3" in result.stderr
    kept = result.stderr.split("kept in ")[1].split(";")[0].strip()
    assert Path(kept).read_text(encoding="utf-8") == "typed, then crash"
    assert "note --video" in result.stderr
    assert video_note(cli, RESNET_VIDEO) == "before"
    # Meanwhile (while the editor runs) someone else changes the note: refused, kept.
    change = (
        f"import subprocess\nsubprocess.run([sys.executable, '-m', 'paperread', '--db', {str(builtin_db)!r},"
        f" 'note', '--video', {RESNET_VIDEO!r}, '--text', 'theirs'], check=True)\n"
        "path.write_text('mine', encoding='utf-8')"
    )
    monkeypatch.setenv("VISUAL", _editor(tmp_path, change))
    result = cli("note", "--video", RESNET_VIDEO)
    assert result.exit_code != 0 and "changed while it was being edited" in result.stderr
    kept = result.stderr.split("kept in ")[1].split(";")[0].strip()
    assert Path(kept).read_text(encoding="utf-8") == "mine"
    assert video_note(cli, RESNET_VIDEO) == "theirs"
    cli.ok("note", "--video", RESNET_VIDEO, "--file", kept)
    assert video_note(cli, RESNET_VIDEO) == "mine"


def test_removing_a_video_takes_its_notes(builtin_db: Path) -> None:
    cli = Cli(builtin_db)
    cli.ok("note", "--video", SURVEY, "--text", "gone with it")
    cli.ok("video", "remove", SURVEY)
    import sqlite3

    with sqlite3.connect(builtin_db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM video_note").fetchone()[0] == 0


# ---------------------------------------------------------------------------- export json, version 2


def test_export_json_carries_notes_on_videos(cli: Cli, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    cli.ok("note", "--video", SURVEY, "--text", "InstDisc, CPC | `MoCo`\n")
    cli.ok("note", "--video", SURVEY, "--text", "alice's", env={"PAPERREAD_USER": "alice"})
    doc = json.loads(cli.ok("export", "json").stdout)
    assert doc["version"] == 2
    survey = next(v for v in doc["videos"] if v["bilibili"] == SURVEY)
    assert [(n["user"], n["note"]) for n in survey["notes"]] == [
        ("alice", "alice's"),
        ("tester", "InstDisc, CPC | `MoCo`\n"),
    ]
    assert all("notes" not in v for v in doc["videos"] if v["bilibili"] != SURVEY)
    path = tmp_path / "backup.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    # Into another catalog holding the same videos (the upsert road), and into an empty one (the bulk road).
    if cli.backend == "sqlite":
        other, empty = Cli(tmp_path / "other.db"), Cli(tmp_path / "empty.db")
        other.ok("init")
        empty.ok("init", "--empty")
    else:
        other, empty = Cli(request.getfixturevalue("pg_catalog_url")), Cli(request.getfixturevalue("empty_url"))
    for target in (other, empty):
        report = json.loads(target.ok("import", str(path), "--json").stdout)
        assert report["video_notes_added"] == (2 if target is other else 0) or report["bulk"]
        again = json.loads(target.ok("export", "json").stdout)
        assert next(v for v in again["videos"] if v["bilibili"] == SURVEY)["notes"] == survey["notes"]
        assert json.loads(target.ok("import", str(path), "--json").stdout)["changed"] is False


def test_a_note_on_a_video_is_never_replaced_by_an_import(builtin_db: Path, tmp_path: Path) -> None:
    cli = Cli(builtin_db)
    cli.ok("note", "--video", SURVEY, "--text", "from the file")
    path = tmp_path / "backup.json"
    path.write_text(cli.ok("export", "json").stdout, encoding="utf-8")
    cli.ok("note", "--video", SURVEY, "--text", "mine, written since")
    assert json.loads(cli.ok("import", str(path), "--json").stdout)["video_notes_added"] == 0
    assert video_note_of(builtin_db, SURVEY) == "mine, written since"


def test_a_version_1_document_still_imports(builtin_db: Path, tmp_path: Path) -> None:
    cli = Cli(builtin_db)
    doc = json.loads(cli.ok("export", "json").stdout)
    doc["version"] = 1
    path = tmp_path / "v1.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    assert json.loads(cli.ok("import", str(path), "--json").stdout)["changed"] is False


def video_note_of(db: Path, bv: str) -> str | None:
    import sqlite3

    with sqlite3.connect(db) as conn:
        row = conn.execute(
            "SELECT note FROM video_note vn JOIN video v ON v.id = vn.video_id WHERE v.bilibili = ?", (bv,)
        ).fetchone()
    return row[0] if row else None
