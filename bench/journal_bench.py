#!/usr/bin/env python
"""Journal import speed and memory: a large notes file into the built-in catalog, through the real CLI.

    python bench/journal_bench.py                 # 50 MB, 3 repetitions
    python bench/journal_bench.py --mb 10 --reps 1
    python bench/journal_bench.py --json          # the figures as JSON on stdout

The notes file is the seed (shared/seed/000_42593514c2d838f2.txt, a reader's journal of the
series) repeated until it reaches ``--mb`` megabytes, each copy's notes made different by a
number, so every copy appends text (the worst case for the "already there" check). Every step
is a fresh ``python -m paperread`` process, timed from spawn to exit (wall), by the CPU time it
used (user + system) and by its peak resident memory (``os.wait4``); the median of ``--reps``
runs is reported. Steps run interleaved with the baseline, under the same load:

- baseline: ``import seed --format journal`` (one copy: start-up, catalog, one plan);
- ``import big --format journal --dry-run`` (read, match and plan; nothing written);
- ``import big --format journal`` into a fresh copy of the catalog (written);
- ``import big --format journal`` again (finds nothing to change).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / "work" / "journal"
SEEDS = (
    Path("/work/shared/seed/000_42593514c2d838f2.txt"),
    ROOT.parent / "shared" / "seed" / "000_42593514c2d838f2.txt",
)


def run(*args: str) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak MB) of one ``python -m paperread`` process; exits on failure."""
    start = time.perf_counter()
    with (WORK / "stderr.txt").open("w+b") as errors:
        proc = subprocess.Popen(
            [sys.executable, "-m", "paperread", *args],
            stdout=subprocess.DEVNULL, stderr=errors, cwd=ROOT, env={**os.environ, "PAPERREAD_USER": "bench"},
        )  # fmt: skip
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        errors.seek(0)
        err = errors.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"paperread {' '.join(args)} failed:\n{err}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def notes_file(seed: str, megabytes: int) -> tuple[Path, int]:
    path = WORK / f"notes-{megabytes}mb.txt"
    copies = 0
    with path.open("w", encoding="utf-8") as fh:
        size = 0
        while size < megabytes * 1_000_000:
            chunk = seed.replace("梯度保持的很好", f"梯度保持的很好 {copies}") + "\n"
            fh.write(chunk)
            size += len(chunk.encode("utf-8"))
            copies += 1
    return path, copies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=int, default=50)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    seed_path = next((p for p in SEEDS if p.is_file()), None)
    if seed_path is None:
        sys.exit("the seed notes file (shared/seed/000_42593514c2d838f2.txt) is not here")
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    template = WORK / "template.db"
    run("--db", str(template), "init")
    big, copies = notes_file(seed_path.read_text(encoding="utf-8"), args.mb)
    steps: dict[str, list[tuple[float, float, float]]] = {"baseline": [], "dry-run": [], "import": [], "again": []}
    for rep in range(args.reps):
        db = WORK / f"run{rep}.db"
        base = WORK / f"base{rep}.db"
        shutil.copy(template, db)
        shutil.copy(template, base)
        steps["baseline"].append(run("--db", str(base), "import", str(seed_path), "--format", "journal"))
        steps["dry-run"].append(run("--db", str(db), "import", str(big), "--format", "journal", "--dry-run"))
        steps["import"].append(run("--db", str(db), "import", str(big), "--format", "journal"))
        steps["again"].append(run("--db", str(db), "import", str(big), "--format", "journal"))
    figures = {
        name: {
            "wall_s": round(statistics.median(r[0] for r in runs), 3),
            "cpu_s": round(statistics.median(r[1] for r in runs), 3),
            "peak_mb": round(statistics.median(r[2] for r in runs), 1),
        }
        for name, runs in steps.items()
    }
    meta = {"megabytes": args.mb, "copies": copies, "bytes": big.stat().st_size, "load": os.getloadavg()[0]}
    if args.json:
        print(json.dumps({**meta, "steps": figures}, indent=2))
        return
    print(f"notes file: {meta['bytes'] / 1e6:.1f} MB ({copies} copies of the seed); load {meta['load']:.2f}")
    print(f"{'step':10} {'wall s':>8} {'cpu s':>8} {'peak MB':>8}")
    for name, f in figures.items():
        print(f"{name:10} {f['wall_s']:8.2f} {f['cpu_s']:8.2f} {f['peak_mb']:8.1f}")


if __name__ == "__main__":
    main()
