"""Citation sync through the CLI against the local fake S2 server (tests/fake_s2.py), never
the network: sync-citations, resolve, trending, add --fetch, the lock and the log.

Each failure mode is checked for what is stored, what is reported, the exit code, and
that nothing fetched earlier is lost. Tests on ``cli``/``empty_cli`` run on SQLite and,
when PAPERREAD_TEST_PG_URL is set, on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperread import locks, output, sync
from tests.conftest import ROOT, Cli
from tests.fake_s2 import FakeS2Server

KEY = "sk-live-DO-NOT-LEAK-4f1c2d"
ATTENTION = "204e3073870fae3d05bcbc2f6a8e263d9b72e776"  # the built-in 'transformer'


def as_json(result: Any) -> Any:
    return json.loads(result.stdout)


def show(cli: Cli, paper: str) -> dict:
    return as_json(cli.ok("show", paper, "--json"))


def papers(cli: Cli) -> list[dict]:
    return as_json(cli.ok("list", "--json"))


def counted(cli: Cli) -> dict[str, int | None]:
    return {p["key"]: p["citations"] for p in papers(cli)}


@pytest.fixture
def s2(fake_s2: FakeS2Server, monkeypatch: pytest.MonkeyPatch) -> FakeS2Server:
    """The fake server, with paperread pointed at it: no pacing, millisecond backoff."""
    monkeypatch.setenv("PAPERREAD_S2_URL", fake_s2.base_url)
    monkeypatch.setenv("PAPERREAD_S2_INTERVAL", "0")
    monkeypatch.setenv("PAPERREAD_S2_BACKOFF", "0.001")
    return fake_s2


def serve(server: FakeS2Server, rows: list[dict], *, citations: int = 100, **extra: Any) -> None:
    """A record on the fake server for each catalog row (by its s2_id): counts 100, 101..."""
    for i, row in enumerate(rows):
        if row.get("s2_id"):
            server.add_paper(row["s2_id"], title=row["title"], citations=citations + i, **extra)


@pytest.fixture
def served(cli: Cli, s2: FakeS2Server) -> list[dict]:
    """The built-in catalog (90 papers with S2 ids) and a record for each on the server."""
    rows = papers(cli)
    serve(s2, rows, authors=("Ada Lovelace", "Alan Turing"), venue="NeurIPS", publication_date="2017-06-12", year=2017)
    return rows


def sync_json(cli: Cli, *args: str, code: int = 0, **kwargs: Any) -> dict:
    result = cli("sync-citations", "--json", *args, **kwargs)
    assert result.exit_code == code, f"exit {result.exit_code}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    return as_json(result)


def load_synthetic(cli: Cli, n: int) -> list[str]:
    """``n`` papers with S2 ids in an empty catalog, bulk-loaded through the real schema."""
    from paperread.config import resolve_target
    from paperread.engine import make_engine
    from paperread.exchange.bulk import load_document

    ids = [f"{i:040x}" for i in range(1, n + 1)]
    doc = {
        "format": "paperread",
        "version": 1,
        "categories": [{"slug": "bulk", "name": "Bulk"}],
        "papers": [
            {"key": f"p{i:05d}", "title": f"Paper number {i}", "category": "bulk", "s2_id": s2_id}
            for i, s2_id in enumerate(ids, 1)
        ],
        "videos": [],
    }
    engine = make_engine(resolve_target(cli.db))
    try:
        with engine.begin() as conn:
            load_document(conn, doc)
    finally:
        engine.dispose()
    return ids


@pytest.fixture
def bulk(empty_cli: Cli, s2: FakeS2Server) -> Cli:
    """1,234 papers (three batches: 500, 500, 234), each served with 1000 + i citations."""
    for i, s2_id in enumerate(load_synthetic(empty_cli, 1234), 1):
        s2.add_paper(s2_id, title=f"Paper number {i}", citations=1000 + i)
    return empty_cli


def with_counts(cli: Cli) -> int:
    return sum(1 for c in counted(cli).values() if c is not None)


# ---------------------------------------------------------------------------- the ordinary run


def test_first_sync_stores_counts_metadata_and_one_history_point_each(cli: Cli, served: list[dict], s2) -> None:
    summary = sync_json(cli)
    assert (summary["asked"], summary["updated"], summary["unchanged"], summary["failed"]) == (90, 90, 0, 0)
    assert summary["requests"] == 1 and len(s2.requests) == 1
    assert summary["metadata_filled"] == 90 and summary["exit_code"] == 0
    resnet = show(cli, "resnet")
    index = [r["key"] for r in served].index("resnet")
    assert resnet["citations"] == 100 + index and resnet["citations_fetched_at"]
    assert resnet["authors"] == "Ada Lovelace, Alan Turing" and resnet["venue"] == "NeurIPS"
    assert resnet["publication_date"] == "2017-06-12"
    assert resnet["year"] == 2015  # the catalog's year: a value already set is never replaced
    assert [h["count"] for h in resnet["citation_history"]] == [100 + index]


def test_a_rerun_skips_fresh_papers_and_writes_history_only_on_change(cli: Cli, served: list[dict], s2) -> None:
    sync_json(cli)
    again = sync_json(cli)
    assert (again["skipped_fresh"], again["requests"], again["updated"]) == (90, 0, 0)
    s2.papers[ATTENTION]["citationCount"] = 999_999
    forced = sync_json(cli, "--stale-after", "0")
    assert (forced["updated"], forced["unchanged"], forced["requests"]) == (1, 89, 1)
    history = show(cli, "transformer")["citation_history"]
    assert [h["count"] for h in history][-1] == 999_999 and len(history) == 2
    assert len(show(cli, "resnet")["citation_history"]) == 1  # unchanged: no new row
    assert sync_json(cli, "--stale-after", "2w")["skipped_fresh"] == 90


def test_named_papers_are_refreshed_even_when_fresh(cli: Cli, served: list[dict], s2) -> None:
    sync_json(cli)
    named = sync_json(cli, "resnet", "vgg")
    assert (named["asked"], named["unchanged"], named["requests"]) == (2, 2, 1)
    assert json.loads(s2.requests[-1].body)["ids"] == [r["s2_id"] for r in served if r["key"] in ("vgg", "resnet")]
    assert sync_json(cli, "resnet", "--stale-after", "1d")["skipped_fresh"] == 1


def test_category_scope(cli: Cli, served: list[dict], s2) -> None:
    summary = sync_json(cli, "--category", "vision")
    vision = [r for r in served if r["category"].startswith("vision/")]
    assert summary["asked"] == len(vision) == summary["updated"]
    assert {k for k, c in counted(cli).items() if c is not None} == {r["key"] for r in vision}


def test_a_users_values_win_over_semantic_scholars(cli: Cli, served: list[dict], s2) -> None:
    cli.ok("edit", "resnet", "--year", "2016", "--doi", "10.1109/CVPR.2016.90")
    record = s2.papers[next(r["s2_id"] for r in served if r["key"] == "resnet")]
    record["externalIds"] = {"ArXiv": "9999.99999", "DOI": "10.1000/other"}
    record["year"] = 2020
    sync_json(cli)
    resnet = show(cli, "resnet")
    assert (resnet["year"], resnet["arxiv_id"], resnet["doi"]) == (2016, "1512.03385", "10.1109/cvpr.2016.90")
    assert resnet["venue"] == "NeurIPS"  # what was missing is filled


def test_metadata_fill_bumps_the_version_but_a_count_alone_does_not(cli: Cli, served: list[dict], s2) -> None:
    before = show(cli, "resnet")["version"]
    sync_json(cli)
    after = show(cli, "resnet")["version"]
    assert after == before + 1
    s2.papers[next(r["s2_id"] for r in served if r["key"] == "resnet")]["citationCount"] = 5
    sync_json(cli, "--stale-after", "0")
    assert show(cli, "resnet")["version"] == after


def test_batches_of_500_cost_one_request_each(bulk: Cli, s2: FakeS2Server) -> None:
    summary = sync_json(bulk)
    assert (summary["updated"], summary["requests"], len(s2.requests)) == (1234, 3, 3)
    assert [len(json.loads(r.body)["ids"]) for r in s2.requests] == [500, 500, 234]
    assert counted(bulk)["p00042"] == 1042


def test_dry_run_asks_nothing_and_writes_nothing(cli: Cli, served: list[dict], s2) -> None:
    result = cli.ok("sync-citations", "--dry-run")
    assert result.stdout.splitlines() == [r["key"] for r in served]
    assert "would fetch 90 papers in 1 request" in result.stderr
    plan = as_json(cli.ok("sync-citations", "--dry-run", "--json", "--category", "gnn"))
    assert (plan["to_fetch"], plan["requests_needed"], plan["papers"]) == (1, 1, ["gnn-intro"])
    assert s2.requests == [] and with_counts(cli) == 0


# ---------------------------------------------------------------------------- failures, one by one


@pytest.mark.parametrize("script", [["429"], [("429", None), ("429", None)], ["500"], ["502", "503"], ["504"]])
def test_throttling_and_server_errors_are_retried(cli: Cli, served: list[dict], s2, script) -> None:
    s2.script(*script)
    summary = sync_json(cli)
    assert (summary["updated"], summary["failed"], summary["requests"]) == (90, 0, len(script) + 1)


def test_an_answer_slower_than_the_timeout_is_retried(cli: Cli, served: list[dict], s2, monkeypatch) -> None:
    monkeypatch.setenv("PAPERREAD_S2_TIMEOUT", "0.3")
    s2.slow_seconds = 1.5
    s2.script("slow")
    summary = sync_json(cli)
    assert (summary["updated"], summary["requests"]) == (90, 2)


@pytest.mark.parametrize("action", ["drop", "badjson"])
def test_a_dropped_connection_or_broken_json_is_retried(cli: Cli, served: list[dict], s2, action: str) -> None:
    s2.script(action)
    summary = sync_json(cli)
    assert (summary["updated"], summary["requests"]) == (90, 2)


def test_s2_down_on_the_second_batch_keeps_the_first_and_a_rerun_finishes(bulk: Cli, s2) -> None:
    s2.script("ok", *["503"] * 6)
    result = bulk("sync-citations", "--json")
    assert result.exit_code == 1
    summary = as_json(result)
    assert (summary["updated"], summary["failed"], summary["requests"]) == (500, 734, 7)
    assert "HTTP 503" in summary["stopped"] and "gave up after 6 attempts" in summary["stopped"]
    assert [f["papers"] for f in summary["failures"]] == [500, 234]
    assert "error: 500 papers failed: Semantic Scholar answered HTTP 503" in result.stderr
    assert with_counts(bulk) == 500
    rerun = sync_json(bulk)
    assert (rerun["updated"], rerun["skipped_fresh"], rerun["requests"]) == (734, 500, 2)
    assert with_counts(bulk) == 1234


def test_persistent_broken_json_stores_nothing_and_fails(cli: Cli, served: list[dict], s2) -> None:
    s2.script(*["badjson"] * 6)
    result = cli("sync-citations")
    assert result.exit_code == 1
    assert (
        "error: 90 papers failed: Semantic Scholar answered POST /graph/v1/paper/batch with a body that is not JSON"
        in result.stderr
    )
    assert with_counts(cli) == 0


def test_a_wrong_length_answer_fails_its_batch(cli: Cli, served: list[dict], s2) -> None:
    s2.script(*["short"] * 6)
    summary = sync_json(cli, code=1)
    assert summary["failed"] == 90 and "answered 89 results for 90 ids" in summary["failures"][0]["reason"]


def test_a_client_error_fails_its_batch_only(bulk: Cli, s2) -> None:
    s2.script("ok", "400")  # not retried, not fatal: the run goes on with the third batch
    summary = sync_json(bulk, code=1)
    assert (summary["updated"], summary["failed"], summary["requests"], summary["stopped"]) == (734, 500, 3, None)
    assert "HTTP 400" in summary["failures"][0]["reason"]


def test_nulls_unknown_papers_and_records_without_a_count(cli: Cli, served: list[dict], s2) -> None:
    gone = next(r for r in served if r["key"] == "alexnet")
    del s2.papers[gone["s2_id"]]
    bare = s2.papers[next(r["s2_id"] for r in served if r["key"] == "vgg")]
    bare.update(
        citationCount=None, venue="", authors=None, publicationDate=None, externalIds=None, year=None, title=None
    )
    summary = sync_json(cli)
    assert (summary["not_found"], summary["not_found_papers"], summary["without_count"]) == (1, ["alexnet"], 1)
    assert summary["updated"] == 88 and summary["failed"] == 0
    vgg = show(cli, "vgg")
    assert (vgg["citations"], vgg["venue"], vgg["authors"], vgg["citation_history"]) == (None, None, None, [])
    assert vgg["citations_fetched_at"] is not None
    alexnet = show(cli, "alexnet")
    assert (alexnet["citations"], alexnet["citations_fetched_at"]) == (None, None)


def test_a_record_without_a_paper_id_fails_that_paper_only(cli: Cli, served: list[dict], s2) -> None:
    s2.papers[next(r["s2_id"] for r in served if r["key"] == "vgg")]["paperId"] = None
    summary = sync_json(cli, code=1)
    assert (summary["updated"], summary["failed"]) == (89, 1)
    assert summary["failures"][0]["keys"] == ["vgg"]


def test_a_merged_id_replaces_the_stored_one(cli: Cli, served: list[dict], s2) -> None:
    old = next(r["s2_id"] for r in served if r["key"] == "vgg")
    new = "f" * 40
    record = s2.papers.pop(old)
    record["paperId"] = new
    s2.papers[new] = record
    s2.aliases[old] = new
    summary = sync_json(cli)
    assert summary["replaced_ids"] == [{"key": "vgg", "old": old, "new": new}]
    assert show(cli, "vgg")["s2_id"] == new and show(cli, "vgg")["citations"] is not None


def test_a_merged_id_another_paper_has_is_a_conflict_not_a_crash(cli: Cli, served: list[dict], s2) -> None:
    vgg, resnet = (next(r["s2_id"] for r in served if r["key"] == k) for k in ("vgg", "resnet"))
    del s2.papers[vgg]
    s2.aliases[vgg] = resnet  # S2 merged vgg into resnet: two catalog papers, one S2 paper
    result = cli("sync-citations", "--json")
    assert result.exit_code == 0
    summary = as_json(result)
    assert summary["conflicts"] == [{"key": "vgg", "s2_id": resnet, "taken_by": "resnet"}]
    assert show(cli, "vgg")["s2_id"] == vgg  # kept
    assert summary["updated"] == 90
    human = cli("sync-citations", "--stale-after", "0")
    assert f"conflict: vgg: S2 id {resnet} is already resnet's; kept as it was" in human.stderr


def test_a_named_paper_without_an_s2_id_fails_without_resolve(cli: Cli, served: list[dict], s2) -> None:
    cli.ok("add", "Some Paper", "--category", "gnn", "--key", "nameless")
    summary = sync_json(cli, "nameless", "resnet", code=1)
    assert summary["failures"][0]["keys"] == ["nameless"] and "--resolve" in summary["failures"][0]["reason"]
    assert summary["updated"] == 1
    dry = cli("sync-citations", "nameless", "--dry-run")
    assert dry.exit_code == 1 and dry.stdout == ""
    assert "error: 1 paper failed: no Semantic Scholar id (run with --resolve" in dry.stderr


# ---------------------------------------------------------------------------- the key


def test_a_refused_key_is_reported_stores_nothing_and_never_shows_the_key(
    cli: Cli, served: list[dict], s2, monkeypatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("S2_API_KEY", KEY)
    s2.expected_key = "the-right-key"
    log = tmp_path / "sync.log"
    result = cli("sync-citations", "--log", str(log))
    assert result.exit_code == 1
    assert "Semantic Scholar refused the API key (HTTP 403): it is wrong or expired; check S2_API_KEY" in result.stderr
    assert len(s2.requests) == 1  # a refused key is not retried, and the run stops
    assert with_counts(cli) == 0
    assert "exit=1" in log.read_text()
    for text in (result.stdout, result.stderr, log.read_text()):
        assert KEY not in text


@pytest.mark.parametrize("bad", ["SECRET\nxyzzy", "SECRETéxyzzy", "SECRET\txyzzy"])
def test_a_key_no_header_can_carry_is_refused_without_showing_it(
    cli: Cli, served: list[dict], s2, monkeypatch, tmp_path: Path, bad: str
) -> None:
    monkeypatch.setenv("S2_API_KEY", bad)
    log = tmp_path / "sync.log"
    result = cli("sync-citations", "--log", str(log))
    assert result.exit_code == 2 and not s2.requests  # a bad setting, as every setting: exit 2
    assert result.stderr.splitlines()[0] == (
        "error: bad Semantic Scholar setting: the API key holds a character an HTTP header cannot carry (the key is not shown)"
    )
    for text in (result.stdout, result.stderr, log.read_text()):
        assert "SECRET" not in text and "xyzzy" not in text


def test_the_key_reaches_no_output_log_or_database(
    cli: Cli, served: list[dict], s2, monkeypatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("S2_API_KEY", KEY)
    s2.expected_key = KEY
    s2.script("503", "drop", "429")
    log = tmp_path / "sync.log"
    outputs = []
    for args in (["--json"], ["--stale-after", "0"], ["--quiet"], ["--dry-run"], ["--resolve", "--stale-after", "0"]):
        result = cli("sync-citations", "--log", str(log), *args)
        outputs += [result.stdout, result.stderr]
    s2.expected_key = "rotated"
    result = cli("sync-citations", "--stale-after", "0", "--log", str(log))
    outputs += [result.stdout, result.stderr, log.read_text()]
    assert all(r.headers.get("x-api-key") in (KEY, None) for r in s2.requests)
    assert all(KEY not in text for text in outputs)
    assert len(log.read_text().splitlines()) == 6
    if cli.backend == "sqlite":
        for path in Path(cli.db).parent.glob(Path(cli.db).name + "*"):
            assert KEY.encode() not in path.read_bytes()


# ---------------------------------------------------------------------------- output, log, exit codes


def test_quiet_prints_nothing_but_errors(cli: Cli, served: list[dict], s2) -> None:
    ok = cli("sync-citations", "--quiet")
    assert (ok.exit_code, ok.stdout, ok.stderr) == (0, "", "")
    s2.script(*["503"] * 6)
    bad = cli("sync-citations", "--quiet", "--stale-after", "0")
    assert bad.exit_code == 1 and bad.stdout == ""
    assert bad.stderr.splitlines() and all(line.startswith("error: ") for line in bad.stderr.splitlines())


def test_the_human_summary(cli: Cli, served: list[dict], s2) -> None:
    result = cli.ok("sync-citations")
    assert result.stdout == ""
    assert result.stderr.splitlines()[0] == (
        "all papers with an S2 id: 90 updated, 0 unchanged, 0 not found, 0 failed, 0 skipped as fresh; 1 request"
    )


def test_the_log_gets_one_line_per_run(cli: Cli, served: list[dict], s2, tmp_path: Path) -> None:
    log = tmp_path / "logs" / "sync.log"
    log.parent.mkdir()
    cli.ok("sync-citations", "--log", str(log))
    cli.ok("sync-citations", "--category", "gnn", "--log", str(log))
    s2.script(*["500"] * 6)
    cli("sync-citations", "vgg", "--log", str(log))
    first, second, third = log.read_text().splitlines()
    stamp = dt.datetime.strptime(first.split()[0], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    assert abs((dt.datetime.now(dt.UTC) - stamp).total_seconds()) < 120
    assert 'scope="all papers with an S2 id" asked=90 updated=90 unchanged=0 not_found=0 failed=0' in first
    assert first.endswith("requests=1 exit=0")
    assert 'scope="category gnn"' in second and "skipped_fresh=1" in second and "exit=0" in second
    assert 'scope="papers vgg"' in third and "failed=1" in third and "exit=1" in third and "HTTP 500" in third
    refused = cli("sync-citations", "--log", str(tmp_path / "no-such-dir" / "x.log"))
    assert refused.exit_code == 1 and "cannot write to the log" in refused.stderr
    refused = cli("sync-citations", "--log", "")  # click makes it '.', the current folder
    assert refused.exit_code == 1 and refused.stderr.startswith("error: --log '.' is a folder, not a file")
    refused = cli("sync-citations", "--log", str(tmp_path))  # click's own check: a usage error
    assert refused.exit_code == 2 and "is a directory" in refused.stderr.splitlines()[0]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["sync-citations", "resnet", "--category", "gnn"], "name papers or give --category, not both"),
        (["sync-citations", "--stale-after", "soon"], "--stale-after: period 'soon' is not like 12h, 7d or 2w"),
        (["sync-citations", "--stale-after", "7"], "is not like 12h, 7d or 2w"),
        (["trending", "--since", "lately"], "--since: 'lately' is neither a period"),
        (["resolve", "x", "--category", "gnn"], "not both"),
    ],
)
def test_usage_errors_exit_2(cli: Cli, s2, args: list[str], fragment: str) -> None:
    result = cli(*args)
    assert result.exit_code == 2 and fragment in result.stderr and s2.requests == []


def test_an_unknown_paper_is_an_error(cli: Cli, s2) -> None:
    result = cli("sync-citations", "no-such-paper")
    assert result.exit_code == 1 and "no paper matches 'no-such-paper'" in result.stderr


# ---------------------------------------------------------------------------- resolve


@pytest.fixture
def unidentified(cli: Cli, served: list[dict], s2: FakeS2Server) -> Cli:
    """Papers without an S2 id, one for each way of finding (or not finding) it."""
    s2.add_paper(
        "a" * 40,
        title="Mamba: Linear-Time Sequence Modeling with Selective State Spaces",
        arxiv="2312.00752",
        citations=3000,
        authors=("Albert Gu", "Tri Dao"),
    )
    s2.add_paper(
        "b" * 40,
        title="Highly accurate protein structure prediction with AlphaFold",
        doi="10.1038/s41586-021-03819-2",
        citations=20000,
    )
    s2.add_paper("c" * 40, title="Deep Sets", citations=2500, venue="NeurIPS")
    s2.add_paper("d" * 40, title="Scaling Laws for Neural Language Models", citations=4000, arxiv="2001.08361")
    s2.add_paper("e" * 40, title="Denoising Diffusion Implicit Models", citations=5000)
    add = ["add", "--category", "gnn"]
    cli.ok(*add, "Mamba", "--key", "mamba", "--arxiv", "2312.00752v2")
    cli.ok(*add, "AF2 nature", "--key", "af2", "--doi", "https://doi.org/10.1038/S41586-021-03819-2")
    cli.ok(*add, "deep sets!", "--key", "deepsets")  # the same title once normalised
    cli.ok(*add, "Scaling laws for neural language model", "--key", "scaling")  # close, not equal
    cli.ok(
        *add, "Denoising Diffusion Implicit Models", "--key", "ddim", "--arxiv", "2010.02502"
    )  # S2 lacks the arXiv id
    cli.ok(*add, "A paper nobody wrote", "--key", "ghost")
    # already in the catalog as 'transformer': a conflict, not a duplicate id
    cli.ok(*add, "Attention Is All You Need", "--key", "attention-again")
    s2.papers[ATTENTION]["title"] = "Attention Is All You Need"
    return cli


def test_sync_with_resolve_identifies_papers_in_the_same_batch(unidentified: Cli, s2: FakeS2Server) -> None:
    summary = sync_json(unidentified, "--resolve")
    assert {r["key"]: (r["s2_id"], r["via"]) for r in summary["resolved"]} == {
        "mamba": ("a" * 40, "arXiv id"),
        "af2": ("b" * 40, "DOI"),
        "deepsets": ("c" * 40, "title"),
        "ddim": ("e" * 40, "title"),
    }
    batch = json.loads(s2.requests[0].body)["ids"]
    assert len(batch) == 93 and "ARXIV:2312.00752" in batch and "DOI:10.1038/s41586-021-03819-2" in batch
    assert "ARXIV:2010.02502" in batch
    # one batch, then a title match each for deepsets, scaling, ghost, attention-again and ddim
    assert summary["requests"] == 6
    assert [u["key"] for u in summary["unsure"]] == ["scaling"]
    assert summary["unsure"][0]["match_title"] == "Scaling Laws for Neural Language Models"
    assert summary["not_found_papers"] == ["ghost"]
    assert summary["conflicts"] == [{"key": "attention-again", "s2_id": ATTENTION, "taken_by": "transformer"}]
    assert summary["exit_code"] == 0
    mamba = show(unidentified, "mamba")
    assert (mamba["s2_id"], mamba["citations"], mamba["authors"]) == ("a" * 40, 3000, "Albert Gu, Tri Dao")
    assert show(unidentified, "scaling")["s2_id"] is None
    assert show(unidentified, "attention-again")["s2_id"] is None
    assert show(unidentified, "attention-again")["citations"] is None
    assert show(unidentified, "deepsets")["venue"] == "NeurIPS"


def test_resolve_command(unidentified: Cli, s2: FakeS2Server) -> None:
    result = unidentified("resolve", "mamba", "deepsets", "scaling", "resnet")
    assert result.exit_code == 0, result.stderr
    assert "resolved mamba -> " + "a" * 40 + " (by arXiv id)" in result.stderr
    assert "resolved deepsets -> " + "c" * 40 + " (by title)" in result.stderr
    assert "unsure, not stored: scaling" in result.stderr
    assert "already identified, left alone: resnet" in result.stderr
    assert len(s2.requests) == 3  # one batch (mamba), a title match each for deepsets and scaling
    everything = as_json(unidentified("resolve", "--json"))
    assert [r["key"] for r in everything["resolved"]] == ["af2", "ddim"]
    assert everything["not_found_papers"] == ["ghost"] and len(everything["unsure"]) == 1
    assert show(unidentified, "af2")["s2_id"] == "b" * 40


def test_external_ids_lose_their_arxiv_version() -> None:
    assert sync._external_ref("1706.03762v5", None) == "ARXIV:1706.03762"
    assert sync._external_ref(None, "10.1038/NATURE14539") == "DOI:10.1038/nature14539"
    assert sync._external_ref("not an id", None) is None


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("Attention Is All You Need", "attention is all you need.", True),
        (
            "BERT: Pre-training of Deep Bidirectional Transformers",
            "BERT -- pre-training of deep bidirectional transformers",
            True,
        ),
        ("Ｄｅｅｐ Ｓｅｔｓ", "deep sets", True),
        ("Scaling laws for neural language model", "Scaling Laws for Neural Language Models", False),
        ("", "", False),
        (None, "x", False),
    ],
)
def test_titles_agree_once_normalised(a: str | None, b: str | None, same: bool) -> None:
    assert sync.titles_agree(a, b) is same


# ---------------------------------------------------------------------------- add --fetch


@pytest.fixture
def mamba(s2: FakeS2Server) -> FakeS2Server:
    s2.add_paper(
        "a" * 40,
        title="Mamba: Linear-Time Sequence Modeling with Selective State Spaces",
        year=2023,
        arxiv="2312.00752",
        doi="10.48550/arXiv.2312.00752",
        citations=3000,
        venue="arXiv.org",
        authors=("Albert Gu", "Tri Dao"),
        publication_date="2023-12-01",
    )
    return s2


@pytest.mark.parametrize(
    "ref",
    [
        "ARXIV:2312.00752",
        "2312.00752v2",
        "https://arxiv.org/abs/2312.00752",
        "DOI:10.48550/ARXIV.2312.00752",
        "a" * 40,
        "mamba: linear-time sequence modeling with selective state spaces",
    ],
)
def test_add_fetch_creates_the_paper_from_semantic_scholar(cli: Cli, mamba: FakeS2Server, ref: str) -> None:
    data = as_json(cli.ok("add", "--fetch", ref, "--category", "nlp/transformer", "--json"))
    assert data["key"] == "mamba-linear-time-sequence-modeling-with-selective-state-spaces"
    assert (data["title"], data["year"], data["s2_id"], data["arxiv_id"]) == (
        "Mamba: Linear-Time Sequence Modeling with Selective State Spaces",
        2023,
        "a" * 40,
        "2312.00752",
    )
    assert (data["authors"], data["venue"], data["publication_date"]) == (
        "Albert Gu, Tri Dao",
        "arXiv.org",
        "2023-12-01",
    )
    assert data["citations"] == 3000 and [h["count"] for h in data["citation_history"]] == [3000]
    assert data["url"] == "https://arxiv.org/abs/2312.00752" and data["category"] == "nlp/transformer"
    assert len(mamba.requests) == 1


def test_add_fetch_keeps_the_users_own_values(cli: Cli, mamba: FakeS2Server) -> None:
    data = as_json(
        cli.ok("add", "Mamba", "--fetch", "ARXIV:2312.00752", "-c", "gnn", "--key", "mamba", "--year", "2024", "--json")
    )
    assert (data["key"], data["title"], data["year"], data["citations"]) == ("mamba", "Mamba", 2024, 3000)


def test_add_fetch_asks_for_the_category_on_a_terminal(cli: Cli, mamba: FakeS2Server, monkeypatch) -> None:
    monkeypatch.setattr(output, "stdin_is_terminal", lambda: True)
    result = cli("add", "--fetch", "ARXIV:2312.00752", "--key", "mamba", input="nlp/transformer\n")
    assert result.exit_code == 0, result.stderr
    assert "Category for 'Mamba: Linear-Time Sequence Modeling with Selective State Spaces'" in result.stderr
    assert show(cli, "mamba")["category"] == "nlp/transformer"


def test_add_fetch_without_a_category_off_a_terminal_is_a_usage_error(cli: Cli, mamba: FakeS2Server) -> None:
    result = cli("add", "--fetch", "ARXIV:2312.00752")
    assert result.exit_code == 2 and "needs --category when input is not a terminal" in result.stderr
    assert "mamba" not in {p["key"][:5] for p in papers(cli)}


@pytest.mark.parametrize(
    ("ref", "fragment"),
    [
        ("ARXIV:2401.00001", "Semantic Scholar knows no paper 'ARXIV:2401.00001'"),
        ("A Paper Nobody Wrote At All", "Semantic Scholar has no paper titled 'A Paper Nobody Wrote At All'"),
        (
            "Mamba: linear-time sequence modeling with selective state space",
            "closest match for 'Mamba: linear-time sequence modeling with selective state space' is "
            "'Mamba: Linear-Time Sequence Modeling with Selective State Spaces' (" + "a" * 40 + "); not taken",
        ),
        ("ARXIV:1706.03762", "is already taken by paper 'transformer'"),
    ],
)
def test_add_fetch_refusals(cli: Cli, mamba: FakeS2Server, ref: str, fragment: str) -> None:
    mamba.add_paper(ATTENTION, title="Attention Is All You Need", arxiv="1706.03762", citations=1)
    result = cli("add", "--fetch", ref, "-c", "gnn")
    assert result.exit_code == 1 and fragment in result.stderr, result.stderr
    assert len(papers(cli)) == 90


def test_add_fetch_with_s2_down_is_one_error_line(cli: Cli, mamba: FakeS2Server) -> None:
    mamba.script(*["503"] * 6)
    result = cli("add", "--fetch", "ARXIV:2312.00752", "-c", "gnn")
    assert result.exit_code == 1 and result.stderr.startswith("error: Semantic Scholar answered HTTP 503")


# ---------------------------------------------------------------------------- history and trending


@pytest.fixture
def timeline(cli: Cli, served: list[dict], s2: FakeS2Server, monkeypatch) -> dict[str, Any]:
    """Three syncs, 60, 20 and 1 days ago, with counts that move by paper."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    ids = {r["key"]: r["s2_id"] for r in served}
    plan = {  # key -> its count at each sync (None: S2 does not have it yet)
        "resnet": (100, 150, 400),  # +300 over 30 days (from the -60d count), +250 over 10
        "vit": (500, 500, 600),  # +100
        "clip": (None, 50, 250),  # first seen inside the window: +200 since then
        "bert": (1000, 1000, 1000),  # no change inside the window: not a candidate
        "gpt": (700, 800, 800),  # +100, all of it 20 days ago
        "vgg": (300, 250, 250),  # fell: not trending
    }
    original = sync.utcnow
    for step, days in enumerate((60, 20, 1)):
        for key, counts in plan.items():
            if counts[step] is None:
                s2.papers.pop(ids[key], None)
            else:
                s2.add_paper(ids[key], title=key, citations=counts[step])
        monkeypatch.setattr(sync, "utcnow", lambda d=days: now - dt.timedelta(days=d))
        sync_json(cli, "--stale-after", "0", *plan)
    monkeypatch.setattr(sync, "utcnow", original)
    return {"now": now}


