"""The catalog in the formats people use: the paper-reading README (Markdown), the catalog
document (JSON), CSV and BibTeX.

Every reader turns a file into a cleaned catalog document (``exchange.clean``), with
the rows it had to skip (and where) and what the format carries (``exchange.plan.Carried``), which
decides what importing it may change. Every writer reads the catalog on the read road (a
``Reader``), so exports never import SQLAlchemy.

What each format carries:

- markdown: categories (by heading), papers (recorded mark, year, linked name, description,
  S2 id from the citation badge), videos (date, title, duration, site ids, the papers their
  titles link). No authors, venue, citations or anyone's reading state.
- json: everything (the lossless catalog document, every user's state included).
- csv: one row per paper, the columns of ``CSV_COLUMNS`` it has (any order, any subset
  with ``title``); categories by slug (or name); no videos. Citation counts in a CSV only
  fill papers that have none: counts are Semantic Scholar's, kept by ``sync-citations``.
- bibtex: one entry per paper: title, author, year, url, eprint (arXiv), doi, venue
  (howpublished/journal/booktitle), an ``s2id`` field and a ``note = {Category: ...}``.
  Values found in an entry fill the paper; nothing is cleared.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from paperread import limits, values
from paperread.errors import InputError
from paperread.exchange.clean import Problem, clean_document, clean_slug
from paperread.exchange.document import check_document, dump_document, write_json
from paperread.exchange.plan import JSON_CARRIES, MARKDOWN_CARRIES, Carried

if TYPE_CHECKING:
    from paperread.db import Reader

FORMATS = ("markdown", "json", "csv", "bibtex")
EXTENSIONS = {
    ".md": "markdown", ".markdown": "markdown", ".json": "json", ".csv": "csv", ".bib": "bibtex", ".bibtex": "bibtex",
}  # fmt: skip
CSV_COLUMNS = (
    "key", "title", "year", "category", "recorded", "citations", "s2_id", "arxiv_id", "doi", "url",
    "description", "authors", "venue",
)  # fmt: skip

_BIBTEX_ENTRY_RE = re.compile(r"^[ \t]*@[ \t]*[A-Za-z]+[ \t]*[{(]", re.MULTILINE)


@dataclass
class Parsed:
    """A file read into a cleaned catalog document."""

    format: str
    doc: dict[str, Any]
    problems: list[Problem]
    carried: Carried
    raw_papers = None  # cleaned already (see ParsedJson)


# ---------------------------------------------------------------------------- input


def decode(data: bytes, source: str) -> str:
    """UTF-8 text (a byte-order mark is dropped), or InputError naming the file."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(
            f"{source} is not UTF-8 text (byte {error.start}: {data[error.start : error.start + 1]!r})",
            hint="save it as UTF-8",
        ) from None


def detect_format(name: str | None, text: str) -> str:
    """The format by the file's extension, else by its first characters."""
    if name:
        found = EXTENSIONS.get(Path(name).suffix.lower())
        if found:
            return found
    head = text.lstrip()
    if head.startswith(("{", "[")):
        return "json"
    if _BIBTEX_ENTRY_RE.search(text[:20_000]):
        return "bibtex"
    first = head.split("\n", 1)[0].lower()
    if "title" in first and "," in first and "|" not in first:
        return "csv"
    return "markdown"


def parse(text: str, fmt: str, *, source: str) -> Parsed | ParsedJson:
    """Read ``text`` in format ``fmt``; InputError when it is not that format at all."""
    readers: dict[str, Callable[[str, str], Parsed | ParsedJson]] = {
        "markdown": read_markdown,
        "json": read_json,
        "csv": read_csv,
        "bibtex": read_bibtex,
    }
    if fmt not in readers:
        raise InputError(f"format '{fmt}' is not one of {', '.join(FORMATS)}")
    return readers[fmt](text, source)


def _end(pattern: re.Pattern[str], text: str, pos: int) -> int:
    """Where a match of ``pattern`` (one that matches the empty string too) ends at ``pos``."""
    match = pattern.match(text, pos)
    assert match is not None
    return match.end()


# ---------------------------------------------------------------------------- markdown


