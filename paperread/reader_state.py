"""A reader's own state, as plain functions over a SQLModel ``Session``: their status on a
paper (read, reading), their note on it, the videos they watched. These rows belong to one
reader (``user``) and leave the paper's version alone; the catalog's own writes are in
``store``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_
from sqlmodel import Session, col

from paperread import gate, store
from paperread.errors import ConflictError, InputError
from paperread.models import Paper, Reading, Video, Watched, utcnow
from paperread.values import READ_STATUSES

_UNSET: Any = object()


def _paper_reading(session: Session, name: str, user: str) -> tuple[Paper, Reading | None]:
    """The paper ``name`` names (locked) and the user's row on it, in one statement."""
    return store._paper_with(
        session, name, Reading, and_(col(Reading.paper_id) == col(Paper.id), col(Reading.user_name) == user)
    )


def _save_reading(session: Session, row: Reading) -> None:
    """Keep the row while it says something; drop it when status and note are both empty."""
    if row.status is None and not row.note:
        if row.id is not None:
            session.delete(row)
        elif row in session:
            session.expunge(row)
    else:
        row.updated_at = utcnow()
        session.add(row)
    session.flush()


def set_status(
    session: Session, name: str, *, user: str, status: str | None, date: str | None = None
) -> dict[str, Any]:
    """A reader's status for a paper: 'read' (with the day), 'reading', or None (unread).

    Returns the paper's key and title with the status before and after.
    """
    if status is not None and status not in READ_STATUSES:
        raise InputError(f"status '{status}' is not one of: read, reading, unread")
    if date is not None and status != "read":
        raise InputError(f"date '{date}' goes with 'read' only")
    when = store.parse_read_date(date) if status == "read" else None
    paper, found = _paper_reading(session, name, user)
    row = found or Reading(user_name=user, paper_id=paper.id)  # type: ignore[arg-type]
    before = row.status
    summary = {"key": paper.key, "title": paper.title, "before": before, "status": status}
    if status == "read":
        if before == "read" and date is None:
            return summary
        row.read_at = when
    elif status == "reading":
        if before == "reading":
            return summary
        row.started_at = utcnow()
        row.read_at = None
    else:
        if before is None:
            return summary
        row.started_at = None
        row.read_at = None
    row.status = status
    _save_reading(session, row)
    return summary


def note_of(session: Session, name: str, *, user: str) -> tuple[str, str | None]:
    """(paper key, the user's note or None)."""
    paper, row = _paper_reading(session, name, user)
    return paper.key, row.note if row else None


def next_note(current: str | None, text: str | None, *, append: bool) -> str | None:
    """A note after an edit: ``text`` in place of ``current`` (blank text clears it), or with
    ``append`` added on a line of its own (nothing to add leaves it as it is); held to the
    note's length limit."""
    if append:
        if not text:
            return current
        base = current or ""
        new: str | None = base + ("\n" if base and not base.endswith("\n") else "") + text
    else:
        new = text if text and text.strip() else None
    if new is not None:
        gate.check_length(new, "note")
    return new


def set_note(
    session: Session,
    name: str,
    *,
    user: str,
    text: str | None,
    append: bool = False,
    expected: Any = _UNSET,
) -> tuple[str, bool]:
    """Replace (or append to) a reader's Markdown note on a paper; '' or None clears it.

    ``expected`` is the note as the caller last saw it (e.g. before an editor ran): if the
    stored note differs, ConflictError and nothing is written. Returns the paper's key and
    whether the note changed.
    """
    text = gate.note(text)
    paper, row = _paper_reading(session, name, user)
    current = row.note if row else None
    if expected is not _UNSET and (current or None) != (expected or None):
        raise ConflictError(
            f"your note on '{paper.key}' changed while it was being edited; nothing was written",
            hint="run 'paperread note' again",
        )
    new = next_note(current, text, append=append)
    if (new or None) == (current or None):
        return paper.key, False
    row = row or Reading(user_name=user, paper_id=paper.id)  # type: ignore[arg-type]
    row.note = new
    _save_reading(session, row)
    return paper.key, True


def set_watched(session: Session, name: str, *, user: str, watched: bool = True) -> dict[str, Any]:
    """Mark a video watched (or not) by a reader; returns the video and whether it changed."""
    video, row = store._video_with(
        session, name, Watched, and_(col(Watched.video_id) == col(Video.id), col(Watched.user_name) == user)
    )
    summary = {**store._video_summary(video), "watched": watched, "changed": (row is None) == watched}
    if watched and row is None:
        session.add(Watched(user_name=user, video_id=video.id, watched_at=utcnow()))  # type: ignore[arg-type]
    elif not watched and row is not None:
        session.delete(row)
    session.flush()
    return summary
