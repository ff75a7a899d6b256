"""import and export: the README, JSON, CSV and BibTeX round trips, through the CLI and the
database (SQLite, and PostgreSQL where the test server is set)."""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import json
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from paperread import formats
from paperread.errors import InputError
from tests.conftest import Cli
from tests.helpers import shared_readme_path, shared_readme_text

S2 = "0123456789abcdef0123456789abcdef01234567"


def as_json(result) -> Any:
    return json.loads(result.stdout)


def export_doc(cli: Cli) -> dict[str, Any]:
    return as_json(cli.ok("export", "json"))


def db_state(db: str) -> dict[str, list[tuple]]:
    """Every row of every table (timestamps and versions included): 'nothing was written'. Not
    ``catalog_state``: an import that changes nothing still leaves its fingerprint there (for
    the re-import: tests/test_reimport.py)."""
    from sqlalchemy import create_engine, inspect, text

    engine = create_engine(db if "://" in db else f"sqlite:///{db}")
    try:
        with engine.connect() as conn:
            tables = [
                t
                for t in inspect(conn).get_table_names()
                if not t.startswith(("paper_fts", "reading_note_fts", "video_note_fts")) and t != "catalog_state"
            ]
            return {
                t: sorted((tuple(row) for row in conn.execute(text(f"SELECT * FROM {t}"))), key=repr) for t in tables
            }
    finally:
        engine.dispose()


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def document(papers: list[dict[str, Any]], videos: list[dict[str, Any]] | None = None, **more: Any) -> dict[str, Any]:
    doc = {
        "format": "paperread",
        "version": 1,
        "categories": [{"slug": "misc", "name": "杂项 Misc"}, {"slug": "nlp/llm", "name": "NLP - LLM"}],
        "papers": papers,
        "videos": videos or [],
    }
    doc.update(more)
    return doc


def paper(key: str, **fields: Any) -> dict[str, Any]:
    base = {
        "key": key, "title": key.upper(), "year": 2020, "category": "misc", "url": None, "description": None,
        "s2_id": None, "arxiv_id": None, "doi": None, "authors": None, "venue": None, "publication_date": None,
        "recorded": False, "citations": None, "citations_fetched_at": None, "citation_history": [], "reading": [],
    }  # fmt: skip
    base.update(fields)
    return base


def video(title: str, papers: list[str], **fields: Any) -> dict[str, Any]:
    base = {
        "date": "2024-01-02", "title": title, "duration_seconds": 600, "bilibili": None, "youtube": None,
        "zhihu": None, "link": None, "papers": papers, "watched_by": [],
    }  # fmt: skip
    base.update(fields)
    return base


# ---------------------------------------------------------------------------- the published README


def test_readme_into_an_empty_catalog_is_the_builtin_catalog(cli: Cli, empty_cli: Cli) -> None:
    result = empty_cli.ok("import", str(shared_readme_path()))
    assert "90 added" in result.stderr
    stats = as_json(empty_cli.ok("stats", "--json"))
    assert (stats["papers"], stats["recorded"], stats["videos"], len(stats["categories"])) == (90, 59, 59, 12)
    assert stats == as_json(cli.ok("stats", "--json"))
    assert export_doc(empty_cli) == export_doc(cli)
    assert as_json(empty_cli.ok("list", "--json")) == as_json(cli.ok("list", "--json"))


def test_importing_the_readme_again_writes_nothing(cli: Cli) -> None:
    before = db_state(cli.db)
    result = cli.ok("import", str(shared_readme_path()), "--json")
    report = as_json(result)
    assert report["changed"] is False
    assert report["papers"] == {
        "added": 0,
        "updated": 0,
        "unchanged": 90,
        "skipped": 0,
        "left_off": 0,
        "merged": 0,
        "not_in_file": 0,
        "removed": 0,
    }
    assert report["videos"]["unchanged"] == 59 and report["categories"]["unchanged"] == 12
    assert "nothing to change" in result.stderr
    assert db_state(cli.db) == before


