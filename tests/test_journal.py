"""The reader's journal: a notes file read into sections matched to videos (pure, with hypothesis),
the import as a plan, 'import --format journal' and 'export journal' on both back ends.

The free-form file is the seed this project grew from (/work/shared/seed, a reader's journal of
the series written by someone else): its sections are checked against the built-in catalog.
"""

from __future__ import annotations

import json
import sqlite3
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from paperread import journal
from paperread.journal import Entry, Section, clock, fold, parse_free, parse_marked
from paperread.journal_plan import plan_journal
from tests.conftest import Cli

SEED_CANDIDATES = (
    Path("/work/shared/seed/000_42593514c2d838f2.txt"),
    Path(__file__).resolve().parent.parent.parent / "shared" / "seed" / "000_42593514c2d838f2.txt",
)


def seed_text() -> str:
    for path in SEED_CANDIDATES:
        if path.is_file():
            return path.read_text(encoding="utf-8")
    pytest.skip("the seed notes file (shared/seed/000_42593514c2d838f2.txt) is not on this machine")


def seed_path() -> Path:
    seed_text()
    return next(p for p in SEED_CANDIDATES if p.is_file())


def builtin_entries(db: Path) -> tuple[list[Entry], dict[int, str]]:
    with sqlite3.connect(db) as conn:
        papers: dict[int, list[str]] = {}
        for vid, key, title in conn.execute(
            "SELECT vp.video_id, p.key, p.title FROM video_paper vp JOIN paper p ON p.id = vp.paper_id"
        ):
            papers.setdefault(vid, []).extend([key, title])
        rows = conn.execute("SELECT id, title, duration_seconds, date, bilibili FROM video").fetchall()
    entries = [Entry(r[0], r[1], r[2], r[3], r[4], tuple(papers.get(r[0], ()))) for r in rows]
    return entries, {r[0]: r[1] for r in rows}


# ---------------------------------------------------------------------------- the seed, pure


def test_the_seed_sections_find_their_videos(builtin_db: Path) -> None:
    entries, titles = builtin_entries(builtin_db)
    sections = parse_free(seed_text(), entries)
    by_line = {s.line: s for s in sections}
    # Every heading found a video; only the text before the first one and the copied list of
    # all papers at the end (both under no heading) are left over, with their lines.
    assert [(s.line, s.kind) for s in sections if s.video is None] == [(1, "loose"), (756, "loose")]
    expected = {
        7: "如何读论文",
        16: "9年后重读深度学习奠基作之一：AlexNet",  # 【上】 18:59 against 19:59: within a minute
        18: "AlexNet 论文逐段精读",  # 【下】 55:21: the title names the other one, the time decides
        33: "Transformer 逐段精读 （视频中提到的文献)",  # time two lines below
        51: "GAN 逐段精读",  # a subtitle between the title and its time
        164: "指导数学直觉",  # one title holds the other, confirmed by time
        274: "Two-Stream 逐段精读",  # 双流网络: the line with its time names the paper
        478: "跟读者建立联系【研究的艺术·一】",
        632: "如何讲好故事、故事里的论点【研究的艺术·三】",  # most character pairs agree, 43:57 vs 43:56
        644: "CLIP 改进工作串讲（上）",
        650: "CLIP 改进工作串讲（下）",
        731: "Two-Stream 逐段精读",  # a row of the copied video list
    }
    for line, title in expected.items():
        assert titles[by_line[line].video] == title, (line, by_line[line])  # type: ignore[index]
    assert by_line[274].text.startswith("视频理解。 Two-Stream Convolutional Networks")
    assert by_line[26].text.startswith("梯度保持的很好")
    # Nothing is dropped: every non-blank line is a heading, a time line, or in some section.
    held = {line for s in sections for line in s.text.split("\n")} | {s.heading for s in sections}
    for line in seed_text().split("\n"):
        if line.strip():
            assert line in held or line.strip() in held or journal._time_start(line), line


