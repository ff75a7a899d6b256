"""BibTeX in and out: one entry per paper."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import IO, TYPE_CHECKING, Any

from paperread import values
from paperread.errors import InputError
from paperread.exchange.clean import Problem, clean_document
from paperread.exchange.lenient import lenient_papers
from paperread.exchange.plan import Carried
from paperread.formats.bibfields import bib_arxiv, bib_authors, bib_doi, bib_link, bib_venue, bib_year
from paperread.formats.bibsyntax import bib_entries
from paperread.formats.common import Categories, Parsed
from paperread.formats.latex import latex_escape, latex_to_text, latex_verbatim, math_spans

if TYPE_CHECKING:
    from paperread.db import Reader

_BIB_AND_RE = re.compile(r"\s+and\s+", re.IGNORECASE)


def _bib_title(title: str) -> str:
    """The title escaped, each word with a capital letter in braces so styles keep its case;
    math kept from a BibTeX file (``$\\sqrt{s}$``) written as it is, so LaTeX renders it again."""
    if "$" not in title:  # (no math: the title escaped, its words with a capital braced)
        return _brace_capitals(latex_escape(title))
    out: list[str] = []
    pos = 0
    for start, end in [*math_spans(title), (len(title), len(title))]:
        words = " ".join(
            "{" + latex_escape(word) + "}" if any(ch.isupper() for ch in word) else latex_escape(word)
            for word in title[pos:start].split()
        )
        gap = " " if words and start > pos and title[start - 1].isspace() and start < len(title) else ""
        lead = " " if out and pos < start and title[pos].isspace() and words else ""
        out.append(lead + words + gap + title[start:end])
        pos = end
    return "".join(out).strip()


def _brace_capitals(escaped: str) -> str:
    """Each word (between single spaces: ``latex_escape`` wrote them) with a capital letter in braces
    (escaping adds none: a word of the escaped text has one when the word written had one)."""
    if escaped.isascii():  # (a word has a capital when lower() changes it: A-Z are ASCII's only capitals)
        return " ".join(["{" + w + "}" if w != w.lower() else w for w in escaped.split(" ")])
    return " ".join("{" + w + "}" if any(ch.isupper() for ch in w) else w for w in escaped.split(" "))


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
    return f"@misc{{{p['cite_key'] or p['key']},\n{body}\n}}\n"


# Characters ``latex_escape`` escapes (with "--", and any whitespace but single spaces).
_SPECIAL_RE = re.compile(r"[\\{}%$&#_^~]")
_ROW_NAMES = ("key", "cite_key", "title", "authors", "year", "url", "arxiv_id", "doi", "venue", "s2_id")


def _bib_entry_row(row: tuple[Any, ...]) -> str:
    """``_bib_entry`` of a row of ``queries.export_bibtex_rows``. When its texts are plain (no
    character ``latex_escape`` escapes, no "--", no whitespace but single spaces between words:
    most papers) it is written here, each text as it is; else by ``_bib_entry``."""
    key, cite_key, title, authors, year, url, arxiv_id, doi, venue, s2_id, category_name = row
    # The texts between bars: a space beside a bar is a text's first or last character. Printable
    # text holds no whitespace but the space (the others are control characters or separators).
    texts = f"|{title}|{authors or ''}|{doi or ''}|{venue or ''}|{category_name}|"
    if not (
        texts.isprintable()
        and "--" not in texts
        and "  " not in texts
        and " |" not in texts
        and "| " not in texts
        and _SPECIAL_RE.search(texts) is None
        and type(title) is str
        and (not authors or (";" not in authors and _BIB_AND_RE.search(authors) is None))
    ):
        return _bib_entry(dict(zip(_ROW_NAMES, row, strict=False)), category_name)
    parts = [f"@misc{{{cite_key or key},\n  title = {{{_brace_capitals(title)}}}"]
    if authors:
        if "," not in authors:
            parts.append(f",\n  author = {{{authors}}}")
        elif authors.count(",") == authors.count(", ") and " ," not in authors and authors[0] != ",":
            parts.append(f",\n  author = {{{authors.replace(', ', ' and ')}}}")  # ("A. He, B. Zhang": the usual)
        else:
            names = [name for name in (part.strip() for part in authors.split(",")) if name]
            if names:
                parts.append(f",\n  author = {{{' and '.join(names)}}}")
    if year is not None:
        parts.append(f",\n  year = {{{year}}}")
    if url:
        parts.append(f",\n  url = {{{url.replace('{', '%7B').replace('}', '%7D')}}}")
    if arxiv_id:
        parts.append(f",\n  eprint = {{{arxiv_id}}},\n  archivePrefix = {{arXiv}}")
    if doi:
        parts.append(f",\n  doi = {{{doi}}}")
    if venue:
        parts.append(f",\n  howpublished = {{{venue}}}")
    if s2_id:
        parts.append(f",\n  s2id = {{{s2_id}}}")
    parts.append(f",\n  note = {{Category: {category_name}}}\n}}\n")
    return "".join(parts)


def write_bibtex(reader: Reader, out: IO[str]) -> dict[str, int]:
    """One ``@misc`` entry per paper, keyed by its citation key (the one its bibliography gave),
    else by the paper's key."""
    from paperread import queries

    n = 0
    for batch in queries.export_bibtex_rows(reader):
        out.write(("\n" if n else "") + "\n".join(map(_bib_entry_row, batch)))
        n += len(batch)
    return {"papers": n}