def test_markdown_export_then_import_gives_the_same_catalog(cli: Cli, empty_cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "README.md"
    result = cli.ok("export", "markdown", "-o", str(target))
    assert "exported 90 papers, 59 videos, 12 categories as markdown" in result.stderr
    text = target.read_text(encoding="utf-8")
    assert "总论文数 90，录制完成数 59" in text  # computed, where the published list says 67 / 32
    assert "https://img.shields.io/badge/dynamic/json?label=citation" in text
    assert "api.semanticscholar.org%2Fgraph%2Fv1%2Fpaper%2Fabd1c342495432171beb7ca8fd9551ef13cbd0ff" in text
    assert cli.ok("export", "markdown").stdout == text  # stdout and --output agree
    empty_cli.ok("import", str(target))
    assert export_doc(empty_cli) == export_doc(cli)


def test_json_export_then_import_keeps_every_users_state(cli: Cli, empty_cli: Cli, tmp_path: Path) -> None:
    cli.ok("read", "resnet", "--date", "2024-03-01")
    cli.ok("note", "resnet", "--text", "残差 | `code` <b>\nsecond line 😀")
    cli.ok("reading", "vgg", env={"PAPERREAD_USER": "ana"})
    cli.ok("note", "vgg", "--text", "ana's note", env={"PAPERREAD_USER": "ana"})
    cli.ok("watched", "1")
    cli.ok("watched", "2", env={"PAPERREAD_USER": "ana"})
    dump = tmp_path / "catalog.json"
    cli.ok("export", "json", "--output", str(dump))
    doc = json.loads(dump.read_text(encoding="utf-8"))
    resnet = next(p for p in doc["papers"] if p["key"] == "resnet")
    (noted,) = map(dict, resnet["reading"])
    assert dt.datetime.fromisoformat(noted.pop("updated_at")) > dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    assert noted == {"user": "tester", "status": "read", "started_at": None, "read_at": "2024-03-01T00:00:00+00:00",
                     "note": "残差 | `code` <b>\nsecond line 😀"}  # fmt: skip
    assert [r["user"] for p in doc["papers"] for r in p["reading"]] == ["ana", "tester"]  # vgg, resnet
    result = empty_cli.ok("import", str(dump))
    assert "2 reading states restored; 2 watched marks added" in result.stderr
    assert export_doc(empty_cli) == doc
    assert as_json(empty_cli.ok("show", "resnet", "--json"))["note"] == "残差 | `code` <b>\nsecond line 😀"
    assert as_json(empty_cli.ok("show", "vgg", "--json", env={"PAPERREAD_USER": "ana"}))["read_status"] == "reading"
    # And again: nothing to do.
    before = db_state(empty_cli.db)
    assert as_json(empty_cli.ok("import", str(dump), "--json"))["changed"] is False
    assert db_state(empty_cli.db) == before


def test_after_a_bulk_import_new_rows_get_free_ids(cli: Cli, empty_cli: Cli, tmp_path: Path) -> None:
    """The bulk road gives its rows their ids itself (on PostgreSQL, then moves the sequences
    on): a category, paper and video added afterwards get ids of their own."""
    dump = tmp_path / "catalog.json"
    cli.ok("export", "json", "--output", str(dump))
    empty_cli.ok("import", str(dump))
    empty_cli.ok("category", "add", "robotics", "--name", "Robotics")
    added = as_json(empty_cli.ok("add", "A paper after the import", "--category", "robotics", "--json"))
    empty_cli.ok("video", "add", "--title", "A talk after the import", "--date", "2025-01-02")
    assert added["key"] == "a-paper-after-the-import"
    assert as_json(empty_cli.ok("stats", "--json"))["papers"] == 91
    keys = [p["key"] for p in as_json(empty_cli.ok("list", "--category", "robotics", "--json"))]
    assert keys == ["a-paper-after-the-import"]
    assert any(v["title"] == "A talk after the import" for v in as_json(empty_cli.ok("videos", "--json"))["videos"])


def modified_readme(text: str) -> str:
    """The published list with GoogleNet's year changed, VGG recorded and ConvNeXt added."""
    lines = text.split("\n")
    out = []
    for line in lines:
        if "[GoogleNet](https://arxiv.org/pdf/1409.4842.pdf)" in line:
            line = line.replace("| 2014 |", "| 2013 |", 1)
        if "[VGG](https://arxiv.org/pdf/1409.1556.pdf)" in line:
            line = re.sub(r"^\|\s*\|", "| ✅ |", line)
        out.append(line)
        if "[Non-deep networks](" in line:
            out.append("| | 2022 | [ConvNeXt](https://arxiv.org/abs/2201.03545) | A ConvNet for the 2020s | |")
    changed = "\n".join(out)
    assert changed.count("| 2013 |") == text.count("| 2013 |") + 1
    return changed


def test_a_newer_readme_applies_just_its_differences(cli: Cli, tmp_path: Path) -> None:
    cli.ok("read", "googlenet")
    cli.ok("note", "googlenet", "--text", "my note")
    path = write(tmp_path, "README.md", modified_readme(shared_readme_text()))
    before = db_state(cli.db)
    dry = cli.ok("import", path, "--dry-run", "--json")
    assert db_state(cli.db) == before
    assert "dry run, nothing written" in dry.stderr
    report = as_json(cli.ok("import", path, "--json"))
    assert report == {**as_json(dry), "dry_run": False}
    assert report["papers"] == {
        "added": 1,
        "updated": 2,
        "unchanged": 88,
        "skipped": 0,
        "left_off": 0,
        "merged": 0,
        "not_in_file": 0,
        "removed": 0,
    }
    assert report["videos"] == {
        "added": 0,
        "updated": 0,
        "unchanged": 59,
        "skipped": 0,
        "left_off": 0,
        "merged": 0,
        "not_in_file": 0,
        "removed": 0,
    }
    changes = [(c["kind"], c["action"], c["name"]) for c in report["changes"]]
    assert changes == [("paper", "add", "convnext"), ("paper", "update", "vgg"), ("paper", "update", "googlenet")]
    added, vgg, googlenet = report["changes"]
    assert added["fields"]["category"] == {"old": None, "new": "vision/cnn"}
    assert added["fields"]["arxiv_id"] == {"old": None, "new": "2201.03545"}
    assert vgg["fields"] == {"marked_recorded": {"old": False, "new": True}}
    assert googlenet["fields"] == {"year": {"old": 2014, "new": 2013}}
    stats = as_json(cli.ok("stats", "--json"))
    assert (stats["papers"], stats["recorded"]) == (91, 60)
    googlenet = as_json(cli.ok("show", "googlenet", "--json"))
    assert (googlenet["year"], googlenet["note"], googlenet["read_status"], googlenet["version"]) == (
        2013,
        "my note",
        "read",
        2,
    )
    convnext = as_json(cli.ok("show", "convnext", "--json"))
    assert (convnext["category"], convnext["arxiv_id"], convnext["recorded"]) == ("vision/cnn", "2201.03545", False)
    keys = [p["key"] for p in as_json(cli.ok("list", "--category", "vision/cnn", "--json"))]
    assert keys[-1] == "convnext"
    assert as_json(cli.ok("import", path, "--json"))["changed"] is False


def test_a_catalog_edited_with_paperread_reimports_its_own_readme_unchanged(cli: Cli, tmp_path: Path) -> None:
    cli.ok("category", "add", "robotics", "--name", "机器人  学习")
    cli.ok("add", "A  paper   with spaces", "--category", "robotics", "--key", "spaced", "--url", "https://a.org/p")
    cli.ok("add", "No link at all", "--category", "robotics", "--key", "nolink")
    cli.ok("mark-recorded", "vgg", "spaced", "nolink", "--title", "VGG 和 A  paper 串讲", "--date", "2024-10-01")
    cli.ok("video", "add", "--title", "A talk", "--date", "2024-10-02", "--bilibili", "BV1xx411c7mD")
    cli.ok("edit", "mobilenet", "--year", "")
    readme = write(tmp_path, "README.md", cli.ok("export", "markdown").stdout)
    report = as_json(cli.ok("import", readme, "--json"))
    assert report["changed"] is False, report["changes"]


def test_fields_the_readme_does_not_carry_are_kept(cli: Cli, tmp_path: Path) -> None:
    doc = export_doc(cli)
    resnet = next(p for p in doc["papers"] if p["key"] == "resnet")
    resnet.update(authors="Kaiming He, Xiangyu Zhang", venue="CVPR", citations=200000,
                  citations_fetched_at="2024-05-01T00:00:00+00:00",
                  citation_history=[{"count": 199000, "fetched_at": "2024-04-01T00:00:00+00:00"}])  # fmt: skip
    cli.ok("import", write(tmp_path, "more.json", json.dumps(doc)))
    cli.ok("import", str(shared_readme_path()))
    shown = as_json(cli.ok("show", "resnet", "--json"))
    assert (shown["authors"], shown["venue"], shown["citations"]) == ("Kaiming He, Xiangyu Zhang", "CVPR", 200000)
    assert [h["count"] for h in shown["citation_history"]] == [199000]


def test_papers_not_in_the_file_are_kept_unless_pruned(cli: Cli, tmp_path: Path) -> None:
    cli.ok("add", "A paper of my own", "--category", "systems", "--key", "mine")
    cli.ok("add", "Another one", "--category", "systems", "--key", "noted")
    cli.ok("note", "noted", "--text", "keep me")
    path = str(shared_readme_path())
    result = cli.ok("import", path)
    assert "kept 2 paper(s) that are not in" in result.stderr and "--prune removes them" in result.stderr
    assert "nothing to change" in result.stderr
    report = as_json(cli.ok("import", path, "--prune", "--json"))
    assert report["papers"]["removed"] == 1 and report["papers"]["not_in_file"] == 1
    assert report["kept"] == [
        {"kind": "paper", "name": "noted", "reason": "someone's reading state or notes are on it"}
    ]
    keys = {p["key"] for p in as_json(cli.ok("list", "--json"))}
    assert "mine" not in keys and "noted" in keys


def test_prune_is_refused_when_rows_could_not_be_read(cli: Cli, tmp_path: Path) -> None:
    text = shared_readme_text().replace("| 2012 | [AlexNet]", "| 20x2 | [AlexNet]", 1)
    before = db_state(cli.db)
    result = cli("import", write(tmp_path, "README.md", text), "--prune")
    assert result.exit_code == 1
    assert "error: not pruning: 1 row(s) of the file could not be read" in result.stderr
    assert db_state(cli.db) == before


# ---------------------------------------------------------------------------- bad input


def test_unreadable_rows_are_reported_with_their_line_and_skipped(empty_cli: Cli, tmp_path: Path) -> None:
    text = shared_readme_text()
    line = next(i for i, row in enumerate(text.split("\n"), start=1) if "| 2012 | [AlexNet]" in row)
    text = text.replace("| 2012 | [AlexNet]", "| 20x2 | [AlexNet]", 1)
    result = empty_cli.ok("import", write(tmp_path, "README.md", text), "--json")
    assert f"warning: line {line}: paper row skipped: year '20x2' is not a year" in result.stderr
    report = as_json(result)
    assert report["papers"]["added"] == 89 and report["papers"]["skipped"] == 1
    assert report["problems"] == [
        {"kind": "paper", "line": line, "message": "paper row skipped: year '20x2' is not a year between 1 and "
         + report["problems"][0]["message"].rsplit(" and ", 1)[1]},
    ]  # fmt: skip
    # The videos that linked AlexNet are still there, covering nothing they cannot name.
    assert as_json(empty_cli.ok("stats", "--json"))["videos"] == 59


def test_strict_imports_nothing_when_a_row_is_bad(empty_cli: Cli, tmp_path: Path) -> None:
    text = shared_readme_text().replace("| 2012 | [AlexNet]", "| 20x2 | [AlexNet]", 1)
    result = empty_cli("import", write(tmp_path, "README.md", text), "--strict")
    assert result.exit_code == 1 and "nothing was imported (--strict)" in result.stderr
    assert as_json(empty_cli.ok("stats", "--json"))["papers"] == 0


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("notes.md", "# My notes\n\n| a | b |\n| - | - |\n| 1 | 2 |\n", "is not a paper-reading README"),
        ("data.json", '{"papers": []}', "is not a paperread catalog document"),
        ("data.json", "{not json", "is not JSON (line 1, column 2"),
        ("future.json", '{"format": "paperread", "version": 9, "papers": []}', "has format version 9"),
        ("list.csv", "name,year\nResNet,2015\n", "is not a paperread CSV"),
        ("refs.bib", "just some text, no entries\n", "is not BibTeX"),
        ("latin1.md", None, "is not UTF-8 text"),
    ],
)
def test_a_file_that_is_not_the_format_is_refused_whole(
    cli: Cli, tmp_path: Path, name: str, text: str | None, message: str
) -> None:
    path = tmp_path / name
    if text is None:
        path.write_bytes("| 日期 | café |".encode() + "é".encode("latin-1"))
    else:
        path.write_text(text, encoding="utf-8")
    before = db_state(cli.db)
    result = cli("import", str(path))
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("error: ") and message in lines[0], result.stderr
    assert db_state(cli.db) == before