# ---------------------------------------------------------------------------- folding


@given(st.text(alphabet="ABCabc甲乙丙 ()·:-12", min_size=1, max_size=20))
def test_folding_ignores_width_case_punctuation_and_parts(title: str) -> None:
    wide = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in title)
    assert fold(wide) == fold(title)
    assert fold(title.upper()) == fold(title.lower())
    assert fold(title + "【上】") == fold(title + "（下）") == fold(title + " · 上") == fold(title)


@given(st.integers(min_value=0, max_value=99 * 3600))
def test_clock_and_seconds_agree(seconds: int) -> None:
    assert journal.seconds_of(clock(seconds)) == seconds


# ---------------------------------------------------------------------------- free-form, generated

_TITLE_CHARS = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥"
_NOTE_WORDS = st.text(alphabet="abcdefgh xyz，。", min_size=1, max_size=30).filter(lambda t: t.strip())


@st.composite
def catalogs(draw: st.DrawFn) -> list[Entry]:
    titles = draw(
        st.lists(st.text(alphabet=_TITLE_CHARS, min_size=3, max_size=8), min_size=1, max_size=8, unique_by=lambda t: t)
    )
    # No title holds another and they share few character pairs (a loose likeness would pick both).
    assume(all(a == b or (a not in b and journal.alike(a, b) < journal.ALIKE) for a in titles for b in titles))
    seconds = draw(st.lists(st.integers(60, 3 * 3600), min_size=len(titles), max_size=len(titles)))
    return [Entry(i + 1, t, s) for i, (t, s) in enumerate(zip(titles, seconds, strict=True))]


@given(data=st.data(), entries=catalogs())
@settings(suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow], max_examples=60)
def test_generated_notes_files_read_back_section_by_section(data: st.DataObject, entries: list[Entry]) -> None:
    chosen = data.draw(st.lists(st.sampled_from(entries), min_size=1, max_size=10))
    notes = [data.draw(st.lists(_NOTE_WORDS, min_size=0, max_size=4)) for _ in chosen]
    style = [data.draw(st.sampled_from(("same line", "next line", "part marker", "no time"))) for _ in chosen]
    lines: list[str] = []
    for e, note, how in zip(chosen, notes, style, strict=True):
        title = e.title
        if how == "part marker":
            title += "【上】"
        if how in ("same line", "part marker"):
            lines.append(f"{title} {clock(e.seconds)}")
        elif how == "next line":
            lines += [title, "", clock(e.seconds)]
        else:
            lines.append(title)
        lines.append("")
        lines += [n.strip() for n in note]
        lines.append("")
    sections = parse_free("\n".join(lines), entries)
    assert [s.video for s in sections] == [e.id for e in chosen]
    assert [s.text for s in sections] == ["\n".join(n.strip() for n in note) for note in notes]


@given(st.text(alphabet="甲乙丙 ab12:\n【】上下·", max_size=200))
@settings(max_examples=200)
def test_no_text_is_ever_dropped(text: str) -> None:
    entries = [Entry(1, "甲乙丙", 61), Entry(2, "甲乙丙丁", 125)]
    sections = parse_free(text, entries)
    held = {line for s in sections for line in s.text.split("\n")} | {s.heading for s in sections}
    for line in text.split("\n"):
        if line.strip():
            assert line in held or line.strip() in held or journal._time_start(line), (line, sections)


@given(st.lists(st.text(max_size=80), max_size=4))
def test_a_journal_note_reads_back_exactly(notes: list[str]) -> None:
    """Any text, marker-like lines and backslashes included, survives the journal's own format."""
    videos = [
        {"id": i + 1, "date": f"2022-01-{i + 1:02d}", "title": f"T{i}", "duration_seconds": 60, "papers": []}
        | {"bilibili": None, "youtube": None, "zhihu": None, "link": None}
        for i in range(len(notes))
    ]
    text = "".join(
        journal.render(
            user="me", videos=videos, papers=[], video_notes={i + 1: n for i, n in enumerate(notes)}, watched={}
        )
    )
    parsed = parse_marked(text, [Entry(v["id"], v["title"], 60, v["date"]) for v in videos])
    assert [(s.video, s.text) for s in parsed.sections] == [(i + 1, n) for i, n in enumerate(notes)]


