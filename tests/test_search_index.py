"""SQLite's search index (migration 0003) answers exactly what a scan of the four fields would.

The index is one trigram text per paper; the reference here is plain Python: a paper matches
when the needle, lowercased (Unicode, as PostgreSQL's lower()), is a substring of its key,
title, description or authors, lowercased. Papers are added, edited and
removed through the CLI, so the triggers that keep the index in step are exercised too.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paperread import queries
from paperread.db import SqliteReader, connect_sqlite
from tests.conftest import Cli

FIELDS = ("key", "title", "description", "authors")


def _fields(db: Path) -> dict[str, list[str]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(f"SELECT {', '.join(FIELDS)} FROM paper").fetchall()
    return {row[0]: [field.lower() for field in row if field] for row in rows}


def _expected(fields: dict[str, list[str]], needle: str) -> set[str]:
    folded = needle.strip().lower()
    return {key for key, texts in fields.items() if any(folded in text for text in texts)}


def _found(db: Path, needle: str) -> set[str]:
    reader = SqliteReader(connect_sqlite(db))
    try:
        return {row["key"] for row in queries.papers(reader, search=needle, user="tester")}
    finally:
        reader.close()


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built-in catalog with papers whose fields meet at their edges (a match must not
    span two fields), CJK and accented text, and one edited and one removed paper."""
    folder = tmp_path_factory.mktemp("search")
    db = folder / "catalog.db"
    extra = folder / "extra.json"
    papers = [
        {"key": "edge-one", "title": "Edge one", "category": "systems", "authors": "Xyz Author",
         "description": "tail words\nsecond line"},
        {"key": "cjk-accent", "title": "Réseaux 深度学习 模型", "category": "systems", "description": "Ünïcode ÄÖ"},
        {"key": "gone", "title": "To be removed zqxj", "category": "systems"},
    ]  # fmt: skip
    extra.write_text(json.dumps({"format": "paperread", "version": 1, "categories": [{"slug": "systems", "name": "系统"}],
                                 "papers": papers, "videos": []}), encoding="utf-8")  # fmt: skip
    cli = Cli(db)
    cli.ok("init")
    cli.ok("import", str(extra))
    cli.ok("edit", "edge-one", "--title", "Edge renamed")
    cli.ok("remove", "gone", "--yes")
    return db


def test_fixed_cases(catalog: Path) -> None:
    fields = _fields(catalog)
    for needle in ("resnet", "TRANSFORMER", "对比学习", "深度学习", "Réseaux", "edge renamed", "Edge one",
                   "xyz", "renamed\nxyz", "one-ed", "zqxj", "gan", "3D", "100%", "e_o", "tail words", "réSEAUX", "RÉSEAUX", "ünï", "é", "'\"*:^"):  # fmt: skip
        assert _found(catalog, needle) == _expected(fields, needle), needle
    assert _found(catalog, "Edge one") == set()  # the old title left the index with the edit
    assert _found(catalog, "zqxj") == set()  # so did the removed paper
    assert _found(catalog, "renamedxyz") == set()  # a match never spans the title and the authors


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_index_agrees_with_a_scan(catalog: Path, data: st.DataObject) -> None:
    fields = _fields(catalog)
    texts = sorted({text for values in fields.values() for text in values})
    source = data.draw(st.sampled_from(texts))
    start = data.draw(st.integers(0, max(0, len(source) - 1)))
    size = data.draw(st.integers(1, 12))
    needle = source[start : start + size]
    if data.draw(st.booleans()):
        needle = needle.upper()
    if data.draw(st.booleans()):
        needle += data.draw(st.text(alphabet="ab学%_ 'é", max_size=2))
    if not needle.strip():
        return
    assert _found(catalog, needle) == _expected(fields, needle)


# ---------------------------------------------------------------------------- the bulk road's index


def test_bulk_loads_build_an_index_that_passes_fts5s_integrity_check(tmp_path: Path) -> None:
    from bench.synth import make_document

    source = tmp_path / "synth.json"
    source.write_text(json.dumps(make_document(3_000, seed=3), ensure_ascii=False), encoding="utf-8")
    for name, steps in {"builtin": [("init",)], "import": [("init", "--empty"), ("import", str(source))]}.items():
        db = tmp_path / f"{name}.db"
        for step in steps:
            Cli(db).ok(*step)
        with sqlite3.connect(db) as conn:
            conn.execute("INSERT INTO paper_fts(paper_fts, rank) VALUES ('integrity-check', 1)")  # raises if not
            triggers = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
            assert {"paper_fts_ai", "paper_fts_ad", "paper_fts_au"} <= triggers
            assert conn.execute("SELECT name FROM sqlite_temp_master").fetchall() == []
            # segments were not merged during the load; merging is back on for later writes
            assert conn.execute("SELECT v FROM paper_fts_config WHERE k = 'automerge'").fetchone() == (4,)
        Cli(db).ok("db", "check")
    fields = _fields(tmp_path / "import.db")
    for needle in ("transformer", "resnet-0", "Hinton, "):
        assert _found(tmp_path / "import.db", needle) == _expected(fields, needle) != set()


