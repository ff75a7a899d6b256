"""An export (and a site build) reads the catalog as of one moment: a write another process
commits while it runs is in the file whole or not at all.

An export runs several statements (the categories and videos, then the papers, on SQLite a
statement per category for some formats). Here a second paperread process adds a paper right
after the export's first statement: the export must not hold it (its counts and its lists
agree with each other), and the next export does.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Cli, run_paperread

ADDED = "added-meanwhile"


class _WriteAfterFirstStatement:
    """A reader that lets ``write`` run once, as soon as its first statement has run."""

    def __init__(self, inner: Any, write: Callable[[], None]) -> None:
        self._inner, self._write, self.fired = inner, write, False

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._inner, name)  # (what the reader lacks, this lacks too)
        if name in ("rows", "many"):
            return lambda *args: self._then_write(found(*args))
        if name in ("stream", "batches"):
            return lambda *args: self._write_after_first_item(found(*args))
        return found

    def _then_write(self, result: Any) -> Any:
        if not self.fired:
            self.fired = True
            self._write()
        return result

    def _write_after_first_item(self, items: Iterator[Any]) -> Iterator[Any]:
        for item in items:
            yield item
            self._then_write(None)
        self._then_write(None)


@pytest.fixture
def write_during_reads(monkeypatch: pytest.MonkeyPatch, backend_url: str) -> list[_WriteAfterFirstStatement]:
    """The next reader opened lets another process add paper ADDED after its first statement."""
    import paperread.opening

    real = paperread.opening.open_reader
    made: list[_WriteAfterFirstStatement] = []

    def add() -> None:
        done = run_paperread(
            "--db", backend_url, "add", "A paper added during the export", "-c", "nlp/transformer",
            "--year", "2024", "-k", ADDED,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr

    def opened(*args: Any, **kwargs: Any) -> Any:
        if made:  # (later readers: as they are)
            return real(*args, **kwargs)
        made.append(_WriteAfterFirstStatement(real(*args, **kwargs), add))
        return made[-1]

    monkeypatch.setattr(paperread.opening, "open_reader", opened)
    return made


@pytest.mark.parametrize("fmt", ["json", "markdown", "csv", "bibtex"])
def test_an_export_holds_no_write_committed_while_it_runs(
    cli: Cli, write_during_reads: list[_WriteAfterFirstStatement], fmt: str, tmp_path: Path
) -> None:
    out = tmp_path / f"during.{fmt}"
    cli.ok("export", fmt, "-o", str(out))
    assert write_during_reads and write_during_reads[0].fired  # the paper was added while it ran
    text = out.read_text(encoding="utf-8")
    assert ADDED not in text and "A paper added during the export" not in text
    if fmt == "json":
        document = json.loads(text)
        assert len(document["papers"]) == 90
    after = tmp_path / f"after.{fmt}"
    cli.ok("export", fmt, "-o", str(after))
    later = after.read_text(encoding="utf-8")
    assert ADDED in later or "A paper added during the export" in later  # (markdown: its title; bibtex: its key)


def test_a_json_export_taken_during_a_write_imports_back_as_it_was(
    cli: Cli, write_during_reads: list[_WriteAfterFirstStatement], tmp_path: Path
) -> None:
    """The export's own counts agree with its lists: imported into an empty catalog, it gives
    the 90 papers the catalog held when the export began."""
    out = tmp_path / "during.json"
    cli.ok("export", "json", "-o", str(out))
    copy = Cli(tmp_path / "copy.db")
    copy.ok("init", "--empty")
    result = copy.ok("import", str(out), "--json")
    assert json.loads(result.stdout)["papers"]["added"] == 90


def test_a_site_is_built_from_one_moment_of_the_catalog(
    cli: Cli, write_during_reads: list[_WriteAfterFirstStatement], tmp_path: Path
) -> None:
    site = tmp_path / "site"
    cli.ok("site", str(site))
    assert write_during_reads and write_during_reads[0].fired
    pages = "".join(p.read_text(encoding="utf-8") for p in site.rglob("*") if p.suffix in (".html", ".json", ".js"))
    assert "A paper added during the export" not in pages
