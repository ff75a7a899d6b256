"""Curating the catalog: mark-recorded, unmark, add, edit, remove, and the video and
category groups.

Each write opens one transaction (``writer``) and calls one function of
``paperread.store``, imported inside the command: this module is imported on every
run, so its top level stays light. ``video list`` and ``category list`` are reads.
"""

from __future__ import annotations

from typing import Annotated

import typer

from paperread import output, queries
from paperread.commands import (
    JsonOpt,
    PaperArg,
    VideoArg,
    catalog,
    checked,
    complete_category,
    complete_paper,
    examples,
    reader,
    state,
    usage_error,
    writer,
)
from paperread.errors import InputError, NotFoundError, PaperreadError

# ---------------------------------------------------------------------------- options

PapersArg = Annotated[
    list[str],
    typer.Argument(
        help="The papers the video covers: keys, S2 ids, arXiv ids or title fragments.",
        autocompletion=complete_paper,
        show_default=False,
    ),
]
TitleOpt = Annotated[str, typer.Option("--title", "-t", help="The video's title.", show_default=False)]
EditTitleOpt = Annotated[str | None, typer.Option("--title", "-t", help="A new title.", show_default=False)]
DateOpt = Annotated[
    str | None,
    typer.Option(
        "--date",
        help="The day it came out: YYYY-MM-DD or M/D/YY. Default: today.",
        show_default=False,
        callback=checked("parse_date"),
    ),
]
DurationOpt = Annotated[
    str | None,
    typer.Option(
        "--duration",
        help="Running time, H:MM:SS or MM:SS (1:27:54).",
        show_default=False,
        callback=checked("parse_duration"),
    ),
]
BilibiliOpt = Annotated[
    str | None,
    typer.Option(
        "--bilibili", help="Its bilibili BV id or link.", show_default=False, callback=checked("parse_bilibili")
    ),
]
YoutubeOpt = Annotated[
    str | None,
    typer.Option("--youtube", help="Its YouTube id or link.", show_default=False, callback=checked("parse_youtube")),
]
ZhihuOpt = Annotated[
    str | None,
    typer.Option("--zhihu", help="Its zhihu id or link.", show_default=False, callback=checked("parse_zhihu")),
]
VideoUrlOpt = Annotated[
    str | None,
    typer.Option(
        "--url",
        help="A link that goes with the video (http or https).",
        show_default=False,
        callback=checked("check_http_url"),
    ),
]

_NAME_RULE = "unique, and not another category's or group's slug in any case (slugs and names both name categories)"

NewCategoryOpt = Annotated[
    str,
    typer.Option(
        "--category",
        "-c",
        help="Its category: a slug such as vision/cnn, or its name.",
        autocompletion=complete_category,
        show_default=False,
    ),
]
EditCategoryOpt = Annotated[
    str | None,
    typer.Option(
        "--category",
        "-c",
        help="Move it to this category (slug or name).",
        autocompletion=complete_category,
        show_default=False,
    ),
]
KeyOpt = Annotated[
    str | None,
    typer.Option(
        "--key",
        "-k",
        help="Its key: lowercase letters, digits, '.' and '-'. Default: from the title.",
        show_default=False,
        callback=checked("parse_key"),
    ),
]
YearOpt = Annotated[
    str | None, typer.Option("--year", help="Year of publication.", show_default=False, callback=checked("parse_year"))
]
PaperUrlOpt = Annotated[
    str | None,
    typer.Option(
        "--url", help="A link to the paper (http or https).", show_default=False, callback=checked("check_http_url")
    ),
]
S2Opt = Annotated[
    str | None,
    typer.Option(
        "--s2-id",
        help="Its Semantic Scholar id (40 hex digits).",
        show_default=False,
        callback=checked("normalize_s2_id"),
    ),
]
ArxivOpt = Annotated[
    str | None,
    typer.Option(
        "--arxiv", help="Its arXiv id or arxiv.org link.", show_default=False, callback=checked("normalize_arxiv_id")
    ),
]
DoiOpt = Annotated[
    str | None,
    typer.Option("--doi", help="Its DOI or doi.org link.", show_default=False, callback=checked("normalize_doi")),
]
DescriptionOpt = Annotated[
    str | None, typer.Option("--description", "-d", help="One line about the paper.", show_default=False)
]
SlugArg = Annotated[
    str,
    typer.Argument(
        help="A category: its slug (vision/cnn) or its name.", autocompletion=complete_category, show_default=False
    ),
]


