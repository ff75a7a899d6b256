"""The keeper's writes, through the CLI on real SQLite files: mark-recorded, unmark,
add, edit, remove, and the video and category groups, with the bad-input table."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Cli

NEXT_YEAR = dt.date.today().year + 1
ODD_TITLE = "A | B `code` <b>bold</b> & <script>x</script> 🎉 — 深度"


def as_json(result) -> object:
    return json.loads(result.stdout)


def dump(cli: Cli) -> str:
    """The whole database as text: equal dumps, equal databases.

    SQLite: ``iterdump`` of the file. PostgreSQL: every row of every table, in order. Not the
    row of ``catalog_state``: an import that changes nothing leaves its fingerprint there
    (tests/test_reimport.py holds the generation to the writes).
    """
    if cli.backend == "sqlite":
        conn = sqlite3.connect(cli.db)
        try:
            return "\n".join(line for line in conn.iterdump() if not line.startswith('INSERT INTO "catalog_state"'))
        finally:
            conn.close()
    from sqlalchemy import create_engine, inspect, text

    engine = create_engine(cli.db)
    try:
        with engine.connect() as conn:
            lines = []
            for table in sorted(set(inspect(conn).get_table_names()) - {"catalog_state"}):
                lines.append(f"-- {table}")
                rows = conn.execute(text(f'SELECT * FROM "{table}"')).all()
                lines += sorted(repr(tuple(row)) for row in rows)
            seqs = conn.execute(text("SELECT sequencename, last_value FROM pg_sequences ORDER BY 1")).all()
            lines += [repr(tuple(s)) for s in seqs]
            return "\n".join(lines)
    finally:
        engine.dispose()


def stats(cli: Cli) -> dict:
    return as_json(cli.ok("stats", "--json"))


def show(cli: Cli, paper: str) -> dict:
    return as_json(cli.ok("show", paper, "--json"))


def videos(cli: Cli) -> list[dict]:
    return as_json(cli.ok("videos", "--json"))["videos"]


def assert_refused(
    cli: Cli, args: list[str], fragment: str, exit_code: int = 1, *, prompt: str | None = None, **kwargs
) -> None:
    """The command fails with one 'error: ...' line (and maybe a hint), and changes nothing.

    Typer's own usage errors (a missing option) keep Typer's format: 'Usage: ...' + 'Error: ...'.
    """
    before = dump(cli)
    result = cli(*args, **kwargs)
    assert result.exit_code == exit_code, (result.exit_code, result.stdout, result.stderr)
    stderr = result.stderr
    if prompt is not None:  # on a terminal the user's Enter ends the prompt's line
        assert stderr.startswith(prompt), stderr
        stderr = stderr[len(prompt) :]
    lines = stderr.strip().splitlines()
    if exit_code == 2 and lines and lines[0].startswith("Usage:"):
        assert any(line.startswith("Error:") and fragment in line for line in lines), stderr
    else:
        assert lines and lines[0].startswith("error: "), stderr
        assert fragment in lines[0], lines[0]
        assert all(line.startswith(("error: ", "hint: ")) for line in lines), stderr
    assert "Traceback" not in result.output
    assert dump(cli) == before


# ---------------------------------------------------------------------------- mark-recorded, unmark


def test_mark_recorded_then_unmark_vgg(cli: Cli) -> None:
    result = cli.ok("mark-recorded", "vgg", "--title", "VGG 论文精读", "--bilibili", "BV1xxxxxxxxx")
    assert result.stdout == ""
    assert "recorded video" in result.stderr and "vgg" in result.stderr
    data = stats(cli)
    assert (data["papers"], data["recorded"], data["videos"]) == (90, 60, 60)
    assert "60 of 90 recorded" in cli.ok("stats").stdout
    assert "vgg" in {r["key"] for r in as_json(cli.ok("list", "--recorded", "--json"))}
    video = show(cli, "vgg")["videos"][0]
    assert video["bilibili"] == "BV1xxxxxxxxx"
    assert video["date"] == dt.date.today().isoformat()
    assert video["duration_seconds"] is None

    result = cli.ok("unmark", "vgg")
    assert "no longer recorded" in result.stderr and "deleted video" in result.stderr
    data = stats(cli)
    assert (data["recorded"], data["videos"]) == (59, 59)
    assert show(cli, "vgg")["videos"] == []


def test_mark_recorded_all_fields_and_json(cli: Cli) -> None:
    result = cli.ok(
        "mark-recorded",
        "googlenet",
        "--title",
        "GoogLeNet 精读",
        "--date",
        "9/4/24",
        "--duration",
        "1:27:54",
        "--bilibili",
        "https://www.bilibili.com/video/BV1ab411c7dE/",
        "--youtube",
        "https://youtu.be/dQw4w9WgXcQ",
        "--zhihu",
        "https://www.zhihu.com/zvideo/1234567890",
        "--url",
        "https://arxiv.org/abs/1409.4842",
        "--json",
    )
    video = as_json(result)
    assert video == {
        "id": video["id"],
        "date": "2024-09-04",
        "title": "GoogLeNet 精读",
        "duration_seconds": 5274,
        "bilibili": "BV1ab411c7dE",
        "youtube": "dQw4w9WgXcQ",
        "zhihu": "1234567890",
        "link": "https://arxiv.org/abs/1409.4842",
        "papers": [{"key": "googlenet", "title": "GoogleNet"}],
        # No figure yet: sync-views (or mark-recorded --fetch) brings one.
        "bilibili_views": None,
        "bilibili_fetched_at": None,
        "youtube_views": None,
        "youtube_fetched_at": None,
    }
    assert {**video, "noted": False} in videos(cli)  # videos also says whether you have a note on it
    assert show(cli, "googlenet")["recorded"] is True


@pytest.mark.parametrize(
    ("date", "iso"), [("2024-09-04", "2024-09-04"), ("12/31/23", "2023-12-31"), ("1/2/2022", "2022-01-02")]
)
def test_mark_recorded_dates(cli: Cli, date: str, iso: str) -> None:
    video = as_json(cli.ok("mark-recorded", "vgg", "--title", "t", "--date", date, "--duration", "52:21", "--json"))
    assert video["date"] == iso and video["duration_seconds"] == 52 * 60 + 21


def test_survey_video_covers_many_papers(cli: Cli) -> None:
    before = stats(cli)
    video = as_json(
        cli.ok("mark-recorded", "r-cnn", "fast-r-cnn", "Faster R-CNN", "r-cnn", "--title", "检测综述", "--json")
    )
    assert [p["key"] for p in video["papers"]] == ["r-cnn", "fast-r-cnn", "faster-r-cnn"]
    after = stats(cli)
    assert after["recorded"] == before["recorded"] + 3 and after["videos"] == before["videos"] + 1
    detection = as_json(cli.ok("videos", "--category", "vision/detection", "--json"))
    assert any(v["id"] == video["id"] for v in detection["videos"])
    # Unmarking one paper of the survey unlinks it; the video stays for the others.
    result = cli.ok("unmark", "fast-r-cnn")
    assert "unlinked 1 video" in result.stderr
    assert stats(cli)["videos"] == after["videos"]
    assert stats(cli)["recorded"] == after["recorded"] - 1
    survey = next(v for v in videos(cli) if v["id"] == video["id"])
    assert [p["key"] for p in survey["papers"]] == ["r-cnn", "faster-r-cnn"]


def test_recording_a_recorded_paper_adds_a_second_video(cli: Cli) -> None:
    assert len(show(cli, "alexnet")["videos"]) == 2
    before = stats(cli)
    cli.ok("mark-recorded", "alexnet", "--title", "AlexNet again", "--date", "2024-10-01")
    assert len(show(cli, "alexnet")["videos"]) == 3
    after = stats(cli)
    assert after["recorded"] == before["recorded"] and after["videos"] == before["videos"] + 1
    # unmark removes all three; a video that covered only AlexNet is deleted.
    cli.ok("unmark", "alexnet")
    assert show(cli, "alexnet")["recorded"] is False
    assert stats(cli)["videos"] == before["videos"] - 2


def test_unmark_a_paper_marked_without_video_and_one_not_recorded(cli: Cli) -> None:
    assert show(cli, "instdisc")["marked_recorded"] is True
    before = stats(cli)
    result = cli.ok("unmark", "instdisc")
    assert "no longer recorded" in result.stderr
    paper = show(cli, "instdisc")
    assert (paper["recorded"], paper["marked_recorded"]) == (False, False)
    assert stats(cli)["recorded"] == before["recorded"] - 1
    assert stats(cli)["videos"] == before["videos"]  # the survey talks are not touched

    snapshot = dump(cli)
    result = cli.ok("unmark", "vgg")
    assert "was not recorded; nothing changed" in result.stderr
    assert dump(cli) == snapshot


def test_writes_bump_the_paper_version(cli: Cli) -> None:
    v0 = show(cli, "vgg")["version"]
    cli.ok("mark-recorded", "vgg", "--title", "t")
    v1 = show(cli, "vgg")
    assert v1["version"] == v0 + 1
    assert v1["updated_at"].endswith("+00:00")
    cli.ok("unmark", "vgg")
    assert show(cli, "vgg")["version"] == v0 + 2
    cli.ok("edit", "vgg", "--year", "2015")
    assert show(cli, "vgg")["version"] == v0 + 3
    cli.ok("edit", "vgg", "--year", "2015")  # same value: nothing written
    assert show(cli, "vgg")["version"] == v0 + 3
    cli.ok("read", "vgg")  # the reader's own state leaves the paper alone
    assert show(cli, "vgg")["version"] == v0 + 3


def test_store_refuses_a_stale_version(builtin_db: Path) -> None:
    from paperread import store
    from paperread.config import resolve_target
    from paperread.errors import ConflictError
    from paperread.opening import open_write_session

    target = resolve_target(str(builtin_db))
    with open_write_session(target) as session:
        version = store.edit_paper(session, "vgg", year="2014")[0].version
    with pytest.raises(ConflictError, match="changed since it was read"):
        with open_write_session(target) as session:
            store.edit_paper(session, "vgg", title="New", expected_version=version + 5)
    with pytest.raises(ConflictError):
        with open_write_session(target) as session:
            store.unmark_paper(session, "alexnet", expected_version=0)
    with pytest.raises(ConflictError):
        with open_write_session(target) as session:
            store.mark_recorded(session, ["vgg"], title="t", expected_versions={"vgg": version - 1})
    with open_write_session(target) as session:
        paper, changed = store.edit_paper(session, "vgg", title="VGG Net", expected_version=version)
        assert changed == ["title"] and paper.version == version + 1


# ---------------------------------------------------------------------------- video group


def test_video_add_list_remove(cli: Cli) -> None:
    talk = as_json(
        cli.ok("video", "add", "--title", "如何写论文", "--duration", "12:00", "--bilibili", "BV1zz411c7dE", "--json")
    )
    assert talk["papers"] == []
    data = stats(cli)
    assert (data["videos"], data["recorded"]) == (60, 59)
    listed = as_json(cli.ok("video", "list", "--json"))
    assert listed == as_json(cli.ok("videos", "--json"))
    assert listed["count"] == 60
    result = cli.ok("video", "remove", "BV1zz411c7dE")
    assert "removed video" in result.stderr
    assert stats(cli)["videos"] == 59


def test_video_remove_by_id_keeps_papers(cli: Cli) -> None:
    vid = show(cli, "resnet")["videos"][0]["id"]
    before = stats(cli)
    result = cli.ok("video", "remove", str(vid))
    assert "kept its papers resnet" in result.stderr
    after = stats(cli)
    assert after["papers"] == 90 and after["videos"] == before["videos"] - 1
    assert show(cli, "resnet")["recorded"] is True  # it had another video
    only = show(cli, "vit")["videos"]
    assert len(only) == 1
    cli.ok("video", "remove", only[0]["bilibili"])
    assert show(cli, "vit")["recorded"] is False
    assert stats(cli)["recorded"] == before["recorded"] - 1


def test_video_edit(cli: Cli) -> None:
    vid = as_json(cli.ok("mark-recorded", "vgg", "--title", "t", "--json"))["id"]
    video = as_json(
        cli.ok(
            "video",
            "edit",
            str(vid),
            "--title",
            "VGG 精读",
            "--duration",
            "1:00:00",
            "--add-paper",
            "googlenet",
            "--date",
            "2024-01-02",
            "--json",
        )
    )
    assert video["title"] == "VGG 精读" and video["duration_seconds"] == 3600 and video["date"] == "2024-01-02"
    assert [p["key"] for p in video["papers"]] == ["vgg", "googlenet"]
    video = as_json(cli.ok("video", "edit", str(vid), "--remove-paper", "vgg", "--duration", "", "--json"))
    assert [p["key"] for p in video["papers"]] == ["googlenet"] and video["duration_seconds"] is None
    assert show(cli, "vgg")["recorded"] is False
    assert_refused(cli, ["video", "edit", str(vid)], "needs at least one", exit_code=2)
    assert_refused(cli, ["video", "edit", str(vid), "--remove-paper", "resnet"], "does not cover paper 'resnet'")
    assert_refused(cli, ["video", "edit", str(vid), "--bilibili", "BV1ih411J7Kz"], "already video")
    assert_refused(cli, ["video", "edit", "9999", "--title", "x"], "no video matches '9999'")


# ---------------------------------------------------------------------------- add, edit, remove


def test_add_derives_a_unique_key(cli: Cli) -> None:
    result = cli.ok(
        "add",
        "Deep Residual Learning for Image Recognition",
        "--category",
        "vision/cnn",
        "--year",
        "2016",
        "--description",
        "ResNet, the journal version",
        "--json",
    )
    paper = as_json(result)
    assert paper["key"] == "deep-residual-learning-for-image-recognition"
    assert paper["category"] == "vision/cnn" and paper["year"] == 2016 and paper["recorded"] is False
    assert "added 'deep-residual-learning-for-image-recognition'" in result.stderr
    again = as_json(cli.ok("add", "Deep Residual Learning for Image Recognition", "-c", "计算机视觉 - CNN", "--json"))
    assert again["key"] == "deep-residual-learning-for-image-recognition-2"
    data = stats(cli)
    assert (data["papers"], data["recorded"]) == (92, 59)
    assert [r["key"] for r in as_json(cli.ok("list", "--category", "vision/cnn", "--json"))][-2:] == [
        "deep-residual-learning-for-image-recognition",
        "deep-residual-learning-for-image-recognition-2",
    ]


def test_add_with_ids_and_key_fallbacks(cli: Cli) -> None:
    paper = as_json(
        cli.ok(
            "add",
            "GPT-4 Technical Report",
            "-c",
            "nlp/transformer",
            "--key",
            "GPT-4",
            "--year",
            "2023",
            "--url",
            "https://arxiv.org/abs/2303.08774v3",
            "--s2-id",
            "8CA62FDF4C276EA3052DC96DCFD8EE96CA425A48",
            "--doi",
            "https://doi.org/10.48550/arXiv.2303.08774",
            "--json",
        )
    )
    assert paper["key"] == "gpt-4"
    assert paper["arxiv_id"] == "2303.08774"  # taken from the arxiv.org link
    assert paper["s2_id"] == "8ca62fdf4c276ea3052dc96dcfd8ee96ca425a48"
    assert paper["doi"] == "10.48550/arxiv.2303.08774"
    assert as_json(cli.ok("show", "2303.08774", "--json"))["key"] == "gpt-4"
    chinese = as_json(cli.ok("add", "深度学习综述", "-c", "applications", "--arxiv", "arXiv:2101.01234", "--json"))
    assert chinese["key"] == "2101.01234" and chinese["title"] == "深度学习综述"


def test_titles_with_markup_are_kept_exactly(cli: Cli) -> None:
    paper = as_json(
        cli.ok("add", ODD_TITLE, "-c", "gnn", "--key", "odd", "--description", "pipes | and `ticks`", "--json")
    )
    assert paper["title"] == ODD_TITLE
    assert show(cli, "odd")["title"] == ODD_TITLE
    assert show(cli, "odd")["description"] == "pipes | and `ticks`"
    line = next(ln for ln in cli.ok("list", "--category", "gnn").stdout.splitlines() if ln.startswith("odd\t"))
    assert line.split("\t")[2] == ODD_TITLE
    assert f"title: {ODD_TITLE}" in cli.ok("show", "odd").stdout
    video = as_json(cli.ok("mark-recorded", "odd", "--title", ODD_TITLE, "--json"))
    assert video["title"] == ODD_TITLE
    assert next(v for v in videos(cli) if v["id"] == video["id"])["title"] == ODD_TITLE
    assert as_json(cli.ok("search", "<script>", "--json"))[0]["key"] == "odd"


def test_edit_fields(cli: Cli) -> None:
    result = cli.ok(
        "edit",
        "vgg",
        "--title",
        "Very Deep ConvNets",
        "--year",
        "2015",
        "--description",
        "VGG-16/19",
        "--category",
        "optimization",
        "--url",
        "https://example.org/vgg.pdf",
        "--json",
    )
    paper = as_json(result)
    assert (paper["title"], paper["year"], paper["description"], paper["category"], paper["url"]) == (
        "Very Deep ConvNets",
        2015,
        "VGG-16/19",
        "optimization",
        "https://example.org/vgg.pdf",
    )
    assert "changed 'vgg'" in result.stderr
    assert [r["key"] for r in as_json(cli.ok("list", "-c", "optimization", "--json"))][-1] == "vgg"
    cli.ok("edit", "vgg", "--key", "vgg-net")
    assert show(cli, "vgg-net")["title"] == "Very Deep ConvNets"
    assert cli("show", "vgg", "--json").exit_code == 1
    assert [r["key"] for r in as_json(cli.ok("search", "Very Deep", "--json"))] == ["vgg-net"]
    paper = as_json(cli.ok("edit", "vgg-net", "--year", "", "--url", "", "--arxiv", "", "--json"))
    assert (paper["year"], paper["url"], paper["arxiv_id"]) == (None, None, None)
    result = cli.ok("edit", "vgg-net", "--title", "Very Deep ConvNets")
    assert "nothing changed" in result.stderr


def test_remove_with_yes(cli: Cli) -> None:
    cli.ok("note", "vit", "--text", "mine")
    result = cli.ok("remove", "vit", "--yes")
    assert "removed 'vit'" in result.stderr and "deleted video" in result.stderr
    data = stats(cli)
    assert (data["papers"], data["recorded"], data["videos"]) == (89, 58, 58)
    assert "vit" not in {r["key"] for r in as_json(cli.ok("list", "--json"))}


def test_remove_asks_on_a_terminal(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("paperread.output.stdin_is_terminal", lambda: True)
    prompt = "Remove paper 'vgg' (VGG)? [y/N]:"
    assert_refused(cli, ["remove", "vgg"], "'vgg' was not removed", input="n\n", prompt=prompt)
    assert_refused(cli, ["remove", "vgg"], "'vgg' was not removed", input="\n", prompt=prompt)  # default: no
    assert_refused(cli, ["remove", "vgg"], "cancelled; nothing was removed", input="", prompt=prompt)  # input ends
    result = cli("remove", "vgg", input="y\n")
    assert result.exit_code == 0, result.output
    assert "Remove paper 'vgg' (VGG)?" in result.stderr
    assert stats(cli)["papers"] == 89


def test_remove_ctrl_c_at_the_prompt(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    import typer

    def interrupted(*args, **kwargs):
        raise typer.Abort()  # what click raises when Ctrl-C hits a prompt

    monkeypatch.setattr("paperread.output.stdin_is_terminal", lambda: True)
    monkeypatch.setattr(typer, "confirm", interrupted)
    assert_refused(cli, ["remove", "vgg"], "cancelled; nothing was removed")


def test_remove_without_a_terminal_needs_yes(cli: Cli) -> None:
    assert_refused(cli, ["remove", "vgg"], "not removing 'vgg' without confirmation")


# ---------------------------------------------------------------------------- categories


def test_category_list(cli: Cli) -> None:
    rows = as_json(cli.ok("category", "list", "--json"))
    assert len(rows) == 12
    assert rows[0] == {"slug": "vision/cnn", "name": "计算机视觉 - CNN", "papers": 7, "recorded": 2}
    plain = cli.ok("category", "list").stdout.splitlines()
    assert plain[0].split("\t") == ["vision/cnn", "计算机视觉 - CNN", "7", "2"]


def test_category_add_rename_remove(cli: Cli) -> None:
    cli.ok("category", "add", "rl", "--name", "强化学习")
    cli.ok("category", "add", "asr", "--name", "语音识别", "--parent", "nlp")
    slugs = [r["slug"] for r in as_json(cli.ok("category", "list", "--json"))]
    assert slugs[-2:] == ["rl", "nlp/asr"]
    cli.ok("add", "Playing Atari with Deep RL", "-c", "rl", "--key", "dqn")
    assert len(as_json(cli.ok("list", "-c", "nlp", "--json"))) == 6

    result = cli.ok("category", "rename", "nlp", "--slug", "language")
    assert "'nlp/transformer' is now 'language/transformer'" in result.stderr
    assert "'nlp/asr' is now 'language/asr'" in result.stderr
    assert len(as_json(cli.ok("list", "-c", "language", "--json"))) == 6
    assert cli("list", "-c", "nlp", "--json").exit_code == 1

    cli.ok("category", "rename", "rl", "--name", "Reinforcement learning", "--slug", "reinforcement")
    rows = {r["slug"]: r for r in as_json(cli.ok("category", "list", "--json"))}
    assert rows["reinforcement"]["name"] == "Reinforcement learning" and rows["reinforcement"]["papers"] == 1
    assert show(cli, "dqn")["category"] == "reinforcement"

    cli.ok("category", "remove", "language/asr")
    result = cli.ok("category", "remove", "reinforcement", "--move-to", "applications")
    assert "moved 1 paper(s) to 'applications'" in result.stderr
    assert show(cli, "dqn")["category"] == "applications"
    assert len(as_json(cli.ok("category", "list", "--json"))) == 12
    assert stats(cli)["papers"] == 91


def test_rename_a_parent_category_row_moves_its_children(empty_cli: Cli) -> None:
    empty_cli.ok("category", "add", "vision", "--name", "Vision")
    empty_cli.ok("category", "add", "cnn", "--name", "CNN", "--parent", "vision")
    empty_cli.ok("category", "add", "vision", "--name", "Vision 2", "--parent", "vision")
    empty_cli.ok("category", "rename", "vision", "--slug", "cv")
    assert [r["slug"] for r in as_json(empty_cli.ok("category", "list", "--json"))] == ["cv", "cv/cnn", "cv/vision"]
    assert_refused(empty_cli, ["category", "rename", "cv/cnn", "--slug", "cv/vision"], "already exists")
    assert_refused(empty_cli, ["category", "rename", "cv", "--slug", "cv/x"], "lies under 'cv' itself")


# ---------------------------------------------------------------------------- one text names one category


def test_a_group_may_get_its_own_row_that_holds_no_papers(cli: Cli) -> None:
    """An empty category may be a parent (it names its group); papers never go in one."""
    cli.ok("category", "add", "vision", "--name", "计算机视觉")  # the group's name already: the same group
    for ref in ("vision", "VISION", "vision/", "计算机视觉"):
        assert len(as_json(cli.ok("list", "-c", ref, "--json"))) == 45, ref
    assert_refused(cli, ["add", "P", "-c", "vision"], "category 'vision' is the parent of other categories")
    assert_refused(cli, ["add", "P", "-c", "计算机视觉"], "category '计算机视觉' is the parent of other categories")
    assert_refused(cli, ["edit", "gnn-intro", "-c", "vision"], "is the parent of other categories")
    assert_refused(
        cli,
        ["category", "remove", "gnn", "--move-to", "vision"],
        "--move-to category 'vision' is the parent of other categories",
    )
    cli.ok("category", "add", "3d", "--parent", "vision", "--name", "计算机视觉 - 3D")  # the same group again
    cli.ok("category", "rename", "vision", "--name", "CV")  # 'CV' is no slug; its own slug in any case is fine
    cli.ok("category", "rename", "vision", "--slug", "cv")
    assert len(as_json(cli.ok("list", "-c", "CV", "--json"))) == 45
    assert {r["slug"]: r["name"] for r in as_json(cli.ok("category", "list", "--json"))}["cv"] == "CV"
    assert show(cli, "resnet")["category"] == "cv/cnn"
    cli.ok("category", "remove", "cv")  # the row goes, the group stays
    assert len(as_json(cli.ok("list", "-c", "cv", "--json"))) == 45
    assert_refused(cli, ["add", "P", "-c", "cv"], "category 'cv' is a group of categories")


def test_legitimate_names_slugs_and_parents_still_work(cli: Cli) -> None:
    cli.ok("category", "add", "rl", "--name", "RL")  # its own slug, upper-case
    cli.ok("add", "Playing Atari", "-c", "RL", "--key", "dqn")
    assert show(cli, "dqn")["category"] == "rl"
    cli.ok("category", "add", "speech", "--name", "Speech")
    cli.ok("category", "add", "asr", "--parent", "speech", "--name", "语音识别 - ASR")  # an empty parent
    cli.ok("add", "Listen, Attend and Spell", "-c", "speech/asr", "--key", "las")
    assert_refused(
        cli,
        ["category", "add", "speech", "--name", "x", "--parent", "speech/asr"],
        "category 'speech/asr' holds 1 paper, so it cannot have sub-categories such as 'speech/asr/speech'",
    )
    assert [p["key"] for p in as_json(cli.ok("list", "-c", "语音识别", "--json"))] == ["las"]
    # A category holding papers becomes a parent once its papers have moved out.
    cli.ok("edit", "gnn-intro", "-c", "applications")
    cli.ok("category", "add", "x", "--parent", "gnn", "--name", "图 - X")
    assert [r["slug"] for r in as_json(cli.ok("category", "list", "--json"))][-1] == "gnn/x"
    # A group moves under an empty category (then its parent), or to a new slug.
    cli.ok("category", "add", "language", "--name", "语言")
    result = cli.ok("category", "rename", "nlp", "--slug", "language")
    assert "'nlp/transformer' is now 'language/transformer'" in result.stderr
    assert len(as_json(cli.ok("list", "-c", "自然语言处理", "--json"))) == 6
    assert_refused(cli, ["add", "P", "-c", "language"], "is the parent of other categories")
    cli.ok("category", "rename", "generative", "--name", "Generative models")
    assert len(as_json(cli.ok("list", "-c", "Generative models", "--json"))) == 13


def test_a_slug_that_is_another_categorys_name_is_refused(empty_cli: Cli) -> None:
    empty_cli.ok("category", "add", "x", "--name", "Speech")
    empty_cli.ok("category", "add", "y", "--name", "Vision - Video")  # names the group 'y' 'Vision'
    for args, fragment in [
        (
            ["category", "add", "speech", "--name", "Z"],
            "'Speech' would name both category 'speech' by its slug and category 'x' by its name",
        ),
        (
            ["category", "add", "speech/z", "--name", "Z"],
            "'Speech' would name both the group 'speech' (speech/z) and category 'x' by its name",
        ),
        (["category", "rename", "y", "--slug", "speech"], "'Speech' would name both category 'speech' by its slug"),
        (["category", "add", "vision", "--name", "Z"], "'Vision' would name both category 'vision' by its slug"),
        (
            ["category", "add", "z", "--name", "Vision"],
            "'Vision' would name both category 'z' by its name and the group 'y'",
        ),
    ]:
        assert_refused(empty_cli, args, fragment)
    empty_cli.ok("category", "add", "speech2", "--name", "Speech 2")
    assert [r["slug"] for r in as_json(empty_cli.ok("category", "list", "--json"))] == ["x", "y", "speech2"]


def _sql(cli: Cli, statement: str) -> None:
    """Change the database behind paperread's back (a catalog an older version made)."""
    if cli.backend == "sqlite":
        conn = sqlite3.connect(cli.db)
        try:
            with conn:
                conn.execute(statement)
        finally:
            conn.close()
        return
    from sqlalchemy import create_engine, text

    engine = create_engine(cli.db)
    try:
        with engine.begin() as conn:
            conn.execute(text(statement))
    finally:
        engine.dispose()


