"""Markdown tables and the headings above them, read in one pass over the lines.

markdown-it-py reads a README exactly but slowly: a 100,000-row table costs it a Python loop
over every character of every row (the table rule's cell split, then the inline rules per
cell), 30 s and more. This module reads the same tables in time linear in the text, with
``str.split`` and a few regular expressions, and gives the same result as markdown-it-py:

- ``scan`` reads the blocks: ATX headings, GFM tables (the header row, the delimiter row, the
  body rows until a blank line) and paragraphs. A line that could open anything else (a list,
  a quote, a fence, indented code, HTML, a setext underline, a link reference definition, a
  tab in the indent) makes it answer None, and ``tables`` then asks markdown-it-py for the
  block structure of that document (the cells are still read here).
- ``inline`` reads a cell's Markdown when it is made of what the README's cells hold: text,
  backslash escapes, ``&amp; &lt; &gt; &quot;``, ``<br />``, ``[text](http...)`` links,
  ``![alt](http...)`` images and linked images. Anything else (emphasis, code, raw HTML,
  an address with spaces or parentheses...) answers None, and the caller asks markdown-it-py
  for that one cell.

``tests/test_mdtables.py`` holds both readings equal to markdown-it-py's on generated text.
"""

from __future__ import annotations

import re
from array import array
from dataclasses import dataclass, field
from typing import Any

# markdown-it's cell trim: the CommonMark whitespace set (markdown_it.common.utils.MD_WHITESPACE)
_MD_TRIM = "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
_MAX_AUTOCOMPLETED_CELLS = 0x10000  # markdown-it's limit on the empty cells it adds to short rows
_DELIMITER_CELL_RE = re.compile(r":?-+:?")
_DELIMITER_LINE_RE = re.compile(r"[-:|][-:|\t ]*")
_HEADING_RE = re.compile(r"(#{1,6})(?:[ \t]+(.*?))?[ \t]*")
# A line (its indent taken off) that might open a block this scanner does not read: a quote,
# list, fence, thematic break or setext underline, HTML, a link reference definition, or code.
_RISKY_START = frozenset(">-+*_=`~<[0123456789\t")
_UNESCAPED_PIPE_RE = re.compile(r"(?<!\\)\|")


@dataclass
class RawTable:
    """A table as markdown-it's block rule leaves it: cells as raw inline Markdown."""

    heading: str | None  # the inline Markdown of the nearest heading above, if any
    line: int  # 1-based line of the header row
    header: list[str]
    rows: list[tuple[int, list[str]]] = field(default_factory=list)  # (1-based line, cells)
    # line -> cells written, of the rows markdown fills up with empty cells: fewer cells than
    # the header, or the file's unfinished last line (no closing '|', no line break after it)
    short: dict[int, int] = field(default_factory=dict)


_CELL_SEP_RE = re.compile(r"(?<!\\)\|")


def cells_written(line: str) -> int:
    """How many cells a table row's source line has (markdown fills missing ones with empty
    cells: a row cut short would read as a row with empty cells)."""
    inner = line.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") and not inner.endswith("\\|") else inner
    if "\\" not in inner:  # (no escape: every pipe separates)
        return inner.count("|") + 1
    return len(_CELL_SEP_RE.split(inner))


def _note_short(table: RawTable, number: int, source: str, last: bool) -> None:
    """Put row ``number`` (1-based) in ``table.short`` if it was cut short; ``last``: it is
    the text's last line and no line break follows it."""
    written = cells_written(source)
    if written < len(table.header) or (last and not source.rstrip().endswith("|")):
        table.short[number] = written


