"""The reader's own state, through the CLI: read, unread, reading, watched, note, open,
and how list, stats, show and search reflect it."""

from __future__ import annotations

import json
import os
import shlex
import stat
import subprocess
import sys
import webbrowser
from pathlib import Path

import pytest

from tests.conftest import Cli
from tests.test_curate import as_json, assert_refused, dump, show, stats

NOTE = """# Notes on ResNet 🎉

| depth | top-1 |
|-------|-------|
| 50    | 76.0  |

Residual `F(x) + x`; <b>HTML</b> stays as typed & so do <pipes|here>.
"""


def keys(cli: Cli, *args: str, env: dict[str, str] | None = None) -> list[str]:
    return [r["key"] for r in as_json(cli.ok(*args, "--json", env=env))]


# ---------------------------------------------------------------------------- read, reading, unread


def test_read_reading_unread(cli: Cli) -> None:
    assert stats(cli)["read"] == 0
    assert "you have read 0 of 90" in cli.ok("stats").stdout
    assert "'resnet' is read" in cli.ok("read", "resnet").stderr
    cli.ok("read", "AlexNet", "--date", "10/14/21")
    assert "'vit' is being read" in cli.ok("reading", "vit").stderr
    data = stats(cli)
    assert (data["read"], data["reading"]) == (2, 1)
    assert "you have read 2 of 90 (1 in progress)" in cli.ok("stats").stdout
    assert keys(cli, "list", "--read") == ["alexnet", "resnet"]
    assert keys(cli, "list", "--reading") == ["vit"]
    assert len(keys(cli, "list", "--unread")) == 88
    assert cli.ok("list", "--read", "--category", "vision/cnn").stdout.splitlines()[0].split("\t")[-1] == "read"

    alexnet = show(cli, "alexnet")
    assert alexnet["read_status"] == "read"
    assert alexnet["read_at"] == "2021-10-14T00:00:00+00:00"
    assert show(cli, "vit")["started_at"].endswith("+00:00")
    assert "reading: read" in cli.ok("show", "alexnet").stdout

    cli.ok("read", "vit")  # from reading to read keeps when it was started
    vit = show(cli, "vit")
    assert vit["read_status"] == "read" and vit["started_at"] and vit["read_at"]
    assert "'resnet' is unread" in cli.ok("unread", "resnet").stderr
    assert keys(cli, "list", "--read") == ["alexnet", "vit"]
    assert show(cli, "resnet")["read_status"] is None


def test_repeating_a_status_writes_nothing(cli: Cli) -> None:
    cli.ok("read", "resnet")
    before = dump(cli)
    assert "already read" in cli.ok("read", "resnet").stderr
    assert "was not read" in cli.ok("unread", "vgg").stderr
    cli.ok("reading", "vgg")
    snapshot = dump(cli)
    assert "already being read" in cli.ok("reading", "vgg").stderr
    assert dump(cli) == snapshot
    assert before != snapshot


def test_reading_state_is_per_user(cli: Cli) -> None:
    cli.ok("read", "resnet")
    cli.ok("read", "vgg", env={"PAPERREAD_USER": "alice"})
    cli.ok("read", "vit", env={"PAPERREAD_USER": "alice"})
    assert keys(cli, "list", "--read") == ["resnet"]
    assert keys(cli, "list", "--read", env={"PAPERREAD_USER": "alice"}) == ["vgg", "vit"]
    assert stats(cli)["read"] == 1
    assert as_json(cli.ok("stats", "--json", env={"PAPERREAD_USER": "alice"}))["read"] == 2


def test_unread_keeps_the_note(cli: Cli) -> None:
    cli.ok("read", "resnet")
    cli.ok("note", "resnet", "--text", "keep me")
    cli.ok("unread", "resnet")
    paper = show(cli, "resnet")
    assert (paper["read_status"], paper["note"]) == (None, "keep me")


# ---------------------------------------------------------------------------- watched


def test_watched_and_time_left(cli: Cli) -> None:
    total = stats(cli)
    assert total["videos_unwatched"] == total["videos"] == 59
    assert total["video_seconds_left"] == total["video_seconds"]
    first = as_json(cli.ok("videos", "--json"))["videos"][:2]
    assert "is watched" in cli.ok("watched", str(first[0]["id"])).stderr
    cli.ok("watched", first[1]["bilibili"])
    data = stats(cli)
    assert data["videos_unwatched"] == 57
    assert (
        data["video_seconds_left"]
        == total["video_seconds"] - first[0]["duration_seconds"] - first[1]["duration_seconds"]
    )
    from paperread.values import format_duration

    assert f"{format_duration(data['video_seconds_left'])} of video left to watch (57 videos)" in cli.ok("stats").stdout
    snapshot = dump(cli)
    assert "already watched" in cli.ok("watched", str(first[0]["id"])).stderr
    assert dump(cli) == snapshot
    assert as_json(cli.ok("stats", "--json", env={"PAPERREAD_USER": "bob"}))["videos_unwatched"] == 59
    assert "is not watched" in cli.ok("watched", str(first[0]["id"]), "--undo").stderr
    assert stats(cli)["videos_unwatched"] == 58
    assert "was not watched" in cli.ok("watched", str(first[0]["id"]), "--undo").stderr


