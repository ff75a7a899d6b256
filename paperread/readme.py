"""The paper-reading README format: read it into a catalog document, write one back.

The README has a videos table under "## 录制完成的论文" (date, title, cover, duration, badges)
and, under "## 所有论文", one papers table per "### <category>" heading (recorded mark, year,
linked name, description, citation badge). Tables are told apart by their header cells, not by
where they sit, and read with markdown-it-py's real parser: cells hold badges, ``<br />``,
``<img>``, escapes and entities that line regexes get wrong.

Reading yields the lossless CATALOG DOCUMENT (version 1) that ``export json`` writes; writing
takes one. Text is escaped on the way out so that any title survives a write then a read, and
nothing in a cell can break the table or inject HTML.

markdown-it-py is imported only inside the parsing code: commands that merely need the
constants or the writer do not pay for it.
"""

from __future__ import annotations

import io
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote, urlsplit

from paperread import mdtables, values
from paperread.errors import InputError

if TYPE_CHECKING:
    from markdown_it.token import Token

CATALOG_FORMAT = "paperread"
CATALOG_VERSION = 1

KNOWN_CATEGORY_SLUGS: dict[str, str] = {
    "计算机视觉 - CNN": "vision/cnn",
    "计算机视觉 - Transformer": "vision/transformer",
    "计算机视觉 - Object Detection": "vision/detection",
    "计算机视觉 - 对比学习": "vision/contrastive",
    "计算机视觉 - 视频理解": "vision/video",
    "生成模型": "generative",
    "多模态学习": "multimodal",
    "自然语言处理 - Transformer": "nlp/transformer",
    "系统": "systems",
    "图神经网络": "gnn",
    "优化算法": "optimization",
    "新领域应用": "applications",
}

# Readable keys for the list's papers whose names hold no ASCII to derive one from (they would
# otherwise get id-based keys such as ``s2-0de0c324``), by name. data/build_catalog.py builds the
# built-in catalog with them, so importing the README gives the same keys as the built-in catalog.
KNOWN_PAPER_KEYS: dict[str, str] = {
    "参数服务器": "parameter-server",
    "图神经网络介绍": "gnn-intro",
    "为什么超大的模型泛化性不错": "rethinking-generalization",
    "为什么Momentum有效": "momentum",
    "指导数学直觉": "math-intuition",
}

TITLE_HEADING = "深度学习论文精读"
VIDEOS_HEADING = "录制完成的论文"
PAPERS_HEADING = "所有论文"
VIDEO_COLUMNS = ("日期", "标题", "封面", "时长", "视频（播放数）")
PAPER_COLUMNS = ("已录制", "年份", "名字", "简介", "引用")
RECORDED_MARK = "✅"

# A category heading splits into parent and child at a dash with spaces around it.
_PARENT_CHILD_RE = re.compile(r"\s+[-–—－]\s+")
_FOOTNOTE_REF_RE = re.compile(r"\s*\[\^[^\]\s]*\]")
_BR_RE = re.compile(r"<br\s*/?>", re.IGNORECASE)
_S2_PAPER_PATH_RE = re.compile(r"/paper/(?:.*/)?([0-9a-fA-F]{40})/?$")
# Inline markdown that plain text must not trigger; `~` is GitHub's strikethrough.
_MD_ESCAPED = frozenset("\\`*_[]|~")
# `& < >` as entities so no HTML gets through; a carriage return would end the row.
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"}
# What a link destination may hold unencoded: no space, parentheses, pipes or angle brackets.
_URL_SAFE = "!#$%&'*+,-./:;=?@[]_~"

_SHIELDS_HOST = "img.shields.io"
_S2_API_PAPER = "https://api.semanticscholar.org/graph/v1/paper/"
_S2_PAGE = "https://www.semanticscholar.org/paper/"
_BILIBILI_API_VIEW = "https://api.bilibili.com/x/web-interface/view?bvid="
_ZHIHU_API_ZVIDEO = "https://www.zhihu.com/api/v4/zvideos/"


@dataclass(frozen=True)
class ReadResult:
    """A catalog document read from a README, and the rows that could not be read.

    ``problems`` holds (line number, message) for every row that was skipped, so a caller can
    report them: nothing in the README disappears without a word.
    """

    catalog: dict[str, Any]
    problems: list[tuple[int, str]] = field(default_factory=list)


# --- reading: from markdown tokens to cells -------------------------------------------------


@dataclass
class _Link:
    href: str
    text: str = ""


@dataclass
class _Cell:
    """A table cell (or heading) as plain text plus the links and image sources inside it."""

    text: str = ""
    links: list[_Link] = field(default_factory=list)
    images: list[str] = field(default_factory=list)

    @property
    def line(self) -> str:
        """The text on one line, whitespace collapsed: how titles and names are stored."""
        return " ".join(self.text.split())


@dataclass
class _Table:
    heading: str | None
    line: int
    header: list[str]
    rows: list[tuple[int, list[str]]]  # (line, the cells' Markdown)
    short: dict[int, int] = field(default_factory=dict)  # line -> cells, of rows with fewer than the header
    read: Callable[[str], _Cell] = field(default=lambda content: _Cell(content))

    def taken_rows(self) -> Iterator[tuple[int, list[str]]]:
        """The rows, each let go of once given (read once: a big table is not held twice)."""
        rows, self.rows = self.rows, []
        rows.reverse()
        while rows:
            yield rows.pop()

    def cells(self, contents: list[str]) -> list[_Cell]:
        """A row's cells read (one row at a time: a big table's cells are never all held)."""
        return [self.read(content) for content in contents]

    columns: dict[str, int | None] = field(default_factory=dict)  # column() answers, kept

    def column(self, name: str) -> int | None:
        """Index of the first header cell starting with ``name`` ("视频" finds "视频（播放数）")."""
        if name not in self.columns:
            self.columns[name] = next((i for i, h in enumerate(self.header) if h.startswith(name)), None)
        return self.columns[name]


