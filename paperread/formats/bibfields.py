"""BibTeX field values read into paper values: authors, year, links, DOI, arXiv id, venue.

What the exporters write (Zotero and Better BibTeX, biblatex, Mendeley, JabRef, INSPIRE,
MathSciNet, Google Scholar, DBLP) is read where it is unambiguous; what is still no value
(a year ``to appear``, two links in one field) is handed on as written, and
``exchange.lenient`` leaves it off the paper with a warning."""

from __future__ import annotations

import re

from paperread.formats.latex import latex_to_text, latex_verbatim

_AND_RE = r"\s+and\s+"
# By separator: the separator alone, and with what it is not taken inside (braces, an escape).
_SPLIT_RES = {
    sep: (re.compile(sep, re.IGNORECASE | re.DOTALL), re.compile(r"\\.|[{}]|" + sep, re.IGNORECASE | re.DOTALL))
    for sep in (_AND_RE, ",")
}


def _bib_split(value: str, separator: str) -> list[str]:
    """``value`` split at each match of the regex ``separator`` outside braces."""
    alone, tokens = _SPLIT_RES[separator]
    if "{" not in value and "}" not in value and "\\" not in value:  # (no brace or escape: every match splits)
        return value.split(",") if separator == "," else alone.split(value)
    parts, depth, start = [], 0, 0
    for match in tokens.finditer(value):
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


_AUTHORS_ACTIVE_RE = re.compile(r"[\\{}~$,]|--")


def bib_authors(value: str) -> str | None:
    """The names of an author field (split at each ``and`` outside braces), as "First Last"."""
    if _AUTHORS_ACTIVE_RE.search(value) is None:  # (no brace, command, comma, tie, math or dash: plain names)
        plain_names = (" ".join(name.split()) for name in _SPLIT_RES[_AND_RE][0].split(value.strip()))
        return ", ".join(name for name in plain_names if name) or None
    names = []
    for name in _bib_split(value.strip(), _AND_RE):
        parts = _bib_split(name, ",")  # "Last, First" or "Last, Jr, First" (a comma in braces is part of a name)
        plain = latex_to_text(" ".join([parts[-1], parts[0], *parts[1:-1]]) if len(parts) > 1 else name)
        if plain:
            names.append(plain)
    return ", ".join(names) or None


# ---- years

# 2023, 2023a (a second paper of the year), 1980/81 or 1980-1981 (the first year), 2018-05-14.
_YEAR_RE = re.compile(r"(\d{1,4})(?:[a-z]|\s*[/–-]\s*\d{1,4}(?:\s*[/–-]\s*\d{1,2})?)?", re.ASCII)
_DATE_YEAR_RE = re.compile(r"(\d{4})(?:[-/]\d{1,2}(?:[-/]\d{1,2})?)?(?:[T ].*)?(?:/.*)?", re.ASCII)


def bib_year(fields: dict[str, str]) -> str | None:
    """The year of an entry, as text: from ``year`` (``2023a`` gives 2023, ``1980/81`` 1980),
    else from biblatex's ``date`` (``2018-05-14``, ``2018-05``, ``2018/2019``). A value that is
    no year is handed on as written, to be left off with a warning."""
    written = latex_to_text(fields.get("year", ""))
    match = _YEAR_RE.fullmatch(written) or _DATE_YEAR_RE.fullmatch(written)
    if match:
        return match.group(1)
    date = latex_to_text(fields.get("date", ""))
    dated = _DATE_YEAR_RE.fullmatch(date)
    if dated:
        return dated.group(1)
    return written or date or None


# ---- links and identifiers

_URL_COMMAND_RE = re.compile(r"\\(?:url|href)\s*\{([^{}]*)\}(?:\s*\{[^{}]*\})?")
_HOST_PATH_RE = re.compile(
    r"(?:www\.)?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?::\d{1,5})?(?:[/?#]\S*)?", re.ASCII
)


def bib_link(value: str) -> str | None:
    """A link as written: ``\\url{...}`` (and ``\\href{...}{...}``) unwrapped, escapes undone;
    one without a scheme (``www.jstor.org/stable/2394164``) taken as https. Anything else is
    handed on as written (two links, a space inside, ``ftp://``), to be left off with a warning."""
    unwrapped = _URL_COMMAND_RE.sub(lambda m: m.group(1), value) if "\\" in value else value
    link = latex_verbatim(unwrapped)
    if "%7" in link:
        link = link.replace("%7B", "{").replace("%7D", "}")
    if not link:
        return None
    if "://" not in link and _HOST_PATH_RE.fullmatch(link):
        return "https://" + link
    return link


def bib_doi(value: str) -> str | None:
    """A DOI as written (``doi:`` and doi.org prefixes, short DOIs: ``values.normalize_doi``),
    a ``\\url{}`` around it unwrapped."""
    return latex_verbatim(_URL_COMMAND_RE.sub(lambda m: m.group(1), value)) or None


# arXiv ids where exporters put them: ``arXiv:1709.08272`` (Google Scholar's journal, notes),
# DBLP's ``volume = {abs/1211.0906}``, ``arXiv:hep-th/9901001``.
_ARXIV_IN_TEXT_RE = re.compile(
    r"(?:\barxiv\s*[:.]?\s*|(?:^|\s)abs/)(\d{4}\.\d{4,5}|[a-z]+(?:-[a-z]+)*(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?\b",
    re.ASCII | re.IGNORECASE,
)
_NEW_ARXIV_RE = re.compile(r"(?:arxiv:\s*)?\d{4}\.\d{4,5}(?:v\d+)?", re.ASCII | re.IGNORECASE)
_OLD_NUMBER_RE = re.compile(r"\d{7}(?:v\d+)?", re.ASCII)


def bib_arxiv(fields: dict[str, str]) -> str | None:
    """The arXiv id of an entry: its ``eprint`` when ``eprinttype`` (biblatex) or
    ``archivePrefix`` says arXiv (an old-style number with ``primaryClass = {hep-ex}`` gives
    ``hep-ex/0401008``), or when it has neither and the eprint reads as a new-style arXiv id;
    else an id written in ``journal``, ``volume``, ``number``, ``note`` or ``howpublished``.
    An eprint of another type (``eprinttype = {pubmed}``) is not an arXiv id."""
    eprint = latex_verbatim(fields.get("eprint", ""))
    kind = latex_verbatim(fields.get("eprinttype") or fields.get("archiveprefix") or "").lower()
    if eprint:
        if kind.startswith("arxiv"):
            primary = latex_verbatim(fields.get("primaryclass", ""))
            if _OLD_NUMBER_RE.fullmatch(eprint) and primary:
                return primary.split(".")[0].lower() + "/" + eprint
            return eprint
        if not kind and _NEW_ARXIV_RE.fullmatch(eprint):
            return eprint
    for name in ("journal", "journaltitle", "volume", "number", "note", "howpublished", "eprint"):
        if name == "eprint" and kind and not kind.startswith("arxiv"):
            continue
        value = fields.get(name)
        if not value:
            continue
        found = _ARXIV_IN_TEXT_RE.search(latex_verbatim(value))
        if found:
            return found.group(1)
    return None


def bib_venue(fields: dict[str, str]) -> str | None:
    """Where the paper appeared: ``howpublished`` (unless it is only a link), ``journal``,
    biblatex's ``journaltitle``, or ``booktitle``."""
    for name in ("howpublished", "journal", "journaltitle", "booktitle"):
        value = fields.get(name, "")
        if not value:
            continue
        if name == "howpublished" and _URL_COMMAND_RE.fullmatch(value.strip()):
            continue
        text = latex_to_text(value)
        if text:
            return text
    return None
