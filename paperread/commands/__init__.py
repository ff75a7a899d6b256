"""Shared pieces of the Typer commands: state, option aliases declared once, completion.

Command modules are imported on every run, so they import only light modules at
the top (config, db, queries, output, errors); anything heavier is imported inside
the command that needs it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any, NoReturn

import typer

from paperread.config import Target, current_user, resolve_target
from paperread.db import Reader
from paperread.errors import InputError
from paperread.limits import COUNT_MAX


@dataclass
class AppState:
    db: str | None = None

    @property
    def target(self) -> Target:
        return resolve_target(self.db)

    @property
    def user(self) -> str:
        return current_user()


def state(ctx: typer.Context) -> AppState:
    root = ctx.find_root()
    if not isinstance(root.obj, AppState):
        root.obj = AppState(db=root.params.get("db"))
    return root.obj


@contextmanager
def reader(ctx: typer.Context, *, load_builtin: bool = True) -> Iterator[Reader]:
    from paperread.opening import open_reader

    r = open_reader(state(ctx).target, load_builtin=load_builtin)
    try:
        yield r
    finally:
        r.close()


@contextmanager
def writer(ctx: typer.Context) -> Iterator[Any]:  # -> sqlmodel.Session
    """One write command = one transaction on a Session (rolled back on any error)."""
    from paperread.opening import open_write_session

    with open_write_session(state(ctx).target) as session:
        yield session


# ---------------------------------------------------------------------------- completion


def _completion_reader(ctx: typer.Context) -> Reader | None:
    """Completion must be instant and must never create or migrate a database."""
    from paperread.db import SqliteReader, check_sqlite_file, connect_sqlite

    try:
        target = resolve_target(ctx.find_root().params.get("db"))
        if target.sqlite_path is None:
            from paperread.pgread import open_pg_reader

            return open_pg_reader(target)  # a catalog behind or ahead completes nothing
        if not check_sqlite_file(target.sqlite_path):
            return None
        return SqliteReader(connect_sqlite(target.sqlite_path))
    except Exception:  # noqa: BLE001 (Tab never fails)
        return None


def complete_paper(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    from paperread import queries

    r = _completion_reader(ctx)
    if r is None:
        return []
    try:
        return [(row["key"], row["title"]) for row in queries.paper_keys(r, incomplete)]
    except Exception:  # noqa: BLE001 (Tab never fails)
        return []
    finally:
        r.close()


def complete_category(ctx: typer.Context, incomplete: str) -> list[str]:
    from paperread import queries

    r = _completion_reader(ctx)
    if r is None:
        return []
    try:
        return [s for s in queries.category_slugs(r) if s.startswith(incomplete)]
    except Exception:  # noqa: BLE001 (Tab never fails)
        return []
    finally:
        r.close()


def complete_video(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    from paperread import queries

    r = _completion_reader(ctx)
    if r is None:
        return []
    try:
        rows = queries.videos(r)
        return [(str(v["id"]), v["title"]) for v in rows if str(v["id"]).startswith(incomplete)] + [
            (v["bilibili"], v["title"])
            for v in rows
            if v["bilibili"] and incomplete and v["bilibili"].startswith(incomplete)
        ]
    except Exception:  # noqa: BLE001 (Tab never fails)
        return []
    finally:
        r.close()


# ---------------------------------------------------------------------------- checks
#
# Typer callbacks run while the command line is parsed: before the command opens (or
# creates) a database, so a refused value leaves nothing written. An InputError raised
# here is reported in one line with exit 2, as a bad option value (settle_command); during Tab
# completion click ignores it.


def not_blank(what: str, accepted: str) -> Callable[[Any], Any]:
    """A callback refusing an empty or blank value: ``what`` names it, ``accepted`` says what to give."""

    def check(value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            raise InputError(f"{what} {value!r} is empty: give {accepted}")
        return value

    return check


check_paper = not_blank("paper", "its key, Semantic Scholar id, arXiv id, DOI or a title fragment")
_check_category = not_blank("category", "a category slug (e.g. vision/cnn) or its name")
_VIDEO_HINT = "name a video by the id 'paperread videos' shows, or by its bilibili BV id"


def check_video(value: Any) -> Any:
    """A video id must fit the id column: a longer number would overflow the query."""
    if not isinstance(value, str):
        return value
    wanted = value.strip()
    if not wanted:
        raise InputError(f"video {value!r} is empty: give the id 'paperread videos' shows or a bilibili BV id")
    digits = wanted.lstrip("0")  # a length first: int() refuses more than 4,300 digits
    if wanted.isascii() and wanted.isdigit() and (len(digits) > 10 or int(digits or "0") > COUNT_MAX):
        shown = wanted if len(wanted) <= 40 else wanted[:39] + "…"
        raise InputError(
            f"video '{shown}' is neither a video id (a whole number up to {COUNT_MAX}) nor a bilibili BV id",
            hint=_VIDEO_HINT,
        )
    return value


def checked(parse: str) -> Callable[[Any], Any]:
    """A callback holding an option to ``values.<parse>`` while the line is parsed (a refusal exits
    2 and nothing is opened); the value itself goes on as given, for the store to parse the same
    way. None and "" (which clears a field in edit commands) pass: the command decides on those."""

    def check(value: Any) -> Any:
        if isinstance(value, str) and value != "":
            from paperread import values

            getattr(values, parse)(value)
        return value

    return check


def year_value(value: str | int) -> int:
    """Typer parser for a year option: what ``values.parse_year`` accepts (year 1 to next year)."""
    from paperread.values import parse_year

    return parse_year(value)


def bound_whole_numbers(command: Any) -> None:
    """Hold every whole-number range option and argument of ``command`` (and its subcommands)
    to 0..COUNT_MAX unless it declares a narrower range.

    Each ends up as a bound SQL parameter, where a larger number is an OverflowError on
    SQLite and an out-of-range error on PostgreSQL. Done once on the click command tree, so
    an option declared later cannot forget its ceiling; the error is click's one line naming
    the value and the range ("... is not in the range 1<=x<=2147483647", exit 2), while --help
    shows no such bound (it is the database's, not the user's). Typer makes a range only of an
    ``int`` declared with ``min=`` or ``max=``: declare each with one (``min=0`` at least);
    tests/test_hostile_inputs.py fails on a plain ``int``.
    """
    for param in getattr(command, "params", ()):
        kind = param.type
        # click's IntRange, found by shape: Typer bundles its own click and exports neither.
        if hasattr(kind, "max") and any(c.__name__ == "IntParamType" for c in type(kind).__mro__):
            if kind.max is None:
                kind.max = COUNT_MAX
            if kind.min is None:
                kind.min = 0
            _hide_range_in_help(param)
    for sub in (getattr(command, "commands", None) or {}).values():
        bound_whole_numbers(sub)


def _hide_range_in_help(param: Any) -> None:
    help_record = param.get_help_record

    def without_range(ctx: Any) -> Any:
        record = help_record(ctx)
        if record is None:
            return record
        shown = param.type._describe_range()
        name, text = record
        for form in (f"  [{shown}]", f"[{shown}]", f"; {shown}", f"{shown}; "):
            text = text.replace(form, "")
        return name, text

    param.get_help_record = without_range


# ---------------------------------------------------------------------------- conventions
#
# What every command's --help looks like, set once on the click command tree (cli.PaperreadGroup)
# so a command added later gets it too; tests/test_cli_conventions.py holds every command to it.

PLACEHOLDERS: dict[str, str] = {
    "paper": "PAPER",
    "papers": "PAPER",
    "add_paper": "PAPER",
    "remove_paper": "PAPER",
    "fetch": "ID",
    "video": "VIDEO",
    "category": "CATEGORY",
    "parent": "CATEGORY",
    "move_to": "CATEGORY",
    "slug": "SLUG",
    "limit": "N",
    "date": "DATE",
    "since": "DATE",
    "stale_after": "DURATION",
    "duration": "DURATION",
    "file": "FILE",
    "output": "FILE",
    "log": "FILE",
    "bilibili": "BV",
    "youtube": "ID",
    "zhihu": "ID",
    "s2_id": "ID",
    "arxiv": "ID",
    "doi": "DOI",
    "url": "URL",
    "description": "TEXT",
    "search": "TEXT",
    "append": "TEXT",
    "db": "DB",
}
"""The placeholder --help shows for a value, by parameter name (else the name in capitals)."""


def examples(*lines: str) -> str:
    """A command's epilog: one to three command lines that run as written against the built-in
    catalog (``paperread init``), each optionally followed by ``  # what it does``."""
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)


