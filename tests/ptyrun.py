"""Run paperread in a pseudo-terminal of a given size, as a person at a terminal would see it."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Za-z0-9]|\x1b[=>78]|\r")


@dataclass
class PtyResult:
    raw: str  # what reached the terminal, escape codes and all (stdout and stderr, as a terminal mixes them)
    returncode: int
    seconds: float

    @property
    def text(self) -> str:
        return ANSI.sub("", self.raw)

    @property
    def lines(self) -> list[str]:
        return self.text.split("\n")


def set_size(fd: int, columns: int, lines: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))


def run_in_pty(
    *args: str,
    columns: int = 80,
    lines: int = 24,
    env: dict[str, str | None] | None = None,
    keys: bytes = b"",
    keys_after: float = 1.0,
    timeout: float = 60,
    stdout_piped: bool = False,
) -> PtyResult:
    """``paperread ARGS`` with stdin, stdout and stderr on a terminal of ``columns`` x ``lines``
    (stdout on a pipe instead with ``stdout_piped``: its text is then in ``raw`` after the terminal's).
    ``keys`` are typed ``keys_after`` seconds in (e.g. b"q" to leave a pager)."""
    full_env: dict[str, str] = {**os.environ, "TERM": "xterm-256color"}
    for name in ("COLUMNS", "LINES", "NO_COLOR", "FORCE_COLOR"):  # the terminal's own size; no colour rule
        full_env.pop(name, None)
    for name, value in (env or {}).items():  # None: not set at all
        if value is None:
            full_env.pop(name, None)
        else:
            full_env[name] = value
    master, slave = pty.openpty()
    set_size(slave, columns, lines)
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "paperread", *args],
        stdin=slave,
        stdout=subprocess.PIPE if stdout_piped else slave,
        stderr=slave,
        env=full_env,
        cwd=ROOT,
        start_new_session=True,
    )
    os.close(slave)
    if stdout_piped:
        import threading

        piped: list[bytes] = []
        reader = threading.Thread(target=lambda: piped.append(proc.stdout.read() if proc.stdout else b""))
        reader.start()
    chunks: list[bytes] = []
    typed = not keys
    try:
        while True:
            if not typed and time.perf_counter() - started >= keys_after:
                os.write(master, keys)
                typed = True
            if time.perf_counter() - started > timeout:
                proc.kill()
                raise TimeoutError(
                    f"paperread {' '.join(args)} did not end in {timeout} s: {b''.join(chunks)[-500:]!r}"
                )
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    data = os.read(master, 65536)
                except OSError:  # the terminal closed: every process on it ended
                    break
                if not data:
                    break
                chunks.append(data)
            elif proc.poll() is not None:
                # drain what is left
                while select.select([master], [], [], 0.05)[0]:
                    try:
                        data = os.read(master, 65536)
                    except OSError:
                        break
                    if not data:
                        break
                    chunks.append(data)
                break
        proc.wait(timeout=timeout)
    finally:
        os.close(master)
    raw = b"".join(chunks)
    if stdout_piped:
        reader.join()
        raw += b"".join(piped)
    return PtyResult(raw.decode("utf-8", "replace"), proc.returncode, time.perf_counter() - started)
