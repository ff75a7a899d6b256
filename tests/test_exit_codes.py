"""Exit codes, table-wise: 0 done, 1 a failed operation or unknown data, 2 usage (an unknown
option, a missing argument, a bad option value, options that do not go together), 130 Ctrl-C.

Every refusal is one ``error:`` line (maybe a ``hint:``) on stderr, nothing on stdout, no traceback.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from paperread.errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE
from tests.conftest import ROOT, Cli

CASES = [
    # done
    (["list", "-n", "3"], EXIT_OK),
    (["show", "resnet"], EXIT_OK),
    (["--help"], EXIT_OK),
    (["list", "--help"], EXIT_OK),
    # usage: the command line itself is wrong
    (["list", "--year", "abc"], EXIT_USAGE),
    (["list", "--year", "10000"], EXIT_USAGE),
    (["list", "--since", "soon"], EXIT_USAGE),
    (["list", "--category", ""], EXIT_USAGE),
    (["list", "--sort", "colour"], EXIT_USAGE),
    (["list", "--limit", "0"], EXIT_USAGE),
    (["list", "-n", "x"], EXIT_USAGE),
    (["list", "--year", "2015", "--since", "2014"], EXIT_USAGE),
    (["list", "--read", "--unread"], EXIT_USAGE),
    (["list", "--colour"], EXIT_USAGE),
    (["show"], EXIT_USAGE),
    (["show", ""], EXIT_USAGE),
    (["shwo", "resnet"], EXIT_USAGE),
    (["search", " "], EXIT_USAGE),
    (["trending", "--since", "yesterday-ish"], EXIT_USAGE),
    (["trending", "--limit", "0"], EXIT_USAGE),
    (["watched", "99999999999999999999"], EXIT_USAGE),
    (["export", "yaml"], EXIT_USAGE),
    (["import", "x.md", "--format", "yaml"], EXIT_USAGE),
    (["videos", "-c", " "], EXIT_USAGE),
    (["video", "remove", ""], EXIT_USAGE),
    # failed: the data named is unknown, or the operation could not be done
    (["show", "no-such-paper"], EXIT_FAILED),
    (["list", "-c", "astrology"], EXIT_FAILED),
    (["videos", "-c", "astrology"], EXIT_FAILED),
    (["read", "no-such-paper"], EXIT_FAILED),
    (["watched", "4242"], EXIT_FAILED),
    (["import", "no-such-file.json"], EXIT_FAILED),
    (["category", "remove", "vision/cnn"], EXIT_FAILED),
]


@pytest.mark.parametrize(("args", "code"), CASES, ids=[" ".join(a) or "(none)" for a, _ in CASES])
def test_exit_code(builtin_db, args: list[str], code: int) -> None:
    result = Cli(builtin_db)(*args)
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    if code != EXIT_OK:
        lines = result.stderr.strip().splitlines()
        assert lines and lines[0].startswith("error: ") and len(lines) <= 2, result.stderr
        assert all(line.startswith(("error: ", "hint: ")) for line in lines), result.stderr
        assert result.stdout == "" and "Traceback" not in result.stderr


def test_a_refused_value_writes_nothing(builtin_db) -> None:
    before = builtin_db.read_bytes()
    assert Cli(builtin_db)("read", "resnet", "--date", "the day before").exit_code == EXIT_USAGE
    assert builtin_db.read_bytes() == before


def _wait_reading_stdin(pid: int, timeout: float = 60.0) -> None:
    """Wait until the process sits in read(0, ...): /proc/PID/syscall names the call and its
    first argument. A fixed sleep is not enough on a loaded machine, where the interpreter may
    still be starting when the signal lands. Where /proc says nothing, wait 1.5 s."""
    read_calls = {"0", "63"}  # read on x86_64, on aarch64
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            parts = Path(f"/proc/{pid}/syscall").read_text().split()
        except OSError:
            time.sleep(1.5)
            return
        if len(parts) > 1 and parts[0] in read_calls and parts[1] == "0x0":
            time.sleep(0.05)
            return
        time.sleep(0.02)
    raise AssertionError("the import never started reading standard input")


def test_ctrl_c_exits_130_with_one_line(builtin_db) -> None:
    """Ctrl-C while import waits on standard input: 130, one line, no traceback, nothing written."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "paperread", "--db", str(builtin_db), "import", "-", "--format", "json"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    _wait_reading_stdin(proc.pid)  # started (handlers in place) and blocked reading stdin
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == EXIT_INTERRUPTED, (proc.returncode, err)
    assert err.startswith("error: interrupted") and "Traceback" not in err and out == ""