def example_lines(epilog: str | None) -> list[str]:
    """The command lines of an epilog ``examples`` made (comments cut off)."""
    if not epilog or "Examples:" not in epilog:
        return []
    body = epilog.split("Examples:", 1)[1]
    return [line.split("  #", 1)[0].strip() for line in body.splitlines() if line.strip()]


def settle_command(command: Any) -> None:
    """Give ``command`` and every command under it the conventions: whole numbers bounded,
    placeholders named for what they take, and a refused value of the command line exiting 2."""
    bound_whole_numbers(command)
    _settle(command)


def _settle(command: Any) -> None:
    for param in getattr(command, "params", ()):
        _name_placeholder(param)
    _values_are_usage(command)
    for sub in (getattr(command, "commands", None) or {}).values():
        _settle(sub)


def _name_placeholder(param: Any) -> None:
    if getattr(param, "is_flag", False) or getattr(param, "count", False):
        return
    if param.metavar is None and not hasattr(param.type, "choices"):
        param.metavar = PLACEHOLDERS.get(param.name or "", (param.name or "value").upper().replace("_", "-"))
    if param.param_type_name == "argument" and param.metavar is not None:
        # Typer writes a required argument as {NAME} in the usage line; a plain NAME is the custom.
        name, many, required = param.metavar, param.nargs != 1, param.required

        def make_metavar(ctx: Any, *, usage: bool = False) -> str:
            shown = name + ("..." if many else "")
            return f"[{shown}]" if usage and not required else shown

        param.make_metavar = make_metavar


