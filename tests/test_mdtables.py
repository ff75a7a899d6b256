"""paperread.mdtables: the linear table reader gives what markdown-it-py gives, and its work
(and the BibTeX reader's) grows linearly with the text.

The equivalence is checked on generated documents and cells (hypothesis) and on the
published paper-reading README (mli/paper-reading on GitHub, shared/catalog/): wherever the
fast reader answers, its answer is markdown-it's.
"""

from __future__ import annotations

import time
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paperread import formats, mdtables
from paperread.readme import _cell, _CellReader, read_readme, write_readme
from tests.helpers import shared_readme_text

# --- blocks -----------------------------------------------------------------------------------


def _both(text: str) -> tuple[list[mdtables.RawTable] | None, list[mdtables.RawTable]]:
    text = mdtables.normalize(text)
    try:
        fast = mdtables.scan(text)
    except mdtables._GiveUp:
        fast = None
    return fast, mdtables.blocks(text)[0]


CELL_TEXT = st.text(alphabet=st.sampled_from(list("ab |\\-:#*`[]()!<>&;_~ \t.1\u3000")), max_size=12)
ROW = st.lists(CELL_TEXT, min_size=0, max_size=5).map(lambda cells: "|" + "|".join(cells) + "|")
LINE = st.one_of(
    ROW,
    ROW.map(lambda row: row.strip("|")),  # a row without edge pipes
    st.sampled_from(["| --- | --- |", "|---|:-:|--:|", "--- | ---", "|-|", "| - |", ":--|", "- a | b"]),
    st.sampled_from(["", " ", "\t", "# Title", "## 所有论文", "### a | b", "#nope", "####### seven", "# closed #"]),
    st.sampled_from(["text", "more | text", "> quote", "- item", "1. item", "    code", "```", "<a name=x>"]),
    st.sampled_from(["[ref]: https://example.org", "===", "___", "  | indented | row |", "\u3000"]),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(LINE, max_size=14), st.booleans())
def test_scan_reads_what_markdown_it_reads(lines: list[str], newline_at_end: bool) -> None:
    text = "\n".join(lines) + ("\n" if newline_at_end else "")
    fast, slow = _both(text)
    if fast is not None:
        assert fast == slow


def test_the_published_readme_reads_the_same_both_ways() -> None:
    text = shared_readme_text()
    fast, slow = _both(text)
    assert fast is None  # it has an HTML anchor and a footnote definition: markdown-it reads it
    # Without those two lines, the scanner reads it, and reads what markdown-it reads.
    kept = "\n".join(
        line for line in text.split("\n") if not line.startswith(("<a name", "[^")) and line.strip() != "</a>"
    )
    fast, slow = _both(kept)
    assert fast is not None and fast == slow
    assert sum(len(t.rows) for t in fast) > 100


def test_a_written_readme_is_read_by_the_scanner() -> None:
    from bench.synth import make_document

    text = write_readme(make_document(300, seed=3))
    fast, slow = _both(text)
    assert fast is not None and fast == slow


# --- cells ------------------------------------------------------------------------------------


def _slow_cell(content: str) -> Any:
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").disable("text_join").parseInline(content, {})
    return _cell(tokens[0].children or [])


URL = st.builds(
    lambda scheme, host, path: f"{scheme}://{host}{path}",
    st.sampled_from(["https", "http", "HTTPS", "ftp", "javascript"]),
    st.sampled_from(["arxiv.org", "img.shields.io", "EXAMPLE.org", "例子.org", "x.org:8080", ""]),
    st.text(alphabet=st.sampled_from(list("/a?=&%2F5b;#~'()*[]! .:-_é")), max_size=16),
)
PIECE = st.one_of(
    st.text(alphabet=st.sampled_from(list("ab :.-_*`\\!&<>[]()#;|~é")), max_size=6),
    st.sampled_from(["&amp;", "&lt;", "&gt;", "&quot;", "&#13;", "&nbsp;", "<br />", "<br>", "<br/>", "<BR>", "\\|"]),
    st.sampled_from(["\\[", "\\*", "\\a", "[^1]", "![", "\\"]),
    st.builds(lambda t, u: f"[{t}]({u})", st.text(alphabet="ab .-*[]", max_size=5), URL),
    st.builds(lambda t, u: f"![{t}]({u})", st.text(alphabet="ab .-", max_size=5), URL),
    st.builds(lambda u, v: f"[![b]({u})]({v})", URL, URL),
)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(PIECE, max_size=6).map("".join))
def test_a_cell_reads_as_markdown_it_reads_it(content: str) -> None:
    content = content.strip(mdtables._MD_TRIM)
    fast = mdtables.inline(content)
    if fast is not None:
        slow = _slow_cell(content)
        assert fast.text == slow.text
        assert fast.images == slow.images
        assert [text for _, text in fast.links] == [link.text for link in slow.links]
        reader = _CellReader({})
        assert [link.href for link in reader(content).links] == [link.href for link in slow.links]


