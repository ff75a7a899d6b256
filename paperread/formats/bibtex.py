"""BibTeX in and out: one entry per paper."""

from __future__ import annotations

import re
from typing import IO, TYPE_CHECKING, Any

from paperread import values
from paperread.errors import InputError
from paperread.exchange.clean import Problem, clean_document
from paperread.exchange.plan import Carried
from paperread.formats.bibfields import bib_authors
from paperread.formats.bibsyntax import bib_entries
from paperread.formats.common import Categories, Parsed
from paperread.formats.latex import latex_escape, latex_to_text, latex_verbatim

if TYPE_CHECKING:
    from paperread.db import Reader

_BIB_AND_RE = re.compile(r"\s+and\s+", re.IGNORECASE)


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


# The fields read_bibtex reads (an undefined @string in any other is no loss).
_BIB_READ = ("title", "author", "year", "url", "eprint", "archiveprefix", "eprinttype", "doi", "note", "s2id",
             "howpublished", "journal", "booktitle")  # fmt: skip


def read_bibtex(text: str, source: str) -> Parsed:
    problems: list[Problem] = []
    categories = Categories()
    papers: list[dict[str, Any]] = []
    lines: list[int] = []
    found = 0
    for entry in bib_entries(text, problems):
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
                arxiv = latex_verbatim(f["eprint"])
            note = latex_to_text(f.get("note", ""))
            category = note.split(":", 1)[1] if note.lower().startswith("category:") else None
            url = latex_verbatim(f["url"]).replace("%7B", "{").replace("%7D", "}") if f.get("url") else None
            paper = {
                "key": key if values.is_valid_key(key) else None,
                "title": title,
                "year": latex_to_text(f.get("year", "")) or None,
                "category": categories.slug(category),
                "url": url,
                "s2_id": latex_verbatim(f.get("s2id", "")) or None,
                "arxiv_id": arxiv or (values.arxiv_id_from_url(url) if url else None),
                "doi": latex_verbatim(f.get("doi", "")) or None,
                "authors": bib_authors(f["author"]) if f.get("author") else None,
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
    del papers  # (the document's list: cleaning empties it as it goes)
    doc, more = clean_document(
        doc,
        source=source,
        locate=lambda kind, i, item: lines[i] if kind == "paper" else f"{kind} #{i + 1}",
        consume=True,
    )
    carried = Carried(
        papers={
            "title": "set", "year": "fill", "category": "set", "url": "fill", "authors": "fill", "venue": "fill",
            "s2_id": "fill", "arxiv_id": "fill", "doi": "fill",
        },
    )  # fmt: skip
    return Parsed("bibtex", doc, problems + more, carried)
