"""What a person sees at a terminal: the real CLI in a pseudo-terminal at several sizes.

Tables fit the width and break titles only between words; long output goes through a pager
(never when piped, nor with --no-pager, nor when it fits); NO_COLOR and FORCE_COLOR are followed.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import pytest

from paperread.terminal import Column, StreamTable, cell_width, ellipsize, wrap
from tests.conftest import ROOT
from tests.ptyrun import run_in_pty

NO_PAGER: dict[str, str | None] = {"PAPERREAD_PAGER": ""}
SGR = re.compile(r"\x1b\[[0-9;]*m")


def _papers(db) -> list[dict]:
    out = subprocess.run(
        [sys.executable, "-m", "paperread", "--db", str(db), "list", "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    ).stdout
    return json.loads(out)


@pytest.mark.parametrize("columns", [40, 60, 80, 120, 200])
def test_list_fits_the_width_and_breaks_titles_between_words(builtin_db, columns: int) -> None:
    # a long generated key (like 'add --fetch' makes) must not squeeze the titles
    long_key = "a-very-long-generated-key-going-deeper-with-convolutions-szegedy"[:63]
    subprocess.run(
        [sys.executable, "-m", "paperread", "--db", str(builtin_db), "edit", "googlenet", "--key", long_key],
        capture_output=True,
        cwd=ROOT,
        check=True,
    )
    result = run_in_pty("--db", str(builtin_db), "list", columns=columns, env={**NO_PAGER, "NO_COLOR": "1"})
    assert result.returncode == 0, result.text
    lines = [line for line in result.lines if line.strip()]
    assert len(lines) > 90 and lines[0].split()[:2] == ["key", "year"] if columns >= 60 else lines[0].startswith("key")
    assert max(cell_width(line) for line in lines) <= columns, [line for line in lines if cell_width(line) > columns]
    text = " ".join(result.text.split())
    for paper in _papers(builtin_db):
        for word in paper["title"].split():
            assert word in text or cell_width(word) > 16, f"'{word}' of '{paper['title']}' was broken at {columns}"
    assert "GoogleNet" in text  # its row is still readable beside the long key
    assert long_key not in result.text and "a-very-long-generated" in result.text  # capped, ellipsized
    assert "…" in result.text


def test_show_keeps_a_link_whole_at_60_columns(builtin_db) -> None:
    url = "https://arxiv.org/abs/1512.03385?context=cs.CV&utm_source=a-long-tracking-value-xyz"
    subprocess.run(
        [sys.executable, "-m", "paperread", "--db", str(builtin_db), "edit", "resnet", "--url", url],
        capture_output=True,
        cwd=ROOT,
        check=True,
    )
    result = run_in_pty("--db", str(builtin_db), "show", "resnet", columns=60, env={**NO_PAGER, "NO_COLOR": "1"})
    assert result.returncode == 0 and url in result.text.replace("\n", ""), result.text
    # the terminal wraps it, paperread does not cut it into pieces with padding in between
    assert re.search(re.escape(url[:50]), result.text.replace("\n", ""))


def test_long_output_goes_through_the_pager_on_a_terminal_only(builtin_db) -> None:
    marker = {"PAPERREAD_PAGER": "sed s/^/PAGED:/", "NO_COLOR": "1"}
    paged = run_in_pty("--db", str(builtin_db), "list", columns=100, lines=20, env=marker)
    assert paged.returncode == 0 and "PAGED:key" in paged.text and "PAGED:alexnet" in paged.text
    short = run_in_pty("--db", str(builtin_db), "list", "-n", "3", columns=100, lines=20, env=marker)
    assert "PAGED:" not in short.text and "alexnet" in short.text  # fits the screen: no pager
    off = run_in_pty("--db", str(builtin_db), "--no-pager", "list", columns=100, lines=20, env=marker)
    assert "PAGED:" not in off.text and "alexnet" in off.text
    piped = run_in_pty("--db", str(builtin_db), "list", columns=100, lines=20, env=marker, stdout_piped=True)
    assert "PAGED:" not in piped.text and "alexnet\t2012\tAlexNet" in piped.text
    # PAGER is used when PAPERREAD_PAGER is not set; PAPERREAD_PAGER wins over it
    env = {"PAGER": "sed s/^/FROM-PAGER:/", "NO_COLOR": "1"}
    assert "FROM-PAGER:alexnet" in run_in_pty("--db", str(builtin_db), "list", lines=20, env=env).text
    assert "FROM-PAGER" not in run_in_pty("--db", str(builtin_db), "list", lines=20, env={**env, **marker}).text


@pytest.mark.skipif(shutil.which("less") is None, reason="less is not installed")
def test_quitting_less_early_ends_quietly(builtin_db) -> None:
    result = run_in_pty("--db", str(builtin_db), "list", lines=15, env={"PAGER": "less"}, keys=b"q", keys_after=1.5)
    assert result.returncode == 0, result.text
    assert "alexnet" in result.text and "Traceback" not in result.text and "error" not in result.text


def test_colour_follows_no_color_and_force_color(builtin_db) -> None:
    args = ("--db", str(builtin_db), "list", "-n", "3")
    assert SGR.search(run_in_pty(*args, env=NO_PAGER).raw)  # a terminal: colour
    plain = run_in_pty(*args, env={**NO_PAGER, "NO_COLOR": "1"}).raw
    assert not SGR.search(plain) and "alexnet" in plain  # no colour, no bold, no dim
    assert SGR.search(run_in_pty(*args, env={**NO_PAGER, "NO_COLOR": ""}).raw)  # empty: not set (no-color.org)
    dumb = run_in_pty(*args, env={**NO_PAGER, "TERM": "dumb"}).raw
    assert not SGR.search(dumb)
    assert SGR.search(run_in_pty(*args, env={**NO_PAGER, "TERM": "dumb", "FORCE_COLOR": "1"}).raw)
    rich_plain = run_in_pty("--db", str(builtin_db), "stats", env={**NO_PAGER, "NO_COLOR": "1"}).raw
    assert not SGR.search(rich_plain) and "recorded" in rich_plain  # rich tables too (bold headers included)


def test_bare_paperread_on_a_terminal_lists_the_commands() -> None:
    result = run_in_pty(columns=80, env=NO_PAGER)
    assert result.returncode == 0 and "Commands:" in result.text and "error" not in result.text


# ---------------------------------------------------------------------------- the layout itself


def test_wrap_breaks_between_words_and_cuts_only_words_longer_than_a_line() -> None:
    assert wrap("Deep Residual Learning for Image Recognition", 14) == [
        "Deep Residual",
        "Learning for",
        "Image",
        "Recognition",
    ]
    assert wrap("Supercalifragilistic", 8) == ["Supercal", "ifragili", "stic"]
    assert wrap("注意力 就是 你所需要的", 6) == ["注意力", "就是", "你所需", "要的"]
    assert all(cell_width(line) <= 6 for line in wrap("注意力就是你所需要的一切", 6))
    assert ellipsize("a-very-long-key", 8) == "a-very-…" and ellipsize("short", 8) == "short"


def test_a_narrow_table_drops_the_least_useful_columns_before_the_title() -> None:
    columns = [
        Column("key", cap=24, min_width=8),
        Column("year", drop=2),
        Column("title", grow=True),
        Column("category", cap=20, drop=4),
        Column("citations", drop=5),
    ]
    table = StreamTable(columns, width=40)
    table.layout([("resnet", "2015", "Deep Residual Learning", "vision/cnn", "200,000")])
    shown = [columns[i].header for i in table.shown]
    assert "title" in shown and "citations" not in shown
    assert columns[2].width >= 16
    for line in [
        table.header(),
        *table.row_lines(("resnet", "2015", "Deep Residual Learning", "vision/cnn", "200,000")),
    ]:
        assert cell_width(line) <= 40
