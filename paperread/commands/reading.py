"""The reader's own state, per user: read, unread, reading, watched, note, open.

(Named ``reading`` rather than ``reader``: a submodule ``commands.reader`` would replace
the ``commands.reader`` context manager as an attribute of the package once imported.)

Whose state is ``state(ctx).user`` ($PAPERREAD_USER, else the login name). Writes go
through ``paperread.store`` (imported inside the command); ``open`` is a read.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from paperread import output, queries
from paperread.commands import (
    PaperArg,
    VideoArg,
    check_paper,
    check_video,
    checked,
    complete_paper,
    complete_video,
    examples,
    not_blank,
    read_input,
    reader,
    state,
    usage_error,
    writer,
)
from paperread.errors import ConflictError, InputError, NotFoundError, PaperreadError

ReadDateOpt = Annotated[
    str | None,
    typer.Option(
        "--date",
        help="The day you read it: YYYY-MM-DD or M/D/YY. Default: now.",
        show_default=False,
        callback=checked("parse_date"),
    ),
]


def _status(ctx: typer.Context, paper: str, status: str | None, date: str | None = None) -> dict:
    from paperread import reader_state

    user = state(ctx).user  # a bad PAPERREAD_USER is refused before a database is opened (or made)
    with writer(ctx) as session:
        return reader_state.set_status(session, paper, user=user, status=status, date=date)


def read(ctx: typer.Context, paper: PaperArg, date: ReadDateOpt = None) -> None:
    """Mark a paper as read (by you)."""
    s = _status(ctx, paper, "read", date)
    again = s["before"] == "read" and date is None
    output.message(f"'{s['key']}' was already read" if again else f"'{s['key']}' is read")


def reading(ctx: typer.Context, paper: PaperArg) -> None:
    """Mark a paper as being read now (by you)."""
    s = _status(ctx, paper, "reading")
    output.message(
        f"'{s['key']}' was already being read" if s["before"] == "reading" else f"'{s['key']}' is being read"
    )


def unread(ctx: typer.Context, paper: PaperArg) -> None:
    """Mark a paper as not read (your note on it stays)."""
    s = _status(ctx, paper, None)
    output.message(f"'{s['key']}' was not read" if s["before"] is None else f"'{s['key']}' is unread")


def watched(
    ctx: typer.Context,
    video: VideoArg,
    undo: Annotated[bool, typer.Option("--undo", help="Mark it not watched.")] = False,
) -> None:
    """Mark a video as watched (by you); stats shows the video time you have left."""
    from paperread import reader_state

    user = state(ctx).user
    with writer(ctx) as session:
        s = reader_state.set_watched(session, video, user=user, watched=not undo)
    what = f"video {s['id']} '{s['title']}'"
    if undo:
        output.message(f"{what} is not watched" if s["changed"] else f"{what} was not watched")
    else:
        output.message(f"{what} is watched" if s["changed"] else f"{what} was already watched")


def note(
    ctx: typer.Context,
    paper: Annotated[
        str | None,
        typer.Argument(
            help="A paper: its key, Semantic Scholar id, arXiv id, DOI, or a title fragment matching one paper.",
            autocompletion=complete_paper,
            callback=check_paper,
            show_default=False,
        ),
    ] = None,
    video: Annotated[
        str | None,
        typer.Option(
            "--video",
            help="Write your note on this video instead (the id 'paperread videos' shows, or its bilibili BV id).",
            metavar="VIDEO",
            autocompletion=complete_video,
            callback=check_video,
            show_default=False,
        ),
    ] = None,
    text: Annotated[
        str | None, typer.Option("--text", help='Replace the note with this text ("" clears it).', show_default=False)
    ] = None,
    append: Annotated[
        str | None, typer.Option("--append", help="Add this text at the end of the note.", show_default=False)
    ] = None,
    file: Annotated[
        str | None,
        typer.Option(
            "--file",
            help="Replace the note with the text of FILE ('-' reads standard input; an empty file clears it).",
            metavar="FILE",
            show_default=False,
            callback=not_blank("note file name", "a file holding the note, or '-' for standard input"),
        ),
    ] = None,
) -> None:
    """Write your Markdown note on a paper (or, with --video, on a video): in $VISUAL or $EDITOR,
    or with --text/--append/--file.

    'paperread show' renders it (a paper shows the notes on the videos covering it too), and
    'search' finds words in it. When saving an edited note fails (the note changed meanwhile,
    say), what you wrote is kept in a file that the error names; 'paperread note PAPER --file
    FILE' (or 'note --video VIDEO --file FILE') saves it.
    """
    from paperread import reader_state

    if paper is None and video is None:
        usage_error("name a paper, or a video with --video")
    if paper is not None and video is not None:
        usage_error("a paper and --video do not go together: a note is on one of them")
    given = [name for name, value in (("--text", text), ("--append", append), ("--file", file)) if value is not None]
    if len(given) > 1:
        usage_error(f"{' and '.join(given)} do not go together")
    if file is not None:
        text = _read_note_file(file)
    user = state(ctx).user
    if video is not None:
        _video_note(ctx, video, user=user, text=text, append=append)
        return
    assert paper is not None
    if text is not None or append is not None:
        with writer(ctx) as session:
            key, changed = reader_state.set_note(
                session, paper, user=user, text=append if append is not None else text, append=append is not None
            )
        _noted(f"'{key}'", changed, cleared=text is not None and not text.strip())
        return
    with reader(ctx) as r:
        found = queries.resolve_paper(r, paper)
        before = queries.paper_detail(r, found["id"], user=user)["note"]
    key = found["key"]
    with edited_text(before or "", name=key, paperread=_paperread_command(ctx)) as after:
        if after == (before or "") or after.rstrip("\n") == (before or "").rstrip("\n"):
            output.message(f"your note on '{key}' is unchanged; nothing written")
            return
        with writer(ctx) as session:
            # By key: were the paper removed or renamed meanwhile, the key could now name
            # another paper as a title fragment ('vit' -> 'groupvit').
            if reader_state.note_of(session, key, user=user)[0] != key:
                raise _PaperGone(
                    f"paper '{key}' was removed or renamed while its note was being edited; nothing was written"
                )
            _, changed = reader_state.set_note(session, key, user=user, text=after, expected=before)
    _noted(f"'{key}'", changed, cleared=not after.strip())


def _video_note(ctx: typer.Context, video: str, *, user: str, text: str | None, append: str | None) -> None:
    """``note --video``: the same ways in as a paper's note, on a video."""
    from paperread import notes

    if text is not None or append is not None:
        with writer(ctx) as session:
            found, changed = notes.set_video_note(
                session, video, user=user, text=append if append is not None else text, append=append is not None
            )
        _noted(_video_name(found), changed, cleared=text is not None and not text.strip())
        return
    with reader(ctx) as r:
        found = queries.resolve_video(r, video)
        before = queries.video_note(r, found["id"], user=user)
    video_id = str(found["id"])
    shown = _video_name(found)
    with edited_text(
        before or "", name=f"video-{video_id}", paperread=_paperread_command(ctx), retry=f"note --video {video_id}"
    ) as after:
        if after == (before or "") or after.rstrip("\n") == (before or "").rstrip("\n"):
            output.message(f"your note on {shown} is unchanged; nothing written")
            return
        with writer(ctx) as session:
            _, changed = notes.set_video_note(session, video_id, user=user, text=after, expected=before)
    _noted(shown, changed, cleared=not after.strip())