def _cell(children: list[Token]) -> _Cell:
    """Flatten an inline token's children: ``<br>`` becomes a newline, footnote refs and other
    HTML go.

    Escapes and entities arrive as separate ``text_special`` tokens (``text_join`` is off),
    so an escaped ``\\[^1]`` written by :func:`write_readme` is kept while a real footnote
    reference ``[^1]`` in a plain text token is dropped.
    """
    cell = _Cell()
    parts: list[str] = []
    link: _Link | None = None
    for child in children:
        piece = ""
        if child.type == "text":
            piece = _FOOTNOTE_REF_RE.sub("", child.content)
        elif child.type in ("text_special", "code_inline"):
            piece = child.content
        elif child.type in ("softbreak", "hardbreak") or (
            child.type == "html_inline" and _BR_RE.fullmatch(child.content.strip())
        ):
            piece = "\n"
        elif child.type == "image":
            cell.images.append(str(child.attrGet("src") or ""))
        elif child.type == "link_open":
            # markdown-it gives the address percent-encoded: back to the form it was typed in
            link = _Link(values.readable_url(str(child.attrGet("href") or "")))
            cell.links.append(link)
        elif child.type == "link_close":
            link = None
        parts.append(piece)
        if link is not None:
            link.text += piece
    cell.text = "".join(parts)
    for found in cell.links:
        found.text = " ".join(found.text.split())
    return cell


class _CellReader:
    """Cells' inline Markdown read into ``_Cell``: by ``mdtables.inline`` when it can, else by
    markdown-it (made once, on the first cell that needs it)."""

    def __init__(self, env: dict[str, Any]) -> None:
        self._env = env
        self._md: Any = None

    def __call__(self, content: str) -> _Cell:
        if _PLAIN_CELL_RE.fullmatch(content):  # (plain text: what mdtables.inline gives it, without the walk)
            return _Cell(content)
        fast = mdtables.inline(content)
        if fast is not None:
            return _Cell(fast.text, [_Link(values.readable_url(href), text) for href, text in fast.links], fast.images)
        if self._md is None:
            from markdown_it import MarkdownIt

            self._md = MarkdownIt("commonmark").disable("text_join")
        tokens = self._md.parseInline(content, self._env)
        return _cell(tokens[0].children or [] if tokens else [])


# A cell with no character inline Markdown reads (mdtables' plain text, but for a "!" before "["):
# its text is itself, with no link or image.
_PLAIN_CELL_RE = re.compile(r"[^\\&<>\[\]!*_`\n]*")


def _tables(text: str) -> list[_Table]:
    """Every table in the document with the nearest heading above it (``mdtables``: in time
    linear in the text). The rows' cells stay Markdown until read (``_Table.cells``)."""
    raw_tables, env = mdtables.tables(mdtables.normalize(text))
    read = _CellReader(env)
    headings: dict[str | None, str | None] = {None: None}
    tables: list[_Table] = []
    for raw in raw_tables:
        if raw.heading is not None and raw.heading not in headings:
            headings[raw.heading] = read(raw.heading).line
        header = [read(c).line for c in raw.header]
        tables.append(_Table(headings[raw.heading], raw.line, header, raw.rows, raw.short, read=read))
    return tables


# --- reading: values out of cells -----------------------------------------------------------


def _query_param(url: str, name: str) -> str | None:
    """The first value of query parameter ``name`` in ``url``, decoded; None if absent."""
    try:
        found = parse_qs(urlsplit(url).query).get(name)
        return found[0] if found else None
    except ValueError:
        return None


def _s2_id_from_url(url: str) -> str | None:
    """The S2 id in a semanticscholar.org paper page or API link, else None."""
    if "semanticscholar.org" not in url.lower():
        return None
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    if host != "semanticscholar.org" and not host.endswith(".semanticscholar.org"):
        return None
    match = _S2_PAPER_PATH_RE.search(parts.path)
    return match.group(1).lower() if match else None


# The citation badge exactly as write_readme (and the published README) writes it: its id read
# without taking the address apart (the general road below gives the same id for it).
_S2_BADGE_RE = re.compile(
    r"https://img\.shields\.io/badge/dynamic/json\?label=citation&query=citationCount"
    r"&url=https%3A%2F%2Fapi\.semanticscholar\.org%2Fgraph%2Fv1%2Fpaper%2F([0-9a-fA-F]{40})%3Ffields%3DcitationCount"
)


def _s2_id(cell: _Cell) -> str | None:
    """The paper id in the citation cell: the badge's ``url`` parameter, else the page link."""
    for src in cell.images:
        badge = _S2_BADGE_RE.fullmatch(src)
        if badge:
            return badge.group(1).lower()
        inner = _query_param(src, "url")
        found = _s2_id_from_url(inner) if inner else None
        if found:
            return found
    return next(filter(None, (_s2_id_from_url(link.href) for link in cell.links)), None)


