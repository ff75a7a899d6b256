"""``paperread site DIR``: the catalog as a static site (``paperread.site``).

The folder is checked (and its staging folder made) before the database is opened: a folder
that holds someone else's files is refused with nothing read or written. The site package and
Jinja2 are imported inside the command only.
"""

from __future__ import annotations

from typing import Annotated

import typer

from paperread import output
from paperread.commands import examples, reader, state


def site(
    ctx: typer.Context,
    folder: Annotated[
        str,
        typer.Argument(
            help="The folder to write the site into: new, empty, or one this command wrote before "
            "(refreshed whole; files you added there are kept).",
            metavar="DIR",
            show_default=False,
        ),
    ],
    with_notes: Annotated[
        bool,
        typer.Option(
            "--with-notes",
            help="Publish your reading status and notes too (those of PAPERREAD_USER, else your login name). "
            "Without it nothing personal goes into the site.",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print what was written as JSON on standard output.")] = False,
) -> None:
    """Write the catalog as a static site into DIR: index.html and a page per paper.

    The pages need nothing from the network (they open from file:// or any static host such as
    GitHub Pages): progress per category, the catalog with search and filters, the videos,
    charts of videos per month and of papers recorded over time, the papers gaining most
    citations. The site is built beside DIR and swapped in whole, so DIR never holds half a site.
    """
    from paperread.site.build import build
    from paperread.site.options import SiteOptions
    from paperread.site.writer import StagedSite

    user = state(ctx).user if with_notes else ""  # a bad PAPERREAD_USER is refused before anything is made
    with StagedSite(folder) as staged:
        with reader(ctx) as r, r.snapshot():  # the pages agree: one moment of the catalog
            report = build(r, staged, SiteOptions(user=user, with_notes=with_notes))
        kept = staged.commit()
    output.site_built(report, folder, kept=kept, as_json=as_json)


def register(app: typer.Typer) -> None:
    app.command(
        "site",
        epilog=examples(
            "paperread site public/  # public/index.html and a page per paper",
            "paperread site public/ --with-notes  # with your reading status and notes",
            "paperread site public/ --json  # what was written, for a script",
        ),
    )(site)
