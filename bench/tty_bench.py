#!/usr/bin/env python
"""First screen on a terminal against the whole output piped: ``paperread list`` of a big catalog.

    python bench/tty_bench.py                       # 100,000 papers, 3 rounds
    python bench/tty_bench.py --papers 20000 --reps 5 --json

Each round runs, one after the other under the same load:

1. ``list`` piped: a fresh ``python -m paperread`` process with stdout on a pipe read to the end
   (wall time from spawn to exit, and the child's CPU time, user + system, from ``os.wait4``);
2. ``list`` on a terminal: the same process on a pseudo-terminal of 120 x 50 with ``PAGER=less``;
   the wall time until the first screen is on the terminal (47 lines of rows drawn), then
   ``q`` is typed and the CPU time is taken at exit;
3. ``--no-pager list`` on the terminal: the time to the first screen, and to the end of all rows.

The medians are reported, with the ratio the issue holds to: first screen on a terminal within
1.5x the piped time. The catalog (bench/synth.py, seeded) is made once in bench/work/tty/.
"""

from __future__ import annotations

import argparse
import json
import os
import pty
import re
import select
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / "work" / "tty"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.synth import make_document  # noqa: E402
from tests.ptyrun import set_size  # noqa: E402

COLUMNS, LINES = 120, 50
ROW = re.compile(r"[a-z0-9]+-\d{5,}")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERREAD_") and k not in ("COLUMNS", "LINES")}
    return {**env, "PAPERREAD_USER": "bench", "TERM": "xterm-256color", **extra}


def catalog(n: int) -> Path:
    db = WORK / f"list-{n}.db"
    if db.exists():
        return db
    WORK.mkdir(parents=True, exist_ok=True)
    doc = WORK / f"doc-{n}.json"
    doc.write_text(json.dumps(make_document(n)), encoding="utf-8")
    for args in (["init", "--empty"], ["import", str(doc)]):
        subprocess.run([sys.executable, "-m", "paperread", "--db", str(db), *args], check=True, cwd=ROOT, env=_env(),
                       stdout=subprocess.DEVNULL)  # fmt: skip
    return db


def piped(db: Path) -> dict[str, float]:
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "paperread", "--db", str(db), "list"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, cwd=ROOT, env=_env())  # fmt: skip
    assert proc.stdout is not None
    rows = sum(1 for _ in proc.stdout)
    _, status, usage = os.wait4(proc.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0 and rows > 0
    return {"wall": time.perf_counter() - start, "cpu": usage.ru_utime + usage.ru_stime, "rows": rows}


def on_terminal(db: Path, *, pager: bool) -> dict[str, float]:
    """Seconds to the first screen of rows (and to the end), on a pseudo-terminal."""
    master, slave = pty.openpty()
    set_size(slave, COLUMNS, LINES)
    args = ["--db", str(db)] + ([] if pager else ["--no-pager"]) + ["list"]
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "paperread", *args], stdin=slave, stdout=slave, stderr=slave,
                            cwd=ROOT, env=_env(PAGER="less"), start_new_session=True)  # fmt: skip
    os.close(slave)
    seen, first_screen, quit_sent = "", None, False
    screen_rows = LINES - 3
    while True:
        ready, _, _ = select.select([master], [], [], 0.02)
        if ready:
            try:
                data = os.read(master, 1 << 16)
            except OSError:
                break
            if not data:
                break
            if first_screen is None:
                seen += data.decode("utf-8", "replace")
                if seen.count("\n") >= screen_rows and ROW.search(seen):
                    first_screen = time.perf_counter() - start
                    seen = ""
        if first_screen is not None and pager and not quit_sent:
            os.write(master, b"q")
            quit_sent = True
        if not ready and proc.poll() is not None:
            break
    _, status, usage = os.wait4(proc.pid, 0)
    os.close(master)
    assert first_screen is not None and os.waitstatus_to_exitcode(status) == 0, "no first screen seen"
    return {"first_screen": first_screen, "wall": time.perf_counter() - start, "cpu": usage.ru_utime + usage.ru_stime}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    db = catalog(args.papers)
    rounds: dict[str, list[dict[str, float]]] = {"piped": [], "tty_pager": [], "tty_no_pager": []}
    for _ in range(args.reps):
        rounds["piped"].append(piped(db))
        rounds["tty_pager"].append(on_terminal(db, pager=True))
        rounds["tty_no_pager"].append(on_terminal(db, pager=False))
    med = {k: {m: statistics.median(r[m] for r in v) for m in v[0]} for k, v in rounds.items()}
    result: dict[str, Any] = {
        "papers": args.papers,
        "reps": args.reps,
        "terminal": f"{COLUMNS}x{LINES}",
        "load_average": os.getloadavg(),
        "median": med,
        "first_screen_over_piped": med["tty_pager"]["first_screen"] / med["piped"]["wall"],
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"list of {args.papers:,} papers, median of {args.reps}, load {os.getloadavg()[0]:.2f}")
    print(f"  piped, whole output:           {med['piped']['wall']:.3f} s wall, {med['piped']['cpu']:.3f} s CPU")
    print(f"  terminal + less, first screen: {med['tty_pager']['first_screen']:.3f} s wall "
          f"(CPU to 'q': {med['tty_pager']['cpu']:.3f} s)")  # fmt: skip
    print(f"  terminal, no pager:            first screen {med['tty_no_pager']['first_screen']:.3f} s, "
          f"all rows {med['tty_no_pager']['wall']:.3f} s wall, {med['tty_no_pager']['cpu']:.3f} s CPU")  # fmt: skip
    ratio = result["first_screen_over_piped"]
    print(f"  first screen / piped = {ratio:.2f} (target <= 1.5): {'ok' if ratio <= 1.5 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