def test_removing_a_video_forgets_who_watched_it(cli: Cli) -> None:
    video = as_json(cli.ok("video", "add", "--title", "talk", "--duration", "10:00", "--json"))
    cli.ok("watched", str(video["id"]))
    cli.ok("video", "remove", str(video["id"]))
    data = stats(cli)
    assert (data["videos"], data["videos_unwatched"]) == (59, 59)


# ---------------------------------------------------------------------------- notes


def test_note_text_append_and_show(cli: Cli) -> None:
    assert "saved your note on 'resnet'" in cli.ok("note", "resnet", "--text", NOTE).stderr
    assert show(cli, "resnet")["note"] == NOTE
    cli.ok("note", "resnet", "--append", "- one more | thing `x`")
    assert show(cli, "resnet")["note"] == NOTE + "- one more | thing `x`"
    cli.ok("note", "resnet", "--append", "last")
    note = show(cli, "resnet")["note"]
    assert note == NOTE + "- one more | thing `x`\nlast"
    out = cli.ok("show", "resnet").stdout  # piped: the note as written, no markup rendered
    assert "note:\n" + note + "\n" in out
    assert "\x1b[" not in out
    snapshot = dump(cli)
    assert "unchanged; nothing written" in cli.ok("note", "resnet", "--text", note).stderr
    assert dump(cli) == snapshot
    assert "cleared your note on 'resnet'" in cli.ok("note", "resnet", "--text", "").stderr
    assert show(cli, "resnet")["note"] is None
    assert "note:" not in cli.ok("show", "resnet").stdout