def test_missing_file_and_bad_format_option(cli: Cli, tmp_path: Path) -> None:
    result = cli("import", str(tmp_path / "nope.md"))
    assert result.exit_code == 1 and "does not exist" in result.stderr
    result = cli("import", str(shared_readme_path()), "--format", "yaml")
    assert result.exit_code == 2


def test_import_reads_standard_input(empty_cli: Cli) -> None:
    result = empty_cli.ok("import", "-", input=shared_readme_text())
    assert "imported standard input (markdown)" in result.stderr
    assert as_json(empty_cli.ok("stats", "--json"))["papers"] == 90


# ---------------------------------------------------------------------------- nasty text

NASTY_TITLES = [
    "Pipes | in | titles", "<script>alert('x')</script>", "Back`ticks` and \\`escapes\\`", "Emoji 😀🚀 论文",
    "Line\nbreak", "*stars* _under_ ~tilde~ [brackets](https://evil.example) ![img](x)", "&amp; &lt; entities",
    "# heading #", "trailing !",
]  # fmt: skip


def test_nasty_titles_survive_markdown_export_then_import(empty_cli: Cli, tmp_path: Path) -> None:
    papers = [
        paper(f"p{i}", title=title, url=f"https://example.org/{i}", description=title + "\nsecond line")
        for i, title in enumerate(NASTY_TITLES)
    ]
    videos = [video(f"Video about {NASTY_TITLES[0]} and {NASTY_TITLES[3]}", ["p0", "p3"], bilibili="BV1H44y1t75x")]
    empty_cli.ok("import", write(tmp_path, "nasty.json", json.dumps(document(papers, videos))))
    first = export_doc(empty_cli)
    titles = [p["title"] for p in first["papers"]]
    assert titles == [t.replace("\n", " ") for t in NASTY_TITLES]  # a title is one line
    assert first["papers"][4]["description"] == "Line\nbreak\nsecond line"
    readme = empty_cli.ok("export", "markdown").stdout
    assert "<script>" not in readme
    second = Cli(tmp_path / "second.db")
    second.ok("init", "--empty")
    second.ok("import", write(tmp_path, "nasty.md", readme))
    again = export_doc(second)
    assert [p["title"] for p in again["papers"]] == titles
    assert [p["description"] for p in again["papers"]] == [p["description"] for p in first["papers"]]
    titles_of = lambda doc: {p["key"]: p["title"] for p in doc["papers"]}  # noqa: E731  keys are re-derived
    assert [(v["title"], v["bilibili"], [titles_of(again)[k] for k in v["papers"]]) for v in again["videos"]] == [
        (v["title"], v["bilibili"], [titles_of(first)[k] for k in v["papers"]]) for v in first["videos"]
    ]