def read_markdown(text: str, source: str) -> Parsed:
    from paperread.readme import read_readme

    result = read_readme(text, source=source)
    problems = []
    for line, message in result.problems:
        kind = "paper" if message.startswith("paper") else "video" if message.startswith("video") else "file"
        problems.append(Problem(kind, line, message))

    def locate(kind: str, index: int, item: Any) -> str:
        name = item.get("title") or item.get("name") if isinstance(item, dict) else None
        return f"{kind} '{name}'" if name else f"{kind} #{index + 1}"

    doc, more = clean_document(result.catalog, source=source, locate=locate)
    return Parsed("markdown", doc, problems + more, MARKDOWN_CARRIES)


def write_markdown(reader: Reader, out: IO[str]) -> dict[str, int]:
    from paperread.readme import write_readme

    doc = dump_document(reader)
    out.write(write_readme(doc))
    return {"categories": len(doc["categories"]), "papers": len(doc["papers"]), "videos": len(doc["videos"])}


# ---------------------------------------------------------------------------- json


class ParsedJson:
    """A catalog document read, its values checked and cleaned on first use of ``doc`` or
    ``problems`` (``Parsed``'s fields): ``exchange.run.import_parsed`` starts the search index
    from ``raw_papers`` meanwhile."""

    format = "json"
    carried = JSON_CARRIES

    def __init__(self, raw: dict[str, Any], source: str) -> None:
        check_document(raw, source)
        self._raw: dict[str, Any] | None = raw
        self._source = source
        self._cleaned: tuple[dict[str, Any], list[Problem]] | None = None

    @property
    def raw_papers(self) -> Any:
        """The papers as the file has them, until cleaned."""
        return self._raw.get("papers") if self._raw is not None else None

    def _clean(self) -> tuple[dict[str, Any], list[Problem]]:
        if self._cleaned is None:
            assert self._raw is not None
            self._cleaned = clean_document(self._raw, source=self._source)
            self._raw = None
        return self._cleaned

    @property
    def doc(self) -> dict[str, Any]:
        return self._clean()[0]

    @property
    def problems(self) -> list[Problem]:
        return self._clean()[1]


def read_json(text: str, source: str) -> ParsedJson:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(f"{source} is not JSON (line {error.lineno}, column {error.colno}: {error.msg})") from None
    except RecursionError:
        raise InputError(f"{source} is not a paperread catalog document (nested too deeply)") from None
    return ParsedJson(doc, source)


# ---------------------------------------------------------------------------- categories by name or slug


class _Categories:
    """The categories a CSV or BibTeX file names, by slug (``vision/cnn``) or by name."""

    def __init__(self) -> None:
        self.items: list[dict[str, str]] = []
        self._by_value: dict[str, str] = {}

    def slug(self, value: str | None) -> str | None:
        """The document slug for a category cell; None for an empty one."""
        text = " ".join((value or "").split())
        if not text:
            return None
        if text not in self._by_value:
            from paperread.readme import category_slug

            try:
                slug, name = clean_slug(text), text
            except InputError:
                slug, name = category_slug(text, len(self.items) + 1), text
            if all(c["slug"] != slug for c in self.items):  # else: another spelling of one already named
                self.items.append({"slug": slug, "name": name})
            self._by_value[text] = slug
        return self._by_value[text]


# ---------------------------------------------------------------------------- csv

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
        pos = _end(_CSV_UNQUOTED_RE, text, pos)  # (after a closing quote: kept as it is)
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
    categories = _Categories()
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
    doc, more = clean_document(
        doc, source=source, locate=lambda kind, i, item: lines[i] if kind == "paper" else f"{kind} #{i + 1}"
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


# ---------------------------------------------------------------------------- bibtex

_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}", "{": r"\textbraceleft{}", "}": r"\textbraceright{}", "%": r"\%", "$": r"\$",
    "&": r"\&", "#": r"\#", "_": r"\_", "^": r"\^{}", "~": r"\~{}",
}  # fmt: skip
_LATEX_SPECIAL_RE = re.compile(r"[\\{}%$&#_^~]")
_LATEX_BACK = {v: k for k, v in _LATEX_SPECIAL.items()}
# What latex_escape writes, other escaped specials, and the braces that protect capitals.
_LATEX_TOKEN_RE = re.compile("|".join(re.escape(v) for v in _LATEX_BACK) + r"|\\[%$&#_{}]|[{}]")
_DOUBLE_HYPHEN_RE = re.compile(r"-(?=-)")


