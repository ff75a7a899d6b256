"""Every door into the catalog, fed what an attacker (or a broken file) would feed it.

The doors: the CLI's options and standard input, PAPERREAD_USER, each import format (JSON, CSV,
BibTeX, the README), Semantic Scholar's answers; and the ways out: the terminal, a CSV a
spreadsheet opens, ``export -o`` onto things that are not regular files. Each case asserts what
a person sees (one line, the exit code) and what the database holds (nothing changed where
nothing should; the rest of a file or a sync landed where it should), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from paperread import gate
from paperread.cells import guard, unguard
from tests.conftest import Cli, run_paperread
from tests.fake_s2 import FakeS2Server
from tests.test_curate import assert_refused, dump

ESC_TITLE = "Pwned \x1b]0;owned\x07 \x1b[2J"
HOSTILE_TEXT = {
    "an OSC sequence": "t \x1b]0;window title\x07 t",
    "a CSI sequence": "t \x1b[2J\x1b[H t",
    "an 8-bit CSI": "t \x9b31m t",
    "a bell": "t \x07 t",
    "a NUL": "t \x00 t",
    "a backspace": "t \x08\x08 t",
    "a bidi override": "t \u202egnp.exe t",
    "a bidi isolate": "t \u2066x\u2069 t",
    "an unpaired surrogate": "t \udc80 t",
}


def as_json(result: Any) -> Any:
    return json.loads(result.stdout)


def one_error_line(result: Any, fragment: str, exit_code: int = 1) -> str:
    assert result.exit_code == exit_code, (result.exit_code, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert lines and lines[0].startswith("error: ") and fragment in lines[0], result.stderr
    assert all(line.startswith(("error: ", "hint: ")) for line in lines), result.stderr
    assert "Traceback" not in result.output
    return lines[0]


# ---------------------------------------------------------------------------- the gate itself


@pytest.mark.parametrize("name", sorted(HOSTILE_TEXT))
def test_the_gate_refuses_every_kind_of_hostile_text_in_one_line_fields(name: str) -> None:
    with pytest.raises(gate.InputError) as caught:
        gate.line(HOSTILE_TEXT[name], "title")
    message = caught.value.message
    assert message.startswith("title '") and message.isprintable(), message
    assert "\x1b" not in message and "\x00" not in message


def test_the_gate_keeps_what_text_may_hold() -> None:
    assert gate.line("  Attention Is All You Need  ", "title") == "Attention Is All You Need"
    assert gate.line("emoji 👩\u200d💻 and zero\u200bwidth", "title") == "emoji 👩\u200d💻 and zero\u200bwidth"
    assert gate.line("BERT:\n  Pre-training\tof", "title", fold=True) == "BERT: Pre-training of"
    assert gate.text("line one\nline two\ttab\r\n", "description") == "line one\nline two\ttab"
    assert gate.note("# note\n\n\tcode\n\u202eRTL kept in a note\n") == "# note\n\n\tcode\n\u202eRTL kept in a note\n"
    with pytest.raises(gate.InputError, match="line break"):
        gate.line("two\nlines", "title")


@pytest.mark.parametrize(
    ("field", "limit"), [("title", 1_000), ("venue", 1_000), ("description", 20_000), ("authors", 100_000)]
)
def test_each_field_has_its_limit(field: str, limit: int) -> None:
    assert gate.text("x" * limit, field) == "x" * limit
    with pytest.raises(gate.InputError, match=f"is {limit + 1:,} characters long: at most {limit:,}"):
        gate.text("x" * (limit + 1), field)


def test_json_numbers_beyond_any_field_become_markers_not_crashes() -> None:
    doc = json.loads('{"a": ' + "9" * 5000 + ', "b": -12}', parse_int=gate.json_int)
    assert str(doc["a"]) == "a 5,000-digit number" and doc["b"] == -12


def test_the_visible_form_of_stored_text_holds_no_control_sequence() -> None:
    for text in HOSTILE_TEXT.values():
        shown = gate.visible(text)
        assert shown.isprintable(), repr(shown)
    assert gate.visible("a\nb\tc", multiline=True) == "a\nb\tc"


# ---------------------------------------------------------------------------- the CLI's doors


@pytest.mark.parametrize("name", sorted(HOSTILE_TEXT))
@pytest.mark.parametrize(
    "args",
    [
        ["add", "{}", "-c", "gnn"],
        ["add", "Fine", "-c", "gnn", "--description", "{}"],
        ["edit", "resnet", "--title", "{}"],
        ["edit", "resnet", "--description", "{}"],
        ["category", "add", "x/y", "--name", "{}"],
        ["video", "add", "--title", "{}"],
        ["mark-recorded", "vgg", "--title", "{}"],
    ],
    ids=lambda v: " ".join(v[:2]) if isinstance(v, list) else v,
)
def test_cli_options_refuse_hostile_text_and_change_nothing(cli: Cli, args: list[str], name: str) -> None:
    value = HOSTILE_TEXT[name]
    assert_refused(cli, [a.replace("{}", value) for a in args], "holds")


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["add", "x" * 1_001, "-c", "gnn"], "is 1,001 characters long: at most 1,000"),
        (["add", "Fine", "-c", "gnn", "--description", "d" * 20_001], "at most 20,000"),
        (["category", "add", "x/y", "--name", "n" * 201], "at most 200"),
        (["edit", "resnet", "--title", "t" * 1_001], "at most 1,000"),
    ],
)
def test_cli_values_beyond_their_limit_are_refused_without_echoing_them_whole(
    cli: Cli, args: list[str], fragment: str
) -> None:
    before = dump(cli)
    result = cli(*args)
    line = one_error_line(result, fragment)
    assert len(line) < 300
    assert dump(cli) == before


def test_a_note_refuses_control_sequences_keeps_markdown_and_has_a_limit(cli: Cli) -> None:
    one_error_line(cli("note", "vit", "--text", "hi \x1b]0;x\x07"), "escape character (ESC, \\x1b)")
    one_error_line(cli("note", "vit", "--file", "-", input="from stdin \x1b[2J\n"), "escape character")
    note = "# Title\n\n\tindented\ncafé 👍 \u202eRTL\n"
    cli.ok("note", "vit", "--text", note)
    assert as_json(cli.ok("show", "vit", "--json"))["note"] in (note, note.rstrip("\n"))
    one_error_line(cli("note", "vit", "--text", "n" * 1_000_001), "at most 1,000,000")
    # Appending past the limit is refused too, and the note stays as it was.
    cli.ok("note", "vit", "--text", "n" * 999_990)
    one_error_line(cli("note", "vit", "--append", "more than ten"), "at most 1,000,000")
    assert len(as_json(cli.ok("show", "vit", "--json"))["note"]) == 999_990


@pytest.mark.parametrize("name", ["\x1b]0;me\x07", "me\x7f", "a\u202eb", "tab\tname", "x" * 121])
def test_paperread_user_is_held_to_the_gate_before_anything_is_opened(
    tmp_path: Path, builtin_db: Path, name: str
) -> None:
    before = builtin_db.read_bytes()
    result = Cli(builtin_db)("read", "vit", env={"PAPERREAD_USER": name})
    one_error_line(result, "PAPERREAD_USER")
    assert builtin_db.read_bytes() == before


# ---------------------------------------------------------------------------- file doors


def paper(key: str, **fields: Any) -> dict[str, Any]:
    return {"key": key, "title": fields.pop("title", f"Paper {key}"), **fields}


def document(papers: list[dict[str, Any]]) -> dict[str, Any]:
    return {"format": "paperread", "version": 1, "categories": [], "papers": papers, "videos": []}


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_a_json_file_skips_each_hostile_row_with_its_reason_and_lands_the_rest(empty_cli: Cli, tmp_path: Path) -> None:
    rows = [paper("good", description="multi\nline\tfine", authors="A. Author, B. Author")]
    rows += [paper(f"t{i}", title=text) for i, text in enumerate(HOSTILE_TEXT.values())]
    rows += [
        paper("desc", description="d \x1b[2J"),
        paper("auth", authors="A\x00B"),
        paper("venue", venue="V\x1b[31m"),
        paper("longtitle", title="x" * 1_001),
        paper("longdesc", description="x" * 20_001),
        paper("note", reading=[{"user": "u", "status": "read", "note": "n\x1b]0;x\x07"}]),
        paper("user", reading=[{"user": "u\x1b", "status": "read"}]),
        paper("typed", title=["not", "text"]),
        paper("nested", title={"a": {"b": {"c": []}}}),
        paper("count", citations=0),
    ]
    text = json.dumps(document(rows)).replace('"citations": 0', '"citations": 1' + "9" * 5000)
    report = as_json(empty_cli.ok("import", write(tmp_path, "evil.json", text), "--json"))
    assert report["papers"]["added"] == 1
    problems = report["problems"]
    assert len(problems) == len(rows) - 1
    assert all(p["message"].startswith("paper skipped: ") for p in problems)
    assert all(p["message"].isprintable() for p in problems), problems
    listed = as_json(empty_cli.ok("list", "--json"))
    assert [p["key"] for p in listed] == ["good"]
    shown = as_json(empty_cli.ok("show", "good", "--json"))
    assert (shown["description"], shown["authors"]) == ("multi\nline\tfine", "A. Author, B. Author")


def test_json_duplicate_names_skip_the_row_and_a_duplicated_top_level_is_refused(
    empty_cli: Cli, tmp_path: Path
) -> None:
    text = (
        '{"format": "paperread", "version": 1, "categories": [], "videos": [], "papers": ['
        '{"key": "a", "title": "Shown", "title": "Stored"}, {"key": "b", "title": "B"}]}'
    )
    report = as_json(empty_cli.ok("import", write(tmp_path, "dup.json", text), "--json"))
    assert report["papers"]["added"] == 1
    assert "'title' is given twice" in report["problems"][0]["message"]
    before = dump(empty_cli)
    top = '{"format": "paperread", "version": 1, "papers": [], "papers": [{"title": "x"}]}'
    one_error_line(empty_cli("import", write(tmp_path, "top.json", top)), "'papers' is given twice")
    assert dump(empty_cli) == before


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("deep.json", "[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ("cut.json", '{"format": "paperread", "version": 1, "papers": [{"title": "x"', "is not JSON"),
        ("bytes.json", None, "is not UTF-8"),
        ("list.json", "[1, 2, 3]", "not a paperread catalog"),
    ],
)
def test_json_files_that_are_no_catalog_are_refused_whole(
    empty_cli: Cli, tmp_path: Path, name: str, content: str | None, fragment: str
) -> None:
    path = tmp_path / name
    if content is None:
        path.write_bytes(b'{"papers": ["\xff\xfe\x00\x1b"]}')
    else:
        path.write_text(content, encoding="utf-8")
    before = dump(empty_cli)
    one_error_line(empty_cli("import", str(path)), fragment)
    assert dump(empty_cli) == before


def test_csv_bibtex_and_readme_rows_with_control_text_are_skipped_by_line(empty_cli: Cli, tmp_path: Path) -> None:
    csv_text = 'title,description\nGood CSV,fine\n"Bad \x1b]0;x\x07",d\nAlso \u202egood,d\n'
    report = as_json(empty_cli.ok("import", write(tmp_path, "f.csv", csv_text), "--json"))
    assert report["papers"]["added"] == 1
    assert [p["line"] for p in report["problems"]] == [3, 4]
    assert report["problems"][0]["message"].startswith("paper skipped: title 'Bad \\x1b]0;x\\x07' holds an escape")
    assert report["problems"][1]["message"].startswith("paper skipped: title 'Also \\u202egood' holds a bidirectional")
    bib = "@article{good, title={Good Bib}}\n\n@article{bad, title={Bad \x1b[2J Bib}}\n"
    report = as_json(empty_cli.ok("import", write(tmp_path, "f.bib", bib), "--json"))
    assert report["papers"]["added"] == 1 and len(report["problems"]) == 1
    assert "escape character" in report["problems"][0]["message"]
    titles = {p["title"] for p in as_json(empty_cli.ok("list", "--json"))}
    assert {"Good CSV", "Good Bib"} <= titles and not any("\x1b" in t for t in titles)


# ---------------------------------------------------------------------------- the CSV a spreadsheet opens


FORMULAS = ['=HYPERLINK("http://evil","x")', "+1+1", "-2+3", "@SUM(A1:A2)", "\tTab", "\rCR", "'quoted", "''"]


def test_guard_and_unguard_are_inverse_on_any_text() -> None:
    from hypothesis import given
    from hypothesis import strategies as st

    @given(st.text())
    def inverse(text: str) -> None:
        assert unguard(guard(text)) == text
        guarded = guard(text)
        assert not guarded or guarded[0] not in "=+-@\t\r"

    inverse()


def test_csv_export_neutralises_formulas_and_reads_them_back_exactly(cli: Cli, tmp_path: Path) -> None:
    for i, title in enumerate(FORMULAS):
        description = f"{title} description" if i % 2 else None
        args = ["add", "-c", "gnn", "--key", f"f{i}"]
        if description:
            args += ["--description", description.strip()]
        result = cli(*args, "--", f"{title} {i}")
        if result.exit_code:  # a title the gate refuses (a tab or CR on the command line)
            assert "line break or tab" in result.stderr
    exported = cli.ok("export", "csv").stdout
    for row in csv.reader(io.StringIO(exported)):
        for cell in row:
            assert not cell or cell[0] not in "=+-@\t\r", row
    path = write(tmp_path, "out.csv", exported)
    before = dump(cli)
    report = as_json(cli.ok("import", path, "--json"))
    assert (report["papers"]["updated"], report["papers"]["added"], report["problems"]) == (0, 0, []), report
    assert dump(cli) == before
    keys = {p["key"]: p["title"] for p in as_json(cli.ok("list", "--json"))}
    assert keys["f0"].startswith("=HYPERLINK") and keys["f3"].startswith("@SUM") and keys["f6"].startswith("'quoted")


# ---------------------------------------------------------------------------- Semantic Scholar


@pytest.fixture
def s2(fake_s2: FakeS2Server, monkeypatch: pytest.MonkeyPatch) -> FakeS2Server:
    monkeypatch.setenv("PAPERREAD_S2_URL", fake_s2.base_url)
    monkeypatch.setenv("PAPERREAD_S2_INTERVAL", "0")
    monkeypatch.setenv("PAPERREAD_S2_BACKOFF", "0.001")
    return fake_s2


def test_a_hostile_s2_record_drops_its_bad_fields_and_the_sync_lands(cli: Cli, s2: FakeS2Server) -> None:
    """The PostgreSQL case that aborted every sync: a NUL in one record's authors."""
    rows = [p for p in as_json(cli.ok("list", "--json")) if p["s2_id"]]
    for i, row in enumerate(rows):
        s2.add_paper(row["s2_id"], title=row["title"], citations=500 + i)
    details = {r["key"]: as_json(cli.ok("show", r["key"], "--json")) for r in rows[:3]}
    first, second, third = rows[:3]
    s2.papers[first["s2_id"]]["authors"] = [{"authorId": "1", "name": "Ada\x00Lovelace"}]
    s2.papers[first["s2_id"]]["venue"] = "NeurIPS \x1b]0;pwned\x07"
    s2.papers[second["s2_id"]]["venue"] = "v" * 1_001
    s2.papers[second["s2_id"]]["citationCount"] = 10**30
    s2.papers[third["s2_id"]]["authors"] = [{"authorId": "1", "name": "Good Name"}, {"name": "Bad\u202eName"}]
    result = cli("sync-citations", "--json", "--stale-after", "0")
    assert result.exit_code == 0, result.stderr
    report = as_json(result)
    assert report["updated"] == len(rows) - 1  # the one with an impossible count keeps its count
    dropped = {(d["key"], d["reason"].split(" ")[0]) for d in report["dropped_fields"]}
    assert (first["key"], "author") in dropped and (first["key"], "venue") in dropped
    assert (second["key"], "venue") in dropped and (second["key"], "citation") in dropped
    assert (third["key"], "author") in dropped
    after = {r["key"]: as_json(cli.ok("show", r["key"], "--json")) for r in rows[:3]}
    assert after[first["key"]]["venue"] == details[first["key"]]["venue"]
    assert after[first["key"]]["citations"] == 500
    assert after[third["key"]]["authors"] in (details[third["key"]]["authors"], "Good Name")
    text = cli("sync-citations", "--stale-after", "0").stderr
    assert "warning: " in text and "\x1b" not in text and "\x00" not in text