def test_the_cells_of_a_written_readme_take_the_fast_road() -> None:
    from bench.synth import make_document

    text = write_readme(make_document(200, seed=5))
    tables = mdtables.scan(mdtables.normalize(text))
    assert tables is not None
    contents = [c for t in tables for _, row in t.rows for c in row]
    assert contents and all(mdtables.inline(c) is not None for c in contents)
    for content in contents[:300]:
        fast, slow = _CellReader({})(content), _slow_cell(content)
        assert (fast.text, fast.images, [(x.href, x.text) for x in fast.links]) == (
            slow.text,
            slow.images,
            [(x.href, x.text) for x in slow.links],
        )


# --- linear work ------------------------------------------------------------------------------


def _cpu(read: Any, text: str) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        read(text)
        best = min(best, time.process_time() - start)
    return best


def test_reading_a_readme_grows_linearly() -> None:
    """Ten times the rows costs about ten times the work (a generous 20x; markdown-it's table
    rule and a line-by-line rescan would show far more)."""
    from bench.synth import make_document

    small, big = write_readme(make_document(1_000, seed=1)), write_readme(make_document(10_000, seed=1))
    ratio = _cpu(read_readme, big) / _cpu(read_readme, small)
    assert ratio < 20, ratio


def test_reading_a_readme_looks_at_each_row_once(monkeypatch: Any) -> None:
    """The work counted, not timed: every table row's text is split into cells once and every
    cell read once, so the characters handed to the row splitter and to the cell reader stay
    within the text's length, at 1,000 and at 10,000 papers (a rescan from the top for each row,
    as BibTeX's line numbers once did, would hand over 100 times more at 10x the rows)."""
    from bench.synth import make_document

    handed = {"rows": 0, "cells": 0}
    split_row, read_cell = mdtables.split_row, _CellReader.__call__

    def counting_split(line: str) -> list[str]:
        handed["rows"] += len(line)
        return split_row(line)

    def counting_read(self: _CellReader, content: str) -> Any:
        handed["cells"] += len(content)
        return read_cell(self, content)

    monkeypatch.setattr(mdtables, "split_row", counting_split)
    monkeypatch.setattr(_CellReader, "__call__", counting_read)
    counted = []
    for n in (1_000, 10_000):
        text = write_readme(make_document(n, seed=1))
        handed.update(rows=0, cells=0)
        assert len(read_readme(text).catalog["papers"]) == n
        assert 0 < handed["rows"] <= len(text) and 0 < handed["cells"] <= len(text), (n, handed, len(text))
        counted.append(handed["rows"] + handed["cells"])
    assert counted[1] / counted[0] < 12, counted


class _CountingText(str):
    """Text that counts the characters its ``count`` calls look at."""

    looked_at = 0

    def count(self, sub: str, start: Any = None, end: Any = None) -> int:  # type: ignore[override]
        lo = 0 if start is None else start
        hi = len(self) if end is None else end
        _CountingText.looked_at += max(0, hi - lo)
        return super().count(sub, lo, hi)


def _bib(n: int) -> str:
    return "".join(
        f"@article{{paper{i},\n  title = {{A paper number {i}}},\n  author = {{Ada Lovelace and Alan Turing}},\n"
        f"  year = {{2001}},\n  note = {{Category: vision}}\n}}\n\n"
        for i in range(n)
    )


def test_bibtex_line_numbers_cost_one_pass() -> None:
    """The line of each entry is counted on from the previous one: the reader looks at each
    character once for it, not once per entry before it (which made 100,000 entries
    quadratic: hours)."""
    for n in (200, 2_000):
        text = _CountingText(_bib(n) + "@article{broken,\n  title = {x},\n  = 2001\n}\n")
        _CountingText.looked_at = 0
        parsed = formats.read_bibtex(text, "test.bib")
        assert len(parsed.doc["papers"]) == n
        assert _CountingText.looked_at <= 2 * len(text), (n, _CountingText.looked_at, len(text))
        (problem,) = parsed.problems  # the broken entry: its line is still right
        assert problem.where == 7 * n + 1
        assert f"expected 'name = value' at line {7 * n + 2}" in problem.message


def test_reading_bibtex_grows_linearly() -> None:
    small, big = _bib(1_000), _bib(10_000)
    ratio = _cpu(lambda t: formats.read_bibtex(t, "x.bib"), big) / _cpu(
        lambda t: formats.read_bibtex(t, "x.bib"), small
    )
    assert ratio < 20, ratio


def _balanced_end_by_hand(text: str, pos: int, closer: str) -> int | None:
    """balanced_end as it was written first: one character at a time."""
    depth = 0
    while pos < len(text):
        c = text[pos]
        if c == "\\":
            pos += 2
            continue
        if c == closer and depth == 0:
            return pos
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        pos += 1
    return None


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list('ab{}\\")( ')), max_size=30), st.integers(0, 5), st.sampled_from('"}'))
def test_the_brace_scanner_skips_to_what_matters_and_finds_the_same_end(text: str, pos: int, closer: str) -> None:
    from paperread.formats.latex import balanced_end

    assert balanced_end(text, pos, closer) == _balanced_end_by_hand(text, pos, closer)
