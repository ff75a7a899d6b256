#!/usr/bin/env python
"""Every door in and out, at scale: import and export of all four formats, timed and weighed.

    python bench/io_bench.py                         # 10,000 and 100,000 papers, 3 repetitions
    python bench/io_bench.py --sizes 10000 --reps 1  # a quick look
    python bench/io_bench.py --json                  # the figures as JSON on stdout too

Every step is a fresh process of the installed ``paperread`` console script, timed from spawn
to exit (wall), with the CPU time it used (user + system) and its own peak memory (ru_maxrss,
through GNU time: see ``bench/run.py``'s ``spawn``); the median of ``--reps`` runs (peak: the
largest) is reported. The floors (``python -c pass`` and the lean floor) are measured in the
same rounds and shown at the top. The catalog comes from bench/synth.py (seeded) and is written
to a file by a child process, so this script itself stays small.

Per size, on SQLite files in bench/work/io/ (git-ignored):

1. ``import`` of the synthetic JSON document into an empty catalog (``a.db``);
2. ``export`` of ``a.db`` in every format (json, csv, bibtex, markdown);
3. ``import`` of each export into an empty catalog; the JSON one is exported again and must
   be byte for byte the first export (checked);
4. ``import`` of each export again into the catalog that just took it: nothing to change (the
   catalog's generation is still the one that import left: the report its fingerprint keeps,
   the file unread; ``paperread.reimport``);
5. ``import`` of a newer JSON version (10 % of the papers changed, 10 % new) into a copy of
   ``a.db``: the upsert road writing the differences.

Writes its section of bench/RESULTS.md (``<!-- bench:io -->``), with the targets of issue 14
and a verdict for each; ``--out`` names another file.
"""

from __future__ import annotations

import argparse
import datetime as dt
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
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.results import write_section  # noqa: E402
from bench.run import (  # noqa: E402
    LAUNCHER_HOW,
    LEAN_IMPORTS,
    PY,
    Sample,
    child_env,
    console_script,
    git_describe,
    spawn,
)

WORK = ROOT / "bench" / "work" / "io"
FORMATS = ("json", "csv", "bibtex", "markdown")
SUFFIX = {"json": "json", "csv": "csv", "bibtex": "bib", "markdown": "md"}
IMPORT_RATE = {"json": 20_000, "csv": 20_000, "bibtex": 20_000, "markdown": 10_000}  # papers/s into empty
REIMPORT_RATE = 50_000
EXPORT_RATE = 50_000
PEAK_MB = 400
LINEAR = 12.0  # the largest size / 10x smaller: at most this many times the time


class Steps:
    def __init__(self, env: dict[str, str], cmd: list[str]) -> None:
        self.env, self.cmd = env, cmd
        self.rows: list[dict[str, Any]] = []

    def paperread(self, *args: str) -> Sample:
        sample = spawn([*self.cmd, *args], self.env, timeout=3600)
        if sample.rc:
            sys.exit(f"paperread {' '.join(args)} failed (exit {sample.rc}):\n{sample.err[-3000:]}")
        return sample

    def measure(self, step: str, fmt: str, n: int, reps: int, once) -> dict[str, Any]:
        """``once()`` does any setup and returns the Sample of the timed process."""
        samples = [once() for _ in range(reps)]
        wall = statistics.median(s.seconds for s in samples)
        cpu = statistics.median(s.cpu for s in samples)
        row = {
            "step": step,
            "format": fmt,
            "papers": n,
            "wall_s": round(wall, 3),
            "cpu_s": round(cpu, 3),
            "min_s": round(min(s.seconds for s in samples), 3),
            "max_s": round(max(s.seconds for s in samples), 3),
            "peak_mb": round(max(s.rss_mb for s in samples)),
            "papers_per_s": round(n / wall),
            "papers_per_s_cpu": round(n / cpu) if cpu else None,
        }
        self.rows.append(row)
        print(
            f"  {step:10s} {fmt:9s} {n:>9,} papers  wall {wall:7.2f} s ({n / wall:9,.0f}/s)  cpu {cpu:7.2f} s"
            f"  peak {row['peak_mb']:5} MB",
            file=sys.stderr,
            flush=True,
        )
        return row


def fresh_db(steps: Steps, name: str) -> Path:
    path = WORK / name
    remove_db(path)
    steps.paperread("--db", str(path), "init", "--empty")
    return path


