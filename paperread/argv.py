"""The command line's words before Typer reads them: which command runs (or is completed),
and the global ``--db``. Stdlib only: ``start`` reads them before anything heavy is imported
(``cli.app_for`` keeps only the command named; ``prefetch`` connects to a server early)."""

from __future__ import annotations

from collections.abc import Mapping


def words_before_cursor(args: list[str], environ: Mapping[str, str]) -> list[str]:
    """The words given so far: ``args``, or when a shell asks for completions, the words
    before the one being completed."""
    if "_PAPERREAD_COMPLETE" not in environ:
        return args
    words, _ = _completion_words(environ)
    return words


def word_completed(environ: Mapping[str, str]) -> str | None:
    """The word a shell asks completions for ('' for a new word), or None outside completion."""
    if "_PAPERREAD_COMPLETE" not in environ:
        return None
    return _completion_words(environ)[1]


def _completion_words(environ: Mapping[str, str]) -> tuple[list[str], str]:
    import shlex

    try:
        if "COMP_WORDS" in environ:  # bash
            words = shlex.split(environ["COMP_WORDS"])[1:]
            cword = int(environ.get("COMP_CWORD", "0"))
            return words[: cword - 1] if cword > 0 else [], (words[cword - 1] if 0 < cword <= len(words) else "")
        line = environ.get("_TYPER_COMPLETE_ARGS", "")  # zsh, fish, PowerShell
        words = shlex.split(line)[1:]
        if line.endswith(" ") or not words:
            return words, ""
        return words[:-1], words[-1]
    except ValueError:  # unbalanced quotes, a bad COMP_CWORD
        return [], ""


def command_name(words: list[str]) -> str | None:
    """The first word that is not a global option, or None if a global flag comes first."""
    skip = False
    for word in words:
        if skip:
            skip = False
        elif word == "--db":
            skip = True
        elif word.startswith("--db=") or word == "--no-pager":
            continue
        elif word.startswith("-"):
            return None
        else:
            return word
    return None


def db_option(words: list[str]) -> str | None:
    """The global ``--db`` value given before the command's name (the last one wins, as in click)."""
    value = None
    for i, word in enumerate(words):
        if word == "--db" and i + 1 < len(words):
            value = words[i + 1]
        elif word.startswith("--db="):
            value = word[len("--db=") :]
        elif word != "--no-pager" and not word.startswith("-") and (i == 0 or words[i - 1] != "--db"):
            break  # the command's name: what follows is the command's own
    return value