def _values_are_usage(command: Any) -> None:
    """An InputError raised while the command line is parsed (a callback or parser refusing a
    value) is a usage error: exit 2, like click's own refusals."""
    if getattr(command, "_paperread_settled", False):
        return
    parse_args = command.parse_args

    def parse(ctx: Any, args: list[str]) -> list[str]:
        from paperread.errors import OptionValueError

        try:
            return parse_args(ctx, args)
        except InputError as exc:
            raise OptionValueError(exc.message, exc.hint) from None

    command.parse_args = parse
    command._paperread_settled = True


def read_input(file: str, what: str, hint: str) -> bytes:
    """The bytes of ``file`` ('-': standard input) that a command reads; ``what`` names it in
    the one-line error ("file", "note file") and ``hint`` says what to give instead."""
    import os
    import sys

    if not file.strip():
        raise InputError(f"{what} name {file!r} is empty", hint=hint)
    if file == "-":
        return sys.stdin.buffer.read()
    try:
        with open(os.path.expanduser(file), "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        raise InputError(f"{what} '{file}' does not exist") from None
    except IsADirectoryError:
        raise InputError(f"{what} '{file}' is a folder, not a file") from None
    except OSError as exc:
        raise InputError(f"cannot read the {what} '{file}': {exc.strerror or exc}") from None


# ---------------------------------------------------------------------------- options

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON (for scripts) instead of a table.")]
CategoryOpt = Annotated[
    str | None,
    typer.Option(
        "--category",
        "-c",
        help="A category slug (a parent such as 'vision' selects everything under it) or its name.",
        autocompletion=complete_category,
        callback=_check_category,
    ),
]
PaperArg = Annotated[
    str,
    typer.Argument(
        help="A paper: its key, Semantic Scholar id, arXiv id, DOI, or a title fragment matching one paper.",
        autocompletion=complete_paper,
        callback=check_paper,
        show_default=False,
    ),
]

VideoArg = Annotated[
    str,
    typer.Argument(
        help="A video: the id 'paperread videos' shows, or its bilibili BV id.",
        autocompletion=complete_video,
        callback=check_video,
        show_default=False,
    ),
]


def usage_error(message: str) -> NoReturn:
    from paperread.errors import UsageError

    raise UsageError(message)
