#!/usr/bin/env python
"""Site build speed and memory: ``paperread site DIR`` on the built-in catalog and on synthetic ones.

    python bench/site_bench.py                          # built-in (5 runs), 10,000 and 100,000 papers (1 run)
    python bench/site_bench.py --sizes 0 10000 --reps 3 # 0 is the built-in catalog
    python bench/site_bench.py --json                   # the figures as JSON on stdout
    python bench/site_bench.py --write                  # and record them in bench/SITE_RESULTS.md

Every build is a fresh ``python -m paperread`` process, timed from spawn to exit (wall), by the
CPU time it used (user + system, from ``os.wait4``) and by its peak memory (``ru_maxrss``); the
median of ``--reps`` runs is reported. Each round of builds is interleaved with the lean floor
(``python -c "import typer, rich.table, sqlite3"``), so a slow moment of a shared machine shows in
both. Synthetic catalogs come from bench/synth.py (seeded), loaded with ``import``; each build
refreshes the site of the previous one (the manifest read, the old site swapped out and removed).
Targets (the issue's): the built-in catalog in under a second, 100,000 papers within a minute
and 500 MB. Time should grow linearly: the per-paper cost at 10,000 and 100,000 is printed.
Work files go to bench/work/site/ (git-ignored).
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
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / "work" / "site"

TARGETS = {0: (1.0, None), 100_000: (60.0, 500.0)}  # papers: (wall s, MB)


def spawn(argv: list[str]) -> tuple[float, float, float]:
    """(wall s, CPU s, peak MB) of one process; exits on failure."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT,
                            env={**os.environ, "PAPERREAD_USER": "bench"})  # fmt: skip
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(argv)} failed:\n{err}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def paperread(*args: str) -> tuple[float, float, float]:
    return spawn([sys.executable, "-m", "paperread", *args])


def catalog(n: int, seed: int) -> Path:
    """A database of ``n`` synthetic papers (0: the built-in catalog), made once and kept."""
    db = WORK / ("builtin.db" if n == 0 else f"synth-{n}-{seed}.db")
    if db.exists():
        return db
    if n == 0:
        paperread("--db", str(db), "init")
        return db
    source = WORK / f"synth-{n}-{seed}.json"
    # In a child process: a process's peak memory counts what it inherited before exec, so this
    # one stays small (the document of 100,000 papers takes hundreds of MB).
    spawn([sys.executable, "-c", f"import json, sys; from bench.synth import make_document; "
           f"open(sys.argv[1], 'w', encoding='utf-8').write(json.dumps(make_document({n}, seed={seed})))", str(source)])  # fmt: skip
    paperread("--db", str(db), "init", "--empty")
    paperread("--db", str(db), "import", str(source))
    source.unlink()
    return db


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[0, 10_000, 100_000], help="papers (0: built-in)")
    ap.add_argument("--reps", type=int, default=0, help="runs per size (default: 5 for the built-in, 1 above)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true", help="print the figures as JSON on stdout")
    ap.add_argument("--write", action="store_true", help="record the figures in bench/SITE_RESULTS.md")
    args = ap.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    print(f"site_bench: load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} CPUs", file=sys.stderr)
    rows: list[dict[str, Any]] = []
    failed = False
    for n in args.sizes:
        db = catalog(n, args.seed)
        paperread("--db", str(db), "stats")  # a catalog made by older code is upgraded here, not timed
        out = WORK / f"out-{n}"
        shutil.rmtree(out, ignore_errors=True)
        reps = args.reps or (5 if n <= 1000 else 1)
        runs, floors = [], []
        for _ in range(reps):
            floors.append(spawn([sys.executable, "-c", "import typer, rich.table, sqlite3"]))
            runs.append(paperread("--db", str(db), "site", str(out)))
        wall = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        mb = max(r[2] for r in runs)
        floor = statistics.median(f[0] for f in floors)
        papers = len(list((out / "paper").iterdir()))
        files = sum(len(names) for _, _, names in os.walk(out))
        row = {"papers": papers, "reps": reps, "wall_s": round(wall, 3), "cpu_s": round(cpu, 3), "peak_mb": round(mb, 1),
               "files": files, "lean_floor_s": round(floor, 3), "ms_per_paper_cpu": round(1000 * cpu / papers, 3)}  # fmt: skip
        target = TARGETS.get(n)
        if target is not None:
            ok = wall <= target[0] and (target[1] is None or mb <= target[1])
            row["target"] = f"<= {target[0]:g} s" + (f", <= {target[1]:g} MB" if target[1] else "")
            row["passed"] = ok
            failed |= not ok
        rows.append(row)
        label = "built-in" if n == 0 else f"{n:,}"
        print(f"  {label:>9} papers: wall {wall:7.2f} s   cpu {cpu:7.2f} s   peak {mb:6.1f} MB   {files:,} files   "
              f"{row['ms_per_paper_cpu']:.3f} ms/paper (cpu)   lean floor {floor:.3f} s"
              + (f"   target {row['target']}: {'ok' if row['passed'] else 'MISSED'}" if target else ""),
              file=sys.stderr, flush=True)  # fmt: skip
    if args.json:
        print(json.dumps({"load_average": os.getloadavg()[0], "builds": rows}, indent=2))
    if args.write:
        write_results(rows)
    return 1 if failed else 0


def write_results(rows: list[dict[str, Any]]) -> None:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout
    lines = [
        "# paperread site build: benchmark results",
        "",
        f"Written by `python bench/site_bench.py --write` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
        f"code: {commit.strip() or '?'}; {os.cpu_count()} CPUs, load average at the end "
        + " / ".join(f"{x:.2f}" for x in os.getloadavg())
        + " (a shared machine: read CPU time beside wall time, and the lean floor measured in the same rounds).",
        "",
        "| papers | runs | wall s | CPU s | peak MB | files | ms/paper (CPU) | lean floor s | target |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        target = f"{r['target']}: {'ok' if r['passed'] else 'MISSED'}" if "target" in r else ""
        lines.append(
            f"| {r['papers']:,} | {r['reps']} | {r['wall_s']} | {r['cpu_s']} | {r['peak_mb']} | {r['files']:,} | "
            f"{r['ms_per_paper_cpu']} | {r['lean_floor_s']} | {target} |"
        )
    (ROOT / "bench" / "SITE_RESULTS.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
