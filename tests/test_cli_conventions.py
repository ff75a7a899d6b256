"""What every command's --help promises, held for every command there is (and every one added later).

- a help line, and an epilog of one to three examples that parse as written (each names a real
  command, its options exist, its values pass the option's own checks);
- placeholders that say what a value is (PAPER, CATEGORY, N, DATE, FILE), never ``<str>``,
  ``{paper}`` or ``<int range>``, and no internal bound such as ``1<=x<=2147483647``;
- one meaning per short flag across all commands (``-n`` is --limit wherever it exists);
- docs/cli.md is what ``python -m paperread.docs`` writes from the app now.
"""

from __future__ import annotations

import re
import shlex

import pytest
import typer.main

from paperread import docs
from paperread.cli import app
from paperread.commands import example_lines

ROOT_COMMAND = typer.main.get_command(app)
ENTRIES = docs.commands(ROOT_COMMAND)
LEAVES = [(path, cmd) for path, cmd in ENTRIES if not getattr(cmd, "commands", None)]
IDS = [" ".join(path[1:]) for path, _ in LEAVES]
PLACEHOLDER = re.compile(r"^(\[?[A-Z][A-Z0-9-]*(\.\.\.)?\]?|<[a-z0-9_-]+(\|[a-z0-9_-]+)+>)$")


def test_there_are_commands_to_check() -> None:
    assert len(LEAVES) > 20 and ["paperread", "list"] in [p for p, _ in LEAVES]


@pytest.mark.parametrize(("path", "command"), LEAVES, ids=IDS)
def test_every_command_has_a_help_line_and_examples(path: list[str], command) -> None:
    assert (command.help or "").strip(), f"{' '.join(path)} has no help text"
    lines = example_lines(command.epilog)
    assert 1 <= len(lines) <= 3, f"{' '.join(path)}: give 1-3 examples with commands.examples(...), not {lines}"
    for line in lines:
        words = shlex.split(line.split("|")[0].split("&&")[0].split("<")[0].split(">")[0])
        assert words[0] == "paperread", line
        # global options first (--db), then the command's own path
        args = words[1:]
        while args and args[0].startswith("--db"):
            args = args[1:] if "=" in args[0] else args[2:]
        assert args[: len(path) - 1] == path[1:], f"example {line!r} does not run {' '.join(path)}"
        ctx = ROOT_COMMAND.make_context("paperread", list(words[1:]), resilient_parsing=True)
        sub = command.make_context(path[-1], args[len(path) - 1 :], parent=ctx)  # raises on a bad example
        assert sub.command is command


@pytest.mark.parametrize(("path", "command"), ENTRIES, ids=[" ".join(p) for p, _ in ENTRIES])
def test_help_names_placeholders_and_hides_internal_bounds(path: list[str], command) -> None:
    text = docs.help_text(command, path, ROOT_COMMAND)
    assert "<str>" not in text and "<int" not in text and "2147483647" not in text and "x<=" not in text, text
    assert not re.search(r"\{[a-z_]+\}", text), text
    ctx = ROOT_COMMAND.make_context("paperread", [], resilient_parsing=True)
    for param in command.params:
        if getattr(param, "is_flag", False) or param.name == "help":
            continue
        shown = param.make_metavar(ctx) if param.param_type_name == "option" else param.make_metavar(ctx, usage=True)
        assert PLACEHOLDER.match(shown), f"{' '.join(path)} {param.name}: placeholder {shown!r}"


def test_a_short_flag_means_one_thing_everywhere() -> None:
    meaning: dict[str, set[str]] = {}
    for _path, command in ENTRIES:
        for param in command.params:
            for opt in [*getattr(param, "opts", []), *getattr(param, "secondary_opts", [])]:
                if re.fullmatch(r"-[A-Za-z]", opt):
                    longs = [o for o in param.opts if o.startswith("--")]
                    meaning.setdefault(opt, set()).add(longs[0] if longs else opt)
    clashes = {flag: longs for flag, longs in meaning.items() if len(longs) > 1}
    assert not clashes, f"short flags with more than one meaning: {clashes}"
    assert meaning["-n"] == {"--limit"} and meaning["-c"] == {"--category"}


def test_the_cli_reference_is_current() -> None:
    assert docs.DOCS_PATH.read_text(encoding="utf-8") == docs.render(), (
        "docs/cli.md is out of date: run 'python -m paperread.docs'"
    )


def test_bare_paperread_and_a_bare_group_show_their_commands(builtin_db) -> None:
    from tests.conftest import run_paperread

    for args, expected in ((["--db", str(builtin_db)], "list"), (["--db", str(builtin_db), "video"], "remove")):
        result = run_paperread(*args)
        assert result.returncode == 0, result.stderr
        assert "Commands:" in result.stdout and expected in result.stdout and result.stderr == ""