def test_an_import_updating_many_titles_keeps_the_index_in_step(tmp_path: Path) -> None:
    """Past ``sql.FTS_ONE_BY_ONE`` updated papers, the index is updated in two statements
    instead of by the trigger: it must hold the new text and not the old, and the trigger is back."""
    from bench.synth import make_document
    from paperread.exchange.sql import FTS_ONE_BY_ONE

    doc = make_document(1_000, seed=5)
    db = tmp_path / "c.db"
    source = tmp_path / "a.json"
    source.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    Cli(db).ok("init", "--empty")
    Cli(db).ok("import", str(source))
    changed = 0
    for i, paper in enumerate(doc["papers"]):
        if i % 4 == 0:
            paper["title"] = f"Qzvq renamed {i}"
            changed += 1
        elif i % 4 == 1:
            paper["description"] = f"wxyq described {i}"
            changed += 1
    assert changed >= FTS_ONE_BY_ONE
    source.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    report = json.loads(Cli(db).ok("import", str(source), "--json").stdout)
    assert report["papers"]["updated"] == changed
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO paper_fts(paper_fts, rank) VALUES ('integrity-check', 1)")  # raises if not
        triggers = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
        assert {"paper_fts_ai", "paper_fts_ad", "paper_fts_au"} <= triggers
        assert conn.execute("SELECT name FROM sqlite_temp_master").fetchall() == []
    Cli(db).ok("db", "check")
    fields = _fields(db)
    for needle in ("qzvq renamed", "wxyq described", "renamed 12", doc["papers"][2]["title"][:12]):
        assert _found(db, needle) == _expected(fields, needle) != set()
    Cli(db).ok("edit", doc["papers"][0]["key"], "--title", "Edited after the import")  # the trigger works again
    assert _found(db, "Edited after the import") == {doc["papers"][0]["key"]}


def test_db_check_finds_a_search_index_out_of_step(builtin_db: Path) -> None:
    with sqlite3.connect(builtin_db) as conn:
        conn.execute("DROP TRIGGER paper_fts_au")
        conn.execute("UPDATE paper SET title = 'Renamed behind the index' WHERE key = 'resnet'")
    result = Cli(builtin_db)("db", "check")
    assert result.exit_code == 1
    assert "search index does not match the papers" in result.stderr
    assert "paperread db reindex" in result.stderr and "Traceback" not in result.stderr
    assert _found(builtin_db, "Renamed behind") == set()  # the index still has the old title
    assert "rebuilt the search index of" in (said := Cli(builtin_db).ok("db", "reindex").stderr)
    assert said.rstrip().endswith(": 90 papers")
    Cli(builtin_db).ok("db", "check")
    assert _found(builtin_db, "Renamed behind") == {"resnet"}


def test_db_reindex_refuses_a_database_that_is_not_a_current_catalog(tmp_path: Path) -> None:
    missing = Cli(tmp_path / "nothing.db")("db", "reindex")
    assert missing.exit_code == 1 and "Traceback" not in missing.stderr
    assert not (tmp_path / "nothing.db").exists()


def _engine_on(db: Path):
    from paperread.config import resolve_target
    from paperread.engine import make_engine

    return make_engine(resolve_target(str(db)))


def _papers(n: int) -> list[dict]:
    return [
        {"key": f"p-{i}", "title": f"Paper number {i}", "description": None, "authors": "A. Author"} for i in range(n)
    ]


def test_a_failure_while_the_index_builds_leaves_nothing_behind(tmp_path: Path) -> None:
    from paperread.exchange.bulk import SearchFill
    from paperread.exchange.sql import search_body

    db = tmp_path / "c.db"
    Cli(db).ok("init", "--empty")
    engine = _engine_on(db)
    with pytest.raises(ValueError, match="while preparing rows"):
        with engine.begin() as conn:
            fill = SearchFill(conn, [search_body(p) for p in _papers(20_000)])
            try:
                raise ValueError("while preparing rows")
            except BaseException:
                fill.abort()  # stops the build, waits for the thread
                raise
    engine.dispose()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM paper_fts_data").fetchone()[0] <= 2  # the empty index's own rows
        assert conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'paper_fts_ai'").fetchone() == (1,)
        conn.execute("INSERT INTO paper_fts(paper_fts, rank) VALUES ('integrity-check', 1)")


def test_an_index_started_before_cleaning_is_replaced_when_cleaning_changed_the_text(tmp_path: Path) -> None:
    """The import starts the index from the file's papers as written; a title that cleaning
    changes (spaces around it) means that index is thrown away and built again."""
    doc = {
        "format": "paperread", "version": 1, "categories": [{"slug": "c", "name": "C"}],
        "papers": [{"key": f"p-{i}", "title": f"Paper {i} about zebras", "category": "c"} for i in range(500)],
        "videos": [],
    }  # fmt: skip
    doc["papers"][7]["title"] = "  Spaced   title of giraffes  "
    source = tmp_path / "doc.json"
    source.write_text(json.dumps(doc), encoding="utf-8")
    for name, papers in {"clean": doc["papers"][:7] + doc["papers"][8:], "dirty": doc["papers"]}.items():
        db = tmp_path / f"{name}.db"
        source.write_text(json.dumps({**doc, "papers": papers}), encoding="utf-8")
        Cli(db).ok("init", "--empty")
        Cli(db).ok("import", str(source))
        Cli(db).ok("db", "check")  # the search index matches the papers
        fields = _fields(db)
        for needle in ("zebras", "giraffes", "Spaced   title", "p-7\n"):
            assert _found(db, needle) == _expected(fields, needle), (name, needle)
    assert _found(tmp_path / "dirty.db", "giraffes") == {"p-7"}