@given(
    st.lists(st.tuples(st.integers(1, 3), st.text(alphabet="ab c\n", max_size=12)), max_size=8),
    st.dictionaries(st.integers(1, 3), st.text(alphabet="ab c\n", min_size=1, max_size=12), max_size=3),
)
def test_importing_twice_changes_nothing(sections: list[tuple[int, str]], notes: dict[int, str]) -> None:
    parsed = journal.Parsed([Section(i + 1, "h", text, video) for i, (video, text) in enumerate(sections)])
    kw = {"paper_notes": {}, "paper_ids": {}, "names": {}}
    first = plan_journal(parsed, video_notes=notes, **kw)  # type: ignore[arg-type]
    after = {**notes, **{n.id: n.after for n in first.notes if n.after is not None}}
    for n in first.notes:  # a note only grows, and holds what it held
        assert (n.before or "") in (n.after or "")
    second = plan_journal(parsed, video_notes=after, **kw)  # type: ignore[arg-type]
    assert not second.changed


# ---------------------------------------------------------------------------- the command


def test_importing_the_seed(cli: Cli, tmp_path: Path) -> None:
    result = cli.ok("import", str(seed_path()), "--format", "journal", "--json")
    report = json.loads(result.stdout)
    assert report["sections"] - report["matched"] == 2
    assert [s["line"] for s in report["unmatched"]] == [1, 756]
    assert report["notes"]["add"] >= 30 and report["notes"]["update"] == 0
    # The note lands on the video, and shows on its papers.
    shown = json.loads(cli.ok("show", "two-stream", "--json").stdout)
    assert shown["videos"][0]["note"].startswith("视频理解。 Two-Stream Convolutional Networks")
    assert any(v["noted"] for v in json.loads(cli.ok("videos", "--json").stdout)["videos"])
    assert "resnet" in [r["key"] for r in json.loads(cli.ok("search", "梯度保持的很好", "--json").stdout)]
    again = cli.ok("import", str(seed_path()), "--format", "journal")
    assert "nothing changed" in again.stderr
    assert "0 added, 0 updated" in again.stderr


