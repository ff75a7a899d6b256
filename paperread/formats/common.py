"""What every format shares: the formats and their file extensions, ``Parsed`` (a file read
into a cleaned catalog document), decoding, detecting a format, and categories named by slug or name."""

from __future__ import annotations

import re
from collections.abc import Callable
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


class Parsed:
    """A file read into a cleaned catalog document.

    ``Parsed.later``: a file read whose papers are cleaned (``exchange.lenient`` and
    ``clean.clean_document``) on first use of ``doc`` or ``problems``; until then
    ``raw_papers`` holds them as the reader made them, so ``exchange.run.import_parsed`` can
    start the search index from their text beside the cleaning (as for JSON, ``ParsedJson``).
    """

    raw_papers: list[dict[str, Any]] | None = None  # (None: cleaned already)

    def __init__(self, format: str, doc: dict[str, Any], problems: list[Problem], carried: Carried) -> None:
        self.format, self.carried = format, carried
        self._cleaned: tuple[dict[str, Any], list[Problem]] | None = (doc, problems)
        self._finish: Callable[[], tuple[dict[str, Any], list[Problem]]] | None = None

    @classmethod
    def later(
        cls,
        format: str,
        carried: Carried,
        raw_papers: list[dict[str, Any]],
        finish: Callable[[], tuple[dict[str, Any], list[Problem]]],
    ) -> Parsed:
        """A file read whose cleaning, ``finish()``, waits for the first use of ``doc`` or ``problems``."""
        parsed = cls(format, {}, [], carried)
        parsed._cleaned, parsed._finish, parsed.raw_papers = None, finish, raw_papers
        return parsed

    def _clean(self) -> tuple[dict[str, Any], list[Problem]]:
        if self._cleaned is None:
            import gc

            assert self._finish is not None
            enabled = gc.isenabled()
            gc.disable()  # (as ``formats.parse`` reads: a dict a paper, no cycle among them)
            try:
                self._cleaned = self._finish()
            finally:
                if enabled:
                    gc.enable()
            self._finish = self.raw_papers = None
        return self._cleaned

    @property
    def doc(self) -> dict[str, Any]:
        return self._clean()[0]

    @property
    def problems(self) -> list[Problem]:
        return self._clean()[1]


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
