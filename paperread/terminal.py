"""The terminal as a person sees it: its size, whether to colour, a pager for long output, and
tables laid out for the width they get.

- **Colour** follows no-color.org and FORCE_COLOR as rich reads them: ``NO_COLOR`` set and not
  empty turns every style off (colour, bold and dim alike); ``FORCE_COLOR`` set and not empty turns
  styles on even where the terminal says it cannot (TERM=dumb). Neither changes the layout: piped
  output stays plain tab-separated text for scripts.
- **Width** is the terminal's (``COLUMNS`` wins, as in every Unix tool), else 80.
- **The pager**: output taller than the screen goes through one when stdout is a terminal:
  ``PAPERREAD_PAGER``, else the config file's ``pager``, else ``PAGER``, else ``less`` (with
  ``LESS=FRX`` unless LESS is set: quit if one screen, keep colours, leave the text on screen).
  An empty value, ``cat`` or ``--no-pager`` turns it off. Lines reach the pager as they are made,
  so the first screen of a 100,000-row list shows as soon as its rows exist.
- **Tables** (``StreamTable``) are laid out once, from the header and the first rows, and then
  written row by row: the key column is capped and ellipsized, the title column takes the room
  left and wraps on word boundaries, and narrow columns give way (dropped, least useful first)
  before the title gets too thin to read.

Nothing here imports rich: the list of a 100,000-paper catalog is written with plain ANSI codes.
"""

from __future__ import annotations

import os
import sys
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, Any

DEFAULT_WIDTH = 80
DEFAULT_HEIGHT = 24

_pager_enabled = True  # --no-pager turns it off for the run


def disable_pager() -> None:
    global _pager_enabled
    _pager_enabled = False


def is_terminal(stream: IO[str] | None = None) -> bool:
    stream = sys.stdout if stream is None else stream
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def size() -> tuple[int, int]:
    """(columns, lines) of the terminal: COLUMNS and LINES win, else the terminal's, else 80x24."""
    import shutil

    columns, lines = shutil.get_terminal_size((DEFAULT_WIDTH, DEFAULT_HEIGHT))
    return max(columns, 20), max(lines, 5)


def colour(stream: IO[str] | None = None, environ: Any = None) -> bool:
    """Whether to style what goes to ``stream``: NO_COLOR (not empty) says no, FORCE_COLOR (not
    empty) says yes, a terminal that is not TERM=dumb says yes."""
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR", ""):
        return False
    if env.get("FORCE_COLOR", ""):
        return True
    return is_terminal(stream) and env.get("TERM", "") != "dumb"


def rich_console(stderr: bool = False, file: IO[str] | None = None) -> Any:  # -> rich.console.Console
    """A rich Console held to the same rules: NO_COLOR drops every style (bold and dim too),
    FORCE_COLOR styles even TERM=dumb, and the width is the terminal's."""
    from rich.console import Console

    from paperread.gate import visible

    class DataConsole(Console):
        """Data shown as it is: no markup (``[red]`` in a title is text), no emoji codes, every
        control character from data escaped (``gate.visible``)."""

        def render_str(self, text: str, *args: Any, **kwargs: Any) -> Any:
            return super().render_str(visible(text), *args, **kwargs)

    target = sys.stderr if stderr else sys.stdout
    styled = colour(target)
    on_terminal = is_terminal(target)
    return DataConsole(
        file=file,
        stderr=stderr,
        highlight=False,
        markup=False,
        emoji=False,
        color_system=("standard" if os.environ.get("TERM") == "dumb" else "auto") if styled else None,
        force_terminal=True if styled else on_terminal,
        no_color=not styled,
        width=size()[0] if on_terminal else None,
    )


# ---------------------------------------------------------------------------- cells


def cell_width(text: str) -> int:
    """Columns ``text`` takes on a terminal: East Asian wide characters take two, combining marks none."""
    if text.isascii():
        return len(text)
    width = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def _cut(text: str, width: int) -> tuple[str, str]:
    """``text`` split at ``width`` columns: (what fits, the rest)."""
    if text.isascii():
        return text[:width], text[width:]
    used = 0
    for i, ch in enumerate(text):
        w = 0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
        if used + w > width:
            return text[:i], text[i:]
        used += w
    return text, ""


def ellipsize(text: str, width: int) -> str:
    """``text`` in at most ``width`` columns, ending in … when it was cut."""
    if cell_width(text) <= width:
        return text
    if width <= 1:
        return "…"[:width]
    return _cut(text, width - 1)[0] + "…"