def test_links_with_characters_a_readme_escapes_survive_export_then_import(cli: Cli, tmp_path: Path) -> None:
    """A README carries ( ) | and non-ASCII in a link percent-encoded; reading it back gives
    the same link, so re-importing a fresh export changes nothing (and no second paper)."""
    links = {
        "paren": "https://en.wikipedia.org/wiki/Foo_(bar)",
        "pipe": "https://example.org/a|b/深度学习",
        "typed": "https://en.wikipedia.org/wiki/Baz_%28qux%29",  # as the user typed it: stays so
    }
    for key, url in links.items():
        cli.ok("add", f"Paper {key}", "--key", key, "--category", "gnn", "--url", url)
        cli.ok("mark-recorded", key, "--title", f"Video {key}", "--date", "2024-01-02")
    readme = write(tmp_path, "list.md", cli.ok("export", "markdown").stdout)
    assert "Foo_%28bar%29" in Path(readme).read_text(encoding="utf-8")
    report = as_json(cli.ok("import", readme, "--json"))
    assert report["changed"] is False, report["changes"]
    again = Cli(tmp_path / "again.db")
    again.ok("init", "--empty")
    again.ok("import", readme)
    stored = {p["title"]: p["url"] for p in export_doc(again)["papers"]}
    assert [stored[f"Paper {key}"] for key in links] == [
        links["paren"],
        links["pipe"],
        "https://en.wikipedia.org/wiki/Baz_(qux)",
    ]
    assert again.ok("export", "markdown").stdout == Path(readme).read_text(encoding="utf-8")


# ---------------------------------------------------------------------------- JSON upserts


def test_json_upsert_matches_by_identity_and_keeps_keys(empty_cli: Cli, tmp_path: Path) -> None:
    base = document(
        [
            paper("alpha", s2_id=S2, url="https://arxiv.org/abs/2101.00001", recorded=True),
            paper("beta", url="https://example.org/beta", category="nlp/llm"),
            paper("gamma", doi="10.1000/gamma"),
        ],
        [video("Alpha explained", ["alpha"], bilibili="BV1H44y1t75x")],
    )
    empty_cli.ok("import", write(tmp_path, "a.json", json.dumps(base)))
    newer = copy.deepcopy(base)
    newer["papers"][0].update(key="alpha-renamed", title="Alpha v2", url="https://arxiv.org/pdf/2101.00001v3.pdf")
    newer["papers"][1].update(key="beta-other", url="http://www.example.org/beta/", year=2021)  # same link
    newer["papers"][2].update(key="gamma-x", doi="10.1000/GAMMA", description="found by DOI")
    newer["papers"].append(paper("alpha", title="A different alpha", s2_id="f" * 40))  # key taken, other S2 id
    newer["videos"][0].update(title="Alpha explained again", papers=["alpha-renamed", "beta-other"])
    report = as_json(empty_cli.ok("import", write(tmp_path, "b.json", json.dumps(newer)), "--json"))
    assert report["papers"]["added"] == 1 and report["papers"]["updated"] == 3
    changes = {c["name"]: (c["action"], sorted(c["fields"])) for c in report["changes"] if c["kind"] == "paper"}
    assert changes.pop("alpha-2")[0] == "add"
    assert changes == {
        "alpha": ("update", ["title", "url"]),
        "beta": ("update", ["url", "videos", "year"]),
        "gamma": ("update", ["description"]),
    }
    keys = [p["key"] for p in export_doc(empty_cli)["papers"]]
    assert keys == ["alpha", "gamma", "alpha-2", "beta"]
    (v,) = export_doc(empty_cli)["videos"]
    assert (v["title"], v["papers"]) == ("Alpha explained again", ["alpha", "beta"])


def test_citations_and_history_from_a_json_document(empty_cli: Cli, tmp_path: Path) -> None:
    old = document([paper("a", citations=10, citations_fetched_at="2024-01-01T00:00:00+00:00",
                          citation_history=[{"count": 10, "fetched_at": "2024-01-01T00:00:00+00:00"}])])  # fmt: skip
    new = copy.deepcopy(old)
    new["papers"][0].update(citations=12, citations_fetched_at="2024-02-01T00:00:00.250000+00:00",
                            citation_history=[{"count": 12, "fetched_at": "2024-02-01T00:00:00.250000+00:00"}])  # fmt: skip
    empty_cli.ok("import", write(tmp_path, "new.json", json.dumps(new)))
    report = as_json(empty_cli.ok("import", write(tmp_path, "old.json", json.dumps(old)), "--json"))
    # The older count does not replace the newer one; its history point is added.
    assert report["citation_history_added"] == 1 and report["papers"]["updated"] == 0
    (p,) = export_doc(empty_cli)["papers"]
    assert (p["citations"], p["citations_fetched_at"]) == (12, "2024-02-01T00:00:00.250000+00:00")
    assert [h["count"] for h in p["citation_history"]] == [10, 12]


def test_a_document_with_bad_rows_imports_the_good_ones(empty_cli: Cli, tmp_path: Path) -> None:
    doc = document(
        [paper("ok"), paper("Bad Key!"), paper("late", year=12345), paper("ok", title="dup"), {"title": 7}],
        [video("v", ["ok", "missing"]), video("bad date", [], date="someday")],
    )
    result = empty_cli.ok("import", write(tmp_path, "doc.json", json.dumps(doc)), "--json")
    report = as_json(result)
    assert report["papers"]["added"] == 1 and report["papers"]["skipped"] == 4
    assert report["videos"]["added"] == 1 and report["videos"]["skipped"] == 1
    wheres = [p["where"] for p in report["problems"]]
    assert wheres == [
        "paper #2 'Bad Key!'",
        "paper #3 'late'",
        "paper #4 'ok'",
        "paper #5",
        "video #1 'v'",
        "video #2 'bad date'",
    ]
    assert "warning: paper #3 'late': paper skipped: year '12345' is not a year" in result.stderr


