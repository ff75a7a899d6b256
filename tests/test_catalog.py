"""The read commands on the built-in catalog, through the CLI on real SQLite files."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import Cli


def as_json(result) -> object:
    return json.loads(result.stdout)


# ---------------------------------------------------------------------------- figures


def test_first_run_on_a_fresh_data_dir_loads_the_builtin_catalog(run, isolated_env: Path) -> None:
    result = run("stats", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["papers"], data["recorded"], data["videos"]) == (90, 59, 59)
    assert len(data["categories"]) == 12
    created = list((isolated_env / ".local" / "share").rglob("paperread.db"))
    assert len(created) == 1


def test_stats_per_category(cli: Cli) -> None:
    data = as_json(cli.ok("stats", "--json"))
    by_slug = {c["slug"]: c for c in data["categories"]}
    assert list(by_slug) == [
        "vision/cnn",
        "vision/transformer",
        "generative",
        "vision/detection",
        "vision/contrastive",
        "vision/video",
        "multimodal",
        "nlp/transformer",
        "systems",
        "gnn",
        "optimization",
        "applications",
    ]
    assert (by_slug["vision/cnn"]["papers"], by_slug["vision/cnn"]["recorded"]) == (7, 2)
    assert by_slug["vision/contrastive"]["papers"] == by_slug["vision/contrastive"]["recorded"]
    assert sum(c["papers"] for c in data["categories"]) == 90
    assert data["video_seconds"] > 59 * 60


def test_stats_text_says_recorded_of_total(cli: Cli) -> None:
    out = cli.ok("stats").stdout
    assert "59 of 90 recorded" in out
    assert "vision/cnn" in out and "2/7" in out and "█" in out


@pytest.mark.parametrize(
    ("category", "expected"),
    [("vision", 45), ("vision/cnn", 7), ("计算机视觉 - CNN", 7), ("计算机视觉", 45), ("nlp", 6), ("VISION/CNN", 7)],
)
def test_list_category_selects_subcategories(cli: Cli, category: str, expected: int) -> None:
    rows = as_json(cli.ok("list", "--category", category, "--json"))
    assert len(rows) == expected
    prefix = "vision" if category.lower().startswith(("vision", "计算机视觉")) else None
    if prefix:
        assert all(r["category"].startswith("vision/") for r in rows)


def test_list_json_shape(cli: Cli) -> None:
    rows = as_json(cli.ok("list", "--json"))
    assert len(rows) == 90
    alexnet = rows[0]
    assert alexnet["key"] == "alexnet"
    assert alexnet["title"] == "AlexNet"
    assert alexnet["year"] == 2012
    assert alexnet["category"] == "vision/cnn"
    assert alexnet["recorded"] is True
    assert alexnet["citations"] is None
    assert alexnet["s2_id"] == "abd1c342495432171beb7ca8fd9551ef13cbd0ff"
    assert len({r["key"] for r in rows}) == 90


def test_list_filters(cli: Cli) -> None:
    assert len(as_json(cli.ok("list", "--recorded", "--json"))) == 59
    assert len(as_json(cli.ok("list", "--not-recorded", "--json"))) == 31
    rows = as_json(cli.ok("list", "--year", "2014", "--json"))
    assert rows and all(r["year"] == 2014 for r in rows)
    rows = as_json(cli.ok("list", "--since", "2022", "--json"))
    assert rows and all(r["year"] >= 2022 for r in rows)
    rows = as_json(cli.ok("list", "--category", "vision", "--not-recorded", "--json"))
    assert all(not r["recorded"] and r["category"].startswith("vision/") for r in rows)
    assert len(as_json(cli.ok("list", "--limit", "5", "--json"))) == 5


def test_list_sorts(cli: Cli) -> None:
    years = [r["year"] for r in as_json(cli.ok("list", "--sort", "year", "--json"))]
    assert years == sorted(years)
    titles = [r["title"].lower() for r in as_json(cli.ok("list", "--sort", "title", "--json"))]
    assert titles == sorted(titles)


def test_list_piped_is_plain_tab_separated(cli: Cli) -> None:
    out = cli.ok("list", "--category", "vision/cnn").stdout
    lines = out.splitlines()
    assert len(lines) == 7
    first = lines[0].split("\t")
    assert first[:4] == ["alexnet", "2012", "AlexNet", "vision/cnn"]
    assert "\x1b[" not in out


def test_usage_errors_exit_2(cli: Cli) -> None:
    result = cli("list", "--year", "2014", "--since", "2010")
    assert result.exit_code == 2
    assert "--year and --since" in result.stderr
    assert cli("list", "--sort", "popularity").exit_code == 2


# ---------------------------------------------------------------------------- show


def test_show_paper_with_two_videos(cli: Cli) -> None:
    paper = as_json(cli.ok("show", "alexnet", "--json"))
    assert paper["key"] == "alexnet"
    assert paper["category"] == "vision/cnn"
    assert len(paper["videos"]) == 2
    assert [v["date"] for v in paper["videos"]] == sorted(v["date"] for v in paper["videos"])
    assert all(v["bilibili"].startswith("BV") for v in paper["videos"])


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("resnet", "resnet"),
        ("2c03df8b48bf3fa39054345bafabfeff15bfd11d", "resnet"),
        ("1512.03385", "resnet"),
        ("arXiv:1512.03385v1", "resnet"),
        ("Swin", "swin-transformer"),
        ("swin transformer", "swin-transformer"),
    ],
)
def test_show_names_a_paper_many_ways(cli: Cli, name: str, key: str) -> None:
    assert as_json(cli.ok("show", name, "--json"))["key"] == key


@pytest.mark.parametrize(
    "name", ["10.1109/cvpr.2016.90", "10.1109/CVPR.2016.90", "https://doi.org/10.1109/CVPR.2016.90"]
)
def test_show_names_a_paper_by_its_doi(cli: Cli, name: str) -> None:
    cli.ok("edit", "resnet", "--doi", "10.1109/CVPR.2016.90")
    assert as_json(cli.ok("show", name, "--json"))["key"] == "resnet"


def test_show_text(cli: Cli) -> None:
    out = cli.ok("show", "resnet").stdout
    assert "key: resnet" in out
    assert "bilibili.com/video/BV" in out
    assert "vision/cnn" in out


def test_show_ambiguous_lists_candidates(cli: Cli) -> None:
    assert as_json(cli.ok("show", "stylegan", "--json"))["key"] == "stylegan"  # an exact key wins
    result = cli("show", "style")
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("error: 'style' matches several papers")
    assert "stylegan2" in lines[0] and "stylegan3" in lines[0]
    assert "Traceback" not in result.output


def test_show_unknown_paper(cli: Cli) -> None:
    result = cli("show", "no-such-paper")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == "error: no paper matches 'no-such-paper'"
    assert result.stdout == ""


# ---------------------------------------------------------------------------- videos, search


def test_videos(cli: Cli) -> None:
    data = as_json(cli.ok("videos", "--json"))
    assert data["count"] == 59
    dates = [v["date"] for v in data["videos"]]
    assert dates == sorted(dates)
    assert data["total_seconds"] == sum(v["duration_seconds"] for v in data["videos"])
    gpt = [v for v in data["videos"] if {"gpt", "gpt-2", "gpt-3"} <= {p["key"] for p in v["papers"]}]
    assert len(gpt) == 1
    assert any(not v["papers"] for v in data["videos"])  # talks such as how to read a paper


def test_videos_by_category(cli: Cli) -> None:
    data = as_json(cli.ok("videos", "--category", "vision/cnn", "--json"))
    keys = {p["key"] for v in data["videos"] for p in v["papers"]}
    assert keys == {"alexnet", "resnet"}
    assert data["count"] == 4


def test_search(cli: Cli) -> None:
    keys = [r["key"] for r in as_json(cli.ok("search", "transformer", "--json"))]
    assert {"transformer", "swin-transformer", "vit"} <= set(keys)
    keys = [r["key"] for r in as_json(cli.ok("search", "对比学习", "--json"))]
    assert "instdisc" in keys
    keys = [r["key"] for r in as_json(cli.ok("search", "gan", "--json"))]
    assert {"gan", "dcgan", "stylegan"} <= set(keys)
    keys = [r["key"] for r in as_json(cli.ok("search", "3D", "--json"))]  # shorter than a trigram
    assert "c3d" in keys


def test_search_nothing_found(cli: Cli) -> None:
    result = cli.ok("search", "zzzzqqq")
    assert result.stdout == ""
    assert "no paper matches" in result.stderr


# ---------------------------------------------------------------------------- help, version


def test_version(cli: Cli) -> None:
    from paperread import __version__

    assert cli.ok("--version").stdout == f"paperread {__version__}\n"


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["list"],
        ["show"],
        ["videos"],
        ["stats"],
        ["search"],
        ["init"],
        ["db"],
        ["db", "upgrade"],
        ["db", "current"],
        ["db", "check"],
    ],
)
def test_help_on_every_command(cli: Cli, command: list[str]) -> None:
    result = cli.ok(*command, "--help")
    assert "Usage:" in result.stdout


# ---------------------------------------------------------------------------- bad databases


def test_db_in_missing_folder(tmp_path: Path) -> None:
    target = tmp_path / "nowhere" / "c.db"
    result = Cli(target)("stats")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == f"error: database folder '{target.parent}' does not exist"
    assert not target.parent.exists()


def test_db_that_is_not_a_database(tmp_path: Path) -> None:
    target = tmp_path / "notes.txt"
    target.write_text("hello, not a database\n" * 10)
    before = target.read_bytes()
    result = Cli(target)("list")
    assert result.exit_code == 1
    assert "is not an SQLite database" in result.stderr
    assert target.read_bytes() == before
    assert not Path(str(target) + "-wal").exists()


def test_db_from_a_newer_paperread(builtin_db: Path) -> None:
    with sqlite3.connect(builtin_db) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    result = Cli(builtin_db)("list")
    assert result.exit_code == 1
    assert "newer than this paperread knows" in result.stderr.splitlines()[0]


def test_db_url_forms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "url.db"
    Cli(f"sqlite:///{path}").ok("init", "--empty")
    assert path.exists()
    monkeypatch.setenv("PAPERREAD_DB", str(path))
    from typer.testing import CliRunner

    from paperread.cli import app

    result = CliRunner().invoke(app, ["stats", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["papers"] == 0
    bad = Cli("mysql://x/y")("stats")
    assert bad.exit_code == 1 and "scheme 'mysql' is not supported" in bad.stderr


def test_init_empty_and_again(db_path: Path) -> None:
    cli = Cli(db_path)
    cli.ok("init", "--empty")
    assert as_json(cli.ok("stats", "--json"))["papers"] == 0
    again = cli.ok("init")
    assert "already holds" in again.stderr
    assert as_json(cli.ok("stats", "--json"))["papers"] == 0


def test_wal_and_foreign_keys(builtin_db: Path) -> None:
    Cli(builtin_db).ok("stats")
    with sqlite3.connect(builtin_db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_closed_pipe_ends_quietly(db_path: Path) -> None:
    """`paperread list --json | head -1`: no traceback, no error line, when the reader leaves."""
    import subprocess
    import sys

    from bench.synth import make_document
    from paperread.config import resolve_target
    from paperread.engine import make_engine, upgrade
    from paperread.exchange.bulk import load_document

    engine = make_engine(resolve_target(str(db_path)))
    with engine.begin() as conn:  # far more rows than a pipe buffer holds
        upgrade(conn)
        load_document(conn, make_document(3000))
    engine.dispose()
    proc = subprocess.Popen(
        [sys.executable, "-m", "paperread", "--db", str(db_path), "list", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline() == b"[\n"
    proc.stdout.close()  # the reader goes away before the rows are written
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141
    assert stderr == ""


def test_db_check_finds_an_arxiv_id_or_doi_on_two_papers(cli: Cli) -> None:
    """A catalog written before writers were serialised on PostgreSQL may hold such twins:
    'db check' names them and how to mend it."""
    from sqlalchemy import text

    from paperread.config import resolve_target
    from paperread.engine import make_engine

    cli.ok("db", "check")
    engine = make_engine(resolve_target(cli.db))
    with engine.begin() as conn:
        conn.execute(text("UPDATE paper SET doi = '10.1234/twin' WHERE key IN ('resnet', 'vgg')"))
    engine.dispose()
    result = cli("db", "check")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: database '{cli.db}': DOI 10.1234/twin is on 2 papers (resnet, vgg)",
        "hint: keep it on one: paperread edit vgg --doi ''",
    ]
    cli.ok("edit", "vgg", "--doi", "")
    cli.ok("db", "check")
