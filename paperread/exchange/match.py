"""Which rows of a file are which rows of the catalog (pure functions over a ``Snapshot``).

- A category is the one with the same slug, else the same name.
- A paper is the one with the same Semantic Scholar id, else the same link
  (``values.normalize_url_for_match``), arXiv id or DOI, else the same citation key (a BibTeX
  entry's key kept as written), else the same key; a paper the file
  gives no id or link at all (a README cannot carry keys) also by title, one in the same
  category first. Never a row another paper of the file took, nor one with another S2 id.
  Candidates are tried in id order, so the same file picks the same rows every time.
- A video is the one with the same bilibili id, else the same date and title.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from operator import itemgetter
from typing import Any

from paperread import values
from paperread.exchange.document import day_text
from paperread.exchange.snapshot import Row, Snapshot


def spaced(text: str) -> str:
    """Runs of whitespace as one space: how a README shows a title or a name."""
    return " ".join(text.split())


def title_form(text: str) -> str:
    return spaced(text).casefold()


def match_categories(snapshot: Snapshot, doc: Mapping[str, Any]) -> dict[str, int]:
    """Document slug -> the id of the catalog's category it is (those found only)."""
    rows = snapshot.categories.values()
    by_slug = {c["slug"]: c["id"] for c in rows}
    by_name = {spaced(c["name"]): c["id"] for c in rows}
    matched: dict[str, int] = {}
    for c in doc["categories"]:
        if c["slug"] in by_slug:
            matched[c["slug"]] = by_slug[c["slug"]]
    claimed = set(matched.values())
    for c in doc["categories"]:
        found = by_name.get(spaced(c["name"])) if c["slug"] not in matched else None
        if found is not None and found not in claimed:
            matched[c["slug"]] = found
            claimed.add(found)
    return matched


# A link in the plainest shape (http(s), a host, a path of unreserved characters; no port, query,
# fragment, escape or arXiv host): its match form is its host, lowercased, without "www.", and
# its path without trailing "/", which ``link_form`` gives without parsing it (ten times faster;
# indexing 100,000 links by ``values.normalize_url_for_match`` took a second).
_PLAIN_LINK_RE = re.compile(r"[Hh][Tt][Tt][Pp][Ss]?://([A-Za-z0-9.-]+)(/[A-Za-z0-9._~/+-]*)?", re.ASCII)


_PLAIN_ARXIV_RE = re.compile(
    r"https?://(?:www\.)?arxiv\.org/(?:abs|pdf)/(\d{2}(?:0[1-9]|1[0-2])\.\d{4,5})(?:v\d+)?(?:\.pdf)?/?", re.ASCII
)


def link_form(url: str) -> str:
    """``values.normalize_url_for_match(url)``."""
    arxiv = _PLAIN_ARXIV_RE.fullmatch(url)
    if arxiv is not None:
        return f"arxiv:{arxiv.group(1)}"
    plain = _PLAIN_LINK_RE.fullmatch(url)
    if plain is None or "arxiv.org" in url.lower():
        return values.normalize_url_for_match(url)
    host, path = plain.groups()
    return host.lower().removeprefix("www.") + (path or "").rstrip("/")