def test_slugs_win_over_names_in_a_catalog_that_already_has_a_clash(cli: Cli) -> None:
    # generative comes before gnn and vision in the list: the name used to win by position.
    _sql(cli, "UPDATE category SET name = 'gnn' WHERE slug = 'generative'")
    _sql(cli, "UPDATE category SET name = 'vision' WHERE slug = 'optimization'")
    assert {p["category"] for p in as_json(cli.ok("list", "-c", "gnn", "--json"))} == {"gnn"}
    assert {p["category"] for p in as_json(cli.ok("list", "-c", "GNN", "--json"))} == {"gnn"}
    assert len(as_json(cli.ok("list", "-c", "vision", "--json"))) == 45
    assert_refused(cli, ["add", "P", "-c", "vision"], "category 'vision' is a group of categories")
    assert as_json(cli.ok("add", "P", "-c", "gnn", "--json"))["category"] == "gnn"
    # Writes that add no clash go on; one that adds to it does not; the clash can be mended.
    cli.ok("category", "add", "rl", "--name", "强化学习")
    assert_refused(cli, ["category", "add", "bar", "--name", "GNN"], "'GNN' would name both category 'gnn'")
    cli.ok("category", "rename", "generative", "--name", "生成模型")
    assert {p["category"] for p in as_json(cli.ok("list", "-c", "生成模型", "--json"))} == {"generative"}


