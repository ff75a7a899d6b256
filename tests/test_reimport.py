"""Re-importing a file the catalog already holds (``paperread.reimport``): the catalog's
generation, moved by every write; the fingerprint each import leaves; the re-import that
prints the report without reading the file, exactly the report the full road prints; and the
full road again as soon as anything changed (the bytes, the options, the catalog).

On SQLite and, with PAPERREAD_TEST_PG_URL, on PostgreSQL; on data, no mocks.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Cli
from tests.fake_s2 import FakeS2Server
from tests.fake_video_apis import FakeBilibili

FORMATS = {"json": "json", "csv": "csv", "bibtex": "bib", "markdown": "md"}


def _sql(cli: Cli, statement: str) -> list[tuple[Any, ...]]:
    """``statement`` straight on the database, as another program would (no generation moved)."""
    if cli.backend == "sqlite":
        with sqlite3.connect(cli.db) as conn:
            return conn.execute(statement).fetchall()
    import psycopg

    with psycopg.connect(cli.db.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        cur = conn.execute(statement)
        return cur.fetchall() if cur.description else []


def generation(cli: Cli) -> int:
    return int(_sql(cli, "SELECT generation FROM catalog_state")[0][0])


def forget(cli: Cli) -> None:
    """The fingerprint cleared: the next import takes the full road."""
    _sql(cli, "UPDATE catalog_state SET import_key = NULL")


def outputs(result: Any) -> tuple[str, str]:
    return result.stdout, result.stderr


def fast(cli: Cli, *args: str, code: int = 0, **kwargs: Any) -> Any:
    """An import that must take the fast road: no write transaction (the generation stays)."""
    before = generation(cli)
    result = cli(*args, **kwargs)
    assert result.exit_code == code, outputs(result)
    assert generation(cli) == before, f"{args} wrote: it took the full road"
    return result


def full(cli: Cli, *args: str, code: int = 0) -> Any:
    forget(cli)
    result = cli(*args)
    assert result.exit_code == code, outputs(result)
    return result


def same_on_both_roads(cli: Cli, *args: str) -> Any:
    """The fast road's output is the full road's, byte for byte (and the full road leaves the
    fingerprint again: the next one is fast)."""
    quick = fast(cli, *args)
    slow = full(cli, *args)
    assert outputs(quick) == outputs(slow), args
    if "--dry-run" in args:  # a dry run leaves no fingerprint: the import that does
        cli.ok(*(a for a in args if a not in ("--dry-run", "--json", "--quiet")))
    assert outputs(fast(cli, *args)) == outputs(slow)
    return quick


def exported(cli: Cli, fmt: str, tmp_path: Path, name: str = "export") -> Path:
    path = tmp_path / f"{name}.{FORMATS[fmt]}"
    cli.ok("export", fmt, "-o", str(path))
    return path


# ---------------------------------------------------------------------------- the fast road


@pytest.mark.parametrize("fmt", FORMATS)
def test_reimport_into_the_catalog_it_filled_prints_the_same_report(
    cli: Cli, empty_cli: Cli, fmt: str, tmp_path: Path
) -> None:
    file = exported(cli, fmt, tmp_path)
    empty_cli.ok("import", str(file))  # the bulk road into the empty catalog
    for args in ([], ["--json"], ["--quiet"], ["--dry-run"], ["--dry-run", "--json"], ["-f", fmt]):
        if args == ["-f", fmt]:  # a format named is another import than a format detected: the full road once
            empty_cli.ok("import", str(file), *args)
        result = same_on_both_roads(empty_cli, "import", str(file), *args)
        if "--json" in args:
            data = json.loads(result.stdout)
            assert data["changed"] is False and data["papers"]["unchanged"] == 90
    assert "nothing to change" in fast(empty_cli, "import", str(file), "-f", fmt).stderr


@pytest.mark.parametrize("fmt", FORMATS)
def test_reimport_after_an_upsert_prints_the_same_report(cli: Cli, fmt: str, tmp_path: Path) -> None:
    """Into a catalog holding more than the file (kept rows) and differing from it (updates,
    additions): the report of importing it again, derived from the import's plan, is the one
    the full road gives."""
    cli.ok("category", "add", "mine", "--name", "Mine")
    cli.ok("add", "A paper only the catalog has", "-c", "mine", "--year", "2020")
    file = exported(cli, fmt, tmp_path)
    cli.ok("remove", "vgg", "--yes")
    cli.ok("edit", "resnet", "--title", "Deep Residual Learning (edited)", "--year", "2001")
    cli.ok("category", "add", "extra", "--name", "Extra")
    cli.ok("add", "Another paper only the catalog has", "-c", "extra", "--year", "2021")
    changed = cli.ok("import", str(file), "--json")
    assert json.loads(changed.stdout)["changed"] is True
    same_on_both_roads(cli, "import", str(file))
    same_on_both_roads(cli, "import", str(file), "--json")


def test_reimport_of_a_file_with_unreadable_rows_repeats_its_warnings(empty_cli: Cli, tmp_path: Path) -> None:
    file = tmp_path / "papers.csv"
    file.write_text(
        "title,year,category,url\n"
        "A fine paper,2020,vision,https://example.org/a\n"
        ",2020,vision,https://example.org/no-title\n"
        "Another fine paper,20x0,vision,https://example.org/b\n"
        "A third paper,2021,vision,https://example.org/c\n",
        encoding="utf-8",
    )
    first = empty_cli.ok("import", str(file))
    assert "warning" in first.stderr
    result = same_on_both_roads(empty_cli, "import", str(file))
    assert "warning" in result.stderr
    same_on_both_roads(empty_cli, "import", str(file), "--json")
    # --strict is another import: the full road, refusing the file
    refused = empty_cli("import", str(file), "--strict")
    assert refused.exit_code == 1 and "--strict" in refused.stderr


def test_a_readme_with_uncategorized_papers_takes_the_full_road_once(empty_cli: Cli, tmp_path: Path) -> None:
    """Papers that name no category go to "uncategorized", which the file does not name: the
    re-import's report is the full road's (here: that category kept), then fast."""
    file = tmp_path / "list.bib"
    file.write_text(
        "@article{one, title={One paper}, year={2020}, url={https://example.org/one}}\n"
        "@article{two, title={Two paper}, year={2021}, url={https://example.org/two}}\n",
        encoding="utf-8",
    )
    empty_cli.ok("import", str(file))
    before = generation(empty_cli)
    second = empty_cli.ok("import", str(file))
    assert generation(empty_cli) > before  # the full road (and it left the fingerprint)
    assert outputs(fast(empty_cli, "import", str(file))) == outputs(second)


# ---------------------------------------------------------------------------- the full road


def test_an_edit_after_the_import_is_reverted_by_the_reimport(cli: Cli, tmp_path: Path) -> None:
    file = exported(cli, "json", tmp_path)
    title = json.loads(cli.ok("show", "resnet", "--json").stdout)["title"]
    cli.ok("import", str(file))
    fast(cli, "import", str(file))
    cli.ok("edit", "resnet", "--title", "Changed after the import")
    result = cli.ok("import", str(file), "--json")
    data = json.loads(result.stdout)
    assert data["changed"] is True and data["papers"]["updated"] == 1
    assert json.loads(cli.ok("show", "resnet", "--json").stdout)["title"] == title
    fast(cli, "import", str(file))
    cli.ok("read", "resnet")  # reading state: another table, the same rule
    cli.ok("import", str(file))  # the full road (the file restores no reading state it lacks)
    assert json.loads(cli.ok("show", "resnet", "--json").stdout)["read_status"] == "read"
    fast(cli, "import", str(file))


def test_other_bytes_or_options_take_the_full_road(cli: Cli, tmp_path: Path) -> None:
    file = exported(cli, "csv", tmp_path)
    cli.ok("import", str(file))
    fast(cli, "import", str(file))
    for args in (["--prune"], ["--strict"]):
        before = generation(cli)
        cli.ok("import", str(file), *args)
        assert generation(cli) > before, args  # read, planned, and its own fingerprint left
    cli.ok("import", str(file))
    fast(cli, "import", str(file))
    file.write_bytes(file.read_bytes() + b"\n")  # the same rows, other bytes
    before = generation(cli)
    cli.ok("import", str(file))
    assert generation(cli) > before
    fast(cli, "import", str(file))
    renamed = tmp_path / "export.txt"  # other name: its format by its content, not its extension
    renamed.write_bytes(file.read_bytes())
    before = generation(cli)
    cli.ok("import", str(renamed))
    assert generation(cli) > before


def test_a_file_given_on_standard_input(cli: Cli, tmp_path: Path) -> None:
    text = exported(cli, "bibtex", tmp_path).read_text(encoding="utf-8")
    cli.ok("import", "-", "-f", "bibtex", input=text)
    result = fast(cli, "import", "-", "-f", "bibtex", input=text)
    assert "standard input" in result.stderr


def test_a_catalog_behind_takes_the_full_road(db_path: Path, tmp_path: Path) -> None:
    """A catalog at 0007 (no generation, no note search) is upgraded by the import, as before; then fast."""
    from paperread.config import resolve_target
    from paperread.engine import make_engine, upgrade

    source = Cli(tmp_path / "source.db")
    source.ok("init")
    file = exported(source, "json", tmp_path)
    engine = make_engine(resolve_target(str(db_path)))
    with engine.begin() as conn:
        upgrade(conn, "0007")
    engine.dispose()
    cli = Cli(db_path)
    cli.ok("import", str(file))
    assert _sql(cli, "SELECT version_num FROM alembic_version") == [("0009",)]
    fast(cli, "import", str(file))


# ---------------------------------------------------------------------------- the generation


def test_the_generation_moves_with_every_writing_command(
    cli: Cli, tmp_path: Path, fake_s2: FakeS2Server, fake_bilibili: FakeBilibili, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every command that writes moves the generation, whatever it writes through; commands that
    only read leave it. Every command of the tree is named below: a new one must be put in one
    list or the other (a new write road that does not pass through the engine's COMMIT fails)."""
    monkeypatch.setenv("PAPERREAD_S2_URL", fake_s2.base_url)
    monkeypatch.setenv("PAPERREAD_S2_INTERVAL", "0")
    monkeypatch.setenv("PAPERREAD_S2_BACKOFF", "0.001")
    for row in json.loads(cli.ok("list", "--json").stdout):
        if row["s2_id"]:
            fake_s2.add_paper(row["s2_id"], title=row["title"], citations=1234)
    for v in json.loads(cli.ok("videos", "--json").stdout)["videos"]:
        if v["bilibili"]:
            fake_bilibili.add(v["bilibili"], views=4321)
    json_file = exported(cli, "json", tmp_path)
    journal = tmp_path / "notes.txt"  # a notes file of one's own: a video's title, then the note on it
    title = next(v["title"] for v in json.loads(cli.ok("videos", "--json").stdout)["videos"] if v["id"] != 1)
    journal.write_text(f"{title}\nA note from my notes file\n", encoding="utf-8")
    writes = [
        ["add", "A new paper", "-c", "vision/cnn", "--year", "2020"],
        ["edit", "vgg", "--year", "2015"],
        ["read", "resnet"],
        ["unread", "resnet"],
        ["reading", "vgg"],
        ["watched", "1"],
        ["note", "vgg", "--append", "a note"],
        ["note", "--video", "1", "--append", "a note on a video"],
        ["mark-recorded", "vit", "--title", "ViT read", "--date", "2026-01-01"],
        ["unmark", "vit"],
        ["remove", "a-new-paper", "--yes"],
        ["video", "add", "--title", "A talk", "--date", "2021-10-06"],
        ["video", "edit", "1", "--title", "A new title"],
        ["video", "remove", "1"],
        ["category", "add", "rl", "--name", "Reinforcement learning"],
        ["category", "rename", "rl", "--name", "RL"],
        ["category", "remove", "rl"],
        ["sync-citations", "--stale-after", "0"],
        ["sync-views", "--stale-after", "0"],
        ["import", str(journal), "--format", "journal"],
        ["import", str(json_file)],
    ]
    reads = [
        ["list"],
        ["show", "resnet"],
        ["videos"],
        ["stats"],
        ["search", "residual"],
        ["trending"],
        ["export", "json"],
        ["import", str(json_file)],  # again: the fast road writes nothing
        ["import", str(json_file), "--dry-run", "--prune"],
        ["video", "list"],
        ["category", "list"],
        ["db", "current"],
        ["db", "check"],
        ["config", "path"],
        ["config", "show"],
        ["read", "vgg"],
        ["read", "vgg"],  # (the second: already read, nothing written)
    ]
    ran: set[str] = set()
    for args in writes:
        before = generation(cli)
        result = cli(*args)
        assert result.exit_code == 0, (args, outputs(result))
        assert generation(cli) > before, f"{args} wrote without moving the generation"
        ran.add(_command(args))
    for args in reads:
        before = generation(cli)
        result = cli(*args)
        assert result.exit_code == 0, (args, outputs(result))
        assert generation(cli) == before or args == ["read", "vgg"], f"{args} moved the generation"
        ran.add(_command(args))
    # db reindex moves it when it changes something (figures counted again)
    _sql(cli, "UPDATE category_figures SET papers = papers + 5")
    before = generation(cli)
    cli.ok("db", "reindex")
    assert generation(cli) > before
    ran.add("db reindex")
    # not run here, each for its reason: init (a new catalog: tests/test_catalog.py), db upgrade
    # (test_a_catalog_behind_takes_the_full_road), resolve (a search by title: test_sync.py),
    # open, site, config set/unset/get (no catalog), and commands that write no catalog.
    elsewhere = {"init", "db upgrade", "resolve", "open", "site", "config get", "config set", "config unset"}
    assert _all_commands() == ran | elsewhere, "a command is in neither list: does it write?"