def _badge_video_id(src: str) -> tuple[str, str] | None:
    """(site, id) named by a shields.io view-count badge, else None."""
    try:
        parts = urlsplit(src)
        if (parts.hostname or "").lower() != _SHIELDS_HOST:
            return None
        youtube = re.fullmatch(r"/youtube/views/([^/]+)", parts.path)
        if youtube:
            return "youtube", values.parse_youtube(youtube.group(1))
        inner = _query_param(src, "url") or ""
        bvid = _query_param(inner, "bvid")
        if bvid:
            return "bilibili", values.parse_bilibili(bvid)
        zhihu = re.search(r"/zvideos/(\d+)", urlsplit(inner).path)
        if zhihu:
            return "zhihu", values.parse_zhihu(zhihu.group(1))
    except (ValueError, InputError):
        return None
    return None


_SITE_PARSERS = {
    "bilibili": values.parse_bilibili,
    "youtube": values.parse_youtube,
    "zhihu": values.parse_zhihu,
}


# A video's link and view-count badge as write_readme writes them, one pattern a site: each names
# its site and id as the parsers do (``values.parse_*`` of such a link succeeds for its own site
# only and raises for the others; ``_badge_video_id`` of such a badge gives that site and id).
_VIDEO_LINK_RE = re.compile(
    r"https://www\.bilibili\.com/video/(?P<bilibili>BV[0-9A-Za-z]{10})"
    r"|https://www\.youtube\.com/watch\?v=(?P<youtube>[0-9A-Za-z_-]{11})"
    r"|https://www\.zhihu\.com/zvideo/(?P<zhihu>[0-9]{1,30})"
)
_VIDEO_BADGE_RE = re.compile(
    r"https://img\.shields\.io/(?:"
    r"badge/dynamic/json\?label=views&style=social&logo=bilibili&query=data\.stat\.view"
    r"&url=https%3A%2F%2Fapi\.bilibili\.com%2Fx%2Fweb-interface%2Fview%3Fbvid%3D(?P<bilibili>BV[0-9A-Za-z]{10})"
    r"|youtube/views/(?P<youtube>[0-9A-Za-z_-]{11})\?style=social"
    r"|badge/dynamic/json\?label=views&style=social&logo=zhihu&query=video\.play_count"
    r"&url=https://www\.zhihu\.com/api/v4/zvideos/(?P<zhihu>[0-9]{1,30}))"
)


def _video_ids(cell: _Cell) -> dict[str, str | None]:
    """The first bilibili, YouTube and zhihu id in the badges cell: links first, then badges."""
    found: dict[str, str | None] = dict.fromkeys(_SITE_PARSERS)
    for link in _http_links(cell):
        canonical = _VIDEO_LINK_RE.fullmatch(link.href)
        if canonical is not None:  # (one site's link: the other parsers would raise)
            site = canonical.lastgroup
            if site is not None and found[site] is None:
                found[site] = canonical.group(site)
            continue
        for site, parse in _SITE_PARSERS.items():
            if found[site] is None:
                try:
                    found[site] = parse(link.href)
                except InputError:
                    pass
    for src in cell.images:
        if None not in found.values():
            break
        canonical = _VIDEO_BADGE_RE.fullmatch(src)
        if canonical is not None and canonical.lastgroup is not None:
            badge: tuple[str, str] | None = (canonical.lastgroup, canonical.group(canonical.lastgroup))
        else:
            badge = _badge_video_id(src)
        if badge and found[badge[0]] is None:
            found[badge[0]] = badge[1]
    return found


def _http_links(cell: _Cell) -> list[_Link]:
    """Links to documents (http or https); in-page anchors and other schemes are not."""
    kept = []
    for link in cell.links:
        if not _PLAIN_HTTP_URL_RE.fullmatch(link.href):  # (else check_http_url keeps it as it is)
            try:
                link.href = values.check_http_url(link.href)
            except InputError:
                continue
        kept.append(link)
    return kept


def _name_form(name: str) -> str:
    """A paper name folded for the by-name match: case, spaces, '-', '·', '.' ignored."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    return re.sub(r"[\s\-·.]+", "", folded)


# --- reading: categories, papers, videos ----------------------------------------------------


def _heading_form(name: str) -> str:
    """A heading folded for lookup: width forms unified, whitespace collapsed, ' - ' spaced."""
    return _PARENT_CHILD_RE.sub(" - ", " ".join(unicodedata.normalize("NFKC", name).split()))


_KNOWN_BY_FORM = {_heading_form(name): slug for name, slug in KNOWN_CATEGORY_SLUGS.items()}
_KNOWN_PARENTS = {
    _heading_form(name).split(" - ")[0]: slug.split("/")[0]
    for name, slug in KNOWN_CATEGORY_SLUGS.items()
    if "/" in slug
}


def category_slug(name: str, position: int) -> str:
    """The slug for a category heading; ``position`` (1-based) names it when nothing else can.

    Known headings use :data:`KNOWN_CATEGORY_SLUGS`. Others become ``parent/child`` from a
    "Parent - Child" heading, reusing a known parent's slug ("计算机视觉 - 3D" gives
    "vision/3d"), else the slugified heading; a heading with no ASCII to slugify gives
    ``category-<position>``.
    """
    form = _heading_form(name)
    if form in _KNOWN_BY_FORM:
        return _KNOWN_BY_FORM[form]
    parent, _, child = form.partition(" - ")
    parts = [_KNOWN_PARENTS.get(parent) or values.slugify_key(parent)]
    if child:
        parts.append(values.slugify_key(child))
    if not all(parts):
        return f"category-{position}"
    return "/".join(parts)


def _new_paper(title: str, year: int | None, category: str) -> dict[str, Any]:
    """A paper in the catalog document's key order, fields the README lacks set empty."""
    return {
        "key": "",
        "title": title,
        "year": year,
        "category": category,
        "url": None,
        "description": None,
        "s2_id": None,
        "arxiv_id": None,
        "doi": None,
        "authors": None,
        "venue": None,
        "publication_date": None,
        "recorded": False,
        "citations": None,
        "citations_fetched_at": None,
        "citation_history": [],
        "reading": [],
    }