def normalize(text: str) -> str:
    """What markdown-it reads: line breaks as ``\\n``, NUL as U+FFFD."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.replace("\0", "\ufffd") if "\0" in text else text


def split_row(line: str) -> list[str]:
    """A row's cells: markdown-it's ``escapedSplit`` (a ``\\|`` is a pipe in a cell, its
    backslash dropped), the empty cells outside the edge pipes dropped, each trimmed."""
    if "\\" in line:
        cells = [cell.replace("\\|", "|") for cell in _UNESCAPED_PIPE_RE.split(line)]
    else:
        cells = line.split("|")
    if cells and cells[0] == "":
        cells.pop(0)
    if cells and cells[-1] == "":
        cells.pop()
    return [cell.strip(_MD_TRIM) for cell in cells]


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _delimiter_columns(line: str) -> int | None:
    """The number of columns a delimiter row (``| --- | :-: |``) declares, else None."""
    body = line.strip(" \t")
    if not _DELIMITER_LINE_RE.fullmatch(body) or len(body) < 2:
        return None
    if body[0] == "-" and body[1] in " \t":  # a list item, not a table
        return None
    parts = body.split("|")
    count = 0
    for i, part in enumerate(parts):
        cell = part.strip(_MD_TRIM)
        if not cell:
            if i in (0, len(parts) - 1):
                continue
            return None
        if not _DELIMITER_CELL_RE.fullmatch(cell):
            return None
        count += 1
    return count


class _Lines:
    """The lines of a text (without their line breaks), each cut out when asked for: a big
    file is not held a second time as a list of lines."""

    def __init__(self, text: str) -> None:
        self._text = text
        ends = array("q")
        find, pos = text.find, text.find("\n")
        while pos != -1:
            ends.append(pos)
            pos = find("\n", pos + 1)
        if not text.endswith("\n"):
            ends.append(len(text))
        self._ends = ends

    def __len__(self) -> int:
        return len(self._ends)

    def __getitem__(self, index: int) -> str:
        start = self._ends[index - 1] + 1 if index > 0 else 0
        return self._text[start : self._ends[index]]


def scan(text: str) -> list[RawTable] | None:
    """Every table with the nearest heading above it, or None when the document holds a block
    this scanner does not read (``tables`` then asks markdown-it). ``text`` is normalized."""
    lines = _Lines(text)
    open_end = not text.endswith("\n")  # the last line has no line break after it
    tables: list[RawTable] = []
    heading: str | None = None
    i, end = 0, len(lines)
    while i < end:
        raw = lines[i]
        indent = _indent(raw)
        line = raw[indent:]
        if not line.strip(" \t"):
            i += 1
            continue
        if indent >= 4 or line[0] == "\t":
            return None
        if "|" in line and i + 1 < end:
            table = _table_at(lines, i, heading, open_end)
            if table is not None:
                tables.append(table)
                i = table.rows[-1][0] if table.rows else i + 2
                continue
        if line[0] == "#":
            found = _HEADING_RE.fullmatch(line)
            if found:
                heading = _heading_content(found.group(2) or "")
                if heading is None:
                    return None
                i += 1
                continue
        if line[0] in _RISKY_START:
            return None
        i += 1  # a paragraph line (no inline Markdown outside tables matters here)
    return tables


def _heading_content(rest: str) -> str | None:
    """An ATX heading's text; None for the closing-``#`` forms this scanner leaves to markdown-it."""
    if rest.endswith("#"):
        return None
    return rest.strip()


def _table_at(lines: _Lines, start: int, heading: str | None, open_end: bool) -> RawTable | None:
    """The table whose header row is ``lines[start]``, else None (markdown-it's table rule);
    a body row that might end the table some other way makes the whole scan give up, so it
    raises _GiveUp."""
    below = lines[start + 1]
    below_indent = _indent(below)
    if below_indent >= 4 or below[below_indent : below_indent + 1] == "\t":
        return None
    columns = _delimiter_columns(below)
    if columns is None:
        return None
    head_line = lines[start].strip(" \t")
    head_line = head_line.strip(_MD_TRIM)
    if "|" not in head_line:
        return None
    header = split_row(head_line)
    if not header or len(header) != columns:
        return None
    if head_line[0] in _RISKY_START:
        raise _GiveUp
    table = RawTable(heading, start + 1, header)
    autocompleted = 0
    for number in range(start + 2, len(lines)):
        raw = lines[number]
        indent = _indent(raw)
        line = raw[indent:]
        if not line.strip(" \t"):
            break
        if indent >= 4 or line[0] == "\t":
            raise _GiveUp  # (markdown-it ends the table on code; then reads an indented block)
        if line[0] != "|" and (line[0] in _RISKY_START or line[0] == "#"):
            raise _GiveUp  # might be a list, quote, heading... that ends the table
        trimmed = line.strip(_MD_TRIM)
        if not trimmed:
            break
        cells = split_row(trimmed)
        autocompleted += columns - len(cells)
        if autocompleted > _MAX_AUTOCOMPLETED_CELLS:
            break
        if len(cells) != columns:
            cells = cells[:columns] + [""] * (columns - len(cells))
        table.rows.append((number + 1, cells))
        _note_short(table, number + 1, raw, open_end and number == len(lines) - 1)
    return table