def latex_escape(text: str) -> str:
    """Text for a BibTeX field: LaTeX's special characters escaped (braces as commands, so
    the field's own braces stay balanced), ``--`` kept from becoming a dash (``-{}-``),
    everything else (UTF-8) as it is. ``latex_to_text`` reads it back."""
    one_line = " ".join(text.split())
    return _DOUBLE_HYPHEN_RE.sub("-{}", _LATEX_SPECIAL_RE.sub(lambda m: _LATEX_SPECIAL[m.group(0)], one_line))


def _bib_title(title: str) -> str:
    """The title escaped, each word with a capital letter in braces so styles keep its case."""
    return " ".join(
        "{" + latex_escape(word) + "}" if any(ch.isupper() for ch in word) else latex_escape(word)
        for word in title.split()
    )


def split_authors(authors: str | None) -> list[str]:
    """The names in the stored authors text ("A. He, B. Zhang", or ';'-separated)."""
    if not authors:
        return []
    parts = authors.split(";") if ";" in authors else authors.split(",")
    return [" ".join(p.split()) for p in parts if p.strip()]


def _bib_entry(p: dict[str, Any], category_name: str) -> str:
    fields: list[tuple[str, str]] = [("title", _bib_title(p["title"]))]
    names = split_authors(p["authors"])
    if names:
        fields.append(
            (
                "author",
                " and ".join(
                    "{" + latex_escape(n) + "}" if _BIB_AND_RE.search(n) or "," in n else latex_escape(n) for n in names
                ),
            )
        )
    if p["year"] is not None:
        fields.append(("year", str(p["year"])))
    if p["url"]:
        fields.append(("url", p["url"].replace("{", "%7B").replace("}", "%7D")))
    if p["arxiv_id"]:
        fields += [("eprint", p["arxiv_id"]), ("archivePrefix", "arXiv")]
    if p["doi"]:
        fields.append(("doi", latex_escape(p["doi"])))
    if p["venue"]:
        fields.append(("howpublished", latex_escape(p["venue"])))
    if p["s2_id"]:
        fields.append(("s2id", p["s2_id"]))
    fields.append(("note", f"Category: {latex_escape(category_name)}"))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@misc{{{p['key']},\n{body}\n}}\n"


def write_bibtex(reader: Reader, out: IO[str]) -> dict[str, int]:
    """One ``@misc`` entry per paper, keyed by the paper's key."""
    from paperread import queries

    names = {c["slug"]: c["name"] for c in queries.export_categories(reader)}
    n = 0
    for row in queries.export_papers(reader):
        out.write(("\n" if n else "") + _bib_entry(row, names.get(row["category"], row["category"])))
        n += 1
    return {"papers": n}


@dataclass
class _BibEntry:
    line: int
    kind: str
    key: str
    fields: dict[str, str]
    undefined: dict[str, list[str]]  # field -> the @string names it uses that no @string defines


class _BibSyntax(Exception):
    pass


# The standard month macros (BibTeX's own definitions).
_BIB_MONTHS = {
    "jan": "January", "feb": "February", "mar": "March", "apr": "April", "may": "May", "jun": "June",
    "jul": "July", "aug": "August", "sep": "September", "oct": "October", "nov": "November", "dec": "December",
}  # fmt: skip
_BIB_START_RE = re.compile(r"@[ \t]*([A-Za-z]+)[ \t]*([{(])")
_BIB_FIELD_RE = re.compile(r"\s*([A-Za-z][\w\-:.]*)\s*=\s*")
_BIB_CONCAT_RE = re.compile(r"\s*#\s*")
_BIB_WORD_RE = re.compile(r"[\w\-:.]+")
_BIB_AND_RE = re.compile(r"\s+and\s+", re.IGNORECASE)


def _bib_entries(text: str, problems: list[Problem]) -> Iterator[_BibEntry]:
    """The entries of a BibTeX file, ``@string`` macros expanded; a broken one is reported
    and skipped."""
    pos = 0
    macros = dict(_BIB_MONTHS)
    while True:
        match = _BIB_START_RE.search(text, pos)
        if match is None:
            return
        line = text.count("\n", 0, match.start()) + 1
        kind, opener = match.group(1).lower(), match.group(2)
        closer = "}" if opener == "{" else ")"
        try:
            if kind == "string":
                pos = _bib_string(text, match.end(), closer, macros)
                continue
            if kind in ("comment", "preamble"):
                pos = _bib_skip_block(text, match.end(), closer)
                continue
            entry, pos = _bib_entry_body(text, match.end(), closer, line, kind, macros)
            yield entry
        except _BibSyntax as error:
            if kind == "string":  # (the entries using it say so)
                problems.append(Problem("file", line, f"@string skipped: {error}", skipped=False))
            else:
                problems.append(Problem("paper", line, f"entry skipped: {error}"))
            after = _BIBTEX_ENTRY_RE.search(text, match.end())
            pos = after.start() if after else len(text)


