"""Errors that end a command with one clear line on stderr, and the exit codes.

Every failure a user can cause is a PaperreadError: the CLI turns it into
``error: <message>`` (plus an optional ``hint: ...``) and its exit code.
Anything else is a bug and shows a traceback only with PAPERREAD_DEBUG=1.

Exit codes, one meaning each (tests/test_exit_codes.py holds every command to them):

- 0 ``EXIT_OK``: done.
- 1 ``EXIT_FAILED``: the operation failed, or the data named is unknown or bad (no such paper, a
  file that cannot be read, a database that cannot be opened, a refused write).
- 2 ``EXIT_USAGE``: the command line is wrong: an unknown option, a missing argument, a bad option
  value (``--year abc``, ``--limit 0``, ``--category ''``), options that do not go together, or a bad
  setting (environment variable or config file).
- 130 ``EXIT_INTERRUPTED``: Ctrl-C (128 + SIGINT), as shells report it.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class PaperreadError(Exception):
    """A failure to report to the user; exit code 1 unless a subclass says otherwise."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class InputError(PaperreadError):
    """A value the user gave is malformed or out of range (bad year, date, duration, URL...)."""


class NotFoundError(PaperreadError):
    """No paper, category or video matches what the user named."""


class AmbiguousError(PaperreadError):
    """A name matches more than one row; the message lists the candidates."""


class ConflictError(PaperreadError):
    """The write would break a rule: duplicate key, category still in use, stale row."""


class DatabaseError(PaperreadError):
    """The database cannot be opened or used: missing folder, not a database, too new, behind."""


class UsageError(PaperreadError):
    """Options that do not go together; exit code 2 like Typer's own usage errors."""

    exit_code = EXIT_USAGE


class OptionValueError(UsageError):
    """A value given on the command line is refused while the line is parsed (exit 2).

    Checks written once as InputError (``values.parse_year`` serves both ``--year`` and a year in an
    imported file) become this when they refuse an option or argument: see
    ``commands.settle_command``.
    """


class ConfigError(UsageError):
    """A setting is bad: a malformed config file, or a bad value in it or in the environment (exit 2).

    The message names where the value came from (the file and key, or the variable)."""