def wrap(text: str, width: int, *, keep_links: bool = False) -> list[str]:
    """``text`` in lines of at most ``width`` columns, broken between words; a word longer than a
    whole line (a long key) is the only thing cut inside, except a link with ``keep_links``: it
    gets a line of its own, whole, for the terminal to wrap (and for a person to copy)."""
    width = max(width, 1)
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if cell_width(candidate) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
            line = ""
        if keep_links and "://" in word:
            lines.append(word)
            continue
        while cell_width(word) > width:
            head, word = _cut(word, width)
            lines.append(head)
        line = word
    if line or not lines:
        lines.append(line)
    return lines


def _pad(text: str, width: int, justify: str) -> str:
    gap = " " * max(width - cell_width(text), 0)
    return gap + text if justify == "right" else text + gap


_SGR = {"bold": "1", "dim": "2", "cyan": "36", "green": "32", "yellow": "33", "magenta": "35"}


def styled(text: str, style: str, on: bool) -> str:
    if not on or not style or not text:
        return text
    codes = ";".join(_SGR[s] for s in style.split() if s in _SGR)
    return f"\x1b[{codes}m{text}\x1b[0m" if codes else text


# ---------------------------------------------------------------------------- tables


@dataclass
class Column:
    header: str
    justify: str = "left"
    style: str = ""
    cap: int | None = None  # at most this many columns; longer values are ellipsized
    grow: bool = False  # takes the room left, wrapped on word boundaries (one column per table)
    drop: int = 0  # dropped when the room is short: higher numbers go first; 0 never goes
    hide_empty: bool = False  # left out when the first rows hold no value for it
    min_width: int = 1
    width: int = field(default=0, init=False)


@dataclass
class StreamTable:
    """A table written a row at a time, laid out once for ``width`` from the first rows."""

    columns: list[Column]
    width: int
    colour: bool = False
    grow_min: int = 16  # the title never gets fewer columns than this while a column can give way
    gap: int = 2
    shown: list[int] = field(default_factory=list, init=False)

    def layout(self, sample: Sequence[Sequence[str]]) -> None:
        for i, col in enumerate(self.columns):
            natural = max([cell_width(col.header), *(cell_width(row[i]) for row in sample)], default=0)
            col.width = min(natural, col.cap) if col.cap else natural
            col.width = max(col.width, col.min_width if not col.grow else 1)
        self.shown = [
            i for i, c in enumerate(self.columns) if c.grow or not (c.hide_empty and not any(row[i] for row in sample))
        ]
        while True:
            room = self._room()
            grow = [i for i in self.shown if self.columns[i].grow]
            if not grow or room >= min(self.grow_min, self.columns[grow[0]].width):
                break
            droppable = [i for i in self.shown if self.columns[i].drop]
            if not droppable:
                break
            self.shown.remove(max(droppable, key=lambda i: self.columns[i].drop))
        for i in self.shown:
            col = self.columns[i]
            if col.grow:
                col.width = max(self._room(), 1)
        # Still too wide (a tiny terminal): squeeze the capped columns down to their minimum.
        excess = sum(self.columns[i].width for i in self.shown) + self.gap * (len(self.shown) - 1) - self.width
        for i in self.shown:
            col = self.columns[i]
            if excess <= 0:
                break
            if not col.grow and col.width > col.min_width:
                give = min(col.width - col.min_width, excess)
                col.width -= give
                excess -= give

    def _room(self) -> int:
        fixed = sum(self.columns[i].width for i in self.shown if not self.columns[i].grow)
        return self.width - fixed - self.gap * (len(self.shown) - 1)

    def header(self) -> str:
        cells = [
            styled(
                _pad(ellipsize(self.columns[i].header, self.columns[i].width), self.columns[i].width, "left"),
                "bold",
                self.colour,
            )
            for i in self.shown
        ]
        return (" " * self.gap).join(cells).rstrip()

    def row_lines(self, row: Sequence[str]) -> list[str]:
        blocks: list[list[str]] = []
        for i in self.shown:
            col = self.columns[i]
            text = row[i]
            blocks.append(wrap(text, col.width) if col.grow else [ellipsize(text, col.width)])
        height = max(len(b) for b in blocks)
        lines = []
        for n in range(height):
            cells = []
            for block, i in zip(blocks, self.shown, strict=True):
                col = self.columns[i]
                text = block[n] if n < len(block) else ""
                cells.append(
                    styled(_pad(text, col.width, col.justify), col.style, self.colour) if text else " " * col.width
                )
            lines.append((" " * self.gap).join(cells).rstrip())
        return lines