def _bib_skip_block(text: str, pos: int, closer: str) -> int:
    depth = 1
    while pos < len(text):
        ch = text[pos]
        if ch == "{" or (closer == ")" and ch == "("):
            depth += 1
        elif ch == "}" or (closer == ")" and ch == ")"):
            depth -= 1
            if depth == 0:
                return pos + 1
        pos += 1
    raise _BibSyntax("it never ends (unbalanced braces)")


def _bib_string(text: str, pos: int, closer: str, macros: dict[str, str]) -> int:
    """Read ``@string{name = value}`` into ``macros``; where it ends."""
    name_match = _BIB_FIELD_RE.match(text, pos)
    if name_match is None:
        raise _BibSyntax("expected 'name = value'")
    value, pos = _bib_field_value(text, name_match.end(), macros, [])
    end = re.compile(r"\s*(,\s*)?" + re.escape(closer)).match(text, pos)
    if end is None:
        raise _BibSyntax(f"expected '{closer}' after the value of '{name_match.group(1)}'")
    macros[name_match.group(1).lower()] = value
    return end.end()


def _bib_entry_body(
    text: str, pos: int, closer: str, line: int, kind: str, macros: dict[str, str]
) -> tuple[_BibEntry, int]:
    key_match = re.compile(r"\s*([^,\s{}()]*)\s*(,|" + re.escape(closer) + ")").match(text, pos)
    if key_match is None:
        raise _BibSyntax("no key after the entry type")
    key, pos = key_match.group(1), key_match.end()
    entry = _BibEntry(line, kind, key, {}, {})
    if key_match.group(2) == closer:
        return entry, pos
    while True:
        end = re.compile(r"\s*(,\s*)?" + re.escape(closer)).match(text, pos)
        if end:
            return entry, end.end()
        name_match = _BIB_FIELD_RE.match(text, pos)
        if name_match is None:
            raise _BibSyntax(f"expected 'name = value' at line {text.count(chr(10), 0, pos) + 1}")
        name = name_match.group(1).lower()
        undefined: list[str] = []
        entry.fields[name], pos = _bib_field_value(text, name_match.end(), macros, undefined)
        if undefined:
            entry.undefined[name] = undefined
        sep = re.compile(r"\s*,").match(text, pos)
        if sep:
            pos = sep.end()
        elif not re.compile(r"\s*" + re.escape(closer)).match(text, pos):
            raise _BibSyntax(f"expected ',' after field '{name}'")


def _bib_field_value(text: str, pos: int, macros: dict[str, str], undefined: list[str]) -> tuple[str, int]:
    """A field's value: pieces joined by ``#``, each a {braced} or "quoted" text, a number
    or an ``@string`` name (expanded; one never defined is kept as its name, in ``undefined``)."""
    parts = []
    while True:
        value, pos = _bib_value(text, pos)
        if value[0] == "w":
            word = value[1:]
            if word[0].isalpha():  # (else a number, kept as it is)
                expanded = macros.get(word.lower())
                if expanded is None:
                    undefined.append(word)
                else:
                    word = expanded
            parts.append(word)
        else:
            parts.append(value[1:])
        concat = _BIB_CONCAT_RE.match(text, pos)
        if not concat:
            return "".join(parts), pos
        pos = concat.end()


def _bib_value(text: str, pos: int) -> tuple[str, int]:
    """One piece of a value, marked "t" (text) or "w" (a bare word: a number or an @string name)."""
    if pos >= len(text):
        raise _BibSyntax("the file ends inside an entry")
    ch = text[pos]
    if ch == "{":
        close = _latex_group_end(text, pos)
        if close is None:
            raise _BibSyntax("a value never ends (unbalanced braces)")
        return "t" + text[pos + 1 : close], close + 1
    if ch == '"':
        close = _balanced_end(text, pos + 1, '"')
        if close is None:
            raise _BibSyntax("a quoted value never ends")
        return "t" + text[pos + 1 : close], close + 1
    match = _BIB_WORD_RE.match(text, pos)
    if match is None:
        raise _BibSyntax(f"unexpected {ch!r} where a value should be")
    return "w" + match.group(0), match.end()