def _video_name(v: dict) -> str:
    return f"video {v['id']} '{v['title']}'"


class _PaperGone(NotFoundError):
    """The paper being noted is no longer under its key: its kept note names no paper to save on."""


def _read_note_file(file: str) -> str:
    """The text of ``note --file``: a UTF-8 file, or standard input for '-'."""
    data = read_input(file, "note file", "give the file holding the note, or '-' for standard input")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        shown = "standard input" if file == "-" else f"note file '{file}'"
        raise InputError(f"{shown} is not UTF-8 text; your note was left as it was") from None


def _paperread_command(ctx: typer.Context) -> str:
    """'paperread', with the --db given (a password masked) for commands the user is told to run."""
    import shlex

    if state(ctx).db is None:
        return "paperread"
    target = state(ctx).target
    db = str(target.sqlite_path) if target.sqlite_path is not None else target.display
    return shlex.join(["paperread", "--db", db])


def _noted(what: str, changed: bool, *, cleared: bool) -> None:
    if not changed:
        output.message(f"your note on {what} is unchanged; nothing written")
    elif cleared:
        output.message(f"cleared your note on {what}")
    else:
        output.message(f"saved your note on {what}")


def editor_command() -> str:
    """$VISUAL, then $EDITOR, then vi (notepad on Windows)."""
    return os.environ.get("VISUAL") or os.environ.get("EDITOR") or ("notepad" if os.name == "nt" else "vi")


@contextmanager
def edited_text(text: str, *, name: str, paperread: str = "paperread", retry: str | None = None) -> Iterator[str]:
    """Let the user edit ``text`` in their editor, in a temporary Markdown file ``NAME.md``;
    the block gets what they saved.

    The editor command may carry arguments ("code --wait"). An editor that cannot be
    started or exits non-zero raises a PaperreadError: nothing is to be written then.
    The file is deleted when the block is done. When anything fails once the editor has run
    (it exits non-zero, the note changed meanwhile, the write fails) and the file holds
    something other than ``text``, the file is kept instead, and the error's hint names it
    and the command that saves it (``paperread`` is how to call paperread, with its --db;
    ``retry`` the command saving it, without --file, when not ``note NAME``): what the user
    typed is never lost.
    """
    import shlex
    import shutil
    import subprocess
    import tempfile

    command = editor_command()
    try:
        argv = shlex.split(command, posix=os.name != "nt")
    except ValueError as exc:
        raise InputError(
            f"editor command '{command}' cannot be parsed ({exc})", hint="check VISUAL and EDITOR"
        ) from None
    if not argv:
        raise InputError("editor command '' is empty", hint="set VISUAL or EDITOR to your editor, e.g. 'nano'")
    folder = Path(tempfile.mkdtemp(prefix="paperread-"))
    path = folder / f"{name}.md"
    try:
        path.write_text(text, encoding="utf-8")
        try:
            result = subprocess.run([*argv, str(path)], check=False)
        except OSError as exc:
            raise InputError(
                f"editor '{argv[0]}' could not be started ({exc.strerror or exc})",
                hint="set VISUAL or EDITOR to your editor, e.g. 'nano' or 'code --wait'",
            ) from None
        if result.returncode != 0:
            raise PaperreadError(
                f"editor '{command}' exited with status {result.returncode}; your note was left as it was"
            )
        try:
            edited = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise InputError("the edited note is not UTF-8 text; your note was left as it was") from None
        yield edited
    except BaseException as exc:
        if _holds_other_text(path, text):
            _tell_kept(exc, path, name=name, paperread=paperread, retry=retry)
        else:
            shutil.rmtree(folder, ignore_errors=True)
        raise
    shutil.rmtree(folder, ignore_errors=True)