def test_dry_run_shows_each_section_and_writes_nothing(builtin_db: Path, tmp_path: Path) -> None:
    cli = Cli(builtin_db)
    out = tmp_path / "left.txt"
    result = cli.ok("import", str(seed_path()), "--format", "journal", "--dry-run", "--unmatched", str(out))
    lines = result.stdout.splitlines()
    assert any(
        line.startswith("line 274: 双流网络论文逐段精读 [52:57] -> video ") and "Two-Stream" in line for line in lines
    )
    assert any(line.startswith("line 1: ") and "no match" in line for line in lines)
    assert "would import" in result.stderr
    with sqlite3.connect(builtin_db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM video_note").fetchone()[0] == 0
    left = out.read_text(encoding="utf-8")
    assert left.startswith("机器学习 -- 跟李沐学 AI【论文精读】(进行中)") and "所有论文" in left
    # Edited to name a video, the left-over text imports.
    out.write_text("如何读论文 06:39\n\n" + left, encoding="utf-8")
    cli.ok("import", str(out), "--format", "journal")
    with sqlite3.connect(builtin_db) as conn:
        (note,) = conn.execute(
            "SELECT note FROM video_note vn JOIN video v ON v.id = vn.video_id WHERE v.bilibili = 'BV1H44y1t75x'"
        ).fetchone()
    assert note.startswith("机器学习 -- 跟李沐学 AI") and "所有论文" in note


def _fresh(cli: Cli, tmp_path: Path, request: pytest.FixtureRequest) -> Cli:
    if cli.backend == "sqlite":
        fresh = Cli(tmp_path / "fresh.db")
        fresh.ok("init")
        return fresh
    return Cli(request.getfixturevalue("pg_catalog_url"))


def test_the_journal_round_trip_is_exact(cli: Cli, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    cli.ok(
        "note",
        "--video",
        "BV19S4y1M7hm",
        "--text",
        "InstDisc, CPC, MoCo…\n\n<!-- paperread:end -->\n## 2021 · x · 1:00",
    )
    cli.ok("note", "resnet", "--text", "残差 | `x`\n- [x] `vgg` not a paper line\n")
    cli.ok("note", "vgg", "--text", "no video covers VGG")
    cli.ok("read", "resnet", "--date", "2024-05-01")
    cli.ok("reading", "alexnet")
    cli.ok("watched", "BV1P3411y7nn")
    first = cli.ok("export", "journal").stdout
    assert "## 2021-12-20 · 对比学习论文综述 · 1:32:01" in first
    assert "- [x] `resnet` ResNet · read 2024-05-01" in first
    path = tmp_path / "journal.md"
    path.write_text(first, encoding="utf-8")
    fresh = _fresh(cli, tmp_path, request)
    fresh.ok("import", str(path))  # known by its first line: no --format needed
    assert fresh.ok("export", "journal").stdout == first
    assert "nothing changed" in fresh.ok("import", str(path)).stderr
    watched_first = cli.ok("export", "journal", "--order", "watched").stdout
    assert watched_first.index("ResNet 论文逐段精读") < watched_first.index("对比学习论文综述")


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "is empty"),
        (b"1:02:03\n\n04:05\n12:00 video\n", "no line of"),
        (bytes(range(256)) * 4, "not UTF-8 text"),
        (b"\xef\xbb\xbf\x00\x01\x02", "NUL"),
        (b"<!-- paperread:journal 1 user=x -->\n<!-- paperread:note -->\nnever closed\n", "never closed"),
    ],
    ids=["empty", "only-times", "binary", "nul", "unclosed"],
)
def test_bad_journal_files_are_refused(builtin_db: Path, tmp_path: Path, content: bytes, words: str) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(content)
    result = Cli(builtin_db)("import", str(path), "--format", "journal")
    assert result.exit_code == 1, result.output
    assert words in result.stderr and "Traceback" not in result.stderr
    with sqlite3.connect(builtin_db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM video_note").fetchone()[0] == 0


def test_a_50_mb_notes_file(builtin_db: Path, tmp_path: Path) -> None:
    seed = seed_text()
    path = tmp_path / "big.txt"
    with path.open("w", encoding="utf-8") as fh:
        size = 0
        n = 0
        while size < 50_000_000:
            chunk = seed.replace("梯度保持的很好", f"梯度保持的很好 {n}")
            fh.write(chunk + "\n")
            size += len(chunk.encode("utf-8")) + 1
            n += 1
    result = Cli(builtin_db).ok("import", str(path), "--format", "journal", "--json")
    report = json.loads(result.stdout)
    assert report["matched"] > 100 * n - 1
    with sqlite3.connect(builtin_db) as conn:
        note = conn.execute(
            "SELECT note FROM video_note vn JOIN video v ON v.id = vn.video_id WHERE v.bilibili = 'BV1P3411y7nn'"
        ).fetchone()[0]
    assert note.count("梯度保持的很好") == n  # each copy's own words appended once, the rest once


def test_unicode_width_in_titles(builtin_db: Path, tmp_path: Path) -> None:
    path = tmp_path / "n.txt"
    path.write_text(unicodedata.normalize("NFKC", "ＲｅｓＮｅｔ 论文逐段精读 53:46\n\nwide\n"), encoding="utf-8")
    cli = Cli(builtin_db)
    cli.ok("import", str(path), "--format", "journal")
    assert json.loads(cli.ok("show", "resnet", "--json").stdout)["videos"][1]["note"] == "wide"