def test_trending_ranks_by_growth_over_the_window(cli: Cli, timeline) -> None:
    data = as_json(cli.ok("trending", "--json"))
    got = [(r["key"], r["growth"], r["start_count"], r["end_count"]) for r in data["papers"]]
    assert got == [("resnet", 300, 100, 400), ("clip", 200, 50, 250), ("gpt", 100, 700, 800), ("vit", 100, 500, 600)]
    assert data["papers"][0]["growth_percent"] == 300.0
    assert data["papers"][1]["start_at"][:10] == (timeline["now"] - dt.timedelta(days=20)).date().isoformat()
    short = as_json(cli.ok("trending", "--since", "10d", "--json", "--limit", "2"))["papers"]
    assert [(r["key"], r["growth"]) for r in short] == [("resnet", 250), ("clip", 200)]
    vision = as_json(cli.ok("trending", "--category", "vision", "--json"))["papers"]
    assert [r["key"] for r in vision] == ["resnet", "vit"]
    date = (timeline["now"] - dt.timedelta(days=90)).date().isoformat()
    assert [r["key"] for r in as_json(cli.ok("trending", "--since", date, "--json"))["papers"]][:2] == [
        "resnet",
        "clip",
    ]
    plain = cli.ok("trending").stdout.splitlines()
    assert plain[0].split("\t")[:4] == ["resnet", "300", "100", "400"]


