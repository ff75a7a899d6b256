"""Creating and upgrading databases: init, db current, db upgrade, db check, db reindex."""

from __future__ import annotations

from typing import Annotated

import typer

from paperread import output
from paperread.commands import examples, state

db_app = typer.Typer(help="Inspect and upgrade the database schema.", no_args_is_help=True)


def init(
    ctx: typer.Context,
    empty: Annotated[
        bool, typer.Option("--empty", help="Create the schema only, without the built-in catalog.")
    ] = False,
) -> None:
    """Create a catalog database (with the built-in paper-reading catalog unless --empty)."""
    from paperread.opening import init_catalog

    target = state(ctx).target
    loaded = init_catalog(target, load_builtin=not empty)
    if loaded is None:
        output.message(f"{target.display} already holds a paperread catalog; nothing changed")
        return
    what = (
        f"{loaded['papers']} papers in {loaded['categories']} categories, {loaded['videos']} videos"
        if loaded
        else "an empty catalog"
    )
    output.message(f"created {target.display} with {what}")


@db_app.command("current", epilog=examples("paperread db current", "paperread --db catalog.db db current"))
def current(ctx: typer.Context) -> None:
    """Print the schema revision of the database and of this paperread."""
    from paperread.engine import database_revision

    target = state(ctx).target
    revision, head = database_revision(target)
    sys_out = f"{revision or 'none'}\n"
    typer.echo(sys_out, nl=False)
    output.message(f"database {target.display}: {revision or 'no schema'}; this paperread: {head}")


@db_app.command(
    "upgrade",
    epilog=examples("paperread db upgrade", "paperread --db postgresql+psycopg://me@localhost/papers db upgrade"),
)
def upgrade(ctx: typer.Context) -> None:
    """Apply the migrations this paperread has to the database (one transaction)."""
    from paperread.engine import upgrade_database

    target = state(ctx).target
    before, after = upgrade_database(target)
    if before == after:
        output.message(f"{target.display} is up to date ({after})")
    else:
        output.message(f"upgraded {target.display} from {before or 'nothing'} to {after}")


@db_app.command("check", epilog=examples("paperread db check && echo current"))
def check(ctx: typer.Context) -> None:
    """Exit 0 when the schema is current, 1 with a reason otherwise (for scripts)."""
    from paperread.engine import check_database

    target = state(ctx).target
    check_database(target)
    output.message(f"{target.display}: schema current, integrity ok")


@db_app.command("reindex", epilog=examples("paperread db reindex"))
def reindex(ctx: typer.Context) -> None:
    """Count each category's figures and build the search index of a SQLite catalog again from the papers (when 'db check' says they are out of step)."""
    from paperread.engine import rebuild_search_index

    target = state(ctx).target
    indexed = rebuild_search_index(target)
    if indexed is None:
        output.message(
            f"recounted the category figures of {target.display}; PostgreSQL keeps its search indexes in step itself"
        )
    else:
        output.message(
            f"recounted the category figures and rebuilt the search index of {target.display}: {indexed} papers"
        )


def register(app: typer.Typer) -> None:
    app.command(
        epilog=examples(
            "paperread init  # the catalog with the built-in paper-reading list",
            "paperread --db empty.db init --empty",
        )
    )(init)
    app.add_typer(db_app, name="db")
