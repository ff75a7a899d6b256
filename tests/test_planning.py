"""Planning an import without a database: a Snapshot built by hand, a cleaned document, a Plan."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from paperread.exchange import order
from paperread.exchange.clean import Problem, clean_document
from paperread.exchange.plan import JSON_CARRIES, MARKDOWN_CARRIES, Plan
from paperread.exchange.planning import plan_import
from paperread.exchange.snapshot import Snapshot

STAMP = "2024-01-01 00:00:00.000000"


def cat_row(cid: int, slug: str, position: int) -> dict[str, Any]:
    return {"id": cid, "slug": slug, "name": slug.upper(), "position": position}


def paper_row(pid: int, key: str, position: int, category_id: int = 1, **more: Any) -> dict[str, Any]:
    row = {
        "id": pid,
        "key": key,
        "title": key.title(),
        "year": 2020,
        "category_id": category_id,
        "url": f"https://example.org/{key}",
        "description": None,
        "s2_id": None,
        "arxiv_id": None,
        "doi": None,
        "authors": None,
        "venue": None,
        "publication_date": None,
        "marked_recorded": False,
        "citation_count": None,
        "citations_fetched_at": None,
        "position": position,
        "version": 1,
    }
    row.update(more)
    return row


def video_row(vid: int, title: str, bilibili: str | None = None) -> dict[str, Any]:
    return {
        "id": vid,
        "date": "2024-01-02",
        "title": title,
        "duration_seconds": 60,
        "bilibili": bilibili,
        "youtube": None,
        "zhihu": None,
        "link": None,
    }


def catalog() -> Snapshot:
    """Three papers in one category; one video covers alpha and beta; a note on gamma."""
    return Snapshot.of(
        categories=[cat_row(1, "vision", 0)],
        papers=[paper_row(1, "alpha", 0), paper_row(2, "beta", 1), paper_row(3, "gamma", 2)],
        videos=[video_row(1, "Alpha and beta")],
        links=[{"video_id": 1, "paper_id": 1}, {"video_id": 1, "paper_id": 2}],
        reading=[
            {
                "id": 1,
                "user_name": "me",
                "paper_id": 3,
                "status": "read",
                "started_at": None,
                "read_at": None,
                "note": "mine",
                "updated_at": STAMP,
            },
        ],
    )


def document_of(snapshot: Snapshot) -> dict[str, Any]:
    """The catalog as a cleaned document (what an export gives back)."""
    slugs = {c["id"]: c["slug"] for c in snapshot.categories.values()}
    keys = {p["id"]: p["key"] for p in snapshot.papers.values()}
    doc = {
        "format": "paperread",
        "version": 1,
        "categories": [{"slug": c["slug"], "name": c["name"]} for c in snapshot.categories.values()],
        "papers": [
            {
                **{k: p[k] for k in ("key", "title", "year", "url", "description", "s2_id", "arxiv_id", "doi")},
                "authors": None,
                "venue": None,
                "publication_date": None,
                "category": slugs[p["category_id"]],
                "recorded": any(p["id"] in ties for ties in snapshot.links.values()),
                "citations": None,
                "citations_fetched_at": None,
                "citation_history": [],
                "reading": [],
            }
            for p in sorted(snapshot.papers.values(), key=lambda p: p["position"])
        ],
        "videos": [
            {
                **{k: v[k] for k in ("date", "title", "duration_seconds", "bilibili", "youtube", "zhihu", "link")},
                "papers": [keys[pid] for pid in snapshot.links.get(v["id"], ())],
                "watched_by": [],
            }
            for v in snapshot.videos.values()
        ],
    }
    clean, problems = clean_document(doc)
    assert problems == []
    return clean


def test_the_same_catalog_plans_nothing() -> None:
    snapshot = catalog()
    for carried in (JSON_CARRIES, MARKDOWN_CARRIES):
        plan = plan_import(snapshot, document_of(snapshot), carried)
        assert plan.changes == () and not plan.changed
        assert plan.tally("paper")["unchanged"] == 3


def test_a_paper_left_out_of_the_file_keeps_its_video_and_place() -> None:
    """The ResNet case, without a database: the file lacks alpha; its video stays with it."""
    snapshot = catalog()
    doc = document_of(snapshot)
    doc["papers"] = [p for p in doc["papers"] if p["key"] != "alpha"]
    doc["videos"][0]["papers"] = ["beta"]  # as cleaning leaves a tie to a paper not in the file
    plan = plan_import(snapshot, doc, JSON_CARRIES)
    assert plan.changes == ()
    assert [(k.kind, k.name, k.reason) for k in plan.kept] == [("paper", "alpha", "not in the file")]


def test_a_skipped_row_is_kept_like_a_missing_one() -> None:
    snapshot = catalog()
    raw = copy.deepcopy(document_of(snapshot))
    raw["papers"][0]["year"] = "20x2"  # alpha's row cannot be read
    doc, problems = clean_document(raw)
    assert [p.skipped for p in problems] == [True, False]  # the row, and the video's tie to it
    plan = plan_import(snapshot, doc, JSON_CARRIES, problems)
    assert plan.changes == ()
    assert plan.tally("paper") == {
        "added": 0,
        "updated": 0,
        "unchanged": 2,
        "skipped": 1,
        "left_off": 0,
        "merged": 0,
        "not_in_file": 1,
        "removed": 0,
    }


def test_the_file_still_decides_the_ties_of_papers_it_holds() -> None:
    snapshot = catalog()
    doc = document_of(snapshot)
    doc["videos"][0]["papers"] = ["alpha"]  # beta is in the file: its tie is taken away
    plan = plan_import(snapshot, doc, JSON_CARRIES)
    video = next(c for c in plan.changes if c.kind == "video")
    assert [str(r) for r in video.fields["papers"][1]] == ["alpha"]
    beta = next(c for c in plan.changes if c.kind == "paper" and c.name == "beta")
    # The file still says beta is recorded: with no video left, its mark says so.
    assert beta.fields["marked_recorded"] == (False, True) and set(beta.fields) == {"videos", "marked_recorded"}


def test_prune_removes_what_the_file_lacks_but_not_notes() -> None:
    snapshot = catalog()
    doc = document_of(snapshot)
    doc["papers"] = [p for p in doc["papers"] if p["key"] == "beta"]
    doc["videos"][0]["papers"] = ["beta"]
    plan = plan_import(snapshot, doc, JSON_CARRIES, prune=True)
    assert [(c.kind, c.action, c.name) for c in plan.changes if c.action == "remove"] == [("paper", "remove", "alpha")]
    assert [(k.name, k.reason) for k in plan.kept] == [("gamma", "someone's reading state or notes are on it")]


def test_field_changes_carry_old_and_new_values() -> None:
    snapshot = catalog()
    doc = document_of(snapshot)
    doc["papers"][1]["year"] = 2021
    doc["papers"][1]["title"] = "Beta v2"
    plan = plan_import(snapshot, doc, JSON_CARRIES)
    (change,) = plan.changes
    assert (change.kind, change.action, change.ref, change.name) == ("paper", "update", 2, "beta")
    assert dict(change.fields) == {"title": ("Beta", "Beta v2"), "year": (2020, 2021)}


def test_new_rows_are_numbered_from_minus_one_and_named() -> None:
    snapshot = catalog()
    doc = document_of(snapshot)
    doc["categories"].append({"slug": "nlp", "name": "NLP"})
    doc["papers"].append({**doc["papers"][0], "key": "delta", "title": "Delta", "url": None, "category": "nlp"})
    plan = plan_import(snapshot, doc, JSON_CARRIES)
    added = {(c.kind, c.ref, c.name) for c in plan.changes if c.action == "add"}
    assert added == {("category", -1, "nlp"), ("paper", -1, "delta")}
    delta = next(c for c in plan.changes if c.name == "delta")
    assert str(delta.fields["category"][1]) == "nlp" and delta.fields["category"][1].ref == -1


def test_an_empty_catalog_takes_the_bulk_road() -> None:
    doc = document_of(catalog())
    plan = plan_import(Snapshot.of(), doc, JSON_CARRIES, [Problem("paper", 3, "paper skipped: x")])
    assert plan.load is not None and plan.changed
    assert plan.tally("paper") == {
        "added": 3,
        "updated": 0,
        "unchanged": 0,
        "skipped": 1,
        "left_off": 0,
        "merged": 0,
        "not_in_file": 0,
        "removed": 0,
    }


def test_plan_as_json_names_rows() -> None:
    snapshot = catalog()
    doc = document_of(snapshot)
    doc["videos"][0]["papers"] = ["beta", "alpha"]
    data = Plan.as_dict(plan_import(snapshot, doc, JSON_CARRIES))
    (video,) = [c for c in data["changes"] if c["kind"] == "video"]
    assert video["fields"] == {"papers": {"old": ["alpha", "beta"], "new": ["beta", "alpha"]}}


# ---------------------------------------------------------------------------- order


def test_a_row_the_file_lacks_stays_after_the_row_it_followed() -> None:
    governed = {1, 3, 4}.__contains__
    assert order.merge([1, 2, 3, 4], [3, 1, 4], governed) == [3, 1, 2, 4]
    assert order.merge([2, 1, 3], [3, 1], lambda r: r != 2) == [2, 3, 1]  # led the list: still first
    assert order.merge([1, 2, 3], [1, -1, 3], lambda r: r != 2) == [1, 2, -1, 3]


def test_positions_touch_only_what_moves() -> None:
    at = {1: 0, 2: 1, 3: 2}
    assert order.positions([1, 2, 3, -1], [1, 2, 3], at) == {-1: 3}
    assert order.positions([1, 3, 2], [1, 2, 3], at) == {3: 1, 2: 2}


@given(
    st.lists(st.integers(1, 30), unique=True, max_size=12),
    st.lists(st.integers(1, 30), unique=True, max_size=12),
    st.sets(st.integers(1, 30)),
)
# The file moves 11 after 5; 4 followed 11 and 6 followed 5: 4 must still come before 6.
@example(current=[1, 2, 3, 11, 4, 5, 6], wanted=[1, 2, 3, 4, 5, 11], ungoverned={1, 2, 4, 6})
def test_merge_keeps_every_row_and_the_files_order(current: list[int], wanted: list[int], ungoverned: set[int]) -> None:
    wanted = [r for r in wanted if r not in ungoverned]
    merged = order.merge(current, wanted, lambda r: r not in ungoverned)
    stays = [r for r in current if r in ungoverned]
    assert sorted(merged) == sorted({*wanted, *stays})
    assert [r for r in merged if r in set(wanted)] == wanted  # the file's order
    assert [r for r in merged if r in set(stays)] == stays  # the others keep theirs
