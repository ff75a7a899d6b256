"""The Typer app: global options, the command groups, and the single place where a
PaperreadError becomes one line on stderr and an exit code."""

from __future__ import annotations

import os
import sqlite3
import sys
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from paperread import __version__
from paperread.commands import AppState, catalog, dbadmin
from paperread.errors import PaperreadError


class PaperreadGroup(TyperGroup):
    """Turns domain errors into ``error: ...`` (+ ``hint: ...``) and an exit code.

    A traceback is shown only with PAPERREAD_DEBUG=1.
    """

    def invoke(self, ctx: Any) -> Any:
        from paperread import output

        try:
            return super().invoke(ctx)
        except PaperreadError as exc:
            output.error(exc.message, exc.hint)
            raise typer.Exit(exc.exit_code) from None
        except sqlite3.OperationalError as exc:
            if os.environ.get("PAPERREAD_DEBUG"):
                raise
            output.error(f"database error: {exc}", "another process may hold the database; try again")
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            output.error("interrupted; nothing was changed by the unfinished step")
            raise typer.Exit(130) from None
        except Exception as exc:
            if type(exc).__module__.startswith(("typer", "click")) or os.environ.get("PAPERREAD_DEBUG"):
                raise
            output.error(
                f"internal error: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}",
                "rerun with PAPERREAD_DEBUG=1 for a traceback, and please report it",
            )
            raise typer.Exit(1) from None


app = typer.Typer(
    cls=PaperreadGroup,
    name="paperread",
    help="Track a curated catalog of research papers and the videos that walk through them.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"paperread {__version__}\n")
        raise typer.Exit()


@app.callback()
def _global(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Database file or SQLAlchemy URL (sqlite:///..., postgresql+psycopg://...). "
            "Default: $PAPERREAD_DB, else paperread.db in your user data dir.",
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", help="Show the version and exit.", callback=_version, is_eager=True)
    ] = False,
) -> None:
    ctx.obj = AppState(db=db)


for group in (catalog, dbadmin):
    group.register(app)


def main() -> None:
    app(prog_name="paperread")
