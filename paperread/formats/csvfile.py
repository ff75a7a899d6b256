"""CSV in and out: one paper per row under a header naming some of ``CSV_COLUMNS``."""

from __future__ import annotations

import csv
import io
import re
from typing import IO, TYPE_CHECKING, Any

from paperread import limits, values
from paperread.cells import guard_row, unguard
from paperread.errors import InputError
from paperread.exchange.clean import Problem, clean_document
from paperread.exchange.lenient import lenient_papers
from paperread.exchange.plan import Carried
from paperread.formats.common import Categories, Parsed, end_of

if TYPE_CHECKING:
    from paperread.db import Reader

CSV_COLUMNS = (
    "key", "title", "year", "category", "recorded", "citations", "s2_id", "arxiv_id", "doi", "url",
    "description", "authors", "venue", "cite_key",
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


_COUNT_DIGITS = len(str(limits.COUNT_MAX))


def _csv_count(text: str, what: str) -> int | None:
    """A count cell: digits (',' and '_' between groups allowed), 0 to ``limits.COUNT_MAX``."""
    if text.isdigit() and text.isascii() and len(text) < _COUNT_DIGITS:  # (most cells: a small count, as it is)
        return int(text)
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


# Other tools' headers (lowercased) for paperread's columns: Zotero's CSV export, Scopus's, and
# Web of Science's (full names, or the two-letter tags of its tab-delimited export). A paperread
# column named as such wins over an alias of it.
CSV_ALIASES = {
    "publication year": "year", "author": "authors", "publication title": "venue", "citation key": "cite_key",
    "source title": "venue", "link": "url", "author full names": "full_names", "article title": "title",
    "doi link": "url", "ti": "title", "au": "authors", "af": "full_names", "so": "venue", "py": "year",
    "di": "doi", "arxiv": "arxiv_id", "arxiv id": "arxiv_id", "eprint": "arxiv_id", "s2 id": "s2_id",
    "semantic scholar id": "s2_id",
}  # fmt: skip
_SCOPUS_AUTHOR_ID_RE = re.compile(r"\s*\(\d+\)")
_INITIALS_RE = re.compile(r"(?:[A-Z][a-z]?\.?(?:-|\s)?)+")  # B.  S.-P.  EMG  J. E.
_LAST_INITIALS_RE = re.compile(r"(.+?)\s+((?:[A-Z][a-z]?\.-?)+)")  # Scopus: Gong B.  Gao S.-P.


def _csv_person(name: str) -> str:
    """One name of an exported author list as "First Last": "Last, First" (Zotero, Web of
    Science, Scopus's full names, their ids dropped) or "Last F." (Scopus)."""
    name = _SCOPUS_AUTHOR_ID_RE.sub("", name).strip()
    if "," in name:
        last, _, first = name.partition(",")
        return f"{first.strip()} {last.strip()}".strip()
    initials = _LAST_INITIALS_RE.fullmatch(name)
    return f"{initials.group(2)} {initials.group(1)}" if initials else name


def csv_authors(text: str) -> str:
    """An exported author list as paperread keeps authors ("First Last, First Last"): names
    separated by ';' (Zotero, Scopus, Web of Science), or Scopus's older "Last, F., Last, F."."""
    text = " ".join(text.split())
    if ";" in text:
        return ", ".join(_csv_person(n) for n in text.split(";") if n.strip())
    parts = [p.strip() for p in text.split(",")]
    if len(parts) >= 2 and len(parts) % 2 == 0 and all(_INITIALS_RE.fullmatch(p) for p in parts[1::2]):
        return ", ".join(f"{given} {last}" for last, given in zip(parts[::2], parts[1::2]))
    return text


def _csv_columns(header: list[str], source: str) -> tuple[dict[str, int], list[str], bool]:
    """Each column paperread reads (by its name) and where it is; the headers of the columns it
    does not use; and whether the file is another tool's export (it named a column by an alias)."""
    names = [h.strip().lower() for h in header]
    duplicated = sorted({n for n in names if n and n in CSV_COLUMNS and names.count(n) > 1})
    if duplicated:
        raise InputError(f"{source} names column '{duplicated[0]}' twice")
    columns = {n: i for i, n in enumerate(names) if n in CSV_COLUMNS}
    zotero = "item type" in names  # Zotero's "Key" is its item id, not a key to cite or keep
    if zotero:
        columns.pop("key", None)
    foreign = False
    for i, n in enumerate(names):
        alias = CSV_ALIASES.get(n)
        if alias is not None and alias not in columns:
            columns[alias] = i
            foreign = True
    foreign = foreign or zotero or "eid" in names
    unused = [h for i, h in enumerate(header) if i not in columns.values() and h.strip()]
    return columns, unused, foreign


def read_csv(text: str, source: str) -> Parsed:
    """One paper per row under a header naming some of ``CSV_COLUMNS`` (``title`` at least) or
    their aliases (``CSV_ALIASES``: Zotero, Scopus and Web of Science exports; a tab-delimited
    file is read too). A value that cannot be read is left off its paper with a warning. The
    rows are read here, their values cleaned on first use of the result's ``doc`` (``Parsed.later``)."""
    first = text.split("\n", 1)[0]
    tabbed = first.count("\t") > first.count(",")
    if not tabbed:
        _csv_check_quotes(text, 0, 1, source)
    source_lines = _CsvLines(text)
    rows = csv.reader(source_lines, delimiter="\t", quoting=csv.QUOTE_NONE) if tabbed else csv.reader(source_lines)
    try:
        header = next(rows, None) or []
    except csv.Error as error:
        raise InputError(f"{source} is not CSV ({error})") from None
    columns, unused, foreign = _csv_columns(header, source)
    if "title" not in columns:
        raise InputError(
            f"{source} is not a paperread CSV: its first line names no 'title' column",
            hint=f"the columns are {','.join(CSV_COLUMNS)} (any order; title is required)",
        )
    problems: list[Problem] = []
    if unused:
        shown = ", ".join(repr(u) for u in unused)
        problems.append(Problem("file", 1, f"column(s) {shown} ignored: not a paperread column", skipped=False))
    categories = Categories()
    papers: list[dict[str, Any]] = []
    lines: list[int] = []
    plain_columns = [
        (name, columns.get(name))
        for name in (
            "key",
            "cite_key",
            "title",
            "url",
            "s2_id",
            "arxiv_id",
            "doi",
            "authors",
            "venue",
            "year",
            "description",
        )
    ]  # fmt: skip  (each a text, stripped, or None)
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
        if "'" in "".join(cells):  # the export's formula guard taken off (no quote: nothing to take)
            cells = [unguard(cell) for cell in cells]
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
            problems.append(Problem("paper", start, f"paper skipped: {len(cells)} cells, the header has {len(header)}"))
            continue

        def cell(name: str, cells: list[str] = cells) -> str | None:
            index = columns.get(name)
            return cells[index] if index is not None and index < len(cells) else None

        width = len(cells)
        paper: dict[str, Any] = {
            name: (cells[index].strip() or None) if index is not None and index < width else None
            for name, index in plain_columns
        }
        full_names = (cell("full_names") or "").strip()
        if full_names:
            paper["authors"] = full_names
        if foreign and paper["authors"]:
            paper["authors"] = csv_authors(paper["authors"])
        if paper["url"] and "://" not in paper["url"] and paper["url"].lower().startswith("www."):
            paper["url"] = "https://" + paper["url"]
        paper["category"] = categories.slug(cell("category"))
        recorded = cell("recorded")
        try:
            paper["recorded"] = _csv_flag(recorded) if recorded is not None else None
        except InputError as error:
            paper["recorded"] = None
            message = f"{error.message}: the paper is imported without it"
            problems.append(Problem("paper", start, message, skipped=False, left_off=True))
        try:
            paper["citations"] = _csv_count(cell("citations") or "", "citations")
        except InputError as error:
            paper["citations"] = None
            message = f"{error.message}: the paper is imported without it"
            problems.append(Problem("paper", start, message, skipped=False, left_off=True))
        papers.append(paper)
        lines.append(start)
    if not tabbed:  # an unclosed quote runs to the end of the text: the last record read holds it
        _csv_check_quotes(text, *last, source)
    modes = {
        "title": "set", "year": "set", "category": "set", "url": "set", "description": "set", "authors": "set",
        "venue": "set", "recorded": "set", "s2_id": "fill", "arxiv_id": "fill", "doi": "fill", "citations": "seed",
        "cite_key": "fill",
    }  # fmt: skip
    if "full_names" in columns:  # (Scopus and Web of Science: full names where given, else the short ones)
        columns.setdefault("authors", columns["full_names"])
    carried = Carried(papers={k: v for k, v in modes.items() if k in columns}, order=True)

    def finish() -> tuple[dict[str, Any], list[Problem]]:
        kept_papers, kept, lenient, canonical = lenient_papers(papers, lambda i: lines[i])
        kept_lines = [lines[i] for i in kept]
        doc: dict[str, Any] = {
            "format": "paperread", "version": 1, "categories": categories.items, "papers": kept_papers, "videos": [],
        }  # fmt: skip
        papers.clear()  # (each paper is the document's now: the reader's list is given up)
        doc, more = clean_document(
            doc,
            source=source,
            locate=lambda kind, i, item: kept_lines[i] if kind == "paper" else f"{kind} #{i + 1}",
            consume=True,
            canonical=canonical,
        )
        for paper in doc["papers"]:
            if paper["cite_key"] == paper["key"]:
                paper["cite_key"] = None
        every = sorted(problems + lenient + more, key=lambda p: p.where if isinstance(p.where, int) else 0)
        return doc, every

    return Parsed.later("csv", carried, papers, finish)


def write_csv(reader: Reader, out: IO[str]) -> dict[str, int]:
    """One row per paper in catalog order, under a header of ``CSV_COLUMNS``."""
    from paperread import queries

    writer = csv.writer(out)  # RFC 4180: CRLF between rows, and any field with CR or LF quoted
    writer.writerow(CSV_COLUMNS)
    n = 0
    for batch in queries.export_csv_rows(reader):  # (the columns of CSV_COLUMNS, in order)
        writer.writerows(map(guard_row, batch))
        n += len(batch)
    return {"papers": n}
