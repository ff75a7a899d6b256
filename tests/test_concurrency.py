"""Several people writing to one catalog at once, with a citation sync running meanwhile:
no write is lost, and an edit made on a stale version of a paper is refused.

Four writer processes (tests/concurrent_writer.py), two per user, each run ten commands
through the real CLI: mark-recorded on their own papers, appends to the SAME note (two
processes per user, so appends race on one row), edits of their own papers, edits of one
shared paper (each a different field), and a read status. Each also tries one library-level
edit of a shared paper with the version all four saw before starting: exactly one may win.
Runs on SQLite (BEGIN IMMEDIATE + busy timeout) and on PostgreSQL (row locks).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT, Cli
from tests.fake_s2 import FakeS2Server

# The sync, started like the writers: imports done, then "ready", then it waits for a line.
SYNC_WHEN_TOLD = """
import sys
import paperread.cli, paperread.sync, paperread.store
sys.stdout.write("ready\\n"); sys.stdout.flush(); sys.stdin.readline()
paperread.cli.main()
"""
WRITERS = 4
USERS = ("ada", "grace")
SHARED_FIELDS = (
    ("--description", "shared edit by w0"),
    ("--url", "https://example.org/w1"),
    ("--year", "2011"),
    ("--doi", "10.1000/w3"),
)


def _json(result) -> object:
    return json.loads(result.stdout)


def _plan(w: int, unrecorded: list[str], own: list[str], vit_version: int) -> dict:
    mine = unrecorded[3 * w : 3 * w + 3]
    edits = own[2 * w : 2 * w + 2]
    field, value = SHARED_FIELDS[w]
    commands = [
        ["mark-recorded", mine[0], "--title", f"w{w} video 0", "--date", "2024-01-01"],
        ["note", "resnet", "--append", f"w{w} line 0"],
        ["edit", edits[0], "--description", f"edited by w{w} (0)"],
        ["mark-recorded", mine[1], "--title", f"w{w} video 1", "--date", "2024-01-02"],
        ["note", "resnet", "--append", f"w{w} line 1"],
        ["edit", "alexnet", field, value],
        ["mark-recorded", mine[2], "--title", f"w{w} video 2", "--date", "2024-01-03"],
        ["note", "resnet", "--append", f"w{w} line 2"],
        ["edit", edits[1], "--description", f"edited by w{w} (1)"],
        ["read", mine[0]],
    ]
    return {
        "user": USERS[w % 2],
        "commands": commands,
        "stale_edit": {"paper": "vit", "expected_version": vit_version, "description": f"stale edit by w{w}"},
    }


def test_concurrent_writers_and_a_sync_lose_no_write(cli: Cli, fake_s2: FakeS2Server) -> None:
    catalog = _json(cli.ok("list", "--json"))
    for i, row in enumerate(catalog):
        fake_s2.add_paper(row["s2_id"], title=row["title"], citations=1000 + i)
    unrecorded = [r["key"] for r in catalog if not r["recorded"]][: 3 * WRITERS]
    busy = {"alexnet", "vit", "resnet", *unrecorded}
    own = [r["key"] for r in catalog if r["key"] not in busy][: 2 * WRITERS]
    alexnet_before = _json(cli.ok("show", "alexnet", "--json"))["version"]
    vit_before = _json(cli.ok("show", "vit", "--json"))["version"]

    env = {
        **os.environ,
        "PAPERREAD_S2_URL": fake_s2.base_url,
        "PAPERREAD_S2_INTERVAL": "0",
        "PAPERREAD_S2_BACKOFF": "0.001",
    }
    writers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.concurrent_writer",
                cli.db,
                json.dumps(_plan(w, unrecorded, own, vit_before)),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env=env,
        )
        for w in range(WRITERS)
    ]
    sync = subprocess.Popen(
        [sys.executable, "-c", SYNC_WHEN_TOLD, "--db", cli.db, "sync-citations", "--json", "--stale-after", "0"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=env,
    )
    everyone = [*writers, sync]
    for p in everyone:
        assert p.stdout.readline() == "ready\n", p.communicate()[1]
    for p in everyone:  # go
        p.stdin.write("\n")
        p.stdin.flush()
    reports = []
    for p in writers:
        out, err = p.communicate(timeout=180)
        assert p.returncode == 0, err
        reports.append(json.loads(out.splitlines()[-1]))
    _sync_out, sync_err = sync.communicate(timeout=180)

    # Every command succeeded (waiting on locks as needed) ...
    failed = [(r["args"], r["exit"], r["stderr"]) for rep in reports for r in rep["results"] if r["exit"] != 0]
    assert failed == []
    # ... the sync too, and every paper got its count.
    assert sync.returncode == 0, sync_err
    assert {p["key"]: p["citations"] for p in _json(cli.ok("list", "--json"))} == {
        r["key"]: 1000 + i for i, r in enumerate(catalog)
    }

    # Each mark-recorded made its video, and the papers are recorded.
    titles = {v["title"]: [p["key"] for p in v["papers"]] for v in _json(cli.ok("videos", "--json"))["videos"]}
    for w in range(WRITERS):
        for j in range(3):
            assert titles[f"w{w} video {j}"] == [unrecorded[3 * w + j]]
    assert all(_json(cli.ok("show", key, "--json"))["recorded"] for key in unrecorded)

    # Appends to one note by two processes of the same user all landed; users stay apart.
    for u, user in enumerate(USERS):
        note = _json(cli.ok("show", "resnet", "--json", env={"PAPERREAD_USER": user}))["note"]
        lines = sorted(note.splitlines())
        assert lines == sorted(f"w{w} line {j}" for w in range(u, WRITERS, 2) for j in range(3)), user
        read = {r["key"] for r in _json(cli.ok("list", "--read", "--json", env={"PAPERREAD_USER": user}))}
        assert read == {unrecorded[3 * w] for w in range(u, WRITERS, 2)}, user

    # Edits of different papers all landed.
    for w in range(WRITERS):
        for k in range(2):
            assert _json(cli.ok("show", own[2 * w + k], "--json"))["description"] == f"edited by w{w} ({k})"

    # Four edits of one paper, each of another field, were merged, each bumping the version once.
    alexnet = _json(cli.ok("show", "alexnet", "--json"))
    assert alexnet["description"] == "shared edit by w0"
    assert alexnet["url"] == "https://example.org/w1"
    assert alexnet["year"] == 2011
    assert alexnet["doi"] == "10.1000/w3"
    assert alexnet["version"] == alexnet_before + WRITERS

    # Four edits of one paper from the same stale version: exactly one written, three refused.
    outcomes = [rep["stale_edit"]["outcome"] for rep in reports]
    assert sorted(o.split(":")[0] for o in outcomes) == ["conflict"] * (WRITERS - 1) + ["written"]
    winner = outcomes.index("written")
    vit = _json(cli.ok("show", "vit", "--json"))
    assert vit["description"] == f"stale edit by w{winner}"
    assert vit["version"] == vit_before + 1
    assert all("changed since it was read" in o for o in outcomes if o != "written")


def _until_the_second_waits(target, backend: str) -> None:
    """Hold the first transaction until the second writer waits on it (PostgreSQL: seen in
    pg_stat_activity; SQLite: a moment, its busy timeout does the waiting)."""
    import time

    from sqlalchemy import text

    from paperread.engine import make_engine

    if backend != "postgresql":
        time.sleep(0.5)
        return
    probe = make_engine(target)
    deadline = time.time() + 30
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    with probe.connect() as conn:
        while time.time() < deadline and not conn.execute(waiting).scalar():
            conn.rollback()  # a new snapshot of pg_stat_activity each time
            time.sleep(0.05)
    probe.dispose()
    assert time.time() < deadline, "the second add never waited for the first"


def test_two_adds_of_one_key_at_once_one_is_refused(cli: Cli, backend: str) -> None:
    """Both writers check that the key is free before either has committed; the second
    insert meets the first on the unique index (PostgreSQL) or waits for its lock and then
    sees the key taken (SQLite). Either way: one paper, and one clear refusal, exit 1."""
    import threading

    from paperread import store
    from paperread.config import resolve_target
    from paperread.opening import open_write_session

    target = resolve_target(cli.db)
    second: dict = {}
    with open_write_session(target) as session:
        store.add_paper(session, "First of two", category="gnn", key="same-key")
        session.flush()
        thread = threading.Thread(
            target=lambda: second.update(result=cli("add", "Second of two", "-c", "gnn", "--key", "same-key"))
        )
        thread.start()
        _until_the_second_waits(target, backend)
    thread.join(timeout=60)
    result = second["result"]
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("error: ")
    assert "same-key" in result.stderr or "at the same time" in result.stderr
    assert _json(cli.ok("show", "same-key", "--json"))["title"] == "First of two"


@pytest.mark.parametrize(
    ("option", "value", "label"), [("--arxiv", "2401.00001", "arXiv id"), ("--doi", "10.1234/abc", "DOI")]
)
def test_two_adds_of_one_arxiv_id_or_doi_at_once_one_is_refused(
    cli: Cli, backend: str, option: str, value: str, label: str
) -> None:
    """No unique constraint holds arXiv ids and DOIs, so the check must not race: on
    PostgreSQL the second writer waits for the first (a table lock) and then finds the id
    taken; SQLite's writer lock does the same. One paper has it, the other add is refused."""
    import threading

    from paperread import store
    from paperread.config import resolve_target
    from paperread.opening import open_write_session

    target = resolve_target(cli.db)
    second: dict = {}
    with open_write_session(target) as session:
        store.add_paper(session, "First of two", category="gnn", key="first", **{option[2:]: value})
        session.flush()
        thread = threading.Thread(
            target=lambda: second.update(
                result=cli("add", "Second of two", "-c", "gnn", "--key", "second", option, value)
            )
        )
        thread.start()
        _until_the_second_waits(target, backend)
    thread.join(timeout=60)
    result = second["result"]
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(f"error: {label} '{value}' is already taken by paper 'first'")
    papers = _json(cli.ok("list", "--json"))
    assert [p["key"] for p in papers if value in (p["arxiv_id"], p["doi"])] == ["first"]
    assert "second" not in {p["key"] for p in papers}
