"""SQLite's trigram indexes of the users' notes (migration 0008) answer exactly what the scan of
the notes answered before them.

The reference is the scan itself (``queries._note_ids_sql`` with ``indexed=False``: the LIKE
over every note of the user that ``search`` ran before the indexes), run on the same catalog:
the same rows for every text, short or long, any case, CJK, accented, holding ``%`` or ``_``.
Notes are written, edited, cleared and removed (with their paper or video) through the CLI,
so the triggers that keep the indexes in step are exercised too.
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

USERS = ("tester", "alice")
RESNET_VIDEO = "BV1P3411y7nn"  # covers resnet
SURVEY = "BV19S4y1M7hm"  # covers no paper of its own

NOTES = {  # (user, paper or None for a video, video or None): note
    ("tester", "resnet", None): "Residual learning: 残差 works! 100% sure, a_b and a%b\nsecond LINE",
    ("tester", "vit", None): "TRANSFORMER on patches; Réseaux ÉCOLE école ß straße K (Kelvin) İstanbul ΟΔΟΣ",
    ("tester", "bert", None): "masked LM, \"quotes\" and 'single' * ^ : - (parens) transformers",
    ("tester", "gpt", None): "to be cleared zqxj",
    ("tester", "detr", None): "to be edited qwvk",
    ("alice", "resnet", None): "alice's own RESIDUAL note, transformer-free",
    ("alice", "vit", None): "alice zqxj on vit",
    ("tester", None, RESNET_VIDEO): "video note: 梯度保持的很好 gradient flows; Transformer-less",
    ("alice", None, RESNET_VIDEO): "alice video 对比学习 note yqpx",
}


def _notes(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT note FROM reading WHERE note IS NOT NULL UNION ALL SELECT note FROM video_note")
        return [row[0] for row in rows]


def _ids(db: Path, needle: str, user: str, *, indexed: bool | None) -> list[int]:
    """The paper ids ``search`` finds in ``user``'s notes: on the road the search takes
    (``indexed=None``) or on the scan."""
    reader = SqliteReader(connect_sqlite(db))
    try:
        _, params = queries.search_ids_sql(reader, needle, user=user)
        text = needle.strip()
        unicode_case = any(not ch.isascii() and ch.lower() != ch.upper() for ch in text)
        sql = queries._note_ids_sql(text, sqlite=True, unicode_case=unicode_case, indexed=indexed)
        if indexed is False:
            params.pop("note_fts", None)
        return sorted(row["paper_id"] for row in reader.rows(sql, params))
    finally:
        reader.close()


def _agree(db: Path, needle: str) -> None:
    if not needle.strip():
        return
    for user in USERS:
        assert _ids(db, needle, user, indexed=None) == _ids(db, needle, user, indexed=False), (needle, user)


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("notes") / "catalog.db"
    cli = Cli(db)
    cli.ok("init")
    cli.ok("note", "--video", SURVEY, "--text", "survey zqxj transformer", env={"PAPERREAD_USER": "tester"})
    for (user, paper, video), text in NOTES.items():
        where = [paper] if paper else ["--video", video]
        cli.ok("note", *where, "--text", text, env={"PAPERREAD_USER": user})
    cli.ok("reading", "swin-transformer", env={"PAPERREAD_USER": "tester"})  # a reading row, no note
    cli.ok("note", "gpt", "--text", "", env={"PAPERREAD_USER": "tester"})
    cli.ok("note", "detr", "--append", "appended wvvq", env={"PAPERREAD_USER": "tester"})
    cli.ok("note", "detr", "--text", "edited now qwvk2", env={"PAPERREAD_USER": "tester"})
    cli.ok("remove", "bert", "--yes")  # its notes go with it
    cli.ok("db", "check")
    return db


def _search(db: Path, needle: str, user: str = "tester") -> list[str]:
    rows = json.loads(Cli(db).ok("search", needle, "--json", env={"PAPERREAD_USER": user}).stdout)
    return [row["key"] for row in rows]


def test_fixed_cases(catalog: Path) -> None:
    for needle in ("transformer", "TRANSFORMER", "Transformer-less", "100%", "0% s", "a_b", "a%b", "a_", "%", "_",
                   "re", "残差", "残差 w", "梯度保持", "对比学习", "réseaux", "RÉSEAUX", "École", "école", "straße",
                   "STRASSE", "k (k", "istanbul", "i̇stanbul", "οδος", "ΟΔΟΣ", "δος", "second line", "works!\nsec",
                   "\"quotes\"", "'single' *", "^ :", "zqxj", "qwvk", "qwvk2", "wvvq", "appended", "alice", "residual",
                   "flows;", "own RESIDUAL"):  # fmt: skip
        _agree(catalog, needle)


def test_writes_keep_the_indexes_in_step(catalog: Path) -> None:
    assert _search(catalog, "zqxj") == []  # cleared on gpt; the survey's video covers no paper
    assert _search(catalog, "zqxj", "alice") == ["vit"]
    assert _search(catalog, "qwvk2") == ["detr"]  # the edited note
    assert _search(catalog, "wvvq") == []  # the text it had for a moment
    assert _search(catalog, "transformers") == []  # bert's note went with bert
    assert _search(catalog, "gradient flows") == ["resnet"]  # on its video
    assert _search(catalog, "yqpx", "alice") == ["resnet"]  # alice's note on the video
    assert _search(catalog, "yqpx") == []  # not the tester's
    with sqlite3.connect(catalog) as conn:
        for fts in ("reading_note_fts", "video_note_fts"):
            conn.execute(f"INSERT INTO {fts}({fts}, rank) VALUES ('integrity-check', 1)")  # raises if not


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_indexed_road_agrees_with_the_scan(catalog: Path, data: st.DataObject) -> None:
    source = data.draw(st.sampled_from(sorted(_notes(catalog))))
    start = data.draw(st.integers(0, max(0, len(source) - 1)))
    needle = source[start : start + data.draw(st.integers(1, 14))]
    case = data.draw(st.sampled_from(("as is", "upper", "lower", "swap")))
    needle = {"as is": needle, "upper": needle.upper(), "lower": needle.lower(), "swap": needle.swapcase()}[case]
    if data.draw(st.booleans()):
        needle += data.draw(st.text(alphabet="ab学%_ 'éK\"Σς", max_size=3))
    _agree(catalog, needle)


def test_the_index_is_asked_only_where_it_answers_alike() -> None:
    serves = queries.note_index_serves
    assert serves("transformer", sqlite=True, unicode_case=False)
    assert serves("对比学", sqlite=True, unicode_case=False)  # no letter with a case: LIKE compares them as they are
    assert not serves("ab", sqlite=True, unicode_case=False)  # shorter than a trigram
    assert not serves("école", sqlite=True, unicode_case=True)  # matched with Python's lower(), not FTS5's folding
    assert not serves("transformer", sqlite=False, unicode_case=False)  # PostgreSQL


def test_db_check_finds_a_note_index_out_of_step(builtin_db: Path) -> None:
    cli = Cli(builtin_db)
    cli.ok("note", "resnet", "--text", "first text")
    with sqlite3.connect(builtin_db) as conn:
        conn.execute("DROP TRIGGER reading_note_fts_au")
        conn.execute("UPDATE reading SET note = 'behind the index' WHERE note = 'first text'")
    result = cli("db", "check")
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert "search index does not match the notes on papers" in result.stderr
    assert "paperread db reindex" in result.stderr
    assert _search(builtin_db, "behind the index") == []  # the index holds the old text
    cli.ok("db", "reindex")
    cli.ok("db", "check")
    assert _search(builtin_db, "behind the index") == ["resnet"]


def test_db_check_finds_a_note_index_missing(builtin_db: Path) -> None:
    with sqlite3.connect(builtin_db) as conn:
        conn.execute("DROP TABLE video_note_fts")
    result = Cli(builtin_db)("db", "check")
    assert result.exit_code == 1 and "table video_note_fts is missing" in result.stderr