class _GiveUp(Exception):
    """The scan met a line it does not read (caught in ``tables``)."""


def blocks(text: str) -> tuple[list[RawTable], dict[str, Any]]:
    """The tables by markdown-it's own block rules (the inline rules off); and its ``env``,
    which holds the document's link reference definitions for reading the cells."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark").enable("table").disable("inline")
    env: dict[str, Any] = {}
    tokens = md.parse(text, env)
    source = text.split("\n")
    tables: list[RawTable] = []
    heading: str | None = None
    current: RawTable | None = None
    row: list[str] = []
    row_line = 0
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            heading = tokens[index + 1].content
        elif token.type == "table_open":
            current = RawTable(heading, _line(token), [])
            tables.append(current)
        elif token.type == "tr_open":
            row, row_line = [], _line(token)
        elif token.type == "inline" and current is not None and tokens[index - 1].type in ("th_open", "td_open"):
            row.append(token.content)
        elif token.type == "tr_close" and current is not None:
            if current.header:
                current.rows.append((row_line, row))
                if 0 < row_line <= len(source):
                    _note_short(current, row_line, source[row_line - 1], row_line == len(source))
            else:
                current.header = row
        elif token.type == "table_close":
            current = None
    return tables, env


def _line(token: Any) -> int:
    return token.map[0] + 1 if token.map else 0


def tables(text: str) -> tuple[list[RawTable], dict[str, Any]]:
    """Every table of a Markdown document (``text`` normalized) with the heading above it, and
    the ``env`` to read its cells with: in linear time when ``scan`` reads the document, else
    by markdown-it's block rules."""
    try:
        found = scan(text)
    except _GiveUp:
        found = None
    if found is not None:
        return found, {}
    return blocks(text)


# --- cells ------------------------------------------------------------------------------------


@dataclass
class Inline:
    """A cell's inline Markdown as the README reader needs it: the text (links' text included,
    images left out, ``<br />`` as a newline), the links (address, text) and image sources.
    Addresses are as markdown-it gives them (percent-encoded)."""

    text: str
    links: list[tuple[str, str]]
    images: list[str]


_TEXT = r"[^\\&<>\[\]!*_`\n]"
# An address markdown-it keeps as written (its normalizeLink changes nothing in it): http(s),
# then the characters mdurl does not encode, or a valid percent-escape; no ';' (so no entity).
_DEST = r"https?://(?:[A-Za-z0-9\-._~:/?#@!$'*+,=&]++|%[0-9A-Fa-f]{2})++"
# (Possessive repeats: what follows each, ")" or "]", is a character the repeat never takes, so
# giving any back could not make a match; they only spare the engine its backtracking stack.)
_INLINE_RE = re.compile(
    rf"""(?P<text>(?:{_TEXT}++|!(?!\[))++)
    |\\(?P<esc>[!-/:-@\[-`{{-~])
    |&(?P<ent>amp|lt|gt|quot);
    |(?P<br><br(?:\ ?/)?>)
    |\[!\[{_TEXT}*+\]\((?P<lisrc>{_DEST})\)\]\((?P<lihref>{_DEST})\)
    |!\[{_TEXT}*+\]\((?P<src>{_DEST})\)
    |\[(?P<label>{_TEXT}*+)\]\((?P<href>{_DEST})\)""",
    re.VERBOSE,
)
_ENTITY = {"amp": "&", "lt": "<", "gt": ">", "quot": '"'}


def inline(content: str) -> Inline | None:
    """The cell read as markdown-it reads it, or None when it holds more than this reads."""
    if not content:
        return Inline("", [], [])
    parts: list[str] = []
    links: list[tuple[str, str]] = []
    images: list[str] = []
    pos, end = 0, len(content)
    match_at = _INLINE_RE.match
    while pos < end:
        found = match_at(content, pos)
        if found is None:
            return None
        kind = found.lastgroup
        if kind == "text":
            parts.append(found.group("text"))
        elif kind == "esc":
            parts.append(found.group("esc"))
        elif kind == "ent":
            parts.append(_ENTITY[found.group("ent")])
        elif kind == "br":
            parts.append("\n")
        elif kind == "lihref":
            images.append(found.group("lisrc"))
            links.append((found.group("lihref"), ""))
        elif kind == "src":
            images.append(found.group("src"))
        else:  # a link
            label = found.group("label")
            parts.append(label)
            links.append((found.group("href"), " ".join(label.split())))
        pos = found.end()
    return Inline("".join(parts), links, images)