def remove_db(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def copy_db(src: Path, dst: Path) -> Path:
    import sqlite3

    conn = sqlite3.connect(src)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    remove_db(dst)
    shutil.copyfile(src, dst)
    return dst


NEWER = """
import json, sys
sys.path.insert(0, {root!r})
from bench.synth import make_document
doc = make_document({n}, seed={seed})
with open({plain!r}, "w", encoding="utf-8") as out:
    json.dump(doc, out, ensure_ascii=False)
for i, paper in enumerate(doc["papers"]):  # the newer version: 10 % changed, 10 % more
    if i % 10 == 0:
        paper["year"] = 2001 if paper["year"] != 2001 else 2002
        paper["title"] += " (revised)"
for i in range({n} // 10):
    base = dict(doc["papers"][i])
    base.update(key=f"added-{{i:06d}}", s2_id=None, arxiv_id=None, doi=None, url=f"https://example.org/added/{{i}}",
                title=f"An added paper number {{i}}", citation_history=[], reading=[])
    doc["papers"].append(base)
with open({newer!r}, "w", encoding="utf-8") as out:
    json.dump(doc, out, ensure_ascii=False)
"""


def documents(n: int, seed: int) -> tuple[Path, Path]:
    """The synthetic document and its newer version, written by a child process."""
    plain, newer = WORK / f"synth-{n}.json", WORK / f"synth-{n}-newer.json"
    code = NEWER.format(root=str(ROOT), n=n, seed=seed, plain=str(plain), newer=str(newer))
    subprocess.run([PY, "-c", code], check=True)
    return plain, newer


def run_size(steps: Steps, n: int, reps: int, seed: int) -> None:
    log(f"{n:,} papers: writing the synthetic documents ...")
    source, newer = documents(n, seed)
    a = WORK / "a.db"

    def into_empty(path: Path, db: str = "empty.db"):
        def once() -> Sample:
            target = fresh_db(steps, db)
            return steps.paperread("--db", str(target), "import", str(path))

        return once

    steps.measure("import", "json (synth)", n, reps, into_empty(source, "a.db"))
    exported = {fmt: WORK / f"export-{n}.{SUFFIX[fmt]}" for fmt in FORMATS}
    for fmt in FORMATS:
        steps.measure(
            "export",
            fmt,
            n,
            reps,
            lambda fmt=fmt: steps.paperread("--db", str(a), "export", fmt, "-o", str(exported[fmt])),
        )
    for fmt in FORMATS:
        steps.measure("import", fmt, n, reps, into_empty(exported[fmt], f"from-{fmt}.db"))
        target = WORK / f"from-{fmt}.db"
        steps.measure(
            "re-import",
            fmt,
            n,
            reps,
            lambda target=target, fmt=fmt: steps.paperread("--db", str(target), "import", str(exported[fmt])),
        )
        if fmt == "json":
            again = WORK / f"export-{n}-again.json"
            steps.paperread("--db", str(target), "export", "json", "-o", str(again))
            if again.read_bytes() != exported["json"].read_bytes():
                sys.exit("round trip FAILED: export json -> import -> export json differs")
            log("  round trip: export json -> import -> export json is byte for byte equal")

    def upsert() -> Sample:
        copy_db(a, WORK / "b.db")
        return steps.paperread("--db", str(WORK / "b.db"), "import", str(newer))

    steps.measure("upsert", "json (10% changed, 10% new)", n, reps, upsert)


def floors(env: dict[str, str], reps: int) -> list[tuple[str, Sample]]:
    out = []
    for name, argv in (
        ("python -c pass", [PY, "-c", "pass"]),
        (f'lean floor: python -c "{LEAN_IMPORTS}"', [PY, "-c", LEAN_IMPORTS]),
    ):
        spawn(argv, env)
        samples = [spawn(argv, env) for _ in range(max(reps, 5))]
        best = sorted(samples, key=lambda s: s.seconds)[len(samples) // 2]
        out.append((name, best))
    return out


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _rate(r: dict[str, Any]) -> str:
    """Papers per wall second, and per CPU second (what a quiet machine would approach)."""
    return f"{r['papers_per_s']:,} papers/s (per CPU second: {r['papers_per_s_cpu'] or 0:,})"


def verdicts(rows: list[dict[str, Any]], sizes: list[int]) -> list[tuple[str, str, str, bool]]:
    """(target, measured, limit, passed) for each target of issue 14 the run can check."""
    big = max(sizes)
    get = {(r["step"], r["format"], r["papers"]): r for r in rows}
    out = []
    for fmt in FORMATS:
        r = get.get(("import", fmt, big))
        if r:
            out.append((f"import {fmt} of {big:,} papers into an empty catalog", _rate(r),
                        f">= {IMPORT_RATE[fmt]:,} papers/s", r["papers_per_s"] >= IMPORT_RATE[fmt]))  # fmt: skip
            out.append((f"import {fmt} of {big:,} papers: peak memory", f"{r['peak_mb']} MB", f"< {PEAK_MB} MB",
                        r["peak_mb"] < PEAK_MB))  # fmt: skip
            small = get.get(("import", fmt, big // 10))
            if small:
                ratio = r["wall_s"] / small["wall_s"]
                cpu = r["cpu_s"] / small["cpu_s"] if small["cpu_s"] else 0
                out.append((f"import {fmt}: {big:,} / {big // 10:,} papers", f"{ratio:.1f}x (cpu {cpu:.1f}x)",
                            f"<= {LINEAR:.0f}x", ratio <= LINEAR))  # fmt: skip
        r = get.get(("re-import", fmt, big))
        if r:
            out.append((f"re-import of an unchanged {fmt} file of {big:,} papers", _rate(r),
                        f">= {REIMPORT_RATE:,} papers/s", r["papers_per_s"] >= REIMPORT_RATE))  # fmt: skip
        r = get.get(("export", fmt, big))
        if r:
            out.append((f"export {fmt} of {big:,} papers", _rate(r),
                        f">= {EXPORT_RATE:,} papers/s", r["papers_per_s"] >= EXPORT_RATE))  # fmt: skip
    return out


def render(rows, sizes, reps, floor_samples, started, minutes, how, argv) -> str:
    out = ["## Import and export, every format (bench/io_bench.py)\n"]
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    command = " ".join(["python bench/io_bench.py", *argv])
    out.append(
        f"Written by `{command}` on {started:%Y-%m-%d %H:%M} UTC in "
        f"{minutes:.1f} min; code: {git_describe()}; load average at the end {load}. Each cell: median wall seconds of {reps} run(s) "
        f"(min-max) · median CPU seconds (user+system) · the largest peak memory (the child's own ru_maxrss, "
        f"through {LAUNCHER_HOW}) · papers per wall second. paperread runs as the {how}; catalogs from "
        f"bench/synth.py (seed 0).\n"
    )
    out.append("| floor | wall · cpu · peak |\n|---|---|")
    for name, s in floor_samples:
        out.append(f"| {name} | {s.seconds:.3f} · cpu {s.cpu:.3f} · {s.rss_mb:.0f} MB |")
    out.append("")
    out.append("| step | format | " + " | ".join(f"{n:,} papers" for n in sizes) + " |")
    out.append("|---|---|" + "---|" * len(sizes))
    seen: list[tuple[str, str]] = []
    for r in rows:
        if (r["step"], r["format"]) not in seen:
            seen.append((r["step"], r["format"]))
    by = {(r["step"], r["format"], r["papers"]): r for r in rows}
    for step, fmt in seen:
        cells = []
        for n in sizes:
            r = by.get((step, fmt, n))
            cells.append(
                f"{r['wall_s']:.2f} ({r['min_s']:.2f}-{r['max_s']:.2f}) · cpu {r['cpu_s']:.2f} · {r['peak_mb']} MB · "
                f"{r['papers_per_s']:,}/s"
                if r
                else "-"
            )
        out.append(f"| {step} | {fmt} | " + " | ".join(cells) + " |")
    out.append("")
    out.append("| target | measured | limit | verdict |\n|---|---|---|---|")
    for target, measured, limit, ok in verdicts(rows, sizes):
        out.append(f"| {target} | {measured} | {limit} | {'PASS' if ok else 'FAIL'} |")
    out.append(
        "\nRates are papers per wall second of the whole process (start-up included) on a shared machine; "
        "the CPU seconds beside them show how much of a slow figure is the machine being busy."
    )
    return "\n".join(out) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10000,100000", help="comma-separated catalog sizes")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "RESULTS.md")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON on stdout too")
    ap.add_argument("--src", type=Path, help="run this source tree (PYTHONPATH=SRC), e.g. a snapshot of the code")
    args = ap.parse_args()
    sizes = sorted(int(s.replace("_", "")) for s in args.sizes.split(","))
    WORK.mkdir(parents=True, exist_ok=True)
    env = child_env(args.src.resolve() if args.src else None)
    cmd, how = console_script()
    started, clock = dt.datetime.now(dt.UTC), time.perf_counter()
    log(f"io_bench: sizes {sizes}, {args.reps} repetition(s), load average {os.getloadavg()[0]:.2f}")
    floor_samples = floors(env, args.reps)
    steps = Steps(env, cmd)
    for n in sizes:
        run_size(steps, n, args.reps, args.seed)
    floor_samples += floors(env, args.reps)  # before and after: the machine's load changes
    minutes = (time.perf_counter() - clock) / 60
    body = render(steps.rows, sizes, args.reps, floor_samples, started, minutes, how, sys.argv[1:])
    write_section(args.out, "io", body)
    (ROOT / "bench" / "work" / "io-last-run.json").write_text(json.dumps(steps.rows, indent=1), encoding="utf-8")
    sys.stdout.write(body)
    if args.json:
        print(json.dumps({"sizes": sizes, "reps": args.reps, "steps": steps.rows}, indent=1))
    log(f"wrote the io section of {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
