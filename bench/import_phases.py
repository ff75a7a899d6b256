#!/usr/bin/env python
"""Where an import's CPU goes, phase by phase: this tree against another (a baseline), interleaved.

    python bench/import_phases.py --base /tmp/base --sizes 10000,100000 --reps 3
    python bench/import_phases.py --sizes 10000 --reps 1          # this tree only, a quick look
    python bench/import_phases.py --profile reimport --sizes 100000   # cProfile of one run (top 40)

Each run is a fresh process of ``paperread import`` (in-process: ``paperread.start.main``) with
the pipeline's steps wrapped to time the main thread's CPU in each phase:

- read: decoding the file and parsing it (``formats.parse``: JSON into dicts);
- clean: ``exchange.clean.clean_document`` (every value through the gate);
- snapshot: ``exchange.snapshot.read_snapshot`` (the catalog as plain data);
- plan: ``exchange.planning.plan_import`` (match, diff, assemble);
- write: ``apply.apply_plan`` or ``bulk.load_document`` (without the search index);
- index: the search index built on the main thread (``run.Phase`` "index"), and ``bg``: the CPU
  of other threads (the bulk road's ``SearchFill``);
- other: start-up (imports, opening the database), commit, the report.

Scenarios, on catalogs from bench/synth.py (seed 0) in bench/work/phases/ (git-ignored):
``fresh`` (the export of the synthetic catalog into an empty catalog), ``reimport`` (that
export into the catalog it came from: nothing changes), ``upsert`` (10 % of the papers changed,
10 % new, as bench/io_bench.py's upsert). ``--base SRC`` runs SRC's paperread too (PYTHONPATH),
alternating with this tree's, so both see the same machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / "work" / "phases"
PHASES = ("read", "clean", "snapshot", "plan", "write", "index", "bg", "other")
SCENARIOS = ("fresh", "reimport", "upsert")

CHILD = r"""
import resource, sys, time, json
t_start_proc, t_start_wall = time.process_time(), time.perf_counter()
spent = {}
peaks = {}
label = ["other"]
mark_at = [time.thread_time()]

