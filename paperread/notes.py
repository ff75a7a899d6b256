"""Writes of a reader's notes on videos, and of a journal import, as plain functions over a Session.

A note on a video is kept per user in ``video_note`` (migration 0004) like a note on a paper
in ``reading``: a row exists only while its note holds text. Every function here validates
first and then writes; the caller's ``with writer(ctx) as session:`` makes it one transaction.
A write given the note as the caller last saw it (``expected``) refuses to replace a note
changed meanwhile (ConflictError): nothing a user wrote is lost.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import and_
from sqlmodel import Session, col, select

from paperread import gate, reader_state, store
from paperread.errors import ConflictError
from paperread.models import Reading, Video, VideoNote, Watched, utcnow

_UNSET: Any = object()


def _video_row(session: Session, name: str, user: str) -> tuple[Video, VideoNote | None]:
    """The video ``name`` names (locked) and the user's note row on it, in one statement."""
    return store._video_with(
        session, name, VideoNote, and_(col(VideoNote.video_id) == col(Video.id), col(VideoNote.user_name) == user)
    )


def _row(session: Session, video_id: int, user: str) -> VideoNote | None:
    return session.exec(select(VideoNote).where(VideoNote.user_name == user, VideoNote.video_id == video_id)).first()


def video_summary(video: Video) -> dict[str, Any]:
    return {
        "id": video.id,
        "title": video.title,
        "date": video.date.isoformat(),
        "duration_seconds": video.duration_seconds,
        "bilibili": video.bilibili,
    }


def video_note_of(session: Session, name: str, *, user: str) -> tuple[dict[str, Any], str | None]:
    """(the video named, the user's note on it or None)."""
    video, row = _video_row(session, name, user)
    return video_summary(video), row.note if row else None


def _store(session: Session, video_id: int, user: str, row: VideoNote | None, new: str | None) -> None:
    if new is None:
        if row is not None:
            session.delete(row)
    else:
        row = row or VideoNote(user_name=user, video_id=video_id, note=new)
        row.note = new
        row.updated_at = utcnow()
        session.add(row)
    session.flush()


def set_video_note(
    session: Session,
    name: str,
    *,
    user: str,
    text: str | None,
    append: bool = False,
    expected: Any = _UNSET,
) -> tuple[dict[str, Any], bool]:
    """Replace (or append to) a reader's Markdown note on a video; '' or None clears it.

    ``expected`` is the note as the caller last saw it (before an editor ran): when the stored
    note differs, ConflictError and nothing is written. Returns the video (``video_summary``)
    and whether the note changed.
    """
    text = gate.note(text)
    video, row = _video_row(session, name, user)
    video_id = int(video.id or 0)
    current = row.note if row else None
    if expected is not _UNSET and (current or None) != (expected or None):
        raise ConflictError(
            f"your note on video {video.id} '{video.title}' changed while it was being edited; nothing was written",
            hint="run 'paperread note --video' again",
        )
    new = reader_state.next_note(current, text, append=append)
    if (new or None) == (current or None):
        return video_summary(video), False
    _store(session, video_id, user, row, new)
    return video_summary(video), True


def write_notes(
    session: Session,
    *,
    user: str,
    video_notes: Mapping[int, tuple[str | None, str]],
    paper_notes: Mapping[int, tuple[str | None, str]],
    statuses: Sequence[tuple[int, str, str | None]] = (),
    watched: Sequence[tuple[int, str | None]] = (),
) -> None:
    """Write a journal import: for each video (paper) id, (the note the plan was made against,
    the note to store); the statuses (paper id, read or reading, day read) and watched videos
    (video id, when) it restores where there are none. A note that is no longer what the plan
    saw refuses the whole import (ConflictError, nothing written): it changed meanwhile."""
    for video_id, (before, after) in video_notes.items():
        gate.note(after)
        row = _row(session, video_id, user)
        if (row.note if row else None) != before:
            raise ConflictError(
                f"your note on video {video_id} changed while the journal was being imported; nothing was written",
                hint="import the file again",
            )
        if session.get(Video, video_id, with_for_update=True) is None:
            raise ConflictError(
                f"video {video_id} was removed while the journal was being imported; nothing was written"
            )
        _store(session, video_id, user, row, after)
    for paper_id, (before, after) in paper_notes.items():
        gate.note(after)
        reading = session.exec(select(Reading).where(Reading.user_name == user, Reading.paper_id == paper_id)).first()
        if (reading.note if reading else None) != before:
            raise ConflictError(
                f"your note on paper {paper_id} changed while the journal was being imported; nothing was written",
                hint="import the file again",
            )
        reading = reading or Reading(user_name=user, paper_id=paper_id)
        reading.note = after
        reading.updated_at = utcnow()
        session.add(reading)
    session.flush()
    for paper_id, status, day in statuses:
        reading = session.exec(select(Reading).where(Reading.user_name == user, Reading.paper_id == paper_id)).first()
        reading = reading or Reading(user_name=user, paper_id=paper_id)
        if reading.status is not None:  # set meanwhile: theirs stands
            continue
        reading.status = status
        if status == "read":
            reading.read_at = _stamp(day) or utcnow()
        else:
            reading.started_at = utcnow()
        reading.updated_at = utcnow()
        session.add(reading)
    for video_id, when in watched:
        if session.get(Watched, (user, video_id)) is None:
            session.add(Watched(user_name=user, video_id=video_id, watched_at=_stamp(when) or utcnow()))
    session.flush()


def _stamp(value: str | None) -> dt.datetime | None:
    """A day (YYYY-MM-DD, midnight UTC) or an ISO time from a journal; None when it is neither."""
    if not value:
        return None
    try:
        stamp = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=dt.UTC)
