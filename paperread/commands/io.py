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
from typing import Annotated

import typer

from paperread import output
from paperread.commands import examples, not_blank, read_input, reader, writer


class Format(str, Enum):
    markdown = "markdown"
    json = "json"
    csv = "csv"
    bibtex = "bibtex"


def import_file(
    ctx: typer.Context,
    file: Annotated[
        str,
        typer.Argument(
            help="The file to import ('-' reads standard input): a paper-reading README (.md), a catalog "
            "document (.json, as 'export json' writes), .csv or .bib.",
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
            help="The file's format: markdown, json, csv or bibtex. Default: from its extension, else its content.",
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
) -> None:
    """Import a catalog file: add what is new, update what changed, keep everything else.

    Papers are matched by Semantic Scholar id, else link, arXiv id or DOI, else key; videos by
    bilibili id, else date and title. Importing the same file twice changes nothing. Fields the
    file does not carry (a README has no authors, citations or notes) are left as they are; a
    JSON export restores the reading state and notes it holds, but never over newer ones. Papers
    that are in the catalog but not in the file are kept (and listed) unless --prune.
    """
    from paperread.errors import InputError

    source, name = ("standard input", None) if file == "-" else (file, file)
    data = read_input(file, "file", "give the file to import, or '-' for standard input")
    from paperread import formats
    from paperread.exchange.run import import_parsed, paused_gc

    with paused_gc():  # a big file makes millions of objects
        text = formats.decode(data, source)
        del data  # (a big file: its bytes, its text and its rows need not all be held at once)
        chosen = fmt.value if fmt is not None else formats.detect_format(name, text)
        parsed = formats.parse(text, chosen, source=source)
        del text
        if strict and parsed.problems:
            for problem in parsed.problems:
                output.message(f"warning: {problem.text()}")
            raise InputError(
                f"{len(parsed.problems)} row(s) of {source} could not be read; nothing was imported (--strict)"
            )
        with writer(ctx) as session:
            plan = import_parsed(session.connection(), parsed, dry_run=dry_run, prune=prune)
    output.import_report(plan, dry_run=dry_run, source=source, fmt=chosen, as_json=as_json)


def export(
    ctx: typer.Context,
    fmt: Annotated[
        Format,
        typer.Argument(
            help="markdown (the README), json (lossless), csv or bibtex.", metavar="FORMAT", show_default=False
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
) -> None:
    """Export the whole catalog.

    markdown writes the paper-reading README with its counts computed from the rows;
    json is the lossless catalog document (every user's reading state included), which
    'import' reads back; csv has one row per paper; bibtex one entry per paper.
    """
    from paperread import formats

    # The output path is checked (and its temporary file made) before the database is opened.
    with output.data_output(out) as stream, reader(ctx) as r:
        counts = formats.write(fmt.value, r, stream)
    output.exported(fmt.value, counts, out)


def register(app: typer.Typer) -> None:
    app.command(
        "import",
        epilog=examples(
            "paperread import README.md --dry-run  # what would change; nothing is written",
            "paperread import backup.json",
            "paperread import - --format csv < papers.csv",
        ),
    )(import_file)
    app.command(
        epilog=examples(
            "paperread export markdown -o README.md",
            "paperread export json -o backup.json  # everything, every user's notes too",
            "paperread export csv > papers.csv",
        )
    )(export)
