"""What every format shares: the formats and their file extensions, ``Parsed`` (a file read
into a cleaned catalog document), decoding, detecting a format, and categories named by slug or name."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from paperread.errors import InputError
from paperread.exchange.clean import Problem, clean_slug
from paperread.exchange.plan import Carried

FORMATS = ("markdown", "json", "csv", "bibtex")
EXTENSIONS = {
    ".md": "markdown", ".markdown": "markdown", ".json": "json", ".csv": "csv", ".tsv": "csv", ".bib": "bibtex",
    ".bibtex": "bibtex",
}  # fmt: skip

BIBTEX_ENTRY_RE = re.compile(r"^[ \t]*@[ \t]*[A-Za-z]+[ \t]*[{(]", re.MULTILINE)


@dataclass
class Parsed:
    """A file read into a cleaned catalog document."""

    format: str
    doc: dict[str, Any]
    problems: list[Problem]
    carried: Carried
    raw_papers = None  # cleaned already (see ParsedJson)


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
    if BIBTEX_ENTRY_RE.search(text[:20_000]):
        return "bibtex"
    first = head.split("\n", 1)[0]
    if "\t" in first and "TI" in first.split("\t"):  # Web of Science's tab-delimited export (savedrecs.txt)
        return "csv"
    first = first.lower()
    if "title" in first and ("," in first or "\t" in first) and "|" not in first:
        return "csv"
    return "markdown"


def end_of(pattern: re.Pattern[str], text: str, pos: int) -> int:
    """Where a match of ``pattern`` (one that matches the empty string too) ends at ``pos``."""
    match = pattern.match(text, pos)
    assert match is not None
    return match.end()


class Categories:
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