def _video_json(session, video_id: int | None) -> dict:
    from paperread.engine import session_reader

    assert video_id is not None  # a row the session has flushed
    return queries.video(session_reader(session), video_id)


def _covering(v: dict) -> str:
    return " covering " + ", ".join(p["key"] for p in v["papers"]) if v["papers"] else " (covers no paper)"


# ---------------------------------------------------------------------------- recorded videos


def mark_recorded(
    ctx: typer.Context,
    papers: PapersArg,
    title: Annotated[
        str | None,
        typer.Option("--title", "-t", help="The video's title (with --fetch: bilibili's).", show_default=False),
    ] = None,
    date: DateOpt = None,
    duration: DurationOpt = None,
    bilibili: BilibiliOpt = None,
    youtube: YoutubeOpt = None,
    zhihu: ZhihuOpt = None,
    url: VideoUrlOpt = None,
    fetch: Annotated[
        bool,
        typer.Option(
            "--fetch",
            help="Take the title, date, running time and view count from bilibili's answer about --bilibili "
            "(values given here win).",
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Record a video covering one or more papers (a survey covers many).

    A paper that already has a video gets another one. With --bilibili BV... --fetch,
    bilibili tells the title, date and running time: one command records a new video.
    """
    import os

    from paperread import store

    if fetch and not bilibili:
        usage_error("--fetch takes the video's details from bilibili: give its --bilibili BV id too")
    if not fetch and title is None:
        usage_error("give the video's --title (or --bilibili BV... --fetch to take it from bilibili)")
    fetched = None
    if fetch:
        from paperread import values, viewsync
        from paperread.bilibili import settings

        assert bilibili is not None
        bvid = values.parse_bilibili(bilibili)
        config = settings(os.environ)  # a bad setting is refused before anything is asked
        with reader(ctx) as r:  # the papers exist and the video is new: checked before asking bilibili
            for name in papers:
                queries.resolve_paper(r, name)
            try:
                taken = queries.resolve_video(r, bvid)
            except NotFoundError:
                taken = None
        if taken is not None:
            raise InputError(
                f"bilibili video {bvid} is already recorded (video {taken['id']})",
                hint=f"add papers to it with 'paperread video edit {bvid} --add-paper KEY'",
            )
        fetched = viewsync.fetch_video(bvid, config)
        if title is None and fetched.title is None:
            raise InputError(f"bilibili gave no title for {bvid}", hint="give --title")
        title = title if title is not None else fetched.title
        if date is None and fetched.published is not None:
            date = fetched.published.isoformat()
        if duration is None and fetched.duration_seconds is not None:
            duration = values.format_duration(fetched.duration_seconds)
    with writer(ctx) as session:
        video = store.mark_recorded(
            session,
            papers,
            title=title,
            date=date,
            duration=duration,
            bilibili=bilibili,
            youtube=youtube,
            zhihu=zhihu,
            url=url,
        )
        if fetched is not None:
            from paperread import viewsync

            viewsync.record_first_figure(session.connection(), fetched)
        data = _video_json(session, video.id)
    output.written(f"recorded {output.video_line(data)}{_covering(data)}", data, as_json=as_json)


def unmark(ctx: typer.Context, paper: PaperArg, as_json: JsonOpt = False) -> None:
    """Make a paper not recorded: unlink its videos (deleting those that covered only it)."""
    from paperread import store

    with writer(ctx) as session:
        summary = store.unmark_paper(session, paper)
    if not summary["was_recorded"]:
        output.written(f"'{summary['key']}' was not recorded; nothing changed", summary, as_json=as_json)
        return
    parts = []
    if summary["videos_unlinked"]:
        parts.append(f"unlinked {summary['videos_unlinked']} video(s) that cover other papers too")
    parts += [f"deleted {output.video_line(v)}" for v in summary["videos_deleted"]]
    detail = f": {'; '.join(parts)}" if parts else ""
    output.written(f"'{summary['key']}' is no longer recorded{detail}", summary, as_json=as_json)


# ---------------------------------------------------------------------------- papers


TitleArg = Annotated[
    str | None, typer.Argument(help="The paper's title (with --fetch: S2's title by default).", show_default=False)
]
AddCategoryOpt = Annotated[
    str | None,
    typer.Option(
        "--category",
        "-c",
        help="Its category: a slug such as vision/cnn, or its name (asked with --fetch).",
        autocompletion=complete_category,
        show_default=False,
    ),
]
FetchOpt = Annotated[
    str | None,
    typer.Option(
        "--fetch",
        help="Fill it from Semantic Scholar: ARXIV:1706.03762, DOI:..., an S2 id or a title.",
        show_default=False,
    ),
]


def add(
    ctx: typer.Context,
    title: TitleArg = None,
    category: AddCategoryOpt = None,
    fetch: FetchOpt = None,
    key: KeyOpt = None,
    year: YearOpt = None,
    url: PaperUrlOpt = None,
    s2_id: S2Opt = None,
    arxiv: ArxivOpt = None,
    doi: DoiOpt = None,
    description: DescriptionOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a paper to the catalog, at the end of its category.

    With --fetch, its title, year, ids, authors, venue and citation count come from
    Semantic Scholar (the values you give win).
    """
    from paperread import store
    from paperread.engine import session_reader

    record = None
    if fetch is None and title is None:
        usage_error("add needs a TITLE (or --fetch ARXIV:..., DOI:..., an S2 id or a title)")
    if fetch is not None:
        from paperread import sync

        record = sync.fetch_paper(fetch)  # before the transaction: no network inside it
        for reason in record.dropped:
            output.message(f"warning: not stored from Semantic Scholar: {reason}")
        fetched = sync.new_paper_fields(record)
        title = title or record.title or usage_error("Semantic Scholar has no title for it: give a TITLE")
        year, url, s2_id = year or fetched["year"], url or fetched["url"], s2_id or fetched["s2_id"]
        arxiv, doi = arxiv or fetched["arxiv"], doi or fetched["doi"]
        category = category or _ask_category(ctx, title)
    if category is None:
        usage_error("Missing option '--category' (add --fetch asks for it on a terminal)")
    assert title is not None  # given, or taken from Semantic Scholar above
    with writer(ctx) as session:
        paper = store.add_paper(
            session,
            title,
            category=category,
            key=key,
            year=year,
            url=url,
            s2_id=s2_id,
            arxiv=arxiv,
            doi=doi,
            description=description,
        )
        if record is not None:
            sync.fill_new_paper(session, paper, record)
        data = queries.paper_detail(session_reader(session), store.row_id(paper), user=state(ctx).user)
    output.written(f"added '{data['key']}' ({data['title']}) to {data['category']}", data, as_json=as_json)


def _ask_category(ctx: typer.Context, title: str) -> str:
    """add --fetch without --category: ask on a terminal, else a usage error."""
    if not output.stdin_is_terminal():
        usage_error("add --fetch needs --category when input is not a terminal")
    with reader(ctx) as r:
        slugs = [c["slug"] for c in queries.categories(r)]
    answer = output.ask(f"Category for '{title}' ({', '.join(slugs)})")
    if not answer or not answer.strip():
        raise PaperreadError(f"'{title}' was not added: no category given")
    return answer.strip()


def edit(
    ctx: typer.Context,
    paper: PaperArg,
    title: EditTitleOpt = None,
    key: Annotated[str | None, typer.Option("--key", "-k", help="A new key.", show_default=False)] = None,
    year: YearOpt = None,
    url: PaperUrlOpt = None,
    description: DescriptionOpt = None,
    category: EditCategoryOpt = None,
    s2_id: S2Opt = None,
    arxiv: ArxivOpt = None,
    doi: DoiOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change a paper's fields. An empty value ("") clears an optional field."""
    from paperread import store
    from paperread.engine import session_reader

    if all(v is None for v in (title, key, year, url, description, category, s2_id, arxiv, doi)):
        usage_error(
            "edit needs at least one of --title, --key, --year, --url, --description, --category, "
            "--s2-id, --arxiv, --doi"
        )
    with writer(ctx) as session:
        row, changed = store.edit_paper(
            session,
            paper,
            title=title,
            key=key,
            year=year,
            url=url,
            description=description,
            category=category,
            s2_id=s2_id,
            arxiv=arxiv,
            doi=doi,
        )
        data = queries.paper_detail(session_reader(session), store.row_id(row), user=state(ctx).user)
    if changed:
        output.written(f"changed '{data['key']}': {', '.join(changed)}", data, as_json=as_json)
    else:
        output.written(f"'{data['key']}' already has those values; nothing changed", data, as_json=as_json)


def remove(
    ctx: typer.Context,
    paper: PaperArg,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Remove a paper, its videos that cover nothing else, and everyone's notes on it.

    Asks first on a terminal; elsewhere it needs --yes.
    """
    from paperread import store

    with reader(ctx) as r:
        found = queries.resolve_paper(r, paper)
        detail = queries.paper_detail(r, found["id"], user=state(ctx).user)
    key = detail["key"]
    if not yes:
        if not output.stdin_is_terminal():
            raise InputError(
                f"not removing '{key}' without confirmation: input is not a terminal",
                hint="pass --yes to remove it",
            )
        videos = len(detail["videos"])
        also = f" and unlink its {videos} video(s)" if videos else ""
        answer = output.confirm(f"Remove paper '{key}' ({detail['title']}){also}?")
        if answer is None:
            raise PaperreadError(f"removal of '{key}' cancelled; nothing was removed")
        if not answer:
            raise PaperreadError(f"'{key}' was not removed (the answer was no)")
    with writer(ctx) as session:
        summary = store.remove_paper(session, key, expected_version=detail["version"])
    deleted = "".join(f"; deleted {output.video_line(v)}" for v in summary["videos_deleted"])
    output.written(f"removed '{summary['key']}' ({summary['title']}){deleted}")


# ---------------------------------------------------------------------------- video group

video_app = typer.Typer(help="Record, change, remove and list videos.", no_args_is_help=True)


@video_app.command(
    "add",
    epilog=examples(
        "paperread video add --title 'How to read a paper' --date 2021-10-06 --duration 6:39",
    ),
)
def video_add(
    ctx: typer.Context,
    title: TitleOpt,
    date: DateOpt = None,
    duration: DurationOpt = None,
    bilibili: BilibiliOpt = None,
    youtube: YoutubeOpt = None,
    zhihu: ZhihuOpt = None,
    url: VideoUrlOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record a video that covers no paper (a talk); 'mark-recorded' records one that does."""
    from paperread import store

    with writer(ctx) as session:
        video = store.add_video(
            session,
            (),
            title=title,
            date=date,
            duration=duration,
            bilibili=bilibili,
            youtube=youtube,
            zhihu=zhihu,
            url=url,
        )
        data = _video_json(session, video.id)
    output.written(f"added {output.video_line(data)}", data, as_json=as_json)


@video_app.command(
    "edit",
    epilog=examples(
        "paperread video edit 4 --duration 12:01",
        "paperread video edit BV1Fb4y1h73E --add-paper vgg --title 'ResNet and VGG'",
    ),
)
def video_edit(
    ctx: typer.Context,
    video: VideoArg,
    title: EditTitleOpt = None,
    date: Annotated[str | None, typer.Option("--date", help="YYYY-MM-DD or M/D/YY.", show_default=False)] = None,
    duration: DurationOpt = None,
    bilibili: BilibiliOpt = None,
    youtube: YoutubeOpt = None,
    zhihu: ZhihuOpt = None,
    url: VideoUrlOpt = None,
    add_paper: Annotated[
        list[str] | None,
        typer.Option("--add-paper", help="A paper it covers too (repeatable).", autocompletion=complete_paper),
    ] = None,
    remove_paper: Annotated[
        list[str] | None,
        typer.Option("--remove-paper", help="A paper it does not cover (repeatable).", autocompletion=complete_paper),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Change a video's fields or the papers it covers. An empty value ("") clears a link or the time."""
    from paperread import store

    if (
        all(v is None for v in (title, date, duration, bilibili, youtube, zhihu, url))
        and not add_paper
        and not remove_paper
    ):
        usage_error(
            "video edit needs at least one of --title, --date, --duration, --bilibili, --youtube, "
            "--zhihu, --url, --add-paper, --remove-paper"
        )
    with writer(ctx) as session:
        row, changed = store.edit_video(
            session,
            video,
            title=title,
            date=date,
            duration=duration,
            bilibili=bilibili,
            youtube=youtube,
            zhihu=zhihu,
            url=url,
            add_papers=add_paper or (),
            remove_papers=remove_paper or (),
        )
        data = _video_json(session, row.id)
    if changed:
        output.written(f"changed {output.video_line(data)}: {', '.join(changed)}", data, as_json=as_json)
    else:
        output.written(f"{output.video_line(data)} already has those values; nothing changed", data, as_json=as_json)


@video_app.command("remove", epilog=examples("paperread video remove 4", "paperread video remove BV1Fb4y1h73E"))
def video_remove(ctx: typer.Context, video: VideoArg) -> None:
    """Remove one video; the papers it covered stay in the catalog."""
    from paperread import store

    with writer(ctx) as session:
        summary = store.remove_video(session, video)
    kept = f"; kept its papers {', '.join(summary['papers'])}" if summary["papers"] else ""
    output.written(f"removed video {summary['id']} '{summary['title']}' ({summary['date']}){kept}")


video_app.command("list", epilog=examples("paperread video list", "paperread video list -c vision --json"))(
    catalog.videos
)


# ---------------------------------------------------------------------------- category group

category_app = typer.Typer(help="Add, rename, remove and list categories.", no_args_is_help=True)


@category_app.command(
    "add",
    epilog=examples(
        "paperread category add rl --name 'Reinforcement learning'",
        "paperread category add asr --name 'Speech recognition' --parent applications",
    ),
)
def category_add(
    ctx: typer.Context,
    slug: Annotated[
        str,
        typer.Argument(
            help="Its slug: lowercase words, e.g. cnn or vision/cnn, not another category's name.", show_default=False
        ),
    ],
    name: Annotated[
        str, typer.Option("--name", help=f"Its name as the README shows it: {_NAME_RULE}.", show_default=False)
    ],
    parent: Annotated[
        str | None,
        typer.Option(
            "--parent",
            help="Put it under this group, or a category holding no papers: the slug becomes PARENT/SLUG.",
            autocompletion=complete_category,
            show_default=False,
        ),
    ] = None,
) -> None:
    """Add a category (at the end of the list).

    A category is named by its slug or its name, so neither may name another category or
    group; a category holding papers gets no sub-categories, and a parent holds no papers.
    """
    from paperread import store

    with writer(ctx) as session:
        cat = store.add_category(session, slug, name=name, parent=parent)
        created = (cat.slug, cat.name)
    output.written(f"added category '{created[0]}' ({created[1]})")


@category_app.command("list", epilog=examples("paperread category list", "paperread category list --json"))
def category_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Categories with how many papers each has and how many are recorded."""
    with reader(ctx) as r:
        rows = queries.stats(r, user=state(ctx).user)["categories"]
    output.categories(rows, as_json=as_json)


@category_app.command(
    "rename",
    epilog=examples(
        "paperread category rename gnn --name 'Graph neural networks'",
        "paperread category rename nlp --slug language  # nlp/* move along",
    ),
)
def category_rename(
    ctx: typer.Context,
    slug: Annotated[
        str,
        typer.Argument(
            help="A category, its slug (vision/cnn) or its name; or a group (vision) for --slug.",
            autocompletion=complete_category,
            show_default=False,
        ),
    ],
    name: Annotated[str | None, typer.Option("--name", help=f"A new name: {_NAME_RULE}.", show_default=False)] = None,
    new_slug: Annotated[
        str | None,
        typer.Option(
            "--slug",
            help="A new slug, not another category's name nor under a category holding papers; "
            "the categories under it move along.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Rename a category: its name, its slug, or both (the rules of 'category add' hold)."""
    from paperread import store

    if name is None and new_slug is None:
        usage_error("category rename needs --name, --slug or both")
    with writer(ctx) as session:
        moved = store.rename_category(session, slug, name=name, new_slug=new_slug)
    parts = [f"'{old}' is now '{new}'" for old, new in moved]
    if name is not None:
        parts.append(f"named '{name.strip()}'")
    output.written("; ".join(parts) if parts else f"'{slug}' already has that slug; nothing changed")


@category_app.command(
    "remove",
    epilog=examples(
        "paperread category remove optimization --move-to applications",
    ),
)
def category_remove(
    ctx: typer.Context,
    slug: SlugArg,
    move_to: Annotated[
        str | None,
        typer.Option(
            "--move-to",
            help="Move its papers to this category first.",
            autocompletion=complete_category,
            show_default=False,
        ),
    ] = None,
) -> None:
    """Remove a category; one that still holds papers needs --move-to."""
    from paperread import store

    with writer(ctx) as session:
        summary = store.remove_category(session, slug, move_to=move_to)
    moved = f"; moved {summary['moved']} paper(s) to '{summary['to']}'" if summary["moved"] else ""
    output.written(f"removed category '{summary['slug']}' ({summary['name']}){moved}")


def register(app: typer.Typer) -> None:
    app.command(
        "mark-recorded",
        epilog=examples(
            "paperread mark-recorded vgg --title 'VGG paper reading' --bilibili BV1xx411c7mD --duration 58:12",
            "paperread mark-recorded r-cnn fast-r-cnn faster-r-cnn --title 'The R-CNN family' --date 2024-05-01",
        ),
    )(mark_recorded)
    app.command(epilog=examples("paperread unmark resnet  # its videos covering nothing else go too"))(unmark)
    app.command(
        "add",
        epilog=examples(
            "paperread add 'GPT-4 Technical Report' -c nlp/transformer --year 2023 --arxiv 2303.08774",
            "paperread add --fetch arXiv:1706.03762 -c nlp/transformer  # fields from Semantic Scholar",
        ),
    )(add)
    app.command(
        epilog=examples(
            "paperread edit vgg --year 2015 --url https://arxiv.org/abs/1409.1556",
            "paperread edit vgg --description ''  # an empty value clears the field",
        )
    )(edit)
    app.command(epilog=examples("paperread remove vgg  # asks first on a terminal", "paperread remove vgg --yes"))(
        remove
    )
    app.add_typer(video_app, name="video")
    app.add_typer(category_app, name="category")