def _read_paper(table: _Table, cells: list[_Cell], category: str) -> dict[str, Any]:
    """One papers-table row; raises InputError when it has no name or a bad year (an empty
    year cell is a paper with no known year)."""
    recorded_col, year_col, name_col = (table.column(c) for c in PAPER_COLUMNS[:3])
    description_col, citation_col = table.column(PAPER_COLUMNS[3]), table.column(PAPER_COLUMNS[4])
    name_cell = cells[name_col] if name_col is not None else _Cell()
    links = _http_links(name_cell)
    title = (links[0].text if links else "") or name_cell.line
    if not title:
        raise InputError("paper row has no name")
    year_text = cells[year_col].line if year_col is not None else ""
    paper = _new_paper(title, values.parse_year(year_text) if year_text else None, category)
    if links:
        paper["url"] = links[0].href
        paper["arxiv_id"] = values.arxiv_id_from_url(links[0].href)
        if "doi.org/" in links[0].href:
            try:
                paper["doi"] = values.normalize_doi(links[0].href)
            except InputError:
                pass
    if description_col is not None:
        paper["description"] = cells[description_col].text.strip() or None
    if citation_col is not None:
        paper["s2_id"] = _s2_id(cells[citation_col])
    if recorded_col is not None:
        paper["recorded"] = RECORDED_MARK in cells[recorded_col].text
    return paper


# The common shapes of a papers row's cells, read without the cell reader (each gives what
# ``_CellReader`` then ``_read_paper`` give it; any other cell sends the row down that road):
# a name that is one link with plain text to a plain http(s) address (``mdtables.inline`` reads it
# as written, no '%' for ``readable_url`` to decode, ``_PLAIN_HTTP_URL_RE`` holds it), a four-digit
# year, a citation cell that is the badge ``write_readme`` writes inside a link.
_FAST_NAME_RE = re.compile(
    rf"\[({mdtables._TEXT}*+)\]\((https?://[A-Za-z0-9.\-]++(?::[0-9]{{1,5}})?(?:[/?#][A-Za-z0-9\-._~:/?#@!$'*+,=&]*+)?)\)"
)
_FAST_YEAR_RE = re.compile(r"[0-9]{4}")
_FAST_CITATION_RE = re.compile(rf"\[!\[{mdtables._TEXT}*+\]\({_S2_BADGE_RE.pattern}\)\]\({mdtables._DEST}\)")
# An arXiv abs/pdf link whose id arxiv_id_from_url reads (a new-style id, maybe a version, ".pdf").
_FAST_ARXIV_RE = re.compile(
    r"https?://arxiv\.org/(?:abs|pdf)/((?:\d{2})(?:0[1-9]|1[0-2])\.\d{4,5})(?:v\d+)?(?:\.pdf)?/?"
)


def _paper_row_reader(table: _Table, category: str) -> Callable[[list[str]], dict[str, Any] | None]:
    """A reader of the table's rows in their common shapes: the paper ``_read_paper`` makes of the
    row, or None for a row it does not know (which then takes ``_read_paper``'s road)."""
    recorded_col, year_col, name_col, description_col, citation_col = (table.column(c) for c in PAPER_COLUMNS)
    if recorded_col is None or year_col is None or name_col is None:
        return lambda contents: None
    width = 1 + max(c for c in (recorded_col, year_col, name_col, description_col, citation_col) if c is not None)
    latest = date.today().year + 1
    plain, name_link, year_digits, badge = (
        _PLAIN_CELL_RE.fullmatch,
        _FAST_NAME_RE.fullmatch,
        _FAST_YEAR_RE.fullmatch,
        _FAST_CITATION_RE.fullmatch,
    )
    read = table.read

    def row(contents: list[str]) -> dict[str, Any] | None:
        if len(contents) < width:
            return None
        recorded_text, year_text = contents[recorded_col], contents[year_col]
        named = name_link(contents[name_col])
        if named is None or not plain(recorded_text):
            return None
        title = " ".join(named.group(1).split())
        if not title or not _PLAIN_HTTP_URL_RE.fullmatch(url := named.group(2)):
            return None
        year = int(year_text) if year_digits(year_text) else None
        if (year is None and year_text) or (year is not None and not values.EARLIEST_YEAR <= year <= latest):
            return None
        s2_id = None
        if citation_col is not None and (cited := contents[citation_col]):
            found = badge(cited)
            if found is None:
                return None
            s2_id = found.group(1).lower()
        paper = _new_paper(title, year, category)
        paper["url"] = url
        if "arxiv.org" in url.lower():
            arxiv = _FAST_ARXIV_RE.fullmatch(url)
            paper["arxiv_id"] = arxiv.group(1) if arxiv else values.arxiv_id_from_url(url)
        if "doi.org/" in url:
            try:
                paper["doi"] = values.normalize_doi(url)
            except InputError:
                pass
        if description_col is not None:
            text = contents[description_col]
            paper["description"] = (text if plain(text) else read(text).text).strip() or None
        paper["s2_id"] = s2_id
        paper["recorded"] = RECORDED_MARK in recorded_text
        return paper

    return row


