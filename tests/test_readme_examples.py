"""The README's examples, run in order as a reader would type them, against a fresh built-in catalog.

Every ``sh`` block of README.md is read; each ``paperread`` command in it (lines split at ``;`` and
``&&``, a pipe's reader and comments dropped, ``> FILE`` and ``< FILE`` honoured) runs as a real
process in one folder, one after the other, and must succeed. Left out, and why:

- blocks that install, run the suite, or drive git, systemd or cron (not paperread's to test);
- blocks about a PostgreSQL server at db.example.org (tests/test_postgres.py covers that road);
- ``open`` (it starts a browser).

Commands that reach Semantic Scholar (sync-citations, resolve, add --fetch) or bilibili (sync-views,
mark-recorded --fetch) run against fake servers on 127.0.0.1 (tests/fake_s2.py,
tests/fake_video_apis.py) that know every paper and video of the catalog and the ones the README
fetches; tests/test_sync.py and tests/test_views.py test those doors in depth.
"""

from __future__ import annotations

import os
import re
import shlex
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import ROOT
from tests.fake_s2 import FakeS2Server
from tests.fake_video_apis import FakeBilibili

README = ROOT / "README.md"
NETWORK = ("open",)


def blocks() -> list[str]:
    return re.findall(r"```sh\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def commands(block: str) -> list[tuple[list[str], str | None, str | None]]:
    """(argv, stdin file, stdout file) of each paperread command in ``block``."""
    found = []
    for line in block.splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|<>")
        lexer.whitespace_split = True
        lexer.commenters = "#"
        words = list(lexer)
        part: list[str] = []
        for word in [*words, ";"]:
            if word in (";", "&&"):
                if part and part[0] == "paperread":
                    found.append(_redirected(part))
                part = []
            else:
                part.append(word)
    return found


def _redirected(words: list[str]) -> tuple[list[str], str | None, str | None]:
    if "|" in words:
        words = words[: words.index("|")]
    stdin = stdout = None
    argv: list[str] = []
    it = iter(words)
    for word in it:
        if word == "<":
            stdin = next(it)
        elif word == ">":
            stdout = next(it)
        else:
            argv.append(word)
    return argv, stdin, stdout


def runnable() -> list[tuple[list[str], str | None, str | None]]:
    out = []
    for block in blocks():
        if "db.example.org" in block or "pip install" in block or "systemctl" in block:
            continue
        for argv, stdin, stdout in commands(block):
            if any(word in NETWORK for word in argv[1:3]):
                continue
            out.append((argv, stdin, stdout))
    return out


def test_the_readme_has_examples_to_run() -> None:
    assert len(runnable()) >= 40


@contextmanager
def fake_services(db: Path) -> Iterator[dict[str, str]]:
    """Fake S2 and bilibili servers that know the catalog's papers and videos, and the ones the
    README's examples bring in by id; the environment that points paperread at them."""
    with sqlite3.connect(db) as conn:
        papers = conn.execute("SELECT s2_id, title, year FROM paper WHERE s2_id IS NOT NULL").fetchall()
        videos = [r[0] for r in conn.execute("SELECT bilibili FROM video WHERE bilibili IS NOT NULL")]
    readme = README.read_text(encoding="utf-8")
    with FakeS2Server() as s2, FakeBilibili() as bili:
        for n, (s2_id, title, year) in enumerate(papers):
            s2.add_paper(s2_id, title=title, year=year, citations=1_000 + n)
        for arxiv in re.findall(r"--fetch ARXIV:(\d{4}\.\d{4,5})", readme):
            s2.add_paper(f"{int(arxiv.replace('.', '')):040x}", title=f"A paper fetched as arXiv {arxiv}",
                         year=2000 + int(arxiv[:2]), arxiv=arxiv, citations=7)  # fmt: skip
        for n, bvid in enumerate(dict.fromkeys([*videos, *re.findall(r"\bBV1\w{9}\b", readme)])):
            bili.add(bvid, views=10_000 + n, title=f"video {bvid}", duration=1_800)
        yield {
            "PAPERREAD_S2_URL": s2.base_url,
            "PAPERREAD_S2_INTERVAL": "0",
            "PAPERREAD_S2_BACKOFF": "0.001",
            "PAPERREAD_BILIBILI_URL": bili.base_url,
            "PAPERREAD_BILIBILI_INTERVAL": "0",
            "PAPERREAD_BILIBILI_BACKOFF": "0.01",
        }


def test_the_readme_examples_run_in_order(tmp_path: Path, builtin_db: Path, isolated_env: Path) -> None:
    with fake_services(builtin_db) as services:
        _run_in_order(tmp_path, builtin_db, services)


def _run_in_order(tmp_path: Path, builtin_db: Path, services: dict[str, str]) -> None:
    work = tmp_path / "work"
    (work / "notes").mkdir(parents=True)
    (work / "notes" / "resnet.md").write_text("# ResNet\n\nthe bottleneck\n", encoding="utf-8")
    (work / "notes.txt").write_text(  # a reader's own notes file, for the journal examples
        "AlexNet 论文逐段精读\n\nthe first deep CNN to win ImageNet\n\nResNet 论文逐段精读\n\nresidual connections\n",
        encoding="utf-8",
    )
    editor = tmp_path / "editor.sh"
    editor.write_text('#!/bin/sh\necho "- read again" >> "$1"\n', encoding="utf-8")
    editor.chmod(0o755)
    env = {**os.environ, **services, "PAPERREAD_DB": str(builtin_db), "VISUAL": str(editor), "PAPERREAD_PAGER": ""}
    # Files the examples read before they write them (a reader has their own): made by paperread.
    for fmt, name in (("json", "catalog.json"), ("csv", "list.csv"), ("markdown", "README.md")):
        subprocess.run([sys.executable, "-m", "paperread", "export", fmt, "-o", str(work / name)], env=env,
                       cwd=work, check=True, capture_output=True)  # fmt: skip
    for argv, stdin, stdout in runnable():
        argv = [os.path.expanduser(a) for a in argv]
        with open(work / stdin, "rb") if stdin else open(os.devnull, "rb") as fin:
            result = subprocess.run(
                [sys.executable, "-m", "paperread", *argv[1:]],
                stdin=fin,
                capture_output=True,
                env=env,
                cwd=work,
                timeout=120,
            )
        shown = shlex.join(argv)
        if "remove" in argv and "--yes" not in argv and "category" not in argv and "video" not in argv:
            # 'asks on a terminal; --yes in scripts': without a terminal it refuses, naming --yes
            assert result.returncode != 0 and b"--yes" in result.stderr, (shown, result.stderr)
            continue
        assert result.returncode == 0, f"{shown} failed ({result.returncode}):\n{result.stderr.decode()}"
        if stdout:
            (work / stdout).write_bytes(result.stdout)
