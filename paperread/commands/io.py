"""Moving the catalog in and out: ``import FILE`` and ``export FORMAT``.

Formats: the paper-reading README (markdown), the lossless catalog document (json), csv and
bibtex (``paperread.formats``). An import reads the whole file first (a file that is not the
format at all is refused before the database is opened), then upserts it in one transaction
(``paperread.exchange``: a plan, then exactly that plan written). An export is a read: on SQLite it runs on the
light road, and ``--output`` replaces FILE atomically.

This module is imported on every run: the format code is imported inside the commands.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

import typer

from paperread import output
from paperread.commands import examples, not_blank, read_input, reader, state, usage_error, writer


class Format(str, Enum):
    markdown = "markdown"
    json = "json"
    csv = "csv"
    bibtex = "bibtex"
    journal = "journal"


class Order(str, Enum):
    date = "date"
    watched = "watched"


def import_file(
    ctx: typer.Context,
    file: Annotated[
        str,
        typer.Argument(
            help="The file to import ('-' reads standard input): a paper-reading README (.md), a catalog "
            "document (.json, as 'export json' writes), .csv, .bib, or your notes (--format journal).",
            metavar="FILE",
            show_default=False,
            callback=not_blank("file name", "a file to import, or '-' for standard input"),
        ),
    ],
    fmt: Annotated[
        Format | None,
        typer.Option(
            "--format",
            "-f",
            help="The file's format: markdown, json, csv, bibtex or journal (your notes: a journal 'export journal' "
            "wrote, or a notes file of your own). Default: from its extension, else its content.",
            metavar="FORMAT",
            show_default=False,
        ),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would change; write nothing.")] = False,
    prune: Annotated[
        bool,
        typer.Option(
            "--prune",
            help="Remove papers, videos and categories that are not in the file (not papers someone has "
            "notes or reading state on, nor watched videos). Refused when some row of the file cannot be read.",
        ),
    ] = False,
    strict: Annotated[
        bool, typer.Option("--strict", help="Import nothing when some row of the file cannot be read.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON on standard output.")] = False,
    unmatched: Annotated[
        str | None,
        typer.Option(
            "--unmatched",
            help="journal: write the sections that match no video to FILE, to edit and import again.",
            metavar="FILE",
            show_default=False,
        ),
    ] = None,
    quiet: Annotated[
        bool,
        typer.Option("--quiet", "-q", help="Print nothing but errors: no progress, no report (--json still prints)."),
    ] = False,
) -> None:
    """Import a catalog file: add what is new, update what changed, keep everything else.

    Papers are matched by Semantic Scholar id, else link, arXiv id or DOI, else key; videos by
    bilibili id, else date and title. Importing the same file twice changes nothing. Fields the
    file does not carry (a README has no authors, citations or notes) are left as they are; a
    JSON export restores the reading state and notes it holds, but never over newer ones. Papers
    that are in the catalog but not in the file are kept (and listed) unless --prune.

    --format journal reads your notes into your notes on videos (and papers): a journal
    'export journal' wrote (known by its first line, read back exactly), or a notes file of
    your own, where a line naming a video (its title, with or without its running time) starts
    the note on it. Each section's text is appended to your note unless it is already there;
    sections that match no video are listed with their lines (--unmatched FILE keeps them), and
    --dry-run shows each section's match and why.
    """
    from paperread.errors import InputError

    if unmatched is not None and not unmatched.strip():
        usage_error(f"--unmatched file name {unmatched!r} is empty")
    if fmt is not Format.journal and unmatched is not None and fmt is not None:
        usage_error("--unmatched goes with --format journal")
    source, name = ("standard input", None) if file == "-" else (file, file)
    if fmt is Format.journal:
        if prune:
            usage_error("--prune does not go with --format journal: a journal holds notes, not the catalog")
        text = _read_text(file, source)
        _import_journal(
            ctx, text, source, dry_run=dry_run, strict=strict, as_json=as_json, unmatched=unmatched, quiet=quiet
        )
        return
    data = read_input(file, "file", "give the file to import, or '-' for standard input")
    from paperread import reimport

    key = reimport.file_key(data, fmt=fmt.value if fmt else None, name=name, prune=prune, strict=strict)
    known = reimport.known(state(ctx).target, key) if unmatched is None else None
    if known is not None:  # the catalog is as importing these bytes left it: the report, the file unread
        output.import_report(known[1], dry_run=dry_run, source=source, fmt=known[0], as_json=as_json, quiet=quiet)
        return
    from paperread import formats
    from paperread.exchange.run import import_parsed, paused_gc

    # Progress (a terminal only): "read" here, then the exchange layer's phases.
    with paused_gc(), output.import_progress(source, quiet=quiet) as phase:  # a big file makes millions of objects
        phase("read")
        text = formats.decode(data, source)
        del data  # (a big file: its bytes, its text and its rows need not all be held at once)
        chosen = fmt.value if fmt is not None else _detect(name, text)
        if chosen != "journal":
            if unmatched is not None:
                usage_error("--unmatched goes with --format journal")
            parsed = formats.parse(text, chosen, source=source)
            del text
            if strict and parsed.problems:
                for problem in parsed.problems:
                    output.message(f"warning: {problem.text()}")
                raise InputError(
                    f"{len(parsed.problems)} row(s) of {source} could not be read; nothing was imported (--strict)"
                )
            with writer(ctx) as session:
                conn = session.connection()
                plan = import_parsed(conn, parsed, dry_run=dry_run, prune=prune, phase=phase)
                if not dry_run:  # in its transaction: what importing the file again would say
                    again = reimport.after_import(plan, parsed.doc, len(parsed.problems))
                    reimport.remember(conn, key, chosen, again)
    if chosen == "journal":  # known by its content: the journal's own road (no progress)
        if prune:
            usage_error("--prune does not go with --format journal: a journal holds notes, not the catalog")
        with paused_gc():
            _import_journal(
                ctx, text, source, dry_run=dry_run, strict=strict, as_json=as_json, unmatched=unmatched, quiet=quiet
            )
        return
    output.import_report(plan, dry_run=dry_run, source=source, fmt=chosen, as_json=as_json, quiet=quiet)


def _read_text(file: str, source: str) -> str:
    """The UTF-8 text of ``file`` ('-': standard input), decoded a megabyte at a time: the
    whole file is never held as bytes and text at once (a 50 MB notes file peaks at twice its
    text, not at its bytes and four times its characters)."""
    import codecs
    import os
    import sys

    from paperread.errors import InputError

    hint = "give the file to import, or '-' for standard input"
    if not file.strip():
        raise InputError(f"file name {file!r} is empty", hint=hint)
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    parts: list[str] = []
    offset = 0
    try:
        fh = sys.stdin.buffer if file == "-" else open(os.path.expanduser(file), "rb")  # noqa: SIM115
    except FileNotFoundError:
        raise InputError(f"file '{file}' does not exist") from None
    except IsADirectoryError:
        raise InputError(f"file '{file}' is a folder, not a file") from None
    except OSError as exc:
        raise InputError(f"cannot read the file '{file}': {exc.strerror or exc}") from None
    try:
        while True:
            try:
                chunk = fh.read(1 << 20)
            except IsADirectoryError:
                raise InputError(f"file '{file}' is a folder, not a file") from None
            except OSError as exc:
                raise InputError(f"cannot read the file '{file}': {exc.strerror or exc}") from None
            try:
                parts.append(decoder.decode(chunk, final=not chunk))
            except UnicodeDecodeError as error:
                at = offset + max(error.start, 0)
                raise InputError(
                    f"{source} is not UTF-8 text (byte {at}: {error.object[error.start : error.start + 1]!r})",
                    hint="save it as UTF-8",
                ) from None
            if not chunk:
                break
            offset += len(chunk)
    finally:
        if fh is not sys.stdin.buffer:
            fh.close()
    return "".join(parts)


def _detect(name: str | None, text: str) -> str:
    from paperread import formats, journal

    return "journal" if journal.is_journal(text) else formats.detect_format(name, text)


def _import_journal(
    ctx: typer.Context,
    text: str,
    source: str,
    *,
    dry_run: bool,
    strict: bool,
    as_json: bool,
    unmatched: str | None,
    quiet: bool = False,
) -> None:
    """``import --format journal``: the notes of a journal or a notes file, planned, then written."""
    from paperread import journal_report
    from paperread.errors import InputError
    from paperread.gate import text_flaw_line
    from paperread.journal import JournalSyntaxError, is_journal
    from paperread.journal_plan import plan_import, unmatched_text, write_plan

    if not text.strip():
        raise InputError(f"{source} is empty: nothing to import", hint="give a notes file or a journal")
    bad = text_flaw_line(text)
    if bad is not None:
        raise InputError(
            f"{source} line {bad[0]} holds {bad[1]}: control characters are not accepted in notes; nothing was imported"
        )
    user = state(ctx).user
    with writer(ctx) as session:
        try:
            plan = plan_import(session, text, user=user)
        except JournalSyntaxError as exc:
            raise InputError(f"{source}, {exc}; nothing was imported") from None
        if unmatched is not None:
            _write_text(unmatched, unmatched_text(plan))
        if not plan.matched and not is_journal(text):
            raise InputError(
                f"no line of {source} names a video of the catalog; nothing was imported",
                hint="a section starts at a line holding a video's title (a running time alone names none); "
                "see 'paperread videos'",
            )
        if strict and plan.unmatched:
            raise InputError(
                f"{len(plan.unmatched)} section(s) of {source} match no video; nothing was imported (--strict)",
                hint="see them with --dry-run",
            )
        if not dry_run:
            write_plan(session, plan, user=user)
    journal_report.journal_report(plan, dry_run=dry_run, source=source, as_json=as_json, quiet=quiet)


def _write_text(path: str, text: str) -> None:
    import os

    from paperread.errors import InputError

    try:
        with open(os.path.expanduser(path), "w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        raise InputError(f"cannot write the unmatched sections to '{path}': {exc.strerror or exc}") from None


def export(
    ctx: typer.Context,
    fmt: Annotated[
        Format,
        typer.Argument(
            help="markdown (the README), json (lossless), csv, bibtex, or journal (your notes, as Markdown).",
            metavar="FORMAT",
            show_default=False,
        ),
    ],
    out: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            help="Write to FILE (replaced atomically) instead of standard output.",
            metavar="FILE",
            show_default=False,
            callback=not_blank("output path", "a file name, e.g. catalog.json, or leave --output out"),
        ),
    ] = None,
    order: Annotated[
        Order,
        typer.Option("--order", help="journal: the videos by date, or in the order you watched them (the rest after)."),
    ] = Order.date,
) -> None:
    """Export the whole catalog, or your journal.

    markdown writes the paper-reading README with its counts computed from the rows;
    json is the lossless catalog document (every user's reading state included), which
    'import' reads back; csv has one row per paper; bibtex one entry per paper. journal is
    yours: the videos you have something on (a note, a paper read, watched), each with its
    heading, links, the papers it covers with your status, your note on it and your notes
    on those papers; then your papers no video covers, by category. 'import' reads it back.
    """
    from paperread import formats

    if order is not Order.date and fmt is not Format.journal:
        usage_error("--order goes with 'export journal'")
    if fmt is Format.journal:
        user = state(ctx).user
        with output.data_output(out) as stream, reader(ctx) as r, r.snapshot():
            counts = _write_journal(r, stream, user=user, order=order.value)
        output.exported("journal", counts, out)
        return
    # The output path is checked (and its temporary file made) before the database is opened.
    # One snapshot: a write committed meanwhile is in the file whole or not at all.
    with output.data_output(out) as stream, reader(ctx) as r, r.snapshot():
        counts = formats.write(fmt.value, r, stream)
    output.exported(fmt.value, counts, out)


def _write_journal(r: Any, stream: Any, *, user: str, order: str) -> dict[str, int]:
    from paperread import journal, queries

    videos = queries.journal_videos(r)
    papers = queries.journal_papers(r, user=user)
    for p in papers:
        p["read_at"] = queries.iso_timestamp(p["read_at"])
    video_notes = queries.video_notes(r, user=user)
    watched = queries.journal_watched(r, user=user)
    shown = 0
    for line in journal.render(
        user=user, videos=videos, papers=papers, video_notes=video_notes, watched=watched, order=order
    ):
        shown += line.startswith("<!-- paperread:video ")
        stream.write(line)
    return {"videos": shown}


def register(app: typer.Typer) -> None:
    app.command(
        "import",
        epilog=examples(
            "paperread import README.md --dry-run  # what would change; nothing is written",
            "paperread import backup.json",
            "paperread import notes.txt --format journal --dry-run  # each section of your notes and its video",
        ),
    )(import_file)
    app.command(
        epilog=examples(
            "paperread export markdown -o README.md",
            "paperread export json -o backup.json  # everything, every user's notes too",
            "paperread export journal -o journal.md  # your notes, video by video",
        )
    )(export)