def test_category_help_says_what_a_name_and_slug_may_be(cli: Cli) -> None:
    add = cli.ok("category", "add", "--help").stdout
    assert "another category's or group's slug" in " ".join(add.split())
    assert "holding no papers" in " ".join(add.split())
    rename = " ".join(cli.ok("category", "rename", "--help").stdout.split())
    assert "another category's or group's slug" in rename and "or a group (vision) for --slug" in rename


# ---------------------------------------------------------------------------- on an empty catalog


def test_keeper_starts_from_an_empty_catalog(empty_cli: Cli) -> None:
    assert_refused(empty_cli, ["add", "ResNet", "-c", "vision"], "unknown category 'vision'")
    empty_cli.ok("category", "add", "vision", "--name", "Vision")
    empty_cli.ok("add", "ResNet", "-c", "vision", "--year", "2015")
    empty_cli.ok("mark-recorded", "resnet", "--title", "ResNet 精读", "--duration", "53:46", "--date", "2021-10-22")
    data = stats(empty_cli)
    assert (data["papers"], data["recorded"], data["videos"], data["video_seconds"]) == (1, 1, 1, 53 * 60 + 46)


# ---------------------------------------------------------------------------- bad input


BAD_INPUT = [
    # (arguments, first words of the error, exit code)
    (["mark-recorded", "no-such-paper", "--title", "t"], "no paper matches 'no-such-paper'", 1),
    (["mark-recorded", "vgg", "no-such-paper", "--title", "t"], "no paper matches 'no-such-paper'", 1),
    (["mark-recorded", "style", "--title", "t"], "'style' matches several papers", 1),
    (
        ["mark-recorded", "vgg", "--title", "t", "--date", "2024-13-01"],
        "date '2024-13-01' is not a real calendar date",
        2,
    ),
    (["mark-recorded", "vgg", "--title", "t", "--date", "13/45/22"], "date '13/45/22'", 2),
    (
        ["mark-recorded", "vgg", "--title", "t", "--date", "yesterday"],
        "date 'yesterday' is not YYYY-MM-DD or M/D/YY",
        2,
    ),
    (["mark-recorded", "vgg", "--title", "t", "--duration", "1:99"], "duration '1:99'", 2),
    (["mark-recorded", "vgg", "--title", "t", "--duration", "-5:00"], "duration '-5:00'", 2),
    (["mark-recorded", "vgg", "--title", "t", "--duration", "1:75:00"], "duration '1:75:00'", 2),
    (["mark-recorded", "vgg", "--title", ""], "title '' is empty", 1),
    (["mark-recorded", "vgg", "--title", "   "], "title '   ' is empty", 1),
    (["mark-recorded", "vgg", "--title", "two\nlines"], "line break", 1),
    (["mark-recorded", "vgg", "--title", "t", "--bilibili", "BV123"], "bilibili video 'BV123' is not a BV id", 2),
    (["mark-recorded", "vgg", "--title", "t", "--bilibili", "BV1xxxxxxxxxxx"], "is not a BV id", 2),
    (["mark-recorded", "vgg", "--title", "t", "--bilibili", "av170001"], "is not a BV id", 2),
    (
        ["mark-recorded", "vgg", "--title", "t", "--bilibili", "BV1ih411J7Kz"],
        "bilibili video BV1ih411J7Kz is already video",
        1,
    ),
    (["mark-recorded", "vgg", "--title", "t", "--youtube", "not a video"], "YouTube video 'not a video'", 2),
    (["mark-recorded", "vgg", "--title", "t", "--zhihu", "abc"], "zhihu video 'abc'", 2),
    (
        ["mark-recorded", "vgg", "--title", "t", "--url", "ftp://example.com/x"],
        "URL 'ftp://example.com/x' is not an http(s) URL",
        2,
    ),
    (["mark-recorded", "vgg", "--title", "t", "--url", "javascript:alert(1)"], "is not an http(s) URL", 2),
    (["mark-recorded", "vgg"], "give the video's --title", 2),
    (["mark-recorded", "--title", "t"], "Missing argument", 2),
    (["video", "add", "--title", ""], "title '' is empty", 1),
    (["video", "add", "--title", "t", "--date", "2023-02-29"], "date '2023-02-29' is not a real calendar date", 2),
    (["video", "remove", "9999"], "no video matches '9999'", 1),
    (["video", "remove", "BV1xxxxxxxxx"], "no video matches 'BV1xxxxxxxxx'", 1),
    (["video", "remove", "the first one"], "video 'the first one' is neither a video id nor a bilibili BV id", 1),
    (["unmark", "no-such-paper"], "no paper matches 'no-such-paper'", 1),
    (["add", "X", "--category", "no-such-category"], "unknown category 'no-such-category'", 1),
    (["add", "X", "--category", "vision"], "category 'vision' is a group of categories", 1),
    (["add", "X", "-c", "gnn", "--year", "0"], "year '0' is not a year between 1 and", 2),
    (["add", "X", "-c", "gnn", "--year", str(NEXT_YEAR + 1)], f"year '{NEXT_YEAR + 1}'", 2),
    (["add", "X", "-c", "gnn", "--year", "twenty"], "year 'twenty'", 2),
    (["add", "", "-c", "gnn"], "title '' is empty", 1),
    (["add", "X", "-c", "gnn", "--key", "resnet"], "key 'resnet' is already taken by paper 'resnet'", 1),
    (["add", "X", "-c", "gnn", "--key", "Bad Key!"], "key 'Bad Key!' is not a paper key", 2),
    (["add", "深度学习", "-c", "gnn"], "gives no key", 1),
    (["add", "X", "-c", "gnn", "--url", "www.example.com"], "URL 'www.example.com' is not an http(s) URL", 2),
    (
        ["add", "X", "-c", "gnn", "--s2-id", "2c03df8b48bf3fa39054345bafabfeff15bfd11d"],
        "Semantic Scholar id '2c03df8b48bf3fa39054345bafabfeff15bfd11d' is already taken by paper 'resnet'",
        1,
    ),
    (["add", "X", "-c", "gnn", "--s2-id", "xyz"], "Semantic Scholar id 'xyz' is not 40 hex digits", 2),
    (
        ["add", "X", "-c", "gnn", "--arxiv", "1512.03385v2"],
        "arXiv id '1512.03385' is already taken by paper 'resnet'",
        1,
    ),
    (["add", "X", "-c", "gnn", "--arxiv", "12345"], "arXiv id '12345' is not", 2),
    (["add", "X", "-c", "gnn", "--doi", "nope"], "DOI 'nope'", 2),
    (["add", "X"], "Missing option '--category'", 2),
    (["edit", "no-such-paper", "--title", "t"], "no paper matches 'no-such-paper'", 1),
    (["edit", "vgg"], "edit needs at least one of", 2),
    (["edit", "vgg", "--title", ""], "title '' is empty", 1),
    (["edit", "vgg", "--year", "10000"], "year '10000'", 2),
    (["edit", "vgg", "--key", "resnet"], "key 'resnet' is already taken", 1),
    (["edit", "vgg", "--key", "ÜBER"], "is not a paper key", 1),
    (["edit", "vgg", "--category", "nowhere"], "unknown category 'nowhere'", 1),
    (["edit", "vgg", "--url", "mailto:x@example.com"], "is not an http(s) URL", 2),
    (["edit", "vgg", "--title", "ok", "--year", "0"], "year '0'", 2),  # nothing half-written
    (["remove", "no-such-paper", "--yes"], "no paper matches 'no-such-paper'", 1),
    (["category", "add", "cnn", "--name", "CNN 2", "--parent", "vision"], "category 'vision/cnn' already exists", 1),
    (["category", "add", "new", "--name", "生成模型"], "category name '生成模型' is already used by 'generative'", 1),
    (["category", "add", "Bad Slug", "--name", "x"], "category slug 'Bad Slug' is not a slug", 1),
    (["category", "add", "x", "--name", ""], "category name '' is empty", 1),
    (["category", "add", "x", "--name", "X", "--parent", "nowhere"], "unknown category 'nowhere'", 1),
    (["category", "add", "x"], "Missing option '--name'", 2),
    (["category", "rename", "nowhere", "--name", "x"], "unknown category 'nowhere'", 1),
    (["category", "rename", "generative", "--name", "系统"], "category name '系统' is already used by 'systems'", 1),
    (
        ["category", "rename", "vision/cnn", "--slug", "vision/transformer"],
        "category 'vision/transformer' already exists",
        1,
    ),
    (["category", "rename", "vision", "--name", "CV"], "is a group of categories", 1),
    (["category", "rename", "gnn", "--slug", "Not/A Slug"], "is not a slug", 1),
    (["category", "rename", "vision"], "needs --name, --slug or both", 2),
    (["category", "remove", "generative"], "category 'generative' still holds 13 papers", 1),
    (["category", "remove", "generative", "--move-to", "generative"], "is the category being removed", 1),
    (["category", "remove", "generative", "--move-to", "nowhere"], "unknown category 'nowhere'", 1),
    (["category", "remove", "generative", "--move-to", "vision"], "is a group of categories", 1),
    (["category", "remove", "vision"], "category 'vision' is a group of categories", 1),
    # A name that is another category's slug, or a group's, in any case: '-c TEXT' would name two things.
    (["category", "add", "bar", "--name", "vision"], "'vision' would name both the group 'vision' (vision/cnn,", 1),
    (["category", "add", "bar", "--name", "Vision"], "'Vision' would name both the group 'vision'", 1),
    (["category", "add", "bar", "--name", "vision/"], "'vision/' would name both the group 'vision'", 1),
    (
        ["category", "add", "bar", "--name", "gnn"],
        "'gnn' would name both category 'gnn' by its slug and category 'bar' by its name",
        1,
    ),
    (["category", "add", "bar", "--name", "GNN"], "'GNN' would name both category 'gnn' by its slug", 1),
    (["category", "add", "bar", "--name", "Vision/CNN"], "'Vision/CNN' would name both category 'vision/cnn'", 1),
    (
        ["category", "add", "bar", "--name", "计算机视觉"],
        "'计算机视觉' would name both category 'bar' by its name and the group 'vision' (from the name '计算机视觉 - CNN')",
        1,
    ),
    (
        ["category", "add", "asr", "--parent", "nlp", "--name", "计算机视觉 - ASR"],
        "'计算机视觉' would name both the group 'vision' (from the name '计算机视觉 - CNN') and the group 'nlp'",
        1,
    ),
    (["category", "rename", "generative", "--name", "vision"], "'vision' would name both the group 'vision'", 1),
    (["category", "rename", "generative", "--name", "Systems"], "'Systems' would name both category 'systems'", 1),
    (
        ["category", "rename", "图神经网络", "--name", "自然语言处理"],
        "'自然语言处理' would name both category 'gnn'",
        1,
    ),
    # A category that holds papers gets no sub-categories, by add or by moving a group under it.
    (
        ["category", "add", "x", "--name", "X", "--parent", "gnn"],
        "category 'gnn' holds 1 paper, so it cannot have sub-categories such as 'gnn/x'",
        1,
    ),
    (["category", "add", "x", "--name", "X", "--parent", "图神经网络"], "category 'gnn' holds 1 paper", 1),
    (["category", "add", "gnn/x", "--name", "X"], "category 'gnn' holds 1 paper", 1),
    (["category", "add", "generative/gan", "--name", "GAN"], "category 'generative' holds 13 papers", 1),
    (
        ["category", "rename", "vision", "--slug", "gnn"],
        "category 'gnn' holds 1 paper, so it cannot have sub-categories such as 'gnn/cnn'",
        1,
    ),
    (
        ["category", "rename", "vision/cnn", "--slug", "gnn/cnn"],  # and 计算机视觉 would mean vision and gnn
        "'计算机视觉' would name both the group 'gnn' (from the name '计算机视觉 - CNN') and the group 'vision'",
        1,
    ),
    (["category", "rename", "vision/cnn", "--slug", "gnn/cnn", "--name", "CNN"], "category 'gnn' holds 1 paper", 1),
    (
        ["category", "rename", "applications", "--slug", "vision"],
        "category 'vision' holds 6 papers, so it cannot have sub-categories such as 'vision/cnn'",
        1,
    ),
    (["category", "rename", "gnn", "--slug", "nlp"], "category 'nlp' holds 1 paper", 1),
]


