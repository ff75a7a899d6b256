"""BibTeX syntax: the entries of a file (``@string`` macros expanded, ``@comment`` and
``@preamble`` passed over), each with its line, type, key and raw field values."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from paperread.exchange.clean import Problem
from paperread.formats.common import BIBTEX_ENTRY_RE
from paperread.formats.latex import balanced_end, latex_group_end


@dataclass
class _BibEntry:
    line: int
    kind: str
    key: str
    fields: dict[str, str]
    undefined: dict[str, list[str]]  # field -> the @string names it uses that no @string defines


class _BibSyntax(Exception):
    pass


class LineCounter:
    """The line of each offset of a text, asked in increasing order: each character is counted
    once (``scanned`` says how many were), so numbering every entry of a file stays linear."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._pos = 0
        self._line = 1
        self.scanned = 0

    def at(self, pos: int) -> int:
        if pos < self._pos:  # (asked out of order: count again from the start)
            self._pos, self._line = 0, 1
        self._line += self._text.count("\n", self._pos, pos)
        self.scanned += pos - self._pos
        self._pos = pos
        return self._line


# The standard month macros (BibTeX's own definitions).
_BIB_MONTHS = {
    "jan": "January", "feb": "February", "mar": "March", "apr": "April", "may": "May", "jun": "June",
    "jul": "July", "aug": "August", "sep": "September", "oct": "October", "nov": "November", "dec": "December",
}  # fmt: skip
_BIB_START_RE = re.compile(r"@[ \t]*([A-Za-z]+)[ \t]*([{(])")
_BIB_FIELD_RE = re.compile(r"\s*([A-Za-z][\w\-:.]*)\s*=\s*")
_BIB_CONCAT_RE = re.compile(r"\s*#\s*")
_BIB_WORD_RE = re.compile(r"[\w\-:.]+")
# By an entry's closing character ("}" or ")"): compiled once, not once per field.
_BIB_END_RE = {c: re.compile(r"\s*(,\s*)?" + re.escape(c)) for c in "})"}
_BIB_KEY_RE = {c: re.compile(r"\s*([^,\s{}()]*)\s*(,|" + re.escape(c) + ")") for c in "})"}
_BIB_CLOSE_RE = {c: re.compile(r"\s*" + re.escape(c)) for c in "})"}
_BIB_COMMA_RE = re.compile(r"\s*,")
# The field most entries are made of, read in one match: ``name = {text}`` (braces nested at most
# twice), ``name = "text"`` or ``name = 2019``, then a comma or the entry's end; no ``#`` and no
# @string name. Any other field (and one this reads differently) fails it: the general road
# below reads it (``_bib_field_value``), so both give the same value. Possessive repeats over
# alternatives that start with different characters: no backtracking, linear.
_INNER0 = r"(?:[^{}\\]++|\\.)*+"
_INNER1 = r"(?:[^{}\\]++|\\.|\{" + _INNER0 + r"\})*+"
_INNER2 = r"(?:[^{}\\]++|\\.|\{" + _INNER1 + r"\})*+"
_QUOTED = r'(?:[^"{}\\]++|\\.|\{' + _INNER1 + r"\})*+"
_PLAIN_VALUE = r"(?:\{(" + _INNER2 + r')\}|"(' + _QUOTED + r')"|(\d++))'
_PLAIN_FIELD = r"\s*([A-Za-z][\w\-:.]*)\s*=\s*" + _PLAIN_VALUE + r"\s*(?:,|(?=\{c}))"
_BIB_PLAIN_FIELD_RE = {c: re.compile(_PLAIN_FIELD.replace("{c}", c), re.DOTALL) for c in "})"}
# An entry's fields when every one is such a field, up to the entry's end (its fields are then
# read by ``_BIB_PLAIN_FIELD_RE.findall`` in one call).
_BIB_PLAIN_BODY_RE = {
    c: re.compile(
        r"(?:" + re.sub(r"\((?!\?)", "(?:", _PLAIN_FIELD.replace("{c}", c)) + r")*+\s*(?:,\s*)?" + re.escape(c),
        re.DOTALL,
    )
    for c in "})"
}