def _paper_key(paper: dict[str, Any], position: int, taken: set[str]) -> str:
    """Key from the name (or :data:`KNOWN_PAPER_KEYS`); names with no ASCII fall back to the
    arXiv id, S2 id or position."""
    base = (
        KNOWN_PAPER_KEYS.get(paper["title"])
        or values.slugify_key(paper["title"])
        or (paper["arxiv_id"] and "arxiv-" + paper["arxiv_id"].lower().replace("/", "-"))
        or (paper["s2_id"] and "s2-" + paper["s2_id"][:8])
        or f"paper-{position}"
    )
    return values.unique_key(base, taken)


class _PaperIndex:
    """Finds the papers a video's link points at: by link target, then by link text. Each index
    is made on its first use (a README without videos makes neither)."""

    def __init__(self, papers: list[dict[str, Any]]) -> None:
        self._papers = papers
        self._by_target: dict[str, list[str]] | None = None
        self._by_name: dict[str, list[str]] | None = None

    @staticmethod
    def _add(index: dict[str, list[str]], form: str, paper: dict[str, Any]) -> None:
        index.setdefault(form, []).append(paper["key"])

    def _targets(self) -> dict[str, list[str]]:
        if self._by_target is None:
            index: dict[str, list[str]] = {}
            self._by_target = index
            for paper in self._papers:
                if paper["url"]:
                    index.setdefault(_paper_url_form(paper), []).append(paper["key"])
                if paper["s2_id"]:
                    index.setdefault("s2:" + paper["s2_id"], []).append(paper["key"])
        return self._by_target

    def _names(self) -> dict[str, list[str]]:
        if self._by_name is None:
            self._by_name = {}
            for paper in self._papers:
                self._add(self._by_name, _name_form(paper["title"]), paper)
        return self._by_name

    def covered(self, link: _Link) -> list[str]:
        s2_id = _s2_id_from_url(link.href)
        target = f"s2:{s2_id}" if s2_id else _url_form(link.href)
        targets = self._targets()
        if target in targets:
            return targets[target]
        return self._names().get(_name_form(link.text), []) if link.text else []


def _paper_url_form(paper: dict[str, Any]) -> str:
    """``values.normalize_url_for_match`` of a paper's link as ``_read_paper`` read it: an arXiv
    link's form is the id read from it then (the link is already in readable form, stripped)."""
    url = paper["url"]
    if paper["arxiv_id"] and "%" not in url and url == url.strip():
        return f"arxiv:{paper['arxiv_id']}"  # (= arxiv_id_from_url(url), which _read_paper stored)
    return _url_form(url)


# A link ``values.normalize_url_for_match`` takes apart with urlsplit and nothing else: http(s),
# a host of letters, digits, dots and dashes (no user, port or brackets), printable ASCII after it,
# no '%' (nothing to decode) and no arXiv (no id to read). Its form: host lowercased without
# "www.", the path without its final "/", the query; no scheme, no fragment.
_SIMPLE_URL_RE = re.compile(
    r"https?://([A-Za-z0-9.\-]+)(/[\x21\x22\x24\x26-\x3e\x40-\x7e]*)?(\?[\x21\x22\x24\x26-\x7e]*)?(#[\x21-\x7e]*)?"
)


def _url_form(url: str) -> str:
    """``values.normalize_url_for_match(url)``, without urlsplit for a simple link."""
    simple = _SIMPLE_URL_RE.fullmatch(url)
    if simple is None or "arxiv.org" in url.lower():
        return values.normalize_url_for_match(url)
    host, path, query = simple.group(1).lower().removeprefix("www."), simple.group(2) or "", simple.group(3) or ""
    return host + path.rstrip("/") + (query if len(query) > 1 else "")


def _read_video(table: _Table, cells: list[_Cell], index: _PaperIndex) -> dict[str, Any]:
    """One videos-table row; raises InputError for a bad date or duration or no title."""
    date_col, title_col, _, duration_col, badges_col = (table.column(c) for c in VIDEO_COLUMNS)
    date_text = cells[date_col].line if date_col is not None else ""
    when = values.parse_date(date_text)
    title_cell = cells[title_col] if title_col is not None else _Cell()
    if not title_cell.line:
        raise InputError("video row has no title")
    duration_text = cells[duration_col].line if duration_col is not None else ""
    links = _http_links(title_cell)
    covered: list[str] = []
    for link in links:
        covered += [key for key in index.covered(link) if key not in covered]
    ids = _video_ids(cells[badges_col]) if badges_col is not None else dict.fromkeys(_SITE_PARSERS)
    return {
        "date": when.isoformat(),
        "title": title_cell.line,
        "duration_seconds": values.parse_duration(duration_text) if duration_text else None,
        "bilibili": ids["bilibili"],
        "youtube": ids["youtube"],
        "zhihu": ids["zhihu"],
        "link": links[0].href if links else None,
        "papers": covered,
        "watched_by": [],
    }


def _kind(table: _Table) -> str | None:
    """ "videos" or "papers" by the header cells that identify each table, else None."""
    if table.column(VIDEO_COLUMNS[0]) is not None and table.column(VIDEO_COLUMNS[1]) is not None:
        return "videos"
    if table.column(PAPER_COLUMNS[1]) is not None and table.column(PAPER_COLUMNS[2]) is not None:
        return "papers"
    return None


def _unused_columns(video_tables: list[_Table], paper_tables: list[_Table]) -> tuple[int, list[str]] | None:
    """The header cells of the videos and papers tables that name no column paperread reads
    (each once, in the order met), and the line of the first table holding one."""
    names: dict[str, int] = {}
    for tables, known in ((video_tables, VIDEO_COLUMNS), (paper_tables, PAPER_COLUMNS)):
        for table in tables:
            for header in table.header:
                if header.strip() and not any(header.startswith(name) for name in known):
                    names.setdefault(header.strip(), table.line)
    return (min(names.values()), list(names)) if names else None