def test_a_paper_id_is_never_given_to_two_papers(cli: Cli, tmp_path: Path) -> None:
    """As ``add`` refuses a taken arXiv id or DOI, so does an import: within one file (the
    later row, a different title, is taken without it) and against the catalog (the id is left off,
    with a warning)."""
    resnet = as_json(cli.ok("show", "resnet", "--json"))
    result = cli.ok("import", write(tmp_path, "twice.csv", "title,arxiv_id,doi\nFirst,2501.00001,\nSecond,2501.00001,\n"
                                    "Third,,10.1234/abc\nFourth,,10.1234/ABC\n"), "--json")  # fmt: skip
    report = as_json(result)
    assert report["papers"]["added"] == 4 and report["papers"]["skipped"] == 0 and report["papers"]["left_off"] == 2
    assert [(p["line"], p["message"]) for p in report["problems"]] == [
        (3, "arXiv id 2501.00001 is also given to the paper at line 2, a different title: "
         "the paper is imported without it"),
        (5, "DOI 10.1234/abc is also given to the paper at line 4, a different title: the paper is imported without it"),
    ]  # fmt: skip
    ids = {p["title"]: (p["arxiv_id"], p["doi"]) for p in export_doc(cli)["papers"]}
    assert [ids[t] for t in ("First", "Second", "Third", "Fourth")] == [
        ("2501.00001", None), (None, None), (None, "10.1234/abc"), (None, None),
    ]  # fmt: skip
    cli.ok("edit", "vgg", "--doi", "10.1109/cvpr.2016.90")
    cnn = [{"slug": "vision/cnn", "name": "计算机视觉 - CNN"}]
    # matched to resnet by its S2 id, but vgg has this DOI
    same = {name: resnet[name] for name in ("title", "s2_id", "url", "year", "description")}
    doc = document([paper("resnet", **same, doi="10.1109/CVPR.2016.90", category="vision/cnn")], categories=cnn)
    result = cli.ok("import", write(tmp_path, "doi.json", json.dumps(doc)))
    assert "warning: paper 'resnet': DOI 10.1109/cvpr.2016.90 left off: paper 'vgg' has it" in result.stderr
    # a paper of its own (another S2 id) with resnet's arXiv id
    doc = document([paper("not-resnet", title="Not ResNet", s2_id="f" * 40, arxiv_id=resnet["arxiv_id"],
                          category="vision/cnn")], categories=cnn)  # fmt: skip
    result = cli.ok("import", write(tmp_path, "arxiv.json", json.dumps(doc)))
    assert (
        f"warning: paper 'not-resnet': arXiv id {resnet['arxiv_id']} left off: paper 'resnet' has it" in result.stderr
    )
    papers = {p["key"]: p for p in export_doc(cli)["papers"]}
    assert [k for k, p in papers.items() if p["doi"] == "10.1109/cvpr.2016.90"] == ["vgg"]
    assert [k for k, p in papers.items() if p["arxiv_id"] == resnet["arxiv_id"]] == ["resnet"]
    assert papers["not-resnet"]["arxiv_id"] is None and papers["not-resnet"]["s2_id"] == "f" * 40


def test_an_import_never_names_a_category_like_a_slug(cli: Cli, empty_cli: Cli, tmp_path: Path) -> None:
    """``-c vision`` must keep meaning the group: a category the file names 'vision' (or
    'GNN', another category's slug) gets its slug after the name, as a taken name does."""
    cats = [{"slug": "bar", "name": "vision"}, {"slug": "baz", "name": "GNN"}, {"slug": "rl", "name": "RL"}]
    doc = document([paper("zz", category="bar")], categories=cats)
    cli.ok("import", write(tmp_path, "cats.json", json.dumps(doc)))
    names = {c["slug"]: c["name"] for c in export_doc(cli)["categories"]}
    assert (names["bar"], names["baz"], names["rl"]) == ("vision (bar)", "GNN (baz)", "RL")
    assert len(as_json(cli.ok("list", "-c", "vision", "--json"))) == 45
    doc = document([paper("zz", category="bar")], categories=[{"slug": "vision/cnn", "name": "CNN"}, *cats[:1]])
    result = empty_cli.ok("import", write(tmp_path, "empty.json", json.dumps(doc)))
    assert "warning: category 'bar': named 'vision (bar)': 'vision' is a slug" in result.stderr
    assert [p["key"] for p in as_json(empty_cli.ok("list", "-c", "bar", "--json"))] == ["zz"]


def test_counts_beyond_what_the_database_holds_are_refused_per_row(empty_cli: Cli, tmp_path: Path) -> None:
    doc = document([paper("big", citations=10**23), paper("fine", citations=2**31 - 1)],
                   [video("v", [], duration_seconds=-5)])  # fmt: skip
    report = as_json(empty_cli.ok("import", write(tmp_path, "big.json", json.dumps(doc)), "--json"))
    assert report["papers"]["added"] == 1 and report["papers"]["skipped"] == 1 and report["videos"]["skipped"] == 1
    assert (
        "citations '100000000000000000000000' is not a count (a whole number from 0 to 2,147,483,647)"
        in (report["problems"][0]["message"])
    )
    assert export_doc(empty_cli)["papers"][0]["citations"] == 2**31 - 1


def test_a_nul_character_in_imported_text_skips_the_row(empty_cli: Cli, tmp_path: Path) -> None:
    """PostgreSQL cannot store it (it was an internal error there); neither back end takes it."""
    doc = document([paper("ok"), paper("nul-text", description="x\x00y"),
                    paper("nul-note", reading=[{"user": "u", "status": "read", "note": "n\x00n"}])])  # fmt: skip
    report = as_json(empty_cli.ok("import", write(tmp_path, "nul.json", json.dumps(doc)), "--json"))
    assert report["papers"]["added"] == 1 and report["papers"]["skipped"] == 2
    assert [p["message"].split(": control characters")[0] for p in report["problems"]] == [
        "paper skipped: description 'x\\x00y' holds a NUL character (\\x00)",
        "paper skipped: note 'n\\x00n' holds a NUL character (\\x00)",
    ]
    assert [p["key"] for p in export_doc(empty_cli)["papers"]] == ["ok"]


def test_prune_takes_the_videos_it_leaves_covering_no_paper(cli: Cli, tmp_path: Path) -> None:
    """As ``remove`` does; talks (videos that never covered a paper) and watched videos stay."""

    def videos() -> list[dict[str, Any]]:
        return [{**v, "papers": [p["key"] for p in v["papers"]]} for v in as_json(cli.ok("videos", "--json"))["videos"]]

    before = videos()
    talks = {v["title"] for v in before if not v["papers"]}
    cli.ok("watched", str(next(v["id"] for v in before if v["papers"] == ["gan"])))
    rows = cli.ok("export", "csv").stdout.splitlines()
    kept_keys = {"alexnet", "resnet"}
    text = "\n".join([rows[0], *(r for r in rows[1:] if r.split(",")[0] in kept_keys)]) + "\n"
    report = as_json(cli.ok("import", write(tmp_path, "two.csv", text), "--prune", "--json"))
    assert report["papers"]["removed"] == 88
    after = videos()
    assert talks <= {v["title"] for v in after}
    # what is left covers a paper that is left, or is a talk, or was watched (gan's: it covers none now)
    assert {tuple(v["papers"]) for v in after} == {(), ("alexnet",), ("resnet",)}
    assert report["videos"]["removed"] == len(before) - len(after)
    assert {"kind": "video", "name": next(f"{v['date']} {v['title']}" for v in before if v["papers"] == ["gan"]),
            "reason": "someone watched it"} in report["kept"]  # fmt: skip
    assert as_json(cli.ok("stats", "--json"))["videos"] == len(after)