def mark(new):
    now = time.thread_time()
    spent[label[0]] = spent.get(label[0], 0.0) + now - mark_at[0]
    peaks[label[0]] = max(peaks.get(label[0], 0), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
    with open("/proc/self/statm") as fh:
        peaks["now after " + label[0]] = int(fh.read().split()[1]) * 4096 // 2**20
    mark_at[0], label[0] = now, new

def wrap(module, name, as_label):
    inner = getattr(module, name)
    def wrapped(*args, **kwargs):
        before = label[0]
        mark(as_label)
        try:
            return inner(*args, **kwargs)
        finally:
            mark(before)
    setattr(module, name, wrapped)

import paperread.formats as formats
import paperread.formats.jsonfile as jsonfile
import paperread.exchange.snapshot as snapshot
import paperread.exchange.planning as planning
import paperread.exchange.apply as apply
import paperread.exchange.bulk as bulk
import paperread.exchange.run as run

wrap(formats, "parse", "read")
wrap(jsonfile, "clean_document", "clean")
wrap(snapshot, "read_snapshot", "snapshot")
wrap(planning, "plan_import", "plan")
wrap(apply, "apply_plan", "write")
wrap(bulk, "load_document", "write")
inner_import = run.import_parsed

def import_parsed(conn, parsed, **kwargs):
    shown = kwargs.get("phase")
    def phase(name):
        if name in ("index", "write") and label[0] in ("index", "write"):
            mark(name)
        if shown is not None:
            shown(name)
    kwargs["phase"] = phase
    return inner_import(conn, parsed, **kwargs)

run.import_parsed = import_parsed
profile = {profile!r}
sys.argv = ["paperread", "--db", {db!r}, "import", {file!r}, "-q"]
from paperread.start import main
try:
    if profile:
        import cProfile, pstats
        prof = cProfile.Profile()
        try:
            prof.runcall(main)
        finally:
            pstats.Stats(prof, stream=sys.stderr).sort_stats("cumulative").print_stats(45)
            pstats.Stats(prof, stream=sys.stderr).sort_stats("tottime").print_stats(30)
    else:
        main()
except SystemExit as stop:
    if stop.code:
        raise
mark("other")
total = time.process_time() - t_start_proc
spent["bg"] = max(0.0, total - sum(spent.values()))
spent["total"] = total
spent["wall"] = time.perf_counter() - t_start_wall
spent["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
spent["peaks"] = peaks
spent["source"] = __import__("paperread").__file__
print(json.dumps(spent), file=sys.__stderr__)
"""

NEWER = """
import json, sys
sys.path.insert(0, {root!r})
from bench.synth import make_document
doc = make_document({n}, seed=0)
with open({plain!r}, "w", encoding="utf-8") as out:
    json.dump(doc, out, ensure_ascii=False)
for i, paper in enumerate(doc["papers"]):
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


def env_for(src: Path | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERREAD_") and k != "PYTHONPATH"}
    home = WORK / "home"
    home.mkdir(parents=True, exist_ok=True)
    env.update(HOME=str(home), XDG_DATA_HOME=str(home / "data"), PAPERREAD_USER="bench", NO_COLOR="1")
    env["PYTHONPATH"] = str(src if src is not None else ROOT)
    return env


def cli(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "-m", "paperread", *args], env=env, check=True, capture_output=True, cwd=WORK)


def remove_db(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def copy_db(src: Path, dst: Path) -> None:
    import sqlite3

    conn = sqlite3.connect(src)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    remove_db(dst)
    shutil.copyfile(src, dst)


def prepare(n: int) -> dict[str, Path]:
    """The files and the catalog of one size (made once, kept in bench/work/phases/)."""
    env = env_for(None)
    plain, newer, export, a = (WORK / f"synth-{n}.json", WORK / f"newer-{n}.json", WORK / f"export-{n}.json",
                               WORK / f"a-{n}.db")  # fmt: skip
    if not (plain.is_file() and newer.is_file()):
        code = NEWER.format(root=str(ROOT), n=n, plain=str(plain), newer=str(newer))
        subprocess.run([sys.executable, "-c", code], check=True)
    if not (a.is_file() and export.is_file()):
        remove_db(a)
        cli(env, "--db", str(a), "init", "--empty")
        cli(env, "--db", str(a), "import", str(plain), "-q")
        cli(env, "--db", str(a), "export", "json", "-o", str(export))
    return {"plain": plain, "newer": newer, "export": export, "a": a}


def run_once(scenario: str, files: dict[str, Path], src: Path | None, profile: bool = False) -> dict[str, float]:
    env = env_for(src)
    db = WORK / "target.db"
    if scenario == "fresh":
        remove_db(db)
        cli(env, "--db", str(db), "init", "--empty")
        file = files["export"]
    else:
        copy_db(files["a"], db)
        file = files["export"] if scenario == "reimport" else files["newer"]
    code = CHILD.replace("{profile!r}", repr(profile)).replace("{db!r}", repr(str(db)))
    code = code.replace("{file!r}", repr(str(file)))
    with tempfile.TemporaryFile() as err:
        # (cwd: not a source tree, which ``-c`` would put first on sys.path)
        proc = subprocess.run([sys.executable, "-c", code], env=env, stdout=subprocess.DEVNULL, stderr=err, cwd=WORK)
        err.seek(0)
        text = err.read().decode("utf-8", "replace")
    if proc.returncode:
        sys.exit(f"{scenario} ({src or 'this tree'}) failed:\n{text[-3000:]}")
    if profile:
        print(text, file=sys.stderr)
    elif os.environ.get("PHASES_PEAKS"):
        print(text.strip().splitlines()[-1], file=sys.stderr)
    result = json.loads(text.strip().splitlines()[-1])
    if not result.pop("source").startswith(str(src if src is not None else ROOT)):
        sys.exit(f"{scenario}: paperread was not imported from {src or ROOT}")
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--scenarios", default=",".join(SCENARIOS))
    ap.add_argument("--base", type=Path, help="another source tree to compare with (e.g. a checkout of main)")
    ap.add_argument("--profile", choices=SCENARIOS, help="print a cProfile of one run of this scenario")
    args = ap.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",")]
    if args.profile:
        for n in sizes:
            run_once(args.profile, prepare(n), None, profile=True)
        return 0
    trees: list[tuple[str, Path | None]] = [("this", None)]
    if args.base is not None:
        trees.insert(0, ("base", args.base.resolve()))
    print("| size | scenario | tree | " + " | ".join(PHASES) + " | cpu total | wall | peak MB |")
    print("|---|---|---|" + "---|" * (len(PHASES) + 3))
    for n in sizes:
        files = prepare(n)
        for scenario in args.scenarios.split(","):
            runs: dict[str, list[dict[str, float]]] = {name: [] for name, _ in trees}
            for _ in range(args.reps):
                for name, src in trees:
                    runs[name].append(run_once(scenario, files, src))
            for name, _ in trees:
                med = {k: statistics.median(r.get(k, 0.0) for r in runs[name]) for k in (*PHASES, "total", "wall")}
                cells = " | ".join(f"{med.get(p, 0.0):.2f}" for p in PHASES)
                print(
                    f"| {n:,} | {scenario} | {name} | {cells} | {med['total']:.2f} | {med['wall']:.2f} |"
                    f" {max(r['peak_mb'] for r in runs[name]):.0f} |",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
