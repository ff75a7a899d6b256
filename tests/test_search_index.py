"""SQLite's search index (migration 0003) answers exactly what a scan of the four fields would.

The index is one trigram text per paper queried with LIKE; the reference here is plain
Python: a paper matches when the needle (ASCII letters folded, as SQLite's LIKE and lower()
do) is a substring of its key, title, description or authors. Papers are added, edited and
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

_FOLD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
FIELDS = ("key", "title", "description", "authors")


def _fields(db: Path) -> dict[str, list[str]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(f"SELECT {', '.join(FIELDS)} FROM paper").fetchall()
    return {row[0]: [field.translate(_FOLD) for field in row if field] for row in rows}


def _expected(fields: dict[str, list[str]], needle: str) -> set[str]:
    folded = needle.strip().translate(_FOLD)
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
                   "xyz", "renamed\nxyz", "one-ed", "zqxj", "gan", "3D", "100%", "e_o", "tail words"):  # fmt: skip
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
