"""A journal import planned as a value: which notes are added, updated or left as they are,
which sections matched nothing, and the reading state a journal export carries back.

Pure functions over the parsed sections and the user's notes as they are; ``notes.write_notes``
writes exactly the plan. A section's text is appended to the note it belongs to unless the
note already holds it, so importing a file twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from paperread.journal import Entry, Parsed, Section, State, clock, joined, parse

KINDS = ("video", "paper")


@dataclass(frozen=True)
class NoteChange:
    """One note the import touches (or would touch): ``action`` is add, update or unchanged."""

    kind: str  # "video" or "paper"
    id: int
    name: str
    action: str
    before: str | None
    after: str | None
    lines: tuple[int, ...]  # the sections giving it text

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "name": self.name,
            "action": self.action,
            "lines": list(self.lines),
            "before": self.before,
            "after": self.after,
        }


@dataclass(frozen=True)
class StateChange:
    """A reading state a journal restores where you have none: a paper's status, a video watched."""

    kind: str  # "status" or "watched"
    id: int
    name: str
    status: str | None  # read or reading (status); None (watched)
    day: str | None  # the day read (status), the time watched (watched)
    line: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "name": self.name,
            "status": self.status,
            "day": self.day,
            "line": self.line,
        }


def is_matched(s: Section) -> bool:
    return s.video is not None or (s.kind == "paper" and s.why == "key")


@dataclass(frozen=True)
class JournalPlan:
    sections: tuple[Section, ...]
    notes: tuple[NoteChange, ...]
    states: tuple[StateChange, ...] = ()
    names: Mapping[tuple[str, int], str] = field(default_factory=dict)
    unknown_states: tuple[State, ...] = ()

    @property
    def matched(self) -> list[Section]:
        return [s for s in self.sections if is_matched(s)]

    @property
    def unmatched(self) -> list[Section]:
        return [s for s in self.sections if not is_matched(s)]

    def count(self, action: str) -> int:
        return sum(1 for n in self.notes if n.action == action)

    @property
    def changed(self) -> bool:
        return bool(self.states) or any(n.action != "unchanged" for n in self.notes)

    def writes(self, kind: str) -> dict[int, tuple[str | None, str]]:
        """{id: (note before, note after)} of the notes of a kind the plan changes."""
        return {n.id: (n.before, n.after or "") for n in self.notes if n.kind == kind and n.action != "unchanged"}

    def as_dict(self) -> dict[str, Any]:
        return {
            "sections": len(self.sections),
            "matched": len(self.matched),
            "notes": {a: self.count(a) for a in ("add", "update", "unchanged")},
            "changes": [n.as_dict() for n in self.notes],
            "states": [st.as_dict() for st in self.states],
            "each": [section_dict(s, self.names) for s in self.sections],
            "unmatched": [section_dict(s, self.names) for s in self.unmatched],
        }


def section_dict(s: Section, names: Mapping[tuple[str, int], str]) -> dict[str, Any]:
    return {
        "line": s.line,
        "heading": s.heading,
        "kind": s.kind,
        "video": s.video,
        "video_title": names.get(("video", s.video)) if s.video is not None else None,
        "paper": s.paper,
        "why": s.why,
        "candidates": [{"id": c, "title": names.get(("video", c))} for c in s.candidates],
        "time": clock(s.seconds) if s.seconds is not None else None,
        "chars": len(s.text),
    }


def plan_journal(
    parsed: Parsed,
    *,
    video_notes: Mapping[int, str],
    paper_notes: Mapping[int, str],
    paper_ids: Mapping[str, int],
    names: Mapping[tuple[str, int], str],
    statuses: Mapping[int, str | None] | None = None,
    watched: Sequence[int] | set[int] = (),
) -> JournalPlan:
    """The notes after appending each matched section's text (in file order) where it is not
    already held, and the reading states the file restores where there is none. A paper
    section naming a key the catalog lacks becomes unmatched."""
    current: dict[tuple[str, int], str | None] = {}
    lines: dict[tuple[str, int], list[int]] = {}
    before: dict[tuple[str, int], str | None] = {}
    resolved: list[Section] = []
    for s in parsed.sections:
        target: tuple[str, int] | None = None
        if s.kind == "paper":
            pid = paper_ids.get(s.paper or "")
            if pid is None:
                s = Section(
                    s.line, s.heading, s.text, why=f"no paper has the key '{s.paper}'", paper=s.paper, kind="paper"
                )
            else:
                target = ("paper", pid)
        elif s.video is not None:
            target = ("video", s.video)
        resolved.append(s)
        if target is None:
            continue
        if target not in current:
            held = (video_notes if target[0] == "video" else paper_notes).get(target[1])
            current[target] = before[target] = held
            lines[target] = []
        lines[target].append(s.line)
        if not s.text.strip():
            continue
        note = current[target]
        if note is not None and s.text.strip() in note:
            continue
        current[target] = joined(note, s.text)
    changes = []
    for target, after in current.items():
        if after is None and before[target] is None:
            continue
        was = before[target]
        action = "unchanged" if after == was else "add" if was is None else "update"
        name = names.get(target, str(target[1]))
        changes.append(NoteChange(target[0], target[1], name, action, was, after, tuple(lines[target])))
    states, unknown = _plan_states(parsed.states, paper_ids, names, statuses or {}, set(watched))
    return JournalPlan(tuple(resolved), tuple(changes), states, dict(names), unknown)


