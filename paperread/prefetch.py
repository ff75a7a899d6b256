"""Connecting to a server catalog while Python is still importing.

A read on PostgreSQL costs its imports (Typer, rich, psycopg: ~0.2 s) and two round trips to
the server: the startup message and the query (``pgread``). Over a remote link a round trip
is 10-80 ms, and nothing about the first one depends on the imports: ``start`` calls
``begin`` before Typer is imported, which, for a read command (or a Tab completion) whose
catalog is a server, has ``pgread`` open the connection in a thread while the main thread
imports the rest; ``pgread.connect`` takes it instead of connecting then. The server's own
work on a new connection (a backend process, authentication) overlaps the imports too.

Only the connection is made early, with exactly the settings ``pgread.connect`` uses;
anything that makes the command line unclear (a bad --db, a bad config file, --help, an
option being completed) starts nothing here, and the command reports it on its own road. A
failure to connect is kept and raised where ``pgread.connect`` would have raised it.
"""

from __future__ import annotations

from collections.abc import Mapping

from paperread.argv import command_name, db_option, word_completed, words_before_cursor

# The commands that read through ``pgread`` as their first step on a server catalog.
READ_COMMANDS = frozenset({"list", "show", "search", "videos", "stats", "trending", "export"})


def begin(args: list[str], environ: Mapping[str, str]) -> bool:
    """Start connecting when ``args`` run a read command (or complete a word) on a server
    catalog; whether it started."""
    if "--help" in args:
        return False
    words = words_before_cursor(args, environ)
    completing = word_completed(environ)
    name = command_name(words)
    if name is None or (completing.startswith("-") if completing is not None else name not in READ_COMMANDS):
        return False  # no command yet, a command that writes, or an option's name being completed
    try:
        from paperread.config import resolve_target

        target = resolve_target(db_option(words), dict(environ))
        if target.sqlite_path is not None:
            return False
        from paperread.pgread import connect_early

        connect_early(target)
    except Exception:  # noqa: BLE001 (the command itself says what is wrong, on its own road)
        return False
    return True