def test_note_on_a_terminal_is_rendered(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    cli.ok("note", "resnet", "--text", "# Heading\n\n**bold** text")
    monkeypatch.setattr("paperread.output.stdout_is_terminal", lambda: True)
    out = cli.ok("show", "resnet").stdout
    assert "bold text" in out and "**bold**" not in out


def test_search_finds_words_in_my_notes(cli: Cli) -> None:
    assert keys(cli, "search", "skipconnection") == []
    cli.ok("note", "vgg", "--text", "Compare with the SkipConnection idea; 鲲鹏")
    cli.ok("note", "gan", "--text", "zq", env={"PAPERREAD_USER": "alice"})
    assert keys(cli, "search", "skipconnection") == ["vgg"]
    assert keys(cli, "search", "鲲鹏") == ["vgg"]  # shorter than a trigram: LIKE
    assert "vgg" in keys(cli, "search", "idea")
    assert "vgg" in keys(cli, "list", "--search", "skipconn")
    assert keys(cli, "search", "zq") == []  # alice's note is hers
    assert keys(cli, "search", "zq", env={"PAPERREAD_USER": "alice"}) == ["gan"]
    assert keys(cli, "search", "skipconnection", "--category", "generative") == []
    # the title index still works alongside
    assert {"swin-transformer", "transformer"} <= set(keys(cli, "search", "transformer"))


@pytest.fixture
def editor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """make(body) -> an editor command line running ``body`` on the file it is given.

    The body sees ``path`` (the note file) and ``log`` (where it records its arguments
    and the text it was given); the command carries an argument to check shlex splitting.
    """
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.delenv("EDITOR", raising=False)
    log = tmp_path / "editor-log.json"

    def make(body: str, name: str = "editor") -> str:
        script = tmp_path / f"{name}.py"
        script.write_text(
            "import json, pathlib, sys\n"
            "path = pathlib.Path(sys.argv[-1])\n"
            f"log = pathlib.Path({str(log)!r})\n"
            "log.write_text(json.dumps({'args': sys.argv[1:], 'text': path.read_text(encoding='utf-8')}))\n"
            + body
            + "\n",
            encoding="utf-8",
        )
        return f"{shlex.quote(sys.executable)} {shlex.quote(str(script))} --wait"

    make.log = log  # type: ignore[attr-defined]
    return make


def test_note_in_the_editor(cli: Cli, editor, monkeypatch: pytest.MonkeyPatch) -> None:
    cli.ok("note", "vgg", "--text", "first line | `x`")
    monkeypatch.setenv(
        "EDITOR",
        editor("path.write_text(path.read_text(encoding='utf-8') + '\\nadded 🎉 <i>x</i>\\n', encoding='utf-8')"),
    )
    result = cli.ok("note", "vgg")
    assert "saved your note on 'vgg'" in result.stderr
    seen = json.loads(editor.log.read_text())
    assert seen["args"][0] == "--wait" and seen["args"][1].endswith("vgg.md")
    assert seen["text"] == "first line | `x`"
    assert not Path(seen["args"][1]).exists()  # the temporary file is gone
    assert show(cli, "vgg")["note"] == "first line | `x`\nadded 🎉 <i>x</i>\n"


def test_visual_wins_over_editor(cli: Cli, editor, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VISUAL", editor("path.write_text('from visual', encoding='utf-8')", "visual"))
    monkeypatch.setenv("EDITOR", editor("sys.exit(9)", "plain"))
    cli.ok("note", "vgg")
    assert show(cli, "vgg")["note"] == "from visual"


def test_default_editor_is_vi(cli: Cli, editor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    vi = bin_dir / "vi"
    vi.write_text(f"#!{sys.executable}\nimport sys, pathlib\npathlib.Path(sys.argv[-1]).write_text('from vi')\n")
    vi.chmod(vi.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    cli.ok("note", "vgg")
    assert show(cli, "vgg")["note"] == "from vi"


def test_editor_failing_leaves_the_note(cli: Cli, editor, monkeypatch: pytest.MonkeyPatch) -> None:
    cli.ok("note", "vgg", "--text", "precious")
    monkeypatch.setenv("EDITOR", editor("path.write_text('garbage', encoding='utf-8'); sys.exit(3)"))
    assert_refused(cli, ["note", "vgg"], "exited with status 3; your note was left as it was")
    assert show(cli, "vgg")["note"] == "precious"


def test_editor_missing(cli: Cli, editor, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("EDITOR", str(tmp_path / "no-such-editor") + " --flag")
    assert_refused(cli, ["note", "vgg"], "could not be started")
    monkeypatch.setenv("EDITOR", "'unbalanced")
    assert_refused(cli, ["note", "vgg"], "cannot be parsed")


def test_editor_unchanged_writes_nothing(cli: Cli, editor, monkeypatch: pytest.MonkeyPatch) -> None:
    cli.ok("note", "vgg", "--text", "same")
    snapshot = dump(cli)
    monkeypatch.setenv("EDITOR", editor("pass"))
    assert "unchanged; nothing written" in cli.ok("note", "vgg").stderr
    monkeypatch.setenv("EDITOR", editor("path.write_text('same\\n', encoding='utf-8')"))  # a final newline only
    assert "unchanged; nothing written" in cli.ok("note", "vgg").stderr
    assert dump(cli) == snapshot
    monkeypatch.setenv("EDITOR", editor("pass"))
    assert "unchanged" in cli.ok("note", "resnet").stderr  # no note, none written
    assert dump(cli) == snapshot


def test_editor_emptying_the_file_clears_the_note(cli: Cli, editor, monkeypatch: pytest.MonkeyPatch) -> None:
    cli.ok("note", "vgg", "--text", "gone soon")
    monkeypatch.setenv("EDITOR", editor("path.write_text('\\n', encoding='utf-8')"))
    assert "cleared your note" in cli.ok("note", "vgg").stderr
    assert show(cli, "vgg")["note"] is None


def test_note_changed_elsewhere_while_editing(cli: Cli, editor, monkeypatch: pytest.MonkeyPatch) -> None:
    cli.ok("note", "vgg", "--text", "v1")
    other = [sys.executable, "-m", "paperread", "--db", cli.db, "note", "vgg", "--text", "from elsewhere"]
    monkeypatch.setenv(
        "EDITOR",
        editor(
            f"import subprocess; subprocess.run({other!r}, check=True, cwd={str(Path(__file__).parent.parent)!r}); "
            "path.write_text('mine', encoding='utf-8')"
        ),
    )
    result = cli("note", "vgg")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: your note on 'vgg' changed while it was being edited; nothing was written")
    assert show(cli, "vgg")["note"] == "from elsewhere"


# ---------------------------------------------------------------------------- open


@pytest.fixture
def browser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """BROWSER is a script that records the link it was given; returns the record's path."""
    record = tmp_path / "opened.txt"
    script = tmp_path / "browser"
    script.write_text(f"#!{sys.executable}\nimport sys\nopen({str(record)!r}, 'a').write(sys.argv[1] + '\\n')\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("BROWSER", str(script))
    # webbrowser reads BROWSER once per process: make it read it again.
    monkeypatch.setattr(webbrowser, "_tryorder", None)
    monkeypatch.setattr(webbrowser, "_browsers", {})
    monkeypatch.setattr(webbrowser, "_os_preferred_browser", None)
    return record


def test_open_paper_and_video(cli: Cli, browser: Path) -> None:
    result = cli.ok("open", "resnet")
    assert result.stdout == "https://arxiv.org/pdf/1512.03385.pdf\n"
    newest = max(show(cli, "alexnet")["videos"], key=lambda v: v["date"])
    cli.ok("open", "alexnet", "--video")
    cli.ok("mark-recorded", "alexnet", "--title", "newer", "--date", "2030-01-01", "--youtube", "dQw4w9WgXcQ")
    cli.ok("open", "alexnet", "--video")
    assert browser.read_text().splitlines() == [
        "https://arxiv.org/pdf/1512.03385.pdf",
        f"https://www.bilibili.com/video/{newest['bilibili']}",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
    ]


def test_open_falls_back_to_ids(cli: Cli, browser: Path) -> None:
    cli.ok("add", "Only arXiv", "-c", "gnn", "--arxiv", "2101.01234")
    cli.ok("add", "Only DOI", "-c", "gnn", "--doi", "10.1038/nature14539")
    cli.ok("open", "only-arxiv")
    cli.ok("open", "only-doi")
    assert browser.read_text().splitlines() == [
        "https://arxiv.org/abs/2101.01234",
        "https://doi.org/10.1038/nature14539",
    ]


def test_open_without_a_link(cli: Cli, browser: Path) -> None:
    cli.ok("add", "Nothing Known", "-c", "gnn")
    assert_refused(cli, ["open", "nothing-known"], "paper 'nothing-known' has no link")
    assert_refused(cli, ["open", "vgg", "--video"], "paper 'vgg' has no video")
    cli.ok("mark-recorded", "vgg", "--title", "offline")
    assert_refused(cli, ["open", "vgg", "--video"], "has no bilibili, YouTube or zhihu link")
    assert not browser.exists()


def test_open_with_no_browser(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webbrowser, "open", lambda *a, **k: False)
    result = cli("open", "resnet")
    assert result.exit_code == 1
    assert result.stdout == "https://arxiv.org/pdf/1512.03385.pdf\n"
    assert result.stderr.startswith("error: no web browser could open https://arxiv.org/pdf/1512.03385.pdf")


# ---------------------------------------------------------------------------- bad input


BAD_INPUT = [
    (["read", "no-such-paper"], "no paper matches 'no-such-paper'", 1),
    (["read", "style"], "'style' matches several papers", 1),
    (["read", "vgg", "--date", "2024-13-01"], "date '2024-13-01' is not a real calendar date", 2),
    (["read", "vgg", "--date", "13/45/22"], "date '13/45/22'", 2),
    (["read", "vgg", "--date", "2999-01-01"], "date '2999-01-01' is in the future", 1),
    (["reading", "no-such-paper"], "no paper matches", 1),
    (["unread", "no-such-paper"], "no paper matches", 1),
    (["watched", "9999"], "no video matches '9999'", 1),
    (["watched", "BV1xxxxxxxxx", "--undo"], "no video matches 'BV1xxxxxxxxx'", 1),
    (["watched", "yesterday's"], "is neither a video id nor a bilibili BV id", 1),
    (["note", "no-such-paper", "--text", "x"], "no paper matches 'no-such-paper'", 1),
    (["note", "no-such-paper"], "no paper matches 'no-such-paper'", 1),
    (["note", "vgg", "--text", "a", "--append", "b"], "--text and --append do not go together", 2),
    (["open", "no-such-paper"], "no paper matches 'no-such-paper'", 1),
    (["read"], "Missing argument", 2),
]


@pytest.mark.parametrize(("args", "fragment", "exit_code"), BAD_INPUT, ids=[" ".join(a)[:50] for a, _, _ in BAD_INPUT])
def test_bad_input_changes_nothing(cli: Cli, args: list[str], fragment: str, exit_code: int) -> None:
    cli.ok("note", "vgg", "--text", "already here")
    assert_refused(cli, args, fragment, exit_code)


@pytest.mark.parametrize(
    "command",
    [["read"], ["unread"], ["reading"], ["watched"], ["note"], ["open"]],
)
def test_help(cli: Cli, command: list[str]) -> None:
    assert "Usage:" in cli.ok(*command, "--help").stdout


def test_open_stays_light(builtin_db: Path, browser: Path) -> None:
    from tests.test_read_paths import HEAVY, PROBE

    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY, args=["--db", str(builtin_db), "open", "resnet"])],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().splitlines()[-1] == "HEAVY=", result.stderr
    assert browser.read_text() == "https://arxiv.org/pdf/1512.03385.pdf\n"
