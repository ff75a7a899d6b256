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

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING

from paperread.errors import InputError
from paperread.exchange.document import write_json
from paperread.formats.bibtex import read_bibtex, split_authors, write_bibtex
from paperread.formats.common import EXTENSIONS, FORMATS, Parsed, decode, detect_format
from paperread.formats.csvfile import CSV_COLUMNS, read_csv, write_csv
from paperread.formats.jsonfile import ParsedJson, read_json
from paperread.formats.latex import latex_escape, latex_to_text
from paperread.formats.markdown import read_markdown, write_markdown

if TYPE_CHECKING:
    from paperread.db import Reader

__all__ = [
    "CSV_COLUMNS",
    "EXTENSIONS",
    "FORMATS",
    "Parsed",
    "ParsedJson",
    "decode",
    "detect_format",
    "latex_escape",
    "latex_to_text",
    "parse",
    "read_bibtex",
    "read_csv",
    "read_json",
    "read_markdown",
    "split_authors",
    "write",
    "write_bibtex",
    "write_csv",
    "write_json",
    "write_markdown",
]


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
    with _collector_paused():
        return readers[fmt](text, source)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while a file is read: reading makes a dict and a list or
    two for each paper and holds them all, no cycle among them, so every collection the
    allocations set off (a full one each time a quarter more objects are held) finds nothing and
    costs ~25% of a 100,000-paper read. Objects are still freed by their counts as ever."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def write(fmt: str, reader: Reader, out: IO[str]) -> dict[str, int]:
    """Write the whole catalog to ``out`` in format ``fmt``; how many rows of each kind."""
    writers = {"markdown": write_markdown, "json": write_json, "csv": write_csv, "bibtex": write_bibtex}
    if fmt not in writers:
        raise InputError(f"format '{fmt}' is not one of {', '.join(FORMATS)}")
    return writers[fmt](reader, out)