def stream_table(columns: list[Column], rows: Iterable[Sequence[str]], out: IO[str], *, sample_size: int = 200) -> int:
    """Write ``rows`` as a table to ``out``, laid out from the first ``sample_size`` rows; returns
    the number of rows written. Rows stream: memory and the time to the first screen do not grow
    with the number of rows. Control characters in the cells (from data) are shown escaped."""
    from paperread.gate import visible

    it: Iterator[Sequence[str]] = ([visible(cell) for cell in row] for row in rows)
    sample: list[Sequence[str]] = []
    for row in it:
        sample.append(row)
        if len(sample) >= sample_size:
            break
    table = StreamTable(columns, width=size()[0], colour=colour(sys.stdout))
    table.layout(sample)
    out.write(table.header() + "\n")
    count = 0
    for row in _chain(sample, it):
        out.write("\n".join(table.row_lines(row)) + "\n")
        count += 1
    return count


def _chain(first: list[Sequence[str]], rest: Iterator[Sequence[str]]) -> Iterator[Sequence[str]]:
    yield from first
    yield from rest


# ---------------------------------------------------------------------------- pager


def pager_command(environ: Any = None) -> str | None:
    """The pager to use, or None for none: PAPERREAD_PAGER, the config file's ``pager``, PAGER, less."""
    env = os.environ if environ is None else environ
    if "PAPERREAD_PAGER" in env:
        chosen = env["PAPERREAD_PAGER"]
    else:
        from paperread.config import file_setting

        configured = file_setting("pager")
        chosen = str(configured) if configured is not None else env.get("PAGER", "less")
    chosen = chosen.strip()
    if not chosen or chosen == "cat":
        return None
    return chosen


class PagerClosed(Exception):
    """The person quit the pager before the output ended: stop making it."""


class _Paged:
    """A text stream that holds lines until they pass one screen, then starts the pager and
    streams on into it. Output that fits goes straight to stdout when it ends."""

    def __init__(self, command: str, height: int) -> None:
        self._command = command
        self._height = height
        self._held: list[str] = []
        self._lines = 0
        self._proc: Any = None
        self._sink: IO[str] | None = None
        self._old_sigint: Any = None

    def write(self, text: str) -> int:
        if self._sink is not None:
            try:
                self._sink.write(text)
            except (BrokenPipeError, OSError):
                raise PagerClosed from None
            return len(text)
        self._held.append(text)
        self._lines += text.count("\n")
        if self._lines >= self._height - 1:
            self._start()
        return len(text)

    def flush(self) -> None:
        if self._sink is not None:
            try:
                self._sink.flush()
            except (BrokenPipeError, OSError):
                raise PagerClosed from None

    def isatty(self) -> bool:
        return True

    def _start(self) -> None:
        import signal
        import subprocess

        env = dict(os.environ)
        env.setdefault("LESS", "FRX")
        env.setdefault("LV", "-c")
        try:
            self._proc = subprocess.Popen(
                self._command, shell=True, stdin=subprocess.PIPE, env=env, text=True, encoding="utf-8", errors="replace"
            )
        except OSError:  # no such pager: plain output
            self._sink = sys.stdout
        else:
            self._sink = self._proc.stdin
            # Ctrl-C belongs to the pager now (less uses it to stop waiting), as git does.
            self._old_sigint = signal.signal(signal.SIGINT, signal.SIG_IGN)
        held, self._held = "".join(self._held), []
        self.write(held)

    def close(self) -> None:
        if self._sink is None:
            sys.stdout.write("".join(self._held))
            sys.stdout.flush()
            return
        if self._proc is None:
            return
        import contextlib
        import signal

        with contextlib.suppress(BrokenPipeError, OSError):
            self._sink.close()
        self._proc.wait()
        if self._old_sigint is not None:
            signal.signal(signal.SIGINT, self._old_sigint)


@contextmanager
def paged() -> Iterator[IO[str]]:
    """Where long output goes: a pager when stdout is a terminal and the output is taller than the
    screen (and no --no-pager, and a pager is set), else stdout itself. Quitting the pager early
    ends the output quietly."""
    command = pager_command() if _pager_enabled and is_terminal(sys.stdout) else None
    if command is None:
        yield sys.stdout
        return
    stream = _Paged(command, size()[1])
    try:
        yield stream  # type: ignore[misc]
    except PagerClosed:
        pass
    finally:
        stream.close()
