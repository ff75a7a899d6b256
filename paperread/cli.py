"""The Typer app: global options, the command groups, and the single place where a
PaperreadError becomes one line on stderr and an exit code."""

from __future__ import annotations

import copy
import os
import sqlite3
import sys
from collections.abc import Mapping
from typing import Annotated, Any

import typer
from typer.core import TyperGroup
from typer.main import get_command_name

from paperread import __version__
from paperread.argv import command_name, words_before_cursor
from paperread.commands import AppState, catalog, curate, dbadmin, io, publish, reading, settings, sync, views
from paperread.errors import EXIT_INTERRUPTED, EXIT_USAGE, PaperreadError


class PaperreadGroup(TyperGroup):
    """Turns domain errors into ``error: ...`` (+ ``hint: ...``) and an exit code.

    A traceback is shown only with PAPERREAD_DEBUG=1.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Bounded whole numbers, placeholders, bad values exit 2 (commands.settle_command).
        from paperread.commands import settle_command

        settle_command(self)

    def invoke(self, ctx: Any) -> Any:
        from paperread import output

        if not (getattr(ctx, "_protected_args", None) or ctx.args):  # `paperread --db x`: no command
            sys.stdout.write(ctx.get_help() + "\n")
            raise typer.Exit(0)
        commits_before = _commits()
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
            committed = _commits() - commits_before
            if committed:
                output.error(
                    f"interrupted after {committed} transaction(s) had been committed: what they wrote is in "
                    "the database; the unfinished step changed nothing",
                    "look at the catalog before running the command again",
                )
            else:
                output.error("interrupted; nothing was changed by the unfinished step")
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except BrokenPipeError:
            # The reader went away (`paperread list | head`): stop quietly, as Unix tools do,
            # with stdout pointed at /dev/null so the final flush cannot fail again.
            try:
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            except (OSError, ValueError):
                pass
            raise typer.Exit(141) from None
        except Exception as exc:
            if type(exc).__module__.startswith(("typer", "click")) or os.environ.get("PAPERREAD_DEBUG"):
                raise
            if _is_server_trouble(exc):  # e.g. PostgreSQL went away, or a lock wait timed out
                output.error(
                    _scrub(ctx, f"database error: {_first_line(getattr(exc, 'orig', None) or exc)}"),
                    "the database server may be unreachable or busy; try again",
                )
                raise typer.Exit(1) from None
            output.error(
                _scrub(ctx, f"internal error: {type(exc).__name__}: {_first_line(exc)}"),
                "rerun with PAPERREAD_DEBUG=1 for a traceback, and please report it",
            )
            raise typer.Exit(1) from None

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        """Usage errors as one line too (``error: ...``, exit 2) instead of click's block."""
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)  # type: ignore[misc]
        from paperread import output

        try:
            rv = super().main(*args, standalone_mode=False, **kwargs)  # type: ignore[misc]
        except typer.Abort:
            output.error("aborted; nothing was changed")
            sys.exit(1)
        except KeyboardInterrupt:  # while the command line was parsed, before a command ran
            output.error("interrupted; nothing was changed")
            sys.exit(EXIT_INTERRUPTED)
        except Exception as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":  # bare `paperread` or `paperread video`
                sys.stdout.write(exc.ctx.get_help() + "\n")  # type: ignore[attr-defined]
                sys.exit(0)
            if not _is_click_error(exc):
                raise
            command = getattr(getattr(exc, "ctx", None), "command_path", None) or "paperread"
            output.error(_first_line(exc.format_message()), f"see '{command} --help'")  # type: ignore[attr-defined]
            sys.exit(EXIT_USAGE if exc.exit_code == EXIT_USAGE else exc.exit_code)  # type: ignore[attr-defined]
        sys.exit(rv if isinstance(rv, int) else 0)


def _commits() -> int:
    """How many transactions this process committed (0 when the write road was never taken)."""
    return int(getattr(sys.modules.get("paperread.engine"), "COMMITS", 0))


def _is_click_error(exc: BaseException) -> bool:
    """Typer's bundled click exceptions (UsageError, BadParameter, ...), found by shape:
    Typer exports no base class for them."""
    return hasattr(exc, "format_message") and isinstance(getattr(exc, "exit_code", None), int)


def _first_line(exc: object) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else ""


def _is_server_trouble(exc: BaseException) -> bool:
    """An OperationalError of SQLAlchemy (the write road) or psycopg (reads on a server),
    checked by name: cli.py must import neither."""
    return any(
        cls.__name__ == "OperationalError" and cls.__module__.startswith(("sqlalchemy", "psycopg"))
        for cls in type(exc).__mro__
    )


def _scrub(ctx: Any, text: str) -> str:
    """No password of the --db URL (or PAPERREAD_DB) ever reaches the terminal."""
    try:
        db = ctx.obj.db if isinstance(ctx.obj, AppState) else ctx.params.get("db")
        from paperread.config import resolve_target

        return resolve_target(db).scrub(text)
    except Exception:  # noqa: BLE001 (a message is never lost to its scrubbing)
        return text


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
    no_pager: Annotated[
        bool,
        typer.Option(
            "--no-pager",
            help="Never page long output (else: $PAPERREAD_PAGER, the config file's pager, $PAGER, less).",
        ),
    ] = False,
    version: Annotated[
        bool, typer.Option("--version", help="Show the version and exit.", callback=_version, is_eager=True)
    ] = False,
) -> None:
    ctx.obj = AppState(db=db)
    if ctx.invoked_subcommand != "config":  # a bad config file is reported by every command but these,
        from paperread.config import load_file  # which find and mend it

        load_file()
    if no_pager:
        from paperread import terminal

        terminal.disable_pager()


for group in (catalog, curate, reading, sync, views, io, publish, dbadmin, settings):
    group.register(app)


def main() -> None:
    app_for(sys.argv[1:], os.environ)(prog_name="paperread")


# ---------------------------------------------------------------------------- start-up


def app_for(args: list[str], environ: Mapping[str, str]) -> typer.Typer:
    """The app with only the command that ``args`` names (or that Tab completes inside).

    Typer turns every command it is given into a click command on each start, inspecting
    every signature: about 1 ms a command, paid by every run and every Tab. The whole app
    is kept for --help, a missing or unknown command (its suggestions) and Tab on the
    command name itself.
    """
    name = command_name(words_before_cursor(args, environ))
    if name is None:
        return app
    commands = [
        c for c in app.registered_commands if (c.name or get_command_name(getattr(c.callback, "__name__", ""))) == name
    ]
    groups = [g for g in app.registered_groups if g.name == name]
    if not commands and not groups:
        return app
    trimmed = copy.copy(app)
    trimmed.registered_commands = commands
    trimmed.registered_groups = groups
    return trimmed
