"""Citations from Semantic Scholar: sync-citations, resolve, trending.

Thin commands over ``paperread.sync`` (imported inside them: it pulls in SQLAlchemy and
httpx, and this module is imported on every run). ``trending`` is a read command and
stays on the light road.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import IO, Annotated, Any

import typer

from paperread import output, queries
from paperread.commands import CategoryOpt, JsonOpt, complete_paper, examples, reader, state, usage_error
from paperread.errors import InputError, PaperreadError, UsageError

PapersArg = Annotated[
    list[str] | None,
    typer.Argument(
        help="Papers to refresh (key, S2 id, arXiv id, DOI or title fragment). Default: every paper with an S2 id.",
        autocompletion=complete_paper,
        show_default=False,
    ),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors (for cron).")]


def _period(value: str, option: str) -> dt.timedelta:
    from paperread import values

    try:
        return values.parse_period(value)
    except InputError as exc:
        raise UsageError(f"{option}: {exc.message}") from None


def _open_log(path: Path | None) -> IO[str] | None:
    if path is None:
        return None
    if path.expanduser().is_dir():  # ('' arrives as '.': the current folder)
        raise InputError(f"--log '{path}' is a folder, not a file", hint="give the file to append the run's line to")
    try:
        return path.expanduser().open("a", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write to the log '{path}': {exc.strerror}") from None


def _scope(papers: list[str] | None, category: str | None, *, resolve: bool, command: str) -> str:
    if papers:
        shown = ", ".join(papers[:5]) + (f" and {len(papers) - 5} more" if len(papers) > 5 else "")
        scope = f"papers {shown}"
    elif command == "resolve":
        scope = "papers without an S2 id" + (f" in {category}" if category else "")
    else:
        scope = f"category {category}" if category else "all papers with an S2 id"
    return scope + (" (with --resolve)" if resolve and command != "resolve" else "")


def _paper_ids(r: Any, papers: list[str] | None) -> list[int] | None:
    if not papers:
        return None
    ids: list[int] = []
    for name in papers:
        pid = queries.resolve_paper(r, name)["id"]
        if pid not in ids:
            ids.append(pid)
    return ids


def _logged(command: str, log: Path | None, report: Any, body: Any) -> None:
    """Run ``body()`` -> exit code, append one line to the log whatever happens, exit with it."""
    log_file = _open_log(log)
    code, error = 1, None
    try:
        code = body()
    except PaperreadError as exc:
        code, error = exc.exit_code, exc.message
        raise
    except KeyboardInterrupt:
        code, error = 130, "interrupted"
        raise
    except BaseException as exc:
        error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
        raise
    finally:
        if log_file is not None:
            with log_file:
                log_file.write(report.log_line(command, code, error) + "\n")
    if code:
        raise typer.Exit(code)


def _fetch(
    ctx: typer.Context,
    report: Any,
    *,
    papers: list[str] | None,
    category: str | None,
    stale_after: dt.timedelta,
    resolve: bool,
    only_unidentified: bool = False,
    quiet: bool,
) -> None:
    """Lock, plan, fetch and store: the part sync-citations and resolve share."""
    from paperread import locks, sync
    from paperread.config import s2_environ
    from paperread.engine import make_engine
    from paperread.s2 import S2Client, S2Config

    config = S2Config.from_env(s2_environ())
    report.secret = config.api_key  # scrubbed from every reason kept (S2's messages never hold it anyway)
    target = state(ctx).target
    with reader(ctx) as r:  # creates or checks the database first
        ids = _paper_ids(r, papers)
        slug = queries.resolve_category(r, category) if category else None
    engine = make_engine(target, ping=True)  # held for the whole sync: minutes
    try:
        with locks.run_lock(target, engine, "sync") as stale:
            report.took_over_from = stale
            with reader(ctx) as r:
                work = sync.plan(
                    r,
                    report,
                    paper_ids=ids,
                    category=slug,
                    stale_after=stale_after,
                    resolve=resolve,
                    only_unidentified=only_unidentified,
                )
            with S2Client(config) as client, output.sync_progress(quiet=quiet) as progress:
                sync.run(engine, client, work, report, progress)
    finally:
        engine.dispose()


StaleAfterOpt = Annotated[
    str | None,
    typer.Option(
        "--stale-after",
        help="Skip papers fetched more recently than this (12h, 7d, 2w; 0 refreshes all). "
        "Default: 7d, or 0 for papers named.",
        show_default=False,
    ),
]
LogOpt = Annotated[
    Path | None,
    typer.Option(
        "--log",
        help="Append one line per run to this file (UTC time, scope, counts, exit status).",
        dir_okay=False,
        show_default=False,
    ),
]


def sync_citations(
    ctx: typer.Context,
    papers: PapersArg = None,
    category: CategoryOpt = None,
    stale_after: StaleAfterOpt = None,
    resolve: Annotated[
        bool, typer.Option("--resolve", help="Also find the S2 id of papers without one (arXiv id, DOI, else title).")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only show which papers would be fetched: no request, no write.")
    ] = False,
    quiet: QuietOpt = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as one JSON object on stdout.")] = False,
    log: LogOpt = None,
) -> None:
    """Refresh citation counts from Semantic Scholar, in batches of 500, keeping a history.

    Each batch is stored as it arrives: a failure or a kill part way keeps what was
    fetched, and the next run picks up the rest. One sync runs at a time per database.
    Set S2_API_KEY for a higher rate limit. Exit 0 when every paper was refreshed or
    reported not found, 1 when any failed.
    """
    from paperread import sync

    if papers and category:
        usage_error("name papers or give --category, not both")
    report = sync.Report(scope=_scope(papers, category, resolve=resolve, command="sync-citations"))

    def body() -> int:
        period = (
            _period(stale_after, "--stale-after")
            if stale_after is not None
            else dt.timedelta(0)
            if papers
            else sync.DEFAULT_STALE_AFTER
        )
        if dry_run:
            report.dry_run = True
            with reader(ctx) as r:
                ids = _paper_ids(r, papers)
                slug = queries.resolve_category(r, category) if category else None
                work = sync.plan(r, report, paper_ids=ids, category=slug, stale_after=period, resolve=resolve)
            report.to_fetch = [*work.keys, *(key for _, key in work.by_title)]
            output.sync_plan(report.as_dict(), as_json=as_json)
            return report.exit_code
        _fetch(ctx, report, papers=papers, category=category, stale_after=period, resolve=resolve, quiet=quiet)
        output.sync_summary(report.as_dict(), as_json=as_json, quiet=quiet)
        return report.exit_code

    _logged("sync-citations", log, report, body)


def resolve(
    ctx: typer.Context,
    papers: Annotated[
        list[str] | None,
        typer.Argument(
            help="Papers to identify (key or title fragment). Default: every paper without an S2 id.",
            autocompletion=complete_paper,
            show_default=False,
        ),
    ] = None,
    category: CategoryOpt = None,
    quiet: QuietOpt = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as one JSON object on stdout.")] = False,
) -> None:
    """Find the Semantic Scholar id of papers that have none: from the arXiv id or DOI,
    else by title (taken only when the titles agree; an unsure match is reported, not
    stored). Their citation counts and missing metadata come along."""
    from paperread import sync

    if papers and category:
        usage_error("name papers or give --category, not both")
    report = sync.Report(scope=_scope(papers, category, resolve=True, command="resolve"))

    def body() -> int:
        _fetch(
            ctx,
            report,
            papers=papers,
            category=category,
            stale_after=dt.timedelta(0),
            resolve=True,
            only_unidentified=True,
            quiet=quiet,
        )
        if report.already and not quiet and not as_json:
            output.message(f"already identified, left alone: {', '.join(report.already)}")
        output.sync_summary(report.as_dict(), as_json=as_json, quiet=quiet, command="resolve")
        return report.exit_code

    _logged("resolve", None, report, body)


def trending(
    ctx: typer.Context,
    since: Annotated[str, typer.Option("--since", help="The window: 30d, 2w, 12h... or a date (YYYY-MM-DD).")] = "30d",
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="Show at most N papers (or videos).")] = 20,
    category: CategoryOpt = None,
    videos: Annotated[
        bool,
        typer.Option("--videos", help="Rank videos by the views they gained instead (from the sync-views history)."),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Papers ranked by the citations they gained over a window (from the sync history);
    with --videos, videos ranked by the views they gained."""
    from paperread import values

    if videos and category:
        usage_error("--videos ranks every video; it does not take --category")
    now = dt.datetime.now(dt.UTC)
    try:
        moment = now - values.parse_period(since)
    except InputError:
        try:
            moment = dt.datetime.combine(values.parse_date(since), dt.time(), tzinfo=dt.UTC)
        except InputError:
            raise UsageError(f"--since: '{since}' is neither a period (30d, 2w, 12h) nor a date (YYYY-MM-DD)") from None
    if videos:
        from paperread import viewoutput, viewqueries

        with reader(ctx) as r:
            ranked = viewqueries.trending(r, since=moment, limit=limit)
        viewoutput.trending(ranked, as_json=as_json, since=moment.isoformat(timespec="seconds"))
        return
    with reader(ctx) as r:
        slug = queries.resolve_category(r, category) if category else None
        rows = queries.trending(r, since=moment, category=slug, limit=limit)
    output.trending(rows, as_json=as_json, since=moment.isoformat(timespec="seconds"))


def register(app: typer.Typer) -> None:
    app.command(
        "sync-citations",
        epilog=examples(
            "paperread sync-citations --dry-run  # which papers it would fetch",
            "paperread sync-citations -c vision --stale-after 7d",
            "paperread sync-citations resnet vit --json",
        ),
    )(sync_citations)
    app.command(epilog=examples("paperread resolve", "paperread resolve -c gnn --json"))(resolve)
    app.command(epilog=examples("paperread trending", "paperread trending --since 30d -n 10 -c vision"))(trending)
