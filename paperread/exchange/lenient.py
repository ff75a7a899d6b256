"""Reading other people's files: keep the paper, leave off what cannot be read.

A bibliography exported by Zotero, Mendeley, JabRef, INSPIRE or Scopus carries values
paperread cannot use (a DOI of ``N/A``, a link with a space in it, a year ``to appear``).
One such value costs that value, not the paper: ``lenient_papers`` checks each optional field
of each paper on its own, leaves off the ones that fail (with a warning naming the value and
why) and hands on papers whose every value is clean. Only a paper with no title is skipped
(by ``clean.clean_document``, which the readers call next).

Duplicates are judged by more than one id: a later paper sharing an id (S2 id, arXiv id, DOI)
or key with an earlier one *and* its title is the same paper, merged into the earlier (its
values fill the earlier one's empty fields), and reported; one sharing an id but not the
title is another work carrying a wrong id: both are kept, the later without that id.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Mapping
from operator import itemgetter
from typing import Any

from paperread.errors import InputError
from paperread.exchange.clean import ID_NAMES, Problem, fast_optionals, optional_cleaners

_IDS = ("s2_id", "arxiv_id", "doi")
# Every field of a catalog document's paper: one the reader did not give is set to None, so that
# ``clean_document`` takes its road for a canonical paper (what these papers are once the
# cleaners below have been through them) rather than cleaning every value a second time.
_PAPER_FIELDS = (
    "key", "cite_key", "title", "year", "category", "url", "description", "s2_id", "arxiv_id", "doi", "authors",
    "venue", "publication_date", "recorded", "citations", "citations_fetched_at", "citation_history", "reading",
)  # fmt: skip


def title_form(title: Any) -> str | None:
    """A title as duplicates are judged: letters and digits only, accents and case folded."""
    if not isinstance(title, str):
        return None
    # (ASCII has no decomposition, and its case folds as lower() folds it)
    folded = title.lower() if title.isascii() else unicodedata.normalize("NFKD", title).casefold()
    return _NOT_ALNUM_RE.sub("", folded) or None


_NOT_ALNUM_RE = re.compile(r"[\W_]+")  # (what str.isalnum() refuses: \w is isalnum() and "_")
_ASCII_ALNUM_RE = re.compile(r"[A-Za-z0-9]")  # (in ASCII text, what _NOT_ALNUM_RE leaves)


def lenient_papers(
    papers: list[dict[str, Any]], where: Callable[[int], int | str]
) -> tuple[list[dict[str, Any]], list[int], list[Problem], set[int]]:
    """The papers with every unreadable optional value left off and duplicates merged; the
    indexes (into ``papers``) of those kept, a warning for each value left off and each
    paper merged, and the positions (in the papers kept) of those whose optional values were
    all canonical as read, none empty (``clean.fast_optionals``: ``clean_document``'s
    ``canonical``). ``where(i)`` says where paper ``i`` is (its line). The papers are the caller's
    to give up (a file just read): each is cleaned in place, every field of a paper present."""
    latest = dt.date.today().year + 1
    cleaners = optional_cleaners(latest)
    optional = itemgetter(*cleaners)
    kept: list[dict[str, Any]] = []
    indexes: list[int] = []
    problems: list[Problem] = []
    canonical: set[int] = set()
    holders: dict[tuple[str, Any], int] = {}  # (field, value) -> position in ``kept``
    for i, paper in enumerate(papers):
        place = where(i)
        for name in _PAPER_FIELDS:
            if name not in paper:
                paper[name] = None
        fast = fast_optionals(paper, latest)
        for name, clean in () if fast else cleaners.items():  # (each canonical: as it is)
            value = paper[name]
            if value is None or value == "":
                continue
            try:
                paper[name] = clean(value)
            except InputError as error:
                paper[name] = None
                outcome = "the paper gets a key of its own" if name == "key" else "the paper is imported without it"
                message = f"{error.message}: {outcome}"
                problems.append(Problem("paper", place, message, skipped=False, left_off=name != "key"))
        title = paper.get("title")
        # An ASCII title with a letter or digit has a form (title_form): made only when an id is shared.
        lazy = type(title) is str and title.isascii() and _ASCII_ALNUM_RE.search(title) is not None
        form = None if lazy else title_form(title)
        if form is None and not lazy:  # no title: clean_document skips it and says so
            kept.append(paper)
            indexes.append(i)
            continue
        same = _same_paper(paper, form, kept, holders)
        if same is not None:
            earlier, name = same
            _merge(kept[earlier], paper, earlier, holders)
            canonical.discard(earlier)  # (it may have taken values cleaned on the full road)
            what = "key" if name == "key" else ID_NAMES[name]
            message = f"the same paper as line {where(indexes[earlier])} (same {what} and title): merged into it"
            problems.append(Problem("paper", place, message, skipped=False, merged=True))
            continue
        for name in (*_IDS, "key"):
            value = paper.get(name)
            if value is None or (name, value) not in holders:
                continue
            other = where(indexes[holders[name, value]])
            paper[name] = None
            if name == "key":
                message = (
                    f"key '{value}' is the key of the paper at line {other}, a different title: this one gets its own"
                )
                problems.append(Problem("paper", place, message, skipped=False))
            else:
                message = (
                    f"{ID_NAMES[name]} {value} is also given to the paper at line {other}, a different title: "
                    "the paper is imported without it"
                )
                problems.append(Problem("paper", place, message, skipped=False, left_off=True))
        if fast and "" not in optional(paper):
            canonical.add(len(kept))  # (an id taken off above is None: still canonical)
        _hold(paper, len(kept), holders)
        kept.append(paper)
        indexes.append(i)
    return kept, indexes, problems, canonical


def _same_paper(
    paper: Mapping[str, Any], form: str | None, kept: list[dict[str, Any]], holders: Mapping[tuple[str, Any], int]
) -> tuple[int, str] | None:
    """The earlier paper this one repeats (an id or the key, and the title, in common), and the
    field. ``form``: the paper's ``title_form``, or None to make it here when needed."""
    for name in (*_IDS, "key"):
        value = paper.get(name)
        earlier = holders.get((name, value)) if value is not None else None
        if earlier is None:
            continue
        if form is None:
            form = title_form(paper.get("title"))
        if title_form(kept[earlier].get("title")) == form:
            return earlier, name
    return None


def _merge(into: dict[str, Any], paper: Mapping[str, Any], position: int, holders: dict[tuple[str, Any], int]) -> None:
    """Fill the earlier paper's empty fields from the later one (an id another paper holds stays off)."""
    for name, value in paper.items():
        if value is None or value == "" or into.get(name) not in (None, ""):
            continue
        if name in (*_IDS, "key") and (name, value) in holders:
            continue
        into[name] = value
    _hold(into, position, holders)


def _hold(paper: Mapping[str, Any], position: int, holders: dict[tuple[str, Any], int]) -> None:
    for name in (*_IDS, "key"):
        value = paper.get(name)
        if value is not None:
            holders.setdefault((name, value), position)