def test_a_json_import_never_puts_an_older_note_over_a_newer_one(cli: Cli, tmp_path: Path) -> None:
    cli.ok("note", "resnet", "--text", "the note in the file")
    cli.ok("note", "vgg", "--text", "vgg's note in the file")
    dump = tmp_path / "backup.json"
    cli.ok("export", "json", "--output", str(dump))
    cli.ok("note", "resnet", "--text", "written after the export")
    result = cli.ok("import", str(dump))
    assert "warning: paper 'resnet': tester's reading state and note kept: the catalog's are newer" in result.stderr
    assert "1 warning(s) above" in result.stderr and "as it is" not in result.stderr
    assert as_json(cli.ok("show", "resnet", "--json"))["note"] == "written after the export"
    # The other way round: the file's newer note replaces the older one.
    newer = tmp_path / "newer.json"
    cli.ok("export", "json", "--output", str(newer))
    cli.ok("import", str(dump))  # nothing: the catalog's are newer
    doc = json.loads(newer.read_text(encoding="utf-8"))
    for p in doc["papers"]:
        for r in p["reading"]:
            if p["key"] == "vgg":
                r.update(note="newer in the file", updated_at="2999-01-01T00:00:00+00:00")
    cli.ok("import", write(tmp_path, "edited.json", json.dumps(doc)))
    assert as_json(cli.ok("show", "vgg", "--json"))["note"] == "newer in the file"
    # A file that cannot say when its row was written fills in, never replaces.
    for p in doc["papers"]:
        for r in p["reading"]:
            r.pop("updated_at")
            r["note"] = "undated " + p["key"]
    doc["papers"].append({**next(p for p in doc["papers"] if p["key"] == "alexnet"),
                          "reading": [{"user": "tester", "status": None, "note": "undated alexnet"}]})  # fmt: skip
    doc["papers"] = [p for p in doc["papers"] if p["key"] != "alexnet" or p["reading"]]
    result = cli.ok("import", write(tmp_path, "undated.json", json.dumps(doc)))
    assert "the file's have no time" in result.stderr
    assert as_json(cli.ok("show", "vgg", "--json"))["note"] == "newer in the file"
    assert as_json(cli.ok("show", "alexnet", "--json"))["note"] == "undated alexnet"


# ---------------------------------------------------------------------------- CSV and BibTeX