def test_show_draws_the_history_on_a_terminal_and_plainly_when_piped(cli: Cli, timeline, monkeypatch) -> None:
    history = show(cli, "resnet")["citation_history"]
    assert [h["count"] for h in history] == [100, 150, 400]
    piped = [line for line in cli.ok("show", "resnet").stdout.splitlines() if line.startswith("history:")]
    start = (timeline["now"] - dt.timedelta(days=60)).date().isoformat()
    end = (timeline["now"] - dt.timedelta(days=1)).date().isoformat()
    assert piped == [f"history: 100 on {start} -> 400 on {end} (+300 in 3 counts)"]
    monkeypatch.setattr(output, "stdout_is_terminal", lambda: True)
    shown = cli.ok("show", "resnet").stdout
    assert f"▁▂█ 100 → 400 (+300) from {start} to {end}" in shown


def test_the_sparkline_follows_time_when_there_are_many_points() -> None:
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    points = [((start + dt.timedelta(days=d)).isoformat(), d) for d in range(100)]
    series = output.spark_series(points, width=10)
    assert len(series) == 10 and series[0] == 0 and series[-1] == 99 and series == sorted(series)
    assert output.spark_series(points[:5]) == [0, 1, 2, 3, 4]
    assert output.citation_history_line([{"count": 5, "fetched_at": start.isoformat()}], terminal=True) == ""


