"""Read commands: list, show, videos, stats, search.

On an up-to-date SQLite catalog these run on ``sqlite3`` alone, on PostgreSQL on psycopg
alone: no SQLAlchemy, pydantic, httpx, Alembic or markdown-it is imported (tests check it).
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from paperread import output, queries, viewoutput
from paperread.commands import (
    CategoryOpt,
    JsonOpt,
    PaperArg,
    examples,
    not_blank,
    reader,
    state,
    usage_error,
    year_value,
)


class Sort(str, Enum):
    category = "category"
    year = "year"
    title = "title"  # type: ignore[assignment]  # shadows str.title: the choices are the names
    citations = "citations"


LimitOpt = Annotated[int | None, typer.Option("--limit", "-n", min=1, help="Show at most N papers.")]


def list_papers(
    ctx: typer.Context,
    category: CategoryOpt = None,
    recorded: Annotated[
        bool | None,
        typer.Option(
            "--recorded/--not-recorded", help="Only papers a video has (or has not) covered.", show_default=False
        ),
    ] = None,
    year: Annotated[
        int | None, typer.Option("--year", parser=year_value, metavar="YEAR", help="Only papers from this year.")
    ] = None,
    since: Annotated[
        int | None, typer.Option("--since", parser=year_value, metavar="YEAR", help="Only papers from this year on.")
    ] = None,
    search: Annotated[
        str | None,
        typer.Option(
            "--search",
            "-s",
            help="Only papers matching this text.",
            callback=not_blank("search text", "some text to find"),
        ),
    ] = None,
    read: Annotated[bool, typer.Option("--read", help="Only papers you have read.")] = False,
    unread: Annotated[bool, typer.Option("--unread", help="Only papers you have not read yet.")] = False,
    reading: Annotated[bool, typer.Option("--reading", help="Only papers you are reading now.")] = False,
    sort: Annotated[Sort, typer.Option("--sort", help="Order of the rows.")] = Sort.category,
    limit: LimitOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List papers: a table on a terminal, tab-separated text when piped, JSON with --json."""
    if year is not None and since is not None:
        usage_error("--year and --since do not go together")
    if sum((read, unread, reading)) > 1:
        usage_error("choose one of --read, --unread and --reading")
    status = "read" if read else "unread" if unread else "reading" if reading else None
    user = state(ctx).user  # a bad PAPERREAD_USER is refused before a database is opened (or made)
    with reader(ctx) as r:
        rows = queries.papers_in(
            r,
            category,
            user=user,
            recorded=recorded,
            year=year,
            since=since,
            search=search,
            read_status=status,
            sort=sort.value,
            limit=limit,
        )
        output.papers(rows, as_json=as_json)


def search(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="Words to find in keys, titles, descriptions, authors and your notes.")],
    category: CategoryOpt = None,
    limit: LimitOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Find papers by text (full-text index on SQLite)."""
    if not text.strip():
        usage_error("search needs some text")
    user = state(ctx).user
    with reader(ctx) as r:
        rows = queries.papers_in(r, category, user=user, search=text, limit=limit)
        shown = output.papers(rows, as_json=as_json)
    if not shown and not as_json:
        output.message(f"no paper matches '{text}'")


def show(ctx: typer.Context, paper: PaperArg, as_json: JsonOpt = False) -> None:
    """Everything about one paper: links, ids, videos, citations, your note."""
    user = state(ctx).user
    with reader(ctx) as r:
        detail = queries.show_paper(r, paper, user=user)
    output.paper_detail(detail, as_json=as_json)


class VideoSort(str, Enum):
    date = "date"
    views = "views"


def videos(
    ctx: typer.Context,
    category: CategoryOpt = None,
    sort: Annotated[
        VideoSort, typer.Option("--sort", help="Order: by date, or most viewed first (bilibili + YouTube).")
    ] = VideoSort.date,
    as_json: JsonOpt = False,
) -> None:
    """The videos by date, the papers each covers, their running time, views, and which you have a note on."""
    user = state(ctx).user
    with reader(ctx) as r:
        slug = queries.resolve_category(r, category) if category else None
        rows = queries.videos(r, category=slug, user=user)
    if sort is VideoSort.views:
        rows.sort(key=lambda v: -(output.video_views(v) or -1))  # unknown last; stable: by date within a figure
    output.videos(rows, as_json=as_json)


def stats(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """How much of the list is recorded, overall and per category, how far you are, and how
    often the videos were watched."""
    user = state(ctx).user
    with reader(ctx) as r:
        data = queries.stats(r, user=user)
    output.stats(data, as_json=as_json, views_line=viewoutput.stats_line(data))


def register(app: typer.Typer) -> None:
    app.command(
        "list",
        epilog=examples(
            "paperread list -c vision --since 2015  # a category (and those under it) from 2015 on",
            "paperread list --not-recorded --sort year -n 10",
            "paperread list --unread --json  # for scripts",
        ),
    )(list_papers)
    app.command(epilog=examples("paperread show resnet", "paperread show 'Deep Residual' --json"))(show)
    app.command(epilog=examples("paperread videos", "paperread videos -c vision/cnn --json"))(videos)
    app.command(epilog=examples("paperread stats", "paperread stats --json"))(stats)
    app.command(epilog=examples("paperread search transformer", "paperread search 'object detection' -c vision -n 5"))(
        search
    )