class _Index:
    """The catalog's papers by each identity, built once per import (lookup tables, only read
    after; the one by link on first use: a file whose papers all have S2 ids never pays for it)."""

    def __init__(self, snapshot: Snapshot) -> None:
        self._link: dict[str, list[Row]] | None = None
        self.s2: dict[str, Row] = {}
        self.arxiv: dict[str, list[Row]] = defaultdict(list)
        self.doi: dict[str, list[Row]] = defaultdict(list)
        self.key: dict[str, Row] = {}
        self.cite: dict[str, Row] = {}
        self._title: dict[str, list[Row]] | None = None
        self._sorted = sorted(snapshot.papers.values(), key=itemgetter("id"))
        for row in self._sorted:
            if row["s2_id"]:
                self.s2[row["s2_id"]] = row
            if row["arxiv_id"]:
                self.arxiv[row["arxiv_id"]].append(row)
            if row["doi"]:
                self.doi[row["doi"]].append(row)
            self.key[row["key"]] = row
            if row.get("cite_key"):
                self.cite.setdefault(row["cite_key"], row)

    def by_title(self, title: str) -> list[Row]:
        if self._title is None:
            self._title = defaultdict(list)
            for row in self._sorted:
                self._title[title_form(row["title"])].append(row)
        return self._title.get(title_form(title), [])

    def by_link(self, url: str) -> list[Row]:
        if self._link is None:
            self._link = defaultdict(list)
            for row in self._sorted:
                if row["url"]:
                    self._link[link_form(row["url"])].append(row)
        return self._link.get(link_form(url), [])

    def candidates(self, p: Mapping[str, Any], category: int | None) -> list[list[Row]]:
        found: list[list[Row]] = []
        if p["url"]:
            found.append(self.by_link(p["url"]))
        if p["arxiv_id"]:
            found.append(self.arxiv.get(p["arxiv_id"], []))
        if p["doi"]:
            found.append(self.doi.get(p["doi"], []))
        cite = p.get("cite_key")
        found.append([self.cite[cite]] if cite in self.cite else [])
        found.append([self.key[p["key"]]] if p["key"] in self.key else [])
        if not (p["s2_id"] or p["url"] or p["arxiv_id"] or p["doi"]):  # same title: the same category first
            same = self.by_title(p["title"])
            found.append(sorted(same, key=lambda row: row["category_id"] != category))
        return found


def match_papers(snapshot: Snapshot, doc: Mapping[str, Any], categories: Mapping[str, int]) -> list[int | None]:
    """For each paper of the document, in order, the id of the catalog's paper it is, or None.

    ``categories``: the document slugs matched so far (``match_categories``)."""
    papers: Sequence[Mapping[str, Any]] = doc["papers"]
    index = _Index(snapshot)
    # Semantic Scholar ids first, so that no paper matched by link or key takes the row that a
    # later paper of the file names by its S2 id.
    by_s2 = {i: index.s2[p["s2_id"]]["id"] for i, p in enumerate(papers) if p["s2_id"] in index.s2}
    claimed = set(by_s2.values())
    found: list[int | None] = []
    for i, p in enumerate(papers):
        pid = by_s2.get(i)
        if pid is None:
            category = categories.get(p["category"]) if p["category"] is not None else None
            pid = _first_free(index.candidates(p, category), p["s2_id"], claimed)
        if pid is not None:
            claimed.add(pid)
        found.append(pid)
    return found


def _first_free(candidates: list[list[Row]], s2: str | None, claimed: set[int]) -> int | None:
    for rows in candidates:
        for row in rows:
            if row["id"] not in claimed and (s2 is None or row["s2_id"] is None or row["s2_id"] == s2):
                return int(row["id"])
    return None


def match_videos(snapshot: Snapshot, doc: Mapping[str, Any]) -> list[int | None]:
    """For each video of the document, in order, the id of the catalog's video it is, or None."""
    by_bv = {v["bilibili"]: v["id"] for v in snapshot.videos.values() if v["bilibili"]}
    by_day_title: dict[tuple[str | None, str], list[Row]] = defaultdict(list)
    for v in snapshot.videos.values():
        by_day_title[(day_text(v["date"]), spaced(v["title"]))].append(v)
    claimed: set[int] = set()
    found: list[int | None] = []
    for v in doc["videos"]:
        vid = by_bv.get(v["bilibili"]) if v["bilibili"] else None
        if vid in claimed:
            vid = None
        if vid is None:
            vid = next(
                (
                    c["id"]
                    for c in by_day_title.get((v["date"], spaced(v["title"])), [])
                    if c["id"] not in claimed and (c["bilibili"] is None or c["bilibili"] == v["bilibili"])
                ),
                None,
            )
        if vid is not None:
            claimed.add(vid)
        found.append(vid)
    return found