def read_readme(text: str, *, source: str = "input") -> ReadResult:
    """Read a paper-reading README into a catalog document (version 1).

    Rows that cannot be read (a bad year or date, no name) are skipped and listed in
    ``problems``. ``source`` names the text in the error raised when it is not this format
    at all (neither a videos table nor a papers table).
    """
    by_kind: dict[str | None, list[_Table]] = {"videos": [], "papers": [], None: []}
    for table in _tables(text):
        by_kind[_kind(table)].append(table)
    video_tables, paper_tables = by_kind["videos"], by_kind["papers"]
    if not video_tables and not paper_tables:
        raise InputError(
            f"{source} is not a paper-reading README: it has no videos table "
            f"({' | '.join(VIDEO_COLUMNS[:2])}) and no papers table ({' | '.join(PAPER_COLUMNS[1:3])})"
        )
    problems: list[tuple[int, str]] = [
        (t.line, f"table with columns {' | '.join(t.header)} is neither videos nor papers; skipped")
        for t in by_kind[None]
    ]
    unused = _unused_columns(video_tables, paper_tables)
    if unused:
        line, names = unused
        problems.append((line, f"column(s) {', '.join(repr(n) for n in names)} ignored: not a paper-reading column"))
    categories, papers = _read_papers(paper_tables, problems)
    videos = _read_videos(video_tables, _PaperIndex(papers), problems)
    problems.sort()
    catalog = {
        "format": CATALOG_FORMAT,
        "version": CATALOG_VERSION,
        "categories": categories,
        "papers": papers,
        "videos": videos,
    }
    return ReadResult(catalog, problems)


def _read_papers(
    tables: list[_Table], problems: list[tuple[int, str]]
) -> tuple[list[dict[str, str]], list[dict[str, Any]]]:
    """Categories in document order and their papers, keyed; unreadable rows go to problems."""
    categories: list[dict[str, str]] = []
    slug_by_name: dict[str, str] = {}
    by_category: dict[str, list[dict[str, Any]]] = {}
    for table in tables:
        name = table.heading or PAPERS_HEADING
        if name not in slug_by_name:
            slug = category_slug(name, len(categories) + 1)
            slug = values.unique_key(slug, {c["slug"] for c in categories})
            slug_by_name[name] = slug
            categories.append({"slug": slug, "name": name})
            by_category[slug] = []
        slug = slug_by_name[name]
        fast = _paper_row_reader(table, slug)
        for line, contents in table.taken_rows():
            try:
                _whole(table, line)
                paper = fast(contents) or _read_paper(table, table.cells(contents), slug)
                by_category[slug].append(paper)
            except InputError as error:
                problems.append((line, f"paper row skipped: {error.message}"))
    papers = [paper for category in categories for paper in by_category[category["slug"]]]
    taken: set[str] = set()
    for position, paper in enumerate(papers, start=1):
        paper["key"] = _paper_key(paper, position, taken)
        taken.add(paper["key"])
    return categories, papers


def _whole(table: _Table, line: int) -> None:
    """InputError for a row with fewer cells than its table's header (a file cut short)."""
    if line in table.short:
        raise InputError(f"it ends after {table.short[line]} of the table's {len(table.header)} cells (cut short?)")


def _read_videos(tables: list[_Table], index: _PaperIndex, problems: list[tuple[int, str]]) -> list[dict[str, Any]]:
    """Videos oldest first (the README lists newest first); unreadable rows go to problems."""
    videos: list[dict[str, Any]] = []
    for table in tables:
        for line, contents in table.taken_rows():
            try:
                _whole(table, line)
                videos.append(_read_video(table, table.cells(contents), index))
            except InputError as error:
                problems.append((line, f"video row skipped: {error.message}"))
    videos.reverse()
    videos.sort(key=lambda video: video["date"])
    return videos


# --- writing --------------------------------------------------------------------------------


def _escape(text: str) -> str:
    """Markdown for literal text in a table cell: reads back as exactly ``text``.

    ``|`` and inline markup get a backslash, ``& < >`` and a carriage return become
    entities (so no HTML gets through and the row stays one line), a newline becomes
    ``<br />``, which the reader turns back into a newline.
    """
    return text.translate(_ESCAPES)


# What _escape writes for each character it changes (one table: ``str.translate`` in C).
_ESCAPES = str.maketrans({**{ch: "\\" + ch for ch in _MD_ESCAPED}, **_ENTITIES, "\n": "<br />"})


def _escape_before_link(text: str) -> str:
    """:func:`_escape` for text a link follows: a final ``!`` would turn the link into an image."""
    escaped = _escape(text)
    return escaped[:-1] + "\\!" if escaped.endswith("!") else escaped


def _escape_heading(text: str) -> str:
    """Like :func:`_escape`, plus ``#`` which a heading would drop at its end."""
    return _escape(text).replace("#", "\\#")


def _md_link(text: str, url: str) -> str:
    """``[text](url)`` with the URL checked and percent-encoded where markdown needs it."""
    if _PLAIN_HTTP_URL_RE.fullmatch(url):  # (most links: nothing to check further or to encode)
        return f"[{_escape(text)}]({url})"
    return f"[{_escape(text)}]({quote(values.check_http_url(url), safe=_URL_SAFE)})"


