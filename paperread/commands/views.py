"""Video views from bilibili and YouTube: sync-views.

Thin: parse, call ``paperread.viewsync`` (imported inside the command: it pulls in
SQLAlchemy and httpx, and this module is imported on every run), render with
``paperread.viewoutput``. The cron manners are sync-citations': --quiet, --log, --json,
--stale-after, one run at a time per database, exit 0 or 1.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from paperread import queries, viewoutput
from paperread.commands import CategoryOpt, complete_video, examples, reader, state, usage_error
from paperread.commands.sync import QuietOpt, _logged, _period

VideosArg = Annotated[
    list[str] | None,
    typer.Argument(
        help="Videos to refresh (the id 'paperread videos' shows, or a BV id). Default: every video.",
        autocompletion=complete_video,
        show_default=False,
    ),
]


def _scope(videos: list[str] | None, category: str | None) -> str:
    if videos:
        shown = ", ".join(videos[:5]) + (f" and {len(videos) - 5} more" if len(videos) > 5 else "")
        return f"videos {shown}"
    return f"videos of category {category}" if category else "all videos"


def _video_ids(r: Any, videos: list[str] | None, category: str | None) -> list[int] | None:
    if videos:
        ids: list[int] = []
        for name in videos:
            vid = queries.resolve_video(r, name)["id"]
            if vid not in ids:
                ids.append(vid)
        return ids
    if category:
        return [v["id"] for v in queries.videos(r, category=queries.resolve_category(r, category))]
    return None


def sync_views(
    ctx: typer.Context,
    videos: VideosArg = None,
    category: CategoryOpt = None,
    stale_after: Annotated[
        str | None,
        typer.Option(
            "--stale-after",
            help="Skip videos fetched more recently than this (12h, 7d, 2w; 0 refreshes all). "
            "Default: 12h, or 0 for videos named.",
            show_default=False,
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only show which videos would be asked about: no request, no write.")
    ] = False,
    quiet: QuietOpt = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as one JSON object on stdout.")] = False,
    log: Annotated[
        Path | None,
        typer.Option(
            "--log",
            help="Append one line per run to this file (UTC time, scope, counts, exit status).",
            dir_okay=False,
            show_default=False,
        ),
    ] = None,
) -> None:
    """Refresh view counts from bilibili (one request a video, paced) and YouTube (50 ids a
    request, only when YOUTUBE_API_KEY is set), keeping a history.

    Each answer is stored as it arrives: a failure or a kill part way keeps what was
    fetched, and the next run picks up the rest. One sync-views runs at a time per
    database. A video bilibili or YouTube says is gone is reported and keeps its old
    figures. Exit 0 when every video asked about was refreshed or reported gone, 1 when
    any failed.
    """
    from paperread import viewsync

    if videos and category:
        usage_error("name videos or give --category, not both")
    report = viewsync.Report(scope=_scope(videos, category))

    def body() -> int:
        from paperread import bilibili, youtube

        period = (
            _period(stale_after, "--stale-after")
            if stale_after is not None
            else dt.timedelta(0)
            if videos
            else viewsync.DEFAULT_STALE_AFTER
        )
        b_settings = bilibili.settings(os.environ)
        y_settings = youtube.settings(os.environ)
        key = youtube.api_key(os.environ)
        report.secret = key
        with reader(ctx) as r:  # creates or checks the database first
            ids = _video_ids(r, videos, category)
            if dry_run:
                report.dry_run = True
                work = viewsync.plan(r, report, video_ids=ids, stale_after=period, youtube=key is not None)
                report.to_fetch = work.labels()
                viewoutput.plan(report.as_dict(), as_json=as_json)
                return report.exit_code
        _fetch(ctx, report, ids, period, b_settings, y_settings, key, quiet=quiet)
        viewoutput.summary(report.as_dict(), as_json=as_json, quiet=quiet)
        return report.exit_code

    _logged("sync-views", log, report, body)


def _fetch(
    ctx: typer.Context,
    report: Any,
    ids: list[int] | None,
    period: dt.timedelta,
    b_settings: Any,
    y_settings: Any,
    key: str | None,
    *,
    quiet: bool,
) -> None:
    """Lock, plan, fetch and store."""
    from contextlib import ExitStack

    from paperread import locks, output, viewsync
    from paperread.bilibili import BilibiliClient
    from paperread.engine import make_engine
    from paperread.youtube import YoutubeClient

    target = state(ctx).target
    engine = make_engine(target)
    try:
        with locks.run_lock(target, engine, "views") as stale:
            report.took_over_from = stale
            with reader(ctx) as r:
                work = viewsync.plan(r, report, video_ids=ids, stale_after=period, youtube=key is not None)
            with ExitStack() as stack:
                progress = stack.enter_context(output.sync_progress(quiet=quiet))
                b_client = stack.enter_context(BilibiliClient(b_settings)) if work.bilibili else None
                y_client = stack.enter_context(YoutubeClient(y_settings, key)) if work.youtube and key else None
                viewsync.run(engine, work, report, bilibili=b_client, youtube=y_client, progress=progress)
    finally:
        engine.dispose()


def register(app: typer.Typer) -> None:
    app.command(
        "sync-views",
        epilog=examples(
            "paperread sync-views --dry-run  # which videos it would ask about",
            "paperread sync-views --quiet --log views.log  # for cron",
            "paperread sync-views 6 BV1pu411o7BE --json",
        ),
    )(sync_views)
