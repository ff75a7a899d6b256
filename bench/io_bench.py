#!/usr/bin/env python
"""Import and export speed: a synthetic catalog out and back in, through the real CLI.

    python bench/io_bench.py                      # 10,000 papers, 3 repetitions
    python bench/io_bench.py --papers 100000 --reps 1
    python bench/io_bench.py --json               # the figures as JSON on stdout

Every step is a fresh ``python -m paperread`` process, timed from spawn to exit (wall) and
by the CPU time it used (user + system, from ``os.wait4``); the median of ``--reps`` runs is
reported. CPU time is the steadier figure on a shared machine: the load average is printed
alongside. The catalog comes from bench/synth.py (seeded: every run measures the same data).

Steps, on SQLite files in bench/work/io/ (git-ignored):

1. ``import doc.json`` into an empty catalog (the bulk road: ``exchange.load_document``);
2. ``export json`` of it, then ``import`` of that export into another empty catalog; the
   two exports must be byte for byte equal (checked);
3. ``import`` of the same export again: the upsert road finding nothing to change;
4. ``import`` of a newer version (10 % of the papers changed, 10 % new): the upsert road
   writing the differences;
5. ``export markdown``, ``export csv`` and ``export bibtex``.
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
WORK = ROOT / "bench" / "work" / "io"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.synth import make_document  # noqa: E402


def run(*args: str) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one ``python -m paperread`` process; exits on failure."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "paperread", *args],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT, env={**os.environ, "PAPERREAD_USER": "bench"},
    )  # fmt: skip
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"paperread {' '.join(args)} failed:\n{err}")
    return wall, usage.ru_utime + usage.ru_stime


def fresh_db(name: str) -> Path:
    path = WORK / name
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    run("--db", str(path), "init", "--empty")
    return path


def newer_version(doc: dict[str, Any]) -> dict[str, Any]:
    """The catalog with every tenth paper changed (year, title) and 10 % more papers."""
    new = json.loads(json.dumps(doc))
    for i, paper in enumerate(new["papers"]):
        if i % 10 == 0:
            paper["year"] = 2001 if paper["year"] != 2001 else 2002
            paper["title"] += " (revised)"
    extra = len(new["papers"]) // 10
    for i in range(extra):
        base = dict(new["papers"][i])
        base.update(key=f"added-{i:06d}", s2_id=None, arxiv_id=None, doi=None, url=f"https://example.org/added/{i}",
                    title=f"An added paper number {i}", citation_history=[], reading=[])  # fmt: skip
        new["papers"].append(base)
    return new


def measure(label: str, n: int, reps: int, step) -> dict[str, Any]:
    walls, cpus = [], []
    for _ in range(reps):
        wall, cpu = step()
        walls.append(wall)
        cpus.append(cpu)
    wall, cpu = statistics.median(walls), statistics.median(cpus)
    row = {"step": label, "papers": n, "wall_s": round(wall, 3), "cpu_s": round(cpu, 3),
           "papers_per_s_wall": round(n / wall), "papers_per_s_cpu": round(n / cpu)}  # fmt: skip
    print(f"  {label:44s} wall {wall:7.2f} s ({n / wall:9,.0f}/s)   cpu {cpu:7.2f} s ({n / cpu:9,.0f}/s)",
          file=sys.stderr, flush=True)  # fmt: skip
    return row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--papers", type=int, default=10_000)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true", help="print the figures as JSON on stdout")
    args = ap.parse_args()
    n, reps = args.papers, args.reps
    WORK.mkdir(parents=True, exist_ok=True)
    print(f"io_bench: {n:,} papers, {reps} repetition(s), load average {os.getloadavg()[0]:.2f}", file=sys.stderr)
    doc = make_document(n, seed=args.seed)
    source = WORK / f"synth-{n}.json"
    source.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    newer = WORK / f"synth-{n}-newer.json"
    newer.write_text(json.dumps(newer_version(doc), ensure_ascii=False), encoding="utf-8")
    exported, again = WORK / f"export-{n}.json", WORK / f"export-{n}-again.json"
    rows = []

    def import_into_empty(path: Path):
        def step():
            db = fresh_db("a.db")
            return run("--db", str(db), "import", str(path))

        return step

    rows.append(measure("import json into an empty catalog", n, reps, import_into_empty(source)))
    a = WORK / "a.db"
    rows.append(measure("export json", n, reps, lambda: run("--db", str(a), "export", "json", "-o", str(exported))))
    rows.append(measure("import that export into an empty catalog", n, reps, import_into_empty(exported)))
    run("--db", str(a), "export", "json", "-o", str(again))
    if exported.read_bytes() != again.read_bytes():
        sys.exit("round trip FAILED: export -> import -> export differs")
    print("  round trip: export -> import -> export is byte for byte equal", file=sys.stderr)
    rows.append(measure("import it again (upsert, nothing to change)", n, reps,
                        lambda: run("--db", str(a), "import", str(exported))))  # fmt: skip

    def import_newer():
        shutil.copy(a, WORK / "b.db")
        for suffix in ("-wal", "-shm"):
            if Path(f"{a}{suffix}").exists():
                shutil.copy(f"{a}{suffix}", f"{WORK / 'b.db'}{suffix}")
            else:
                Path(f"{WORK / 'b.db'}{suffix}").unlink(missing_ok=True)
        return run("--db", str(WORK / "b.db"), "import", str(newer))

    rows.append(measure("import a newer version (10% changed, 10% new)", n, reps, import_newer))
    for fmt in ("markdown", "csv", "bibtex"):
        out = WORK / f"export-{n}.{fmt}"
        rows.append(
            measure(
                f"export {fmt}", n, reps, lambda fmt=fmt, out=out: run("--db", str(a), "export", fmt, "-o", str(out))
            )
        )
    if args.json:
        print(json.dumps({"papers": n, "reps": reps, "load_average": os.getloadavg()[0], "steps": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
