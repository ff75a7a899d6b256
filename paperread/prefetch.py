"""Connecting to a server catalog while Python is still importing.

A read on PostgreSQL costs its imports (Typer, rich, psycopg: ~0.2 s) and two round trips to
the server: the startup message and the query (``pgread``). Over a remote link a round trip
is 10-80 ms, and nothing about the first one depends on the imports: ``start`` calls
``begin`` before Typer is imported, which, for a read command (or a Tab completion) whose
catalog is a server, has ``pgread`` open the connection in a thread while the main thread
imports the rest; ``pgread.connect`` takes it instead of connecting then. The server's own
work on a new connection (a backend process, authentication) overlaps the imports too.
A single-paper write does the same with the write road's connection (imports of ~0.3 s
to hide it behind): its engine takes it (``pgread.take_early_write``) when it has the
settings the engine would connect with.

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
# The writes whose first step on a server catalog is their transaction (``engine.session_on``):
# the single-paper writes; ``note`` only when its text is on the command line (not after an
# editor), ``mark-recorded`` unless it asks bilibili first (--fetch).
WRITE_COMMANDS = frozenset({"read", "reading", "unread", "watched", "edit", "unmark", "mark-recorded", "note"})
_NOTE_TEXT = ("--text", "--append", "--file")


def _writes_first(name: str, words: list[str]) -> bool:
    if name == "note":
        return any(word.split("=", 1)[0] in _NOTE_TEXT for word in words)
    if name == "mark-recorded":
        return "--fetch" not in words
    return name in WRITE_COMMANDS


def begin(args: list[str], environ: Mapping[str, str]) -> bool:
    """Start connecting when ``args`` run a read command (or complete a word), or a write that
    begins with its transaction, on a server catalog; whether it started."""
    if "--help" in args:
        return False
    words = words_before_cursor(args, environ)
    completing = word_completed(environ)
    name = command_name(words)
    if name is None or (completing is not None and completing.startswith("-")):
        return False  # no command yet, or an option's name being completed
    write = completing is None and name not in READ_COMMANDS
    if write and not _writes_first(name, words):
        return False  # a command that reads before it writes, or another command
    try:
        from paperread.config import resolve_target

        target = resolve_target(db_option(words), dict(environ))
        if target.sqlite_path is not None:
            return False
        from paperread.pgread import connect_early

        connect_early(target, write=write)
    except Exception:  # noqa: BLE001 (the command itself says what is wrong, on its own road)
        return False
    return True