def test_csv_export_is_parseable_and_round_trips(cli: Cli, empty_cli: Cli, tmp_path: Path) -> None:
    text = cli.ok("export", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == list(formats.CSV_COLUMNS)
    assert len(rows) == 90 and sum(r["recorded"] == "true" for r in rows) == 59
    assert rows[0]["key"] == "alexnet" and rows[0]["s2_id"] == "abd1c342495432171beb7ca8fd9551ef13cbd0ff"
    empty_cli.ok("import", write(tmp_path, "list.csv", text))
    assert empty_cli.ok("export", "csv").stdout == text
    assert export_doc(empty_cli)["categories"][0] == {
        "slug": "vision/cnn",
        "name": "vision/cnn",
    }  # a CSV has slugs only
    # Into the catalog it came from: nothing to change.
    assert as_json(cli.ok("import", write(tmp_path, "list.csv", text), "--json"))["changed"] is False


def test_csv_import_updates_what_it_carries(cli: Cli, tmp_path: Path) -> None:
    cli.ok("note", "vgg", "--text", "mine")
    text = (
        "title,key,year,description,category,unknown\n"
        'VGG,vgg,2015,"deeper, with 3x3",vision/cnn,x\n'
        "New one,,2023,,计算机视觉 - CNN,\n"
        "Broken,b,year?,,,\n"
    )
    result = cli.ok("import", write(tmp_path, "some.csv", text), "--json")
    report = as_json(result)
    assert report["papers"]["added"] == 2 and report["papers"]["updated"] == 1 and report["papers"]["skipped"] == 0
    assert report["papers"]["left_off"] == 1
    assert "warning: line 1: column(s) 'unknown' ignored" in result.stderr
    assert "warning: line 4: year 'year?' is not a year between 1 and" in result.stderr
    assert "papers: 2 added, 1 updated, 0 unchanged, 1 taken with fields left off" in result.stderr
    assert as_json(cli.ok("show", "b", "--json"))["year"] is None
    vgg = as_json(cli.ok("show", "vgg", "--json"))
    assert (vgg["year"], vgg["description"], vgg["note"], vgg["url"]) == (
        2015, "deeper, with 3x3", "mine", "https://arxiv.org/pdf/1409.1556.pdf",
    )  # fmt: skip
    assert as_json(cli.ok("show", "new-one", "--json"))["category"] == "vision/cnn"


def test_bibtex_export_has_one_entry_per_paper(cli: Cli, tmp_path: Path) -> None:
    doc = export_doc(cli)
    resnet = next(p for p in doc["papers"] if p["key"] == "resnet")
    resnet.update(authors="Kaiming He, Xiangyu Zhang", venue="CVPR", doi="10.1109/cvpr.2016.90",
                  title="ResNet: 100% {deep} & $fast$ #1 under_score ~ ^ \\ Süß 😀")  # fmt: skip
    cli.ok("import", write(tmp_path, "doc.json", json.dumps(doc)))
    text = cli.ok("export", "bibtex").stdout
    assert len(re.findall(r"^@misc\{[a-z0-9.-]+,$", text, re.MULTILINE)) == 90
    entry = text[text.index("@misc{resnet,") :].split("\n}\n", 1)[0]
    assert "  author = {Kaiming He and Xiangyu Zhang}," in entry
    assert "  year = {2015}," in entry and "  eprint = {1512.03385},\n  archivePrefix = {arXiv}," in entry
    assert "  doi = {10.1109/cvpr.2016.90}," in entry and "  note = {Category: 计算机视觉 - CNN}" in entry
    assert (
        r"  title = {{ResNet:} 100\% \textbraceleft{}deep\textbraceright{} \& \$fast\$ \#1 under\_score \~{} \^{}"
        r" \textbackslash{} {Süß} 😀},"
    ) in entry
    assert entry.count("{") == entry.count("}") + 1  # balanced, but for the entry's own closing brace
    # Read back: every paper found again, nothing to change.
    report = as_json(cli.ok("import", write(tmp_path, "refs.bib", text), "--json"))
    assert report["changed"] is False and report["papers"]["unchanged"] == 90, report


def test_bibtex_import_into_an_empty_catalog(cli: Cli, empty_cli: Cli, tmp_path: Path) -> None:
    text = cli.ok("export", "bibtex").stdout
    empty_cli.ok("import", write(tmp_path, "refs.bib", text))
    got = {p["key"]: p for p in export_doc(empty_cli)["papers"]}
    for p in export_doc(cli)["papers"]:
        mine = got[p["key"]]
        assert (mine["title"], mine["year"], mine["url"], mine["arxiv_id"], mine["s2_id"]) == (
            p["title"], p["year"], p["url"], p["arxiv_id"], p["s2_id"],
        )  # fmt: skip
    cats = export_doc(empty_cli)["categories"]
    assert cats[0] == {"slug": "vision/cnn", "name": "计算机视觉 - CNN"}


def test_bibtex_reader_handles_the_usual_shapes() -> None:
    text = """% a comment
@string{cvpr = "CVPR"}
@Article{He2016,
  title     = "Deep {R}esidual Learning",
  author    = {He, Kaiming and Zhang, Xiangyu},
  year      = 2016,
  booktitle = cvpr,
  url       = {https://arxiv.org/abs/1512.03385v1},
}
@misc{broken, title = {never closed
@misc{notitle, year = {2020}}
"""
    parsed = formats.parse(text, "bibtex", source="refs.bib")
    (p,) = parsed.doc["papers"]
    assert (p["key"], p["title"], p["authors"], p["year"], p["arxiv_id"], p["venue"]) == (
        "he2016", "Deep Residual Learning", "Kaiming He, Xiangyu Zhang", 2016, "1512.03385", "CVPR",  # the @string macro
    )  # fmt: skip
    assert [(pr.where, pr.message.split(":")[0]) for pr in parsed.problems] == [
        (10, "entry skipped"),
        (11, "entry skipped"),
    ]


# ---------------------------------------------------------------------------- export


def test_a_failed_export_leaves_the_file_untouched(cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "README.md"
    target.write_text("the old list\n", encoding="utf-8")
    target.chmod(0o640)

    def broken(reader, out):
        out.write("half a list")
        raise InputError("paper 'x': URL 'javascript:' is not an http(s) URL")

    monkeypatch.setattr(formats, "write_markdown", broken)
    result = cli("export", "markdown", "-o", str(target))
    assert result.exit_code == 1 and "error: paper 'x'" in result.stderr
    assert target.read_text(encoding="utf-8") == "the old list\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    monkeypatch.undo()
    cli.ok("export", "markdown", "-o", str(target))
    assert target.read_text(encoding="utf-8").startswith("# 深度学习论文精读")
    assert target.stat().st_mode & 0o777 == 0o640  # the file keeps its permissions


def test_export_to_a_missing_folder_is_an_error(cli: Cli, tmp_path: Path) -> None:
    result = cli("export", "json", "-o", str(tmp_path / "no" / "such.json"))
    assert result.exit_code == 1 and "does not exist" in result.stderr


def test_export_json_of_an_empty_catalog(empty_cli: Cli) -> None:
    doc = export_doc(empty_cli)
    assert doc == {"format": "paperread", "version": 2, "categories": [], "papers": [], "videos": []}


@pytest.mark.parametrize("fmt", ["json", "csv", "markdown", "bibtex"])
def test_exports_stay_on_the_light_road(builtin_db: Path, fmt: str) -> None:
    from tests.test_read_paths import HEAVY, PROBE

    args = ["--db", str(builtin_db), "export", fmt]
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY, args=args)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().splitlines()[-1] == "HEAVY=", result.stderr


def test_fast_sqlite_inserts_store_what_sqlalchemy_would(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy import create_engine, inspect, text

    from paperread.exchange import sql

    stamp = "2024-01-01T10:00:00.500000+00:00"
    doc = document(
        [paper("a", citations=3, citations_fetched_at=stamp, publication_date="2023-05-06", recorded=True,
               citation_history=[{"count": 3, "fetched_at": "2024-01-01T10:00:00+00:00"}],
               reading=[{"user": "u", "status": "read", "started_at": stamp, "read_at": stamp, "note": "n",
                         "updated_at": stamp}])],
        [video("v", ["a"], watched_by=[{"user": "u", "watched_at": stamp}])],
    )  # fmt: skip
    path = write(tmp_path, "doc.json", json.dumps(doc))
    fast, slow = Cli(tmp_path / "fast.db"), Cli(tmp_path / "slow.db")
    for one in (fast, slow):
        one.ok("init", "--empty")
    fast.ok("import", path)
    monkeypatch.setattr(sql, "sqlite_raw", lambda conn: False)
    slow.ok("import", path)

    def stored(db: str) -> dict[str, list[tuple]]:
        engine = create_engine(f"sqlite:///{db}")
        with engine.connect() as conn:
            out = {}
            for table in ("paper", "citation_history", "reading", "video", "watched"):
                columns = [
                    c["name"] for c in inspect(conn).get_columns(table) if c["name"] not in ("created_at", "updated_at")
                ]
                out[table] = [tuple(r) for r in conn.execute(text(f"SELECT {', '.join(columns)} FROM {table}"))]
        engine.dispose()
        return out

    assert stored(fast.db) == stored(slow.db)
    assert stored(fast.db)["watched"] == [("u", 1, "2024-01-01 10:00:00.500000")]
    assert export_doc(fast) == export_doc(slow)


def test_import_is_set_based(builtin_db: Path, tmp_path: Path) -> None:
    """A 2,000-paper upsert into a non-empty catalog runs a handful of statements, not one a row."""
    from sqlalchemy import event

    from paperread.config import resolve_target
    from paperread.db import SqliteReader, connect_sqlite
    from paperread.exchange.document import dump_document
    from paperread.exchange.run import import_document
    from paperread.opening import open_write_session

    r = SqliteReader(connect_sqlite(builtin_db))
    doc = dump_document(r)
    r.close()
    for p in doc["papers"]:
        p["year"] = 2000  # 90 updates
    doc["papers"] += [paper(f"new-{i}", category="systems", url=f"https://example.org/{i}") for i in range(2000)]
    doc["videos"].append(video("A new video", ["new-1", "resnet"]))
    parsed = formats.parse(json.dumps(doc), "json", source="doc")
    statements = []
    with open_write_session(resolve_target(str(builtin_db))) as session:
        conn = session.connection()
        event.listen(conn, "before_cursor_execute", lambda *a: statements.append(a[2]))
        plan = import_document(conn, parsed.doc, carried=parsed.carried)
    assert (plan.tally("paper")["added"], plan.tally("paper")["updated"], plan.tally("video")["added"]) == (2000, 90, 1)
    assert len(statements) < 40, statements


# ---------------------------------------------------------------------------- properties

JSON_KEYS = [
    "key",
    "title",
    "year",
    "category",
    "url",
    "s2_id",
    "papers",
    "reading",
    "user",
    "status",
    "date",
    "slug",
    "name",
]


def _nested(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(JSON_KEYS), inner, max_size=6)


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=10), _nested, max_leaves=20)
documents = st.fixed_dictionaries(
    {"format": st.just("paperread"), "version": st.just(1)},
    optional={"categories": st.lists(json_values, max_size=3), "papers": st.lists(json_values, max_size=4),
              "videos": st.lists(json_values, max_size=3)},
).map(json.dumps)  # fmt: skip
csv_like = st.lists(
    st.lists(
        st.sampled_from(["title", "key", "year", "2020", "vision/cnn", "", "a,b", '"q"', "é", "\n", "true"]), max_size=5
    ).map(",".join),
    max_size=6,
).map("\n".join)
bib_like = st.lists(
    st.sampled_from(["@misc{a,", "title = {X}", "}", "{", '"', "@string{x = {y}}", "author = {A and B}", "year = 2020,",
                     "@article(b, title={T})", "=", ",", "% c"]) | st.text(max_size=8),
    max_size=10,
).map("\n".join)  # fmt: skip


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.sampled_from(formats.FORMATS), st.one_of(st.text(max_size=200), documents, csv_like, bib_like))
def test_any_text_parses_or_is_refused_with_input_error(fmt: str, text: str) -> None:
    try:
        parsed = formats.parse(text, fmt, source="input")
    except InputError as error:
        assert error.message
        return
    for problem in parsed.problems:
        assert problem.text()
    for p in parsed.doc["papers"]:
        assert p["key"] and p["title"]