# The fields read_bibtex reads (an undefined @string in any other is no loss).
_BIB_READ = ("title", "author", "year", "date", "url", "eprint", "archiveprefix", "eprinttype", "primaryclass", "doi",
             "note", "s2id", "howpublished", "journal", "journaltitle", "booktitle", "volume", "number")  # fmt: skip
BIBTEX_CARRIES = Carried(
    papers={
        "title": "set", "year": "fill", "category": "set", "url": "fill", "authors": "fill", "venue": "fill",
        "s2_id": "fill", "arxiv_id": "fill", "doi": "fill", "cite_key": "fill",
    },
)  # fmt: skip


def _entry_paper(entry: Any, categories: Categories) -> dict[str, Any]:
    """An entry's fields as a paper's values, as written where they are not yet clean (the
    lenient cleaning leaves off what cannot be read)."""
    f = entry.fields
    key = entry.key.strip()
    own = key.lower() if values.is_valid_key(key.lower()) else values.slugify_key(key)  # Aamodt:2011mr: aamodt-2011mr
    note = latex_to_text(f.get("note", ""))
    category = note.split(":", 1)[1] if note.lower().startswith("category:") else None
    url = bib_link(f["url"]) if f.get("url") else None
    if url is None and f.get("howpublished", "").lstrip().startswith(("\\url", "\\href")):
        url = bib_link(f["howpublished"])
    return {
        "key": own or None,
        "cite_key": key or None,
        "title": latex_to_text(f.get("title", "")),
        "year": bib_year(f),
        "category": categories.slug(category),
        "url": url,
        "s2_id": latex_verbatim(f.get("s2id", "")) or None,
        "arxiv_id": bib_arxiv(f) or (values.arxiv_id_from_url(url) if url else None),
        "doi": bib_doi(f["doi"]) if f.get("doi") else None,
        "authors": bib_authors(f["author"]) if f.get("author") else None,
        "venue": bib_venue(f),
    }


_NO_TITLE = "paper skipped: title is empty"


def read_bibtex(text: str, source: str) -> Parsed:
    """Every entry with a title is a paper; a value that cannot be read is left off it, with a
    warning (``exchange.lenient``); an entry repeating an earlier one (an id and the title) is
    merged into it. The entries are read here, their values cleaned on first use of the
    result's ``doc`` (``Parsed.later``)."""
    problems: list[Problem] = []
    categories = Categories()
    papers: list[dict[str, Any]] = []
    lines: list[int] = []
    found = 0
    for entry in bib_entries(text, problems):
        found += 1
        for name in _BIB_READ if entry.undefined else ():
            for word in entry.undefined.get(name, ()):
                message = f"{name} uses @string '{word}', which is not defined: kept as the word"
                problems.append(Problem("paper", entry.line, message, skipped=False))
        papers.append(_entry_paper(entry, categories))
        lines.append(entry.line)
    if not found and not problems and text.strip():  # (an empty file: what an empty catalog exports)
        raise InputError(f"{source} is not BibTeX: it has no @type{{key, ...}} entry")

    def finish() -> tuple[dict[str, Any], list[Problem]]:
        kept_papers, kept, lenient, canonical = lenient_papers(papers, lambda i: lines[i])
        kept_lines = [lines[i] for i in kept]
        doc: dict[str, Any] = {
            "format": "paperread",
            "version": 1,
            "categories": categories.items,
            "papers": kept_papers,
            "videos": [],
        }
        papers.clear()  # (each paper is the document's now: the reader's list is given up)
        doc, more = clean_document(
            doc,
            source=source,
            locate=lambda kind, i, item: kept_lines[i] if kind == "paper" else f"{kind} #{i + 1}",
            consume=True,
            canonical=canonical,
        )
        more = [replace(p, message="entry skipped: it has no title") if p.message == _NO_TITLE else p for p in more]
        for paper in doc["papers"]:
            if paper["cite_key"] == paper["key"]:  # (paperread's own export: the key is the citation key)
                paper["cite_key"] = None
        every = sorted(problems + lenient + more, key=lambda p: p.where if isinstance(p.where, int) else 0)
        return doc, every

    return Parsed.later("bibtex", BIBTEX_CARRIES, papers, finish)
