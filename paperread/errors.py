"""Errors that end a command with one clear line on stderr.

Every failure a user can cause is a PaperreadError: the CLI turns it into
``error: <message>`` (plus an optional ``hint: ...``) and its exit code.
Anything else is a bug and shows a traceback only with PAPERREAD_DEBUG=1.
"""

from __future__ import annotations


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

    exit_code = 2
