"""The import's promise, checked on generated catalogs and generated edits of their exports,
in all four formats, on both back ends:

- what the database holds after an import is exactly what it held before with the plan
  applied to it, field for field (``expected_after`` applies a plan to a state in Python,
  independently of ``exchange.apply``'s SQL);
- without --prune, a paper the file lacks or whose row was skipped loses no video, keeps
  its recorded mark, its note and its place among the papers the file lacks;
- importing the same file again plans nothing.

The edits are made on the exported text, as a person or a broken tool would: rows dropped,
rows corrupted so that they are skipped, the file cut short, a year or a title changed, two
rows swapped, videos removed.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import os
import re
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from paperread import formats
from paperread.errors import InputError
from paperread.exchange.document import day_text, stamp_text
from paperread.exchange.plan import Plan
from tests.conftest import Cli, _init_with
from tests.test_readme import catalogs

EXAMPLES = int(
    os.environ.get("PAPERREAD_PROMISE_EXAMPLES", "15")
)  # per format and back end; raise it for a longer hunt

# ---------------------------------------------------------------------------- the database as data


def _url(db: str) -> str:
    return db if "://" in db else f"sqlite:///{db}"


def db_state(db: str) -> dict[str, Any]:
    """Every row that matters, by id; references as names (a paper's category by slug)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(_url(db))
    try:
        with engine.connect() as conn:

            def rows(sql: str) -> list[dict[str, Any]]:
                return [dict(r._mapping) for r in conn.execute(text(sql))]

            slug = {r["id"]: r["slug"] for r in rows("SELECT id, slug FROM category")}
            state: dict[str, Any] = {
                "category": {r.pop("id"): r for r in rows("SELECT id, slug, name, position FROM category")},
                "paper": {},
                "video": {},
                "ties": {},
                "reading": {},
                "history": set(),
                "watched": {},
                "video_note": {},
            }
            for r in rows("SELECT * FROM paper"):
                for gone in ("created_at", "updated_at"):
                    r.pop(gone)
                r["category"] = slug[r.pop("category_id")]
                r["publication_date"] = day_text(r["publication_date"])
                r["citations_fetched_at"] = stamp_text(r["citations_fetched_at"])
                r["marked_recorded"] = bool(r["marked_recorded"])
                state["paper"][r.pop("id")] = r
            for r in rows("SELECT * FROM video"):
                r.pop("created_at")
                r["date"] = day_text(r["date"])
                state["video"][r.pop("id")] = r
            for r in rows("SELECT video_id, paper_id FROM video_paper ORDER BY video_id, position"):
                state["ties"].setdefault(r["video_id"], []).append(r["paper_id"])
            for r in rows("SELECT * FROM reading"):
                for column in ("started_at", "read_at", "updated_at"):
                    r[column] = stamp_text(r[column])
                state["reading"][(r["user_name"], r["paper_id"])] = r
            for r in rows("SELECT paper_id, citations, fetched_at FROM citation_history"):
                state["history"].add((r["paper_id"], r["citations"], stamp_text(r["fetched_at"])))
            for r in rows("SELECT user_name, video_id, watched_at FROM watched"):
                state["watched"][(r["user_name"], r["video_id"])] = stamp_text(r["watched_at"])
            for r in rows("SELECT user_name, video_id, note, updated_at FROM video_note"):
                state["video_note"][(r["user_name"], r["video_id"])] = (r["note"], stamp_text(r["updated_at"]))
            return state
    finally:
        engine.dispose()


def _new_ids(before: dict[str, Any], after: dict[str, Any], kind: str) -> list[int]:
    return sorted(set(after[kind]) - set(before[kind]))


def _value(value: Any) -> Any:
    return str(value) if hasattr(value, "ref") else value


def expected_after(before: dict[str, Any], plan: Plan, after: dict[str, Any]) -> dict[str, Any]:
    """``before`` with every change of ``plan`` applied, in Python. New rows take the ids the
    database gave them: categories by slug, papers by key, videos in the order they were added."""
    state = copy.deepcopy(before)
    ids: dict[str, dict[int, int]] = {"category": {}, "paper": {}, "video": {}}
    by_slug = {c["slug"]: cid for cid, c in after["category"].items()}
    by_key = {p["key"]: pid for pid, p in after["paper"].items()}
    new_videos = iter(_new_ids(before, after, "video"))
    for change in plan.changes:
        if change.action == "add" and change.kind == "category":
            ids["category"][change.ref] = by_slug[change.fields["slug"][1]]
        elif change.action == "add" and change.kind == "paper":
            ids["paper"][change.ref] = by_key[change.fields["key"][1]]
    for change in sorted((c for c in plan.changes if c.kind == "video" and c.action == "add"), key=lambda c: -c.ref):
        ids["video"][change.ref] = next(new_videos)

    def row_id(kind: str, ref: int) -> int:
        return ref if ref > 0 else ids[kind][ref]

    for change in plan.changes:
        _apply_change(state, change, row_id, before)
    return state


def _apply_change(state: dict[str, Any], c: Any, row_id: Callable[[str, int], int], before: dict[str, Any]) -> None:
    new = {name: _value(v) for name, (_, v) in c.fields.items() if name not in ("videos", "papers")}
    if c.kind in ("category", "paper", "video"):
        rid = row_id(c.kind, c.ref)
        if c.action == "remove":
            del state[c.kind][rid]
            if c.kind == "paper":
                state["ties"] = {v: [p for p in ps if p != rid] for v, ps in state["ties"].items()}
                state["history"] = {h for h in state["history"] if h[0] != rid}
            if c.kind == "video":
                state["ties"].pop(rid, None)
                state["watched"] = {k: v for k, v in state["watched"].items() if k[1] != rid}
                state["video_note"] = {k: v for k, v in state["video_note"].items() if k[1] != rid}
            return
        row = state[c.kind].setdefault(rid, {"id": rid} if False else {})
        row.update(new)
        if c.kind == "paper":
            row["version"] = 1 if c.action == "add" else row["version"] + (0 if c.moved_only else 1)
        if "papers" in c.fields:
            state["ties"][rid] = [row_id("paper", r.ref) for r in c.fields["papers"][1]]
        return
    if c.kind == "reading":
        if c.action == "add":
            pid = row_id("paper", c.fields["paper"][1].ref)
            state["reading"][(c.fields["user_name"][1], pid)] = {
                "id": None, "user_name": c.fields["user_name"][1], "paper_id": pid,
                **{k: v for k, v in new.items() if k not in ("paper", "user_name")},
            }  # fmt: skip
        else:
            key = next(k for k, r in before["reading"].items() if r["id"] == c.ref)
            state["reading"][key].update(new)
    elif c.kind == "history":
        state["history"].add((row_id("paper", c.fields["paper"][1].ref), new["citations"], new["fetched_at"]))
    elif c.kind == "watched":
        state["watched"][(new["user_name"], row_id("video", c.fields["video"][1].ref))] = new["watched_at"]
    elif c.kind == "video_note":
        key = (new["user_name"], row_id("video", c.fields["video"][1].ref))
        state["video_note"][key] = (new["note"], new["updated_at"])


def comparable(state: dict[str, Any]) -> dict[str, Any]:
    """What an import decides: reading rows without their ids, empty tie lists dropped, and
    the time of the import where the plan leaves it to the write."""
    out = copy.deepcopy(state)
    out["reading"] = {
        k: {**{c: v for c, v in r.items() if c != "id"}, "updated_at": r["updated_at"] and "at"}
        for k, r in out["reading"].items()
    }
    out["watched"] = {k: v and "at" for k, v in out["watched"].items()}
    out["video_note"] = {k: (v[0], v[1] and "at") for k, v in out["video_note"].items()}
    out["ties"] = {v: ps for v, ps in out["ties"].items() if ps}
    return out


# ---------------------------------------------------------------------------- edits of an export


def _lines(text: str, fmt: str) -> tuple[list[str], list[int], list[int]]:
    """The file as units (lines; BibTeX: entries) and which units are papers and videos."""
    if fmt == "bibtex":
        units = re.split(r"(?m)^(?=@)", text)
        return units, [i for i, u in enumerate(units) if u.startswith("@")], []
    units = _csv_records(text) if fmt == "csv" else text.split("\n")
    if fmt == "json":
        papers = [i for i, u in enumerate(units) if u.startswith('  {"key":')]
        videos = [i for i, u in enumerate(units) if u.startswith('  {"date":')]
        return units, papers, videos
    if fmt == "csv":
        return units, [i for i in range(1, len(units)) if units[i]], []
    papers = [i for i, u in enumerate(units) if re.match(r"\| (✅)? *\| \d{4} \|", u)]
    videos = [i for i, u in enumerate(units) if re.match(r"\| \d{1,2}/\d{1,2}/\d{2} \|", u)]
    return units, papers, videos


def _csv_records(text: str) -> list[str]:
    """The CSV text as records: a quoted cell may hold line breaks (a description's), so a
    line whose quotes do not balance goes on into the next."""
    records: list[str] = []
    current: str | None = None
    for line in text.split("\n"):
        current = line if current is None else current + "\n" + line
        if current.count('"') % 2 == 0:
            records.append(current)
            current = None
    if current is not None:
        records.append(current)
    return records


def _csv_cells(unit: str, change: Callable[[list[str]], None]) -> str:
    """A CSV row with its cells changed (the row's own line ending kept)."""
    end = "\r" if unit.endswith("\r") else ""
    cells = next(csv.reader(io.StringIO(unit.removesuffix("\r"), newline="")))
    change(cells)
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(cells)
    return out.getvalue() + end


def _corrupt(unit: str, fmt: str, video: bool) -> str:
    """The same row, with a value its reader refuses (the row is skipped)."""
    if fmt == "json":
        return (
            re.sub(r'"date": "\d{4}', '"date": "x000', unit)
            if video
            else re.sub(r'"year": \d+', '"year": "20x2"', unit)
        )
    if fmt == "markdown":
        return (
            re.sub(r"^\| \d+/", "| 13/", unit).replace("| 13/", "| 99/", 1)
            if video
            else re.sub(r"\| \d{4} \|", "| 20x2 |", unit, count=1)
        )
    if fmt == "csv":
        return _csv_cells(unit, lambda cells: cells.__setitem__(2, "20x2"))
    return re.sub(r"year = \{\d+\}", "year = {20x2}", unit)


def _retitle(unit: str, fmt: str) -> str:
    if fmt == "json":
        return unit.replace('"title": "', '"title": "Zq ', 1)
    if fmt == "csv":
        return _csv_cells(unit, lambda cells: cells.__setitem__(1, "Zq " + cells[1]))
    if fmt == "bibtex":
        return unit.replace("title = {{", "title = {{Zq ", 1)
    return re.sub(r"^(\| (?:✅)? *\| \d{4} \| )\[(?!!)", r"\1[Zq ", unit, count=1)


def _new_year(unit: str, fmt: str) -> str:
    patterns = {"json": r'("year": )(\d{4})', "bibtex": r"(year = \{)(\d{4})", "markdown": r"^(\| (?:✅)? *\| )(\d{4})"}
    if fmt == "csv":
        return _csv_cells(
            unit, lambda cells: cells.__setitem__(2, str(int(cells[2]) % 2024 + 1) if cells[2].isdigit() else "2001")
        )
    return re.sub(patterns[fmt], lambda m: m.group(1) + str(int(m.group(2)) % 2024 + 1), unit, count=1)


EDITS = ("drop", "corrupt", "retitle", "year", "swap", "drop_video", "corrupt_video", "cut")


@st.composite
def edited(draw: st.DrawFn, text: str, fmt: str) -> tuple[str, list[str]]:
    """The exported ``text`` with a few edits; and what they were."""
    units, papers, videos = _lines(text, fmt)
    done = []
    for edit in draw(st.lists(st.sampled_from(EDITS), min_size=1, max_size=4)):
        targets = videos if "video" in edit else papers
        if edit == "cut":
            whole = ("\n" if fmt != "bibtex" else "").join(u for u in units if u is not None)
            cut = draw(st.integers(len(whole) // 2, len(whole)))
            return whole[:cut], [*done, f"cut at {cut}"]
        if not targets:
            continue
        i = draw(st.sampled_from(targets))
        if edit in ("drop", "drop_video"):
            units[i] = None  # type: ignore[call-overload]
        elif edit in ("corrupt", "corrupt_video") and units[i] is not None:
            units[i] = _corrupt(units[i], fmt, video=edit == "corrupt_video")
        elif edit == "retitle" and units[i] is not None:
            units[i] = _retitle(units[i], fmt)
        elif edit == "year" and units[i] is not None:
            units[i] = _new_year(units[i], fmt)
        elif edit == "swap" and fmt != "json":  # (a JSON array's last item has no comma)
            j = draw(st.sampled_from(targets))
            units[i], units[j] = units[j], units[i]
        done.append(f"{edit} {i}")
    kept = [u for u in units if u is not None]
    return ("\n" if fmt != "bibtex" else "").join(kept), done


# ---------------------------------------------------------------------------- the test


@pytest.fixture
def fresh_catalog(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Callable[[], str]:
    """A maker of empty catalogs on the back end (one per generated example)."""
    if backend == "sqlite":
        template = tmp_path / "empty.db"
        Cli(template).ok("init", "--empty")

        def sqlite() -> str:
            path = tmp_path / f"{uuid.uuid4().hex}.db"
            shutil.copy(template, path)
            return str(path)

        return sqlite
    server = request.getfixturevalue("pg_server")
    return lambda: server.copy("empty", _init_with("--empty"))


def _with_notes(catalog: dict[str, Any], noted: list[bool]) -> dict[str, Any]:
    """The catalog with a note of user 'reader' on some papers (to see that none is lost)."""
    for p, note in zip(catalog["papers"], noted):
        p["reading"] = (
            [
                {
                    "user": "reader",
                    "status": "read",
                    "note": f"note on {p['key']}",
                    "updated_at": "2024-01-01T00:00:00+00:00",
                }
            ]
            if note
            else []
        )
    return catalog


def _import(db: str, text: str, fmt: str) -> Plan | None:
    """What ``paperread import`` does (formats.parse, then exchange.run.import_parsed in one
    write transaction); None when the file is refused whole."""
    from paperread.config import resolve_target
    from paperread.exchange.run import import_parsed
    from paperread.opening import open_write_session

    try:
        parsed = formats.parse(text, fmt, source="edited")
    except InputError:
        return None
    with open_write_session(resolve_target(db)) as session:
        return import_parsed(session.connection(), parsed)


def _export(db: str, fmt: str) -> str:
    return Cli(db).ok("export", fmt).stdout


def _covered(state: dict[str, Any], pid: int) -> set[int]:
    return {vid for vid, papers in state["ties"].items() if pid in papers}


def _order_of(state: dict[str, Any], pids: list[int]) -> dict[str, list[int]]:
    """The papers ``pids`` per category, in the category's order."""
    ordered: dict[str, list[int]] = {}
    for pid in sorted(pids, key=lambda pid: (state["paper"][pid]["position"], pid)):
        ordered.setdefault(state["paper"][pid]["category"], []).append(pid)
    return ordered


def _check_kept(before: dict[str, Any], after: dict[str, Any], plan: Plan) -> None:
    """Every paper the file lacks (or could not give) is as it was: fields, videos, recorded
    mark, note, category; and their order among themselves (a paper the file moves can pass one)."""
    key_of = {p["key"]: pid for pid, p in before["paper"].items()}
    kept = [key_of[k.name] for k in plan.kept if k.kind == "paper"]
    for pid in kept:
        key = before["paper"][pid]["key"]
        assert {**after["paper"][pid], "position": 0} == {**before["paper"][pid], "position": 0}, key
        assert _covered(after, pid) == _covered(before, pid), key
        assert after["reading"].get(("reader", pid)) == before["reading"].get(("reader", pid)), key
    assert _order_of(after, kept) == _order_of(before, kept)


@pytest.mark.parametrize("fmt", formats.FORMATS)
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)
@given(catalog=catalogs(), noted=st.lists(st.booleans(), min_size=12, max_size=12), data=st.data())
def test_an_import_changes_exactly_its_plan_and_loses_nothing(
    fresh_catalog: Callable[[], str], fmt: str, catalog: dict[str, Any], noted: list[bool], data: st.DataObject
) -> None:
    from paperread.exchange.clean import clean_document

    catalog = _with_notes(catalog, noted)
    assume(not clean_document(catalog)[1])
    db = fresh_catalog()
    assert _import(db, json.dumps(catalog), "json") is not None
    text, edits = data.draw(edited(_export(db, fmt), fmt), label="edits")
    before = db_state(db)
    plan = _import(db, text, fmt)
    after = db_state(db)
    if plan is None:  # refused whole (a JSON file cut short): nothing written
        assert after == before, edits
        return
    assert comparable(after) == comparable(expected_after(before, plan, after)), (edits, plan.changes)
    _check_kept(before, after, plan)
    again = _import(db, text, fmt)
    assert again is not None and again.changes == (), (edits, again.changes)