# An http(s) link that ``values.check_http_url`` takes as it is (a plain host, no space or
# control character) and ``quote(..., safe=_URL_SAFE)`` leaves as it is (only characters it
# never encodes): written without either.
_PLAIN_HTTP_URL_RE = re.compile(
    r"https?://[A-Za-z0-9.\-]+(?::[0-9]{1,5})?(?:[/?#][A-Za-z0-9_.\-~" + re.escape(_URL_SAFE) + r"]*)?"
)


def _table_head(columns: tuple[str, ...]) -> list[str]:
    return ["| " + " | ".join(columns) + " |", "|" + "|".join(" --- " for _ in columns) + "|"]


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _s2_badge(s2_id: str) -> str:
    # (an id is 40 hex digits, which quote() leaves as they are: the rest is quoted once)
    return f"[![citation]({_S2_BADGE_HEAD}{values.normalize_s2_id(s2_id)}{_S2_BADGE_TAIL})]({_S2_PAGE}{s2_id.lower()})"


_S2_BADGE_HEAD = (
    f"https://{_SHIELDS_HOST}/badge/dynamic/json?label=citation&query=citationCount&url={quote(_S2_API_PAPER, safe='')}"
)
_S2_BADGE_TAIL = quote("?fields=citationCount", safe="")


def _video_badges(video: dict[str, Any]) -> str:
    badges = []
    if video.get("bilibili"):
        api = quote(_BILIBILI_API_VIEW + values.parse_bilibili(video["bilibili"]), safe="")
        src = (
            f"https://{_SHIELDS_HOST}/badge/dynamic/json?label=views&style=social&logo=bilibili"
            f"&query=data.stat.view&url={api}"
        )
        badges.append(f"[![bilibili]({src})]({values.bilibili_url(video['bilibili'])})")
    if video.get("youtube"):
        src = f"https://{_SHIELDS_HOST}/youtube/views/{values.parse_youtube(video['youtube'])}?style=social"
        badges.append(f"[![]({src})]({values.youtube_url(video['youtube'])})")
    if video.get("zhihu"):
        src = (
            f"https://{_SHIELDS_HOST}/badge/dynamic/json?label=views&style=social&logo=zhihu"
            f"&query=video.play_count&url={_ZHIHU_API_ZVIDEO}{values.parse_zhihu(video['zhihu'])}"
        )
        badges.append(f"[![zhihu]({src})]({values.zhihu_url(video['zhihu'])})")
    return "<br />".join(badges)


def _paper_target(paper: dict[str, Any]) -> str | None:
    """Where a video title links a paper: its URL, else its Semantic Scholar page."""
    if paper["url"]:
        return paper["url"]
    return f"{_S2_PAGE}{paper['s2_id']}" if paper.get("s2_id") else None


def _free_match(title: str, name: str, spans: list[tuple[int, int, str]]) -> tuple[int, int] | None:
    """First case-insensitive occurrence of ``name`` in ``title`` not inside a linked span."""
    if name.isascii() and title.isascii() and name.lower() not in title.lower():
        return None  # (ASCII: IGNORECASE is lower(); no pattern compiled for a name not there)
    for match in re.finditer(re.escape(name), title, re.IGNORECASE):
        if all(match.end() <= start or match.start() >= end for start, end, _ in spans):
            return match.span()
    return None


class _NameForms:
    """The folded names of all papers (given by their titles), made once per README on first
    need (not once per video)."""

    def __init__(self, titles: Iterable[str]) -> None:
        self._titles: Iterable[str] | None = titles
        self._forms: set[str] = set()

    def __contains__(self, form: object) -> bool:
        if self._titles is not None:
            self._forms = {_name_form(title) for title in self._titles}
            self._titles = None
        return form in self._forms


def _video_title_cell(video: dict[str, Any], papers: dict[str, dict[str, Any]], names: _NameForms | None = None) -> str:
    """The title with each covered paper's name linked where it occurs, as the README does.

    A covered paper whose name is not in the title gets a link with no text after it, and
    a link to something that is no covered paper (a survey, a book) wraps the whole title
    (or, when spans are taken or the title is itself a paper's name, leads as an empty link),
    so that reading the row back finds the same papers and the same title text.
    """
    title = video["title"]
    link = video.get("link")
    link_form = values.normalize_url_for_match(link) if link else None
    spans: list[tuple[int, int, str]] = []
    trailing: list[str] = []
    covered = [papers[key] for key in video["papers"]]
    for paper in sorted(covered, key=lambda p: -len(p["title"])):
        target = _paper_target(paper)
        if target is None:
            continue  # nothing to link to: the format cannot say this video covers it
        if link and values.normalize_url_for_match(target) == link_form:
            target = link  # the same document: keep the video's own spelling of the link
        found = _free_match(title, paper["title"], spans)
        if found:
            spans.append((*found, target))
        else:
            trailing.append(target)
    leading = ""
    targets = {values.normalize_url_for_match(t) for t in [s[2] for s in spans] + trailing}
    if link and link_form not in targets:
        names = names if names is not None else _NameForms(p["title"] for p in papers.values())
        if spans or _name_form(title) in names:
            leading = _md_link("", link)
        else:
            spans.append((0, len(title), link))
    pieces, cursor = [leading], 0
    for start, end, target in sorted(spans):
        pieces += [_escape_before_link(title[cursor:start]), _md_link(title[start:end], target)]
        cursor = end
    tail = title[cursor:]
    pieces.append(_escape_before_link(tail) if trailing else _escape(tail))
    pieces += [_md_link("", target) for target in trailing]
    return "".join(pieces)