def _balanced_end(text: str, pos: int, closer: str) -> int | None:
    """The index of the first ``closer`` outside braces from ``pos`` on (braces nest, a
    backslash escapes the character after it), or None."""
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


def _latex_group_end(text: str, pos: int) -> int | None:
    """The index of the '}' closing the '{' at ``pos``, or None."""
    return _balanced_end(text, pos + 1, "}")


# ---- LaTeX to text

# Accents: \'e \'{e} {\'e} \'{\i} \v{s} \c c ..., each to the letter with its combining mark (NFC).
_LATEX_ACCENTS = {
    "'": "\u0301", "`": "\u0300", "^": "\u0302", '"': "\u0308", "~": "\u0303", "=": "\u0304", ".": "\u0307",
    "u": "\u0306", "v": "\u030c", "H": "\u030b", "c": "\u0327", "k": "\u0328", "r": "\u030a", "b": "\u0331",
    "d": "\u0323", "t": "\u0361",
}  # fmt: skip
# An accent over nothing (\^{}, \~{}: what latex_escape writes for ^ and ~).
_LATEX_ACCENT_ALONE = {
    "'": "´", "`": "`", "^": "^", '"': "¨", "~": "~", "=": "¯", ".": "˙", "u": "˘", "v": "ˇ", "H": "˝", "c": "¸",
    "k": "˛", "r": "˚", "b": "_", "d": ".", "t": "",
}  # fmt: skip
_LATEX_LETTERS = {
    "ss": "ß", "SS": "SS", "o": "ø", "O": "Ø", "aa": "å", "AA": "Å", "ae": "æ", "AE": "Æ", "oe": "œ", "OE": "Œ",
    "l": "ł", "L": "Ł", "i": "ı", "j": "ȷ", "dh": "ð", "DH": "Ð", "th": "þ", "TH": "Þ", "ng": "ŋ", "NG": "Ŋ",
}  # fmt: skip
_LATEX_SYMBOLS = {
    "textbackslash": "\\", "textbraceleft": "{", "textbraceright": "}", "textasciitilde": "~",
    "textasciicircum": "^", "textunderscore": "_", "textendash": "–", "textemdash": "—", "ldots": "…",
    "dots": "…", "textellipsis": "…", "textquoteleft": "‘", "textquoteright": "’", "textquotedblleft": "“",
    "textquotedblright": "”", "guillemotleft": "«", "guillemotright": "»", "S": "§", "P": "¶", "copyright": "©",
    "textcopyright": "©", "textregistered": "®", "texttrademark": "™", "pounds": "£", "textsterling": "£",
    "euro": "€", "texteuro": "€", "textdegree": "°", "textexclamdown": "¡", "textquestiondown": "¿",
    "LaTeX": "LaTeX", "TeX": "TeX", "BibTeX": "BibTeX",
}  # fmt: skip
# Commands that only style their argument (or what follows, inside its group): dropped.
_LATEX_STYLES = frozenset(
    [
        "emph",
        "textbf",
        "textit",
        "textsl",
        "texttt",
        "textsc",
        "textrm",
        "textsf",
        "textup",
        "textmd",
        "textnormal",
        "mbox",
        "hbox",
        "text",
        "mathrm",
        "mathbf",
        "mathit",
        "mathsf",
        "mathtt",
        "url",
        "nocase",
        "NoCaseChange",
        "protect",
        "relax",
        "bf",
        "it",
        "em",
        "sc",
        "rm",
        "sf",
        "tt",
        "sl",
        "up",
        "md",
        "normalfont",
        "bfseries",
        "itshape",
        "scshape",
        "slshape",
        "upshape",
        "mdseries",
        "rmfamily",
        "sffamily",
        "ttfamily",
    ]
)
_LATEX_CONTROL_SYMBOLS = {
    " ": " ", "\n": " ", "\\": " ", ",": " ", ";": " ", ":": " ", "!": "", "-": "", "/": "", "@": "",
}  # fmt: skip
_LATEX_COMMAND_RE = re.compile(r"\\(?:([A-Za-z]+)|(.))", re.DOTALL)
_LATEX_PLAIN_RE = re.compile(r"[^\\{}~-]+")
_LATEX_DASHES_RE = re.compile(r"-+")
_SPACES_RE = re.compile(r"\s*")


