"""paperread: a tracker for a curated catalog of research papers and the videos that cover them.

The package is built in layers. A module imports only from its own layer or the layers below it, and
the imports form no circle (deferred imports inside functions count too); ``tests/test_layers.py``
walks every module's imports with ``ast`` and holds the code to this list. A new module gets a place
here before it gets its first import.

0. Ground: ``errors``, ``limits``, ``resources`` (the packaged data), ``models`` (the schema).
1. Values and clients: ``config`` (settings), ``argv`` (the command line's words before Typer
   reads them), ``gate`` (the text every door lets in: control
   characters, surrogates, lengths), ``cells`` (the CSV export's formula guard), ``outfile``
   (writing an export into a file, a FIFO or a device), ``values`` (the checks every door applies),
   ``mdtables`` (Markdown tables read in linear time), ``readme`` (the README table format, text in
   and out), ``s2`` (the Semantic Scholar client, which knows
   nothing of the CLI), ``journal`` (the reader's journal, text in and out, matched to videos),
   ``http`` (the HTTP ground of the view clients: base URL, timeouts, retries), ``bilibili`` and
   ``youtube`` (view-count clients over ``http``).
2. The light read road: ``db`` (opening a reader over ``sqlite3``), ``pgread`` (the same over
   psycopg on PostgreSQL, round trips counted), ``queries`` (every read's SQL, the views shown with
   videos among them), ``viewqueries`` (the reads of ``sync-views`` and ``trending --videos``),
   ``prefetch`` (a read's connection to a server opened while the rest is imported). It does not
   know the write road.
3. The write road: ``figures`` (the per-category figures the database keeps: recounted, checked),
   ``engine`` (SQLAlchemy engines, transactions, schema), ``locks`` (every lock and
   its key), ``store`` (the user's writes, plain functions over a Session), ``reader_state`` (a
   reader's own status, notes on papers and watched videos), ``notes`` (notes on videos, and a
   journal import's notes).
4. Exchange: ``exchange.*``: a document read, cleaned, planned as a value against a snapshot of the
   catalog, and applied; ``journal_plan``: a journal import planned the same way.
5. Doors and jobs: ``formats`` (files in and out), ``sync`` (refreshing citations), ``viewsync``
   (refreshing video views). Inside
   ``formats``, from the bottom: ``formats.common`` (what every format shares) and ``formats.latex``
   (LaTeX in values); ``formats.bibsyntax`` (BibTeX entries) and ``formats.bibfields`` (their values
   read); then one module per format (``markdown``, ``jsonfile``, ``csvfile``, ``bibtex``) and the
   package (``parse``, ``write``).
6. ``opening``: opening, creating and seeding a catalog, above both roads.
7. Rendering: ``terminal`` (width, colour, the pager, tables streamed for the width), ``output``
   (rich tables, plain text, JSON), ``journal_report`` (a journal import's report), ``viewoutput``
   (views as shown): nothing below it prints; and ``site.*`` (the catalog as a static site: its
   reads, SVG charts, Jinja2 templates, the folder it writes).
8. ``commands.*``: Typer commands, thin: parse, call, render.
9. ``cli`` (the Typer app), then ``start`` and ``__main__`` (the console script's entry), and
   ``docs`` (docs/cli.md, generated from the app).
"""

__version__ = "0.1.0"

LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors", "limits", "resources", "models"),
    (
        "config",
        "argv",
        "gate",
        "cells",
        "outfile",
        "values",
        "mdtables",
        "readme",
        "s2",
        "journal",
        "http",
        "bilibili",
        "youtube",
    ),
    ("db", "pgread", "prefetch", "queries", "viewqueries"),
    ("figures", "engine", "locks", "store", "reader_state", "notes"),
    ("exchange", "journal_plan"),
    ("formats.common", "formats.latex"),
    ("formats.bibsyntax", "formats.bibfields"),
    ("formats", "sync", "viewsync"),
    ("opening", "reimport"),
    ("terminal", "output", "journal_report", "viewoutput", "site"),
    ("commands",),
    ("cli",),
    ("start", "__main__", "docs"),
)
