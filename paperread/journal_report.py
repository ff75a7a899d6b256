"""Rendering a journal import: the plan as the report, the dry run's list of sections, JSON."""

from __future__ import annotations

from typing import Any

from paperread.journal_plan import JournalPlan, section_dict
from paperread.output import emit_json, message

_SHOWN = 30  # unmatched sections listed after an import


def _shorten(text: str, width: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def section_line(s: dict[str, Any]) -> str:
    """'line 18  9 年后…AlexNet【下】 55:21 -> video 3 'AlexNet 论文逐段精读' (title alike, ...)'."""
    heading = _shorten(s["heading"]) if s["heading"] else "(text under no heading)"
    if s["video"] is not None:
        to = f"video {s['video']} '{s['video_title']}'"
    elif s["kind"] == "paper" and s["why"] == "key":
        to = f"paper '{s['paper']}'"
    else:
        to = "no match"
        if len(s["candidates"]) > 1:
            to += " (" + ", ".join(f"video {c['id']} '{c['title']}'" for c in s["candidates"][:5]) + ")"
    time = s.get("time")
    if time and time not in s["heading"]:
        heading += f" [{time}]"
    return f"line {s['line']}: {heading} -> {to}: {s['why']}"


def journal_report(plan: JournalPlan, *, dry_run: bool, source: str, as_json: bool, quiet: bool = False) -> None:
    if as_json:
        emit_json({"source": source, "format": "journal", "dry_run": dry_run, **plan.as_dict()})
        return
    if dry_run:
        import sys

        write = sys.stdout.write
        for section in plan.sections:  # one at a time: a large file has many
            write(section_line(section_dict(section, plan.names)) + "\n")
    if quiet:  # the messages below, not the dry run's sections (data, on stdout)
        return
    head = "would import" if dry_run else "imported"
    states = len(plan.states)
    message(
        f"{head} {source} (journal): {len(plan.matched)} of {len(plan.sections)} sections matched; "
        f"notes: {plan.count('add')} added, {plan.count('update')} updated, {plan.count('unchanged')} unchanged"
        + (f"; {states} reading states restored" if states else "")
        + ("" if dry_run or plan.changed else "; nothing changed")
    )
    if not dry_run:
        unmatched = plan.unmatched
        for section in unmatched[:_SHOWN]:
            message(f"not matched: {section_line(section_dict(section, plan.names))}")
        more = len(unmatched) - _SHOWN
        if more > 0:
            message(f"... and {more} more sections not matched (all of them: --dry-run, or --unmatched FILE)")
    for st in plan.unknown_states:
        message(f"warning: line {st.line}: no paper has the key '{st.key}'; its reading state was not restored")