@pytest.fixture(scope="module")
def empty_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("io") / "empty.db"
    Cli(path).ok("init", "--empty")
    return path


def _fresh(template: Path) -> Path:
    path = template.parent / f"{uuid.uuid4().hex}.db"
    shutil.copy(template, path)
    return path


def _import(path: Path, text: str, fmt: str):
    from paperread.config import resolve_target
    from paperread.exchange.run import import_document
    from paperread.opening import open_write_session

    parsed = formats.parse(text, fmt, source="generated")
    assert [p for p in parsed.problems if p.skipped] == []
    with open_write_session(resolve_target(str(path))) as session:
        return import_document(session.connection(), parsed.doc, carried=parsed.carried, problems=parsed.problems)


def _export(path: Path, fmt: str) -> str:
    from paperread.db import SqliteReader, connect_sqlite

    r = SqliteReader(connect_sqlite(path))
    out = io.StringIO()
    try:
        formats.write(fmt, r, out)
    finally:
        r.close()
    return out.getvalue()


def _readme_view(doc: dict[str, Any]) -> dict[str, Any]:
    """What a README carries of a catalog; papers by position (keys are re-derived)."""
    names = {c["slug"]: c["name"] for c in doc["categories"]}
    position = {p["key"]: i for i, p in enumerate(doc["papers"])}
    return {
        "categories": [c["name"] for c in doc["categories"]],
        "papers": [
            (p["title"], p["year"], names[p["category"]], p["url"], p["description"], p["s2_id"], p["arxiv_id"],
             p["recorded"])
            for p in doc["papers"]
        ],
        "videos": [
            (v["date"], v["title"], v["duration_seconds"], v["bilibili"], v["youtube"], v["zhihu"],
             sorted(position[k] for k in v["papers"]))
            for v in doc["videos"]
        ],
    }  # fmt: skip


def _catalogs():
    from tests.test_readme import catalogs

    return catalogs()


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(_catalogs())
def test_generated_catalogs_survive_the_database_and_the_readme(empty_template: Path, catalog: dict[str, Any]) -> None:
    """A generated catalog into a database (json), out as a README, into another database:
    the two databases hold the same catalog, as far as a README carries one."""
    from paperread.exchange.clean import clean_document

    expected, problems = clean_document(catalog)
    assume(not problems)  # e.g. a title of control characters only: no title at all
    first, second = _fresh(empty_template), _fresh(empty_template)
    try:
        _import(first, json.dumps(catalog), "json")
        one = json.loads(_export(first, "json"))
        covered = {k for v in expected["videos"] for k in v["papers"]}
        for p in expected["papers"]:
            p["recorded"] = bool(p["recorded"]) or p["key"] in covered
        assert _readme_view(one) == _readme_view(expected)
        readme = _export(first, "markdown")
        _import(second, readme, "markdown")
        two = json.loads(_export(second, "json"))
        assert _readme_view(two) == _readme_view(one)
        # Importing either again finds nothing to change.
        assert not _import(second, readme, "markdown").changed
        assert not _import(first, readme, "markdown").changed
        assert not _import(first, json.dumps(one), "json").changed
        # And the README of the second database is the first one's, byte for byte.
        assert _export(second, "markdown") == _export(first, "markdown")
    finally:
        for path in (first, second):
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)


@settings(max_examples=30, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(_catalogs(), _catalogs())
def test_importing_over_another_catalog_then_again_changes_nothing(
    empty_template: Path, before: dict[str, Any], after: dict[str, Any]
) -> None:
    """Whatever the catalog held, importing a file twice changes nothing the second time,
    in every format, and the papers of the file are all there."""
    from paperread.exchange.clean import clean_document

    assume(not clean_document(before)[1] and not clean_document(after)[1])
    db, other = _fresh(empty_template), _fresh(empty_template)
    try:
        _import(db, json.dumps(before), "json")
        _import(other, json.dumps(after), "json")
        for fmt in ("markdown", "json", "csv", "bibtex"):
            text = _export(other, fmt)
            _import(db, text, fmt)
            report = _import(db, text, fmt)
            assert not report.changed, (fmt, report.changes)
        titles = {p["title"] for p in json.loads(_export(db, "json"))["papers"]}
        assert {p["title"] for p in json.loads(_export(other, "json"))["papers"]} <= titles
    finally:
        for path in (db, other):
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