def _csv(papers: list[dict[str, str]]) -> str:
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["key", "title", "category", "description", "authors"])
    writer.writerows([p["key"], p["title"], "c", p["description"], p["authors"]] for p in papers)
    return out.getvalue()


def _bib(papers: list[dict[str, str]]) -> str:
    return "\n".join(
        f"@misc{{{p['key']},\n  title = {{{p['title']}}},\n  author = {{{p['authors'].replace(', ', ' and ')}}},\n"
        "  note = {Category: c}\n}\n"
        for p in papers
    )


@pytest.mark.parametrize("fmt", ["csv", "bibtex"])
def test_csv_and_bibtex_imports_start_the_index_before_cleaning_and_replace_it_when_cleaning_changed_it(
    tmp_path: Path, fmt: str
) -> None:
    """A CSV or BibTeX file's papers are indexed from the reader's text while they are cleaned
    (``Parsed.later``); when the cleaning changes a paper's text (a key another paper holds,
    merged duplicates), that index is thrown away and built again: either way the index
    answers what a scan of the papers does."""
    papers = [
        {"key": f"p-{i}", "title": f"Paper {i} about zebras", "description": f"text {i}", "authors": "A. One, B. Two"}
        for i in range(400)
    ]
    variants = {
        "clean": papers,
        "key taken": [*papers[:9], {**papers[9], "key": "p-3", "title": "Giraffes of another key"}, *papers[10:]],
        "merged": [*papers[:9], {**papers[3], "authors": "C. Three"}, *papers[10:]],
    }
    for name, rows in variants.items():
        if fmt == "bibtex":
            rows = [{**p, "description": ""} for p in rows]
        db, source = tmp_path / f"{name}.db", tmp_path / f"{name}.{'csv' if fmt == 'csv' else 'bib'}"
        source.write_text(_csv(rows) if fmt == "csv" else _bib(rows), encoding="utf-8")
        Cli(db).ok("init", "--empty")
        Cli(db).ok("import", str(source))
        Cli(db).ok("db", "check")  # the search index matches the papers
        fields = _fields(db)
        assert len(fields) == (399 if name == "merged" else 400)
        for needle in ("zebras", "giraffes", "p-3\n", "c. three", "text 9"):
            assert _found(db, needle) == _expected(fields, needle), (name, needle)
        with sqlite3.connect(db) as conn:
            conn.execute("INSERT INTO paper_fts(paper_fts, rank) VALUES ('integrity-check', 1)")  # raises if not
            assert conn.execute("SELECT name FROM sqlite_temp_master").fetchall() == []


@pytest.mark.parametrize(("sig", "delay"), [("SIGINT", 0.5), ("SIGINT", 0.8), ("SIGKILL", 0.7)])
def test_an_import_stopped_at_any_moment_leaves_all_or_nothing(tmp_path: Path, sig: str, delay: float) -> None:
    """Ctrl-C or a kill while a big file goes in (the search index building in its thread):
    either the whole file is in, or nothing is, and the index matches the papers."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from bench.synth import make_document

    source = tmp_path / "synth.json"
    source.write_text(json.dumps(make_document(30_000, seed=5), ensure_ascii=False), encoding="utf-8")
    db = tmp_path / "c.db"
    Cli(db).ok("init", "--empty")
    proc = subprocess.Popen(
        [sys.executable, "-m", "paperread", "--db", str(db), "import", str(source)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ,
    )  # fmt: skip
    # The clock starts once the import has opened the catalog (its WAL file appears): on a
    # loaded machine, a signal landing while the interpreter itself starts would test nothing.
    wal, deadline = Path(f"{db}-wal"), time.monotonic() + 60
    while not wal.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(delay)
    proc.send_signal(getattr(signal, sig))
    _, err = proc.communicate(timeout=60)
    assert "Traceback" not in err
    with sqlite3.connect(db) as conn:
        papers = conn.execute("SELECT COUNT(*) FROM paper").fetchone()[0]
    assert papers in (0, 30_000)
    if papers == 0:  # stopped before the commit
        assert proc.returncode == (130 if sig == "SIGINT" else -signal.SIGKILL)
        if sig == "SIGINT":
            assert "interrupted" in err
    else:  # done, or stopped on the way out after the commit
        assert proc.returncode in (0, 130, -getattr(signal, sig))
    Cli(db).ok("db", "check")  # schema, triggers and the search index in step
    assert _found(db, "transformer") == _expected(_fields(db), "transformer")
