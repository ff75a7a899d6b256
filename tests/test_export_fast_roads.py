"""The exports' fast roads write what their general roads write, byte for byte.

- ``export json`` on SQLite: each paper's text made by SQLite (``queries.export_papers_json``,
  reading states beside it) against the paper's dict encoded by ``json`` (``write_json(fast=False)``,
  the road PostgreSQL takes), on catalogs holding any text, and values stored in other forms than
  paperread writes (a timestamp without microseconds or with an offset, a REAL or a text where an
  integer goes), which the fast road hands to the general one paper by paper.
- ``export bibtex``: ``bibtex._bib_entry_row`` (a paper whose texts need no escaping, written as they
  are) against ``_bib_entry`` (every text escaped); ``_brace_capitals`` on ASCII against the pattern
  it used to be.
"""

from __future__ import annotations

import io
import json
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paperread.db import SqliteReader, connect_sqlite
from paperread.exchange.document import write_json

NOW = "2024-05-01 10:00:00.000000"


@pytest.fixture(scope="module")
def empty_conn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sqlite3.Connection]:
    from typer.testing import CliRunner

    from paperread.cli import app

    path = tmp_path_factory.mktemp("fastroads") / "empty.db"
    result = CliRunner().invoke(app, ["--db", str(path), "init", "--empty"])
    assert result.exit_code == 0, result.output
    conn = connect_sqlite(path)
    yield conn
    conn.close()


def _both(conn: sqlite3.Connection) -> tuple[str, str]:
    reader = SqliteReader(conn)
    fast, slow = io.StringIO(), io.StringIO()
    counts = write_json(reader, fast)
    assert write_json(reader, slow, fast=False) == counts
    return fast.getvalue(), slow.getvalue()


def test_json_quote_escapes_as_the_encoder_does(empty_conn: sqlite3.Connection) -> None:
    """SQLite's json_quote and ``json.JSONEncoder(ensure_ascii=False)`` agree on every code point
    a text can hold (surrogates cannot be stored)."""
    text = "".join(chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF)
    encode = json.JSONEncoder(ensure_ascii=False).encode
    assert empty_conn.execute("SELECT json_quote(?)", (text,)).fetchone()[0] == encode(text)
    for c in range(0x80):  # one by one too: the escapes of each ASCII character alone
        assert empty_conn.execute("SELECT json_quote(?)", (chr(c),)).fetchone()[0] == encode(chr(c))


def test_builtin_catalog_both_roads(builtin_db: Path) -> None:
    conn = connect_sqlite(builtin_db)
    try:
        fast, slow = _both(conn)
    finally:
        conn.close()
    assert fast == slow
    assert json.loads(fast)["papers"]


_TEXT = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8", exclude_categories=("Cs",)),
        st.sampled_from('"\\{}%$&#_^~\n\t\r\x00\x01\x1f\x7f\u2028\u2029é中😀 -'),
    ),
    max_size=12,
)
_STAMP = st.one_of(
    st.none(),
    st.sampled_from(
        [
            NOW,
            "2024-05-01 10:00:00.123456",
            "2021-12-31 23:59:59.000001",
            "2024-05-01 10:00:00",  # written by something else than paperread: the general road
            "2024-05-01T10:00:00.000000",
            "2024-05-01 10:00:00.000000+02:00",
            "2024-05-01 10:00:00.5",
        ]
    ),
)
_INT = st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1), st.sampled_from([2019.5, "abc", "", "2019x"]))


@st.composite
def _catalog(draw: st.DrawFn) -> dict[str, Any]:
    categories = draw(st.integers(1, 3))
    papers = []
    for i in range(draw(st.integers(0, 6))):
        papers.append(
            {
                "key": f"p{i}-" + draw(_TEXT),
                "cite_key": draw(st.one_of(st.none(), _TEXT)),
                "title": draw(_TEXT),
                "year": draw(_INT),
                "category_id": draw(st.integers(1, categories)),
                "position": draw(st.integers(0, 3)),
                "url": draw(st.one_of(st.none(), _TEXT)),
                "description": draw(st.one_of(st.none(), _TEXT)),
                "s2_id": draw(st.one_of(st.none(), st.just(f"s2-{i}"))),
                "arxiv_id": draw(st.one_of(st.none(), _TEXT)),
                "doi": draw(st.one_of(st.none(), _TEXT)),
                "authors": draw(st.one_of(st.none(), _TEXT)),
                "venue": draw(st.one_of(st.none(), _TEXT)),
                "publication_date": draw(st.one_of(st.none(), st.sampled_from(["2020-01-02", "2020-01-02 00:00:00"]))),
                "marked_recorded": draw(st.booleans()),
                "citation_count": draw(_INT),
                "citations_fetched_at": draw(_STAMP),
                "history": draw(
                    st.lists(st.tuples(st.one_of(st.integers(0, 10**6), st.just(1.5)), _STAMP), max_size=3)
                ),
                "reading": draw(
                    st.dictionaries(
                        st.sampled_from(["tester", "ann", "Zoë", 'b"ob', "中"]),
                        st.tuples(
                            st.sampled_from([None, "to-read", "reading", "read"]),
                            _STAMP,
                            _STAMP,
                            st.one_of(st.none(), _TEXT),
                            _STAMP,
                        ),
                        max_size=3,
                    )
                ),
            }
        )
    return {"categories": categories, "papers": papers, "video": draw(st.booleans())}