def test_trending_stays_on_the_light_road(builtin_db: Path) -> None:
    from tests.test_read_paths import HEAVY, PROBE

    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY, args=["--db", str(builtin_db), "trending"])],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().splitlines()[-1] == "HEAVY="


# ---------------------------------------------------------------------------- kill, lock, concurrency


def start_sync(cli: Cli, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "paperread", "--db", cli.db, "sync-citations", "--json", *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(condition: Any, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.02)


def lock_is_free(cli: Cli) -> bool:
    from paperread.config import resolve_target
    from paperread.engine import make_engine

    target = resolve_target(cli.db)
    engine = make_engine(target)
    try:
        with locks.run_lock(target, engine):
            return True
    except locks.BusyError:
        return False
    finally:
        engine.dispose()


def test_a_killed_sync_keeps_its_batches_frees_its_lock_and_a_rerun_finishes(bulk: Cli, s2: FakeS2Server) -> None:
    s2.slow_seconds = 60
    s2.script("ok", "slow")  # the second batch hangs until the process is killed
    proc = start_sync(bulk, env={"PAPERREAD_S2_TIMEOUT": "120"})
    try:
        wait_for(lambda: len(s2.requests) >= 2 or proc.poll() is not None)
        assert proc.poll() is None, proc.communicate()

        # The first batch is in; the catalog stays usable while the sync waits on the network.
        assert with_counts(bulk) == 500
        started = time.monotonic()
        bulk.ok("edit", "p00001", "--year", "2001")
        bulk.ok("list", "--limit", "5")
        assert time.monotonic() - started < 5

        # Only one sync at a time: a second one says who holds the lock and stops at once.
        started = time.monotonic()
        busy = bulk("sync-citations", "--stale-after", "0")
        assert busy.exit_code == 1 and time.monotonic() - started < 5
        assert "another sync is running on" in busy.stderr and f"pid {proc.pid}" in busy.stderr
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
    assert proc.returncode == -signal.SIGKILL

    bulk.ok("db", "check")
    assert with_counts(bulk) == 500
    assert show(bulk, "p00001")["year"] == 2001
    if bulk.backend == "postgresql":  # the server frees it once it sees the connection close
        wait_for(lambda: lock_is_free(bulk), timeout=10)
    before = len(s2.requests)
    rerun = sync_json(bulk)  # takes the dead run's lock over
    assert (rerun["updated"], rerun["skipped_fresh"], rerun["requests"]) == (734, 500, 2)
    assert len(s2.requests) - before == 2
    assert with_counts(bulk) == 1234
    if bulk.backend == "sqlite":
        assert rerun["took_over_lock_from"] == proc.pid
    bulk.ok("db", "check")


def test_a_refused_run_is_logged(cli: Cli, served: list[dict], s2: FakeS2Server, tmp_path: Path) -> None:
    s2.slow_seconds = 60
    s2.script("slow")
    log = tmp_path / "sync.log"
    proc = start_sync(cli, env={"PAPERREAD_S2_TIMEOUT": "120"})
    try:
        wait_for(lambda: len(s2.requests) >= 1 or proc.poll() is not None)
        busy = cli("sync-citations", "--log", str(log), "--quiet")
        assert busy.exit_code == 1 and busy.stdout == ""
        assert busy.stderr.startswith("error: another sync is running")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
    line = log.read_text()
    assert "exit=1" in line and 'error="another sync is running' in line


def test_a_lock_file_left_by_a_dead_process_is_taken_over(builtin_db: Path, s2: FakeS2Server) -> None:
    cli = Cli(builtin_db)
    serve(s2, papers(cli))
    lock = builtin_db.with_name(builtin_db.name + ".sync.lock")
    lock.write_text("999999\n")  # a pid in the file, but no process holds the flock
    summary = sync_json(cli)
    assert summary["took_over_lock_from"] == 999999 and summary["updated"] == 90
    assert lock.read_text() == ""  # a clean end leaves no pid behind


def test_the_lock_is_exclusive_and_released(builtin_db: Path) -> None:
    from paperread.config import resolve_target
    from paperread.engine import make_engine

    target = resolve_target(str(builtin_db))
    engine = make_engine(target)
    try:
        with locks.run_lock(target, engine):
            assert locks.lock_path(target).read_text().strip() == str(os.getpid())
            with pytest.raises(locks.BusyError, match=f"pid {os.getpid()}"):
                with locks.run_lock(target, engine):
                    pass
        with locks.run_lock(target, engine) as stale:
            assert stale is None
    finally:
        engine.dispose()


def test_the_postgresql_lock_is_exclusive_and_released(pg_catalog_url: str) -> None:
    from paperread.config import resolve_target
    from paperread.engine import make_engine

    target = resolve_target(pg_catalog_url)
    first, second = make_engine(target), make_engine(target)
    try:
        with locks.run_lock(target, first):
            with pytest.raises(locks.BusyError, match=f"pid {os.getpid()} on "):
                with locks.run_lock(target, second):
                    pass
        with locks.run_lock(target, second):
            pass
    finally:
        first.dispose()
        second.dispose()


@given(st.lists(st.text(max_size=6), max_size=9000), st.integers(min_value=0, max_value=9500))
@settings(max_examples=30, deadline=None)
def test_a_plans_packed_strings_are_the_list_they_were_given(texts: list[str], start: int) -> None:
    """A million papers' keys and ids are kept packed (the plan of 1,000,000 papers took 283 MB
    as lists): read back, whole, sliced or from an offset on, they are the strings appended."""
    from paperread.sync import PackedStrings, _Tail

    packed = PackedStrings()
    for text in texts:
        packed.append(text)
    assert len(packed) == len(texts) and list(packed) == texts
    assert packed[start : start + 500] == texts[start : start + 500]
    if texts:
        assert packed[-1] == texts[-1] and packed[len(texts) // 2] == texts[len(texts) // 2]
    assert list(_Tail(packed, start)) == texts[start:]
