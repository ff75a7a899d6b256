"""CSV in and out: one paper per row under a header naming some of ``CSV_COLUMNS``."""

from __future__ import annotations

import csv
import io
import re
from typing import IO, TYPE_CHECKING, Any

from paperread import limits, values
from paperread.errors import InputError
from paperread.exchange.clean import Problem, clean_document
from paperread.exchange.plan import Carried
from paperread.formats.common import Categories, Parsed, end_of

if TYPE_CHECKING:
    from paperread.db import Reader

CSV_COLUMNS = (
    "key", "title", "year", "category", "recorded", "citations", "s2_id", "arxiv_id", "doi", "url",
    "description", "authors", "venue",
)  # fmt: skip

_TRUE = {"true", "yes", "y", "1", "✅", "x"}
_FALSE = {"false", "no", "n", "0", ""}


def _csv_flag(text: str) -> bool:
    folded = text.strip().lower()
    if folded in _TRUE:
        return True
    if folded in _FALSE:
        return False
    raise InputError(f"recorded '{text}' is not true or false")


def _csv_count(text: str, what: str) -> int | None:
    """A count cell: digits (',' and '_' between groups allowed), 0 to ``limits.COUNT_MAX``."""
    stripped = text.strip().replace(",", "").replace("_", "")
    if not stripped:
        return None
    digits = stripped.lstrip("0") or "0"
    if (
        not stripped.isascii()
        or not stripped.isdigit()
        or len(digits) > len(str(limits.COUNT_MAX))  # (int() of thousands of digits is refused, and slow)
        or int(digits) > limits.COUNT_MAX
    ):
        raise InputError(f"{what} {values.shown(text)} is not a count (a whole number from 0 to {limits.COUNT_MAX:,})")
    return int(digits)


class _CsvLines:
    """The lines of a CSV text for ``csv.reader``, counting lines and characters handed out,
    and able to skip to where a record ends (after one the reader gave up on)."""

    def __init__(self, text: str) -> None:
        self._lines = iter(io.StringIO(text, newline=""))  # lines end at \r\n, \r or \n, as csv counts them
        self.offset = 0  # characters handed out
        self.count = 0  # lines handed out
        self.skip_to = 0

    def __iter__(self) -> _CsvLines:
        return self

    def __next__(self) -> str:
        while True:
            line, start = next(self._lines), self.offset
            self.offset += len(line)
            self.count += 1
            if start >= self.skip_to:
                return line


_CSV_UNQUOTED_RE = re.compile(r"[^,\r\n]*")
_LINE_BREAK_RE = re.compile(r"\r\n|\r|\n")


def _csv_record_end(text: str, start: int) -> tuple[int, int | None]:
    """Where the CSV record starting at ``start`` ends (just after its line break), read as
    ``csv.reader`` reads it (excel dialect, not strict); and the offset of the quote that
    opens a field never closed (the record then runs to the end of the text), else None."""
    pos, end = start, len(text)
    while True:  # at the start of a field
        if text.startswith('"', pos):
            opened, pos = pos, pos + 1
            while True:
                close = text.find('"', pos)
                if close < 0:
                    return end, opened
                if text.startswith('"', close + 1):  # "" inside quotes: one quote
                    pos = close + 2
                    continue
                pos = close + 1
                break
        pos = end_of(_CSV_UNQUOTED_RE, text, pos)  # (after a closing quote: kept as it is)
        if pos >= end:
            return end, None
        if text[pos] == ",":
            pos += 1
            continue
        return pos + (2 if text.startswith("\r\n", pos) else 1), None


def _csv_check_quotes(text: str, start: int, first_line: int, source: str) -> int:
    """The end of the record at ``start``; InputError when a quote in it is never closed:
    every row boundary after it is then in doubt, so the file is refused whole."""
    end, opened = _csv_record_end(text, start)
    if opened is not None:
        line = first_line + sum(1 for _ in _LINE_BREAK_RE.finditer(text, start, opened))
        raise InputError(
            f'{source} line {line}: a quoted field starts here (") and is never closed, '
            "so the rows after it cannot be read",
            hint='close the quote; a quote inside a quoted field is written twice ("")',
        )
    return end