def _fill(conn: sqlite3.Connection, catalog: dict[str, Any]) -> None:
    for c in range(1, catalog["categories"] + 1):
        position = (catalog["categories"] - c) % 2  # (positions out of the ids' order, ties too)
        conn.execute(
            "INSERT INTO category (id, slug, name, position) VALUES (?, ?, ?, ?)", (c, f"c{c}", f"C {c}", position)
        )
    for i, p in enumerate(catalog["papers"], start=1):
        conn.execute(
            """INSERT INTO paper (id, key, cite_key, title, year, category_id, url, description, s2_id, arxiv_id, doi,
                   authors, venue, publication_date, marked_recorded, citation_count, citations_fetched_at, position,
                   created_at, updated_at, version)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)""",
            (i, p["key"], p["cite_key"], p["title"], p["year"], p["category_id"], p["url"], p["description"],
             p["s2_id"], p["arxiv_id"], p["doi"], p["authors"], p["venue"], p["publication_date"],
             p["marked_recorded"], p["citation_count"], p["citations_fetched_at"], p["position"], NOW, NOW),
        )  # fmt: skip
        for count, at in p["history"]:
            conn.execute(
                "INSERT INTO citation_history (paper_id, citations, fetched_at) VALUES (?, ?, ?)", (i, count, at or NOW)
            )
        for user, (status, started, read, note, updated) in p["reading"].items():
            conn.execute(
                """INSERT INTO reading (user_name, paper_id, status, started_at, read_at, note, updated_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?)""",
                (user, i, status, started, read, note, updated or NOW),
            )
    if catalog["video"] and catalog["papers"]:
        conn.execute("INSERT INTO video (id, title, date, created_at) VALUES (1, 'v', '2024-01-01', ?)", (NOW,))
        conn.execute("INSERT INTO video_paper (video_id, paper_id, position) VALUES (1, 1, 0)")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(catalog=_catalog())
def test_export_json_both_roads(empty_conn: sqlite3.Connection, catalog: dict[str, Any]) -> None:
    empty_conn.execute("BEGIN")
    try:
        _fill(empty_conn, catalog)
        fast, slow = _both(empty_conn)
    finally:
        empty_conn.execute("ROLLBACK")
    assert fast == slow


def test_values_in_other_forms_take_the_general_road(empty_conn: sqlite3.Connection) -> None:
    """SQLite makes no text for a paper holding a value in a form it is not made for; the
    document is the same."""
    from paperread import queries

    empty_conn.execute("BEGIN")
    try:
        _fill(empty_conn, {"categories": 1, "video": False, "papers": []})
        for i, (year, fetched, point, state) in enumerate(
            [
                (2020, NOW, NOW, NOW),  # every value as paperread stores it: SQLite's text
                (2020.5, NOW, NOW, NOW),
                (2020, "2024-05-01 10:00:00", NOW, NOW),
                (2020, NOW, "2024-05-01T10:00:00+00:00", NOW),
                (2020, NOW, NOW, "2024-05-01 12:00:00+02:00"),
            ],
            start=1,
        ):
            empty_conn.execute(
                """INSERT INTO paper (id, key, title, year, category_id, marked_recorded, citations_fetched_at,
                       position, created_at, updated_at, version) VALUES (?, ?, 't', ?, 1, 0, ?, ?, ?, ?, 1)""",
                (i, f"p{i}", year, fetched, i, NOW, NOW),
            )
            empty_conn.execute(
                "INSERT INTO citation_history (paper_id, citations, fetched_at) VALUES (?, 1, ?)", (i, point)
            )
            empty_conn.execute(
                "INSERT INTO reading (user_name, paper_id, status, updated_at) VALUES ('u', ?, 'read', ?)", (i, state)
            )
        reader = SqliteReader(empty_conn)
        made = [text is not None for batch in queries.export_papers_json(reader, [1]) for _, text in batch]
        states = [text is not None for batch in queries.export_reading_json(reader) for _, text in batch]
        fast, slow = _both(empty_conn)
    finally:
        empty_conn.execute("ROLLBACK")
    assert made == [True, False, False, False, True]
    assert states == [True, True, True, True, False]
    assert fast == slow
    assert json.loads(fast)["papers"][4]["reading"][0]["updated_at"] == "2024-05-01T10:00:00+00:00"


_BIB_TEXT = st.one_of(
    st.text(alphabet=st.sampled_from("aB1 ,;.-|&_{}$%#^~\\\t\nAndé中"), max_size=14),
    st.sampled_from(
        ["A. He, B. Zhang", "A. He,B. Zhang", "A. He , B", ", A", "A,", "Smith and Jones", "X AND Y", "O'Neil"]
    ),
)


@settings(max_examples=400, deadline=None)
@given(
    row=st.tuples(
        st.just("k"), st.one_of(st.none(), st.just("Cite:2020")), _BIB_TEXT, st.one_of(st.none(), _BIB_TEXT),
        st.one_of(st.none(), st.integers(1, 2100)), st.one_of(st.none(), st.sampled_from(["", "https://x.org/{a}", "u"])),
        st.one_of(st.none(), st.just("2101.00001")), st.one_of(st.none(), _BIB_TEXT), st.one_of(st.none(), _BIB_TEXT),
        st.one_of(st.none(), st.just("s2")), _BIB_TEXT,
    )
)  # fmt: skip
def test_bib_entry_both_roads(row: tuple[Any, ...]) -> None:
    from paperread.formats import bibtex

    names = ("key", "cite_key", "title", "authors", "year", "url", "arxiv_id", "doi", "venue", "s2_id")
    assert bibtex._bib_entry_row(row) == bibtex._bib_entry(dict(zip(names, row, strict=False)), row[-1])


@given(st.text(alphabet=st.sampled_from("aZ1 -{}.é"), max_size=20).filter(str.isascii))
def test_brace_capitals_ascii(text: str) -> None:
    import re

    from paperread.formats.bibtex import _brace_capitals

    assert _brace_capitals(text) == re.sub(r"(?<![^ ])[^ ]*[A-Z][^ ]*", r"{\g<0>}", text)