# ---------------------------------------------------------------------------- what is already stored


def test_stored_control_text_never_reaches_the_terminal(builtin_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A database written by an older paperread (or by hand) holding escape sequences."""
    with sqlite3.connect(builtin_db) as conn:
        conn.execute(
            "UPDATE paper SET title = ?, description = ? WHERE key = 'vit'", (ESC_TITLE, "[red]x[/red] \x9b1m")
        )
        conn.execute("UPDATE category SET name = ? WHERE slug = 'gnn'", ("G\x1b[5mNN",))
    cli = Cli(builtin_db)
    for terminal in (False, True):
        monkeypatch.setattr("paperread.output.stdout_is_terminal", lambda terminal=terminal: terminal)
        for args in (["show", "vit"], ["list"], ["search", "owned"], ["category", "list"], ["stats"]):
            result = cli.ok(*args)
            assert "\x1b" not in result.output and "\x9b" not in result.output, (args, terminal)
        shown = cli.ok("show", "vit").stdout
        assert "\\x1b]0;owned\\x07" in shown and "[red]x[/red]" in shown, shown
    assert "\x1b" not in cli.ok("edit", "vit", "--year", "2020").stderr


# ---------------------------------------------------------------------------- only paperread's files


def test_another_applications_database_is_refused_and_left_untouched(tmp_path: Path) -> None:
    app = tmp_path / "app.sqlite"
    with sqlite3.connect(app) as conn:
        conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
        conn.execute("INSERT INTO users (name) VALUES ('ann')")
    conn.close()
    before = app.read_bytes()
    for args in (["stats"], ["list"], ["init"], ["add", "X", "-c", "gnn"], ["db", "upgrade"], ["export", "json"]):
        line = one_error_line(Cli(app)(*args), "another application (tables users)")
        assert "left untouched" in line
    assert app.read_bytes() == before
    assert sorted(p.name for p in tmp_path.glob("app.sqlite*")) == ["app.sqlite"]  # no -wal, no -shm


def test_a_missing_db_path_is_refused_and_init_creates_it(tmp_path: Path) -> None:
    typo = tmp_path / "catalgo.db"
    for args in (["stats"], ["list"], ["add", "X", "-c", "gnn"], ["db", "upgrade"], ["import", "-"]):
        result = Cli(typo)(*args, input=json.dumps(document([])))
        one_error_line(result, f"database '{typo}' does not exist")
        assert f"paperread --db {typo} init" in result.stderr
    result = run_paperread("stats", env={"PAPERREAD_DB": str(typo)})
    assert result.returncode == 1 and "does not exist" in result.stderr
    assert not typo.exists()
    Cli(typo).ok("init")
    assert as_json(Cli(typo).ok("stats", "--json"))["papers"] == 90


@pytest.mark.parametrize("cut", [100, 5_000, 40_000])
def test_a_truncated_database_gets_one_line_naming_it(builtin_db: Path, tmp_path: Path, cut: int) -> None:
    cut_db = tmp_path / "cut.db"
    cut_db.write_bytes(builtin_db.read_bytes()[:cut])
    for args in (["list"], ["db", "check"]):
        result = Cli(cut_db)(*args)
        assert result.exit_code == 1, result.output
        lines = result.stderr.strip().splitlines()
        assert lines[0].startswith("error: ") and str(cut_db) in lines[0] and "internal error" not in lines[0]
        assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("sql", "fragment"),
    [("DROP INDEX ix_paper_year", "index ix_paper_year on paper is missing"), ("DROP TABLE watched", "table watched")],
)
def test_db_check_finds_a_missing_table_or_index(builtin_db: Path, sql: str, fragment: str) -> None:
    with sqlite3.connect(builtin_db) as conn:
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute(sql)
    conn.close()
    one_error_line(Cli(builtin_db)("db", "check"), fragment)


def test_db_check_finds_a_missing_index_on_postgresql(backend_url: str, backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("the SQLite case is above")
    from sqlalchemy import create_engine

    engine = create_engine(backend_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP INDEX ix_video_date")
    engine.dispose()
    one_error_line(Cli(backend_url)("db", "check"), "index ix_video_date on video is missing")


def test_read_only_storage_is_named(builtin_db: Path, tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes through permissions")
    folder = tmp_path / "ro"
    folder.mkdir()
    db = folder / "c.db"
    db.write_bytes(builtin_db.read_bytes())
    db.chmod(0o444)
    folder.chmod(0o555)
    try:
        one_error_line(Cli(db)("add", "X", "-c", "gnn"), "read-only")
    finally:
        folder.chmod(0o755)


def test_an_interrupt_after_the_commit_says_what_was_kept(
    empty_cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*_args: Any, **_kwargs: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("paperread.output.import_report", interrupted)
    result = empty_cli("import", write(tmp_path, "one.json", json.dumps(document([paper("kept")]))))
    assert result.exit_code == 130
    assert "interrupted after 1 transaction(s) had been committed" in result.stderr
    assert "nothing was changed" not in result.stderr
    assert [p["key"] for p in as_json(empty_cli.ok("list", "--json"))] == ["kept"]
    monkeypatch.setattr("paperread.output.paper_detail", interrupted)
    assert "nothing was changed" in empty_cli("show", "kept").stderr


# ---------------------------------------------------------------------------- writing output


def test_export_into_a_fifo_writes_into_it_and_keeps_the_node(builtin_db: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    Cli(builtin_db).ok("export", "json", "-o", str(fifo))
    reader.join(30)
    assert json.loads(received[0])["format"] == "paperread"
    assert fifo.is_fifo()


def test_export_onto_a_device_and_dev_stdout_writes_in_place(builtin_db: Path, tmp_path: Path) -> None:
    Cli(builtin_db).ok("export", "csv", "-o", os.devnull)
    assert Path(os.devnull).is_char_device()
    out = tmp_path / "captured.csv"
    with out.open("w") as fh:
        done = subprocess.run(
            [sys.executable, "-m", "paperread", "--db", str(builtin_db), "export", "csv", "-o", "/dev/stdout"],
            stdout=fh,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    assert done.returncode == 0, done.stderr
    assert out.read_text(encoding="utf-8").startswith("key,title,")
    if Path("/dev/full").exists():
        one_error_line(Cli(builtin_db)("export", "json", "-o", "/dev/full"), "the disk is full")


def test_export_to_a_regular_file_is_still_atomic(builtin_db: Path, tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o640)
    inode = target.stat().st_ino
    Cli(builtin_db).ok("export", "json", "-o", str(target))
    assert json.loads(target.read_text(encoding="utf-8"))["format"] == "paperread"
    assert target.stat().st_ino != inode and target.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.glob("*out.json*")) == ["out.json"]


def test_a_note_on_a_video_is_held_to_the_gate(cli: Cli) -> None:
    video = str(as_json(cli.ok("videos", "--json"))["videos"][0]["id"])
    assert_refused(cli, ["note", "--video", video, "--text", "x \x1b]0;t\x07"], "escape character")
    assert_refused(cli, ["note", "--video", video, "--text", "n" * 1_000_001], "at most 1,000,000")
    cli.ok("note", "--video", video, "--text", "fine\n\tindented \u202eRTL")


@pytest.mark.parametrize("columns", [40, 80, 200])
def test_a_real_terminal_gets_no_control_sequence_from_data(builtin_db: Path, columns: int) -> None:
    """``show`` and ``list`` in a pseudo-terminal (rich's road), at several widths: rich styles
    the text, but the OSC and clear-screen sequences stored in a title never reach the terminal."""
    import pty
    import select

    with sqlite3.connect(builtin_db) as conn:
        conn.execute("UPDATE paper SET title = ? WHERE key = 'vit'", (ESC_TITLE,))
    conn.close()
    for args in (["show", "vit"], ["list", "--category", "vision"]):
        leader, follower = pty.openpty()
        env = {**os.environ, "COLUMNS": str(columns), "LINES": "50", "TERM": "xterm-256color"}
        env.pop("NO_COLOR", None)
        proc = subprocess.Popen(
            [sys.executable, "-m", "paperread", "--db", str(builtin_db), *args],
            stdin=follower,
            stdout=follower,
            stderr=follower,
            env=env,
            close_fds=True,
        )
        os.close(follower)
        chunks = []
        while True:
            ready, _, _ = select.select([leader], [], [], 60)
            if not ready:
                break
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the other side closed
                break
            if not chunk:
                break
            chunks.append(chunk)
        os.close(leader)
        assert proc.wait(60) == 0
        seen = b"".join(chunks).decode("utf-8", "replace")
        assert "\x1b]0;owned" not in seen and "\x1b[2J" not in seen and "\x07" not in seen, seen
        if args[0] == "show" and columns >= 80:
            assert "\\x1b]0;owned\\x07" in seen  # the title is there, its escapes shown as text


def test_add_fetch_drops_the_hostile_fields_of_the_record_and_adds_the_paper(cli: Cli, s2: FakeS2Server) -> None:
    s2.add_paper(
        "b" * 40,
        title="Mamba: Linear-Time Sequence Modeling",
        year=2023,
        arxiv="2312.00752",
        citations=3000,
        venue="arXiv \x1b]8;;http://evil\x07link",
        authors=("Albert Gu", "Tri\x00Dao"),
    )
    result = cli("add", "--fetch", "ARXIV:2312.00752", "-c", "gnn", "--key", "mamba", "--json")
    assert result.exit_code == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 2 and all(w.isprintable() for w in warnings), result.stderr
    data = as_json(result)
    assert (data["venue"], data["authors"], data["citations"]) == (None, "Albert Gu", 3000)
    # A record whose title itself is hostile gives no title: the user is asked for one.
    s2.add_paper("c" * 40, title="Bad \x1b[2J title", arxiv="2401.00001")
    result = cli("add", "--fetch", "ARXIV:2401.00001", "-c", "gnn")
    assert result.exit_code == 2 and "no title" in result.stderr


def test_a_notes_file_with_an_escape_sequence_is_refused_naming_its_line(builtin_db: Path, tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("ResNet 论文逐段精读\nfine line\nbad \x1b]0;pwned\x07 line\n", encoding="utf-8")
    before = builtin_db.read_bytes()
    line = one_error_line(Cli(builtin_db)("import", str(path), "--format", "journal"), "line 3 holds an escape")
    assert line.isprintable()
    with sqlite3.connect(builtin_db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM video_note").fetchone()[0] == 0
    conn.close()
    assert len(builtin_db.read_bytes()) == len(before)