def latex_to_text(value: str) -> str:
    """A BibTeX value as plain text: accents and letters written as commands in Unicode
    (NFC), escaped specials and what ``latex_escape`` writes undone, ``--``/``---`` as dashes,
    ``~`` as a space, styling commands and protective braces dropped, whitespace collapsed.
    A command it does not know is kept as written (``\\foo{x}``)."""
    return " ".join(_latex_plain(value).split())


def _latex_plain(value: str) -> str:
    out: list[str] = []
    pos, end = 0, len(value)
    while pos < end:
        ch = value[pos]
        if ch == "\\":
            piece, pos = _latex_command(value, pos)
            out.append(piece)
        elif ch in "{}":
            pos += 1
        elif ch == "~":
            out.append(" ")
            pos += 1
        elif ch == "-":
            dashes = _end(_LATEX_DASHES_RE, value, pos) - pos
            out.append("—" * (dashes // 3) + ("", "-", "–")[dashes % 3])
            pos += dashes
        else:
            stop = _end(_LATEX_PLAIN_RE, value, pos)
            out.append(value[pos:stop])
            pos = stop
    return "".join(out)


def _latex_command(value: str, pos: int) -> tuple[str, int]:
    """The text of the command at ``pos`` (a backslash), and where reading goes on."""
    match = _LATEX_COMMAND_RE.match(value, pos)
    if match is None:  # a backslash at the very end
        return "\\", pos + 1
    word, symbol, after = match.group(1), match.group(2), match.end()
    if symbol is not None:
        if symbol in _LATEX_ACCENTS:
            return _latex_accent(value, after, symbol)
        if symbol in "&%$#_{}":
            return symbol, after
        return _LATEX_CONTROL_SYMBOLS.get(symbol, "\\" + symbol), after
    if word in _LATEX_ACCENTS:
        return _latex_accent(value, after, word)
    gobbled = _end(_SPACES_RE, value, after)  # TeX drops the spaces after a command word
    if word in _LATEX_LETTERS:
        return _LATEX_LETTERS[word], gobbled
    if word in _LATEX_SYMBOLS:
        return _LATEX_SYMBOLS[word], gobbled
    if word in _LATEX_STYLES:
        return "", gobbled
    close = _latex_group_end(value, after) if value.startswith("{", after) else None
    if close is not None:  # unknown, with an argument: kept as written, readable
        return "\\" + word + "{" + _latex_plain(value[after + 1 : close]) + "}", close + 1
    return "\\" + word, after


def _latex_accent(value: str, pos: int, accent: str) -> tuple[str, int]:
    """The accent ``accent`` over what follows ``pos``: a {group}, \\i, \\o ..., or one character."""
    pos = _end(_SPACES_RE, value, pos)
    base, end = "", pos
    if value.startswith("{", pos):
        close = _latex_group_end(value, pos)
        if close is not None:
            base, end = _latex_plain(value[pos + 1 : close]).strip(), close + 1
    elif value.startswith("\\", pos):
        match = _LATEX_COMMAND_RE.match(value, pos)
        if match is not None and match.group(1) in _LATEX_LETTERS:
            base, end = _LATEX_LETTERS[match.group(1)], _end(_SPACES_RE, value, match.end())
    elif pos < len(value) and value[pos] != "}":
        base, end = value[pos], pos + 1
    if not base:
        return _LATEX_ACCENT_ALONE[accent], end
    first = {"ı": "i", "ȷ": "j"}.get(base[0], base[0])  # \'{\i}: the accent takes the dot's place
    return unicodedata.normalize("NFC", first + _LATEX_ACCENTS[accent]) + base[1:], end


def _latex_verbatim(value: str) -> str:
    """An identifier or link as written: only escaped specials (and what ``latex_escape``
    writes) undone and braces dropped; no accents, dashes or ``~`` as a space."""

    def plain(match: re.Match[str]) -> str:
        token = match.group(0)
        if token in _LATEX_BACK:
            return _LATEX_BACK[token]
        return token[1:] if token.startswith("\\") else ""

    return " ".join(_LATEX_TOKEN_RE.sub(plain, value).split())


def _bib_split(value: str, separator: str) -> list[str]:
    """``value`` split at each match of the regex ``separator`` outside braces."""
    parts, depth, start = [], 0, 0
    for match in re.finditer(r"\\.|[{}]|" + separator, value, re.IGNORECASE | re.DOTALL):
        token = match.group(0)
        if token == "{":
            depth += 1
        elif token == "}":
            depth -= 1
        elif depth == 0 and not token.startswith("\\"):
            parts.append(value[start : match.start()])
            start = match.end()
    parts.append(value[start:])
    return parts


def _bib_authors(value: str) -> str | None:
    """The names of an author field (split at each ``and`` outside braces), as "First Last"."""
    names = []
    for name in _bib_split(value.strip(), r"\s+and\s+"):
        parts = _bib_split(name, ",")  # "Last, First" or "Last, Jr, First" (a comma in braces is part of a name)
        plain = latex_to_text(" ".join([parts[-1], parts[0], *parts[1:-1]]) if len(parts) > 1 else name)
        if plain:
            names.append(plain)
    return ", ".join(names) or None


# The fields read_bibtex reads (an undefined @string in any other is no loss).
_BIB_READ = ("title", "author", "year", "url", "eprint", "archiveprefix", "eprinttype", "doi", "note", "s2id",
             "howpublished", "journal", "booktitle")  # fmt: skip


def read_bibtex(text: str, source: str) -> Parsed:
    problems: list[Problem] = []
    categories = _Categories()
    papers: list[dict[str, Any]] = []
    lines: list[int] = []
    found = 0
    for entry in _bib_entries(text, problems):
        found += 1
        f = entry.fields
        for name in _BIB_READ:
            for word in entry.undefined.get(name, ()):
                message = f"{name} uses @string '{word}', which is not defined: kept as the word"
                problems.append(Problem("paper", entry.line, message, skipped=False))
        try:
            title = latex_to_text(f.get("title", ""))
            if not title:
                raise InputError("it has no title")
            key = entry.key.strip().lower()
            arxiv = None
            if f.get("eprint") and (f.get("archiveprefix", "") + f.get("eprinttype", "")).lower().startswith("arxiv"):
                arxiv = _latex_verbatim(f["eprint"])
            note = latex_to_text(f.get("note", ""))
            category = note.split(":", 1)[1] if note.lower().startswith("category:") else None
            url = _latex_verbatim(f["url"]).replace("%7B", "{").replace("%7D", "}") if f.get("url") else None
            paper = {
                "key": key if values.is_valid_key(key) else None,
                "title": title,
                "year": latex_to_text(f.get("year", "")) or None,
                "category": categories.slug(category),
                "url": url,
                "s2_id": _latex_verbatim(f.get("s2id", "")) or None,
                "arxiv_id": arxiv or (values.arxiv_id_from_url(url) if url else None),
                "doi": _latex_verbatim(f.get("doi", "")) or None,
                "authors": _bib_authors(f["author"]) if f.get("author") else None,
                "venue": next(
                    (latex_to_text(f[k]) for k in ("howpublished", "journal", "booktitle") if f.get(k)), None
                ),
            }
        except InputError as error:
            problems.append(Problem("paper", entry.line, f"entry skipped: {error.message}"))
            continue
        papers.append(paper)
        lines.append(entry.line)
    if not found and not problems and text.strip():  # (an empty file: what an empty catalog exports)
        raise InputError(f"{source} is not BibTeX: it has no @type{{key, ...}} entry")
    doc = {"format": "paperread", "version": 1, "categories": categories.items, "papers": papers, "videos": []}
    doc, more = clean_document(
        doc, source=source, locate=lambda kind, i, item: lines[i] if kind == "paper" else f"{kind} #{i + 1}"
    )
    carried = Carried(
        papers={
            "title": "set", "year": "fill", "category": "set", "url": "fill", "authors": "fill", "venue": "fill",
            "s2_id": "fill", "arxiv_id": "fill", "doi": "fill",
        },
    )  # fmt: skip
    return Parsed("bibtex", doc, problems + more, carried)


# ---------------------------------------------------------------------------- export


def write(fmt: str, reader: Reader, out: IO[str]) -> dict[str, int]:
    """Write the whole catalog to ``out`` in format ``fmt``; how many rows of each kind."""
    writers = {"markdown": write_markdown, "json": write_json, "csv": write_csv, "bibtex": write_bibtex}
    if fmt not in writers:
        raise InputError(f"format '{fmt}' is not one of {', '.join(FORMATS)}")
    return writers[fmt](reader, out)
