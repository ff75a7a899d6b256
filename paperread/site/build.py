"""One site build: the catalog read once, every page rendered, written into a staged folder.

Papers are streamed in catalog order, their citation history beside them in the same order, and
each paper's page is written as it comes; when the catalog is paged by category (more than
``index_rows_max`` papers) each category page is written as soon as its rows are in, so a build
holds one page of rows at a time, and time grows with the number of papers: every query is one
pass, every page one render. Each category's papers and recorded papers come from the figures
the database keeps (``category_figures``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from paperread.db import Reader
from paperread.site import charts, data, sql
from paperread.site.data import CategoryView, PaperView, VideoView
from paperread.site.options import SiteOptions
from paperread.site.pages import ASSET_FILES, Pages, asset_bytes
from paperread.site.writer import StagedSite


@dataclass(frozen=True)
class BuildReport:
    papers: int
    recorded: int
    categories: int
    videos: int
    files: int
    paged: bool
    kept: int = 0  # files of others carried over (set by the caller after commit)


def _hours(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    return f"{hours} h {rest // 60:02d} min" if hours else f"{rest // 60} min"


def _groups(categories: Iterable[CategoryView]) -> list[tuple[str, str, bool]]:
    """The category filter's choices: each group ('计算机视觉', every vision/* slug) before its
    categories, then the categories, in catalog order."""
    out: list[tuple[str, str, bool]] = []
    seen: set[str] = set()
    for c in categories:
        if "/" in c.slug:
            group = c.slug.split("/")[0]
            if group not in seen:
                seen.add(group)
                name = c.name.partition(" - ")[0] if " - " in c.name else group
                out.append((group, name, True))
        out.append((c.slug, c.name, False))
    return out


def build(reader: Reader, site: StagedSite, options: SiteOptions) -> BuildReport:
    """Read the catalog through ``reader`` and write the whole site into ``site`` (not committed)."""
    built_on = options.now.astimezone(dt.UTC).date().isoformat()
    pages = Pages(built_on=built_on, with_notes=options.with_notes, user=options.user)

    cat_rows = sql.categories(reader)
    cats = {
        c["id"]: CategoryView(slug=c["slug"], name=c["name"], papers=c["papers"], recorded=c["recorded"])
        for c in cat_rows
    }
    by_id = {c["id"]: c for c in cat_rows}
    total = sum(c.papers for c in cats.values())
    paged = total > options.index_rows_max

    video_rows = sql.videos(reader)
    videos = {v["id"]: data.video_view(v) for v in video_rows}
    seconds = sum(r["duration_seconds"] or 0 for r in video_rows)
    del video_rows  # the views hold what the pages show (66,666 rows at 1,000,000 papers: 56 MB)
    videos_of: dict[int, list[VideoView]] = {}
    for link in sql.video_papers(reader):
        video = videos[link["video_id"]]
        video.papers.append((link["key"], link["title"]))
        videos_of.setdefault(link["paper_id"], []).append(video)
    for covering in videos_of.values():
        covering.sort(key=lambda v: (v.date, v.id))
    reading: dict[int, dict[str, Any]] = (
        {r["paper_id"]: r for r in sql.reading(reader, options.user)} if options.with_notes else {}
    )

    recorded_dates: list[str] = []
    undated = 0
    cites = False  # some paper has a citation count: the index shows the column
    page_rows = options.category_page_rows
    # A paged catalog: each category's pages are known from its count, and each page is written
    # as soon as its rows are in (only one page of rows is held).
    counted = sql.categories_with_citations(reader) if paged else set()
    for cat in cats.values():
        cat.pages = data.category_page_paths(cat.slug, max(1, -(-cat.papers // page_rows))) if paged else []

    def write_page(cat_id: int, number: int) -> None:
        cat = cats[cat_id]
        path = cat.pages[number - 1]
        site.write(
            path,
            pages.render(
                "category",
                path,
                c=cat,
                rows=cat.rows,
                page=number,
                pager=[(n, _rel(path, p)) for n, p in enumerate(cat.pages, start=1)],
                cites=cat_id in counted,
            ),
        )
        cat.rows = []

    history = data.history_per_paper(sql.citation_history(reader))  # in the papers' order
    next_points = next(history, None)
    current: int | None = None
    position = 0
    for row in sql.papers(reader):
        cat_id = row["category_id"]
        cat = cats[cat_id]
        if cat_id != current:
            if paged and current is not None and cats[current].rows:
                write_page(current, -(-position // page_rows))
            current, position = cat_id, 0
        points: list[tuple[dt.date, int]] = []
        if next_points is not None and next_points[0] == row["id"]:
            points = next_points[1]
            next_points = next(history, None)
        view = data.paper_view(row, by_id[cat_id], videos_of.get(row["id"], []), points, reading.get(row["id"]))
        if len(points) > 1:
            view.spark = charts.sparkline(
                [n for _, n in points],
                f"citations {points[0][1]:,} on {points[0][0]} to {points[-1][1]:,} on {points[-1][0]}",
            )
        cites = cites or view.citations is not None
        if view.recorded:
            if view.recorded_on:
                recorded_dates.append(view.recorded_on)
            else:
                undated += 1
        cat.rows.append(view)
        _write_paper(site, pages, view, cat, position // page_rows + 1 if paged else 0)
        position += 1
        if paged and position % page_rows == 0:
            write_page(cat_id, position // page_rows)
    if paged:
        if current is not None and cats[current].rows:
            write_page(current, -(-position // page_rows))
        for cat_id, cat in cats.items():  # categories holding no paper: one empty page
            if not cat.papers:
                write_page(cat_id, 1)

    ordered = [cats[c["id"]] for c in cat_rows]
    recorded = sum(c.recorded for c in ordered)
    video_list = list(videos.values())  # newest first
    shown = video_list[: options.index_videos_max]
    months = data.per_month(v.date for v in video_list)
    progress = data.cumulative(recorded_dates)
    since = options.now - dt.timedelta(days=options.trending_days)
    trending = sql.trending(reader, since=since, limit=options.trending_limit)
    views_total = data.total_views(video_list)

    videos_chart = charts.bar_chart(
        "videos-chart",
        "Videos per month",
        _videos_desc(months),
        months,
        labels=charts.month_labels([m for m, _ in months]),
    )
    recorded_chart = charts.line_chart(
        "recorded-chart",
        "Papers recorded over time",
        _recorded_desc(progress, undated),
        progress,
        step=True,
    )
    site.write(
        "index.html",
        pages.render(
            "index",
            "index.html",
            recorded=recorded,
            total=total,
            categories=ordered,
            groups=_groups(ordered),
            paged=paged,
            cites=cites,
            videos=shown,
            videos_total=len(video_list),
            videos_more=len(video_list) > len(shown),
            hours=_hours(seconds),
            views_total=views_total,
            videos_chart=videos_chart,
            videos_chart_range=f"{months[0][0]} to {months[-1][0]}" if months else "",
            recorded_chart=recorded_chart,
            undated=undated,
            trending=trending,
            trending_days=options.trending_days,
        ),
    )
    if len(video_list) > len(shown):
        site.write("videos.html", pages.render("videos", "videos.html", videos=video_list, views_total=views_total))
    for name in ASSET_FILES:
        site.write(f"assets/{name}", asset_bytes(name))
    return BuildReport(
        papers=total,
        recorded=recorded,
        categories=len(ordered),
        videos=len(video_list),
        files=len(site.files),
        paged=paged,
    )


def _rel(here: str, there: str) -> str:
    """A link from the page at ``here`` to the page at ``there`` (both from the site's root)."""
    return "../" * here.count("/") + there


def _write_paper(site: StagedSite, pages: Pages, view: PaperView, cat: CategoryView, page: int) -> None:
    path = f"paper/{view.key}.html"
    if page:
        category_href = _rel(path, data.category_page_paths(cat.slug, page)[page - 1])
    else:
        category_href = f"../index.html#cat-{cat.slug}"
    chart = None
    if view.history:
        first, last = view.history[0], view.history[-1]
        chart = charts.line_chart(
            "citations-chart",
            f"Citations of {view.title}",
            f"{len(view.history)} counts from {first[1]:,} on {first[0]} to {last[1]:,} on {last[0]}",
            view.history,
            step=True,
        )
    site.write(
        path,
        pages.render(
            "paper", path, p=view, category_href=category_href, chart=chart, note_html=pages.note_html(view.note)
        ),
    )


def _videos_desc(months: list[tuple[str, int]]) -> str:
    if not months:
        return "No videos yet."
    busiest = max(months, key=lambda m: m[1])
    total = sum(n for _, n in months)
    return (
        f"{total:,} videos from {months[0][0]} to {months[-1][0]}; "
        f"the most in {busiest[0]} ({busiest[1]:,}); {sum(1 for _, n in months if not n)} months without one."
    )


def _recorded_desc(points: list[tuple[dt.date, int]], undated: int) -> str:
    if not points:
        text = "No paper recorded by a dated video yet."
    else:
        text = f"{points[-1][1]:,} papers recorded by videos from {points[0][0]} to {points[-1][0]}."
    if undated:
        text += f" {undated:,} more are marked recorded without a video."
    return text