@pytest.mark.parametrize(("args", "fragment", "exit_code"), BAD_INPUT, ids=[" ".join(a)[:60] for a, _, _ in BAD_INPUT])
def test_bad_input_changes_nothing(cli: Cli, args: list[str], fragment: str, exit_code: int) -> None:
    assert_refused(cli, args, fragment, exit_code)


# ---------------------------------------------------------------------------- help and weight


@pytest.mark.parametrize(
    "command",
    [
        ["mark-recorded"],
        ["unmark"],
        ["add"],
        ["edit"],
        ["remove"],
        ["video"],
        ["video", "add"],
        ["video", "edit"],
        ["video", "remove"],
        ["video", "list"],
        ["category"],
        ["category", "add"],
        ["category", "list"],
        ["category", "rename"],
        ["category", "remove"],
    ],
)
def test_help(cli: Cli, command: list[str]) -> None:
    assert "Usage:" in cli.ok(*command, "--help").stdout


@pytest.mark.parametrize("args", [["category", "list", "--json"], ["video", "list"]])
def test_curate_reads_stay_light(builtin_db: Path, args: list[str]) -> None:
    from tests.test_read_paths import HEAVY, PROBE

    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY, args=["--db", str(builtin_db), *args])],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().splitlines()[-1] == "HEAVY=", result.stderr