def _video_row(video: dict[str, Any], papers: dict[str, dict[str, Any]], names: _NameForms | None = None) -> str:
    """One videos-table row; a bad id or link raises InputError naming the video."""
    duration = video.get("duration_seconds")
    try:
        return _row(
            [
                values.format_readme_date(values.parse_date(video["date"])),
                _video_title_cell(video, papers, names),
                "",
                values.format_duration(duration) if duration is not None else "",
                _video_badges(video),
            ]
        )
    except InputError as error:
        raise InputError(f"video '{video['title']}': {error.message}") from None


def _paper_row(paper: dict[str, Any]) -> str:
    """One papers-table row; a bad id or link raises InputError naming the paper."""
    try:
        name = _md_link(paper["title"], paper["url"]) if paper["url"] else _escape(paper["title"])
        return _row(
            [
                RECORDED_MARK if paper["recorded"] else "",
                str(paper["year"]) if paper["year"] is not None else "",
                name,
                _escape(paper["description"] or ""),
                _s2_badge(paper["s2_id"]) if paper.get("s2_id") else "",
            ]
        )
    except InputError as error:
        raise InputError(f"paper '{paper['key']}': {error.message}") from None


def _check_references(catalog: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Papers by key, after checking every category and paper reference resolves."""
    slugs = {category["slug"] for category in catalog["categories"]}
    papers = {paper["key"]: paper for paper in catalog["papers"]}
    for paper in catalog["papers"]:
        if paper["category"] not in slugs:
            raise InputError(
                f"paper '{paper['key']}' is in category '{paper['category']}' which the catalog does not list"
            )
    for video in catalog["videos"]:
        for key in video["papers"]:
            if key not in papers:
                raise InputError(f"video '{video['title']}' covers paper '{key}' which the catalog does not hold")
    return papers


def write_readme(catalog: dict[str, Any]) -> str:
    """The catalog document as a paper-reading README, which :func:`read_readme` reads back.

    Videos go newest first with their site badges; then a counts line and one papers table
    per category in document order. Raises InputError if the document refers to a category
    or paper it does not hold, or holds a link that is not http(s). A video's tie to a paper
    with neither URL nor Semantic Scholar id cannot be written: the format ties them by links.
    """
    _check_references(catalog)
    by_category: dict[str, list[dict[str, Any]]] = {c["slug"]: [] for c in catalog["categories"]}
    for paper in catalog["papers"]:
        by_category[paper["category"]].append(paper)
    grouped = (paper for c in catalog["categories"] for paper in by_category[c["slug"]])
    out = io.StringIO()
    write_readme_to(out, catalog["categories"], grouped, catalog["videos"])
    return out.getvalue()


def write_readme_to(
    out: IO[str], categories: list[dict[str, Any]], papers: Iterable[dict[str, Any]], videos: list[dict[str, Any]]
) -> tuple[int, int]:
    """:func:`write_readme` written to ``out`` as the papers come (they come grouped by category,
    in the categories' order): each papers-table row is written to a spool file as it is made and
    copied after the videos and the counts, so a big catalog is never held whole (neither as
    documents nor as text). Nothing reaches ``out`` before every row is made: an InputError
    (a bad link...) leaves it untouched. Returns (papers, recorded)."""
    ordered = sorted(videos, key=_video_date)
    covered_keys = {key for video in videos for key in video["papers"]}
    covered: dict[str, dict[str, Any]] = {}
    titles: list[str] = []
    total = recorded = 0
    position = {c["slug"]: i for i, c in enumerate(categories)}
    current = -1
    with tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as spool:
        chunk: list[str] = []
        for paper in papers:
            at = position.get(paper["category"])
            if at is None:
                raise InputError(
                    f"paper '{paper['key']}' is in category '{paper['category']}' which the catalog does not list"
                )
            if at != current:
                if at < current:
                    raise ValueError("papers must come grouped by category, in the categories' order")
                chunk += [_category_head(c) for c in categories[current + 1 : at + 1]]
                current = at
            chunk.append(_paper_row(paper) + "\n")
            total += 1
            recorded += bool(paper["recorded"])
            titles.append(paper["title"])
            if paper["key"] in covered_keys:
                covered[paper["key"]] = {"title": paper["title"], "url": paper["url"], "s2_id": paper.get("s2_id")}
            if len(chunk) >= 1000:
                spool.write("".join(chunk))
                chunk.clear()
        chunk += [_category_head(c) for c in categories[current + 1 :]]
        spool.write("".join(chunk))
        for video in videos:
            for key in video["papers"]:
                if key not in covered:
                    raise InputError(f"video '{video['title']}' covers paper '{key}' which the catalog does not hold")
        names = _NameForms(titles)
        head = [f"# {TITLE_HEADING}", "", f"## {VIDEOS_HEADING}", "", *_table_head(VIDEO_COLUMNS)]
        head += [_video_row(video, covered, names) for video in reversed(ordered)]
        head += ["", f"## {PAPERS_HEADING}", "", f"总论文数 {total}，录制完成数 {recorded}"]
        spool.seek(0)
        out.write("\n".join(head) + "\n")
        shutil.copyfileobj(spool, out, 1 << 20)
    return total, recorded


def _category_head(category: dict[str, Any]) -> str:
    """A category's heading and table head, after the blank line that ends what came before."""
    return "\n".join(["", f"### {_escape_heading(category['name'])}", "", *_table_head(PAPER_COLUMNS), ""])


def _video_date(video: dict[str, Any]) -> date:
    """The video's date, or InputError naming the video."""
    try:
        return values.parse_date(video["date"])
    except InputError as error:
        raise InputError(f"video '{video['title']}': {error.message}") from None
