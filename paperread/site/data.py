"""Rows shaped into what the pages show: pure functions, no database, no HTML.

A paper is *recorded* when a video covers it or when the list marks it done without one (the
definition ``queries.RECORDED`` applies); it was recorded on the date of the first video
covering it (papers marked without a video have no such date).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from paperread.queries import iso_date, iso_timestamp

Link = tuple[str, str]  # (label, href)


def safe_href(url: str | None) -> str | None:
    """``url`` when it is an http(s) address, else None: a stored ``javascript:`` or ``data:``
    text is shown as text, never made a link."""
    if not url:
        return None
    head = url.strip()[:8].lower()
    return url.strip() if head.startswith(("http://", "https://")) else None


def duration(seconds: int | None) -> str:
    """``19:59`` or ``1:27:54``; '' when unknown."""
    if seconds is None:
        return ""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def paper_links(row: dict[str, Any]) -> list[Link]:
    """Where to read a paper: its own link, arXiv, DOI, Semantic Scholar."""
    links: list[Link] = []
    href = safe_href(row.get("url"))
    if href:
        links.append(("paper", href))
    if row.get("arxiv_id"):
        links.append(("arXiv", f"https://arxiv.org/abs/{quote(row['arxiv_id'], safe='/.')}"))
    if row.get("doi"):
        links.append(("DOI", f"https://doi.org/{quote(row['doi'], safe='/.()-_;:')}"))
    if row.get("s2_id"):
        links.append(("Semantic Scholar", f"https://www.semanticscholar.org/paper/{quote(row['s2_id'], safe='')}"))
    return links


def video_links(row: dict[str, Any]) -> list[Link]:
    """Where to watch a video: bilibili, YouTube, zhihu, and its link (often the paper's)."""
    links: list[Link] = []
    if row.get("bilibili"):
        links.append(("bilibili", f"https://www.bilibili.com/video/{quote(row['bilibili'], safe='')}"))
    if row.get("youtube"):
        links.append(("YouTube", f"https://www.youtube.com/watch?v={quote(row['youtube'], safe='')}"))
    if row.get("zhihu"):
        links.append(("zhihu", f"https://www.zhihu.com/zvideo/{quote(row['zhihu'], safe='')}"))
    href = safe_href(row.get("link"))
    if href:
        links.append(("link", href))
    return links


@dataclass(slots=True)
class VideoView:
    id: int
    date: str
    title: str
    duration: str
    links: list[Link]
    papers: list[tuple[str, str]] = field(default_factory=list)  # (key, title)
    bilibili_views: int | None = None
    youtube_views: int | None = None

    @property
    def views(self) -> int | None:
        """Its views on both platforms together; None when neither is known."""
        return total_views([self])

    @property
    def views_by_platform(self) -> list[tuple[str, int]]:
        """('bilibili', 12345), ('YouTube', 678): the platforms whose figure is known."""
        pairs = (("bilibili", self.bilibili_views), ("YouTube", self.youtube_views))
        return [(name, n) for name, n in pairs if n is not None]


def total_views(videos: Iterable[VideoView]) -> int | None:
    """The views of ``videos`` on bilibili and YouTube together (as ``stats`` sums them);
    None when no figure is known."""
    known = [n for v in videos for n in (v.bilibili_views, v.youtube_views) if n is not None]
    return sum(known) if known else None


def video_view(row: dict[str, Any]) -> VideoView:
    return VideoView(
        id=row["id"],
        date=iso_date(row["date"]) or "",
        title=row["title"],
        duration=duration(row["duration_seconds"]),
        links=video_links(row),
        bilibili_views=_figure(row.get("bilibili_views")),
        youtube_views=_figure(row.get("youtube_views")),
    )


def _figure(value: Any) -> int | None:
    return None if value is None else int(value)


@dataclass(slots=True)
class PaperView:
    """One paper as the site shows it (a row of the catalog, and its own page)."""

    key: str
    title: str
    year: int | None
    category: str  # slug
    category_name: str
    description: str | None
    recorded: bool
    recorded_on: str | None  # the first video's date
    citations: int | None
    fetched_at: str | None
    links: list[Link]
    href: str | None  # the paper's own link (the title links there)
    authors: str | None
    venue: str | None
    publication_date: str | None
    ids: list[tuple[str, str]]  # (name, value): key, Semantic Scholar, arXiv, DOI
    videos: list[VideoView]
    history: list[tuple[dt.date, int]]
    status: str | None = None
    note: str | None = None
    spark: Any = None  # the sparkline of ``history`` (markup), drawn by the build

    @property
    def views(self) -> int | None:
        """The views of the videos covering it, together; None when none is known."""
        return total_views(self.videos)


def paper_view(
    row: dict[str, Any],
    category: dict[str, Any],
    videos: list[VideoView],
    history: list[tuple[dt.date, int]],
    reading: dict[str, Any] | None = None,
) -> PaperView:
    ids = [("key", row["key"])]
    ids += [
        (name, row[col])
        for name, col in (("Semantic Scholar", "s2_id"), ("arXiv", "arxiv_id"), ("DOI", "doi"))
        if row[col]
    ]
    return PaperView(
        key=row["key"],
        title=row["title"],
        year=row["year"],
        category=category["slug"],
        category_name=category["name"],
        description=row["description"],
        recorded=bool(row["marked"]) or bool(videos),
        recorded_on=min((v.date for v in videos), default=None),
        citations=row["citations"],
        fetched_at=iso_timestamp(row["fetched_at"]),
        links=paper_links(row),
        href=safe_href(row["url"]),
        authors=row["authors"],
        venue=row["venue"],
        publication_date=iso_date(row["publication_date"]),
        ids=ids,
        videos=videos,
        history=history,
        status=(reading or {}).get("status"),
        note=(reading or {}).get("note"),
    )


def history_per_paper(rows: Iterable[dict[str, Any]]) -> Iterator[tuple[int, list[tuple[dt.date, int]]]]:
    """Each paper's citation counts by day (the last count of a day stands for it), one paper at
    a time: ``rows`` come grouped by paper (``sql.citation_history``)."""
    paper_id: int | None = None
    points: list[tuple[dt.date, int]] = []
    for row in rows:
        if row["paper_id"] != paper_id:
            if paper_id is not None:
                yield paper_id, points
            paper_id, points = row["paper_id"], []
        stamp = row["fetched_at"]
        day = (dt.datetime.fromisoformat(stamp) if isinstance(stamp, str) else stamp).date()
        if points and points[-1][0] == day:
            points[-1] = (day, row["citations"])
        else:
            points.append((day, row["citations"]))
    if paper_id is not None:
        yield paper_id, points


def month_of(day: str) -> str:
    return day[:7]


def months_between(first: str, last: str) -> list[str]:
    """Every month from ``first`` to ``last`` ('YYYY-MM'), both included."""
    year, month = int(first[:4]), int(first[5:7])
    end = (int(last[:4]), int(last[5:7]))
    out = []
    while (year, month) <= end:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def per_month(dates: Iterable[str]) -> list[tuple[str, int]]:
    """How many of ``dates`` fall in each month, every month between the first and last (gaps as 0)."""
    counts: dict[str, int] = {}
    for day in dates:
        if day:
            counts[month_of(day)] = counts.get(month_of(day), 0) + 1
    if not counts:
        return []
    return [(m, counts.get(m, 0)) for m in months_between(min(counts), max(counts))]


def cumulative(dates: Iterable[str]) -> list[tuple[dt.date, int]]:
    """The running count of ``dates`` (one point per distinct day)."""
    out: list[tuple[dt.date, int]] = []
    for total, day in enumerate(sorted(d for d in dates if d), start=1):
        as_date = dt.date.fromisoformat(day)
        if out and out[-1][0] == as_date:
            out[-1] = (as_date, total)
        else:
            out.append((as_date, total))
    return out


@dataclass(slots=True)
class CategoryView:
    """A category's progress and, for a catalog paged by category, where its pages are."""

    slug: str
    name: str
    papers: int
    recorded: int = 0
    rows: list[PaperView] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)  # paths from the site root

    @property
    def percent(self) -> float:
        return 100 * self.recorded / self.papers if self.papers else 0.0


def category_page_paths(slug: str, pages: int) -> list[str]:
    """``category/vision/cnn.html``, then ``category/vision/cnn/2.html``...: a category holding
    papers has no sub-categories, so a page number never meets a category's slug."""
    return [f"category/{slug}.html"] + [f"category/{slug}/{n}.html" for n in range(2, pages + 1)]


def chunks(rows: Sequence[PaperView], size: int) -> list[Sequence[PaperView]]:
    return [rows[i : i + size] for i in range(0, len(rows), size)] or [rows]