def bib_entries(text: str, problems: list[Problem], lines: LineCounter | None = None) -> Iterator[_BibEntry]:
    """The entries of a BibTeX file, ``@string`` macros expanded; a broken one is reported
    and skipped. Time grows linearly with the text (``lines`` numbers them: see LineCounter)."""
    pos = 0
    macros = dict(_BIB_MONTHS)
    lines = lines or LineCounter(text)
    while True:
        match = _BIB_START_RE.search(text, pos)
        if match is None:
            return
        line = lines.at(match.start())
        kind, opener = match.group(1).lower(), match.group(2)
        closer = "}" if opener == "{" else ")"
        try:
            if kind == "string":
                pos = _bib_string(text, match.end(), closer, macros)
                continue
            if kind in ("comment", "preamble"):
                pos = _bib_skip_block(text, match.end(), closer)
                continue
            entry, pos = _bib_entry_body(text, match.end(), closer, line, kind, macros, lines)
            yield entry
        except _BibSyntax as error:
            if kind == "string":  # (the entries using it say so)
                problems.append(Problem("file", line, f"@string skipped: {error}", skipped=False))
            else:
                problems.append(Problem("paper", line, f"entry skipped: {error}"))
            after = BIBTEX_ENTRY_RE.search(text, match.end())
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
    end = _BIB_END_RE[closer].match(text, pos)
    if end is None:
        raise _BibSyntax(f"expected '{closer}' after the value of '{name_match.group(1)}'")
    macros[name_match.group(1).lower()] = value
    return end.end()


def _bib_entry_body(
    text: str, pos: int, closer: str, line: int, kind: str, macros: dict[str, str], lines: LineCounter
) -> tuple[_BibEntry, int]:
    key_match = _BIB_KEY_RE[closer].match(text, pos)
    if key_match is None:
        raise _BibSyntax("no key after the entry type")
    key, pos = key_match.group(1), key_match.end()
    entry = _BibEntry(line, kind, key, {}, {})
    if key_match.group(2) == closer:
        return entry, pos
    fields = entry.fields
    body = _BIB_PLAIN_BODY_RE[closer].match(text, pos)
    if body is not None:  # (most entries: each field read in C, none twice)
        for name, braced, quoted, number in _BIB_PLAIN_FIELD_RE[closer].findall(text, pos, body.end()):
            fields[name.lower()] = braced if braced else quoted if quoted else number
        return entry, body.end()
    plain_field = _BIB_PLAIN_FIELD_RE[closer].match
    while True:
        plain = plain_field(text, pos)
        if plain is not None:
            name, braced, quoted, number = plain.groups()
            fields[name.lower()] = braced if braced is not None else quoted if quoted is not None else number
            pos = plain.end()
            continue
        end = _BIB_END_RE[closer].match(text, pos)
        if end:
            return entry, end.end()
        name_match = _BIB_FIELD_RE.match(text, pos)
        if name_match is None:
            raise _BibSyntax(f"expected 'name = value' at line {lines.at(pos)}")
        name = name_match.group(1).lower()
        undefined: list[str] = []
        entry.fields[name], pos = _bib_field_value(text, name_match.end(), macros, undefined)
        if undefined:
            entry.undefined[name] = undefined
        sep = _BIB_COMMA_RE.match(text, pos)
        if sep:
            pos = sep.end()
        elif not _BIB_CLOSE_RE[closer].match(text, pos):
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
        close = latex_group_end(text, pos)
        if close is None:
            raise _BibSyntax("a value never ends (unbalanced braces)")
        return "t" + text[pos + 1 : close], close + 1
    if ch == '"':
        close = balanced_end(text, pos + 1, '"')
        if close is None:
            raise _BibSyntax("a quoted value never ends")
        return "t" + text[pos + 1 : close], close + 1
    match = _BIB_WORD_RE.match(text, pos)
    if match is None:
        raise _BibSyntax(f"unexpected {ch!r} where a value should be")
    return "w" + match.group(0), match.end()