def _plan_states(
    states: Sequence[State],
    paper_ids: Mapping[str, int],
    names: Mapping[tuple[str, int], str],
    statuses: Mapping[int, str | None],
    watched: set[int],
) -> tuple[tuple[StateChange, ...], tuple[State, ...]]:
    out: list[StateChange] = []
    unknown: list[State] = []
    seen: set[tuple[str, int]] = set()
    for st in states:
        if st.kind == "watched" and st.video is not None:
            if st.video not in watched and ("watched", st.video) not in seen:
                seen.add(("watched", st.video))
                out.append(StateChange("watched", st.video, names.get(("video", st.video), ""), None, st.day, st.line))
        elif st.kind == "status" and st.status is not None:
            pid = paper_ids.get(st.key or "")
            if pid is None:
                unknown.append(st)
            elif statuses.get(pid) is None and ("status", pid) not in seen:
                seen.add(("status", pid))
                out.append(StateChange("status", pid, st.key or "", st.status, st.day, st.line))
    return tuple(out), tuple(unknown)


# ---------------------------------------------------------------------------- the import, run


def entries(videos: Sequence[Mapping[str, Any]]) -> list[Entry]:
    """The catalog's videos as the journal's matcher sees them (``queries.journal_videos`` rows)."""
    out = []
    for v in videos:
        names: list[str] = []
        for p in v["papers"]:
            names += [p["key"], p["title"]]
        out.append(Entry(v["id"], v["title"], v["duration_seconds"], v["date"], v["bilibili"], tuple(names)))
    return out


def import_journal(session: Any, text: str, *, user: str, dry_run: bool) -> JournalPlan:
    """Read ``text`` against the catalog in the session's transaction, plan the import, and
    (unless ``dry_run``) write exactly the plan."""
    plan = plan_import(session, text, user=user)
    if not dry_run:
        write_plan(session, plan, user=user)
    return plan


def plan_import(session: Any, text: str, *, user: str) -> JournalPlan:
    """The plan of importing ``text``, against the catalog as the session's transaction sees it."""
    from paperread import queries
    from paperread.engine import session_reader

    r = session_reader(session)
    videos = queries.journal_videos(r)
    parsed = parse(text, entries(videos))
    papers = queries.journal_papers(r, user=user)
    names: dict[tuple[str, int], str] = {("video", v["id"]): v["title"] for v in videos}
    names.update({("paper", p["id"]): p["key"] for p in papers})
    plan = plan_journal(
        parsed,
        video_notes=queries.video_notes(r, user=user),
        paper_notes={p["id"]: p["note"] for p in papers if p["note"] is not None},
        paper_ids={p["key"]: p["id"] for p in papers},
        names=names,
        statuses={p["id"]: p["read_status"] for p in papers},
        watched=set(queries.journal_watched(r, user=user)),
    )
    return plan


def write_plan(session: Any, plan: JournalPlan, *, user: str) -> None:
    """Write exactly ``plan`` (nothing when it changes nothing)."""
    from paperread import notes

    if plan.changed:
        notes.write_notes(
            session,
            user=user,
            video_notes=plan.writes("video"),
            paper_notes=plan.writes("paper"),
            statuses=[(st.id, st.status or "read", st.day) for st in plan.states if st.kind == "status"],
            watched=[(st.id, st.day) for st in plan.states if st.kind == "watched"],
        )


def unmatched_text(plan: JournalPlan) -> str:
    """The sections that matched nothing, as a notes file to edit and import again: each under
    its heading line as written (edit it to name a video; give loose text a heading line)."""
    out = []
    for s in plan.unmatched:
        if s.kind != "loose" and s.heading:
            out.append(s.heading)
            out.append("")
        if s.text:
            out.append(s.text)
            out.append("")
    return "\n".join(out)