def _holds_other_text(path: Path, text: str) -> bool:
    try:
        return path.read_bytes() != text.encode("utf-8")
    except OSError:  # the editor removed or renamed it: nothing to keep
        return False


def _tell_kept(exc: BaseException, path: Path, *, name: str, paperread: str, retry: str | None = None) -> None:
    """Name the kept file in the error's hint (or, for an unexpected error, on a line of its own)."""
    import shlex

    kept = f"what you wrote is kept in {path}"
    retry = f"{paperread} {retry or f'note {name}'} --file {shlex.quote(str(path))}"
    if isinstance(exc, _PaperGone):
        exc.hint = f"{kept}; to save it on a paper: '{paperread} note KEY --file {shlex.quote(str(path))}'"
    elif isinstance(exc, ConflictError):
        exc.hint = f"{kept}; see the note as it is now with '{paperread} show {name}', then save yours with '{retry}'"
        if name.startswith("video-"):
            exc.hint = f"{kept}; save yours with '{retry}'"
    elif isinstance(exc, PaperreadError):
        exc.hint = "; ".join(part for part in (kept, exc.hint, f"to save it: '{retry}'") if part)
    else:
        output.message(f"{kept}; to save it: '{retry}'")


def open_link(
    ctx: typer.Context,
    paper: PaperArg,
    video: Annotated[bool, typer.Option("--video", help="Open the newest video covering it instead.")] = False,
) -> None:
    """Open a paper's link (or, with --video, its newest video) in your web browser.

    The paper's own link, else its arXiv, DOI or Semantic Scholar page. The link is
    also printed on stdout.
    """
    from paperread.values import bilibili_url, youtube_url, zhihu_url

    user = state(ctx).user
    with reader(ctx) as r:
        found = queries.resolve_paper(r, paper)
        detail = queries.paper_detail(r, found["id"], user=user)
    key = detail["key"]
    if video:
        if not detail["videos"]:
            raise NotFoundError(f"paper '{key}' has no video", hint=f"'paperread open {key}' opens the paper itself")
        newest = max(detail["videos"], key=lambda v: (v["date"], v["id"]))
        url = (
            bilibili_url(newest["bilibili"])
            if newest["bilibili"]
            else youtube_url(newest["youtube"])
            if newest["youtube"]
            else zhihu_url(newest["zhihu"])
            if newest["zhihu"]
            else None
        )
        if url is None:
            raise NotFoundError(f"video {newest['id']} '{newest['title']}' has no bilibili, YouTube or zhihu link")
    else:
        url = (
            detail["url"]
            or (f"https://arxiv.org/abs/{detail['arxiv_id']}" if detail["arxiv_id"] else None)
            or (f"https://doi.org/{detail['doi']}" if detail["doi"] else None)
            or (f"https://www.semanticscholar.org/paper/{detail['s2_id']}" if detail["s2_id"] else None)
        )
        if url is None:
            raise NotFoundError(
                f"paper '{key}' has no link (no URL, arXiv id, DOI or Semantic Scholar id)",
                hint=f"add one with 'paperread edit {key} --url URL'",
            )
    output.link(url)
    import webbrowser

    if not webbrowser.open(url):
        raise PaperreadError(f"no web browser could open {url}", hint="set BROWSER, or open the link yourself")


def register(app: typer.Typer) -> None:
    app.command(epilog=examples("paperread read resnet", "paperread read vit --date 2024-01-02"))(read)
    app.command(epilog=examples("paperread unread resnet"))(unread)
    app.command(epilog=examples("paperread reading vit"))(reading)
    app.command(epilog=examples("paperread watched 12", "paperread watched BV1Fb4y1h73E --undo"))(watched)
    app.command(
        epilog=examples(
            "paperread note resnet  # in your editor",
            "paperread note resnet --append '- compare with DenseNet'",
            "paperread note --video 4 --text 'watch the part on the bottleneck'",
        )
    )(note)
    app.command("open", epilog=examples("paperread open resnet", "paperread open alexnet --video"))(open_link)
