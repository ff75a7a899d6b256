"""Shared pieces of the Typer commands: state, option aliases declared once, completion.

Command modules are imported on every run, so they import only light modules at
the top (config, db, queries, output, errors); anything heavier is imported inside
the command that needs it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any

import typer

from paperread.config import Target, current_user, resolve_target
from paperread.db import Reader


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
    from paperread.db import open_reader

    r = open_reader(state(ctx).target, load_builtin=load_builtin)
    try:
        yield r
    finally:
        r.close()


@contextmanager
def writer(ctx: typer.Context) -> Iterator[Any]:  # -> sqlmodel.Session
    """One write command = one transaction on a Session (rolled back on any error)."""
    from paperread.engine import open_write_session

    with open_write_session(state(ctx).target) as session:
        yield session


# ---------------------------------------------------------------------------- completion


def _completion_reader(ctx: typer.Context) -> Reader | None:
    """Completion must be instant and must never create or migrate a database."""
    from paperread.db import SqliteReader, check_sqlite_file, connect_sqlite

    try:
        target = resolve_target(ctx.find_root().params.get("db"))
        if target.sqlite_path is None or not check_sqlite_file(target.sqlite_path):
            return None
        return SqliteReader(connect_sqlite(target.sqlite_path))
    except Exception:
        return None


def complete_paper(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    from paperread import queries

    r = _completion_reader(ctx)
    if r is None:
        return []
    try:
        return [(row["key"], row["title"]) for row in queries.paper_keys(r, incomplete)]
    except Exception:
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
    except Exception:
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
            (v["bilibili"], v["title"]) for v in rows if v["bilibili"] and incomplete and v["bilibili"].startswith(incomplete)
        ]
    except Exception:
        return []
    finally:
        r.close()


# ---------------------------------------------------------------------------- options

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON (for scripts) instead of a table.")]
CategoryOpt = Annotated[
    str | None,
    typer.Option(
        "--category", "-c",
        help="A category slug (a parent such as 'vision' selects everything under it) or its name.",
        autocompletion=complete_category,
    ),
]
PaperArg = Annotated[
    str,
    typer.Argument(
        help="A paper: its key, Semantic Scholar id, arXiv id, or a title fragment matching one paper.",
        autocompletion=complete_paper,
        show_default=False,
    ),
]

VideoArg = Annotated[
    str,
    typer.Argument(
        help="A video: the id 'paperread videos' shows, or its bilibili BV id.",
        autocompletion=complete_video,
        show_default=False,
    ),
]


def usage_error(message: str) -> Any:
    from paperread.errors import UsageError

    raise UsageError(message)