def read_csv(text: str, source: str) -> Parsed:
    """One paper per row under a header naming some of ``CSV_COLUMNS`` (``title`` at least)."""
    _csv_check_quotes(text, 0, 1, source)
    source_lines = _CsvLines(text)
    rows = csv.reader(source_lines)
    try:
        header = next(rows, None)
    except csv.Error as error:
        raise InputError(f"{source} is not CSV ({error})") from None
    names = [h.strip().lower() for h in header or []]
    if "title" not in names:
        raise InputError(
            f"{source} is not a paperread CSV: its first line names no 'title' column",
            hint=f"the columns are {','.join(CSV_COLUMNS)} (any order; title is required)",
        )
    duplicated = sorted({n for n in names if n and names.count(n) > 1})
    if duplicated:
        raise InputError(f"{source} names column '{duplicated[0]}' twice")
    problems: list[Problem] = []
    unknown = [h for h, n in zip(header or [], names) if n not in CSV_COLUMNS]
    if unknown:
        problems.append(
            Problem(
                "file",
                1,
                f"column(s) {', '.join(repr(u) for u in unknown)} ignored: not a paperread column",
                skipped=False,
            )
        )
    columns = {n: i for i, n in enumerate(names) if n in CSV_COLUMNS}
    categories = Categories()
    papers: list[dict[str, Any]] = []
    lines: list[int] = []
    last = (source_lines.offset, source_lines.count + 1)  # where the last record read starts
    while True:
        start_offset, start = source_lines.offset, source_lines.count + 1
        try:
            cells = next(rows)
        except StopIteration:
            break
        except csv.Error as error:  # a field over csv's size limit: skip the whole record
            source_lines.skip_to = _csv_check_quotes(text, start_offset, start, source)
            problems.append(Problem("paper", start, f"row skipped: {error}"))
            continue
        last = (start_offset, start)
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(names):
            problems.append(Problem("paper", start, f"paper skipped: {len(cells)} cells, the header has {len(names)}"))
            continue

        def cell(name: str, cells: list[str] = cells) -> str | None:
            index = columns.get(name)
            return cells[index] if index is not None and index < len(cells) else None

        try:
            paper: dict[str, Any] = {name: (cell(name) or "").strip() or None for name in (
                "key", "title", "url", "s2_id", "arxiv_id", "doi", "authors", "venue",
            )}  # fmt: skip
            paper["description"] = (cell("description") or "").strip() or None
            paper["year"] = (cell("year") or "").strip() or None
            paper["category"] = categories.slug(cell("category"))
            recorded = cell("recorded")
            paper["recorded"] = _csv_flag(recorded) if recorded is not None else None
            paper["citations"] = _csv_count(cell("citations") or "", "citations")
        except InputError as error:
            problems.append(Problem("paper", start, f"paper skipped: {error.message}"))
            continue
        papers.append(paper)
        lines.append(start)
    # An unclosed quote runs to the end of the text: the last record read holds it.
    _csv_check_quotes(text, *last, source)
    doc = {"format": "paperread", "version": 1, "categories": categories.items, "papers": papers, "videos": []}
    del papers  # (the document's list: cleaning empties it as it goes)
    doc, more = clean_document(
        doc,
        source=source,
        locate=lambda kind, i, item: lines[i] if kind == "paper" else f"{kind} #{i + 1}",
        consume=True,
    )
    modes = {
        "title": "set", "year": "set", "category": "set", "url": "set", "description": "set", "authors": "set",
        "venue": "set", "recorded": "set", "s2_id": "fill", "arxiv_id": "fill", "doi": "fill", "citations": "seed",
    }  # fmt: skip
    carried = Carried(papers={k: v for k, v in modes.items() if k in columns}, order=True)
    return Parsed("csv", doc, problems + more, carried)


def write_csv(reader: Reader, out: IO[str]) -> dict[str, int]:
    """One row per paper in catalog order, under a header of ``CSV_COLUMNS``."""
    from paperread import queries

    writer = csv.writer(out)  # RFC 4180: CRLF between rows, and any field with CR or LF quoted
    writer.writerow(CSV_COLUMNS)
    n = 0
    for row in queries.export_papers(reader):
        writer.writerow(
            [
                row["key"],
                row["title"],
                row["year"],
                row["category"],
                "true" if row["recorded"] else "false",
                row["citations"],
                row["s2_id"],
                row["arxiv_id"],
                row["doi"],
                row["url"],
                row["description"],
                row["authors"],
                row["venue"],
            ]
        )
        n += 1
    return {"papers": n}