def _command(args: list[str]) -> str:
    groups = {"video", "category", "db", "config"}
    return " ".join(args[:2]) if args[0] in groups else args[0]


def _all_commands() -> set[str]:
    import typer.main

    from paperread.cli import app

    tree = typer.main.get_command(app)
    names: set[str] = set()
    for name, command in tree.commands.items():  # type: ignore[attr-defined]
        subs = getattr(command, "commands", None)
        if subs:
            names |= {f"{name} {sub}" for sub in subs}
        else:
            names.add(name)
    return names


def test_a_write_that_changes_nothing_leaves_the_generation(cli: Cli) -> None:
    """A write that changed no row (on PostgreSQL too, where locking the row it looks at takes
    a transaction id), a read, a refused write: the generation stays."""
    cli.ok("read", "resnet")
    before = generation(cli)
    assert "already read" in "".join(outputs(cli.ok("read", "resnet")))
    assert "already being read" not in "".join(outputs(cli.ok("reading", "vgg")))
    assert "already being read" in "".join(outputs(cli.ok("reading", "vgg")))
    assert generation(cli) == before + 1
    cli.ok("db", "check")
    cli.ok("db", "current")
    refused = cli("edit", "resnet", "--year", "99999")
    assert refused.exit_code != 0
    assert generation(cli) == before + 1


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_fast_road_stays_light(builtin_db: Path, tmp_path: Path, fmt: str) -> None:
    """On SQLite the re-import never imports SQLAlchemy (nor pydantic, alembic...): start-up is
    most of its time; the full road (the first import) does."""
    import subprocess
    import sys

    from tests.test_read_paths import HEAVY, PROBE

    cli = Cli(builtin_db)
    file = exported(cli, fmt, tmp_path)

    def heavy() -> str:
        args = ["--db", str(builtin_db), "import", str(file)]
        probe = PROBE.format(heavy=HEAVY, args=args)
        result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        return result.stderr.strip().splitlines()[-1]

    assert heavy() != "HEAVY="  # the full road
    assert heavy() == "HEAVY="
